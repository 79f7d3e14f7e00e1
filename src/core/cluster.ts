import ipaddr from 'ipaddr.js';
import { NotFoundError, UsageError } from './errors.js';
import { containerCidrsOf } from './iptables.js';
import type { RawCluster } from './types.js';

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
}

/**
 * Finds the internal API server endpoint. Huawei's public cloud sends `[{url, type}]`; the
 * T-Systems variant sends `[{Internal: url}, {External: url}]`; both are accepted.
 */
export function findInternalEndpointUrl(raw: RawCluster): string | null {
  for (const ep of raw.status?.endpoints ?? []) {
    if (!ep || typeof ep !== 'object') continue;
    const rec = ep as Record<string, unknown>;
    if (typeof rec.url === 'string' && rec.type === 'Internal') return rec.url;
    if (typeof rec.Internal === 'string') return rec.Internal;
  }
  return null;
}

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
  if (ipaddr.IPv6.isValid(host)) {
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
  const port = m?.[2] !== undefined ? Number(m[2]) : DEFAULT_API_SERVER_PORT;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    return { ok: false, problem: `the internal API server port in "${url}" is out of range` };
  }
  return { ok: true, value: { ip: ipaddr.IPv4.parse(host).toString(), port } };
}

export function readClusterFacts(raw: RawCluster): ClusterFacts {
  const net = raw.spec.containerNetwork ?? {};
  const eni = raw.spec.eniNetwork ?? {};
  const eniSubnetIds = [
    ...new Set(
      [...(eni.subnets ?? []).map((s) => s.subnetID), eni.eniSubnetId].filter(
        (s): s is string => typeof s === 'string' && s !== '',
      ),
    ),
  ];
  const category = raw.spec.category ?? 'CCE';
  const url = findInternalEndpointUrl(raw);
  let apiServer: ApiServerAddress | null = null;
  let apiServerProblem: string | null = null;
  if (url === null) {
    apiServerProblem = 'the cluster reports no internal API server endpoint';
  } else {
    const parsed = parseApiServerUrl(url);
    if (parsed.ok) apiServer = parsed.value;
    else apiServerProblem = parsed.problem;
  }
  return {
    id: raw.metadata.uid,
    name: raw.metadata.name,
    category,
    isTurbo: category === 'Turbo',
    networkMode: net.mode ?? null,
    phase: raw.status?.phase ?? null,
    version: raw.spec.version ?? null,
    apiServer,
    apiServerProblem,
    containerCidrs: containerCidrsOf(raw),
    eniSubnetIds,
    eniSubnetCidr: eni.eniSubnetCIDR ?? null,
  };
}

/**
 * Picks the cluster a user named, by id (uid) or by name. An unknown reference is an error that
 * lists the clusters that do exist, so the user can correct the flag.
 */
export function selectCluster(clusters: readonly RawCluster[], ref: string): RawCluster {
  const byId = clusters.find((c) => c.metadata.uid === ref);
  if (byId) return byId;
  const byName = clusters.filter((c) => c.metadata.name === ref);
  if (byName.length === 1 && byName[0]) return byName[0];
  if (byName.length > 1) {
    throw new UsageError(
      `Several clusters are named "${ref}": ${byName.map((c) => c.metadata.uid).join(', ')}`,
      'Pass the cluster id to --cluster instead of its name.',
    );
  }
  const names = clusters.map((c) => c.metadata.name).sort();
  throw new NotFoundError(
    `No cluster "${ref}" in this region and project.`,
    names.length > 0
      ? `Clusters that exist here: ${names.join(', ')}. Check --cluster, --region and --project-id.`
      : 'There are no clusters in this region and project. Check --region and --project-id.',
  );
}
