import { statSync } from 'node:fs';
import type { Agent as HttpsAgent } from 'node:https';
import { request as httpsRequest } from 'node:https';
import { AuthError, CloudError, UsageError } from '../core/errors.js';
import type { IssuedKubeconfig, KubeAccess, KubeObjectRef } from '../core/verify/access.js';
import type { InClusterApiPath, PodStatusView } from '../core/verify/probe.js';
import type { KubeNodeView } from '../core/verify/verdict.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- the client library is loaded lazily (its
   types are imported only as types); its answers are validated field by field below. */
type K8s = typeof import('@kubernetes/client-node');

let loaded: Promise<K8s> | undefined;
/** The client library loads only when verify talks to a cluster, so --help stays fast. */
function loadK8s(): Promise<K8s> {
  loaded ??= import('@kubernetes/client-node');
  return loaded;
}

/** Where the Kubernetes credentials come from. */
export type KubeSource =
  | { kind: 'issued'; kubeconfig: IssuedKubeconfig; endpoint: 'internal' | 'external' }
  /** One file (--kubeconfig) or KUBECONFIG's list, merged as kubectl merges it. */
  | { kind: 'file'; files: readonly string[]; context?: string | undefined };

const MAX_LOG_BYTES = 64 * 1024;
/** No answer verify reads is anywhere near this; a larger one is refused, not buffered. */
const MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

interface RequestLike {
  getUrl(): string;
  getHttpMethod(): unknown;
  getHeaders(): Record<string, string>;
  getBody(): unknown;
  getSignal(): AbortSignal | undefined;
  getAgent(): unknown;
}

/**
 * The transport under the client: node:https with the client's agent (CA, client certificate),
 * never following a redirect (the client certificate must not be shown to another server) and
 * with a bound on the answer's size.
 */
function boundedTransport(k8s: K8s): unknown {
  return {
    send(request: RequestLike) {
      const promise = new Promise<unknown>((resolve, reject) => {
        const url = new URL(request.getUrl());
        const body = request.getBody();
        const req = httpsRequest(
          url,
          {
            method: String(request.getHttpMethod()),
            headers: request.getHeaders(),
            agent: request.getAgent() as HttpsAgent | undefined,
            ...(request.getSignal() ? { signal: request.getSignal() } : {}),
          },
          (res) => {
            const chunks: Buffer[] = [];
            let size = 0;
            res.on('data', (c: Buffer) => {
              size += c.length;
              if (size > MAX_RESPONSE_BYTES) {
                req.destroy(new Error(`the answer is larger than ${MAX_RESPONSE_BYTES} bytes`));
                return;
              }
              chunks.push(c);
            });
            res.on('error', reject);
            res.on('end', () => {
              const headers: Record<string, string> = {};
              for (const [k, v] of Object.entries(res.headers)) {
                if (typeof v === 'string') headers[k] = v;
                else if (Array.isArray(v)) headers[k] = v.join(', ');
              }
              const data = Buffer.concat(chunks);
              resolve(
                new k8s.ResponseContext(res.statusCode ?? 0, headers, {
                  text: () => Promise.resolve(data.toString('utf8')),
                  binary: () => Promise.resolve(data),
                }),
              );
            });
          },
        );
        req.on('error', reject);
        if (typeof body === 'string' || Buffer.isBuffer(body)) req.end(body);
        else req.end();
      });
      return { toPromise: () => promise };
    },
  };
}
// eslint-disable-next-line no-control-regex -- stripping them is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
const clean = (s: string, max = 300): string => s.replace(CONTROL, '').slice(0, max);

/** Picks the issued cluster entry for --endpoint; never one without TLS verification. */
export function pickIssuedCluster(
  k: IssuedKubeconfig,
  endpoint: 'internal' | 'external',
): IssuedKubeconfig['clusters'][number] {
  const candidates = k.clusters.filter((c) => !c.insecure && c.caData);
  const internal = candidates.find((c) => c.name === 'internalCluster');
  const external =
    candidates.find((c) => c.name === 'externalClusterTLSVerify') ??
    candidates.find((c) => c.name.startsWith('external'));
  const chosen = endpoint === 'internal' ? internal : external;
  if (!chosen) {
    throw new CloudError(
      endpoint === 'external'
        ? 'The cluster has no public API endpoint (the kubeconfig CCE issued holds only the internal address).'
        : 'The kubeconfig CCE issued holds no internal cluster entry with a CA.',
      { operation: 'CreateKubernetesClusterCert' },
      endpoint === 'external'
        ? 'Run verify from a machine in the cluster VPC with --endpoint internal, or bind an EIP to the API server.'
        : undefined,
    );
  }
  return chosen;
}

