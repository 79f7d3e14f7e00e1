import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ListSecurityGroupsRequest,
  ListSubNetworkInterfacesRequest,
  ShowSecurityGroupRequest,
} from '@huaweicloud/huaweicloud-sdk-vpc/v3/public-api.js';
import {
  demoWorld,
  findCluster,
  findSecurityGroup,
  startSandbox,
  type SandboxHandle,
  type WireSecurityGroup,
  type WireSecurityGroupRule,
  type WireSubNetworkInterface,
} from '../../src/sandbox/index.js';
import { PID, signedRequest } from './raw-http.js';
import { sdkError, vpcClient, wire } from './sdk.js';

interface PageInfo {
  previous_marker?: string;
  current_count: number;
  next_marker?: string;
}
interface GroupList {
  request_id: string;
  security_groups: WireSecurityGroup[];
  page_info: PageInfo;
}

let h: SandboxHandle;
let vpc: ReturnType<typeof vpcClient>;

beforeAll(async () => {
  h = await startSandbox();
  vpc = vpcClient(h.url);
});
afterAll(() => h.close());
beforeEach(() => {
  h.world = demoWorld();
  h.clearLog();
});

async function listGroups(req = new ListSecurityGroupsRequest()): Promise<GroupList> {
  return wire<GroupList>(await vpc.listSecurityGroups(req));
}

describe('ListSecurityGroups', () => {
  it('lists every group of the project with request_id and page_info', async () => {
    const res = await listGroups();
    expect(res.security_groups).toHaveLength(h.world.projects[0]?.securityGroups.length ?? -1);
    expect(res.request_id).toBe(h.log.at(-1)?.requestId);
    expect(res.page_info.current_count).toBe(res.security_groups.length);
    expect(res.page_info.next_marker).toBeUndefined();
    // VPC GETs carry no body (unlike CCE's `{}`).
    expect(h.log.at(-1)?.body).toBeNull();
  });

  it('filters names exactly, with repeated keys', async () => {
    const res = await listGroups(
      new ListSecurityGroupsRequest().withName(['default', 'demo-turbo-bastion']),
    );
    expect(res.security_groups.map((g) => g.name).sort()).toEqual([
      'default',
      'demo-turbo-bastion',
    ]);
    expect(h.log.at(-1)?.query).toEqual({ name: ['default', 'demo-turbo-bastion'] });
    // No prefix or wildcard matching (docs/cloud-api.md, "VPC: security groups and rules").
    expect(
      (await listGroups(new ListSecurityGroupsRequest().withName(['demo-turbo']))).security_groups,
    ).toEqual([]);
  });

  it('filters by id and description', async () => {
    const a = findSecurityGroup(h.world, 'default') as WireSecurityGroup;
    const b = findSecurityGroup(h.world, 'demo-turbo-bastion') as WireSecurityGroup;
    const byId = await listGroups(new ListSecurityGroupsRequest().withId([a.id, b.id]));
    expect(byId.security_groups.map((g) => g.id).sort()).toEqual([a.id, b.id].sort());
    const byDescription = await listGroups(
      new ListSecurityGroupsRequest().withDescription(['Default security group']),
    );
    expect(byDescription.security_groups.map((g) => g.name)).toEqual(['default']);
  });

  it('pages with limit and marker; the last page has no next_marker', async () => {
    const all = (await listGroups()).security_groups.map((g) => g.id);
    const seen: string[] = [];
    let marker: string | undefined;
    let pages = 0;
    for (;;) {
      const req = new ListSecurityGroupsRequest().withLimit(4);
      if (marker) req.withMarker(marker);
      const page = await listGroups(req);
      pages++;
      expect(page.page_info.current_count).toBe(page.security_groups.length);
      expect(page.page_info.previous_marker).toBe(page.security_groups[0]?.id);
      seen.push(...page.security_groups.map((g) => g.id));
      marker = page.page_info.next_marker;
      if (!marker) break;
      expect(marker).toBe(page.security_groups.at(-1)?.id);
    }
    expect(pages).toBe(Math.ceil(all.length / 4));
    expect(pages).toBeGreaterThan(2);
    expect(seen).toEqual(all);
  });

  it('refuses a limit above 2000', async () => {
    const err = await sdkError(
      vpc.listSecurityGroups(new ListSecurityGroupsRequest().withLimit(2001)),
    );
    expect(err.httpStatusCode).toBe(400);
  });
});

