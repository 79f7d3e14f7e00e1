/**
 * Commands meant to be pasted into a shell (hints, "run this next") are built here: every word
 * that comes from the cloud or the user (a cluster name, a region) is quoted with shell-quote, so
 * a name such as `x; rm -rf ~` stays one argument. A name carrying control characters (escape
 * sequences) cannot be shown as written, and a stripped copy would name another cluster: the
 * cluster's id stands in for it.
 */
import { quote } from 'shell-quote';
import { hasControl } from './text-safety.js';

/** The words of a command, each quoted as needed. */
export function shellCommand(words: readonly string[]): string {
  return quote([...words]);
}

/** `--cluster <name>` for a pasteable command; the id when the name cannot be shown. */
export function clusterArg(cluster: { name: string; id: string }): string {
  const usable = cluster.name !== '' && !hasControl(cluster.name);
  return quote(['--cluster', usable ? cluster.name : cluster.id]);
}
