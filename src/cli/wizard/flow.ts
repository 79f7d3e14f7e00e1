/**
 * The wizard: asks only what flags left open, turns the answers into the options `apply` and
 * `iptables` take (answers.ts), and hands what it observed to the same plan/apply code the
 * commands use (core/runner.ts through changeObserved / installObserved). The region is read
 * once; what is about to be written is read fresh right before the write.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { CancelledError, CloudError, NotFoundError, UsageError } from '../../core/errors.js';
import { ExitCode } from '../../core/exit-codes.js';
import { networkForContainerMode } from '../../core/iptables.js';
import {
  observeWithGroup,
  reobserve,
  withPreflight,
  type ClusterObservation,
} from '../../core/observe.js';
import { planCheck, planSecurityGroupChange, type ClusterPlan } from '../../core/plan.js';
import type { ClusterReport } from '../../core/report.js';
import { buildClusterReport } from '../../core/report-builder.js';
import type { Work } from '../../core/runner.js';
import { matchEniGroups } from '../../core/security-group.js';
import { makeColors, printable, type Colors } from '../../render/colors.js';
import { renderText } from '../../render/text.js';
import { quote } from 'shell-quote';
import { resolveCredentials } from '../config.js';
import { installObserved, renderModel } from '../iptables-run.js';
import { changeObserved } from '../rule-change.js';
import { defaultVerifyOptions, verifyObserved } from '../verify-run.js';
import type { CommandContext } from '../context.js';
import { buildRunReport, observeRegions, type ObservedRegion } from '../pipeline.js';
import { TEMPLATES_DIR } from '../templates-dir.js';
import {
  clusterChoices,
  defaultClusterId,
  defaultScriptPath,
  envInstructions,
  missingSettings,
  optionsFromAnswers,
  regionCandidates,
  regionProblem,
  verifyFromPodCommand,
  type ScriptAnswer,
  type ScriptFormat,
  type WizardFlags,
} from './answers.js';
import { CancelGuard, createAsk, type Ask } from './prompts.js';

interface Session {
  ctx: CommandContext;
  ask: Ask;
  guard: CancelGuard;
  colors: Colors;
  say: (text?: string) => void;
}

export async function runWizardFlow(ctx: CommandContext, flags: WizardFlags): Promise<number> {
  const guard = new CancelGuard();
  guard.install();
  try {
    const colors = makeColors(ctx.output.color);
    const s: Session = {
      ctx: { ...ctx, ui: guard.wrapUi(ctx.ui) },
      ask: createAsk(ctx.ui.prompt, guard, ctx.output.color),
      guard,
      colors,
      say: (text = '') => ctx.ui.say(text),
    };
    s.say(
      colors.bold('cce-harden') + ' - keep pods in a CCE cluster away from the kube-apiserver.',
    );
    s.say(
      colors.dim('Nothing is changed before you have seen the plan and said yes. Ctrl+C quits.'),
    );
    s.say();
    return await preflight(s, flags);
  } finally {
    guard.uninstall();
  }
}

/**
 * Credentials first: no question is worth answering if the first cloud call cannot be made. The
 * check is the run's own credential chain (access keys -> OIDC federation -> instance metadata),
 * and the wizard names the source it found; the metadata service, which is only a guess when
 * nothing is configured, is asked once here (with its short connect timeout).
 */
