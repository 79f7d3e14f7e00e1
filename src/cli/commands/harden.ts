import { CancelledError, CloudError, NotApplicableError, UsageError } from '../../core/errors.js';
import { ExitCode } from '../../core/exit-codes.js';
import {
  applyObservation,
  blastRadiusFinding,
  observe,
  planRemove,
  removeObservation,
  toReportError,
  type Observation,
} from '../../core/harden.js';
import { summarizeStatus, type ClusterReport, type RunReport } from '../../core/report.js';
import { makeColors } from '../../render/colors.js';
import { renderText } from '../../render/text.js';
import { createRetrier, openCloudSession, type CloudSession } from '../cloud-session.js';
import {
  parseRegions,
  pick,
  projectLookupEnabled,
  resolveCloudConfig,
  resolveCredentials,
} from '../config.js';
import type { CommandContext } from '../context.js';
import { emitReport } from '../output.js';
import { RunProjects } from '../projects.js';
import { standardFactsBuilder } from '../standard-facts.js';

export type HardenCommand = 'check' | 'apply' | 'remove';

export interface HardenOptions {
  clusters: string[];
  all: boolean;
  dryRun: boolean;
  yes: boolean;
}

export interface RegionResult {
  session: CloudSession;
  observations: Observation[];
}

/** Regions to work on: --region (comma-separated), else HUAWEICLOUD_SDK_REGION. */
export function selectRegions(ctx: CommandContext, opts: HardenOptions): string[] {
  const regions = parseRegions(ctx.global.region ?? pick(ctx.env, 'region'));
  if (regions.length > 1 && !opts.all) {
    throw new UsageError(
      `Several regions were given (${regions.join(', ')}) but clusters are named one region at a time.`,
      'Pass one --region with --cluster, or use --all to cover every cluster of every region.',
    );
  }
  return regions.length > 0 ? regions : [''];
}

function validate(command: HardenCommand, opts: HardenOptions): void {
  const problems: string[] = [];
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
}

/** Observes every requested cluster of every region; a failing region is reported, not fatal. */
export async function observeRegions(
  ctx: CommandContext,
  opts: HardenOptions,
  observeOpts: { withAddons: boolean; portOnly?: boolean },
): Promise<{ results: RegionResult[]; failed: ClusterReport[] }> {
  const { withAddons, portOnly = false } = observeOpts;
  const regions = selectRegions(ctx, opts);
  // Resolve every region's settings first: a usage problem is reported before any call.
  const projectIdLookup = projectLookupEnabled(ctx.env);
  // One credential provider for every region: temporary credentials are fetched and refreshed once.
  const credentials = resolveCredentials(ctx.env, (m) => ctx.ui.debug(m));
  const configs = regions.map((region) =>
    resolveCloudConfig(
      ctx.env,
      { region: ctx.global.region ? region : undefined, projectId: ctx.global.projectId },
      region || undefined,
      undefined,
      { projectIdLookup, credentials },
    ),
  );
  const retrier = await createRetrier(ctx.ui, ctx.env);
  const provider = credentials.provider;
  if (provider) {
    ctx.ui.debug(`credentials: ${provider.description}`);
    // Once, before the regions fan out: a credential failure is one clear error, not one per region.
    await retrier.run('GetCredentials', () => provider.get());
  }
  // Regions without a configured project id get it from IAM, read-only, once per run.
  const projects = new RunProjects(ctx.env, retrier);
  const standardFacts = await standardFactsBuilder(portOnly);
  const results: RegionResult[] = [];
  const failed: ClusterReport[] = [];
  await Promise.all(
    configs.map(async (config) => {
      try {
        const session = await openCloudSession(
          await projects.complete(config),
          retrier,
          ctx.global.concurrency ?? 8,
        );
        const observations = await ctx.ui.step(
          `Reading clusters and security groups in ${config.region}`,
          () =>
            observe(session.deps, {
              region: config.region,
              clusterRefs: opts.all ? [] : opts.clusters,
              ...(ctx.global.securityGroup ? { securityGroupId: ctx.global.securityGroup } : {}),
              withAddons,
              standardFacts,
            }),
        );
        results.push({ session, observations });
      } catch (err) {
        if (regions.length === 1) throw err;
        failed.push({
          id: config.region,
          name: `(region ${config.region})`,
          region: config.region,
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
        });
      }
    }),
  );
  results.sort((a, b) => regions.indexOf(a.session.region) - regions.indexOf(b.session.region));
  failed.sort((a, b) => regions.indexOf(a.region ?? '') - regions.indexOf(b.region ?? ''));
  return { results, failed };
}

