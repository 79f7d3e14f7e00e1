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
import { defaultSandboxStatePath } from '../sandbox/state-path.js';
import type { BoundCommand, CommandDefinition } from './command.js';
import type { GlobalOptions } from './context.js';
import type { GlobalFlags } from './program.js';
import { OUTPUT_FORMATS, type OutputFormat } from './output.js';

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

/** A value from the environment and the variable that supplied it (messages name the variable). */
export interface EnvValue {
  readonly value: string;
  readonly from: string;
}

/** Every variable cce-harden reads, validated and typed. Nothing else reads the environment. */
export interface EnvSettings {
  readonly ak?: EnvValue | undefined;
  readonly sk?: EnvValue | undefined;
  readonly securityToken?: EnvValue | undefined;
  readonly idpId?: EnvValue | undefined;
  readonly idTokenFile?: EnvValue | undefined;
  /** CCE_HARDEN_METADATA: ask the instance metadata service when nothing else is configured. */
  readonly metadata: boolean;
  readonly metadataEndpoint?: string | undefined;
  /** HUAWEICLOUD_SDK_PROJECT_ID as given (a --project-id flag wins over it). */
  readonly projectId?: string | undefined;
  /** HUAWEICLOUD_SDK_REGION as given (comma-separated; --region wins over it). */
  readonly region?: string | undefined;
  readonly cceEndpoint?: string | undefined;
  readonly vpcEndpoint?: string | undefined;
  readonly iamEndpoint?: string | undefined;
  /** CCE_HARDEN_PROJECT_LOOKUP: look a missing project id up read-only in IAM. */
  readonly projectLookup: boolean;
  readonly timeoutMs: number;
  /** CCE_HARDEN_RETRY_BASE_MS; undefined when not set (the retrier's own default then). */
  readonly retryBaseMs?: number | undefined;
  /** Where --sandbox keeps its world: CCE_HARDEN_SANDBOX_STATE, else the XDG state directory. */
  readonly sandboxState: string;
  /** KUBECONFIG: a list of files (merged as kubectl does); undefined when not set. */
  readonly kubeconfig?: readonly string[] | undefined;
  /** NO_COLOR is set. */
  readonly noColor: boolean;
}

/** KUBECONFIG is a list of files, separated as PATH is; empty entries are skipped. */
function kubeconfigList(value: string | undefined): string[] | undefined {
  const files = (value ?? '').split(path.delimiter).filter(Boolean);
  return files.length > 0 ? files : undefined;
}

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

function pick(env: Record<string, string | undefined>, key: EnvKey): EnvValue | undefined {
  for (const name of ENV_VARS[key]) {
    const v = env[name];
    if (v !== undefined && v.trim() !== '') return { value: v.trim(), from: name };
  }
  return undefined;
}

/**
 * Reads and validates every variable of ENV_VARS (and NO_COLOR, and the XDG/HOME defaults of the
 * sandbox state file) from `env`, the environment merged with .env. Problems are appended to
 * `problems`, all of them, not the first.
 */
export function readEnvSettings(
  env: Record<string, string | undefined>,
  problems: string[],
): EnvSettings {
  const value = (key: EnvKey) => pick(env, key)?.value;
  const choice = (key: EnvKey, values: readonly string[], fallback: string): string => {
    const v = value(key);
    if (v === undefined) return fallback;
    if (!values.includes(v)) {
      problems.push(`${ENV_VARS[key][0]} is "${v}": expected ${values.join(' or ')}.`);
      return fallback;
    }
    return v;
  };
  const duration = (key: keyof typeof DURATION_LIMITS): number | undefined => {
    try {
      return durationMs(value(key), key);
    } catch (err) {
      if (err instanceof UsageError) problems.push(...err.problems);
      else throw err;
      return undefined;
    }
  };
  const projectId = value('projectId');
  const region = value('region');
  const kubeconfig = value('kubeconfig');
  return {
    ak: pick(env, 'ak'),
    sk: pick(env, 'sk'),
    securityToken: pick(env, 'securityToken'),
    idpId: pick(env, 'idpId'),
    idTokenFile: pick(env, 'idTokenFile'),
    metadata: choice('metadata', ['on', 'off'], 'on') === 'on',
    metadataEndpoint: value('metadataEndpoint'),
    projectId,
    region,
    cceEndpoint: value('cceEndpoint'),
    vpcEndpoint: value('vpcEndpoint'),
    iamEndpoint: value('iamEndpoint'),
    projectLookup: choice('projectLookup', ['iam', 'off'], 'iam') === 'iam',
    timeoutMs: duration('timeout') ?? DURATION_LIMITS.timeout.default,
    retryBaseMs: value('retryBase') === undefined ? undefined : duration('retryBase'),
    sandboxState: defaultSandboxStatePath({
      CCE_HARDEN_SANDBOX_STATE: value('sandboxState'),
      XDG_STATE_HOME: env['XDG_STATE_HOME'],
      HOME: env['HOME'],
    }),
    kubeconfig: kubeconfigList(kubeconfig),
    noColor: env['NO_COLOR'] !== undefined,
  };
}

