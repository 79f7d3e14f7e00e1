/**
 * The CLI side of the pipeline (core/observe.ts -> core/plan.ts -> core/runner.ts ->
 * core/report-builder.ts): opens the cloud of each region, observes, and runs plans with the
 * terminal's confirmation and progress. Commands and the wizard use this; no command imports
 * another.
 */
import { CancelledError, UsageError } from '../core/errors.js';
import { observeRegion, type RegionObservation } from '../core/observe.js';
import {
  summarizeStatus,
  type ClusterReport,
  type ClusterStatus,
  type ReportInPieces,
  type RunReport,
} from '../core/report.js';
import { buildClusterReport, type ClusterResult } from '../core/report-builder.js';
import { toReportError } from '../core/report-error.js';
import { runPlan, type RunHooks, type RunOutcome, type Work } from '../core/runner.js';
import { makeColors } from '../render/colors.js';
import { renderText } from '../render/text.js';
import { createRetrier, openCloudSession, type CloudSession } from './cloud-session.js';
import { parseRegions, resolveCloudConfig, resolveCredentials } from './config.js';
import type { CommandContext } from './context.js';
import { RunProjects } from './projects.js';
import { standardFactsBuilder } from './standard-facts.js';

/** One region's cloud and what was observed there. */
export interface ObservedRegion {
  session: CloudSession;
  observed: RegionObservation;
}

export interface ObserveRequest {
  /** Names or ids; ignored with `all`. */
  clusters: readonly string[];
  all: boolean;
  withPreflight: boolean;
  portOnly?: boolean;
  /** `--port` (repeatable) with --port-only: the ports the iptables rules reject. */
  ports?: string[] | undefined;
  /** Turbo: `--port` on check/apply/remove, the TCP ports the deny rule covers. */
  denyPorts?: readonly number[] | undefined;
  /** Explicit ENI group (--security-group); defaults to the global flag. */
  securityGroupId?: string | undefined;
}

/** Regions to work on: --region (comma-separated), else HUAWEICLOUD_SDK_REGION. */
export function selectRegions(ctx: CommandContext, all: boolean): string[] {
  const regions = parseRegions(ctx.global.region ?? ctx.config.env.region);
  if (regions.length > 1 && !all) {
    throw new UsageError(
      `Several regions were given (${regions.join(', ')}) but clusters are named one region at a time.`,
      'Pass one --region with --cluster, or use --all to cover every cluster of every region.',
    );
  }
  return regions.length > 0 ? regions : [''];
}

/** Observes every requested cluster of every region; a failing region is reported, not fatal. */
export async function observeRegions(
  ctx: CommandContext,
  req: ObserveRequest,
): Promise<{ regions: ObservedRegion[]; failed: ClusterReport[] }> {
  const regions = selectRegions(ctx, req.all);
  // Resolve every region's settings first: a usage problem is reported before any call.
  // One credential provider for every region: temporary credentials are fetched and refreshed once.
  const credentials = resolveCredentials(ctx.config.env, (m) => ctx.ui.debug(m));
  const configs = regions.map((region) =>
    resolveCloudConfig(ctx.config, region || undefined, { credentials }),
  );
  const retrier = await createRetrier(ctx.ui, ctx.config.env);
  const provider = credentials.provider;
  if (provider) {
    ctx.ui.debug(`credentials: ${provider.description}`);
    // Once, before the regions fan out: a credential failure is one clear error, not one per region.
    await retrier.run('GetCredentials', () => provider.get());
  }
  // Regions without a configured project id get it from IAM, read-only, once per run.
  const projects = new RunProjects(ctx.config.env.iamEndpoint, retrier);
  const standardFacts = await standardFactsBuilder(req.portOnly ?? false, req.ports);
  const securityGroupId = 'securityGroupId' in req ? req.securityGroupId : ctx.global.securityGroup;
  const observed: ObservedRegion[] = [];
  const failed: ClusterReport[] = [];
  await Promise.all(
    configs.map(async (config) => {
      try {
        const session = await openCloudSession(
          await projects.complete(config),
          retrier,
          ctx.global.concurrency ?? 8,
        );
        const result = await ctx.ui.step(
          `Reading clusters and security groups in ${config.region}`,
          () =>
            observeRegion(session.ports, {
              region: config.region,
              clusterRefs: req.all ? [] : req.clusters,
              securityGroupId,
              withPreflight: req.withPreflight,
              standardFacts,
              ports: req.denyPorts,
            }),
        );
        observed.push({ session, observed: result });
      } catch (err) {
        if (regions.length === 1) throw err;
        failed.push(regionFailure(config.region, err));
      }
    }),
  );
  observed.sort((a, b) => regions.indexOf(a.session.region) - regions.indexOf(b.session.region));
  failed.sort((a, b) => regions.indexOf(a.region ?? '') - regions.indexOf(b.region ?? ''));
  return { regions: observed, failed };
}

