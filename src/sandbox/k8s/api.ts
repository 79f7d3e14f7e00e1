import type { World, WorldCluster, WorldProject } from '../world.js';
import {
  internalApiServer,
  isTurbo,
  kubeOf,
  newUid,
  type KubeClusterState,
  type KubeConfigMap,
  type KubeNodeState,
  type KubePod,
} from './kube-world.js';
import { probeConnection } from './network.js';

/**
 * The Kubernetes API resources the emulator serves, as plain functions of the world: request in,
 * status and JSON body out. The HTTPS server (server.ts) authenticates and routes to these.
 */
export interface KubeReply {
  status: number;
  body: unknown;
  contentType?: string;
}

export interface KubeRequest {
  method: string;
  /** Path after `/clusters/<id>`, e.g. `/api/v1/nodes`. */
  path: string;
  query: URLSearchParams;
  body: unknown;
  user: string;
  now: Date;
}

export const SERVER_VERSION = { major: '1', minor: '29', gitVersion: 'v1.29.8-r0-29.0.20' };

/** The env variable the probe container reads its targets from: `name=ip:port ...`. */
export const PROBE_TARGETS_ENV = 'CCE_HARDEN_PROBE_TARGETS';

function status(code: number, reason: string, message: string, details?: object): KubeReply {
  return {
    status: code,
    body: {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message,
      reason,
      ...(details ? { details } : {}),
      code,
    },
  };
}

function forbidden(
  user: string,
  verb: string,
  resource: string,
  namespace: string | null,
  name?: string,
): KubeReply {
  const [base] = resource.split('/');
  const scope = namespace === null ? 'at the cluster scope' : `in the namespace "${namespace}"`;
  return status(
    403,
    'Forbidden',
    `${base ?? resource}${name ? ` "${name}"` : ''} is forbidden: User "${user}" cannot ${verb} resource "${resource}" in API group "${resource === 'endpointslices' ? 'discovery.k8s.io' : ''}" ${scope}`,
    { ...(name ? { name } : {}), kind: base },
  );
}

const notFound = (resource: string, name: string): KubeReply =>
  status(404, 'NotFound', `${resource} "${name}" not found`, { name, kind: resource });

function list(kind: string, items: unknown[], apiVersion = 'v1'): KubeReply {
  return {
    status: 200,
    body: { kind, apiVersion, metadata: { resourceVersion: '1' }, items },
  };
}

/** `a=b,c!=d,e` (equality, inequality, existence). */
export function matchesSelector(
  labels: Record<string, string> | undefined,
  selector: string | null,
): boolean {
  if (!selector) return true;
  const l = labels ?? {};
  return selector.split(',').every((term) => {
    const t = term.trim();
    if (t === '') return true;
    const ne = t.indexOf('!=');
    if (ne >= 0) return l[t.slice(0, ne)] !== t.slice(ne + 2);
    const eq = t.indexOf('=');
    if (eq >= 0) {
      const key = t.slice(0, eq);
      const value = t.slice(eq + 1).replace(/^=/, '');
      return l[key] === value;
    }
    if (t.startsWith('!')) return !(t.slice(1) in l);
    return t in l;
  });
}

function nodeObject(n: KubeNodeState, wc: WorldCluster): unknown {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: n.name,
      uid: `${n.poolId.slice(0, 24)}${n.ip
        .split('.')
        .map((o) => o.padStart(3, '0'))
        .join('')
        .slice(0, 12)}`,
      labels: {
        'kubernetes.io/hostname': n.name,
        'kubernetes.io/os': 'linux',
        'cce.cloud.com/cce-nodepool': n.pool,
        'node.kubernetes.io/instance-type': 'c7.large.2',
      },
      creationTimestamp: wc.cluster.metadata['creationTimestamp'],
    },
    spec: { podCIDR: n.podCidr, taints: n.taints.length > 0 ? n.taints : undefined },
    status: {
      addresses: [
        { type: 'InternalIP', address: n.ip },
        { type: 'Hostname', address: n.name },
      ],
      conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady' }],
      nodeInfo: { kubeletVersion: SERVER_VERSION.gitVersion, osImage: 'Huawei Cloud EulerOS 2.0' },
    },
  };
}

