import { UsageError } from '../../core/errors.js';
import { parsePort } from '../../core/iptables.js';
import { portList } from '../../core/rule.js';
import { ExitCode } from '../../core/exit-codes.js';
import { planCheck, planSecurityGroupChange, planTurbo } from '../../core/plan.js';
import type { ClusterReport } from '../../core/report.js';
import { buildClusterReport } from '../../core/report-builder.js';
import type { Work } from '../../core/runner.js';
import type { CommandContext } from '../context.js';
import { emitReport } from '../output.js';
import { buildRunReport, executePlans, observeRegions, type ObservedRegion } from '../pipeline.js';

export type HardenCommand = 'check' | 'apply' | 'remove';

export interface HardenOptions {
  clusters: string[];
  all: boolean;
  dryRun: boolean;
  yes: boolean;
  /** `--port` (repeatable): the TCP ports the Turbo deny rule covers; default the endpoint's. */
  ports?: string[] | undefined;
}

/** `--port` values as numbers (ascending, each once); problems are pushed. */
function parseDenyPorts(values: readonly string[] | undefined, problems: string[]): number[] {
  const ports: number[] = [];
  for (const v of values ?? []) {
    const r = parsePort(v, '--port');
    if (r.ok) ports.push(r.value);
    else problems.push(`${r.problem}.`);
  }
  return portList(ports);
}

function validate(command: HardenCommand, opts: HardenOptions): number[] {
  const problems: string[] = [];
  const ports = parseDenyPorts(opts.ports, problems);
  if (!opts.all && opts.clusters.length === 0) {
    problems.push(
      `Name a cluster: cce-harden ${command} --cluster <name|id> (or --all for every cluster).`,
    );
  }
  if (opts.all && opts.clusters.length > 0) {
    problems.push('--all and --cluster exclude each other: pick one.');
  }
  if (command === 'remove' && opts.all) {
    problems.push('remove works on named clusters only: pass --cluster <name|id>.');
  }
  if (problems.length > 0) throw new UsageError(problems);
  return ports;
}

export async function runCheck(ctx: CommandContext, opts: HardenOptions): Promise<number> {
  const denyPorts = validate('check', opts);
  const { regions, failed } = await observeRegions(ctx, {
    clusters: opts.clusters,
    all: opts.all,
    withPreflight: false,
    denyPorts,
  });
  const clusters = [
    ...regions.flatMap((r) =>
      r.observed.clusters.map((obs) => buildClusterReport({ obs, plan: planCheck(obs) })),
    ),
    ...failed,
  ];
  const report = buildRunReport(ctx, clusters);
  await emitReport(ctx.io, report, ctx.output);
  return report.status === 'error'
    ? ExitCode.error
    : report.status === 'drift'
      ? ExitCode.drift
      : ExitCode.ok;
}

/**
 * apply and remove: observe -> plan -> show -> confirm -> execute -> re-read and verify, through
 * the one runner. --dry-run stops after the plan and makes no write request at all.
 */
export async function runChange(
  ctx: CommandContext,
  command: 'apply' | 'remove',
  opts: HardenOptions,
): Promise<number> {
  const denyPorts = validate(command, opts);
  const { regions, failed } = await observeRegions(ctx, {
    clusters: opts.clusters,
    all: opts.all,
    withPreflight: command === 'apply',
    denyPorts,
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
  await emitReport(ctx.io, report, ctx.output);
  if (stopped) return ExitCode.cancelled;
  if (report.clusters.some((c) => c.status === 'error')) return ExitCode.error;
  if (opts.dryRun && pending > 0) return ExitCode.drift;
  return ExitCode.ok;
}
