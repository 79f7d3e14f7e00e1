/**
 * Small, bounded HTTP for the calls cce-harden makes without an SDK: IAM (project look-up, OIDC
 * token exchange) and the instance metadata service. One deadline per whole call, a size cap, an
 * optional connect timeout, and no redirects (Node's http never follows them).
 */
import http from 'node:http';
import https from 'node:https';

/** Answers of IAM and the metadata service are small: anything larger is refused. */
export const MAX_ANSWER_BYTES = 1024 * 1024;

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: unknown;
  requestId: string | undefined;
}

/** The request failed before a complete answer arrived (connection, deadline, size). */
export class TransportError extends Error {}

export function request(
  url: URL,
  opts: {
    method: 'GET' | 'POST';
    headers: Record<string, string>;
    body?: string;
    timeoutMs: number;
    connectTimeoutMs?: number;
  },
): Promise<Answer> {
  const lib = url.protocol === 'https:' ? https : url.protocol === 'http:' ? http : undefined;
  if (!lib) return Promise.reject(new TransportError(`unsupported URL scheme ${url.protocol}`));
  return new Promise((resolve, reject) => {
    let connectTimer: NodeJS.Timeout | undefined;
    const req = lib.request(
      url,
      {
        method: opts.method,
        headers: {
          ...opts.headers,
          ...(opts.body === undefined ? {} : { 'content-length': Buffer.byteLength(opts.body) }),
        },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_ANSWER_BYTES) {
            req.destroy(new TransportError(`the answer is larger than ${MAX_ANSWER_BYTES} bytes`));
            return;
          }
          chunks.push(c);
        });
        res.on('error', (err) =>
          reject(err instanceof TransportError ? err : new TransportError(err.message)),
        );
        res.on('end', () => {
          clearTimeout(deadline);
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = text;
          try {
            body = text === '' ? null : (JSON.parse(text) as unknown);
          } catch {
            // Kept as text: the caller reports an answer that is not JSON.
          }
          const rid = res.headers['x-request-id'];
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body,
            requestId: Array.isArray(rid) ? rid[0] : rid,
          });
        });
      },
    );
    if (opts.connectTimeoutMs !== undefined) {
      const ms = opts.connectTimeoutMs;
      connectTimer = setTimeout(
        () => req.destroy(new TransportError(`no connection within ${ms} ms`)),
        ms,
      );
      req.on('socket', (socket) => {
        socket.once('connect', () => clearTimeout(connectTimer));
      });
    }
    // One deadline for the whole exchange, answer body included: a server that sends a byte now
    // and then cannot hold the run (an idle timeout would restart on every byte).
    const deadline = setTimeout(
      () => req.destroy(new TransportError(`no complete answer within ${opts.timeoutMs} ms`)),
      opts.timeoutMs,
    );
    req.on('error', (err) => {
      clearTimeout(connectTimer);
      clearTimeout(deadline);
      reject(err instanceof TransportError ? err : new TransportError(err.message));
    });
    req.on('close', () => {
      clearTimeout(connectTimer);
      clearTimeout(deadline);
    });
    req.end(opts.body);
  });
}

/** For messages: printable, one line, bounded. Cloud answers are untrusted. */
export function printable(text: string, max = 300): string {
  // eslint-disable-next-line no-control-regex -- stripping control characters is the point
  const flat = text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}...` : flat;
}

/** Error code and message from the gateway's (`error_code`/`error_msg`) or Keystone's (`error`) body. */
export function errorOf(body: unknown): { code?: string; message?: string } {
  if (typeof body !== 'object' || body === null) return {};
  const b = body as {
    error_code?: unknown;
    error_msg?: unknown;
    error?: { code?: unknown; message?: unknown };
  };
  const code = b.error_code ?? b.error?.code;
  const message = b.error_msg ?? b.error?.message;
  return {
    ...(typeof code === 'string' || typeof code === 'number'
      ? { code: printable(String(code), 40) }
      : {}),
    ...(typeof message === 'string' ? { message: printable(message) } : {}),
  };
}
