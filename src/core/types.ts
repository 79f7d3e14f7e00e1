/**
 * Domain shapes shared by core, cloud, render and the CLI, and the ports core needs from the
 * cloud. Wire objects (snake_case VPC JSON, camelCase CCE JSON, Base64 scripts) are parsed and
 * translated into these in cloud/; nothing outside cloud/ sees SDK or wire shapes.
 */
import type { ClusterFacts } from './cluster.js';

export type ClusterCategory = 'Turbo' | 'CCE' | (string & {});

/** A CCE add-on instance: only what the pre-flight needs. */
export interface Addon {
  /** The add-on template name, e.g. `cce-hpa-controller`. */
  templateName: string;
  /** `running`, `deleting`, ...; null when the API omits it. */
  status: string | null;
}

/** A node pool's post-install script, decoded; or why it could not be decoded. */
export type PostInstallScript = { ok: true; script: string } | { ok: false; problem: string };

/** A CCE node pool as cce-harden reasons about it. */
export interface NodePool {
  id: string;
  name: string;
  /** `status.phase`: '' or null when usable; `Deleting`, `Error`, ... otherwise. */
  phase: string | null;
  /** The decoded post-install script ('' when the pool has none). */
  postInstall: PostInstallScript;
  /** The decoded pre-install script: it counts against CCE's size limit for both scripts. */
  preInstall: PostInstallScript;
  /** `spec.type`: `vm`, `ElasticBMS` (bare metal), ...; absent when not read. */
  type?: string | null;
  /** Turbo: `spec.podSecurityGroups` ids (pods on this pool use these instead of the ENI group). */
  podSecurityGroupIds?: string[];
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
  /** Every cluster of the region, as facts (wire shapes are validated in cloud/). */
  listClusters(): Promise<ClusterFacts[]>;
  listAddons(clusterId: string): Promise<Addon[]>;
  listNodePools(clusterId: string): Promise<NodePool[]>;
}

/** Node-pool writes, implemented by cloud/cce.ts. */
export interface NodePoolWriter {
  /**
   * Sets the pool's post-install script to `script`. The pool is read fresh right before the
   * write; when its script is no longer `expected` nothing is written and the call fails (someone
   * changed it since it was planned). The node count is never written. Returns the pool as the
   * cloud answers after the write.
   */
  updatePostInstallScript(
    clusterId: string,
    poolId: string,
    change: { expected: string; script: string },
  ): Promise<NodePool>;
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
   * a store without it is read group by group (`listRules`). With `maxPages`, a listing that
   * needs more pages than that stops there and resolves null.
   */
  listProjectRules?(
    filter: ProjectRuleFilter,
    keep?: (rule: SgRule) => boolean,
    opts?: { maxPages?: number },
  ): Promise<SgRule[] | null>;
  /**
   * Creates a rule. A 409 duplicate (VPC.9902, e.g. from a concurrent run) is not an error: it
   * reports the id of the rule that already exists. `dryRun` asks the API to validate only.
   */
  createRule(rule: SgRuleSpec, opts?: { dryRun?: boolean }): Promise<CreateRuleResult>;
  deleteRule(ruleId: string): Promise<void>;
}

/**
 * Server-side filters of ListSecurityGroupRules a project-wide read uses (docs/cloud-api.md, "VPC:
 * security groups and rules").
 */
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
