import { wholeReport, type ReportInPieces, type RunReport } from '../core/report.js';
import type { Redactor } from '../core/text-safety.js';
import { makeColors } from '../render/colors.js';
import { writeOutputFile, writeStream, type WrittenFile } from './write-file.js';

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
      if (s.quiet && (report.status === 'compliant' || report.status === 'skipped')) return '';
      return (await import('../render/text.js')).renderText(report, { colors });
  }
}

/**
 * A JSON report on stdout, written in pieces of about 64 KiB as it is rendered (one piece per
 * cluster, render/json.ts): a fleet's document is never held whole. Byte for byte renderJson.
 */
async function writeJsonInPieces(
  stdout: NodeJS.WritableStream,
  report: RunReport | ReportInPieces,
): Promise<void> {
  const { renderJsonChunks } = await import('../render/json.js');
  let batch = '';
  for (const chunk of renderJsonChunks(report)) {
    batch += chunk;
    if (batch.length >= 65536) {
      await writeStream(stdout, batch);
      batch = '';
    }
  }
  await writeStream(stdout, batch);
}

/**
 * The result sink: everything a command produces as its result leaves through here. Results go
 * to stdout, or to --out (cli/write-file.ts: atomic for a regular file, so a reader such as
 * node_exporter's textfile collector never sees half a file; written directly to a device).
 * Messages, progress and prompts go to the message sink instead (cli/ui.ts, stderr).
 */
export interface ResultSink {
  /**
   * The run's report in the chosen format, to stdout or --out. A report in pieces is written as
   * its clusters are built when it goes to stdout as JSON; anything else renders it whole.
   */
  report(report: RunReport | ReportInPieces): Promise<void>;
  /** A JSON document on stdout (a report with more parts, or the error document). */
  document(doc: RunReport): Promise<void>;
  /** A result that is text already (a rendered script, export lines), on stdout. */
  text(text: string): Promise<void>;
  /** A result written to a file the command line names (a rendered script with --out). */
  file(path: string, text: string, mode: number): Promise<WrittenFile>;
}

export function createResultSink(
  stdout: NodeJS.WritableStream,
  s: Omit<OutputSettings, 'format'> & { format: OutputFormat },
): ResultSink {
  const redact = (text: string) => (s.redact ? s.redact(text) : text);
  return {
    async report(report) {
      if (s.format === 'json' && !s.out) return writeJsonInPieces(stdout, report);
      const text = await renderReport(wholeReport(report), s, Date.now());
      if (s.out) {
        await writeOutputFile(s.out, redact(text), {
          mode: 0o644,
          force: Boolean(s.force),
          confirmReplace: s.confirmReplace,
        });
        return;
      }
      await writeStream(stdout, text);
    },
    document: (doc) => writeJsonInPieces(stdout, doc),
    text: (text) => writeStream(stdout, text),
    file: (path, text, mode) =>
      writeOutputFile(path, redact(text), {
        mode,
        force: Boolean(s.force),
        confirmReplace: s.confirmReplace,
      }),
  };
}