describe('ShowSecurityGroup', () => {
  it('includes the rules of the group', async () => {
    const g = findSecurityGroup(h.world, 'demo-turbo-bastion') as WireSecurityGroup;
    const res = wire<{
      security_group: WireSecurityGroup & { security_group_rules: WireSecurityGroupRule[] };
    }>(await vpc.showSecurityGroup(new ShowSecurityGroupRequest().withSecurityGroupId(g.id)));
    expect(res.security_group.name).toBe('demo-turbo-bastion');
    expect(res.security_group.security_group_rules).toHaveLength(1);
    expect(res.security_group.security_group_rules[0]).toMatchObject({
      multiport: '22',
      priority: 1,
    });
  });

  it('answers 404 VPC.9904, surfaced by the SDK with code and request id', async () => {
    const err = await sdkError(
      vpc.showSecurityGroup(new ShowSecurityGroupRequest().withSecurityGroupId('nope')),
    );
    expect(err.httpStatusCode).toBe(404);
    expect(err.errorCode).toBe('VPC.9904');
    expect(err.errorMsg).toBe('Security group nope does not exist.');
    expect(err.requestId).toBe(h.log.at(-1)?.requestId);
  });
});

describe('ListSubNetworkInterfaces', () => {
  it('filters by subnet and shows the groups bound to each sub-ENI', async () => {
    const turbo = findCluster(h.world, 'demo-turbo');
    const neutron = turbo?.cluster.spec.eniNetwork?.subnets?.[0]?.subnetID ?? '';
    // Sub-interfaces name the VPC subnet's own id, not the neutron id CCE reports.
    const subnet =
      h.world.projects[0]?.subnets?.find((s) => s.neutron_subnet_id === neutron)?.id ?? '';
    const eni = h.world.projects[0]?.securityGroups.find((g) =>
      /^demo-turbo-cce-eni-[a-z0-9]+$/.test(g.name),
    );
    const res = wire<{ sub_network_interfaces: WireSubNetworkInterface[]; page_info: PageInfo }>(
      await vpc.listSubNetworkInterfaces(
        new ListSubNetworkInterfacesRequest().withVirsubnetId([subnet]),
      ),
    );
    expect(res.sub_network_interfaces).toHaveLength(2);
    for (const s of res.sub_network_interfaces) {
      expect(s.virsubnet_id).toBe(subnet);
      expect(s.security_groups).toEqual([eni?.id]);
    }
  });

  it('filters by id and pages', async () => {
    const all = h.world.projects[0]?.subNetworkInterfaces ?? [];
    expect(all.length).toBeGreaterThan(2);
    const first = await signedRequest(`${h.url}/v3/${PID}/vpc/sub-network-interfaces?limit=2`);
    const page = first.json as {
      sub_network_interfaces: WireSubNetworkInterface[];
      page_info: PageInfo;
    };
    expect(page.sub_network_interfaces).toHaveLength(2);
    expect(page.page_info.next_marker).toBe(all[1]?.id);
    const one = wire<{ sub_network_interfaces: WireSubNetworkInterface[] }>(
      await vpc.listSubNetworkInterfaces(
        new ListSubNetworkInterfacesRequest().withId([all[2]?.id ?? '']),
      ),
    );
    expect(one.sub_network_interfaces.map((s) => s.id)).toEqual([all[2]?.id]);
  });
});