interface CallContext {
  verb: string;
  resource: string;
  namespace: string | null;
}

/** Kubernetes access over @kubernetes/client-node, with a timeout on every call. */
export class KubeClient implements KubeAccess {
  private constructor(
    private readonly core: any,
    private readonly discovery: any,
    readonly server: string,
    private readonly timeoutMs: number,
    private readonly abort: AbortSignal | undefined,
    private readonly transport: unknown,
  ) {}

  static async open(
    source: KubeSource,
    opts: { timeoutMs: number; abort?: AbortSignal },
  ): Promise<KubeClient> {
    const k8s = await loadK8s();
    const kc = new k8s.KubeConfig();
    if (source.kind === 'issued') {
      const c = pickIssuedCluster(source.kubeconfig, source.endpoint);
      kc.loadFromOptions({
        clusters: [{ name: 'cce', server: c.server, caData: c.caData, skipTLSVerify: false }],
        users: [
          {
            name: 'cce-harden',
            certData: source.kubeconfig.clientCertData,
            keyData: source.kubeconfig.clientKeyData,
          },
        ],
        contexts: [{ name: 'cce', cluster: 'cce', user: 'cce-harden' }],
        currentContext: 'cce',
      });
    } else {
      const named = source.files.join(':');
      try {
        loadMerged(k8s, kc, source.files);
      } catch (err) {
        throw new UsageError(
          `Cannot read the kubeconfig ${named}: ${clean(err instanceof Error ? err.message : String(err))}`,
          'Pass a readable file with --kubeconfig, or leave it out to have CCE issue a short-lived one.',
        );
      }
      if (source.context) {
        if (!kc.getContexts().some((c) => c.name === source.context)) {
          throw new UsageError(
            `The kubeconfig ${named} has no context "${clean(source.context)}" (it has: ${kc
              .getContexts()
              .map((c) => c.name)
              .join(', ')}).`,
            'Pass one of them with --context.',
          );
        }
        kc.setCurrentContext(source.context);
      }
    }
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new UsageError('The kubeconfig names no current cluster: pass --context.');
    return new KubeClient(
      kc.makeApiClient(k8s.CoreV1Api),
      kc.makeApiClient(k8s.DiscoveryV1Api),
      cluster.server,
      opts.timeoutMs,
      opts.abort,
      boundedTransport(k8s),
    );
  }

  /** Every call gets an abort signal: the per-call timeout, and the run's (Ctrl+C). */
  private options(): unknown {
    const signals = [AbortSignal.timeout(this.timeoutMs)];
    if (this.abort) signals.push(this.abort);
    const signal = AbortSignal.any(signals);
    // The object-parameter API takes observable-style middleware: values with toPromise().
    const observable = <T>(v: T) => ({ toPromise: () => Promise.resolve(v) });
    return {
      middleware: [
        {
          pre: (ctx: { setSignal(s: AbortSignal): void }) => {
            ctx.setSignal(signal);
            return observable(ctx);
          },
          post: (res: unknown) => observable(res),
        },
      ],
      middlewareMergeStrategy: 'append',
      httpApi: this.transport,
    };
  }

  private async call(what: CallContext, fn: (opts: unknown) => Promise<any>): Promise<any> {
    try {
      return await fn(this.options());
    } catch (err) {
      throw this.translate(err, what);
    }
  }

