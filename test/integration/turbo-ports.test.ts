/**
 * `--port` (repeatable) on check / apply / remove for CCE Turbo clusters: one deny rule lists
 * every port (multiport "5443,5444"); check compares by meaning (several rules that together
 * cover the ports count); remove deletes only the rules cce-harden created for those ports.
 * The real CLI and SDK against the sandbox over HTTP.
 */
import { describe, expect, it } from 'vitest';
import {
  WorldBuilder,
  demoWorld,
  rulesOfGroup,
  type SandboxHandle,
} from '../../src/sandbox/index.js';
import { runCli, sandboxEnv, writes, reportOf } from '../helpers/cli.js';
import { sandboxPerTest, eniGroupId } from '../helpers/sandbox.js';

const startSandbox = sandboxPerTest();

const json = reportOf;

const denyPorts = (h: SandboxHandle, groupId: string) =>
  rulesOfGroup(h.world, groupId)
    .filter((r) => r.action === 'deny')
    .map((r) => String(r.multiport))
    .sort();

const BOTH = ['--port', '5443', '--port', '5444'];

describe('--port on Turbo clusters', () => {
  it('apply with two ports writes one rule listing both; check with both is then compliant', async () => {
    const h = await startSandbox(demoWorld());
    const env = sandboxEnv(h);
    const group = eniGroupId(h, 'demo-turbo');
    const r = await runCli(['apply', '--cluster', 'demo-turbo', ...BOTH, '--yes', '--json'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(json(r).clusters[0]?.changes).toEqual([
      expect.objectContaining({
        action: 'create',
        applied: true,
        after: expect.objectContaining({ ports: '5443,5444' }),
      }),
    ]);
    expect(denyPorts(h, group)).toEqual(['5443,5444']);
    const post = h.log.find((e) => e.method === 'POST')?.body as {
      security_group_rule: { multiport: string; description: string };
    };
    expect(post.security_group_rule.multiport).toBe('5443,5444');
    expect(post.security_group_rule.description).toBe(
      'cce-harden: deny pods to kube-apiserver 192.168.0.61:5443,5444',
    );
    // Both ports are covered; the default (5443 alone) is covered too (by a stronger rule).
    const both = await runCli(['check', '--cluster', 'demo-turbo', ...BOTH, '--json'], env);
    expect(both.code).toBe(0);
    expect(json(both).clusters[0]?.rule).toMatchObject({ ports: '5443,5444', match: 'equivalent' });
    const one = await runCli(['check', '--cluster', 'demo-turbo', '--json'], env);
    expect(one.code).toBe(0);
    expect(json(one).clusters[0]?.rule).toMatchObject({ match: 'stronger' });
  });

  it('after a 5443-only apply: check with both ports is drift naming 5444; apply adds a 5444 rule only', async () => {
    const h = await startSandbox(demoWorld());
    const env = sandboxEnv(h);
    const group = eniGroupId(h, 'demo-turbo');
    expect((await runCli(['apply', '--cluster', 'demo-turbo', '--yes'], env)).code).toBe(0);
    const drift = await runCli(['check', '--cluster', 'demo-turbo', ...BOTH, '--json'], env);
    expect(drift.code).toBe(2);
    const missing = json(drift).clusters[0]?.findings.find((f) => f.code === 'rule-missing');
    expect(missing?.message).toContain('port 5444');
    expect(json(drift).clusters[0]?.changes).toEqual([
      expect.objectContaining({ after: expect.objectContaining({ ports: '5444' }) }),
    ]);

    h.clearLog();
    const r = await runCli(['apply', '--cluster', 'demo-turbo', ...BOTH, '--yes', '--json'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(writes(h).map((w) => w.method)).toEqual(['POST']);
    expect(denyPorts(h, group)).toEqual(['5443', '5444']);
    // Two rules together cover both ports: compliant, and a second apply writes nothing.
    const check = await runCli(['check', '--cluster', 'demo-turbo', ...BOTH, '--json'], env);
    expect(check.code).toBe(0);
    expect(json(check).clusters[0]?.findings.map((f) => f.code)).toContain('rule-present-together');
    h.clearLog();
    expect((await runCli(['apply', '--cluster', 'demo-turbo', ...BOTH, '--yes'], env)).code).toBe(
      0,
    );
    expect(writes(h)).toEqual([]);
  });

  it('a single wider hand-made rule satisfies both ports', async () => {
    const b = new WorldBuilder().turboCluster({ name: 'wide', apiServerIp: '192.168.0.61' });
    const name = b
      .build()
      .projects[0]?.securityGroups.find((g) => g.name.startsWith('wide-cce-eni-'))?.name as string;
    b.rule({
      securityGroup: name,
      direction: 'egress',
      protocol: 'tcp',
      multiport: '5000-6000',
      remoteIpPrefix: '192.168.0.0/24',
      action: 'deny',
      priority: 1,
      description: 'network team',
    });
    const h = await startSandbox(b.build());
    const r = await runCli(['check', '--cluster', 'wide', ...BOTH, '--json'], sandboxEnv(h));
    expect(r.code).toBe(0);
    expect(json(r).clusters[0]?.rule).toMatchObject({ match: 'stronger', ports: '5000-6000' });
  });

  it('remove deletes exactly the rules cce-harden created for the given ports', async () => {
    const h = await startSandbox(demoWorld());
    const env = sandboxEnv(h);
    const group = eniGroupId(h, 'demo-turbo');
    expect((await runCli(['apply', '--cluster', 'demo-turbo', '--yes'], env)).code).toBe(0);
    expect((await runCli(['apply', '--cluster', 'demo-turbo', ...BOTH, '--yes'], env)).code).toBe(
      0,
    );
    expect(denyPorts(h, group)).toEqual(['5443', '5444']);
    // --port 5444 alone: only the 5444 rule.
    h.clearLog();
    const one = await runCli(['remove', '--cluster', 'demo-turbo', '--port', '5444', '--yes'], env);
    expect(one.code, one.stderr).toBe(0);
    expect(writes(h).map((w) => w.method)).toEqual(['DELETE']);
    expect(denyPorts(h, group)).toEqual(['5443']);
    // A rule for both ports is not removed by a request for one of them.
    expect((await runCli(['remove', '--cluster', 'demo-turbo', '--yes'], env)).code).toBe(0);
    expect(denyPorts(h, group)).toEqual([]);
    expect((await runCli(['apply', '--cluster', 'demo-turbo', ...BOTH, '--yes'], env)).code).toBe(
      0,
    );
    expect(denyPorts(h, group)).toEqual(['5443,5444']);
    h.clearLog();
    const narrow = await runCli(
      ['remove', '--cluster', 'demo-turbo', '--port', '5443', '--yes'],
      env,
    );
    expect(narrow.code, narrow.stderr).toBe(0);
    expect(writes(h)).toEqual([]);
    const both = await runCli(
      ['remove', '--cluster', 'demo-turbo', ...BOTH, '--yes', '--json'],
      env,
    );
    expect(both.code, both.stderr).toBe(0);
    expect(denyPorts(h, group)).toEqual([]);
  });

  it('bad --port values are a usage error (64) before any request', async () => {
    const h = await startSandbox(demoWorld());
    const r = await runCli(
      ['apply', '--cluster', 'demo-turbo', '--port', '0', '--port', 'x', '--yes'],
      sandboxEnv(h),
    );
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('"0"');
    expect(r.stderr).toContain('"x"');
    expect(h.log).toEqual([]);
  });
});
