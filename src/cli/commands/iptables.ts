import { quote } from 'shell-quote';
import { CloudError, UsageError } from '../../core/errors.js';
import { ExitCode } from '../../core/exit-codes.js';
import { toReportError, type Observation } from '../../core/harden.js';
import {
  buildIptablesModel,
  parseApiServerEndpoint,
  type IptablesModel,
} from '../../core/iptables.js';
import { summarizeStatus, type Change } from '../../core/report.js';
import { checkStandardCluster, planNodePoolUpdates } from '../../core/standard-check.js';
import type { RawNodePool } from '../../core/types.js';
import {
  IPTABLES_FORMATS,
  renderIptables,
  templatesForFormat,
  TEMPLATE_FILES,
  type IptablesFormat,
} from '../../render/iptables.js';
import { renderJson } from '../../render/json.js';
import type { CloudSession } from '../cloud-session.js';
import type { CommandContext } from '../context.js';
import { emitReport } from '../output.js';
import { writeOutputFile, writeStream } from '../write-file.js';
import { modelForCluster, standardFactsBuilder } from '../standard-facts.js';
import { TEMPLATES_DIR, loadTemplates } from '../templates-dir.js';
import { buildReport, confirmPlan, observeRegions } from './harden.js';

/** Options of `cce-harden iptables`; the wizard fills the same type. */
export interface IptablesOptions {
  cluster?: string | undefined;
  apiServer?: string | undefined;
  containerCidrs: string[];
  network?: string | undefined;
  format: string;
  out?: string | undefined;
  portOnly: boolean;
  /** `--port` (repeatable): the ports to deny with --port-only; default the endpoint's port. */
  ports?: string[] | undefined;
  install: boolean;
  nodepools: string[];
  dryRun: boolean;
  yes: boolean;
}

function validateOptions(opts: IptablesOptions): void {
  const problems: string[] = [];
  const offline =
    opts.apiServer !== undefined || opts.containerCidrs.length > 0 || opts.network !== undefined;
  if (!(IPTABLES_FORMATS as readonly string[]).includes(opts.format)) {
    problems.push(`--format must be one of ${IPTABLES_FORMATS.join(', ')} (got "${opts.format}").`);
  }
  if (opts.cluster && offline) {
    problems.push(
      '--cluster reads the cluster from the CCE API; --api-server, --container-cidr and --network describe it offline. Use one or the other.',
    );
  } else if (!opts.cluster) {
    if (!offline)
      problems.push(
        'Pass --cluster <name|id>, or --api-server, --container-cidr and --network to render offline.',
      );
    else {
      if (opts.apiServer === undefined)
        problems.push('Offline rendering needs --api-server <ip[:port]>.');
      if (opts.containerCidrs.length === 0)
        problems.push('Offline rendering needs at least one --container-cidr <cidr>.');
      if (opts.network === undefined)
        problems.push('Offline rendering needs --network vpc|tunnel.');
    }
  }
  if (opts.install && !opts.cluster)
    problems.push('--install writes node pools through the CCE API: it needs --cluster.');
  if (!opts.install && (opts.nodepools.length > 0 || opts.dryRun)) {
    problems.push('--nodepool and --dry-run only go with --install.');
  }
  if (opts.install && opts.out)
    problems.push('--out is for rendering; --install writes to the node pools.');
  if ((opts.ports ?? []).length > 0 && !opts.portOnly)
    problems.push(
      '--port goes with --port-only; without it every port of the API server is rejected.',
    );
  if (problems.length > 0) throw new UsageError(problems, 'See `cce-harden iptables --help`.');
}

