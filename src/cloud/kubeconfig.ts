import { AuthError, CloudError, isCceHardenError } from '../core/errors.js';
import type { IssuedKubeconfig, KubeconfigIssuer } from '../core/verify/access.js';
import type { SdkClient } from './clients.js';
import type { Retrier } from './retry.js';

/** The shortest certificate CCE issues (days): verify needs it for one run only. */
export const SHORTEST_CERT_DAYS = 1;

const MAX_FIELD = 64 * 1024;

function str(v: unknown, max = MAX_FIELD): string | null {
  return typeof v === 'string' && v.length > 0 && v.length <= max ? v : null;
}

/**
 * Reads CreateKubernetesClusterCert's answer (CCE API cce_02_0248: a kubeconfig object in the
 * body) into the few fields verify uses, validating every one: the answer is untrusted input.
 */
export function readIssuedKubeconfig(body: unknown): IssuedKubeconfig {
  const b = (body ?? {}) as Record<string, unknown>;
  const clusters: IssuedKubeconfig['clusters'] = [];
  for (const c of Array.isArray(b['clusters']) ? (b['clusters'] as unknown[]).slice(0, 10) : []) {
    const rec = (c ?? {}) as { name?: unknown; cluster?: Record<string, unknown> };
    const name = str(rec.name, 100);
    const server = str(rec.cluster?.['server'], 2048);
    if (!name || !server || !/^https:\/\/[^\s/]+(\/\S*)?$/.test(server)) continue;
    clusters.push({
      name,
      server,
      caData: str(rec.cluster?.['certificate-authority-data']),
      insecure: rec.cluster?.['insecure-skip-tls-verify'] === true,
    });
  }
  const users = Array.isArray(b['users']) ? (b['users'] as unknown[]) : [];
  const u = ((users[0] ?? {}) as { name?: unknown; user?: Record<string, unknown> }).user ?? {};
  const certData = str(u['client-certificate-data']);
  const keyData = str(u['client-key-data']);
  if (clusters.length === 0 || !certData || !keyData) {
    throw new CloudError(
      'CreateKubernetesClusterCert answered without a usable kubeconfig (no cluster with an https server, or no client certificate).',
      { operation: 'CreateKubernetesClusterCert' },
    );
  }
  return { clusters, clientCertData: certData, clientKeyData: keyData };
}

/** Issues short-lived kubeconfigs through the official CCE SDK; nothing is written to disk. */
export class CceKubeconfigIssuer implements KubeconfigIssuer {
  constructor(
    private readonly client: SdkClient,
    private readonly retrier: Retrier,
  ) {}

  async issue(clusterId: string): Promise<IssuedKubeconfig> {
    let res: unknown;
    try {
      res = await this.retrier.run('CreateKubernetesClusterCert', () =>
        this.client.createKubernetesClusterCert({
          cluster_id: clusterId,
          body: { duration: SHORTEST_CERT_DAYS },
        }),
      );
    } catch (err) {
      if (isCceHardenError(err) && err instanceof CloudError && err.httpStatus === 403) {
        throw new AuthError(
          'CreateKubernetesClusterCert was refused (403): this IAM user may not issue a kubeconfig for the cluster.',
          {
            httpStatus: 403,
            errorCode: err.errorCode,
            requestId: err.requestId,
            operation: 'CreateKubernetesClusterCert',
          },
          'Grant the IAM action cce:cluster:generateClientCredential (with cce:cluster:get), or pass --kubeconfig FILE. See docs/verify.md.',
        );
      }
      throw err;
    }
    return readIssuedKubeconfig(res);
  }
}
