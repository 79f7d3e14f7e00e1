import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ApiFailure, gatewayFail } from './http/api-failure.js';

/**
 * Keyless credentials: the sandbox's own OIDC issuer (standing in for a CCE cluster's
 * service-account token issuer), IAM's identity provider + token exchange, the temporary
 * AK/SK/security tokens IAM and the ECS metadata service hand out, and the gateway's refusal of
 * expired ones. See SPEC.md, "Keyless credentials".
 */

export interface FederationOptions {
  /** IAM identity provider id expected in `X-Idp-Id`. Default `cce-harden-sandbox`. */
  idpId?: string;
  /** The identity provider's client id: the `aud` its ID tokens must carry. Default `cce-harden`. */
  clientId?: string;
  /** `iss` of the ID tokens. Default CCE's in-cluster issuer. */
  issuer?: string;
  /**
   * Lifetime of temporary credentials, in ms; shorter than IAM's 15-minute minimum so that a test
   * outlives it. The shorter of this and the requested `duration_seconds` wins. Default 1 hour.
   */
  credentialLifetimeMs?: number;
  /** Serve `GET /openstack/latest/securitykey` (an ECS with an agency). Default true. */
  metadata?: boolean;
}

export interface IdTokenOptions {
  /** Default `system:serviceaccount:cce-harden:cce-harden`. */
  subject?: string;
  /** Default the identity provider's client id. */
  audience?: string;
  /** Default the issuer. */
  issuer?: string;
  /** Seconds from now; negative for an already expired token. Default 3600. */
  ttlSeconds?: number;
}

export interface IssuedCredential {
  ak: string;
  sk: string;
  securityToken: string;
  expiresAt: Date;
  /** `oidc` (IAM exchange) or `metadata` (the instance's agency). */
  via: 'oidc' | 'metadata';
}

export interface FederationHandle {
  readonly idpId: string;
  readonly clientId: string;
  readonly issuer: string;
  /** A token signed by the sandbox's issuer, as a kubelet would project it. */
  issueIdToken(opts?: IdTokenOptions): string;
  /** Writes `issueIdToken(opts)` to a new file (in `dir`, default a temp dir); returns its path. */
  writeIdTokenFile(opts?: IdTokenOptions & { dir?: string }): string;
  /** Every temporary credential handed out so far, secrets included (for tests). */
  issued(): readonly IssuedCredential[];
  credentialLifetimeMs: number;
  metadata: boolean;
}

export const DEFAULT_IDP_ID = 'cce-harden-sandbox';
export const DEFAULT_CLIENT_ID = 'cce-harden';
export const DEFAULT_ISSUER = 'https://kubernetes.default.svc.cluster.local';
const DEFAULT_SUBJECT = 'system:serviceaccount:cce-harden:cce-harden';

/** IAM accepts 900..86400 s for temporary credentials. */
const MIN_DURATION_S = 900;
const MAX_DURATION_S = 86400;
const UNSCOPED_TOKEN_MS = 24 * 3600 * 1000;

const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');

