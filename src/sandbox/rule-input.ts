import { isIPv4, isIPv6 } from 'node:net';
import type { RuleFields } from './fixtures/security-groups.js';
import { vpcFail } from './http/api-failure.js';

/**
 * Validates and normalises one rule of a create request (docs/cloud-api.md, "VPC: security groups and rules"): bare IP -> /32 (/128),
 * `priority` "1" or 1 -> 1, `multiport` -> string, defaults allow / IPv4 / priority 1 / enabled.
 * Error codes for cases the docs do not list (everything but ethertype) are the sandbox's choice.
 */
export function normaliseRuleInput(raw: unknown): RuleFields & { security_group_id?: string } {
  if (!isObject(raw)) throw bad('security_group_rule must be an object.');
  const direction = raw['direction'];
  if (direction !== 'ingress' && direction !== 'egress') {
    throw bad(`Invalid direction ${String(direction)}: must be ingress or egress.`);
  }
  const ethertype = normaliseEthertype(raw['ethertype']);
  const protocol = normaliseProtocol(raw['protocol']);
  const multiport = normaliseMultiport(raw['multiport'], protocol);
  const action = raw['action'] ?? 'allow';
  if (action !== 'allow' && action !== 'deny') {
    throw bad(`Invalid action ${String(action)}: must be allow or deny.`);
  }
  const priority = normalisePriority(raw['priority']);
  const description = raw['description'] ?? '';
  if (typeof description !== 'string' || description.length > 255 || /[<>]/.test(description)) {
    throw bad('Invalid description: at most 255 characters, no < or >.');
  }
  const enabled = raw['enabled'] ?? true;
  if (typeof enabled !== 'boolean') throw bad('Invalid enabled: must be a boolean.');
  const remoteIp = optionalString(raw['remote_ip_prefix'], 'remote_ip_prefix');
  const remoteGroup = optionalString(raw['remote_group_id'], 'remote_group_id');
  const remoteAddressGroup = optionalString(
    raw['remote_address_group_id'],
    'remote_address_group_id',
  );
  if ([remoteIp, remoteGroup, remoteAddressGroup].filter((x) => x !== null).length > 1) {
    throw bad(
      'remote_ip_prefix, remote_group_id and remote_address_group_id are mutually exclusive.',
    );
  }
  const sgId = raw['security_group_id'];
  if (sgId !== undefined && typeof sgId !== 'string') throw bad('Invalid security_group_id.');
  return {
    ...(sgId !== undefined ? { security_group_id: sgId } : {}),
    direction,
    ethertype,
    protocol,
    multiport,
    remote_ip_prefix: remoteIp === null ? null : normaliseCidr(remoteIp, ethertype),
    remote_group_id: remoteGroup,
    remote_address_group_id: remoteAddressGroup,
    action,
    priority,
    description,
    enabled,
  };
}

/** Whether two rules are "the same rule" for the 409 VPC.9902 check (description/enabled ignored). */
export function sameRule(a: RuleFields, b: RuleFields): boolean {
  return (
    a.direction === b.direction &&
    (a.ethertype ?? 'IPv4') === (b.ethertype ?? 'IPv4') &&
    (a.protocol ?? null) === (b.protocol ?? null) &&
    (a.multiport ?? null) === (b.multiport ?? null) &&
    (a.remote_ip_prefix ?? null) === (b.remote_ip_prefix ?? null) &&
    (a.remote_group_id ?? null) === (b.remote_group_id ?? null) &&
    (a.remote_address_group_id ?? null) === (b.remote_address_group_id ?? null) &&
    (a.action ?? 'allow') === (b.action ?? 'allow') &&
    (a.priority ?? 1) === (b.priority ?? 1)
  );
}

/** A bare address becomes a host route; anything else must be a valid CIDR of the right family. */
export function normaliseCidr(value: string, ethertype: 'IPv4' | 'IPv6'): string {
  const [addr = '', prefix, extra] = value.split('/');
  const v4 = isIPv4(addr);
  const v6 = isIPv6(addr);
  if (extra !== undefined || (!v4 && !v6)) throw bad(`Invalid remote_ip_prefix ${value}.`);
  if ((ethertype === 'IPv4') !== v4) {
    throw bad(`remote_ip_prefix ${value} does not match ethertype ${ethertype}.`);
  }
  const max = v4 ? 32 : 128;
  if (prefix === undefined) return `${addr}/${max}`;
  if (!/^\d+$/.test(prefix) || Number(prefix) > max)
    throw bad(`Invalid remote_ip_prefix ${value}.`);
  return `${addr}/${Number(prefix)}`;
}

function normaliseEthertype(v: unknown): 'IPv4' | 'IPv6' {
  if (v === undefined || v === null || v === '') return 'IPv4';
  if (typeof v === 'string' && v.toLowerCase() === 'ipv4') return 'IPv4';
  if (typeof v === 'string' && v.toLowerCase() === 'ipv6') return 'IPv6';
  // The one bad-input case the docs spell out (docs/cloud-api.md, "Errors").
  throw vpcFail(
    400,
    'VPC.9902',
    `Security group rule for ethertype ${String(v)} not supported. Allowed values are [IPv4, IPv6].`,
  );
}

function normaliseProtocol(v: unknown): string | null {
  if (v === undefined || v === null || v === '') return null;
  if (typeof v !== 'string' && typeof v !== 'number') throw bad('Invalid protocol.');
  const s = String(v).toLowerCase();
  if (['tcp', 'udp', 'icmp', 'icmpv6'].includes(s)) return s;
  if (/^\d+$/.test(s) && Number(s) <= 255) return String(Number(s));
  throw bad(`Invalid protocol ${s}: must be icmp, tcp, udp, icmpv6 or 0-255.`);
}

function normaliseMultiport(v: unknown, protocol: string | null): string | null {
  if (v === undefined || v === null || v === '') return null;
  if (typeof v !== 'string' && typeof v !== 'number') throw bad('Invalid multiport.');
  const s = String(v).replace(/\s+/g, '');
  if (protocol !== 'tcp' && protocol !== 'udp') {
    throw bad('multiport is only allowed with protocol tcp or udp.');
  }
  const parts = s.split(',');
  for (const part of parts) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    const lo = Number(m?.[1]);
    const hi = m?.[2] === undefined ? lo : Number(m[2]);
    if (!m || lo < 1 || hi > 65535 || lo > hi) throw bad(`Invalid multiport ${s}.`);
  }
  return s;
}

function normalisePriority(v: unknown): number {
  if (v === undefined || v === null || v === '') return 1;
  const s = String(v);
  if ((typeof v !== 'number' && typeof v !== 'string') || !/^\d+$/.test(s)) {
    throw bad(`Invalid priority ${s}: must be an integer from 1 to 100.`);
  }
  const n = Number(s);
  if (n < 1 || n > 100) throw bad(`Invalid priority ${s}: must be an integer from 1 to 100.`);
  return n;
}

function optionalString(v: unknown, name: string): string | null {
  if (v === undefined || v === null || v === '') return null;
  if (typeof v !== 'string') throw bad(`Invalid ${name}.`);
  return v;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function bad(message: string) {
  return vpcFail(400, 'VPC.0002', message);
}
