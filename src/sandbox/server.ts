import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { SANDBOX_CREDENTIALS, type SandboxKeyPair } from './credentials.js';
import { demoWorld } from './demo-world.js';
import { FaultInjector, type FaultAction } from './faults.js';
import {
  Federation,
  federationErrorBody,
  redactIdToken,
  type FederationHandle,
  type FederationOptions,
} from './federation.js';
import {
  ApiFailure,
  AUTH_FAILED_MESSAGE,
  errorBody,
  gatewayFail,
  THROTTLED_MESSAGE,
} from './http/api-failure.js';
import { Query } from './http/query.js';
import { Router, type Reply, type Route } from './http/router.js';
import { newRequestId } from './ids.js';
import type { RequestLogEntry } from './request-log.js';
import { clusterRoutes } from './routes/cce-clusters.js';
import { nodePoolRoutes } from './routes/cce-node-pools.js';
import { iamRoutes } from './routes/iam.js';
import { securityGroupRoutes } from './routes/vpc-security-groups.js';
import { ruleRoutes } from './routes/vpc-rules.js';
import { subInterfaceRoutes } from './routes/vpc-sub-interfaces.js';
import { parseQueryPairs, verifyRequest } from './signing.js';
import { lookup } from './world-index.js';
import type { World, WorldProject } from './world.js';

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

/** Bodies over this are refused like the gateway does (reference §5: 12 MB). */
const MAX_BODY_BYTES = 12 * 1024 * 1024;

const router = new Router().add(
  ...clusterRoutes,
  ...nodePoolRoutes,
  ...securityGroupRoutes,
  ...ruleRoutes,
  ...subInterfaceRoutes,
  ...iamRoutes,
);

/** A project that is never found: IAM routes act on the whole world, not on one project. */
const NO_PROJECT: WorldProject = {
  id: '',
  region: '',
  domainId: '',
  ruleQuotaPerGroup: 0,
  ruleQuotaOverrides: {},
  clusters: [],
  securityGroups: [],
  securityGroupRules: [],
  subNetworkInterfaces: [],
};

