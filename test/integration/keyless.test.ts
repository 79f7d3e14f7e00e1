/**
 * Keyless credentials end to end: the CLI (main's run, and once the built binary) with the real
 * SDK over HTTP against the sandbox, with no access key anywhere. OIDC federation (an ID token
 * file + identity provider id, as CCE workload identity projects it), the instance metadata
 * service, refresh before and after expiry, and failures that name their source. No output or
 * written file may contain a temporary SK, security token or the ID token: checked by value.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunReport } from '../../src/core/report.js';
import {
  WorldBuilder,
  startSandbox,
  type SandboxHandle,
  type SandboxOptions,
  type World,
} from '../../src/sandbox/index.js';
import { runCli, sandboxEnv, spawnCli, reportOf } from '../helpers/cli.js';

const NORTH = 'cn-north-4';
const SOUTH = 'ap-southeast-1';
const NORTH_ID = '0a1b2c3d4e5f40718293a4b5c6d7e8f9';
const SOUTH_ID = '5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e';
const EXCHANGE = '/v3.0/OS-AUTH/id-token/tokens';
const ISSUE = '/v3.0/OS-CREDENTIAL/securitytokens';
const METADATA = '/openstack/latest/securitykey';

let handle: SandboxHandle | undefined;
afterEach(async () => {
  await handle?.close();
  handle = undefined;
});

function fleet(north = 3, south = 2): World {
  return new WorldBuilder()
    .project({ region: NORTH, id: NORTH_ID })
    .turboClusters(north, { hardened: true, namePrefix: 'north' })
    .project({ region: SOUTH, id: SOUTH_ID })
    .turboClusters(south, { hardened: true, namePrefix: 'south' })
    .build();
}

async function sandbox(opts: SandboxOptions = {}): Promise<SandboxHandle> {
  handle = await startSandbox({ world: fleet(), ...opts });
  return handle;
}

/** The sandbox's endpoints and regions, no access keys and no project ids (IAM looks them up). */
function keylessEnv(
  h: SandboxHandle,
  extra: Record<string, string | undefined> = {},
): Record<string, string | undefined> {
  return sandboxEnv(h, {
    HUAWEICLOUD_SDK_AK: undefined,
    HUAWEICLOUD_SDK_SK: undefined,
    HUAWEICLOUD_SDK_PROJECT_ID: undefined,
    HUAWEICLOUD_SDK_REGION: `${NORTH},${SOUTH}`,
    // Never the real 169.254.169.254 from a test.
    CCE_HARDEN_METADATA_ENDPOINT: 'http://127.0.0.1:1',
    ...extra,
  });
}

function oidcEnv(
  h: SandboxHandle,
  tokenFile: string,
  extra: Record<string, string | undefined> = {},
): Record<string, string | undefined> {
  return keylessEnv(h, {
    HUAWEICLOUD_SDK_IDP_ID: h.federation.idpId,
    HUAWEICLOUD_SDK_ID_TOKEN_FILE: tokenFile,
    ...extra,
  });
}

const json = reportOf;

/** Every secret the sandbox handed out (and the ID tokens), none of which may be printed. */
function expectNoSecrets(h: SandboxHandle, texts: string[], idTokens: string[] = []): void {
  const secrets = [...h.federation.issued().flatMap((c) => [c.sk, c.securityToken]), ...idTokens];
  expect(secrets.length).toBeGreaterThan(0);
  for (const text of texts) {
    for (const s of secrets) expect(text.includes(s), 'a secret appears in the output').toBe(false);
  }
}

/** Signed cloud calls (everything but the unsigned keyless endpoints). */
function signedCalls(h: SandboxHandle) {
  return h.log.filter((e) => ![EXCHANGE, ISSUE, METADATA].includes(e.path));
}

