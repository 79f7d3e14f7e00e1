import { SANDBOX_CREDENTIALS } from './credentials.js';
import {
  makeAddon,
  makeClusterJson,
  makeNodePool,
  type EndpointsShape,
} from './fixtures/cce-objects.js';
import {
  defaultRuleFields,
  hardenedRuleFields,
  makeRule,
  makeSecurityGroup,
  type HardenedVariant,
  type RuleFields,
} from './fixtures/security-groups.js';
import { fixtureTime, vpcTimestamp } from './fixtures/timestamps.js';
import { nextHex32, nextSuffix, nextUuid } from './ids.js';
import type { World, WorldCluster, WorldProject, WireSecurityGroup, WireSubnet } from './world.js';

/**
 * The description CCE gives the sub-interfaces it creates for a Turbo cluster's pods names the
 * cluster id (docs/cloud-api.md, "Pod network interfaces"; the exact wording is not documented,
 * so clients should look for the id, not for this text).
 */
export function subInterfaceDescription(clusterId: string): string {
  return `cce-turbo pod interface, cluster ${clusterId}`;
}

export type { HardenedVariant } from './fixtures/security-groups.js';

export const DEFAULT_RULE_QUOTA = 100;

export interface ProjectOptions {
  region: string;
  /** 32 hex chars; default: SANDBOX_CREDENTIALS.projectId for its region, else derived from the seed. */
  id?: string;
  ruleQuota?: number;
}

export interface NodePoolOptions {
  name: string;
  initialNodeCount?: number;
  /** Plain text; stored Base64 in `spec.nodeTemplate.extendParam["alpha.cce/postInstall"]`. */
  postInstall?: string;
  preInstall?: string;
  /** Security groups (names or ids) for pods on this pool (Turbo `spec.podSecurityGroups`). */
  podSecurityGroups?: string[];
  /** A bare-metal pool (`spec.type: "ElasticBMS"`): its pods use full ENIs, not sub-interfaces. */
  bareMetal?: boolean;
  /** `status.phase`; default `''` (Active). `Deleting` and `Error` refuse updates. */
  phase?: string;
  /** Nodes an autoscaler adds right after each read of this pool (see World `autoscaler`). */
  autoscaler?: number;
}

interface CommonClusterOptions {
  name: string;
  id?: string;
  version?: string;
  /** Internal API-server IP; default: a distinct address inside the VPC CIDR. */
  apiServerIp?: string;
  port?: number;
  phase?: string;
  /** Default: present unless the phase is Hibernation/Hibernating/Creating/Deleting. */
  endpoints?: boolean;
  endpointsShape?: EndpointsShape;
  /** Public EIP for an `External` endpoint; none by default. */
  externalIp?: string;
  /** Add-on template names. Default: coredns and everest. */
  addons?: string[];
  nodePools?: NodePoolOptions[];
  vpcCidr?: string;
}

export interface TurboClusterOptions extends CommonClusterOptions {
  /** How many `<name>-cce-eni-xxxxx` groups: 0 (none), 1 (normal), 2 (plus a residual one). */
  eniGroups?: 0 | 1 | 2;
  /** Put the deny rule (or a variant of it) in the cluster's ENI group. */
  hardened?: HardenedVariant;
  eniSubnetCidr?: string;
  /** Share the ENI subnet of this (earlier) cluster instead of getting one of its own. */
  eniSubnetOf?: string;
  /**
   * Give each ENI group one ordinary allow rule (egress TCP 443 to 0.0.0.0/0, priority 1)
   * besides CCE's defaults and any deny rule, as real groups usually have.
   */
  eniAllowRule?: boolean;
  /** Sub-ENIs (pods) to create in the ENI subnet, bound to the ENI group. Default 2. */
  subNetworkInterfaces?: number;
}

export interface StandardClusterOptions extends CommonClusterOptions {
  mode: 'vpc-router' | 'overlay_l2';
  /** `containerNetwork.cidrs[]` (clusters from v1.21). */
  cidrs?: string[];
  /** Deprecated `containerNetwork.cidr` (older clusters). */
  legacyCidr?: string;
}