function kubernetesService(kube: KubeClusterState, wc: WorldCluster): unknown {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: 'kubernetes',
      namespace: 'default',
      uid: `${wc.cluster.metadata.uid.slice(0, 24)}5e41ce000001`,
      labels: { component: 'apiserver', provider: 'kubernetes' },
      creationTimestamp: wc.cluster.metadata['creationTimestamp'],
    },
    spec: {
      type: 'ClusterIP',
      clusterIP: kube.serviceIp,
      clusterIPs: [kube.serviceIp],
      ports: [{ name: 'https', protocol: 'TCP', port: 443, targetPort: kube.endpointPort }],
      sessionAffinity: 'None',
    },
    status: { loadBalancer: {} },
  };
}

function kubernetesEndpointSlice(kube: KubeClusterState, wc: WorldCluster): unknown {
  const api = internalApiServer(wc);
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: 'kubernetes',
      namespace: 'default',
      labels: { 'kubernetes.io/service-name': 'kubernetes' },
      creationTimestamp: wc.cluster.metadata['creationTimestamp'],
    },
    addressType: 'IPv4',
    endpoints: api ? [{ addresses: [api.ip], conditions: { ready: true } }] : [],
    ports: [{ name: 'https', protocol: 'TCP', port: kube.endpointPort }],
  };
}

function podNode(pod: KubePod): string | null {
  const spec = pod.spec as {
    nodeName?: string;
    nodeSelector?: Record<string, string>;
    affinity?: {
      nodeAffinity?: {
        requiredDuringSchedulingIgnoredDuringExecution?: {
          nodeSelectorTerms?: {
            matchFields?: { key: string; operator: string; values?: string[] }[];
            matchExpressions?: { key: string; operator: string; values?: string[] }[];
          }[];
        };
      };
    };
  };
  if (spec.nodeName) return spec.nodeName;
  const terms =
    spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution
      ?.nodeSelectorTerms ?? [];
  for (const t of terms) {
    for (const f of [...(t.matchFields ?? []), ...(t.matchExpressions ?? [])]) {
      if (
        (f.key === 'metadata.name' || f.key === 'kubernetes.io/hostname') &&
        f.operator === 'In' &&
        f.values?.length === 1
      )
        return f.values[0] ?? null;
    }
  }
  return spec.nodeSelector?.['kubernetes.io/hostname'] ?? null;
}

function tolerates(pod: KubePod, taint: { key: string; value?: string; effect: string }): boolean {
  const tolerations =
    (
      pod.spec as {
        tolerations?: { key?: string; operator?: string; value?: string; effect?: string }[];
      }
    ).tolerations ?? [];
  return tolerations.some(
    (t) =>
      (t.effect === undefined || t.effect === '' || t.effect === taint.effect) &&
      ((t.operator === 'Exists' && (t.key === undefined || t.key === '' || t.key === taint.key)) ||
        ((t.operator ?? 'Equal') === 'Equal' &&
          t.key === taint.key &&
          (t.value ?? '') === (taint.value ?? ''))),
  );
}

function podImage(pod: KubePod): string {
  const containers = (pod.spec as { containers?: { image?: string }[] }).containers ?? [];
  return containers[0]?.image ?? '';
}

function probeTargets(pod: KubePod): { name: string; ip: string; port: number }[] {
  const containers =
    (pod.spec as { containers?: { env?: { name: string; value?: string }[] }[] }).containers ?? [];
  const raw = containers[0]?.env?.find((e) => e.name === PROBE_TARGETS_ENV)?.value ?? '';
  const out: { name: string; ip: string; port: number }[] = [];
  for (const word of raw.split(/\s+/)) {
    const m = /^([a-z0-9-]+)=([0-9.]+):(\d+)$/.exec(word);
    if (m?.[1] && m[2] && m[3]) out.push({ name: m[1], ip: m[2], port: Number(m[3]) });
  }
  return out;
}