  private translate(err: unknown, what: CallContext): Error {
    const e = (err ?? {}) as { code?: unknown; body?: unknown; name?: string; message?: string };
    const permission = `${what.verb} ${what.resource}${what.namespace ? ` in namespace ${what.namespace}` : ''}`;
    if (typeof e.code === 'number') {
      const body = typeof e.body === 'string' ? e.body : JSON.stringify(e.body ?? '');
      let message = '';
      try {
        message = String((JSON.parse(body) as { message?: unknown }).message ?? '');
      } catch {
        message = body;
      }
      message = clean(message);
      if (e.code === 403) {
        return new AuthError(
          `Kubernetes refused to ${permission}: the user lacks that permission (${message}).`,
          { httpStatus: 403, errorCode: 'Forbidden', operation: `${what.verb} ${what.resource}` },
          'Apply templates/verify-rbac.yaml and bind it to this user (see docs/verify.md), or use a kubeconfig that has it.',
        );
      }
      if (e.code === 401) {
        return new AuthError(
          `Kubernetes did not accept the credentials at ${this.server} (401 ${message}).`,
          {
            httpStatus: 401,
            errorCode: 'Unauthorized',
            operation: `${what.verb} ${what.resource}`,
          },
          'The client certificate may have expired or belong to another cluster: let CCE issue a new one (omit --kubeconfig) or refresh the file.',
        );
      }
      return new CloudError(`Kubernetes: ${permission} failed (${e.code}): ${message}`, {
        httpStatus: e.code,
        operation: `${what.verb} ${what.resource}`,
      });
    }
    const raw = clean(e.message ?? String(err));
    if (this.abort?.aborted) return new CloudError('Interrupted.', { operation: what.verb });
    if (raw.startsWith('the answer is larger than')) {
      return new CloudError(`Kubernetes: ${permission}: ${raw}.`, {
        operation: `${what.verb} ${what.resource}`,
      });
    }
    const sys = err as { code?: unknown };
    const timedOut = e.name === 'AbortError' || e.name === 'TimeoutError';
    const network =
      timedOut ||
      (typeof sys.code === 'string' &&
        /^(E[A-Z_]+|ERR_TLS_\w+|UNABLE_TO_\w+|\w*CERT\w*|DEPTH_ZERO_SELF_SIGNED_CERT)$/.test(
          sys.code,
        ));
    // Anything else is a bug, not an unreachable server: let it surface as one.
    if (!network) return err instanceof Error ? err : new Error(raw);
    return new CloudError(
      `Cannot reach the Kubernetes API at ${this.server}: ${timedOut ? `no answer within ${Math.round(this.timeoutMs / 1000)} s` : raw}.`,
      { operation: `${what.verb} ${what.resource}`, retryable: true },
    );
  }

  async listNodes(): Promise<KubeNodeView[]> {
    const res = await this.call({ verb: 'list', resource: 'nodes', namespace: null }, (o) =>
      this.core.listNode({}, o),
    );
    const items: any[] = Array.isArray(res?.items) ? res.items.slice(0, 5000) : [];
    return items
      .filter((n) => typeof n?.metadata?.name === 'string')
      .map((n) => ({
        name: String(n.metadata.name),
        labels: stringRecord(n.metadata.labels),
        taints: (Array.isArray(n.spec?.taints) ? n.spec.taints : [])
          .filter((t: any) => typeof t?.key === 'string' && typeof t?.effect === 'string')
          .map((t: any) => ({
            key: String(t.key),
            ...(typeof t.value === 'string' ? { value: t.value } : {}),
            effect: String(t.effect),
          })),
        ready: (Array.isArray(n.status?.conditions) ? n.status.conditions : []).some(
          (c: any) => c?.type === 'Ready' && c?.status === 'True',
        ),
      }));
  }

  async readApiPath(): Promise<InClusterApiPath> {
    const svc = await this.call({ verb: 'get', resource: 'services', namespace: 'default' }, (o) =>
      this.core.readNamespacedService({ name: 'kubernetes', namespace: 'default' }, o),
    );
    const clusterIp =
      typeof svc?.spec?.clusterIP === 'string' && /^[0-9.]+$/.test(svc.spec.clusterIP)
        ? svc.spec.clusterIP
        : null;
    const port = Array.isArray(svc?.spec?.ports) ? Number(svc.spec.ports[0]?.port) : 443;
    const slices = await this.call(
      { verb: 'list', resource: 'endpointslices', namespace: 'default' },
      (o) =>
        this.discovery.listNamespacedEndpointSlice(
          { namespace: 'default', labelSelector: 'kubernetes.io/service-name=kubernetes' },
          o,
        ),
    );
    const endpoints: { ip: string; port: number }[] = [];
    for (const s of Array.isArray(slices?.items) ? slices.items.slice(0, 20) : []) {
      if (s?.addressType !== 'IPv4') continue;
      const ports = (Array.isArray(s.ports) ? s.ports : [])
        .map((p: any) => Number(p?.port))
        .filter((p: number) => Number.isInteger(p) && p > 0 && p < 65536);
      for (const e of Array.isArray(s.endpoints) ? s.endpoints : []) {
        for (const a of Array.isArray(e?.addresses) ? e.addresses : []) {
          if (typeof a !== 'string' || !/^\d{1,3}(\.\d{1,3}){3}$/.test(a)) continue;
          for (const p of ports) {
            if (!endpoints.some((x) => x.ip === a && x.port === p))
              endpoints.push({ ip: a, port: p });
          }
        }
      }
    }
    return { clusterIp, servicePort: Number.isInteger(port) && port > 0 ? port : 443, endpoints };
  }

