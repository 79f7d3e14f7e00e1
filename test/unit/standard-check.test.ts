import { describe, expect, it } from 'vitest';
import { buildIptablesModel, type IptablesInput } from '../../src/core/iptables.js';
import { UnsafeError, UsageError } from '../../src/core/errors.js';
import {
  POST_INSTALL_KEY,
  decodeBase64,
  encodeBase64,
  upsertBlock,
} from '../../src/core/post-install.js';
import {
  checkStandardCluster as checkPools,
  planNodePoolUpdates as planPools,
  type StandardFacts,
} from '../../src/core/standard-check.js';
import { nodePoolFromWire, parseNodePool, type RawNodePool } from '../../src/cloud/cce-wire.js';

/** The pools as cloud/ hands them to core: decoded scripts, no wire fields. */
const domain = (pools: readonly RawNodePool[]) =>
  pools.map((p) => nodePoolFromWire(parseNodePool(p, 'ListNodePools', 'cn-north-4')));
const checkStandardCluster = (f: StandardFacts, pools: readonly RawNodePool[]) =>
  checkPools(f, domain(pools));
const planNodePoolUpdates = (
  f: StandardFacts,
  pools: readonly RawNodePool[],
  selected?: readonly string[],
) => planPools(f, domain(pools), selected);
const names = (changes: { pool: { name: string } }[]) => changes.map((c) => c.pool.name);
import { renderIptables, templatesForFormat } from '../../src/render/iptables.js';
import { loadTemplates } from '../../src/cli/templates-dir.js';

// Loaded at collection time: the tables below render blocks while they are built.
const templates = await loadTemplates(templatesForFormat('post-install'));

const current: IptablesInput = {
  apiServer: { ip: '192.168.0.61', port: 5443 },
  containerCidrs: ['172.16.0.0/16', '172.17.0.0/16'],
  network: 'tunnel',
};

function facts(input: Partial<IptablesInput> = {}): StandardFacts {
  const model = buildIptablesModel({ ...current, ...input });
  return { model, postInstallBlock: renderIptables(model, 'post-install', templates) };
}

const USER_SCRIPT = '#!/bin/bash\necho "site setup"\n';

function pool(name: string, script: string | null, extra: Partial<RawNodePool['spec']> = {}) {
  const p: RawNodePool = {
    kind: 'NodePool',
    apiVersion: 'v3',
    metadata: { name, uid: `uid-${name}`, creationTimestamp: '2024-01-01T00:00:00Z' },
    spec: {
      type: 'vm',
      initialNodeCount: 4,
      autoscaling: { enable: true, minNodeCount: 2, maxNodeCount: 9, scaleDownCooldownTime: 10 },
      nodeManagement: { serverGroupReference: 'sg-1' },
      customSecurityGroups: ['sg-a'],
      nodeTemplate: {
        flavor: 'c7.large.2',
        k8sTags: { role: 'edge' },
        taints: [{ key: 'cce-harden/apiserver', value: 'blocked', effect: 'NoSchedule' }],
        extendParam: {
          maxPods: 64,
          ...(script === null ? {} : { [POST_INSTALL_KEY]: encodeBase64(script) }),
        },
      },
      ...extra,
    },
    status: { currentNode: 4, phase: '' },
  };
  return p;
}

/** A pool whose script carries the block for these (possibly outdated) inputs. */
const hardened = (name: string, input: Partial<IptablesInput> = {}) =>
  pool(name, upsertBlock(USER_SCRIPT, facts(input).postInstallBlock));

const codes = (r: { findings: { code: string }[] }) => r.findings.map((f) => f.code);

