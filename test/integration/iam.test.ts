/**
 * Project ids through IAM: the read-only look-up against the sandbox (exactly one project or a
 * clear error, never a POST), and the CLI resolving a whole fleet's project ids with it.
 */
import { describe, expect, it } from 'vitest';
import { accessKeyProvider } from '../../src/cloud/credentials.js';
import { IamProjectResolver } from '../../src/cloud/iam.js';
import { Retrier } from '../../src/cloud/retry.js';
import { AuthError, NotFoundError } from '../../src/core/errors.js';
import type { RunReport } from '../../src/core/report.js';
import {
  SANDBOX_CREDENTIALS,
  WorldBuilder,
  type SandboxHandle,
  type World,
} from '../../src/sandbox/index.js';
import { runCli, sandboxEnv } from '../helpers/cli.js';
import { sandboxPerTest } from '../helpers/sandbox.js';

const NORTH = 'cn-north-4';
const SOUTH = 'ap-southeast-1';
const SOUTH_ID = '5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e';
const BOTH_REGIONS = `${NORTH},${SOUTH}`;

const startSandbox = sandboxPerTest();

function twoRegions(): World {
  return new WorldBuilder()
    .project({ region: NORTH })
    .turboClusters(3, { hardened: true, namePrefix: 'north' })
    .project({ region: SOUTH, id: SOUTH_ID })
    .turboClusters(2, { hardened: true, namePrefix: 'south' })
    .build();
}

function resolver(h: SandboxHandle, sk: string = SANDBOX_CREDENTIALS.sk): IamProjectResolver {
  return new IamProjectResolver(
    {
      credentials: accessKeyProvider({ ak: SANDBOX_CREDENTIALS.ak, sk }),
      endpoint: h.url,
      timeoutMs: 5000,
      userAgent: 'cce-harden',
    },
    new Retrier({ baseDelayMs: 1, maxDelayMs: 4 }),
  );
}

function noPosts(h: SandboxHandle): void {
  expect(h.log.filter((e) => e.method !== 'GET')).toEqual([]);
}

// The signer itself (src/cloud/signer.ts) is checked against the reference vector and the
// sandbox's verifier in test/sandbox/signing.test.ts.

describe('IAM project look-up', () => {
  it('resolves each region to its one project with one signed GET, cached per run', async () => {
    const h = await startSandbox(twoRegions());
    const iam = resolver(h);
    const [south, north, southAgain] = await Promise.all([
      iam.projectIdOf(SOUTH),
      iam.projectIdOf(NORTH),
      iam.projectIdOf(SOUTH),
    ]);
    expect(south).toBe(SOUTH_ID);
    expect(southAgain).toBe(SOUTH_ID);
    expect(north).toBe(SANDBOX_CREDENTIALS.projectId);
    expect(await iam.projectIdOf(NORTH)).toBe(north);
    expect(h.log.map((e) => [e.method, e.path, e.query, e.status])).toEqual(
      expect.arrayContaining([
        ['GET', '/v3/projects', { name: SOUTH }, 200],
        ['GET', '/v3/projects', { name: NORTH }, 200],
      ]),
    );
    expect(h.log).toHaveLength(2);
  });

  it('no project for the region: a not-found error naming the fix, and nothing created', async () => {
    const h = await startSandbox(twoRegions());
    const err = await resolver(h)
      .projectIdOf('eu-west-101')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as NotFoundError).message).toContain('no project named eu-west-101');
    expect((err as NotFoundError).hint).toContain('HUAWEICLOUD_SDK_PROJECT_ID=eu-west-101=');
    expect(h.log).toHaveLength(1);
    noPosts(h);
  });

  it('several projects with the region name: refuses to guess and lists them', async () => {
    const world = twoRegions();
    const south = world.projects.find((p) => p.region === SOUTH);
    world.projects.push({ ...structuredClone(south!), id: 'f'.repeat(32) });
    const h = await startSandbox(world);
    const err = await resolver(h)
      .projectIdOf(SOUTH)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as Error).message).toMatch(/lists 2 projects named ap-southeast-1/);
    expect((err as Error).message).toContain('f'.repeat(32));
    noPosts(h);
  });

  it('a wrong SK is an auth error after one request (no retry storm that could lock the AK)', async () => {
    const h = await startSandbox(twoRegions());
    const err = await resolver(h, 'wrong-secret')
      .projectIdOf(NORTH)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect((err as AuthError).httpStatus).toBe(401);
    expect((err as AuthError).errorCode).toBe('APIGW.0301');
    expect((err as AuthError).requestId).toBe(h.log[0]?.requestId);
    expect(h.log).toHaveLength(1);
  });

  it('throttled and 5xx answers are retried', async () => {
    const h = await startSandbox(twoRegions());
    h.faults.throttle('/v3/projects', { times: 1 });
    h.faults.add({ path: '/v3/projects', serverError: 503, nth: 2 });
    expect(await resolver(h).projectIdOf(SOUTH)).toBe(SOUTH_ID);
    expect(h.log.map((e) => e.status)).toEqual([429, 503, 200]);
  });
});