async function preflight(s: Session, flags: WizardFlags): Promise<number> {
  const { ctx } = s;
  if (ctx.global.sandbox) return askAndRun(s, flags);
  const missing = missingSettings(ctx.config.env, ctx.global);
  const found = await credentialSource(s);
  // With credentials, only a project id whose IAM look-up is switched off can still be missing.
  const stillMissing = found.source
    ? missing.credentials.filter((m) => m.variable === 'HUAWEICLOUD_SDK_PROJECT_ID')
    : missing.credentials;
  if (found.source) s.say(s.colors.dim(`Credentials: ${found.source}.`));
  if (found.source && stillMissing.length === 0) {
    if (missing.region) {
      s.say(
        `No region is set; you will be asked for one. To skip that next time, add to ${path.join(ctx.cwd, '.env')}:`,
      );
      s.say(envInstructions([missing.region]).join('\n'));
    }
    s.say();
    return askAndRun(s, flags);
  }
  for (const problem of found.problems) s.say(s.colors.yellow(problem));
  const all = [...stillMissing, ...(missing.region ? [missing.region] : [])];
  s.say(
    `cce-harden needs ${found.source ? 'a project id' : 'Huawei Cloud credentials'} to read your clusters. Set these in ${path.join(ctx.cwd, '.env')} (or the environment):`,
  );
  s.say(envInstructions(all).join('\n'));
  s.say(
    s.colors.dim('The key pair needs read access to CCE and VPC, and write access to VPC rules.'),
  );
  s.say();
  const useSandbox = await s.ask.confirm(
    'Continue in the built-in sandbox instead (a local emulator with demo clusters; nothing real is touched)?',
    true,
  );
  if (!useSandbox) {
    throw new UsageError(
      all.map((m) => `Set ${m.variable} (${m.note}).`),
      'Put them in .env and run cce-harden again, or try it with cce-harden --sandbox.',
    );
  }
  const { runInSandbox } = await import('../sandbox-mode.js');
  return runInSandbox({ ...ctx, global: { ...ctx.global, sandbox: true } }, (sandboxCtx) =>
    askAndRun({ ...s, ctx: sandboxCtx }, flags),
  );
}

/** The credential chain's source, described (never a value), or why there is none. */
async function credentialSource(
  s: Session,
): Promise<{ source: string | null; problems: string[] }> {
  const choice = resolveCredentials(s.ctx.config.env, (m) => s.ctx.ui.debug(m));
  const provider = choice.provider;
  if (!provider) return { source: null, problems: choice.problems };
  if (provider.source !== 'metadata') return { source: provider.description, problems: [] };
  try {
    await s.ctx.ui.step(`Asking ${provider.description} for credentials`, () => provider.get());
    return { source: provider.description, problems: [] };
  } catch (err) {
    if (err instanceof CancelledError) throw err;
    // Nothing configured and no metadata service: the usual case on a laptop. A service that was
    // named explicitly and did not give credentials is worth saying why.
    const why = err instanceof Error ? err.message : String(err);
    s.ctx.ui.debug(`credentials: ${why}`);
    return { source: null, problems: s.ctx.config.env.metadataEndpoint ? [why] : [] };
  }
}

async function askRegion(s: Session): Promise<string> {
  const { regions, fromFlag } = regionCandidates(s.ctx.global.region, s.ctx.config.env);
  if (fromFlag && regions.length === 1 && regions[0]) return regions[0];
  if (regions.length > 1) {
    return s.ask.select(
      'Region',
      regions.map((r) => ({ value: r, name: r })),
      regions[0],
    );
  }
  const answer = await s.ask.input('Region', regions[0], regionProblem);
  return answer.trim();
}

/** Region, then cluster, then the cluster-kind-specific questions; then the scripted code runs. */
async function askAndRun(s: Session, flags: WizardFlags): Promise<number> {
  const region = await askRegion(s);
  const ctx: CommandContext = { ...s.ctx, global: { ...s.ctx.global, region } };
  s = { ...s, ctx };

  // The list shows every cluster's state, so it is read without a chosen --security-group.
  const { regions } = await observeRegions(ctx, {
    clusters: flags.cluster ? [flags.cluster] : [],
    all: !flags.cluster,
    withPreflight: false,
    securityGroupId: flags.cluster ? ctx.global.securityGroup : undefined,
  });
  const observed = regions[0];
  const entries: Seen[] = (observed?.observed.clusters ?? []).map((obs) => {
    const plan = planCheck(obs);
    return { obs, plan, report: buildClusterReport({ obs, plan }) };
  });
  if (!observed || entries.length === 0) {
    throw new NotFoundError(
      `No CCE clusters in region ${region} for this project.`,
      'Check the region and HUAWEICLOUD_SDK_PROJECT_ID (project ids are per region).',
    );
  }

  const chosen = await chooseCluster(s, entries, flags);
  if (!chosen.obs.facts) {
    // Only a named cluster that does not exist gets here: say why, as `check` would.
    s.say(renderText(buildRunReport(ctx, [chosen.report]), { colors: s.colors }).trimEnd());
    return ExitCode.error;
  }
  return chosen.obs.facts.isTurbo
    ? hardenTurbo(s, region, chosen, observed)
    : hardenStandard(s, region, chosen, observed);
}