/** Moves a pod through its life from the time that has passed (no timers: reads advance it). */
function advance(
  world: World,
  project: WorldProject,
  wc: WorldCluster,
  kube: KubeClusterState,
  pod: KubePod,
  nowMs: number,
): void {
  const phase = pod.status['phase'];
  if (phase === 'Succeeded' || phase === 'Failed') return;
  const elapsed = nowMs - pod.sandbox.createdMs;
  const deadline = (pod.spec as { activeDeadlineSeconds?: number }).activeDeadlineSeconds;
  if (deadline !== undefined && elapsed > deadline * 1000) {
    pod.status = {
      phase: 'Failed',
      reason: 'DeadlineExceeded',
      message: `Pod was active on the node longer than the specified deadline`,
    };
    return;
  }
  const nodeName = podNode(pod);
  const node = kube.nodes.find((n) => n.name === nodeName);
  const untolerated = node?.taints.find(
    (t) => (t.effect === 'NoSchedule' || t.effect === 'NoExecute') && !tolerates(pod, t),
  );
  if (!node || kube.unschedulable || untolerated) {
    const why = !node
      ? `1 node(s) didn't match Pod's node affinity/selector`
      : untolerated
        ? `1 node(s) had untolerated taint {${untolerated.key}: ${untolerated.value ?? ''}}`
        : '1 Insufficient cpu';
    pod.status = {
      phase: 'Pending',
      conditions: [
        {
          type: 'PodScheduled',
          status: 'False',
          reason: 'Unschedulable',
          message: `0/${kube.nodes.length} nodes are available: ${why}. preemption: 0/${kube.nodes.length} nodes are available.`,
        },
      ],
    };
    return;
  }
  const idx = kube.pods.indexOf(pod);
  const [a, b, c] = (node.podCidr.split('/')[0] ?? '0.0.0.0').split('.');
  const podIp = `${a}.${b}.${c}.${10 + (idx % 200)}`;
  pod.sandbox.node = node.name;
  pod.sandbox.podIp = podIp;
  (pod.spec as { nodeName?: string }).nodeName = node.name;
  const image = podImage(pod);
  const base = {
    hostIP: node.ip,
    podIP: podIp,
    podIPs: [{ ip: podIp }],
    startTime: new Date(pod.sandbox.createdMs).toISOString(),
  };
  if (kube.failImages.includes('*') || kube.failImages.includes(image)) {
    pod.status = {
      ...base,
      phase: 'Pending',
      conditions: [{ type: 'PodScheduled', status: 'True' }],
      containerStatuses: [
        {
          name: 'probe',
          image,
          ready: false,
          restartCount: 0,
          state: {
            waiting: {
              reason: elapsed > 2 * kube.podRunMs ? 'ImagePullBackOff' : 'ErrImagePull',
              message: `Back-off pulling image "${image}": failed to pull and unpack image "${image}": failed to resolve reference: dial tcp: lookup registry on 10.247.3.10:53: i/o timeout`,
            },
          },
        },
      ],
    };
    return;
  }
  if (elapsed < kube.podRunMs) {
    pod.status = {
      ...base,
      phase: 'Running',
      containerStatuses: [
        { name: 'probe', image, ready: true, restartCount: 0, state: { running: {} } },
      ],
    };
    return;
  }
  const lines = probeTargets(pod).map((t) => {
    const o = probeConnection(world, project, wc, kube, node, podIp, t);
    return JSON.stringify({
      target: t.name,
      address: `${t.ip}:${t.port}`,
      result: o.result,
      reason: o.reason,
    });
  });
  pod.sandbox.log = lines.map((l) => `${l}\n`).join('');
  pod.status = {
    ...base,
    phase: 'Succeeded',
    containerStatuses: [
      {
        name: 'probe',
        image,
        ready: false,
        restartCount: 0,
        state: { terminated: { exitCode: 0, reason: 'Completed' } },
      },
    ],
  };
  void isTurbo;
}

function served(pod: KubePod): unknown {
  const { sandbox: _hidden, ...rest } = pod;
  return rest;
}

