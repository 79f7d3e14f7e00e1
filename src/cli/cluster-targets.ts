/** The cluster selection of check, apply and remove (`--cluster` / `--all`), and its rules. */
import { parsePort } from '../core/iptables.js';
import { portList } from '../core/rule.js';

export interface HardenOptions {
  clusters: string[];
  all: boolean;
  dryRun: boolean;
  yes: boolean;
  /** `--port` (repeatable): the TCP ports the Turbo deny rule covers; empty: the endpoint's. */
  denyPorts?: number[];
}

/** The `--port` help of check, apply and remove. */
export const DENY_PORT_HELP =
  'TCP port the deny rule covers (repeatable; one rule lists them all; default: the internal endpoint port)';

/** `--port` values as numbers (ascending, each once); problems are pushed. */
export function parseDenyPorts(values: readonly string[], problems: string[]): number[] {
  const ports: number[] = [];
  for (const v of values) {
    const r = parsePort(v, '--port');
    if (r.ok) ports.push(r.value);
    else problems.push(`${r.problem}.`);
  }
  return portList(ports);
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
