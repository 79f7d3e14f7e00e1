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
   * Observe -> plan -> report, no write: exit 0 compliant, 2 drift, 1 could not check. Every
   * cluster is planned once; the run's status comes from the plans (it precedes the clusters in
   * the report), and each cluster's report is built only as it is written, so a large fleet's
   * reports are never all held at once (docs/fleet.md, "Memory").
   */
  async run(ctx, opts) {
    const [{ observeRegions, buildReportInPieces }, { planCheck }, reports] = await Promise.all([
      import('../pipeline.js'),
      import('../../core/plan.js'),
      import('../../core/report-builder.js'),
    ]);
    const { regions, failed } = await observeRegions(ctx, { ...opts, withPreflight: false });
    const results = regions.flatMap((r) =>
      r.observed.clusters.map((obs) => ({ obs, plan: planCheck(obs) })),
    );
    const statuses = [
      ...results.map((result) => ({ status: reports.clusterResultStatus(result) })),
      ...failed,
    ];
    function* clusters() {
      for (const result of results) yield reports.buildClusterReport(result);
      yield* failed;
    }
    const report = buildReportInPieces(ctx, statuses, clusters());
    await ctx.out.report(report);
    return observedExitCode(report.status);
  },
});
