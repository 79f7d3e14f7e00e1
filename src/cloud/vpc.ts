import type {
  CreateRuleResult,
  PodInterface,
  PodInterfaceReader,
  ProjectRuleFilter,
  RuleStore,
  SecurityGroup,
  SgRule,
  SgRuleSpec,
} from '../core/types.js';
import { mapLimit } from '../core/concurrency.js';
import { CloudError } from '../core/errors.js';
import type { SdkClient } from './clients.js';
import { translateSdkError } from './errors.js';
import type { Retrier } from './retry.js';

/** The VPC v3 wire form of a rule (snake_case JSON, reference §4.3). */
interface WireRule {
  id: string;
  security_group_id: string;
  direction: string;
  ethertype?: string;
  protocol?: string | null;
  multiport?: string | number | null;
  remote_ip_prefix?: string | null;
  remote_group_id?: string | null;
  remote_address_group_id?: string | null;
  action?: string;
  priority?: number | string;
  description?: string | null;
  enabled?: boolean;
}

interface Page {
  page_info?: { next_marker?: string };
}

/** Rules are fetched for many groups per request; this bounds the URL length. */
const IDS_PER_REQUEST = 40;
const CHUNKS_IN_FLIGHT = 4;

export function normalizeRule(w: WireRule): SgRule {
  const protocol =
    w.protocol === null || w.protocol === undefined || w.protocol === ''
      ? null
      : String(w.protocol).toLowerCase();
  const ports =
    w.multiport === null || w.multiport === undefined || w.multiport === ''
      ? null
      : String(w.multiport);
  return {
    id: w.id,
    securityGroupId: w.security_group_id,
    direction: w.direction === 'ingress' ? 'ingress' : 'egress',
    ethertype: String(w.ethertype ?? 'IPv4').toLowerCase() === 'ipv6' ? 'IPv6' : 'IPv4',
    protocol,
    ports,
    remoteIpPrefix: w.remote_ip_prefix || null,
    remoteGroupId: w.remote_group_id || null,
    remoteAddressGroupId: w.remote_address_group_id || null,
    action: w.action === 'deny' ? 'deny' : 'allow',
    priority: Number(w.priority ?? 1),
    description: w.description ?? '',
    enabled: w.enabled !== false,
  };
}

export class VpcAdapter implements RuleStore, PodInterfaceReader {
  constructor(
    private readonly client: SdkClient,
    private readonly retrier: Retrier,
    private readonly pageSize = 2000,
  ) {}

  /**
   * Follows `page_info.next_marker` until the last page, which has none (reference §4.2). `map`
   * turns each page into what is kept as soon as it is read, so a large answer's other fields
   * are not held until the last page.
   */
  private async paginate<W, T = W>(
    operation: string,
    fetchPage: (marker: string | undefined) => Promise<Page & Record<string, unknown>>,
    key: string,
    map: (items: W[]) => T[] = (items) => items as unknown as T[],
  ): Promise<T[]> {
    const out: T[] = [];
    let marker: string | undefined;
    for (let page = 0; page < 10_000; page++) {
      const res = await this.retrier.run(operation, () => fetchPage(marker));
      const items = res[key];
      if (!Array.isArray(items)) {
        throw new CloudError(
          `${operation}: the answer has no "${key}" list; is the endpoint a VPC v3 API?`,
          {
            operation,
          },
        );
      }
      for (const item of map(items as W[])) out.push(item);
      const next = res.page_info?.next_marker;
      if (!next || items.length === 0 || next === marker) return out;
      marker = next;
    }
    return out;
  }

  async listSecurityGroups(): Promise<SecurityGroup[]> {
    return this.paginate<{ id: string; name: string; description?: string }, SecurityGroup>(
      'ListSecurityGroups',
      (marker) =>
        this.client.listSecurityGroups({ limit: this.pageSize, ...(marker ? { marker } : {}) }),
      'security_groups',
      (page) => page.map((g) => ({ id: g.id, name: g.name, description: g.description ?? '' })),
    );
  }

  async listRules(
    securityGroupIds: readonly string[],
    filter: { direction?: 'ingress' | 'egress' } = {},
  ): Promise<SgRule[]> {
    const ids = [...new Set(securityGroupIds)];
    const chunks: string[][] = [];
    for (let i = 0; i < ids.length; i += IDS_PER_REQUEST)
      chunks.push(ids.slice(i, i + IDS_PER_REQUEST));
    // A few chunks at a time: a large fleet has dozens, and each may have several pages.
    const perChunk = await mapLimit(chunks, CHUNKS_IN_FLIGHT, (chunk) =>
      this.paginate<WireRule, SgRule>(
        'ListSecurityGroupRules',
        (marker) =>
          this.client.listSecurityGroupRules({
            security_group_id: chunk,
            ...(filter.direction ? { direction: filter.direction } : {}),
            limit: this.pageSize,
            ...(marker ? { marker } : {}),
          }),
        'security_group_rules',
        (page) => page.map(normalizeRule),
      ),
    );
    return perChunk.flat();
  }

  /**
   * ListSecurityGroupRules without group ids: the rules of the whole project that pass the
   * server-side filters, page by page; each page is normalised and `keep` applied at once.
   */
  async listProjectRules(
    filter: ProjectRuleFilter,
    keep: (rule: SgRule) => boolean = () => true,
  ): Promise<SgRule[]> {
    return this.paginate<WireRule, SgRule>(
      'ListSecurityGroupRules',
      (marker) =>
        this.client.listSecurityGroupRules({
          direction: filter.direction,
          ...(filter.action ? { action: filter.action } : {}),
          ...(filter.priority ? { priority: [...filter.priority] } : {}),
          limit: this.pageSize,
          ...(marker ? { marker } : {}),
        }),
      'security_group_rules',
      (page) => page.map(normalizeRule).filter(keep),
    );
  }

