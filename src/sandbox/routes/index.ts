import { Router, type Route } from '../http/router.js';
import { clusterRoutes } from './cce-clusters.js';
import { nodePoolRoutes } from './cce-node-pools.js';
import { iamRoutes } from './iam.js';
import { securityGroupRoutes } from './vpc-security-groups.js';
import { ruleRoutes } from './vpc-rules.js';
import { subInterfaceRoutes } from './vpc-sub-interfaces.js';
import { subnetRoutes } from './vpc-subnets.js';

/**
 * Every emulated operation. A new service area adds its `Route[]` here (one line); paths of the
 * services do not overlap, so the order only matters within one area.
 */
export const sandboxRoutes: readonly Route[] = [
  ...clusterRoutes,
  ...nodePoolRoutes,
  ...securityGroupRoutes,
  ...ruleRoutes,
  ...subInterfaceRoutes,
  ...subnetRoutes,
  ...iamRoutes,
];

export function createRouter(extra: readonly Route[] = []): Router {
  return new Router().add(...sandboxRoutes, ...extra);
}