/** Restricted Pod Security Standard, the checks a probe pod must pass in a `restricted` namespace. */
function restrictedViolations(spec: Record<string, unknown>): string[] {
  const s = spec as {
    hostNetwork?: boolean;
    hostPID?: boolean;
    securityContext?: { runAsNonRoot?: boolean; seccompProfile?: { type?: string } };
    containers?: {
      securityContext?: {
        runAsNonRoot?: boolean;
        allowPrivilegeEscalation?: boolean;
        capabilities?: { drop?: string[] };
        seccompProfile?: { type?: string };
      };
    }[];
  };
  const out: string[] = [];
  if (s.hostNetwork) out.push('host namespaces (hostNetwork=true)');
  for (const c of s.containers ?? []) {
    const sc = c.securityContext ?? {};
    if (sc.allowPrivilegeEscalation !== false) out.push('allowPrivilegeEscalation != false');
    if (!(sc.capabilities?.drop ?? []).includes('ALL')) out.push('unrestricted capabilities');
    if (sc.runAsNonRoot !== true && s.securityContext?.runAsNonRoot !== true)
      out.push('runAsNonRoot != true');
    const seccomp = sc.seccompProfile?.type ?? s.securityContext?.seccompProfile?.type;
    if (seccomp !== 'RuntimeDefault' && seccomp !== 'Localhost') out.push('seccompProfile');
  }
  return out;
}

const MAX_PODS = 500;

