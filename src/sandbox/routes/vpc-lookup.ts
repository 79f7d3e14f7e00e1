import { vpcFail } from '../http/api-failure.js';
import { indexBy, lookup } from '../world-index.js';
import type { WireSecurityGroup, WireSecurityGroupRule, WorldProject } from '../world.js';

/** Indexed access to a project's VPC objects, so a 500-cluster world stays O(1) per lookup. */
export function groupById(p: WorldProject, id: string): WireSecurityGroup | undefined {
  return lookup(p.securityGroups, 'id', (g) => g.id, id);
}

export function requireGroup(p: WorldProject, id: string): WireSecurityGroup {
  const g = groupById(p, id);
  if (!g) throw vpcFail(404, 'VPC.9904', `Security group ${id} does not exist.`);
  return g;
}

export function ruleById(p: WorldProject, id: string): WireSecurityGroupRule | undefined {
  return lookup(p.securityGroupRules, 'id', (r) => r.id, id);
}

export function rulesOf(p: WorldProject, groupId: string): WireSecurityGroupRule[] {
  return indexBy(p.securityGroupRules, 'sg', (r) => r.security_group_id).get(groupId) ?? [];
}
