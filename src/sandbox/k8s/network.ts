import type { World, WorldCluster, WorldProject, WireSecurityGroupRule } from '../world.js';
import {
  internalApiServer,
  isTurbo,
  type KubeClusterState,
  type KubeNodeState,
} from './kube-world.js';

/**
 * What happens to a TCP connection a probe pod opens, computed from the cloud world (rules in
 * SPEC.md, "Kubernetes API emulator"). The answer is what the probe script prints.
 */
export interface ProbeOutcome {
  result: 'blocked' | 'reachable';
  /** connected | refused (a REJECT, or nothing listening) | timeout (a security-group deny, a DROP). */
  reason: 'connected' | 'refused' | 'timeout';
}

export const METADATA_IP = '169.254.169.254';

function ipToInt(ip: string): number | null {
  const parts = ip.split('.');
  if (parts.length !== 4) return null;
  let n = 0;
  for (const p of parts) {
    const v = Number(p);
    if (!/^\d+$/.test(p) || v > 255) return null;
    n = n * 256 + v;
  }
  return n;
}

/** Whether `ip` is inside `cidr` (a bare address is a /32). */
export function cidrContains(cidr: string, ip: string): boolean {
  const [base, lenText] = cidr.split('/');
  const len = lenText === undefined ? 32 : Number(lenText);
  const a = ipToInt(base ?? '');
  const b = ipToInt(ip);
  if (a === null || b === null || !Number.isInteger(len) || len < 0 || len > 32) return false;
  if (len === 0) return true;
  const mask = 2 ** 32 - 2 ** (32 - len);
  return (a & mask) >>> 0 === (b & mask) >>> 0;
}

/** multiport "5443", "1-100", "22,80,1000-2000"; null = all ports. */
export function portMatches(multiport: string | null, port: number): boolean {
  if (multiport === null || multiport === '') return true;
  return multiport.split(',').some((part) => {
    const [lo, hi] = part.trim().split('-').map(Number);
    if (lo === undefined || Number.isNaN(lo)) return false;
    return port >= lo && port <= (hi ?? lo);
  });
}

function ruleMatches(r: WireSecurityGroupRule, ip: string, port: number): boolean {
  if (!r.enabled || r.direction !== 'egress' || r.ethertype !== 'IPv4') return false;
  const proto = r.protocol === null ? null : r.protocol.toLowerCase();
  if (proto !== null && proto !== 'tcp' && proto !== '6') return false;
  if (!portMatches(r.multiport, port)) return false;
  // Rules that name a remote group or address group are not resolved: they never match here.
  if (r.remote_group_id || r.remote_address_group_id) return false;
  return r.remote_ip_prefix === null || cidrContains(r.remote_ip_prefix, ip);
}

/**
 * VPC egress evaluation over the groups of one interface, in binding order: the first group with
 * a matching rule decides; inside it the lowest priority number wins, and at equal priority deny
 * beats allow (docs/cloud-api.md, "VPC: how rules are evaluated"). No matching rule in any group: denied (groups are allow-lists).
 */
export function securityGroupVerdict(
  project: WorldProject,
  groupIds: readonly string[],
  ip: string,
  port: number,
): 'allow' | 'deny' {
  for (const gid of groupIds) {
    const matching = project.securityGroupRules.filter(
      (r) => r.security_group_id === gid && ruleMatches(r, ip, port),
    );
    if (matching.length === 0) continue;
    const top = Math.min(...matching.map((r) => r.priority));
    const atTop = matching.filter((r) => r.priority === top);
    return atTop.some((r) => r.action === 'deny') ? 'deny' : 'allow';
  }
  return 'deny';
}

/**
 * The security groups a Turbo pod on this node uses: the node pool's `podSecurityGroups` when set,
 * else the groups of the cluster's existing pod interfaces (the ENI group CCE binds), else the
 * `<cluster>-cce-eni-` group by name.
 */
export function podSecurityGroups(
  project: WorldProject,
  wc: WorldCluster,
  node: KubeNodeState,
): string[] {
  const pool = wc.nodePools.find((p) => p.metadata.uid === node.poolId);
  const fromPool = (pool?.spec['podSecurityGroups'] as { id: string }[] | undefined)?.map(
    (g) => g.id,
  );
  if (fromPool && fromPool.length > 0) return fromPool;
  const eni = project.subNetworkInterfaces.find((s) => s.instance_id === wc.cluster.metadata.uid);
  if (eni) return [...eni.security_groups];
  const name = wc.cluster.metadata.name;
  const g = project.securityGroups.find((x) => x.name.startsWith(`${name}-cce-eni-`));
  return g ? [g.id] : [];
}

function iptablesVerdict(
  wc: WorldCluster,
  node: KubeNodeState,
  podIp: string,
  ip: string,
  port: number,
): 'REJECT' | 'DROP' | null {
  const chain = wc.cluster.spec.containerNetwork?.mode === 'overlay_l2' ? 'FORWARD' : 'OUTPUT';
  for (const r of node.iptables) {
    if (r.chain !== chain) continue;
    if (r.source !== null && !cidrContains(r.source, podIp)) continue;
    if (!cidrContains(r.destination, ip)) continue;
    if (r.dport !== null && r.dport !== port) continue;
    return r.target;
  }
  return null;
}

/** One TCP connection from a pod on `node` (address `podIp`) to ip:port. */
export function probeConnection(
  world: World,
  project: WorldProject,
  wc: WorldCluster,
  kube: KubeClusterState,
  node: KubeNodeState,
  podIp: string,
  target: { ip: string; port: number },
): ProbeOutcome {
  void world;
  const api = internalApiServer(wc);
  let { ip, port } = target;
  // kube-proxy translates the Service address before any filter sees the packet.
  if (ip === kube.serviceIp) {
    if (port !== 443 || !api) return { result: 'blocked', reason: 'refused' };
    ip = api.ip;
    port = kube.endpointPort;
  }
  if (isTurbo(wc)) {
    const verdict = securityGroupVerdict(project, podSecurityGroups(project, wc, node), ip, port);
    if (verdict === 'deny') return { result: 'blocked', reason: 'timeout' };
  } else {
    const target = iptablesVerdict(wc, node, podIp, ip, port);
    if (target === 'REJECT') return { result: 'blocked', reason: 'refused' };
    if (target === 'DROP') return { result: 'blocked', reason: 'timeout' };
  }
  const listening =
    (api !== null && ip === api.ip && kube.listeningPorts.includes(port)) ||
    (ip === METADATA_IP && port === 80);
  return listening
    ? { result: 'reachable', reason: 'connected' }
    : { result: 'blocked', reason: 'refused' };
}
