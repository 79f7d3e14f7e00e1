import { readFile } from 'node:fs/promises';
import { AuthError, CloudError, UsageError } from '../core/errors.js';
import { errorOf, printable, request, TransportError, type Answer } from './small-http.js';

/**
 * Where cloud credentials come from, in this order (the first one configured wins):
 *
 * 1. access keys: HUAWEICLOUD_SDK_AK + HUAWEICLOUD_SDK_SK (+ HUAWEICLOUD_SDK_SECURITY_TOKEN), from
 *    the environment or .env;
 * 2. OIDC federation: HUAWEICLOUD_SDK_IDP_ID + HUAWEICLOUD_SDK_ID_TOKEN_FILE (CCE workload
 *    identity). The ID token is exchanged at IAM for an unscoped token (`POST
 *    /v3.0/OS-AUTH/id-token/tokens`, `X-Idp-Id`), and that for temporary AK/SK/security token
 *    (`POST /v3.0/OS-CREDENTIAL/securitytokens`, `X-Auth-Token`);
 * 3. the ECS/BMS instance metadata service (an IAM agency on the instance): `GET
 *    <endpoint>/openstack/latest/securitykey`, only when nothing else is configured, with a short
 *    connect timeout, and never with CCE_HARDEN_METADATA=off.
 *
 * One provider serves a whole run: every region's SDK clients and the IAM project look-up. It
 * caches temporary credentials, refreshes them before they expire, and refreshes once more when
 * the gateway answers that they expired. Descriptions name the source, never a value.
 */

export interface Credentials {
  readonly ak: string;
  readonly sk: string;
  readonly securityToken?: string | undefined;
  /** Epoch ms; undefined for permanent keys. */
  readonly expiresAt?: number | undefined;
}

export type CredentialSource = 'access-keys' | 'oidc' | 'metadata';

export interface CredentialProvider {
  readonly source: CredentialSource;
  /** Names the source (variable names, identity provider id, endpoint), never a value. */
  readonly description: string;
  /** Valid credentials; temporary ones are refreshed shortly before they expire. */
  get(): Promise<Credentials>;
  /**
   * The cloud refused `stale` as expired: fetch new credentials (once for any number of callers
   * holding the same stale set). Permanent keys cannot be refreshed: an AuthError says so.
   */
  refresh(stale: Credentials): Promise<Credentials>;
}

/**
 * Everyone who must know every credential value the run obtains (the output redactor): temporary
 * credentials are fetched long after the output streams were set up.
 */
const issuedListeners = new Set<(creds: Credentials) => void>();

/** Calls `listener` with every set of temporary credentials fetched from now on; returns an unsubscribe. */
export function onCredentialsIssued(listener: (creds: Credentials) => void): () => void {
  issuedListeners.add(listener);
  return () => issuedListeners.delete(listener);
}

/** Logs what the provider does (sources, expiry times), for --debug. Never values. */
export type CredentialLog = (message: string) => void;

/** A 401 that says the (temporary) credentials expired: APIGW.0307, or a 401 saying "expire". */
export function isExpiredCredentialAnswer(err: unknown): boolean {
  const e = (err ?? {}) as {
    httpStatusCode?: unknown;
    httpStatus?: unknown;
    errorCode?: unknown;
    errorMsg?: unknown;
    message?: unknown;
  };
  const status = e.httpStatusCode ?? e.httpStatus;
  if (status !== 401) return false;
  if (e.errorCode === 'APIGW.0307') return true;
  const msg = `${typeof e.errorMsg === 'string' ? e.errorMsg : ''} ${typeof e.message === 'string' ? e.message : ''}`;
  // The gateway's expired-token wording ("token expires, expires_at: ..."), not a stale signature.
  return /token (has )?expire|expired token|token.{0,20}expired/i.test(msg);
}

// ---------------------------------------------------------------------------------------------
// 1. Access keys

export function accessKeyProvider(keys: {
  ak: string;
  sk: string;
  securityToken?: string | undefined;
  /** e.g. "access keys from HUAWEICLOUD_SDK_AK / HUAWEICLOUD_SDK_SK" */
  description?: string;
}): CredentialProvider {
  const creds: Credentials = {
    ak: keys.ak,
    sk: keys.sk,
    ...(keys.securityToken ? { securityToken: keys.securityToken } : {}),
  };
  const description = keys.description ?? 'access keys';
  return {
    source: 'access-keys',
    description,
    get: () => Promise.resolve(creds),
    refresh: () =>
      Promise.reject(
        new AuthError(
          `The cloud refused the credentials (${description}) as expired, and access keys cannot be refreshed.`,
          { httpStatus: 401 },
          keys.securityToken
            ? 'HUAWEICLOUD_SDK_SECURITY_TOKEN holds temporary credentials that have expired: get new ones, or use OIDC federation or an ECS agency, which cce-harden refreshes itself (docs/keyless.md).'
            : "Check this machine's clock, and the access key in IAM.",
        ),
      ),
  };
}

