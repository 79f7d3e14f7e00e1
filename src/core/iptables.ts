/**
 * The iptables rule model for CCE standard clusters (no ENI security group there): on every node,
 * REJECT traffic from each container CIDR to the kube-apiserver, on OUTPUT for the VPC network
 * mode and on FORWARD for the container tunnel network (the hardening guide; docs/cloud-api.md,
 * "CCE standard clusters: iptables on the nodes").
 *
 * Everything that reaches a rendered script comes from here, and only as values re-serialised
 * from parsed addresses and numbers: user text is never copied into output, so shell
 * metacharacters cannot get through.
 *
 * Validation policy (reported all at once as one UsageError):
 * - IPv4 only, dotted four-part decimal (no `10.1`, octal `010.0.0.1` or hex forms).
 * - A container CIDR needs an explicit prefix 0-32 written in plain decimal.
 * - Host bits set (`172.16.3.0/16`) are REJECTED, not normalised: such a value is almost always a
 *   typo for a different network, and silently widening or moving it would block the wrong pods.
 *   The message names the network the value would mean.
 * - A container CIDR that contains the API server IP is rejected: the rule would also cut off
 *   every node-local client of the API server that happens to use such a source.
 * - Duplicate CIDRs are merged (same meaning, one rule).
 */
import ipaddr from 'ipaddr.js';
import { UsageError } from './errors.js';

/** Bump when the rendered block changes meaningfully; `check` reports older blocks as drift. */
export const IPTABLES_BLOCK_VERSION = 2;

/** Prefix of every rule comment: how cce-harden recognises its own rules on a node. */
export const RULE_COMMENT_PREFIX = 'cce-harden:';

export type IptablesNetwork = 'vpc' | 'tunnel';
export type IptablesChain = 'OUTPUT' | 'FORWARD';

export interface IptablesInput {
  /**
   * null: the address could not be read and that was already reported; the other values are
   * still validated, and the UsageError carries only their problems (possibly none).
   */
  apiServer: { ip: string; port: number | string } | null;
  containerCidrs: readonly string[];
  network: IptablesNetwork | (string & {});
  portOnly?: boolean | undefined;
  /**
   * The TCP ports to deny in port-only mode (`--port`, repeatable); default: the API server
   * endpoint's port. Ignored without portOnly (then every port of the API server is rejected).
   */
  ports?: readonly (number | string)[] | undefined;
}

/** At most this many ports in one rule: the iptables multiport match takes 15. */
export const MAX_PORTS = 15;

export interface IptablesRule {
  chain: IptablesChain;
  /** Canonical network CIDR, e.g. `172.16.0.0/16`. */
  source: string;
  /** Canonical IPv4 address of the API server. */
  destination: string;
  /** Set only in port-only mode. */
  protocol: 'tcp' | null;
  /** The TCP destination ports in port-only mode (one: `--dport`, several: multiport). */
  ports: number[] | null;
  /** The first of `ports` (kept for JSON readers of earlier versions); null for all traffic. */
  port: number | null;
  comment: string;
}

export interface IptablesModel {
  version: number;
  network: IptablesNetwork;
  chain: IptablesChain;
  apiServer: { ip: string; port: number };
  containerCidrs: string[];
  portOnly: boolean;
  /** The ports denied in port-only mode, ascending, de-duplicated; [apiServer.port] by default. */
  ports: number[];
  rules: IptablesRule[];
}

const CHAINS: Record<IptablesNetwork, IptablesChain> = { vpc: 'OUTPUT', tunnel: 'FORWARD' };

/** vpc -> OUTPUT (pod traffic leaves through the node's own stack), tunnel -> FORWARD. */
export function chainForNetwork(network: IptablesNetwork): IptablesChain {
  return CHAINS[network];
}

/**
 * CCE `spec.containerNetwork.mode` -> iptables network. `eni` (Cloud Native 2.0, Turbo) and
 * anything unknown give null: the iptables path does not apply there (Turbo uses the ENI
 * security group instead).
 */
export function networkForContainerMode(mode: string | undefined | null): IptablesNetwork | null {
  if (mode === 'vpc-router') return 'vpc';
  if (mode === 'overlay_l2') return 'tunnel';
  return null;
}

