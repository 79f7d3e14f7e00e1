import type { WireAddon, WireCluster, WireNodePool } from './wire-cce.js';

/**
 * The sandbox's whole state. It is plain JSON on purpose: it is written to a file between CLI
 * runs and compared in tests. VPC objects are kept in their wire form (snake_case, exactly what
 * the API returns) so routes serve them without translation.
 */
export interface World {
  schemaVersion: 1;
  /** Seed and counter for deterministic ids (see ids.ts). */
  seed: string;
  seq: number;
  projects: WorldProject[];
}

/** One IAM project. Real Huawei Cloud has exactly one project per region per account. */
export interface WorldProject {
  id: string;
  /** The region name, which is also the project name in IAM. */
  region: string;
  domainId: string;
  /** How many rules one security group may hold before create answers 409 VPC.9905. */
  ruleQuotaPerGroup: number;
  /** Per-group overrides of the quota, keyed by security group id. */
  ruleQuotaOverrides: Record<string, number>;
  clusters: WorldCluster[];
  securityGroups: WireSecurityGroup[];
  securityGroupRules: WireSecurityGroupRule[];
  subNetworkInterfaces: WireSubNetworkInterface[];
  /**
   * VPC v1 subnets. Each has two ids: its own `id` (what VPC v3 sub-interfaces call
   * `virsubnet_id`) and `neutron_subnet_id` (what CCE calls `subnetID`/`eniSubnetId`).
   * Optional so state files written before subnets were emulated still load.
   */
  subnets?: WireSubnet[];
  /**
   * Opt-in autoscaler: node pool id -> nodes added to `initialNodeCount` right after each read
   * of that pool (negative removes), so a client that writes back what it read scales it back.
   */
  autoscaler?: Record<string, number>;
}

export interface WorldCluster {
  cluster: WireCluster;
  addons: WireAddon[];
  nodePools: WireNodePool[];
}

/** VPC v3 SecurityGroup as listed (ShowSecurityGroup adds `security_group_rules`). */
export interface WireSecurityGroup {
  id: string;
  name: string;
  project_id: string;
  description: string;
  enterprise_project_id: string;
  created_at: string;
  updated_at: string;
  tags: { key: string; value: string }[];
}

/** VPC v3 SecurityGroupRule. `priority` is always a number here, `multiport` a string or null. */
export interface WireSecurityGroupRule {
  id: string;
  project_id: string;
  security_group_id: string;
  direction: 'ingress' | 'egress';
  protocol: string | null;
  ethertype: 'IPv4' | 'IPv6';
  description: string;
  created_at: string;
  updated_at: string;
  remote_ip_prefix: string | null;
  multiport: string | null;
  action: 'allow' | 'deny';
  priority: number;
  remote_group_id: string | null;
  remote_address_group_id: string | null;
  enabled: boolean;
}

/** VPC v3 SubNetworkInterface (the per-pod sub-ENIs of a CCE Turbo cluster). */
export interface WireSubNetworkInterface {
  id: string;
  virsubnet_id: string;
  private_ip_address: string;
  ipv6_ip_address: string | null;
  mac_address: string;
  parent_device_id: string;
  parent_id: string;
  description: string;
  vpc_id: string;
  vlan_id: number;
  security_groups: string[];
  tags: { key: string; value: string }[];
  project_id: string;
  created_at: string;
  allowed_address_pairs: { ip_address: string; mac_address?: string }[];
  state: string;
  instance_id: string;
  instance_type: string;
  scope: string;
  security_enabled: boolean;
}

/** VPC v1 Subnet as ListSubnets returns it (docs/cloud-api.md, "VPC subnets"). */
export interface WireSubnet {
  id: string;
  name: string;
  description: string;
  cidr: string;
  gateway_ip: string;
  ipv6_enable: boolean;
  dhcp_enable: boolean;
  primary_dns: string;
  secondary_dns: string;
  dnsList: string[];
  availability_zone: string;
  vpc_id: string;
  status: string;
  neutron_network_id: string;
  neutron_subnet_id: string;
  extra_dhcp_opts: { opt_value: string; opt_name: string }[];
  scope: string;
  tenant_id: string;
  created_at: string;
  updated_at: string;
}

/** The project with this id, or the one in this region (ids are tried first). */
export function findProject(world: World, idOrRegion: string): WorldProject | undefined {
  return (
    world.projects.find((p) => p.id === idOrRegion) ??
    world.projects.find((p) => p.region === idOrRegion)
  );
}

/** A cluster by name or id, searched in every project. */
export function findCluster(world: World, nameOrId: string): WorldCluster | undefined {
  for (const p of world.projects) {
    const c = p.clusters.find(
      (x) => x.cluster.metadata.name === nameOrId || x.cluster.metadata.uid === nameOrId,
    );
    if (c) return c;
  }
  return undefined;
}

/** A security group by exact name or id, searched in every project. */
export function findSecurityGroup(world: World, nameOrId: string): WireSecurityGroup | undefined {
  for (const p of world.projects) {
    const g = p.securityGroups.find((x) => x.id === nameOrId || x.name === nameOrId);
    if (g) return g;
  }
  return undefined;
}

/** The rules of one security group (by id), in stored order. */
export function rulesOfGroup(world: World, groupId: string): WireSecurityGroupRule[] {
  const out: WireSecurityGroupRule[] = [];
  for (const p of world.projects) {
    for (const r of p.securityGroupRules) if (r.security_group_id === groupId) out.push(r);
  }
  return out;
}

/** The effective rule quota of a group. */
export function ruleQuotaOf(project: WorldProject, groupId: string): number {
  return project.ruleQuotaOverrides[groupId] ?? project.ruleQuotaPerGroup;
}
