import { describe, it, expect } from 'vitest';
import { makeColors } from '../../src/render/colors.js';
import { formatTotals, renderTable, summarizeCluster } from '../../src/render/table.js';
import type { ClusterReport } from '../../src/core/report.js';
import {
  HOSTILE,
  cluster,
  compliant,
  createDeny,
  drift,
  errored,
  run,
  standard,
  stripAnsi,
} from '../helpers/render-fixtures.js';

const fleet = [drift, standard, errored, compliant];

describe('renderTable', () => {
  it('one aligned row per cluster, sorted by region then name, with a totals footer', () => {
    expect(renderTable(run(fleet))).toMatchInlineSnapshot(`
      "REGION          CLUSTER     CATEGORY  STATUS          FINDINGS
      ap-southeast-1  edge        Turbo     ERROR           CLOUD: Throttled after 5 attempts
      cn-north-4      demo-turbo  Turbo     compliant       -
      cn-north-4      legacy      CCE       not applicable  Standard cluster: use the iptables path
      cn-north-4      prod-turbo  Turbo     DRIFT           No deny rule toward the API server (+1 more)
      4 clusters in 2 regions: 1 compliant, 1 drift, 1 error, 1 not applicable
      "
    `);
  });

  it('every column starts at the same offset on every row, and no line has trailing spaces', () => {
    const lines = renderTable(run([...fleet, cluster({ id: 'x', name: 'a-much-longer-name' })]))
      .trimEnd()
      .split('\n');
    const header = lines[0] ?? '';
    const rows = lines.slice(1, -1);
    expect(rows).toHaveLength(5);
    for (const col of ['CLUSTER', 'CATEGORY', 'STATUS', 'FINDINGS']) {
      const at = header.indexOf(col);
      for (const row of rows) {
        expect(row[at - 1], `${col} in ${JSON.stringify(row)}`).toBe(' ');
        expect(row[at], `${col} in ${JSON.stringify(row)}`).not.toBe(' ');
      }
    }
    for (const l of lines) expect(l).toBe(l.trimEnd());
  });

  it('colour does not shift the columns', () => {
    const report = run(fleet);
    const coloured = renderTable(report, { colors: makeColors(true) });
    expect(coloured).toContain('\u001b[');
    expect(stripAnsi(coloured)).toBe(renderTable(report));
  });

  it('quiet with problems: header, the drift and error rows only, and the totals', () => {
    const lines = renderTable(run(fleet), { quiet: true }).trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(/^REGION/);
    expect(lines[1]).toMatch(/^ap-southeast-1 +edge +Turbo +ERROR /);
    expect(lines[2]).toMatch(/^cn-north-4 +prod-turbo +Turbo +DRIFT /);
    expect(lines[3]).toBe(
      '4 clusters in 2 regions: 1 compliant, 1 drift, 1 error, 1 not applicable',
    );
  });

  it('quiet when all is well prints nothing at all', () => {
    expect(renderTable(run([compliant, standard]), { quiet: true })).toBe('');
  });

  it('quiet still shows a run-level error', () => {
    const out = renderTable(
      run([], { status: 'error', error: { code: 'AUTH', message: 'denied', requestId: null } }),
      { quiet: true },
    );
    expect(out).toBe('AUTH: denied\n0 clusters: 0 compliant, 0 drift, 0 error, 0 not applicable\n');
  });

  it('long summaries are cut to the configured width', () => {
    const long = cluster({
      status: 'drift',
      findings: [{ code: 'x', severity: 'error', message: 'y'.repeat(200) }],
    });
    const row = renderTable(run([long]), { maxSummaryWidth: 20 }).split('\n')[1] ?? '';
    expect(row.endsWith(`${'y'.repeat(17)}...`)).toBe(true);
  });

  it('hostile names stay on one line and carry no escape sequence', () => {
    const out = renderTable(run([cluster({ name: HOSTILE, status: 'drift' })]));
    expect(out.split('\n')).toHaveLength(4); // header, row, totals, final newline
    expect(out).not.toContain('\u001b');
    expect(out).toContain('a"b\\c\\nd<e>&f\'g\\u001b[31mred\\u202e');
  });
});

describe('summarizeCluster', () => {
  it.each<[string, ClusterReport, string]>([
    ['error wins', errored, 'CLOUD: Throttled after 5 attempts'],
    [
      'most severe finding, and how many more',
      drift,
      'No deny rule toward the API server (+1 more)',
    ],
    ['one finding', standard, 'Standard cluster: use the iptables path'],
    [
      'pending changes without findings',
      cluster({ status: 'drift', changes: [createDeny] }),
      '1 change pending',
    ],
    ['nothing', compliant, '-'],
  ])('%s', (_name, c, expected) => {
    expect(summarizeCluster(c)).toBe(expected);
  });
});

describe('formatTotals', () => {
  it.each<[ClusterReport[], string]>([
    [[], '0 clusters: 0 compliant, 0 drift, 0 error, 0 not applicable'],
    [[compliant], '1 cluster in 1 region: 1 compliant, 0 drift, 0 error, 0 not applicable'],
    [
      [{ ...compliant, region: undefined }],
      '1 cluster: 1 compliant, 0 drift, 0 error, 0 not applicable',
    ],
    [fleet, '4 clusters in 2 regions: 1 compliant, 1 drift, 1 error, 1 not applicable'],
  ])('%#', (clusters, expected) => {
    expect(formatTotals(clusters)).toBe(expected);
  });
});
