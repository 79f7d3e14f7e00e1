/**
 * The fleet check a scheduler runs: `check --all` (and `apply --all --yes`) over many clusters in
 * two regions of the sandbox, through the real CLI (main's run) and the real SDK over HTTP. Every
 * test asserts exit code and output, and most assert the calls the sandbox recorded: a region
 * costs one ListClusters, one ListSecurityGroups per page and the ListSecurityGroupRules that
 * bring the rules deciding compliance: by 40 ENI group ids while that takes no more requests than
 * the pages of groups, else one project-wide read (egress, priority 1) per page, whatever the
 * number of clusters.
 */
import { describe, expect, it } from 'vitest';
import type { ClusterReport, RunReport } from '../../src/core/report.js';
import {
  WorldBuilder,
  rulesOfGroup,
  type RequestLogEntry,
  type SandboxHandle,
  type World,
} from '../../src/sandbox/index.js';
import { parsePrometheus } from '../helpers/prometheus-parse.js';
import { findAll, parseXml } from '../helpers/xml-parse.js';
import { runCli, sandboxEnv, writes, reportOf } from '../helpers/cli.js';
import { sandboxPerTest, eniGroupIds } from '../helpers/sandbox.js';

const NORTH = 'cn-north-4';
const SOUTH = 'ap-southeast-1';
const NORTH_ID = '0a1b2c3d4e5f40718293a4b5c6d7e8f9';
const SOUTH_ID = '5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e5e';
const BOTH = `${NORTH},${SOUTH}`;
/** ListSecurityGroups / ListSecurityGroupRules page size the VPC adapter asks for. */
const PAGE = 2000;
/** ENI group ids per ListSecurityGroupRules request when rules are read group by group. */
const IDS_PER_REQUEST = 40;

const startSandbox = sandboxPerTest();

interface FleetShape {
  /** Hardened Turbo clusters per region. */
  north?: number;
  south?: number;
  /** Extra per-region setup on top of the hardened clusters. */
  northExtra?: (b: WorldBuilder) => WorldBuilder;
  southExtra?: (b: WorldBuilder) => WorldBuilder;
}

function fleet(shape: FleetShape = {}): World {
  const id = (b: WorldBuilder) => b;
  let b = new WorldBuilder()
    .project({ region: NORTH, id: NORTH_ID })
    .turboClusters(shape.north ?? 45, { hardened: true, namePrefix: 'north' });
  b = (shape.northExtra ?? id)(b);
  b = b
    .project({ region: SOUTH, id: SOUTH_ID })
    .turboClusters(shape.south ?? 20, { hardened: true, namePrefix: 'south' });
  b = (shape.southExtra ?? id)(b);
  return b.build();
}

function sandbox(world: World): Promise<SandboxHandle> {
  return startSandbox(world);
}

function env(h: SandboxHandle, extra: Record<string, string | undefined> = {}) {
  return sandboxEnv(h, {
    HUAWEICLOUD_SDK_PROJECT_ID: `${NORTH}=${NORTH_ID},${SOUTH}=${SOUTH_ID}`,
    HUAWEICLOUD_SDK_REGION: BOTH,
    ...extra,
  });
}

const json = reportOf;

function byName(doc: RunReport): Map<string, ClusterReport> {
  return new Map(doc.clusters.map((c) => [c.name, c]));
}

type Call = 'ListClusters' | 'ListSecurityGroups' | 'ListSecurityGroupRules' | 'other';

function classify(e: RequestLogEntry, pid: string): Call | undefined {
  if (e.method === 'GET' && e.path === `/api/v3/projects/${pid}/clusters`) return 'ListClusters';
  if (e.method === 'GET' && e.path === `/v3/${pid}/vpc/security-groups`) {
    return 'ListSecurityGroups';
  }
  if (e.method === 'GET' && e.path === `/v3/${pid}/vpc/security-group-rules`) {
    return 'ListSecurityGroupRules';
  }
  return e.projectId === pid || e.path.includes(pid) ? 'other' : undefined;
}

