import { describe, expect, it } from 'vitest';
import {
  DEMO_EXISTING_POST_INSTALL,
  SANDBOX_CREDENTIALS,
  demoWorld,
  findCluster,
  rulesOfGroup,
  type WorldCluster,
} from '../../src/sandbox/index.js';

const world = demoWorld();
const project = world.projects[0];
const groups = project?.securityGroups ?? [];
const cluster = (name: string) => findCluster(world, name) as WorldCluster;
const eniGroupsOf = (name: string) =>
  groups.filter((g) => new RegExp(`^${name}-cce-eni-[A-Za-z0-9]+$`).test(g.name));

describe('demo world', () => {
  it('has one project, the sandbox credentials project', () => {
    expect(world.projects).toHaveLength(1);
    expect(project).toMatchObject({
      id: SANDBOX_CREDENTIALS.projectId,
      region: SANDBOX_CREDENTIALS.region,
    });
    expect(SANDBOX_CREDENTIALS.projectId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('has the six demo clusters', () => {
    expect(project?.clusters.map((c) => c.cluster.metadata.name)).toEqual([
      'demo-turbo',
      'demo-turbo-hardened',
      'demo-vpc',
      'demo-tunnel',
      'demo-sleepy',
      'demo-vpc-mixed',
    ]);
  });

  it('Kubernetes side: demo-turbo serves the API on 5444, one demo-vpc-mixed node never ran the block', () => {
    expect(cluster('demo-turbo').kube?.endpointPort).toBe(5444);
    const nodes = cluster('demo-vpc-mixed').kube?.nodes ?? [];
    expect(nodes.map((n) => n.iptables.length)).toEqual([1, 1, 0]);
    expect(nodes[0]?.iptables[0]).toEqual({
      chain: 'OUTPUT',
      source: '10.8.0.0/16',
      destination: '192.168.5.12/32',
      protocol: null,
      dport: null,
      target: 'REJECT',
    });
  });

  it('demo-turbo: Turbo, ENI network, no deny rule, runs cce-hpa-controller', () => {
    const c = cluster('demo-turbo');
    expect(c.cluster.spec.category).toBe('Turbo');
    expect(c.cluster.spec.containerNetwork?.mode).toBe('eni');
    expect(c.cluster.status?.endpoints?.[0]).toEqual({
      url: 'https://192.168.0.61:5443',
      type: 'Internal',
    });
    expect(c.addons.map((a) => a.spec.addonTemplateName)).toEqual(
      expect.arrayContaining(['cce-hpa-controller', 'coredns', 'everest']),
    );
    const [eni] = eniGroupsOf('demo-turbo');
    expect(eniGroupsOf('demo-turbo')).toHaveLength(1);
    expect(rulesOfGroup(world, eni?.id ?? '').some((r) => r.action === 'deny')).toBe(false);
  });

  it('demo-turbo-hardened: the deny rule is present and marked cce-harden:', () => {
    const [eni] = eniGroupsOf('demo-turbo-hardened');
    const deny = rulesOfGroup(world, eni?.id ?? '').filter((r) => r.action === 'deny');
    expect(deny).toHaveLength(1);
    expect(deny[0]).toMatchObject({
      direction: 'egress',
      ethertype: 'IPv4',
      protocol: 'tcp',
      multiport: '5443',
      remote_ip_prefix: '192.168.1.17/32',
      priority: 1,
      enabled: true,
    });
    expect(deny[0]?.description.startsWith('cce-harden:')).toBe(true);
    expect(deny[0]?.description).not.toMatch(/[<>]/);
  });

  it('demo-vpc: standard, vpc-router, two CIDRs; a pool with a Base64 post-install script', () => {
    const c = cluster('demo-vpc');
    expect(c.cluster.spec.category).toBe('CCE');
    expect(c.cluster.spec.containerNetwork).toEqual({
      mode: 'vpc-router',
      cidrs: [{ cidr: '10.0.0.0/16' }, { cidr: '10.1.0.0/16' }],
    });
    const pool = c.nodePools.find((p) => p.metadata.name === 'demo-vpc-pool');
    expect(pool?.spec.initialNodeCount).toBe(3);
    const script = pool?.spec.nodeTemplate?.extendParam?.['alpha.cce/postInstall'];
    expect(Buffer.from(String(script), 'base64').toString()).toBe(DEMO_EXISTING_POST_INSTALL);
  });

  it('demo-tunnel: standard, overlay_l2, only the legacy cidr', () => {
    const net = cluster('demo-tunnel').cluster.spec.containerNetwork;
    expect(net).toEqual({ mode: 'overlay_l2', cidr: '172.16.0.0/16' });
    expect(cluster('demo-tunnel').nodePools[0]?.spec.initialNodeCount).toBe(3);
  });

  it('demo-sleepy: hibernating, no endpoints', () => {
    const c = cluster('demo-sleepy');
    expect(c.cluster.status?.phase).toBe('Hibernation');
    expect(c.cluster.status?.endpoints).toBeUndefined();
  });

  it('has decoys: node/control groups and a residual ENI group of a prefix-sharing name', () => {
    const names = groups.map((g) => g.name);
    expect(names.some((n) => /^demo-turbo-cce-node-[a-z0-9]{5}$/.test(n))).toBe(true);
    expect(names.some((n) => /^demo-turbo-cce-control-[a-z0-9]{5}$/.test(n))).toBe(true);
    const residual = names.filter((n) => n.startsWith('demo-turbo-old-cce-eni-'));
    expect(residual).toHaveLength(1);
    expect(residual[0]).not.toMatch(/^demo-turbo-cce-eni-[A-Za-z0-9]+$/);
    expect(findCluster(world, 'demo-turbo-old')).toBeUndefined();
    // A naive prefix match would take it for demo-turbo's group.
    expect(names.filter((n) => n.startsWith('demo-turbo') && n.includes('-cce-eni-')).length).toBe(
      3,
    );
  });

  it('gives ENI groups the default CCE rules', () => {
    const [eni] = eniGroupsOf('demo-turbo');
    const rules = rulesOfGroup(world, eni?.id ?? '');
    expect(rules).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          direction: 'egress',
          action: 'allow',
          priority: 100,
          protocol: null,
          multiport: null,
          remote_ip_prefix: null,
        }),
        expect.objectContaining({ direction: 'ingress', remote_ip_prefix: '192.168.0.0/16' }),
        expect.objectContaining({ direction: 'ingress', remote_group_id: eni?.id }),
      ]),
    );
  });

  it('is reproducible and plain JSON', () => {
    expect(demoWorld()).toEqual(world);
    expect(JSON.parse(JSON.stringify(world))).toEqual(world);
  });
});
