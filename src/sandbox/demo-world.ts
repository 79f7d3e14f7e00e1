import { SANDBOX_CREDENTIALS } from './credentials.js';
import type { World } from './world.js';
import { WorldBuilder } from './world-builder.js';

/** The post-install script already present on one demo node pool (before cce-harden adds to it). */
export const DEMO_EXISTING_POST_INSTALL =
  '#!/bin/bash\necho "node bootstrap done" >> /var/log/bootstrap.log\n';

/**
 * The world `cce-harden --sandbox` and `npm run demo` start from. Each cluster exists to show one
 * case the CLI must handle:
 * - demo-turbo: Turbo, no deny rule yet, runs cce-hpa-controller (the add-on that needs the API server)
 * - demo-turbo-hardened: Turbo with the rule already present (check reports compliant)
 * - demo-vpc: standard, VPC network, two container CIDRs (one iptables rule per CIDR)
 * - demo-tunnel: standard, tunnel network, only the deprecated single `cidr`
 * - demo-sleepy: Turbo in Hibernation, no endpoints
 * plus decoy groups: demo-turbo-old-cce-eni-* is a left-over of a deleted cluster whose name
 * starts with "demo-turbo", so a prefix match (instead of an exact pattern) picks the wrong group.
 */
export function demoWorld(): World {
  const b = new WorldBuilder({ seed: 'cce-harden-demo' }).project({
    region: SANDBOX_CREDENTIALS.region,
    id: SANDBOX_CREDENTIALS.projectId,
  });
  b.turboCluster({
    name: 'demo-turbo',
    apiServerIp: '192.168.0.61',
    externalIp: '121.36.10.61',
    addons: ['coredns', 'everest', 'cce-hpa-controller'],
    nodePools: [{ name: 'demo-turbo-pool', initialNodeCount: 3 }],
  });
  b.turboCluster({
    name: 'demo-turbo-hardened',
    apiServerIp: '192.168.1.17',
    hardened: true,
    addons: ['coredns', 'everest', 'metrics-server'],
    nodePools: [{ name: 'demo-hardened-pool', initialNodeCount: 2 }],
  });
  b.standardCluster({
    name: 'demo-vpc',
    mode: 'vpc-router',
    apiServerIp: '192.168.2.9',
    cidrs: ['10.0.0.0/16', '10.1.0.0/16'],
    addons: ['coredns', 'everest', 'autoscaler'],
    nodePools: [
      { name: 'demo-vpc-pool', initialNodeCount: 3, postInstall: DEMO_EXISTING_POST_INSTALL },
      { name: 'demo-vpc-gpu', initialNodeCount: 1 },
    ],
  });
  b.standardCluster({
    name: 'demo-tunnel',
    mode: 'overlay_l2',
    apiServerIp: '192.168.3.14',
    legacyCidr: '172.16.0.0/16',
    addons: ['coredns', 'everest'],
    nodePools: [{ name: 'demo-tunnel-pool', initialNodeCount: 3 }],
  });
  b.turboCluster({
    name: 'demo-sleepy',
    apiServerIp: '192.168.4.20',
    phase: 'Hibernation',
    addons: ['coredns'],
    subNetworkInterfaces: 0,
  });
  // Decoys that belong to no cluster: a residual ENI group of a deleted "demo-turbo-old" and a
  // hand-made group whose name merely mentions the cluster.
  b.securityGroup({ name: 'demo-turbo-old-cce-eni-7f3kq', defaultRules: true });
  b.securityGroup({ name: 'demo-turbo-old-cce-node-p2m8x', defaultRules: true });
  b.securityGroup({ name: 'default', description: 'Default security group', defaultRules: true });
  b.securityGroup({ name: 'demo-turbo-bastion', description: 'ssh jump host for demo-turbo' });
  b.rule({
    securityGroup: 'demo-turbo-bastion',
    direction: 'ingress',
    protocol: 'tcp',
    multiport: '22',
    remoteIpPrefix: '0.0.0.0/0',
    priority: 1,
    description: 'ssh',
  });
  return b.build();
}
