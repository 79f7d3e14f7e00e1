/**
 * CCE shapes and rules the client is tested against: endpoint variants, node-group ids in the
 * cluster spec, Turbo pools with their own pod groups or bare-metal nodes, CCE's camelCase
 * errors, and UpdateNodePool's update model (unknown fields ignored, omitted fields reset, the
 * script size limit, frozen phases, an autoscaler racing the client).
 */
import { describe, expect, it } from 'vitest';
import {
  ListClustersRequest,
  ShowNodePoolRequest,
  UpdateNodePoolRequest,
  type NodePoolUpdate,
} from '@huaweicloud/huaweicloud-sdk-cce';
import {
  WorldBuilder,
  findCluster,
  findSecurityGroup,
  rulesOfGroup,
  type WireCluster,
  type WireNodePool,
  type World,
} from '../../src/sandbox/index.js';
import { sandboxPerTest } from '../helpers/sandbox.js';
import { PID, signedRequest } from './raw-http.js';
import { cceClient, sdkError, wire } from './sdk.js';

const sandbox = sandboxPerTest();

describe('cluster endpoints, per cluster', () => {
  it('serves the four documented variants', async () => {
    const w = new WorldBuilder()
      .turboCluster({ name: 'hw', apiServerIp: '10.0.0.1', externalIp: '1.2.3.4' })
      .turboCluster({ name: 'lower', apiServerIp: '10.0.0.2', endpointsShape: 'huawei-lowercase' })
      .turboCluster({
        name: 'obj',
        apiServerIp: '10.0.0.3',
        externalIp: '1.2.3.5',
        endpointsShape: 'otc-object',
      })
      .turboCluster({ name: 'arr', apiServerIp: '10.0.0.4', endpointsShape: 'otc' })
      .build();
    const h = await sandbox(w);
    const items = wire<{ items: WireCluster[] }>(
      await cceClient(h.url).listClusters(new ListClustersRequest()),
    ).items;
    const ep = (name: string) => items.find((c) => c.metadata.name === name)?.status?.endpoints;
    expect(ep('hw')).toEqual([
      { url: 'https://10.0.0.1:5443', type: 'Internal' },
      { url: 'https://1.2.3.4:5443', type: 'External' },
    ]);
    expect(ep('lower')).toEqual([{ url: 'https://10.0.0.2:5443', type: 'internal' }]);
    expect(ep('obj')).toEqual({
      internal: 'https://10.0.0.3:5443',
      external: 'https://1.2.3.5:5443',
      external_otc: 'https://1.2.3.5:5443',
    });
    expect(ep('arr')).toEqual([{ Internal: 'https://10.0.0.4:5443' }]);
  });
});

describe('cluster spec and node pools', () => {
  it('names the node and control-plane groups by id in spec.hostNetwork', () => {
    const w = new WorldBuilder()
      .turboCluster({ name: 't' })
      .standardCluster({ name: 's', mode: 'vpc-router' })
      .build();
    for (const name of ['t', 's']) {
      const host = findCluster(w, name)?.cluster.spec.hostNetwork;
      expect(findSecurityGroup(w, host?.SecurityGroup ?? '?')?.name).toMatch(
        new RegExp(`^${name}-cce-node-[a-z0-9]{5}$`),
      );
      expect(findSecurityGroup(w, host?.controlPlaneSecurityGroup ?? '?')?.name).toMatch(
        new RegExp(`^${name}-cce-control-[a-z0-9]{5}$`),
      );
    }
  });

  it('Turbo pools may carry podSecurityGroups or be bare metal (opt-in)', () => {
    const b = new WorldBuilder().securityGroup({ name: 'team-a' }).turboCluster({
      name: 't',
      nodePools: [
        { name: 'plain' },
        { name: 'own-groups', podSecurityGroups: ['team-a'] },
        { name: 'bms', bareMetal: true },
      ],
    });
    const pools = findCluster(b.build(), 't')?.nodePools ?? [];
    const byName = (n: string) => pools.find((p) => p.metadata.name === n);
    expect(byName('plain')?.spec.type).toBe('vm');
    expect(byName('plain')?.spec.podSecurityGroups).toBeUndefined();
    expect(byName('own-groups')?.spec.podSecurityGroups).toEqual([{ id: b.groupId('team-a') }]);
    expect(byName('bms')?.spec.type).toBe('ElasticBMS');
  });

  it('eniAllowRule gives each ENI group one ordinary allow rule besides the deny rule', () => {
    const w = new WorldBuilder()
      .turboCluster({ name: 't', hardened: true, eniAllowRule: true, eniGroups: 2 })
      .build();
    const groups =
      w.projects[0]?.securityGroups.filter((g) => g.name.startsWith('t-cce-eni-')) ?? [];
    expect(groups).toHaveLength(2);
    for (const g of groups) {
      const allow = rulesOfGroup(w, g.id).filter((r) => r.priority === 1 && r.action === 'allow');
      expect(allow).toEqual([
        expect.objectContaining({ direction: 'egress', protocol: 'tcp', multiport: '443' }),
      ]);
    }
    const first = groups[0]?.id ?? '';
    expect(rulesOfGroup(w, first).filter((r) => r.action === 'deny')).toHaveLength(1);
  });
});

