/**
 * Validates JSON documents against the published schema, docs/report.schema.json. A small
 * interpreter of the keywords that schema uses (type, required, properties,
 * additionalProperties: false, items, enum, const, oneOf, $ref to #/$defs, minimum, maximum):
 * an unknown keyword is an error here, so the schema cannot silently outgrow the check.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

type Schema = Record<string, unknown>;

const SCHEMA_PATH = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../docs/report.schema.json',
);
export const REPORT_SCHEMA = JSON.parse(readFileSync(SCHEMA_PATH, 'utf8')) as Schema;

const KNOWN = new Set([
  '$schema',
  '$id',
  '$defs',
  'title',
  'description',
  'type',
  'required',
  'properties',
  'additionalProperties',
  'items',
  'enum',
  'const',
  'oneOf',
  '$ref',
  'minimum',
  'maximum',
]);

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function matchesType(v: unknown, type: string): boolean {
  const actual = typeOf(v);
  return actual === type || (type === 'number' && actual === 'integer');
}

function resolve(ref: string, root: Schema): Schema {
  const m = /^#\/\$defs\/([A-Za-z0-9_-]+)$/.exec(ref);
  const def = m?.[1] ? (root['$defs'] as Record<string, Schema> | undefined)?.[m[1]] : undefined;
  if (!def) throw new Error(`report schema: unresolvable $ref ${ref}`);
  return def;
}

/** Every way `value` breaks `schema`, as "path: problem" lines; empty when it is valid. */
export function schemaErrors(
  value: unknown,
  schema: Schema = REPORT_SCHEMA,
  at = '$',
  root: Schema = REPORT_SCHEMA,
): string[] {
  for (const key of Object.keys(schema)) {
    if (!KNOWN.has(key)) throw new Error(`report schema: keyword ${key} is not supported`);
  }
  if (typeof schema['$ref'] === 'string') {
    return schemaErrors(value, resolve(schema['$ref'], root), at, root);
  }
  const errors: string[] = [];
  const type = schema['type'];
  if (type !== undefined) {
    const types = Array.isArray(type) ? (type as string[]) : [type as string];
    if (!types.some((t) => matchesType(value, t))) {
      return [`${at}: is ${typeOf(value)}, expected ${types.join(' or ')}`];
    }
  }
  if ('const' in schema && value !== schema['const']) {
    errors.push(`${at}: is ${JSON.stringify(value)}, expected ${JSON.stringify(schema['const'])}`);
  }
  if (Array.isArray(schema['enum']) && !schema['enum'].includes(value)) {
    errors.push(`${at}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema['enum'])}`);
  }
  if (typeof value === 'number') {
    if (typeof schema['minimum'] === 'number' && value < schema['minimum'])
      errors.push(`${at}: ${value} < ${schema['minimum']}`);
    if (typeof schema['maximum'] === 'number' && value > schema['maximum'])
      errors.push(`${at}: ${value} > ${schema['maximum']}`);
  }
  if (Array.isArray(schema['oneOf'])) {
    const branches = (schema['oneOf'] as Schema[]).map((s) => schemaErrors(value, s, at, root));
    const ok = branches.filter((b) => b.length === 0).length;
    if (ok !== 1) {
      errors.push(
        ok === 0
          ? `${at}: matches no allowed shape (${branches.map((b) => b[0]).join(' | ')})`
          : `${at}: matches ${ok} shapes, expected exactly one`,
      );
    }
  }
  if (typeOf(value) === 'object') {
    const obj = value as Record<string, unknown>;
    const props = (schema['properties'] ?? {}) as Record<string, Schema>;
    for (const key of (schema['required'] ?? []) as string[]) {
      if (!(key in obj)) errors.push(`${at}: ${key} is missing`);
    }
    for (const [key, v] of Object.entries(obj)) {
      const sub = props[key];
      if (sub) errors.push(...schemaErrors(v, sub, `${at}.${key}`, root));
      else if (schema['additionalProperties'] === false) {
        errors.push(`${at}: ${key} is not in the schema`);
      }
    }
  }
  if (Array.isArray(value) && schema['items']) {
    value.forEach((item, i) =>
      errors.push(...schemaErrors(item, schema['items'] as Schema, `${at}[${i}]`, root)),
    );
  }
  return errors;
}

/** Fails the test unless `doc` is a valid report document. */
export function expectValidReport(doc: unknown): void {
  expect(schemaErrors(doc), 'the JSON document does not match docs/report.schema.json').toEqual([]);
}

/** When stdout is a report document (JSON with schemaVersion), validates it. */
export function validateReportOutput(stdout: string): void {
  const text = stdout.trim();
  if (!text.startsWith('{')) return;
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return;
  }
  if (typeof doc === 'object' && doc !== null && 'schemaVersion' in doc) expectValidReport(doc);
}
