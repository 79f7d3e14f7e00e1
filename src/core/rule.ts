import ipaddr from 'ipaddr.js';
import type { ApiServerAddress } from './cluster.js';
import type { Change, Finding, RuleView } from './report.js';
import type { SgRule, SgRuleSpec } from './types.js';

/**
 * Every rule cce-harden creates carries this prefix in its description. `remove` deletes only
 * rules that carry it, so a rule an operator wrote by hand is never touched.
 */
export const MANAGED_MARKER = 'cce-harden:';

/**
 * The rule the hardening guide asks for: egress, IPv4, TCP <port>, to <ip>/32, deny, priority 1.
 * `ports` (`--port`, repeatable) go into this one rule as a multiport list ("5443,5444", which
 * the VPC v3 API accepts: "80", "1-30" or "22,3389,80"); default: the endpoint's port.
 */
export function desiredRule(
  securityGroupId: string,
  apiServer: ApiServerAddress,
  ports?: readonly number[],
): SgRuleSpec {
  const list = portList(ports && ports.length > 0 ? ports : [apiServer.port]);
  const text = list.join(',');
  return {
    securityGroupId,
    direction: 'egress',
    ethertype: 'IPv4',
    protocol: 'tcp',
    ports: text,
    remoteIpPrefix: `${apiServer.ip}/32`,
    action: 'deny',
    priority: 1,
    // The API refuses "<" and ">" in descriptions (at most 255 characters).
    description: `${MANAGED_MARKER} deny pods to kube-apiserver ${apiServer.ip}:${text}`,
  };
}

/** Ports ascending, each once. */
export function portList(ports: readonly number[]): number[] {
  return [...new Set(ports)].sort((a, b) => a - b);
}