/** A cluster as the wizard saw it: observation, the check's plan, and its report. */
interface Seen {
  obs: ClusterObservation;
  plan: ClusterPlan;
  report: ClusterReport;
}

async function chooseCluster(s: Session, entries: Seen[], flags: WizardFlags): Promise<Seen> {
  const only = entries[0];
  if (flags.cluster && only) return only;
  const reports = entries.map((o) => o.report);
  const choices = clusterChoices(reports, printable);
  if (choices.every((c) => c.disabled)) {
    // Nothing can be picked: list them with their phase instead of an empty menu.
    choices.forEach((c) => s.say(`  ${c.name}`));
    throw new NotFoundError(
      `No cluster in ${s.ctx.global.region ?? 'this region'} is Available.`,
      'Wake or finish creating a cluster, then run cce-harden again.',
    );
  }
  const id = await s.ask.select('Cluster', choices, defaultClusterId(reports));
  const chosen = entries.find((o) => o.report.id === id);
  if (!chosen) throw new NotFoundError(`Cluster ${id} is no longer in the list.`);
  return chosen;
}

function field(s: Session, label: string, value: string): void {
  s.say(`  ${s.colors.dim(label.padEnd(17))}${value}`);
}

function sayFacts(s: Session, seen: Seen): void {
  const r = seen.report;
  const facts = seen.obs.facts;
  s.say();
  s.say(
    `${s.colors.bold(printable(r.name))} ${s.colors.dim(`(${printable(r.id)})`)} - ${facts?.isTurbo ? 'CCE Turbo' : 'CCE standard'}, ${printable(r.phase ?? 'unknown phase')}`,
  );
  field(
    s,
    'API server',
    r.apiServer ? `${r.apiServer.ip}:${r.apiServer.port} (internal)` : 'unknown',
  );
  field(s, 'Network mode', printable(r.networkMode ?? 'unknown'));
  if (facts?.isTurbo) {
    field(
      s,
      'ENI group',
      r.securityGroup
        ? `${printable(r.securityGroup.name)} ${s.colors.dim(`(${printable(r.securityGroup.id)})`)}`
        : 'not determined yet',
    );
  } else if (facts) {
    field(s, 'Container CIDRs', facts.containerCidrs.map(printable).join(', ') || 'none reported');
    field(
      s,
      'Node pools',
      seen.obs.kind === 'standard' ? String(seen.obs.pools.length) : 'unknown',
    );
  }
}

function verifyCommand(s: Session, cluster: string, region: string): string {
  return `cce-harden verify ${quote(['--cluster', cluster, '--region', region])}${s.ctx.global.sandbox ? ' --sandbox' : ''}`;
}

/** How to prove it from a pod: `cce-harden verify`, or by hand with kubectl. */
function sayVerifyLater(
  s: Session,
  facts: { name: string; apiServer: { ip: string; port: number } | null },
  region: string,
  who: string,
  when = '',
): void {
  s.say();
  s.say(
    `${s.colors.bold('Verify from inside the cluster')}${when}: ${who} try to reach the API server (cce-harden verify deletes them afterwards).`,
  );
  s.say(`  ${verifyCommand(s, facts.name, region)}`);
  if (!facts.apiServer) return;
  s.say(s.colors.dim(`  or by hand: ${verifyFromPodCommand(facts.apiServer)}`));
  s.say(
    s.colors.dim(
      `  or: kubectl apply -f ${new URL('verify-pod.yaml', TEMPLATES_DIR).pathname} (set the address in it first)`,
    ),
  );
}

