import type { CloudConfig } from '../cloud/clients.js';
import type { Retrier } from '../cloud/retry.js';
import type { HardenDeps } from '../core/harden.js';
import type { NodePoolWriter } from '../core/types.js';
import { durationMs, pick } from './config.js';
import type { Ui } from './ui.js';

/** The cloud side of one region: adapters over the SDK clients, sharing one Retrier per run. */
export interface CloudSession {
  region: string;
  projectId: string;
  deps: HardenDeps;
  nodePools: NodePoolWriter;
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
  const cce = new CceAdapter(createCceClient(config), retrier);
  const vpc = new VpcAdapter(createVpcClient(config), retrier);
  return {
    region: config.region,
    projectId: config.projectId,
    deps: { cce, vpc, concurrency, pods: vpc },
    nodePools: cce,
  };
}

export async function createRetrier(
  ui: Ui,
  env: Record<string, string | undefined>,
): Promise<Retrier> {
  const { Retrier } = await import('../cloud/retry.js');
  const base = durationMs(env, 'retryBase');
  const timeout = durationMs(env, 'timeout');
  return new Retrier({
    ...(pick(env, 'retryBase') !== undefined
      ? { baseDelayMs: base, maxDelayMs: Math.max(base * 16, 100) }
      : {}),
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
