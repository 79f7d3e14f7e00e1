import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ListSecurityGroupsRequest } from '@huaweicloud/huaweicloud-sdk-vpc/v3/public-api.js';
import {
  SANDBOX_CREDENTIALS,
  WorldBuilder,
  signRequest,
  startSandbox,
  type SandboxHandle,
} from '../../src/sandbox/index.js';
import { PID, rawRequest, signedRequest } from './raw-http.js';
import { sdkError, vpcClient } from './sdk.js';

const OTHER_PID = 'ffffffffffffffffffffffffffffffff';
const SG_PATH = `/v3/${PID}/vpc/security-groups`;
const AUTH_FAILED = {
  error_msg: 'Incorrect IAM authentication information: verify aksk signature fail',
  error_code: 'APIGW.0301',
};

let h: SandboxHandle;
let clock = new Date();

beforeAll(async () => {
  const world = new WorldBuilder()
    .project({ region: 'cn-north-4' })
    .turboCluster({ name: 'a' })
    .project({ region: 'ap-southeast-1', id: OTHER_PID })
    .turboCluster({ name: 'b' })
    .build();
  h = await startSandbox({ world, now: () => clock });
});
afterAll(() => h.close());
beforeEach(() => {
  clock = new Date();
  h.clearLog();
});

function groupId(): string {
  return h.world.projects[0]?.securityGroups[0]?.id ?? '';
}

describe('signature verification', () => {
  it('accepts a correctly signed request (so the rejections below are meaningful)', async () => {
    const res = await signedRequest(`${h.url}${SG_PATH}`);
    expect(res.status).toBe(200);
  });

  it('refuses a wrong SK with 401 APIGW.0301 and the request id in header and body', async () => {
    const res = await signedRequest(`${h.url}${SG_PATH}`, { sk: 'not-the-secret' });
    expect(res.status).toBe(401);
    expect(res.json).toMatchObject(AUTH_FAILED);
    const requestId = res.headers['x-request-id'];
    expect(requestId).toMatch(/^[0-9a-f]{32}$/);
    expect((res.json as { request_id: string }).request_id).toBe(requestId);
    expect(res.headers['content-type']).toBe('application/json');
    expect(h.log.at(-1)).toMatchObject({ status: 401, errorCode: 'APIGW.0301', path: SG_PATH });
  });

  it('refuses an unknown AK', async () => {
    const res = await signedRequest(`${h.url}${SG_PATH}`, { ak: 'UNKNOWNAK00000000000' });
    expect(res.status).toBe(401);
    expect(res.json).toMatchObject({ error_code: 'APIGW.0301' });
  });

  it('refuses a body that differs from the signed one, and writes nothing', async () => {
    const url = `${h.url}/v3/${PID}/vpc/security-group-rules`;
    const rule = (port: string) =>
      JSON.stringify({
        security_group_rule: {
          security_group_id: groupId(),
          direction: 'egress',
          protocol: 'tcp',
          multiport: port,
          action: 'deny',
        },
      });
    const before = h.world.projects[0]?.securityGroupRules.length;
    const headers = signRequest({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/json', 'x-project-id': PID },
      body: rule('5443'),
      ...SANDBOX_CREDENTIALS,
    });
    const tampered = await rawRequest('POST', url, headers, rule('6443'));
    expect(tampered.status).toBe(401);
    expect(tampered.json).toMatchObject(AUTH_FAILED);
    expect(h.world.projects[0]?.securityGroupRules.length).toBe(before);
    // The untampered body with the same headers goes through.
    const honest = await rawRequest('POST', url, headers, rule('5443'));
    expect(honest.status).toBe(201);
  });

  it('refuses an X-Sdk-Date more than 15 minutes off, either way', async () => {
    const url = `${h.url}${SG_PATH}`;
    const minutes = (m: number) => new Date(clock.getTime() + m * 60_000);
    expect((await signedRequest(url, { date: minutes(-16) })).status).toBe(401);
    expect((await signedRequest(url, { date: minutes(16) })).status).toBe(401);
    expect((await signedRequest(url, { date: minutes(-14) })).status).toBe(200);
    // The sandbox clock is injectable: the same old date passes when the server clock agrees.
    clock = minutes(-16);
    expect((await signedRequest(url, { date: clock })).status).toBe(200);
  });

  it('refuses a request without X-Sdk-Date', async () => {
    const url = `${h.url}${SG_PATH}`;
    const headers = signRequest({
      method: 'GET',
      url,
      headers: { 'content-type': 'application/json', 'x-project-id': PID },
      ...SANDBOX_CREDENTIALS,
    });
    delete headers['x-sdk-date'];
    const res = await rawRequest('GET', url, headers);
    expect(res.status).toBe(401);
    expect(res.headers['x-sandbox-auth-failure']).toMatch(/x-sdk-date/);
  });

  it('refuses a query that differs from the signed one', async () => {
    const url = `${h.url}${SG_PATH}?name=a`;
    const headers = signRequest({
      method: 'GET',
      url,
      headers: { 'content-type': 'application/json', 'x-project-id': PID },
      ...SANDBOX_CREDENTIALS,
    });
    const res = await rawRequest('GET', `${h.url}${SG_PATH}?name=b`, headers);
    expect(res.status).toBe(401);
  });

  it('accepts a signed security token and refuses an unsigned one', async () => {
    const url = `${h.url}${SG_PATH}`;
    const ok = await signedRequest(url, { extraHeaders: { 'x-security-token': 'temp-token' } });
    expect(ok.status).toBe(200);
    const headers = signRequest({
      method: 'GET',
      url,
      headers: { 'content-type': 'application/json', 'x-project-id': PID },
      ...SANDBOX_CREDENTIALS,
    });
    const unsigned = await rawRequest('GET', url, { ...headers, 'x-security-token': 'temp-token' });
    expect(unsigned.status).toBe(401);
  });

  it('refuses a request signed by the SDK with a wrong SK', async () => {
    const client = vpcClient(h.url, { ...SANDBOX_CREDENTIALS, sk: 'wrong' });
    const err = await sdkError(client.listSecurityGroups(new ListSecurityGroupsRequest()));
    expect(err.httpStatusCode).toBe(401);
    expect(err.errorCode).toBe('APIGW.0301');
    expect(err.requestId).toBe(h.log.at(-1)?.requestId);
  });
});

