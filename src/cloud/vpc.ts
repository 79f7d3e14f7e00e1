import { pickFields, type AnswerReading } from './answer-text.js';
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
import { z } from 'zod';
import { listAnswer, parseAnswer, parseListAnswer, type ListAnswer } from './cce-wire.js';
import type { SdkClient } from './clients.js';
import { translateSdkError } from './errors.js';
import type { Retrier } from './retry.js';

/** The VPC v3 wire form of a rule (snake_case JSON); documented variants accepted. */
const WireRuleSchema = z.looseObject({
  id: z.string().min(1),
  security_group_id: z.string().min(1),
  direction: z.string(),
  ethertype: z.string().nullish(),
  protocol: z.string().nullish(),
  multiport: z.union([z.string(), z.number()]).nullish(),
  remote_ip_prefix: z.string().nullish(),
  remote_group_id: z.string().nullish(),
  remote_address_group_id: z.string().nullish(),
  action: z.string().nullish(),
  priority: z.union([z.number(), z.string()]).nullish(),
  description: z.string().nullish(),
  enabled: z.boolean().nullish(),
});
type WireRule = z.infer<typeof WireRuleSchema>;

const WireGroupSchema = z.looseObject({
  id: z.string().min(1),
  name: z.string(),
  description: z.string().nullish(),
});

const WireSubInterfaceSchema = z.looseObject({
  id: z.string().min(1),
  virsubnet_id: z.string(),
  description: z.string().nullish(),
  security_groups: z.array(z.string()).nullish(),
});

/** VPC v1 ListSubnets: both ids of each subnet (`id`, and the IPv4 `neutron_subnet_id`). */
const WireSubnetPageSchema = z.looseObject({
  subnets: z.array(
    z.looseObject({ id: z.string().min(1), neutron_subnet_id: z.string().nullish() }),
  ),
});

/**
 * At most this many pages per listing: 2000 items a page makes that 2 million items, far beyond
 * any quota; a server that goes on is looping.
 */
export const MAX_PAGES = 1000;

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

/**
 * Pages of groups and of rules, read item by item as they arrive: each item is cut to the fields
 * its schema reads, checked and translated at once (cce-wire.ts listAnswer), so a page's wire
 * form is never held.
 */
const PAGE_INFO = {
  page_info: z.looseObject({ next_marker: z.string().nullish() }).nullish(),
};
/** Cuts an item to the fields of an object schema (the keys taken once). */
function fieldsOf(schema: z.ZodObject): (item: unknown) => unknown {
  const keys = Object.keys(schema.shape);
  return (item) => pickFields(item, keys);
}
const GROUP_PAGE = listAnswer({
  key: 'security_groups',
  item: WireGroupSchema,
  cut: fieldsOf(WireGroupSchema),
  translate: (g): SecurityGroup => ({ id: g.id, name: g.name, description: g.description ?? '' }),
  rest: PAGE_INFO,
});
const RULE_PAGE = listAnswer({
  key: 'security_group_rules',
  item: WireRuleSchema,
  cut: fieldsOf(WireRuleSchema),
  translate: normalizeRule,
  rest: PAGE_INFO,
});

/** Pages of the pod interfaces of a cluster's ENI subnets. */
const SUB_INTERFACE_PAGE = listAnswer({
  key: 'sub_network_interfaces',
  item: WireSubInterfaceSchema,
  cut: fieldsOf(WireSubInterfaceSchema),
  translate: (i) => i,
  rest: PAGE_INFO,
});

/** A listing asked to stop after a number of pages had more (listProjectRules' `maxPages`). */
class PageLimit extends Error {}

export class VpcAdapter implements RuleStore, PodInterfaceReader {
  constructor(
    private readonly client: SdkClient,
    private readonly retrier: Retrier,
    private readonly pageSize = 2000,
    private readonly region = '',
  ) {}

