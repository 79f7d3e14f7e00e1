/**
 * `check` and `--install` planning for CCE standard clusters. The cloud side can only see the
 * node pools' post-installation scripts (what new nodes will run), never the iptables rules on
 * existing nodes; findings say so.
 *
 * A block is compliant only if it runs, unchanged: it must equal the block cce-harden renders
 * now byte for byte (after normalising line endings), and nothing may end the script before it.
 * Differences in meaning (API server IP, CIDRs, chain, ports, version) get their own findings;
 * any other difference is "the managed block was edited".
 */
import { UnsafeError, UsageError } from './errors.js';
import { IPTABLES_BLOCK_VERSION, type IptablesModel } from './iptables.js';
import {
  findBlock,
  installScriptsSize,
  judgeManagedBlock,
  parseBlock,
  upsertBlock,
} from './post-install.js';
import type { Finding } from './report.js';
import type { NodePool } from './types.js';

export interface StandardFacts {
  /** The desired rules, from buildIptablesModel (current API server IP, every current CIDR). */
  model: IptablesModel;
  /** The rendered `post-install` format of the same model, markers included. */
  postInstallBlock: string;
}

export interface StandardCheckResult {
  status: 'compliant' | 'drift';
  findings: Finding[];
  /** The node pool updates `--install` would make; empty when compliant. */
  changes: PoolUpdate[];
}

/** A planned post-install script update of one pool. */
export interface PoolUpdate {
  pool: { id: string; name: string };
  before: string;
  after: string;
  /** Set when the pool must not be written now (e.g. it is being deleted): why. */
  skip?: string;
}

/** Node pool phases in which a pool is not updated (it is going away or broken). */
const NOT_UPDATABLE_PHASES = new Set(['Deleting', 'Error']);

export type PoolVerdict =
  | { kind: 'ok' }
  | { kind: 'drift'; findings: Finding[] }
  /** Cannot be planned safely (unreadable script, broken markers, no node count). */
  | { kind: 'blocked'; finding: Finding };

const poolLabel = (pool: NodePool): string => `node pool ${JSON.stringify(pool.name)}`;

/** Does the pool's script carry a block equivalent to the model's? */
export function judgePool(facts: StandardFacts, pool: NodePool): PoolVerdict {
  const { model } = facts;
  const name = poolLabel(pool);
  const read = pool.postInstall;
  if (!read.ok) {
    return {
      kind: 'blocked',
      finding: {
        code: 'post-install-unreadable',
        severity: 'error',
        message: `${name}: ${read.problem}; cce-harden will not rewrite it`,
      },
    };
  }
  const loc = findBlock(read.script);
  if (loc.kind === 'malformed') {
    return {
      kind: 'blocked',
      finding: {
        code: 'post-install-markers-broken',
        severity: 'error',
        message: `${name}: ${loc.problem}`,
      },
    };
  }
  const drift = (code: string, message: string): Finding => ({
    code,
    severity: 'warning',
    message: `${name}: ${message}`,
  });
  if (loc.kind === 'none') {
    return {
      kind: 'drift',
      findings: [
        drift(
          'post-install-block-missing',
          'the post-install script has no cce-harden block; new nodes get no iptables rule',
        ),
      ],
    };
  }

  const parsed = parseBlock(loc.text);
  const findings: Finding[] = [];
  if (parsed.problems.length > 0) {
    findings.push(
      drift(
        'post-install-block-unreadable',
        `the cce-harden block was edited or damaged: ${parsed.problems.join('; ')}`,
      ),
    );
  }
  if (parsed.version !== null && parsed.version < IPTABLES_BLOCK_VERSION) {
    findings.push(
      drift(
        'post-install-block-outdated',
        `the cce-harden block is version ${parsed.version}; the current version is ${IPTABLES_BLOCK_VERSION}`,
      ),
    );
  }
  if (parsed.chain !== null && parsed.chain !== model.chain) {
    findings.push(
      drift(
        'post-install-chain-wrong',
        `the rules use the ${parsed.chain} chain; the ${model.network} network mode needs ${model.chain}`,
      ),
    );
  }
  if (parsed.apiServerIp !== null && parsed.apiServerIp !== model.apiServer.ip) {
    findings.push(
      drift(
        'post-install-apiserver-changed',
        `the rules block API server IP ${parsed.apiServerIp}; the cluster's API server is now ${model.apiServer.ip}`,
      ),
    );
  }
  const missing = model.containerCidrs.filter((c) => !parsed.cidrs.includes(c));
  if (missing.length > 0) {
    findings.push(
      drift(
        'post-install-cidr-missing',
        `no rule for container CIDR ${missing.join(', ')} (pods there can reach the API server)`,
      ),
    );
  }
  const extra = parsed.cidrs.filter((c) => !model.containerCidrs.includes(c));
  if (extra.length > 0) {
    findings.push(
      drift(
        'post-install-cidr-extra',
        `rules for ${extra.join(', ')}, which is no longer a container CIDR of the cluster`,
      ),
    );
  }
  const wantPorts = model.portOnly ? model.ports.join(',') : null;
  const havePorts = parsed.ports === null ? null : parsed.ports.join(',');
  if (parsed.portOnly !== null && (parsed.portOnly !== model.portOnly || havePorts !== wantPorts)) {
    const describe = (ports: string | null): string =>
      ports === null ? 'all traffic' : `TCP port ${ports} only`;
    findings.push(
      drift(
        'post-install-match-differs',
        `the rules match ${describe(havePorts)}; wanted ${describe(wantPorts)}`,
      ),
    );
  }
  // Byte for byte: anything else that differs is an edit (a disabled function, an early exit, a
  // wrapped line, `|| true`), and a block that cannot run protects nothing.
  for (const p of judgeManagedBlock(read.script, facts.postInstallBlock)) {
    if (p.code === 'block-edited' && findings.length === 0) {
      findings.push(drift('post-install-block-edited', p.message));
    } else if (p.code === 'block-unreachable') {
      findings.push(drift('post-install-block-unreachable', p.message));
    }
  }
  return findings.length === 0 ? { kind: 'ok' } : { kind: 'drift', findings };
}

