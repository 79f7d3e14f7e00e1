import type { CloudConfig } from '../cloud/clients.js';
import type { Retrier } from '../cloud/retry.js';
import type { HardenDeps } from '../core/harden.js';
import type { NodePoolWriter } from '../core/types.js';
import { pick } from './config.js';
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
  const base = Number(pick(env, 'retryBase'));
  return new Retrier({
    ...(Number.isFinite(base) && base > 0
      ? { baseDelayMs: base, maxDelayMs: Math.max(base * 16, 100) }
      : {}),
    onCall: ({ operation, ms, ok }) => ui.debug(`${operation} ${ok ? 'ok' : 'failed'} in ${ms} ms`),
    onRetry: ({ operation, attempt, delayMs, error }) =>
      ui.debug(
        `${operation}: attempt ${attempt} failed (${error.httpStatus ?? 'no answer'} ${error.errorCode ?? ''}); retrying in ${delayMs} ms`,
      ),
  });
}
