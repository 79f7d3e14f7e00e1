/**
 * `--output json`: exactly one document per run. Keys come out in the order the report types
 * declare them, whatever order the producer happened to build the objects in, so diffs of two
 * runs' output line up. Keys the types do not know yet (schema extensions) follow the known ones
 * in their original order: extend, never drop.
 */

import type { ReportInPieces, RunReport } from '../core/report.js';

type Order = readonly (string | readonly [string, Shape])[];
interface Shape {
  keys: Order;
  /** The value is an array of objects of this shape. */
  list?: boolean;
}

const ERROR: Shape = {
  keys: ['code', 'message', 'requestId', 'httpStatus', 'errorCode', 'hint'],
};
const FINDING: Shape = { keys: ['code', 'severity', 'message'], list: true };
const CHANGE: Shape = {
  keys: [
    'action',
    'kind',
    'target',
    'targetId',
    'before',
    'after',
    'applied',
    'outcome',
    'error',
    'reason',
  ],
  list: true,
};
const RULE: Shape = {
  keys: [
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
};
const CLUSTER: Shape = {
  keys: [
    'id',
    'name',
    'region',
    'category',
    'networkMode',
    'phase',
    ['apiServer', { keys: ['ip', 'port'] }],
    ['securityGroup', { keys: ['id', 'name'] }],
    ['rule', RULE],
    'status',
    ['findings', FINDING],
    ['changes', CHANGE],
    ['error', ERROR],
  ],
  list: true,
};
const RUN: Shape = {
  keys: [
    'schemaVersion',
    'command',
    'status',
    'startedAt',
    'dryRun',
    ['clusters', CLUSTER],
    ['error', ERROR],
  ],
};

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function order(value: unknown, shape: Shape): unknown {
  if (shape.list && Array.isArray(value)) {
    return value.map((item) => order(item, { keys: shape.keys }));
  }
  if (!isPlainObject(value)) return value;
  // No prototype: a key named `__proto__` from the cloud stays a plain key.
  const out = Object.create(null) as Record<string, unknown>;
  for (const entry of shape.keys) {
    const [key, inner] = typeof entry === 'string' ? [entry, undefined] : entry;
    if (!Object.prototype.hasOwnProperty.call(value, key)) continue;
    out[key] = inner ? order(value[key], inner) : value[key];
  }
  for (const [key, v] of Object.entries(value)) {
    if (!(key in out)) out[key] = v;
  }
  return out;
}

/**
 * JSON.stringify escapes C0 controls but not DEL, the C1 controls (U+009B acts as ESC [ on some
 * terminals) or bidi overrides: escape those too, so the document is inert on a terminal. Per
 * character, so escaping piece by piece gives the same text as escaping the whole.
 */
function inert(text: string): string {
  return text.replace(
    /[\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g,
    (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** Where `JSON.stringify(doc, null, 2)` puts the top-level `clusters` array when it is empty. */
const CLUSTERS_SLOT = '\n  "clusters": []';

function isIterable(v: unknown): v is Iterable<unknown> {
  return typeof v === 'object' && v !== null && Symbol.iterator in v && typeof v !== 'string';
}

/**
 * The report as one JSON document followed by a newline, in pieces: the document around the
 * clusters, then one piece per cluster. Joined, the pieces are exactly `renderJson`'s text; a
 * large fleet's report is written out without holding a reordered copy of it and its whole text
 * at once, and a report in pieces has each cluster built only when its piece is due. Every piece
 * is a cluster's own `JSON.stringify(..., null, 2)` indented to its place (the text of a JSON
 * value has no line break but the ones indentation puts there).
 */
export function* renderJsonChunks(report: RunReport | ReportInPieces): Generator<string> {
  const clusters: unknown = (report as { clusters?: unknown }).clusters;
  const whole = (list: unknown) =>
    inert(JSON.stringify(order({ ...report, clusters: list }, RUN), null, 2)) + '\n';
  if (!isIterable(clusters)) {
    yield whole(clusters);
    return;
  }
  const iterator = clusters[Symbol.iterator]();
  let next = iterator.next();
  const frame = inert(JSON.stringify(order({ ...report, clusters: [] }, RUN), null, 2));
  // Top-level keys are the only ones indented by two spaces, and a JSON string holds no raw
  // line break: the slot is found once and only where the array is.
  const at = frame.indexOf(CLUSTERS_SLOT);
  if (next.done || at < 0) {
    const rest: unknown[] = [];
    for (; !next.done; next = iterator.next()) rest.push(next.value);
    yield whole(rest);
    return;
  }
  yield frame.slice(0, at) + '\n  "clusters": [';
  const item: Shape = { keys: CLUSTER.keys };
  for (let first = true; !next.done; next = iterator.next(), first = false) {
    const text = JSON.stringify(order(next.value, item), null, 2) ?? 'null';
    yield `${first ? '' : ','}\n    ${inert(text).replace(/\n/g, '\n    ')}`;
  }
  yield '\n  ]' + frame.slice(at + CLUSTERS_SLOT.length) + '\n';
}

/** The report as one JSON document followed by a newline. */
export function renderJson(report: RunReport | ReportInPieces): string {
  return [...renderJsonChunks(report)].join('');
}