/**
 * After the change: offer `cce-harden verify` now, through the verify command's own code, on
 * what the wizard already observed (the facts and the region's session; a Turbo group's rules are
 * read again since they just changed). Declined, it shows the command for later. The exit code is
 * then verify's: 0 every probe blocked, 2 a pod reached the API server, 1 it could not verify.
 */
async function offerVerify(
  s: Session,
  obs: ClusterObservation,
  observed: ObservedRegion,
  where: string,
): Promise<number> {
  const facts = obs.facts;
  // A Ctrl+C held back during the write means: stop there, not start something new.
  if (!facts || s.guard.cancelRequested) return ExitCode.ok;
  sayVerifyLater(s, facts, observed.session.region, `probe pods ${where}`);
  const now = await s.ask.confirm('Run cce-harden verify now?', true);
  if (!now) {
    s.say(`To verify later, run: ${verifyCommand(s, facts.name, observed.session.region)}`);
    return ExitCode.ok;
  }
  const fresh = obs.kind === 'turbo' ? await reobserve(observed.session.ports, obs) : obs;
  const ctx: CommandContext = {
    ...s.ctx,
    command: 'verify',
    global: { ...s.ctx.global, region: observed.session.region, out: undefined },
    output: { ...s.ctx.output, out: undefined },
  };
  return verifyObserved(ctx, defaultVerifyOptions(facts.id), {
    regions: [{ session: observed.session, observed: { ...observed.observed, clusters: [fresh] } }],
    failed: [],
  });
}

/** After a confirmed change, a Ctrl+C was held back; say what happened to it. */
function sayHeldBackCancel(s: Session): void {
  if (s.guard.cancelRequested && s.guard.isWriting) {
    s.say(
      s.colors.yellow(
        'Ctrl+C came while the change was being made: it was finished and verified instead of being left half-done.',
      ),
    );
  }
}

/** Turbo: the deny rule on the ENI group, through `apply`'s plan/apply code. */
async function hardenTurbo(
  s: Session,
  region: string,
  seen: Seen,
  observed: ObservedRegion,
): Promise<number> {
  const ports = observed.session.ports;
  let obs = seen.obs;
  let securityGroupId = s.ctx.global.securityGroup;
  if (obs.kind === 'failed' && obs.facts && !securityGroupId) {
    // The groups listed while observing: no second ListSecurityGroups.
    const matches = matchEniGroups(observed.observed.groups ?? [], obs.facts.name);
    if (matches.length > 1) {
      sayFacts(s, seen);
      s.say();
      s.say(
        `Several security groups are named ${printable(seen.report.name)}-cce-eni-<id>; one may be left over from a deleted cluster of the same name.`,
      );
      securityGroupId = await s.ask.select(
        'Which is the ENI group of this cluster? (Network > the cluster > ENI security group in the console)',
        matches.map((g) => ({
          value: g.id,
          name: `${printable(g.name)}  ${printable(g.id)}`,
          ...(g.description ? { description: printable(g.description) } : {}),
        })),
      );
      const known = { ref: obs.ref, region: obs.region, facts: obs.facts };
      const groupId = securityGroupId;
      obs = await s.guard.interruptible(() =>
        observeWithGroup(ports, known, observed.observed.groups ?? [], groupId),
      );
    }
  }
  if (obs.kind === 'failed') {
    const report = buildClusterReport({ obs, plan: null });
    s.say(renderText(buildRunReport(s.ctx, [report]), { colors: s.colors }).trimEnd());
    return ExitCode.error;
  }
  const plan = planCheck(obs);
  const current: Seen = { obs, plan, report: buildClusterReport({ obs, plan }) };
  sayFacts(s, current);
  s.say();
  if (current.report.status === 'compliant') {
    s.say(
      s.colors.green(
        `${printable(current.report.name)} is already hardened: the deny rule is in place. Nothing to change.`,
      ),
    );
  } else {
    s.say(
      'The plan and the pre-flight warnings follow. Read them: the rule cuts every pod bound to this group off the API server.',
    );
  }

  const run = optionsFromAnswers({
    kind: 'turbo',
    region,
    cluster: current.report.id,
    securityGroupId,
  });
  if (run.kind !== 'harden') throw new Error('unreachable');
  const ctx: CommandContext = {
    ...s.ctx,
    global: { ...s.ctx.global, region: run.region, securityGroup: run.securityGroupId },
  };
  // The pre-flight (add-ons, pod interfaces) was not needed for the list; apply shows it.
  const ready = await s.guard.interruptible(() => withPreflight(ports, [obs]));
  const code = await changeObserved(
    ctx,
    'apply',
    run.options,
    [{ session: observed.session, observed: { ...observed.observed, clusters: ready } }],
    [],
    freshBeforeWrite,
  );
  sayHeldBackCancel(s);
  if (code !== ExitCode.ok) return code;
  return offerVerify(s, obs, observed, 'bound to the ENI group (one per node pool)');
}