/** Builds the update for one pool, or says why it cannot be made safely. */
function planPool(
  facts: StandardFacts,
  pool: NodePool,
): { change: PoolUpdate } | { blocked: string } | { noop: true } {
  const verdict = judgePool(facts, pool);
  if (verdict.kind === 'ok') return { noop: true };
  if (verdict.kind === 'blocked') return { blocked: verdict.finding.message };
  const read = pool.postInstall;
  if (!read.ok) return { blocked: read.problem };
  const pre = pool.preInstall;
  if (!pre.ok) return { blocked: `${poolLabel(pool)}: ${pre.problem}` };
  const script = upsertBlock(read.script, facts.postInstallBlock);
  const size = installScriptsSize(pre.script, script);
  if (size.problem !== null) return { blocked: `${poolLabel(pool)}: ${size.problem}` };
  const change: PoolUpdate = {
    pool: { id: pool.id, name: pool.name },
    before: read.script,
    after: script,
  };
  if (pool.phase !== null && NOT_UPDATABLE_PHASES.has(pool.phase)) {
    change.skip = `${poolLabel(pool)} is in phase ${pool.phase}; it is not updated`;
  }
  return { change };
}

/**
 * The node pool updates that put the current block into each selected pool's post-install
 * script (all pools when `selectedPoolNames` is omitted). Pools that already carry an
 * equivalent block get no change. Throws UsageError for unknown pool names and UnsafeError when
 * a selected pool cannot be updated safely (unreadable script, broken markers).
 */
export function planNodePoolUpdates(
  facts: StandardFacts,
  pools: readonly NodePool[],
  selectedPoolNames?: readonly string[],
): PoolUpdate[] {
  let selected = pools;
  if (selectedPoolNames !== undefined) {
    const known = new Set(pools.map((p) => p.name));
    const unknown = selectedPoolNames.filter((n) => !known.has(n));
    if (unknown.length > 0) {
      throw new UsageError(
        unknown.map((n) => `no node pool named ${JSON.stringify(n)} in this cluster (--nodepool)`),
        `Node pools: ${[...known].join(', ') || '(none)'}`,
      );
    }
    const wanted = new Set(selectedPoolNames);
    selected = pools.filter((p) => wanted.has(p.name));
  }
  const changes: PoolUpdate[] = [];
  const blocked: string[] = [];
  for (const pool of selected) {
    const r = planPool(facts, pool);
    if ('change' in r) changes.push(r.change);
    else if ('blocked' in r) blocked.push(r.blocked);
  }
  if (blocked.length > 0) {
    throw new UnsafeError(
      `cannot update ${blocked.length === 1 ? 'a node pool' : 'node pools'} safely:\n- ${blocked.join('\n- ')}`,
      'Fix the post-install script in the CCE console, or leave the pool out with --nodepool.',
    );
  }
  return changes;
}

/**
 * Compliant when every pool's post-install script carries a block equivalent to the current
 * one; drift otherwise, with a finding per pool and difference. `changes` is what `--install`
 * would do for the pools that can be updated safely.
 */
export function checkStandardCluster(
  facts: StandardFacts,
  pools: readonly NodePool[],
): StandardCheckResult {
  const findings: Finding[] = [];
  const changes: PoolUpdate[] = [];
  let drift = false;
  for (const pool of pools) {
    const verdict = judgePool(facts, pool);
    if (verdict.kind === 'ok') continue;
    drift = true;
    if (verdict.kind === 'blocked') {
      findings.push(verdict.finding);
      continue;
    }
    findings.push(...verdict.findings);
    const r = planPool(facts, pool);
    if ('change' in r) changes.push(r.change);
    else if ('blocked' in r) {
      findings.push({ code: 'nodepool-not-updatable', severity: 'error', message: r.blocked });
    }
  }
  if (pools.length === 0) {
    findings.push({
      code: 'no-node-pools',
      severity: 'warning',
      message: 'the cluster has no node pools, so no post-install script carries the rules',
    });
  }
  findings.push({
    code: 'existing-nodes-not-visible',
    severity: 'info',
    message:
      "this checks the node pools' post-install scripts (new nodes); iptables rules on existing " +
      'nodes cannot be seen from the cloud side: run the script once on each of them',
  });
  return { status: drift ? 'drift' : 'compliant', findings, changes };
}