describe('checkStandardCluster', () => {
  it('compliant when every pool carries the current block; notes that nodes are not visible', () => {
    const r = checkStandardCluster(facts(), [hardened('a'), hardened('b')]);
    expect(r.status).toBe('compliant');
    expect(r.changes).toEqual([]);
    expect(r.findings).toEqual([
      expect.objectContaining({ code: 'existing-nodes-not-visible', severity: 'info' }),
    ]);
    expect(r.findings[0]?.message).toContain('cannot be seen from the cloud side');
  });

  it('compares CIDRs as a set: order does not matter', () => {
    const r = checkStandardCluster(facts(), [
      hardened('a', { containerCidrs: ['172.17.0.0/16', '172.16.0.0/16'] }),
    ]);
    expect(r.status).toBe('compliant');
  });

  it.each([
    [
      'block missing',
      pool('a', USER_SCRIPT),
      ['post-install-block-missing'],
      'no cce-harden block',
    ],
    ['no script at all', pool('a', null), ['post-install-block-missing'], 'no cce-harden block'],
    [
      'API server IP changed',
      hardened('a', { apiServer: { ip: '192.168.0.9', port: 5443 } }),
      ['post-install-apiserver-changed'],
      "192.168.0.9; the cluster's API server is now 192.168.0.61",
    ],
    [
      'CIDR added to the cluster',
      hardened('a', { containerCidrs: ['172.16.0.0/16'] }),
      ['post-install-cidr-missing'],
      'no rule for container CIDR 172.17.0.0/16',
    ],
    [
      'CIDR removed from the cluster',
      hardened('a', { containerCidrs: ['172.16.0.0/16', '172.17.0.0/16', '10.9.0.0/16'] }),
      ['post-install-cidr-extra'],
      'rules for 10.9.0.0/16',
    ],
    [
      'wrong chain',
      hardened('a', { network: 'vpc' }),
      ['post-install-chain-wrong'],
      'the rules use the OUTPUT chain; the tunnel network mode needs FORWARD',
    ],
    [
      'port-only where all traffic is wanted',
      hardened('a', { portOnly: true }),
      ['post-install-match-differs'],
      'match TCP port 5443 only; wanted all traffic',
    ],
  ])('drift: %s', (_name, p, expectedCodes, text) => {
    const r = checkStandardCluster(facts(), [hardened('ok'), p]);
    expect(r.status).toBe('drift');
    const drift = r.findings.filter((f) => f.code !== 'existing-nodes-not-visible');
    expect(drift.map((f) => f.code)).toEqual(expectedCodes);
    expect(drift[0]?.message).toContain('node pool "a"');
    expect(drift[0]?.message).toContain(text);
    expect(names(r.changes)).toEqual(['a']);
    expect(codes(r)).toContain('existing-nodes-not-visible');
  });

  it('names every difference of a pool at once', () => {
    const r = checkStandardCluster(facts(), [
      hardened('a', {
        apiServer: { ip: '192.168.0.9', port: 5443 },
        containerCidrs: ['10.9.0.0/16'],
        network: 'vpc',
      }),
    ]);
    expect(codes(r)).toEqual([
      'post-install-chain-wrong',
      'post-install-apiserver-changed',
      'post-install-cidr-missing',
      'post-install-cidr-extra',
      'existing-nodes-not-visible',
    ]);
  });

  it('drift: an older block version', () => {
    const script = upsertBlock(
      USER_SCRIPT,
      facts().postInstallBlock.replace(
        'cce-harden iptables rules v2 ',
        'cce-harden iptables rules v1 ',
      ),
    );
    const r = checkStandardCluster(facts(), [pool('a', script)]);
    expect(codes(r)).toEqual(['post-install-block-outdated', 'existing-nodes-not-visible']);
    expect(r.changes).toHaveLength(1);
  });

  it('a pool that cannot be rewritten safely is an error finding without a change', () => {
    const broken = pool('a', null);
    broken.spec.nodeTemplate!.extendParam![POST_INSTALL_KEY] = '!!!';
    const markers = pool('b', `echo\n${facts().postInstallBlock.split('\n')[0]}\necho\n`);
    const r = checkStandardCluster(facts(), [broken, markers]);
    expect(r.status).toBe('drift');
    expect(r.changes).toEqual([]);
    expect(r.findings.slice(0, 2)).toEqual([
      expect.objectContaining({ code: 'post-install-unreadable', severity: 'error' }),
      expect.objectContaining({ code: 'post-install-markers-broken', severity: 'error' }),
    ]);
  });

  it('a cluster without node pools is compliant with a warning', () => {
    const r = checkStandardCluster(facts(), []);
    expect(r.status).toBe('compliant');
    expect(codes(r)).toEqual(['no-node-pools', 'existing-nodes-not-visible']);
  });
});

