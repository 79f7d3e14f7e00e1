import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';
import type { CloudConfig } from '../cloud/clients.js';
import {
  accessKeyProvider,
  MetadataProvider,
  OidcProvider,
  type CredentialLog,
  type CredentialProvider,
} from '../cloud/credentials.js';
import { defaultEndpoints } from '../cloud/endpoints.js';
import { UsageError } from '../core/errors.js';

/**
 * The one module that reads the environment. Every variable is listed here and in .env.example.
 * Precedence: defaults < .env (in the working directory) < environment < flags.
 */
export const ENV_VARS = {
  // Credentials (the SDK's own names first, Terraform's HW_* names as aliases).
  ak: ['HUAWEICLOUD_SDK_AK', 'HW_ACCESS_KEY'], // access key id
  sk: ['HUAWEICLOUD_SDK_SK', 'HW_SECRET_KEY'], // secret access key: never printed
  securityToken: ['HUAWEICLOUD_SDK_SECURITY_TOKEN', 'HW_SECURITY_TOKEN'], // temporary credentials: never printed
  idpId: ['HUAWEICLOUD_SDK_IDP_ID'], // OIDC federation: IAM identity provider id (with idTokenFile)
  idTokenFile: ['HUAWEICLOUD_SDK_ID_TOKEN_FILE'], // OIDC federation: file holding the ID token (e.g. a projected service-account token)
  metadata: ['CCE_HARDEN_METADATA'], // on (default): without other credentials ask the ECS/BMS metadata service; off: never
  metadataEndpoint: ['CCE_HARDEN_METADATA_ENDPOINT'], // metadata service base URL (default http://169.254.169.254)
  // Scope.
  projectId: ['HUAWEICLOUD_SDK_PROJECT_ID', 'HW_PROJECT_ID'], // project id, or region=id,region=id
  region: ['HUAWEICLOUD_SDK_REGION', 'HW_REGION_NAME'], // region id(s), comma-separated
  // Endpoint overrides (private clouds, the sandbox).
  cceEndpoint: ['CCE_HARDEN_CCE_ENDPOINT'], // CCE API base URL
  vpcEndpoint: ['CCE_HARDEN_VPC_ENDPOINT'], // VPC API base URL
  iamEndpoint: ['CCE_HARDEN_IAM_ENDPOINT', 'HUAWEICLOUD_SDK_IAM_ENDPOINT'], // IAM API base URL (project id look-up, OIDC exchange)
  projectLookup: ['CCE_HARDEN_PROJECT_LOOKUP'], // iam (default): look up missing project ids read-only; off: never
  // Behaviour.
  timeout: ['CCE_HARDEN_TIMEOUT_MS'], // deadline of one whole call in ms, 100..600000 (default 15000)
  retryBase: ['CCE_HARDEN_RETRY_BASE_MS'], // first retry delay in ms, doubled each time, 1..60000 (default 300)
  sandboxState: ['CCE_HARDEN_SANDBOX_STATE'], // file that keeps the --sandbox world
  kubeconfig: ['KUBECONFIG'], // verify: kubeconfig file(s), a list merged as kubectl does; default: CCE issues one
} as const;

export type EnvKey = keyof typeof ENV_VARS;

/** Merges `.env` from the working directory under the real environment (which wins). */
export function loadEnv(env: NodeJS.ProcessEnv, cwd: string): Record<string, string | undefined> {
  let fromFile: Record<string, string> = {};
  try {
    fromFile = parseEnv(readFileSync(path.join(cwd, '.env'), 'utf8')) as Record<string, string>;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new UsageError(`Could not read .env in ${cwd}: ${(err as Error).message}`);
    }
  }
  return { ...fromFile, ...env };
}

export function pick(env: Record<string, string | undefined>, key: EnvKey): string | undefined {
  for (const name of ENV_VARS[key]) {
    const v = env[name];
    if (v !== undefined && v.trim() !== '') return v.trim();
  }
  return undefined;
}

/** Flags that override the environment. */
export interface ScopeFlags {
  region?: string | undefined;
  projectId?: string | undefined;
}

/** `abc` (one project for the one region) or `cn-north-4=abc,ap-southeast-1=def`. */
export function parseProjectIds(value: string | undefined): {
  single?: string;
  byRegion: Map<string, string>;
} {
  const byRegion = new Map<string, string>();
  if (!value) return { byRegion };
  if (!value.includes('=')) return { single: value, byRegion };
  for (const part of value.split(',')) {
    const [region, id] = part.split('=').map((s) => s.trim());
    if (!region || !id)
      throw new UsageError(`Cannot read project id mapping "${part}": expected region=project-id.`);
    byRegion.set(region, id);
  }
  return { byRegion };
}

