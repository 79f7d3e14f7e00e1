import type { IncomingHttpHeaders } from 'node:http';
import type { PagingQuirks } from './faults.js';
import { federationErrorBody, type Federation } from './federation.js';
import { ApiFailure, AUTH_FAILED_MESSAGE, errorBody, gatewayFail } from './http/api-failure.js';
import type { Query } from './http/query.js';
import type { Reply, Route, RouteMatch } from './http/router.js';
import type { RequestLogEntry } from './request-log.js';
import { verifyRequest } from './signing.js';
import { lookup } from './world-index.js';
import type { World, WorldProject } from './world.js';

/** What the gateway knows about one request once its body and query are read. */
export interface GatewayRequest {
  method: string;
  rawUrl: string;
  headers: IncomingHttpHeaders;
  raw: Buffer;
  body: unknown;
  query: Query;
  /** The route for method and path; `undefined` = unknown, `'malformed'` = undecodable path. */
  match: RouteMatch | 'malformed' | undefined;
  at: Date;
  paging: PagingQuirks;
}

export interface GatewayEnv {
  world: World;
  secretFor(ak: string): string | undefined;
  /** Keyless credentials (federation.ts): unsigned IAM/metadata answers, temporary keys. */
  federation: Federation;
}

/**
 * A reply, with the reason a signature was refused (sent as a sandbox-only header) and any
 * extra headers (e.g. IAM's `X-Subject-Token`).
 */
export type GatewayReply = Reply & { detail?: string; headers?: Record<string, string> };

/**
 * The gateway's checks in the order the real one makes them (SPEC.md, "Request pipeline"):
 * route, project id in the path, signature, project, then the handler. Every refusal is an
 * `ApiFailure`, answered in its service's error flavour and recorded in the log entry.
 */
export function dispatch(
  req: GatewayRequest,
  env: GatewayEnv,
  entry: RequestLogEntry,
): GatewayReply {
  try {
    return route(req, env, entry);
  } catch (err) {
    if (!(err instanceof ApiFailure)) throw err;
    entry.errorCode = err.code;
    const reply: GatewayReply = {
      status: err.status,
      body: federationErrorBody(err) ?? errorBody(err, entry.requestId),
    };
    const detail = (err as { detail?: string }).detail;
    if (detail) reply.detail = detail;
    return reply;
  }
}

function route(req: GatewayRequest, env: GatewayEnv, entry: RequestLogEntry): GatewayReply {
  // Unsigned: IAM's ID-token exchange, temporary credentials, the metadata service.
  const path = req.rawUrl.split('?')[0] ?? '';
  const keyless = env.federation.answer(req.method, path, req.headers, req.body);
  if (keyless) return keyless;
  if (req.match === 'malformed')
    throw gatewayFail(400, 'APIGW.0201', 'Bad request: malformed path');
  const match = req.match;
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
    // What the SDK sends when the credentials carry no project id (docs/cloud-api.md, "SDK behaviour").
    throw gatewayFail(
      401,
      'APIGW.0301',
      'Incorrect IAM authentication information: no project id in the request (literal {project_id} in the path); set a project id on the credentials',
    );
  }
  const verdict = verifyRequest(
    { method: req.method, rawUrl: req.rawUrl, headers: req.headers, body: req.raw },
    env.secretFor,
    req.at,
  );
  if (!verdict.ok) {
    throw Object.assign(gatewayFail(401, 'APIGW.0301', AUTH_FAILED_MESSAGE), {
      detail: verdict.reason,
    });
  }
  env.federation.checkSigned(verdict.ak, verdict.securityToken, req.at);
  const project = resolveProject(env.world, match.route, pathPid, headerPid);
  return match.route.handle({
    world: env.world,
    project,
    params: match.params,
    query: req.query,
    body: req.body,
    requestId: entry.requestId,
    now: req.at,
    paging: req.paging,
  });
}

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
  subnets: [],
};

function resolveProject(
  world: World,
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
  const project = lookup(world.projects, 'id', (p) => p.id, headerPid);
  if (!project) throw gatewayFail(403, 'APIGW.0310', `The project ${headerPid} is unavailable`);
  return project;
}

function single(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
