import { AuthError, CloudError, NotFoundError } from '../core/errors.js';
import { withCredentials, type CredentialProvider, type Credentials } from './credentials.js';
import type { Retrier } from './retry.js';
import { errorOf, request } from './small-http.js';
import { signRequest } from './signer.js';

/**
 * Read-only project id look-up: IAM KeystoneListProjects, `GET /v3/projects?name=<region>`.
 *
 * The SDK can do this itself when a client is built with `withRegion()` and no project id, but
 * when IAM does not answer with exactly one project it goes on to *create* one (`POST
 * /v3/projects`; docs/cloud-api.md, "SDK behaviour" and "Projects (IAM)"). A hardening tool must
 * never create anything in IAM, so the look-up is done here with a single signed GET and its
 * answer is checked: exactly one project, or a clear error for that region.
 */

/** The global IAM endpoint the SDK uses by default (docs/cloud-api.md, "Projects (IAM)"). */
export const DEFAULT_IAM_ENDPOINT = 'https://iam.myhuaweicloud.com';

export interface IamSettings {
  /** The run's credentials, the same provider the SDK clients use. */
  credentials: CredentialProvider;
  /** Base URL; default DEFAULT_IAM_ENDPOINT. */
  endpoint?: string | undefined;
  timeoutMs: number;
  userAgent: string;
}

interface WireProject {
  id?: string;
  name?: string;
  enabled?: boolean;
}

/** What a failed HTTP answer looks like to translateSdkError (the SDK exception's fields). */
class IamHttpError extends Error {
  constructor(
    message: string,
    readonly httpStatusCode: number | undefined,
    readonly errorCode: string | undefined,
    readonly errorMsg: string,
    readonly requestId: string | undefined,
  ) {
    super(message);
    this.name = 'IamHttpError';
  }
}

interface JsonAnswer {
  status: number;
  body: unknown;
  requestId: string | undefined;
}

async function getJson(
  url: URL,
  headers: Record<string, string>,
  timeoutMs: number,
): Promise<JsonAnswer> {
  try {
    const answer = await request(url, { method: 'GET', headers, timeoutMs });
    return { status: answer.status, body: answer.body, requestId: answer.requestId };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new IamHttpError(message, undefined, undefined, message, undefined);
  }
}

const MAPPING_HINT = (region: string) =>
  `Set the project id yourself: HUAWEICLOUD_SDK_PROJECT_ID=${region}=<project id> (see "My Credentials" in the console).`;

/** Resolves and caches one project id per region for the whole run. */
export class IamProjectResolver {
  private readonly cache = new Map<string, Promise<string>>();
  private readonly endpoint: string;

  constructor(
    private readonly settings: IamSettings,
    private readonly retrier: Retrier,
  ) {
    this.endpoint = (settings.endpoint ?? DEFAULT_IAM_ENDPOINT).replace(/\/+$/, '');
  }

  /** The one project named after the region; regions asked for twice cost one request. */
  projectIdOf(region: string): Promise<string> {
    let pending = this.cache.get(region);
    if (!pending) {
      pending = this.lookUp(region);
      this.cache.set(region, pending);
    }
    return pending;
  }

  private async lookUp(region: string): Promise<string> {
    const operation = 'KeystoneListProjects';
    let answer: JsonAnswer;
    try {
      answer = await this.retrier.run(operation, () => this.request(region));
    } catch (err) {
      throw withIamHint(err, region);
    }
    const projects = (answer.body as { projects?: unknown } | null)?.projects;
    if (!Array.isArray(projects)) {
      throw new CloudError(
        `${operation} for ${region}: the answer has no "projects" list; is ${this.endpoint} an IAM endpoint?`,
        { operation, requestId: answer.requestId },
        `Check CCE_HARDEN_IAM_ENDPOINT. ${MAPPING_HINT(region)}`,
      );
    }
    // The API filters by name; filter again so a lenient endpoint cannot hand over another region.
    const named = (projects as WireProject[]).filter(
      (p) => p.name === region && typeof p.id === 'string',
    );
    if (named.length === 1) return (named[0] as { id: string }).id;
    if (named.length === 0) {
      throw new NotFoundError(
        `IAM has no project named ${region} that these credentials can see; cce-harden never creates one.`,
        `Check the region id, or that the IAM user may list projects (iam:projects:listProjects). ${MAPPING_HINT(region)}`,
      );
    }
    throw new NotFoundError(
      `IAM lists ${named.length} projects named ${region} (${named.map((p) => p.id).join(', ')}): cce-harden does not guess which one to check.`,
      MAPPING_HINT(region),
    );
  }

  private request(region: string): Promise<JsonAnswer> {
    return withCredentials(this.settings.credentials, (creds) => this.signedGet(region, creds));
  }

  private async signedGet(region: string, creds: Credentials): Promise<JsonAnswer> {
    const url = new URL(`${this.endpoint}/v3/projects`);
    url.searchParams.set('name', region);
    const { headers } = signRequest(
      {
        method: 'GET',
        url: url.href,
        headers: {
          'content-type': 'application/json',
          ...(creds.securityToken ? { 'x-security-token': creds.securityToken } : {}),
        },
      },
      { ak: creds.ak, sk: creds.sk },
    );
    // Added after signing, as the SDK does: not part of the signature.
    headers['user-agent'] = this.settings.userAgent;
    headers['accept'] = 'application/json';
    const answer = await getJson(url, headers, this.settings.timeoutMs);
    if (answer.status < 200 || answer.status >= 300) {
      const { code, message } = errorOf(answer.body);
      const msg = message ?? (typeof answer.body === 'string' ? answer.body : 'no error message');
      throw new IamHttpError(msg, answer.status, code, msg, answer.requestId);
    }
    return answer;
  }
}

/** Permission problems on IAM need IAM's permission, not the CCE/VPC ones the generic hint names. */
function withIamHint(err: unknown, region: string): unknown {
  if (err instanceof AuthError && err.httpStatus === 403) {
    return new AuthError(
      err.message,
      {
        httpStatus: err.httpStatus,
        errorCode: err.errorCode,
        requestId: err.requestId,
        operation: err.operation,
      },
      `Looking up the project id needs the IAM permission iam:projects:listProjects. ${MAPPING_HINT(region)}`,
    );
  }
  return err;
}
