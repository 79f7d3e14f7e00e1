/**
 * `--output prometheus`: the text exposition format (version 0.0.4) for node_exporter's textfile
 * collector.
 *
 * The collector reads every `*.prom` file in its directory on each scrape, so a half-written file
 * would be scraped as garbage. Writers therefore write a temporary file in the same directory
 * (not ending in `.prom`) and rename it over the target, which is atomic on one filesystem; the
 * CLI does this for `--out`.
 *
 * Every series is emitted on every run, zeros included, so alert expressions never go silent
 * because a series vanished. Alert on staleness with `cce_harden_run_timestamp_seconds`.
 */

import type { ClusterReport, ClusterStatus, RunReport, Severity } from '../core/report.js';
import { stripControl } from '../core/text-safety.js';

export interface PrometheusOptions {
  /** When the run happened, in Unix seconds. A parameter so that rendering stays pure. */
  timestampSeconds: number;
}

const STATUSES: readonly ClusterStatus[] = [
  'compliant',
  'drift',
  'error',
  'not-applicable',
  'skipped',
];
const SEVERITIES: readonly Severity[] = ['error', 'warning', 'info'];

/**
 * Label values: backslash, double quote and line feed are the only escapes the format has. Control
 * sequences from cloud-supplied names are removed first: the file is read by people too.
 */
export function escapeLabelValue(v: string): string {
  return stripControl(v, { keepLines: true })
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/\n/g, '\\n');
}

/** HELP text escapes backslash and line feed (not quotes). */
function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/** Sample values are Go floats: NaN and +Inf/-Inf are spelled out. */
export function formatValue(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  return String(n);
}

type Labels = readonly (readonly [string, string])[];

interface Family {
  name: string;
  help: string;
  samples: { labels: Labels; value: number }[];
}

function sampleLine(name: string, labels: Labels, value: number): string {
  const body = labels.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',');
  return `${name}${body ? `{${body}}` : ''} ${formatValue(value)}`;
}

function clusterLabels(c: ClusterReport): Labels {
  return [
    ['region', c.region ?? ''],
    ['cluster', c.name],
    ['cluster_id', c.id],
    ['category', c.category],
  ];
}

/**
 * Renders the run. Per cluster:
 * - `cce_harden_cluster_compliant` 1 when the check proved the cluster compliant, 0 for drift and
 *   for error (not proven); no sample for a not-applicable or skipped cluster, which is neither.
 * - `cce_harden_cluster_status{status}` one-hot over compliant/drift/error/not-applicable/skipped.
 * - `cce_harden_cluster_findings{severity}` the number of findings per severity.
 * For `verify`: `cce_harden_verify_probe{place,node,target,address,verdict}` one-hot per probe.
 * Per run: the timestamp, `cce_harden_run_success` (1 when every cluster could be checked, drift
 * or not; 0 when the run or any cluster failed) and `cce_harden_clusters_total{status}`.
 *
 * A cluster that appears twice with the same labels is emitted once: the collector rejects a file
 * with duplicate series.
 */
export function renderPrometheus(report: RunReport, options: PrometheusOptions): string {
  const compliant: Family = {
    name: 'cce_harden_cluster_compliant',
    help: '1 if the cluster was checked and is compliant, 0 if it drifted or could not be checked.',
    samples: [],
  };
  const status: Family = {
    name: 'cce_harden_cluster_status',
    help: 'Verdict of the last check of the cluster, one-hot over the status label.',
    samples: [],
  };
  const findings: Family = {
    name: 'cce_harden_cluster_findings',
    help: 'Number of findings of the last check of the cluster, by severity.',
    samples: [],
  };

  const seen = new Set<string>();
  const unique: ClusterReport[] = [];
  for (const c of report.clusters) {
    const key = JSON.stringify(clusterLabels(c));
    if (seen.has(key)) continue;
    seen.add(key);
    unique.push(c);
  }

  for (const c of unique) {
    const labels = clusterLabels(c);
    // Neither proven compliant nor drifted: no sample (a skipped cluster is not a failure).
    if (c.status !== 'not-applicable' && c.status !== 'skipped') {
      compliant.samples.push({ labels, value: c.status === 'compliant' ? 1 : 0 });
    }
    for (const s of STATUSES) {
      status.samples.push({ labels: [...labels, ['status', s]], value: c.status === s ? 1 : 0 });
    }
    for (const sev of SEVERITIES) {
      const n = c.findings.filter((f) => f.severity === sev).length;
      findings.samples.push({ labels: [...labels, ['severity', sev]], value: n });
    }
  }

  const runOk = !report.error && unique.every((c) => c.status !== 'error');
  const families: Family[] = [
    compliant,
    status,
    findings,
    {
      name: 'cce_harden_clusters_total',
      help: 'Number of clusters in the last run, by status.',
      samples: STATUSES.map((s) => ({
        labels: [['status', s]],
        value: unique.filter((c) => c.status === s).length,
      })),
    },
    {
      name: 'cce_harden_run_success',
      help: '1 if the last run could check every cluster (drift or not), else 0.',
      samples: [{ labels: [], value: runOk ? 1 : 0 }],
    },
    {
      name: 'cce_harden_run_timestamp_seconds',
      help: 'Unix time of the last run.',
      samples: [{ labels: [], value: options.timestampSeconds }],
    },
  ];

  if (report.command === 'verify') families.push(verifyFamily(unique));

  const out: string[] = [];
  for (const f of families) {
    // A family with no samples still gets HELP/TYPE, so the metric is known to exist.
    out.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} gauge`);
    for (const s of f.samples) out.push(sampleLine(f.name, s.labels, s.value));
  }
  return out.join('\n') + '\n';
}

const VERDICTS = ['blocked', 'reachable', 'error'] as const;

/** `verify`: each probe's verdict, one-hot, per place (node pool or node) and target. */
function verifyFamily(clusters: readonly ClusterReport[]): Family {
  const f: Family = {
    name: 'cce_harden_verify_probe',
    help: 'Result of a probe pod connecting to an API server address, one-hot over the verdict label.',
    samples: [],
  };
  const seen = new Set<string>();
  for (const c of clusters) {
    for (const p of c.verify?.probes ?? []) {
      const labels: Labels = [
        ...clusterLabels(c),
        ['place', p.place],
        ['node', p.node],
        ['target', p.target],
        ['address', p.address],
      ];
      const key = JSON.stringify(labels);
      if (seen.has(key)) continue;
      seen.add(key);
      for (const v of VERDICTS) {
        f.samples.push({ labels: [...labels, ['verdict', v]], value: p.verdict === v ? 1 : 0 });
      }
    }
  }
  return f;
}