/** A region that could not be read at all, as one report entry. */
function regionFailure(region: string, err: unknown): ClusterReport {
  return {
    id: region,
    name: `(region ${region})`,
    region,
    category: 'unknown',
    networkMode: null,
    phase: null,
    apiServer: null,
    securityGroup: null,
    rule: null,
    status: 'error',
    findings: [],
    changes: [],
    error: toReportError(err),
  };
}

export function buildRunReport(
  ctx: CommandContext,
  clusters: ClusterReport[],
  extra: Partial<RunReport> = {},
): RunReport {
  return { ...reportFrame(ctx, clusters), ...extra, clusters };
}

/**
 * A report whose clusters are built as they are written out (core/report.ts ReportInPieces):
 * `statuses` are the statuses those clusters will have, in any order.
 */
export function buildReportInPieces(
  ctx: CommandContext,
  statuses: readonly { status: ClusterStatus }[],
  clusters: Iterable<ClusterReport>,
): ReportInPieces {
  return { ...reportFrame(ctx, statuses), clusters };
}

function reportFrame(ctx: CommandContext, statuses: readonly { status: ClusterStatus }[]) {
  return {
    schemaVersion: 1 as const,
    command: ctx.command,
    status: summarizeStatus(statuses),
    startedAt: new Date(ctx.output.startedAtMs).toISOString(),
  };
}

/** Shows the plan on stderr and asks; --yes skips the question, no terminal refuses. */
export async function confirmPlan(
  ctx: CommandContext,
  plan: RunReport,
  what: string,
  yes: boolean,
): Promise<void> {
  if (yes) return;
  if (!ctx.ui.interactive) {
    throw new UsageError(
      `${what} would change and there is no terminal to confirm on.`,
      'Review the plan with --dry-run, then pass --yes to apply it non-interactively.',
    );
  }
  // The plan goes to stderr: stdout carries only the final result.
  ctx.ui.say(`\nPlan:\n${renderText(plan, { colors: makeColors(ctx.output.color) })}`);
  const warnings = plan.clusters.some((c) => c.findings.some((f) => f.severity === 'warning'));
  const ok = await ctx.ui.confirm(
    `Apply these changes to ${what}?${warnings ? ' (read the warnings above first)' : ''}`,
    !warnings,
  );
  if (!ok) throw new CancelledError('Not confirmed; nothing was changed.');
}

/** Runs plans through the one runner, with the terminal's confirmation and progress. */
export async function executePlans(
  ctx: CommandContext,
  work: readonly Work[],
  opts: {
    dryRun: boolean;
    yes: boolean;
    /** "2 cluster(s)", "1 node pool(s) of demo-vpc": what the question names. */
    what: (pending: number) => string;
    replan: RunHooks['replan'];
    refresh?: RunHooks['refresh'];
    /** Cluster reports of regions that could not be read, shown in the plan too. */
    extra?: ClusterReport[];
  },
): Promise<RunOutcome> {
  // Once confirmed, Ctrl+C or SIGTERM stops after the change in flight, which is finished and
  // verified; the report then says what was done and what was not attempted.
  let stop = false;
  const onSignal = (): void => {
    stop = true;
  };
  const listen = (on: boolean): void => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      if (on) process.on(signal, onSignal);
      else process.off(signal, onSignal);
    }
  };
  try {
    const outcome = await runPlan(work, {
      dryRun: opts.dryRun,
      confirm: async (preview: ClusterResult[], pending: number) => {
        await confirmPlan(
          ctx,
          buildRunReport(ctx, [...preview.map(buildClusterReport), ...(opts.extra ?? [])], {
            dryRun: opts.dryRun,
          }),
          opts.what(pending),
          opts.yes,
        );
        listen(true);
      },
      step: (label, fn) => ctx.ui.step(label, fn),
      replan: opts.replan,
      stopRequested: () => stop,
      ...(opts.refresh ? { refresh: opts.refresh } : {}),
    });
    if (outcome.stopped) {
      ctx.ui.say(
        outcome.leftOut
          ? 'Stopped on request: the change in flight was finished and verified; the rest was not attempted.'
          : 'Stopped on request: the change in flight was finished and verified; no change was left.',
      );
    }
    return outcome;
  } finally {
    listen(false);
  }
}
