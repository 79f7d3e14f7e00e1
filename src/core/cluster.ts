import ipaddr from 'ipaddr.js';
import { NotFoundError, UsageError } from './errors.js';

/** The internal API server port when the endpoint URL names none (the CCE default). */
export const DEFAULT_API_SERVER_PORT = 5443;

export interface ApiServerAddress {
  ip: string;
  port: number;
}

/** What cce-harden needs to know about a cluster, read from the CCE cluster object. */
export interface ClusterFacts {
  id: string;
  name: string;
  /** `Turbo` or `CCE` (standard). */
  category: string;
  isTurbo: boolean;
  /** `eni`, `vpc-router`, `overlay_l2`, or null when the API omits it. */
  networkMode: string | null;
  phase: string | null;
  version: string | null;
  /** The internal API server; null when it cannot be used (see apiServerProblem). */
  apiServer: ApiServerAddress | null;
  apiServerProblem: string | null;
  /** Container CIDRs: `containerNetwork.cidrs[]`, else the legacy `cidr`. */
  containerCidrs: string[];
  /** Turbo: ENI subnet ids (pods take their IPs from these VPC subnets). */
  eniSubnetIds: string[];
  /** Turbo: the deprecated single ENI subnet CIDR, when the API still sends it. */
  eniSubnetCidr: string | null;
  /** `spec.hostNetwork.SecurityGroup`: the nodes' security group id, when the API sends it. */
  nodeSecurityGroupId?: string | null;
  /** `spec.hostNetwork.controlPlaneSecurityGroup`: the masters' security group id. */
  controlPlaneSecurityGroupId?: string | null;
}

const NOT_UNICAST = new Set(['unspecified', 'loopback', 'broadcast', 'multicast']);

/** Parses `https://192.168.0.61:5443` into an IPv4 address and port; explains any problem. */
export function parseApiServerUrl(
  url: string,
): { ok: true; value: ApiServerAddress } | { ok: false; problem: string } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { ok: false, problem: `the internal API server address "${url}" is not a URL` };
  }
  // Read the host as written: the URL parser would turn "010.0.0.1" into 8.0.0.1 (octal).
  // Same for the port: the parser drops a port equal to the scheme's default (https://x:443).
  const m = /^[a-z]+:\/\/(?:[^@/]*@)?(\[[^\]]*\]|[^/:?#]*)(?::(\d+))?/i.exec(url);
  const written = m?.[1] ?? parsed.hostname;
  const host = written.replace(/^\[|\]$/g, '');
  // Every IPv6 form has a colon; IPv6.isValid throws (and catches) internally on an IPv4 address,
  // which costs a fleet one exception per cluster.
  if (host.includes(':') && ipaddr.IPv6.isValid(host)) {
    return {
      ok: false,
      problem: `the internal API server address ${host} is IPv6; cce-harden builds IPv4 rules only`,
    };
  }
  if (!ipaddr.IPv4.isValidFourPartDecimal(host)) {
    return {
      ok: false,
      problem: `the internal API server address "${host}" is not an IPv4 address`,
    };
  }
  const range = ipaddr.IPv4.parse(host).range();
  if (NOT_UNICAST.has(range)) {
    // A deny rule to such an address protects nothing (and 0.0.0.0 would be read as "any").
    return {
      ok: false,
      problem: `the internal API server address ${host} is not a unicast address (${range})`,
    };
  }
  const port = m?.[2] !== undefined ? Number(m[2]) : DEFAULT_API_SERVER_PORT;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    return { ok: false, problem: `the internal API server port in "${url}" is out of range` };
  }
  return { ok: true, value: { ip: ipaddr.IPv4.parse(host).toString(), port } };
}

/** What cloud/ reads from a cluster object, before the API server address is interpreted. */
export interface ClusterFields {
  id: string;
  name: string;
  category: string;
  networkMode: string | null;
  phase: string | null;
  version: string | null;
  /** The URL of the internal endpoint, or null when the cluster reports none. */
  internalEndpointUrl: string | null;
  containerCidrs: string[];
  eniSubnetIds: string[];
  eniSubnetCidr: string | null;
  nodeSecurityGroupId?: string | null;
  controlPlaneSecurityGroupId?: string | null;
}

export function clusterFacts(fields: ClusterFields): ClusterFacts {
  const { internalEndpointUrl: url, ...rest } = fields;
  let apiServer: ApiServerAddress | null = null;
  let apiServerProblem: string | null = null;
  if (url === null) {
    apiServerProblem = 'the cluster reports no internal API server endpoint';
  } else {
    const parsed = parseApiServerUrl(url);
    if (parsed.ok) apiServer = parsed.value;
    else apiServerProblem = parsed.problem;
  }
  return { ...rest, isTurbo: fields.category === 'Turbo', apiServer, apiServerProblem };
}

/**
 * Picks the cluster a user named, by id (uid) or by name. An unknown reference is an error that
 * lists the clusters that do exist, so the user can correct the flag.
 */
export function selectCluster<C extends { id: string; name: string }>(
  clusters: readonly C[],
  ref: string,
): C {
  const byId = clusters.find((c) => c.id === ref);
  if (byId) return byId;
  const byName = clusters.filter((c) => c.name === ref);
  if (byName.length === 1 && byName[0]) return byName[0];
  if (byName.length > 1) {
    throw new UsageError(
      `Several clusters are named "${ref}": ${byName.map((c) => c.id).join(', ')}`,
      'Pass the cluster id to --cluster instead of its name.',
    );
  }
  const names = clusters.map((c) => c.name).sort();
  throw new NotFoundError(
    `No cluster "${ref}" in this region and project.`,
    names.length > 0
      ? `Clusters that exist here: ${names.join(', ')}. Check --cluster, --region and --project-id.`
      : 'There are no clusters in this region and project. Check --region and --project-id.',
  );
}
