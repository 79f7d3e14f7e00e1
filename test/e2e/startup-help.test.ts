/**
 * The bin shim serves --help, <command> --help and --version from dist/help.json (built from the
 * same commander program). These must say exactly what the program itself says.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli, spawnCli } from '../helpers/cli.js';

const help = JSON.parse(readFileSync(path.join(ROOT, 'dist/help.json'), 'utf8')) as {
  version: string;
  commands: Record<string, string>;
};
const env = { PATH: process.env.PATH, HOME: '/nonexistent', NO_COLOR: '1' };

describe('prebuilt help', () => {
  it('covers the program and every command', () => {
    expect(Object.keys(help.commands).sort()).toEqual(
      ['', 'apply', 'check', 'iptables', 'remove', 'sandbox', 'verify', 'wizard'].sort(),
    );
    const version = (
      JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }
    ).version;
    expect(help.version).toBe(`${version}\n`);
  });

  it.each(Object.keys(help.commands))('"%s --help" is what the program prints', async (command) => {
    const argv = command ? [command, '--help'] : ['--help'];
    const live = await runCli(argv, env);
    expect(live.code).toBe(0);
    expect(help.commands[command]).toBe(live.stdout);
    const shim = await spawnCli(argv, env);
    expect(shim.code).toBe(0);
    expect(shim.stdout).toBe(live.stdout);
  });

  it('--version from the shim', async () => {
    const r = await spawnCli(['--version'], env);
    expect(r).toMatchObject({ code: 0, stdout: help.version });
  });
});
