import { cceFail } from '../http/api-failure.js';
import type { Route } from '../http/router.js';
import { lookup } from '../world-index.js';
import type { WorldCluster, WorldProject } from '../world.js';

export function requireCluster(p: WorldProject, id: string): WorldCluster {
  const c = lookup(p.clusters, 'uid', (x) => x.cluster.metadata.uid, id);
  if (!c) throw cceFail(404, 'CCE.01404001', 'Resource not found.');
  return c;
}

/** ListClusters (docs/cloud-api.md, "CCE: clusters"): no pagination, `status`/`type`/`version` filters. */
const listClusters: Route = {
  operation: 'ListClusters',
  method: 'GET',
  pattern: '/api/v3/projects/:pid/clusters',
  scope: 'path',
  flavor: 'cce',
  handle({ project, query }) {
    const status = query.one('status');
    const type = query.one('type');
    const version = query.one('version');
    const items = project.clusters
      .map((c) => c.cluster)
      .filter(
        (c) =>
          (status === undefined || c.status?.phase === status) &&
          (type === undefined || c.spec.type === type) &&
          (version === undefined || c.spec.version === version),
      );
    return { status: 200, body: { kind: 'Cluster', apiVersion: 'v3', items } };
  },
};

const showCluster: Route = {
  operation: 'ShowCluster',
  method: 'GET',
  pattern: '/api/v3/projects/:pid/clusters/:cid',
  scope: 'path',
  flavor: 'cce',
  handle({ project, params }) {
    return { status: 200, body: requireCluster(project, params['cid'] ?? '').cluster };
  },
};

/**
 * ListAddonInstances: no project in the path (docs/cloud-api.md, "CCE: paths"), the project comes from
 * X-Project-Id; `cluster_id` is required.
 */
const listAddons: Route = {
  operation: 'ListAddonInstances',
  method: 'GET',
  pattern: '/api/v3/addons',
  scope: 'header',
  flavor: 'cce',
  handle({ project, query }) {
    const clusterId = query.one('cluster_id');
    if (!clusterId) {
      throw cceFail(
        400,
        'CCE.01400001',
        'Invalid request: the query parameter cluster_id is required.',
      );
    }
    const c = requireCluster(project, clusterId);
    return { status: 200, body: { kind: 'Addon', apiVersion: 'v3', items: c.addons } };
  },
};

export const clusterRoutes: Route[] = [listClusters, showCluster, listAddons];
