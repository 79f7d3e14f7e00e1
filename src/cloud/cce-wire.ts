/**
 * CCE wire shapes (camelCase JSON) and their translation into core's domain types. Every answer
 * is validated with a zod schema before it is trusted: a 200 whose body is not the documented
 * shape (an HTML page, `{}`, `[]`, a truncated document) is an error for that call, never an
 * empty, compliant fleet. Base64 post-install scripts are decoded and encoded here only.
 */
import {
  CHECKED_LIST,
  checkedListReading,
  pickFields,
  readAll,
  UncheckedItem,
  type AnswerReading,
} from './answer-text.js';
import { Buffer } from 'node:buffer';
import { z } from 'zod';
import { clusterFacts, type ClusterFacts } from '../core/cluster.js';
import { CloudError } from '../core/errors.js';
import type { Addon, NodePool, PostInstallScript } from '../core/types.js';

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

export const POST_INSTALL_KEY = 'alpha.cce/postInstall';
export const PRE_INSTALL_KEY = 'alpha.cce/preInstall';

// ---------------------------------------------------------------------------------------------
// Schemas. Loose objects: unknown fields are kept (and ignored), missing required ones fail.

const str = z.string();
const optStr = z.string().nullish();

/**
 * `status.endpoints`, in every documented form: Huawei's `[{url, type: "Internal"}]` (any case),
 * OTC's single object `{internal, external, external_otc}` (any case), or `[{Internal: url}]`.
 */
const EndpointsSchema = z.union([
  z.array(z.record(z.string(), z.unknown())),
  z.record(z.string(), z.unknown()),
]);

const ClusterSchema = z.looseObject({
  metadata: z.looseObject({ name: str.min(1), uid: str.min(1) }),
  spec: z.looseObject({
    category: optStr,
    version: optStr,
    containerNetwork: z
      .looseObject({
        mode: optStr,
        cidr: optStr,
        cidrs: z.array(z.looseObject({ cidr: str })).nullish(),
      })
      .nullish(),
    eniNetwork: z
      .looseObject({
        eniSubnetId: optStr,
        eniSubnetCIDR: optStr,
        subnets: z.array(z.looseObject({ subnetID: str })).nullish(),
      })
      .nullish(),
    hostNetwork: z
      .looseObject({ SecurityGroup: optStr, controlPlaneSecurityGroup: optStr })
      .nullish(),
  }),
  status: z.looseObject({ phase: optStr, endpoints: EndpointsSchema.nullish() }).nullish(),
});

const AddonSchema = z.looseObject({
  metadata: z.looseObject({ name: optStr }).nullish(),
  spec: z.looseObject({ addonTemplateName: str }),
  status: z.looseObject({ status: optStr }).nullish(),
});

const NodePoolSchema = z.looseObject({
  metadata: z.looseObject({ name: str.min(1), uid: str.min(1) }),
  spec: z.looseObject({
    type: optStr,
    initialNodeCount: z.number().int().nonnegative().nullish(),
    nodeTemplate: z
      .looseObject({
        extendParam: z.record(z.string(), z.unknown()).nullish(),
        taints: z.array(z.unknown()).nullish(),
        k8sTags: z.record(z.string(), z.unknown()).nullish(),
        userTags: z.array(z.unknown()).nullish(),
      })
      .nullish(),
    autoscaling: z.record(z.string(), z.unknown()).nullish(),
    podSecurityGroups: z.array(z.unknown()).nullish(),
  }),
  status: z.looseObject({ phase: optStr }).nullish(),
});

export type WireNodePool = z.infer<typeof NodePoolSchema>;

// Made once: zod compiles each schema object it parses with.
const ADDON_LIST = z.looseObject({ items: z.array(AddonSchema) });
const NODE_POOL_LIST = z.looseObject({ items: z.array(NodePoolSchema) });

/**
 * Validates one answer. `what` completes "answered something that is not ...", e.g.
 * "a cluster list".
 */
export function parseAnswer<T extends z.ZodType>(
  schema: T,
  body: unknown,
  call: AnswerCall,
): z.infer<T> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  throw invalidAnswer(body, result.error.issues[0], call);
}

/** Which call answered, and what it should have answered ("a cluster list"). */
export interface AnswerCall {
  operation: string;
  region: string;
  what: string;
}

