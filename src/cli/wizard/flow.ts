/**
 * The wizard: asks only what flags left open, turns the answers into the options `apply` and
 * `iptables` take (answers.ts), and hands over to runChange / runIptables. Planning, the plan
 * display, confirmation, applying and verifying all happen there, exactly as in a script.
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { NotFoundError, UsageError } from '../../core/errors.js';
import { ExitCode } from '../../core/exit-codes.js';
import type { Observation } from '../../core/harden.js';
import { networkForContainerMode } from '../../core/iptables.js';
import { matchEniGroups } from '../../core/security-group.js';
import type { SecurityGroup } from '../../core/types.js';
import { makeColors, printable, type Colors } from '../../render/colors.js';
import { renderText } from '../../render/text.js';
import { observeRegions, buildReport, runChange, type RegionResult } from '../commands/harden.js';
import { runIptables } from '../commands/iptables.js';
import type { CommandContext } from '../context.js';
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
      ask: createAsk(ctx.io, guard, ctx.output.color),
      guard,
      colors,
      say: (text = '') => ctx.io.stderr.write(`${text}\n`),
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

/** Credentials first: no question is worth answering if the first cloud call cannot be made. */
async function preflight(s: Session, flags: WizardFlags): Promise<number> {
  const { ctx } = s;
  if (ctx.global.sandbox) return askAndRun(s, flags);
  const missing = missingSettings(ctx.env, ctx.global);
  if (missing.credentials.length === 0) {
    if (missing.region) {
      s.say(
        `No region is set; you will be asked for one. To skip that next time, add to ${path.join(ctx.io.cwd, '.env')}:`,
      );
      s.say(envInstructions([missing.region]).join('\n'));
      s.say();
    }
    return askAndRun(s, flags);
  }
  const all = [...missing.credentials, ...(missing.region ? [missing.region] : [])];
  s.say(
    `cce-harden needs Huawei Cloud credentials to read your clusters. Set these in ${path.join(ctx.io.cwd, '.env')} (or the environment):`,
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
  const { runInSandbox } = await import('../commands/sandbox.js');
  return runInSandbox({ ...ctx, global: { ...ctx.global, sandbox: true } }, (sandboxCtx) =>
    askAndRun({ ...s, ctx: sandboxCtx }, flags),
  );
}

async function askRegion(s: Session): Promise<string> {
  const { regions, fromFlag } = regionCandidates(s.ctx.global.region, s.ctx.env);
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
  const listCtx: CommandContext = flags.cluster
    ? ctx
    : { ...ctx, global: { ...ctx.global, securityGroup: undefined } };
  const { results } = await observeRegions(
    listCtx,
    {
      clusters: flags.cluster ? [flags.cluster] : [],
      all: !flags.cluster,
      dryRun: false,
      yes: false,
    },
    { withAddons: false },
  );
  const regionResult = results[0];
  const observations = regionResult?.observations ?? [];
  if (!regionResult || observations.length === 0) {
    throw new NotFoundError(
      `No CCE clusters in region ${region} for this project.`,
      'Check the region and HUAWEICLOUD_SDK_PROJECT_ID (project ids are per region).',
    );
  }

  const obs = await chooseCluster(s, observations, flags);
  if (!obs.facts) {
    // Only a named cluster that does not exist gets here: say why, as `check` would.
    s.say(renderText(buildReport(ctx, [obs.report]), { colors: s.colors }).trimEnd());
    return ExitCode.error;
  }
  return obs.facts.isTurbo
    ? hardenTurbo(s, region, obs, regionResult)
    : hardenStandard(s, region, obs);
}

async function chooseCluster(
  s: Session,
  observations: Observation[],
  flags: WizardFlags,
): Promise<Observation> {
  const only = observations[0];
  if (flags.cluster && only) return only;
  const reports = observations.map((o) => o.report);
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
  const chosen = observations.find((o) => o.report.id === id);
  if (!chosen) throw new NotFoundError(`Cluster ${id} is no longer in the list.`);
  return chosen;
}

function field(s: Session, label: string, value: string): void {
  s.say(`  ${s.colors.dim(label.padEnd(17))}${value}`);
}

function sayFacts(s: Session, obs: Observation): void {
  const r = obs.report;
  const facts = obs.facts;
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
    field(s, 'Node pools', String(obs.pools.length));
  }
}

