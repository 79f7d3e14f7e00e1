import { clusterArg } from '../core/shell-words.js';
import { randomBytes } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { AuthError, CancelledError, CloudError, UsageError } from '../core/errors.js';
import type { ClusterObservation } from '../core/observe.js';
import { planCheck } from '../core/plan.js';
import { buildClusterReport } from '../core/report-builder.js';
import { observedExitCode, type ClusterReport } from '../core/report.js';
import { toReportError } from '../core/report-error.js';
import type { KubeAccess } from '../core/verify/access.js';
import {
  DEFAULT_PROBE_IMAGE,
  MANAGED_BY,
  MANAGED_BY_LABEL,
  OWNER_SELECTOR,
  PROBE_NAMESPACE,
  PROBE_SELECTOR,
  parseProbeLog,
  podProgress,
  probePodManifest,
  probeTargets,
  runOwnerManifest,
  runOwnerName,
  type ProbeLine,
  type ProbeTarget,
} from '../core/verify/probe.js';
import {
  coverageFinding,
  placeResults,
  probeFindings,
  probePlaces,
  uncoveredPorts,
  verifyStatus,
  type ProbePlace,
  type ProbeResult,
  type VerifyDetails,
} from '../core/verify/verdict.js';
import { createRetrier, type CloudSession } from './cloud-session.js';
import type { CommandContext } from './context.js';
import { buildRunReport, observeRegions, type ObservedRegion } from './pipeline.js';

export interface VerifyOptions {
  clusters: string[];
  all: boolean;
  kubeconfig?: string | undefined;
  /** --kubeconfig, else the KUBECONFIG list (never under --sandbox); undefined: CCE issues one. */
  kubeconfigFiles?: string[] | undefined;
  context?: string | undefined;
  endpoint: 'internal' | 'external';
  nodes: 'all' | 'pool';
  metadata: boolean;
  image: string;
  cleanup: boolean;
  /** Seconds the probe pods get to finish. */
  timeout: number;
}

const POLL_MS = 400;

/** `cce-harden verify`: probe from pods that they cannot reach the API server. */
export async function runVerify(ctx: CommandContext, opts: VerifyOptions): Promise<number> {
  const kubeconfigFiles = kubeconfigFilesOf(ctx, opts);
  const interrupt = interruptOnSigint(ctx);
  try {
    const observed = await observeRegions(ctx, {
      clusters: opts.clusters,
      all: opts.all,
      withPreflight: false,
    });
    return await probeAndReport(ctx, opts, observed, kubeconfigFiles, interrupt.signal);
  } finally {
    interrupt.release();
  }
}

/** Defaults of `cce-harden verify --cluster <id>` with no other flag. */
export function defaultVerifyOptions(cluster: string): VerifyOptions {
  return {
    clusters: [cluster],
    all: false,
    endpoint: 'internal',
    nodes: 'pool',
    metadata: false,
    image: DEFAULT_PROBE_IMAGE,
    cleanup: false,
    timeout: 120,
  };
}

/**
 * `verify` on what the caller already observed (the wizard, right after it changed a cluster):
 * the same probes, report and exit code as `cce-harden verify`, without reading the region again.
 */
export async function verifyObserved(
  ctx: CommandContext,
  opts: VerifyOptions,
  observed: { regions: ObservedRegion[]; failed: ClusterReport[] },
): Promise<number> {
  const kubeconfigFiles = kubeconfigFilesOf(ctx, opts);
  const interrupt = interruptOnSigint(ctx);
  try {
    return await probeAndReport(ctx, opts, observed, kubeconfigFiles, interrupt.signal);
  } finally {
    interrupt.release();
  }
}

/**
 * The kubeconfig file(s) to use, if any: what the command's options settled (commands/verify.ts
 * checks them with the rest of the configuration), else for the wizard's defaults the same rule:
 * --kubeconfig names one file; KUBECONFIG may list several, merged as kubectl does; under
 * --sandbox a KUBECONFIG from the environment names a real cluster and is never used.
 */
function kubeconfigFilesOf(ctx: CommandContext, opts: VerifyOptions): string[] | undefined {
  if (opts.kubeconfigFiles) return opts.kubeconfigFiles;
  if (opts.kubeconfig) return [opts.kubeconfig];
  return ctx.global.sandbox ? undefined : ctx.config.env.kubeconfig?.slice();
}