  /**
   * Pod network interfaces of one cluster, with the groups each is bound to. CCE reports its ENI
   * subnets by their IPv4 (neutron) subnet id; VPC v3 sub-interfaces name the VPC subnet's own
   * id (`virsubnet_id`), so the ids are translated through VPC v1 ListSubnets first. Other
   * clusters may share the subnet: only interfaces whose description names this cluster count.
   */
  async listPodInterfaces(
    neutronSubnetIds: readonly string[],
    clusterId?: string,
  ): Promise<PodInterface[]> {
    if (neutronSubnetIds.length === 0) return [];
    const subnetIds = await this.vpcSubnetIds(neutronSubnetIds);
    if (subnetIds.length === 0) return [];
    const items = await this.paginate<{
      id: string;
      virsubnet_id: string;
      description?: string | null;
      security_groups?: string[];
    }>(
      'ListSubNetworkInterfaces',
      (marker) =>
        this.client.listSubNetworkInterfaces({
          virsubnet_id: subnetIds,
          limit: this.pageSize,
          ...(marker ? { marker } : {}),
        }),
      'sub_network_interfaces',
    );
    return items
      .filter((i) => clusterId === undefined || (i.description ?? '').includes(clusterId))
      .map((i) => ({
        id: i.id,
        subnetId: i.virsubnet_id,
        securityGroupIds: i.security_groups ?? [],
      }));
  }

  /** VPC subnet ids (`id`) of the given neutron subnet ids, via v1 `GET /v1/{project_id}/subnets`. */
  private async vpcSubnetIds(neutronSubnetIds: readonly string[]): Promise<string[]> {
    const wanted = new Set(neutronSubnetIds);
    const found: string[] = [];
    let marker: string | undefined;
    // v1 pages have no page_info: a page shorter than the limit is the last one.
    for (let page = 0; page < 1000; page++) {
      const res = await this.retrier.run<{ subnets?: unknown }>('ListSubnets', () =>
        this.client.hcClient.sendRequest({
          method: 'GET',
          url: '/v1/{project_id}/subnets',
          contentType: 'application/json',
          queryParams: { limit: this.pageSize, ...(marker ? { marker } : {}) },
          pathParams: {},
          headers: {},
        }),
      );
      const subnets = res.subnets;
      if (!Array.isArray(subnets)) {
        throw new CloudError('ListSubnets: the answer has no "subnets" list', {
          operation: 'ListSubnets',
        });
      }
      for (const s of subnets as { id?: unknown; neutron_subnet_id?: unknown }[]) {
        if (typeof s.id === 'string' && wanted.has(String(s.neutron_subnet_id))) found.push(s.id);
      }
      const last = (subnets[subnets.length - 1] as { id?: unknown } | undefined)?.id;
      if (subnets.length < this.pageSize || typeof last !== 'string' || last === marker) break;
      marker = last;
    }
    return found;
  }

  async createRule(rule: SgRuleSpec, opts: { dryRun?: boolean } = {}): Promise<CreateRuleResult> {
    const body = {
      security_group_rule: {
        security_group_id: rule.securityGroupId,
        direction: rule.direction,
        ethertype: rule.ethertype,
        ...(rule.protocol ? { protocol: rule.protocol } : {}),
        ...(rule.ports ? { multiport: rule.ports } : {}),
        ...(rule.remoteIpPrefix ? { remote_ip_prefix: rule.remoteIpPrefix } : {}),
        action: rule.action,
        priority: String(rule.priority),
        description: rule.description,
      },
      ...(opts.dryRun ? { dry_run: true } : {}),
    };
    try {
      const res = await this.retrier.run<{
        httpStatusCode?: number;
        security_group_rule?: WireRule;
      }>('CreateSecurityGroupRule', () => this.client.createSecurityGroupRule({ body }));
      // The SDK resolves the dry-run 202 (SYS.0202) as a success (reference §4.3).
      if (res.httpStatusCode === 202 || opts.dryRun) return { status: 'validated' };
      return { status: 'created', rule: normalizeRule(res.security_group_rule as WireRule) };
    } catch (raw) {
      const err = translateSdkError(raw, 'CreateSecurityGroupRule');
      // A duplicate (e.g. a concurrent run created it first) means the rule is there.
      if (err instanceof CloudError && err.httpStatus === 409 && err.errorCode === 'VPC.9902') {
        const id = /Rule id is ([0-9a-zA-Z-]+)/.exec(err.message)?.[1] ?? null;
        return { status: 'exists', ruleId: id };
      }
      throw err;
    }
  }

  async deleteRule(ruleId: string): Promise<void> {
    try {
      await this.retrier.run('DeleteSecurityGroupRule', () =>
        this.client.deleteSecurityGroupRule({ security_group_rule_id: ruleId }),
      );
    } catch (raw) {
      const err = translateSdkError(raw, 'DeleteSecurityGroupRule');
      // Already gone (a retried delete, or a concurrent run): the goal is reached.
      if (err instanceof CloudError && err.httpStatus === 404) return;
      throw err;
    }
  }
}
