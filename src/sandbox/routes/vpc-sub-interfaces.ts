import type { Route } from '../http/router.js';
import { paginate } from '../pagination.js';

/**
 * ListSubNetworkInterfaces: the per-pod sub-ENIs of Turbo clusters with their `security_groups`,
 * which is how a client can see which group pods really use (docs/cloud-api.md, "Pod network
 * interfaces"). `virsubnet_id` is the VPC subnet's own `id`, never the neutron id CCE reports.
 */
const listSubNetworkInterfaces: Route = {
  operation: 'ListSubNetworkInterfaces',
  method: 'GET',
  pattern: '/v3/:pid/vpc/sub-network-interfaces',
  scope: 'path',
  flavor: 'snake',
  handle({ project, query, requestId, paging }) {
    const filters: [string, (x: (typeof project.subNetworkInterfaces)[number]) => string][] = [
      ['id', (x) => x.id],
      ['virsubnet_id', (x) => x.virsubnet_id],
      ['private_ip_address', (x) => x.private_ip_address],
      ['mac_address', (x) => x.mac_address],
      ['vpc_id', (x) => x.vpc_id],
      ['parent_id', (x) => x.parent_id],
      ['description', (x) => x.description],
    ];
    const active = filters
      .map(([key, get]) => ({ set: new Set(query.all(key)), get }))
      .filter((f) => f.set.size > 0);
    const items = project.subNetworkInterfaces.filter((x) =>
      active.every((f) => f.set.has(f.get(x))),
    );
    const { page, page_info } = paginate(items, query, paging);
    return {
      status: 200,
      body: { request_id: requestId, sub_network_interfaces: page, page_info },
    };
  },
};

export const subInterfaceRoutes: Route[] = [listSubNetworkInterfaces];