/** Ctrl+C during a run aborts it; the probe pods are deleted before the exit. */
function interruptOnSigint(ctx: CommandContext): { signal: AbortSignal; release: () => void } {
  const interrupt = new AbortController();
  const onSigint = () => {
    if (!interrupt.signal.aborted) {
      ctx.ui.say('\nInterrupted: deleting the probe pods before exiting...');
      interrupt.abort();
    }
  };
  process.on('SIGINT', onSigint);
  return { signal: interrupt.signal, release: () => process.off('SIGINT', onSigint) };
}

async function probeAndReport(
  ctx: CommandContext,
  opts: VerifyOptions,
  { regions, failed }: { regions: ObservedRegion[]; failed: ClusterReport[] },
  kubeconfigFile: readonly string[] | undefined,
  interrupt: AbortSignal,
): Promise<number> {
  const reports: ClusterReport[] = [];
  for (const { session, observed } of regions) {
    for (const obs of observed.clusters) {
      const report = await verifyCluster(ctx, session, obs, opts, kubeconfigFile, interrupt);
      reports.push(report);
      if (interrupt.aborted) throw new CancelledError('Interrupted; the probe pods were deleted.');
    }
  }
  const report = buildRunReport(ctx, [...reports, ...failed]);
  await ctx.out.report(report);
  return observedExitCode(report.status);
}

/** What `check` would say of the cluster: the facts, group and rule verify starts from. */
function checkedReport(obs: ClusterObservation): ClusterReport {
  return buildClusterReport({ obs, plan: planCheck(obs) });
}

async function openKube(
  ctx: CommandContext,
  session: CloudSession,
  obs: ClusterObservation,
  opts: VerifyOptions,
  kubeconfigFile: readonly string[] | undefined,
): Promise<{ kube: KubeAccess; access: VerifyDetails['access'] }> {
  const { KubeClient } = await import('../cloud/kube.js');
  const timeoutMs = ctx.config.env.timeoutMs;
  if (kubeconfigFile) {
    const kube = await KubeClient.open(
      { kind: 'file', files: kubeconfigFile, context: opts.context },
      { timeoutMs },
    );
    return { kube, access: 'kubeconfig' };
  }
  const [{ createCceClient }, { CceKubeconfigIssuer }] = await Promise.all([
    import('../cloud/clients.js'),
    import('../cloud/kubeconfig.js'),
  ]);
  const issuer = new CceKubeconfigIssuer(
    createCceClient(session.config),
    await createRetrier(ctx.ui, ctx.config.env),
  );
  const issued = await ctx.ui.step(
    `Asking CCE for a short-lived kubeconfig for ${obs.facts?.name ?? obs.ref}`,
    () => issuer.issue(obs.facts?.id ?? obs.ref),
  );
  const endpoint = opts.endpoint;
  const kube = await KubeClient.open(
    { kind: 'issued', kubeconfig: issued, endpoint },
    { timeoutMs },
  );
  return { kube, access: endpoint };
}

/** Explains a network failure on the first call: the internal address is only reachable in the VPC. */
function unreachable(err: unknown, access: VerifyDetails['access'], server: string): unknown {
  if (!(err instanceof CloudError) || err.httpStatus !== undefined) return err;
  if (access === 'internal') {
    return new CloudError(
      `This machine cannot reach the cluster's internal API endpoint ${server}: ${err.message}`,
      { operation: err.operation },
      'The internal address answers only inside the cluster VPC (or over VPN / Direct Connect). Run verify from there, or pass --endpoint external when the cluster has a public API endpoint (an EIP).',
    );
  }
  return new CloudError(
    err.message,
    { operation: err.operation },
    'Check the network path to the API server address.',
  );
}

