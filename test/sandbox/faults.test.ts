import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ListClustersRequest } from '@huaweicloud/huaweicloud-sdk-cce';
import {
  CreateSecurityGroupRuleOption,
  CreateSecurityGroupRuleRequest,
  CreateSecurityGroupRuleRequestBody,
  ListSecurityGroupsRequest,
} from '@huaweicloud/huaweicloud-sdk-vpc/v3/public-api.js';
import {
  demoWorld,
  findSecurityGroup,
  rulesOfGroup,
  startSandbox,
  type SandboxHandle,
} from '../../src/sandbox/index.js';
import { PID, signedRequest } from './raw-http.js';
import { cceClient, sdkError, vpcClient, wire } from './sdk.js';

let h: SandboxHandle;
let vpc: ReturnType<typeof vpcClient>;
let cce: ReturnType<typeof cceClient>;

beforeAll(async () => {
  h = await startSandbox();
  vpc = vpcClient(h.url);
  cce = cceClient(h.url);
});
afterAll(() => h.close());
beforeEach(() => {
  h.faults.clear();
  h.world = demoWorld();
  h.clearLog();
});

const listGroups = () => vpc.listSecurityGroups(new ListSecurityGroupsRequest());

describe('faults', () => {
  it('throttles with 429 APIGW.0308, surfaced by the SDK', async () => {
    h.faults.throttle('/vpc/security-groups');
    const err = await sdkError(listGroups());
    expect(err.httpStatusCode).toBe(429);
    expect(err.errorCode).toBe('APIGW.0308');
    expect(err.errorMsg).toBe(
      'The throttling threshold has been reached: policy user over ratelimit,limit:10,time:1 minute',
    );
    expect(h.log.at(-1)).toMatchObject({ status: 429, fault: 'throttle', errorCode: 'APIGW.0308' });
  });

  it('throttles the next N calls only (times), then answers normally', async () => {
    const f = h.faults.add({ path: 'security-groups', throttle: true, times: 2 });
    expect((await sdkError(listGroups())).httpStatusCode).toBe(429);
    expect((await sdkError(listGroups())).httpStatusCode).toBe(429);
    await expect(listGroups()).resolves.toBeTruthy();
    expect(f.applied).toBe(2);
    expect(f.matched).toBe(3);
  });

  it('throttles CCE in its own camelCase flavour', async () => {
    h.faults.add({ path: /\/clusters$/, throttle: 'cce' });
    const err = await sdkError(cce.listClusters(new ListClustersRequest()));
    expect(err.httpStatusCode).toBe(429);
    const raw = await signedRequest(`${h.url}/api/v3/projects/${PID}/clusters`, { body: '{}' });
    expect(raw.json).toMatchObject({ errorCode: 'CCE.02429001' });
  });

  it('fails only the Nth matching call (nth) with a 5xx', async () => {
    h.faults.add({ method: 'GET', path: 'security-groups', serverError: 503, nth: 2 });
    await listGroups();
    const err = await sdkError(listGroups());
    expect(err.httpStatusCode).toBe(503);
    expect(err.requestId).toBe(h.log.at(-1)?.requestId);
    await listGroups();
    expect(h.log.map((e) => e.status)).toEqual([200, 503, 200]);
  });

  it('matches by method: a POST fault leaves GETs alone', async () => {
    h.faults.add({ method: 'POST', serverError: 500 });
    await expect(listGroups()).resolves.toBeTruthy();
  });

  it('drops the connection without an answer', async () => {
    h.faults.add({ path: 'security-groups', drop: true, times: 1 });
    const err = await sdkError(listGroups());
    expect(err.httpStatusCode).toBeUndefined();
    expect(h.log.at(-1)).toMatchObject({ status: 0, fault: 'drop' });
    await expect(listGroups()).resolves.toBeTruthy();
  });

  it('answers a malformed (non-JSON) 200', async () => {
    h.faults.add({ path: 'security-groups', malformed: true });
    const raw = await signedRequest(`${h.url}/v3/${PID}/vpc/security-groups`);
    expect(raw.status).toBe(200);
    expect(raw.headers['content-type']).toBe('application/json');
    expect(() => JSON.parse(raw.text) as unknown).toThrow();
    // The SDK does not fail on it: the caller gets something without the expected fields.
    const res = wire<{ security_groups?: unknown }>(await listGroups());
    expect(res.security_groups).toBeUndefined();
  });

  it('adds latency per route and globally', async () => {
    h.faults.add({ path: 'security-groups', latencyMs: 150 });
    let t = Date.now();
    await listGroups();
    expect(Date.now() - t).toBeGreaterThanOrEqual(145);
    t = Date.now();
    await cce.listClusters(new ListClustersRequest());
    expect(Date.now() - t).toBeLessThan(140);
    h.faults.latencyMs = 120;
    t = Date.now();
    await cce.listClusters(new ListClustersRequest());
    expect(Date.now() - t).toBeGreaterThanOrEqual(115);
  });

  it("can lose a write's answer after the write happened (when: 'after')", async () => {
    const group = findSecurityGroup(h.world, 'demo-turbo-bastion');
    const groupId = group?.id ?? '';
    h.faults.add({ method: 'POST', drop: true, times: 1, when: 'after' });
    const rule = {
      security_group_id: groupId,
      direction: 'egress',
      protocol: 'tcp',
      multiport: '5443',
      remote_ip_prefix: '192.168.0.61/32',
      action: 'deny',
      priority: '1',
    } as unknown as CreateSecurityGroupRuleOption;
    const create = () =>
      vpc.createSecurityGroupRule(
        new CreateSecurityGroupRuleRequest().withBody(
          new CreateSecurityGroupRuleRequestBody().withSecurityGroupRule(rule),
        ),
      );
    const lost = await sdkError(create());
    expect(lost.httpStatusCode).toBeUndefined();
    expect(rulesOfGroup(h.world, groupId).some((r) => r.action === 'deny')).toBe(true);
    // A retry then meets the rule it already created.
    expect((await sdkError(create())).errorCode).toBe('VPC.9902');
  });

  it('removes a fault rule with its handle', async () => {
    const f = h.faults.add({ serverError: 502 });
    expect((await sdkError(listGroups())).httpStatusCode).toBe(502);
    f.remove();
    await expect(listGroups()).resolves.toBeTruthy();
  });
});
