import { observedExitCode } from '../../core/report.js';
import { DENY_PORT_HELP, clusterTargetProblems, parseDenyPorts } from '../cluster-targets.js';
import { defineCommand, flag } from '../command.js';

export const checkCommand = defineCommand({
  name: 'check',
  description:
    'read-only drift check: is the deny rule (Turbo) or the iptables block (standard) in place?',
  flags: {
    cluster: flag.list('--cluster <name|id>', 'cluster to check (repeatable)'),
    all: flag.boolean('--all', 'every cluster of every --region'),
    port: flag.list('--port <n>', DENY_PORT_HELP),
  },
  help: `\nExamples:\n  cce-harden check --cluster prod-turbo\n  cce-harden check --cluster prod-turbo --json   # for scripts: exit 0 compliant, 2 drift, 1 error\n  cce-harden check --all --region cn-north-4,ap-southeast-1 --output prometheus --out /var/lib/node_exporter/textfile/cce_harden.prom`,
  options(flags, _scope, problems) {
    const opts = {
      clusters: flags.cluster,
      all: flags.all,
      denyPorts: parseDenyPorts(flags.port, problems),
    };
    problems.push(...clusterTargetProblems('check', opts));
    return opts;
  },
  /**
   * Observe -> plan -> report, no write: exit 0 compliant, 2 drift, 1 could not check. The
   * statuses come first (the report's status precedes its clusters); each cluster's report is
   * then built from its pure plan again as it is written, so a large fleet's reports are never
   * all held at once (docs/fleet.md, "Memory").
   */
  async run(ctx, opts) {
    const [{ observeRegions, buildReportInPieces }, { planCheck }, reports] = await Promise.all([
      import('../pipeline.js'),
      import('../../core/plan.js'),
      import('../../core/report-builder.js'),
    ]);
    const { regions, failed } = await observeRegions(ctx, { ...opts, withPreflight: false });
    const observed = regions.flatMap((r) => r.observed.clusters);
    const result = (obs: (typeof observed)[number]) => ({ obs, plan: planCheck(obs) });
    const statuses = [
      ...observed.map((obs) => ({ status: reports.clusterResultStatus(result(obs)) })),
      ...failed,
    ];
    function* clusters() {
      for (const obs of observed) yield reports.buildClusterReport(result(obs));
      yield* failed;
    }
    const report = buildReportInPieces(ctx, statuses, clusters());
    await ctx.out.report(report);
    return observedExitCode(report.status);
  },
});
