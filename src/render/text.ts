/**
 * The human report for one or a few clusters: what was looked at, the verdict, why, what changes
 * (as a diff), and what to do next. Pure: returns a string, the CLI decides where it goes.
 */

import type {
  Change,
  ClusterReport,
  ClusterStatus,
  Finding,
  PoolScriptView,
  ReportError,
  RuleView,
  RunReport,
  Severity,
} from '../core/report.js';
import { noColors, printable, type Colors } from './colors.js';

export interface TextOptions {
  /** Defaults to no styling. */
  colors?: Colors;
}

const VERDICT: Record<ClusterStatus, string> = {
  compliant: 'compliant',
  drift: 'DRIFT',
  error: 'ERROR',
  'not-applicable': 'not applicable',
};

/** The verdict word for a status, plain (for width computations) or styled. */
export function verdictWord(status: ClusterStatus, colors: Colors = noColors): string {
  const word = VERDICT[status];
  switch (status) {
    case 'compliant':
      return colors.green(word);
    case 'drift':
      return colors.bold(colors.yellow(word));
    case 'error':
      return colors.bold(colors.red(word));
    case 'not-applicable':
      return colors.dim(word);
  }
}

const SEVERITY_RANK: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

/** Findings, most severe first; stable within a severity. */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort((a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity]);
}

export interface RuleLike {
  direction: string;
  action: string;
  ethertype?: unknown;
  protocol?: unknown;
  ports?: unknown;
  destination?: unknown;
  remoteIpPrefix?: unknown;
  priority?: unknown;
}

function isRuleLike(v: unknown): v is RuleLike {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as Record<string, unknown>;
  return typeof r['direction'] === 'string' && typeof r['action'] === 'string';
}

function str(v: unknown): string | null {
  if (typeof v === 'string' && v !== '') return v;
  if (typeof v === 'number') return String(v);
  return null;
}

/**
 * One line for a rule: `egress deny tcp 5443 -> 192.168.0.61/32 priority 1`. Accepts the report's
 * RuleView and the core rule shape (remoteIpPrefix), since a change's before/after carry either.
 */
export function formatRule(rule: RuleView | RuleLike): string {
  const dest =
    str(rule.destination) ?? ('remoteIpPrefix' in rule ? str(rule.remoteIpPrefix) : null);
  const parts = [
    printable(rule.direction),
    printable(rule.action),
    ...(rule.ethertype === 'IPv6' ? ['IPv6'] : []),
    printable(str(rule.protocol) ?? 'all-protocols'),
    printable(str(rule.ports) ?? 'all-ports'),
    '->',
    printable(dest ?? 'any'),
  ];
  const priority = str(rule.priority);
  if (priority !== null) parts.push('priority', printable(priority));
  return parts.join(' ');
}

function compactJson(v: unknown): string {
  try {
    return printable(JSON.stringify(v) ?? String(v));
  } catch {
    return printable(String(v));
  }
}

/** The script lines of a node-pool change side. */
function scriptLines(v: PoolScriptView): string[] {
  return v.postInstallScript === '' ? [] : v.postInstallScript.split('\n');
}

/** Longest script diff shown for one node pool, in lines. */
const MAX_SCRIPT_LINES = 6;

/** A change as diff lines: `+` create, `-` delete, `~` update (then the changed lines). */
export function formatChange(change: Change, colors: Colors = noColors): string[] {
  const where =
    change.kind === 'security-group-rule'
      ? `sg ${printable(change.target)}`
      : `node pool ${printable(change.target)}`;
  if (change.kind === 'security-group-rule') {
    if (change.action === 'create') {
      const what = isRuleLike(change.after) ? formatRule(change.after) : compactJson(change.after);
      return [colors.green(`+ ${what} (${where})`)];
    }
    const what = isRuleLike(change.before) ? formatRule(change.before) : compactJson(change.before);
    return [colors.red(`- ${what} (${where})`)];
  }
  // Node-pool post-install script: show the lines that go and the lines that come.
  const head = colors.yellow(`~ update post-install script (${where})`);
  const before = scriptLines(change.before);
  const after = scriptLines(change.after);
  const changed = [
    ...before.filter((l) => !after.includes(l)).map((l) => ['-', l] as const),
    ...after.filter((l) => !before.includes(l)).map((l) => ['+', l] as const),
  ].filter(([, l]) => l.trim() !== '');
  // A whole new block is long: show its start, count the rest.
  const shown =
    changed.length > MAX_SCRIPT_LINES ? changed.slice(0, MAX_SCRIPT_LINES - 1) : changed;
  const body = shown.map(([sign, l]) =>
    (sign === '+' ? colors.green : colors.red)(`    ${sign} ${printable(l)}`),
  );
  const rest = changed.length - shown.length;
  if (rest > 0) body.push(colors.dim(`    ... ${rest} more changed lines`));
  return [head, ...body];
}

