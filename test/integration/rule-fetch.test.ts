/**
 * The two ways of reading the rules that decide compliance: group by group (40 ids per request,
 * every egress rule) and project-wide (egress rules at priority 1, whatever the group). Both run
 * through the real VPC adapter and SDK against the same sandbox world, and the check documents
 * (and the removal plans) they lead to must be identical. Each world has more than 40 ENI groups,
 * so the project-wide read is the one `observe` picks on its own.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createCceClient, createVpcClient } from '../../src/cloud/clients.js';
import { CceAdapter } from '../../src/cloud/cce.js';
import { Retrier } from '../../src/cloud/retry.js';
import { VpcAdapter } from '../../src/cloud/vpc.js';
import { observeRegion } from '../../src/core/observe.js';
import { planCheck, planRemove } from '../../src/core/plan.js';
import { buildClusterReport } from '../../src/core/report-builder.js';
import { summarizeStatus, type RunReport } from '../../src/core/report.js';
import { chooseRuleFetch, fetchDecidingRules } from '../../src/core/rule-fetch.js';
import type { RuleStore } from '../../src/core/types.js';
import { renderJson } from '../../src/render/json.js';
import { standardFactsBuilder } from '../../src/cli/standard-facts.js';
import {
  SANDBOX_CREDENTIALS,
  WorldBuilder,
  hardeningDescription,
  startSandbox,
  type RequestLogEntry,
  type SandboxHandle,
  type World,
} from '../../src/sandbox/index.js';
import { sandboxCloudConfig } from '../helpers/sandbox.js';

const RULES_PATH = `/v3/${SANDBOX_CREDENTIALS.projectId}/vpc/security-group-rules`;

let handle: SandboxHandle | undefined;
afterEach(async () => {
  await handle?.close();
  handle = undefined;
});

function adapters(h: SandboxHandle): { cce: CceAdapter; vpc: VpcAdapter } {
  const config = sandboxCloudConfig(h.url);
  const retrier = new Retrier({ baseDelayMs: 1, maxDelayMs: 5 });
  return {
    cce: new CceAdapter(createCceClient(config), retrier),
    vpc: new VpcAdapter(createVpcClient(config), retrier),
  };
}

/** The same adapter without the project-wide read: `observe` must read group by group. */
function byGroupOnly(vpc: VpcAdapter): RuleStore {
  return {
    listSecurityGroups: () => vpc.listSecurityGroups(),
    listRules: (ids, filter) => vpc.listRules(ids, filter),
    createRule: (rule, opts) => vpc.createRule(rule, opts),
    deleteRule: (id) => vpc.deleteRule(id),
  };
}

/** `check --all` and a `remove` plan of every cluster, as JSON documents. */
async function documents(
  h: SandboxHandle,
  vpc: RuleStore,
): Promise<{ check: string; remove: string }> {
  const { cce } = adapters(h);
  const { clusters: observations } = await observeRegion(
    { clusters: cce, rules: vpc, concurrency: 4 },
    {
      region: SANDBOX_CREDENTIALS.region,
      clusterRefs: [],
      withPreflight: false,
      standardFacts: await standardFactsBuilder(),
    },
  );
  const doc = (command: string): string => {
    const clusters = observations.map((obs) =>
      buildClusterReport({
        obs,
        plan: command === 'remove' && obs.kind === 'turbo' ? planRemove(obs) : planCheck(obs),
      }),
    );
    const report: RunReport = {
      schemaVersion: 1,
      command,
      status: summarizeStatus(clusters),
      clusters,
    };
    return renderJson(report);
  };
  return { check: doc('check'), remove: doc('remove') };
}

function ruleRequests(log: readonly RequestLogEntry[]): RequestLogEntry[] {
  return log.filter((e) => e.method === 'GET' && e.path === RULES_PATH);
}

/** A world with `filler` ordinary hardened clusters after the interesting ones. */
function padded(build: (b: WorldBuilder) => WorldBuilder, filler = 45): World {
  const b = build(new WorldBuilder({ seed: 'rule-fetch' }).project({ region: 'cn-north-4' }));
  return b.turboClusters(filler, { hardened: true, eniAllowRule: true, namePrefix: 'pad' }).build();
}

