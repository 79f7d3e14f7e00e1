/**
 * Where `verify` probes from, what each probe's result means, and the findings and status that
 * go into the cluster report. Pure.
 */
import { shellCommand } from '../shell-words.js';
import type { ApiServerAddress } from '../cluster.js';
import type { ClusterStatus, Finding } from '../report.js';
import { desiredRule, matchRule } from '../rule.js';
import type { SgRule } from '../types.js';
import { NODE_POOL_LABEL, type NodeTaint, type ProbeLine, type ProbeTarget } from './probe.js';

export interface KubeNodeView {
  name: string;
  labels: Record<string, string>;
  taints: NodeTaint[];
  ready: boolean;
}

/** One place a probe pod runs: a node pool (Turbo) or a node (standard). */
export interface ProbePlace {
  kind: 'node-pool' | 'node';
  /** Pool name or node name. */
  name: string;
  /** The node the pod is pinned to. */
  node: string;
  taints: NodeTaint[];
}

/**
 * Turbo clusters: the rule is per security group, so one node of each pool stands for the pool
 * (`all` = every node). Standard clusters: rules live on each node, so every node is probed.
 * Nodes that are not Ready are skipped for pools (another node is picked) and reported otherwise.
 */
export function probePlaces(
  isTurbo: boolean,
  nodes: readonly KubeNodeView[],
  all: boolean,
): { places: ProbePlace[]; notReady: string[] } {
  const sorted = [...nodes].sort((a, b) => a.name.localeCompare(b.name));
  const notReady = sorted.filter((n) => !n.ready).map((n) => n.name);
  const ready = sorted.filter((n) => n.ready);
  if (!isTurbo || all) {
    return {
      places: ready.map((n) => ({ kind: 'node', name: n.name, node: n.name, taints: n.taints })),
      notReady,
    };
  }
  const byPool = new Map<string, KubeNodeView>();
  for (const n of ready) {
    const pool = n.labels[NODE_POOL_LABEL] ?? '(no node pool label)';
    if (!byPool.has(pool)) byPool.set(pool, n);
  }
  return {
    places: [...byPool.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([pool, n]) => ({ kind: 'node-pool', name: pool, node: n.name, taints: n.taints })),
    notReady,
  };
}

export type Verdict = 'blocked' | 'reachable' | 'error';

export interface ProbeResult {
  place: string;
  placeKind: 'node-pool' | 'node';
  node: string;
  target: string;
  address: string;
  verdict: Verdict;
  /** refused / timeout / connected, or why there is no result. */
  reason: string;
}

/** Results of one place: from its log when the pod finished, else an error for every target. */
export function placeResults(
  place: ProbePlace,
  targets: readonly ProbeTarget[],
  outcome: { lines: Map<string, ProbeLine> } | { error: string },
): ProbeResult[] {
  return targets.map((t) => {
    const base = {
      place: place.name,
      placeKind: place.kind,
      node: place.node,
      target: t.name,
      address: `${t.ip}:${t.port}`,
    };
    if ('error' in outcome) return { ...base, verdict: 'error', reason: outcome.error };
    const line = outcome.lines.get(t.name);
    if (!line) return { ...base, verdict: 'error', reason: 'the probe printed no result for it' };
    return { ...base, verdict: line.result, reason: line.reason };
  });
}

/** Endpoint ports of the API server that the cluster's deny rule(s) do not cover. */
export function uncoveredPorts(
  apiServer: ApiServerAddress,
  endpoints: readonly ApiServerAddress[],
  groupId: string,
  egressRules: readonly SgRule[],
): number[] {
  const ports = new Set<number>([apiServer.port]);
  for (const e of endpoints) if (e.ip === apiServer.ip) ports.add(e.port);
  return [...ports]
    .filter(
      (port) =>
        !egressRules.some(
          (r) =>
            r.enabled && matchRule(r, desiredRule(groupId, { ip: apiServer.ip, port })) !== null,
        ),
    )
    .sort((a, b) => a - b);
}