/** Shell-quotes a word for a command the user may paste (names are normally [a-z0-9-]). */
function shellWord(s: string): string {
  return /^[A-Za-z0-9._:/=@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

function clusterFlags(c: ClusterReport): string {
  const region = c.region ? ` --region ${shellWord(printable(c.region))}` : '';
  // A name that cannot be shown as typed (control characters) cannot be pasted either: use the id.
  const name = c.name && printable(c.name) === c.name ? c.name : printable(c.id);
  return `--cluster ${shellWord(name)}${region}`;
}

function errorLines(err: ReportError, colors: Colors): string[] {
  const out = [colors.red(`${printable(err.code)}: ${printable(err.message)}`)];
  const detail = [
    err.httpStatus != null ? `HTTP ${err.httpStatus}` : null,
    err.errorCode ? `error code ${printable(err.errorCode)}` : null,
    err.requestId ? `request id ${printable(err.requestId)}` : null,
  ].filter((x): x is string => x !== null);
  if (detail.length > 0) out.push(colors.dim(detail.join(', ')));
  return out;
}

function nextSteps(report: RunReport, c: ClusterReport): string[] {
  if (report.command === 'verify') return verifyNextSteps(c);
  switch (c.status) {
    case 'compliant':
      if (c.changes.some((ch) => ch.applied)) {
        return [
          'Done and verified.',
          `Prove it from inside the cluster: \`cce-harden verify ${clusterFlags(c)}\` (probe pods try to reach the API server).`,
        ];
      }
      if (report.command === 'check') {
        return [
          'Nothing to do.',
          `This check reads the cloud side; \`cce-harden verify ${clusterFlags(c)}\` covers the in-cluster path (the kubernetes Service's endpoint port, existing nodes) from pods.`,
        ];
      }
      if (report.command === 'remove' && report.dryRun && c.changes.length > 0) {
        return ['Run the same command without --dry-run (with --yes in scripts) to remove it.'];
      }
      if ((report.command === 'apply' || report.command === 'iptables') && !report.dryRun) {
        // Already in place: the next step is still the proof from a pod.
        return [
          'Nothing to do.',
          `Prove it from inside the cluster: \`cce-harden verify ${clusterFlags(c)}\` (probe pods try to reach the API server).`,
        ];
      }
      return ['Nothing to do.'];
    case 'not-applicable':
      return [];
    case 'error': {
      const steps: string[] = [];
      if (c.error?.hint) steps.push(printable(c.error.hint));
      else steps.push('Fix the problem above and run the command again.');
      if (c.error?.requestId) steps.push('Quote the request id if you contact support.');
      return steps;
    }
    case 'drift':
      if (report.dryRun) {
        return ['Run the same command without --dry-run (with --yes in scripts) to make it so.'];
      }
      if (report.command === 'remove' && c.changes.some((ch) => ch.applied)) {
        return ['Removed as asked: the cluster is no longer hardened.'];
      }
      if (
        report.command === 'check' &&
        c.changes.some((ch) => ch.kind === 'nodepool-post-install')
      ) {
        return [
          `Run \`cce-harden iptables ${clusterFlags(c)} --install\` for new nodes (add --dry-run to preview), and the script from \`cce-harden iptables ${clusterFlags(c)}\` once on existing nodes.`,
        ];
      }
      if (report.command === 'check') {
        return [
          `Run \`cce-harden apply ${clusterFlags(c)}\` to fix it (add --dry-run to preview).`,
        ];
      }
      if (c.changes.length > 0 && c.changes.every((ch) => !ch.applied)) {
        // A plan waiting for confirmation.
        return ['Nothing changes unless you confirm.'];
      }
      return [`Run \`cce-harden check ${clusterFlags(c)}\` and review the findings.`];
  }
}

/** `verify`: what to do about what the probe pods saw. */
function verifyNextSteps(c: ClusterReport): string[] {
  if (c.status === 'compliant') {
    return c.verify
      ? ['Every probe was blocked: pods on the probed nodes cannot reach the API server.']
      : ['Nothing to do.'];
  }
  if (c.status === 'error') {
    return [
      c.error?.hint ? printable(c.error.hint) : 'Fix the problem above and run verify again.',
    ];
  }
  if (c.status !== 'drift') return [];
  const steps: string[] = [];
  const cover = c.findings.find((f) => f.code === 'endpoint-port-not-covered');
  if (cover) {
    const fix = /Fix: (.*)$/.exec(cover.message)?.[1];
    if (fix)
      steps.push(`Cover every API server port: \`${printable(fix)}\`, then run verify again.`);
  }
  if (c.category === 'Turbo') {
    if (!cover) steps.push(`Run \`cce-harden apply ${clusterFlags(c)}\`, then verify again.`);
    steps.push(
      'A pod that still connects uses another security group or host networking: see the pods-outside-eni-group finding of apply.',
    );
  } else {
    steps.push(
      `Run the script from \`cce-harden iptables ${clusterFlags(c)} --out harden.sh\` as root on each node listed above, then verify again.`,
    );
  }
  return steps;
}

function probeLines(c: ClusterReport, colors: Colors): string[] {
  const v = c.verify;
  if (!v || v.probes.length === 0) return [];
  const out = ['', colors.bold('Probes')];
  const placeWidth = Math.max(...v.probes.map((p) => p.place.length));
  const targetWidth = Math.max(...v.probes.map((p) => p.target.length + p.address.length + 3));
  for (const p of v.probes) {
    const word =
      p.verdict === 'blocked'
        ? colors.green('blocked')
        : p.verdict === 'reachable'
          ? colors.bold(colors.red('REACHABLE'))
          : colors.yellow('error');
    out.push(
      `  ${printable(p.place).padEnd(placeWidth)}  ${`${printable(p.target)} (${printable(p.address)})`.padEnd(targetWidth)}  ${word} ${colors.dim(printable(p.reason))}`,
    );
  }
  return out;
}

function field(label: string, value: string, colors: Colors): string {
  return `${colors.dim(label.padEnd(16))}${value}`;
}

function renderCluster(report: RunReport, c: ClusterReport, colors: Colors): string[] {
  const out: string[] = [];
  const facts = [c.category, c.networkMode, c.phase]
    .filter((x): x is string => !!x)
    .map(printable)
    .join(', ');
  const region = c.region ? ` in ${printable(c.region)}` : '';
  out.push(
    field(
      'Cluster',
      `${colors.bold(printable(c.name))} ${colors.dim(`(${printable(c.id)})`)}${region}` +
        (facts ? ` - ${facts}` : ''),
      colors,
    ),
  );
  if (c.apiServer) {
    out.push(field('API server', `${printable(c.apiServer.ip)}:${c.apiServer.port}`, colors));
  }
  if (c.securityGroup) {
    out.push(
      field(
        'Security group',
        `${printable(c.securityGroup.name)} ${colors.dim(`(${printable(c.securityGroup.id)})`)}`,
        colors,
      ),
    );
  }
  if (c.rule) {
    const notes = [
      c.rule.match ?? null,
      c.rule.enabled ? null : colors.red('disabled'),
      `id ${printable(c.rule.id)}`,
    ].filter((x): x is string => x !== null);
    out.push(field('Rule', `${formatRule(c.rule)} ${colors.dim(`(${notes.join(', ')})`)}`, colors));
  } else if (c.securityGroup) {
    out.push(field('Rule', colors.dim('none'), colors));
  }
  out.push(field('Verdict', verdictWord(c.status, colors), colors));
  if (c.error) {
    const [first, ...rest] = errorLines(c.error, colors);
    out.push(field('Error', first ?? '', colors), ...rest.map((l) => ' '.repeat(16) + l));
  }

  out.push(...probeLines(c, colors));

  if (c.findings.length > 0) {
    out.push('', colors.bold('Findings'));
    for (const f of sortFindings(c.findings)) {
      const sev =
        f.severity === 'error'
          ? colors.red('error  ')
          : f.severity === 'warning'
            ? colors.yellow('warning')
            : colors.dim('info   ');
      out.push(`  ${sev} ${printable(f.message)} ${colors.dim(`[${printable(f.code)}]`)}`);
    }
  }

  if (c.changes.length > 0) {
    const applied = c.changes.every((ch) => ch.applied);
    const title = applied
      ? 'Changes made'
      : report.dryRun
        ? 'Plan (dry run: nothing was changed)'
        : 'Plan (not applied)';
    out.push('', colors.bold(title));
    for (const ch of c.changes) out.push(...formatChange(ch, colors).map((l) => `  ${l}`));
  }

  const next = nextSteps(report, c);
  if (next.length > 0) {
    out.push('', colors.bold('Next'), ...next.map((l) => `  ${l}`));
  }
  return out;
}

function countLine(clusters: readonly ClusterReport[]): string {
  const order: ClusterStatus[] = ['compliant', 'drift', 'error', 'not-applicable'];
  const parts = order
    .map((s) => [s, clusters.filter((c) => c.status === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${VERDICT[s].toLowerCase()}`);
  const noun = clusters.length === 1 ? 'cluster' : 'clusters';
  return `${clusters.length} ${noun}: ${parts.join(', ') || 'none'}`;
}

/** The whole run: each cluster as a block; a count line when there are several. */
export function renderText(report: RunReport, options: TextOptions = {}): string {
  const colors = options.colors ?? noColors;
  const blocks: string[][] = [];
  if (report.error) {
    const block = errorLines(report.error, colors);
    if (report.error.hint) block.push('', colors.bold('Next'), `  ${printable(report.error.hint)}`);
    blocks.push(block);
  }
  for (const c of report.clusters) blocks.push(renderCluster(report, c, colors));
  if (report.clusters.length > 1) blocks.push([countLine(report.clusters)]);
  if (blocks.length === 0) blocks.push(['No clusters to report.']);
  return blocks.map((b) => b.join('\n')).join('\n\n') + '\n';
}
