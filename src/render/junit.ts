/**
 * `--output junit`: JUnit XML for CI systems. One `<testsuite>` per region (clusters without a
 * region share one suite), one `<testcase classname="<region>" name="<cluster>">` per cluster:
 * drift is a `<failure type="drift">` with the findings and plan as text, a cluster that could not
 * be checked is an `<error>`, a not-applicable cluster is `<skipped>`. A run that failed before
 * any cluster was looked at is one errored test case, so CI does not read "0 tests" as a pass.
 *
 * Report documents carry no per-cluster timing, so test cases have `time="0"`; the run's total
 * duration, when the caller knows it, goes on `<testsuites>`.
 */

import type { ClusterReport, ReportError, RunReport } from '../core/report.js';
import { formatChange, sortFindings } from './text.js';

export interface JunitOptions {
  /** Wall time of the whole run, in seconds. */
  durationSeconds?: number;
}

// Characters XML 1.0 cannot carry at all (C0 controls but tab, LF, CR; U+FFFE/U+FFFF; lone
// surrogates), plus DEL and the C1 controls, which it allows but which no report should contain.
const STRIP =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/** Text content: strip what XML cannot carry, escape markup. */
export function escapeXmlText(s: string): string {
  return s.replace(STRIP, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Attribute values: as text, plus both quotes, and tab/LF/CR as character references, because a
 * parser normalises literal whitespace in attributes to spaces.
 */
export function escapeXmlAttr(s: string): string {
  return escapeXmlText(s)
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
    .replace(/\t/g, '&#9;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;');
}

function attrs(pairs: readonly (readonly [string, string | number])[]): string {
  return pairs.map(([k, v]) => ` ${k}="${escapeXmlAttr(String(v))}"`).join('');
}

function findingLines(c: ClusterReport): string[] {
  return sortFindings(c.findings).map((f) => `[${f.severity}] ${f.code}: ${f.message}`);
}

function errorText(err: ReportError): string {
  const lines = [`${err.code}: ${err.message}`];
  if (err.httpStatus != null) lines.push(`HTTP status: ${err.httpStatus}`);
  if (err.errorCode) lines.push(`Error code: ${err.errorCode}`);
  if (err.requestId) lines.push(`Request id: ${err.requestId}`);
  if (err.hint) lines.push(`Hint: ${err.hint}`);
  return lines.join('\n');
}

function firstMessage(c: ClusterReport, fallback: string): string {
  return sortFindings(c.findings)[0]?.message ?? fallback;
}

interface Case {
  outcome: 'pass' | 'failure' | 'error' | 'skipped';
  body: string;
}

function clusterCase(c: ClusterReport, suiteRegion: string): Case {
  const open = `<testcase${attrs([
    ['classname', suiteRegion || 'cce-harden'],
    ['name', c.name],
    ['time', 0],
  ])}>`;
  const findings = findingLines(c);
  const out: string[] = [`    ${open}`];
  let outcome: Case['outcome'] = 'pass';
  switch (c.status) {
    case 'drift': {
      outcome = 'failure';
      const plan = c.changes.flatMap((ch) => formatChange(ch));
      const text = [...findings, ...(plan.length ? ['Plan:', ...plan] : [])].join('\n');
      out.push(
        `      <failure${attrs([
          ['message', firstMessage(c, 'drift')],
          ['type', 'drift'],
        ])}>${escapeXmlText(text)}</failure>`,
      );
      break;
    }
    case 'error': {
      outcome = 'error';
      const err = c.error;
      const text = [err ? errorText(err) : 'could not be checked', ...findings].join('\n');
      out.push(
        `      <error${attrs([
          ['message', err?.message ?? 'could not be checked'],
          ['type', err?.code ?? 'error'],
        ])}>${escapeXmlText(text)}</error>`,
      );
      break;
    }
    case 'not-applicable':
      outcome = 'skipped';
      out.push(`      <skipped${attrs([['message', firstMessage(c, 'not applicable')]])}/>`);
      break;
    case 'skipped':
      outcome = 'skipped';
      out.push(`      <skipped${attrs([['message', c.reason ?? firstMessage(c, 'skipped')]])}/>`);
      break;
    case 'compliant':
      if (findings.length > 0) {
        out.push(`      <system-out>${escapeXmlText(findings.join('\n'))}</system-out>`);
      }
      break;
  }
  // A passing case with nothing to say is an empty element.
  if (out.length === 1) return { outcome, body: `    ${open.slice(0, -1)}/>` };
  out.push('    </testcase>');
  return { outcome, body: out.join('\n') };
}

function counts(cases: readonly Case[]) {
  return {
    tests: cases.length,
    failures: cases.filter((c) => c.outcome === 'failure').length,
    errors: cases.filter((c) => c.outcome === 'error').length,
    skipped: cases.filter((c) => c.outcome === 'skipped').length,
  };
}

export function renderJunit(report: RunReport, options: JunitOptions = {}): string {
  const title = `cce-harden ${report.command}`;
  const byRegion = new Map<string, ClusterReport[]>();
  for (const c of report.clusters) {
    const r = c.region ?? '';
    byRegion.set(r, [...(byRegion.get(r) ?? []), c]);
  }

  const suites: { name: string; cases: Case[] }[] = [];
  if (report.error) {
    const err = report.error;
    const open = `<testcase${attrs([
      ['classname', 'cce-harden'],
      ['name', 'run'],
      ['time', 0],
    ])}>`;
    suites.push({
      name: title,
      cases: [
        {
          outcome: 'error',
          body: [
            `    ${open}`,
            `      <error${attrs([
              ['message', err.message],
              ['type', err.code],
            ])}>${escapeXmlText(errorText(err))}</error>`,
            '    </testcase>',
          ].join('\n'),
        },
      ],
    });
  }
  for (const region of [...byRegion.keys()].sort()) {
    const clusters = byRegion.get(region) ?? [];
    suites.push({
      name: region ? `${title} (${region})` : title,
      cases: clusters.map((c) => clusterCase(c, region)),
    });
  }

  const all = suites.flatMap((s) => s.cases);
  const total = counts(all);
  const out = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites${attrs([
      ['name', title],
      ['tests', total.tests],
      ['failures', total.failures],
      ['errors', total.errors],
      ['skipped', total.skipped],
      ['time', options.durationSeconds ?? 0],
    ])}>`,
  ];
  for (const s of suites) {
    const n = counts(s.cases);
    const head = attrs([
      ['name', s.name],
      ['tests', n.tests],
      ['failures', n.failures],
      ['errors', n.errors],
      ['skipped', n.skipped],
      ['time', 0],
      ...(report.startedAt ? [['timestamp', report.startedAt] as const] : []),
    ]);
    out.push(`  <testsuite${head}>`, ...s.cases.map((c) => c.body), '  </testsuite>');
  }
  out.push('</testsuites>');
  return out.join('\n') + '\n';
}
