/**
 * Step 2 of the pipeline: pure planners. An observation in, a Plan out: the verdict, the
 * findings, and the typed changes that would make the cluster compliant (or, for `remove`,
 * take cce-harden's rule away). Nothing here reads or writes the cloud.
 */
import { clusterArg } from './shell-words.js';
import { isEniGroupName } from './security-group.js';
import { CloudError, NotApplicableError, type CceHardenError } from './errors.js';
import type { ClusterObservation } from './observe.js';
import type { Finding, RuleView } from './report.js';
import {
  desiredRule,
  evaluateRules,
  removableFor,
  toRuleView,
  type RuleEvaluation,
} from './rule.js';
import { checkStandardCluster, planNodePoolUpdates } from './standard-check.js';
import type { SecurityGroup, SgRule, SgRuleSpec } from './types.js';

export type PlannedChange =
  | { kind: 'create-rule'; group: SecurityGroup; rule: SgRuleSpec }
  | { kind: 'delete-rule'; group: SecurityGroup; rule: SgRule }
  | {
      kind: 'update-post-install';
      clusterId: string;
      pool: { id: string; name: string };
      /** The script as read; the write refuses when the pool no longer has it. */
      before: string;
      after: string;
      /** Set when this pool is left alone: why (outcome `skipped`). */
      skip?: string;
    };

export interface Plan {
  /** The verdict on what was observed. */
  status: 'compliant' | 'drift' | 'not-applicable';
  findings: Finding[];
  changes: PlannedChange[];
  /** The rule shown in the report (Turbo). */
  rule: RuleView | null;
  /** Why the plan cannot be carried out without touching what is not ours; null when it can. */
  blocker: CceHardenError | null;
}

/** For a failed observation there is nothing to plan. */
export type ClusterPlan = Plan | null;

const emptyPlan = (status: Plan['status'], findings: Finding[] = []): Plan => ({
  status,
  findings,
  changes: [],
  rule: null,
  blocker: null,
});

function ruleView(evaluation: RuleEvaluation): RuleView | null {
  if (evaluation.match) return toRuleView(evaluation.match.rule, evaluation.match.kind);
  return evaluation.disabled ? toRuleView(evaluation.disabled) : null;
}

/** The deny rule for a Turbo cluster: `check` reports it, `apply` carries it out. */
export function planTurbo(obs: Extract<ClusterObservation, { kind: 'turbo' }>): Plan {
  const desired = desiredRule(obs.group.id, obs.facts.apiServer, obs.ports);
  const evaluation = evaluateRules(obs.rules, desired, obs.group);
  const changes: PlannedChange[] = [];
  for (const c of evaluation.changes) {
    if (c.action === 'delete' && evaluation.disabled) {
      changes.push({ kind: 'delete-rule', group: obs.group, rule: evaluation.disabled });
    } else if (c.action === 'create' && evaluation.create) {
      changes.push({ kind: 'create-rule', group: obs.group, rule: evaluation.create });
    }
  }
  const named: Finding[] = isEniGroupName(obs.group.name, obs.facts.name)
    ? []
    : [
        {
          code: 'security-group-not-eni-named',
          severity: 'warning',
          message: `${obs.group.name} (${obs.group.id}) is not named ${obs.facts.name}-cce-eni-<id>: it was given with --security-group. Make sure it is the group the cluster's pods are bound to, or the rule protects nothing.`,
        },
      ];
  return {
    status: evaluation.match || evaluation.together.length > 0 ? 'compliant' : 'drift',
    findings: [...named, ...(obs.preflight?.findings ?? []), ...evaluation.findings],
    changes,
    rule: ruleView(evaluation),
    blocker: evaluation.blocker ? new CloudError(evaluation.blocker) : null,
  };
}

/**
 * `remove`: only rules cce-harden created (marker) for the desired address whose ports are all
 * among the desired ports (`--port`, default the endpoint's port).
 */
export function planRemove(obs: Extract<ClusterObservation, { kind: 'turbo' }>): Plan {
  const verdict = planTurbo(obs);
  const desired = desiredRule(obs.group.id, obs.facts.apiServer, obs.ports);
  const changes: PlannedChange[] = obs.rules
    .filter((r) => removableFor(r, desired))
    .map((rule) => ({ kind: 'delete-rule', group: obs.group, rule }));
  return { ...verdict, changes, blocker: null };
}

/**
 * Standard clusters: the node pools' post-install scripts must carry the current block. With
 * `selectedPools` (`--install --nodepool`), only those pools are planned, and a pool that cannot
 * be updated safely fails the plan (UnsafeError) instead of being reported.
 */
export function planPools(
  obs: Extract<ClusterObservation, { kind: 'standard' }>,
  install?: { selectedPools?: readonly string[] | undefined },
): Plan {
  const result = checkStandardCluster(obs.desired, obs.pools);
  const updates = install
    ? planNodePoolUpdates(obs.desired, obs.pools, install.selectedPools)
    : result.changes;
  return {
    status: install && updates.length > 0 ? 'drift' : result.status,
    findings: result.findings,
    changes: updates.map((u) => ({
      kind: 'update-post-install',
      clusterId: obs.facts.id,
      pool: u.pool,
      before: u.before,
      after: u.after,
      ...(u.skip ? { skip: u.skip } : {}),
    })),
    rule: null,
    blocker: null,
  };
}

/** `check`: every observed cluster judged as it is. */
export function planCheck(obs: ClusterObservation): ClusterPlan {
  if (obs.kind === 'failed') return null;
  return obs.kind === 'turbo' ? planTurbo(obs) : planPools(obs);
}

/**
 * `apply`/`remove` act on Turbo clusters only. A standard cluster is hardened on its nodes:
 * named, it is an error (NotApplicableError, pointing to `iptables`); in `--all`, it is
 * not-applicable with the same hint. A plan with a blocker cannot be applied (the runner makes
 * it the cluster's error).
 */
export function planSecurityGroupChange(
  obs: ClusterObservation,
  command: 'apply' | 'remove',
  all: boolean,
): ClusterPlan | CceHardenError {
  if (obs.kind === 'failed') return null;
  if (obs.kind === 'standard') {
    const hint = `Use the iptables path: cce-harden iptables ${clusterArg(obs.facts)}${command === 'apply' ? ' --install' : ''}`;
    if (!all) {
      return new NotApplicableError(
        `${obs.facts.name} is a CCE standard cluster: it has no ENI security group to ${command === 'apply' ? 'add a rule to' : 'remove a rule from'}.`,
        hint,
      );
    }
    return emptyPlan('not-applicable', [
      {
        code: 'standard-cluster-use-iptables',
        severity: 'info',
        message: `${obs.facts.name} is a CCE standard cluster. ${hint}`,
      },
    ]);
  }
  if (command === 'remove') return planRemove(obs);
  const plan = planTurbo(obs);
  if (plan.changes.length > 0) plan.findings.push(blastRadiusFinding(obs));
  return plan;
}

/** The blast radius, said before anything is changed (the guide's pre-flight). */
export function blastRadiusFinding(obs: Extract<ClusterObservation, { kind: 'turbo' }>): Finding {
  return {
    code: 'blast-radius',
    severity: 'info',
    message: `Every pod bound to ${obs.group.name} (all pods on container networking, unless a workload sets its own security group) loses kube-apiserver at ${obs.facts.apiServer.ip}:${(obs.ports?.length ? obs.ports : [obs.facts.apiServer.port]).join(',')}. Pods that use the in-cluster service account to talk to the API may also be affected; hostNetwork pods are not.`,
  };
}