  async namespaceExists(ns: string): Promise<boolean> {
    try {
      await this.call({ verb: 'get', resource: 'namespaces', namespace: null }, (o) =>
        this.core.readNamespace({ name: ns }, o),
      );
      return true;
    } catch (err) {
      if (err instanceof CloudError && err.httpStatus === 404) return false;
      // Without the right to read namespaces, assume it exists: creating pods will tell.
      if (err instanceof AuthError && err.httpStatus === 403) return true;
      throw err;
    }
  }

  async createNamespace(ns: string, labels: Record<string, string>): Promise<void> {
    await this.call({ verb: 'create', resource: 'namespaces', namespace: null }, (o) =>
      this.core.createNamespace({ body: { metadata: { name: ns, labels } } }, o),
    );
  }

  async deleteNamespace(ns: string): Promise<void> {
    await this.call({ verb: 'delete', resource: 'namespaces', namespace: null }, (o) =>
      this.core.deleteNamespace({ name: ns }, o),
    );
  }

  async createPod(ns: string, manifest: Record<string, unknown>): Promise<void> {
    await this.call({ verb: 'create', resource: 'pods', namespace: ns }, (o) =>
      this.core.createNamespacedPod({ namespace: ns, body: manifest }, o),
    );
  }

  async readPodStatus(ns: string, name: string): Promise<PodStatusView> {
    const pod = await this.call({ verb: 'get', resource: 'pods', namespace: ns }, (o) =>
      this.core.readNamespacedPod({ name, namespace: ns }, o),
    );
    const st = pod?.status ?? {};
    const waiting = Array.isArray(st.containerStatuses)
      ? st.containerStatuses[0]?.state?.waiting
      : null;
    const text = (v: unknown) => (typeof v === 'string' ? clean(v) : null);
    return {
      phase: text(st.phase),
      reason: text(st.reason),
      message: text(st.message),
      conditions: (Array.isArray(st.conditions) ? st.conditions : []).map((c: any) => ({
        type: String(c?.type ?? ''),
        status: String(c?.status ?? ''),
        reason: text(c?.reason),
        message: text(c?.message),
      })),
      waiting: waiting ? { reason: text(waiting.reason), message: text(waiting.message) } : null,
    };
  }

  async readPodLog(ns: string, name: string): Promise<string> {
    const log = await this.call({ verb: 'get', resource: 'pods/log', namespace: ns }, (o) =>
      this.core.readNamespacedPodLog({ name, namespace: ns, limitBytes: MAX_LOG_BYTES }, o),
    );
    return typeof log === 'string' ? log.slice(0, MAX_LOG_BYTES) : '';
  }

  async listPods(ns: string, labelSelector: string): Promise<KubeObjectRef[]> {
    const res = await this.call({ verb: 'list', resource: 'pods', namespace: ns }, (o) =>
      this.core.listNamespacedPod(
        { namespace: ns, ...(labelSelector ? { labelSelector } : {}) },
        o,
      ),
    );
    return objectRefs(res);
  }

  async createConfigMap(ns: string, manifest: Record<string, unknown>): Promise<string> {
    const res = await this.call({ verb: 'create', resource: 'configmaps', namespace: ns }, (o) =>
      this.core.createNamespacedConfigMap({ namespace: ns, body: manifest }, o),
    );
    const uid: unknown = res?.metadata?.uid;
    if (typeof uid !== 'string' || !/^[A-Za-z0-9-]{1,64}$/.test(uid)) {
      throw new CloudError('Kubernetes: the created ConfigMap came back without a uid.', {
        operation: 'create configmaps',
      });
    }
    return uid;
  }

