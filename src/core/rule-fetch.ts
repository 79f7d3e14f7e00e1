import { CloudError } from './errors.js';
import type { ProjectRuleFilter, RuleStore, SgRule } from './types.js';

/** Group ids per ListSecurityGroupRules request on the group-by-group path (URL length). */
export const GROUP_IDS_PER_REQUEST = 40;

/** ListSecurityGroups / ListSecurityGroupRules page size. */
const PAGE_SIZE = 2000;

/**
 * The project-wide read that brings every rule a check, an apply plan or a removal plan of an ENI
 * group looks at: egress rules at priority 1, deny and allow. A match is a deny at priority 1,
 * the warning is an allow at priority 1, and cce-harden only ever creates priority-1 deny rules
 * (the VPC v3 API cannot change a rule's priority or action afterwards). One filter, not one per
 * action, keeps the API's order within each group, so findings come out in the same order as
 * group by group. docs/fleet.md has the reasoning in full.
 */
export const DECIDING_RULE_FILTER: ProjectRuleFilter = { direction: 'egress', priority: [1] };

export type RuleFetchStrategy = 'by-group' | 'project-wide';

/**
 * Group by group costs one request per 40 groups. Project-wide costs one request per page of the
 * project's priority-1 egress rules, whatever the number of groups checked; that is estimated as
 * one page per page of the project's groups (CCE's own groups carry no priority-1 egress rule;
 * ENI groups one or two). So group by group for a few clusters, or a few of a large project's,
 * and project-wide for a fleet.
 */
export function chooseRuleFetch(
  groupCount: number,
  projectGroupCount: number,
  store: RuleStore,
): RuleFetchStrategy {
  const byGroup = Math.ceil(groupCount / GROUP_IDS_PER_REQUEST);
  const projectWide = Math.max(1, Math.ceil(projectGroupCount / PAGE_SIZE));
  return store.listProjectRules && byGroup > projectWide ? 'project-wide' : 'by-group';
}

/** A 400 answer to the filtered read: the API does not take one of the filters. */
function refusedFilter(err: unknown): boolean {
  return err instanceof CloudError && err.httpStatus === 400;
}

/**
 * The egress rules of the given ENI groups that decide their verdicts, findings and plans, in as
 * few requests as the fleet allows; rules of other groups are dropped page by page. The
 * project-wide read falls back to group-by-group reads when the API refuses a filter; any other
 * failure is the caller's to report.
 */
export async function fetchDecidingRules(
  store: RuleStore,
  securityGroupIds: readonly string[],
  projectGroupCount: number,
  strategy = chooseRuleFetch(new Set(securityGroupIds).size, projectGroupCount, store),
): Promise<SgRule[]> {
  const wanted = new Set(securityGroupIds);
  if (strategy === 'project-wide' && store.listProjectRules) {
    try {
      const rules = await store.listProjectRules(DECIDING_RULE_FILTER, (r) =>
        wanted.has(r.securityGroupId),
      );
      if (rules) return rules;
    } catch (err) {
      if (!refusedFilter(err)) throw err;
    }
  }
  return store.listRules([...wanted], { direction: 'egress' });
}

/**
 * A fleet's project-wide read, started with the group listing instead of after it (the rules it
 * brings do not depend on the groups; only which of them are kept does). Settled, never
 * rejected: the caller decides what a failure means once the groups are known.
 */
export type FleetRuleRead = Promise<{ rules: SgRule[] | null } | { error: unknown }>;

/**
 * Starts the project-wide read of the deciding rules for a region with this many Turbo clusters
 * to check, when that is a fleet: more clusters than one group-by-group request covers. The read
 * gives up (null) once it would take more requests than reading their groups 40 at a time, so a
 * project with few Turbo clusters among many rule-carrying groups still costs at most twice the
 * group-by-group read. Null when group by group is the way from the start.
 */
export function startFleetRuleRead(store: RuleStore, turboClusters: number): FleetRuleRead | null {
  const byGroup = Math.ceil(turboClusters / GROUP_IDS_PER_REQUEST);
  if (!store.listProjectRules || byGroup <= 1) return null;
  return store
    .listProjectRules(DECIDING_RULE_FILTER, () => true, { maxPages: byGroup })
    .then(
      (rules) => ({ rules }),
      (error: unknown) => ({ error }),
    );
}

/**
 * The deciding rules of the given groups from a fleet read started earlier; group by group when
 * that read was refused (a 400: a filter the API does not take) or gave up. Any other failure is
 * the caller's to report.
 */
export async function finishFleetRuleRead(
  read: FleetRuleRead,
  store: RuleStore,
  securityGroupIds: readonly string[],
): Promise<SgRule[]> {
  const wanted = new Set(securityGroupIds);
  const result = await read;
  if ('error' in result) {
    if (!refusedFilter(result.error)) throw result.error;
  } else if (result.rules) {
    return result.rules.filter((r) => wanted.has(r.securityGroupId));
  }
  return store.listRules([...wanted], { direction: 'egress' });
}
