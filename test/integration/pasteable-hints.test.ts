/**
 * Hints meant to be pasted into a shell quote the cluster name (shell-quote), so a hostile name
 * from the cloud stays one argument; a name with escape sequences is replaced by the cluster id.
 * The real CLI and SDK against the sandbox.
 */
import { parse } from 'shell-quote';
import { describe, expect, it } from 'vitest';
import { WorldBuilder, type World } from '../../src/sandbox/index.js';
import type { RunReport } from '../../src/core/report.js';
import { runCli, sandboxEnv } from '../helpers/cli.js';
import { sandboxPerTest } from '../helpers/sandbox.js';

const startSandbox = sandboxPerTest();
const HOSTILE = 'x; rm -rf ~';
const ESCAPING = 'evil\u001b]0;pwned\u0007\u001b[2J';

/** Every backquoted `cce-harden ...` command in a text, parsed as a shell would. */
function pastedCommands(text: string): string[][] {
  return [...text.matchAll(/`(cce-harden [^`]*)`|(?:path|Fix): (cce-harden .*?)(?:$|\n)/g)].map(
    (m) => parse(m[1] ?? m[2] ?? '') as string[],
  );
}

function clusterArgOf(words: string[]): string | undefined {
  const i = words.indexOf('--cluster');
  return i >= 0 ? words[i + 1] : undefined;
}

function builder(): WorldBuilder {
  return new WorldBuilder()
    .turboCluster({ name: HOSTILE, apiServerIp: '192.168.0.61' })
    .standardCluster({ name: `${HOSTILE} std`, mode: 'vpc-router', apiServerIp: '192.168.0.62' })
    .turboCluster({ name: ESCAPING, apiServerIp: '192.168.0.63' });
}

function world(): World {
  return builder().build();
}

describe('pasteable hints with hostile cluster names', () => {
  it('check on a drifted Turbo cluster: the next step names it as one quoted word', async () => {
    const h = await startSandbox(world());
    const r = await runCli(['check', '--cluster', HOSTILE], sandboxEnv(h));
    expect(r.code, r.stderr).toBe(2);
    const cmds = pastedCommands(r.stdout);
    expect(cmds.length).toBeGreaterThan(0);
    for (const words of cmds) {
      expect(clusterArgOf(words)).toBe(HOSTILE);
      expect(words.some((w) => typeof w !== 'string')).toBe(false); // no `;` operator
    }
    expect(r.stdout).toContain("--cluster 'x; rm -rf ~'");
  });

  it('apply on a standard cluster: the iptables hint quotes the name', async () => {
    const h = await startSandbox(world());
    const r = await runCli(['apply', '--cluster', `${HOSTILE} std`, '--yes'], sandboxEnv(h));
    expect(r.code).toBe(1);
    const out = r.stdout + r.stderr;
    expect(out).toContain("cce-harden iptables --cluster 'x; rm -rf ~ std' --install");
    const words = parse(/cce-harden iptables .*--install/.exec(out)?.[0] ?? '') as string[];
    expect(clusterArgOf(words)).toBe(`${HOSTILE} std`);
  });

  it('iptables on a Turbo cluster: the apply hint quotes the name', async () => {
    const h = await startSandbox(world());
    const r = await runCli(['iptables', '--cluster', HOSTILE], sandboxEnv(h));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("cce-harden apply --cluster 'x; rm -rf ~'");
  });

  it('a name with escape sequences: no escape reaches the terminal, the hint uses the id', async () => {
    const b = builder();
    const id = b.clusterId(ESCAPING);
    const h = await startSandbox(b.build());
    const r = await runCli(['check', '--cluster', id], sandboxEnv(h));
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).not.toContain('\u001b');
    expect(r.stderr).not.toContain('\u001b');
    const cmds = pastedCommands(r.stdout);
    expect(cmds.length).toBeGreaterThan(0);
    for (const words of cmds) expect(clusterArgOf(words)).toBe(id);
  });

  it('JSON keeps the name as data (escaped), not as a command', async () => {
    const h = await startSandbox(world());
    const r = await runCli(['check', '--cluster', HOSTILE, '--json'], sandboxEnv(h));
    const doc = JSON.parse(r.stdout) as RunReport;
    expect(doc.clusters[0]?.name).toBe(HOSTILE);
  });
});
