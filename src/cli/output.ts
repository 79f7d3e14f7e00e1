import type { RunReport } from '../core/report.js';
import type { Redactor } from '../core/text-safety.js';
import { makeColors } from '../render/colors.js';
import type { Io } from './io.js';
import { writeOutputFile, writeStream } from './write-file.js';

export const OUTPUT_FORMATS = ['text', 'json', 'table', 'prometheus', 'junit'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export interface OutputSettings {
  format: OutputFormat;
  color: boolean;
  quiet: boolean;
  /** Write the result to this file (atomically) instead of stdout. */
  out?: string | undefined;
  /** Replace an existing --out file without asking. */
  force?: boolean | undefined;
  /** Asks whether to replace an existing --out file (only in a terminal). */
  confirmReplace?: ((question: string) => Promise<boolean>) | undefined;
  /** Removes credential values from what is written to a file. */
  redact?: Redactor | undefined;
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

/**
 * The result sink: a report leaves through here, a rendered script through writeStream. Results go to stdout,
 * or to --out (cli/write-file.ts: atomic for a regular file, so a reader such as
 * node_exporter's textfile collector never sees half a file; written directly to a device).
 */
export async function emitReport(io: Io, report: RunReport, s: OutputSettings): Promise<void> {
  if (s.format === 'json' && !s.out) {
    // A fleet's document is written in pieces of about 64 KiB as it is rendered, never held whole.
    const { renderJsonChunks } = await import('../render/json.js');
    let batch = '';
    for (const chunk of renderJsonChunks(report)) {
      batch += chunk;
      if (batch.length >= 65536) {
        await writeStream(io.stdout, batch);
        batch = '';
      }
    }
    await writeStream(io.stdout, batch);
    return;
  }
  const text = await renderReport(report, s, Date.now());
  if (s.out) {
    await writeOutputFile(s.out, s.redact ? s.redact(text) : text, {
      mode: 0o644,
      force: Boolean(s.force),
      confirmReplace: s.confirmReplace,
    });
    return;
  }
  await writeStream(io.stdout, text);
}
