import { NotFoundError, UsageError } from './errors.js';
import type { SecurityGroup } from './types.js';

/** Groups CCE creates for nodes and masters: their rules carry the cluster's own traffic. */
const PROTECTED_GROUP = /-cce-(node|control)-/;

export function isProtectedGroup(group: Pick<SecurityGroup, 'name'>): boolean {
  return PROTECTED_GROUP.test(group.name);
}

const ENI_MARK = '-cce-eni-';
const ENI_SUFFIX = /^[A-Za-z0-9]+$/;

/**
 * The cluster a group name `<cluster>-cce-eni-<id>` belongs to, or null; `<id>` is one or more
 * ASCII letters and digits. The id has no `-`, so the split is at the last `-cce-eni-`: a name
 * belongs to at most one cluster name.
 */
export function eniGroupClusterName(groupName: string): string | null {
  const at = groupName.lastIndexOf(ENI_MARK);
  if (at < 0) return null;
  return ENI_SUFFIX.test(groupName.slice(at + ENI_MARK.length)) ? groupName.slice(0, at) : null;
}

/**
 * Whether `groupName` is `<clusterName>-cce-eni-<id>`, without a regular expression per cluster
 * (each distinct pattern is compiled on its own, which costs a fleet of thousands several
 * megabytes; docs/fleet.md, "Memory").
 */
export function isEniGroupName(groupName: string, clusterName: string): boolean {
  return eniGroupClusterName(groupName) === clusterName;
}

/** Groups by the cluster name their ENI name carries, and by id; built in one pass. */
export interface GroupIndex {
  eniByCluster: Map<string, SecurityGroup[]>;
  byId: Map<string, SecurityGroup>;
}

export function indexGroups(groups: readonly SecurityGroup[]): GroupIndex {
  const eniByCluster = new Map<string, SecurityGroup[]>();
  const byId = new Map<string, SecurityGroup>();
  for (const g of groups) {
    // The first of equal ids wins, as a linear search would find it.
    if (!byId.has(g.id)) byId.set(g.id, g);
    const cluster = eniGroupClusterName(g.name);
    if (cluster === null) continue;
    const list = eniByCluster.get(cluster);
    if (list) list.push(g);
    else eniByCluster.set(cluster, [g]);
  }
  return { eniByCluster, byId };
}

/**
 * A fleet looks up every cluster in the same list: index it once per list. The list must not be
 * changed after it is read (a changed length rebuilds the index).
 */
const groupIndexes = new WeakMap<readonly SecurityGroup[], { length: number; index: GroupIndex }>();

function groupIndexOf(groups: readonly SecurityGroup[]): GroupIndex {
  const hit = groupIndexes.get(groups);
  if (hit && hit.length === groups.length) return hit.index;
  const index = indexGroups(groups);
  groupIndexes.set(groups, { length: groups.length, index });
  return index;
}

/** All groups named `<cluster>-cce-eni-<id>` (exact cluster name: a shared prefix does not match). */
export function matchEniGroups(
  groups: readonly SecurityGroup[],
  clusterName: string,
): SecurityGroup[] {
  return [...(groupIndexOf(groups).eniByCluster.get(clusterName) ?? [])];
}

/** What `--security-group` is checked against: the cluster and the other clusters of the region. */
export interface GroupOwnership {
  cluster: {
    name: string;
    nodeSecurityGroupId?: string | null;
    controlPlaneSecurityGroupId?: string | null;
  };
  clusters: readonly {
    name: string;
    nodeSecurityGroupId?: string | null;
    controlPlaneSecurityGroupId?: string | null;
  }[];
}

/**
 * A group given with `--security-group` must belong to the cluster: never a node or control-plane
 * group (by the ids in the cluster specs, or by CCE's names), never `default`, never another
 * existing cluster's ENI group. Refusals are usage errors (exit 64): nothing is written.
 */
function refuseForeignGroup(
  chosen: SecurityGroup,
  clusterName: string,
  own?: GroupOwnership,
): void {
  const hint = `Pass the cluster's ENI group (${clusterName}-cce-eni-<id>) to --security-group.`;
  const refuse = (why: string): never => {
    throw new UsageError(`Refusing --security-group ${chosen.name} (${chosen.id}): ${why}`, hint);
  };
  if (own) {
    const c = own.cluster;
    if (chosen.id === c.nodeSecurityGroupId) {
      refuse(
        `it is ${c.name}'s node security group (spec.hostNetwork.SecurityGroup); a deny rule there can cut the nodes off their own API server.`,
      );
    }
    if (chosen.id === c.controlPlaneSecurityGroupId) {
      refuse(
        `it is ${c.name}'s control-plane security group (spec.hostNetwork.controlPlaneSecurityGroup), whose rules carry the masters' traffic.`,
      );
    }
    const other = own.clusters.find(
      (o) =>
        o.name !== c.name &&
        (chosen.id === o.nodeSecurityGroupId || chosen.id === o.controlPlaneSecurityGroupId),
    );
    if (other) refuse(`it is a node or control-plane security group of cluster ${other.name}.`);
  }
  if (isProtectedGroup(chosen)) {
    refuse("it is a CCE node or control-plane group, whose rules carry the cluster's own traffic.");
  }
  if (chosen.name === 'default') {
    refuse("it is the project's default security group, which other resources use.");
  }
  const owner = eniGroupClusterName(chosen.name);
  if (
    owner !== null &&
    owner !== clusterName &&
    own?.clusters.some((o) => o.name === owner) === true
  ) {
    refuse(`it is the ENI group of another cluster, ${owner}.`);
  }
}

/**
 * Finds the Turbo cluster's ENI security group. Names are matched on the client because the VPC
 * API filters names by exact match only. Never returns a node or control-plane group: a deny
 * rule there would cut kubelet and the masters off (docs/cloud-api.md, "CCE Turbo security
 * groups").
 */
export function findEniSecurityGroup(
  groups: readonly SecurityGroup[],
  clusterName: string,
  explicitId?: string,
  ownership?: GroupOwnership,
): SecurityGroup {
  if (explicitId) {
    const chosen = groupIndexOf(groups).byId.get(explicitId);
    if (!chosen) {
      throw new NotFoundError(
        `Security group ${explicitId} (from --security-group) does not exist in this region and project.`,
        'Check the id, --region and --project-id.',
      );
    }
    refuseForeignGroup(chosen, clusterName, ownership);
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
