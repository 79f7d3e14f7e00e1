import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { SANDBOX_CREDENTIALS, type SandboxKeyPair } from './credentials.js';
import { demoWorld } from './demo-world.js';
import { dispatch, type GatewayEnv, type GatewayRequest } from './dispatch.js';
import { FaultInjector } from './faults.js';
import {
  Federation,
  redactIdToken,
  type FederationHandle,
  type FederationOptions,
} from './federation.js';
import { errorBody, gatewayFail } from './http/api-failure.js';
import { Query } from './http/query.js';
import type { Route, Router } from './http/router.js';
import { newRequestId } from './ids.js';
import { newLogEntry, type RequestLogEntry } from './request-log.js';
import { send, sendFault } from './respond.js';
import { createRouter } from './routes/index.js';
import { parseQueryPairs } from './signing.js';
import type { World } from './world.js';

export interface SandboxOptions {
  /** 0 or undefined: a random free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default: demoWorld(). The sandbox mutates this object in place. */
  world?: World;
  /** Accepted key pairs; default [SANDBOX_CREDENTIALS]. */
  credentials?: SandboxKeyPair[];
  /** Clock for the X-Sdk-Date skew check and for timestamps of created objects. */
  now?: () => Date;
  /** Routes served besides the built-in ones (routes/index.ts). */
  routes?: readonly Route[];
  /** Keyless credentials: OIDC identity provider, temporary credentials, metadata service. */
  federation?: FederationOptions;
}

export interface SandboxHandle {
  /** `http://host:port`; one server answers the CCE, VPC and IAM paths (they do not overlap). */
  url: string;
  port: number;
  /** Live state; assigning a new world swaps it for later requests. */
  world: World;
  /** Every request, also refused ones, in arrival order. */
  log: RequestLogEntry[];
  faults: FaultInjector;
  /** Issues ID tokens; lists the temporary credentials handed out; sets their lifetime. */
  federation: FederationHandle;
  clearLog(): void;
  close(): Promise<void>;
}

/** Bodies over this are refused like the gateway does (docs/cloud-api.md, "Errors": 12 MB). */
const MAX_BODY_BYTES = 12 * 1024 * 1024;

export async function startSandbox(opts: SandboxOptions = {}): Promise<SandboxHandle> {
  const state = { world: opts.world ?? demoWorld() };
  const log: RequestLogEntry[] = [];
  const faults = new FaultInjector();
  const router = createRouter(opts.routes);
  const secrets = new Map((opts.credentials ?? [SANDBOX_CREDENTIALS]).map((c) => [c.ak, c.sk]));
  const now = opts.now ?? (() => new Date());
  const federation = new Federation(opts.federation, now);
  const env: GatewayEnv = {
    get world() {
      return state.world;
    },
    secretFor: (ak) => secrets.get(ak) ?? federation.secretFor(ak),
    federation,
  };

  const server = createServer((req, res) => {
    void serve(req, res, { router, faults, log, env, now }).catch((err: unknown) => {
      // A bug in the sandbox itself: answer 500 rather than hang the client.
      if (!res.headersSent) {
        res.writeHead(500, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ error_msg: String(err), error_code: 'SANDBOX.0500' }));
      }
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    get world() {
      return state.world;
    },
    set world(w: World) {
      state.world = w;
    },
    log,
    faults,
    federation,
    clearLog() {
      log.length = 0;
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

interface Pipeline {
  router: Router;
  faults: FaultInjector;
  log: RequestLogEntry[];
  env: GatewayEnv;
  now: () => Date;
}

/**
 * One request: log it, read body and query, let fault injection decide, then either answer
 * with the fault or run the gateway checks and the handler (dispatch.ts).
 */
async function serve(req: IncomingMessage, res: ServerResponse, p: Pipeline): Promise<void> {
  const arrived = p.now();
  const method = (req.method ?? 'GET').toUpperCase();
  const rawUrl = req.url ?? '/';
  const qAt = rawUrl.indexOf('?');
  const path = qAt < 0 ? rawUrl : rawUrl.slice(0, qAt);
  const entry = newLogEntry(method, path, newRequestId(), arrived, req.headers);
  p.log.push(entry);

  const raw = await readBody(req);
  if (raw === 'too-large') {
    const f = gatewayFail(413, 'APIGW.0201', 'Request entity too large');
    entry.errorCode = f.code;
    return send(res, entry, { status: 413, body: errorBody(f, entry.requestId) });
  }
  const body = parseBody(raw.toString('utf8'));
  entry.body = redactIdToken(path, body);

  let query: Query;
  try {
    query = new Query(parseQueryPairs(qAt < 0 ? '' : rawUrl.slice(qAt + 1)));
    entry.query = query.toRecord();
  } catch {
    const f = gatewayFail(400, 'APIGW.0201', 'Bad request: malformed query string');
    entry.errorCode = f.code;
    return send(res, entry, { status: 400, body: errorBody(f, entry.requestId) });
  }

  let match: GatewayRequest['match'];
  try {
    match = p.router.match(method, path);
  } catch {
    match = 'malformed';
  }
  const operation = typeof match === 'object' ? match.route.operation : undefined;
  if (operation) entry.operation = operation;

  const decision = p.faults.decide(method, path, operation);
  if (decision.latencyMs > 0) await sleep(decision.latencyMs);
  if (decision.action && decision.when === 'before') {
    return sendFault(res, entry, decision.action, rawUrl);
  }
  const gatewayRequest: GatewayRequest = {
    method,
    rawUrl,
    headers: req.headers,
    raw,
    body,
    query,
    match,
    at: arrived,
    paging: decision.paging,
  };
  const reply = dispatch(gatewayRequest, p.env, entry);
  if (decision.action) return sendFault(res, entry, decision.action, rawUrl, reply);
  return send(res, entry, reply);
}

function readBody(req: IncomingMessage): Promise<Buffer | 'too-large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(c);
    });
    req.on('end', () => resolve(tooLarge ? 'too-large' : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function parseBody(text: string): unknown {
  if (text === '') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
