/**
 * The probe pod of `verify`: what it connects to, how it is built, and how its log is read.
 * Pure: the CLI creates the pods through the Kubernetes adapter and hands the log back here.
 */
import type { ApiServerAddress } from '../cluster.js';

/** Namespace the probe pods run in (the RBAC manifest in templates/ grants exactly this one). */
export const PROBE_NAMESPACE = 'cce-harden';
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'cce-harden';
export const COMPONENT_LABEL = 'app.kubernetes.io/component';
export const COMPONENT = 'verify-probe';
/** Label with the id of the run that created a pod: `verify --cleanup` finds leftovers by it. */
export const RUN_LABEL = 'cce-harden.io/verify-run';
/** Label selector for every pod any verify run created. */
export const PROBE_SELECTOR = `${MANAGED_BY_LABEL}=${MANAGED_BY},${COMPONENT_LABEL}=${COMPONENT}`;
/** Component label of the per-run ConfigMap that owns the run's probe pods. */
export const OWNER_COMPONENT = 'verify-run';
/** Label selector for every run owner (ConfigMap) any verify run created. */
export const OWNER_SELECTOR = `${MANAGED_BY_LABEL}=${MANAGED_BY},${COMPONENT_LABEL}=${OWNER_COMPONENT}`;
/** The variable the probe script reads its targets from: `name=ip:port name=ip:port ...`. */
export const PROBE_TARGETS_ENV = 'CCE_HARDEN_PROBE_TARGETS';
/** A small public image with `sh` and `curl`; mirror it to SWR for clusters without internet. */
export const DEFAULT_PROBE_IMAGE = 'docker.io/curlimages/curl:8.11.1';
export const METADATA_ADDRESS: ApiServerAddress = { ip: '169.254.169.254', port: 80 };
/** Taint of nodes reserved for workloads that must not reach the API server (workload-isolation.yaml). */
export const HARDENED_NODE_TAINT = { key: 'cce-harden/apiserver', value: 'blocked' };
/** Node label CCE puts on every node: the node pool's name. */
export const NODE_POOL_LABEL = 'cce.cloud.com/cce-nodepool';

export interface ProbeTarget {
  /** Stable kebab-case name, e.g. `apiserver-5443`, `kubernetes-service`, `metadata`. */
  name: string;
  ip: string;
  port: number;
  /** What the address is, for people. */
  description: string;
}

/** The `kubernetes` Service and its endpoints, as read from the cluster. */
export interface InClusterApiPath {
  clusterIp: string | null;
  /** Service port (443). */
  servicePort: number;
  /** Endpoint addresses and ports from the EndpointSlice(s). */
  endpoints: ApiServerAddress[];
}

/**
 * What each probe pod connects to: the internal API server on 5443 (the guide's port) and on each
 * endpoint port of the `kubernetes` Service, the Service's ClusterIP:443, and optionally the
 * metadata service. Duplicates (same address and port) are dropped.
 */