function sayVerify(
  s: Session,
  apiServer: { ip: string; port: number } | null,
  where: string,
): void {
  if (!apiServer) return;
  s.say();
  s.say(s.colors.bold('Verify from a pod') + ` ${where}: this must fail (time out or be refused):`);
  s.say(`  ${verifyFromPodCommand(apiServer)}`);
  s.say(
    s.colors.dim(
      `  or: kubectl apply -f ${new URL('verify-pod.yaml', TEMPLATES_DIR).pathname} (set the address in it first)`,
    ),
  );
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

/** Turbo: the deny rule on the ENI group, through `apply`. */
async function hardenTurbo(
  s: Session,
  region: string,
  obs: Observation,
  regionResult: RegionResult,
): Promise<number> {
  let securityGroupId = s.ctx.global.securityGroup;
  if (obs.report.error && !securityGroupId) {
    const matches = await s.guard.interruptible(() => listEniGroups(regionResult, obs.report.name));
    if (matches.length > 1) {
      sayFacts(s, obs);
      s.say();
      s.say(
        `Several security groups are named ${printable(obs.report.name)}-cce-eni-<id>; one may be left over from a deleted cluster of the same name.`,
      );
      securityGroupId = await s.ask.select(
        'Which is the ENI group of this cluster? (Network > the cluster > ENI security group in the console)',
        matches.map((g) => ({
          value: g.id,
          name: `${printable(g.name)}  ${printable(g.id)}`,
          ...(g.description ? { description: printable(g.description) } : {}),
        })),
      );
    }
  }
  if (obs.report.error && !securityGroupId) {
    s.say(renderText(buildReport(s.ctx, [obs.report]), { colors: s.colors }).trimEnd());
    return ExitCode.error;
  }
  if (!obs.report.error) {
    sayFacts(s, obs);
    s.say();
    if (obs.report.status === 'compliant') {
      s.say(
        s.colors.green(
          `${printable(obs.report.name)} is already hardened: the deny rule is in place. Nothing to change.`,
        ),
      );
    } else {
      s.say(
        'The plan and the pre-flight warnings follow. Read them: the rule cuts every pod bound to this group off the API server.',
      );
    }
  }

  const run = optionsFromAnswers({
    kind: 'turbo',
    region,
    cluster: obs.report.id,
    securityGroupId,
  });
  if (run.kind !== 'harden') throw new Error('unreachable');
  const ctx: CommandContext = {
    ...s.ctx,
    global: { ...s.ctx.global, region: run.region, securityGroup: run.securityGroupId },
  };
  const code = await runChange(ctx, 'apply', run.options);
  sayHeldBackCancel(s);
  if (code === ExitCode.ok)
    sayVerify(s, obs.report.apiServer, 'bound to the ENI group (any pod on container networking)');
  return code;
}

async function listEniGroups(
  regionResult: RegionResult,
  clusterName: string,
): Promise<SecurityGroup[]> {
  const groups = await regionResult.session.deps.vpc.listSecurityGroups();
  return matchEniGroups(groups, clusterName);
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
async function hardenStandard(s: Session, region: string, obs: Observation): Promise<number> {
  const { ctx } = s;
  const facts = obs.facts;
  sayFacts(s, obs);
  if (!facts || obs.report.error) {
    s.say();
    s.say(renderText(buildReport(ctx, [obs.report]), { colors: s.colors }).trimEnd());
    return ExitCode.error;
  }
  const network = networkForContainerMode(facts.networkMode);
  s.say();
  s.say(
    `A standard cluster is hardened on its nodes: iptables rules that reject traffic from the container CIDRs to the API server${network ? ` (${network === 'vpc' ? 'VPC network: OUTPUT chain' : 'tunnel network: FORWARD chain'})` : ''}.`,
  );
  const poolsDone = obs.report.status === 'compliant';
  if (poolsDone) {
    s.say(
      s.colors.green(
        `${printable(obs.report.name)} is already hardened for new nodes: every node pool's post-install script carries the current block. Nothing to change there.`,
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
    cluster: obs.report.id,
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
  if (run.render) code = await runIptables(runCtx, run.render);
  if (run.install && code === ExitCode.ok) {
    s.say();
    code = await runIptables(runCtx, run.install);
    sayHeldBackCancel(s);
  }
  if (code === ExitCode.ok) {
    sayVerify(
      s,
      obs.report.apiServer,
      run.render
        ? 'on a node after running the script there'
        : 'on a node added to the pool from now on',
    );
  }
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
  let file = presetOut ? path.resolve(s.ctx.io.cwd, presetOut) : undefined;
  while (!file) {
    const answer = await s.ask.input('Write it to', defaultScriptPath(clusterName, format), (v) =>
      scriptPathProblem(path.resolve(s.ctx.io.cwd, v.trim())),
    );
    const candidate = path.resolve(s.ctx.io.cwd, answer.trim());
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
