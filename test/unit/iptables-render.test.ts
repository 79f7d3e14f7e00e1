import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { buildIptablesModel, type IptablesModel } from '../../src/core/iptables.js';
import { UsageError } from '../../src/core/errors.js';
import {
  BLOCK_BEGIN,
  BLOCK_END,
  installScriptsSize,
  parseBlock,
} from '../../src/core/post-install.js';
import {
  IPTABLES_FORMATS,
  TEMPLATE_FILES,
  renderIptables,
  renderRuleCommand,
  renderRulesCall,
  renderTemplate,
  shellQuote,
  templatesForFormat,
  type IptablesFormat,
} from '../../src/render/iptables.js';
import { loadTemplate, loadTemplates } from '../../src/cli/templates-dir.js';

let templates: Record<string, string> = {};
beforeAll(async () => {
  templates = await loadTemplates(Object.values(TEMPLATE_FILES));
});

const tunnel = buildIptablesModel({
  apiServer: { ip: '192.168.0.61', port: 5443 },
  containerCidrs: ['172.16.0.0/16', '10.0.0.0/16'],
  network: 'tunnel',
});
const vpcPortOnly = buildIptablesModel({
  apiServer: { ip: '192.168.0.61', port: 5443 },
  containerCidrs: ['172.16.0.0/16'],
  network: 'vpc',
  portOnly: true,
});

const ruleLines = (text: string) =>
  text.split('\n').filter((l) => l.startsWith('cce_harden_rules '));

describe('renderTemplate', () => {
  it('replaces placeholders once, without re-expanding substituted text', () => {
    expect(renderTemplate('a {{x}} b {{y}}', { x: '{{y}} $& $1', y: '2' })).toBe(
      'a {{y}} $& $1 b 2',
    );
  });

  it('throws on a placeholder without a value', () => {
    expect(() => renderTemplate('{{missing}}', {})).toThrow('{{missing}}');
    expect(() => renderTemplate('{{toString}}', {})).toThrow('{{toString}}');
  });
});

describe('shellQuote', () => {
  it.each([
    ['10.0.0.0/8', '10.0.0.0/8'],
    ['cce-harden: reject x', "'cce-harden: reject x'"],
    ["it's", `'it'\\''s'`],
    ['$(reboot)', "'$(reboot)'"],
  ])('%j -> %s', (arg, quoted) => {
    expect(shellQuote(arg)).toBe(quoted);
  });
});