describe('CCE errors', () => {
  it('are camelCase {errorCode, errorMessage} with X-Request-Id; VPC ones snake_case', async () => {
    const h = await sandbox();
    const cce = await signedRequest(`${h.url}/api/v3/projects/${PID}/clusters/nope`, {
      body: '{}',
    });
    expect(cce.status).toBe(404);
    expect(cce.json).toEqual({ errorCode: 'CCE.01404001', errorMessage: 'Resource not found.' });
    expect(cce.headers['x-request-id']).toMatch(/^[0-9a-f]{32}$/);
    const vpc = await signedRequest(`${h.url}/v3/${PID}/vpc/security-groups/nope`);
    expect(vpc.json).toMatchObject({
      error_code: 'VPC.9904',
      request_id: vpc.headers['x-request-id'],
    });
  });
});

function poolWorld(extra: Parameters<WorldBuilder['nodePool']>[1] = { name: 'x' }): {
  world: World;
  b: WorldBuilder;
} {
  const b = new WorldBuilder()
    .standardCluster({ name: 'c', mode: 'vpc-router' })
    .nodePool('c', { name: 'p', initialNodeCount: 3, postInstall: 'echo hi\n' })
    .nodePool('c', extra);
  return { world: b.build(), b };
}

async function put(url: string, w: World, pool: string, body: unknown): Promise<void> {
  const c = findCluster(w, 'c')?.cluster.metadata.uid ?? '';
  await cceClient(url).updateNodePool(
    new UpdateNodePoolRequest()
      .withClusterId(c)
      .withNodepoolId(pool)
      .withBody(body as NodePoolUpdate),
  );
}

function poolIn(h: { world: World }, name: string): WireNodePool {
  return findCluster(h.world, 'c')?.nodePools.find((p) => p.metadata.name === name) as WireNodePool;
}