/** The coverage finding: the in-cluster path uses a port the deny rule(s) leave open. */
export function coverageFinding(
  clusterName: string,
  apiServer: ApiServerAddress,
  clusterIp: string | null,
  endpoints: readonly ApiServerAddress[],
  uncovered: readonly number[],
  groupName: string,
): Finding | null {
  const endpointPorts = endpoints.filter((e) => e.ip === apiServer.ip).map((e) => e.port);
  // The guide's own port is `check`'s business (rule-missing); this is about the other path.
  const open = uncovered.filter((p) => endpointPorts.includes(p) && p !== apiServer.port);
  if (open.length === 0) return null;
  const ports = [...new Set([apiServer.port, ...endpointPorts])].sort((a, b) => a - b);
  const via = clusterIp ? `the kubernetes Service ${clusterIp}:443 -> ` : '';
  return {
    code: 'endpoint-port-not-covered',
    severity: 'error',
    message:
      `In-cluster clients reach the API server through ${via}${apiServer.ip}:${open.join(',')}, a port the deny rule(s) in ${groupName} do not cover. ` +
      `Fix: ${shellCommand(['cce-harden', 'apply', '--cluster', clusterName, ...ports.flatMap((p) => ['--port', String(p)])])}`,
  };
}

/** Findings for the probe results: one per reachable target and place, one per failed place. */
export function probeFindings(results: readonly ProbeResult[]): Finding[] {
  const findings: Finding[] = [];
  const failedPlaces = new Set<string>();
  for (const r of results) {
    if (r.verdict === 'reachable' && r.target === 'metadata') {
      // Not what the API-server rule is about: worth knowing, not a failed verification.
      findings.push({
        code: 'metadata-reachable',
        severity: 'warning',
        message: `A pod on ${r.placeKind === 'node-pool' ? `node pool ${r.place} (node ${r.node})` : `node ${r.node}`} reached the metadata service (${r.address}).`,
      });
    } else if (r.verdict === 'reachable') {
      findings.push({
        code: 'apiserver-reachable',
        severity: 'error',
        message: `A pod on ${r.placeKind === 'node-pool' ? `node pool ${r.place} (node ${r.node})` : `node ${r.node}`} reached ${r.target} (${r.address}).`,
      });
    } else if (r.verdict === 'error' && !failedPlaces.has(r.place)) {
      failedPlaces.add(r.place);
      findings.push({
        code: 'probe-failed',
        severity: 'error',
        message: `No result from ${r.placeKind === 'node-pool' ? `node pool ${r.place}` : `node ${r.node}`}: ${r.reason}`,
      });
    }
  }
  return findings;
}

/**
 * The cluster's status: `drift` when any probe to the API server connected (the metadata probe
 * only adds a warning) (a proven exposure outranks a probe that
 * failed elsewhere), `error` when any probe gave no result or nothing was probed, else compliant.
 */
export function verifyStatus(results: readonly ProbeResult[]): ClusterStatus {
  if (results.some((r) => r.verdict === 'reachable' && r.target !== 'metadata')) return 'drift';
  if (results.length === 0 || results.some((r) => r.verdict === 'error')) return 'error';
  return 'compliant';
}

/** The `verify` part of a cluster's report (JSON `clusters[].verify`). */
export interface VerifyDetails {
  /** Which API address was used: the CCE-issued internal/external one, or a kubeconfig file. */
  access: 'internal' | 'external' | 'kubeconfig';
  kubernetesService: { clusterIp: string; port: number } | null;
  endpoints: ApiServerAddress[];
  targets: { name: string; address: string; description: string }[];
  probes: ProbeResult[];
  /** Probe pods created and deleted in this run; names left behind (should be empty). */
  cleanup: { created: number; deleted: number; leftovers: string[] };
}
