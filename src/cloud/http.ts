import { Buffer } from 'node:buffer';
import { createRequire } from 'node:module';
import { StringDecoder } from 'node:string_decoder';
import type { AnswerReader, AnswerReading } from './answer-text.js';

/**
 * The HTTP rules every SDK call follows, as an axios adapter wrapped around axios's own Node
 * adapter (the SDK sends through axios; docs/cloud-api.md, "SDK behaviour"):
 *
 * - One deadline for the whole call: connecting, sending, the status line and the whole body.
 *   axios's `timeout` is a socket idle timeout, restarted by every byte, so a server that drips one
 *   byte every half second never times out with it alone.
 * - Never a redirect: a 3xx answer is an error that names the Location host. Nothing is re-sent,
 *   so the signature and X-Security-Token go nowhere but the configured endpoint. A request whose
 *   URL is not on the configured endpoint's origin is refused before it is sent.
 * - A bound on the answer's size, read by this adapter itself (not kept by axios afterwards).
 * - The cloud's own error text: CCE answers `{"errorCode","errorMessage"}` (camelCase, reference
 *   §2.6), which the SDK does not read; older VPC answers `{"code","message"}`. They are copied to
 *   the snake_case fields the SDK does read, so its exception carries the code and message. A
 *   `request_id` in the body stands in for a missing X-Request-Id header.
 */

export interface HttpGuardOptions {
  /** The one origin requests may go to (the client's endpoint). */
  endpoint: string;
  /** Deadline for one whole call, in ms. */
  deadlineMs: number;
  /** Largest answer body accepted, in bytes. */
  maxBodyBytes?: number;
}

/**
 * The axios request config key of a call whose 2xx answer is read as it arrives by an
 * `AnswerReading` (answer-text.ts) instead of being collected whole.
 */
export const ANSWER_READING = 'cceHardenAnswerReading';

/** Answers larger than this are refused (a ListClusters page of a big account is far smaller). */
export const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;

/* eslint-disable @typescript-eslint/no-explicit-any -- axios's config and error objects, which
   the SDK passes through untyped. */
type AxiosConfig = any;
type Adapter = (config: AxiosConfig) => Promise<any>;

const require = createRequire(import.meta.url);

interface AxiosModule {
  getAdapter(name: string): Adapter;
  AxiosError: new (
    message: string,
    code?: string,
    config?: AxiosConfig,
    request?: unknown,
    response?: unknown,
  ) => Error;
}

function axiosModule(): AxiosModule {
  // The copy the SDK uses (it requires 'axios' itself); loaded with the SDK, never for --help.
  const mod = require('axios') as { default?: AxiosModule } & AxiosModule;
  return mod.default ?? mod;
}

function requestUrl(config: AxiosConfig): URL | undefined {
  try {
    const base = typeof config.baseURL === 'string' ? config.baseURL : undefined;
    const url = String(config.url ?? '');
    return /^https?:\/\//i.test(url) ? new URL(url) : new URL(base ? base + url : url);
  } catch {
    return undefined;
  }
}

function hostOf(location: unknown, base: URL | undefined): string {
  try {
    return new URL(String(location), base).host || String(location);
  } catch {
    return String(location).slice(0, 100);
  }
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined;
}

/**
 * Copies the error code, message and request id of every documented error body shape into the
 * fields the SDK's ExceptionUtil reads (`error_code`, `error_msg`), and the request id into the
 * header it reads. Exported for tests.
 */
export function normalizeErrorBody(
  data: unknown,
  headers: Record<string, unknown> | undefined,
): unknown {
  // Inside the adapter the body is still text: axios parses JSON after it.
  if (typeof data === 'string') {
    try {
      data = JSON.parse(data) as unknown;
    } catch {
      // Not JSON: kept as text below.
    }
  }
  const out: Record<string, unknown> =
    typeof data === 'object' && data !== null && !Array.isArray(data)
      ? { ...(data as Record<string, unknown>) }
      : {};
  if (typeof data === 'string' && data.trim() !== '') {
    // Not JSON (an HTML error page from a proxy): a short excerpt says what answered.
    const text = data
      .replace(/<[^>]*>/g, ' ')
      .replace(/\s+/g, ' ')
      .trim();
    out.error_msg = `the answer is not JSON: ${text.slice(0, 200)}${text.length > 200 ? '...' : ''}`;
  }
  const nested = (out.error ?? {}) as Record<string, unknown>;
  const code =
    str(out.error_code) ?? str(nested.code) ?? str(out.errorCode) ?? str(out.code) ?? undefined;
  const message =
    str(out.error_msg) ??
    str(nested.message) ??
    str(out.errorMessage) ??
    str(out.error_message) ??
    str(out.message);
  if (code !== undefined && out.error_code === undefined && nested.code === undefined)
    out.error_code = code;
  if (message !== undefined && out.error_msg === undefined && nested.message === undefined)
    out.error_msg = message;
  const requestId = str(out.request_id) ?? str(out.requestId);
  if (headers && requestId && !str(headers['x-request-id'])) {
    headers['x-request-id'] = requestId;
  }
  return out;
}

/** A Node readable stream (what axios hands over for `responseType: 'stream'`). */
interface BodyStream extends AsyncIterable<Buffer | string> {
  destroy(err?: Error): void;
}

function isStream(value: unknown): value is BodyStream {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as BodyStream).destroy === 'function' &&
    Symbol.asyncIterator in value
  );
}