/**
 * The wizard's observation is as old as its questions: right before the write, the group's rules
 * are read again and planned again. A plan that changed meanwhile is not carried out.
 */
async function freshBeforeWrite(work: Work): Promise<Work> {
  const obs = await reobserve(work.ports, work.obs);
  const plan = planSecurityGroupChange(obs, 'apply', false);
  if (plan instanceof Error) return { ...work, obs, plan: null, error: plan };
  const shape = (p: ClusterPlan) =>
    JSON.stringify(
      (p?.changes ?? []).map((c) => [c.kind, c.kind === 'delete-rule' ? c.rule.id : '']),
    );
  if (plan && plan.changes.length > 0 && shape(plan) !== shape(work.plan)) {
    return {
      ...work,
      obs,
      plan,
      error: new CloudError(
        'The security group changed while the plan was on screen; nothing was written.',
        {},
        'Run cce-harden again to see the current plan.',
      ),
    };
  }
  return { ...work, obs, plan };
}

const FORMAT_CHOICES: { value: ScriptFormat; name: string; description: string }[] = [
  {
    value: 'script',
    name: 'script        a shell script to run once as root on each node',
    description: 'Idempotent; the rules last until the node reboots.',
  },
  {
    value: 'rc-local',
    name: 'rc-local      applies the rules and keeps them in /etc/rc.local',
    description: "The hardening guide's way to keep the rules across reboots.",
  },
  {
    value: 'systemd',
    name: 'systemd       installs a oneshot unit that applies the rules at boot',
    description: 'For nodes where rc.local is not used.',
  },
  {
    value: 'post-install',
    name: "post-install  the block for a node pool's post-installation script",
    description: 'What the node pool install writes; for pasting in the console yourself.',
  },
];

