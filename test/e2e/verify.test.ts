/**
 * `verify --sandbox` as a user runs it: the built CLI in a child process, the sandbox world kept in
 * a state file between runs. Exit codes across apply, and Ctrl+C in the middle of a run.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  demoWorld,
  loadWorld,
  withKube,
  writeWorldAtomically,
  type World,
} from '../../src/sandbox/index.js';
import { BIN, spawnCli } from '../helpers/cli.js';

function setup(): { env: Record<string, string | undefined>; state: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'cce-harden-verify-e2e-'));
  const state = path.join(dir, 'state.json');
  return {
    state,
    env: {
      PATH: process.env.PATH,
      HOME: dir,
      NO_COLOR: '1',
      CCE_HARDEN_SANDBOX_STATE: state,
      // A real KUBECONFIG must never be used under --sandbox.
      KUBECONFIG: path.join(dir, 'not-a-kubeconfig'),
    },
  };
}

function pods(world: World): string[] {
  return world.projects.flatMap((p) =>
    p.clusters.flatMap((c) => (c.kube?.pods ?? []).map((x) => x.metadata.name)),
  );
}

describe('cce-harden verify --sandbox', () => {
  it('exits 2 before apply, 2 after the 5443-only apply, 0 with 5444 denied too', async () => {
    const { env, state } = setup();
    const run = (...args: string[]) => spawnCli([...args, '--sandbox'], env);
    const before = await run('verify', '--cluster', 'demo-turbo', '--json');
    expect(before.code, before.stderr).toBe(2);
    expect((await loadWorld(state)).projects.length).toBe(1);
    expect(pods(await loadWorld(state))).toEqual([]);

    expect((await run('apply', '--cluster', 'demo-turbo', '--yes')).code).toBe(0);
    const after = await run('verify', '--cluster', 'demo-turbo');
    expect(after.code, after.stderr).toBe(2);
    expect(after.stdout).toMatch(/apiserver-5443 \(192\.168\.0\.61:5443\)\s+blocked/);
    expect(after.stdout).toMatch(/apiserver-5444 \(192\.168\.0\.61:5444\)\s+REACHABLE/);
    expect(after.stdout).toContain('apply --cluster demo-turbo --port 5443 --port 5444');

    // What `apply --port 5443 --port 5444` adds, written straight into the world.
    const world = await loadWorld(state);
    const project = world.projects[0];
    const group = project?.securityGroups.find((g) => g.name.startsWith('demo-turbo-cce-eni-'));
    const rule = project?.securityGroupRules.find(
      (r) => r.security_group_id === group?.id && r.action === 'deny' && r.multiport === '5443',
    );
    if (!project || !rule) throw new Error('the 5443 rule is missing');
    project.securityGroupRules.push({
      ...rule,
      id: `${rule.id.slice(0, -4)}5444`,
      multiport: '5444',
    });
    await writeWorldAtomically(state, world);
    const done = await run('verify', '--cluster', 'demo-turbo', '--json');
    expect(done.code, done.stdout).toBe(0);
    expect(pods(await loadWorld(state))).toEqual([]);
  });

  it('Ctrl+C in the middle of a run: exit 130 and no probe pod left behind', async () => {
    const { env, state } = setup();
    // Probe pods that take ten minutes: the run is certainly still waiting when SIGINT comes.
    await writeWorldAtomically(
      state,
      withKube(demoWorld(), 'demo-vpc', (k) => (k.podRunMs = 600_000)),
    );
    const child = spawn(process.execPath, [BIN, 'verify', '--cluster', 'demo-vpc', '--sandbox'], {
      env: env as NodeJS.ProcessEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    const exited = new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`never waited: ${stderr}`)), 20_000);
      child.stderr.on('data', (c: Buffer) => {
        stderr += c.toString();
        if (stderr.includes('Waiting for 4 probe pod(s)')) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(stderr).toContain('Interrupted');
    const world = await loadWorld(state);
    expect(pods(world)).toEqual([]);
    // The namespace verify created for the run is gone too.
    const ns = world.projects[0]?.clusters
      .find((c) => c.cluster.metadata.name === 'demo-vpc')
      ?.kube?.namespaces.map((n) => n.name);
    expect(ns).not.toContain('cce-harden');
  });
});
