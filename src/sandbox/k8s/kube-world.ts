import { nextUuid } from '../ids.js';
import type { World, WorldCluster, WorldProject } from '../world.js';

/**
 * What the Kubernetes API emulator keeps per cluster (`WorldCluster.kube`). Plain JSON, persisted
 * with the rest of the world, so a probe pod left behind by an interrupted run is still there in
 * the next run. A cluster without `kube` gets one derived from its CCE objects on first use.
 */
export interface KubeClusterState {
  /** ClusterIP of the `kubernetes` Service (CCE's default service CIDR is 10.247.0.0/16). */
  serviceIp: string;
  /** Port of the `kubernetes` EndpointSlice: where kube-apiserver listens (5443 or 5444). */
  endpointPort: number;
  /** Ports the API server accepts on its internal IP (CCE's master group opens 5443 and 5444). */
  listeningPorts: number[];
  /** false: the kubeconfig's internal server address refuses connections from this machine. */
  internalReachable: boolean;
  nodes: KubeNodeState[];
  namespaces: KubeNamespace[];
  /** Pod objects as served (metadata, spec, status). */
  pods: KubePod[];
  /** ConfigMaps as served (absent in worlds saved before they were emulated). */
  configMaps?: KubeConfigMap[];
  /** "verb resource", e.g. "create pods", "get pods/log", "list nodes": answered 403. */
  forbidden: string[];
  /** Images that cannot be pulled; "*" = every image. */
  failImages: string[];
  /** Every new pod stays Pending with a FailedScheduling condition. */
  unschedulable: boolean;
  /** CreateKubernetesClusterCert answers 403 (the IAM user lacks the permission). */
  certDenied: boolean;
  /** How long a probe pod runs before it has finished and has its log. */
  podRunMs: number;
}

export interface KubeNamespace {
  name: string;
  uid: string;
  labels: Record<string, string>;
  creationTimestamp: string;
}

/**
 * One node. `iptables` holds the filter rules the node runs (what the cce-harden block installs:
 * REJECT from the container CIDR to the API server); a node that never ran the script has none.
 */
export interface KubeNodeState {
  name: string;
  ip: string;
  /** Node pool name (label `cce.cloud.com/cce-nodepool`). */
  pool: string;
  poolId: string;
  /** Pod addresses on this node come from here. */
  podCidr: string;
  iptables: KubeIptablesRule[];
  taints: { key: string; value?: string; effect: string }[];
}

export interface KubeIptablesRule {
  chain: 'OUTPUT' | 'FORWARD';
  /** CIDR; null = any source. */
  source: string | null;
  /** CIDR or address. */
  destination: string;
  /** null = every protocol. */
  protocol: 'tcp' | null;
  /** null = every port. */
  dport: number | null;
  target: 'REJECT' | 'DROP';
}

/** A namespaced object's metadata, as the emulator keeps it. */
export interface KubeObjectMeta {
  name: string;
  namespace: string;
  uid: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: unknown[];
  creationTimestamp: string;
  resourceVersion: string;
}

export interface KubePod {
  apiVersion: 'v1';
  kind: 'Pod';
  metadata: KubeObjectMeta;
  spec: Record<string, unknown>;
  status: Record<string, unknown>;
  /** Not served: the log the "container" wrote, and when the pod was created (ms). */
  sandbox: { log: string; createdMs: number; node: string | null; podIp: string | null };
}

export interface KubeConfigMap {
  apiVersion: 'v1';
  kind: 'ConfigMap';
  metadata: Omit<KubeObjectMeta, 'ownerReferences'>;
  data: Record<string, string>;
}

export const DEFAULT_SERVICE_IP = '10.247.0.1';

/** The endpoint URL of one kind from the cluster's CCE status, in any of its documented shapes. */
function endpointUrl(wc: WorldCluster, kind: 'Internal' | 'External'): string | null {
  const e = wc.cluster.status?.endpoints;
  if (!e) return null;
  if (!Array.isArray(e)) {
    const v = kind === 'Internal' ? e.internal : e.external;
    return typeof v === 'string' ? v : null;
  }
  for (const rec of e) {
    const url = rec['type'] === kind ? rec['url'] : rec[kind];
    if (url) return url;
  }
  return null;
}

/** The internal API server address from the cluster's CCE status (`Internal` endpoint). */
export function internalApiServer(wc: WorldCluster): { ip: string; port: number } | null {
  const m = /^https:\/\/([0-9.]+):(\d+)/.exec(endpointUrl(wc, 'Internal') ?? '');
  return m?.[1] && m[2] ? { ip: m[1], port: Number(m[2]) } : null;
}

export function externalApiServer(wc: WorldCluster): string | null {
  return endpointUrl(wc, 'External');
}

