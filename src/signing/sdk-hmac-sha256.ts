import { createHash, createHmac } from 'node:crypto';

/**
 * SDK-HMAC-SHA256, exactly as the Node SDK core 3.1.211 signs (docs/cloud-api.md, "Signing"):
 * every header present at signing time is signed, the canonical URI gets a trailing slash, query
 * keys and the values of a repeated key are sorted, and the key is the SK itself (no derivation).
 * A neutral module on purpose: the client (src/cloud) signs the few calls it makes without the
 * SDK with it, and the sandbox (src/sandbox) verifies every request with it, the SDK's own
 * requests included. Neither imports the other; a difference from the SDK fails the sandbox's
 * signature tests.
 */

export const SIGNING_ALGORITHM = 'SDK-HMAC-SHA256';
export const EMPTY_BODY_SHA256 = createHash('sha256').update('').digest('hex');
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

export interface RequestToSign {
  method: string;
  /** Absolute URL; its `host[:port]` is signed as `host`. */
  url: string;
  /** Headers to send and sign (names in any case). */
  headers?: Readonly<Record<string, string>>;
  /** Exact body bytes; none for a GET. */
  body?: string | Buffer;
}

export interface SigningKey {
  ak: string;
  sk: string;
}

export interface SigningSteps {
  canonicalRequest: string;
  stringToSign: string;
  signature: string;
  /** Every header to send: the given ones (lowercased), host, x-sdk-date and authorization. */
  headers: Record<string, string>;
}

/** Signs a request; the intermediate strings are returned so they can be checked in tests. */
export function signRequest(req: RequestToSign, key: SigningKey, date = new Date()): SigningSteps {
  const url = new URL(req.url);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers ?? {})) headers[k.toLowerCase()] = v;
  headers['host'] ??= url.host;
  headers['x-sdk-date'] ??= formatSdkDate(date);
  const rawQuery = url.search.startsWith('?') ? url.search.slice(1) : url.search;
  const body = req.body ?? '';
  const payloadHash =
    headers['x-sdk-content-sha256'] ?? (body.length === 0 ? EMPTY_BODY_SHA256 : sha256Hex(body));
  const signedHeaders = Object.keys(headers).sort();
  const canonical = canonicalRequest({
    method: req.method,
    wirePath: url.pathname,
    queryPairs: parseQueryPairs(rawQuery),
    headers,
    signedHeaders,
    payloadHash,
  });
  const toSign = stringToSign(headers['x-sdk-date'], canonical);
  const signature = hmacHex(key.sk, toSign);
  headers['authorization'] =
    `${SIGNING_ALGORITHM} Access=${key.ak}, SignedHeaders=${signedHeaders.join(';')}, Signature=${signature}`;
  return { canonicalRequest: canonical, stringToSign: toSign, signature, headers };
}
