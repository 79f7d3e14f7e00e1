/**
 * How users reach the sandbox: `cce-harden sandbox` in the foreground (its printed environment
 * drives another process) and the global --sandbox flag with state kept between runs.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, spawnCli } from '../helpers/cli.js';

function baseEnv(extra: Record<string, string> = {}): Record<string, string | undefined> {
  return {
    PATH: process.env.PATH,
    HOME: mkdtempSync(path.join(tmpdir(), 'cce-harden-home-')),
    NO_COLOR: '1',
    ...extra,
  };
}

describe('cce-harden sandbox (foreground)', () => {
  it('prints export lines that point another process at it, and stops on SIGINT', async () => {
    const child = spawn(process.execPath, [BIN, 'sandbox'], {
      env: baseEnv() as NodeJS.ProcessEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    const exports = await new Promise<Record<string, string>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no export lines: ${stdout}`)), 15_000);
      child.stdout.on('data', (c: Buffer) => {
        stdout += c.toString();
        const vars = Object.fromEntries(
          [...stdout.matchAll(/^export ([A-Z_]+)=(.*)$/gm)].map((m) => [m[1], m[2]]),
        ) as Record<string, string>;
        if (vars.CCE_HARDEN_IAM_ENDPOINT) {
          clearTimeout(timer);
          resolve(vars);
        }
      });
    });
    expect(Object.keys(exports).sort()).toEqual([
      'CCE_HARDEN_CCE_ENDPOINT',
      'CCE_HARDEN_IAM_ENDPOINT',
      'CCE_HARDEN_VPC_ENDPOINT',
      'HUAWEICLOUD_SDK_AK',
      'HUAWEICLOUD_SDK_PROJECT_ID',
      'HUAWEICLOUD_SDK_REGION',
      'HUAWEICLOUD_SDK_SK',
    ]);
    expect(exports.CCE_HARDEN_CCE_ENDPOINT).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const check = await spawnCli(
      ['check', '--cluster', 'demo-turbo-hardened', '--json'],
      baseEnv(exports),
    );
    expect(check.code, check.stderr).toBe(0);
    expect(JSON.parse(check.stdout).status).toBe('compliant');

    const code = await new Promise<number | null>((resolve) => {
      child.on('close', (c) => resolve(c));
      child.kill('SIGINT');
    });
    expect(code).toBe(0);
  });
});

describe('--sandbox with state kept in a file', () => {
  it('apply then check behaves as in a real cloud; sandbox --reset restores the demo world', async () => {
    const state = path.join(mkdtempSync(path.join(tmpdir(), 'cce-harden-state-')), 'world.json');
    // Real-looking credentials in the environment must not be used or shown.
    const env = baseEnv({
      CCE_HARDEN_SANDBOX_STATE: state,
      HUAWEICLOUD_SDK_AK: 'REALAKSHOULDNOTBEUSED',
      HUAWEICLOUD_SDK_SK: 'real-secret-key-never-shown-0000000000000',
    });
    const before = await spawnCli(['check', '--cluster', 'demo-turbo', '--sandbox', '--json'], env);
    expect(before.code, before.stderr).toBe(2);
    expect(existsSync(state)).toBe(true);

    const apply = await spawnCli(
      ['apply', '--cluster', 'demo-turbo', '--sandbox', '--yes', '--json'],
      env,
    );
    expect(apply.code, apply.stderr).toBe(0);
    const after = await spawnCli(['check', '--cluster', 'demo-turbo', '--sandbox', '--json'], env);
    expect(after.code).toBe(0);
    for (const r of [before, apply, after]) {
      expect(r.stdout + r.stderr).not.toContain('real-secret-key-never-shown');
    }

    const reset = await spawnCli(['sandbox', '--reset'], env);
    expect(reset.code).toBe(0);
    const again = await spawnCli(['check', '--cluster', 'demo-turbo', '--sandbox', '--json'], env);
    expect(again.code).toBe(2);
  });

  it('concurrent --sandbox runs do not corrupt the state file', async () => {
    const state = path.join(mkdtempSync(path.join(tmpdir(), 'cce-harden-state-')), 'world.json');
    const env = baseEnv({ CCE_HARDEN_SANDBOX_STATE: state });
    const runs = await Promise.all([
      spawnCli(['apply', '--cluster', 'demo-turbo', '--sandbox', '--yes', '--json'], env),
      spawnCli(
        ['iptables', '--cluster', 'demo-vpc', '--install', '--sandbox', '--yes', '--json'],
        env,
      ),
      spawnCli(['check', '--all', '--sandbox', '--json'], env),
    ]);
    for (const r of runs) expect(JSON.parse(r.stdout).schemaVersion).toBe(1);
    expect(runs[0]?.code).toBe(0);
    expect(runs[1]?.code).toBe(0);
    // Both writes survived: each run saw the other's result or ran before it.
    const turbo = await spawnCli(['check', '--cluster', 'demo-turbo', '--sandbox'], env);
    const vpc = await spawnCli(['check', '--cluster', 'demo-vpc', '--sandbox'], env);
    expect([turbo.code, vpc.code]).toEqual([0, 0]);
  });
});
