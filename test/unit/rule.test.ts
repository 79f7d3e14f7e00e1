import { describe, expect, it } from 'vitest';
import {
  desiredRule,
  evaluateRules,
  matchRule,
  parsePorts,
  planRemoval,
  rulesOfGroup,
  MANAGED_MARKER,
} from '../../src/core/rule.js';
import type { SgRule } from '../../src/core/types.js';

const SG = 'sg-eni';
const group = { id: SG, name: 'prod-cce-eni-ab12c' };
const desired = desiredRule(SG, { ip: '192.168.0.61', port: 5443 });

function rule(over: Partial<SgRule>): SgRule {
  return {
    id: 'r1',
    securityGroupId: SG,
    direction: 'egress',
    ethertype: 'IPv4',
    protocol: 'tcp',
    ports: '5443',
    remoteIpPrefix: '192.168.0.61/32',
    remoteGroupId: null,
    remoteAddressGroupId: null,
    action: 'deny',
    priority: 1,
    description: '',
    enabled: true,
    ...over,
  };
}

describe('desiredRule', () => {
  it('is the guide rule: egress IPv4 TCP <port> deny priority 1 to <ip>/32, marked as managed', () => {
    expect(desired).toMatchObject({
      securityGroupId: SG,
      direction: 'egress',
      ethertype: 'IPv4',
      protocol: 'tcp',
      ports: '5443',
      remoteIpPrefix: '192.168.0.61/32',
      action: 'deny',
      priority: 1,
    });
    expect(desired.description.startsWith(MANAGED_MARKER)).toBe(true);
  });
});

describe('matchRule compares by meaning', () => {
  it.each([
    ['identical', {}, 'equivalent'],
    ['bare IP', { remoteIpPrefix: '192.168.0.61' }, 'equivalent'],
    ['port range 5443-5443', { ports: '5443-5443' }, 'equivalent'],
    ['priority as string', { priority: '1' as unknown as number }, 'equivalent'],
    ['protocol as number 6', { protocol: '6' }, 'equivalent'],
    ['wider CIDR', { remoteIpPrefix: '192.168.0.0/16' }, 'stronger'],
    ['all ports', { ports: null }, 'stronger'],
    ['port list containing it', { ports: '22,5443,6443' }, 'stronger'],
    ['port range containing it', { ports: '5000-6000' }, 'stronger'],
    ['all protocols', { protocol: null, ports: null }, 'stronger'],
    ['any destination', { remoteIpPrefix: null }, 'stronger'],
    ['allow instead of deny', { action: 'allow' as const }, null],
    ['priority 2', { priority: 2 }, null],
    ['ingress', { direction: 'ingress' as const }, null],
    ['IPv6', { ethertype: 'IPv6' as const }, null],
    ['udp', { protocol: 'udp' }, null],
    ['other port', { ports: '6443' }, null],
    ['other IP', { remoteIpPrefix: '192.168.0.62/32' }, null],
    ['CIDR not containing it', { remoteIpPrefix: '10.0.0.0/8' }, null],
    ['remote group instead of an address', { remoteIpPrefix: null, remoteGroupId: 'sg-x' }, null],
    ['garbage ports', { ports: 'abc' }, null],
  ])('%s', (_name, over, expected) => {
    expect(matchRule(rule(over), desired)).toBe(expected);
  });
});

describe('parsePorts', () => {
  it('reads single ports, ranges, lists; null is all; junk is null', () => {
    expect(parsePorts('5443')).toEqual([[5443, 5443]]);
    expect(parsePorts(5443)).toEqual([[5443, 5443]]);
    expect(parsePorts('1-30,80')).toEqual([
      [1, 30],
      [80, 80],
    ]);
    expect(parsePorts(null)).toBe('all');
    expect(parsePorts('30-1')).toBeNull();
    expect(parsePorts('70000')).toBeNull();
  });
});

