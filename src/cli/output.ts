import { rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { RunReport } from '../core/report.js';
import { makeColors } from '../render/colors.js';
import type { Io } from './io.js';

export const OUTPUT_FORMATS = ['text', 'json', 'table', 'prometheus', 'junit'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export interface OutputSettings {
  format: OutputFormat;
  color: boolean;
  quiet: boolean;
  /** Write the result to this file (atomically) instead of stdout. */
  out?: string | undefined;
  startedAtMs: number;
}

/** Renderers load on use: a run needs one of them, and none before it has a result. */
export async function renderReport(
  report: RunReport,
  s: OutputSettings,
  nowMs: number,
): Promise<string> {
  const colors = makeColors(s.color && !s.out);
  switch (s.format) {
    case 'json':
      return (await import('../render/json.js')).renderJson(report);
    case 'table':
      return (await import('../render/table.js')).renderTable(report, { colors, quiet: s.quiet });
    case 'prometheus':
      return (await import('../render/prometheus.js')).renderPrometheus(report, {
        timestampSeconds: Math.floor(s.startedAtMs / 1000),
      });
    case 'junit':
      return (await import('../render/junit.js')).renderJunit(report, {
        durationSeconds: (nowMs - s.startedAtMs) / 1000,
      });
    case 'text':
      if (s.quiet && report.status === 'compliant') return '';
      return (await import('../render/text.js')).renderText(report, { colors });
  }
}

/** A result that is not a report (a rendered script): stdout, like every result. */
export function emitText(io: Io, text: string): void {
  io.stdout.write(text);
}

/**
 * The result sink: every result leaves through emitReport or emitText. Results go to stdout,
 * or to --out. The file is written next to its final name and renamed, so
 * a reader (node_exporter's textfile collector, a CI job) never sees half a file.
 */
export async function emitReport(io: Io, report: RunReport, s: OutputSettings): Promise<void> {
  const text = await renderReport(report, s, Date.now());
  if (s.out) {
    const tmp = path.join(path.dirname(s.out), `.${path.basename(s.out)}.${process.pid}.tmp`);
    await writeFile(tmp, text);
    await rename(tmp, s.out);
    return;
  }
  if (text) io.stdout.write(text);
}