export function buildReport(
  ctx: CommandContext,
  clusters: ClusterReport[],
  extra: Partial<RunReport> = {},
): RunReport {
  return {
    schemaVersion: 1,
    command: ctx.command,
    status: summarizeStatus(clusters),
    startedAt: new Date(ctx.output.startedAtMs).toISOString(),
    ...extra,
    clusters,
  };
}

export async function runCheck(ctx: CommandContext, opts: HardenOptions): Promise<number> {
  validate('check', opts);
  const { results, failed } = await observeRegions(ctx, opts, { withAddons: false });
  const clusters = [...results.flatMap((r) => r.observations.map((o) => o.report)), ...failed];
  const report = buildReport(ctx, clusters);
  await emitReport(ctx.io, report, ctx.output);
  return report.status === 'error'
    ? ExitCode.error
    : report.status === 'drift'
      ? ExitCode.drift
      : ExitCode.ok;
}

/**
 * apply and remove: observe -> plan -> show -> confirm -> execute -> re-read and verify.
 * --dry-run stops after the plan and makes no write request at all.
 */
export async function runChange(
  ctx: CommandContext,
  command: 'apply' | 'remove',
  opts: HardenOptions,
): Promise<number> {
  validate(command, opts);
  const { results, failed } = await observeRegions(ctx, opts, { withAddons: command === 'apply' });
  const all = results.flatMap((r) => r.observations.map((o) => ({ obs: o, session: r.session })));

  for (const { obs } of all) {
    if (obs.facts && !obs.facts.isTurbo && !obs.report.error) {
      // Standard clusters are hardened on the nodes, by `iptables --install`, not here.
      const hint = `Use the iptables path: cce-harden iptables --cluster ${obs.report.name}${command === 'apply' ? ' --install' : ''}`;
      obs.report.changes = [];
      if (opts.all) {
        obs.report.status = 'not-applicable';
        obs.report.findings.push({
          code: 'standard-cluster-use-iptables',
          severity: 'info',
          message: `${obs.report.name} is a CCE standard cluster. ${hint}`,
        });
      } else {
        obs.report.status = 'error';
        obs.report.error = toReportError(
          new NotApplicableError(
            `${obs.report.name} is a CCE standard cluster: it has no ENI security group to ${command === 'apply' ? 'add a rule to' : 'remove a rule from'}.`,
            hint,
          ),
        );
      }
      continue;
    }
    if (command === 'remove') planRemove(obs);
    else if (obs.report.changes.length > 0) obs.report.findings.push(blastRadiusFinding(obs));
    if (obs.evaluation?.blocker && command === 'apply' && !obs.report.error) {
      // Apply cannot reach compliance without touching a rule it does not own: an error.
      obs.report.status = 'error';
      obs.report.error = toReportError(new CloudError(obs.evaluation.blocker));
    }
  }

  const pending = all.filter(({ obs }) => obs.report.changes.length > 0 && !obs.report.error);
  const reportNow = () =>
    buildReport(ctx, [...all.map((a) => a.obs.report), ...failed], { dryRun: opts.dryRun });

  if (pending.length > 0 && !opts.dryRun) {
    await confirmPlan(ctx, reportNow(), `${pending.length} cluster(s)`, opts.yes);
    for (const { obs, session } of pending) {
      await ctx.ui.step(
        `${command === 'apply' ? 'Adding' : 'Removing'} the rule in ${obs.report.securityGroup?.name}`,
        () =>
          command === 'apply'
            ? applyObservation(session.deps, obs)
            : removeObservation(session.deps, obs),
      );
    }
  }
  if (pending.length === 0 && ctx.output.format === 'text' && !ctx.global.quiet) {
    ctx.ui.info(
      command === 'apply'
        ? 'Nothing to do: no rule is missing.'
        : 'Nothing to remove: no rule created by cce-harden was found.',
    );
  }

  // After remove the cluster reads as drift: unhardened on request, which is not a failure.
  const report = reportNow();
  await emitReport(ctx.io, report, ctx.output);
  if (report.clusters.some((c) => c.status === 'error')) return ExitCode.error;
  if (opts.dryRun && pending.length > 0) return ExitCode.drift;
  return ExitCode.ok;
}

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
  ctx.io.stderr.write(`\nPlan:\n${renderText(plan, { colors: makeColors(ctx.output.color) })}\n`);
  const warnings = plan.clusters.some((c) => c.findings.some((f) => f.severity === 'warning'));
  const ok = await ctx.ui.confirm(
    `Apply these changes to ${what}?${warnings ? ' (read the warnings above first)' : ''}`,
    !warnings,
  );
  if (!ok) throw new CancelledError('Not confirmed; nothing was changed.');
}
