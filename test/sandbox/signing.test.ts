import { describe, expect, it } from 'vitest';
import {
  canonicalQuery,
  canonicalUri,
  parseQueryPairs,
  strictEncode,
} from '../../src/sandbox/signing.js';
import {
  canonicalRequest,
  formatSdkDate,
  signRequest,
  stringToSign,
  verifyRequest,
} from '../../src/sandbox/index.js';

// A test vector captured from the real SDK (the algorithm: docs/cloud-api.md, "Signing").
const VECTOR = {
  ak: 'EXAMPLEAK',
  sk: 'EXAMPLE-SK-0123456789',
  url: 'http://127.0.0.1:18443/v3/0123456789abcdef0123456789abcdef/vpc/security-group-rules?security_group_id=sg-1&direction=egress&remote_ip_prefix=192.168.0.61%2F32&priority=1',
  date: '20261129T151922Z',
  canonical: [
    'GET',
    '/v3/0123456789abcdef0123456789abcdef/vpc/security-group-rules/',
    'direction=egress&priority=1&remote_ip_prefix=192.168.0.61%2F32&security_group_id=sg-1',
    'content-type:application/json',
    'host:127.0.0.1:18443',
    'x-project-id:0123456789abcdef0123456789abcdef',
    'x-sdk-date:20261129T151922Z',
    '',
    'content-type;host;x-project-id;x-sdk-date',
    'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  ].join('\n'),
  canonicalHash: '60c6e4904ff4157f27ab63fa15fbe53f8198107083be54a1bc1a2b88664b3689',
  signature: 'a00261259e4b06802b7f6296f80c0e613e1c493f86010530ee8983d2bde34ffa',
};

const vectorHeaders = {
  'content-type': 'application/json',
  'x-project-id': '0123456789abcdef0123456789abcdef',
};
const vectorDate = new Date(Date.UTC(2026, 10, 29, 15, 19, 22));

describe('SDK-HMAC-SHA256 signer', () => {
  it('builds the canonical request of the reference test vector', () => {
    const u = new URL(VECTOR.url);
    const canonical = canonicalRequest({
      method: 'GET',
      wirePath: u.pathname,
      queryPairs: parseQueryPairs(u.search.slice(1)),
      headers: { ...vectorHeaders, host: '127.0.0.1:18443', 'x-sdk-date': VECTOR.date },
      signedHeaders: ['content-type', 'host', 'x-project-id', 'x-sdk-date'],
      payloadHash: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    });
    expect(canonical).toBe(VECTOR.canonical);
    expect(stringToSign(VECTOR.date, canonical)).toBe(
      `SDK-HMAC-SHA256\n${VECTOR.date}\n${VECTOR.canonicalHash}`,
    );
  });

  it('reproduces the signature of the reference test vector', () => {
    const headers = signRequest({
      method: 'GET',
      url: VECTOR.url,
      headers: vectorHeaders,
      ak: VECTOR.ak,
      sk: VECTOR.sk,
      date: vectorDate,
    });
    expect(headers['x-sdk-date']).toBe(VECTOR.date);
    expect(headers['authorization']).toBe(
      `SDK-HMAC-SHA256 Access=EXAMPLEAK, SignedHeaders=content-type;host;x-project-id;x-sdk-date, Signature=${VECTOR.signature}`,
    );
  });

  it('verifies the vector and rejects any change to it', () => {
    const headers = signRequest({
      method: 'GET',
      url: VECTOR.url,
      headers: vectorHeaders,
      ak: VECTOR.ak,
      sk: VECTOR.sk,
      date: vectorDate,
    });
    const rawUrl = VECTOR.url.slice('http://127.0.0.1:18443'.length);
    const secret = (ak: string) => (ak === VECTOR.ak ? VECTOR.sk : undefined);
    const input = { method: 'GET', rawUrl, headers, body: Buffer.alloc(0) };
    expect(verifyRequest(input, secret, vectorDate)).toEqual({ ok: true, ak: 'EXAMPLEAK' });
    expect(verifyRequest({ ...input, method: 'DELETE' }, secret, vectorDate).ok).toBe(false);
    expect(
      verifyRequest({ ...input, rawUrl: rawUrl.replace('egress', 'ingress') }, secret, vectorDate)
        .ok,
    ).toBe(false);
    expect(verifyRequest({ ...input, body: Buffer.from('{}') }, secret, vectorDate).ok).toBe(false);
    expect(
      verifyRequest(
        { ...input, headers: { ...headers, 'x-project-id': 'f'.repeat(32) } },
        secret,
        vectorDate,
      ).ok,
    ).toBe(false);
  });

  it('encodes strictly: only RFC 3986 unreserved characters stay', () => {
    expect(strictEncode("a-b_c.d~e!'()* /%{}")).toBe('a-b_c.d~e%21%27%28%29%2A%20%2F%25%7B%7D');
  });

  it('sorts keys and the values of repeated keys as strings', () => {
    // The SDK sends priority=1&priority=10&priority=9 (JS default sort), docs/cloud-api.md, "VPC: security groups and rules".
    expect(
      canonicalQuery([
        ['priority', '9'],
        ['name', 'b c'],
        ['priority', '1'],
        ['priority', '10'],
        ['name', 'a'],
      ]),
    ).toBe('name=a&name=b%20c&priority=1&priority=10&priority=9');
  });

  it('re-encodes the wire path and appends a trailing slash', () => {
    expect(canonicalUri('/v3/%7Bproject_id%7D/vpc/security-groups')).toBe(
      '/v3/%257Bproject_id%257D/vpc/security-groups/',
    );
    expect(canonicalUri('/')).toBe('/');
  });

  it('formats X-Sdk-Date as YYYYMMDDTHHmmssZ in UTC', () => {
    expect(formatSdkDate(new Date('2024-01-02T03:04:05.678Z'))).toBe('20240102T030405Z');
  });
});