export function probeTargets(
  apiServer: ApiServerAddress,
  path: InClusterApiPath,
  opts: { metadata: boolean },
): ProbeTarget[] {
  const out: ProbeTarget[] = [];
  const seen = new Set<string>();
  const add = (t: ProbeTarget) => {
    const key = `${t.ip}:${t.port}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push(t);
  };
  add({
    name: `apiserver-${apiServer.port}`,
    ip: apiServer.ip,
    port: apiServer.port,
    description: 'the internal API server address',
  });
  for (const e of path.endpoints) {
    add(
      e.ip === apiServer.ip
        ? {
            name: `apiserver-${e.port}`,
            ip: e.ip,
            port: e.port,
            description: 'kube-apiserver, the endpoint of the kubernetes Service',
          }
        : {
            name: `endpoint-${e.ip.replaceAll('.', '-')}-${e.port}`,
            ip: e.ip,
            port: e.port,
            description: 'an endpoint of the kubernetes Service',
          },
    );
  }
  if (path.clusterIp) {
    add({
      name: 'kubernetes-service',
      ip: path.clusterIp,
      port: path.servicePort,
      description: 'the kubernetes Service (what in-cluster clients use)',
    });
  }
  if (opts.metadata) {
    add({
      name: 'metadata',
      ip: METADATA_ADDRESS.ip,
      port: METADATA_ADDRESS.port,
      description: 'the instance metadata service',
    });
  }
  return out;
}

/**
 * The probe, in POSIX sh with curl: one TCP connection per target, one JSON line per target.
 * curl exit 7 = refused; 28 with no connect time = timed out before connecting; anything else
 * (0, a TLS or HTTP error, a timeout after connecting) means the TCP connection was made.
 */
export const PROBE_SCRIPT = [
  `for t in $${PROBE_TARGETS_ENV}; do`,
  '  name=${t%%=*}; addr=${t#*=}; port=${addr##*:}',
  '  scheme=https; [ "$port" = 80 ] && scheme=http',
  `  tc=$(curl -sk -o /dev/null --connect-timeout 3 -m 5 -w '%{time_connect}' "$scheme://$addr/" 2>/dev/null); rc=$?`,
  '  case "$rc" in',
  '    7) result=blocked; reason=refused ;;',
  '    28) case "$tc" in ""|0|0.0*) result=blocked; reason=timeout ;; *) result=reachable; reason=connected ;; esac ;;',
  '    *) result=reachable; reason=connected ;;',
  '  esac',
  `  printf '{"target":"%s","address":"%s","result":"%s","reason":"%s","exit":%d}\\n' "$name" "$addr" "$result" "$reason" "$rc"`,
  'done',
].join('\n');

export interface NodeTaint {
  key: string;
  value?: string | undefined;
  effect: string;
}

export interface ProbePodOptions {
  name: string;
  namespace: string;
  node: string;
  image: string;
  targets: readonly ProbeTarget[];
  runId: string;
  /** Who started it (user@host), so a leftover can be traced. */
  startedBy: string;
  /** The node's taints: the pod tolerates exactly these (and the hardened-node taint). */
  taints: readonly NodeTaint[];
  activeDeadlineSeconds: number;
  /** ISO time after which a leftover is certainly stale. */
  expiresAt: string;
  /** The run's ConfigMap: the pod's owner, so deleting it garbage-collects the pod. */
  owner?: { name: string; uid: string } | undefined;
}

/** Name of the ConfigMap that owns the probe pods of one run. */
export function runOwnerName(runId: string): string {
  return `cce-harden-verify-${runId}`;
}

/**
 * The per-run ConfigMap in the probe namespace. The run's pods name it in `ownerReferences`:
 * deleting it (last, after the pods) lets Kubernetes' garbage collector remove any pod that is
 * still there, and a leftover is found by its labels or by its owner.
 */
export function runOwnerManifest(o: {
  runId: string;
  namespace: string;
  startedBy: string;
  expiresAt: string;
}): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: runOwnerName(o.runId),
      namespace: o.namespace,
      labels: {
        [MANAGED_BY_LABEL]: MANAGED_BY,
        [COMPONENT_LABEL]: OWNER_COMPONENT,
        [RUN_LABEL]: o.runId,
      },
      annotations: {
        'cce-harden.io/started-by': o.startedBy,
        'cce-harden.io/expires-at': o.expiresAt,
        'cce-harden.io/cleanup': 'cce-harden verify --cleanup',
      },
    },
    data: { runId: o.runId },
  };
}

/**
 * A probe pod: pinned to its node, on the pod network, no service-account token, the restricted
 * Pod Security Standard, small requests/limits and a short deadline.
 */
export function probePodManifest(o: ProbePodOptions): Record<string, unknown> {
  const tolerations: Record<string, string>[] = [];
  const seen = new Set<string>();
  for (const t of [
    ...o.taints,
    { ...HARDENED_NODE_TAINT, effect: 'NoSchedule' },
    { ...HARDENED_NODE_TAINT, effect: 'NoExecute' },
  ]) {
    const key = `${t.key}=${t.value ?? ''}:${t.effect}`;
    if (seen.has(key)) continue;
    seen.add(key);
    tolerations.push(
      t.value === undefined || t.value === ''
        ? { key: t.key, operator: 'Exists', effect: t.effect }
        : { key: t.key, operator: 'Equal', value: t.value, effect: t.effect },
    );
  }
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: o.name,
      namespace: o.namespace,
      labels: {
        [MANAGED_BY_LABEL]: MANAGED_BY,
        [COMPONENT_LABEL]: COMPONENT,
        [RUN_LABEL]: o.runId,
      },
      annotations: {
        'cce-harden.io/started-by': o.startedBy,
        'cce-harden.io/expires-at': o.expiresAt,
        'cce-harden.io/cleanup': 'cce-harden verify --cleanup',
      },
      ...(o.owner
        ? {
            ownerReferences: [
              { apiVersion: 'v1', kind: 'ConfigMap', name: o.owner.name, uid: o.owner.uid },
            ],
          }
        : {}),
    },
    spec: {
      restartPolicy: 'Never',
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      hostNetwork: false,
      activeDeadlineSeconds: o.activeDeadlineSeconds,
      terminationGracePeriodSeconds: 0,
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [
              { matchFields: [{ key: 'metadata.name', operator: 'In', values: [o.node] }] },
            ],
          },
        },
      },
      tolerations,
      securityContext: {
        runAsNonRoot: true,
        runAsUser: 65534,
        runAsGroup: 65534,
        seccompProfile: { type: 'RuntimeDefault' },
      },
      containers: [
        {
          name: 'probe',
          image: o.image,
          imagePullPolicy: 'IfNotPresent',
          command: ['sh', '-c', PROBE_SCRIPT],
          env: [
            {
              name: PROBE_TARGETS_ENV,
              value: o.targets.map((t) => `${t.name}=${t.ip}:${t.port}`).join(' '),
            },
          ],
          resources: {
            requests: { cpu: '10m', memory: '16Mi' },
            limits: { cpu: '100m', memory: '32Mi' },
          },
          securityContext: {
            allowPrivilegeEscalation: false,
            readOnlyRootFilesystem: true,
            runAsNonRoot: true,
            capabilities: { drop: ['ALL'] },
            seccompProfile: { type: 'RuntimeDefault' },
          },
        },
      ],
    },
  };
}

/** The parts of a pod's status that say how far it got. */
export interface PodStatusView {
  phase: string | null;
  reason?: string | null | undefined;
  message?: string | null | undefined;
  conditions?: { type: string; status: string; reason?: string | null; message?: string | null }[];
  waiting?: { reason?: string | null; message?: string | null } | null;
}

export type PodProgress =
  { state: 'waiting' } | { state: 'finished' } | { state: 'failed'; reason: string };

/** Reasons a container never starts that waiting does not fix. */
const FATAL_WAITING = new Set([
  'ErrImagePull',
  'ImagePullBackOff',
  'InvalidImageName',
  'ErrImageNeverPull',
  'CreateContainerConfigError',
  'CreateContainerError',
]);

/** Where a probe pod is: still on its way, finished (read the log), or failed (with why). */
export function podProgress(s: PodStatusView): PodProgress {
  if (s.phase === 'Succeeded') return { state: 'finished' };
  if (s.phase === 'Failed') {
    return { state: 'failed', reason: `pod failed: ${s.reason ?? ''} ${s.message ?? ''}`.trim() };
  }
  const unscheduled = s.conditions?.find(
    (c) => c.type === 'PodScheduled' && c.status === 'False' && c.reason === 'Unschedulable',
  );
  if (unscheduled) {
    return {
      state: 'failed',
      reason: `not schedulable: ${unscheduled.message ?? 'Unschedulable'}`,
    };
  }
  const w = s.waiting;
  if (w?.reason && FATAL_WAITING.has(w.reason)) {
    const image = /ImagePull|ImageName|NeverPull/.test(w.reason);
    return {
      state: 'failed',
      reason:
        `${image ? 'image pull failed' : 'container not created'} (${w.reason}): ${w.message ?? ''}`.trim(),
    };
  }
  return { state: 'waiting' };
}

export interface ProbeLine {
  target: string;
  result: 'blocked' | 'reachable';
  reason: string;
}

const MAX_LOG_LINES = 100;

/**
 * Reads the probe's log: one JSON object per line. Lines that are not well-formed results are
 * ignored (a container may print other things); only the targets that were asked for count.
 */
export function parseProbeLog(
  text: string,
  targets: readonly ProbeTarget[],
): Map<string, ProbeLine> {
  const wanted = new Set(targets.map((t) => t.name));
  const out = new Map<string, ProbeLine>();
  for (const line of text.split('\n').slice(0, MAX_LOG_LINES)) {
    const trimmed = line.trim();
    if (!trimmed.startsWith('{')) continue;
    let v: unknown;
    try {
      v = JSON.parse(trimmed);
    } catch {
      continue;
    }
    if (typeof v !== 'object' || v === null) continue;
    const r = v as Record<string, unknown>;
    const target = r['target'];
    const result = r['result'];
    const reason = r['reason'];
    if (typeof target !== 'string' || !wanted.has(target)) continue;
    if (result !== 'blocked' && result !== 'reachable') continue;
    out.set(target, {
      target,
      result,
      reason: typeof reason === 'string' && /^[a-z-]{1,20}$/.test(reason) ? reason : 'unknown',
    });
  }
  return out;
}
