import { timingSafeEqual } from 'node:crypto';
import {
  EMPTY_BODY_SHA256,
  canonicalRequest,
  hmacHex,
  parseQueryPairs,
  sha256Hex,
  signRequest as signWithSteps,
  stringToSign,
} from '../signing/sdk-hmac-sha256.js';

/**
 * The gateway's side of SDK-HMAC-SHA256 (docs/cloud-api.md, "Signing"): `verifyRequest` checks what the server
 * received; the canonical form itself is the shared one (src/signing), so client and server
 * cannot drift apart. `signRequest` here lets tests hand-craft requests (a wrong SK, a tampered
 * body, a stale date) that the SDK itself would never send.
 */

export {
  EMPTY_BODY_SHA256,
  SIGNING_ALGORITHM,
  canonicalQuery,
  canonicalRequest,
  canonicalUri,
  formatSdkDate,
  hmacHex,
  parseQueryPairs,
  sha256Hex,
  strictEncode,
  stringToSign,
  type CanonicalParts,
} from '../signing/sdk-hmac-sha256.js';

/** The gateway refuses an X-Sdk-Date further than this from its clock. */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

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

/** Headers to send: the given ones plus `host`, `x-sdk-date` and `authorization`, all signed. */
export function signRequest(input: SignInput): Record<string, string> {
  const { ak, sk, date, ...req } = input;
  return signWithSteps(req, { ak, sk }, date).headers;
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