const WORLDS: Record<string, (b: WorldBuilder) => WorldBuilder> = {
  compliant: (b) =>
    b
      .turboCluster({ name: 'equal', hardened: true })
      .turboCluster({ name: 'bare-ip', hardened: 'equivalent-bare-ip' })
      .turboCluster({ name: 'range', hardened: 'equivalent-port-range', eniAllowRule: true })
      .turboCluster({ name: 'by-hand', hardened: 'manual' }),
  drift: (b) =>
    b
      .turboCluster({ name: 'missing' })
      .turboCluster({ name: 'wrong-port', hardened: 'other-port', eniAllowRule: true })
      .turboCluster({ name: 'allow-not-deny', hardened: 'allow-action' })
      .turboCluster({ name: 'stale', apiServerIp: '192.168.7.7' })
      .rule({
        securityGroup: eniOf(b, 'stale'),
        direction: 'egress',
        protocol: 'tcp',
        multiport: '5443',
        remoteIpPrefix: '192.168.7.8/32',
        action: 'deny',
        priority: 1,
        description: hardeningDescription('192.168.7.8', 5443),
      }),
  disabled: (b) =>
    b
      .turboCluster({ name: 'ours-off', hardened: 'disabled' })
      .turboCluster({ name: 'theirs-off', apiServerIp: '192.168.9.9' })
      .rule({
        securityGroup: eniOf(b, 'theirs-off'),
        direction: 'egress',
        protocol: 'tcp',
        multiport: '5443',
        remoteIpPrefix: '192.168.9.9/32',
        action: 'deny',
        priority: 1,
        enabled: false,
      }),
  stronger: (b) =>
    b
      .turboCluster({ name: 'wide-cidr', apiServerIp: '192.168.10.10' })
      .rule({
        securityGroup: eniOf(b, 'wide-cidr'),
        direction: 'egress',
        remoteIpPrefix: '192.168.0.0/16',
        action: 'deny',
        priority: 1,
      })
      .turboCluster({ name: 'all-ports', apiServerIp: '192.168.10.11', eniAllowRule: true })
      .rule({
        securityGroup: eniOf(b, 'all-ports'),
        direction: 'egress',
        protocol: 'tcp',
        remoteIpPrefix: '192.168.10.11/32',
        action: 'deny',
        priority: 1,
      }),
  'allow-warning': (b) =>
    b
      .turboCluster({ name: 'warned', hardened: true, apiServerIp: '192.168.11.11' })
      .rule({
        securityGroup: eniOf(b, 'warned'),
        direction: 'egress',
        protocol: 'tcp',
        multiport: '5000-6000',
        remoteIpPrefix: '192.168.11.0/24',
        action: 'allow',
        priority: 1,
      })
      .rule({
        securityGroup: eniOf(b, 'warned'),
        direction: 'egress',
        action: 'allow',
        priority: 1,
        description: 'everything',
      })
      .turboCluster({ name: 'allowed-only', apiServerIp: '192.168.11.12' })
      .rule({
        securityGroup: eniOf(b, 'allowed-only'),
        direction: 'egress',
        protocol: 'tcp',
        multiport: '5443',
        remoteIpPrefix: '192.168.11.12/32',
        action: 'allow',
        priority: 1,
      }),
  'multiple groups': (b) =>
    b
      .turboCluster({ name: 'two', hardened: true, eniGroups: 2 })
      .turboCluster({ name: 'none', eniGroups: 0 })
      .turboCluster({ name: 'shared', hardened: true })
      .turboCluster({ name: 'shared-cce-eni-x', hardened: 'disabled' })
      .securityGroup({ name: 'shared-app', defaultRules: true })
      .rule({
        securityGroup: 'shared-app',
        direction: 'egress',
        action: 'deny',
        priority: 1,
        description: 'not an ENI group',
      })
      .standardCluster({ name: 'std', mode: 'vpc-router' }),
};

