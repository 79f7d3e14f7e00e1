/**
 * `cce-harden iptables` offline (no cloud): one problem per bad --api-server, and --port.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const env = () => ({
  PATH: process.env.PATH,
  HOME: mkdtempSync(path.join(tmpdir(), 'cce-harden-home-')),
  NO_COLOR: '1',
});
const offline = (...extra: string[]) => [
  'iptables',
  '--container-cidr',
  '10.0.0.0/16',
  '--network',
  'vpc',
  ...extra,
];
const problems = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('cce-harden: '));

describe('iptables --api-server: exactly one problem per bad value', () => {
  it.each([
    ['x', 'API server IP "x" is not an IPv4 address'],
    ['192.168.0.8:0', 'API server port "0" is not a port number'],
    ['::1', 'API server IP "::1" is IPv6'],
    ['0.0.0.0', 'API server IP 0.0.0.0 is an unspecified address'],
    ['127.0.0.1:5443', 'API server IP 127.0.0.1 is a loopback address'],
    ['255.255.255.255', 'API server IP 255.255.255.255 is a broadcast address'],
    ['224.0.0.1', 'API server IP 224.0.0.1 is a multicast address'],
  ])('%s', async (value, message) => {
    const r = await runCli(offline('--api-server', value), env());
    expect(r.code).toBe(64);
    expect(r.stdout).toBe('');
    expect(problems(r.stderr)).toHaveLength(1);
    expect(problems(r.stderr)[0]).toContain(message);
    if (value !== '0.0.0.0') expect(r.stderr).not.toContain('0.0.0.0');
  });
});

describe('iptables --port', () => {
  it('several ports with --port-only: one multiport rule per CIDR', async () => {
    const argv = offline('--api-server', '192.168.0.10', '--port-only', '--port', '5444');
    const r = await runCli([...argv, '--port', '5443'], env());
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('\ncce_harden_rules OUTPUT 192.168.0.10 5443,5444 10.0.0.0/16\n');
    expect(r.stderr).toContain('-> 192.168.0.10:5443,5444/tcp');
  });

  it('default: the port of the endpoint', async () => {
    const r = await runCli(offline('--api-server', '192.168.0.10:6443', '--port-only'), env());
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('\ncce_harden_rules OUTPUT 192.168.0.10 6443 10.0.0.0/16\n');
  });

  it('--port without --port-only, or a bad port, is a usage error', async () => {
    const a = await runCli(offline('--api-server', '192.168.0.10', '--port', '5444'), env());
    expect(a.code).toBe(64);
    expect(a.stderr).toContain('--port goes with --port-only');
    const b = await runCli(
      offline('--api-server', '192.168.0.10', '--port-only', '--port', '70000'),
      env(),
    );
    expect(b.code).toBe(64);
    expect(problems(b.stderr)).toEqual([
      'cce-harden: port "70000" is not a port number (1-65535) (--port)',
    ]);
  });
});