export interface SecurityGroupOptions {
  name: string;
  id?: string;
  description?: string;
  /** Add CCE's default rules (egress all, ingress from VPC and self). Default false. */
  defaultRules?: boolean;
  vpcCidr?: string;
}

export interface RuleOptions {
  /** Group name or id in the current project. */
  securityGroup: string;
  id?: string;
  direction: 'ingress' | 'egress';
  ethertype?: 'IPv4' | 'IPv6';
  protocol?: string | null;
  multiport?: string | number | null;
  /** Stored exactly as given: fixtures may hold forms the API would normalise. */
  remoteIpPrefix?: string | null;
  remoteGroupId?: string | null;
  remoteAddressGroupId?: string | null;
  action?: 'allow' | 'deny';
  priority?: number;
  description?: string;
  enabled?: boolean;
}

export interface ManyTurboOptions extends Omit<TurboClusterOptions, 'name' | 'id' | 'apiServerIp'> {
  /** Names are `<namePrefix>-0001` ... Default `turbo`. */
  namePrefix?: string;
}

const QUIET_PHASES = new Set(['Hibernation', 'Hibernating', 'Creating', 'Deleting']);

/**
 * Fluent builder for sandbox worlds. Calls apply to the current project (the first `.project()`
 * call, or SANDBOX_CREDENTIALS' project when none was named). Ids come from the seed, so the same
 * calls always build the same world.
 */
export class WorldBuilder {
  private readonly world: World;
  private current: WorldProject | undefined;
  private step = 0;
  private ipCounter = 0;

  constructor(opts: { seed?: string; ruleQuota?: number } = {}) {
    this.world = {
      schemaVersion: 1,
      seed: opts.seed ?? 'cce-harden-sandbox',
      seq: 0,
      projects: [],
    };
    this.defaultQuota = opts.ruleQuota ?? DEFAULT_RULE_QUOTA;
  }

  private readonly defaultQuota: number;

  /** Switch to (or create) the project of this region. One project per region, as in IAM. */
  project(opts: ProjectOptions): this {
    const existing = this.world.projects.find((p) => p.region === opts.region);
    if (existing) {
      if (opts.id && opts.id !== existing.id) {
        throw new Error(`region ${opts.region} already has project ${existing.id}`);
      }
      if (opts.ruleQuota !== undefined) existing.ruleQuotaPerGroup = opts.ruleQuota;
      this.current = existing;
      return this;
    }
    const sandboxIdFree = !this.world.projects.some((p) => p.id === SANDBOX_CREDENTIALS.projectId);
    const id =
      opts.id ??
      (opts.region === SANDBOX_CREDENTIALS.region && sandboxIdFree
        ? SANDBOX_CREDENTIALS.projectId
        : nextHex32(this.world, 'project'));
    if (!/^[0-9a-f]{32}$/.test(id)) throw new Error(`project id must be 32 hex chars: ${id}`);
    const project: WorldProject = {
      id,
      region: opts.region,
      domainId: nextHex32(this.world, 'domain'),
      ruleQuotaPerGroup: opts.ruleQuota ?? this.defaultQuota,
      ruleQuotaOverrides: {},
      clusters: [],
      securityGroups: [],
      securityGroupRules: [],
      subNetworkInterfaces: [],
    };
    this.world.projects.push(project);
    this.current = project;
    return this;
  }

  /** Set the rule quota of one group (name or id) or, without a group, of the current project. */
  ruleQuota(n: number, securityGroup?: string): this {
    const p = this.proj();
    if (securityGroup === undefined) p.ruleQuotaPerGroup = n;
    else p.ruleQuotaOverrides[this.group(securityGroup).id] = n;
    return this;
  }

