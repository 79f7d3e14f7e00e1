/**
 * Two ids per subnet: CCE reports the IPv4 (neutron) subnet id, VPC v3 sub-interfaces carry the
 * VPC subnet's own id, and VPC v1 ListSubnets is the only place that shows both.
 */
import { describe, expect, it } from 'vitest';
import { ListSubnetsRequest, VpcClient } from '@huaweicloud/huaweicloud-sdk-vpc/v2/public-api.js';
import { BasicCredentials } from '@huaweicloud/huaweicloud-sdk-core';
import {
  SANDBOX_CREDENTIALS,
  WorldBuilder,
  demoWorld,
  findCluster,
  type WireSubnet,
} from '../../src/sandbox/index.js';
import { sandboxPerTest } from '../helpers/sandbox.js';
import { PID, signedRequest } from './raw-http.js';

const sandbox = sandboxPerTest();

function v1Client(url: string): VpcClient {
  return VpcClient.newBuilder()
    .withCredential(
      new BasicCredentials()
        .withAk(SANDBOX_CREDENTIALS.ak)
        .withSk(SANDBOX_CREDENTIALS.sk)
        .withProjectId(SANDBOX_CREDENTIALS.projectId),
    )
    .withEndpoint(url)
    .withOptions({ customUserAgent: 'cce-harden-test' })
    .build();
}

describe('VPC v1 ListSubnets and the two subnet ids', () => {
  it('the SDK lists subnets with both ids, and they differ everywhere in the demo world', async () => {
    const h = await sandbox(demoWorld());
    const res = (await v1Client(h.url).listSubnets(new ListSubnetsRequest())) as unknown as {
      subnets: WireSubnet[];
    };
    expect(res.subnets.length).toBeGreaterThan(0);
    for (const s of res.subnets) {
      expect(s.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(s.neutron_subnet_id).toMatch(/^[0-9a-f-]{36}$/);
      expect(s.neutron_subnet_id).not.toBe(s.id);
    }
    const turbo = findCluster(h.world, 'demo-turbo')?.cluster;
    const neutron = turbo?.spec.eniNetwork?.subnets?.[0]?.subnetID;
    expect(turbo?.spec.eniNetwork?.eniSubnetId).toBe(neutron);
    const subnet = res.subnets.find((s) => s.neutron_subnet_id === neutron);
    expect(subnet).toBeDefined();
    // The cluster's id is the neutron one; no VPC subnet has it as its own id.
    expect(res.subnets.some((s) => s.id === neutron)).toBe(false);
    // Sub-interfaces name the VPC subnet's own id.
    const pods = h.world.projects[0]?.subNetworkInterfaces ?? [];
    const mine = pods.filter((p) => p.description.includes(turbo?.metadata.uid ?? '?'));
    expect(mine.length).toBe(2);
    for (const p of mine) expect(p.virsubnet_id).toBe(subnet?.id);
  });

  it('sub-interfaces filtered by the neutron id find nothing; by the VPC subnet id, the pods', async () => {
    const h = await sandbox(demoWorld());
    const turbo = findCluster(h.world, 'demo-turbo')?.cluster;
    const neutron = turbo?.spec.eniNetwork?.eniSubnetId ?? '';
    const subnet = h.world.projects[0]?.subnets?.find((s) => s.neutron_subnet_id === neutron);
    const url = `${h.url}/v3/${PID}/vpc/sub-network-interfaces`;
    const byNeutron = await signedRequest(`${url}?virsubnet_id=${neutron}`);
    expect(
      (byNeutron.json as { sub_network_interfaces: unknown[] }).sub_network_interfaces,
    ).toEqual([]);
    const byId = await signedRequest(`${url}?virsubnet_id=${subnet?.id ?? ''}`);
    expect(
      (byId.json as { sub_network_interfaces: unknown[] }).sub_network_interfaces,
    ).toHaveLength(2);
  });

  it('filters by vpc_id and pages with limit/marker (no page_info)', async () => {
    const w = new WorldBuilder().turboCluster({ name: 'a' }).turboCluster({ name: 'b' }).build();
    const h = await sandbox(w);
    const all = w.projects[0]?.subnets ?? [];
    expect(all).toHaveLength(4);
    const vpcA = findCluster(w, 'a')?.cluster.spec.hostNetwork?.vpc ?? '';
    const base = `${h.url}/v1/${PID}/subnets`;
    const onlyA = (await signedRequest(`${base}?vpc_id=${vpcA}`)).json as { subnets: WireSubnet[] };
    expect(onlyA.subnets.map((s) => s.vpc_id)).toEqual([vpcA, vpcA]);
    const p1 = (await signedRequest(`${base}?limit=3`)).json as Record<string, unknown>;
    expect(Object.keys(p1)).toEqual(['subnets']);
    const p2 = (await signedRequest(`${base}?limit=3&marker=${all[2]?.id ?? ''}`)).json as {
      subnets: WireSubnet[];
    };
    expect(p2.subnets.map((s) => s.id)).toEqual([all[3]?.id]);
    expect((await signedRequest(`${base}?limit=x`)).status).toBe(400);
  });

  it('a cluster can share another cluster’s ENI subnet; descriptions tell their pods apart', () => {
    const b = new WorldBuilder()
      .securityGroup({ name: 'custom' })
      .turboCluster({ name: 'one', subNetworkInterfaces: 2 })
      .turboCluster({ name: 'two', eniSubnetOf: 'one', subNetworkInterfaces: 3 })
      .subNetworkInterface({ cluster: 'one', securityGroups: ['custom'], description: '' });
    const w = b.build();
    const one = findCluster(w, 'one')?.cluster;
    const two = findCluster(w, 'two')?.cluster;
    expect(two?.spec.eniNetwork?.eniSubnetId).toBe(one?.spec.eniNetwork?.eniSubnetId);
    expect(b.eniSubnet('two').id).toBe(b.eniSubnet('one').id);
    const pods = w.projects[0]?.subNetworkInterfaces ?? [];
    expect(pods).toHaveLength(6);
    expect(pods.filter((p) => p.description.includes(one?.metadata.uid ?? '?'))).toHaveLength(2);
    expect(pods.filter((p) => p.description.includes(two?.metadata.uid ?? '?'))).toHaveLength(3);
    expect(new Set(pods.map((p) => p.virsubnet_id))).toEqual(new Set([b.eniSubnet('one').id]));
  });
});