describe('renderIptables', () => {
  it('script: strict POSIX sh, root and iptables checks, -C tells absent from failed, one rules line', () => {
    const text = renderIptables(tunnel, 'script', templates);
    expect(text.startsWith('#!/bin/sh\n')).toBe(true);
    expect(text).toContain('\nset -eu\n');
    expect(text).toContain('[ "$(id -u)" = 0 ]');
    expect(text).toContain('command -v iptables');
    // Insert only when -C said "absent" (exit 1); any other status is a failure.
    expect(text).toContain('iptables -w 10 -C "$@" 2>/dev/null || _ch_s=$?');
    expect(text).toContain('if [ $_ch_s = 1 ]; then _ch_s=0 && iptables -w 10 -I "$@"');
    expect(text).not.toMatch(/-C "\$@"[^\n]*\|\| iptables/);
    // Stale rules: listed by comment, deleted when not in the current set.
    expect(text).toContain('iptables -w 10 -S $_ch_c');
    expect(text).toContain('iptables -w 10 -D $_ch_c');
    expect(ruleLines(text)).toEqual([
      // CIDRs in address order, so the same set always renders the same block.
      'cce_harden_rules FORWARD 192.168.0.61 all 10.0.0.0/16 172.16.0.0/16',
    ]);
    expect(text).not.toContain('{{');
  });

  it('script, VPC port-only: OUTPUT chain, TCP to the API server port', () => {
    const lines = ruleLines(renderIptables(vpcPortOnly, 'script', templates));
    expect(lines).toEqual(['cce_harden_rules OUTPUT 192.168.0.61 5443 172.16.0.0/16']);
    expect(renderRuleCommand(vpcPortOnly.rules[0]!)).toBe(
      "iptables -I OUTPUT -s 172.16.0.0/16 -d 192.168.0.61 -p tcp --dport 5443 -m comment --comment 'cce-harden: reject 172.16.0.0/16 to 192.168.0.61:5443/tcp' -j REJECT",
    );
  });

  it('several ports: one rule per CIDR with multiport', () => {
    const m = buildIptablesModel({
      apiServer: { ip: '192.168.0.61', port: 5443 },
      containerCidrs: ['172.16.0.0/16'],
      network: 'vpc',
      portOnly: true,
      ports: ['5444', 5443, '5443'],
    });
    expect(m.ports).toEqual([5443, 5444]);
    expect(renderRulesCall(m)).toBe('cce_harden_rules OUTPUT 192.168.0.61 5443,5444 172.16.0.0/16');
    expect(renderRuleCommand(m.rules[0]!)).toBe(
      "iptables -I OUTPUT -s 172.16.0.0/16 -d 192.168.0.61 -p tcp -m multiport --dports 5443,5444 -m comment --comment 'cce-harden: reject 172.16.0.0/16 to 192.168.0.61:5443,5444/tcp' -j REJECT",
    );
    const parsed = parseBlock(renderIptables(m, 'post-install', templates));
    expect([parsed.ports, parsed.portOnly, parsed.problems]).toEqual([[5443, 5444], true, []]);
  });

  it('rc-local: keeps the block between its own markers, enables rc-local.service under systemd', () => {
    const text = renderIptables(tunnel, 'rc-local', templates);
    expect(ruleLines(text)).toHaveLength(1);
    expect(text).toContain('rc=${CCE_HARDEN_RC_LOCAL:-/etc/rc.local}');
    // Written to a temp file beside it, then renamed; a half marker is refused.
    expect(text).toContain('t=$(mktemp "$(dirname "$rc")/.rc.local.XXXXXX")');
    expect(text).toContain('mv -f "$t" "$rc"');
    expect(text).toContain('left unchanged: fix it by hand');
    expect(text).toContain('systemctl enable rc-local.service');
    expect(text).toContain('[ -d /run/systemd/system ]');
  });

  it('systemd: installs the script and a oneshot unit that runs it at boot', () => {
    const text = renderIptables(tunnel, 'systemd', templates);
    for (const line of [
      'Type=oneshot',
      'ExecStart=/bin/sh /usr/local/sbin/cce-harden-iptables.sh',
      'RemainAfterExit=yes',
      'After=network-online.target',
      'Wants=network-online.target',
      'WantedBy=multi-user.target',
      'systemctl enable cce-harden-iptables.service',
      'systemctl restart cce-harden-iptables.service',
      "cat > /etc/systemd/system/cce-harden-iptables.service <<'CCE_HARDEN_UNIT'",
    ]) {
      expect(text.split('\n')).toContain(line);
    }
    expect(ruleLines(text)).toHaveLength(1);
  });

  it('post-install: one marker-delimited block whose rules parse back to the model', () => {
    const text = renderIptables(tunnel, 'post-install', templates);
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe(BLOCK_BEGIN);
    expect(lines.at(-1)).toBe(BLOCK_END);
    expect(lines.filter((l) => l === BLOCK_BEGIN || l === BLOCK_END)).toHaveLength(2);
    expect(parseBlock(text)).toEqual({
      version: 2,
      chain: 'FORWARD',
      apiServerIp: '192.168.0.61',
      port: null,
      ports: null,
      portOnly: false,
      cidrs: ['10.0.0.0/16', '172.16.0.0/16'],
      problems: [],
    });
    const vpc = parseBlock(renderIptables(vpcPortOnly, 'post-install', templates));
    expect([vpc.chain, vpc.portOnly, vpc.port, vpc.problems]).toEqual(['OUTPUT', true, 5443, []]);
  });

  it.each(IPTABLES_FORMATS.map((f) => [f]))('%s output is valid sh (sh -n)', (format) => {
    for (const model of [tunnel, vpcPortOnly]) {
      const text = renderIptables(model, format, templates);
      expect(text).not.toMatch(/\{\{[A-Za-z]/);
      expect(() => execFileSync('sh', ['-n'], { input: text })).not.toThrow();
    }
  });

  it('renders only what templatesForFormat names', () => {
    for (const format of IPTABLES_FORMATS) {
      const only = Object.fromEntries(
        templatesForFormat(format).map((n) => [n, templates[n] ?? '']),
      );
      expect(renderIptables(tunnel, format, only)).toBe(renderIptables(tunnel, format, templates));
    }
    expect(() => renderIptables(tunnel, 'script', {})).toThrow('was not loaded');
  });

  it('re-validates a hand-built model: hostile values never reach the script', () => {
    const hostile: IptablesModel = {
      ...tunnel,
      apiServer: { ip: '1.2.3.4; reboot', port: 5443 },
      containerCidrs: ['10.0.0.0/8 -j ACCEPT #'],
      rules: [],
    };
    let error: unknown;
    try {
      renderIptables(hostile, 'script', templates);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).problems).toHaveLength(2);
  });

  it('uses the rules derived from the inputs, not a rules array passed alongside', () => {
    const tampered: IptablesModel = {
      ...tunnel,
      rules: [{ ...tunnel.rules[0]!, comment: "x' ; reboot ; '" }],
    };
    const text = renderIptables(tampered, 'script', templates);
    expect(text).not.toContain('reboot');
    expect(ruleLines(text)).toEqual([renderRulesCall(tunnel)]);
  });
});

describe('templates', () => {
  it('loads from the package templates/ directory and refuses path tricks', async () => {
    expect(await loadTemplate('iptables-block.sh')).toContain('{{rules}}');
    await expect(loadTemplate('../package.json')).rejects.toThrow('invalid template name');
    await expect(loadTemplate('/etc/passwd')).rejects.toThrow('invalid template name');
  });

  it('the workload isolation example pairs a taint toleration with required node affinity', () => {
    const yaml = templates[TEMPLATE_FILES.workloadIsolation] ?? '';
    expect(yaml).toContain('kubectl taint node <node> cce-harden/apiserver=blocked:NoSchedule');
    expect(yaml).toContain('requiredDuringSchedulingIgnoredDuringExecution');
    expect(yaml).toContain('automountServiceAccountToken: false');
    expect(yaml).toMatch(
      /tolerations:\n\s+- key: cce-harden\/apiserver\n\s+operator: Equal\n\s+value: blocked/,
    );
  });

  it('the script and the rc.local installer open with the same preamble; only the script suggests sudo', () => {
    const model = buildIptablesModel({
      apiServer: { ip: '192.168.0.10', port: 5443 },
      containerCidrs: ['10.0.0.0/16'],
      network: 'vpc',
      portOnly: false,
    });
    const head = (text: string) =>
      text
        .split('\n')
        .filter((l) => !l.startsWith('#'))
        .slice(0, 2);
    expect(head(renderIptables(model, 'script', templates))).toEqual([
      'set -eu',
      '[ "$(id -u)" = 0 ] || { echo "cce-harden: this script must run as root (try: sudo sh $0)" >&2; exit 1; }',
    ]);
    expect(head(renderIptables(model, 'rc-local', templates))).toEqual([
      'set -eu',
      '[ "$(id -u)" = 0 ] || { echo "cce-harden: this script must run as root" >&2; exit 1; }',
    ]);
  });

  it.each(Object.values(TEMPLATE_FILES))('%s has only known placeholders', (name) => {
    const known = new Set([
      'version',
      'network',
      'chain',
      'apiServerIp',
      'ports',
      'scope',
      'cidrList',
      'ruleCount',
      'rules',
      'scriptPath',
      'unitName',
      'block',
      'script',
      'unit',
      'rcLocalScript',
      'preamble',
      'rootHint',
    ]);
    const used = [...(templates[name] ?? '').matchAll(/\{\{([A-Za-z0-9]+)\}\}/g)].map((m) => m[1]);
    expect(used.filter((u) => !known.has(u ?? ''))).toEqual([]);
  });
});

// Formats as a type-level check that the list is complete.
const _all: Record<IptablesFormat, true> = {
  script: true,
  'rc-local': true,
  systemd: true,
  'post-install': true,
};
void _all;

describe('size of the post-install block (CCE: at most 10240 characters of Base64, pre + post)', () => {
  it.each([
    [1, 5000],
    [20, 5400],
  ])('%i CIDR(s): under %i characters of Base64', (n, budget) => {
    const model = buildIptablesModel({
      apiServer: { ip: '192.168.0.10', port: 5443 },
      containerCidrs: Array.from({ length: n }, (_, i) => `172.${16 + i}.0.0/16`),
      network: 'tunnel',
    });
    const text = renderIptables(model, 'post-install', templates);
    expect(installScriptsSize('', text).postInstallBase64).toBeLessThan(budget);
  });
});
