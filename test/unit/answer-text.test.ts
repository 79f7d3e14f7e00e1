import { describe, expect, it } from 'vitest';
import {
  checkedListReading,
  pickFields,
  readAll,
  type AnswerReading,
} from '../../src/cloud/answer-text.js';

/** Keeps `id` and `name` of each item: what a page reader does. */
const trim = (item: unknown) => pickFields(item, ['id', 'name']);
/** Every item passes its check: the reading keeps each item as it was cut. */
const listReading = (key: string, cut: (item: unknown) => unknown): AnswerReading =>
  checkedListReading(key, cut, (kept) => ({ ok: true, value: kept }));
const reading: AnswerReading = listReading('items', trim);

/** What the reader must give: JSON.parse of the whole text, items trimmed; the text if not JSON. */
function expected(text: string): unknown {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return text;
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  const items = (body as Record<string, unknown>)['items'];
  if (Array.isArray(items)) (body as Record<string, unknown>)['items'] = items.map(trim);
  return body;
}

/** The text read in pieces of `size` characters. */
function inPieces(text: string, size: number): unknown {
  const reader = reading();
  for (let i = 0; i < text.length; i += size) reader.write(text.slice(i, i + size));
  return reader.end();
}

const item = (i: number) => ({
  id: `id-${i}`,
  name: `n"a\\m\u00e9 ${i} \ud83d\ude00`,
  spec: { nested: [{ deep: [1, 2, { x: '}]' }] }], text: 'a \\" b {[' },
  n: -1.5e3,
  ok: true,
  none: null,
});

const VALID = [
  JSON.stringify({ kind: 'List', items: [item(1), item(2), item(3)] }),
  JSON.stringify({ kind: 'List', items: [item(1)] }, null, 2),
  JSON.stringify({ items: [] }),
  '  {  "items" : [ ] , "page_info" : { "next_marker" : "m" } }  \n',
  JSON.stringify({ before: { items: [item(9)] }, items: [item(1)], after: 'x' }),
  // A second `items` wins, as in JSON.parse.
  '{"items":[{"id":"a"}],"items":[{"id":"b","name":"c","drop":1}]}',
  // `items` that is not a list is left as it is.
  '{"items":{"id":"a","drop":1}}',
  '{"items":"text"}',
  '{"items":[1,"two",null,[3],{"id":4}]}',
  '{"__proto__":{"polluted":true},"items":[{"__proto__":{"id":"x"},"id":"y"}]}',
  '{}',
  '[]',
  '[{"id":1}]',
  '"text"',
  '42',
  'null',
  '{"a":"\\u005c\\"","items":[{"id":"\\\\"}]}',
];

const NOT_JSON = [
  '',
  '   ',
  '<html><body>busy</body></html>',
  '{"items":[{"id":"a"}]',
  '{"items":[{"id":"a"},]}',
  '{"items":[{"id":"a"}]}}',
  '{"items":[{"id":"a"}]} x',
  '{"items":[{"id":"a"]}]}',
  '{"items" [1]}',
  '{items:[1]}',
  "{'items':[1]}",
  '{"items":[01]}',
  '{"items":[tru]}',
  '{"a":1,}',
  '{"a":1 "b":2}',
  '{"a":"line\nbreak"}',
  '{"items":["unterminated]}',
  '{"items":[{"id":"a"}],"page_info":{"next_marker":"m"}',
  '\ufeff{"items":[]}',
  '{"items":[1,,2]}',
  '{"items":[,1]}',
  '{"items":[1 2]}',
  '{"items":[{"a":1}{"b":2}]}',
  '{"items":[{"a":1},]}',
];

describe('listReading: the same value as JSON.parse, items trimmed, in any pieces', () => {
  it.each(VALID.map((t) => [t]))('%s', (text) => {
    const want = expected(text);
    expect(readAll(reading, text)).toEqual(want);
    for (const size of [1, 2, 3, 5, 7, 16, 64]) expect(inPieces(text, size)).toEqual(want);
  });

  it('keeps member order and `__proto__` as a plain member, as JSON.parse does', () => {
    const text = '{"z":1,"__proto__":{"p":1},"items":[],"a":2}';
    const got = readAll(reading, text) as Record<string, unknown>;
    expect(Object.keys(got)).toEqual(Object.keys(JSON.parse(text) as object));
    expect(Object.getPrototypeOf(got)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>)['p']).toBeUndefined();
  });

  it.each(NOT_JSON.map((t) => [t]))('not JSON, given back as text: %j', (text) => {
    expect(expected(text)).toBe(text);
    expect(readAll(reading, text)).toBe(text);
    for (const size of [1, 3, 7]) expect(inPieces(text, size)).toBe(text);
  });

  it('gives back only the first 8 KiB of a long text that is not JSON', () => {
    const text = `<html>${'x'.repeat(200_000)}`;
    for (const whole of [text, `{"items":[${text}`]) {
      const got = inPieces(whole, 4096) as string;
      expect(got.length).toBe(8 * 1024);
      expect(got === whole.slice(0, 8 * 1024)).toBe(true);
    }
  });

  it('agrees with JSON.parse on thousands of damaged texts, read whole and in pieces', () => {
    // A fixed-seed generator: the same texts on every run.
    let seed = 42;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const alphabet = '{}[]",:\\ \n0123456789-.eEtrufalsn';
    const base = [
      JSON.stringify({ kind: 'List', items: [item(1), item(2)], page_info: { next_marker: 'x' } }),
      '{"items":[1,"a",{"b":[2,{"c":"}"}]},null,true]}',
    ];
    for (let k = 0; k < 3000; k++) {
      let text = base[k % base.length]!;
      for (let edits = 1 + rand(3); edits > 0; edits--) {
        const at = rand(text.length + 1);
        const ch = alphabet[rand(alphabet.length)]!;
        const kind = rand(3);
        text =
          kind === 0
            ? text.slice(0, at) + text.slice(at + 1)
            : kind === 1
              ? text.slice(0, at) + ch + text.slice(at)
              : text.slice(0, at) + ch + text.slice(at + 1);
      }
      const want = expected(text);
      expect(readAll(reading, text), text).toEqual(want);
      expect(inPieces(text, 1 + rand(9)), text).toEqual(want);
    }
  });

  it('passes each item through trim as soon as the item is complete', () => {
    const seen: string[] = [];
    const reader = listReading('items', (it) => {
      seen.push((it as { id: string }).id);
      return it;
    })();
    reader.write('{"items":[{"id":"a"},{"id":');
    expect(seen).toEqual(['a']);
    reader.write('"b"},');
    expect(seen).toEqual(['a', 'b']);
    reader.write('{"id":"c"}]}');
    expect(reader.end()).toEqual({ items: [{ id: 'a' }, { id: 'b' }, { id: 'c' }] });
  });

  it('reads a long list in 64 KiB pieces to the same value as JSON.parse', () => {
    const items = Array.from({ length: 3000 }, (_, i) => item(i));
    const text = JSON.stringify({ kind: 'List', items });
    expect(inPieces(text, 65536)).toEqual(expected(text));
  });
});
