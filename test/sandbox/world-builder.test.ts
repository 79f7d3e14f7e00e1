import { describe, expect, it } from 'vitest';
import { ListSecurityGroupRulesRequest } from '@huaweicloud/huaweicloud-sdk-vpc/v3/public-api.js';
import { ShowClusterRequest } from '@huaweicloud/huaweicloud-sdk-cce';
import {
  SANDBOX_CREDENTIALS,
  WorldBuilder,
  findCluster,
  findSecurityGroup,
  rulesOfGroup,
  startSandbox,
  type HardenedVariant,
  type WireSecurityGroupRule,
  type World,
} from '../../src/sandbox/index.js';
import { cceClient, vpcClient, wire } from './sdk.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function eniGroups(world: World, name: string) {
  return world.projects
    .flatMap((p) => p.securityGroups)
    .filter((g) => new RegExp(`^${name}-cce-eni-[a-z0-9]{5}$`).test(g.name));
}

describe('WorldBuilder', () => {
  it('builds the same world from the same calls, and another from another seed', () => {
    const build = (seed?: string) =>
      new WorldBuilder(seed === undefined ? {} : { seed }).turboCluster({ name: 'prod' }).build();
    expect(build()).toEqual(build());
    expect(build('x').projects[0]?.clusters[0]?.cluster.metadata.uid).not.toBe(
      build().projects[0]?.clusters[0]?.cluster.metadata.uid,
    );
  });

  it('gives a Turbo cluster node, control and ENI groups with UUID ids', () => {
    const w = new WorldBuilder()
      .turboCluster({ name: 'prod', apiServerIp: '192.168.0.61' })
      .build();
    const names = w.projects[0]?.securityGroups.map((g) => g.name) ?? [];
    expect(names).toHaveLength(3);
    expect(names[0]).toMatch(/^prod-cce-node-[a-z0-9]{5}$/);
    expect(names[1]).toMatch(/^prod-cce-control-[a-z0-9]{5}$/);
    expect(names[2]).toMatch(/^prod-cce-eni-[a-z0-9]{5}$/);
    for (const g of w.projects[0]?.securityGroups ?? []) expect(g.id).toMatch(UUID);
    const c = findCluster(w, 'prod');
    expect(c?.cluster.metadata.uid).toMatch(UUID);
    expect(c?.cluster.spec.hostNetwork?.SecurityGroup).toBe(w.projects[0]?.securityGroups[0]?.id);
  });

  it('supports 0, 1 or 2 ENI groups', () => {
    for (const n of [0, 1, 2] as const) {
      const w = new WorldBuilder().turboCluster({ name: 'c', eniGroups: n }).build();
      expect(eniGroups(w, 'c')).toHaveLength(n);
    }
  });

  it('puts the hardening rule variants in the live ENI group', () => {
    const cases: [HardenedVariant, Partial<WireSecurityGroupRule>][] = [
      [true, { remote_ip_prefix: '10.1.2.3/32', multiport: '5443', action: 'deny', priority: 1 }],
      ['disabled', { enabled: false }],
      ['equivalent-bare-ip', { remote_ip_prefix: '10.1.2.3' }],
      ['equivalent-port-range', { multiport: '5443-5443' }],
      ['manual', { description: '' }],
      ['other-priority', { priority: 2 }],
      ['allow-action', { action: 'allow' }],
      ['other-port', { multiport: '6443' }],
    ];
    for (const [variant, expected] of cases) {
      const w = new WorldBuilder()
        .turboCluster({ name: 'c', apiServerIp: '10.1.2.3', hardened: variant, eniGroups: 2 })
        .build();
      const [live, residual] = eniGroups(w, 'c');
      const extra = rulesOfGroup(w, live?.id ?? '').filter((r) => r.priority !== 100);
      expect(extra, String(variant)).toHaveLength(1);
      expect(extra[0]).toMatchObject(expected);
      expect(rulesOfGroup(w, residual?.id ?? '')).toHaveLength(3);
    }
  });

  it('builds standard clusters with cidrs or a legacy cidr and node pools', () => {
    const w = new WorldBuilder()
      .standardCluster({
        name: 'vpc',
        mode: 'vpc-router',
        cidrs: ['10.0.0.0/16', '10.1.0.0/16'],
        nodePools: [{ name: 'p', initialNodeCount: 4, postInstall: 'echo hi\n' }],
      })
      .standardCluster({ name: 'old', mode: 'overlay_l2', legacyCidr: '172.16.0.0/16' })
      .build();
    const vpc = findCluster(w, 'vpc');
    expect(vpc?.cluster.spec.containerNetwork?.cidrs).toHaveLength(2);
    expect(vpc?.nodePools[0]?.spec.initialNodeCount).toBe(4);
    expect(vpc?.nodePools[0]?.spec.nodeTemplate?.extendParam?.['alpha.cce/postInstall']).toBe(
      Buffer.from('echo hi\n').toString('base64'),
    );
    expect(findCluster(w, 'old')?.cluster.spec.containerNetwork).toEqual({
      mode: 'overlay_l2',
      cidr: '172.16.0.0/16',
    });
  });

  it('shapes endpoints the Huawei or the OTC way, with or without External', () => {
    const w = new WorldBuilder()
      .turboCluster({ name: 'hw', apiServerIp: '10.0.0.5', externalIp: '1.2.3.4' })
      .turboCluster({ name: 'otc', apiServerIp: '10.0.0.6', endpointsShape: 'otc' })
      .build();
    expect(findCluster(w, 'hw')?.cluster.status?.endpoints).toEqual([
      { url: 'https://10.0.0.5:5443', type: 'Internal' },
      { url: 'https://1.2.3.4:5443', type: 'External' },
    ]);
    expect(findCluster(w, 'otc')?.cluster.status?.endpoints).toEqual([
      { Internal: 'https://10.0.0.6:5443' },
    ]);
  });

  it('keeps one project per region and puts clusters in the current one', () => {
    const b = new WorldBuilder()
      .project({ region: 'cn-north-4' })
      .turboCluster({ name: 'bj' })
      .project({ region: 'ap-southeast-1' })
      .turboCluster({ name: 'sg' })
      .project({ region: 'cn-north-4' })
      .turboCluster({ name: 'bj2' });
    const w = b.build();
    expect(w.projects.map((p) => [p.region, p.clusters.length])).toEqual([
      ['cn-north-4', 2],
      ['ap-southeast-1', 1],
    ]);
    expect(w.projects[0]?.id).toBe(SANDBOX_CREDENTIALS.projectId);
    expect(w.projects[1]?.id).toMatch(/^[0-9a-f]{32}$/);
    expect(w.projects[1]?.id).not.toBe(w.projects[0]?.id);
    expect(() => b.project({ region: 'cn-north-4', id: 'f'.repeat(32) })).toThrow(/already/);
  });

  it('adds plain groups and rules and per-group quotas', () => {
    const b = new WorldBuilder()
      .securityGroup({ name: 'web', description: 'web tier' })
      .rule({ securityGroup: 'web', direction: 'ingress', protocol: 'tcp', multiport: 443 })
      .ruleQuota(7, 'web');
    const w = b.build();
    const web = findSecurityGroup(w, 'web');
    expect(web?.description).toBe('web tier');
    expect(rulesOfGroup(w, b.groupId('web'))).toEqual([
      expect.objectContaining({ multiport: '443', action: 'allow', priority: 1, enabled: true }),
    ]);
    expect(w.projects[0]?.ruleQuotaOverrides).toEqual({ [b.groupId('web')]: 7 });
  });

  it('builds and serves 500 Turbo clusters quickly', async () => {
    let t = Date.now();
    const b = new WorldBuilder().project({ region: 'ap-southeast-1' }).turboClusters(500, {
      namePrefix: 'bench',
    });
    const w = b.build();
    const buildMs = Date.now() - t;
    expect(w.projects[0]?.clusters).toHaveLength(500);
    const ips = new Set(
      w.projects[0]?.clusters.map((c) => (c.cluster.status?.endpoints?.[0] as { url: string }).url),
    );
    expect(ips.size).toBe(500);
    expect(buildMs).toBeLessThan(3000);

    const h = await startSandbox({ world: w });
    try {
      const pid = w.projects[0]?.id ?? '';
      const creds = { ...SANDBOX_CREDENTIALS, projectId: pid };
      const cce = cceClient(h.url, creds);
      const vpc = vpcClient(h.url, creds);
      t = Date.now();
      for (const c of w.projects[0]?.clusters.slice(0, 100) ?? []) {
        await cce.showCluster(new ShowClusterRequest().withClusterId(c.cluster.metadata.uid));
        const [eni] = eniGroups(w, c.cluster.metadata.name);
        const rules = wire<{ security_group_rules: unknown[] }>(
          await vpc.listSecurityGroupRules(
            new ListSecurityGroupRulesRequest().withSecurityGroupId([eni?.id ?? '']),
          ),
        ).security_group_rules;
        expect(rules).toHaveLength(3);
      }
      // 200 signed round trips over a 2000-group, 6000-rule world.
      expect(Date.now() - t).toBeLessThan(5000);
    } finally {
      await h.close();
    }
  });
});