/** `abc` (one project for the one region) or `cn-north-4=abc,ap-southeast-1=def`. */
export function parseProjectIds(value: string | undefined, problems: string[]): ProjectIds {
  const byRegion = new Map<string, string>();
  if (!value) return { byRegion };
  if (!value.includes('=')) return { single: value, byRegion };
  for (const part of value.split(',')) {
    const [region, id] = part.split('=').map((s) => s.trim());
    if (!region || !id)
      problems.push(`Cannot read project id mapping "${part}": expected region=project-id.`);
    else byRegion.set(region, id);
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
export function durationMs(raw: string | undefined, key: keyof typeof DURATION_LIMITS): number {
  const limits = DURATION_LIMITS[key];
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
function nameOf(v: EnvValue | undefined, key: EnvKey): string {
  return v?.from ?? (ENV_VARS[key][0] as string);
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
export function resolveCredentials(env: EnvSettings, log?: CredentialLog): CredentialChoice {
  const problems: string[] = [];
  const { ak, sk, securityToken: token } = env;
  const timeoutMs = env.timeoutMs;
  const userAgent = 'cce-harden';
  if (ak || sk) {
    if (!ak)
      problems.push(
        `No access key: ${nameOf(sk, 'sk')} is set, so set HUAWEICLOUD_SDK_AK (or HW_ACCESS_KEY) too.`,
      );
    if (!sk)
      problems.push(
        `No secret key: ${nameOf(ak, 'ak')} is set, so set HUAWEICLOUD_SDK_SK (or HW_SECRET_KEY) too.`,
      );
    if (!ak || !sk) return { problems };
    const names = `${ak.from} / ${sk.from}${token ? ` / ${token.from}` : ''}`;
    return {
      provider: accessKeyProvider({
        ak: ak.value,
        sk: sk.value,
        securityToken: token?.value,
        description: `access keys from ${names}`,
      }),
      problems,
    };
  }
  if (token) {
    problems.push(
      `${token.from} is set without HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK: a security token needs its temporary key pair.`,
    );
    return { problems };
  }
  const { idpId, idTokenFile } = env;
  if (idpId || idTokenFile) {
    if (!idpId)
      problems.push(
        'HUAWEICLOUD_SDK_ID_TOKEN_FILE is set but HUAWEICLOUD_SDK_IDP_ID is not: set the identity provider id too.',
      );
    if (!idTokenFile)
      problems.push(
        'HUAWEICLOUD_SDK_IDP_ID is set but HUAWEICLOUD_SDK_ID_TOKEN_FILE is not: set the path of the ID token file too.',
      );
    if (!idpId || !idTokenFile) return { problems };
    return {
      provider: new OidcProvider(
        {
          idpId: idpId.value,
          idTokenFile: path.resolve(idTokenFile.value),
          iamEndpoint: env.iamEndpoint ?? DEFAULT_IAM_ENDPOINT,
          timeoutMs,
          userAgent,
        },
        log,
      ),
      problems,
    };
  }
  if (!env.metadata) {
    problems.push(
      'No credentials: set HUAWEICLOUD_SDK_AK and HUAWEICLOUD_SDK_SK, or HUAWEICLOUD_SDK_IDP_ID and HUAWEICLOUD_SDK_ID_TOKEN_FILE (CCE_HARDEN_METADATA=off rules out the instance metadata service).',
    );
    return { problems };
  }
  return {
    provider: new MetadataProvider({ endpoint: env.metadataEndpoint, timeoutMs, userAgent }, log),
    problems,
  };
}

/** The global IAM endpoint (the same default as cloud/iam.ts, kept here to stay light). */
const DEFAULT_IAM_ENDPOINT = 'https://iam.myhuaweicloud.com';

const REGION_ID = /^[a-z]{2,}(-[a-z0-9]+)+$/;

/**
 * Cloud settings for one region. Reports every missing piece at once, with what to set.
 * With `projectIdLookup` (CCE_HARDEN_PROJECT_LOOKUP=iam) and credentials, a missing project id is
 * not a problem: `projectId` is then empty and the caller fills it in from IAM (cli/projects.ts).
 */
export function resolveCloudConfig(
  config: Config,
  region: string | undefined,
  opts: { credentials?: CredentialChoice } = {},
): CloudConfig {
  const env = config.env;
  const credentials = opts.credentials ?? resolveCredentials(env);
  const problems: string[] = [...credentials.problems];
  if (!region) {
    problems.push(
      'No region: pass --region (e.g. --region cn-north-4) or set HUAWEICLOUD_SDK_REGION.',
    );
  } else if (!REGION_ID.test(region)) {
    problems.push(`"${region}" does not look like a region id (e.g. cn-north-4, ap-southeast-1).`);
  }
  const ids = parseProjectIds(config.global.projectId ?? env.projectId, problems);
  const projectId = (region ? ids.byRegion.get(region) : undefined) ?? ids.single;
  // The IAM look-up needs the credentials: without them, the project id is reported missing too.
  // Nothing configured: the metadata service is only a guess, so with other problems to report
  // the credentials are reported missing too, and the project id cannot be counted on from IAM.
  const guessing = credentials.provider?.source === 'metadata' && problems.length > 0;
  if (!projectId && !(env.projectLookup && credentials.provider && !guessing)) {
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
    cceEndpoint: env.cceEndpoint ?? defaults.cce,
    vpcEndpoint: env.vpcEndpoint ?? defaults.vpc,
    timeoutMs: env.timeoutMs,
    userAgent: 'cce-harden',
  };
}

/** The run's settings: the global flags and the environment, validated once and frozen. */
export interface Config {
  readonly global: Readonly<GlobalOptions>;
  readonly env: EnvSettings;
  /** The values to remove from every output: the configured AK, SK and security token. */
  readonly secrets: readonly string[];
  /** The command, bound to its typed options. */
  readonly command: BoundCommand;
}

export interface ProjectIds {
  readonly single?: string | undefined;
  readonly byRegion: ReadonlyMap<string, string>;
}

/** --json wins; an unknown format cannot pass commander's choices, text otherwise. */
export function outputFormatOf(flags: {
  output: string;
  json?: boolean | undefined;
}): OutputFormat {
  const output = flags.json ? 'json' : flags.output;
  return (OUTPUT_FORMATS as readonly string[]).includes(output) ? (output as OutputFormat) : 'text';
}

/**
 * The one read of the configuration: the command line (the command, its flags and the global
 * ones, as commander parsed them) over the environment (`env`, merged with .env by loadEnv).
 * Every variable and flag value is validated here, the command's own rules included, and every
 * problem is reported at once (UsageError, exit 64). `stderrIsTTY` settles colour.
 */
export function loadConfig(
  invocation: {
    command: CommandDefinition;
    flags: Readonly<Record<string, unknown>>;
    global: GlobalFlags;
  },
  env: Record<string, string | undefined>,
  opts: { stderrIsTTY: boolean },
): Config {
  const { global } = invocation;
  const problems: string[] = [];
  const settings = readEnvSettings(env, problems);
  const output = outputFormatOf(global);
  const color =
    global.color !== false && !settings.noColor && opts.stderrIsTTY && output === 'text';
  parseProjectIds(global.projectId ?? settings.projectId, problems);
  for (const region of parseRegions(global.region ?? settings.region)) {
    if (!REGION_ID.test(region))
      problems.push(
        `"${region}" does not look like a region id (e.g. cn-north-4, ap-southeast-1).`,
      );
  }
  // Problems of the environment and the global flags point at .env.example; the command's own
  // at its help.
  const envProblems = problems.length;
  const { json: _json, ...rest } = global;
  const settled: GlobalOptions = { ...rest, output, color };
  const command = invocation.command.bind(
    invocation.flags,
    { global: settled, env: settings },
    problems,
  );
  if (problems.length > 0) {
    throw new UsageError(
      problems,
      envProblems > 0
        ? 'See .env.example for every variable cce-harden reads.'
        : invocation.command.usageHint,
    );
  }
  return deepFreeze({
    global: settled,
    command,
    env: settings,
    secrets: [settings.ak?.value, settings.sk?.value, settings.securityToken?.value].filter(
      (v): v is string => v !== undefined,
    ),
  });
}

/** What `--sandbox` replaces: the sandbox's endpoint, demo credentials and project ids. */
export interface SandboxTarget {
  url: string;
  credentials: { ak: string; sk: string; region: string };
  projects: readonly { id: string; region: string }[];
}

/**
 * `--sandbox` as a transformation of the configuration: endpoints, credentials and project ids
 * become the sandbox's, so real credentials and endpoints are never sent anywhere; a KUBECONFIG
 * from the environment names a real cluster and is dropped. Flags still pick the region.
 */
export function withSandbox(config: Config, target: SandboxTarget): Config {
  return deepFreeze({
    ...config,
    global: { ...config.global, projectId: undefined },
    env: {
      ...config.env,
      ak: { value: target.credentials.ak, from: ENV_VARS.ak[0] },
      sk: { value: target.credentials.sk, from: ENV_VARS.sk[0] },
      securityToken: undefined,
      idpId: undefined,
      idTokenFile: undefined,
      metadataEndpoint: undefined,
      projectId:
        target.projects.length === 1
          ? (target.projects[0]?.id ?? '')
          : target.projects.map((p) => `${p.region}=${p.id}`).join(','),
      region: target.credentials.region,
      cceEndpoint: target.url,
      vpcEndpoint: target.url,
      iamEndpoint: target.url,
      kubeconfig: undefined,
    },
  });
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value) && !(value instanceof Map)) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}
