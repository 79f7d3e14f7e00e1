import { randomBytes } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { CancelledError, CloudError, UsageError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';
import type { ClusterObservation } from '../core/observe.js';
import { planCheck } from '../core/plan.js';
import { buildClusterReport } from '../core/report-builder.js';
import type { ClusterReport } from '../core/report.js';
import { toReportError } from '../core/report-error.js';
import type { KubeAccess } from '../core/verify/access.js';
import {
  MANAGED_BY,
  MANAGED_BY_LABEL,
  PROBE_NAMESPACE,
  PROBE_SELECTOR,
  parseProbeLog,
  podProgress,
  probePodManifest,
  probeTargets,
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
import { buildRunReport, observeRegions } from './pipeline.js';

export interface VerifyOptions {
  clusters: string[];
  all: boolean;
  kubeconfig?: string | undefined;
  /** --kubeconfig, else KUBECONFIG (never under --sandbox); undefined: CCE issues one. */
  kubeconfigFile?: string | undefined;
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
  const kubeconfigFile = opts.kubeconfigFile;

  const interrupt = new AbortController();
  const onSigint = () => {
    if (!interrupt.signal.aborted) {
      ctx.ui.say('\nInterrupted: deleting the probe pods before exiting...');
      interrupt.abort();
    }
  };
  process.on('SIGINT', onSigint);
  try {
    const { regions, failed } = await observeRegions(ctx, {
      clusters: opts.clusters,
      all: opts.all,
      withPreflight: false,
    });
    const reports: ClusterReport[] = [];
    for (const { session, observed } of regions) {
      for (const obs of observed.clusters) {
        const report = await verifyCluster(
          ctx,
          session,
          obs,
          opts,
          kubeconfigFile,
          interrupt.signal,
        );
        reports.push(report);
        if (interrupt.signal.aborted)
          throw new CancelledError('Interrupted; the probe pods were deleted.');
      }
    }
    const report = buildRunReport(ctx, [...reports, ...failed]);
    await ctx.out.report(report);
    return report.status === 'error'
      ? ExitCode.error
      : report.status === 'drift'
        ? ExitCode.drift
        : ExitCode.ok;
  } finally {
    process.off('SIGINT', onSigint);
  }
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
  kubeconfigFile: string | undefined,
): Promise<{ kube: KubeAccess; access: VerifyDetails['access'] }> {
  const { KubeClient } = await import('../cloud/kube.js');
  const timeoutMs = ctx.config.env.timeoutMs;
  if (kubeconfigFile) {
    const kube = await KubeClient.open(
      { kind: 'file', file: kubeconfigFile, context: opts.context },
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
  kubeconfigFile: string | undefined,
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
    details.probes = await runProbes(ctx, kube, places, targets, opts, details, interrupt);
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
        message: `Could not delete ${details.cleanup.leftovers.join(', ')} in namespace ${PROBE_NAMESPACE}: run \`cce-harden verify --cluster ${facts.name} --cleanup\`.`,
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
): Promise<ProbeResult[]> {
  if (places.length === 0) return [];
  const runId = randomBytes(4).toString('hex');
  const ns = PROBE_NAMESPACE;
  let createdNamespace = false;
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
            expiresAt: new Date(deadline + 60_000).toISOString(),
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
    if (createdNamespace && details.cleanup.leftovers.length === 0) {
      await kube.deleteNamespace(ns).catch(() => undefined);
    }
  }
  return created.flatMap((c) =>
    placeResults(c.place, targets, outcomes.get(c.name) ?? { error: 'interrupted' }),
  );
}

async function cleanupLeftovers(kube: KubeAccess, report: ClusterReport): Promise<ClusterReport> {
  const names = (await kube.namespaceExists(PROBE_NAMESPACE))
    ? await kube.listPods(PROBE_NAMESPACE, PROBE_SELECTOR)
    : [];
  let deleted = 0;
  for (const n of names) if ((await kube.deletePod(PROBE_NAMESPACE, n)) === 'deleted') deleted++;
  report.status = 'compliant';
  report.findings.push({
    code: 'probe-pods-removed',
    severity: 'info',
    message:
      names.length === 0
        ? `No probe pods left behind in namespace ${PROBE_NAMESPACE}.`
        : `Deleted ${deleted} probe pod(s) left behind in namespace ${PROBE_NAMESPACE}: ${names.join(', ')}.`,
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