describe('project id checks', () => {
  it('refuses a path project that differs from X-Project-Id', async () => {
    // Both projects exist; only the pairing is wrong.
    const res = await signedRequest(`${h.url}/v3/${OTHER_PID}/vpc/security-groups`);
    expect(res.status).toBe(401);
    expect((res.json as { error_msg: string }).error_msg).toMatch(/does not match X-Project-Id/);
  });

  it('serves the other project when path and header agree', async () => {
    const res = await signedRequest(`${h.url}/v3/${OTHER_PID}/vpc/security-groups`, {
      projectId: OTHER_PID,
    });
    expect(res.status).toBe(200);
    const names = (res.json as { security_groups: { name: string }[] }).security_groups.map(
      (g) => g.name,
    );
    expect(names.every((n) => n.startsWith('b-'))).toBe(true);
  });

  it('refuses the literal {project_id} the SDK sends without a project id', async () => {
    const res = await signedRequest(`${h.url}/v3/%7Bproject_id%7D/vpc/security-groups`, {
      projectId: null,
    });
    expect(res.status).toBe(401);
    expect((res.json as { error_msg: string }).error_msg).toMatch(/project id/);
  });

  it('refuses an SDK client built without a project id', async () => {
    const client = vpcClient(h.url, { ak: SANDBOX_CREDENTIALS.ak, sk: SANDBOX_CREDENTIALS.sk });
    const err = await sdkError(client.listSecurityGroups(new ListSecurityGroupsRequest()));
    expect(err.httpStatusCode).toBe(401);
    expect(h.log.at(-1)?.path).toBe('/v3/%7Bproject_id%7D/vpc/security-groups');
  });

  it('refuses a project that does not exist', async () => {
    const ghost = '0'.repeat(32);
    const res = await signedRequest(`${h.url}/v3/${ghost}/vpc/security-groups`, {
      projectId: ghost,
    });
    expect(res.status).toBe(403);
    expect(res.json).toMatchObject({ error_code: 'APIGW.0310' });
  });

  it('refuses a path project request without X-Project-Id', async () => {
    const res = await signedRequest(`${h.url}${SG_PATH}`, { projectId: null });
    expect(res.status).toBe(401);
  });
});

describe('routing', () => {
  it('answers 404 APIGW.0101 for an unknown route or method, with the usual headers', async () => {
    const unknown = await rawRequest('GET', `${h.url}/v2/nothing/here`, {});
    expect(unknown.status).toBe(404);
    expect(unknown.json).toMatchObject({ error_code: 'APIGW.0101' });
    expect(unknown.headers['x-request-id']).toBeTruthy();
    expect(unknown.headers['content-type']).toBe('application/json');
    const wrongMethod = await signedRequest(`${h.url}${SG_PATH}`, { method: 'PATCH', body: '{}' });
    expect(wrongMethod.status).toBe(404);
    expect(h.log.map((e) => e.status)).toEqual([404, 404]);
  });
});
