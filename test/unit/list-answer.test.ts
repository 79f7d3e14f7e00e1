import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { pickFields, readAll } from '../../src/cloud/answer-text.js';
import { listAnswer, parseListAnswer } from '../../src/cloud/cce-wire.js';

/** A page like VPC's: items checked and translated as they are read, and a page_info. */
const item = z.looseObject({ id: z.string().min(1), n: z.number().nullish() });
const page = listAnswer({
  key: 'things',
  item,
  cut: (x) => pickFields(x, ['id', 'n']),
  translate: (w) => {
    if (w.id === 'boom') throw new Error('translation failed for boom');
    return { id: w.id, n: w.n ?? 0 };
  },
  rest: { page_info: z.looseObject({ next_marker: z.string().nullish() }).nullish() },
});
const call = { operation: 'ListThings', region: 'r', what: 'a thing list' };

/** What happens to a body: its items and page_info, or the message of what it throws. */
function outcome(body: unknown): unknown {
  try {
    const { items, envelope } = parseListAnswer(page, body, call);
    return { items, pageInfo: envelope['page_info'] };
  } catch (err) {
    return { error: (err as Error).message };
  }
}

function bodyOf(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

const GOOD = '{"id":"a","n":1,"extra":{"big":[1,2,3]}}';
const ITEMS = [
  GOOD,
  '{"id":"b"}',
  '{"id":""}',
  '{"n":2}',
  '{"id":"c","n":"x"}',
  '{"id":"boom"}',
  '7',
  'null',
];
const INFO = [
  '',
  ',"page_info":{"next_marker":"m"}',
  ',"page_info":{"next_marker":5}',
  ',"page_info":3',
  ',"page_info":null',
];

describe('parseListAnswer: checked as read = validated whole', () => {
  it('gives the same items, or the same first issue, for every mix of good and bad items and page infos', () => {
    let texts = 0;
    for (let a = 0; a < ITEMS.length; a++) {
      for (let b = 0; b < ITEMS.length; b++) {
        for (const info of INFO) {
          const text = `{"things":[${GOOD},${ITEMS[a]},${ITEMS[b]}]${info}}`;
          const whole = outcome(bodyOf(text));
          const read = outcome(readAll(page.reading, text));
          expect(read, text).toEqual(whole);
          texts++;
        }
      }
    }
    expect(texts).toBe(ITEMS.length * ITEMS.length * INFO.length);
  });

  it.each([
    ['{"things":{"id":"a"}}'],
    ['{"things":"x","page_info":3}'],
    ['{"page_info":{}}'],
    ['[]'],
    ['{}'],
    ['<html>busy</html>'],
    ['{"things":[{"id":"a"}]'],
    ['{"things":[{"id":""}],"things":[{"id":"a"}]}'],
    ['{"things":[{"id":"a"}],"things":{"id":"a"}}'],
  ])('the same outcome for %s', (text) => {
    expect(outcome(readAll(page.reading, text))).toEqual(outcome(bodyOf(text)));
  });

  it('an item whose translation throws fails the answer with that error, after validation', () => {
    expect(outcome(readAll(page.reading, '{"things":[{"id":"boom"}]}'))).toEqual({
      error: 'translation failed for boom',
    });
    // A later item that is not the documented shape is reported first, as before.
    const text = '{"things":[{"id":"boom"},{"id":""}]}';
    const read = outcome(readAll(page.reading, text)) as { error: string };
    expect(read.error).toMatch(/not a thing list.*at things\.1\.id/);
    expect(read).toEqual(outcome(bodyOf(text)));
  });

  it('keeps translated items only: nothing of the wire form but what the item schema reads', () => {
    const read = readAll(page.reading, `{"things":[${GOOD}]}`) as { things: unknown[] };
    expect(read.things).toEqual([{ id: 'a', n: 1 }]);
  });
});