// ---------------------------------------------------------------------------------------------
// Refreshing temporary credentials

/** Refresh when less than this share of the lifetime is left, and at most this long before. */
const REFRESH_SHARE = 0.25;
const MAX_REFRESH_AHEAD_MS = 5 * 60 * 1000;
/**
 * Never fetch ahead of time more often than this: with a clock far off the cloud's, credentials
 * may look expired on arrival, and every call would otherwise fetch again. A real "expired"
 * answer still refreshes at once.
 */
const MIN_FETCH_INTERVAL_MS = 1000;

/** Caching, refresh-ahead and single-flight for temporary credentials. */
abstract class TemporaryProvider implements CredentialProvider {
  abstract readonly source: CredentialSource;
  abstract readonly description: string;
  private current: { creds: Credentials; obtainedAt: number } | undefined;
  private pending: Promise<Credentials> | undefined;
  /** Fetches made (tests and --debug read it). */
  fetches = 0;

  constructor(
    protected readonly log: CredentialLog = () => {},
    private readonly now: () => number = Date.now,
  ) {}

  protected abstract fetch(): Promise<Credentials>;

  get(): Promise<Credentials> {
    const c = this.current;
    if (c && !this.dueForRefresh(c.creds, c.obtainedAt)) return Promise.resolve(c.creds);
    return this.fetchOnce(c ? 'they expire soon' : undefined);
  }

  refresh(stale: Credentials): Promise<Credentials> {
    const c = this.current;
    // Someone else already replaced the stale set: use theirs.
    if (c && c.creds !== stale) return Promise.resolve(c.creds);
    if (this.pending) return this.pending;
    return this.fetchOnce('the cloud answered that they expired');
  }

  private dueForRefresh(creds: Credentials, obtainedAt: number): boolean {
    if (creds.expiresAt === undefined) return false;
    if (this.now() - obtainedAt < MIN_FETCH_INTERVAL_MS) return false;
    const lifetime = Math.max(0, creds.expiresAt - obtainedAt);
    const ahead = Math.min(MAX_REFRESH_AHEAD_MS, lifetime * REFRESH_SHARE);
    return this.now() >= creds.expiresAt - ahead;
  }

  private fetchOnce(why: string | undefined): Promise<Credentials> {
    this.pending ??= (async () => {
      try {
        if (why) this.log(`refreshing temporary credentials from ${this.description}: ${why}`);
        const obtainedAt = this.now();
        const creds = await this.fetch();
        this.fetches++;
        for (const listener of issuedListeners) listener(creds);
        this.current = { creds, obtainedAt };
        this.log(
          `credentials: ${this.description}; temporary, valid until ${
            creds.expiresAt === undefined
              ? 'an unknown time'
              : new Date(creds.expiresAt).toISOString()
          }`,
        );
        return creds;
      } finally {
        this.pending = undefined;
      }
    })();
    return this.pending;
  }
}

function describeStatus(a: Answer): string {
  const { code, message } = errorOf(a.body);
  return `HTTP ${a.status}${code ? ` ${code}` : ''}${message ? `: ${message}` : ''}`;
}

/** `{credential: {access, secret, securitytoken, expires_at}}`, the IAM and metadata shape. */
function credentialFrom(body: unknown, what: string): Credentials {
  const c = (body as { credential?: unknown } | null)?.credential as
    | { access?: unknown; secret?: unknown; securitytoken?: unknown; expires_at?: unknown }
    | undefined;
  const ok = (v: unknown): v is string =>
    typeof v === 'string' && v.length > 0 && v.length <= 16384 && !/\s/.test(v);
  if (!c || !ok(c.access) || !ok(c.secret) || !ok(c.securitytoken)) {
    throw new TransportError(
      `${what} has no complete "credential" (access, secret, securitytoken)`,
    );
  }
  const expires = typeof c.expires_at === 'string' ? Date.parse(c.expires_at) : Number.NaN;
  if (!Number.isFinite(expires)) {
    throw new TransportError(`${what} has no valid "expires_at"`);
  }
  return { ak: c.access, sk: c.secret, securityToken: c.securitytoken, expiresAt: expires };
}

