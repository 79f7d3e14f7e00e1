/**
 * The iptables half of the pipeline: render a standard cluster's (or an offline) rule set, or
 * install its block into the node pools through the one runner. `cce-harden iptables` and the
 * wizard's standard path use it.
 */
import { quote } from 'shell-quote';
import { UsageError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';
import {
  buildIptablesModel,
  type IptablesNetwork,
  parseApiServerEndpoint,
  type IptablesModel,
} from '../core/iptables.js';
import type { ClusterObservation } from '../core/observe.js';
import { planCheck, planPools } from '../core/plan.js';
import { buildClusterReport } from '../core/report-builder.js';
import type { Work } from '../core/runner.js';
import {
  renderIptables,
  templatesForFormat,
  TEMPLATE_FILES,
  type IptablesFormat,
} from '../render/iptables.js';
import type { CommandContext } from './context.js';
import { buildRunReport, executePlans, observeRegions, type ObservedRegion } from './pipeline.js';
import { modelForCluster } from './standard-facts.js';
import { TEMPLATES_DIR, loadTemplates } from './templates-dir.js';

/** Options of `cce-harden iptables`; the wizard fills the same type. */
export interface IptablesOptions {
  cluster?: string | undefined;
  apiServer?: string | undefined;
  containerCidrs: string[];
  network?: IptablesNetwork | undefined;
  format: IptablesFormat;
  out?: string | undefined;
  portOnly: boolean;
  /** `--port` (repeatable): the ports to deny with --port-only; default the endpoint's port. */
  ports?: string[] | undefined;
  install: boolean;
  nodepools: string[];
  dryRun: boolean;
  yes: boolean;
}

/** Offline: every value is parsed strictly; all problems are reported at once (exit 64). */
export function offlineModel(opts: IptablesOptions): IptablesModel {
  const problems: string[] = [];
  // An address that cannot be read is one problem; the rest is validated without it.
  let apiServer: { ip: string; port: number } | null = null;
  try {
    apiServer = parseApiServerEndpoint(opts.apiServer ?? '');
  } catch (err) {
    if (err instanceof UsageError) problems.push(...err.problems);
    else throw err;
  }
  try {
    const model = buildIptablesModel({
      apiServer,
      containerCidrs: opts.containerCidrs,
      network: opts.network ?? '',
      portOnly: opts.portOnly,
      ports: opts.ports,
    });
    if (problems.length === 0) return model;
  } catch (err) {
    if (err instanceof UsageError) problems.push(...err.problems);
    else throw err;
  }
  throw new UsageError(problems);
}

const isolationNote = () =>
  `Only workloads that never need the API server should run on these nodes: see ${new URL(TEMPLATE_FILES.workloadIsolation, TEMPLATES_DIR).pathname} for labels, taints, tolerations and node affinity.`;

/** `cce-harden iptables` with its options validated (commands/iptables.ts). */
export async function runIptables(ctx: CommandContext, opts: IptablesOptions): Promise<number> {
  if (opts.install) return installOnNodePools(ctx, opts);

  if (opts.cluster) {
    const { obs } = await observeOne(ctx, opts);
    return renderModel(ctx, opts, obs.desired.model, obs.facts.name);
  }
  return renderModel(ctx, opts, offlineModel(opts), undefined);
}

/** Renders the script of a model (a cluster's, or one described offline) where `opts` says. */
export async function renderModel(
  ctx: CommandContext,
  opts: IptablesOptions,
  model: IptablesModel,
  clusterName: string | undefined,
): Promise<number> {
  const format = opts.format;
  const text = renderIptables(model, format, await loadTemplates(templatesForFormat(format)));
  if (opts.out) {
    const written = await ctx.out.file(opts.out, text, format === 'post-install' ? 0o644 : 0o755);
    ctx.ui.info(`Wrote the ${format} for ${clusterName ?? 'the given network'} to ${opts.out}.`);
    if (ctx.output.format === 'json') {
      await ctx.out.document({
        ...buildRunReport(ctx, []),
        rendered: { format, text, model },
        written,
      });
    }
  } else if (ctx.output.format === 'json') {
    await ctx.out.document({ ...buildRunReport(ctx, []), rendered: { format, text, model } });
  } else {
    await ctx.out.text(text);
  }
  ctx.ui.info(
    `${model.rules.length} REJECT rule(s) on ${model.chain} (${model.network === 'vpc' ? 'VPC network' : 'container tunnel network'}) for ${model.containerCidrs.join(', ')} -> ${model.apiServer.ip}${model.portOnly ? `:${model.ports.join(',')}/tcp` : ''}.`,
  );
  ctx.ui.info(isolationNote());
  return ExitCode.ok;
}

type StandardObservation = Extract<ClusterObservation, { kind: 'standard' }>;

/**
 * Reads one standard cluster (and its node pools) through the CCE API. A cluster that could not
 * be read throws its own error (a missing cluster stays NOT_FOUND); a Turbo cluster throws the
 * error that points to `apply`.
 */
async function observeOne(
  ctx: CommandContext,
  opts: IptablesOptions,
): Promise<{ obs: StandardObservation; region: ObservedRegion }> {
  const { regions } = await observeRegions(ctx, {
    clusters: [opts.cluster ?? ''],
    all: false,
    withPreflight: false,
    portOnly: opts.portOnly,
    ports: opts.ports,
  });
  const region = regions[0];
  const obs = region?.observed.clusters[0];
  if (!region || !obs) throw new UsageError('Pass --cluster <name|id>.');
  return { obs: standardOnly(obs), region };
}

function standardOnly(obs: ClusterObservation): StandardObservation {
  if (obs.kind === 'standard') return obs;
  if (obs.kind === 'turbo') {
    modelForCluster(obs.facts, false); // throws the Turbo error, which points to `apply`
  }
  if (obs.kind === 'failed') {
    if (obs.facts?.isTurbo) modelForCluster(obs.facts, false);
    throw obs.error;
  }
  throw new UsageError(`${obs.facts.name} is not a CCE standard cluster.`);
}

/**
 * --install: the block goes into each node pool's post-install script so new nodes get the
 * rules. Plan, confirm, then the one runner: each pool is read fresh and written by the cloud
 * adapter (only the script changes; the node count is never written), re-read, verified.
 */
async function installOnNodePools(ctx: CommandContext, opts: IptablesOptions): Promise<number> {
  const { obs, region } = await observeOne(ctx, opts);
  return installObserved(ctx, opts, obs, region);
}

/** The plan/apply half of `--install`, for a cluster already observed (the wizard's). */
export async function installObserved(
  ctx: CommandContext,
  opts: IptablesOptions,
  observed: ClusterObservation,
  region: ObservedRegion,
): Promise<number> {
  const obs = standardOnly(observed);
  const plan = planPools(obs, {
    selectedPools: opts.nodepools.length > 0 ? opts.nodepools : undefined,
  });
  const work: Work = { obs, plan, ports: region.session.ports };
  const { results, pending, stopped } = await executePlans(ctx, [work], {
    dryRun: opts.dryRun,
    yes: opts.yes,
    what: () =>
      `${plan.changes.filter((c) => !('skip' in c && c.skip)).length} node pool(s) of ${obs.facts.name}`,
    replan: planCheck,
  });
  const existingNodesHint = `Existing nodes are not changed by this: run the script once on each (as root): ${quote(['cce-harden', 'iptables', '--cluster', obs.facts.name])} --format script --out cce-harden-iptables.sh, copy it to the nodes, then sh cce-harden-iptables.sh.`;
  if (pending === 0 && ctx.output.format === 'text' && !ctx.global.quiet) {
    ctx.ui.info('Nothing to do: every selected node pool already carries the current block.');
  }
  const reports = results.map((r) =>
    buildClusterReport({
      ...r,
      extraFindings: [
        { code: 'existing-nodes-need-script', severity: 'info', message: existingNodesHint },
      ],
    }),
  );
  const report = buildRunReport(ctx, reports, { dryRun: opts.dryRun });
  await ctx.out.report(report);
  ctx.ui.info(isolationNote());
  if (stopped) return ExitCode.cancelled;
  if (reports.some((c) => c.status === 'error')) return ExitCode.error;
  if (opts.dryRun && pending > 0) return ExitCode.drift;
  return ExitCode.ok;
}