/** Answers one request for one cluster. */
export function handleKube(world: World, clusterId: string, req: KubeRequest): KubeReply {
  let found: { project: WorldProject; wc: WorldCluster } | undefined;
  for (const project of world.projects) {
    const wc = project.clusters.find((c) => c.cluster.metadata.uid === clusterId);
    if (wc) found = { project, wc };
  }
  if (!found) return status(404, 'NotFound', `no cluster ${clusterId}`);
  const { project, wc } = found;
  const kube = kubeOf(world, project, wc);
  collectGarbage(kube);
  const nowMs = req.now.getTime();
  const parts = req.path.split('/').filter(Boolean).map(decodeURIComponent);
  const m = req.method;
  const deny = (
    verb: string,
    resource: string,
    ns: string | null,
    name?: string,
  ): KubeReply | null =>
    kube.forbidden.includes(`${verb} ${resource}`)
      ? forbidden(req.user, verb, resource, ns, name)
      : null;
  const selector = req.query.get('labelSelector');

  // Discovery (what kubectl reads before anything else).
  if (m === 'GET' && req.path === '/version')
    return { status: 200, body: { ...SERVER_VERSION, platform: 'linux/amd64' } };
  if (m === 'GET' && req.path === '/api')
    return {
      status: 200,
      body: { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] },
    };
  if (m === 'GET' && req.path === '/apis')
    return {
      status: 200,
      body: {
        kind: 'APIGroupList',
        apiVersion: 'v1',
        groups: [
          {
            name: 'discovery.k8s.io',
            versions: [{ groupVersion: 'discovery.k8s.io/v1', version: 'v1' }],
            preferredVersion: { groupVersion: 'discovery.k8s.io/v1', version: 'v1' },
          },
        ],
      },
    };
  if (m === 'GET' && req.path === '/api/v1')
    return {
      status: 200,
      body: {
        kind: 'APIResourceList',
        groupVersion: 'v1',
        resources: [
          {
            name: 'namespaces',
            singularName: 'namespace',
            namespaced: false,
            kind: 'Namespace',
            verbs: ['create', 'delete', 'get', 'list'],
            shortNames: ['ns'],
          },
          {
            name: 'nodes',
            singularName: 'node',
            namespaced: false,
            kind: 'Node',
            verbs: ['get', 'list'],
            shortNames: ['no'],
          },
          {
            name: 'pods',
            singularName: 'pod',
            namespaced: true,
            kind: 'Pod',
            verbs: ['create', 'delete', 'get', 'list'],
            shortNames: ['po'],
          },
          { name: 'pods/log', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get'] },
          {
            name: 'configmaps',
            singularName: 'configmap',
            namespaced: true,
            kind: 'ConfigMap',
            verbs: ['create', 'delete', 'get', 'list'],
            shortNames: ['cm'],
          },
          {
            name: 'services',
            singularName: 'service',
            namespaced: true,
            kind: 'Service',
            verbs: ['get', 'list'],
            shortNames: ['svc'],
          },
        ],
      },
    };
  if (m === 'GET' && req.path === '/apis/discovery.k8s.io/v1')
    return {
      status: 200,
      body: {
        kind: 'APIResourceList',
        apiVersion: 'v1',
        groupVersion: 'discovery.k8s.io/v1',
        resources: [
          {
            name: 'endpointslices',
            singularName: 'endpointslice',
            namespaced: true,
            kind: 'EndpointSlice',
            verbs: ['get', 'list'],
          },
        ],
      },
    };

  // /api/v1/nodes[/name]
  if (parts[0] === 'api' && parts[1] === 'v1' && parts[2] === 'nodes' && m === 'GET') {
    if (parts.length === 3) {
      return (
        deny('list', 'nodes', null) ??
        list(
          'NodeList',
          kube.nodes
            .map((n) => nodeObject(n, wc))
            .filter((n) =>
              matchesSelector(
                (n as { metadata: { labels: Record<string, string> } }).metadata.labels,
                selector,
              ),
            ),
        )
      );
    }
    if (parts.length === 4) {
      const n = kube.nodes.find((x) => x.name === parts[3]);
      return (
        deny('get', 'nodes', null, parts[3]) ??
        (n ? { status: 200, body: nodeObject(n, wc) } : notFound('nodes', parts[3] ?? ''))
      );
    }
  }
  // /api/v1/namespaces[/name]
  if (parts[0] === 'api' && parts[1] === 'v1' && parts[2] === 'namespaces' && parts.length <= 4) {
    const nsObj = (n: (typeof kube.namespaces)[number]) => ({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: {
        name: n.name,
        uid: n.uid,
        labels: n.labels,
        creationTimestamp: n.creationTimestamp,
      },
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    });
    if (parts.length === 3 && m === 'GET')
      return deny('list', 'namespaces', null) ?? list('NamespaceList', kube.namespaces.map(nsObj));
    if (parts.length === 3 && m === 'POST') {
      const denied = deny('create', 'namespaces', null);
      if (denied) return denied;
      const b = req.body as {
        metadata?: { name?: string; labels?: Record<string, string> };
      } | null;
      const name = b?.metadata?.name;
      if (!name || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name))
        return status(422, 'Invalid', 'Namespace is invalid: metadata.name');
      if (kube.namespaces.some((n) => n.name === name))
        return status(409, 'AlreadyExists', `namespaces "${name}" already exists`, {
          name,
          kind: 'namespaces',
        });
      const ns = {
        name,
        uid: newUid(world, 'namespace'),
        labels: { ...(b.metadata?.labels ?? {}), 'kubernetes.io/metadata.name': name },
        creationTimestamp: req.now.toISOString(),
      };
      kube.namespaces.push(ns);
      return { status: 201, body: nsObj(ns) };
    }
    const name = parts[3] ?? '';
    const ns = kube.namespaces.find((n) => n.name === name);
    if (parts.length === 4 && m === 'GET')
      return (
        deny('get', 'namespaces', null, name) ??
        (ns ? { status: 200, body: nsObj(ns) } : notFound('namespaces', name))
      );
    if (parts.length === 4 && m === 'DELETE') {
      const denied = deny('delete', 'namespaces', null, name);
      if (denied) return denied;
      if (!ns) return notFound('namespaces', name);
      kube.namespaces = kube.namespaces.filter((n) => n !== ns);
      kube.pods = kube.pods.filter((p) => p.metadata.namespace !== name);
      kube.configMaps = (kube.configMaps ?? []).filter((c) => c.metadata.namespace !== name);
      return { status: 200, body: { ...nsObj(ns), status: { phase: 'Terminating' } } };
    }
  }
  // /api/v1/pods (all namespaces)
  if (m === 'GET' && req.path === '/api/v1/pods') {
    const denied = deny('list', 'pods', null);
    if (denied) return denied;
    for (const p of kube.pods) advance(world, project, wc, kube, p, nowMs);
    return list(
      'PodList',
      kube.pods.filter((p) => matchesSelector(p.metadata.labels, selector)).map(served),
    );
  }
  // /api/v1/services (all namespaces)
  if (m === 'GET' && req.path === '/api/v1/services')
    return deny('list', 'services', null) ?? list('ServiceList', [kubernetesService(kube, wc)]);

  // Namespaced resources.
  const nsMatch =
    parts[0] === 'api' && parts[1] === 'v1' && parts[2] === 'namespaces' && parts.length >= 5
      ? { group: '', ns: parts[3] ?? '', resource: parts[4] ?? '', rest: parts.slice(5) }
      : parts[0] === 'apis' &&
          parts[1] === 'discovery.k8s.io' &&
          parts[2] === 'v1' &&
          parts[3] === 'namespaces' &&
          parts.length >= 6
        ? {
            group: 'discovery.k8s.io',
            ns: parts[4] ?? '',
            resource: parts[5] ?? '',
            rest: parts.slice(6),
          }
        : null;
  if (nsMatch) {
    const { ns, resource, rest } = nsMatch;
    if (resource === 'services' && m === 'GET') {
      if (rest.length === 0)
        return (
          deny('list', 'services', ns) ??
          list('ServiceList', ns === 'default' ? [kubernetesService(kube, wc)] : [])
        );
      const denied = deny('get', 'services', ns, rest[0]);
      if (denied) return denied;
      return ns === 'default' && rest[0] === 'kubernetes' && rest.length === 1
        ? { status: 200, body: kubernetesService(kube, wc) }
        : notFound('services', rest[0] ?? '');
    }
    if (resource === 'endpointslices' && m === 'GET' && nsMatch.group === 'discovery.k8s.io') {
      if (rest.length === 0) {
        const denied = deny('list', 'endpointslices', ns);
        if (denied) return denied;
        const slice = kubernetesEndpointSlice(kube, wc) as {
          metadata: { labels: Record<string, string> };
        };
        return list(
          'EndpointSliceList',
          ns === 'default' && matchesSelector(slice.metadata.labels, selector) ? [slice] : [],
          'discovery.k8s.io/v1',
        );
      }
      return (
        deny('get', 'endpointslices', ns, rest[0]) ??
        (ns === 'default' && rest[0] === 'kubernetes'
          ? { status: 200, body: kubernetesEndpointSlice(kube, wc) }
          : notFound('endpointslices.discovery.k8s.io', rest[0] ?? ''))
      );
    }
    if (resource === 'configmaps' && nsMatch.group === '') {
      const reply = configMaps(world, kube, req, ns, rest, deny);
      if (reply) return reply;
    }
    if (resource === 'pods') {
      const namespace = kube.namespaces.find((n) => n.name === ns);
      if (rest.length === 0 && m === 'GET') {
        const denied = deny('list', 'pods', ns);
        if (denied) return denied;
        const pods = kube.pods.filter(
          (p) => p.metadata.namespace === ns && matchesSelector(p.metadata.labels, selector),
        );
        for (const p of pods) advance(world, project, wc, kube, p, nowMs);
        return list('PodList', pods.map(served));
      }
      if (rest.length === 0 && m === 'POST') {
        const denied = deny('create', 'pods', ns);
        if (denied) return denied;
        if (!namespace) return notFound('namespaces', ns);
        const b = req.body as {
          metadata?: {
            name?: string;
            labels?: Record<string, string>;
            annotations?: Record<string, string>;
            ownerReferences?: unknown[];
          };
          spec?: Record<string, unknown>;
        } | null;
        const name = b?.metadata?.name;
        if (!name || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name) || name.length > 253)
          return status(422, 'Invalid', `Pod "${name ?? ''}" is invalid: metadata.name`);
        if (!b.spec || !Array.isArray(b.spec['containers']) || b.spec['containers'].length === 0)
          return status(
            422,
            'Invalid',
            `Pod "${name}" is invalid: spec.containers: Required value`,
          );
        const refsProblem = ownerReferencesProblem(b.metadata?.ownerReferences);
        if (refsProblem) return status(422, 'Invalid', `Pod "${name}" is invalid: ${refsProblem}`);
        if (kube.pods.some((p) => p.metadata.namespace === ns && p.metadata.name === name))
          return status(409, 'AlreadyExists', `pods "${name}" already exists`, {
            name,
            kind: 'pods',
          });
        if (namespace.labels['pod-security.kubernetes.io/enforce'] === 'restricted') {
          const v = restrictedViolations(b.spec);
          if (v.length > 0) return forbiddenPss(name, v);
        }
        if (kube.pods.length >= MAX_PODS)
          return status(403, 'Forbidden', `pods "${name}" is forbidden: exceeded quota`);
        const pod: KubePod = {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: {
            name,
            namespace: ns,
            uid: newUid(world, 'pod'),
            ...(b.metadata?.labels ? { labels: b.metadata.labels } : {}),
            ...(b.metadata?.annotations ? { annotations: b.metadata.annotations } : {}),
            ...(b.metadata?.ownerReferences ? { ownerReferences: b.metadata.ownerReferences } : {}),
            creationTimestamp: req.now.toISOString(),
            resourceVersion: String(nowMs),
          },
          spec: b.spec,
          status: { phase: 'Pending' },
          sandbox: { log: '', createdMs: nowMs, node: null, podIp: null },
        };
        kube.pods.push(pod);
        return { status: 201, body: served(pod) };
      }
      const name = rest[0] ?? '';
      const pod = kube.pods.find((p) => p.metadata.namespace === ns && p.metadata.name === name);
      if (rest.length === 1 && m === 'GET') {
        const denied = deny('get', 'pods', ns, name);
        if (denied) return denied;
        if (!pod) return notFound('pods', name);
        advance(world, project, wc, kube, pod, nowMs);
        return { status: 200, body: served(pod) };
      }
      if (rest.length === 1 && m === 'DELETE') {
        const denied = deny('delete', 'pods', ns, name);
        if (denied) return denied;
        if (!pod) return notFound('pods', name);
        kube.pods = kube.pods.filter((p) => p !== pod);
        return { status: 200, body: served(pod) };
      }
      if (rest.length === 2 && rest[1] === 'log' && m === 'GET') {
        const denied = deny('get', 'pods/log', ns, name);
        if (denied) return denied;
        if (!pod) return notFound('pods', name);
        advance(world, project, wc, kube, pod, nowMs);
        if (pod.status['phase'] === 'Pending')
          return status(
            400,
            'BadRequest',
            `container "probe" in pod "${name}" is waiting to start: ContainerCreating`,
          );
        return { status: 200, body: pod.sandbox.log, contentType: 'text/plain' };
      }
    }
  }
  return status(404, 'NotFound', 'the server could not find the requested resource');
}

