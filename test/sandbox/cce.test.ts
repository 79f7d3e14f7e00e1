import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ListAddonInstancesRequest,
  ListClustersRequest,
  ListNodePoolsRequest,
  ShowClusterRequest,
  ShowNodePoolRequest,
  UpdateNodePoolRequest,
  type ListClustersRequestStatusEnum,
  type ListClustersRequestTypeEnum,
  type NodePoolUpdate,
} from '@huaweicloud/huaweicloud-sdk-cce';
import type {
  WireAddon as RawAddon,
  WireCluster as RawCluster,
  WireNodePool as RawNodePool,
} from '../../src/sandbox/wire-cce.js';
import {
  DEMO_EXISTING_POST_INSTALL,
  demoWorld,
  findCluster,
  startSandbox,
  type SandboxHandle,
} from '../../src/sandbox/index.js';
import { PID, signedRequest } from './raw-http.js';
import { cceClient, sdkError, wire } from './sdk.js';

let h: SandboxHandle;
let cce: ReturnType<typeof cceClient>;

beforeAll(async () => {
  h = await startSandbox();
  cce = cceClient(h.url);
});
afterAll(() => h.close());
beforeEach(() => {
  h.world = demoWorld();
  h.clearLog();
});

const idOf = (name: string) => findCluster(h.world, name)?.cluster.metadata.uid ?? '';

async function listClusters(req = new ListClustersRequest()): Promise<RawCluster[]> {
  return wire<{ items: RawCluster[] }>(await cce.listClusters(req)).items;
}

describe('clusters', () => {
  it('lists every cluster of the project in a stable order', async () => {
    const names = (await listClusters()).map((c) => c.metadata.name);
    expect(names).toEqual([
      'demo-turbo',
      'demo-turbo-hardened',
      'demo-vpc',
      'demo-tunnel',
      'demo-sleepy',
    ]);
    expect((await listClusters()).map((c) => c.metadata.name)).toEqual(names);
    // cce-sdk 3.0.57 sends `{}` on GETs; the signature covered those two bytes.
    expect(h.log[0]).toMatchObject({ method: 'GET', body: {}, status: 200, projectId: PID });
  });

  it('filters by status and type', async () => {
    const sleepy = await listClusters(
      new ListClustersRequest().withStatus('Hibernation' as ListClustersRequestStatusEnum),
    );
    expect(sleepy.map((c) => c.metadata.name)).toEqual(['demo-sleepy']);
    expect(h.log.at(-1)?.query).toEqual({ status: 'Hibernation' });
    expect(
      await listClusters(
        new ListClustersRequest().withType('ARM64' as ListClustersRequestTypeEnum),
      ),
    ).toEqual([]);
    expect(
      await listClusters(
        new ListClustersRequest().withType('VirtualMachine' as ListClustersRequestTypeEnum),
      ),
    ).toHaveLength(5);
  });

  it('shows one cluster in the documented shape', async () => {
    const c = wire<RawCluster>(
      await cce.showCluster(new ShowClusterRequest().withClusterId(idOf('demo-turbo'))),
    );
    expect(c.kind).toBe('Cluster');
    expect(c.spec.category).toBe('Turbo');
    expect(c.spec.containerNetwork?.mode).toBe('eni');
    expect(c.spec.eniNetwork?.subnets?.[0]?.subnetID).toMatch(/^[0-9a-f-]{36}$/);
    expect(c.status?.endpoints).toContainEqual({
      url: 'https://192.168.0.61:5443',
      type: 'Internal',
    });
  });

  it('answers an unknown cluster with CCE camelCase 404; the SDK keeps only status and request id', async () => {
    const missing = '00000000-0000-4000-8000-000000000000';
    const err = await sdkError(cce.showCluster(new ShowClusterRequest().withClusterId(missing)));
    expect(err.httpStatusCode).toBe(404);
    // The SDK does not parse camelCase bodies (docs/cloud-api.md, "Errors").
    expect(err.errorCode).toBeUndefined();
    expect(err.requestId).toBe(h.log.at(-1)?.requestId);
    const raw = await signedRequest(`${h.url}/api/v3/projects/${PID}/clusters/${missing}`, {
      body: '{}',
    });
    expect(raw.json).toEqual({ errorCode: 'CCE.01404001', errorMessage: 'Resource not found.' });
  });
});

describe('add-ons', () => {
  it('lists the add-ons of a cluster (no project in the path, X-Project-Id names it)', async () => {
    const res = wire<{ kind: string; items: RawAddon[] }>(
      await cce.listAddonInstances(
        new ListAddonInstancesRequest().withClusterId(idOf('demo-turbo')),
      ),
    );
    expect(res.kind).toBe('Addon');
    expect(res.items.map((a) => a.spec.addonTemplateName)).toContain('cce-hpa-controller');
    expect(h.log.at(-1)).toMatchObject({
      path: '/api/v3/addons',
      query: { cluster_id: idOf('demo-turbo') },
      projectId: PID,
    });
  });

  it('answers 400 CCE.01400001 without cluster_id', async () => {
    const res = await signedRequest(`${h.url}/api/v3/addons`, { body: '{}' });
    expect(res.status).toBe(400);
    expect(res.json).toMatchObject({ errorCode: 'CCE.01400001' });
  });

  it('refuses the add-on list without X-Project-Id', async () => {
    const res = await signedRequest(`${h.url}/api/v3/addons?cluster_id=${idOf('demo-turbo')}`, {
      projectId: null,
    });
    expect(res.status).toBe(401);
  });
});