/** Quote user text in messages without letting control characters through. */
function show(value: unknown): string {
  const text = typeof value === 'string' ? value : String(value);
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 77)}...` : text);
}

type Parsed<T> = { ok: true; value: T } | { ok: false; problem: string };

/** A strict dotted-quad IPv4 address, re-serialised. */
export function parseIpv4(text: string, what: string): Parsed<string> {
  const t = text.trim();
  if (t.includes(':') && ipaddr.isValid(t)) {
    return { ok: false, problem: `${what} ${show(text)} is IPv6; only IPv4 is supported` };
  }
  if (!ipaddr.IPv4.isValidFourPartDecimal(t)) {
    return { ok: false, problem: `${what} ${show(text)} is not an IPv4 address (a.b.c.d)` };
  }
  return { ok: true, value: ipaddr.IPv4.parse(t).toString() };
}

/** A strict IPv4 network CIDR (a.b.c.d/n, no host bits), re-serialised. */
export function parseIpv4Cidr(text: string, what: string): Parsed<string> {
  const t = text.trim();
  const slash = t.indexOf('/');
  if (slash < 0) {
    return { ok: false, problem: `${what} ${show(text)} needs a prefix length (a.b.c.d/n)` };
  }
  const addrText = t.slice(0, slash);
  const prefixText = t.slice(slash + 1);
  const addr = parseIpv4(addrText, what);
  if (!addr.ok) {
    const v6 = addrText.includes(':') && ipaddr.isValid(addrText);
    return {
      ok: false,
      problem: v6
        ? `${what} ${show(text)} is IPv6; only IPv4 is supported`
        : `${what} ${show(text)} is not an IPv4 CIDR (a.b.c.d/n)`,
    };
  }
  if (!/^\d+$/.test(prefixText)) {
    return { ok: false, problem: `${what} ${show(text)} is not an IPv4 CIDR (a.b.c.d/n)` };
  }
  const prefix = Number(prefixText);
  if (String(prefix) !== prefixText || prefix > 32) {
    return {
      ok: false,
      problem: `${what} ${show(text)} has an invalid prefix length (0-32 in plain decimal)`,
    };
  }
  const canonical = `${addr.value}/${prefix}`;
  const network = ipaddr.IPv4.networkAddressFromCIDR(canonical).toString();
  if (network !== addr.value) {
    return {
      ok: false,
      problem: `${what} ${show(text)} has host bits set; the network is ${network}/${prefix}`,
    };
  }
  return { ok: true, value: canonical };
}

/** A TCP port 1-65535 given as a number or a plain decimal string. */
export function parsePort(value: number | string, what: string): Parsed<number> {
  const n =
    typeof value === 'number' ? value : /^\d{1,5}$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > 65535) {
    return { ok: false, problem: `${what} ${show(value)} is not a port number (1-65535)` };
  }
  return { ok: true, value: n };
}

const FORBIDDEN_API_RANGES = new Set(['unspecified', 'broadcast', 'multicast', 'loopback']);

/**
 * Null when `ip` (canonical IPv4) can be an API server address; otherwise why not. Unspecified
 * (0.0.0.0/8), loopback (127/8), broadcast and multicast (224/4) addresses are refused: a REJECT
 * rule to them protects nothing and can break the node.
 */
export function nonUnicastProblem(ip: string): string | null {
  const range = ipaddr.IPv4.parse(ip).range();
  return FORBIDDEN_API_RANGES.has(range)
    ? `API server IP ${ip} is ${range === 'unspecified' ? 'an' : 'a'} ${range} address, not a unicast address of an API server`
    : null;
}

/** Validates everything, reporting every problem at once; returns the canonical model. */
export function buildIptablesModel(input: IptablesInput): IptablesModel {
  const problems: string[] = [];

  const network: IptablesNetwork | null =
    input.network === 'vpc' ? 'vpc' : input.network === 'tunnel' ? 'tunnel' : null;
  if (network === null)
    problems.push(`network ${show(input.network)} must be "vpc" or "tunnel" (--network)`);

  let apiIp: string | null = null;
  let port: number | null = null;
  if (input.apiServer !== null) {
    const ip = parseIpv4(String(input.apiServer.ip), 'API server IP');
    if (!ip.ok) problems.push(`${ip.problem} (--api-server)`);
    else {
      const bad = nonUnicastProblem(ip.value);
      if (bad !== null) problems.push(`${bad} (--api-server)`);
      else apiIp = ip.value;
    }
    const p = parsePort(input.apiServer.port, 'API server port');
    if (!p.ok) problems.push(`${p.problem} (--api-server ip:port)`);
    else port = p.value;
  }

  const ports: number[] = [];
  for (const raw of input.ports ?? []) {
    const q = parsePort(raw, 'port');
    if (!q.ok) problems.push(`${q.problem} (--port)`);
    else if (!ports.includes(q.value)) ports.push(q.value);
  }
  if (ports.length > MAX_PORTS) {
    problems.push(
      `${ports.length} ports given; one iptables rule takes at most ${MAX_PORTS} (--port)`,
    );
  }

  const cidrs: string[] = [];
  if (input.containerCidrs.length === 0) {
    problems.push('no container CIDR given; pass --container-cidr at least once');
  }
  input.containerCidrs.forEach((raw) => {
    const c = parseIpv4Cidr(String(raw), 'container CIDR');
    if (!c.ok) {
      problems.push(`${c.problem} (--container-cidr)`);
      return;
    }
    if (apiIp !== null) {
      const [net, bits] = ipaddr.IPv4.parseCIDR(c.value);
      if (ipaddr.IPv4.parse(apiIp).match(net, bits)) {
        problems.push(
          `container CIDR ${c.value} contains the API server IP ${apiIp}; ` +
            'that cannot be the pod network (--container-cidr)',
        );
        return;
      }
    }
    if (!cidrs.includes(c.value)) cidrs.push(c.value);
  });

  if (problems.length > 0 || network === null || apiIp === null || port === null) {
    throw new UsageError(
      problems,
      'Fix the values above; IPv4 addresses and network CIDRs like 172.16.0.0/16 only.',
    );
  }

  const portOnly = input.portOnly === true;
  const denied = ports.length > 0 ? ports.sort((a, b) => a - b) : [port];
  const chain = chainForNetwork(network);
  const rules = cidrs.map((source): IptablesRule => ({
    chain,
    source,
    destination: apiIp,
    protocol: portOnly ? 'tcp' : null,
    ports: portOnly ? [...denied] : null,
    port: portOnly ? (denied[0] ?? null) : null,
    comment: ruleComment(source, apiIp, portOnly ? denied : null),
  }));
  return {
    version: IPTABLES_BLOCK_VERSION,
    network,
    chain,
    apiServer: { ip: apiIp, port },
    containerCidrs: cidrs,
    portOnly,
    ports: denied,
    rules,
  };
}

/**
 * The iptables comment that tags a rule. Only canonical values, so it is shell-safe; the
 * generated script finds its own rules by this comment (and removes those not in the current
 * set), so its form is part of the contract with nodes that already carry rules.
 */
export function ruleComment(
  source: string,
  destination: string,
  ports: readonly number[] | null,
): string {
  const to = ports === null ? destination : `${destination}:${ports.join(',')}/tcp`;
  return `${RULE_COMMENT_PREFIX} reject ${source} to ${to}`;
}

/**
 * The rule's match and target arguments after the chain name, as iptables takes them
 * (`iptables -I <chain> <args...>`); the comment is one argument.
 */
export function ruleArgs(rule: IptablesRule): string[] {
  const args = ['-s', rule.source, '-d', rule.destination];
  if (rule.protocol !== null && rule.ports !== null) {
    if (rule.ports.length === 1) args.push('-p', rule.protocol, '--dport', String(rule.ports[0]));
    else args.push('-p', rule.protocol, '-m', 'multiport', '--dports', rule.ports.join(','));
  }
  args.push('-m', 'comment', '--comment', rule.comment, '-j', 'REJECT');
  return args;
}

/**
 * Parses `ip[:port]` as typed for --api-server. The port defaults to `defaultPort` (CCE's
 * internal endpoint listens on 5443). Throws UsageError.
 */
export function parseApiServerEndpoint(
  text: string,
  defaultPort = 5443,
): { ip: string; port: number } {
  const t = text.trim();
  const colons = t.split(':').length - 1;
  const [ipText, portText] = colons === 1 ? (t.split(':') as [string, string]) : [t, undefined];
  const problems: string[] = [];
  const ip = parseIpv4(ipText, 'API server IP');
  if (!ip.ok) problems.push(`${ip.problem} (--api-server)`);
  const port = parsePort(portText ?? defaultPort, 'API server port');
  if (!port.ok) problems.push(`${port.problem} (--api-server ip:port)`);
  if (!ip.ok || !port.ok) throw new UsageError(problems);
  return { ip: ip.value, port: port.value };
}
