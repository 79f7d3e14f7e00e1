import { vpcFail } from '../http/api-failure.js';
import type { Route } from '../http/router.js';

/**
 * IAM KeystoneListProjects, which the SDK calls to resolve a project id when a client is built
 * with `withRegion()` and no project id (docs/cloud-api.md, "Projects (IAM)"). Each region has exactly one project, so
 * the SDK never falls through to *creating* one.
 */
const listProjects: Route = {
  operation: 'KeystoneListProjects',
  method: 'GET',
  pattern: '/v3/projects',
  scope: 'none',
  flavor: 'snake',
  handle({ world, query }) {
    const name = query.one('name');
    const projects = world.projects
      .filter((p) => name === undefined || p.region === name)
      .map((p) => ({
        id: p.id,
        name: p.region,
        domain_id: p.domainId,
        enabled: true,
        is_domain: false,
        parent_id: p.domainId,
        description: '',
        links: { self: `/v3/projects/${p.id}` },
      }));
    return { status: 200, body: { projects, links: {} } };
  },
};

/**
 * The SDK creates an IAM project when the lookup finds none (docs/cloud-api.md, "Projects (IAM)"). A hardening tool must
 * never do that, so the sandbox refuses it loudly; tests assert it never appears in the log.
 */
const createProject: Route = {
  operation: 'KeystoneCreateProject',
  method: 'POST',
  pattern: '/v3/projects',
  scope: 'none',
  flavor: 'snake',
  handle() {
    throw vpcFail(
      403,
      'IAM.0003',
      'The sandbox refuses to create IAM projects (POST /v3/projects).',
    );
  },
};

export const iamRoutes: Route[] = [listProjects, createProject];
