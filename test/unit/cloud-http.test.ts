import { describe, expect, it } from 'vitest';
import { CloudError } from '../../src/core/errors.js';
import { describeEndpoints, regionEndpoints } from '../../src/cloud/endpoints.js';
import { normalizeErrorBody } from '../../src/cloud/http.js';
import { Retrier } from '../../src/cloud/retry.js';

describe('normalizeErrorBody: every documented error shape reaches the SDK fields', () => {
  it.each([
    [
      'CCE camelCase',
      '{"errorCode":"CCE.01404001","errorMessage":"Resource not found."}',
      { error_code: 'CCE.01404001', error_msg: 'Resource not found.' },
    ],
    [
      'VPC snake_case',
      { error_code: 'VPC.9902', error_msg: 'exists', request_id: 'r-1' },
      { error_code: 'VPC.9902', error_msg: 'exists' },
    ],
    [
      'v1-era VPC',
      { code: 'VPC.0002', message: 'bad' },
      { error_code: 'VPC.0002', error_msg: 'bad' },
    ],
    [
      'HTML',
      '<html><body><h1>502 Bad Gateway</h1></body></html>',
      { error_msg: 'the answer is not JSON: 502 Bad Gateway' },
    ],
  ])('%s', (_name, body, expected) => {
    expect(normalizeErrorBody(body, {})).toMatchObject(expected);
  });

  it('keeps the nested {error:{code,message}} form as the SDK reads it', () => {
    const out = normalizeErrorBody({ error: { code: 'IAM.0001', message: 'no' } }, {}) as Record<
      string,
      unknown
    >;
    expect(out.error).toEqual({ code: 'IAM.0001', message: 'no' });
    expect(out.error_code).toBeUndefined();
  });

  it('a request id in the body fills a missing X-Request-Id header, never replaces one', () => {
    const headers: Record<string, unknown> = {};
    normalizeErrorBody({ error_code: 'X', request_id: 'from-body' }, headers);
    expect(headers['x-request-id']).toBe('from-body');
    const given: Record<string, unknown> = { 'x-request-id': 'from-header' };
    normalizeErrorBody({ requestId: 'from-body' }, given);
    expect(given['x-request-id']).toBe('from-header');
  });
});

describe('regionEndpoints', () => {
  it('takes regions the SDK tables know from them, guesses only the others', () => {
    const known = regionEndpoints('cn-north-4');
    expect(known.cce).toEqual({
      url: 'https://cce.cn-north-4.myhuaweicloud.com',
      source: 'sdk-region-table',
    });
    expect(known.vpc.source).toBe('sdk-region-table');
    const unknown = regionEndpoints('xx-nowhere-9');
    expect(unknown.cce).toEqual({
      url: 'https://cce.xx-nowhere-9.myhuaweicloud.com',
      source: 'guessed',
    });
    // eu-west-101: the installed VPC table knows it; the installed CCE table does not.
    expect(regionEndpoints('eu-west-101').vpc.source).toBe('sdk-region-table');
  });

  it('describeEndpoints says which endpoint is an override', () => {
    expect(
      describeEndpoints('cn-north-4', {
        cce: 'https://cce.cn-north-4.myhuaweicloud.com',
        vpc: 'http://127.0.0.1:9',
      }),
    ).toBe(
      'endpoints for cn-north-4: CCE https://cce.cn-north-4.myhuaweicloud.com (sdk-region-table), VPC http://127.0.0.1:9 (override)',
    );
  });
});

describe('Retrier: the total of retries is bounded', () => {
  it('gives up when the next attempt could not end within maxTotalMs', async () => {
    let now = 0;
    const realNow = Date.now;
    Date.now = () => now;
    try {
      let calls = 0;
      const retrier = new Retrier({
        maxAttempts: 10,
        baseDelayMs: 100,
        maxDelayMs: 100,
        attemptTimeoutMs: 1000,
        maxTotalMs: 3500,
        random: () => 1,
        sleep: async (ms) => {
          now += ms;
        },
      });
      const err = await retrier
        .run('ListClusters', async () => {
          calls++;
          now += 1000; // every attempt times out at its deadline
          throw new CloudError('ListClusters failed (no answer): timeout', { retryable: true });
        })
        .catch((e: unknown) => e as CloudError);
      // 1000 + 100 + 1000 + 100 + 1000 = 3200; a fourth attempt could end at 4300 > 3500.
      expect(calls).toBe(3);
      expect(err.message).toContain('gave up after 3 attempt(s)');
      expect(err.retryable).toBe(false);
      expect(now).toBeLessThanOrEqual(3500);
    } finally {
      Date.now = realNow;
    }
  });
});
