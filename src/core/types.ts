/**
 * Shapes shared by core, cloud, render and the CLI. Wire objects (snake_case VPC JSON, camelCase
 * CCE JSON) are translated into these in cloud/; nothing outside cloud/ sees SDK shapes.
 */

export type ClusterCategory = 'Turbo' | 'CCE' | (string & {});

/** The raw CCE cluster object as the API returns it (only the fields cce-harden reads). */
export interface RawCluster {
  kind?: string;
  apiVersion?: string;
  metadata: { name: string; uid: string; [k: string]: unknown };
  spec: {
    category?: string;
    type?: string;
    version?: string;
    containerNetwork?: { mode?: string; cidr?: string; cidrs?: { cidr: string }[] };
    eniNetwork?: {
      eniSubnetId?: string;
      eniSubnetCIDR?: string;
      subnets?: { subnetID: string }[];
    };
    hostNetwork?: { vpc?: string; subnet?: string; SecurityGroup?: string };
    [k: string]: unknown;
  };
  status?: {
    phase?: string;
    reason?: string;
    message?: string;
    endpoints?: ({ url?: string; type?: string } | Record<string, string>)[];
  };
}

export interface RawAddon {
  kind?: string;
  apiVersion?: string;
  metadata: { uid?: string; name: string };
  spec: { addonTemplateName: string; version?: string; clusterID?: string; [k: string]: unknown };
  status?: { status?: string; [k: string]: unknown };
}

export interface RawNodePool {
  kind?: string;
  apiVersion?: string;
  metadata: { name: string; uid: string; [k: string]: unknown };
  spec: {
    initialNodeCount?: number;
    nodeTemplate?: { extendParam?: Record<string, unknown>; [k: string]: unknown };
    [k: string]: unknown;
  };
  status?: { currentNode?: number; phase?: string; [k: string]: unknown };
}

export interface SecurityGroup {
  id: string;
  name: string;
  description?: string;
}

/** A security-group rule as cce-harden reasons about it (normalised from the VPC v3 wire form). */
export interface SgRule {
  id: string;
  securityGroupId: string;
  direction: 'ingress' | 'egress';
  ethertype: 'IPv4' | 'IPv6';
  /** Lower-case protocol name or number as a string; null means all protocols. */
  protocol: string | null;
  /** "5443", "1-100", "22,80"; null means all ports. */
  ports: string | null;
  /** CIDR; null means any (or a remote group/address group, see remoteGroupId). */
  remoteIpPrefix: string | null;
  remoteGroupId: string | null;
  remoteAddressGroupId: string | null;
  action: 'allow' | 'deny';
  priority: number;
  description: string;
  /** Absent on older APIs: treated as enabled. */
  enabled: boolean;
}

/** A rule to be created (no id yet). */
export type SgRuleSpec = Omit<SgRule, 'id' | 'remoteGroupId' | 'remoteAddressGroupId' | 'enabled'>;

/** Read side of CCE, implemented by cloud/cce.ts. */
export interface ClusterReader {
  listClusters(): Promise<RawCluster[]>;
  getCluster(id: string): Promise<RawCluster>;
  listAddons(clusterId: string): Promise<RawAddon[]>;
  listNodePools(clusterId: string): Promise<RawNodePool[]>;
}

/** Node-pool writes, implemented by cloud/cce.ts. */
export interface NodePoolWriter {
  updateNodePool(clusterId: string, pool: RawNodePool): Promise<RawNodePool>;
}

/** VPC v3 security groups and rules, implemented by cloud/vpc.ts. */
export interface RuleStore {
  listSecurityGroups(): Promise<SecurityGroup[]>;
  /** Rules of several groups in as few calls as the API allows (filters by several ids at once). */
  listRules(
    securityGroupIds: readonly string[],
    filter?: { direction?: 'ingress' | 'egress' },
  ): Promise<SgRule[]>;
  /**
   * Rules of the whole project (region) that pass server-side filters, all pages, with
   * `keep` applied to each page as it is read so rules nobody asked for are not held. Optional:
   * a store without it is read group by group (`listRules`).
   */
  listProjectRules?(filter: ProjectRuleFilter, keep?: (rule: SgRule) => boolean): Promise<SgRule[]>;
  /**
   * Creates a rule. A 409 duplicate (VPC.9902, e.g. from a concurrent run) is not an error: it
   * reports the id of the rule that already exists. `dryRun` asks the API to validate only.
   */
  createRule(rule: SgRuleSpec, opts?: { dryRun?: boolean }): Promise<CreateRuleResult>;
  deleteRule(ruleId: string): Promise<void>;
}

/** Server-side filters of ListSecurityGroupRules (reference §4.2) a project-wide read uses. */
export interface ProjectRuleFilter {
  direction: 'ingress' | 'egress';
  action?: 'allow' | 'deny';
  /** Any of these priorities. */
  priority?: readonly number[];
}

export type CreateRuleResult =
  | { status: 'created'; rule: SgRule }
  | { status: 'exists'; ruleId: string | null }
  | { status: 'validated' };

/** A pod's network interface on a Turbo cluster (VPC sub-network interface). */
export interface PodInterface {
  id: string;
  subnetId: string;
  securityGroupIds: string[];
}

/** Which security groups pods really use: implemented by cloud/vpc.ts. */
export interface PodInterfaceReader {
  /** `subnetIds`: the cluster's ENI (neutron) subnet ids as CCE reports them. */
  listPodInterfaces(subnetIds: readonly string[], clusterId?: string): Promise<PodInterface[]>;
}