describe('the CLI without a project-id mapping', () => {
  function env(h: SandboxHandle, extra: Record<string, string | undefined> = {}) {
    return sandboxEnv(h, { HUAWEICLOUD_SDK_PROJECT_ID: undefined, ...extra });
  }

  it('checks a fleet in two regions with project ids from IAM: one look-up per region, no POST', async () => {
    const h = await startSandbox(twoRegions());
    const r = await runCli(['check', '--all', '--region', `${NORTH},${SOUTH}`, '--json'], env(h));
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as RunReport;
    expect(doc.clusters.map((c) => [c.region, c.status])).toEqual([
      ...Array.from({ length: 3 }, () => [NORTH, 'compliant']),
      ...Array.from({ length: 2 }, () => [SOUTH, 'compliant']),
    ]);
    const lookups = h.log.filter((e) => e.path === '/v3/projects');
    expect(lookups.map((e) => e.query['name']).sort()).toEqual([SOUTH, NORTH].sort());
    expect(h.log.filter((e) => e.path.includes(SOUTH_ID)).length).toBeGreaterThan(0);
    noPosts(h);
  });

  it('a mapped region is not looked up; an unknown region is an error row and the rest is checked', async () => {
    const h = await startSandbox(twoRegions());
    const r = await runCli(
      ['check', '--all', '--region', `${NORTH},eu-west-101,${SOUTH}`, '--json'],
      env(h, { HUAWEICLOUD_SDK_PROJECT_ID: `${SOUTH}=${SOUTH_ID}` }),
    );
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as RunReport;
    expect(doc.status).toBe('error');
    const bad = doc.clusters.filter((c) => c.status === 'error');
    expect(bad).toHaveLength(1);
    expect(bad[0]?.region).toBe('eu-west-101');
    expect(bad[0]?.error?.code).toBe('NOT_FOUND');
    expect(doc.clusters.filter((c) => c.status === 'compliant')).toHaveLength(5);
    expect(h.log.filter((e) => e.path === '/v3/projects').map((e) => e.query['name'])).toEqual(
      expect.arrayContaining([NORTH, 'eu-west-101']),
    );
    expect(
      h.log.filter((e) => e.path === '/v3/projects' && e.query['name'] === SOUTH),
    ).toHaveLength(0);
    noPosts(h);
  });

  it('CCE_HARDEN_PROJECT_LOOKUP=iam says the default explicitly', async () => {
    const h = await startSandbox(twoRegions());
    const r = await runCli(
      ['check', '--all', '--region', SOUTH, '--json'],
      env(h, { CCE_HARDEN_PROJECT_LOOKUP: 'iam' }),
    );
    expect(r.code, r.stderr).toBe(0);
    expect(h.log.map((e) => e.path)[0]).toBe('/v3/projects');
    noPosts(h);
  });

  it('CCE_HARDEN_PROJECT_LOOKUP=off: a missing project id is a usage error, before any call', async () => {
    const h = await startSandbox(twoRegions());
    const r = await runCli(
      ['check', '--all', '--region', BOTH_REGIONS],
      env(h, {
        CCE_HARDEN_PROJECT_LOOKUP: 'off',
        HUAWEICLOUD_SDK_PROJECT_ID: `${SOUTH}=${SOUTH_ID}`,
      }),
    );
    expect(r.code).toBe(64);
    expect(r.stderr).toContain(`No project id for region ${NORTH}`);
    expect(h.log).toHaveLength(0);
  });

  it('without credentials the project id is reported missing too (IAM cannot be asked)', async () => {
    const h = await startSandbox(twoRegions());
    const r = await runCli(
      ['check', '--all', '--region', NORTH],
      env(h, { HUAWEICLOUD_SDK_SK: undefined }),
    );
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('HUAWEICLOUD_SDK_SK');
    expect(r.stderr).toContain('HUAWEICLOUD_SDK_PROJECT_ID');
    expect(h.log).toHaveLength(0);
  });

  it('rejects an unknown look-up mode before any call', async () => {
    const h = await startSandbox(twoRegions());
    const r = await runCli(
      ['check', '--all', '--region', NORTH],
      env(h, { CCE_HARDEN_PROJECT_LOOKUP: 'create' }),
    );
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('expected iam or off');
    expect(h.log).toHaveLength(0);
  });
});
