import { addonFindings } from './addons.js';
import { readClusterFacts, selectCluster, type ClusterFacts } from './cluster.js';
import { mapLimit } from './concurrency.js';
import { CceHardenError, CloudError, UsageError } from './errors.js';
import { toReportError } from './report-error.js';

export { toReportError };
import type { ClusterReport, Finding } from './report.js';
import {
  desiredRule,
  evaluateRules,
  planRemoval,
  rulesOfGroup,
  toRuleView,
  type RuleEvaluation,
} from './rule.js';
import { fetchDecidingRules } from './rule-fetch.js';
import { findEniSecurityGroup } from './security-group.js';
import { checkStandardCluster, type StandardFacts } from './standard-check.js';
import type {
  ClusterReader,
  PodInterfaceReader,
  RawAddon,
  RawCluster,
  RawNodePool,
  RuleStore,
  SecurityGroup,
  SgRule,
  SgRuleSpec,
} from './types.js';

/** The cloud, as the workflow sees it: implemented by cloud/ over the SDKs. */
export interface HardenDeps {
  cce: ClusterReader;
  vpc: RuleStore;
  /** Parallel per-cluster calls (add-ons, node pools). */
  concurrency: number;
  /** Pod network interfaces (Turbo pre-flight); without it that check is skipped. */
  pods?: PodInterfaceReader;
}

export interface ObserveOptions {
  region?: string;
  /** Names or ids; empty means every cluster of the region. */
  clusterRefs: readonly string[];
  /** Explicit ENI group id (only with a single cluster). */
  securityGroupId?: string;
  /** Read add-ons for the pre-flight warnings (apply, wizard). */
  withAddons: boolean;
  /**
   * Standard clusters: how to build the desired iptables block for a cluster. When given, their
   * node pools are read and their post-install scripts checked; without it they are reported as
   * not applicable to the security-group path.
   */
  standardFacts?: (facts: ClusterFacts) => StandardFacts;
}

/** What was observed about one cluster, plus the plan: everything apply needs. */
export interface Observation {
  ref: string;
  raw: RawCluster | null;
  facts: ClusterFacts | null;
  group: SecurityGroup | null;
  desired: SgRuleSpec | null;
  evaluation: RuleEvaluation | null;
  addons: RawAddon[];
  pools: RawNodePool[];
  /** Egress rules of the ENI group as last read. */
  rules: SgRule[];
  report: ClusterReport;
}

function baseReport(ref: string, facts: ClusterFacts | null, region?: string): ClusterReport {
  return {
    id: facts?.id ?? ref,
    name: facts?.name ?? ref,
    ...(region ? { region } : {}),
    category: facts?.category ?? 'unknown',
    networkMode: facts?.networkMode ?? null,
    phase: facts?.phase ?? null,
    apiServer: facts?.apiServer ?? null,
    securityGroup: null,
    rule: null,
    status: 'error',
    findings: [],
    changes: [],
  };
}

function fail(obs: Observation, err: unknown): void {
  obs.report.status = 'error';
  obs.report.error = toReportError(err);
}

/** Problems that stop a cluster from being checked before any rule is looked at. */
function preconditionError(facts: ClusterFacts): CceHardenError | null {
  if (facts.phase !== 'Available') {
    return new CloudError(
      `Cluster ${facts.name} is in phase ${facts.phase ?? 'unknown'}, not Available: its API server address cannot be relied on.`,
      {},
      'Check it again once the cluster is Available (wake a hibernated cluster first).',
    );
  }
  if (!facts.apiServer) {
    return new CloudError(
      `Cluster ${facts.name}: ${facts.apiServerProblem ?? 'no API server address'}.`,
    );
  }
  return null;
}

/**
 * Observes clusters and plans. Calls are grouped so a whole region costs one ListClusters, one
 * (paginated) ListSecurityGroups and one batch of ListSecurityGroupRules for all ENI groups; only
 * add-ons and node pools need a call per cluster. One cluster's failure never hides the others.
 */