/** Calls the sandbox answered for one project, by operation. */
function calls(h: SandboxHandle, pid: string, status?: number): Record<Call, number> {
  const out: Record<Call, number> = {
    ListClusters: 0,
    ListSecurityGroups: 0,
    ListSecurityGroupRules: 0,
    other: 0,
  };
  for (const e of h.log) {
    if (status !== undefined && e.status !== status) continue;
    const c = classify(e, pid);
    if (c) out[c]++;
  }
  return out;
}

/** What a Turbo-only region must cost: the numbers come from the world, not from the code. */
function expectedCalls(world: World, pid: string): Record<Call, number> {
  const p = world.projects.find((x) => x.id === pid);
  if (!p) throw new Error(`no project ${pid}`);
  const eni = p.securityGroups.filter((g) => /-cce-eni-/.test(g.name)).length;
  const turbo = p.clusters.filter((c) => c.cluster.spec.category === 'Turbo').length;
  const groupPages = Math.max(1, Math.ceil(p.securityGroups.length / PAGE));
  const byGroup = Math.ceil(eni / IDS_PER_REQUEST);
  const deciding = p.securityGroupRules.filter(
    (r) => r.direction === 'egress' && r.priority === 1,
  ).length;
  // Up to 40 Turbo clusters, their groups by id; more, the project's deciding rules page by page
  // (read while the groups are listed), unless that takes more requests than by id.
  const limit = Math.ceil(turbo / IDS_PER_REQUEST);
  const projectPages = Math.max(1, Math.ceil(deciding / PAGE));
  return {
    ListClusters: 1,
    ListSecurityGroups: groupPages,
    ListSecurityGroupRules:
      limit <= 1 ? byGroup : projectPages <= limit ? projectPages : limit + byGroup,
    other: 0,
  };
}