/** IAM's time format: microseconds and a Z. */
function iamTime(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

const randomUpper = (n: number) => {
  const A = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  return [...randomBytes(n)].map((x) => A.charAt(x % A.length)).join('');
};

/** Keystone-style error body, as IAM's federation APIs answer. */
function iamFail(status: number, title: string, message: string): ApiFailure {
  return Object.assign(gatewayFail(status, `IAM.${status}`, message), {
    keystone: { error: { code: status, title, message } },
  });
}

export interface FederationReply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

type Headers = Readonly<Record<string, string | string[] | undefined>>;

export class Federation implements FederationHandle {
  readonly idpId: string;
  readonly clientId: string;
  readonly issuer: string;
  credentialLifetimeMs: number;
  metadata: boolean;
  private readonly signingKey = randomBytes(32);
  private readonly unscoped = new Map<string, { expiresAt: number; subject: string }>();
  private readonly byAk = new Map<string, IssuedCredential>();

  constructor(
    opts: FederationOptions = {},
    private readonly now: () => Date = () => new Date(),
  ) {
    this.idpId = opts.idpId ?? DEFAULT_IDP_ID;
    this.clientId = opts.clientId ?? DEFAULT_CLIENT_ID;
    this.issuer = opts.issuer ?? DEFAULT_ISSUER;
    this.credentialLifetimeMs = opts.credentialLifetimeMs ?? 3600 * 1000;
    this.metadata = opts.metadata ?? true;
  }

  issueIdToken(opts: IdTokenOptions = {}): string {
    const iat = Math.floor(this.now().getTime() / 1000);
    const header = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT', kid: 'sandbox' }));
    const payload = b64url(
      JSON.stringify({
        iss: opts.issuer ?? this.issuer,
        sub: opts.subject ?? DEFAULT_SUBJECT,
        aud: [opts.audience ?? this.clientId],
        iat,
        nbf: iat,
        exp: iat + (opts.ttlSeconds ?? 3600),
      }),
    );
    const sig = b64url(
      createHmac('sha256', this.signingKey).update(`${header}.${payload}`).digest(),
    );
    return `${header}.${payload}.${sig}`;
  }

  writeIdTokenFile(opts: IdTokenOptions & { dir?: string } = {}): string {
    const dir = opts.dir ?? mkdtempSync(path.join(tmpdir(), 'cce-harden-sandbox-token-'));
    const file = path.join(dir, 'token');
    writeFileSync(file, this.issueIdToken(opts), { mode: 0o600 });
    return file;
  }

  issued(): readonly IssuedCredential[] {
    return [...this.byAk.values()];
  }

  /** The SK of a temporary AK, expired or not (the signature is checked before the expiry). */
  secretFor(ak: string): string | undefined {
    return this.byAk.get(ak)?.sk;
  }

  /**
   * After a valid signature: a temporary AK needs its own security token, and must not have
   * expired when the request arrived (`at`). Permanent keys pass.
   */
  checkSigned(ak: string, securityToken: string | undefined, at: Date): void {
    const c = this.byAk.get(ak);
    if (!c) return;
    if (securityToken !== c.securityToken) {
      throw gatewayFail(
        401,
        'APIGW.0301',
        'Incorrect IAM authentication information: decrypt token fail',
      );
    }
    if (at.getTime() >= c.expiresAt.getTime()) {
      throw gatewayFail(401, 'APIGW.0307', 'The token must be updated.');
    }
  }

  /**
   * The unsigned endpoints: IAM's ID-token exchange and temporary credentials, and the metadata
   * service. Undefined for any other request.
   */
  answer(
    method: string,
    path: string,
    headers: Headers,
    body: unknown,
  ): FederationReply | undefined {
    if (method === 'POST' && path === '/v3.0/OS-AUTH/id-token/tokens') {
      return this.exchangeIdToken(headers, body);
    }
    if (method === 'POST' && path === '/v3.0/OS-CREDENTIAL/securitytokens') {
      return this.securityTokens(headers, body);
    }
    if (method === 'GET' && path === '/openstack/latest/securitykey') {
      if (!this.metadata) {
        // An instance without an agency.
        return { status: 404, body: { error: 'no agency is attached to this instance' } };
      }
      return { status: 200, body: { credential: this.issue('metadata', 3600) } };
    }
    return undefined;
  }

  private exchangeIdToken(headers: Headers, body: unknown): FederationReply {
    const idp = single(headers['x-idp-id']);
    if (!idp) throw iamFail(400, 'Bad Request', 'The request header X-Idp-Id is missing.');
    if (idp !== this.idpId) {
      throw iamFail(404, 'Not Found', `Could not find identity provider: ${clip(idp)}.`);
    }
    const idToken = (body as { auth?: { id_token?: { id?: unknown } } } | null)?.auth?.id_token?.id;
    if (typeof idToken !== 'string' || idToken === '') {
      throw iamFail(400, 'Bad Request', 'auth.id_token.id is missing.');
    }
    const subject = this.verifyIdToken(idToken);
    const token = `MII${randomBytes(48).toString('base64url')}`;
    const expiresAt = this.now().getTime() + UNSCOPED_TOKEN_MS;
    this.unscoped.set(token, { expiresAt, subject });
    return {
      status: 201,
      headers: { 'X-Subject-Token': token },
      body: {
        token: {
          expires_at: iamTime(new Date(expiresAt)),
          issued_at: iamTime(this.now()),
          methods: ['mapped'],
          user: {
            name: subject,
            'OS-FEDERATION': {
              identity_provider: { id: this.idpId },
              protocol: { id: 'oidc' },
              groups: [],
            },
          },
        },
      },
    };
  }

  /** The subject of a token this sandbox signed, for this identity provider, still valid. */
  private verifyIdToken(idToken: string): string {
    const refuse = (why: string): never => {
      throw iamFail(401, 'Unauthorized', `The ID token is invalid: ${why}.`);
    };
    const parts = idToken.split('.');
    if (parts.length !== 3) return refuse('not a JWT');
    const [header = '', payload = '', sig = ''] = parts;
    const expected = createHmac('sha256', this.signingKey).update(`${header}.${payload}`).digest();
    const given = Buffer.from(sig, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      return refuse('the signature does not match the signing key of the identity provider');
    }
    let claims: { iss?: unknown; sub?: unknown; aud?: unknown; exp?: unknown; nbf?: unknown };
    try {
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as typeof claims;
    } catch {
      return refuse('the payload is not JSON');
    }
    if (claims.iss !== this.issuer) return refuse('wrong issuer');
    const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (!aud.includes(this.clientId)) return refuse('the audience is not the client id');
    const nowS = this.now().getTime() / 1000;
    if (typeof claims.exp !== 'number' || claims.exp <= nowS) return refuse('it has expired');
    if (typeof claims.nbf === 'number' && claims.nbf > nowS + 60) return refuse('not valid yet');
    if (typeof claims.sub !== 'string' || !claims.sub.startsWith('system:serviceaccount:')) {
      return refuse('no identity conversion rule matches its subject');
    }
    return claims.sub;
  }

  private securityTokens(headers: Headers, body: unknown): FederationReply {
    const token = single(headers['x-auth-token']);
    const known = token === undefined ? undefined : this.unscoped.get(token);
    if (!known || known.expiresAt <= this.now().getTime()) {
      throw iamFail(401, 'Unauthorized', 'The request you have made requires authentication.');
    }
    const identity = (
      body as {
        auth?: { identity?: { methods?: unknown; token?: { duration_seconds?: unknown } } };
      }
    )?.auth?.identity;
    if (!Array.isArray(identity?.methods) || !identity.methods.includes('token')) {
      throw iamFail(400, 'Bad Request', 'auth.identity.methods must be ["token"].');
    }
    const requested = identity.token?.duration_seconds ?? MIN_DURATION_S;
    if (
      typeof requested !== 'number' ||
      !Number.isInteger(requested) ||
      requested < MIN_DURATION_S ||
      requested > MAX_DURATION_S
    ) {
      throw iamFail(400, 'Bad Request', 'duration_seconds must be 900 to 86400.');
    }
    return { status: 201, body: { credential: this.issue('oidc', requested) } };
  }

  private issue(
    via: IssuedCredential['via'],
    durationS: number,
  ): { access: string; secret: string; securitytoken: string; expires_at: string } {
    const lifetime = Math.min(durationS * 1000, this.credentialLifetimeMs);
    const c: IssuedCredential = {
      ak: randomUpper(20),
      sk: randomBytes(30).toString('base64url'),
      securityToken: `gQ${randomBytes(180).toString('base64url')}`,
      expiresAt: new Date(this.now().getTime() + lifetime),
      via,
    };
    this.byAk.set(c.ak, c);
    return {
      access: c.ak,
      secret: c.sk,
      securitytoken: c.securityToken,
      expires_at: iamTime(c.expiresAt),
    };
  }
}

function single(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function clip(s: string): string {
  return s.length > 64 ? `${s.slice(0, 64)}...` : s;
}

/** The body a federation failure is sent with (Keystone's shape for IAM, else the gateway's). */
export function federationErrorBody(f: ApiFailure): unknown {
  return (f as ApiFailure & { keystone?: unknown }).keystone;
}

/** The request log keeps no ID token: the body of the exchange is logged without it. */
export function redactIdToken(path: string, body: unknown): unknown {
  if (path !== '/v3.0/OS-AUTH/id-token/tokens' || typeof body !== 'object' || body === null) {
    return body;
  }
  return { auth: { id_token: { id: '<redacted>' } } };
}
