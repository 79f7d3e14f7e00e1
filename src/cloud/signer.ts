import { createHash, createHmac } from 'node:crypto';

/**
 * SDK-HMAC-SHA256 request signing for the few calls made without the SDK (the read-only IAM
 * project look-up), done exactly as the Node SDK core 3.1.211 does it (reference §6): every header
 * present at signing time is signed, the canonical URI gets a trailing slash, query keys and the
 * values of a repeated key are sorted, and the key is the SK itself (no derivation).
 */

export const SIGNING_ALGORITHM = 'SDK-HMAC-SHA256';
const EMPTY_BODY_SHA256 = createHash('sha256').update('').digest('hex');

export interface RequestToSign {
  method: string;
  /** Absolute URL; its `host[:port]` is signed as `host`. */
  url: string;
  /** Headers to send and sign (names in any case). */
  headers?: Readonly<Record<string, string>>;
  /** Exact body bytes; none for a GET. */
  body?: string;
}

export interface SigningKey {
  ak: string;
  sk: string;
}

/** RFC 3986 unreserved characters stay; everything else becomes %XX (uppercase hex, UTF-8). */
function strictEncode(s: string): string {
  return encodeURIComponent(s).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** `YYYYMMDDTHHmmssZ` in UTC. */
export function formatSdkDate(d: Date): string {
  return d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

function canonicalUri(pathname: string): string {
  // Each wire segment is encoded again (the SDK does the same), then a trailing slash is added.
  const joined = pathname.split('/').map(strictEncode).join('/');
  return joined.endsWith('/') ? joined : `${joined}/`;
}

function canonicalQuery(params: URLSearchParams): string {
  const byKey = new Map<string, string[]>();
  for (const [k, v] of params) byKey.set(k, [...(byKey.get(k) ?? []), v]);
  const out: string[] = [];
  for (const k of [...byKey.keys()].sort()) {
    for (const v of (byKey.get(k) ?? []).sort()) out.push(`${strictEncode(k)}=${strictEncode(v)}`);
  }
  return out.join('&');
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
  headers['x-sdk-date'] ??= formatSdkDate(date);
  headers['host'] ??= url.host;
  const names = Object.keys(headers).sort();
  const body = req.body ?? '';
  const payloadHash =
    headers['x-sdk-content-sha256'] ??
    (body === '' ? EMPTY_BODY_SHA256 : createHash('sha256').update(body).digest('hex'));
  const canonicalRequest = [
    req.method.toUpperCase(),
    canonicalUri(url.pathname),
    canonicalQuery(url.searchParams),
    names.map((n) => `${n}:${headers[n]}\n`).join(''),
    names.join(';'),
    payloadHash,
  ].join('\n');
  const stringToSign = [
    SIGNING_ALGORITHM,
    headers['x-sdk-date'],
    createHash('sha256').update(canonicalRequest).digest('hex'),
  ].join('\n');
  const signature = createHmac('sha256', key.sk).update(stringToSign).digest('hex');
  headers['authorization'] =
    `${SIGNING_ALGORITHM} Access=${key.ak}, SignedHeaders=${names.join(';')}, Signature=${signature}`;
  return { canonicalRequest, stringToSign, signature, headers };
}