async function verifyCluster(
  ctx: CommandContext,
  session: CloudSession,
  obs: ClusterObservation,
  opts: VerifyOptions,
  kubeconfigFile: readonly string[] | undefined,
  interrupt: AbortSignal,
): Promise<ClusterReport> {
  const checked = checkedReport(obs);
  if (obs.kind === 'failed') return { ...checked, changes: [] };
  const facts = obs.facts;
  const apiServer = facts.apiServer;
  const report: ClusterReport = { ...checked, status: 'error', findings: [], changes: [] };
  try {
    const { kube, access } = await openKube(ctx, session, obs, opts, kubeconfigFile);
    let nodes;
    try {
      nodes = await kube.listNodes();
    } catch (err) {
      throw unreachable(err, access, kube.server);
    }
    if (opts.cleanup) return await cleanupLeftovers(kube, report);

    const path = await kube.readApiPath();
    const targets = probeTargets(apiServer, path, { metadata: opts.metadata });
    const details: VerifyDetails = {
      access,
      kubernetesService: path.clusterIp
        ? { clusterIp: path.clusterIp, port: path.servicePort }
        : null,
      endpoints: path.endpoints,
      targets: targets.map((t) => ({
        name: t.name,
        address: `${t.ip}:${t.port}`,
        description: t.description,
      })),
      probes: [],
      cleanup: { created: 0, deleted: 0, leftovers: [] },
    };
    report.verify = details;
    if (obs.kind === 'turbo') {
      const uncovered = uncoveredPorts(apiServer, path.endpoints, obs.group.id, obs.rules);
      const f = coverageFinding(
        facts.name,
        apiServer,
        path.clusterIp,
        path.endpoints,
        uncovered,
        obs.group.name,
      );
      if (f) report.findings.push(f);
    }
    const { places, notReady } = probePlaces(facts.isTurbo, nodes, opts.nodes === 'all');
    for (const n of notReady) {
      report.findings.push({
        code: 'node-not-ready',
        severity: 'warning',
        message: `Node ${n} is not Ready: not probed.`,
      });
    }
    if (places.length === 0) {
      report.findings.push({
        code: 'no-nodes',
        severity: 'error',
        message: 'The cluster has no Ready node to probe from.',
      });
    }
    details.probes = await runProbes(
      ctx,
      kube,
      places,
      targets,
      opts,
      details,
      interrupt,
      report.findings,
    );
    report.findings.push(...probeFindings(details.probes));
    report.status = verifyStatus(details.probes);
    if (
      report.status === 'compliant' &&
      report.findings.some((f) => f.code === 'endpoint-port-not-covered')
    ) {
      report.status = 'drift';
    }
    if (details.cleanup.leftovers.length > 0) {
      report.findings.push({
        code: 'probe-pods-left',
        severity: 'warning',
        message: `Could not delete ${details.cleanup.leftovers.join(', ')} in namespace ${PROBE_NAMESPACE}: run \`cce-harden verify ${clusterArg(facts)} --cleanup\`.${details.cleanup.leftovers.some((l) => l.startsWith('configmap/')) ? '' : " Their owner (the run's ConfigMap) was deleted, so Kubernetes' garbage collector removes them too."}`,
      });
    }
  } catch (err) {
    // A usage problem (a bad --context) is the same for every cluster: stop with 64.
    if (err instanceof UsageError) throw err;
    report.status = 'error';
    report.error = toReportError(err);
  }
  return report;
}

async function runProbes(
  ctx: CommandContext,
  kube: KubeAccess,
  places: readonly ProbePlace[],
  targets: readonly ProbeTarget[],
  opts: VerifyOptions,
  details: VerifyDetails,
  interrupt: AbortSignal,
  findings: ClusterReport['findings'],
): Promise<ProbeResult[]> {
  if (places.length === 0) return [];
  const runId = randomBytes(4).toString('hex');
  const ns = PROBE_NAMESPACE;
  let createdNamespace = false;
  let owner: { name: string; uid: string } | undefined;
  const created: { place: ProbePlace; name: string }[] = [];
  const outcomes = new Map<string, { lines: Map<string, ProbeLine> } | { error: string }>();
  const startedBy = `${safe(() => userInfo().username)}@${safe(() => hostname())}`.slice(0, 200);
  try {
    if (!(await kube.namespaceExists(ns))) {
      await kube.createNamespace(ns, {
        [MANAGED_BY_LABEL]: MANAGED_BY,
        'pod-security.kubernetes.io/enforce': 'restricted',
      });
      createdNamespace = true;
    }
    const deadline = Date.now() + opts.timeout * 1000;
    const expiresAt = new Date(deadline + 60_000).toISOString();
    // The run's owner first: every pod names it, and deleting it (last) collects any pod left.
    const ownerName = runOwnerName(runId);
    details.cleanup.created++;
    try {
      owner = {
        name: ownerName,
        uid: await kube.createConfigMap(
          ns,
          runOwnerManifest({ runId, namespace: ns, startedBy, expiresAt }),
        ),
      };
    } catch (err) {
      details.cleanup.created--;
      // RBAC granted before the owner existed (pods only): run without it, and say so.
      if (!(err instanceof AuthError && err.httpStatus === 403)) throw err;
      findings.push({
        code: 'probe-owner-forbidden',
        severity: 'info',
        message: `Kubernetes refused to create the run's owner (ConfigMap ${ownerName}) in namespace ${ns}: the probe pods run without an owner, found by their labels only. Grant create/get/list/delete on configmaps there (templates/verify-rbac.yaml).`,
      });
    }
    for (const [i, place] of places.entries()) {
      if (interrupt.aborted) break;
      const name = `cce-harden-verify-${runId}-${i}`;
      created.push({ place, name });
      details.cleanup.created++;
      try {
        await kube.createPod(
          ns,
          probePodManifest({
            name,
            namespace: ns,
            node: place.node,
            image: opts.image,
            targets,
            runId,
            startedBy,
            taints: place.taints,
            activeDeadlineSeconds: opts.timeout + 30,
            expiresAt,
            owner,
          }),
        );
      } catch (err) {
        created.pop();
        details.cleanup.created--;
        throw err;
      }
    }
    ctx.ui.info(
      `Waiting for ${created.length} probe pod(s) in namespace ${ns} (up to ${opts.timeout} s)...`,
    );
    let pending = created.filter((c) => !outcomes.has(c.name));
    while (pending.length > 0 && !interrupt.aborted && Date.now() < deadline) {
      for (const c of pending) {
        const progress = podProgress(await kube.readPodStatus(ns, c.name));
        if (progress.state === 'finished') {
          outcomes.set(c.name, {
            lines: parseProbeLog(await kube.readPodLog(ns, c.name), targets),
          });
        } else if (progress.state === 'failed') {
          outcomes.set(c.name, { error: progress.reason });
        }
      }
      pending = created.filter((c) => !outcomes.has(c.name));
      if (pending.length > 0) await sleepUnlessAborted(POLL_MS, interrupt);
    }
    for (const c of pending) {
      if (!outcomes.has(c.name)) {
        outcomes.set(c.name, {
          error: `no result within ${opts.timeout} s (the pod did not finish)`,
        });
      }
    }
  } finally {
    // Everything this run created goes, also on error, timeout and Ctrl+C.
    for (const c of created) {
      try {
        await kube.deletePod(ns, c.name);
        details.cleanup.deleted++;
      } catch {
        details.cleanup.leftovers.push(c.name);
      }
    }
    // The owner goes last: were a pod not deleted above, the garbage collector removes it now.
    if (owner) {
      try {
        await kube.deleteConfigMap(ns, owner.name);
        details.cleanup.deleted++;
      } catch {
        details.cleanup.leftovers.push(`configmap/${owner.name}`);
      }
    }
    if (createdNamespace && details.cleanup.leftovers.length === 0) {
      await kube.deleteNamespace(ns).catch(() => undefined);
    }
  }
  return created.flatMap((c) =>
    placeResults(c.place, targets, outcomes.get(c.name) ?? { error: 'interrupted' }),
  );
}

