import { clusterTargetProblems } from '../cluster-targets.js';
import { defineCommand, flag } from '../command.js';

export const removeCommand = defineCommand({
  name: 'remove',
  description: 'delete the deny rule that cce-harden created (never a rule it did not create)',
  flags: {
    cluster: flag.list('--cluster <name|id>', 'cluster (repeatable)'),
    dryRun: flag.boolean('--dry-run', 'show what would be deleted; no write request at all'),
    yes: flag.boolean('-y, --yes', 'delete without asking (required when there is no terminal)'),
  },
  options(flags, _scope, problems) {
    const opts = { clusters: flags.cluster, all: false, dryRun: flags.dryRun, yes: flags.yes };
    problems.push(...clusterTargetProblems('remove', opts));
    return opts;
  },
  async run(ctx, opts) {
    const { runChange } = await import('../rule-change.js');
    return runChange(ctx, 'remove', opts);
  },
});