/** The error for an answer that is not the documented shape, naming its first issue. */
function invalidAnswer(
  body: unknown,
  issue: { message: string; path: PropertyKey[] } | undefined,
  call: AnswerCall,
): CloudError {
  const where = issue && issue.path.length > 0 ? ` at ${issue.path.map(String).join('.')}` : '';
  const why = issue ? `${issue.message}${where}` : 'unexpected shape';
  return new CloudError(
    `${call.operation} in ${call.region || 'the region'} answered something that is not ${call.what}: ${describeBody(body)} (${why}).`,
    { operation: call.operation },
    'Check the endpoint (CCE_HARDEN_*_ENDPOINT) and try again; if it persists, the API may have changed.',
  );
}

/**
 * A list answer (ListClusters, a page of VPC groups or rules): an object whose first key holds the
 * list, each item validated by `item` and translated by `translate`.
 */
export interface ListAnswer<T> {
  key: string;
  item: z.ZodType;
  /** The whole answer's schema. */
  full: z.ZodType;
  /** The same object with the list's items taken as they are. */
  envelope: z.ZodType;
  translate: (wire: never) => T;
  /** Reads the answer as it arrives, each item cut, checked and translated at once. */
  reading: AnswerReading;
}

export function listAnswer<S extends z.ZodType, T>(def: {
  key: string;
  item: S;
  /** Cuts one wire item to the fields `item` reads (everything else is never read). */
  cut: (item: unknown) => unknown;
  translate: (wire: z.infer<S>) => T;
  /** The envelope's other keys. */
  rest?: z.ZodRawShape;
}): ListAnswer<T> {
  const { key, item, cut, translate } = def;
  return {
    key,
    item,
    full: z.looseObject({ [key]: z.array(item), ...def.rest }),
    envelope: z.looseObject({ [key]: z.array(z.unknown()), ...def.rest }),
    translate: translate as (wire: never) => T,
    reading: checkedListReading(key, cut, (kept) => {
      const checked = item.safeParse(kept);
      return checked.success ? { ok: true, value: translate(checked.data) } : { ok: false };
    }),
  };
}

/**
 * Validates a list answer and returns its envelope and translated items. An answer read by
 * `list.reading` had each item checked as it arrived; the outcome is the one validating the whole
 * answer with `list.full` gives: the first issue is the first failing item's (the list is the
 * envelope's first key), else the envelope's; an item whose translation threw throws that, after
 * validation, as translating the validated list would. Any other body is validated whole.
 */
export function parseListAnswer<T>(
  list: ListAnswer<T>,
  body: unknown,
  call: AnswerCall,
): { envelope: Record<string, unknown>; items: T[] } {
  const checked =
    typeof body === 'object' &&
    body !== null &&
    Object.prototype.hasOwnProperty.call(body, CHECKED_LIST);
  if (!checked) {
    const whole = parseAnswer(list.full, body, call) as Record<string, unknown>;
    const translate = list.translate as (wire: unknown) => T;
    return { envelope: whole, items: (whole[list.key] as unknown[]).map(translate) };
  }
  const items = (body as Record<string, unknown>)[list.key] as unknown[];
  const bad = items.findIndex((x) => x instanceof UncheckedItem && x.thrown === undefined);
  if (bad >= 0) {
    const issue = list.item.safeParse((items[bad] as UncheckedItem).item).error?.issues[0];
    throw invalidAnswer(
      body,
      issue && { message: issue.message, path: [list.key, bad, ...issue.path] },
      call,
    );
  }
  const envelope = parseAnswer(list.envelope, body, call) as Record<string, unknown>;
  const thrown = items.find((x): x is UncheckedItem => x instanceof UncheckedItem);
  if (thrown?.thrown) throw thrown.thrown.error;
  return { envelope, items: items as T[] };
}

/** A short, safe description of what came back instead of the documented document. */
function describeBody(body: unknown): string {
  if (body === undefined || body === null || body === '') return 'an empty body';
  if (typeof body === 'string') {
    const text = body.replace(/[^\x20-\x7e]+/g, ' ').trim();
    return `text ${JSON.stringify(text.length > 60 ? `${text.slice(0, 57)}...` : text)}`;
  }
  if (Array.isArray(body)) return `a JSON array of ${body.length}`;
  if (typeof body === 'object') {
    const keys = Object.keys(body).filter((k) => k !== 'httpStatusCode');
    return keys.length === 0 ? 'an empty object' : `an object with ${keys.slice(0, 5).join(', ')}`;
  }
  return `a ${typeof body}`;
}

// ---------------------------------------------------------------------------------------------
// Translation into domain types.

type WireCluster = z.infer<typeof ClusterSchema>;

