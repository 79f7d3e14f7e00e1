/**
 * The pod-interface pre-flight against a sandbox whose subnets have two distinct ids (CCE's
 * neutron id vs VPC's own id) and whose ENI subnet is shared by two clusters.
 */
import { describe, expect, it } from 'vitest';
import { WorldBuilder } from '../../src/sandbox/index.js';
import type { RunReport } from '../../src/core/report.js';
import { runCli, sandboxEnv } from '../helpers/cli.js';
import { sandboxPerTest } from '../helpers/sandbox.js';

const sandbox = sandboxPerTest();

describe('pods outside the ENI group', () => {
  it('translates the neutron subnet id and counts only this cluster’s interfaces', async () => {
    const b = new WorldBuilder()
      .securityGroup({ name: 'team-a-pods' })
      .turboCluster({ name: 'one', subNetworkInterfaces: 2 })
      .turboCluster({ name: 'two', eniSubnetOf: 'one', subNetworkInterfaces: 3 })
      .subNetworkInterface({ cluster: 'one', securityGroups: ['team-a-pods'] })
      // An interface in the same subnet that names no cluster (another tool made it).
      .subNetworkInterface({ cluster: 'one', securityGroups: ['team-a-pods'], description: '' });
    const vpcSubnetId = b.eniSubnet('one').id;
    const h = await sandbox(b.build());
    const r = await runCli(['apply', '--cluster', 'one', '--dry-run', '--json'], sandboxEnv(h));
    expect(r.code).toBe(2);
    const report = JSON.parse(r.stdout) as RunReport;
    const findings = report.clusters[0]?.findings ?? [];
    expect(findings.find((f) => f.code === 'pods-outside-eni-group')?.message).toMatch(
      /^1 of 3 pod network interfaces/,
    );
    expect(h.log.some((e) => e.path.endsWith('/subnets') && e.status === 200)).toBe(true);
    const list = h.log.find((e) => e.path.endsWith('/vpc/sub-network-interfaces'));
    expect(list?.query.virsubnet_id).toBe(vpcSubnetId);
  });
});
