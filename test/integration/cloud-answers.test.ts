/**
 * Answers that are not what the API documents: each is an error for that call (exit 1, status
 * error, the call and region named), never an empty or compliant fleet. Pagination that would
 * not end is an error too; an item repeated across pages counts once.
 */
import { describe, expect, it } from 'vitest';
import { SANDBOX_CREDENTIALS, rulesOfGroup, WorldBuilder } from '../../src/sandbox/index.js';
import type { RunReport } from '../../src/core/report.js';
import { runCli, sandboxEnv, writes, reportOf } from '../helpers/cli.js';
import { sandboxPerTest } from '../helpers/sandbox.js';

const PID = SANDBOX_CREDENTIALS.projectId;
const REGION = SANDBOX_CREDENTIALS.region;

const sandbox = sandboxPerTest();

const json = reportOf;

/** The message of the run's error, or of its first failed cluster. */
function errorMessage(doc: RunReport): string {
  return doc.error?.message ?? doc.clusters.find((c) => c.error)?.error?.message ?? '';
}

describe('ListClusters answers that are not a cluster list', () => {
  it.each([
    ['an HTML page', { malformed: '<html><body>Service Unavailable</body></html>' }],
    ['a truncated document', { malformed: '{"kind":"List","items":[{"metadata":' }],
    ['an empty object', { serverError: { status: 200, body: {} } }],
    ['an array', { serverError: { status: 200, body: [] } }],
    [
      'a list of things that are not clusters',
      { serverError: { status: 200, body: { items: [1] } } },
    ],
  ])('%s: exit 1, status error, the call and region named', async (_name, fault) => {
    const h = await sandbox();
    h.faults.add({ path: `/api/v3/projects/${PID}/clusters`, ...fault });
    const r = await runCli(['check', '--all', '--json'], sandboxEnv(h));
    expect(r.code, r.stderr).toBe(1);
    const doc = json(r);
    expect(doc.status).toBe('error');
    expect(errorMessage(doc)).toMatch(
      new RegExp(`^ListClusters in ${REGION} answered something that is not a cluster list: `),
    );
    expect(r.stderr).not.toMatch(/unexpected error/);
  });

  it('a real empty list is an empty region, not an error', async () => {
    const h = await sandbox();
    h.faults.add({
      path: `/api/v3/projects/${PID}/clusters`,
      serverError: { status: 200, body: { kind: 'List', apiVersion: 'v3', items: [] } },
    });
    const r = await runCli(['check', '--all', '--json'], sandboxEnv(h));
    expect(r.code).toBe(0);
    expect(json(r).clusters).toEqual([]);
  });
});

describe('other answers that are not the documented shape', () => {
  it('ListNodePools answering {} fails that standard cluster only', async () => {
    const h = await sandbox();
    h.faults.add({ path: /\/clusters\/[^/]+\/nodepools$/, serverError: { status: 200, body: {} } });
    const r = await runCli(['check', '--cluster', 'demo-vpc', '--json'], sandboxEnv(h));
    expect(r.code).toBe(1);
    const doc = json(r);
    expect(doc.clusters[0]?.status).toBe('error');
    expect(doc.clusters[0]?.error?.message).toMatch(
      /^ListNodePools in \S+ answered something that is not a node pool list: /,
    );
  });

  it('ListSecurityGroups answering an HTML page fails the Turbo clusters', async () => {
    const h = await sandbox();
    h.faults.add({ path: `/v3/${PID}/vpc/security-groups`, malformed: '<html>login</html>' });
    const r = await runCli(['check', '--cluster', 'demo-turbo-hardened', '--json'], sandboxEnv(h));
    expect(r.code).toBe(1);
    expect(json(r).clusters[0]?.error?.message).toMatch(
      /^ListSecurityGroups in \S+ answered something that is not a security group list: /,
    );
  });

  it('ListAddonInstances answering [] stops apply for that cluster before any write', async () => {
    const h = await sandbox();
    const addons = h.faults.add({ path: '/addons', serverError: { status: 200, body: [] } });
    const r = await runCli(['apply', '--cluster', 'demo-turbo', '--yes', '--json'], sandboxEnv(h));
    expect(r.code).toBe(1);
    expect(json(r).clusters[0]?.error?.message).toMatch(
      /^ListAddonInstances in \S+ answered something that is not an add-on list: /,
    );
    expect(addons.applied).toBeGreaterThan(0);
    expect(writes(h)).toEqual([]);
  });

  it.each(['ListSubnets', 'ListSubNetworkInterfaces'])(
    '%s answering an HTML page: the pod-interface pre-flight says it could not read them, no write',
    async (operation) => {
      const h = await sandbox();
      const bad = h.faults.garbage(operation, 'html');
      const r = await runCli(
        ['apply', '--cluster', 'demo-turbo', '--dry-run', '--json'],
        sandboxEnv(h),
      );
      expect(bad.applied).toBeGreaterThan(0);
      // The plan stands (exit 2), but nobody is told the pods were all checked.
      expect(r.code, r.stderr).toBe(2);
      const findings = json(r).clusters[0]?.findings ?? [];
      const unreadable = findings.find((f) => f.code === 'pod-interfaces-unreadable');
      expect(unreadable?.message).toMatch(new RegExp(`${operation} in \\S+ answered something`));
      expect(findings.some((f) => f.code === 'pods-outside-eni-group')).toBe(false);
      expect(writes(h)).toEqual([]);
    },
  );

  it('a rule list whose rules lack their ids is an error, not a missing rule', async () => {
    const h = await sandbox();
    h.faults.add({
      path: `/v3/${PID}/vpc/security-group-rules`,
      serverError: { status: 200, body: { security_group_rules: [{ direction: 'egress' }] } },
    });
    const r = await runCli(['check', '--cluster', 'demo-turbo-hardened', '--json'], sandboxEnv(h));
    expect(r.code).toBe(1);
    expect(json(r).clusters[0]?.error?.message).toMatch(/^ListSecurityGroupRules in /);
  });
});