describe('node pools', () => {
  const poolOf = (cluster: string, name: string) =>
    findCluster(h.world, cluster)?.nodePools.find((p) => p.metadata.name === name) as RawNodePool;

  it('lists and shows node pools', async () => {
    const list = wire<{ kind: string; items: RawNodePool[] }>(
      await cce.listNodePools(new ListNodePoolsRequest().withClusterId(idOf('demo-vpc'))),
    );
    expect(list.kind).toBe('List');
    expect(list.items.map((p) => p.metadata.name)).toEqual(['demo-vpc-pool', 'demo-vpc-gpu']);
    const pool = poolOf('demo-vpc', 'demo-vpc-pool');
    const shown = wire<RawNodePool>(
      await cce.showNodePool(
        new ShowNodePoolRequest().withClusterId(idOf('demo-vpc')).withNodepoolId(pool.metadata.uid),
      ),
    );
    expect(shown.spec.initialNodeCount).toBe(3);
    const script = shown.spec.nodeTemplate?.extendParam?.['alpha.cce/postInstall'] as string;
    expect(Buffer.from(script, 'base64').toString()).toBe(DEMO_EXISTING_POST_INSTALL);
  });

  function update(cluster: string, poolId: string, body: unknown) {
    return cce.updateNodePool(
      new UpdateNodePoolRequest()
        .withClusterId(idOf(cluster))
        .withNodepoolId(poolId)
        .withBody(body as NodePoolUpdate),
    );
  }

  it('scales a pool to 0 when the update omits spec.initialNodeCount (the real API does)', async () => {
    const pool = poolOf('demo-tunnel', 'demo-tunnel-pool');
    const res = wire<RawNodePool>(
      await update('demo-tunnel', pool.metadata.uid, { spec: { nodeTemplate: {} } }),
    );
    expect(res.spec.initialNodeCount).toBe(0);
    expect(res.status?.currentNode).toBe(0);
    expect(poolOf('demo-tunnel', 'demo-tunnel-pool').spec.initialNodeCount).toBe(0);
  });

  it('keeps the count and sets the post-install script when the client sends them', async () => {
    const pool = poolOf('demo-vpc', 'demo-vpc-pool');
    const script = Buffer.from('#!/bin/bash\niptables -I OUTPUT -j REJECT\n').toString('base64');
    const sent = structuredClone(pool);
    sent.spec.nodeTemplate = {
      ...sent.spec.nodeTemplate,
      extendParam: { 'alpha.cce/postInstall': script },
    };
    const res = wire<RawNodePool>(await update('demo-vpc', pool.metadata.uid, sent));
    expect(res.spec.initialNodeCount).toBe(3);
    expect(res.spec.nodeTemplate?.extendParam?.['alpha.cce/postInstall']).toBe(script);
    // The log shows exactly what the client sent.
    expect(h.log.at(-1)).toMatchObject({ method: 'PUT', status: 200 });
    expect(h.log.at(-1)?.body).toMatchObject({ spec: { initialNodeCount: 3 } });
  });

  it('drops the post-install script when the update leaves extendParam out', async () => {
    const pool = poolOf('demo-vpc', 'demo-vpc-pool');
    await update('demo-vpc', pool.metadata.uid, { spec: { initialNodeCount: 3 } });
    expect(
      poolOf('demo-vpc', 'demo-vpc-pool').spec.nodeTemplate?.extendParam?.['alpha.cce/postInstall'],
    ).toBeUndefined();
  });

  it('keeps the count with ignoreInitialNodeCount and refuses bad input', async () => {
    const pool = poolOf('demo-vpc', 'demo-vpc-gpu');
    await update('demo-vpc', pool.metadata.uid, { spec: { ignoreInitialNodeCount: true } });
    expect(poolOf('demo-vpc', 'demo-vpc-gpu').spec.initialNodeCount).toBe(1);
    const err = await sdkError(
      update('demo-vpc', pool.metadata.uid, { spec: { initialNodeCount: -1 } }),
    );
    expect(err.httpStatusCode).toBe(400);
    const bad64 = await sdkError(
      update('demo-vpc', pool.metadata.uid, {
        spec: {
          initialNodeCount: 1,
          nodeTemplate: { extendParam: { 'alpha.cce/postInstall': 'not base64!' } },
        },
      }),
    );
    expect(bad64.httpStatusCode).toBe(400);
  });

  it('answers 404 for an unknown pool', async () => {
    const err = await sdkError(
      cce.showNodePool(
        new ShowNodePoolRequest().withClusterId(idOf('demo-vpc')).withNodepoolId('nope'),
      ),
    );
    expect(err.httpStatusCode).toBe(404);
  });
});
