/**
 * The fleet table for `check --all`: one row per cluster, aligned columns, a totals footer.
 *
 * `quiet` shows only the rows that need attention (drift, error) and follows the Unix rule that a
 * quiet command says nothing when all is well: if every cluster is compliant or not applicable,
 * the output is empty, so cron mails and CI logs stay silent and the exit code (0) tells the rest.
 * When there are problems, quiet prints the header, those rows and the totals footer.
 */

import type { ClusterReport, ClusterStatus, RunReport } from '../core/report.js';
import { noColors, printable, type Colors } from './colors.js';
import { sortFindings, verdictWord } from './text.js';

export interface TableOptions {
  colors?: Colors;
  /** Only drift and error rows; nothing at all when all is well. */
  quiet?: boolean;
  /** Longest summary cell before it is cut with `...`. Default 72. */
  maxSummaryWidth?: number;
}

const STATUS_ORDER: readonly ClusterStatus[] = [
  'compliant',
  'drift',
  'error',
  'not-applicable',
  'skipped',
];

const TOTAL_WORD: Record<ClusterStatus, string> = {
  compliant: 'compliant',
  drift: 'drift',
  error: 'error',
  'not-applicable': 'not applicable',
  skipped: 'skipped',
};

function truncate(s: string, max: number): string {
  const chars = [...s];
  if (chars.length <= max) return s;
  return chars.slice(0, Math.max(0, max - 3)).join('') + '...';
}

/** The summary cell: the error, else the most severe finding (+ how many more), else the plan. */
export function summarizeCluster(c: ClusterReport): string {
  if (c.error) return `${c.error.code}: ${c.error.message}`;
  const [first, ...rest] = sortFindings(c.findings);
  if (first) {
    return rest.length > 0 ? `${first.message} (+${rest.length} more)` : first.message;
  }
  const pending = c.changes.filter((ch) => !ch.applied).length;
  if (pending > 0) return `${pending} change${pending === 1 ? '' : 's'} pending`;
  return '-';
}

/** `12 clusters in 2 regions: 9 compliant, 1 drift, 1 error, 1 not applicable`. */
export function formatTotals(clusters: readonly ClusterReport[]): string {
  const regions = new Set(clusters.map((c) => c.region ?? ''));
  const noun = clusters.length === 1 ? 'cluster' : 'clusters';
  const where =
    regions.size > 1 || (regions.size === 1 && !regions.has(''))
      ? ` in ${regions.size} region${regions.size === 1 ? '' : 's'}`
      : '';
  // `skipped` is counted only when a cluster was skipped (hibernated), so the usual line stays.
  const counts = STATUS_ORDER.map(
    (s) => [s, clusters.filter((c) => c.status === s).length] as const,
  )
    .filter(([s, n]) => s !== 'skipped' || n > 0)
    .map(([s, n]) => `${n} ${TOTAL_WORD[s]}`);
  return `${clusters.length} ${noun}${where}: ${counts.join(', ')}`;
}

function needsAttention(c: ClusterReport): boolean {
  return c.status === 'drift' || c.status === 'error';
}

export function renderTable(report: RunReport, options: TableOptions = {}): string {
  const colors = options.colors ?? noColors;
  const maxSummary = options.maxSummaryWidth ?? 72;
  const out: string[] = [];

  if (report.error) {
    out.push(colors.red(`${printable(report.error.code)}: ${printable(report.error.message)}`));
    if (report.error.hint) out.push(printable(report.error.hint));
  }

  const sorted = [...report.clusters].sort(
    (a, b) =>
      (a.region ?? '').localeCompare(b.region ?? '') ||
      a.name.localeCompare(b.name) ||
      a.id.localeCompare(b.id),
  );
  const shown = options.quiet ? sorted.filter(needsAttention) : sorted;
  if (options.quiet && shown.length === 0 && !report.error) return '';

  if (shown.length > 0) {
    const header = ['REGION', 'CLUSTER', 'CATEGORY', 'STATUS', 'FINDINGS'];
    // Cells are plain text; the status is styled after padding so escape codes do not count
    // toward the width.
    const rows = shown.map((c) => ({
      cells: [
        printable(c.region ?? '-'),
        printable(c.name),
        printable(c.category),
        verdictWord(c.status),
        truncate(printable(summarizeCluster(c)), maxSummary),
      ],
      status: c.status,
    }));
    const widths = header.map((h, i) =>
      Math.max([...h].length, ...rows.map((r) => [...(r.cells[i] ?? '')].length)),
    );
    const pad = (s: string, i: number) => s + ' '.repeat((widths[i] ?? 0) - [...s].length);
    const last = header.length - 1;
    out.push(colors.bold(header.map((h, i) => (i === last ? h : pad(h, i))).join('  ')));
    for (const r of rows) {
      const cells = r.cells.map((cell, i) => {
        const padded = i === last ? cell : pad(cell, i);
        return i === 3 ? padded.replace(cell, verdictWord(r.status, colors)) : padded;
      });
      out.push(cells.join('  '));
    }
  }

  out.push(formatTotals(report.clusters));
  return out.join('\n') + '\n';
}
