/**
 * The runner with in-memory implementations of core's own ports: outcomes per change, `applied`
 * only when the re-read shows it, one pool's failure not stopping the others, dependent rule
 * changes not attempted after a failure, nothing written without confirmation or in a dry run.
 */
import { describe, expect, it } from 'vitest';
import { CancelledError, CloudError } from '../../src/core/errors.js';
import { buildIptablesModel } from '../../src/core/iptables.js';
import type { ClusterObservation, ReadyFacts } from '../../src/core/observe.js';
import { planCheck, planPools, planTurbo, type ClusterPlan } from '../../src/core/plan.js';
import { buildClusterReport, clusterResultStatus } from '../../src/core/report-builder.js';
import { runPlan, type RunHooks, type RunPorts, type Work } from '../../src/core/runner.js';
import { desiredRule } from '../../src/core/rule.js';
import type { NodePool, SgRule } from '../../src/core/types.js';
import { loadTemplates } from '../../src/cli/templates-dir.js';
import { renderIptables, templatesForFormat } from '../../src/render/iptables.js';

const facts = (isTurbo: boolean): ReadyFacts => ({
  id: 'c-1',
  name: 'prod',
  category: isTurbo ? 'Turbo' : 'CCE',
  isTurbo,
  networkMode: isTurbo ? 'eni' : 'vpc-router',
  phase: 'Available',
  version: 'v1.29',
  apiServer: { ip: '192.168.0.61', port: 5443 },
  apiServerProblem: null,
  containerCidrs: ['10.0.0.0/16'],
  eniSubnetIds: [],
  eniSubnetCidr: null,
});

const group = { id: 'sg-1', name: 'prod-cce-eni-x' };
const model = buildIptablesModel({
  apiServer: { ip: '192.168.0.61', port: 5443 },
  containerCidrs: ['10.0.0.0/16'],
  network: 'vpc',
});
// The real block, as `--install` would write it.
const BLOCK = renderIptables(
  model,
  'post-install',
  await loadTemplates(templatesForFormat('post-install')),
);

/** An in-memory cloud: rules and pools, with switches to fail or ignore writes. */
function world(opts: { pools?: NodePool[]; failPool?: string; ignoreWrites?: boolean } = {}) {
  const rules: SgRule[] = [];
  const pools = opts.pools ?? [];
  const writes: string[] = [];
  const ports: RunPorts = {
    concurrency: 2,
    clusters: {
      listClusters: async () => [],
      listAddons: async () => [],
      listNodePools: async () => pools.map((p) => ({ ...p })),
    },
    rules: {
      listSecurityGroups: async () => [group],
      listRules: async () => rules.map((r) => ({ ...r })),
      createRule: async (spec) => {
        writes.push('create');
        if (opts.ignoreWrites) return { status: 'validated' };
        const rule = {
          ...spec,
          id: `r-${rules.length + 1}`,
          remoteGroupId: null,
          remoteAddressGroupId: null,
          enabled: true,
        };
        rules.push(rule);
        return { status: 'created', rule };
      },
      deleteRule: async (id) => {
        writes.push(`delete ${id}`);
      },
    },
    nodePools: {
      updatePostInstallScript: async (_cluster, poolId, change) => {
        writes.push(`pool ${poolId}`);
        if (poolId === opts.failPool) throw new CloudError('the pool is busy', { httpStatus: 400 });
        const pool = pools.find((p) => p.id === poolId);
        if (!pool) throw new Error('no pool');
        if (!opts.ignoreWrites) pool.postInstall = { ok: true, script: change.script };
        return pool;
      },
    },
  };
  return { ports, rules, pools, writes };
}

function hooks(over: Partial<RunHooks> = {}): RunHooks {
  return {
    dryRun: false,
    confirm: async () => {},
    step: (_label, fn) => fn(),
    replan: planCheck,
    ...over,
  };
}

const pool = (id: string, script = ''): NodePool => ({
  id,
  name: `pool-${id}`,
  phase: '',
  postInstall: { ok: true, script },
  preInstall: { ok: true, script: '' },
});

function standardWork(w: ReturnType<typeof world>): Work {
  const obs: ClusterObservation = {
    kind: 'standard',
    ref: 'prod',
    region: 'r',
    facts: facts(false),
    desired: { model, postInstallBlock: BLOCK },
    pools: w.pools.map((p) => ({ ...p })),
  };
  return { obs, plan: planPools(obs, {}), ports: w.ports };
}

function turboWork(w: ReturnType<typeof world>): Work {
  const obs: ClusterObservation = {
    kind: 'turbo',
    ref: 'prod',
    region: 'r',
    facts: facts(true),
    group,
    rules: [],
    preflight: null,
  };
  return { obs, plan: planTurbo(obs), ports: w.ports };
}

