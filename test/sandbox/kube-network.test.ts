import { describe, expect, it } from 'vitest';
import { cidrContains, portMatches, securityGroupVerdict } from '../../src/sandbox/k8s/network.js';
import { WorldBuilder } from '../../src/sandbox/index.js';

describe('the emulator network rules', () => {
  it('cidrContains and portMatches', () => {
    expect(cidrContains('10.0.0.0/16', '10.0.255.1')).toBe(true);
    expect(cidrContains('10.0.0.0/16', '10.1.0.1')).toBe(false);
    expect(cidrContains('192.168.0.61/32', '192.168.0.61')).toBe(true);
    expect(cidrContains('0.0.0.0/0', '1.2.3.4')).toBe(true);
    expect(portMatches('5443-5444', 5444)).toBe(true);
    expect(portMatches('22,5443', 5444)).toBe(false);
    expect(portMatches(null, 1)).toBe(true);
  });

  function world(
    rules: { action: 'allow' | 'deny'; priority: number; multiport?: string; prefix?: string }[],
  ) {
    const b = new WorldBuilder().securityGroup({ name: 'g' });
    for (const r of rules) {
      b.rule({
        securityGroup: 'g',
        direction: 'egress',
        protocol: 'tcp',
        multiport: r.multiport ?? '5443',
        remoteIpPrefix: r.prefix ?? '192.168.0.61/32',
        action: r.action,
        priority: r.priority,
      });
    }
    const w = b.build();
    const p = w.projects[0];
    if (!p) throw new Error('no project');
    return { p, g: p.securityGroups[0]?.id ?? '' };
  }

  it.each([
    ['nothing matches: denied', [], 'deny'],
    ['an allow', [{ action: 'allow', priority: 100, prefix: '0.0.0.0/0' }], 'allow'],
    [
      'deny at 1 beats allow at 100',
      [
        { action: 'deny', priority: 1 },
        { action: 'allow', priority: 100, prefix: '0.0.0.0/0' },
      ],
      'deny',
    ],
    [
      'allow at 1 beats deny at 2',
      [
        { action: 'allow', priority: 1 },
        { action: 'deny', priority: 2 },
      ],
      'allow',
    ],
    [
      'deny wins at equal priority',
      [
        { action: 'allow', priority: 1 },
        { action: 'deny', priority: 1 },
      ],
      'deny',
    ],
    [
      'a deny for another port does not match',
      [
        { action: 'deny', priority: 1, multiport: '5444' },
        { action: 'allow', priority: 100, prefix: '0.0.0.0/0' },
      ],
      'allow',
    ],
  ] as const)('%s', (_name, rules, verdict) => {
    const { p, g } = world([...rules]);
    expect(securityGroupVerdict(p, [g], '192.168.0.61', 5443)).toBe(verdict);
  });
});
