/**
 * Step 3 of the pipeline: the report, built once at the end from what was observed, what was
 * planned and what happened to each change. Nothing else constructs or edits a ClusterReport.
 */
import { ClusterSkipped, type ClusterObservation } from './observe.js';
import type { ClusterPlan, PlannedChange } from './plan.js';
import type { Change, ClusterReport, ClusterStatus, Finding } from './report.js';
import { toReportError } from './report-error.js';
import { toRuleView } from './rule.js';

/** What happened to one planned change (set by the runner). */
export type ChangeResult =
  | { outcome: 'applied' }
  | { outcome: 'failed'; error: unknown }
  | { outcome: 'not-attempted' }
  | { outcome: 'skipped'; reason: string };

/** Everything known about one cluster at the end of a run. */
export interface ClusterResult {
  /** The latest observation (after the re-read, when changes were made). */
  obs: ClusterObservation;
  /** The plan that was shown (and carried out, unless dry run or check). */
  plan: ClusterPlan;
  /** Outcomes, aligned with plan.changes; absent when nothing was run. */
  outcomes?: ChangeResult[];
  /** The verdict on the latest observation (after a run); defaults to the plan's. */
  verdict?: ClusterPlan;
  /** What stops this cluster (a failed change, a blocker, a cluster of the wrong kind). */
  error?: unknown;
  /** Findings the command adds (e.g. what to do on existing nodes). */
  extraFindings?: Finding[];
}

export function changeView(change: PlannedChange, result?: ChangeResult): Change {
  const outcome: Pick<Change, 'applied' | 'outcome' | 'error' | 'reason'> = result
    ? {
        applied: result.outcome === 'applied',
        outcome: result.outcome,
        ...(result.outcome === 'failed' ? { error: toReportError(result.error) } : {}),
        ...(result.outcome === 'skipped' ? { reason: result.reason } : {}),
      }
    : change.kind === 'update-post-install' && change.skip
      ? { applied: false, outcome: 'skipped', reason: change.skip }
      : { applied: false };
  switch (change.kind) {
    case 'create-rule':
      return {
        action: 'create',
        kind: 'security-group-rule',
        target: change.group.name,
        targetId: change.group.id,
        before: null,
        after: { ...change.rule },
        ...outcome,
      };
    case 'delete-rule':
      return {
        action: 'delete',
        kind: 'security-group-rule',
        target: change.group.name,
        targetId: change.group.id,
        before: toRuleView(change.rule),
        after: null,
        ...outcome,
      };
    case 'update-post-install': {
      const side = (script: string) => ({
        poolId: change.pool.id,
        poolName: change.pool.name,
        postInstallScript: script,
      });
      return {
        action: 'update',
        kind: 'nodepool-post-install',
        target: change.pool.name,
        targetId: change.pool.id,
        before: side(change.before),
        after: side(change.after),
        ...outcome,
      };
    }
  }
}

/** The status buildClusterReport gives this result, without building the report. */
export function clusterResultStatus(result: ClusterResult): ClusterStatus {
  const { obs } = result;
  if (obs.kind === 'failed') return obs.error instanceof ClusterSkipped ? 'skipped' : 'error';
  if (result.error !== undefined) return 'error';
  return (result.verdict ?? result.plan)?.status ?? 'error';
}

export function buildClusterReport(result: ClusterResult): ClusterReport {
  const { obs, plan } = result;
  const facts = obs.facts;
  const base: ClusterReport = {
    id: facts?.id ?? obs.ref,
    name: facts?.name ?? obs.ref,
    ...(obs.region ? { region: obs.region } : {}),
    category: facts?.category ?? 'unknown',
    networkMode: facts?.networkMode ?? null,
    phase: facts?.phase ?? null,
    apiServer: facts?.apiServer ?? null,
    securityGroup: obs.kind === 'turbo' ? { id: obs.group.id, name: obs.group.name } : null,
    rule: null,
    status: 'error',
    findings: [],
    changes: [],
  };
  if (obs.kind === 'failed' && obs.error instanceof ClusterSkipped) {
    return {
      ...base,
      status: clusterResultStatus(result),
      reason: obs.error.reason,
      findings: [
        {
          code: 'cluster-skipped',
          severity: 'info',
          message: `Skipped: ${obs.error.reason} ${obs.error.hint}`,
        },
      ],
    };
  }
  if (obs.kind === 'failed') {
    return { ...base, status: clusterResultStatus(result), error: toReportError(obs.error) };
  }
  const verdict = result.verdict ?? plan;
  const changes = (plan?.changes ?? []).map((c, i) => changeView(c, result.outcomes?.[i]));
  const report: ClusterReport = {
    ...base,
    rule: verdict?.rule ?? null,
    status: clusterResultStatus(result),
    findings: [...(verdict?.findings ?? []), ...(result.extraFindings ?? [])],
    changes,
  };
  if (result.error !== undefined) report.error = toReportError(result.error);
  return report;
}