describe('evaluateRules', () => {
  it('missing rule: drift with one create change', () => {
    const e = evaluateRules(
      [rule({ action: 'allow', priority: 100, protocol: null, ports: null, remoteIpPrefix: null })],
      desired,
      group,
    );
    expect(e.match).toBeNull();
    expect(e.findings.map((f) => f.code)).toContain('rule-missing');
    expect(e.changes).toHaveLength(1);
    expect(e.changes[0]).toMatchObject({ action: 'create', targetId: SG, applied: false });
  });

  it('equivalent rule written differently: compliant, no change', () => {
    const e = evaluateRules(
      [rule({ remoteIpPrefix: '192.168.0.61', ports: '5443-5443' })],
      desired,
      group,
    );
    expect(e.match?.kind).toBe('equivalent');
    expect(e.changes).toEqual([]);
  });

  it('prefers an equivalent rule over a stronger one', () => {
    const e = evaluateRules(
      [rule({ id: 'wide', remoteIpPrefix: '0.0.0.0/0' }), rule({ id: 'exact' })],
      desired,
      group,
    );
    expect(e.match?.rule.id).toBe('exact');
  });

  it('ignores rules of other groups', () => {
    const e = evaluateRules([rule({ securityGroupId: 'other' })], desired, group);
    expect(e.match).toBeNull();
  });

  it('disabled unmanaged rule: drift, and apply is blocked rather than touching it', () => {
    const e = evaluateRules([rule({ enabled: false })], desired, group);
    expect(e.match).toBeNull();
    expect(e.findings.map((f) => f.code)).toContain('rule-disabled');
    expect(e.changes).toEqual([]);
    expect(e.blocker).toMatch(/disabled/);
  });

  it('disabled managed rule: replaced (delete then create)', () => {
    const e = evaluateRules(
      [rule({ enabled: false, description: `${MANAGED_MARKER} x` })],
      desired,
      group,
    );
    expect(e.changes.map((c) => c.action)).toEqual(['delete', 'create']);
    expect(e.blocker).toBeNull();
  });

  it('allow rule at priority 1 toward the API server is a warning finding, not drift', () => {
    const e = evaluateRules(
      [rule({ id: 'deny' }), rule({ id: 'allow', action: 'allow' })],
      desired,
      group,
    );
    expect(e.match?.rule.id).toBe('deny');
    const f = e.findings.find((x) => x.code === 'allow-rule-priority-1');
    expect(f?.severity).toBe('warning');
    expect(f?.message).toContain('allow');
  });

  it('a managed rule to an old API server address is reported as stale', () => {
    const e = evaluateRules(
      [rule({ id: 'old', remoteIpPrefix: '192.168.0.9/32', description: `${MANAGED_MARKER} old` })],
      desired,
      group,
    );
    expect(e.findings.map((f) => f.code)).toEqual(['rule-missing', 'stale-managed-rule']);
  });
});

describe('planRemoval', () => {
  it('deletes only managed rules equivalent to the desired one', () => {
    const changes = planRemoval(
      [
        rule({ id: 'mine', description: `${MANAGED_MARKER} deny` }),
        rule({ id: 'theirs', description: 'set by the network team' }),
        rule({ id: 'mine-wide', description: `${MANAGED_MARKER} x`, remoteIpPrefix: '0.0.0.0/0' }),
      ],
      desired,
      group,
    );
    expect(changes.map((c) => (c.before as { id: string }).id)).toEqual(['mine']);
    expect(changes[0]?.action).toBe('delete');
  });
});

describe('rulesOfGroup', () => {
  it('gives each group its rules in the order read, from one index per list', () => {
    const list = [
      rule({ id: 'a1', securityGroupId: 'a' }),
      rule({ id: 'b1', securityGroupId: 'b' }),
      rule({ id: 'a2', securityGroupId: 'a' }),
    ];
    expect(rulesOfGroup(list, 'a').map((r) => r.id)).toEqual(['a1', 'a2']);
    expect(rulesOfGroup(list, 'b').map((r) => r.id)).toEqual(['b1']);
    expect(rulesOfGroup(list, 'c')).toEqual([]);
    list.push(rule({ id: 'c1', securityGroupId: 'c' }));
    expect(rulesOfGroup(list, 'c').map((r) => r.id)).toEqual(['c1']);
  });

  it('evaluates many groups of one list as each group alone', () => {
    const other = { ...desired, securityGroupId: 'other' };
    const list = [rule({ id: 'mine' }), rule({ id: 'theirs', securityGroupId: 'other' })];
    expect(evaluateRules(list, desired, group)).toEqual(
      evaluateRules([rule({ id: 'mine' })], desired, group),
    );
    expect(evaluateRules(list, other, group).match?.rule.id).toBe('theirs');
  });
});

