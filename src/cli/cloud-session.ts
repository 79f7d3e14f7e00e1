import type { CloudConfig } from '../cloud/clients.js';
import type { Retrier } from '../cloud/retry.js';
import type { RunPorts } from '../core/runner.js';
import type { EnvSettings } from './config.js';
import type { Ui } from './ui.js';

/** The cloud side of one region: adapters over the SDK clients, sharing one Retrier per run. */
export interface CloudSession {
  region: string;
  projectId: string;
  /** The settings the clients were built with (verify issues its kubeconfig with them). */
  config: CloudConfig;
  /** The ports the pipeline reads and writes through. */
  ports: RunPorts;
}

/** Loaded on first use: the SDKs stay out of --help and offline commands. */
export async function openCloudSession(
  config: CloudConfig,
  retrier: Retrier,
  concurrency: number,
): Promise<CloudSession> {
  const [{ createCceClient, createVpcClient }, { CceAdapter }, { VpcAdapter }] = await Promise.all([
    import('../cloud/clients.js'),
    import('../cloud/cce.js'),
    import('../cloud/vpc.js'),
  ]);
  const { describeEndpoints } = await import('../cloud/endpoints.js');
  retrier.debug(
    describeEndpoints(config.region, { cce: config.cceEndpoint, vpc: config.vpcEndpoint }),
  );
  const cce = new CceAdapter(createCceClient(config), retrier, config.region);
  const vpc = new VpcAdapter(createVpcClient(config), retrier, undefined, config.region);
  return {
    region: config.region,
    projectId: config.projectId,
    config,
    ports: { clusters: cce, rules: vpc, pods: vpc, nodePools: cce, concurrency },
  };
}

export async function createRetrier(ui: Ui, env: EnvSettings): Promise<Retrier> {
  const { Retrier } = await import('../cloud/retry.js');
  const base = env.retryBaseMs;
  const timeout = env.timeoutMs;
  return new Retrier({
    ...(base !== undefined ? { baseDelayMs: base, maxDelayMs: Math.max(base * 16, 100) } : {}),
    // Each call ends within its deadline; one operation, retries included, within four of them.
    attemptTimeoutMs: timeout,
    maxTotalMs: 4 * timeout,
    onDebug: (message) => ui.debug(message),
    onCall: ({ operation, ms, ok }) => ui.debug(`${operation} ${ok ? 'ok' : 'failed'} in ${ms} ms`),
    onRetry: ({ operation, attempt, delayMs, error }) =>
      ui.debug(
        `${operation}: attempt ${attempt} failed (${error.httpStatus ?? 'no answer'} ${error.errorCode ?? ''}); retrying in ${delayMs} ms`,
      ),
  });
}
