import { paginate } from '../pagination.js';
import type { Route } from '../http/router.js';
import { requireGroup, rulesOf } from './vpc-lookup.js';

const BASE = '/v3/:pid/vpc/security-groups';

/** ListSecurityGroups: exact-match filters on repeated `id`/`name`/`description` (docs/cloud-api.md, "VPC: security groups and rules"). */
const listSecurityGroups: Route = {
  operation: 'ListSecurityGroups',
  method: 'GET',
  pattern: BASE,
  scope: 'path',
  flavor: 'snake',
  handle({ project, query, requestId, paging }) {
    const ids = new Set(query.all('id'));
    const names = new Set(query.all('name'));
    const descriptions = new Set(query.all('description'));
    const eps = query.one('enterprise_project_id');
    const items = project.securityGroups.filter(
      (g) =>
        (ids.size === 0 || ids.has(g.id)) &&
        (names.size === 0 || names.has(g.name)) &&
        (descriptions.size === 0 || descriptions.has(g.description)) &&
        (eps === undefined || eps === 'all_granted_eps' || eps === g.enterprise_project_id),
    );
    const { page, page_info } = paginate(items, query, paging);
    return { status: 200, body: { request_id: requestId, security_groups: page, page_info } };
  },
};

/** ShowSecurityGroup includes the group's rules. */
const showSecurityGroup: Route = {
  operation: 'ShowSecurityGroup',
  method: 'GET',
  pattern: `${BASE}/:sgid`,
  scope: 'path',
  flavor: 'snake',
  handle({ project, params, requestId }) {
    const g = requireGroup(project, params['sgid'] ?? '');
    return {
      status: 200,
      body: {
        request_id: requestId,
        security_group: { ...g, security_group_rules: rulesOf(project, g.id) },
      },
    };
  },
};

export const securityGroupRoutes: Route[] = [listSecurityGroups, showSecurityGroup];
