import type { WireNodePool } from '../wire-cce.js';
import type { WorldProject } from '../world.js';
import { cceResourceTimestamp } from '../fixtures/timestamps.js';
import { cceFail } from '../http/api-failure.js';
import type { Route } from '../http/router.js';
import { requireCluster } from './cce-clusters.js';

const BASE = '/api/v3/projects/:pid/clusters/:cid/nodepools';
const SCRIPT_KEYS = ['alpha.cce/preInstall', 'alpha.cce/postInstall'] as const;
/** Pre- plus post-install script, together, after Base64 (docs/cloud-api.md, "CCE: node pools"). */
export const MAX_SCRIPTS_BASE64_CHARS = 10240;
const DEFAULT_AUTOSCALING = {
  enable: false,
  minNodeCount: 0,
  maxNodeCount: 0,
  scaleDownCooldownTime: 0,
  priority: 0,
};
/** Pool phases an update is refused in (`''` means Active). */
const FROZEN_POOL_PHASES = new Set(['Deleting', 'Error']);
/** Cluster phases UpdateNodePool may be called in ("available, scale-out, scale-in"). */
const UPDATABLE_CLUSTER_PHASES = new Set(['Available', 'ScalingUp', 'ScalingDown']);

const listNodePools: Route = {
  operation: 'ListNodePools',
  method: 'GET',
  pattern: BASE,
  scope: 'path',
  flavor: 'cce',
  handle({ project, params }) {
    const c = requireCluster(project, params['cid'] ?? '');
    const items = structuredClone(c.nodePools);
    for (const pool of c.nodePools) autoscale(project, pool);
    return { status: 200, body: { kind: 'List', apiVersion: 'v3', items } };
  },
};

const showNodePool: Route = {
  operation: 'ShowNodePool',
  method: 'GET',
  pattern: `${BASE}/:npid`,
  scope: 'path',
  flavor: 'cce',
  handle({ project, params }) {
    const c = requireCluster(project, params['cid'] ?? '');
    const pool = requirePool(c.nodePools, params['npid'] ?? '');
    const body = structuredClone(pool);
    autoscale(project, pool);
    return { status: 200, body };
  },
};

/**
 * UpdateNodePool with the real API's update model (docs/cloud-api.md, "CCE: node pools"): only the
 * fields of NodePoolUpdate are read, anything else in the body is ignored (as a Go JSON server
 * does), and an updatable field left out is reset, so an omitted `spec.initialNodeCount` scales
 * the pool to 0 unless `spec.ignoreInitialNodeCount` is true, and an omitted
 * `nodeTemplate.extendParam` script is dropped. The pool scales at once (`status.currentNode`),
 * so a test sees the damage immediately.
 */
const updateNodePool: Route = {
  operation: 'UpdateNodePool',
  method: 'PUT',
  pattern: `${BASE}/:npid`,
  scope: 'path',
  flavor: 'cce',
  handle({ project, params, body, now }) {
    const c = requireCluster(project, params['cid'] ?? '');
    const pool = requirePool(c.nodePools, params['npid'] ?? '');
    const clusterPhase = c.cluster.status?.phase ?? '';
    if (!UPDATABLE_CLUSTER_PHASES.has(clusterPhase)) {
      throw cceFail(
        400,
        'CCE.01400001',
        `Invalid request: the cluster is ${clusterPhase || 'not available'}; node pools can only be updated while it is Available, ScalingUp or ScalingDown.`,
      );
    }
    const poolPhase = pool.status?.phase ?? '';
    if (FROZEN_POOL_PHASES.has(poolPhase)) {
      throw cceFail(
        400,
        'CCE.01400001',
        `Invalid request: node pool ${pool.metadata.name} is in phase ${poolPhase} and cannot be updated.`,
      );
    }
    applyUpdate(pool, body);
    pool.metadata['updateTimestamp'] = cceResourceTimestamp(now);
    return { status: 200, body: pool };
  },
};

export const nodePoolRoutes: Route[] = [listNodePools, showNodePool, updateNodePool];

function requirePool(pools: WireNodePool[], id: string): WireNodePool {
  const pool = pools.find((p) => p.metadata.uid === id);
  if (!pool) throw cceFail(404, 'CCE.01404001', 'Resource not found.');
  return pool;
}

/** Opt-in: an autoscaler that adds nodes right after each read (between a read and a write). */
function autoscale(project: WorldProject, pool: WireNodePool): void {
  const step = project.autoscaler?.[pool.metadata.uid];
  if (!step) return;
  const n = Math.max(0, (pool.spec.initialNodeCount ?? 0) + step);
  pool.spec.initialNodeCount = n;
  (pool.status ??= {}).currentNode = n;
}