// ---------------------------------------------------------------------------------------------
// 2. OIDC federation

export interface OidcSettings {
  idpId: string;
  idTokenFile: string;
  /** IAM base URL. */
  iamEndpoint: string;
  /** Requested lifetime of the temporary credentials (IAM allows 900..86400 s). */
  durationSeconds?: number;
  timeoutMs: number;
  userAgent: string;
}

const MAX_ID_TOKEN_BYTES = 32 * 1024;

export class OidcProvider extends TemporaryProvider {
  readonly source = 'oidc' as const;
  readonly description: string;

  constructor(
    private readonly settings: OidcSettings,
    log?: CredentialLog,
    now?: () => number,
  ) {
    super(log, now);
    this.description = `OIDC federation (identity provider ${printable(settings.idpId, 80)}, ID token file ${settings.idTokenFile})`;
  }

  /**
   * A refusal (4xx) is an AuthError; no answer, a 5xx or 429 is a retryable CloudError (the run's
   * Retrier retries it); a local problem (the token file) is a CloudError that is not retried.
   */
  private fail(
    why: string,
    details: { httpStatus?: number; requestId?: string } = {},
    transient = false,
  ): never {
    const message = `Could not get credentials from ${this.description}: ${why}`;
    const hint =
      'Check HUAWEICLOUD_SDK_IDP_ID (the identity provider id in IAM), that the file holds a current service-account token whose audience is the client id of that identity provider, and the identity conversion rules (docs/keyless.md).';
    const operation = 'CreateTokenWithIdToken';
    const status = details.httpStatus;
    if (status !== undefined && status < 500 && status !== 429) {
      throw new AuthError(message, { ...details, operation }, hint);
    }
    const retryable = transient || status === 429 || (status ?? 0) >= 500;
    throw new CloudError(message, { ...details, operation, retryable }, hint);
  }