/** The single ports a desired rule names ("5443,5444" -> [5443, 5444]). */
export function desiredPorts(desired: Pick<SgRuleSpec, 'ports'>): number[] {
  const parsed = parsePorts(desired.ports);
  if (parsed === 'all' || parsed === null) return [];
  const out: number[] = [];
  for (const [lo, hi] of parsed) for (let p = lo; p <= hi && out.length < 65536; p++) out.push(p);
  return portList(out);
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

/** Which of `wanted` a rule's port field covers, and whether it names exactly those. */
function coveredPorts(
  ports: string | null,
  wanted: readonly number[],
): { covered: number[]; exact: boolean } {
  const parsed = parsePorts(ports);
  if (parsed === 'all') return { covered: [...wanted], exact: false };
  if (parsed === null) return { covered: [], exact: false };
  const covered = wanted.filter((p) => parsed.some(([lo, hi]) => lo <= p && p <= hi));
  const size = parsed.reduce((n, [lo, hi]) => n + hi - lo + 1, 0);
  // Exact: covers every wanted port and nothing else (overlapping ranges count twice: not exact).
  return { covered, exact: covered.length === wanted.length && size === wanted.length };
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

/** How a rule denies the desired one's traffic: which of its ports, and how exactly. */
function denial(
  rule: SgRule,
  desired: SgRuleSpec,
): { covered: number[]; exact: boolean; wanted: number[] } | null {
  if (rule.direction !== 'egress' || rule.ethertype !== 'IPv4') return null;
  if (rule.action !== 'deny' || Number(rule.priority) !== desired.priority) return null;
  if (rule.remoteGroupId || rule.remoteAddressGroupId) return null;
  const ip = desired.remoteIpPrefix?.replace(/\/32$/, '') ?? '';
  const wanted = desiredPorts(desired);
  const tcp = coversTcp(rule.protocol);
  const dest = coversIp(rule.remoteIpPrefix, ip);
  if (tcp === false || dest === false || wanted.length === 0) return null;
  const ports = coveredPorts(rule.ports, wanted);
  if (ports.covered.length === 0) return null;
  return {
    covered: ports.covered,
    exact: ports.exact && tcp === 'exact' && dest === 'exact',
    wanted,
  };
}

/**
 * Compares a rule with the desired one by meaning: `1.2.3.4` = `1.2.3.4/32`, `5443` =
 * `5443-5443`, "5443,5444" = "5444,5443", priority "1" = 1. A deny at priority 1 that covers the
 * address and every desired port with a wider CIDR, more ports or all protocols is "stronger".
 * A rule that covers only some of the desired ports is no match (see `coversSomePorts`).
 * `enabled` is not considered here.
 */
export function matchRule(rule: SgRule, desired: SgRuleSpec): RuleMatch | null {
  const d = denial(rule, desired);
  if (!d || d.covered.length !== d.wanted.length) return null;
  return d.exact ? 'equivalent' : 'stronger';
}

/** The desired ports a deny rule covers (all of them for a match; some for a partial one). */
export function coveredDesiredPorts(rule: SgRule, desired: SgRuleSpec): number[] {
  return denial(rule, desired)?.covered ?? [];
}

/**
 * True when a rule cce-harden may delete for `desired`: created by cce-harden (marker), TCP,
 * to exactly the address, deny at the priority, and every port it names is one of the desired
 * ports (a rule for "5443" is removed with `--port 5443 --port 5444`; a rule for "5443,5444"
 * is kept by `--port 5443` alone, since it also covers a port not asked about).
 */
export function removableFor(rule: SgRule, desired: SgRuleSpec): boolean {
  if (!isManaged(rule) || rule.securityGroupId !== desired.securityGroupId) return false;
  const d = denial(rule, desired);
  if (!d || coversTcp(rule.protocol) !== 'exact') return false;
  const ip = desired.remoteIpPrefix?.replace(/\/32$/, '') ?? '';
  if (coversIp(rule.remoteIpPrefix, ip) !== 'exact') return false;
  const parsed = parsePorts(rule.ports);
  if (parsed === 'all' || parsed === null) return false;
  return parsed.every(([lo, hi]) => {
    for (let p = lo; p <= hi; p++) if (!d.wanted.includes(p)) return false;
    return true;
  });
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
    coveredPorts(rule.ports, desiredPorts(desired)).covered.length > 0 &&
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
 * list, so a long list is indexed by group id once (one pass) and looked up per cluster. The list
 * must not be changed after it is read (a changed length rebuilds the index). A short list (one
 * group's own rules, as each observation holds them) is filtered instead: an index per cluster
 * would outweigh the rules it indexes.
 */
export function rulesOfGroup(rules: readonly SgRule[], securityGroupId: string): SgRule[] {
  if (rules.length <= UNINDEXED_RULES)
    return rules.filter((r) => r.securityGroupId === securityGroupId);
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

/** Lists up to this long are filtered, not indexed. */
const UNINDEXED_RULES = 64;

const ruleIndexes = new WeakMap<
  readonly SgRule[],
  { length: number; byGroup: Map<string, SgRule[]> }
>();

export interface RuleEvaluation {
  /** The rule that satisfies the desired one (enabled), preferring an equivalent one. */
  match: { rule: SgRule; kind: RuleMatch } | null;
  /**
   * Several enabled rules that together cover every desired port (e.g. one for 5443, one for
   * 5444 when "5443,5444" is asked for); empty when one rule matches or none do.
   */
  together: SgRule[];
  /** A matching rule that is switched off: drift. */
  disabled: SgRule | null;
  findings: Finding[];
  /** The rule to create for the ports nothing covers yet (null when none is needed). */
  create: SgRuleSpec | null;
  /** Changes that would make the group compliant. */
  changes: Change[];
  /** Why apply cannot make it compliant on its own, when it cannot. */
  blocker: string | null;
}

/**
 * Observed rules of the ENI group -> verdict, findings and the plan. Pure: `check` reports it,
 * `apply` executes `changes`. Several desired ports are compared by meaning: one rule covering
 * them all, or several enabled rules covering them together, are compliant; when some ports are
 * covered, the rule to create names only the ports left.
 */
export function evaluateRules(
  rules: readonly SgRule[],
  desired: SgRuleSpec,
  group: { id: string; name: string },
): RuleEvaluation {
  const findings: Finding[] = [];
  const own = rulesOfGroup(rules, desired.securityGroupId);
  const wanted = desiredPorts(desired);
  const partial = own
    .map((rule) => ({ rule, covered: coveredDesiredPorts(rule, desired) }))
    .filter((c) => c.covered.length > 0);
  const candidates = partial
    .map((c) => ({ rule: c.rule, kind: matchRule(c.rule, desired) }))
    .filter((c): c is { rule: SgRule; kind: RuleMatch } => c.kind !== null);
  const enabled = candidates.filter((c) => c.rule.enabled);
  const match =
    enabled.find((c) => c.kind === 'equivalent') ?? enabled.find((c) => c.kind === 'stronger');
  const coveredNow = new Set(partial.filter((c) => c.rule.enabled).flatMap((c) => c.covered));
  const missing = wanted.filter((p) => !coveredNow.has(p));
  const together =
    !match && missing.length === 0 ? partial.filter((c) => c.rule.enabled).map((c) => c.rule) : [];
  const disabledRule =
    match || together.length > 0 ? null : (candidates.find((c) => !c.rule.enabled)?.rule ?? null);
  const portsText = wanted.join(',');

  if (match) {
    findings.push({
      code: match.kind === 'equivalent' ? 'rule-present' : 'rule-present-stronger',
      severity: 'info',
      message:
        match.kind === 'equivalent'
          ? `Deny rule ${match.rule.id} is in place (${describeRule(match.rule)}).`
          : `Rule ${match.rule.id} (${describeRule(match.rule)}) is stronger than the guide's rule and blocks the API server too.`,
    });
  } else if (together.length > 0) {
    findings.push({
      code: 'rule-present-together',
      severity: 'info',
      message: `Deny rules ${together.map((r) => r.id).join(', ')} together cover ports ${portsText} to ${desired.remoteIpPrefix}.`,
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
      message:
        missing.length === wanted.length
          ? `No deny rule for ${desired.remoteIpPrefix} port ${portsText} in ${group.name}: pods can reach the API server.`
          : `No deny rule for ${desired.remoteIpPrefix} port ${missing.join(',')} in ${group.name} (port ${wanted.filter((p) => coveredNow.has(p)).join(',')} is denied): pods can reach the API server on ${missing.length === 1 ? 'that port' : 'those ports'}.`,
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
    if (isManaged(rule) && !partial.some((c) => c.rule.id === rule.id)) {
      findings.push({
        code: 'stale-managed-rule',
        severity: 'warning',
        message: `Rule ${rule.id} (${describeRule(rule)}) was created by cce-harden but no longer matches the API server; the address may have changed. Delete it once the new rule is in place.`,
      });
    }
  }

  // Only the ports nothing enabled covers yet go into the new rule (all of them, when none is).
  const toCreate =
    missing.length === wanted.length ? desired : { ...desired, ...retarget(desired, missing) };
  const create: Change = {
    action: 'create',
    kind: 'security-group-rule',
    target: group.name,
    targetId: group.id,
    before: null,
    after: { ...toCreate },
    applied: false,
  };
  let changes: Change[] = [];
  let blocker: string | null = null;
  let creating: SgRuleSpec | null = null;
  if (match || together.length > 0) {
    // compliant
  } else if (disabledRule && isManaged(disabledRule)) {
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
    creating = toCreate;
  } else if (disabledRule) {
    // Someone else's rule: never deleted, and a second identical rule would be a duplicate.
    blocker = `Rule ${disabledRule.id} matches but is disabled, and cce-harden did not create it, so it will not touch it. Enable it in the console (or delete it), then run apply again.`;
  } else {
    changes = [create];
    creating = toCreate;
  }
  return {
    match: match ?? null,
    together,
    disabled: disabledRule,
    findings,
    create: creating,
    changes,
    blocker,
  };
}

/** The desired rule's port list and description narrowed to `ports`. */
function retarget(
  desired: SgRuleSpec,
  ports: readonly number[],
): Pick<SgRuleSpec, 'ports' | 'description'> {
  const text = portList(ports).join(',');
  const ip = desired.remoteIpPrefix?.replace(/\/32$/, '') ?? '';
  return {
    ports: text,
    description: `${MANAGED_MARKER} deny pods to kube-apiserver ${ip}:${text}`,
  };
}

/** Rules `remove` may delete: created by cce-harden (marker) and equivalent to the desired rule. */
export function planRemoval(
  rules: readonly SgRule[],
  desired: SgRuleSpec,
  group: { id: string; name: string },
): Change[] {
  return rules
    .filter((r) => removableFor(r, desired))
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
