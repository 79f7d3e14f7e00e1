/**
 * The one runner every mutating path goes through (`apply`, `remove`, `iptables --install`, the
 * wizard): observed clusters and their plans -> show the plan and confirm -> apply each change
 * through the ports -> re-observe -> verify each change -> results for the report.
 *
 * Each change gets its own outcome. `applied` is set only when the re-read shows the change in
 * effect. A failed node-pool update does not stop the other pools; rule changes of one group
 * depend on each other, so the first failure there leaves the rest `not-attempted`.
 */
import { CloudError } from './errors.js';
import { reobserve, type ClusterObservation, type ObservePorts } from './observe.js';
import type { ClusterPlan, Plan, PlannedChange } from './plan.js';
import type { ChangeResult, ClusterResult } from './report-builder.js';
import { matchRule } from './rule.js';
import { judgePool } from './standard-check.js';
import type { NodePoolWriter, RuleStore } from './types.js';

/** The cloud one cluster's work talks to: read side (re-observe) and write side. */
export interface RunPorts extends ObservePorts {
  nodePools: NodePoolWriter;
  rules: RuleStore;
}

/** One cluster's work: what was observed, what is planned, and the cloud it lives in. */
export interface Work {
  obs: ClusterObservation;
  plan: ClusterPlan;
  ports: RunPorts;
  /** Stops this cluster before any write (e.g. a standard cluster named for `apply`). */
  error?: unknown;
}

export interface RunHooks {
  dryRun: boolean;
  /**
   * Shows the plan and asks (or checks --yes). Called once, only when some change would be
   * made; throws (CancelledError, UsageError) to stop before any write.
   */
  confirm(preview: ClusterResult[], pending: number): Promise<void>;
  /** Progress around each write. */
  step<T>(label: string, fn: () => Promise<T>): Promise<T>;
  /** The verdict on a re-read cluster (planTurbo, planPools, ...). */
  replan(obs: ClusterObservation): ClusterPlan;
  /**
   * The seam for a fresh read right before the writes of a cluster whose observation may be old
   * (the wizard observed before its questions): returns the observation and plan to carry out.
   */
  refresh?(work: Work): Promise<Work>;
  /**
   * True once the user asked to stop (SIGINT/SIGTERM) after confirming: the change in flight is
   * finished and verified, the ones after it are left `not-attempted`.
   */
  stopRequested?(): boolean;
}

export interface RunOutcome {
  results: ClusterResult[];
  /** Clusters that had changes to make (for dry-run's exit code). */
  pending: number;
  /**
   * A stop was requested (SIGINT/SIGTERM) after the confirmation: the run is interrupted (exit
   * 130) whether or not a planned change was left; the results say what was done.
   */
  stopped: boolean;
  /** The stop left some planned change `not-attempted`. */
  leftOut: boolean;
}

/** The plan of a cluster that has changes to make, or null. */
function pendingPlan(w: Work): Plan | null {
  const plan = w.plan;
  if (w.error !== undefined || w.obs.kind === 'failed' || !plan || plan.blocker) return null;
  return plan.changes.some((c) => !(c.kind === 'update-post-install' && c.skip)) ? plan : null;
}

const isPending = (w: Work): boolean => pendingPlan(w) !== null;

function initialResult(w: Work): ClusterResult {
  const blocker = w.plan?.blocker ?? undefined;
  const error = w.error ?? blocker;
  return { obs: w.obs, plan: w.plan, ...(error !== undefined ? { error } : {}) };
}

export function describeChange(change: PlannedChange): string {
  switch (change.kind) {
    case 'create-rule':
      return `Adding the rule in ${change.group.name}`;
    case 'delete-rule':
      return `Removing the rule in ${change.group.name}`;
    case 'update-post-install':
      return `Updating node pool ${change.pool.name}`;
  }
}

export async function runPlan(work: readonly Work[], hooks: RunHooks): Promise<RunOutcome> {
  const pending = work.filter(isPending);
  if (pending.length === 0 || hooks.dryRun) {
    return {
      results: work.map(initialResult),
      pending: pending.length,
      stopped: false,
      leftOut: false,
    };
  }
  await hooks.confirm(work.map(initialResult), pending.length);
  const results: ClusterResult[] = [];
  for (const w of work) {
    if (!isPending(w)) results.push(initialResult(w));
    else if (hooks.stopRequested?.()) results.push(notAttempted(w));
    else results.push(await runCluster(w, hooks));
  }
  const stopped = hooks.stopRequested?.() === true;
  const leftOut =
    stopped && results.some((r) => (r.outcomes ?? []).some((o) => o.outcome === 'not-attempted'));
  return { results, pending: pending.length, stopped, leftOut };
}

