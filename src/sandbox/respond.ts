import type { ServerResponse } from 'node:http';
import type { GatewayReply } from './dispatch.js';
import type { FaultAction } from './faults.js';
import { errorBody, gatewayFail, THROTTLED_MESSAGE } from './http/api-failure.js';
import type { RequestLogEntry } from './request-log.js';

/**
 * Writing answers: the normal JSON reply, and the answers fault injection puts in its place.
 * Every answer carries X-Request-Id, as the gateway's do (docs/cloud-api.md, "Errors").
 */
export function send(res: ServerResponse, entry: RequestLogEntry, reply: GatewayReply): void {
  entry.status = reply.status;
  res.writeHead(reply.status, headersFor(entry, reply));
  res.end(reply.body === undefined ? undefined : JSON.stringify(reply.body));
}

function headersFor(entry: RequestLogEntry, reply: GatewayReply): Record<string, string> {
  const headers: Record<string, string> = {
    ...reply.headers,
    'Content-Type': 'application/json',
    'X-Request-Id': entry.requestId,
  };
  // Not sent by the real gateway; tells a developer why a signature was refused.
  if (reply.detail) headers['X-Sandbox-Auth-Failure'] = reply.detail;
  return headers;
}

/**
 * Answer with a fault instead of (`before`) or in place of (`after`) the real reply, which is
 * given when the request was processed. Resolves when the answer is fully written.
 */
export async function sendFault(
  res: ServerResponse,
  entry: RequestLogEntry,
  action: FaultAction,
  rawUrl: string,
  real?: GatewayReply,
): Promise<void> {
  entry.fault = action.kind;
  switch (action.kind) {
    case 'drop':
      entry.status = 0;
      res.socket?.destroy();
      return;
    case 'throttle':
      if (action.flavor === 'cce') {
        entry.errorCode = 'CCE.02429001';
        send(res, entry, {
          status: 429,
          body: {
            errorCode: 'CCE.02429001',
            errorMessage: 'The request is throttled, please try again later.',
          },
        });
      } else {
        const f = gatewayFail(429, 'APIGW.0308', THROTTLED_MESSAGE);
        entry.errorCode = f.code;
        send(res, entry, { status: 429, body: errorBody(f, entry.requestId) });
      }
      return;
    case 'server-error': {
      const b = action.body;
      const withId =
        typeof b === 'object' && b !== null && !Array.isArray(b)
          ? { ...b, request_id: entry.requestId }
          : b;
      const code = (b as { error_code?: unknown } | null)?.error_code;
      if (typeof code === 'string') entry.errorCode = code;
      send(res, entry, { status: action.status, body: withId });
      return;
    }
    case 'malformed':
      sendText(res, entry, 200, 'application/json', action.text);
      return;
    case 'garbage':
      sendGarbage(res, entry, action.garbage, real);
      return;
    case 'redirect': {
      entry.status = action.status;
      const location = action.keepPath ? `${action.to.replace(/\/$/, '')}${rawUrl}` : action.to;
      res.writeHead(action.status, {
        Location: location,
        'Content-Type': 'text/html',
        'X-Request-Id': entry.requestId,
      });
      res.end(`<html><body>Moved: <a href="${location}">${location}</a></body></html>`);
      return;
    }
    case 'slow-drip':
      await drip(res, entry, real ?? { status: 200, body: {} }, action.intervalMs, action.bytes);
      return;
  }
}

function sendGarbage(
  res: ServerResponse,
  entry: RequestLogEntry,
  kind: Extract<FaultAction, { kind: 'garbage' }>['garbage'],
  real: GatewayReply | undefined,
): void {
  switch (kind) {
    case 'html':
      sendText(res, entry, 200, 'text/html', '<!DOCTYPE html><html><body>Login</body></html>');
      return;
    case 'empty':
      sendText(res, entry, 200, 'application/json', '');
      return;
    case 'empty-object':
      sendText(res, entry, 200, 'application/json', '{}');
      return;
    case 'empty-array':
      sendText(res, entry, 200, 'application/json', '[]');
      return;
    case 'truncated': {
      const text = JSON.stringify(real?.body ?? {});
      sendText(res, entry, 200, 'application/json', text.slice(0, Math.floor(text.length / 2)));
      return;
    }
  }
}

function sendText(
  res: ServerResponse,
  entry: RequestLogEntry,
  status: number,
  contentType: string,
  text: string,
): void {
  entry.status = status;
  res.writeHead(status, { 'Content-Type': contentType, 'X-Request-Id': entry.requestId });
  res.end(text);
}

/** The real answer, `bytes` at a time every `intervalMs`, until done or the client leaves. */
async function drip(
  res: ServerResponse,
  entry: RequestLogEntry,
  reply: GatewayReply,
  intervalMs: number,
  bytes: number,
): Promise<void> {
  const data = Buffer.from(reply.body === undefined ? '' : JSON.stringify(reply.body));
  entry.status = reply.status;
  res.writeHead(reply.status, {
    ...headersFor(entry, reply),
    'Content-Length': String(data.length),
  });
  res.flushHeaders();
  for (let i = 0; i < data.length; i += bytes) {
    if (res.destroyed || res.socket?.destroyed) return;
    res.write(data.subarray(i, i + bytes));
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  res.end();
}