/** Accepted ranges: beyond them a timer overflows (2^31 ms) or a run hangs for hours. */
export const DURATION_LIMITS = {
  timeout: { min: 100, max: 600_000, default: 15_000 },
  retryBase: { min: 1, max: 60_000, default: 300 },
} as const;

/**
 * A duration variable in whole milliseconds within its range; a usage error (exit 64) otherwise.
 * Without the check 3000000000 would silently become 1 ms (Node clamps timers above 2^31-1).
 */
export function durationMs(
  env: Record<string, string | undefined>,
  key: keyof typeof DURATION_LIMITS,
): number {
  const limits = DURATION_LIMITS[key];
  const raw = pick(env, key);
  if (raw === undefined) return limits.default;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(n) || n < limits.min || n > limits.max) {
    throw new UsageError(
      `${ENV_VARS[key][0]} is "${raw}": expected whole milliseconds from ${limits.min} to ${limits.max}.`,
    );
  }
  return n;
}

/**
 * Project ids are 32 hexadecimal characters (the console's "My Credentials" page). Checked before
 * any request: a `/` or `#` would otherwise change the request path and be blamed on the signature.
 */
export const PROJECT_ID = /^[0-9a-f]{32}$/i;

function projectIdProblem(id: string, where: string): string | undefined {
  return PROJECT_ID.test(id)
    ? undefined
    : `${where} "${id}" is not a project id: expected 32 hexadecimal characters (see "My Credentials" in the console).`;
}