  turboCluster(o: TurboClusterOptions): this {
    const vpcCidr = o.vpcCidr ?? '192.168.0.0/16';
    const eniSubnetCidr = o.eniSubnetCidr ?? '192.168.128.0/18';
    const ids = this.clusterIds(o.id);
    this.addSubnet({
      id: ids.subnetId,
      vpcId: ids.vpcId,
      cidr: '192.168.0.0/24',
      name: `${o.name}-subnet`,
    });
    const eniSubnet = o.eniSubnetOf
      ? this.eniSubnetOfCluster(o.eniSubnetOf)
      : this.addSubnet({ vpcId: ids.vpcId, cidr: eniSubnetCidr, name: `${o.name}-eni-subnet` });
    const eniSubnetId = eniSubnet.neutron_subnet_id;
    const apiServerIp = o.apiServerIp ?? this.nextApiServerIp();
    const port = o.port ?? 5443;

    const node = this.addGroup(`${o.name}-cce-node-${this.suffix()}`, vpcCidr, true);
    const control = this.addGroup(`${o.name}-cce-control-${this.suffix()}`, vpcCidr, true);
    const eniCount = o.eniGroups ?? 1;
    const eni: WireSecurityGroup[] = [];
    for (let i = 0; i < eniCount; i++) {
      eni.push(this.addGroup(`${o.name}-cce-eni-${this.suffix()}`, vpcCidr, true));
    }
    if (o.eniAllowRule) {
      for (const g of eni) {
        this.addRule(g.id, {
          direction: 'egress',
          protocol: 'tcp',
          multiport: '443',
          remote_ip_prefix: '0.0.0.0/0',
          action: 'allow',
          priority: 1,
          description: 'https out',
        });
      }
    }
    const live = eni[0];
    if (live && o.hardened) {
      this.addRule(live.id, hardenedRuleFields(o.hardened, apiServerIp, port));
    }

    const cluster = makeClusterJson({
      uid: ids.uid,
      name: o.name,
      category: 'Turbo',
      version: o.version ?? 'v1.29',
      vpcId: ids.vpcId,
      subnetId: ids.subnetId,
      nodeSecurityGroupId: node.id,
      controlPlaneSecurityGroupId: control.id,
      containerNetwork: { mode: 'eni' },
      eniNetwork: {
        eniSubnetId,
        eniSubnetCIDR: eniSubnet.cidr,
        subnets: [{ subnetID: eniSubnetId }],
      },
      phase: o.phase ?? 'Available',
      ...this.endpointsFor(o, apiServerIp, port),
      at: this.nextTime(),
    });
    const wc = this.addCluster(cluster, o);

    const podCount = o.subNetworkInterfaces ?? 2;
    for (let i = 0; i < podCount && live; i++) {
      this.addSubEni({
        subnet: eniSubnet,
        index: i,
        groups: [live.id],
        clusterId: wc.cluster.metadata.uid,
      });
    }
    return this;
  }

  /** Many Turbo clusters at once (benchmarks); each gets its own API-server IP. */
  turboClusters(count: number, o: ManyTurboOptions = {}): this {
    const prefix = o.namePrefix ?? 'turbo';
    const width = Math.max(4, String(count).length);
    for (let i = 1; i <= count; i++) {
      this.turboCluster({ ...o, name: `${prefix}-${String(i).padStart(width, '0')}` });
    }
    return this;
  }

  standardCluster(o: StandardClusterOptions): this {
    const vpcCidr = o.vpcCidr ?? '192.168.0.0/16';
    const ids = this.clusterIds(o.id);
    const apiServerIp = o.apiServerIp ?? this.nextApiServerIp();
    const port = o.port ?? 5443;
    this.addSubnet({
      id: ids.subnetId,
      vpcId: ids.vpcId,
      cidr: '192.168.0.0/24',
      name: `${o.name}-subnet`,
    });
    const node = this.addGroup(`${o.name}-cce-node-${this.suffix()}`, vpcCidr, true);
    const control = this.addGroup(`${o.name}-cce-control-${this.suffix()}`, vpcCidr, true);
    const containerNetwork: { mode: string; cidr?: string; cidrs?: { cidr: string }[] } = {
      mode: o.mode,
    };
    if (o.legacyCidr !== undefined) containerNetwork.cidr = o.legacyCidr;
    if (o.cidrs !== undefined) containerNetwork.cidrs = o.cidrs.map((cidr) => ({ cidr }));
    if (o.legacyCidr === undefined && o.cidrs === undefined) {
      containerNetwork.cidrs = [{ cidr: '172.16.0.0/16' }];
    }
    const cluster = makeClusterJson({
      uid: ids.uid,
      name: o.name,
      category: 'CCE',
      version: o.version ?? (o.legacyCidr !== undefined ? 'v1.19' : 'v1.28'),
      vpcId: ids.vpcId,
      subnetId: ids.subnetId,
      nodeSecurityGroupId: node.id,
      controlPlaneSecurityGroupId: control.id,
      containerNetwork,
      phase: o.phase ?? 'Available',
      ...this.endpointsFor(o, apiServerIp, port),
      at: this.nextTime(),
    });
    this.addCluster(cluster, o);
    return this;
  }