describe('runPlan', () => {
  it('a created rule is applied once the re-read shows it', async () => {
    const w = world();
    const { results, pending } = await runPlan([turboWork(w)], hooks());
    expect(pending).toBe(1);
    const report = buildClusterReport(results[0]!);
    expect(report.status).toBe('compliant');
    expect(clusterResultStatus(results[0]!)).toBe('compliant');
    expect(report.changes).toMatchObject([{ action: 'create', applied: true, outcome: 'applied' }]);
    expect(w.rules[0]).toMatchObject(desiredRule(group.id, facts(true).apiServer));
  });

  it('a write the cloud silently ignores is failed, not applied', async () => {
    const w = world({ ignoreWrites: true });
    const { results } = await runPlan([turboWork(w)], hooks());
    const report = buildClusterReport(results[0]!);
    expect(report.status).toBe('error');
    expect(clusterResultStatus(results[0]!)).toBe('error');
    expect(report.changes[0]).toMatchObject({ applied: false, outcome: 'failed' });
    expect(report.error?.message).toMatch(/does not show it in effect/);
  });

  it('one pool failing does not stop the next; each has its own outcome', async () => {
    const w = world({ pools: [pool('a'), pool('b')], failPool: 'a' });
    const { results } = await runPlan([standardWork(w)], hooks());
    const report = buildClusterReport(results[0]!);
    expect(w.writes).toEqual(['pool a', 'pool b']);
    expect(report.changes.map((c) => [c.target, c.outcome, c.applied])).toEqual([
      ['pool-a', 'failed', false],
      ['pool-b', 'applied', true],
    ]);
    expect(report.changes[0]?.error?.message).toBe('the pool is busy');
    expect(report.status).toBe('error');
  });

  it('pools that are not updatable are skipped with the reason, never written', async () => {
    const w = world({ pools: [{ ...pool('a'), phase: 'Deleting' }, pool('b')] });
    const { results } = await runPlan([standardWork(w)], hooks());
    expect(w.writes).toEqual(['pool b']);
    const report = buildClusterReport(results[0]!);
    expect(report.changes[0]).toMatchObject({ outcome: 'skipped', applied: false });
    expect(report.changes[0]?.reason).toMatch(/Deleting/);
  });

  it('a dry run and a declined confirmation write nothing', async () => {
    const w = world();
    const dry = await runPlan([turboWork(w)], hooks({ dryRun: true }));
    expect(buildClusterReport(dry.results[0]!).changes[0]).toMatchObject({ applied: false });
    expect(buildClusterReport(dry.results[0]!).changes[0]?.outcome).toBeUndefined();
    await expect(
      runPlan(
        [turboWork(w)],
        hooks({
          confirm: async () => {
            throw new CancelledError();
          },
        }),
      ),
    ).rejects.toBeInstanceOf(CancelledError);
    expect(w.writes).toEqual([]);
  });

  it('the refresh seam re-plans right before the write: nothing left to do, nothing written', async () => {
    const w = world();
    const work = turboWork(w);
    const { results } = await runPlan(
      [work],
      hooks({
        refresh: async (current) => {
          // Someone created the rule meanwhile.
          const rule = {
            ...desiredRule(group.id, facts(true).apiServer),
            id: 'r-x',
            remoteGroupId: null,
            remoteAddressGroupId: null,
            enabled: true,
          };
          const obs = { ...current.obs, rules: [rule] } as ClusterObservation;
          const plan: ClusterPlan = planCheck(obs);
          return { ...current, obs, plan };
        },
      }),
    );
    expect(w.writes).toEqual([]);
    expect(buildClusterReport(results[0]!).status).toBe('compliant');
  });

  it('a stop request finishes the change in flight and leaves the rest not attempted', async () => {
    const w = world({ pools: [pool('a'), pool('b'), pool('c')] });
    let stop = false;
    const { results, stopped } = await runPlan(
      [standardWork(w)],
      hooks({
        step: async (_label, fn) => {
          const r = await fn();
          stop = true; // the signal arrives while the first pool is being written
          return r;
        },
        stopRequested: () => stop,
      }),
    );
    expect(stopped).toBe(true);
    expect(w.writes).toEqual(['pool a']);
    const report = buildClusterReport(results[0]!);
    expect(report.changes.map((c) => c.outcome)).toEqual([
      'applied',
      'not-attempted',
      'not-attempted',
    ]);
  });

  it('a stop request during the last change: stopped (exit 130), nothing left out, all verified', async () => {
    const w = world({ pools: [pool('a'), pool('b')] });
    let stop = false;
    let calls = 0;
    const { results, stopped, leftOut } = await runPlan(
      [standardWork(w)],
      hooks({
        step: async (_label, fn) => {
          const r = await fn();
          if (++calls === 2) stop = true; // the signal arrives during the last write
          return r;
        },
        stopRequested: () => stop,
      }),
    );
    expect(stopped).toBe(true);
    expect(leftOut).toBe(false);
    expect(w.writes).toEqual(['pool a', 'pool b']);
    expect(buildClusterReport(results[0]!).changes.map((c) => c.outcome)).toEqual([
      'applied',
      'applied',
    ]);
  });
});
