import ipaddr from 'ipaddr.js';
import type { ApiServerAddress } from './cluster.js';
import type { Change, Finding, RuleView } from './report.js';
import type { SgRule, SgRuleSpec } from './types.js';

/**
 * Every rule cce-harden creates carries this prefix in its description. `remove` deletes only
 * rules that carry it, so a rule an operator wrote by hand is never touched.
 */
export const MANAGED_MARKER = 'cce-harden:';

/** The rule the hardening guide asks for: egress, IPv4, TCP <port>, to <ip>/32, deny, priority 1. */
export function desiredRule(securityGroupId: string, apiServer: ApiServerAddress): SgRuleSpec {
  return {
    securityGroupId,
    direction: 'egress',
    ethertype: 'IPv4',
    protocol: 'tcp',
    ports: String(apiServer.port),
    remoteIpPrefix: `${apiServer.ip}/32`,
    action: 'deny',
    priority: 1,
    // The API refuses "<" and ">" in descriptions (at most 255 characters).
    description: `${MANAGED_MARKER} deny pods to kube-apiserver ${apiServer.ip}:${apiServer.port}`,
  };
}

export function isManaged(rule: Pick<SgRule, 'description'>): boolean {
  return rule.description.startsWith(MANAGED_MARKER);
}

/** True when a protocol field (name, number, empty or null = all) includes TCP. */
function coversTcp(protocol: string | null): 'exact' | 'wider' | false {
  if (protocol === null || protocol === '' || protocol.toLowerCase() === 'any') return 'wider';
  const p = protocol.toLowerCase();
  return p === 'tcp' || p === '6' ? 'exact' : false;
}

/** Parses a multiport field ("5443", "5443-5443", "22,80,5000-6000"; null = all ports). */
export function parsePorts(ports: string | number | null): [number, number][] | 'all' | null {
  if (ports === null || ports === '') return 'all';
  const ranges: [number, number][] = [];
  for (const part of String(ports).split(',')) {
    const m = /^\s*(\d{1,5})(?:\s*-\s*(\d{1,5}))?\s*$/.exec(part);
    if (!m || m[1] === undefined) return null;
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (lo > hi || hi > 65535) return null;
    ranges.push([lo, hi]);
  }
  return ranges;
}

function coversPort(ports: string | null, port: number): 'exact' | 'wider' | false {
  const parsed = parsePorts(ports);
  if (parsed === 'all') return 'wider';
  if (parsed === null) return false;
  if (parsed.length === 1 && parsed[0]?.[0] === port && parsed[0]?.[1] === port) return 'exact';
  return parsed.some(([lo, hi]) => lo <= port && port <= hi) ? 'wider' : false;
}

/** Does a remote prefix (null = any address) contain the IP? 'exact' for <ip>/32 or a bare ip. */
function coversIp(prefix: string | null, ip: string): 'exact' | 'wider' | false {
  if (prefix === null || prefix === '') return 'wider';
  try {
    const target = ipaddr.IPv4.parse(ip);
    // A CIDR is never a bare address; asking first would cost a thrown error per rule.
    if (!prefix.includes('/') && ipaddr.IPv4.isValidFourPartDecimal(prefix)) {
      return ipaddr.IPv4.parse(prefix).toString() === target.toString() ? 'exact' : false;
    }
    const [net, bits] = ipaddr.IPv4.parseCIDR(prefix);
    if (!target.match(net, bits)) return false;
    return bits === 32 ? 'exact' : 'wider';
  } catch {
    return false;
  }
}

export type RuleMatch = 'equivalent' | 'stronger';

/**
 * Compares a rule with the desired one by meaning: `1.2.3.4` = `1.2.3.4/32`, `5443` =
 * `5443-5443`, priority "1" = 1. A deny at priority 1 that covers the address and port with a
 * wider CIDR, more ports or all protocols is "stronger". `enabled` is not considered here.
 */