describe('OIDC federation (CCE workload identity)', () => {
  it('check --all with only the identity provider id and the ID token file: one exchange for both regions and the IAM look-up', async () => {
    const h = await sandbox();
    const tokenFile = h.federation.writeIdTokenFile();
    const idToken = readFileSync(tokenFile, 'utf8');
    const out = path.join(mkdtempSync(path.join(tmpdir(), 'cce-harden-out-')), 'report.json');
    const r = await runCli(
      ['check', '--all', '--json', '--debug', '--out', out],
      oidcEnv(h, tokenFile),
    );
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(readFileSync(out, 'utf8')) as RunReport;
    expect(doc.status).toBe('compliant');
    expect(doc.clusters).toHaveLength(5);
    // One exchange serves every region and the project look-up.
    expect(h.log.filter((e) => e.path === EXCHANGE)).toHaveLength(1);
    expect(h.log.filter((e) => e.path === ISSUE)).toHaveLength(1);
    expect(h.log.filter((e) => e.path === METADATA)).toHaveLength(0);
    expect(h.log.filter((e) => e.path === '/v3/projects').map((e) => e.status)).toEqual([200, 200]);
    expect(signedCalls(h).every((e) => e.status === 200)).toBe(true);
    expect(h.federation.issued().map((c) => c.via)).toEqual(['oidc']);
    // The exchange is logged without the ID token.
    expect(JSON.stringify(h.log)).not.toContain(idToken);
    // --debug names the source, never a value.
    expect(r.stderr).toContain(
      `credentials: OIDC federation (identity provider ${h.federation.idpId}`,
    );
    expectNoSecrets(h, [r.stdout, r.stderr, readFileSync(out, 'utf8')], [idToken]);
  });

  it('the built CLI does the same', async () => {
    const h = await sandbox();
    const tokenFile = h.federation.writeIdTokenFile();
    const r = await spawnCli(['check', '--all', '--json'], oidcEnv(h, tokenFile));
    expect(r.code, r.stderr).toBe(0);
    expect(json(r).status).toBe('compliant');
    expect(h.federation.issued()).toHaveLength(1);
    expectNoSecrets(h, [r.stdout, r.stderr], [readFileSync(tokenFile, 'utf8')]);
  });

  it('a wrong identity provider id: exit 1, the source and IAM’s reason, no cloud call', async () => {
    const h = await sandbox();
    const tokenFile = h.federation.writeIdTokenFile();
    const r = await runCli(
      ['check', '--all'],
      oidcEnv(h, tokenFile, { HUAWEICLOUD_SDK_IDP_ID: 'not-our-idp' }),
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('OIDC federation (identity provider not-our-idp');
    expect(r.stderr).toContain('IAM refused the ID token (HTTP 404');
    expect(r.stderr).toContain('Could not find identity provider');
    expect(r.stderr).toContain('HUAWEICLOUD_SDK_IDP_ID');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(signedCalls(h)).toEqual([]);
    expect(r.stderr).not.toContain(readFileSync(tokenFile, 'utf8'));
  });

  it('a token the identity provider did not sign: exit 1 naming the source and why', async () => {
    const h = await sandbox();
    const other = await startSandbox();
    const foreign = other.federation.writeIdTokenFile();
    await other.close();
    const r = await runCli(['check', '--all', '--json'], oidcEnv(h, foreign));
    expect(r.code).toBe(1);
    const doc = json(r);
    expect(doc.error?.code).toBe('AUTH');
    expect(doc.error?.message).toContain('OIDC federation');
    expect(doc.error?.message).toContain('HTTP 401');
    expect(doc.error?.message).toContain('signature does not match');
    expect(signedCalls(h)).toEqual([]);
    expect(r.stdout + r.stderr).not.toContain(readFileSync(foreign, 'utf8'));
  });

  it('an expired token, another audience, a missing file, half the settings', async () => {
    const h = await sandbox();
    const expired = h.federation.writeIdTokenFile({ ttlSeconds: -10 });
    let r = await runCli(['check', '--all'], oidcEnv(h, expired));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('it has expired');

    const audience = h.federation.writeIdTokenFile({ audience: 'kubernetes' });
    r = await runCli(['check', '--all'], oidcEnv(h, audience));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('the audience is not the client id');

    r = await runCli(['check', '--all'], oidcEnv(h, '/nonexistent/token'));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('the ID token file cannot be read (ENOENT)');

    r = await runCli(
      ['check', '--all'],
      keylessEnv(h, { HUAWEICLOUD_SDK_IDP_ID: h.federation.idpId }),
    );
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('HUAWEICLOUD_SDK_ID_TOKEN_FILE is not');
    expect(signedCalls(h)).toEqual([]);
  });

  it('IAM briefly unavailable: the exchange is retried like any cloud call', async () => {
    const h = await sandbox();
    const fault = h.faults.add({ path: EXCHANGE, serverError: 503, times: 1 });
    const r = await runCli(
      ['check', '--all', '--json'],
      oidcEnv(h, h.federation.writeIdTokenFile()),
    );
    expect(r.code, r.stderr).toBe(0);
    expect(fault.applied).toBe(1);
    expect(h.log.filter((e) => e.path === EXCHANGE).map((e) => e.status)).toEqual([503, 201]);
  });

  it('access keys come first in the chain: with both configured, no exchange happens', async () => {
    const h = await sandbox();
    const r = await runCli(
      ['check', '--all', '--debug'],
      sandboxEnv(h, {
        HUAWEICLOUD_SDK_REGION: `${NORTH},${SOUTH}`,
        HUAWEICLOUD_SDK_PROJECT_ID: `${NORTH}=${NORTH_ID},${SOUTH}=${SOUTH_ID}`,
        HUAWEICLOUD_SDK_IDP_ID: h.federation.idpId,
        HUAWEICLOUD_SDK_ID_TOKEN_FILE: h.federation.writeIdTokenFile(),
      }),
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      'credentials: access keys from HUAWEICLOUD_SDK_AK / HUAWEICLOUD_SDK_SK',
    );
    expect(h.log.filter((e) => e.path === EXCHANGE)).toHaveLength(0);
  });
});

describe('instance metadata (ECS agency)', () => {
  it('check --all with only the metadata service: temporary credentials from it', async () => {
    const h = await sandbox();
    const r = await runCli(
      ['check', '--all', '--json', '--debug'],
      keylessEnv(h, { CCE_HARDEN_METADATA_ENDPOINT: h.url }),
    );
    expect(r.code, r.stderr).toBe(0);
    expect(json(r).clusters).toHaveLength(5);
    expect(h.log.filter((e) => e.path === METADATA)).toHaveLength(1);
    expect(h.federation.issued().map((c) => c.via)).toEqual(['metadata']);
    expect(r.stderr).toContain(`credentials: the instance metadata service (${h.url}`);
    expectNoSecrets(h, [r.stdout, r.stderr]);
  });

  it('an instance without an agency: exit 1, naming the metadata service', async () => {
    const h = await sandbox({ federation: { metadata: false } });
    const r = await runCli(
      ['check', '--all'],
      keylessEnv(h, { CCE_HARDEN_METADATA_ENDPOINT: h.url }),
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('instance metadata service');
    expect(r.stderr).toContain('HTTP 404');
    expect(signedCalls(h)).toEqual([]);
  });

  it('no metadata service (a laptop): a usage error listing what to set, quickly', async () => {
    const h = await sandbox();
    const started = Date.now();
    const r = await runCli(['check', '--all'], keylessEnv(h));
    expect(r.code).toBe(64);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(r.stderr).toContain('did not answer');
    expect(r.stderr).toContain('HUAWEICLOUD_SDK_AK');
    expect(r.stderr).toContain('HUAWEICLOUD_SDK_IDP_ID');
  });

  it('CCE_HARDEN_METADATA=off: never asked, a usage error', async () => {
    const h = await sandbox();
    const r = await runCli(
      ['check', '--all'],
      keylessEnv(h, { CCE_HARDEN_METADATA_ENDPOINT: h.url, CCE_HARDEN_METADATA: 'off' }),
    );
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('CCE_HARDEN_METADATA=off');
    expect(h.log).toEqual([]);
  });
});

describe('expiry and refresh', () => {
  it('a run longer than the credential lifetime refreshes ahead of expiry and succeeds', async () => {
    const lifetimeMs = 2000;
    const h = await sandbox({ federation: { credentialLifetimeMs: lifetimeMs } });
    // Every signed call is slow: the run outlives several credential lifetimes.
    h.faults.add({ path: /^\/(api|v3)\//, latencyMs: 800 });
    const started = Date.now();
    const r = await runCli(
      ['check', '--all', '--json', '--concurrency', '1'],
      oidcEnv(h, h.federation.writeIdTokenFile()),
    );
    const took = Date.now() - started;
    expect(r.code, r.stderr).toBe(0);
    expect(took).toBeGreaterThan(lifetimeMs);
    const issued = h.federation.issued();
    expect(issued.length).toBeGreaterThanOrEqual(2);
    // Refreshed ahead of time: the sandbox never had to refuse an expired token.
    expect(h.log.filter((e) => e.errorCode === 'APIGW.0307')).toEqual([]);
    expect(signedCalls(h).every((e) => e.status === 200)).toBe(true);
    expectNoSecrets(h, [r.stdout, r.stderr]);
  });

  it('credentials that expire at once: refreshed once, then a clear failure', async () => {
    const h = await sandbox({ federation: { credentialLifetimeMs: 1 } });
    const r = await runCli(
      ['check', '--all', '--region', NORTH, '--project-id', NORTH_ID],
      oidcEnv(h, h.federation.writeIdTokenFile()),
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('as expired, also right after they were refreshed');
    expect(r.stderr).toContain('OIDC federation');
    const refused = h.log.filter((e) => e.errorCode === 'APIGW.0307');
    expect(refused).toHaveLength(2);
    expectNoSecrets(h, [r.stdout, r.stderr]);
  });
});
