/**
 * Step 1 of the pipeline: what the cloud says about each cluster, as a discriminated union. No
 * verdicts here (plan.ts), no report (report-builder.ts), no writes (runner.ts).
 */
import { addonFindings } from './addons.js';
import { selectCluster, type ApiServerAddress, type ClusterFacts } from './cluster.js';
import { mapLimit } from './concurrency.js';
import { CloudError, NotFoundError, UsageError } from './errors.js';
import type { Finding } from './report.js';
import { toReportError } from './report-error.js';
import { rulesOfGroup } from './rule.js';
import {
  fetchDecidingRules,
  finishFleetRuleRead,
  startFleetRuleRead,
  type FleetRuleRead,
} from './rule-fetch.js';
import { findEniSecurityGroup } from './security-group.js';
import type { StandardFacts } from './standard-check.js';
import type {
  Addon,
  ClusterReader,
  NodePool,
  PodInterfaceReader,
  RuleStore,
  SecurityGroup,
  SgRule,
} from './types.js';

/** The read side of one region's cloud: implemented by cloud/ over the SDKs. */
export interface ObservePorts {
  clusters: ClusterReader;
  rules: RuleStore;
  /** Pod network interfaces (Turbo pre-flight); without it that check is skipped. */
  pods?: PodInterfaceReader;
  /** Parallel per-cluster calls (add-ons, node pools). */
  concurrency: number;
}

/** Facts of a cluster whose API server address is known and usable. */
export type ReadyFacts = ClusterFacts & { apiServer: ApiServerAddress };

/** The Turbo pre-flight: add-ons that need the API server, pods outside the ENI group. */
export interface Preflight {
  addons: Addon[];
  findings: Finding[];
}

export type ClusterObservation =
  | {
      kind: 'failed';
      ref: string;
      region: string;
      /** Known when the cluster was found but could not be looked at further. */
      facts: ClusterFacts | null;
      /** The original error, class kept (NotFoundError stays NOT_FOUND). */
      error: unknown;
    }
  | {
      kind: 'turbo';
      ref: string;
      region: string;
      facts: ReadyFacts;
      group: SecurityGroup;
      /** Egress rules of the ENI group as last read. */
      rules: SgRule[];
      /** The TCP ports to deny (`--port`); absent or empty: the internal endpoint's port. */
      ports?: number[];
      /** Read only when asked for (apply, the wizard before its plan). */
      preflight: Preflight | null;
    }
  | {
      kind: 'standard';
      ref: string;
      region: string;
      facts: ReadyFacts;
      /** The desired iptables block for this cluster. */
      desired: StandardFacts;
      pools: NodePool[];
    };

export interface ObserveOptions {
  region: string;
  /** Names or ids; empty means every cluster of the region. */
  clusterRefs: readonly string[];
  /** Explicit ENI group id (only with a single cluster). */
  securityGroupId?: string | undefined;
  /** Turbo: the TCP ports the deny rule covers (`--port`); default the endpoint's port. */
  ports?: readonly number[] | undefined;
  /** Read add-ons and pod interfaces for the pre-flight warnings (apply). */
  withPreflight: boolean;
  /** How to build the desired iptables block of a standard cluster (may throw). */
  standardFacts: (facts: ClusterFacts) => StandardFacts;
}

/** One region as observed: its clusters, and the security groups listed on the way. */
export interface RegionObservation {
  region: string;
  clusters: ClusterObservation[];
  /** Every security group of the region, when a Turbo cluster needed them listed. */
  groups: SecurityGroup[] | null;
}

/**
 * A cluster that cannot be looked at for a reason that is not a fault (a hibernated cluster
 * without a known endpoint or group): reported as `skipped` with the reason, never as an error.
 */
export class ClusterSkipped extends Error {
  constructor(
    readonly reason: string,
    readonly hint: string,
  ) {
    super(reason);
    this.name = 'ClusterSkipped';
  }
}

/** CCE phases of a hibernated cluster (masters stopped on purpose). */
const HIBERNATED = new Set(['Hibernation', 'Hibernating']);

export function isHibernated(facts: Pick<ClusterFacts, 'phase'>): boolean {
  return HIBERNATED.has(facts.phase ?? '');
}

const WAKE_HINT = 'Check it again once it is woken up.';

