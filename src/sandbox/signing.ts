import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * SDK-HMAC-SHA256 as the Huawei Cloud API gateway checks it (reference §6). Both directions live
 * here: `verifyRequest` for the server, `signRequest` for tests that need to hand-craft requests
 * (a wrong SK, a tampered body, a stale date) that the SDK itself would never send.
 */

export const SIGNING_ALGORITHM = 'SDK-HMAC-SHA256';
export const EMPTY_BODY_SHA256 = createHash('sha256').update('').digest('hex');
/** The gateway refuses an X-Sdk-Date further than this from its clock. */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

/** RFC 3986 unreserved characters stay, everything else is %XX (uppercase, UTF-8). */
export function strictEncode(s: string): string {
  return encodeURIComponent(s).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/**
 * Canonical URI: each segment of the path *as sent on the wire* is encoded again, and a trailing
 * slash is added. Re-encoding the already-encoded path is what the SDK does, so `%7B` becomes
 * `%257B` on both sides.
 */
export function canonicalUri(wirePath: string): string {
  const joined = wirePath.split('/').map(strictEncode).join('/');
  return joined.endsWith('/') ? joined : `${joined}/`;
}

/** Decoded query pairs in wire order. `+` means space, as in form encoding. */
export function parseQueryPairs(rawQuery: string): [string, string][] {
  const pairs: [string, string][] = [];
  if (rawQuery === '') return pairs;
  for (const part of rawQuery.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const k = eq < 0 ? part : part.slice(0, eq);
    const v = eq < 0 ? '' : part.slice(eq + 1);
    pairs.push([decodeQueryComponent(k), decodeQueryComponent(v)]);
  }
  return pairs;
}

function decodeQueryComponent(s: string): string {
  // Throws URIError on malformed escapes; the server turns that into a 400.
  return decodeURIComponent(s.replace(/\+/g, ' '));
}

/** Keys sorted, values of a repeated key sorted, both strictly encoded (JS default sort). */
export function canonicalQuery(pairs: readonly [string, string][]): string {
  const byKey = new Map<string, string[]>();
  for (const [k, v] of pairs) {
    const list = byKey.get(k);
    if (list) list.push(v);
    else byKey.set(k, [v]);
  }
  const out: string[] = [];
  for (const k of [...byKey.keys()].sort()) {
    for (const v of (byKey.get(k) ?? []).sort()) out.push(`${strictEncode(k)}=${strictEncode(v)}`);
  }
  return out.join('&');
}

export interface CanonicalParts {
  method: string;
  /** Path exactly as on the wire, without the query. */
  wirePath: string;
  queryPairs: readonly [string, string][];
  /** Lowercase header name -> value, for every signed header. */
  headers: Readonly<Record<string, string>>;
  signedHeaders: readonly string[];
  payloadHash: string;
}

export function canonicalRequest(p: CanonicalParts): string {
  const names = [...p.signedHeaders].sort();
  const headerLines = names.map((n) => `${n}:${p.headers[n] ?? ''}\n`).join('');
  return [
    p.method.toUpperCase(),
    canonicalUri(p.wirePath),
    canonicalQuery(p.queryPairs),
    headerLines,
    names.join(';'),
    p.payloadHash,
  ].join('\n');
}

export function stringToSign(sdkDate: string, canonical: string): string {
  return [SIGNING_ALGORITHM, sdkDate, sha256Hex(canonical)].join('\n');
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export function hmacHex(key: string, data: string): string {
  return createHmac('sha256', key).update(data).digest('hex');
}

/** `YYYYMMDDTHHmmssZ` in UTC, the X-Sdk-Date format. */
export function formatSdkDate(d: Date): string {
  return d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

export function parseSdkDate(s: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, se] = m;
  const t = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(se));
  return Number.isNaN(t) ? undefined : new Date(t);
}

export interface SignInput {
  method: string;
  /** Absolute URL (`http://host:port/path?query`); its host is signed as `host`. */
  url: string;
  /** Extra headers to sign (e.g. content-type, x-project-id, x-security-token). */
  headers?: Record<string, string>;
  body?: string | Buffer;
  ak: string;
  sk: string;
  date?: Date;
}

/**
 * Headers to send: the given ones plus `host`, `x-sdk-date` and `authorization`. Every header
 * passed in is signed, as the SDK signs every header present at signing time.
 */
export function signRequest(input: SignInput): Record<string, string> {
  const u = new URL(input.url);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(input.headers ?? {})) headers[k.toLowerCase()] = v;
  headers['host'] ??= u.host;
  headers['x-sdk-date'] ??= formatSdkDate(input.date ?? new Date());
  const rawQuery = u.search.startsWith('?') ? u.search.slice(1) : u.search;
  const body = input.body ?? '';
  const payloadHash =
    headers['x-sdk-content-sha256'] ?? (body.length === 0 ? EMPTY_BODY_SHA256 : sha256Hex(body));
  const signedHeaders = Object.keys(headers).sort();
  const canonical = canonicalRequest({
    method: input.method,
    wirePath: u.pathname,
    queryPairs: parseQueryPairs(rawQuery),
    headers,
    signedHeaders,
    payloadHash,
  });
  const signature = hmacHex(input.sk, stringToSign(headers['x-sdk-date'], canonical));
  headers['authorization'] =
    `${SIGNING_ALGORITHM} Access=${input.ak}, SignedHeaders=${signedHeaders.join(';')}, Signature=${signature}`;
  return headers;
}