describe('planNodePoolUpdates', () => {
  it('plans the script before and after for the pool, nothing else of it', () => {
    const before = pool('a', USER_SCRIPT);
    const snapshot = structuredClone(before);
    const [change, ...rest] = planNodePoolUpdates(facts(), [before]);
    expect(rest).toEqual([]);
    expect(before).toEqual(snapshot); // input not mutated
    expect(change).toEqual({
      pool: { id: 'uid-a', name: 'a' },
      before: USER_SCRIPT,
      after: USER_SCRIPT + facts().postInstallBlock,
    });
  });

  it('leaves a pool that is being deleted alone, with the reason', () => {
    const p = pool('a', null);
    p.status = { phase: 'Deleting' };
    const [change] = planNodePoolUpdates(facts(), [p]);
    expect(change?.skip).toMatch(/phase Deleting/);
  });

  it('replaces an outdated block in place and is idempotent once applied', () => {
    const old = upsertBlock(
      `${USER_SCRIPT}exit 0\n`,
      facts({ apiServer: { ip: '192.168.0.9', port: 5443 } }).postInstallBlock,
    );
    const pools = [pool('a', old), hardened('b'), pool('c', null)];
    const changes = planNodePoolUpdates(facts(), pools);
    expect(names(changes)).toEqual(['a', 'c']);
    const applied = pools.map((p) => {
      const c = changes.find((x) => x.pool.id === p.metadata.uid);
      return c ? pool(p.metadata.name, c.after) : p;
    });
    const a = decodeBase64(String(applied[0]?.spec.nodeTemplate?.extendParam?.[POST_INSTALL_KEY]));
    expect(a).toBe(`${USER_SCRIPT}${facts().postInstallBlock}exit 0\n`);
    expect(planNodePoolUpdates(facts(), applied)).toEqual([]);
    expect(checkStandardCluster(facts(), applied).status).toBe('compliant');
  });

  it('limits the plan to the selected pools and rejects unknown names, listing them all', () => {
    const pools = [pool('a', null), pool('b', null), pool('c', null)];
    expect(names(planNodePoolUpdates(facts(), pools, ['c', 'a']))).toEqual(['a', 'c']);
    let error: unknown;
    try {
      planNodePoolUpdates(facts(), pools, ['a', 'x', 'y']);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).problems).toEqual([
      'no node pool named "x" in this cluster (--nodepool)',
      'no node pool named "y" in this cluster (--nodepool)',
    ]);
    expect((error as UsageError).hint).toBe('Node pools: a, b, c');
  });

  it('plans a pool without initialNodeCount: the write never sends the count', () => {
    const p = pool('a', null);
    delete p.spec.initialNodeCount;
    expect(names(planNodePoolUpdates(facts(), [p]))).toEqual(['a']);
  });

  it('refuses pools whose script cannot be rewritten byte for byte', () => {
    const p = pool('a', null);
    p.spec.nodeTemplate!.extendParam![POST_INSTALL_KEY] = '/w=='; // not UTF-8
    expect(() => planNodePoolUpdates(facts(), [p])).toThrow('not UTF-8');
    // ...unless it is left out.
    expect(planNodePoolUpdates(facts(), [p, pool('b', null)], ['b'])).toHaveLength(1);
  });
});

describe('a block is compliant only if it runs, unchanged', () => {
  const block = () => facts().postInstallBlock;

  it('an edit that keeps the rule lines is drift: the managed block was edited', () => {
    const edited = block().replace('cce_harden_rule() {\n', 'cce_harden_rule() {\n  return 0\n');
    const r = checkStandardCluster(facts(), [pool('a', upsertBlock(USER_SCRIPT, edited))]);
    expect(r.status).toBe('drift');
    expect(codes(r)).toEqual(['post-install-block-edited', 'existing-nodes-not-visible']);
    expect(r.findings[0]?.message).toContain('the managed block was edited');
    // --install puts the rendered block back.
    expect(r.changes).toHaveLength(1);
  });

  it('a block after exit 0 and a comment is drift, and --install moves it before the exit', () => {
    const script = `${USER_SCRIPT}exit 0\n# end of site setup\n${block()}`;
    const r = checkStandardCluster(facts(), [pool('a', script)]);
    expect(codes(r)).toEqual(['post-install-block-unreachable', 'existing-nodes-not-visible']);
    expect(r.findings[0]?.message).toContain('line 3 ends the script');
    const written = r.changes[0]?.after;
    expect(written).toBe(`${USER_SCRIPT}${block()}exit 0\n# end of site setup\n`);
  });

  it('refuses a pool whose scripts would exceed 10240 characters of Base64, with the numbers', () => {
    const big = pool('a', USER_SCRIPT);
    big.spec.nodeTemplate!.extendParam!['alpha.cce/preInstall'] = encodeBase64('#'.repeat(6000));
    expect(() => planNodePoolUpdates(facts(), [big])).toThrow(UnsafeError);
    try {
      planNodePoolUpdates(facts(), [big]);
    } catch (err) {
      expect((err as Error).message).toMatch(
        /would be \d+ characters of Base64 \(pre 8000, post \d+\); CCE accepts at most 10240/,
      );
    }
    const r = checkStandardCluster(facts(), [big]);
    expect(r.changes).toEqual([]);
    expect(codes(r)).toContain('nodepool-not-updatable');
  });
});