describe('check --all over two regions', () => {
  it('a compliant fleet: exit 0, every cluster listed with its region, a handful of calls', async () => {
    const world = fleet();
    const h = await sandbox(world);
    const r = await runCli(['check', '--all', '--region', BOTH, '--json'], env(h));
    expect(r.code, r.stderr).toBe(0);
    const doc = json(r);
    expect(doc.status).toBe('compliant');
    expect(doc.clusters).toHaveLength(65);
    expect(doc.clusters.filter((c) => c.region === NORTH)).toHaveLength(45);
    expect(doc.clusters.filter((c) => c.region === SOUTH)).toHaveLength(20);
    expect(doc.clusters.every((c) => c.status === 'compliant' && c.rule?.action === 'deny')).toBe(
      true,
    );
    // 45 ENI groups: one project-wide rule request (by id it would take two); 20: one by id.
    // No per-cluster call of any kind.
    expect(calls(h, NORTH_ID)).toEqual(expectedCalls(world, NORTH_ID));
    expect(calls(h, NORTH_ID)).toEqual({
      ListClusters: 1,
      ListSecurityGroups: 1,
      ListSecurityGroupRules: 1,
      other: 0,
    });
    expect(calls(h, SOUTH_ID)).toEqual(expectedCalls(world, SOUTH_ID));
    expect(h.log).toHaveLength(6);
    expect(writes(h)).toEqual([]);
  });

  it('reads the rules of a fleet project-wide, and of a few groups by id, each group once', async () => {
    const world = fleet();
    const h = await sandbox(world);
    expect((await runCli(['check', '--all', '--region', BOTH, '--json'], env(h))).code).toBe(0);
    const north = h.log.filter((e) => e.path === `/v3/${NORTH_ID}/vpc/security-group-rules`);
    expect(north.map((e) => e.query)).toEqual([
      { direction: 'egress', priority: '1', limit: '2000' },
    ]);
    const requested = h.log
      .filter((e) => e.path === `/v3/${SOUTH_ID}/vpc/security-group-rules`)
      .map((e) => {
        const ids = e.query['security_group_id'];
        return Array.isArray(ids) ? ids : [ids ?? ''];
      });
    expect(requested.every((ids) => ids.length <= IDS_PER_REQUEST)).toBe(true);
    const allEni = world.projects
      .filter((p) => p.id === SOUTH_ID)
      .flatMap((p) => p.securityGroups)
      .filter((g) => /-cce-eni-/.test(g.name))
      .map((g) => g.id);
    expect(requested.flat().sort()).toEqual(allEni.sort());
  });

  it('security-group calls grow with pages, not with clusters', async () => {
    // 130 clusters (390 groups) and 1700 other groups: two pages of groups, and one project-wide
    // rule request where reading by id would take four.
    const world = fleet({
      north: 130,
      south: 1,
      northExtra: (b) => {
        for (let i = 0; i < 1700; i++) b.securityGroup({ name: `app-${i}` });
        return b;
      },
    });
    const h = await sandbox(world);
    const r = await runCli(['check', '--all', '--region', BOTH, '--json'], env(h));
    expect(r.code, r.stderr).toBe(0);
    expect(json(r).clusters).toHaveLength(131);
    expect(calls(h, NORTH_ID)).toEqual({
      ListClusters: 1,
      ListSecurityGroups: 2,
      ListSecurityGroupRules: 1,
      other: 0,
    });
    expect(calls(h, NORTH_ID)).toEqual(expectedCalls(world, NORTH_ID));
    const pages = h.log.filter((e) => e.path === `/v3/${NORTH_ID}/vpc/security-groups`);
    expect(pages[0]?.query['marker']).toBeUndefined();
    expect(pages[1]?.query['marker']).toEqual(expect.any(String));
  });

  it('drift anywhere: exit 2, the drifting clusters named, the rest compliant', async () => {
    const world = fleet({
      southExtra: (b) =>
        b
          .turboCluster({ name: 'south-open' })
          .turboCluster({ name: 'south-off', hardened: 'disabled' })
          .turboCluster({ name: 'south-port', hardened: 'other-port' }),
      northExtra: (b) => b.turboCluster({ name: 'north-bare', hardened: 'equivalent-bare-ip' }),
    });
    const h = await sandbox(world);
    const r = await runCli(['check', '--all', '--region', BOTH, '--json'], env(h));
    expect(r.code).toBe(2);
    const doc = json(r);
    expect(doc.status).toBe('drift');
    const drift = doc.clusters.filter((c) => c.status === 'drift').map((c) => c.name);
    expect(drift.sort()).toEqual(['south-off', 'south-open', 'south-port']);
    expect(byName(doc).get('north-bare')?.status).toBe('compliant');
    expect(doc.clusters.filter((c) => c.status === 'compliant')).toHaveLength(66);
    expect(
      byName(doc)
        .get('south-open')
        ?.changes.map((c) => c.action),
    ).toEqual(['create']);
  });

  it("one cluster's error never hides the others; any error wins over drift (exit 1)", async () => {
    const world = fleet({
      northExtra: (b) =>
        b
          .turboCluster({ name: 'north-twin', eniGroups: 2, hardened: true })
          .turboCluster({ name: 'north-asleep', phase: 'Hibernation' })
          .turboCluster({ name: 'north-orphan', eniGroups: 0 }),
      southExtra: (b) =>
        b
          .turboCluster({ name: 'south-open' })
          .standardCluster({ name: 'south-std', mode: 'vpc-router', nodePools: [{ name: 'np' }] }),
    });
    const h = await sandbox(world);
    const r = await runCli(['check', '--all', '--region', BOTH, '--json'], env(h));
    expect(r.code).toBe(1);
    const doc = json(r);
    expect(doc.status).toBe('error');
    expect(doc.clusters).toHaveLength(70);
    const c = byName(doc);
    expect(c.get('north-twin')?.status).toBe('error');
    expect(c.get('north-twin')?.error?.message).toMatch(/north-twin-cce-eni-/);
    // Hibernated with no endpoint: skipped with the reason, not an error.
    expect(c.get('north-asleep')?.status).toBe('skipped');
    expect(c.get('north-asleep')?.reason).toMatch(/Hibernation/);
    expect(c.get('north-orphan')?.status).toBe('error');
    expect(c.get('north-orphan')?.error?.hint ?? '').toMatch(/--security-group/);
    expect(c.get('south-open')?.status).toBe('drift');
    expect(c.get('south-std')?.category).toBe('CCE');
    expect(['drift', 'compliant']).toContain(c.get('south-std')?.status);
    expect(doc.clusters.filter((x) => x.status === 'compliant')).toHaveLength(65);
    expect(doc.clusters.filter((x) => x.status === 'error').map((x) => x.region)).toEqual([
      NORTH,
      NORTH,
    ]);
    // The standard cluster's node pools are the one per-cluster call of a check.
    const pools = h.log.filter((e) => e.path.endsWith('/nodepools'));
    expect(pools).toHaveLength(1);
    expect(calls(h, SOUTH_ID).other).toBe(1);
    expect(calls(h, NORTH_ID)).toEqual(expectedCalls(world, NORTH_ID));
  });

  it('a region that cannot be read is one error row; the other region is still checked', async () => {
    const h = await sandbox(fleet());
    const down = h.faults.add({ path: `/api/v3/projects/${SOUTH_ID}/clusters`, serverError: 500 });
    const r = await runCli(['check', '--all', '--region', BOTH, '--json'], env(h));
    expect(r.code).toBe(1);
    const doc = json(r);
    expect(doc.clusters.filter((c) => c.region === NORTH && c.status === 'compliant')).toHaveLength(
      45,
    );
    const failed = doc.clusters.filter((c) => c.status === 'error');
    expect(failed).toHaveLength(1);
    expect(failed[0]).toMatchObject({ region: SOUTH, error: { httpStatus: 500 } });
    expect(down.applied).toBeGreaterThan(1); // retried before giving up
  });

  it('recovers from throttling and 5xx: retries, then the same verdicts as without faults', async () => {
    const world = fleet({ southExtra: (b) => b.turboCluster({ name: 'south-open' }) });
    const h = await sandbox(world);
    const sg = h.faults.throttle(`/v3/${NORTH_ID}/vpc/security-groups`, { times: 2 });
    const cce = h.faults.throttle(`/api/v3/projects/${SOUTH_ID}/clusters`, {
      times: 1,
      flavor: 'cce',
    });
    const rules = h.faults.add({
      path: `/v3/${NORTH_ID}/vpc/security-group-rules`,
      serverError: 503,
      nth: 1,
    });
    const r = await runCli(
      ['check', '--all', '--region', BOTH, '--json', '--debug'],
      env(h, { CCE_HARDEN_RETRY_BASE_MS: '20' }),
    );
    expect(r.code, r.stderr).toBe(2);
    const doc = json(r);
    expect(doc.clusters.filter((c) => c.status === 'compliant')).toHaveLength(65);
    expect(doc.clusters.filter((c) => c.status === 'drift').map((c) => c.name)).toEqual([
      'south-open',
    ]);
    expect([sg.applied, cce.applied, rules.applied]).toEqual([2, 1, 1]);
    expect(h.log.filter((e) => e.status === 429).map((e) => e.errorCode)).toEqual(
      expect.arrayContaining(['APIGW.0308', 'APIGW.0308', 'CCE.02429001']),
    );
    // Every successful answer is the one a fault-free run gets; the faults only add retries.
    expect(calls(h, NORTH_ID, 200)).toEqual(expectedCalls(world, NORTH_ID));
    expect(calls(h, SOUTH_ID, 200)).toEqual(expectedCalls(world, SOUTH_ID));
    expect(h.log).toHaveLength(6 + 4);
    expect(r.stderr.match(/retrying in \d+ ms/g)).toHaveLength(4);
  });

  it('repeatable --cluster picks clusters of one region at the same cost', async () => {
    const world = fleet();
    const h = await sandbox(world);
    const r = await runCli(
      [
        'check',
        '--region',
        SOUTH,
        '--cluster',
        'south-0003',
        '--cluster',
        'south-0017',
        '--cluster',
        'nope',
        '--json',
      ],
      env(h),
    );
    expect(r.code).toBe(1);
    const doc = json(r);
    expect(doc.clusters.map((c) => [c.name, c.status])).toEqual([
      ['south-0003', 'compliant'],
      ['south-0017', 'compliant'],
      ['nope', 'error'],
    ]);
    expect(calls(h, SOUTH_ID)).toEqual({
      ListClusters: 1,
      ListSecurityGroups: 1,
      ListSecurityGroupRules: 1,
      other: 0,
    });
    const ruleQuery = h.log.find((e) => e.path.endsWith('/security-group-rules'))?.query;
    expect([ruleQuery?.['security_group_id']].flat().sort()).toEqual(
      [...eniGroupIds(world, 'south-0003'), ...eniGroupIds(world, 'south-0017')].sort(),
    );
  });
});