function containerCidrs(wc: WorldCluster): string[] {
  const cn = wc.cluster.spec.containerNetwork;
  const list = (cn?.cidrs ?? []).map((c) => c.cidr);
  if (cn?.cidr) list.push(cn.cidr);
  return list;
}

export function isTurbo(wc: WorldCluster): boolean {
  return wc.cluster.spec.category === 'Turbo';
}

/** a.b.c.d/n → [a,b,c,d] (the network part). */
function octets(cidr: string): number[] {
  return (cidr.split('/')[0] ?? '0.0.0.0').split('.').map(Number);
}

/** Nodes derived from the node pools (one per current node); names are node IPs, as on CCE. */
function deriveNodes(wc: WorldCluster, clusterIndex: number): KubeNodeState[] {
  const nodes: KubeNodeState[] = [];
  const cidrs = containerCidrs(wc);
  const eniCidr = wc.cluster.spec.eniNetwork?.eniSubnetCIDR ?? '192.168.128.0/18';
  let n = 0;
  for (const pool of wc.nodePools) {
    const count = pool.status?.currentNode ?? pool.spec.initialNodeCount ?? 0;
    const taints =
      (pool.spec.nodeTemplate?.['taints'] as KubeNodeState['taints'] | undefined) ?? [];
    for (let i = 0; i < count; i++, n++) {
      const ip = `192.168.${64 + (clusterIndex % 64)}.${10 + n}`;
      let podCidr: string;
      if (isTurbo(wc)) {
        const [a, b, c] = octets(eniCidr);
        podCidr = `${a}.${b}.${(c ?? 0) + 1 + n}.0/24`;
      } else {
        const [a, b] = octets(cidrs[0] ?? '172.16.0.0/16');
        podCidr = `${a}.${b}.${n}.0/24`;
      }
      nodes.push({
        name: ip,
        ip,
        pool: pool.metadata.name,
        poolId: pool.metadata.uid,
        podCidr,
        iptables: [],
        taints,
      });
    }
  }
  return nodes;
}

/** The rules the cce-harden block puts on a node of this cluster (every container CIDR). */
export function hardenedNodeRules(
  wc: WorldCluster,
  opts: { port?: number } = {},
): KubeIptablesRule[] {
  const api = internalApiServer(wc);
  if (!api) return [];
  const chain = wc.cluster.spec.containerNetwork?.mode === 'overlay_l2' ? 'FORWARD' : 'OUTPUT';
  return containerCidrs(wc).map((cidr) => ({
    chain,
    source: cidr,
    destination: `${api.ip}/32`,
    protocol: opts.port ? 'tcp' : null,
    dport: opts.port ?? null,
    target: 'REJECT',
  }));
}

export function defaultKubeState(wc: WorldCluster, clusterIndex: number): KubeClusterState {
  return {
    serviceIp: DEFAULT_SERVICE_IP,
    endpointPort: internalApiServer(wc)?.port ?? 5443,
    listeningPorts: [5443, 5444],
    internalReachable: true,
    nodes: deriveNodes(wc, clusterIndex),
    namespaces: ['default', 'kube-system', 'kube-public', 'kube-node-lease'].map((name, i) => ({
      name,
      uid: `00000000-0000-4000-8000-${String(clusterIndex).padStart(6, '0')}${String(i).padStart(6, '0')}`,
      labels: { 'kubernetes.io/metadata.name': name },
      creationTimestamp: wc.cluster.metadata['creationTimestamp'] as string,
    })),
    pods: [],
    configMaps: [],
    forbidden: [],
    failImages: [],
    unschedulable: false,
    certDenied: false,
    podRunMs: 30,
  };
}

/** The cluster's Kubernetes state, created from its CCE objects on first use. */
export function kubeOf(world: World, project: WorldProject, wc: WorldCluster): KubeClusterState {
  wc.kube ??= defaultKubeState(
    wc,
    world.projects.indexOf(project) * 100 + project.clusters.indexOf(wc),
  );
  return wc.kube;
}

/** Every cluster with its project, for lookups by id across the world. */
export function findClusterById(
  world: World,
  id: string,
): { project: WorldProject; wc: WorldCluster } | undefined {
  for (const project of world.projects) {
    const wc = project.clusters.find((c) => c.cluster.metadata.uid === id);
    if (wc) return { project, wc };
  }
  return undefined;
}

export function newUid(world: World, label: string): string {
  return nextUuid(world, label);
}

/** Sets up (or changes) the Kubernetes side of one cluster of a built world. */
export function withKube(
  world: World,
  clusterName: string,
  change: (state: KubeClusterState, wc: WorldCluster) => void,
): World {
  for (const project of world.projects) {
    const wc = project.clusters.find((c) => c.cluster.metadata.name === clusterName);
    if (wc) {
      change(kubeOf(world, project, wc), wc);
      return world;
    }
  }
  throw new Error(`no cluster ${clusterName}`);
}
