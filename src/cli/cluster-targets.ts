/** The cluster selection of check, apply and remove (`--cluster` / `--all`), and its rules. */

export interface HardenOptions {
  clusters: string[];
  all: boolean;
  dryRun: boolean;
  yes: boolean;
}

/** Problems with the selection, in the words the command line uses. */
export function clusterTargetProblems(
  command: 'check' | 'apply' | 'remove',
  opts: Pick<HardenOptions, 'clusters' | 'all'>,
): string[] {
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
  return problems;
}