/** Problems that stop a cluster from being checked before any rule is looked at. */
function readyFacts(facts: ClusterFacts): ReadyFacts {
  if (isHibernated(facts)) {
    // The security group lives in VPC and does not sleep: a Turbo cluster whose endpoint is known
    // is checked through its group (the group is looked up next; not found -> skipped).
    if (facts.isTurbo && facts.apiServer) return { ...facts, apiServer: facts.apiServer };
    throw new ClusterSkipped(
      facts.isTurbo
        ? `${facts.name} is hibernated (phase ${facts.phase ?? ''}) and reports no internal API server endpoint, so there is no address to check the rule against.`
        : `${facts.name} is hibernated (phase ${facts.phase ?? ''}): its node pools are checked when it runs.`,
      WAKE_HINT,
    );
  }
  if (facts.phase !== 'Available') {
    throw new CloudError(
      `Cluster ${facts.name} is in phase ${facts.phase ?? 'unknown'}, not Available: its API server address cannot be relied on.`,
      {},
      'Check it again once the cluster is Available (wake a hibernated cluster first).',
    );
  }
  const apiServer = facts.apiServer;
  if (!apiServer) {
    throw new CloudError(
      `Cluster ${facts.name}: ${facts.apiServerProblem ?? 'no API server address'}.`,
    );
  }
  return { ...facts, apiServer };
}

const failed = (
  ref: string,
  region: string,
  facts: ClusterFacts | null,
  error: unknown,
): ClusterObservation => ({ kind: 'failed', ref, region, facts, error });

/**
 * Observes the clusters of one region. Calls are grouped so a whole region costs one
 * ListClusters, one (paginated) ListSecurityGroups and one batch of ListSecurityGroupRules for
 * all ENI groups; only add-ons and node pools need a call per cluster. One cluster's failure
 * never hides the others.
 */
export async function observeRegion(
  ports: ObservePorts,
  opts: ObserveOptions,
): Promise<RegionObservation> {
  if (opts.securityGroupId && opts.clusterRefs.length !== 1) {
    throw new UsageError(
      '--security-group picks the group of one cluster: pass exactly one --cluster with it.',
    );
  }
  const { region } = opts;
  const all = await ports.clusters.listClusters();
  const selected: { ref: string; facts: ClusterFacts | null; error?: unknown }[] =
    opts.clusterRefs.length === 0
      ? all.map((facts) => ({ ref: facts.id, facts }))
      : opts.clusterRefs.map((ref) => {
          try {
            return { ref, facts: selectCluster(all, ref) };
          } catch (error) {
            return { ref, facts: null, error };
          }
        });

  const slots: (ClusterObservation | null)[] = [];
  const turbo: { index: number; ref: string; facts: ReadyFacts }[] = [];
  const standard: { index: number; ref: string; facts: ReadyFacts }[] = [];
  for (const { ref, facts, error } of selected) {
    const index = slots.length;
    slots.push(null);
    if (!facts) {
      slots[index] = failed(ref, region, null, error);
      continue;
    }
    try {
      const ready = readyFacts(facts);
      (ready.isTurbo ? turbo : standard).push({ index, ref, facts: ready });
    } catch (err) {
      slots[index] = failed(ref, region, facts, err);
    }
  }

  // Node pools of standard clusters are read while the Turbo side is listed.
  const standardDone = mapLimit(standard, ports.concurrency, async ({ index, ref, facts }) => {
    slots[index] = await observeStandard(ports, ref, region, facts, opts.standardFacts);
  });

  let groups: SecurityGroup[] | null = null;
  // A fleet's deciding rules are read project-wide, page by page, while the groups are listed.
  const fleetRules = turbo.length > 0 ? startFleetRuleRead(ports.rules, turbo.length) : null;
  if (turbo.length > 0) {
    try {
      groups = await ports.rules.listSecurityGroups();
    } catch (err) {
      for (const t of turbo) slots[t.index] = failed(t.ref, region, t.facts, err);
      await fleetRules;
    }
  }
  if (groups) {
    const located = turbo.map((t) => {
      try {
        const own = { cluster: t.facts, clusters: all };
        return {
          ...t,
          group: findEniSecurityGroup(groups, t.facts.name, opts.securityGroupId, own),
        };
      } catch (err) {
        // A refused --security-group stops the run before anything is written (exit 64).
        if (opts.securityGroupId && err instanceof UsageError) throw err;
        slots[t.index] = failed(t.ref, region, t.facts, skippedIfHibernated(t.facts, err));
        return null;
      }
    });
    const withGroup = located.filter((t) => t !== null);
    const observed = await readGroupRules(
      ports,
      withGroup.map((t) => ({ ref: t.ref, region, facts: t.facts, group: t.group })),
      groups.length,
      opts.ports,
      fleetRules,
    );
    withGroup.forEach((t, i) => (slots[t.index] = observed[i] ?? null));
  }
  await standardDone;

  let clusters = slots.filter((s): s is ClusterObservation => s !== null);
  if (opts.withPreflight) clusters = await withPreflight(ports, clusters);
  return { region, clusters, groups };
}