describe('pagination', () => {
  it('a marker that comes back is an error, after a bounded number of requests', async () => {
    const h = await sandbox();
    const loop = h.faults.add({
      path: `/v3/${PID}/vpc/security-groups`,
      serverError: {
        status: 200,
        body: { security_groups: [{ id: 'g-1', name: 'x' }], page_info: { next_marker: 'A' } },
      },
    });
    const r = await runCli(['check', '--cluster', 'demo-turbo-hardened', '--json'], sandboxEnv(h));
    expect(r.code).toBe(1);
    expect(json(r).clusters[0]?.error?.message).toMatch(/page marker "A" a second time/);
    expect(loop.applied).toBe(2);
  });

  it('a group listed on two pages counts once (no false "several groups")', async () => {
    const h = await sandbox();
    const groups = h.world.projects[0]?.securityGroups ?? [];
    const eni = groups.find((g) => /^demo-turbo-hardened-cce-eni-/.test(g.name));
    if (!eni) throw new Error('demo-turbo-hardened has no ENI group in the demo world');
    const page = (marker?: string) => ({
      status: 200,
      body: { security_groups: groups, page_info: marker ? { next_marker: marker } : {} },
    });
    h.faults.add({ path: `/v3/${PID}/vpc/security-groups`, nth: 1, serverError: page('m-1') });
    h.faults.add({ path: `/v3/${PID}/vpc/security-groups`, nth: 2, serverError: page() });
    const r = await runCli(['check', '--cluster', 'demo-turbo-hardened', '--json'], sandboxEnv(h));
    expect(r.code, r.stdout).toBe(0);
    expect(json(r).clusters[0]?.securityGroup?.id).toBe(eni.id);
  });
});

describe('documented variants and addresses', () => {
  it('priority as a string and multiport as a number read as the same rule', async () => {
    const h = await sandbox();
    const group = h.world.projects[0]?.securityGroups.find((g) =>
      /^demo-turbo-hardened-cce-eni-/.test(g.name),
    );
    const deny = rulesOfGroup(h.world, group?.id ?? '').find((r) => r.action === 'deny');
    if (!deny) throw new Error('demo-turbo-hardened has no deny rule in the demo world');
    Object.assign(deny, { priority: '1', multiport: 5443 });
    const r = await runCli(['check', '--cluster', 'demo-turbo-hardened', '--json'], sandboxEnv(h));
    expect(r.code, r.stdout).toBe(0);
    expect(json(r).clusters[0]?.rule).toMatchObject({ priority: 1, ports: '5443' });
  });

  it.each(['0.0.0.0', '127.0.0.1', '255.255.255.255', '224.0.0.1'])(
    'an API server at %s is refused: no rule is planned or written',
    async (ip) => {
      const world = new WorldBuilder({ seed: `odd-${ip}` })
        .project({ region: REGION, id: PID })
        .turboCluster({ name: 'odd', apiServerIp: ip })
        .build();
      const h = await sandbox(world);
      const r = await runCli(['apply', '--cluster', 'odd', '--yes', '--json'], sandboxEnv(h));
      expect(r.code).toBe(1);
      const c = json(r).clusters[0];
      expect(c?.changes).toEqual([]);
      expect(c?.error?.message).toMatch(/not a unicast address/);
      expect(writes(h)).toEqual([]);
    },
  );
});