export function matchRule(rule: SgRule, desired: SgRuleSpec): RuleMatch | null {
  if (rule.direction !== 'egress' || rule.ethertype !== 'IPv4') return null;
  if (rule.action !== 'deny' || Number(rule.priority) !== desired.priority) return null;
  if (rule.remoteGroupId || rule.remoteAddressGroupId) return null;
  const ip = desired.remoteIpPrefix?.replace(/\/32$/, '') ?? '';
  const parts = [
    coversTcp(rule.protocol),
    coversPort(rule.ports, Number(desired.ports)),
    coversIp(rule.remoteIpPrefix, ip),
  ];
  if (parts.some((p) => p === false)) return null;
  return parts.every((p) => p === 'exact') ? 'equivalent' : 'stronger';
}

/** True when a rule lets egress TCP to the API server through (any priority). */
function allowsApiServer(rule: SgRule, desired: SgRuleSpec): boolean {
  if (rule.direction !== 'egress' || rule.ethertype !== 'IPv4' || rule.action !== 'allow') {
    return false;
  }
  if (rule.remoteGroupId || rule.remoteAddressGroupId) return false;
  const ip = desired.remoteIpPrefix?.replace(/\/32$/, '') ?? '';
  return (
    coversTcp(rule.protocol) !== false &&
    coversPort(rule.ports, Number(desired.ports)) !== false &&
    coversIp(rule.remoteIpPrefix, ip) !== false
  );
}

export function toRuleView(rule: SgRule, match?: RuleMatch): RuleView {
  return {
    id: rule.id,
    priority: rule.priority,
    action: rule.action,
    direction: rule.direction,
    ethertype: rule.ethertype,
    protocol: rule.protocol,
    ports: rule.ports,
    destination: rule.remoteIpPrefix,
    enabled: rule.enabled,
    description: rule.description,
    ...(match ? { match } : {}),
  };
}

export function describeRule(rule: SgRuleSpec | SgRule): string {
  const proto = rule.protocol ?? 'all protocols';
  const ports = rule.ports ? ` ${rule.ports}` : '';
  const dest = rule.remoteIpPrefix ?? 'any';
  return `${rule.direction} ${rule.action} ${proto}${ports} -> ${dest} priority ${rule.priority}`;
}

/**
 * The rules of one group, in the order read. A fleet evaluates every cluster against the same
 * list, so the list is indexed by group id once (one pass) and looked up per cluster. The list
 * must not be changed after it is read (a changed length rebuilds the index).
 */
export function rulesOfGroup(rules: readonly SgRule[], securityGroupId: string): SgRule[] {
  let hit = ruleIndexes.get(rules);
  if (!hit || hit.length !== rules.length) {
    const byGroup = new Map<string, SgRule[]>();
    for (const r of rules) {
      const list = byGroup.get(r.securityGroupId);
      if (list) list.push(r);
      else byGroup.set(r.securityGroupId, [r]);
    }
    hit = { length: rules.length, byGroup };
    ruleIndexes.set(rules, hit);
  }
  return [...(hit.byGroup.get(securityGroupId) ?? [])];
}

const ruleIndexes = new WeakMap<
  readonly SgRule[],
  { length: number; byGroup: Map<string, SgRule[]> }
>();

export interface RuleEvaluation {
  /** The rule that satisfies the desired one (enabled), preferring an equivalent one. */
  match: { rule: SgRule; kind: RuleMatch } | null;
  /** A matching rule that is switched off: drift. */
  disabled: SgRule | null;
  findings: Finding[];
  /** Changes that would make the group compliant. */
  changes: Change[];
  /** Why apply cannot make it compliant on its own, when it cannot. */
  blocker: string | null;
}

/**
 * Observed rules of the ENI group -> verdict, findings and the plan. Pure: `check` reports it,
 * `apply` executes `changes`.
 */