describe('outputs for schedulers', () => {
  const mixed = () =>
    fleet({
      north: 12,
      south: 6,
      northExtra: (b) => b.turboCluster({ name: 'north-twin', eniGroups: 2 }),
      southExtra: (b) => b.turboCluster({ name: 'south-open' }),
    });

  it('--output prometheus: a valid textfile, one compliance sample per cluster and a run timestamp', async () => {
    const h = await sandbox(mixed());
    const before = Math.floor(Date.now() / 1000);
    const r = await runCli(['check', '--all', '--region', BOTH, '--output', 'prometheus'], env(h));
    expect(r.code).toBe(1);
    const families = parsePrometheus(r.stdout);
    const compliant = families.get('cce_harden_cluster_compliant');
    expect(compliant?.type).toBe('gauge');
    expect(compliant?.samples).toHaveLength(20);
    const value = (name: string) =>
      compliant?.samples.find((s) => s.labels['cluster'] === name)?.value;
    expect(value('north-0001')).toBe(1);
    expect(value('south-open')).toBe(0);
    expect(value('north-twin')).toBe(0);
    expect(
      compliant?.samples.find((s) => s.labels['cluster'] === 'south-open')?.labels,
    ).toMatchObject({ region: SOUTH });
    const status = families.get('cce_harden_cluster_status')?.samples ?? [];
    const oneHot = (name: string) =>
      status
        .filter((s) => s.labels['cluster'] === name && s.value === 1)
        .map((s) => s.labels['status']);
    expect(oneHot('north-twin')).toEqual(['error']);
    expect(oneHot('south-open')).toEqual(['drift']);
    const ts = families.get('cce_harden_run_timestamp_seconds')?.samples[0]?.value ?? 0;
    expect(ts).toBeGreaterThanOrEqual(before - 1);
    expect(ts).toBeLessThanOrEqual(Date.now() / 1000 + 1);
    expect(families.get('cce_harden_run_success')?.samples[0]?.value).toBe(0);
  });

  it('--output junit: one suite per region, one case per cluster, drift as failure, error as error', async () => {
    const h = await sandbox(mixed());
    const r = await runCli(['check', '--all', '--region', BOTH, '--output', 'junit'], env(h));
    expect(r.code).toBe(1);
    const root = parseXml(r.stdout);
    expect(root.name).toBe('testsuites');
    const suites = findAll(root, 'testsuite');
    expect(suites.map((s) => s.attrs['name']).sort()).toEqual([
      `cce-harden check (${SOUTH})`,
      `cce-harden check (${NORTH})`,
    ]);
    const cases = findAll(root, 'testcase');
    expect(cases).toHaveLength(20);
    const outcome = (name: string) => {
      const tc = cases.find((c) => c.attrs['name'] === name);
      return tc?.children.map((ch) => ch.name).filter((n) => n !== 'system-out') ?? ['missing'];
    };
    expect(outcome('south-open')).toEqual(['failure']);
    expect(outcome('north-twin')).toEqual(['error']);
    expect(outcome('north-0005')).toEqual([]);
    const suiteOf = (region: string) => suites.find((s) => s.attrs['name']?.includes(region));
    expect(cases.filter((tc) => tc.attrs['classname'] === SOUTH)).toHaveLength(7);
    const north = suiteOf(NORTH);
    expect(north?.attrs).toMatchObject({ tests: '13', errors: '1', failures: '0' });
    const south = suiteOf(SOUTH);
    expect(south?.attrs).toMatchObject({ tests: '7', errors: '0', failures: '1' });
  });

  it('--quiet: nothing when all is well; only the problems otherwise', async () => {
    const h = await sandbox(fleet({ north: 8, south: 4 }));
    for (const output of ['text', 'table']) {
      const ok = await runCli(['check', '--all', '--quiet', '--output', output], env(h));
      expect(ok.code, ok.stderr).toBe(0);
      expect(ok.stdout).toBe('');
    }
    h.world = mixed();
    const bad = await runCli(['check', '--all', '--quiet', '--output', 'table'], env(h));
    expect(bad.code).toBe(1);
    expect(bad.stdout).toContain('south-open');
    expect(bad.stdout).toContain('north-twin');
    expect(bad.stdout).not.toMatch(/north-0001|south-0001/);
  });

  it('--out writes the Prometheus textfile atomically and keeps stdout empty', async () => {
    const h = await sandbox(fleet({ north: 3, south: 2 }));
    const { mkdtempSync, readFileSync, readdirSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const path = await import('node:path');
    const dir = mkdtempSync(path.join(tmpdir(), 'cce-harden-prom-'));
    const file = path.join(dir, 'cce_harden.prom');
    const r = await runCli(
      ['check', '--all', '--output', 'prometheus', '--out', file, '--quiet'],
      env(h),
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(readdirSync(dir)).toEqual(['cce_harden.prom']);
    const samples = parsePrometheus(readFileSync(file, 'utf8')).get('cce_harden_cluster_compliant');
    expect(samples?.samples.map((s) => s.value)).toEqual([1, 1, 1, 1, 1]);
  });
});

describe('apply --all --yes', () => {
  it('hardens every open Turbo cluster, isolates the one it cannot, and changes nothing else', async () => {
    const world = fleet({
      north: 10,
      south: 6,
      northExtra: (b) =>
        b
          .turboCluster({ name: 'north-open-1' })
          .turboCluster({ name: 'north-open-2' })
          .turboCluster({ name: 'north-twin', eniGroups: 2 }),
      southExtra: (b) =>
        b
          .turboCluster({ name: 'south-open' })
          .standardCluster({ name: 'south-std', mode: 'vpc-router' }),
    });
    const h = await sandbox(world);
    const open = ['north-open-1', 'north-open-2', 'south-open'];
    const r = await runCli(['apply', '--all', '--yes', '--region', BOTH, '--json'], env(h));
    expect(r.code, r.stderr).toBe(1);
    const doc = json(r);
    const c = byName(doc);
    for (const name of open) {
      expect(c.get(name)?.status).toBe('compliant');
      expect(c.get(name)?.changes.map((ch) => [ch.action, ch.applied])).toEqual([['create', true]]);
      const [gid] = eniGroupIds(h.world, name);
      expect(rulesOfGroup(h.world, gid ?? '').filter((x) => x.action === 'deny')).toHaveLength(1);
    }
    expect(c.get('north-twin')?.status).toBe('error');
    for (const gid of eniGroupIds(h.world, 'north-twin')) {
      expect(rulesOfGroup(h.world, gid).filter((x) => x.action === 'deny')).toHaveLength(0);
    }
    expect(c.get('south-std')?.status).toBe('not-applicable');
    expect(doc.clusters.filter((x) => x.status === 'compliant')).toHaveLength(16 + 3);
    // The only writes: one rule per open cluster.
    expect(writes(h)).toHaveLength(3);
    expect(
      writes(h).every((w) => w.method === 'POST' && w.path.endsWith('/security-group-rules')),
    ).toBe(true);

    // A second run finds nothing to do; the twin still fails alone.
    h.clearLog();
    const again = await runCli(['apply', '--all', '--yes', '--region', BOTH, '--json'], env(h));
    expect(again.code).toBe(1);
    expect(writes(h)).toEqual([]);
    expect(
      json(again)
        .clusters.filter((x) => x.status === 'error')
        .map((x) => x.name),
    ).toEqual(['north-twin']);
  });
});
