/**
 * --out and stdout through the CLI: existing files, --force, devices, `iptables --out --json`,
 * and a full stdout device (a real child process with stdout on /dev/full).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, openSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { demoWorld, startSandbox, type SandboxHandle } from '../../src/sandbox/index.js';
import { BIN, runCli, sandboxEnv } from '../helpers/cli.js';
import { spawnPty } from '../helpers/pty.js';

const OFFLINE = [
  'iptables',
  '--api-server',
  '192.168.0.10',
  '--container-cidr',
  '10.0.0.0/16',
  '--network',
  'vpc',
];
const env = () => ({ PATH: process.env.PATH, HOME: tmpdir(), NO_COLOR: '1' });

let handle: SandboxHandle | undefined;
afterEach(async () => {
  await handle?.close();
  handle = undefined;
});

describe('iptables --out', () => {
  it('writes an executable script, refuses to replace it without --force (64), replaces with it', async () => {
    const d = mkdtempSync(path.join(tmpdir(), 'cce-harden-out-'));
    const f = path.join(d, 'harden.sh');
    const first = await runCli([...OFFLINE, '--out', f], env());
    expect(first.code).toBe(0);
    expect(statSync(f).mode & 0o777).toBe(0o755);
    expect(readFileSync(f, 'utf8')).toMatch(/^#!\/bin\/sh/);

    writeFileSync(f, 'mine');
    const again = await runCli([...OFFLINE, '--out', f], env());
    expect(again.code).toBe(64);
    expect(again.stderr).toContain(`${f} already exists; nothing was written.`);
    expect(again.stderr).toContain('--force');
    expect(readFileSync(f, 'utf8')).toBe('mine');

    const forced = await runCli([...OFFLINE, '--out', f, '--force'], env());
    expect(forced.code).toBe(0);
    expect(readFileSync(f, 'utf8')).toMatch(/^#!\/bin\/sh/);
    expect(readdirSync(d)).toEqual(['harden.sh']);
  });

  it('--json prints the JSON document saying what was written where', async () => {
    const d = mkdtempSync(path.join(tmpdir(), 'cce-harden-out-'));
    const f = path.join(d, 'harden.sh');
    const r = await runCli([...OFFLINE, '--out', f, '--json'], env());
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as {
      written: { path: string; kind: string; mode: string; bytes: number };
      rendered: { format: string };
    };
    expect(doc.written).toMatchObject({ path: f, target: f, kind: 'file', mode: '0755' });
    expect(doc.written.bytes).toBe(statSync(f).size);
    expect(doc.rendered.format).toBe('script');
  });

  it('a directory as --out is a clear error with the path, exit 1', async () => {
    const d = mkdtempSync(path.join(tmpdir(), 'cce-harden-out-'));
    const r = await runCli([...OFFLINE, '--out', d, '--force'], env());
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`cce-harden: Could not write ${d}: it is a directory (EISDIR).\n`);
  });
});

describe('in a terminal, replacing a file is a question', () => {
  it.each([
    ['n', 64, 'mine'],
    ['y', 0, '#!/bin/sh'],
  ])('answer %s: exit %i', async (answer, code, startsWith) => {
    const d = mkdtempSync(path.join(tmpdir(), 'cce-harden-out-'));
    const f = path.join(d, 'harden.sh');
    writeFileSync(f, 'mine');
    const term = spawnPty(process.execPath, [BIN, ...OFFLINE, '--out', f], {
      cwd: d,
      env: { PATH: process.env.PATH ?? '', HOME: d, NO_COLOR: '1', TERM: 'xterm' },
    });
    await term.waitFor(`${f} exists. Replace it?`);
    await term.type(answer, '\r');
    expect((await term.exit()).exitCode).toBe(code);
    expect(readFileSync(f, 'utf8').startsWith(startsWith)).toBe(true);
    expect(readdirSync(d)).toEqual(['harden.sh']);
  });
});

describe('iptables offline: one problem per bad --api-server', () => {
  it.each([
    ['x', 'API server IP "x" is not an IPv4 address'],
    ['::1', 'API server IP "::1" is IPv6'],
    ['192.168.0.8:0', 'API server port "0" is not a port number'],
  ])('--api-server %s', async (value, message) => {
    const args = ['iptables', '--api-server', value, '--container-cidr', '10.0.0.0/16'];
    const r = await runCli([...args, '--network', 'vpc'], env());
    expect(r.code).toBe(64);
    expect(r.stderr.startsWith(`cce-harden: ${message}`)).toBe(true);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toContain('0.0.0.0');
  });
});

describe('check --out', () => {
  it('an existing report is kept without --force; a missing directory names the path', async () => {
    handle = await startSandbox({ world: demoWorld() });
    const d = mkdtempSync(path.join(tmpdir(), 'cce-harden-out-'));
    const f = path.join(d, 'cce_harden.prom');
    const args = ['check', '--cluster', 'demo-turbo-hardened', '--output', 'prometheus'];
    const first = await runCli([...args, '--out', f], sandboxEnv(handle));
    expect(first.code).toBe(0);
    expect(statSync(f).mode & 0o777).toBe(0o644);
    const again = await runCli([...args, '--out', f], sandboxEnv(handle));
    expect(again.code).toBe(64);
    const forced = await runCli([...args, '--out', f, '--force'], sandboxEnv(handle));
    expect(forced.code).toBe(0);
    expect(readdirSync(d)).toEqual(['cce_harden.prom']);

    const missing = path.join(d, 'nope', 'x.prom');
    const r = await runCli([...args, '--out', missing], sandboxEnv(handle));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `Could not write ${missing}: the directory does not exist (ENOENT).`,
    );
    expect(r.stderr).not.toContain('unexpected error');
  });
});

describe('stdout on a full device', () => {
  it('one clear line on stderr and exit 1, no stack trace', async () => {
    const out = openSync('/dev/full', 'w');
    const child = spawn(process.execPath, [BIN, ...OFFLINE], {
      env: env() as NodeJS.ProcessEnv,
      stdio: ['ignore', out, 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(1);
    expect(stderr).toMatch(/could not write (to )?standard output.*ENOSPC/i);
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(stderr).not.toContain('node:events');
  });

  it('--out /dev/stdout writes to stdout (a pipe), replacing nothing', async () => {
    const child = spawn(process.execPath, [BIN, ...OFFLINE, '--out', '/dev/stdout'], {
      env: env() as NodeJS.ProcessEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    expect(stdout).toMatch(/^#!\/bin\/sh/);
    expect(statSync('/dev/stdout', { throwIfNoEntry: false })).toBeDefined();
  });
});