export async function observe(deps: HardenDeps, opts: ObserveOptions): Promise<Observation[]> {
  if (opts.securityGroupId && opts.clusterRefs.length !== 1) {
    throw new UsageError(
      '--security-group picks the group of one cluster: pass exactly one --cluster with it.',
    );
  }
  const clusters = await deps.cce.listClusters();
  const selected: { ref: string; raw: RawCluster | null; error?: unknown }[] =
    opts.clusterRefs.length === 0
      ? clusters.map((raw) => ({ ref: raw.metadata.uid, raw }))
      : opts.clusterRefs.map((ref) => {
          try {
            return { ref, raw: selectCluster(clusters, ref) };
          } catch (error) {
            return { ref, raw: null, error };
          }
        });

  const observations: Observation[] = selected.map(({ ref, raw, error }) => {
    const facts = raw ? readClusterFacts(raw) : null;
    const obs: Observation = {
      ref,
      raw,
      facts,
      group: null,
      desired: null,
      evaluation: null,
      addons: [],
      pools: [],
      rules: [],
      report: baseReport(ref, facts, opts.region),
    };
    if (error) fail(obs, error);
    else if (facts) {
      const problem = preconditionError(facts);
      if (problem) fail(obs, problem);
    }
    return obs;
  });

  const ready = observations.filter((o) => o.facts && !o.report.error);
  const turbo = ready.filter((o) => o.facts?.isTurbo);
  const standard = ready.filter((o) => !o.facts?.isTurbo);

  const standardFacts = opts.standardFacts;
  if (standardFacts) {
    await mapLimit(standard, deps.concurrency, (obs) => observeStandard(deps, obs, standardFacts));
  } else {
    for (const obs of standard) {
      obs.report.status = 'not-applicable';
      obs.report.findings.push({
        code: 'standard-cluster-use-iptables',
        severity: 'info',
        message: `${obs.facts?.name} is a CCE standard cluster: it has no ENI security group. Pods are kept from the API server by iptables on each node: run \`cce-harden iptables --cluster ${obs.facts?.name}\`.`,
      });
    }
  }

  if (turbo.length > 0) await observeTurbo(deps, turbo, opts);

  if (opts.withAddons) {
    // The pre-flight the guide asks for: who still needs the API server, and who the rule reaches.
    await mapLimit(
      ready.filter((o) => !o.report.error),
      deps.concurrency,
      async (obs) => {
        try {
          obs.addons = await deps.cce.listAddons(obs.facts?.id ?? obs.ref);
          obs.report.findings.push(...addonFindings(obs.addons));
        } catch (err) {
          fail(obs, err);
          return;
        }
        if (deps.pods && obs.group && obs.facts?.eniSubnetIds.length) {
          obs.report.findings.push(...(await podInterfaceFindings(deps.pods, obs)));
        }
      },
    );
  }
  return observations;
}

/**
 * Pods whose network interface is not bound to the ENI group (a workload annotation, a
 * SecurityGroup resource or node-pool podSecurityGroups replaced it) are not reached by the rule;
 * where another group is bound first, its rules are evaluated first (reference §3, §4.5).
 */
