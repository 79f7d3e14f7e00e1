/**
 * The security-group half of the pipeline for `apply` and `remove` (and the wizard's Turbo path):
 * plan each observed cluster, run the plans through the one runner, report.
 */
import { ExitCode } from '../core/exit-codes.js';
import { planCheck, planSecurityGroupChange, planTurbo } from '../core/plan.js';
import type { ClusterReport } from '../core/report.js';
import { buildClusterReport } from '../core/report-builder.js';
import type { Work } from '../core/runner.js';
import type { HardenOptions } from './cluster-targets.js';
import type { CommandContext } from './context.js';
import { buildRunReport, executePlans, observeRegions, type ObservedRegion } from './pipeline.js';

export type { HardenOptions } from './cluster-targets.js';

/**
 * apply and remove: observe -> plan -> show -> confirm -> execute -> re-read and verify, through
 * the one runner. --dry-run stops after the plan and makes no write request at all.
 */
export async function runChange(
  ctx: CommandContext,
  command: 'apply' | 'remove',
  opts: HardenOptions,
): Promise<number> {
  const { regions, failed } = await observeRegions(ctx, {
    clusters: opts.clusters,
    all: opts.all,
    withPreflight: command === 'apply',
  });
  return changeObserved(ctx, command, opts, regions, failed);
}

/**
 * The plan/apply half of `apply`/`remove`, for clusters already observed (the wizard passes what
 * it read before its questions; `refresh` re-reads the group right before the write).
 */
export async function changeObserved(
  ctx: CommandContext,
  command: 'apply' | 'remove',
  opts: HardenOptions,
  regions: readonly ObservedRegion[],
  failed: ClusterReport[] = [],
  refresh?: (work: Work) => Promise<Work>,
): Promise<number> {
  const work: Work[] = regions.flatMap(({ session, observed }) =>
    observed.clusters.map((obs) => {
      const planned = planSecurityGroupChange(obs, command, opts.all);
      return planned instanceof Error
        ? { obs, plan: null, ports: session.ports, error: planned }
        : { obs, plan: planned, ports: session.ports };
    }),
  );
  const { results, pending, stopped } = await executePlans(ctx, work, {
    dryRun: opts.dryRun,
    yes: opts.yes,
    what: (n) => `${n} cluster(s)`,
    replan: (obs) => (obs.kind === 'turbo' ? planTurbo(obs) : planCheck(obs)),
    extra: failed,
    ...(refresh ? { refresh } : {}),
  });
  if (pending === 0 && ctx.output.format === 'text' && !ctx.global.quiet) {
    ctx.ui.info(
      command === 'apply'
        ? 'Nothing to do: no rule is missing.'
        : 'Nothing to remove: no rule created by cce-harden was found.',
    );
  }
  // After remove the cluster reads as drift: unhardened on request, which is not a failure.
  const report = buildRunReport(ctx, [...results.map(buildClusterReport), ...failed], {
    dryRun: opts.dryRun,
  });
  await ctx.out.report(report);
  if (stopped) return ExitCode.cancelled;
  if (report.clusters.some((c) => c.status === 'error')) return ExitCode.error;
  if (opts.dryRun && pending > 0) return ExitCode.drift;
  return ExitCode.ok;
}