/** A hibernated cluster whose ENI group is not known is skipped, not an error. */
function skippedIfHibernated(facts: ClusterFacts, err: unknown): unknown {
  if (!isHibernated(facts) || !(err instanceof NotFoundError)) return err;
  return new ClusterSkipped(
    `${facts.name} is hibernated (phase ${facts.phase ?? ''}) and its ENI security group is not known (${err.message})`,
    `${WAKE_HINT} If it uses a custom ENI security group, pass its id with --security-group.`,
  );
}

/**
 * The deciding rules of several Turbo clusters' groups in as few requests as the fleet allows
 * (group by group, or project-wide for a fleet: core/rule-fetch.ts).
 */
async function readGroupRules(
  ports: ObservePorts,
  items: { ref: string; region: string; facts: ReadyFacts; group: SecurityGroup }[],
  projectGroupCount: number,
  denyPorts: readonly number[] | undefined,
  fleetRules: FleetRuleRead | null = null,
): Promise<ClusterObservation[]> {
  if (items.length === 0) {
    await fleetRules;
    return [];
  }
  let rules: SgRule[];
  try {
    const ids = items.map((i) => i.group.id);
    rules = fleetRules
      ? await finishFleetRuleRead(fleetRules, ports.rules, ids)
      : await fetchDecidingRules(ports.rules, ids, projectGroupCount);
  } catch (err) {
    return items.map((i) => failed(i.ref, i.region, i.facts, err));
  }
  return items.map((i) => ({
    kind: 'turbo' as const,
    ...i,
    rules: rulesOfGroup(rules, i.group.id),
    ...(denyPorts && denyPorts.length > 0 ? { ports: [...denyPorts] } : {}),
    preflight: null,
  }));
}

/**
 * A Turbo cluster observed with a group chosen from an earlier listing (the wizard's choice
 * between several `<cluster>-cce-eni-*` groups): only the group's rules are read.
 */
export async function observeWithGroup(
  ports: ObservePorts,
  obs: { ref: string; region: string; facts: ClusterFacts },
  groups: readonly SecurityGroup[],
  securityGroupId: string,
): Promise<ClusterObservation> {
  try {
    const facts = readyFacts(obs.facts);
    const group = findEniSecurityGroup(groups, facts.name, securityGroupId);
    const [observed] = await readGroupRules(
      ports,
      [{ ...obs, facts, group }],
      groups.length,
      undefined,
    );
    return observed ?? failed(obs.ref, obs.region, obs.facts, new Error('no observation'));
  } catch (err) {
    return failed(obs.ref, obs.region, obs.facts, err);
  }
}

/** Re-reads what a cluster's plan is about: the group's rules, or the node pools. */
export async function reobserve(
  ports: ObservePorts,
  obs: ClusterObservation,
): Promise<ClusterObservation> {
  if (obs.kind === 'failed') return obs;
  try {
    if (obs.kind === 'turbo') {
      const rules = await fetchDecidingRules(ports.rules, [obs.group.id], 0);
      return { ...obs, rules: rulesOfGroup(rules, obs.group.id) };
    }
    return { ...obs, pools: await ports.clusters.listNodePools(obs.facts.id) };
  } catch (err) {
    return failed(obs.ref, obs.region, obs.facts, err);
  }
}

async function observeStandard(
  ports: ObservePorts,
  ref: string,
  region: string,
  facts: ReadyFacts,
  standardFacts: (facts: ClusterFacts) => StandardFacts,
): Promise<ClusterObservation> {
  try {
    const desired = standardFacts(facts);
    const pools = await ports.clusters.listNodePools(facts.id);
    return { kind: 'standard', ref, region, facts, desired, pools };
  } catch (err) {
    return failed(ref, region, facts, err);
  }
}

/** Adds the pre-flight (add-ons, pod interfaces) to the Turbo observations that lack it. */
export async function withPreflight(
  ports: ObservePorts,
  clusters: readonly ClusterObservation[],
): Promise<ClusterObservation[]> {
  return mapLimit([...clusters], ports.concurrency, async (obs) => {
    if (obs.kind !== 'turbo' || obs.preflight) return obs;
    let addons: Addon[];
    try {
      addons = await ports.clusters.listAddons(obs.facts.id);
    } catch (err) {
      return failed(obs.ref, obs.region, obs.facts, err);
    }
    const findings = addonFindings(addons);
    findings.push(...(await nodePoolFindings(ports.clusters, obs.facts, obs.group)));
    if (ports.pods && obs.facts.eniSubnetIds.length > 0) {
      findings.push(...(await podInterfaceFindings(ports.pods, obs.facts, obs.group)));
    }
    return { ...obs, preflight: { addons, findings } };
  });
}