async function podInterfaceFindings(
  pods: PodInterfaceReader,
  obs: Observation,
): Promise<Finding[]> {
  const group = obs.group as SecurityGroup;
  let interfaces;
  try {
    interfaces = await pods.listPodInterfaces(obs.facts?.eniSubnetIds ?? [], obs.facts?.id);
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

/** Standard clusters: the node pools' post-install scripts must carry the current block. */
async function observeStandard(
  deps: HardenDeps,
  obs: Observation,
  standardFacts: (facts: ClusterFacts) => StandardFacts,
): Promise<void> {
  const facts = obs.facts as ClusterFacts;
  try {
    const desired = standardFacts(facts);
    obs.pools = await deps.cce.listNodePools(facts.id);
    const result = checkStandardCluster(desired, obs.pools);
    obs.report.status = result.status;
    obs.report.findings.push(...result.findings);
    obs.report.changes = result.changes;
  } catch (err) {
    fail(obs, err);
  }
}

async function observeTurbo(
  deps: HardenDeps,
  turbo: Observation[],
  opts: ObserveOptions,
): Promise<void> {
  let groups: SecurityGroup[];
  try {
    groups = await deps.vpc.listSecurityGroups();
  } catch (err) {
    turbo.forEach((o) => fail(o, err));
    return;
  }
  for (const obs of turbo) {
    const facts = obs.facts as ClusterFacts;
    try {
      obs.group = findEniSecurityGroup(groups, facts.name, opts.securityGroupId);
      obs.report.securityGroup = { id: obs.group.id, name: obs.group.name };
      obs.desired = desiredRule(
        obs.group.id,
        facts.apiServer as NonNullable<ClusterFacts['apiServer']>,
      );
    } catch (err) {
      fail(obs, err);
    }
  }
  const withGroup = turbo.filter((o) => o.group && !o.report.error);
  if (withGroup.length === 0) return;
  let rules: SgRule[];
  try {
    rules = await fetchDecidingRules(
      deps.vpc,
      withGroup.map((o) => o.group?.id ?? ''),
      groups.length,
    );
  } catch (err) {
    withGroup.forEach((o) => fail(o, err));
    return;
  }
  for (const obs of withGroup) evaluate(obs, rules);
}

function evaluate(obs: Observation, rules: readonly SgRule[]): void {
  const group = obs.group as SecurityGroup;
  const desired = obs.desired as SgRuleSpec;
  const evaluation = evaluateRules(rules, desired, group);
  obs.evaluation = evaluation;
  obs.rules = rulesOfGroup(rules, group.id);
  obs.report.rule = evaluation.match
    ? toRuleView(evaluation.match.rule, evaluation.match.kind)
    : evaluation.disabled
      ? toRuleView(evaluation.disabled)
      : null;
  // Keep add-on findings gathered earlier; replace the rule findings.
  obs.report.findings = [
    ...obs.report.findings.filter((f) => f.code.startsWith('addon-')),
    ...evaluation.findings,
  ];
  obs.report.changes = evaluation.changes;
  obs.report.status = evaluation.match ? 'compliant' : 'drift';
}

/** The blast radius, said before anything is changed (the guide's pre-flight). */
export function blastRadiusFinding(obs: Observation): Finding {
  return {
    code: 'blast-radius',
    severity: 'info',
    message: `Every pod bound to ${obs.group?.name} (all pods on container networking, unless a workload sets its own security group) loses kube-apiserver at ${obs.facts?.apiServer?.ip}:${obs.facts?.apiServer?.port}. Pods that use the in-cluster service account to talk to the API may also be affected; hostNetwork pods are not.`,
  };
}

/**
 * Executes an observation's plan, then re-reads the group and verifies. A duplicate answer from a
 * concurrent run counts as success; verification decides.
 */
export async function applyObservation(deps: HardenDeps, obs: Observation): Promise<void> {
  const evaluation = obs.evaluation;
  if (!evaluation || obs.report.error) return;
  if (evaluation.blocker) {
    fail(obs, new CloudError(evaluation.blocker));
    return;
  }
  if (evaluation.changes.length === 0) return;
  const group = obs.group as SecurityGroup;
  const desired = obs.desired as SgRuleSpec;
  try {
    for (const change of evaluation.changes) {
      if (change.action === 'delete') {
        await deps.vpc.deleteRule((change.before as { id: string }).id);
      } else {
        await deps.vpc.createRule(desired);
      }
    }
    const changes = evaluation.changes;
    const rules = await deps.vpc.listRules([group.id], { direction: 'egress' });
    evaluate(obs, rules);
    if (obs.report.status !== 'compliant') {
      throw new CloudError(
        `The rule was written but re-reading ${group.name} does not show it in effect.`,
        {},
        'Run `cce-harden check` to see the current state.',
      );
    }
    obs.report.changes = changes.map((c) => ({ ...c, applied: true }));
  } catch (err) {
    fail(obs, err);
  }
}

/** Plans `remove`: only rules cce-harden created (marker + equivalent to the desired rule). */
export function planRemove(obs: Observation): void {
  if (!obs.group || !obs.desired || obs.report.error) return;
  obs.report.changes = planRemoval(obs.rules, obs.desired, obs.group);
}

export async function removeObservation(deps: HardenDeps, obs: Observation): Promise<void> {
  if (obs.report.error || !obs.group || !obs.desired) return;
  const changes = obs.report.changes;
  if (changes.length === 0) return;
  try {
    for (const change of changes) await deps.vpc.deleteRule((change.before as { id: string }).id);
    const rules = await deps.vpc.listRules([obs.group.id], { direction: 'egress' });
    const left = planRemoval(rules, obs.desired, obs.group);
    if (left.length > 0) {
      throw new CloudError(
        `Re-reading ${obs.group.name} still shows ${left.length} cce-harden rule(s).`,
      );
    }
    evaluate(obs, rules);
    obs.report.changes = changes.map((c) => ({ ...c, applied: true }));
  } catch (err) {
    fail(obs, err);
  }
}
