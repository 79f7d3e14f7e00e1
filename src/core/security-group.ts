import { NotFoundError, UnsafeError, UsageError } from './errors.js';
import type { SecurityGroup } from './types.js';

/** Groups CCE creates for nodes and masters: their rules carry the cluster's own traffic. */
const PROTECTED_GROUP = /-cce-(node|control)-/;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function eniGroupPattern(clusterName: string): RegExp {
  return new RegExp(`^${escapeRegExp(clusterName)}-cce-eni-[A-Za-z0-9]+$`);
}

export function isProtectedGroup(group: Pick<SecurityGroup, 'name'>): boolean {
  return PROTECTED_GROUP.test(group.name);
}

/** All groups named `<cluster>-cce-eni-<id>` (exact cluster name: a shared prefix does not match). */
export function matchEniGroups(
  groups: readonly SecurityGroup[],
  clusterName: string,
): SecurityGroup[] {
  const pattern = eniGroupPattern(clusterName);
  return groups.filter((g) => pattern.test(g.name));
}

/**
 * Finds the Turbo cluster's ENI security group. Names are matched on the client because the VPC
 * API filters names by exact match only. Never returns a node or control-plane group: a deny
 * rule there would cut kubelet and the masters off (reference §9.6).
 */
export function findEniSecurityGroup(
  groups: readonly SecurityGroup[],
  clusterName: string,
  explicitId?: string,
): SecurityGroup {
  if (explicitId) {
    const chosen = groups.find((g) => g.id === explicitId);
    if (!chosen) {
      throw new NotFoundError(
        `Security group ${explicitId} (from --security-group) does not exist in this region and project.`,
        'Check the id, --region and --project-id.',
      );
    }
    if (isProtectedGroup(chosen)) {
      throw new UnsafeError(
        `Refusing to use ${chosen.name} (${chosen.id}): it is a CCE node or control-plane group, whose rules carry the cluster's own traffic.`,
        `Pass the cluster's ENI group (${clusterName}-cce-eni-<id>) to --security-group.`,
      );
    }
    return chosen;
  }
  const matches = matchEniGroups(groups, clusterName);
  if (matches.length === 1 && matches[0]) return matches[0];
  if (matches.length === 0) {
    throw new NotFoundError(
      `No security group named ${clusterName}-cce-eni-<id> was found.`,
      'If the cluster uses a custom ENI security group, pass its id with --security-group.',
    );
  }
  throw new UsageError(
    `Several security groups match ${clusterName}-cce-eni-<id>: ${matches
      .map((g) => `${g.name} (${g.id})`)
      .join(', ')}.`,
    'One may be left over from a deleted cluster of the same name. Pick the right one with --security-group <id>.',
  );
}