/** Standard clusters: iptables on the nodes, through `iptables` (render and/or --install). */
async function hardenStandard(
  s: Session,
  region: string,
  seen: Seen,
  observed: ObservedRegion,
): Promise<number> {
  const { ctx } = s;
  const obs = seen.obs;
  sayFacts(s, seen);
  if (obs.kind !== 'standard') {
    s.say();
    s.say(renderText(buildRunReport(ctx, [seen.report]), { colors: s.colors }).trimEnd());
    return ExitCode.error;
  }
  const facts = obs.facts;
  const network = networkForContainerMode(facts.networkMode);
  s.say();
  s.say(
    `A standard cluster is hardened on its nodes: iptables rules that reject traffic from the container CIDRs to the API server${network ? ` (${network === 'vpc' ? 'VPC network: OUTPUT chain' : 'tunnel network: FORWARD chain'})` : ''}.`,
  );
  const poolsDone = seen.report.status === 'compliant';
  if (poolsDone) {
    s.say(
      s.colors.green(
        `${printable(seen.report.name)} is already hardened for new nodes: every node pool's post-install script carries the current block. Nothing to change there.`,
      ),
    );
  }
  s.say(
    s.colors.dim(
      'Existing nodes cannot be seen from the cloud side: they need the script run on them once.',
    ),
  );
  s.say();

  const script = await askScript(s, facts.name);
  const install = poolsDone
    ? false
    : await s.ask.confirm(
        "Also add the rules to the node pools' post-install scripts, so new nodes get them? (you will see the plan and confirm)",
        false,
      );
  const run = optionsFromAnswers({
    kind: 'standard',
    region,
    cluster: seen.report.id,
    script,
    install,
  });
  if (run.kind !== 'iptables') throw new Error('unreachable');
  if (!run.render && !run.install) {
    s.say('Nothing chosen; nothing was changed.');
    return ExitCode.ok;
  }
  // The script goes where the answer says; --out is not also the report's destination.
  const runCtx: CommandContext = {
    ...ctx,
    global: { ...ctx.global, region: run.region, out: undefined },
    output: { ...ctx.output, out: undefined },
  };
  let code: number = ExitCode.ok;
  // Both use what was observed above: the script from the cluster's facts, the install from
  // its pools (each pool is read fresh again right before its write).
  if (run.render) code = await renderModel(runCtx, run.render, obs.desired.model, facts.name);
  if (run.install && code === ExitCode.ok) {
    s.say();
    code = await installObserved(runCtx, run.install, obs, observed);
    sayHeldBackCancel(s);
  }
  if (code !== ExitCode.ok) return code;
  // The pools' block reaches new nodes only: existing ones show as open until the script ran there.
  if (run.install)
    return offerVerify(
      s,
      obs,
      observed,
      'on every node (the nodes that exist now, until the script ran on them, show as reachable)',
    );
  // Only the script: the nodes have not run it yet, so a probe now would only find them open.
  sayVerifyLater(s, facts, region, 'probe pods on every node', ' once the script ran on the nodes');
  return code;
}

async function askScript(s: Session, clusterName: string): Promise<ScriptAnswer | null> {
  const presetOut = s.ctx.global.out;
  const target = presetOut
    ? 'file'
    : await s.ask.select(
        'The iptables script for the nodes that exist now',
        [
          { value: 'file' as const, name: 'Write it to a file' },
          { value: 'stdout' as const, name: 'Print it here (stdout)' },
          { value: 'skip' as const, name: 'Skip' },
        ],
        'file',
      );
  if (target === 'skip') return null;
  const format = await s.ask.select('Format', FORMAT_CHOICES, 'script');
  if (target === 'stdout') return { target, format };
  let file = presetOut ? path.resolve(s.ctx.cwd, presetOut) : undefined;
  while (!file) {
    const answer = await s.ask.input('Write it to', defaultScriptPath(clusterName, format), (v) =>
      scriptPathProblem(path.resolve(s.ctx.cwd, v.trim())),
    );
    const candidate = path.resolve(s.ctx.cwd, answer.trim());
    if (
      !existsSync(candidate) ||
      (await s.ask.confirm(`${candidate} exists. Overwrite it?`, false))
    ) {
      file = candidate;
    }
  }
  return { target: 'file', format, path: file };
}

function scriptPathProblem(file: string): string | null {
  if (file.endsWith(path.sep)) return 'Enter a file name, not a directory.';
  try {
    if (statSync(file).isDirectory()) return `${file} is a directory; enter a file name.`;
  } catch {
    // Does not exist yet: fine, as long as its directory does.
  }
  try {
    if (!statSync(path.dirname(file)).isDirectory())
      return `${path.dirname(file)} is not a directory.`;
  } catch {
    return `The directory ${path.dirname(file)} does not exist.`;
  }
  return null;
}