  securityGroup(o: SecurityGroupOptions): this {
    const g = this.addGroup(o.name, o.vpcCidr ?? '192.168.0.0/16', o.defaultRules ?? false, o.id);
    if (o.description !== undefined) g.description = o.description;
    return this;
  }

  rule(o: RuleOptions): this {
    const group = this.group(o.securityGroup);
    const fields: RuleFields = {
      direction: o.direction,
      ethertype: o.ethertype ?? 'IPv4',
      protocol: o.protocol ?? null,
      multiport: o.multiport === undefined || o.multiport === null ? null : String(o.multiport),
      remote_ip_prefix: o.remoteIpPrefix ?? null,
      remote_group_id: o.remoteGroupId ?? null,
      remote_address_group_id: o.remoteAddressGroupId ?? null,
      action: o.action ?? 'allow',
      priority: o.priority ?? 1,
      description: o.description ?? '',
      enabled: o.enabled ?? true,
    };
    this.addRule(group.id, fields, o.id);
    return this;
  }

  /** Add an add-on instance to a cluster (name or id) of the current project. */
  addon(cluster: string, templateName: string): this {
    const wc = this.cluster(cluster);
    wc.addons.push(
      makeAddon({
        uid: this.uuid('addon'),
        clusterId: wc.cluster.metadata.uid,
        templateName,
        at: this.nextTime(),
      }),
    );
    return this;
  }

  nodePool(cluster: string, o: NodePoolOptions): this {
    const wc = this.cluster(cluster);
    wc.nodePools.push(this.makePool(o));
    return this;
  }

  /** Id of a node pool (by name) of a cluster (name or id) in the current project. */
  nodePoolId(cluster: string, pool: string): string {
    const p = this.cluster(cluster).nodePools.find((x) => x.metadata.name === pool);
    if (!p) throw new Error(`no node pool ${pool} in cluster ${cluster}`);
    return p.metadata.uid;
  }

  /**
   * A sub-ENI in the cluster's ENI subnet bound to the given groups (names or ids), e.g. a pod
   * with a custom SG. `description` overrides the one naming the cluster id (e.g. `''` for an
   * interface some other tool created in the same subnet).
   */
  subNetworkInterface(o: {
    cluster: string;
    securityGroups: string[];
    description?: string;
  }): this {
    const wc = this.cluster(o.cluster);
    this.addSubEni({
      subnet: this.eniSubnetOfCluster(o.cluster),
      index: this.proj().subNetworkInterfaces.length,
      groups: o.securityGroups.map((g) => this.group(g).id),
      clusterId: wc.cluster.metadata.uid,
      ...(o.description !== undefined ? { description: o.description } : {}),
    });
    return this;
  }

  /** The VPC subnet (both ids) behind a Turbo cluster's `eniNetwork` neutron subnet id. */
  eniSubnet(cluster: string): WireSubnet {
    return structuredClone(this.eniSubnetOfCluster(cluster));
  }

  /** Id of a group (exact name or id) in the current project. */
  groupId(nameOrId: string): string {
    return this.group(nameOrId).id;
  }

  /** Id of a cluster (name or id) in the current project. */
  clusterId(nameOrId: string): string {
    return this.cluster(nameOrId).cluster.metadata.uid;
  }

  /** A deep copy: building twice, or building and continuing, never shares state. */
  build(): World {
    if (this.world.projects.length === 0) this.proj();
    return structuredClone(this.world);
  }