/** The internal endpoint's URL from any documented form of `status.endpoints`. */
export function internalEndpointUrl(endpoints: unknown): string | null {
  if (endpoints === null || endpoints === undefined) return null;
  const entries: Record<string, unknown>[] = Array.isArray(endpoints)
    ? (endpoints as Record<string, unknown>[])
    : [endpoints as Record<string, unknown>];
  for (const ep of entries) {
    if (!ep || typeof ep !== 'object') continue;
    const type = typeof ep['type'] === 'string' ? ep['type'].toLowerCase() : null;
    if (type === 'internal' && typeof ep['url'] === 'string') return ep['url'];
    for (const [key, value] of Object.entries(ep)) {
      if (key.toLowerCase() === 'internal' && typeof value === 'string') return value;
    }
  }
  return null;
}

/**
 * Container CIDRs as CCE reports them: every `cidrs[].cidr`, else the deprecated `cidr`, which
 * the API ignores when `cidrs` is present. Not validated here; buildIptablesModel does that.
 */
function containerCidrsOf(net: WireCluster['spec']['containerNetwork']): string[] {
  if (!net) return [];
  if (Array.isArray(net.cidrs) && net.cidrs.length > 0) return net.cidrs.map((c) => c.cidr);
  return typeof net.cidr === 'string' && net.cidr !== '' ? [net.cidr] : [];
}

export function clusterFactsFromWire(raw: WireCluster): ClusterFacts {
  const eni = raw.spec.eniNetwork ?? {};
  const eniSubnetIds = [
    ...new Set(
      [...(eni.subnets ?? []).map((s) => s.subnetID), eni.eniSubnetId].filter(
        (s): s is string => typeof s === 'string' && s !== '',
      ),
    ),
  ];
  return clusterFacts({
    id: raw.metadata.uid,
    name: raw.metadata.name,
    category: raw.spec.category ?? 'CCE',
    networkMode: raw.spec.containerNetwork?.mode ?? null,
    phase: raw.status?.phase ?? null,
    version: raw.spec.version ?? null,
    internalEndpointUrl: internalEndpointUrl(raw.status?.endpoints),
    containerCidrs: containerCidrsOf(raw.spec.containerNetwork),
    eniSubnetIds,
    eniSubnetCidr: eni.eniSubnetCIDR ?? null,
    nodeSecurityGroupId: raw.spec.hostNetwork?.SecurityGroup || null,
    controlPlaneSecurityGroupId: raw.spec.hostNetwork?.controlPlaneSecurityGroup || null,
  });
}

/** The keys ClusterSchema reads, taken from the schema itself so the two cannot drift apart. */
const CLUSTER_KEYS = {
  top: Object.keys(ClusterSchema.shape),
  metadata: Object.keys(ClusterSchema.shape.metadata.shape),
  spec: Object.keys(ClusterSchema.shape.spec.shape),
  status: Object.keys(ClusterSchema.shape.status.unwrap().unwrap().shape),
};

/** ClusterSchema's fields of one cluster object: the rest of a cluster is never read. */
function clusterPart(item: unknown): unknown {
  const c = pickFields(item, CLUSTER_KEYS.top);
  if (c === item) return item;
  const out = c as Record<string, unknown>;
  if ('metadata' in out) out['metadata'] = pickFields(out['metadata'], CLUSTER_KEYS.metadata);
  if ('spec' in out) out['spec'] = pickFields(out['spec'], CLUSTER_KEYS.spec);
  if ('status' in out) out['status'] = pickFields(out['status'], CLUSTER_KEYS.status);
  return out;
}

/**
 * ListClusters, read cluster by cluster as its text arrives: each cluster is cut to what
 * ClusterSchema looks at, checked and turned into ClusterFacts at once. A large account's answer is
 * several megabytes of cluster objects, most of which cce-harden never reads, and none of their
 * wire form is kept. Validation (parseClusterList) fails exactly as it would on the whole answer.
 * Text that is not JSON comes back as text.
 */
const CLUSTER_LIST = listAnswer({
  key: 'items',
  item: ClusterSchema,
  cut: clusterPart,
  translate: clusterFactsFromWire,
});

export const clusterListReading: AnswerReading = CLUSTER_LIST.reading;

/** The same reading of a whole ListClusters text. */
export const readClusterListText = (text: string): unknown => readAll(clusterListReading, text);

export function parseClusterList(body: unknown, region: string): ClusterFacts[] {
  return parseListAnswer(CLUSTER_LIST, body, {
    operation: 'ListClusters',
    region,
    what: 'a cluster list',
  }).items;
}

export function parseAddonList(body: unknown, region: string): Addon[] {
  const list = parseAnswer(ADDON_LIST, body, {
    operation: 'ListAddonInstances',
    region,
    what: 'an add-on list',
  });
  return list.items.map((a) => ({
    templateName: a.spec.addonTemplateName,
    status: a.status?.status ?? null,
  }));
}