  async listConfigMaps(ns: string, labelSelector: string): Promise<KubeObjectRef[]> {
    const res = await this.call({ verb: 'list', resource: 'configmaps', namespace: ns }, (o) =>
      this.core.listNamespacedConfigMap({ namespace: ns, labelSelector }, o),
    );
    return objectRefs(res);
  }

  async deleteConfigMap(ns: string, name: string): Promise<'deleted' | 'gone'> {
    try {
      // Background propagation: the garbage collector removes what it owns.
      await this.call({ verb: 'delete', resource: 'configmaps', namespace: ns }, (o) =>
        this.core.deleteNamespacedConfigMap(
          { name, namespace: ns, propagationPolicy: 'Background' },
          o,
        ),
      );
      return 'deleted';
    } catch (err) {
      if (err instanceof CloudError && err.httpStatus === 404) return 'gone';
      throw err;
    }
  }

  async deletePod(ns: string, name: string): Promise<'deleted' | 'gone'> {
    try {
      await this.call({ verb: 'delete', resource: 'pods', namespace: ns }, (o) =>
        this.core.deleteNamespacedPod({ name, namespace: ns, gracePeriodSeconds: 0 }, o),
      );
      return 'deleted';
    } catch (err) {
      if (err instanceof CloudError && err.httpStatus === 404) return 'gone';
      throw err;
    }
  }
}

/**
 * KUBECONFIG with several files, merged the way kubectl merges them: files that do not exist are
 * skipped (at least one must), the first file that defines a cluster, user or context by a name
 * wins, and the current context is the first one set. Relative paths in each file are resolved
 * against that file's directory.
 */
function loadMerged(k8s: K8s, kc: InstanceType<K8s['KubeConfig']>, files: readonly string[]): void {
  if (files.length === 1) {
    kc.loadFromFile(files[0] as string);
    return;
  }
  const clusters = new Map<string, any>();
  const users = new Map<string, any>();
  const contexts = new Map<string, any>();
  let current = '';
  let read = 0;
  for (const file of files) {
    const one = new k8s.KubeConfig();
    try {
      // An empty file is an empty config, as for kubectl.
      if (statSync(file).size === 0) {
        read++;
        continue;
      }
      one.loadFromFile(file);
    } catch (err) {
      if ((err as { code?: unknown }).code === 'ENOENT') continue;
      throw new Error(`${file}: ${err instanceof Error ? err.message : String(err)}`);
    }
    read++;
    for (const c of one.getClusters()) if (!clusters.has(c.name)) clusters.set(c.name, c);
    for (const u of one.getUsers()) if (!users.has(u.name)) users.set(u.name, u);
    for (const c of one.getContexts()) if (!contexts.has(c.name)) contexts.set(c.name, c);
    if (!current && one.getCurrentContext()) current = one.getCurrentContext();
  }
  if (read === 0) throw new Error('none of these files exists');
  kc.loadFromOptions({
    clusters: [...clusters.values()],
    users: [...users.values()],
    contexts: [...contexts.values()],
    currentContext: current,
  });
}

/** A list answer's items as name, uid, labels and owner uids; malformed items are skipped. */
function objectRefs(res: any): KubeObjectRef[] {
  const items: any[] = Array.isArray(res?.items) ? res.items.slice(0, 5000) : [];
  return items
    .filter((i) => typeof i?.metadata?.name === 'string')
    .map((i) => ({
      name: String(i.metadata.name),
      uid: typeof i.metadata.uid === 'string' ? i.metadata.uid : '',
      labels: stringRecord(i.metadata.labels),
      ownerUids: (Array.isArray(i.metadata.ownerReferences) ? i.metadata.ownerReferences : [])
        .map((r: any) => r?.uid)
        .filter((u: unknown): u is string => typeof u === 'string'),
    }));
}

function stringRecord(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof v !== 'object' || v === null) return out;
  for (const [k, val] of Object.entries(v)) if (typeof val === 'string') out[k] = val;
  return out;
}