function discard(value: unknown): void {
  if (isStream(value)) value.destroy();
}

/**
 * Passes a body's bytes to `take` as they arrive; more than `max` bytes destroys the stream and
 * throws `tooLarge()`.
 */
async function readChunks(
  body: unknown,
  max: number,
  tooLarge: () => Error,
  take: (bytes: Buffer) => void,
): Promise<void> {
  if (!isStream(body)) return;
  let total = 0;
  for await (const chunk of body) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    total += bytes.length;
    if (total > max) {
      body.destroy();
      throw tooLarge();
    }
    take(bytes);
  }
}

/** A whole body's bytes (at most `max`). */
async function readBody(body: unknown, max: number, tooLarge: () => Error): Promise<Buffer> {
  const chunks: Buffer[] = [];
  await readChunks(body, max, tooLarge, (bytes) => chunks.push(bytes));
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

/**
 * Feeds a body (at most `max` bytes) to `reader` as its text arrives: UTF-8 without a BOM, as
 * axios decodes it.
 */
async function readBodyInto(
  body: unknown,
  max: number,
  tooLarge: () => Error,
  reader: AnswerReader,
): Promise<unknown> {
  const decoder = new StringDecoder('utf8');
  let first = true;
  const write = (text: string) => {
    if (first && text !== '') {
      first = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    reader.write(text);
  };
  await readChunks(body, max, tooLarge, (bytes) => write(decoder.write(bytes)));
  write(decoder.end());
  return reader.end();
}

/** The body as axios itself would have left it: text without a UTF-8 BOM, or the bytes. */
function decodeBody(bytes: Buffer, responseType: unknown, encoding: unknown): Buffer | string {
  if (responseType === 'arraybuffer') return bytes;
  const enc = typeof encoding === 'string' && Buffer.isEncoding(encoding) ? encoding : 'utf8';
  const text = bytes.toString(enc);
  return enc === 'utf8' && text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/** axios request config for an SDK client: pass it as `axiosRequestConfig`. */
export function guardedAxiosConfig(opts: HttpGuardOptions): Record<string, unknown> {
  const axios = axiosModule();
  const inner = axios.getAdapter('http');
  const allowed = new URL(opts.endpoint);
  const maxBody = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;

  const adapter: Adapter = async (config) => {
    const url = requestUrl(config);
    if (!url || url.origin !== allowed.origin) {
      // Never sign anything for another host (the SDK's endpoint failover would; docs/cloud-api.md,
      // "SDK behaviour").
      throw new axios.AxiosError(
        `refused to send a request to ${url?.host ?? 'an unreadable URL'}: only ${allowed.host} is configured`,
        'ERR_CCE_HARDEN_HOST',
        config,
      );
    }
    const controller = new AbortController();
    let timedOut = false;
    // The body being read: the deadline ends it too (axios stops watching the abort signal once
    // it has handed a response over).
    let body: unknown;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
      discard(body);
    }, opts.deadlineMs);
    const timeout = () =>
      new axios.AxiosError(
        `timeout: no complete answer within ${opts.deadlineMs} ms`,
        'ETIMEDOUT',
        config,
      );
    const tooLarge = () =>
      new axios.AxiosError(
        `the answer is larger than ${maxBody} bytes; refused (answer size limit)`,
        'ERR_CCE_HARDEN_TOO_LARGE',
        config,
      );
    try {
      // The body is read here, not by axios: axios keeps its chunks, and the answer object it
      // settled with, reachable from the keep-alive socket until the socket's next request (one
      // large answer per idle socket). So the answer read is put on a copy of that object.
      const response = await inner({
        ...config,
        signal: controller.signal,
        maxRedirects: 0,
        maxContentLength: -1,
        responseType: 'stream',
      });
      body = response.data;
      const reading: unknown = config[ANSWER_READING];
      if (typeof reading === 'function') {
        const reader = (reading as AnswerReading)();
        return { ...response, data: await readBodyInto(response.data, maxBody, tooLarge, reader) };
      }
      if (config.responseType === 'stream') return response;
      const bytes = await readBody(response.data, maxBody, tooLarge);
      return {
        ...response,
        data: decodeBody(bytes, config.responseType, config.responseEncoding),
      };
    } catch (err: any) {
      if (timedOut) {
        throw timeout();
      }
      const res = err?.response;
      if (res && typeof res.status === 'number') {
        if (res.status >= 300 && res.status < 400) {
          discard(res.data);
          const location = res.headers?.location;
          res.data = {
            error_msg:
              location === undefined
                ? `the endpoint answered HTTP ${res.status} (a redirect) without a Location; redirects are never followed`
                : `the endpoint redirects to ${hostOf(location, url)}; redirects are never followed, so no credentials went there`,
          };
        } else {
          // The error answer's body is read within the same deadline.
          body = res.data;
          const bytes = isStream(body)
            ? await readBody(body, maxBody, tooLarge).catch((readErr: unknown) => {
                throw timedOut ? timeout() : readErr;
              })
            : undefined;
          res.data = normalizeErrorBody(
            bytes ? decodeBody(bytes, 'text', undefined) : res.data,
            res.headers,
          );
        }
      }
      throw err;
    } finally {
      clearTimeout(timer);
    }
  };

  return {
    adapter,
    maxRedirects: 0,
    maxBodyLength: maxBody,
    // Also the idle timeout of axios itself: a silent socket fails no later than the deadline.
    timeout: opts.deadlineMs,
  };
}
