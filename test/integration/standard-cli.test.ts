/**
 * The iptables path against the sandbox: check of standard clusters through their node pools'
 * post-install scripts, and `iptables --install`, which must change nothing but the script.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  DEMO_EXISTING_POST_INSTALL,
  demoWorld,
  findCluster,
  type SandboxHandle,
} from '../../src/sandbox/index.js';
import {
  BLOCK_BEGIN,
  decodeBase64,
  encodeBase64,
  extractBlock,
  parseBlock,
  POST_INSTALL_KEY,
} from '../../src/core/post-install.js';
import type { RawNodePool } from '../../src/cloud/cce-wire.js';
import { runCli, sandboxEnv, writes, reportOf } from '../helpers/cli.js';
import { sandboxPerTest } from '../helpers/sandbox.js';

const startSandbox = sandboxPerTest();
let handle: SandboxHandle;

const json = reportOf;

function pools(h: SandboxHandle, cluster: string): RawNodePool[] {
  return findCluster(h.world, cluster)?.nodePools as RawNodePool[];
}

function script(pool: RawNodePool | undefined): string {
  const b64 = pool?.spec.nodeTemplate?.extendParam?.[POST_INSTALL_KEY];
  return typeof b64 === 'string' ? decodeBase64(b64) : '';
}

describe('check on standard clusters', () => {
  it.each([
    ['demo-vpc', 'OUTPUT', ['10.0.0.0/16', '10.1.0.0/16']],
    ['demo-tunnel', 'FORWARD', ['172.16.0.0/16']],
  ])(
    '%s: drift before --install, compliant after; the block has the right chain and CIDRs',
    async (name, chain, cidrs) => {
      handle = await startSandbox(demoWorld());
      const env = sandboxEnv(handle);
      const before = await runCli(['check', '--cluster', name, '--json'], env);
      expect(before.code).toBe(2);
      const c = json(before).clusters[0];
      expect(c?.status).toBe('drift');
      expect(c?.findings.map((f) => f.code)).toContain('post-install-block-missing');
      expect(c?.findings.map((f) => f.code)).toContain('existing-nodes-not-visible');

      const install = await runCli(
        ['iptables', '--cluster', name, '--install', '--yes', '--json'],
        env,
      );
      expect(install.code, install.stderr).toBe(0);

      const after = await runCli(['check', '--cluster', name, '--json'], env);
      expect(after.code, after.stdout).toBe(0);
      for (const pool of pools(handle, name)) {
        const block = extractBlock(script(pool));
        expect(block).not.toBeNull();
        const parsed = parseBlock(block as string);
        expect(parsed.chain).toBe(chain);
        expect(parsed.cidrs).toEqual(cidrs);
        expect(parsed.apiServerIp).toBe(c?.apiServer?.ip);
      }
    },
  );

  it('drift when the API server address changes, naming the pool and the difference', async () => {
    handle = await startSandbox(demoWorld());
    const env = sandboxEnv(handle);
    expect(
      (await runCli(['iptables', '--cluster', 'demo-tunnel', '--install', '--yes'], env)).code,
    ).toBe(0);
    const cluster = findCluster(handle.world, 'demo-tunnel')?.cluster;
    const ep = cluster?.status?.endpoints?.[0] as { url: string };
    ep.url = 'https://192.168.3.99:5443';
    const r = await runCli(['check', '--cluster', 'demo-tunnel', '--json'], env);
    expect(r.code).toBe(2);
    const f = json(r).clusters[0]?.findings.find((x) => x.code.includes('apiserver-changed'));
    expect(f?.message).toContain('demo-tunnel-pool');
    expect(f?.message).toContain('192.168.3.99');
  });

  it('drift when a container CIDR is added', async () => {
    handle = await startSandbox(demoWorld());
    const env = sandboxEnv(handle);
    expect(
      (await runCli(['iptables', '--cluster', 'demo-vpc', '--install', '--yes'], env)).code,
    ).toBe(0);
    findCluster(handle.world, 'demo-vpc')?.cluster.spec.containerNetwork?.cidrs?.push({
      cidr: '10.2.0.0/16',
    });
    const r = await runCli(['check', '--cluster', 'demo-vpc', '--json'], env);
    expect(r.code).toBe(2);
    const codes = json(r).clusters[0]?.findings.map((f) => f.code) ?? [];
    expect(codes.some((c) => c.includes('cidr-missing'))).toBe(true);
  });
});

describe('check: a block is compliant only if it runs, unchanged', () => {
  const setScript = (pool: RawNodePool | undefined, text: string) => {
    pool!.spec.nodeTemplate!.extendParam![POST_INSTALL_KEY] = encodeBase64(text);
  };

  it.each([
    [
      'the rule function disabled',
      (s: string) => s.replace('cce_harden_rule() {\n', 'cce_harden_rule() {\n  return 0\n'),
      'post-install-block-edited',
    ],
    [
      '|| true on the setup call',
      (s: string) =>
        s.replace('if sh "$cce_harden_f"; then', 'if sh "$cce_harden_f" || true; then'),
      'post-install-block-edited',
    ],
    [
      'exit 0 and a comment before the block',
      (s: string) => s.replace(BLOCK_BEGIN, `exit 0\n# done\n${BLOCK_BEGIN}`),
      'post-install-block-unreachable',
    ],
  ])('%s: drift, and --install repairs it', async (_name, edit, code) => {
    handle = await startSandbox(demoWorld());
    const env = sandboxEnv(handle);
    expect(
      (await runCli(['iptables', '--cluster', 'demo-tunnel', '--install', '--yes'], env)).code,
    ).toBe(0);
    const pool = pools(handle, 'demo-tunnel')[0];
    const installed = script(pool);
    const edited = edit(installed);
    expect(edited).not.toBe(installed);
    setScript(pool, edited);

    const r = await runCli(['check', '--cluster', 'demo-tunnel', '--json'], env);
    expect(r.code).toBe(2);
    expect(json(r).clusters[0]?.findings.map((f) => f.code)).toContain(code);

    const fix = await runCli(['iptables', '--cluster', 'demo-tunnel', '--install', '--yes'], env);
    expect(fix.code, fix.stderr).toBe(0);
    expect((await runCli(['check', '--cluster', 'demo-tunnel', '--json'], env)).code).toBe(0);
  });
});

describe("iptables --install and CCE's size limit", () => {
  it('refuses a pool whose pre- and post-install scripts would exceed 10240 Base64 characters', async () => {
    handle = await startSandbox(demoWorld());
    const env = sandboxEnv(handle);
    const pool = pools(handle, 'demo-tunnel')[0];
    pool!.spec.nodeTemplate!.extendParam!['alpha.cce/preInstall'] = encodeBase64('#'.repeat(5000));
    const before = structuredClone(pool);
    const r = await runCli(['iptables', '--cluster', 'demo-tunnel', '--install', '--yes'], env);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(
      /would be \d+ characters of Base64 \(pre 6668, post \d+\); CCE accepts at most 10240/,
    );
    expect(writes(handle)).toEqual([]);
    expect(pools(handle, 'demo-tunnel')[0]).toEqual(before);
  });
});

describe('iptables --install', () => {
  it('plans, --dry-run writes nothing, apply keeps every other field and the node count, re-run is a no-op', async () => {
    handle = await startSandbox(demoWorld());
    const h = handle;
    const env = sandboxEnv(h);
    const original = structuredClone(pools(h, 'demo-vpc'));

    const dry = await runCli(
      ['iptables', '--cluster', 'demo-vpc', '--install', '--dry-run', '--json'],
      env,
    );
    expect(dry.code).toBe(2);
    expect(
      json(dry)
        .clusters[0]?.changes.map((c) => c.target)
        .sort(),
    ).toEqual(['demo-vpc-gpu', 'demo-vpc-pool']);
    expect(writes(h)).toEqual([]);

    const r = await runCli(
      ['iptables', '--cluster', 'demo-vpc', '--install', '--yes', '--json'],
      env,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(writes(h).map((w) => w.method)).toEqual(['PUT', 'PUT']);
    expect(json(r).clusters[0]?.changes.every((c) => c.applied)).toBe(true);
    expect(r.stderr + r.stdout).toMatch(/[Ee]xisting nodes/);

    const now = pools(h, 'demo-vpc');
    for (const before of original) {
      const after = now.find((p) => p.metadata.uid === before.metadata.uid) as RawNodePool;
      // The node count survives (an omitted initialNodeCount would have scaled the pool to 0).
      expect(after.spec.initialNodeCount).toBe(before.spec.initialNodeCount);
      // Nothing but the post-install script changed.
      const strip = (p: RawNodePool) => {
        const c = structuredClone(p);
        delete c.spec.nodeTemplate?.extendParam?.[POST_INSTALL_KEY];
        delete (c.metadata as Record<string, unknown>).updateTimestamp;
        return { metadata: c.metadata, spec: c.spec };
      };
      expect(strip(after)).toEqual(strip(before));
    }
    // Existing script content is kept, byte for byte, before the block.
    const kept = script(now.find((p) => p.metadata.name === 'demo-vpc-pool'));
    expect(kept.startsWith(DEMO_EXISTING_POST_INSTALL)).toBe(true);
    expect(extractBlock(kept)).not.toBeNull();

    h.clearLog();
    const again = await runCli(['iptables', '--cluster', 'demo-vpc', '--install', '--yes'], env);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('Nothing to do');
    expect(writes(h)).toEqual([]);
  });

  it('replaces an older block in place when the API server moves', async () => {
    handle = await startSandbox(demoWorld());
    const env = sandboxEnv(handle);
    const installOnMainPool = () =>
      runCli(
        ['iptables', '--cluster', 'demo-vpc', '--install', '--yes', '--nodepool', 'demo-vpc-pool'],
        env,
      );
    expect((await installOnMainPool()).code).toBe(0);
    const ep = findCluster(handle.world, 'demo-vpc')?.cluster.status?.endpoints?.[0] as {
      url: string;
    };
    ep.url = 'https://192.168.2.10:5443';
    expect((await installOnMainPool()).code).toBe(0);
    const text = script(pools(handle, 'demo-vpc').find((p) => p.metadata.name === 'demo-vpc-pool'));
    expect(text.split(BLOCK_BEGIN).length - 1).toBe(1);
    expect(parseBlock(extractBlock(text) as string).apiServerIp).toBe('192.168.2.10');
    expect(text.startsWith(DEMO_EXISTING_POST_INSTALL)).toBe(true);
    // --nodepool limited the write to that pool.
    expect(
      extractBlock(
        script(pools(handle, 'demo-vpc').find((p) => p.metadata.name === 'demo-vpc-gpu')),
      ),
    ).toBeNull();
  });

  it('an unknown --nodepool is a usage error with the pools listed, and nothing is written', async () => {
    handle = await startSandbox(demoWorld());
    const r = await runCli(
      ['iptables', '--cluster', 'demo-vpc', '--install', '--yes', '--nodepool', 'nope'],
      sandboxEnv(handle),
    );
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('demo-vpc-pool');
    expect(writes(handle)).toEqual([]);
  });

  it('without a terminal and without --yes: exit 64, nothing written', async () => {
    handle = await startSandbox(demoWorld());
    const r = await runCli(['iptables', '--cluster', 'demo-vpc', '--install'], sandboxEnv(handle));
    expect(r.code).toBe(64);
    expect(writes(handle)).toEqual([]);
  });
});

describe('iptables rendering from the cluster', () => {
  it('writes the script for demo-vpc to a file: OUTPUT rules for both CIDRs', async () => {
    handle = await startSandbox(demoWorld());
    const out = path.join(mkdtempSync(path.join(tmpdir(), 'cce-harden-out-')), 'harden.sh');
    const r = await runCli(['iptables', '--cluster', 'demo-vpc', '--out', out], sandboxEnv(handle));
    expect(r.code, r.stderr).toBe(0);
    const text = readFileSync(out, 'utf8');
    expect(text).toContain('\ncce_harden_rules OUTPUT 192.168.2.9 all 10.0.0.0/16 10.1.0.0/16\n');
    expect(statSync(out).mode & 0o111).not.toBe(0);
    expect(r.stderr).toContain('workload-isolation.yaml');
  });

  it('a Turbo cluster is an error pointing to apply', async () => {
    handle = await startSandbox(demoWorld());
    const r = await runCli(['iptables', '--cluster', 'demo-turbo'], sandboxEnv(handle));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cce-harden apply --cluster demo-turbo');
    expect(r.stdout).toBe('');
  });
});

describe('errors keep their class', () => {
  it('an unknown cluster is NOT_FOUND for iptables as for check', async () => {
    handle = await startSandbox(demoWorld());
    const env = sandboxEnv(handle);
    const check = await runCli(['check', '--cluster', 'no-such', '--json'], env);
    const iptables = await runCli(['iptables', '--cluster', 'no-such', '--json'], env);
    const install = await runCli(
      ['iptables', '--cluster', 'no-such', '--install', '--dry-run', '--json'],
      env,
    );
    expect(check.code).toBe(1);
    expect(iptables.code).toBe(1);
    expect(install.code).toBe(1);
    expect(json(check).clusters[0]?.error?.code).toBe('NOT_FOUND');
    expect(json(iptables).error?.code).toBe('NOT_FOUND');
    expect(json(install).error?.code).toBe('NOT_FOUND');
  });
});

describe('node-pool changes in the JSON', () => {
  it('carry the pool id, name and scripts: no login, SSH key or volume fields', async () => {
    handle = await startSandbox(demoWorld());
    const env = sandboxEnv(handle);
    for (const argv of [
      ['check', '--cluster', 'demo-vpc', '--json'],
      ['iptables', '--cluster', 'demo-vpc', '--install', '--dry-run', '--json'],
    ]) {
      const r = await runCli(argv, env);
      expect(r.code).toBe(2);
      const doc = json(r);
      expect(r.stdout).not.toMatch(/login|sshKey|userPassword|rootVolume|dataVolumes|extendParam/);
      const change = doc.clusters[0]?.changes.find((c) => c.targetId.length > 0);
      expect(change?.before).toEqual({
        poolId: change?.targetId,
        poolName: change?.target,
        postInstallScript: expect.any(String),
      });
      expect(change?.after).toMatchObject({
        postInstallScript: expect.stringContaining(BLOCK_BEGIN),
      });
    }
  });
});

describe('iptables --install outcomes per pool', () => {
  it('a pool whose update fails does not stop the others; each change says what happened', async () => {
    handle = await startSandbox(demoWorld());
    const h = handle;
    const main = pools(h, 'demo-vpc').find((p) => p.metadata.name === 'demo-vpc-pool');
    if (!main) throw new Error('demo-vpc-pool is missing from the demo world');
    h.faults.add({
      method: 'PUT',
      path: `/nodepools/${main.metadata.uid}`,
      serverError: {
        status: 400,
        body: { errorCode: 'CCE.01400001', errorMessage: 'Invalid request: the pool is busy.' },
      },
    });
    const r = await runCli(
      ['iptables', '--cluster', 'demo-vpc', '--install', '--yes', '--json'],
      sandboxEnv(h),
    );
    expect(r.code).toBe(1);
    const c = json(r).clusters[0];
    expect(c?.status).toBe('error');
    const byPool = Object.fromEntries((c?.changes ?? []).map((ch) => [ch.target, ch]));
    expect(byPool['demo-vpc-pool']).toMatchObject({ applied: false, outcome: 'failed' });
    expect(byPool['demo-vpc-pool']?.error?.httpStatus).toBe(400);
    expect(byPool['demo-vpc-gpu']).toMatchObject({ applied: true, outcome: 'applied' });
    // The other pool really has the block; the failed one is untouched.
    const now = pools(h, 'demo-vpc');
    expect(
      extractBlock(script(now.find((p) => p.metadata.name === 'demo-vpc-gpu'))),
    ).not.toBeNull();
    expect(script(now.find((p) => p.metadata.name === 'demo-vpc-pool'))).toBe(
      DEMO_EXISTING_POST_INSTALL,
    );
  });

  it('a pool being deleted is skipped with the reason, the others are updated', async () => {
    handle = await startSandbox(demoWorld());
    const h = handle;
    const gpu = pools(h, 'demo-vpc').find((p) => p.metadata.name === 'demo-vpc-gpu');
    if (!gpu) throw new Error('demo-vpc-gpu is missing from the demo world');
    gpu.status = { ...gpu.status, phase: 'Deleting' };
    const r = await runCli(
      ['iptables', '--cluster', 'demo-vpc', '--install', '--yes', '--json'],
      sandboxEnv(h),
    );
    const c = json(r).clusters[0];
    const byPool = Object.fromEntries((c?.changes ?? []).map((ch) => [ch.target, ch]));
    expect(byPool['demo-vpc-gpu']).toMatchObject({ applied: false, outcome: 'skipped' });
    expect(byPool['demo-vpc-gpu']?.reason).toMatch(/Deleting/);
    expect(byPool['demo-vpc-pool']).toMatchObject({ applied: true, outcome: 'applied' });
    expect(writes(h)).toHaveLength(1);
  });
});
