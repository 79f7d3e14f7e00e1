import { request } from 'node:http';
import { SANDBOX_CREDENTIALS, signRequest } from '../../src/sandbox/index.js';

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: unknown;
}

/** One HTTP request with exactly these headers and body (no client library in between). */
export function rawRequest(
  method: string,
  url: string,
  headers: Record<string, string>,
  body?: string,
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    // An explicit length: Node would otherwise send a GET body without any framing.
    const all =
      body === undefined
        ? headers
        : { ...headers, 'content-length': String(Buffer.byteLength(body)) };
    const req = request(url, { method, headers: all }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown = undefined;
        try {
          json = text === '' ? undefined : JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

export interface SignedOptions {
  method?: string;
  body?: string;
  ak?: string;
  sk?: string;
  projectId?: string | null;
  date?: Date;
  extraHeaders?: Record<string, string>;
}

/** Sign like the SDK (content-type, x-project-id, host, x-sdk-date) and send. */
export function signedRequest(url: string, o: SignedOptions = {}): Promise<RawResponse> {
  const method = o.method ?? 'GET';
  const headers: Record<string, string> = { 'content-type': 'application/json', ...o.extraHeaders };
  const projectId = o.projectId === undefined ? SANDBOX_CREDENTIALS.projectId : o.projectId;
  if (projectId !== null) headers['x-project-id'] = projectId;
  const signed = signRequest({
    method,
    url,
    headers,
    ...(o.body !== undefined ? { body: o.body } : {}),
    ak: o.ak ?? SANDBOX_CREDENTIALS.ak,
    sk: o.sk ?? SANDBOX_CREDENTIALS.sk,
    ...(o.date ? { date: o.date } : {}),
  });
  return rawRequest(method, url, signed, o.body);
}

export const PID = SANDBOX_CREDENTIALS.projectId;
