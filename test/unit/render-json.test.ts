import { describe, it, expect } from 'vitest';
import { renderJson, renderJsonChunks } from '../../src/render/json.js';
import type { ClusterReport, RunReport } from '../../src/core/report.js';
import {
  HOSTILE,
  cluster,
  compliant,
  denyRule,
  drift,
  errored,
  run,
  standard,
} from '../helpers/render-fixtures.js';

/** The same object with its keys inserted in reverse order, recursively. */
function reversed(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(reversed);
  if (typeof v !== 'object' || v === null) return v;
  return Object.fromEntries(
    Object.entries(v)
      .reverse()
      .map(([k, x]) => [k, reversed(x)]),
  );
}

describe('renderJson', () => {
  const report = run([compliant, drift, errored, standard], { startedAt: '2025-01-01T00:00:00Z' });

  it('is one JSON document and a single trailing newline, equal to the report', () => {
    const out = renderJson(report);
    expect(out.endsWith('}\n')).toBe(true);
    expect(out.endsWith('\n\n')).toBe(false);
    expect(JSON.parse(out)).toEqual(report);
  });

  it.each<[string, (r: RunReport) => unknown, string[]]>([
    [
      'run',
      (r) => r,
      ['schemaVersion', 'command', 'status', 'startedAt', 'dryRun', 'clusters', 'error'],
    ],
    [
      'cluster',
      (r) => r.clusters[0],
      [
        'id',
        'name',
        'region',
        'category',
        'networkMode',
        'phase',
        'apiServer',
        'securityGroup',
        'rule',
        'status',
        'findings',
        'changes',
        'error',
      ],
    ],
    [
      'rule',
      (r) => r.clusters[0]?.rule,
      [
        'id',
        'priority',
        'action',
        'direction',
        'ethertype',
        'protocol',
        'ports',
        'destination',
        'enabled',
        'description',
        'match',
      ],
    ],
    ['apiServer', (r) => r.clusters[0]?.apiServer, ['ip', 'port']],
    ['finding', (r) => r.clusters[0]?.findings[0], ['code', 'severity', 'message']],
    [
      'change',
      (r) => r.clusters[0]?.changes[0],
      ['action', 'kind', 'target', 'targetId', 'before', 'after', 'applied'],
    ],
    [
      'error',
      (r) => r.clusters[0]?.error,
      ['code', 'message', 'requestId', 'httpStatus', 'errorCode', 'hint'],
    ],
  ])('%s keys come out in declared order whatever the input order', (_name, pick, keys) => {
    const full: ClusterReport = { ...drift, rule: denyRule, error: errored.error };
    const input = run([full], { startedAt: 'x', dryRun: true, error: errored.error });
    const out = JSON.parse(renderJson(reversed(input) as RunReport)) as RunReport;
    expect(Object.keys(pick(out) as object)).toEqual(keys);
  });

  it('keys the types do not know are kept, after the known ones', () => {
    const extended = { ...cluster(), zeta: 1, alpha: { b: 1, a: 2 } } as ClusterReport;
    const input = { clusters: [extended], status: 'compliant', command: 'check', schemaVersion: 1 };
    const out = JSON.parse(renderJson(input as RunReport)) as RunReport;
    expect(Object.keys(out)).toEqual(['schemaVersion', 'command', 'status', 'clusters']);
    expect(Object.keys(out.clusters[0] ?? {}).slice(-2)).toEqual(['zeta', 'alpha']);
    // Unknown values are passed through untouched, not reordered.
    expect(Object.keys((out.clusters[0] as unknown as { alpha: object }).alpha)).toEqual([
      'b',
      'a',
    ]);
  });

  it('a `__proto__` key from the data stays a plain key', () => {
    const input = JSON.parse(
      '{"schemaVersion":1,"command":"check","status":"compliant","clusters":[],"__proto__":{"x":1}}',
    ) as RunReport;
    expect(renderJson(input)).toContain('"__proto__": {');
  });

  it('hostile strings round-trip', () => {
    const evil = run([
      cluster({ name: HOSTILE, findings: [{ code: 'x', severity: 'info', message: HOSTILE }] }),
    ]);
    const back = JSON.parse(renderJson(evil)) as RunReport;
    expect(back.clusters[0]?.name).toBe(HOSTILE);
    expect(back.clusters[0]?.findings[0]?.message).toBe(HOSTILE);
  });

  it('in pieces, one per cluster, the same text as the whole document rendered at once', () => {
    const tricky = '\n  "clusters": [],\n  "x": 1\u009b\u202e\u007f';
    const input = {
      ...run(
        [
          cluster({ name: tricky, findings: [{ code: 'x', severity: 'info', message: HOSTILE }] }),
          { ...drift, rule: denyRule },
          errored,
          { ...cluster(), zeta: { clusters: [] } } as ClusterReport,
          standard,
        ],
        { startedAt: '2025-01-01T00:00:00Z', error: errored.error },
      ),
      extension: { clusters: [1, 2] },
    } as RunReport;
    // The reference: the whole report, keys reordered as renderJson orders them, stringified in
    // one go and made inert the same way.
    const ordered = JSON.parse(renderJson(reversed(input) as RunReport)) as unknown;
    const whole =
      JSON.stringify(ordered, null, 2).replace(
        /[\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g,
        (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`,
      ) + '\n';
    const pieces = [...renderJsonChunks(reversed(input) as RunReport)];
    expect(pieces).toHaveLength(input.clusters.length + 2);
    expect(pieces.join('')).toBe(whole);
    expect(renderJson(reversed(input) as RunReport)).toBe(whole);
    expect(whole).toContain('\\u009b');
    expect(whole).not.toContain('\u009b');
  });

  it('a report in pieces builds each cluster only when its piece is due, same text', () => {
    const clusters = [compliant, { ...drift, rule: denyRule }, errored, standard];
    const input = run(clusters, { startedAt: '2025-01-01T00:00:00Z' });
    const built: number[] = [];
    function* lazily() {
      for (let i = 0; i < clusters.length; i++) {
        built.push(i);
        yield clusters[i]!;
      }
    }
    const pieces: string[] = [];
    for (const piece of renderJsonChunks({ ...input, clusters: lazily() })) {
      pieces.push(piece);
      // The frame, then cluster k: no cluster is built before the piece that needs it.
      expect(built.length).toBeLessThanOrEqual(Math.max(1, pieces.length));
    }
    expect(built).toEqual([0, 1, 2, 3]);
    expect(pieces.join('')).toBe(renderJson(input));
  });

  it('a report in pieces with no clusters is the same document as an empty list', () => {
    const input = run([], { startedAt: '2025-01-01T00:00:00Z' });
    expect(renderJson({ ...input, clusters: [][Symbol.iterator]() })).toBe(renderJson(input));
  });

  it('a failed run with no clusters is still one document', () => {
    const failed = run([], {
      status: 'error',
      error: { code: 'AUTH', message: 'denied', requestId: 'r-1' },
    });
    expect(renderJson(failed)).toMatchInlineSnapshot(`
      "{
        "schemaVersion": 1,
        "command": "check",
        "status": "error",
        "clusters": [],
        "error": {
          "code": "AUTH",
          "message": "denied",
          "requestId": "r-1"
        }
      }
      "
    `);
  });
});