export function parseNodePoolList(body: unknown, region: string): WireNodePool[] {
  return parseAnswer(NODE_POOL_LIST, body, {
    operation: 'ListNodePools',
    region,
    what: 'a node pool list',
  }).items;
}

export function parseNodePool(body: unknown, operation: string, region: string): WireNodePool {
  return parseAnswer(NodePoolSchema, body, { operation, region, what: 'a node pool' });
}

/** Text behind a Base64 value; throws when it is not Base64 or not UTF-8. */
export function decodeBase64(b64: string): string {
  const compact = b64.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 === 1) {
    throw new Error('not valid Base64');
  }
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(
      Buffer.from(compact, 'base64'),
    );
  } catch {
    throw new Error('not UTF-8 text');
  }
}

export function encodeBase64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

/** The pool's decoded post-install script ('' when it has none). */
export function postInstallOf(pool: WireNodePool): PostInstallScript {
  return scriptOf(pool, POST_INSTALL_KEY, 'post-install');
}

/** The pool's decoded pre-install script ('' when it has none). */
export function preInstallOf(pool: WireNodePool): PostInstallScript {
  return scriptOf(pool, PRE_INSTALL_KEY, 'pre-install');
}

function scriptOf(pool: WireNodePool, key: string, what: string): PostInstallScript {
  const value = pool.spec.nodeTemplate?.extendParam?.[key];
  if (value === undefined || value === null || value === '') return { ok: true, script: '' };
  if (typeof value !== 'string') {
    return { ok: false, problem: `extendParam["${key}"] is not a string` };
  }
  try {
    return { ok: true, script: decodeBase64(value) };
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return { ok: false, problem: `the ${what} script is ${why}` };
  }
}

export function nodePoolFromWire(pool: WireNodePool): NodePool {
  return {
    id: pool.metadata.uid,
    name: pool.metadata.name,
    phase: pool.status?.phase ?? null,
    postInstall: postInstallOf(pool),
    preInstall: preInstallOf(pool),
    type: pool.spec.type ?? null,
    podSecurityGroupIds: podSecurityGroupIdsOf(pool.spec.podSecurityGroups),
  };
}

/** `spec.podSecurityGroups`: `[{id}]` as documented; bare id strings are read too. */
function podSecurityGroupIdsOf(list: readonly unknown[] | null | undefined): string[] {
  const ids: string[] = [];
  for (const item of list ?? []) {
    const id =
      typeof item === 'string'
        ? item
        : item && typeof item === 'object' && typeof (item as { id?: unknown }).id === 'string'
          ? (item as { id: string }).id
          : null;
    if (id) ids.push(id);
  }
  return ids;
}

/**
 * The UpdateNodePool body that changes only the post-install script: the update model's fields
 * (metadata.name; spec.initialNodeCount, autoscaling, nodeTemplate.{taints, k8sTags, userTags,
 * extendParam scripts}, podSecurityGroups) as read, because the API resets omitted ones.
 * `ignoreInitialNodeCount` keeps the node count out of the write (the count read a moment ago is
 * sent too, for API versions without that flag). Login data, volumes and flavour are never sent.
 */
export function postInstallUpdateBody(pool: WireNodePool, script: string): Record<string, unknown> {
  const template = pool.spec.nodeTemplate ?? {};
  const extend = template.extendParam ?? {};
  const pre = extend[PRE_INSTALL_KEY];
  return {
    kind: 'NodePool',
    apiVersion: 'v3',
    metadata: { name: pool.metadata.name },
    spec: {
      ignoreInitialNodeCount: true,
      ...(typeof pool.spec.initialNodeCount === 'number'
        ? { initialNodeCount: pool.spec.initialNodeCount }
        : {}),
      ...(pool.spec.autoscaling ? { autoscaling: pool.spec.autoscaling } : {}),
      ...(pool.spec.podSecurityGroups ? { podSecurityGroups: pool.spec.podSecurityGroups } : {}),
      nodeTemplate: {
        ...(template.taints ? { taints: template.taints } : {}),
        ...(template.k8sTags ? { k8sTags: template.k8sTags } : {}),
        ...(template.userTags ? { userTags: template.userTags } : {}),
        extendParam: {
          ...(typeof pre === 'string' && pre !== '' ? { [PRE_INSTALL_KEY]: pre } : {}),
          [POST_INSTALL_KEY]: encodeBase64(script),
        },
      },
    },
  };
}