export async function startSandbox(opts: SandboxOptions = {}): Promise<SandboxHandle> {
  const state = { world: opts.world ?? demoWorld() };
  const log: RequestLogEntry[] = [];
  const faults = new FaultInjector();
  const secrets = new Map((opts.credentials ?? [SANDBOX_CREDENTIALS]).map((c) => [c.ak, c.sk]));
  const now = opts.now ?? (() => new Date());
  const federation = new Federation(opts.federation, now);

  const server = createServer((req, res) => {
    void serve(req, res).catch((err: unknown) => {
      // A bug in the sandbox itself: answer 500 rather than hang the client.
      if (!res.headersSent) {
        res.writeHead(500, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ error_msg: String(err), error_code: 'SANDBOX.0500' }));
      }
    });
  });

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = newRequestId();
    const arrived = now();
    const method = (req.method ?? 'GET').toUpperCase();
    const rawUrl = req.url ?? '/';
    const qAt = rawUrl.indexOf('?');
    const path = qAt < 0 ? rawUrl : rawUrl.slice(0, qAt);
    const entry: RequestLogEntry = {
      method,
      path,
      query: {},
      body: null,
      status: 0,
      requestId,
      time: arrived.toISOString(),
    };
    log.push(entry);

    const raw = await readBody(req);
    if (raw === 'too-large') {
      return send(res, entry, {
        status: 413,
        body: errorBody(gatewayFail(413, 'APIGW.0201', 'Request entity too large'), requestId),
      });
    }
    const text = raw.toString('utf8');
    const body = parseBody(text);
    entry.body = redactIdToken(path, body);

    let query: Query;
    try {
      query = new Query(parseQueryPairs(qAt < 0 ? '' : rawUrl.slice(qAt + 1)));
      entry.query = query.toRecord();
    } catch {
      return sendFailure(
        res,
        entry,
        gatewayFail(400, 'APIGW.0201', 'Bad request: malformed query string'),
      );
    }

    const decision = faults.decide(method, path);
    if (decision.latencyMs > 0) await sleep(decision.latencyMs);
    if (decision.action && decision.when === 'before')
      return sendFault(res, entry, decision.action);

    const reply = answer(req, method, rawUrl, path, raw, body, query, entry, arrived);
    if (decision.action) return sendFault(res, entry, decision.action);
    return send(res, entry, reply);
  }

  function answer(
    req: IncomingMessage,
    method: string,
    rawUrl: string,
    path: string,
    raw: Buffer,
    body: unknown,
    query: Query,
    entry: RequestLogEntry,
    at: Date,
  ): Reply {
    try {
      // Unsigned: IAM's ID-token exchange, temporary credentials, the metadata service.
      const keyless = federation.answer(method, path, req.headers, body);
      if (keyless) return keyless;
      let match;
      try {
        match = router.match(method, path);
      } catch {
        throw gatewayFail(400, 'APIGW.0201', 'Bad request: malformed path');
      }
      if (!match) {
        throw gatewayFail(
          404,
          'APIGW.0101',
          'The API does not exist or has not been published in the environment',
        );
      }
      const headerPid = single(req.headers['x-project-id']);
      const pathPid = match.params['pid'];
      entry.projectId = pathPid ?? headerPid;
      if (pathPid === '{project_id}' || headerPid === '{project_id}') {
        // What the SDK sends when the credentials carry no project id (reference §1.7).
        throw gatewayFail(
          401,
          'APIGW.0301',
          'Incorrect IAM authentication information: no project id in the request (literal {project_id} in the path); set a project id on the credentials',
        );
      }
      const verdict = verifyRequest(
        { method, rawUrl, headers: req.headers, body: raw },
        (ak) => secrets.get(ak) ?? federation.secretFor(ak),
        at,
      );
      if (!verdict.ok) {
        throw Object.assign(gatewayFail(401, 'APIGW.0301', AUTH_FAILED_MESSAGE), {
          detail: verdict.reason,
        });
      }
      federation.checkSigned(verdict.ak, verdict.securityToken, at);
      const project = resolveProject(match.route, pathPid, headerPid);
      return match.route.handle({
        world: state.world,
        project,
        params: match.params,
        query,
        body,
        requestId: entry.requestId,
        now: at,
      });
    } catch (err) {
      if (!(err instanceof ApiFailure)) throw err;
      entry.errorCode = err.code;
      const reply: Reply & { detail?: string } = {
        status: err.status,
        body: federationErrorBody(err) ?? errorBody(err, entry.requestId),
      };
      const detail = (err as { detail?: string }).detail;
      if (detail) reply.detail = detail;
      return reply;
    }
  }

  function resolveProject(
    route: Route,
    pathPid: string | undefined,
    headerPid: string | undefined,
  ): WorldProject {
    if (route.scope === 'none') return NO_PROJECT;
    if (headerPid === undefined) {
      throw gatewayFail(
        401,
        'APIGW.0301',
        'Incorrect IAM authentication information: the X-Project-Id header is missing',
      );
    }
    if (route.scope === 'path' && pathPid !== headerPid) {
      throw gatewayFail(
        401,
        'APIGW.0301',
        `Incorrect IAM authentication information: project ${pathPid ?? ''} in the path does not match X-Project-Id ${headerPid}`,
      );
    }
    const project = lookup(state.world.projects, 'id', (p) => p.id, headerPid);
    if (!project) throw gatewayFail(403, 'APIGW.0310', `The project ${headerPid} is unavailable`);
    return project;
  }

  function sendFailure(res: ServerResponse, entry: RequestLogEntry, f: ApiFailure): void {
    entry.errorCode = f.code;
    send(res, entry, { status: f.status, body: errorBody(f, entry.requestId) });
  }

  function sendFault(res: ServerResponse, entry: RequestLogEntry, action: FaultAction): void {
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
          sendFailure(res, entry, gatewayFail(429, 'APIGW.0308', THROTTLED_MESSAGE));
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
        entry.status = 200;
        res.writeHead(200, { 'Content-Type': 'application/json', 'X-Request-Id': entry.requestId });
        res.end(action.text);
        return;
    }
  }

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

function send(
  res: ServerResponse,
  entry: RequestLogEntry,
  reply: Reply & { detail?: string; headers?: Record<string, string> },
): void {
  entry.status = reply.status;
  const headers: Record<string, string> = {
    ...reply.headers,
    'Content-Type': 'application/json',
    'X-Request-Id': entry.requestId,
  };
  // Not sent by the real gateway; tells a developer why a signature was refused.
  if (reply.detail) headers['X-Sandbox-Auth-Failure'] = reply.detail;
  res.writeHead(reply.status, headers);
  res.end(reply.body === undefined ? undefined : JSON.stringify(reply.body));
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

function single(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