describe('UpdateNodePool: the update model', () => {
  it('ignores fields that are not in the update model; ignoreInitialNodeCount keeps the count', async () => {
    const { world, b } = poolWorld();
    const h = await sandbox(world);
    const id = b.nodePoolId('c', 'p');
    const before = structuredClone(poolIn(h, 'p'));
    const res = await cceClient(h.url).updateNodePool(
      new UpdateNodePoolRequest()
        .withClusterId(b.clusterId('c'))
        .withNodepoolId(id)
        .withBody({
          spec: {
            ignoreInitialNodeCount: true,
            type: 'ElasticBMS',
            nodeTemplate: {
              flavor: 'huge',
              rootVolume: { size: 999 },
              rootVolumeUpdate: { size: 80 },
              extendParam: {
                'alpha.cce/postInstall':
                  before.spec.nodeTemplate?.extendParam?.['alpha.cce/postInstall'],
              },
            },
          },
          status: { phase: 'Error' },
          surprise: true,
        } as unknown as NodePoolUpdate),
    );
    expect(wire<WireNodePool>(res).spec.initialNodeCount).toBe(3);
    const after = poolIn(h, 'p');
    expect(after.spec.type).toBe('vm');
    expect(after.spec.nodeTemplate?.['flavor']).toBe('c7.large.2');
    expect(after.spec.nodeTemplate?.['rootVolume']).toEqual({ volumetype: 'SSD', size: 80 });
    expect(after.status?.phase).toBe('');
    expect(after).not.toHaveProperty('surprise');
  });

  it('resets omitted updatable fields (count, autoscaling, tags, taints, pod groups, scripts)', async () => {
    const b = new WorldBuilder().securityGroup({ name: 'g' }).turboCluster({
      name: 'c',
      nodePools: [{ name: 'p', podSecurityGroups: ['g'], postInstall: 'a', preInstall: 'b' }],
    });
    const h = await sandbox(b.build());
    const pool = poolIn(h, 'p');
    pool.spec.nodeTemplate = {
      ...pool.spec.nodeTemplate,
      k8sTags: { a: 'b' },
      taints: [{ key: 'k' }],
    };
    pool.spec['autoscaling'] = { enable: true, minNodeCount: 1, maxNodeCount: 5 };
    await put(h.url, h.world, pool.metadata.uid, { spec: {} });
    const after = poolIn(h, 'p');
    expect(after.spec.initialNodeCount).toBe(0);
    expect(after.status?.currentNode).toBe(0);
    expect(after.spec['autoscaling']).toMatchObject({ enable: false, maxNodeCount: 0 });
    expect(after.spec.nodeTemplate?.['k8sTags']).toEqual({});
    expect(after.spec.nodeTemplate?.['taints']).toEqual([]);
    expect(after.spec.podSecurityGroups).toBeUndefined();
    expect(after.spec.nodeTemplate?.extendParam).toEqual({ maxPods: 110 });
    // Login is kept when omitted.
    expect(after.spec.nodeTemplate?.['login']).toEqual({ sshKey: 'KeyPair-sandbox' });
  });

  it('refuses pre + post install over 10240 characters after Base64, and changes nothing', async () => {
    const { world, b } = poolWorld();
    const h = await sandbox(world);
    const id = b.nodePoolId('c', 'p');
    const b64 = (n: number) => Buffer.from('x'.repeat(n)).toString('base64');
    const tooBig = {
      spec: {
        initialNodeCount: 3,
        nodeTemplate: {
          extendParam: { 'alpha.cce/preInstall': b64(3000), 'alpha.cce/postInstall': b64(4681) },
        },
      },
    };
    // 4000 + 6244 = 10244 characters.
    const err = await sdkError(
      cceClient(h.url).updateNodePool(
        new UpdateNodePoolRequest()
          .withClusterId(b.clusterId('c'))
          .withNodepoolId(id)
          .withBody(tooBig as unknown as NodePoolUpdate),
      ),
    );
    expect(err.httpStatusCode).toBe(400);
    const body = h.log.at(-1);
    expect(body?.errorCode).toBe('CCE.01400001');
    const raw = await signedRequest(
      `${h.url}/api/v3/projects/${PID}/clusters/${b.clusterId('c')}/nodepools/${id}`,
      { method: 'PUT', body: JSON.stringify(tooBig) },
    );
    expect((raw.json as { errorMessage: string }).errorMessage).toMatch(/10244 .*at most 10240/);
    expect(
      Buffer.from(
        String(poolIn(h, 'p').spec.nodeTemplate?.extendParam?.['alpha.cce/postInstall']),
        'base64',
      ).toString(),
    ).toBe('echo hi\n');
    // Exactly at the limit is accepted: 4000 + 6240.
    const ok = {
      spec: {
        initialNodeCount: 3,
        nodeTemplate: {
          extendParam: { 'alpha.cce/preInstall': b64(3000), 'alpha.cce/postInstall': b64(4680) },
        },
      },
    };
    const res = await signedRequest(
      `${h.url}/api/v3/projects/${PID}/clusters/${b.clusterId('c')}/nodepools/${id}`,
      { method: 'PUT', body: JSON.stringify(ok) },
    );
    expect(res.status).toBe(200);
  });

  it.each(['Deleting', 'Error'])('refuses a pool in phase %s', async (phase) => {
    const { world, b } = poolWorld({ name: 'frozen', phase });
    const h = await sandbox(world);
    const id = b.nodePoolId('c', 'frozen');
    const res = await signedRequest(
      `${h.url}/api/v3/projects/${PID}/clusters/${b.clusterId('c')}/nodepools/${id}`,
      { method: 'PUT', body: JSON.stringify({ spec: { initialNodeCount: 1 } }) },
    );
    expect(res.status).toBe(400);
    expect((res.json as { errorMessage: string }).errorMessage).toContain(phase);
    expect(poolIn(h, 'frozen').spec.initialNodeCount).toBe(3);
  });

  it('refuses updates while the cluster is not Available', async () => {
    const b = new WorldBuilder().standardCluster({
      name: 'c',
      mode: 'vpc-router',
      phase: 'Hibernation',
      nodePools: [{ name: 'p' }],
    });
    const h = await sandbox(b.build());
    const res = await signedRequest(
      `${h.url}/api/v3/projects/${PID}/clusters/${b.clusterId('c')}/nodepools/${b.nodePoolId('c', 'p')}`,
      { method: 'PUT', body: JSON.stringify({ spec: { ignoreInitialNodeCount: true } }) },
    );
    expect(res.status).toBe(400);
    expect((res.json as { errorMessage: string }).errorMessage).toContain('Hibernation');
  });

  it('autoscaler: the count changes between a read and a write, so writing back what was read scales down', async () => {
    const { world, b } = poolWorld({ name: 'busy', initialNodeCount: 3, autoscaler: 9 });
    const h = await sandbox(world);
    const id = b.nodePoolId('c', 'busy');
    const cce = cceClient(h.url);
    const read = wire<WireNodePool>(
      await cce.showNodePool(
        new ShowNodePoolRequest().withClusterId(b.clusterId('c')).withNodepoolId(id),
      ),
    );
    expect(read.spec.initialNodeCount).toBe(3);
    expect(poolIn(h, 'busy').spec.initialNodeCount).toBe(12);
    await put(h.url, h.world, id, read);
    expect(poolIn(h, 'busy').spec.initialNodeCount).toBe(3);
    // With ignoreInitialNodeCount the autoscaler's count survives.
    await cce.showNodePool(
      new ShowNodePoolRequest().withClusterId(b.clusterId('c')).withNodepoolId(id),
    );
    await put(h.url, h.world, id, { spec: { ignoreInitialNodeCount: true } });
    expect(poolIn(h, 'busy').spec.initialNodeCount).toBe(12);
  });
});