/** CCE node-pool types whose nodes are bare metal (pods get full ENIs, not sub-interfaces). */
function isBareMetal(pool: NodePool): boolean {
  return /bms/i.test(pool.type ?? '') || (pool.type ?? '').toLowerCase() === 'pm';
}

const listNames = (pools: readonly NodePool[]): string => pools.map((p) => p.name).join(', ');

/**
 * Turbo node pools seen from the CCE API: a pool with `podSecurityGroups` binds its pods to those
 * groups instead of the ENI group (documented precedence: pod annotation, SecurityGroup policy,
 * node-pool podSecurityGroups, network attachment, the default ENI group), so the rule does not
 * reach them; bare-metal pools give pods full ENIs, which the sub-interface listing does not see.
 */
async function nodePoolFindings(
  clusters: ClusterReader,
  facts: ClusterFacts,
  group: SecurityGroup,
): Promise<Finding[]> {
  let pools: NodePool[];
  try {
    pools = await clusters.listNodePools(facts.id);
  } catch (err) {
    return [
      {
        code: 'node-pools-unreadable',
        severity: 'info',
        message: `Could not read the node pools to see which security groups their pods use (${toReportError(err).message}).`,
      },
    ];
  }
  const findings: Finding[] = [];
  const elsewhere = pools.filter(
    (p) => (p.podSecurityGroupIds ?? []).length > 0 && !p.podSecurityGroupIds?.includes(group.id),
  );
  if (elsewhere.length > 0) {
    findings.push({
      code: 'pool-pods-outside-eni-group',
      severity: 'warning',
      message: `Node pool${elsewhere.length === 1 ? '' : 's'} ${listNames(elsewhere)} bind${elsewhere.length === 1 ? 's' : ''} pods to other security groups (podSecurityGroups: ${[...new Set(elsewhere.flatMap((p) => p.podSecurityGroupIds ?? []))].join(', ')}) instead of ${group.name}: the rule does not reach pods on ${elsewhere.length === 1 ? 'that pool' : 'those pools'}. Add the deny rule to those groups too, or remove podSecurityGroups.`,
    });
  }
  const bareMetal = pools.filter(isBareMetal);
  if (bareMetal.length > 0) {
    findings.push({
      code: 'bare-metal-pools-not-covered',
      severity: 'info',
      message: `Node pool${bareMetal.length === 1 ? '' : 's'} ${listNames(bareMetal)} ${bareMetal.length === 1 ? 'runs' : 'run'} on bare-metal nodes, whose pods use full ENIs rather than sub-interfaces: the check of the pods' network interfaces does not cover them. Check their security groups in the VPC console.`,
    });
  }
  return findings;
}

/**
 * Pods whose network interface is not bound to the ENI group (a workload annotation, a
 * SecurityGroup resource or node-pool podSecurityGroups replaced it) are not reached by the rule;
 * where another group is bound first, its rules are evaluated first.
 */
async function podInterfaceFindings(
  pods: PodInterfaceReader,
  facts: ClusterFacts,
  group: SecurityGroup,
): Promise<Finding[]> {
  let interfaces;
  try {
    interfaces = await pods.listPodInterfaces(facts.eniSubnetIds, facts.id);
  } catch (err) {
    return [
      {
        code: 'pod-interfaces-unreadable',
        severity: 'info',
        message: `Could not read the pods' network interfaces to see which security groups they use (${toReportError(err).message}).`,
      },
    ];
  }
  const outside = interfaces.filter((i) => !i.securityGroupIds.includes(group.id));
  const behind = interfaces.filter(
    (i) => i.securityGroupIds.includes(group.id) && i.securityGroupIds[0] !== group.id,
  );
  const findings: Finding[] = [];
  if (outside.length > 0) {
    findings.push({
      code: 'pods-outside-eni-group',
      severity: 'warning',
      message: `${outside.length} of ${interfaces.length} pod network interfaces in the cluster's ENI subnets are not bound to ${group.name}: a workload or node pool sets its own security group, so the rule does not reach those pods.`,
    });
  }
  if (behind.length > 0) {
    findings.push({
      code: 'pods-other-group-first',
      severity: 'info',
      message: `${behind.length === 1 ? '1 pod network interface has' : `${behind.length} pod network interfaces have`} another security group bound before ${group.name}; rules of the group bound first are evaluated first.`,
    });
  }
  return findings;
}
