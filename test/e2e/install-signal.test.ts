/**
 * SIGINT during `iptables --install` (the built CLI in a child process): the pool being written
 * is finished and verified, the next one is not attempted, the JSON report says so, exit 130.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { decodeBase64, POST_INSTALL_KEY } from '../../src/cloud/cce-wire.js';
import { BLOCK_BEGIN } from '../../src/core/post-install.js';
import type { RunReport } from '../../src/core/report.js';
import {
  demoWorld,
  findCluster,
  startSandbox,
  type SandboxHandle,
} from '../../src/sandbox/index.js';
import { BIN, ROOT, sandboxEnv, writes } from '../helpers/cli.js';
import { expectValidReport } from '../helpers/report-schema.js';

let handle: SandboxHandle | undefined;

beforeAll(() => {
  if (!existsSync(path.join(ROOT, 'dist/main.js'))) {
    throw new Error('The built CLI is missing: run `npm run build` (npm test does it first).');
  }
});

afterEach(async () => {
  await handle?.close();
  handle = undefined;
});

/**
 * `iptables --cluster demo-vpc --install --yes --json` in a child process, whose `nth` node-pool
 * PUT is slow; `signal` is sent while that PUT is in flight.
 */
async function installInterrupted(
  nth: number,
  signal: 'SIGINT' | 'SIGTERM',
): Promise<{ h: SandboxHandle; code: number; stdout: string; stderr: string }> {
  handle = await startSandbox({ world: demoWorld() });
  const h = handle;
  const slow = h.faults.add({ method: 'PUT', path: '/nodepools/', latencyMs: 1500, nth });
  const child = spawn(
    process.execPath,
    [BIN, 'iptables', '--cluster', 'demo-vpc', '--install', '--yes', '--json'],
    {
      env: sandboxEnv(h) as NodeJS.ProcessEnv,
      cwd: mkdtempSync(path.join(tmpdir(), 'cce-harden-signal-')),
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? -1)));
  const deadline = Date.now() + 15_000;
  while (slow.matched < nth && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 20));
  }
  expect(slow.matched).toBe(nth);
  child.kill(signal);
  const code = await exited;
  return { h, code, stdout, stderr };
}

describe('a signal during --install', () => {
  it('finishes and verifies the write in flight, reports the rest as not attempted, exit 130', async () => {
    // The first pool's PUT takes a while: the signal arrives while it is in flight.
    const { h, code, stdout, stderr } = await installInterrupted(1, 'SIGINT');

    expect(code, stderr).toBe(130);
    const doc = JSON.parse(stdout) as RunReport;
    expectValidReport(doc);
    const changes = doc.clusters[0]?.changes ?? [];
    expect(changes.map((c) => c.outcome)).toEqual(['applied', 'not-attempted']);
    expect(changes[0]?.applied).toBe(true);
    expect(writes(h)).toHaveLength(1);
    // The pool that was written really carries the block; the other is untouched.
    const pools = findCluster(h.world, 'demo-vpc')?.nodePools ?? [];
    const written = pools.find((p) => p.metadata.uid === changes[0]?.targetId);
    const untouched = pools.find((p) => p.metadata.uid === changes[1]?.targetId);
    const scriptOf = (p: typeof written) => {
      const b64 = p?.spec.nodeTemplate?.extendParam?.[POST_INSTALL_KEY];
      return typeof b64 === 'string' ? decodeBase64(b64) : '';
    };
    expect(scriptOf(written)).toContain(BLOCK_BEGIN);
    expect(scriptOf(untouched)).not.toContain(BLOCK_BEGIN);
    expect(stderr).toMatch(/Stopped on request/);
  });

  it.each(['SIGINT', 'SIGTERM'] as const)(
    '%s during the last write: it is finished and verified, the JSON report says so, exit 130',
    async (signal) => {
      // The second (last) pool's PUT is slow: nothing is left to do after it.
      const { h, code, stdout, stderr } = await installInterrupted(2, signal);

      expect(code, stderr).toBe(130);
      const doc = JSON.parse(stdout) as RunReport;
      expectValidReport(doc);
      const changes = doc.clusters[0]?.changes ?? [];
      expect(changes.map((c) => c.outcome)).toEqual(['applied', 'applied']);
      expect(doc.clusters[0]?.status).toBe('compliant');
      expect(writes(h)).toHaveLength(2);
      expect(stderr).toMatch(/Stopped on request: .*no change was left/);
    },
  );
});