export function parseRegions(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** The variable that supplied a value: error and debug messages name it, never the value. */
function nameOf(env: Record<string, string | undefined>, key: EnvKey): string {
  return ENV_VARS[key].find((n) => (env[n] ?? '').trim() !== '') ?? (ENV_VARS[key][0] as string);
}

export interface CredentialChoice {
  /** Undefined when `problems` says why. */
  provider?: CredentialProvider;
  problems: string[];
}

/**
 * The credential chain (cloud/credentials.ts), first match wins: access keys -> OIDC federation
 * -> instance metadata. One provider for the whole run; every problem is reported.
 */
export function resolveCredentials(
  env: Record<string, string | undefined>,
  log?: CredentialLog,
): CredentialChoice {
  const problems: string[] = [];
  const ak = pick(env, 'ak');
  const sk = pick(env, 'sk');
  const token = pick(env, 'securityToken');
  const timeout = Number(pick(env, 'timeout') ?? 15000);
  const timeoutMs = Number.isFinite(timeout) && timeout > 0 ? timeout : 15000;
  const userAgent = 'cce-harden';
  if (ak || sk) {
    if (!ak)
      problems.push(
        `No access key: ${nameOf(env, 'sk')} is set, so set HUAWEICLOUD_SDK_AK (or HW_ACCESS_KEY) too.`,
      );
    if (!sk)
      problems.push(
        `No secret key: ${nameOf(env, 'ak')} is set, so set HUAWEICLOUD_SDK_SK (or HW_SECRET_KEY) too.`,
      );
    if (problems.length > 0) return { problems };
    const names = `${nameOf(env, 'ak')} / ${nameOf(env, 'sk')}${token ? ` / ${nameOf(env, 'securityToken')}` : ''}`;
    return {
      provider: accessKeyProvider({
        ak: ak as string,
        sk: sk as string,
        securityToken: token,
        description: `access keys from ${names}`,
      }),
      problems,
    };
  }
  if (token) {
    problems.push(
      `${nameOf(env, 'securityToken')} is set without HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK: a security token needs its temporary key pair.`,
    );
    return { problems };
  }
  const idpId = pick(env, 'idpId');
  const idTokenFile = pick(env, 'idTokenFile');
  if (idpId || idTokenFile) {
    if (!idpId)
      problems.push(
        'HUAWEICLOUD_SDK_ID_TOKEN_FILE is set but HUAWEICLOUD_SDK_IDP_ID is not: set the identity provider id too.',
      );
    if (!idTokenFile)
      problems.push(
        'HUAWEICLOUD_SDK_IDP_ID is set but HUAWEICLOUD_SDK_ID_TOKEN_FILE is not: set the path of the ID token file too.',
      );
    if (problems.length > 0) return { problems };
    return {
      provider: new OidcProvider(
        {
          idpId: idpId as string,
          idTokenFile: path.resolve(idTokenFile as string),
          iamEndpoint: pick(env, 'iamEndpoint') ?? DEFAULT_IAM_ENDPOINT,
          timeoutMs,
          userAgent,
        },
        log,
      ),
      problems,
    };
  }
  const metadata = pick(env, 'metadata') ?? 'on';
  if (metadata === 'off') {
    problems.push(
      'No credentials: set HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK, or HUAWEICLOUD_SDK_IDP_ID and HUAWEICLOUD_SDK_ID_TOKEN_FILE (CCE_HARDEN_METADATA=off rules out the instance metadata service).',
    );
    return { problems };
  }
  if (metadata !== 'on') {
    problems.push(`CCE_HARDEN_METADATA is "${metadata}": expected on or off.`);
    return { problems };
  }
  return {
    provider: new MetadataProvider(
      { endpoint: pick(env, 'metadataEndpoint'), timeoutMs, userAgent },
      log,
    ),
    problems,
  };
}

/** The global IAM endpoint (the same default as cloud/iam.ts, kept here to stay light). */
const DEFAULT_IAM_ENDPOINT = 'https://iam.myhuaweicloud.com';

const REGION_ID = /^[a-z]{2,}(-[a-z0-9]+)+$/;

/**
 * Whether a region without a configured project id is looked up, read-only, in IAM (the default),
 * or is a usage error (CCE_HARDEN_PROJECT_LOOKUP=off, for jobs that must make no IAM call).
 */
export function projectLookupEnabled(env: Record<string, string | undefined>): boolean {
  const v = pick(env, 'projectLookup');
  if (v === undefined || v === 'iam') return true;
  if (v === 'off') return false;
  throw new UsageError(`CCE_HARDEN_PROJECT_LOOKUP is "${v}": expected iam or off.`);
}

/**
 * Cloud settings for one region. Reports every missing piece at once, with what to set.
 * With `projectIdLookup` and credentials, a missing project id is not a problem: `projectId` is
 * then empty and the caller fills it in from IAM (cli/projects.ts).
 */
export function resolveCloudConfig(
  env: Record<string, string | undefined>,
  flags: ScopeFlags,
  region: string | undefined,
  resolvedProjectId?: string,
  opts: { projectIdLookup?: boolean; credentials?: CredentialChoice } = {},
): CloudConfig {
  const credentials = opts.credentials ?? resolveCredentials(env);
  const problems: string[] = [...credentials.problems];
  if (!region) {
    problems.push(
      'No region: pass --region (e.g. --region cn-north-4) or set HUAWEICLOUD_SDK_REGION.',
    );
  } else if (!REGION_ID.test(region)) {
    problems.push(`"${region}" does not look like a region id (e.g. cn-north-4, ap-southeast-1).`);
  }
  const ids = parseProjectIds(flags.projectId ?? pick(env, 'projectId'));
  const projectId =
    resolvedProjectId ?? (region ? ids.byRegion.get(region) : undefined) ?? ids.single;
  // The IAM look-up needs the credentials: without them, the project id is reported missing too.
  // Nothing configured: the metadata service is only a guess, so with other problems to report
  // the credentials are reported missing too, and the project id cannot be counted on from IAM.
  const guessing = credentials.provider?.source === 'metadata' && problems.length > 0;
  if (!projectId && !(opts.projectIdLookup && credentials.provider && !guessing)) {
    problems.push(
      region && ids.byRegion.size > 0
        ? `No project id for region ${region}: add ${region}=<id> to HUAWEICLOUD_SDK_PROJECT_ID or --project-id.`
        : 'No project id: pass --project-id or set HUAWEICLOUD_SDK_PROJECT_ID (project ids are per region; see "My Credentials" in the console).',
    );
  }
  if (projectId) {
    const p = projectIdProblem(
      projectId,
      region ? `The project id for ${region}` : 'The project id',
    );
    if (p) problems.push(p);
  }
  let timeoutMs: number = DURATION_LIMITS.timeout.default;
  try {
    timeoutMs = durationMs(env, 'timeout');
  } catch (err) {
    if (err instanceof UsageError) problems.push(...err.problems);
    else throw err;
  }
  if (guessing) {
    problems.unshift(
      'No credentials: set HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK, or HUAWEICLOUD_SDK_IDP_ID and HUAWEICLOUD_SDK_ID_TOKEN_FILE, or run on an ECS with an agency (instance metadata).',
    );
  }
  if (problems.length > 0) {
    throw new UsageError(problems, 'See .env.example for every variable cce-harden reads.');
  }
  const defaults = defaultEndpoints(region as string);
  return {
    credentials: credentials.provider as CredentialProvider,
    projectId: projectId ?? '',
    region: region as string,
    cceEndpoint: pick(env, 'cceEndpoint') ?? defaults.cce,
    vpcEndpoint: pick(env, 'vpcEndpoint') ?? defaults.vpc,
    timeoutMs,
    userAgent: 'cce-harden',
  };
}
