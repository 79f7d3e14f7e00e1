import { vpcFail } from '../http/api-failure.js';
import type { Route } from '../http/router.js';

/** VPC v1 ListSubnets pages hold at most this many subnets when `limit` is absent. */
const DEFAULT_LIMIT = 2000;
const MAX_LIMIT = 2 ** 31 - 1;

/**
 * VPC v1 ListSubnets (`GET /v1/{project_id}/subnets`, docs/cloud-api.md, "VPC subnets"): the
 * only place that shows both ids of a subnet, its own `id` (what VPC v3 sub-interfaces call
 * `virsubnet_id`) and `neutron_subnet_id` (what CCE calls `subnetID`/`eniSubnetId`). Filter
 * `vpc_id`; `limit` (0 = the default 2000) and `marker` (the id of the last subnet of the
 * previous page). Unlike VPC v3 there is no `page_info`: a short page is the last one.
 */
const listSubnets: Route = {
  operation: 'ListSubnets',
  method: 'GET',
  pattern: '/v1/:pid/subnets',
  scope: 'path',
  flavor: 'snake',
  handle({ project, query }) {
    const vpcId = query.one('vpc_id');
    const all = (project.subnets ?? []).filter((s) => vpcId === undefined || s.vpc_id === vpcId);
    const rawLimit = query.one('limit');
    let limit = DEFAULT_LIMIT;
    if (rawLimit !== undefined) {
      if (!/^\d+$/.test(rawLimit) || Number(rawLimit) > MAX_LIMIT) {
        throw vpcFail(400, 'VPC.0002', `Invalid limit ${rawLimit}.`);
      }
      if (Number(rawLimit) > 0) limit = Number(rawLimit);
    }
    let start = 0;
    const marker = query.one('marker');
    if (marker) {
      const at = all.findIndex((s) => s.id === marker);
      if (at < 0) throw vpcFail(400, 'VPC.0002', `Invalid marker ${marker}.`);
      start = at + 1;
    }
    return { status: 200, body: { subnets: all.slice(start, start + limit) } };
  },
};

export const subnetRoutes: Route[] = [listSubnets];