/** A cluster whose turn never came (a stop was requested first). */
function notAttempted(w: Work): ClusterResult {
  const plan = w.plan;
  return {
    ...initialResult(w),
    outcomes: (plan?.changes ?? []).map((c): ChangeResult =>
      c.kind === 'update-post-install' && c.skip
        ? { outcome: 'skipped', reason: c.skip }
        : { outcome: 'not-attempted' },
    ),
  };
}

async function apply(ports: RunPorts, change: PlannedChange): Promise<void> {
  switch (change.kind) {
    case 'create-rule':
      // A duplicate answer (a concurrent run created it) counts; verification decides.
      await ports.rules.createRule(change.rule);
      return;
    case 'delete-rule':
      await ports.rules.deleteRule(change.rule.id);
      return;
    case 'update-post-install':
      await ports.nodePools.updatePostInstallScript(change.clusterId, change.pool.id, {
        expected: change.before,
        script: change.after,
      });
      return;
  }
}

async function runCluster(initial: Work, hooks: RunHooks): Promise<ClusterResult> {
  const w = hooks.refresh ? await hooks.refresh(initial) : initial;
  const plan = pendingPlan(w);
  if (!plan) return initialResult(w);
  const outcomes: ChangeResult[] = [];
  let stopRules = false;
  for (const change of plan.changes) {
    if (change.kind === 'update-post-install' && change.skip) {
      outcomes.push({ outcome: 'skipped', reason: change.skip });
      continue;
    }
    if ((stopRules && change.kind !== 'update-post-install') || hooks.stopRequested?.()) {
      outcomes.push({ outcome: 'not-attempted' });
      continue;
    }
    try {
      await hooks.step(describeChange(change), () => apply(w.ports, change));
      // Provisionally: the re-read below decides.
      outcomes.push({ outcome: 'applied' });
    } catch (error) {
      outcomes.push({ outcome: 'failed', error });
      if (change.kind !== 'update-post-install') stopRules = true;
    }
  }

  const after = await reobserve(w.ports, w.obs);
  if (after.kind === 'failed') {
    // The writes may have landed but cannot be verified: none counts as applied.
    const unverified = outcomes.map((o): ChangeResult =>
      o.outcome === 'applied' ? { outcome: 'failed', error: after.error } : o,
    );
    return { obs: w.obs, plan, outcomes: unverified, error: after.error };
  }
  const verified = plan.changes.map((change, i) => verify(change, outcomes[i], after));
  const failed = verified.find((o) => o.outcome === 'failed');
  return {
    obs: after,
    plan,
    outcomes: verified,
    verdict: hooks.replan(after),
    ...(failed && failed.outcome === 'failed' ? { error: failed.error } : {}),
  };
}

/** Does the re-read show the change? Only then is it `applied`. */
function verify(
  change: PlannedChange,
  outcome: ChangeResult | undefined,
  after: ClusterObservation,
): ChangeResult {
  if (!outcome || outcome.outcome !== 'applied') return outcome ?? { outcome: 'not-attempted' };
  const notShown = (message: string): ChangeResult => ({
    outcome: 'failed',
    error: new CloudError(message, {}, 'Run `cce-harden check` to see the current state.'),
  });
  switch (change.kind) {
    case 'create-rule': {
      if (after.kind !== 'turbo') return notShown('The group could not be re-read.');
      const present = after.rules.some((r) => r.enabled && matchRule(r, change.rule) !== null);
      return present
        ? outcome
        : notShown(
            `The rule was written but re-reading ${change.group.name} does not show it in effect.`,
          );
    }
    case 'delete-rule': {
      if (after.kind !== 'turbo') return notShown('The group could not be re-read.');
      return after.rules.some((r) => r.id === change.rule.id)
        ? notShown(`Re-reading ${change.group.name} still shows rule ${change.rule.id}.`)
        : outcome;
    }
    case 'update-post-install': {
      if (after.kind !== 'standard') return notShown('The node pools could not be re-read.');
      const pool = after.pools.find((p) => p.id === change.pool.id);
      const shown = pool && judgePool(after.desired, pool).kind === 'ok';
      return shown
        ? outcome
        : notShown(
            `Node pool ${change.pool.name} was updated, but re-reading it does not show the block.`,
          );
    }
  }
}
