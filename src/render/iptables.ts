/**
 * Renders the iptables model into the shell texts shipped in `templates/`. Pure: template text is
 * passed in (the CLI reads the files, see cli/templates-dir.ts).
 *
 * Template syntax: `{{name}}` placeholders only; lists (one line per rule) are built here.
 * An unknown or missing placeholder is a bug and throws. Two partials are rendered first and
 * embedded: the rules block (iptables-block.sh, in every format) and the preamble
 * (root-preamble.sh: strict mode and the root check) that opens iptables-script.sh and rc-local.sh.
 *
 * Formats:
 * - `script`: standalone POSIX sh script (iptables-script.sh + iptables-block.sh).
 * - `rc-local`: applies the rules now and keeps the block in /etc/rc.local (rc-local.sh).
 * - `systemd`: a self-installing sh script that writes the standalone script and the oneshot
 *   unit (cce-harden-iptables.service), enables it and runs it once (systemd-install.sh).
 * - `post-install`: the marker-delimited block for a node pool's post-installation script
 *   (post-install.sh wrapping the rc-local script); insert it with core/post-install.ts.
 */
import {
  buildIptablesModel,
  ruleArgs,
  type IptablesModel,
  type IptablesRule,
} from '../core/iptables.js';

export type IptablesFormat = 'script' | 'rc-local' | 'systemd' | 'post-install';
export const IPTABLES_FORMATS: readonly IptablesFormat[] = [
  'script',
  'rc-local',
  'systemd',
  'post-install',
];

/** Template file names under `templates/`. */
export const TEMPLATE_FILES = {
  block: 'iptables-block.sh',
  preamble: 'root-preamble.sh',
  script: 'iptables-script.sh',
  rcLocal: 'rc-local.sh',
  unit: 'cce-harden-iptables.service',
  systemdInstall: 'systemd-install.sh',
  postInstall: 'post-install.sh',
  workloadIsolation: 'workload-isolation.yaml',
} as const;

/** Where the systemd format installs the script, and the unit's name. */
export const SYSTEMD_SCRIPT_PATH = '/usr/local/sbin/cce-harden-iptables.sh';
export const SYSTEMD_UNIT_NAME = 'cce-harden-iptables.service';

/** The template files a format needs (load these and pass them to renderIptables). */
export function templatesForFormat(format: IptablesFormat): string[] {
  const t = TEMPLATE_FILES;
  switch (format) {
    case 'script':
      return [t.block, t.preamble, t.script];
    case 'rc-local':
      return [t.block, t.preamble, t.rcLocal];
    case 'systemd':
      return [t.block, t.preamble, t.script, t.unit, t.systemdInstall];
    case 'post-install':
      return [t.block, t.preamble, t.rcLocal, t.postInstall];
  }
}

const PLACEHOLDER = /\{\{([A-Za-z][A-Za-z0-9]*)\}\}/g;

/** Replaces every `{{name}}`; throws when a placeholder has no value. */
export function renderTemplate(text: string, vars: Readonly<Record<string, string>>): string {
  return text.replace(PLACEHOLDER, (_m, name: string) => {
    const v = Object.hasOwn(vars, name) ? vars[name] : undefined;
    if (v === undefined) throw new Error(`template placeholder {{${name}}} has no value`);
    return v;
  });
}

/** POSIX sh single-quoting for anything that is not a plain word. */
export function shellQuote(arg: string): string {
  if (/^[A-Za-z0-9_./:=@%+,-]+$/.test(arg)) return arg;
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

/**
 * The block's one rules line: `cce_harden_rules <CHAIN> <API server IP> <ports|all> <CIDR>...`.
 * The block's shell function turns each CIDR into exactly `iptables <CHAIN> ruleArgs(rule)`
 * (the network-namespace test checks that the rules on the node are these).
 */
export function renderRulesCall(model: IptablesModel): string {
  const ports = model.portOnly ? model.ports.join(',') : 'all';
  const cidrs = [...model.containerCidrs].sort(byAddress);
  return ['cce_harden_rules', model.chain, model.apiServer.ip, ports, ...cidrs]
    .map(shellQuote)
    .join(' ');
}

/** One rule as the iptables command the block runs for it (documentation, tests). */
export function renderRuleCommand(rule: IptablesRule): string {
  return ['iptables', '-I', rule.chain, ...ruleArgs(rule)].map(shellQuote).join(' ');
}

/** Orders `a.b.c.d/n` CIDRs by address, then prefix length. */
function byAddress(a: string, b: string): number {
  const key = (c: string) => {
    const [ip = '', bits = '0'] = c.split('/');
    return ip.split('.').reduce((n, o) => n * 256 + Number(o), 0) * 64 + Number(bits);
  };
  return key(a) - key(b);
}

function need(templates: Readonly<Record<string, string>>, name: string): string {
  const t = Object.hasOwn(templates, name) ? templates[name] : undefined;
  if (t === undefined) throw new Error(`template ${name} was not loaded`);
  return t;
}

/** A template's text without the final newline, for embedding inside another template. */
function body(text: string): string {
  return text.endsWith('\n') ? text.slice(0, -1) : text;
}

export function renderIptables(
  model: IptablesModel,
  format: IptablesFormat,
  templates: Readonly<Record<string, string>>,
): string {
  // Re-derive from the model's inputs: whatever object is passed, only values that went through
  // the parser (and were re-serialised) can reach the script.
  // CIDRs in address order: the same set always renders the same block, byte for byte.
  const m = buildIptablesModel({
    apiServer: model.apiServer,
    containerCidrs: [...model.containerCidrs].sort(byAddress),
    network: model.network,
    portOnly: model.portOnly,
    ports: model.ports,
  });
  const vars: Record<string, string> = {
    version: String(m.version),
    network: m.network,
    chain: m.chain,
    apiServerIp: m.apiServer.ip,
    ports: m.portOnly ? m.ports.join(',') : 'all',
    scope: m.portOnly ? `TCP to port ${m.ports.join(',')}` : 'all traffic',
    cidrList: m.containerCidrs.join(' '),
    ruleCount: String(m.rules.length),
    rules: renderRulesCall(m),
    scriptPath: SYSTEMD_SCRIPT_PATH,
    unitName: SYSTEMD_UNIT_NAME,
  };
  const t = TEMPLATE_FILES;
  vars.block = body(renderTemplate(need(templates, t.block), vars));
  // The standalone script and the rc.local installer open with the same partial: strict mode and
  // the root check. Only the script suggests sudo: the rc.local installer also runs as a node
  // pool's post-installation script, from a temporary file.
  const preamble = (rootHint: string) =>
    body(renderTemplate(need(templates, t.preamble), { rootHint }));
  const script = () =>
    renderTemplate(need(templates, t.script), {
      ...vars,
      preamble: preamble(' (try: sudo sh $0)'),
    });
  const rcLocal = () =>
    renderTemplate(need(templates, t.rcLocal), { ...vars, preamble: preamble('') });
  switch (format) {
    case 'script':
      return script();
    case 'rc-local':
      return rcLocal();
    case 'systemd':
      vars.script = body(script());
      vars.unit = body(renderTemplate(need(templates, t.unit), vars));
      return renderTemplate(need(templates, t.systemdInstall), vars);
    case 'post-install':
      vars.rcLocalScript = body(rcLocal());
      return renderTemplate(need(templates, t.postInstall), vars);
  }
}
