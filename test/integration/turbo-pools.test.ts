/**
 * Pods that escape the ENI group's rule, seen from the CCE API before `apply` changes anything:
 * Turbo node pools whose `podSecurityGroups` bind pods to other groups, and bare-metal pools
 * (full ENIs, not sub-interfaces). The real CLI and SDK against the sandbox.
 */
import { describe, expect, it } from 'vitest';
import { WorldBuilder, type SandboxHandle } from '../../src/sandbox/index.js';
import type { Finding, RunReport } from '../../src/core/report.js';
import { runCli, sandboxEnv, writes } from '../helpers/cli.js';
import { sandboxPerTest } from '../helpers/sandbox.js';

const startSandbox = sandboxPerTest();

function eniName(h: SandboxHandle, cluster: string): string {
  const g = h.world.projects
    .flatMap((p) => p.securityGroups)
    .find((x) => x.name.startsWith(`${cluster}-cce-eni-`));
  return g?.name ?? '';
}

async function preflight(h: SandboxHandle, cluster: string): Promise<Finding[]> {
  const r = await runCli(['apply', '--cluster', cluster, '--dry-run', '--json'], sandboxEnv(h));
  expect(r.code, r.stderr).toBe(2);
  expect(writes(h)).toEqual([]);
  return (JSON.parse(r.stdout) as RunReport).clusters[0]?.findings ?? [];
}

describe('Turbo node pools in the pre-flight', () => {
  it('pools whose podSecurityGroups leave out the ENI group are named; others are not', async () => {
    const b = new WorldBuilder()
      .securityGroup({ name: 'team-a-pods' })
      .securityGroup({ name: 'team-b-pods' })
      .turboCluster({ name: 'prod', apiServerIp: '192.168.0.61' });
    const h0 = b.build();
    const eni = h0.projects[0]?.securityGroups.find((g) => g.name.startsWith('prod-cce-eni-'));
    b.nodePool('prod', { name: 'plain' })
      .nodePool('prod', { name: 'team-a', podSecurityGroups: ['team-a-pods'] })
      .nodePool('prod', { name: 'team-b', podSecurityGroups: ['team-b-pods', 'team-a-pods'] })
      .nodePool('prod', {
        name: 'with-eni',
        podSecurityGroups: [eni?.id as string, 'team-a-pods'],
      });
    const h = await startSandbox(b.build());
    const findings = await preflight(h, 'prod');
    const f = findings.find((x) => x.code === 'pool-pods-outside-eni-group');
    expect(f?.severity).toBe('warning');
    expect(f?.message).toContain('team-a, team-b');
    expect(f?.message).not.toContain('plain');
    expect(f?.message).not.toContain('with-eni');
    expect(f?.message).toContain(eniName(h, 'prod'));
    expect(findings.map((x) => x.code)).not.toContain('bare-metal-pools-not-covered');
  });

  it('bare-metal pools are said not to be covered by the sub-interface check', async () => {
    const b = new WorldBuilder()
      .turboCluster({ name: 'metal', apiServerIp: '192.168.0.62' })
      .nodePool('metal', { name: 'vm-pool' })
      .nodePool('metal', { name: 'bms-pool', bareMetal: true });
    const h = await startSandbox(b.build());
    const findings = await preflight(h, 'metal');
    const f = findings.find((x) => x.code === 'bare-metal-pools-not-covered');
    expect(f?.message).toContain('bms-pool');
    expect(f?.message).not.toContain('vm-pool');
    expect(f?.message).toMatch(/full ENIs/);
    expect(findings.map((x) => x.code)).not.toContain('pool-pods-outside-eni-group');
  });

  it('pools that use the ENI group: no pool finding', async () => {
    const b = new WorldBuilder()
      .turboCluster({ name: 'calm', apiServerIp: '192.168.0.63' })
      .nodePool('calm', { name: 'a' });
    const h = await startSandbox(b.build());
    const codes = (await preflight(h, 'calm')).map((x) => x.code);
    expect(codes).not.toContain('pool-pods-outside-eni-group');
    expect(codes).not.toContain('bare-metal-pools-not-covered');
  });

  it('check stays cloud-cheap: it does not read node pools of Turbo clusters', async () => {
    const b = new WorldBuilder()
      .securityGroup({ name: 'x-pods' })
      .turboCluster({ name: 'prod', apiServerIp: '192.168.0.61' })
      .nodePool('prod', { name: 'x', podSecurityGroups: ['x-pods'] });
    const h = await startSandbox(b.build());
    const r = await runCli(['check', '--cluster', 'prod', '--json'], sandboxEnv(h));
    expect(r.code).toBe(2);
    expect(h.log.some((e) => e.path.endsWith('/nodepools'))).toBe(false);
  });
});