  private async readIdToken(): Promise<string> {
    let raw: Buffer;
    try {
      // Read again on every fetch: the kubelet rotates the projected token.
      raw = await readFile(this.settings.idTokenFile);
    } catch (err) {
      return this.fail(
        `the ID token file cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
    if (raw.length > MAX_ID_TOKEN_BYTES) return this.fail('the ID token file is too large');
    const token = raw.toString('utf8').trim();
    if (!token) return this.fail('the ID token file is empty');
    if (/\s/.test(token)) return this.fail('the ID token file holds more than one token');
    return token;
  }

  protected async fetch(): Promise<Credentials> {
    const idToken = await this.readIdToken();
    const base = this.settings.iamEndpoint.replace(/\/+$/, '');
    const common = {
      'content-type': 'application/json;charset=utf8',
      accept: 'application/json',
      'user-agent': this.settings.userAgent,
    };
    let unscoped: Answer;
    try {
      unscoped = await request(new URL(`${base}/v3.0/OS-AUTH/id-token/tokens`), {
        method: 'POST',
        headers: { ...common, 'x-idp-id': this.settings.idpId },
        body: JSON.stringify({ auth: { id_token: { id: idToken } } }),
        timeoutMs: this.settings.timeoutMs,
      });
    } catch (err) {
      return this.fail(
        `IAM at ${base} could not be reached (${printable((err as Error).message)})`,
      );
    }
    if (unscoped.status !== 201 && unscoped.status !== 200) {
      return this.fail(`IAM refused the ID token (${describeStatus(unscoped)})`, {
        httpStatus: unscoped.status,
        ...(unscoped.requestId ? { requestId: unscoped.requestId } : {}),
      });
    }
    const subject = unscoped.headers['x-subject-token'];
    const token = Array.isArray(subject) ? subject[0] : subject;
    if (!token || token.length > 65536) {
      return this.fail('IAM answered without an X-Subject-Token header');
    }
    let issued: Answer;
    try {
      issued = await request(new URL(`${base}/v3.0/OS-CREDENTIAL/securitytokens`), {
        method: 'POST',
        headers: { ...common, 'x-auth-token': token },
        body: JSON.stringify({
          auth: {
            identity: {
              methods: ['token'],
              token: { duration_seconds: this.settings.durationSeconds ?? 3600 },
            },
          },
        }),
        timeoutMs: this.settings.timeoutMs,
      });
    } catch (err) {
      return this.fail(
        `IAM at ${base} could not be reached (${printable((err as Error).message)})`,
      );
    }
    if (issued.status !== 201 && issued.status !== 200) {
      return this.fail(
        `IAM accepted the ID token but refused temporary credentials (${describeStatus(issued)})`,
        { httpStatus: issued.status, ...(issued.requestId ? { requestId: issued.requestId } : {}) },
      );
    }
    try {
      return credentialFrom(issued.body, "IAM's answer");
    } catch (err) {
      return this.fail((err as Error).message);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// 3. Instance metadata (ECS/BMS agency)

export const DEFAULT_METADATA_ENDPOINT = 'http://169.254.169.254';
/** A laptop has no metadata service: give up on the connection quickly. */
export const METADATA_CONNECT_TIMEOUT_MS = 1000;

export interface MetadataSettings {
  /** Base URL, default DEFAULT_METADATA_ENDPOINT. */
  endpoint?: string | undefined;
  connectTimeoutMs?: number;
  timeoutMs: number;
  userAgent: string;
}

export class MetadataProvider extends TemporaryProvider {
  readonly source = 'metadata' as const;
  readonly description: string;
  private readonly base: string;

  constructor(
    private readonly settings: MetadataSettings,
    log?: CredentialLog,
    now?: () => number,
  ) {
    super(log, now);
    this.base = (settings.endpoint ?? DEFAULT_METADATA_ENDPOINT).replace(/\/+$/, '');
    this.description = `the instance metadata service (${this.base}, the ECS agency)`;
  }

  protected async fetch(): Promise<Credentials> {
    const hint =
      'No access keys and no OIDC federation are configured, so cce-harden asked the ECS metadata service. Off ECS: set HUAWEICLOUD_SDK_AK/SK, or HUAWEICLOUD_SDK_IDP_ID and HUAWEICLOUD_SDK_ID_TOKEN_FILE (CCE_HARDEN_METADATA=off skips the metadata service). On ECS: attach an agency to the instance (docs/keyless.md).';
    let answer: Answer;
    try {
      answer = await request(new URL(`${this.base}/openstack/latest/securitykey`), {
        method: 'GET',
        headers: { accept: 'application/json', 'user-agent': this.settings.userAgent },
        timeoutMs: Math.min(this.settings.timeoutMs, 5000),
        connectTimeoutMs: this.settings.connectTimeoutMs ?? METADATA_CONNECT_TIMEOUT_MS,
      });
    } catch (err) {
      // Nothing configured and no metadata service: as before keyless sources, a usage error.
      throw new UsageError(
        `No credentials: none are configured, and ${this.description} did not answer (${printable((err as Error).message)}).`,
        hint,
      );
    }
    if (answer.status >= 500 || answer.status === 429) {
      throw new CloudError(
        `No credentials from ${this.description}: ${describeStatus(answer)}.`,
        { httpStatus: answer.status, operation: 'GetSecurityKey', retryable: true },
        hint,
      );
    }
    if (answer.status !== 200) {
      throw new AuthError(
        `No credentials from ${this.description}: ${describeStatus(answer)}${answer.status === 404 ? ' (is an agency attached to this instance?)' : ''}.`,
        { httpStatus: answer.status, operation: 'GetSecurityKey' },
        hint,
      );
    }
    try {
      return credentialFrom(answer.body, "the metadata service's answer");
    } catch (err) {
      throw new AuthError(
        `No credentials from ${this.description}: ${(err as Error).message}.`,
        { operation: 'GetSecurityKey' },
        hint,
      );
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Using a provider around one call

/**
 * Runs `call` with current credentials; when the cloud answers that they expired, refreshes once
 * and runs it again. A second "expired" becomes an AuthError naming the source.
 */
export async function withCredentials<T>(
  provider: CredentialProvider,
  call: (creds: Credentials) => Promise<T>,
): Promise<T> {
  const first = await provider.get();
  try {
    return await call(first);
  } catch (err) {
    if (!isExpiredCredentialAnswer(err)) throw err;
    const fresh = await provider.refresh(first);
    try {
      return await call(fresh);
    } catch (again) {
      if (!isExpiredCredentialAnswer(again)) throw again;
      const e = again as { requestId?: unknown; errorCode?: unknown };
      throw new AuthError(
        `The cloud refused the credentials from ${provider.description} as expired, also right after they were refreshed.`,
        {
          httpStatus: 401,
          ...(typeof e.errorCode === 'string' ? { errorCode: e.errorCode } : {}),
          ...(typeof e.requestId === 'string' ? { requestId: e.requestId } : {}),
        },
        "Check this machine's clock (it must be within 15 minutes of real time) and the lifetime of the temporary credentials.",
      );
    }
  }
}