/** Offline: every value is parsed strictly; all problems are reported at once (exit 64). */
function offlineModel(opts: IptablesOptions): IptablesModel {
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

export async function runIptables(ctx: CommandContext, opts: IptablesOptions): Promise<number> {
  validateOptions(opts);
  const format = opts.format as IptablesFormat;
  if (opts.install) return installOnNodePools(ctx, opts);

  let model: IptablesModel;
  let clusterName: string | undefined;
  if (opts.cluster) {
    const { obs } = await observeOne(ctx, opts);
    model = modelForCluster(
      obs.facts as NonNullable<Observation['facts']>,
      opts.portOnly,
      opts.ports,
    );
    clusterName = obs.report.name;
  } else {
    model = offlineModel(opts);
  }
  const text = renderIptables(model, format, await loadTemplates(templatesForFormat(format)));
  if (opts.out) {
    const written = await writeOutputFile(opts.out, ctx.output.redact?.(text) ?? text, {
      mode: format === 'post-install' ? 0o644 : 0o755,
      force: Boolean(ctx.output.force),
      confirmReplace: ctx.output.confirmReplace,
    });
    ctx.ui.info(`Wrote the ${format} for ${clusterName ?? 'the given network'} to ${opts.out}.`);
    if (ctx.output.format === 'json') {
      await writeStream(
        ctx.io.stdout,
        renderJson({ ...buildReport(ctx, []), rendered: { format, text, model }, written }),
      );
    }
  } else if (ctx.output.format === 'json') {
    await writeStream(
      ctx.io.stdout,
      renderJson({ ...buildReport(ctx, []), rendered: { format, text, model } }),
    );
  } else {
    await writeStream(ctx.io.stdout, text);
  }
  ctx.ui.info(
    `${model.rules.length} REJECT rule(s) on ${model.chain} (${model.network === 'vpc' ? 'VPC network' : 'container tunnel network'}) for ${model.containerCidrs.join(', ')} -> ${model.apiServer.ip}${model.portOnly ? `:${model.ports.join(',')}/tcp` : ''}.`,
  );
  ctx.ui.info(isolationNote());
  return ExitCode.ok;
}

/** Reads one standard cluster (and its node pools) through the CCE API. */
async function observeOne(
  ctx: CommandContext,
  opts: IptablesOptions,
): Promise<{ obs: Observation; session: CloudSession }> {
  const { results } = await observeRegions(
    ctx,
    { clusters: [opts.cluster as string], all: false, dryRun: opts.dryRun, yes: opts.yes },
    { withAddons: false, portOnly: opts.portOnly },
  );
  const region = results[0];
  const obs = region?.observations[0];
  if (!region || !obs) throw new CloudError('The cluster could not be read.');
  if (obs.facts?.isTurbo) {
    modelForCluster(obs.facts, opts.portOnly); // throws the Turbo error, which points to `apply`
  }
  if (obs.report.error) throw errorFromReport(obs);
  return { obs, session: region.session };
}

function errorFromReport(obs: Observation): Error {
  const e = obs.report.error;
  return new CloudError(
    e?.message ?? 'failed',
    { requestId: e?.requestId ?? undefined },
    e?.hint ?? undefined,
  );
}

/**
 * --install: the block goes into each node pool's post-install script so new nodes get the
 * rules. UpdateNodePool replaces the whole pool, so each request carries the pool as read with
 * only the script changed. Plan, confirm, apply, re-read, verify.
 */
async function installOnNodePools(ctx: CommandContext, opts: IptablesOptions): Promise<number> {
  const { obs, session } = await observeOne(ctx, opts);
  const facts = obs.facts as NonNullable<Observation['facts']>;
  const standardFacts = (await standardFactsBuilder(opts.portOnly, opts.ports))(facts);
  const changes = planNodePoolUpdates(
    standardFacts,
    obs.pools,
    opts.nodepools.length > 0 ? opts.nodepools : undefined,
  );
  obs.report.changes = changes;
  if (changes.length > 0) obs.report.status = 'drift';

  const existingNodesHint = `Existing nodes are not changed by this: run the script once on each (as root): ${quote(['cce-harden', 'iptables', '--cluster', facts.name])} --format script --out cce-harden-iptables.sh, copy it to the nodes, then sh cce-harden-iptables.sh.`;
  if (changes.length > 0 && !opts.dryRun) {
    await confirmPlan(
      ctx,
      buildReport(ctx, [obs.report]),
      `${changes.length} node pool(s) of ${facts.name}`,
      opts.yes,
    );
    const updated = new Set<string>();
    try {
      for (const change of changes) {
        await ctx.ui.step(`Updating node pool ${change.target}`, () =>
          session.nodePools.updateNodePool(facts.id, change.after as RawNodePool),
        );
        updated.add(change.targetId);
      }
      const pools = await session.deps.cce.listNodePools(facts.id);
      const verify = checkStandardCluster(
        standardFacts,
        pools.filter((p) => updated.has(p.metadata.uid)),
      );
      if (verify.status !== 'compliant') {
        throw new CloudError(
          'The node pools were updated, but re-reading them does not show the block.',
          {},
          'Run `cce-harden check` to see the current state.',
        );
      }
      const all = checkStandardCluster(standardFacts, pools);
      obs.pools = pools;
      obs.report.status = all.status;
      obs.report.findings = all.findings;
      obs.report.changes = changes.map((c): Change => ({ ...c, applied: true }));
    } catch (err) {
      obs.report.status = 'error';
      obs.report.error = toReportError(err);
      obs.report.changes = changes.map((c): Change => ({ ...c, applied: updated.has(c.targetId) }));
    }
  }
  obs.report.findings.push({
    code: 'existing-nodes-need-script',
    severity: 'info',
    message: existingNodesHint,
  });
  if (changes.length === 0)
    ctx.ui.info('Nothing to do: every selected node pool already carries the current block.');
  const report = { ...buildReport(ctx, [obs.report]), dryRun: opts.dryRun };
  report.status = summarizeStatus(report.clusters);
  await emitReport(ctx.io, report, ctx.output);
  ctx.ui.info(isolationNote());
  if (obs.report.status === 'error') return ExitCode.error;
  if (opts.dryRun && changes.length > 0) return ExitCode.drift;
  return ExitCode.ok;
}