/**
 * Leftovers of interrupted runs: probe pods found by their labels or by their owner (a run's
 * ConfigMap), deleted first, then the owners. Nothing else in the namespace is touched.
 */
async function cleanupLeftovers(kube: KubeAccess, report: ClusterReport): Promise<ClusterReport> {
  const ns = PROBE_NAMESPACE;
  const exists = await kube.namespaceExists(ns);
  const owners = exists ? await kube.listConfigMaps(ns, OWNER_SELECTOR) : [];
  const ownerUids = new Set(owners.map((o) => o.uid).filter(Boolean));
  const byLabel = exists ? await kube.listPods(ns, PROBE_SELECTOR) : [];
  const byOwner =
    exists && ownerUids.size > 0
      ? (await kube.listPods(ns, '')).filter((p) => p.ownerUids.some((u) => ownerUids.has(u)))
      : [];
  const pods = [...new Set([...byLabel, ...byOwner].map((p) => p.name))].sort();
  let deleted = 0;
  for (const n of pods) if ((await kube.deletePod(ns, n)) === 'deleted') deleted++;
  let ownersDeleted = 0;
  for (const o of owners)
    if ((await kube.deleteConfigMap(ns, o.name)) === 'deleted') ownersDeleted++;
  report.status = 'compliant';
  report.findings.push({
    code: 'probe-pods-removed',
    severity: 'info',
    message:
      pods.length === 0 && owners.length === 0
        ? `No probe pods left behind in namespace ${ns}.`
        : `Deleted ${deleted} probe pod(s) left behind in namespace ${ns}${pods.length > 0 ? `: ${pods.join(', ')}` : ''}; and ${ownersDeleted} run owner(s) (ConfigMap)${owners.length > 0 ? `: ${owners.map((o) => o.name).join(', ')}` : ''}.`,
  });
  return report;
}

async function sleepUnlessAborted(ms: number, signal: AbortSignal): Promise<void> {
  try {
    await sleep(ms, undefined, { signal });
  } catch {
    // Aborted: the loop sees it.
  }
}

function safe(fn: () => string): string {
  try {
    return (
      fn()
        .replace(/[^A-Za-z0-9._-]/g, '')
        .slice(0, 60) || 'unknown'
    );
  } catch {
    return 'unknown';
  }
}
