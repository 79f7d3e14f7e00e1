/**
 * The configuration and the command line, through main: a bad variable stops every command
 * (the wizard included) with exit 64 before anything else; a parse error's JSON document takes
 * its output mode and command from what commander read, not from a scan of argv.
 */
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const env = { PATH: process.env.PATH, HOME: '/nonexistent', NO_COLOR: '1' };

describe('one configuration read', () => {
  it('the wizard reports a bad CCE_HARDEN_PROJECT_LOOKUP instead of swallowing it', async () => {
    const r = await runCli(['wizard'], { ...env, CCE_HARDEN_PROJECT_LOOKUP: 'maybe' });
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('CCE_HARDEN_PROJECT_LOOKUP is "maybe": expected iam or off.');
    expect(r.stdout).toBe('');
  });

  it('offline commands validate the environment too, and list every problem at once', async () => {
    const r = await runCli(['iptables', '--api-server', '192.168.0.10', '--json'], {
      ...env,
      CCE_HARDEN_METADATA: 'maybe',
      CCE_HARDEN_RETRY_BASE_MS: 'x',
    });
    expect(r.code).toBe(64);
    const doc = JSON.parse(r.stdout) as {
      command: string;
      error: { code: string; message: string };
    };
    expect(doc.command).toBe('iptables');
    expect(doc.error.code).toBe('USAGE');
    expect(doc.error.message.split('\n')).toEqual([
      '- CCE_HARDEN_METADATA is "maybe": expected on or off.',
      '- CCE_HARDEN_RETRY_BASE_MS is "x": expected whole milliseconds from 1 to 60000.',
      '- Offline rendering needs at least one --container-cidr <cidr>.',
      '- Offline rendering needs --network vpc|tunnel.',
    ]);
  });

  it.each([
    [['check', '--bogus', '--output=json'], 'check', "unknown option '--bogus'"],
    [['--json', '--region', 'cn-north-4', 'verify', '--nodes', 'some'], 'verify', 'some'],
    [['--region', 'cn-north-4', 'chek', '--json'], 'chek', "unknown command 'chek'"],
  ])('a parse error under JSON output: %j', async (argv, command, message) => {
    const r = await runCli(argv, env);
    expect(r.code).toBe(64);
    const doc = JSON.parse(r.stdout) as { command: string; error: { message: string } };
    expect(doc.command).toBe(command);
    expect(doc.error.message).toContain(message);
  });

  it('a parse error in text mode writes no document', async () => {
    const r = await runCli(['check', '--bogus', '--output', 'text'], env);
    expect(r.code).toBe(64);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain("unknown option '--bogus'");
  });
});
