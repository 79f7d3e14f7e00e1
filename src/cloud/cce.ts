import type { ClusterFacts } from '../core/cluster.js';
import { CloudError } from '../core/errors.js';
import type { Addon, ClusterReader, NodePool, NodePoolWriter } from '../core/types.js';
import {
  nodePoolFromWire,
  parseAddonList,
  clusterListReading,
  parseClusterList,
  parseNodePool,
  parseNodePoolList,
  postInstallOf,
  postInstallUpdateBody,
} from './cce-wire.js';
import type { SdkClient } from './clients.js';
import type { Retrier } from './retry.js';

/**
 * CCE adapter. The SDK returns plain JSON (CCE's fields are camelCase on the wire); each answer
 * is validated (cce-wire.ts) and translated into domain types before it leaves this module.
 */
export class CceAdapter implements ClusterReader, NodePoolWriter {
  constructor(
    private readonly client: SdkClient,
    private readonly retrier: Retrier,
    private readonly region = '',
  ) {}

  async listClusters(): Promise<ClusterFacts[]> {
    // ListClusters has no pagination.
    // The answer is read cluster by cluster as it arrives, cut to the fields read (cce-wire.ts).
    const res = await this.retrier.run<unknown>('ListClusters', () =>
      this.client.callReading('listClusters', {}, clusterListReading),
    );
    return parseClusterList(res, this.region);
  }

  async listAddons(clusterId: string): Promise<Addon[]> {
    // One call per cluster: the API has no multi-cluster filter.
    const res = await this.retrier.run<unknown>('ListAddonInstances', () =>
      this.client.listAddonInstances({ cluster_id: clusterId }),
    );
    return parseAddonList(res, this.region);
  }

  async listNodePools(clusterId: string): Promise<NodePool[]> {
    const res = await this.retrier.run<unknown>('ListNodePools', () =>
      this.client.listNodePools({ cluster_id: clusterId }),
    );
    return parseNodePoolList(res, this.region).map(nodePoolFromWire);
  }

  /**
   * Read-modify-write of one pool's post-install script, as one operation: the pool is read
   * fresh (ShowNodePool) immediately before the PUT, so a change made meanwhile (the autoscaler's
   * node count, someone's script edit) is not undone; the PUT carries only the update model's
   * fields, never the login data.
   */
  async updatePostInstallScript(
    clusterId: string,
    poolId: string,
    change: { expected: string; script: string },
  ): Promise<NodePool> {
    const fresh = parseNodePool(
      await this.retrier.run<unknown>('ShowNodePool', () =>
        this.client.showNodePool({ cluster_id: clusterId, nodepool_id: poolId }),
      ),
      'ShowNodePool',
      this.region,
    );
    const current = postInstallOf(fresh);
    if (!current.ok || current.script !== change.expected) {
      throw new CloudError(
        `The post-install script of node pool ${JSON.stringify(fresh.metadata.name)} changed after it was read; nothing was written to it.`,
        { operation: 'UpdateNodePool' },
        'Run the command again to plan against the current script.',
      );
    }
    const body = postInstallUpdateBody(fresh, change.script);
    const res = await this.retrier.run<unknown>('UpdateNodePool', () =>
      this.client.updateNodePool({ cluster_id: clusterId, nodepool_id: poolId, body }),
    );
    return nodePoolFromWire(parseNodePool(res, 'UpdateNodePool', this.region));
  }
}
