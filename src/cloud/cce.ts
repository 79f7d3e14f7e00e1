import type {
  ClusterReader,
  NodePoolWriter,
  RawAddon,
  RawCluster,
  RawNodePool,
} from '../core/types.js';
import type { SdkClient } from './clients.js';
import type { Retrier } from './retry.js';

/**
 * CCE adapter. Responses are plain JSON (CCE's fields are camelCase on the wire), so they are
 * returned as the Raw* shapes; request objects are plain objects in the SDK's snake_case form.
 */
export class CceAdapter implements ClusterReader, NodePoolWriter {
  constructor(
    private readonly client: SdkClient,
    private readonly retrier: Retrier,
  ) {}

  async listClusters(): Promise<RawCluster[]> {
    // ListClusters has no pagination (reference §2.2).
    const res = await this.retrier.run<{ items?: RawCluster[] }>('ListClusters', () =>
      this.client.listClusters({}),
    );
    return (res.items ?? []) as RawCluster[];
  }

  async getCluster(id: string): Promise<RawCluster> {
    return (await this.retrier.run('ShowCluster', () =>
      this.client.showCluster({ cluster_id: id }),
    )) as RawCluster;
  }

  async listAddons(clusterId: string): Promise<RawAddon[]> {
    // One call per cluster: the API has no multi-cluster filter.
    const res = await this.retrier.run<{ items?: RawAddon[] }>('ListAddonInstances', () =>
      this.client.listAddonInstances({ cluster_id: clusterId }),
    );
    return (res.items ?? []) as RawAddon[];
  }

  async listNodePools(clusterId: string): Promise<RawNodePool[]> {
    const res = await this.retrier.run<{ items?: RawNodePool[] }>('ListNodePools', () =>
      this.client.listNodePools({ cluster_id: clusterId }),
    );
    return (res.items ?? []) as RawNodePool[];
  }

  /**
   * PUT replaces the pool: omitted fields are reset and an omitted initialNodeCount scales the
   * pool to 0 (reference §2.5). Callers pass the complete current pool with only their change.
   */
  async updateNodePool(clusterId: string, pool: RawNodePool): Promise<RawNodePool> {
    const { metadata, spec } = pool;
    const body = { kind: 'NodePool', apiVersion: 'v3', metadata, spec };
    const res = await this.retrier.run<RawNodePool>('UpdateNodePool', () =>
      this.client.updateNodePool({ cluster_id: clusterId, nodepool_id: metadata.uid, body }),
    );
    const { httpStatusCode: _status, ...rest } = res as RawNodePool & { httpStatusCode?: number };
    return rest;
  }
}
