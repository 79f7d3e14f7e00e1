import { createRequire } from 'node:module';

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
 * - A bound on the answer's size.
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
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, opts.deadlineMs);
    try {
      return await inner({ ...config, signal: controller.signal, maxRedirects: 0 });
    } catch (err: any) {
      if (timedOut) {
        throw new axios.AxiosError(
          `timeout: no complete answer within ${opts.deadlineMs} ms`,
          'ETIMEDOUT',
          config,
        );
      }
      const res = err?.response;
      if (res && typeof res.status === 'number') {
        if (res.status >= 300 && res.status < 400) {
          const location = res.headers?.location;
          res.data = {
            error_msg:
              location === undefined
                ? `the endpoint answered HTTP ${res.status} (a redirect) without a Location; redirects are never followed`
                : `the endpoint redirects to ${hostOf(location, url)}; redirects are never followed, so no credentials went there`,
          };
        } else {
          res.data = normalizeErrorBody(res.data, res.headers);
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
    maxContentLength: maxBody,
    maxBodyLength: maxBody,
    // Also the idle timeout of axios itself: a silent socket fails no later than the deadline.
    timeout: opts.deadlineMs,
  };
}
