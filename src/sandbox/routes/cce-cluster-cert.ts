import { createHash } from 'node:crypto';
import { cceFail } from '../http/api-failure.js';
import type { Route } from '../http/router.js';
import { externalApiServer, internalApiServer, kubeOf } from '../k8s/kube-world.js';
import { requireCluster } from './cce-clusters.js';

/** Longest certificate CCE issues: 5 years and a day, in days; `-1` asks for it. */
export const MAX_CERT_DAYS = 1827;

const b64 = (s: string): string => Buffer.from(s).toString('base64');

/** A stable UUID-shaped port id per cluster. */
function portIdOf(clusterId: string): string {
  const h = createHash('sha256').update(`port\0${clusterId}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * CreateKubernetesClusterCert (`POST .../clusters/{id}/clustercert`, body `{"duration": days}`):
 * a kubeconfig in CCE's shape, with `internalCluster`, and with a public address `externalCluster`
 * (no TLS verification, as CCE issues it) and `externalClusterTLSVerify`, the matching contexts,
 * one `user`, and the `Port-ID` response header (200, reference: CCE API cce_02_0248). The servers are the sandbox's Kubernetes API emulator.
 */
const createClusterCert: Route = {
  operation: 'CreateKubernetesClusterCert',
  method: 'POST',
  pattern: '/api/v3/projects/:pid/clusters/:cid/clustercert',
  scope: 'path',
  flavor: 'cce',
  handle({ world, project, params, body, kube }) {
    const wc = requireCluster(project, params['cid'] ?? '');
    const duration = (body as { duration?: unknown } | null)?.duration;
    if (
      typeof duration !== 'number' ||
      !Number.isInteger(duration) ||
      (duration !== -1 && (duration < 1 || duration > MAX_CERT_DAYS))
    ) {
      throw cceFail(
        400,
        'CCE.01400001',
        `Invalid request: duration must be an integer from 1 to ${MAX_CERT_DAYS}, or -1.`,
      );
    }
    const state = kubeOf(world, project, wc);
    if (state.certDenied) {
      throw cceFail(
        403,
        'CCE.01403001',
        'Forbidden: the user is not authorized to perform cce:cluster:generateClientCredential on this cluster.',
      );
    }
    if (wc.cluster.status?.phase !== 'Available' || !internalApiServer(wc) || !kube) {
      throw cceFail(400, 'CCE.01400001', 'Invalid request: the cluster is not available.');
    }
    const uid = wc.cluster.metadata.uid;
    const cert = kube.issueClient(uid, duration === -1 ? MAX_CERT_DAYS : duration);
    const ca = b64(kube.caPem);
    const local = `${kube.url}/clusters/${uid}`;
    const internal = state.internalReachable ? local : `${kube.refusingUrl}/clusters/${uid}`;
    const external = externalApiServer(wc) ? local : null;
    const clusters: unknown[] = [
      { name: 'internalCluster', cluster: { server: internal, 'certificate-authority-data': ca } },
    ];
    const contexts: unknown[] = [
      { name: 'internal', context: { cluster: 'internalCluster', user: 'user' } },
    ];
    if (external) {
      clusters.push(
        {
          name: 'externalCluster',
          cluster: { server: external, 'insecure-skip-tls-verify': true },
        },
        {
          name: 'externalClusterTLSVerify',
          cluster: { server: external, 'certificate-authority-data': ca },
        },
      );
      contexts.push(
        { name: 'external', context: { cluster: 'externalCluster', user: 'user' } },
        {
          name: 'externalTLSVerify',
          context: { cluster: 'externalClusterTLSVerify', user: 'user' },
        },
      );
    }
    return {
      status: 200,
      // "集群控制节点端口ID": the VPC port of the control plane.
      headers: { 'Port-ID': portIdOf(uid) },
      body: {
        kind: 'Config',
        apiVersion: 'v1',
        preferences: {},
        clusters,
        users: [
          {
            name: 'user',
            user: {
              'client-certificate-data': b64(cert.certPem),
              'client-key-data': b64(cert.keyPem),
            },
          },
        ],
        contexts,
        // CCE: `external` when the cluster has a public address, else `internal`.
        'current-context': external ? 'external' : 'internal',
      },
    };
  },
};

export const clusterCertRoutes: Route[] = [createClusterCert];