/** What a pod's `metadata.ownerReferences` must look like (apiVersion, kind, name, uid). */
function ownerReferencesProblem(refs: unknown): string | null {
  if (refs === undefined) return null;
  if (!Array.isArray(refs)) return 'metadata.ownerReferences: must be a list';
  for (const [i, r] of refs.entries()) {
    const o = (r ?? {}) as Record<string, unknown>;
    for (const k of ['apiVersion', 'kind', 'name', 'uid'])
      if (typeof o[k] !== 'string' || o[k] === '')
        return `metadata.ownerReferences[${i}].${k}: Required value`;
  }
  return null;
}

/** The kinds of owner the emulator serves (and so can tell are gone). */
const OWNER_KINDS = new Set(['v1/ConfigMap', 'v1/Pod']);

/**
 * The garbage collector (background cascading deletion): a pod all of whose owners are gone is
 * deleted. An owner is looked up by uid in the pod's namespace; a reference to a kind the emulator
 * does not serve keeps the pod, as an owner that may exist.
 */
export function collectGarbage(kube: KubeClusterState): void {
  const uids = new Set<string>([
    ...(kube.configMaps ?? []).map((c) => `${c.metadata.namespace}/${c.metadata.uid}`),
    ...kube.pods.map((p) => `${p.metadata.namespace}/${p.metadata.uid}`),
  ]);
  const orphaned = (p: KubePod): boolean => {
    const refs = (p.metadata.ownerReferences ?? []) as Record<string, unknown>[];
    if (refs.length === 0) return false;
    return refs.every(
      (r) =>
        OWNER_KINDS.has(`${String(r['apiVersion'])}/${String(r['kind'])}`) &&
        !uids.has(`${p.metadata.namespace}/${String(r['uid'])}`),
    );
  };
  if (kube.pods.some(orphaned)) kube.pods = kube.pods.filter((p) => !orphaned(p));
}