/** Finding codes, error codes and statuses each world must produce (beside the filler). */
const SHOWS: Record<string, string[]> = {
  compliant: ['rule-present', 'compliant'],
  drift: ['rule-missing', 'stale-managed-rule', 'allow-rule-priority-1', 'drift'],
  disabled: ['rule-disabled', 'drift'],
  stronger: ['rule-present-stronger', 'compliant'],
  'allow-warning': ['allow-rule-priority-1', 'rule-missing', 'rule-present'],
  'multiple groups': ['USAGE', 'NOT_FOUND', 'no-node-pools', 'rule-disabled', 'rule-present'],
};

/** The id of a cluster's (first) ENI group in the world built so far. */
function eniOf(b: WorldBuilder, cluster: string): string {
  const prefix = `${cluster}-cce-eni-`;
  const g = b
    .build()
    .projects[0]?.securityGroups.find(
      (x) => x.name.startsWith(prefix) && /^[a-z0-9]+$/.test(x.name.slice(prefix.length)),
    );
  if (!g) throw new Error(`no ENI group for ${cluster}`);
  return g.id;
}

describe('reading the rules that decide compliance, two ways', () => {
  for (const [name, build] of Object.entries(WORLDS)) {
    it(`gives the same check and remove documents: ${name}`, async () => {
      const world = padded(build);
      const h = (handle = await startSandbox({ world }));
      const { vpc } = adapters(h);

      h.clearLog();
      const byGroup = await documents(h, byGroupOnly(vpc));
      const byGroupRequests = ruleRequests(h.log);
      h.clearLog();
      const projectWide = await documents(h, vpc);
      const projectWideRequests = ruleRequests(h.log);

      // Each side really read its own way.
      expect(byGroupRequests.length).toBeGreaterThan(1);
      expect(byGroupRequests.every((e) => e.query['security_group_id'] !== undefined)).toBe(true);
      expect(projectWideRequests).toHaveLength(1);
      expect(projectWideRequests[0]?.query).toMatchObject({ direction: 'egress', priority: '1' });
      expect(projectWideRequests[0]?.query['security_group_id']).toBeUndefined();

      expect(projectWide.check).toBe(byGroup.check);
      expect(projectWide.remove).toBe(byGroup.remove);
      // The documents are not trivially alike: the world's cases show up in them.
      const doc = JSON.parse(byGroup.check) as RunReport;
      expect(doc.clusters.length).toBeGreaterThan(45);
      const seen = doc.clusters.flatMap((c) => [
        ...c.findings.map((f) => f.code),
        ...(c.error ? [c.error.code] : []),
        c.status,
      ]);
      expect(seen).toEqual(expect.arrayContaining(SHOWS[name] ?? ['(no expectation)']));
    });
  }

  it('falls back to group-by-group reads when the API refuses a filter (400)', async () => {
    const h = (handle = await startSandbox({ world: padded(WORLDS['drift']!) }));
    const { vpc } = adapters(h);
    const byGroup = await documents(h, byGroupOnly(vpc));
    h.clearLog();
    h.faults.add({
      method: 'GET',
      path: '/vpc/security-group-rules',
      times: 1,
      serverError: {
        status: 400,
        body: { error_code: 'VPC.0002', error_msg: 'Invalid parameter priority.', request_id: 'r' },
      },
    });
    const fallback = await documents(h, vpc);
    expect(fallback.check).toBe(byGroup.check);
    const requests = ruleRequests(h.log);
    expect(requests[0]?.status).toBe(400);
    expect(requests[0]?.query['security_group_id']).toBeUndefined();
    expect(requests.slice(1).length).toBeGreaterThan(1);
    expect(requests.slice(1).every((e) => e.query['security_group_id'] !== undefined)).toBe(true);
  });

  it('gives up the project-wide read once it takes more requests than reading by group', async () => {
    // 49 Turbo clusters: two requests of 40 group ids. At 25 rules a page, the project's
    // priority-1 egress rules need more than two pages, so the read stops after two and the
    // groups are read by id; the documents are the same.
    const world = padded(WORLDS['drift']!);
    const h = (handle = await startSandbox({ world }));
    const { vpc } = adapters(h);
    const small = new VpcAdapter(
      createVpcClient(sandboxCloudConfig(h.url)),
      new Retrier({ baseDelayMs: 1, maxDelayMs: 5 }),
      25,
    );
    const deciding = world.projects[0]!.securityGroupRules.filter(
      (r) => r.direction === 'egress' && r.priority === 1,
    );
    expect(deciding.length).toBeGreaterThan(2 * 25);
    const byGroup = await documents(h, byGroupOnly(vpc));
    h.clearLog();
    const gaveUp = await documents(h, small);
    expect(gaveUp.check).toBe(byGroup.check);
    expect(gaveUp.remove).toBe(byGroup.remove);
    const requests = ruleRequests(h.log);
    const projectWide = requests.filter((e) => e.query['security_group_id'] === undefined);
    expect(projectWide).toHaveLength(2);
    expect(projectWide.every((e) => e.query['priority'] === '1')).toBe(true);
    expect(requests.length).toBeGreaterThan(2);
  });

  it('reports any other failure of the project-wide read for every Turbo cluster, without a second try', async () => {
    const h = (handle = await startSandbox({ world: padded((b) => b) }));
    const { vpc } = adapters(h);
    h.faults.add({
      method: 'GET',
      path: '/vpc/security-group-rules',
      times: 1,
      serverError: {
        status: 403,
        body: { error_code: 'VPC.0003', error_msg: 'Not authorized.', request_id: 'r' },
      },
    });
    const doc = JSON.parse((await documents(h, vpc)).check) as RunReport;
    expect(doc.status).toBe('error');
    expect(doc.clusters.every((c) => c.status === 'error' && c.error?.httpStatus === 403)).toBe(
      true,
    );
    expect(ruleRequests(h.log)).toHaveLength(1);
  });

  it('the project-wide read does not see a rule bearing the cce-harden marker at another priority', async () => {
    // cce-harden only creates priority-1 rules and the API cannot change a rule's priority, so
    // such a rule was written by hand. Verdict, changes and the rule shown agree; only the
    // "stale" warning about it is missing (docs/fleet.md).
    const world = padded((b) => b.turboCluster({ name: 'odd', hardened: 'other-priority' }));
    const h = (handle = await startSandbox({ world }));
    const { vpc } = adapters(h);
    const byGroup = JSON.parse((await documents(h, byGroupOnly(vpc))).check) as RunReport;
    const projectWide = JSON.parse((await documents(h, vpc)).check) as RunReport;
    const odd = (d: RunReport) => d.clusters.find((c) => c.name === 'odd');
    expect(odd(byGroup)?.findings.map((f) => f.code)).toEqual([
      'rule-missing',
      'stale-managed-rule',
    ]);
    expect(odd(projectWide)?.findings.map((f) => f.code)).toEqual(['rule-missing']);
    const { findings: _a, ...restA } = odd(byGroup) ?? {};
    const { findings: _b, ...restB } = odd(projectWide) ?? {};
    expect(restB).toEqual(restA);
    expect(projectWide.clusters.filter((c) => c.name !== 'odd')).toEqual(
      byGroup.clusters.filter((c) => c.name !== 'odd'),
    );
  });
});

describe('chooseRuleFetch', () => {
  const full = { listProjectRules: async () => [] } as unknown as RuleStore;
  const plain = {} as RuleStore;
  it('reads group by group while that takes no more requests than the project-wide read', () => {
    expect(chooseRuleFetch(1, 3, full)).toBe('by-group');
    expect(chooseRuleFetch(40, 120, full)).toBe('by-group');
    expect(chooseRuleFetch(41, 123, full)).toBe('project-wide');
    // 100 clusters named in a project of 15,000 groups: 3 requests by id beat 8 pages.
    expect(chooseRuleFetch(100, 15_000, full)).toBe('by-group');
    expect(chooseRuleFetch(5000, 15_000, full)).toBe('project-wide');
    expect(chooseRuleFetch(5000, 15_000, plain)).toBe('by-group');
  });

  it('asks for the rules of each group once, whatever the duplicates', async () => {
    const asked: string[][] = [];
    const store = {
      listRules: async (ids: readonly string[]) => {
        asked.push([...ids]);
        return [];
      },
    } as unknown as RuleStore;
    await fetchDecidingRules(store, ['a', 'b', 'a'], 3);
    expect(asked).toEqual([['a', 'b']]);
  });
});
