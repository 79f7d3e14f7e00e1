import { describe, it, expect } from 'vitest';
import { escapeLabelValue, formatValue, renderPrometheus } from '../../src/render/prometheus.js';
import type { ClusterReport, ClusterStatus, RunReport } from '../../src/core/report.js';
import { parsePrometheus, type MetricFamily } from '../helpers/prometheus-parse.js';
import {
  HOSTILE,
  cluster,
  compliant,
  drift,
  errored,
  run,
  standard,
} from '../helpers/render-fixtures.js';

const T = 1_735_689_600;

function parse(report: RunReport): Map<string, MetricFamily> {
  return parsePrometheus(renderPrometheus(report, { timestampSeconds: T }));
}

function value(
  families: Map<string, MetricFamily>,
  name: string,
  labels: Record<string, string>,
): number | undefined {
  const matches = (families.get(name)?.samples ?? []).filter((s) =>
    Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  if (matches.length > 1) throw new Error(`${name} ${JSON.stringify(labels)} is ambiguous`);
  return matches[0]?.value;
}

const FAMILIES = [
  'cce_harden_cluster_compliant',
  'cce_harden_cluster_status',
  'cce_harden_cluster_findings',
  'cce_harden_clusters_total',
  'cce_harden_run_success',
  'cce_harden_run_timestamp_seconds',
];

describe('renderPrometheus', () => {
  const fleet = run([compliant, drift, errored, standard]);

  it('parses strictly; every family has HELP and is a gauge', () => {
    const families = parse(fleet);
    expect([...families.keys()]).toEqual(FAMILIES);
    for (const f of families.values()) {
      expect(f.type).toBe('gauge');
      expect(f.help?.length).toBeGreaterThan(10);
    }
  });

  it.each<[ClusterStatus, ClusterReport, number | undefined]>([
    ['compliant', compliant, 1],
    ['drift', drift, 0],
    ['error', errored, 0],
    ['not-applicable', standard, undefined],
  ])('%s: the compliant sample and the one-hot status', (status, c, compliantValue) => {
    const families = parse(fleet);
    const id = { cluster: c.name, cluster_id: c.id, region: c.region ?? '', category: c.category };
    expect(value(families, 'cce_harden_cluster_compliant', id)).toBe(compliantValue);
    for (const s of ['compliant', 'drift', 'error', 'not-applicable']) {
      expect(value(families, 'cce_harden_cluster_status', { ...id, status: s })).toBe(
        s === status ? 1 : 0,
      );
    }
  });

  it('counts findings per severity, zeros included', () => {
    const families = parse(fleet);
    const id = { cluster_id: drift.id };
    expect(value(families, 'cce_harden_cluster_findings', { ...id, severity: 'error' })).toBe(1);
    expect(value(families, 'cce_harden_cluster_findings', { ...id, severity: 'warning' })).toBe(1);
    expect(value(families, 'cce_harden_cluster_findings', { ...id, severity: 'info' })).toBe(0);
  });

  it('totals by status and the run timestamp', () => {
    const families = parse(run([compliant, cluster({ id: 'c-9' }), drift, standard]));
    expect(
      families.get('cce_harden_clusters_total')?.samples.map((s) => [s.labels['status'], s.value]),
    ).toEqual([
      ['compliant', 2],
      ['drift', 1],
      ['error', 0],
      ['not-applicable', 1],
      ['skipped', 0],
    ]);
    expect(value(families, 'cce_harden_run_timestamp_seconds', {})).toBe(T);
  });

  it.each<[string, RunReport, number]>([
    ['all compliant', run([compliant]), 1],
    ['drift is still a successful check', run([compliant, drift]), 1],
    ['one cluster could not be checked', run([compliant, errored]), 0],
    [
      'the run failed before any cluster',
      run([], { status: 'error', error: { code: 'AUTH', message: 'no', requestId: null } }),
      0,
    ],
  ])('run_success: %s -> %s', (_name, report, expected) => {
    expect(value(parse(report), 'cce_harden_run_success', {})).toBe(expected);
  });

  it('an empty run still declares every family and parses', () => {
    const families = parse(run([]));
    expect([...families.keys()]).toEqual(FAMILIES);
    expect(families.get('cce_harden_cluster_status')?.samples).toEqual([]);
  });

  it('hostile label values round-trip through the parser', () => {
    const evil = cluster({ name: HOSTILE, id: `id-${HOSTILE}`, region: 'r\\"\n', category: '<&>' });
    const families = parse(run([evil]));
    const sample = families.get('cce_harden_cluster_compliant')?.samples[0];
    // Escape sequences and bidi overrides are removed; quotes, backslashes and line feeds survive.
    const shown = 'a"b\\c\nd<e>&f\'gred';
    expect(sample?.labels).toEqual({
      region: 'r\\"\n',
      cluster: shown,
      cluster_id: `id-${shown}`,
      category: '<&>',
    });
  });

  it('the same cluster twice yields one series, which the collector requires', () => {
    const families = parse(run([compliant, { ...compliant }]));
    expect(families.get('cce_harden_cluster_compliant')?.samples).toHaveLength(1);
    expect(value(families, 'cce_harden_clusters_total', { status: 'compliant' })).toBe(1);
  });

  it('a short report, as written', () => {
    const out = renderPrometheus(run([compliant]), { timestampSeconds: 1.5 });
    expect(out.split('\n').filter((l) => !l.startsWith('#'))).toMatchInlineSnapshot(`
      [
        "cce_harden_cluster_compliant{region="cn-north-4",cluster="demo-turbo",cluster_id="c-0001",category="Turbo"} 1",
        "cce_harden_cluster_status{region="cn-north-4",cluster="demo-turbo",cluster_id="c-0001",category="Turbo",status="compliant"} 1",
        "cce_harden_cluster_status{region="cn-north-4",cluster="demo-turbo",cluster_id="c-0001",category="Turbo",status="drift"} 0",
        "cce_harden_cluster_status{region="cn-north-4",cluster="demo-turbo",cluster_id="c-0001",category="Turbo",status="error"} 0",
        "cce_harden_cluster_status{region="cn-north-4",cluster="demo-turbo",cluster_id="c-0001",category="Turbo",status="not-applicable"} 0",
        "cce_harden_cluster_status{region="cn-north-4",cluster="demo-turbo",cluster_id="c-0001",category="Turbo",status="skipped"} 0",
        "cce_harden_cluster_findings{region="cn-north-4",cluster="demo-turbo",cluster_id="c-0001",category="Turbo",severity="error"} 0",
        "cce_harden_cluster_findings{region="cn-north-4",cluster="demo-turbo",cluster_id="c-0001",category="Turbo",severity="warning"} 0",
        "cce_harden_cluster_findings{region="cn-north-4",cluster="demo-turbo",cluster_id="c-0001",category="Turbo",severity="info"} 0",
        "cce_harden_clusters_total{status="compliant"} 1",
        "cce_harden_clusters_total{status="drift"} 0",
        "cce_harden_clusters_total{status="error"} 0",
        "cce_harden_clusters_total{status="not-applicable"} 0",
        "cce_harden_clusters_total{status="skipped"} 0",
        "cce_harden_run_success 1",
        "cce_harden_run_timestamp_seconds 1.5",
        "",
      ]
    `);
  });
});

describe('escapeLabelValue and formatValue', () => {
  it.each([
    ['plain', 'plain'],
    ['a"b', 'a\\"b'],
    ['a\\b', 'a\\\\b'],
    ['a\nb', 'a\\nb'],
    ['\\n', '\\\\n'],
  ])('%j -> %j', (input, out) => {
    expect(escapeLabelValue(input)).toBe(out);
  });

  it.each([
    [1, '1'],
    [0.25, '0.25'],
    [NaN, 'NaN'],
    [Infinity, '+Inf'],
    [-Infinity, '-Inf'],
  ])('%s -> %s', (n, s) => {
    expect(formatValue(n)).toBe(s);
  });
});

describe('the test parser is strict', () => {
  const TYPE = '# TYPE m gauge\n';
  it.each([
    ['no trailing newline', `${TYPE}m 1`],
    ['bad metric name', '# TYPE 1m gauge\n1m 1\n'],
    ['sample without TYPE', 'm 1\n'],
    ['unquoted label value', `${TYPE}m{a=b} 1\n`],
    ['raw quote in a label value', `${TYPE}m{a="x"y"} 1\n`],
    ['unknown escape', `${TYPE}m{a="\\t"} 1\n`],
    ['bad label name', `${TYPE}m{a-b="x"} 1\n`],
    ['duplicate label', `${TYPE}m{a="x",a="y"} 1\n`],
    ['duplicate series', `${TYPE}m{a="x"} 1\nm{a="x"} 2\n`],
    ['bad value', `${TYPE}m 1,5\n`],
    ['family split in two groups', `${TYPE}m 1\n# TYPE n gauge\nn 1\nm{a="x"} 1\n`],
    ['TYPE after samples', `# HELP m h\nm 1\n${TYPE}`],
  ])('rejects %s', (_name, text) => {
    expect(() => parsePrometheus(text)).toThrow();
  });

  it('accepts the escapes the format defines', () => {
    const f = parsePrometheus(`# HELP m a\\\\b\\nc\n${TYPE}m{a="\\\\\\"\\n",} +Inf\n`);
    expect(f.get('m')?.help).toBe('a\\b\nc');
    expect(f.get('m')?.samples[0]).toEqual({ name: 'm', labels: { a: '\\"\n' }, value: Infinity });
  });
});