/**
 * Applies NodePoolUpdate: `metadata.name`; `spec.initialNodeCount` / `ignoreInitialNodeCount`,
 * `autoscaling`, `nodeManagement`, `podSecurityGroups`; `spec.nodeTemplate.taints`, `k8sTags`,
 * `userTags`, `login`, `extendParam` (the two script keys), `rootVolumeUpdate`,
 * `dataVolumesUpdate`. Validates everything before changing anything.
 */
function applyUpdate(pool: WireNodePool, body: unknown): void {
  const b = asObject(body, 'body');
  const spec = asObject(b['spec'], 'spec');
  const metadata = b['metadata'] === undefined ? {} : asObject(b['metadata'], 'metadata');
  const template =
    spec['nodeTemplate'] === undefined ? {} : asObject(spec['nodeTemplate'], 'spec.nodeTemplate');
  const given =
    template['extendParam'] === undefined
      ? {}
      : asObject(template['extendParam'], 'nodeTemplate.extendParam');

  const ignoreCount = spec['ignoreInitialNodeCount'] === true;
  const count = spec['initialNodeCount'] ?? 0;
  if (!ignoreCount && (typeof count !== 'number' || !Number.isInteger(count) || count < 0)) {
    throw invalid('spec.initialNodeCount must be a non-negative integer.');
  }
  const scripts: Partial<Record<(typeof SCRIPT_KEYS)[number], string>> = {};
  let scriptChars = 0;
  for (const key of SCRIPT_KEYS) {
    const v = given[key];
    if (v === undefined) continue;
    if (typeof v !== 'string' || !isBase64(v)) throw invalid(`${key} must be a Base64 string.`);
    scripts[key] = v;
    scriptChars += v.length;
  }
  if (scriptChars > MAX_SCRIPTS_BASE64_CHARS) {
    throw invalid(
      `the pre-installation and post-installation scripts together are ${scriptChars} characters after Base64 encoding; at most ${MAX_SCRIPTS_BASE64_CHARS} are allowed.`,
    );
  }
  const autoscaling =
    spec['autoscaling'] === undefined
      ? { ...DEFAULT_AUTOSCALING }
      : { ...DEFAULT_AUTOSCALING, ...asObject(spec['autoscaling'], 'spec.autoscaling') };
  const taints = arrayOr(template['taints'], 'taints');
  const userTags = arrayOr(template['userTags'], 'userTags');
  const k8sTags = template['k8sTags'] === undefined ? {} : asObject(template['k8sTags'], 'k8sTags');
  const podSecurityGroups = arrayOr(spec['podSecurityGroups'], 'podSecurityGroups');
  const login = template['login'] === undefined ? undefined : asObject(template['login'], 'login');

  // Everything is valid: apply.
  if (typeof metadata['name'] === 'string' && metadata['name'] !== '') {
    pool.metadata.name = metadata['name'];
  }
  if (!ignoreCount) pool.spec.initialNodeCount = count as number;
  pool.spec['autoscaling'] = autoscaling;
  if (spec['nodeManagement'] !== undefined) {
    pool.spec['nodeManagement'] = asObject(spec['nodeManagement'], 'spec.nodeManagement');
  }
  if (podSecurityGroups.length > 0)
    pool.spec.podSecurityGroups = podSecurityGroups as { id: string }[];
  else delete pool.spec.podSecurityGroups;
  const current = (pool.spec.nodeTemplate ??= {});
  current['taints'] = taints;
  current['userTags'] = userTags;
  current['k8sTags'] = k8sTags;
  if (login) current['login'] = login;
  for (const [updateKey, key] of [
    ['rootVolumeUpdate', 'rootVolume'],
    ['dataVolumesUpdate', 'dataVolumes'],
  ] as const) {
    const v = template[updateKey];
    if (v !== undefined) current[key] = mergeVolumes(current[key], v);
  }
  const extend = (current.extendParam ??= {});
  for (const key of SCRIPT_KEYS) {
    const v = scripts[key];
    if (v === undefined) delete extend[key];
    else extend[key] = v;
  }
  const status = (pool.status ??= {});
  status.currentNode = pool.spec.initialNodeCount ?? 0;
}

/** `rootVolumeUpdate` / `dataVolumesUpdate` change existing volumes' fields (e.g. size). */
function mergeVolumes(current: unknown, update: unknown): unknown {
  if (Array.isArray(update)) {
    const list = Array.isArray(current) ? current : [];
    return update.map((u, i) =>
      typeof u === 'object' && u !== null
        ? { ...((list[i] as object | undefined) ?? {}), ...(u as object) }
        : list[i],
    );
  }
  if (typeof update === 'object' && update !== null) {
    return { ...((current as object | undefined) ?? {}), ...(update as object) };
  }
  return current;
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
