/**
 * The sandbox's keyless credentials on the wire: IAM's ID-token exchange and temporary
 * credentials, the ECS metadata service, and the gateway refusing expired temporary credentials.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startSandbox, type SandboxHandle } from '../../src/sandbox/index.js';
import { PID, rawRequest, signedRequest } from './raw-http.js';

let handle: SandboxHandle | undefined;
afterEach(async () => {
  await handle?.close();
  handle = undefined;
});

const JSON_HEADERS = { 'content-type': 'application/json;charset=utf8' };

async function exchange(h: SandboxHandle, idToken: string, idp = h.federation.idpId) {
  return rawRequest(
    'POST',
    `${h.url}/v3.0/OS-AUTH/id-token/tokens`,
    { ...JSON_HEADERS, 'x-idp-id': idp },
    JSON.stringify({ auth: { id_token: { id: idToken } } }),
  );
}

async function securityTokens(h: SandboxHandle, token: string | undefined, duration?: unknown) {
  return rawRequest(
    'POST',
    `${h.url}/v3.0/OS-CREDENTIAL/securitytokens`,
    { ...JSON_HEADERS, ...(token ? { 'x-auth-token': token } : {}) },
    JSON.stringify({
      auth: {
        identity: {
          methods: ['token'],
          ...(duration === undefined ? {} : { token: { duration_seconds: duration } }),
        },
      },
    }),
  );
}

interface Credential {
  access: string;
  secret: string;
  securitytoken: string;
  expires_at: string;
}

async function temporary(h: SandboxHandle): Promise<Credential> {
  const x = await exchange(h, h.federation.issueIdToken());
  const st = await securityTokens(h, x.headers['x-subject-token'] as string, 900);
  return (st.json as { credential: Credential }).credential;
}

const groups = (h: SandboxHandle) => `${h.url}/v3/${PID}/vpc/security-groups`;

describe('IAM ID-token exchange', () => {
  it('201 with X-Subject-Token for a token it issued, for its identity provider', async () => {
    const h = (handle = await startSandbox());
    const r = await exchange(h, h.federation.issueIdToken());
    expect(r.status).toBe(201);
    expect(r.headers['x-subject-token']).toMatch(/^MII/);
    expect(r.json).toMatchObject({
      token: {
        methods: ['mapped'],
        user: { 'OS-FEDERATION': { identity_provider: { id: h.federation.idpId } } },
      },
    });
    // The request log keeps no ID token.
    expect(h.log[0]?.body).toEqual({ auth: { id_token: { id: '<redacted>' } } });
  });

  it('refuses an unknown identity provider, a missing header, a foreign or altered token', async () => {
    const h = (handle = await startSandbox());
    const token = h.federation.issueIdToken();
    const unknown = await exchange(h, token, 'other-idp');
    expect(unknown.status).toBe(404);
    expect(unknown.json).toMatchObject({ error: { code: 404, title: 'Not Found' } });

    const missing = await rawRequest(
      'POST',
      `${h.url}/v3.0/OS-AUTH/id-token/tokens`,
      JSON_HEADERS,
      JSON.stringify({ auth: { id_token: { id: token } } }),
    );
    expect(missing.status).toBe(400);

    const other = await startSandbox();
    const foreign = other.federation.issueIdToken();
    await other.close();
    const f = await exchange(h, foreign);
    expect(f.status).toBe(401);
    expect(JSON.stringify(f.json)).toContain('signature does not match');

    const [head, , sig] = token.split('.');
    const forged = Buffer.from(
      JSON.stringify({
        iss: h.federation.issuer,
        sub: 'system:serviceaccount:kube-system:admin',
        aud: [h.federation.clientId],
        exp: 9e9,
      }),
    ).toString('base64url');
    expect((await exchange(h, `${head}.${forged}.${sig}`)).status).toBe(401);
    expect((await exchange(h, h.federation.issueIdToken({ ttlSeconds: -1 }))).status).toBe(401);
    expect((await exchange(h, h.federation.issueIdToken({ audience: 'x' }))).status).toBe(401);
    expect(
      (await exchange(h, h.federation.issueIdToken({ issuer: 'https://elsewhere' }))).status,
    ).toBe(401);
  });
});

describe('temporary credentials', () => {
  it('issues access, secret, securitytoken and expires_at for a valid unscoped token', async () => {
    const h = (handle = await startSandbox({ federation: { credentialLifetimeMs: 5000 } }));
    const x = await exchange(h, h.federation.issueIdToken());
    const r = await securityTokens(h, x.headers['x-subject-token'] as string, 3600);
    expect(r.status).toBe(201);
    const c = (r.json as { credential: Credential }).credential;
    expect(c.access).toMatch(/^[A-Z0-9]{20}$/);
    expect(c.expires_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    // The shorter of the requested duration and the sandbox's configured lifetime.
    const left = Date.parse(c.expires_at) - Date.now();
    expect(left).toBeGreaterThan(3000);
    expect(left).toBeLessThanOrEqual(5000);
    expect(h.federation.issued()).toHaveLength(1);
  });

  it('refuses a missing or unknown X-Auth-Token and a duration outside 900..86400', async () => {
    const h = (handle = await startSandbox());
    expect((await securityTokens(h, undefined)).status).toBe(401);
    expect((await securityTokens(h, 'MIInot-issued')).status).toBe(401);
    const x = await exchange(h, h.federation.issueIdToken());
    const token = x.headers['x-subject-token'] as string;
    expect((await securityTokens(h, token, 899)).status).toBe(400);
    expect((await securityTokens(h, token, 86401)).status).toBe(400);
    expect((await securityTokens(h, token, '900')).status).toBe(400);
  });

  it('open the cloud APIs with their security token, until they expire: then 401 APIGW.0307', async () => {
    let aheadMs = 0;
    const h = (handle = await startSandbox({
      now: () => new Date(Date.now() + aheadMs),
      federation: { credentialLifetimeMs: 60_000 },
    }));
    const c = await temporary(h);
    const withToken = (token: string) => ({
      ak: c.access,
      sk: c.secret,
      extraHeaders: { 'x-security-token': token },
    });
    expect((await signedRequest(groups(h), withToken(c.securitytoken))).status).toBe(200);

    const wrongToken = await signedRequest(groups(h), withToken('gQsomething-else'));
    expect(wrongToken.status).toBe(401);
    expect(wrongToken.json).toMatchObject({ error_code: 'APIGW.0301' });
    const noToken = await signedRequest(groups(h), { ak: c.access, sk: c.secret });
    expect(noToken.status).toBe(401);

    aheadMs = 61_000;
    const expired = await signedRequest(groups(h), withToken(c.securitytoken));
    expect(expired.status).toBe(401);
    expect(expired.json).toMatchObject({
      error_code: 'APIGW.0307',
      error_msg: 'The token must be updated.',
    });
    expect(typeof (expired.json as { request_id?: unknown }).request_id).toBe('string');
    // A wrong secret for a temporary AK is a signature failure, as for any key.
    const badSk = await signedRequest(groups(h), {
      ...withToken(c.securitytoken),
      sk: 'x'.repeat(40),
    });
    expect(badSk.json).toMatchObject({ error_code: 'APIGW.0301' });
  });
});

describe('instance metadata', () => {
  it('GET /openstack/latest/securitykey: the agency credentials, unsigned', async () => {
    const h = (handle = await startSandbox());
    const r = await rawRequest('GET', `${h.url}/openstack/latest/securitykey`, {});
    expect(r.status).toBe(200);
    const c = (r.json as { credential: Credential }).credential;
    expect(Object.keys(c).sort()).toEqual(['access', 'expires_at', 'secret', 'securitytoken']);
    expect(h.federation.issued().map((i) => i.via)).toEqual(['metadata']);
    const ok = await signedRequest(groups(h), {
      ak: c.access,
      sk: c.secret,
      extraHeaders: { 'x-security-token': c.securitytoken },
    });
    expect(ok.status).toBe(200);
  });

  it('404 on an instance without an agency', async () => {
    const h = (handle = await startSandbox({ federation: { metadata: false } }));
    const r = await rawRequest('GET', `${h.url}/openstack/latest/securitykey`, {});
    expect(r.status).toBe(404);
    expect(h.federation.issued()).toEqual([]);
  });
});