function configMapInNamespace(
  kube: KubeClusterState,
  ns: string,
  name: string,
): KubeConfigMap | undefined {
  return (kube.configMaps ?? []).find(
    (c) => c.metadata.namespace === ns && c.metadata.name === name,
  );
}

const MAX_CONFIG_MAPS = 500;

/** ConfigMaps: create, get, list (label selectors), delete (the owner's pods are then collected). */
function configMaps(
  world: World,
  kube: KubeClusterState,
  req: KubeRequest,
  ns: string,
  rest: string[],
  deny: (verb: string, resource: string, ns: string | null, name?: string) => KubeReply | null,
): KubeReply | null {
  const m = req.method;
  if (rest.length === 0 && m === 'GET') {
    const selector = req.query.get('labelSelector');
    return (
      deny('list', 'configmaps', ns) ??
      list(
        'ConfigMapList',
        (kube.configMaps ?? []).filter(
          (c) => c.metadata.namespace === ns && matchesSelector(c.metadata.labels, selector),
        ),
      )
    );
  }
  if (rest.length === 0 && m === 'POST') {
    const denied = deny('create', 'configmaps', ns);
    if (denied) return denied;
    if (!kube.namespaces.some((n) => n.name === ns)) return notFound('namespaces', ns);
    const b = req.body as {
      metadata?: {
        name?: string;
        labels?: Record<string, string>;
        annotations?: Record<string, string>;
      };
      data?: Record<string, unknown>;
    } | null;
    const name = b?.metadata?.name;
    if (!name || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(name) || name.length > 253)
      return status(422, 'Invalid', `ConfigMap "${name ?? ''}" is invalid: metadata.name`);
    if (configMapInNamespace(kube, ns, name))
      return status(409, 'AlreadyExists', `configmaps "${name}" already exists`, {
        name,
        kind: 'configmaps',
      });
    if ((kube.configMaps ?? []).length >= MAX_CONFIG_MAPS)
      return status(403, 'Forbidden', `configmaps "${name}" is forbidden: exceeded quota`);
    const data: Record<string, string> = {};
    for (const [k, v] of Object.entries(b.data ?? {})) if (typeof v === 'string') data[k] = v;
    const cm: KubeConfigMap = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name,
        namespace: ns,
        uid: newUid(world, 'configmap'),
        ...(b.metadata?.labels ? { labels: b.metadata.labels } : {}),
        ...(b.metadata?.annotations ? { annotations: b.metadata.annotations } : {}),
        creationTimestamp: req.now.toISOString(),
        resourceVersion: String(req.now.getTime()),
      },
      data,
    };
    (kube.configMaps ??= []).push(cm);
    return { status: 201, body: cm };
  }
  const name = rest[0] ?? '';
  const cm = configMapInNamespace(kube, ns, name);
  if (rest.length === 1 && m === 'GET')
    return (
      deny('get', 'configmaps', ns, name) ??
      (cm ? { status: 200, body: cm } : notFound('configmaps', name))
    );
  if (rest.length === 1 && m === 'DELETE') {
    const denied = deny('delete', 'configmaps', ns, name);
    if (denied) return denied;
    if (!cm) return notFound('configmaps', name);
    kube.configMaps = (kube.configMaps ?? []).filter((c) => c !== cm);
    // Background propagation: the dependents go right after the owner (before the next answer).
    collectGarbage(kube);
    return { status: 200, body: cm };
  }
  return null;
}

function forbiddenPss(name: string, violations: string[]): KubeReply {
  return status(
    403,
    'Forbidden',
    `pods "${name}" is forbidden: violates PodSecurity "restricted:latest": ${violations.join(', ')}`,
  );
}