  /**
   * Follows `page_info.next_marker` until the last page, which has none. A marker seen before or
   * more than MAX_PAGES pages is an error (a server that loops); an item id seen on an earlier
   * page is kept once.
   */
  private async paginate<T extends { id: string }>(
    operation: string,
    fetchPage: (reading: AnswerReading, marker: string | undefined) => Promise<unknown>,
    list: ListAnswer<T>,
    what: string,
    keep: (item: T) => boolean = () => true,
    maxPages = MAX_PAGES,
  ): Promise<T[]> {
    const out: T[] = [];
    const ids = new Set<string>();
    const markers = new Set<string>();
    let marker: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      if (page >= maxPages) throw new PageLimit();
      const res = await this.retrier.run(operation, () => fetchPage(list.reading, marker));
      const { envelope, items } = parseListAnswer(list, res, {
        operation,
        region: this.region,
        what,
      });
      // An item already seen on an earlier page counts once; `keep` is applied as each page
      // arrives, so a large project's rules that are not needed are never all held.
      for (const it of items) if (!ids.has(it.id) && ids.add(it.id) && keep(it)) out.push(it);
      const next = (envelope as { page_info?: { next_marker?: string | null } | null }).page_info
        ?.next_marker;
      if (!next || items.length === 0) return out;
      if (markers.has(next)) {
        throw new CloudError(
          `${operation} in ${this.region || 'the region'} returned the page marker ${JSON.stringify(next)} a second time: the listing would never end.`,
          { operation },
          'Try again later; if it persists, report it to the cloud provider.',
        );
      }
      markers.add(next);
      marker = next;
    }
    throw new CloudError(
      `${operation} in ${this.region || 'the region'} went on for more than ${MAX_PAGES} pages; stopped.`,
      { operation },
    );
  }

  async listSecurityGroups(): Promise<SecurityGroup[]> {
    return this.paginate(
      'ListSecurityGroups',
      (reading, marker) =>
        this.client.callReading(
          'listSecurityGroups',
          { limit: this.pageSize, ...(marker ? { marker } : {}) },
          reading,
        ),
      GROUP_PAGE,
      'a security group list',
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
      this.paginate(
        'ListSecurityGroupRules',
        (reading, marker) =>
          this.client.callReading(
            'listSecurityGroupRules',
            {
              security_group_id: chunk,
              ...(filter.direction ? { direction: filter.direction } : {}),
              limit: this.pageSize,
              ...(marker ? { marker } : {}),
            },
            reading,
          ),
        RULE_PAGE,
        'a security group rule list',
      ),
    );
    // A rule is in one group, hence in one chunk: the chunks do not overlap.
    return perChunk.flat();
  }

  /**
   * ListSecurityGroupRules without group ids: the rules of the whole project that pass the
   * server-side filters, page by page; each page is normalised and `keep` applied at once.
   */
  async listProjectRules(
    filter: ProjectRuleFilter,
    keep: (rule: SgRule) => boolean = () => true,
    opts: { maxPages?: number } = {},
  ): Promise<SgRule[] | null> {
    return this.paginate(
      'ListSecurityGroupRules',
      (reading, marker) =>
        this.client.callReading(
          'listSecurityGroupRules',
          {
            direction: filter.direction,
            ...(filter.action ? { action: filter.action } : {}),
            ...(filter.priority ? { priority: [...filter.priority] } : {}),
            limit: this.pageSize,
            ...(marker ? { marker } : {}),
          },
          reading,
        ),
      RULE_PAGE,
      'a security group rule list',
      keep,
      opts.maxPages,
    ).catch((err: unknown) => {
      if (err instanceof PageLimit) return null;
      throw err;
    });
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
    const items = await this.paginate(
      'ListSubNetworkInterfaces',
      (reading, marker) =>
        this.client.callReading(
          'listSubNetworkInterfaces',
          { virsubnet_id: subnetIds, limit: this.pageSize, ...(marker ? { marker } : {}) },
          reading,
        ),
      SUB_INTERFACE_PAGE,
      'a sub-interface list',
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
      const res = await this.retrier.run<unknown>('ListSubnets', () =>
        // Through the credential-installing wrapper: the SDK's hcClient alone would sign with
        // whatever keys the client object last held.
        this.client.sendSigned({
          method: 'GET',
          url: '/v1/{project_id}/subnets',
          contentType: 'application/json',
          queryParams: { limit: this.pageSize, ...(marker ? { marker } : {}) },
          pathParams: {},
          headers: {},
        }),
      );
      const { subnets } = parseAnswer(WireSubnetPageSchema, res, {
        operation: 'ListSubnets',
        region: this.region,
        what: 'a subnet list',
      });
      for (const s of subnets) {
        if (wanted.has(String(s.neutron_subnet_id))) found.push(s.id);
      }
      const last = subnets[subnets.length - 1]?.id;
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
      }>('CreateSecurityGroupRule', () => this.client.createSecurityGroupRule({ body }));
      // The SDK resolves the dry-run 202 (SYS.0202) as a success (docs/cloud-api.md, "VPC:
      // security groups and rules").
      if (res.httpStatusCode === 202 || opts.dryRun) return { status: 'validated' };
      const created = parseAnswer(z.looseObject({ security_group_rule: WireRuleSchema }), res, {
        operation: 'CreateSecurityGroupRule',
        region: this.region,
        what: 'a security group rule',
      });
      return { status: 'created', rule: normalizeRule(created.security_group_rule) };
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