export interface ParsedAuthorization {
  ak: string;
  signedHeaders: string[];
  signature: string;
}

export function parseAuthorization(value: string): ParsedAuthorization | undefined {
  const m =
    /^SDK-HMAC-SHA256\s+Access=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]{64})$/.exec(
      value.trim(),
    );
  if (!m) return undefined;
  return { ak: m[1] ?? '', signedHeaders: (m[2] ?? '').split(';'), signature: m[3] ?? '' };
}

export interface VerifyInput {
  method: string;
  /** `req.url` as received: the wire path plus the raw query. */
  rawUrl: string;
  /** Lowercase names (Node's `req.headers`). */
  headers: Readonly<Record<string, string | string[] | undefined>>;
  body: Buffer;
}

export type VerifyResult =
  { ok: true; ak: string; securityToken?: string } | { ok: false; reason: string };

/**
 * Checks a request the way the gateway does: known AK, x-sdk-date present, signed and within the
 * allowed skew, host signed, every signed header present, an optional security token signed and
 * non-empty, and an HMAC over the canonical request built from what was actually received.
 */
export function verifyRequest(
  input: VerifyInput,
  secretFor: (ak: string) => string | undefined,
  now: Date,
  maxSkewMs = MAX_CLOCK_SKEW_MS,
): VerifyResult {
  const auth = headerValue(input.headers, 'authorization');
  if (!auth) return { ok: false, reason: 'missing Authorization header' };
  const parsed = parseAuthorization(auth);
  if (!parsed) return { ok: false, reason: 'malformed Authorization header' };
  const sk = secretFor(parsed.ak);
  if (sk === undefined) return { ok: false, reason: `unknown access key ${parsed.ak}` };
  const signed = parsed.signedHeaders;
  if (signed.some((h) => h !== h.toLowerCase())) {
    return { ok: false, reason: 'SignedHeaders must be lowercase' };
  }
  for (const required of ['host', 'x-sdk-date']) {
    if (!signed.includes(required)) return { ok: false, reason: `${required} is not signed` };
  }
  const headers: Record<string, string> = {};
  for (const name of signed) {
    const v = headerValue(input.headers, name);
    if (v === undefined) return { ok: false, reason: `signed header ${name} is missing` };
    headers[name] = v;
  }
  const sdkDate = headers['x-sdk-date'] ?? '';
  const date = parseSdkDate(sdkDate);
  if (!date) return { ok: false, reason: `malformed X-Sdk-Date ${sdkDate}` };
  if (Math.abs(now.getTime() - date.getTime()) > maxSkewMs) {
    return { ok: false, reason: `X-Sdk-Date ${sdkDate} is more than 15 minutes off` };
  }
  const token = headerValue(input.headers, 'x-security-token');
  if (token !== undefined && (token === '' || !signed.includes('x-security-token'))) {
    return { ok: false, reason: 'X-Security-Token must be non-empty and signed' };
  }
  const q = input.rawUrl.indexOf('?');
  const wirePath = q < 0 ? input.rawUrl : input.rawUrl.slice(0, q);
  const rawQuery = q < 0 ? '' : input.rawUrl.slice(q + 1);
  const payloadHash =
    headers['x-sdk-content-sha256'] ??
    (input.body.length === 0 ? EMPTY_BODY_SHA256 : sha256Hex(input.body));
  let canonical: string;
  try {
    canonical = canonicalRequest({
      method: input.method,
      wirePath,
      queryPairs: parseQueryPairs(rawQuery),
      headers,
      signedHeaders: signed,
      payloadHash,
    });
  } catch {
    return { ok: false, reason: 'malformed percent-encoding in the URL' };
  }
  const expected = Buffer.from(hmacHex(sk, stringToSign(sdkDate, canonical)), 'hex');
  const given = Buffer.from(parsed.signature, 'hex');
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    return { ok: false, reason: 'signature mismatch' };
  }
  return token === undefined
    ? { ok: true, ak: parsed.ak }
    : { ok: true, ak: parsed.ak, securityToken: token };
}

function headerValue(
  headers: Readonly<Record<string, string | string[] | undefined>>,
  name: string,
): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(',') : v;
}
