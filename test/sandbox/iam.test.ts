import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BasicCredentials, Region } from '@huaweicloud/huaweicloud-sdk-core';
import {
  ListSecurityGroupsRequest,
  VpcClient,
} from '@huaweicloud/huaweicloud-sdk-vpc/v3/public-api.js';
import {
  SANDBOX_CREDENTIALS,
  WorldBuilder,
  startSandbox,
  type SandboxHandle,
  type WireSecurityGroup,
} from '../../src/sandbox/index.js';
import { signedRequest } from './raw-http.js';
import { wire } from './sdk.js';

const SINGAPORE = 'abcdefabcdefabcdefabcdefabcdef12';
let h: SandboxHandle;

beforeAll(async () => {
  const world = new WorldBuilder()
    .project({ region: 'cn-north-4' })
    .turboCluster({ name: 'beijing' })
    .project({ region: 'ap-southeast-1', id: SINGAPORE })
    .turboCluster({ name: 'singapore' })
    .build();
  h = await startSandbox({ world });
});
afterAll(() => h.close());

/** A client that must look its project up in IAM: region given, no project id. */
function regionalClient(region: string): VpcClient {
  const cred = new BasicCredentials()
    .withAk(SANDBOX_CREDENTIALS.ak)
    .withSk(SANDBOX_CREDENTIALS.sk)
    .withIamEndpoint(h.url);
  return VpcClient.newBuilder()
    .withCredential(cred)
    .withRegion(new Region(region, h.url))
    .withOptions({ customUserAgent: 'cce-harden-test' })
    .build();
}

describe('IAM project lookup', () => {
  it('resolves each region to its one project, and the SDK never creates one', async () => {
    for (const [region, id, prefix] of [
      ['ap-southeast-1', SINGAPORE, 'singapore-'],
      ['cn-north-4', SANDBOX_CREDENTIALS.projectId, 'beijing-'],
    ] as const) {
      h.clearLog();
      const res = wire<{ security_groups: WireSecurityGroup[] }>(
        await regionalClient(region).listSecurityGroups(new ListSecurityGroupsRequest()),
      );
      expect(res.security_groups.every((g) => g.name.startsWith(prefix))).toBe(true);
      expect(h.log.map((e) => `${e.method} ${e.path}`)).toEqual([
        'GET /v3/projects',
        `GET /v3/${id}/vpc/security-groups`,
      ]);
      expect(h.log[0]?.query).toEqual({ name: region });
    }
  });

  it('answers the documented shape', async () => {
    const res = await signedRequest(`${h.url}/v3/projects?name=ap-southeast-1`, {
      projectId: null,
    });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({
      projects: [{ id: SINGAPORE, name: 'ap-southeast-1', enabled: true }],
      links: {},
    });
    const none = await signedRequest(`${h.url}/v3/projects?name=eu-west-0`, { projectId: null });
    expect((none.json as { projects: unknown[] }).projects).toEqual([]);
  });

  it('refuses to create a project, and logs the attempt', async () => {
    h.clearLog();
    const res = await signedRequest(`${h.url}/v3/projects`, {
      method: 'POST',
      projectId: null,
      body: JSON.stringify({ project: { name: 'eu-west-0', domain_id: 'x' } }),
    });
    expect(res.status).toBe(403);
    expect(h.log).toHaveLength(1);
    expect(h.log[0]).toMatchObject({ method: 'POST', path: '/v3/projects', status: 403 });
    expect(h.world.projects).toHaveLength(2);
  });
});
