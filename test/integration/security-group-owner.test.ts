/**
 * `--security-group` must name a group of the cluster: the node and control-plane groups (by id
 * from the cluster spec), `default` and another cluster's ENI group are refused with exit 64 and
 * nothing written; a group with an unexpected name is accepted with a warning in the plan.
 */
import { describe, expect, it } from 'vitest';
import { WorldBuilder, findCluster, type SandboxHandle } from '../../src/sandbox/index.js';
import type { RunReport } from '../../src/core/report.js';
import { runCli, sandboxEnv, writes } from '../helpers/cli.js';
import { sandboxPerTest } from '../helpers/sandbox.js';

const startSandbox = sandboxPerTest();

function world() {
  return new WorldBuilder()
    .turboCluster({ name: 'prod', apiServerIp: '192.168.0.61' })
    .turboCluster({ name: 'other', apiServerIp: '192.168.0.62' })
    .securityGroup({ name: 'default' })
    .securityGroup({ name: 'custom-pods' })
    .securityGroup({ name: 'gone-cce-eni-abc12' })
    .build();
}

function groupId(h: SandboxHandle, name: string | RegExp): string {
  const g = h.world.projects
    .flatMap((p) => p.securityGroups)
    .find((x) => (typeof name === 'string' ? x.name === name : name.test(x.name)));
  if (!g) throw new Error(`no group ${String(name)}`);
  return g.id;
}

async function applyWith(h: SandboxHandle, sg: string) {
  return runCli(
    ['apply', '--cluster', 'prod', '--security-group', sg, '--yes', '--json'],
    sandboxEnv(h),
  );
}

describe('--security-group must belong to the cluster', () => {
  it('refuses the node group named in the cluster spec (even under another name): exit 64, no write', async () => {
    const h = await startSandbox(world());
    const spec = findCluster(h.world, 'prod')?.cluster.spec;
    const nodeId = spec?.hostNetwork?.SecurityGroup as string;
    expect(nodeId).toBeTruthy();
    // Renamed so the name pattern cannot catch it: only the id from the spec can.
    const g = h.world.projects[0]?.securityGroups.find((x) => x.id === nodeId);
    if (g) g.name = 'workers';
    const r = await applyWith(h, nodeId);
    expect(r.code, r.stderr).toBe(64);
    const doc = JSON.parse(r.stdout) as RunReport;
    expect(doc.error?.code).toBe('USAGE');
    expect(doc.error?.message).toMatch(/node security group \(spec\.hostNetwork\.SecurityGroup\)/);
    expect(writes(h)).toEqual([]);
  });

  it('refuses the control-plane group named in the cluster spec', async () => {
    const h = await startSandbox(world());
    const spec = findCluster(h.world, 'prod')?.cluster.spec;
    const controlId = spec?.hostNetwork?.controlPlaneSecurityGroup as string;
    expect(controlId).toBeTruthy();
    const g = h.world.projects[0]?.securityGroups.find((x) => x.id === controlId);
    if (g) g.name = 'masters';
    const r = await applyWith(h, controlId);
    expect(r.code, r.stderr).toBe(64);
    expect(r.stdout).toMatch(/control-plane security group/);
    expect(writes(h)).toEqual([]);
  });

  it('refuses default', async () => {
    const h = await startSandbox(world());
    const r = await applyWith(h, groupId(h, 'default'));
    expect(r.code, r.stderr).toBe(64);
    expect(r.stdout).toMatch(/default security group/);
    expect(writes(h)).toEqual([]);
  });

  it("refuses another existing cluster's ENI group", async () => {
    const h = await startSandbox(world());
    const r = await applyWith(h, groupId(h, /^other-cce-eni-/));
    expect(r.code, r.stderr).toBe(64);
    expect(r.stdout).toMatch(/ENI group of another cluster, other/);
    expect(writes(h)).toEqual([]);
  });

  it('check refuses too (exit 64), before reading any rule', async () => {
    const h = await startSandbox(world());
    const r = await runCli(
      ['check', '--cluster', 'prod', '--security-group', groupId(h, 'default'), '--json'],
      sandboxEnv(h),
    );
    expect(r.code).toBe(64);
    expect(h.log.some((e) => e.path.includes('security-group-rules'))).toBe(false);
  });

  it('accepts a group with another name, with a warning in the plan', async () => {
    const h = await startSandbox(world());
    const id = groupId(h, 'custom-pods');
    const dry = await runCli(
      ['apply', '--cluster', 'prod', '--security-group', id, '--dry-run', '--json'],
      sandboxEnv(h),
    );
    expect(dry.code, dry.stderr).toBe(2);
    const warn = (JSON.parse(dry.stdout) as RunReport).clusters[0]?.findings.find(
      (f) => f.code === 'security-group-not-eni-named',
    );
    expect(warn?.severity).toBe('warning');
    expect(warn?.message).toContain('custom-pods');
    const r = await applyWith(h, id);
    expect(r.code, r.stderr).toBe(0);
    expect(writes(h).map((w) => w.method)).toEqual(['POST']);
  });

  it('a leftover ENI group of a cluster that no longer exists is accepted with the warning', async () => {
    const h = await startSandbox(world());
    const r = await applyWith(h, groupId(h, 'gone-cce-eni-abc12'));
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as RunReport;
    expect(doc.clusters[0]?.findings.map((f) => f.code)).toContain('security-group-not-eni-named');
  });

  it("the cluster's own ENI group passes without a warning", async () => {
    const h = await startSandbox(world());
    const r = await applyWith(h, groupId(h, /^prod-cce-eni-/));
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as RunReport;
    expect(doc.clusters[0]?.findings.map((f) => f.code)).not.toContain(
      'security-group-not-eni-named',
    );
  });
});
