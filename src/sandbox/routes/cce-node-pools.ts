import type { RawNodePool } from '../../cloud/cce-wire.js';
import { cceResourceTimestamp } from '../fixtures/timestamps.js';
import { cceFail } from '../http/api-failure.js';
import type { Route } from '../http/router.js';
import { requireCluster } from './cce-clusters.js';

const BASE = '/api/v3/projects/:pid/clusters/:cid/nodepools';
const SCRIPT_KEYS = ['alpha.cce/preInstall', 'alpha.cce/postInstall'] as const;
const DEFAULT_AUTOSCALING = {
  enable: false,
  minNodeCount: 0,
  maxNodeCount: 0,
  scaleDownCooldownTime: 0,
  priority: 0,
};

const listNodePools: Route = {
  method: 'GET',
  pattern: BASE,
  scope: 'path',
  flavor: 'cce',
  handle({ project, params }) {
    const c = requireCluster(project, params['cid'] ?? '');
    return { status: 200, body: { kind: 'List', apiVersion: 'v3', items: c.nodePools } };
  },
};

const showNodePool: Route = {
  method: 'GET',
  pattern: `${BASE}/:npid`,
  scope: 'path',
  flavor: 'cce',
  handle({ project, params }) {
    const c = requireCluster(project, params['cid'] ?? '');
    return { status: 200, body: requirePool(c.nodePools, params['npid'] ?? '') };
  },
};

/**
 * UpdateNodePool with the real API's dangerous semantics (reference §2.5): the updatable fields
 * are replaced by what the body says, and a field left out is reset, so an omitted
 * `spec.initialNodeCount` scales the pool to 0 (unless `spec.ignoreInitialNodeCount` is true) and
 * an omitted `nodeTemplate.extendParam` drops the pre/post-install scripts. The pool scales at
 * once (`status.currentNode`), so a test sees the damage immediately.
 */
const updateNodePool: Route = {
  method: 'PUT',
  pattern: `${BASE}/:npid`,
  scope: 'path',
  flavor: 'cce',
  handle({ project, params, body, now }) {
    const c = requireCluster(project, params['cid'] ?? '');
    const pool = requirePool(c.nodePools, params['npid'] ?? '');
    applyUpdate(pool, body);
    pool.metadata['updateTimestamp'] = cceResourceTimestamp(now);
    return { status: 200, body: pool };
  },
};

export const nodePoolRoutes: Route[] = [listNodePools, showNodePool, updateNodePool];

function requirePool(pools: RawNodePool[], id: string): RawNodePool {
  const pool = pools.find((p) => p.metadata.uid === id);
  if (!pool) throw cceFail(404, 'CCE.01404001', 'Resource not found.');
  return pool;
}

function applyUpdate(pool: RawNodePool, body: unknown): void {
  const b = asObject(body, 'body');
  const spec = asObject(b['spec'], 'spec');
  const metadata = b['metadata'] === undefined ? {} : asObject(b['metadata'], 'metadata');
  if (typeof metadata['name'] === 'string' && metadata['name'] !== '') {
    pool.metadata.name = metadata['name'];
  }

  if (spec['ignoreInitialNodeCount'] !== true) {
    const count = spec['initialNodeCount'] ?? 0;
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) {
      throw invalid('spec.initialNodeCount must be a non-negative integer.');
    }
    pool.spec.initialNodeCount = count;
  }
  pool.spec['autoscaling'] =
    spec['autoscaling'] === undefined
      ? { ...DEFAULT_AUTOSCALING }
      : { ...DEFAULT_AUTOSCALING, ...asObject(spec['autoscaling'], 'spec.autoscaling') };

  const template =
    spec['nodeTemplate'] === undefined ? {} : asObject(spec['nodeTemplate'], 'spec.nodeTemplate');
  const current = (pool.spec.nodeTemplate ??= {});
  current['taints'] = arrayOr(template['taints'], 'taints');
  current['userTags'] = arrayOr(template['userTags'], 'userTags');
  current['k8sTags'] =
    template['k8sTags'] === undefined ? {} : asObject(template['k8sTags'], 'k8sTags');
  const given =
    template['extendParam'] === undefined
      ? {}
      : asObject(template['extendParam'], 'nodeTemplate.extendParam');
  const extend = (current.extendParam ??= {});
  for (const key of SCRIPT_KEYS) {
    const v = given[key];
    if (v === undefined) {
      delete extend[key];
    } else if (typeof v !== 'string' || !isBase64(v)) {
      throw invalid(`${key} must be a Base64 string.`);
    } else {
      extend[key] = v;
    }
  }

  const status = (pool.status ??= {});
  status.currentNode = pool.spec.initialNodeCount ?? 0;
}

function asObject(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw invalid(`${what} must be an object.`);
  }
  return v as Record<string, unknown>;
}

function arrayOr(v: unknown, what: string): unknown[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw invalid(`${what} must be an array.`);
  return v;
}

function isBase64(s: string): boolean {
  return /^[A-Za-z0-9+/]*={0,2}$/.test(s) && s.length % 4 === 0;
}

function invalid(message: string) {
  return cceFail(400, 'CCE.01400001', `Invalid request: ${message}`);
}
