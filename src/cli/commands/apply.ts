import { clusterTargetProblems } from '../cluster-targets.js';
import { defineCommand, flag } from '../command.js';

export const applyCommand = defineCommand({
  name: 'apply',
  description: 'add the deny rule to the Turbo cluster ENI security group if it is missing',
  flags: {
    cluster: flag.list('--cluster <name|id>', 'cluster to harden (repeatable)'),
    all: flag.boolean('--all', 'every cluster of every --region'),
    dryRun: flag.boolean(
      '--dry-run',
      'show the plan and exit 2 if there is something to do; no write request at all',
    ),
    yes: flag.boolean('-y, --yes', 'apply without asking (required when there is no terminal)'),
  },
  help: `\nSteps: read the cluster, find <cluster>-cce-eni-<id>, compare its rules by meaning, show the plan,\nconfirm, create the rule, re-read and verify. A second run changes nothing.\n\nExamples:\n  cce-harden apply --cluster prod-turbo --dry-run\n  cce-harden apply --cluster prod-turbo --yes`,
  options(flags, _scope, problems) {
    const opts = { clusters: flags.cluster, all: flags.all, dryRun: flags.dryRun, yes: flags.yes };
    problems.push(...clusterTargetProblems('apply', opts));
    return opts;
  },
  async run(ctx, opts) {
    const { runChange } = await import('../rule-change.js');
    return runChange(ctx, 'apply', opts);
  },
});
