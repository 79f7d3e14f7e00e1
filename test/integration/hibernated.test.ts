/**
 * Hibernated clusters: the group is checked when the endpoint and the group are known; otherwise
 * the cluster is `skipped` with the reason, which never fails the run. Every output format shows
 * it. The real CLI and SDK against the sandbox.
 */
import { describe, expect, it } from 'vitest';
import { WorldBuilder, demoWorld, type World } from '../../src/sandbox/index.js';
import type { RunReport } from '../../src/core/report.js';
import { runCli, sandboxEnv, writes } from '../helpers/cli.js';
import { parsePrometheus } from '../helpers/prometheus-parse.js';
import { expectValidReport } from '../helpers/report-schema.js';
import { sandboxPerTest } from '../helpers/sandbox.js';

const startSandbox = sandboxPerTest();

function json(stdout: string): RunReport {
  const doc = JSON.parse(stdout) as RunReport;
  expectValidReport(doc);
  return doc;
}

function world(): World {
  return new WorldBuilder()
    .turboCluster({ name: 'awake', apiServerIp: '192.168.0.10', hardened: true })
    .turboCluster({ name: 'sleepy', apiServerIp: '192.168.0.11', phase: 'Hibernation' })
    .turboCluster({
      name: 'sleepy-known',
      apiServerIp: '192.168.0.12',
      phase: 'Hibernation',
      endpoints: true,
      hardened: true,
    })
    .turboCluster({
      name: 'sleepy-open',
      apiServerIp: '192.168.0.13',
      phase: 'Hibernating',
      endpoints: true,
    })
    .turboCluster({
      name: 'sleepy-nogroup',
      apiServerIp: '192.168.0.14',
      phase: 'Hibernation',
      endpoints: true,
      eniGroups: 0,
    })
    .standardCluster({
      name: 'sleepy-std',
      mode: 'vpc-router',
      apiServerIp: '192.168.0.15',
      phase: 'Hibernation',
    })
    .build();
}

describe('hibernated clusters', () => {
  it('no endpoint: skipped with the reason, exit 0, run status skipped', async () => {
    const h = await startSandbox(demoWorld());
    const r = await runCli(['check', '--cluster', 'demo-sleepy', '--json'], sandboxEnv(h));
    expect(r.code, r.stderr).toBe(0);
    const doc = json(r.stdout);
    expect(doc.status).toBe('skipped');
    const c = doc.clusters[0];
    expect(c).toMatchObject({ name: 'demo-sleepy', status: 'skipped', phase: 'Hibernation' });
    expect(c?.reason).toMatch(/hibernated.*no internal API server endpoint/);
    expect(c?.error).toBeUndefined();
    expect(c?.findings.map((f) => f.code)).toEqual(['cluster-skipped']);
  });

  it('endpoint and group known: the group is checked (compliant or drift)', async () => {
    const h = await startSandbox(world());
    const known = await runCli(['check', '--cluster', 'sleepy-known', '--json'], sandboxEnv(h));
    expect(known.code, known.stderr).toBe(0);
    expect(json(known.stdout).clusters[0]).toMatchObject({
      status: 'compliant',
      rule: expect.objectContaining({ match: 'equivalent' }),
    });
    const open = await runCli(['check', '--cluster', 'sleepy-open', '--json'], sandboxEnv(h));
    expect(open.code).toBe(2);
    expect(json(open.stdout).clusters[0]?.status).toBe('drift');
  });

  it('endpoint known but no ENI group: skipped, with the reason and the way out', async () => {
    const h = await startSandbox(world());
    const r = await runCli(['check', '--cluster', 'sleepy-nogroup', '--json'], sandboxEnv(h));
    expect(r.code, r.stderr).toBe(0);
    const c = json(r.stdout).clusters[0];
    expect(c?.status).toBe('skipped');
    expect(c?.reason).toMatch(/ENI security group is not known/);
    expect(c?.findings[0]?.message).toContain('--security-group');
  });

  it('a hibernated standard cluster is skipped', async () => {
    const h = await startSandbox(world());
    const r = await runCli(['check', '--cluster', 'sleepy-std', '--json'], sandboxEnv(h));
    expect(r.code, r.stderr).toBe(0);
    expect(json(r.stdout).clusters[0]).toMatchObject({ status: 'skipped', category: 'CCE' });
  });

  it('a fleet with a skipped cluster: the run is not failed by it', async () => {
    const h = await startSandbox(world());
    const r = await runCli(
      ['check', '--cluster', 'awake', '--cluster', 'sleepy', '--cluster', 'sleepy-known', '--json'],
      sandboxEnv(h),
    );
    expect(r.code, r.stderr).toBe(0);
    const doc = json(r.stdout);
    expect(doc.status).toBe('compliant');
    expect(doc.clusters.map((c) => c.status)).toEqual(['compliant', 'skipped', 'compliant']);
  });

  it('apply on a skipped cluster writes nothing and does not fail', async () => {
    const h = await startSandbox(world());
    const r = await runCli(['apply', '--cluster', 'sleepy', '--yes', '--json'], sandboxEnv(h));
    expect(r.code, r.stderr).toBe(0);
    expect(json(r.stdout).clusters[0]?.status).toBe('skipped');
    expect(writes(h)).toEqual([]);
  });

  it('text: the verdict says skipped and why', async () => {
    const h = await startSandbox(world());
    const r = await runCli(['check', '--cluster', 'sleepy'], sandboxEnv(h));
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Verdict\s+skipped/);
    expect(r.stdout).toContain('sleepy is hibernated');
  });

  it('table: a skipped row and a skipped total', async () => {
    const h = await startSandbox(world());
    const r = await runCli(
      ['check', '--cluster', 'awake', '--cluster', 'sleepy', '--output', 'table'],
      sandboxEnv(h),
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/sleepy\s+Turbo\s+skipped\s+Skipped: sleepy is hibernated/);
    expect(r.stdout).toContain('1 compliant, 0 drift, 0 error, 0 not applicable, 1 skipped');
  });

  it('prometheus: status skipped one-hot, no compliant sample, run success 1', async () => {
    const h = await startSandbox(world());
    const r = await runCli(
      ['check', '--cluster', 'awake', '--cluster', 'sleepy', '--output', 'prometheus'],
      sandboxEnv(h),
    );
    expect(r.code).toBe(0);
    const m = parsePrometheus(r.stdout);
    const status = m
      .get('cce_harden_cluster_status')
      ?.samples.filter((s) => s.labels.cluster === 'sleepy' && s.value === 1);
    expect(status?.map((s) => s.labels.status)).toEqual(['skipped']);
    expect(m.get('cce_harden_cluster_compliant')?.samples.map((s) => s.labels.cluster)).toEqual([
      'awake',
    ]);
    expect(m.get('cce_harden_run_success')?.samples[0]?.value).toBe(1);
    const total = m
      .get('cce_harden_clusters_total')
      ?.samples.find((s) => s.labels.status === 'skipped');
    expect(total?.value).toBe(1);
  });

  it('junit: a skipped test case with the reason, no error', async () => {
    const h = await startSandbox(world());
    const r = await runCli(
      ['check', '--cluster', 'awake', '--cluster', 'sleepy', '--output', 'junit'],
      sandboxEnv(h),
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/<testsuites [^>]*tests="2" failures="0" errors="0" skipped="1"/);
    expect(r.stdout).toMatch(
      /<testcase [^>]*name="sleepy"[^>]*>\s*<skipped message="sleepy is hibernated/,
    );
  });
});