  // ---- internals ----

  private proj(): WorldProject {
    if (!this.current) this.project({ region: SANDBOX_CREDENTIALS.region });
    return this.current as WorldProject;
  }

  private uuid(label: string): string {
    return nextUuid(this.world, label);
  }

  private suffix(): string {
    return nextSuffix(this.world);
  }

  private nextTime(): Date {
    return fixtureTime(this.step++);
  }

  /** Distinct addresses in 192.168.0.0/16 (outside the default ENI subnet at .128.0/18). */
  private nextApiServerIp(): string {
    const n = this.ipCounter++;
    return `192.168.${Math.floor(n / 250) % 128}.${(n % 250) + 3}`;
  }

  private clusterIds(uid?: string): { uid: string; vpcId: string; subnetId: string } {
    return {
      uid: uid ?? this.uuid('cluster'),
      vpcId: this.uuid('vpc'),
      subnetId: this.uuid('subnet'),
    };
  }

  private endpointsFor(
    o: CommonClusterOptions,
    ip: string,
    port: number,
  ): { endpoints?: { internal: string; external?: string; shape: EndpointsShape } } {
    const phase = o.phase ?? 'Available';
    const want = o.endpoints ?? !QUIET_PHASES.has(phase);
    if (!want) return {};
    const shape = o.endpointsShape ?? 'huawei';
    const internal = `https://${ip}:${port}`;
    return o.externalIp
      ? { endpoints: { internal, external: `https://${o.externalIp}:${port}`, shape } }
      : { endpoints: { internal, shape } };
  }

  private addCluster(cluster: WorldCluster['cluster'], o: CommonClusterOptions): WorldCluster {
    const p = this.proj();
    if (p.clusters.some((c) => c.cluster.metadata.name === o.name)) {
      throw new Error(`cluster ${o.name} already exists in ${p.region}`);
    }
    const wc: WorldCluster = { cluster, addons: [], nodePools: [] };
    p.clusters.push(wc);
    for (const name of o.addons ?? ['coredns', 'everest']) {
      wc.addons.push(
        makeAddon({
          uid: this.uuid('addon'),
          clusterId: cluster.metadata.uid,
          templateName: name,
          at: this.nextTime(),
        }),
      );
    }
    for (const np of o.nodePools ?? []) wc.nodePools.push(this.makePool(np));
    return wc;
  }

  private makePool(o: NodePoolOptions): WorldCluster['nodePools'][number] {
    const pool = makeNodePool({
      uid: this.uuid('nodepool'),
      name: o.name,
      initialNodeCount: o.initialNodeCount ?? 3,
      ...(o.postInstall !== undefined ? { postInstall: o.postInstall } : {}),
      ...(o.preInstall !== undefined ? { preInstall: o.preInstall } : {}),
      ...(o.podSecurityGroups
        ? { podSecurityGroups: o.podSecurityGroups.map((g) => this.group(g).id) }
        : {}),
      az: `${this.proj().region}a`,
      at: this.nextTime(),
      ...(o.bareMetal ? { bareMetal: true } : {}),
      ...(o.phase !== undefined ? { phase: o.phase } : {}),
    });
    if (o.autoscaler) (this.proj().autoscaler ??= {})[pool.metadata.uid] = o.autoscaler;
    return pool;
  }

  private addGroup(
    name: string,
    vpcCidr: string,
    defaults: boolean,
    id?: string,
  ): WireSecurityGroup {
    const p = this.proj();
    const g = makeSecurityGroup({
      id: id ?? this.uuid('sg'),
      name,
      projectId: p.id,
      at: this.nextTime(),
    });
    p.securityGroups.push(g);
    if (defaults) for (const f of defaultRuleFields(g.id, vpcCidr)) this.addRule(g.id, f);
    return g;
  }

  private addRule(groupId: string, f: RuleFields, id?: string): void {
    const p = this.proj();
    p.securityGroupRules.push(
      makeRule({ id: id ?? this.uuid('rule'), projectId: p.id, groupId, at: this.nextTime() }, f),
    );
  }