describe('several ports (--port)', () => {
  const api = { ip: '192.168.0.61', port: 5443 };
  const both = desiredRule(SG, api, [5444, 5443, 5444]);

  it('one rule lists them all, ascending, each once, and the description names them', () => {
    expect(both.ports).toBe('5443,5444');
    expect(both.description).toBe(
      `${MANAGED_MARKER} deny pods to kube-apiserver 192.168.0.61:5443,5444`,
    );
    expect(desiredRule(SG, api, []).ports).toBe('5443');
  });

  it('matches by meaning: order, ranges and wider rules', () => {
    expect(matchRule(rule({ ports: '5444,5443' }), both)).toBe('equivalent');
    expect(matchRule(rule({ ports: '5443-5444' }), both)).toBe('equivalent');
    expect(matchRule(rule({ ports: '5000-6000' }), both)).toBe('stronger');
    expect(matchRule(rule({ ports: null }), both)).toBe('stronger');
    expect(matchRule(rule({ ports: '5443' }), both)).toBeNull();
    // A rule for both ports covers a single-port desire too (stronger, not equal).
    expect(matchRule(rule({ ports: '5443,5444' }), desired)).toBe('stronger');
  });

  it('two rules that together cover the ports are compliant', () => {
    const e = evaluateRules(
      [rule({ id: 'a', ports: '5443' }), rule({ id: 'b', ports: '5444' })],
      both,
      group,
    );
    expect(e.match).toBeNull();
    expect(e.together.map((r) => r.id)).toEqual(['a', 'b']);
    expect(e.changes).toEqual([]);
    expect(e.findings.map((f) => f.code)).toContain('rule-present-together');
  });

  it('a disabled rule does not count towards the cover', () => {
    const e = evaluateRules(
      [rule({ id: 'a', ports: '5443' }), rule({ id: 'b', ports: '5444', enabled: false })],
      both,
      group,
    );
    expect(e.together).toEqual([]);
    expect(e.create?.ports).toBe('5444');
  });

  it('a partial cover: drift, the missing port is named and only it is created', () => {
    const e = evaluateRules([rule({ id: 'a', ports: '5443' })], both, group);
    expect(e.match).toBeNull();
    const missing = e.findings.find((f) => f.code === 'rule-missing');
    expect(missing?.message).toContain('port 5444');
    expect(e.create).toMatchObject({ ports: '5444', priority: 1, action: 'deny' });
    expect(e.create?.description).toBe(
      `${MANAGED_MARKER} deny pods to kube-apiserver 192.168.0.61:5444`,
    );
    expect(e.changes).toHaveLength(1);
    // Our 5443 rule is part of the cover, not stale.
    expect(e.findings.map((f) => f.code)).not.toContain('stale-managed-rule');
  });

  it('nothing in place: one rule for both ports', () => {
    const e = evaluateRules([], both, group);
    expect(e.create?.ports).toBe('5443,5444');
    expect(e.changes).toHaveLength(1);
  });

  it('remove takes exactly the managed rules whose ports are all among the asked ones', () => {
    const managed = (id: string, ports: string) =>
      rule({ id, ports, description: `${MANAGED_MARKER} deny` });
    const rules = [
      managed('m5443', '5443'),
      managed('m5444', '5444'),
      managed('mboth', '5443,5444'),
      managed('mwide', '5000-6000'),
      rule({ id: 'hand', ports: '5443' }),
    ];
    expect(
      planRemoval(rules, both, group).map((c) => (c.before as { id: string } | null)?.id),
    ).toEqual(['m5443', 'm5444', 'mboth']);
    expect(
      planRemoval(rules, desired, group).map((c) => (c.before as { id: string } | null)?.id),
    ).toEqual(['m5443']);
  });
});