export function evaluateRules(
  rules: readonly SgRule[],
  desired: SgRuleSpec,
  group: { id: string; name: string },
): RuleEvaluation {
  const findings: Finding[] = [];
  const own = rulesOfGroup(rules, desired.securityGroupId);
  const candidates = own
    .map((rule) => ({ rule, kind: matchRule(rule, desired) }))
    .filter((c): c is { rule: SgRule; kind: RuleMatch } => c.kind !== null);
  const enabled = candidates.filter((c) => c.rule.enabled);
  const match =
    enabled.find((c) => c.kind === 'equivalent') ?? enabled.find((c) => c.kind === 'stronger');
  const disabledRule = match ? null : (candidates.find((c) => !c.rule.enabled)?.rule ?? null);

  if (match) {
    findings.push({
      code: match.kind === 'equivalent' ? 'rule-present' : 'rule-present-stronger',
      severity: 'info',
      message:
        match.kind === 'equivalent'
          ? `Deny rule ${match.rule.id} is in place (${describeRule(match.rule)}).`
          : `Rule ${match.rule.id} (${describeRule(match.rule)}) is stronger than the guide's rule and blocks the API server too.`,
    });
  } else if (disabledRule) {
    findings.push({
      code: 'rule-disabled',
      severity: 'error',
      message: `Deny rule ${disabledRule.id} exists but is disabled: pods can reach the API server.`,
    });
  } else {
    findings.push({
      code: 'rule-missing',
      severity: 'error',
      message: `No deny rule for ${desired.remoteIpPrefix} port ${desired.ports} in ${group.name}: pods can reach the API server.`,
    });
  }

  for (const rule of own) {
    if (Number(rule.priority) === 1 && allowsApiServer(rule, desired)) {
      findings.push({
        code: 'allow-rule-priority-1',
        severity: 'warning',
        message: `Allow rule ${rule.id} (${describeRule(rule)}) also targets the API server at priority 1. Deny wins at equal priority, but someone meant to let this traffic through: check why.`,
      });
    }
    if (isManaged(rule) && !candidates.some((c) => c.rule.id === rule.id)) {
      findings.push({
        code: 'stale-managed-rule',
        severity: 'warning',
        message: `Rule ${rule.id} (${describeRule(rule)}) was created by cce-harden but no longer matches the API server; the address may have changed. Delete it once the new rule is in place.`,
      });
    }
  }

  const create: Change = {
    action: 'create',
    kind: 'security-group-rule',
    target: group.name,
    targetId: group.id,
    before: null,
    after: { ...desired },
    applied: false,
  };
  let changes: Change[] = [];
  let blocker: string | null = null;
  if (!match && disabledRule && isManaged(disabledRule)) {
    // Our own rule, switched off: replace it (the v3 API has no way to re-enable it here).
    changes = [
      {
        action: 'delete',
        kind: 'security-group-rule',
        target: group.name,
        targetId: group.id,
        before: toRuleView(disabledRule),
        after: null,
        applied: false,
      },
      create,
    ];
  } else if (!match && disabledRule) {
    // Someone else's rule: never deleted, and a second identical rule would be a duplicate.
    blocker = `Rule ${disabledRule.id} matches but is disabled, and cce-harden did not create it, so it will not touch it. Enable it in the console (or delete it), then run apply again.`;
  } else if (!match) {
    changes = [create];
  }
  return { match: match ?? null, disabled: disabledRule, findings, changes, blocker };
}

/** Rules `remove` may delete: created by cce-harden (marker) and equivalent to the desired rule. */
export function planRemoval(
  rules: readonly SgRule[],
  desired: SgRuleSpec,
  group: { id: string; name: string },
): Change[] {
  return rules
    .filter(
      (r) =>
        r.securityGroupId === desired.securityGroupId &&
        isManaged(r) &&
        matchRule(r, desired) === 'equivalent',
    )
    .map((r) => ({
      action: 'delete' as const,
      kind: 'security-group-rule' as const,
      target: group.name,
      targetId: group.id,
      before: toRuleView(r),
      after: null,
      applied: false,
    }));
}