  /**
   * A VPC subnet with its two distinct ids: `id` (VPC v3 `virsubnet_id`) and
   * `neutron_subnet_id` (CCE's `subnetID`/`eniSubnetId`).
   */
  private addSubnet(o: { id?: string; vpcId: string; cidr: string; name: string }): WireSubnet {
    const p = this.proj();
    const base = o.cidr.split('/')[0]?.split('.').map(Number) ?? [192, 168, 0, 0];
    const ts = vpcTimestamp(this.nextTime());
    const subnet: WireSubnet = {
      id: o.id ?? this.uuid('subnet'),
      name: o.name,
      description: '',
      cidr: o.cidr,
      gateway_ip: `${base[0]}.${base[1]}.${base[2]}.${(base[3] ?? 0) + 1}`,
      ipv6_enable: false,
      dhcp_enable: true,
      primary_dns: '100.125.1.250',
      secondary_dns: '100.125.21.250',
      dnsList: ['100.125.1.250', '100.125.21.250'],
      availability_zone: `${p.region}a`,
      vpc_id: o.vpcId,
      status: 'ACTIVE',
      neutron_network_id: this.uuid('neutron-network'),
      neutron_subnet_id: this.uuid('neutron-subnet'),
      extra_dhcp_opts: [],
      scope: 'center',
      tenant_id: p.id,
      created_at: ts,
      updated_at: ts,
    };
    (p.subnets ??= []).push(subnet);
    return subnet;
  }

  private eniSubnetOfCluster(cluster: string): WireSubnet {
    const wc = this.cluster(cluster);
    const eni = wc.cluster.spec.eniNetwork;
    const neutronId = eni?.subnets?.[0]?.subnetID ?? eni?.eniSubnetId;
    const subnet = this.proj().subnets?.find((x) => x.neutron_subnet_id === neutronId);
    if (!subnet) throw new Error(`cluster ${cluster} has no ENI subnet`);
    return subnet;
  }

  private addSubEni(o: {
    subnet: WireSubnet;
    index: number;
    groups: string[];
    clusterId: string;
    description?: string;
  }): void {
    const p = this.proj();
    const base = o.subnet.cidr.split('/')[0]?.split('.').map(Number) ?? [192, 168, 128, 0];
    const host = o.index + 10;
    const ip = `${base[0]}.${base[1]}.${(base[2] ?? 0) + Math.floor(host / 250)}.${(host % 250) + 2}`;
    const id = this.uuid('subeni');
    const mac = `fa:16:3e:${id.slice(0, 2)}:${id.slice(2, 4)}:${id.slice(4, 6)}`;
    p.subNetworkInterfaces.push({
      id,
      // The VPC subnet's own id, not the neutron id CCE reports.
      virsubnet_id: o.subnet.id,
      private_ip_address: ip,
      ipv6_ip_address: null,
      mac_address: mac,
      parent_device_id: this.uuid('server'),
      parent_id: this.uuid('port'),
      description: o.description ?? subInterfaceDescription(o.clusterId),
      vpc_id: o.subnet.vpc_id,
      vlan_id: 100 + o.index,
      security_groups: o.groups,
      tags: [],
      project_id: p.id,
      created_at: vpcTimestamp(this.nextTime()),
      allowed_address_pairs: [],
      state: 'ACTIVE',
      instance_id: '',
      instance_type: '',
      scope: 'center',
      security_enabled: true,
    });
  }

  private group(nameOrId: string): WireSecurityGroup {
    const p = this.proj();
    const g =
      p.securityGroups.find((x) => x.id === nameOrId) ??
      p.securityGroups.find((x) => x.name === nameOrId);
    if (!g) throw new Error(`no security group ${nameOrId} in ${p.region}`);
    return g;
  }

  private cluster(nameOrId: string): WorldCluster {
    const p = this.proj();
    const c = p.clusters.find(
      (x) => x.cluster.metadata.name === nameOrId || x.cluster.metadata.uid === nameOrId,
    );
    if (!c) throw new Error(`no cluster ${nameOrId} in ${p.region}`);
    return c;
  }
}
