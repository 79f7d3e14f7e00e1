import { createRequire } from 'node:module';
import { CommanderError } from 'commander';
import { ExitCode } from './core/exit-codes.js';
import { isCceHardenError, UsageError } from './core/errors.js';
import { toReportError } from './core/report-error.js';
import { DEFAULT_PROBE_IMAGE } from './core/verify/probe.js';
import { renderJson } from './render/json.js';
import { loadConfig, loadEnv, outputFormatOf, type GlobalFlags } from './cli/config.js';
import { onCredentialsIssued } from './cloud/credentials.js';
import { makeRedactor, stripControl } from './core/text-safety.js';
import type { CommandContext, GlobalOptions } from './cli/context.js';
import type { OutputFormat } from './cli/output.js';
import { processIo, type Io } from './cli/io.js';
import { buildProgram, type Invocation } from './cli/program.js';
import { createUi, redactingIo } from './cli/ui.js';

const require = createRequire(import.meta.url);
export const VERSION = (require('../package.json') as { version: string }).version;

/** Entry point: argv in, exit code out. The one place that wires things together. */
export async function run(argv: readonly string[], io: Io = processIo()): Promise<number> {
  const startedAtMs = Date.now();
  let invocation: Invocation | undefined;
  const program = buildProgram(VERSION, (inv) => {
    invocation = inv;
  });
  // Subcommands do not inherit these settings from the program once added: set them on each.
  for (const cmd of [program, ...program.commands]) {
    cmd.exitOverride();
    cmd.configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    });
  }
  const wantsJson =
    argv.includes('--json') || /(^|\s)--output(=|\s)json(\s|$)/.test(argv.join(' '));

  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version')
        return ExitCode.ok;
      if (err.code === 'commander.help') return ExitCode.ok;
      if (wantsJson)
        writeErrorDocument(
          io,
          guessCommand(argv),
          new UsageError(err.message.replace(/^error: /, '')),
        );
      return ExitCode.usage;
    }
    throw err;
  }

  if (!invocation) {
    // No command: the wizard in a terminal; help (and a usage exit) for scripts.
    if (io.stdin.isTTY && io.stderr.isTTY) {
      invocation = { command: 'wizard', global: program.opts() as GlobalOptions, options: {} };
    } else {
      io.stderr.write(program.helpInformation());
      io.stderr.write('\nNo command given and no terminal to ask questions on: pass a command.\n');
      return ExitCode.usage;
    }
  }
  const inv = invocation;
  const flags = inv.global as unknown as GlobalFlags;
  let global: GlobalOptions = { ...inv.global, output: outputFormatOf(flags), color: false };
  let safeIo = io;
  let stopRedacting = (): void => {};
  try {
    const config = loadConfig(flags, loadEnv(io.env, io.cwd), {
      stderrIsTTY: Boolean(io.stderr.isTTY),
    });
    global = config.global;
    const format = global.output as OutputFormat;
    // Credential values never reach stdout, stderr or a file, whatever text carries them.
    const redact = makeRedactor([...config.secrets]);
    stopRedacting = onCredentialsIssued((c) => redact.add(c.ak, c.sk, c.securityToken));
    safeIo = redactingIo(io, redact);
    const ui = createUi(safeIo, {
      spinners: format === 'text' && global.color,
      debug: Boolean(global.debug),
      quietLogs: Boolean(global.quiet) || format !== 'text',
    });
    const ctx: CommandContext = {
      io: safeIo,
      config,
      global,
      ui,
      command: inv.command,
      output: {
        format,
        color: global.color,
        quiet: Boolean(global.quiet),
        out: global.out,
        force: Boolean(global.force),
        confirmReplace: ui.interactive ? (q) => ui.confirm(q, false) : undefined,
        redact,
        startedAtMs,
      },
    };
    if (global.sandbox && inv.command !== 'sandbox') {
      const { runInSandbox } = await import('./cli/commands/sandbox.js');
      return await runInSandbox(ctx, (sandboxCtx) => dispatch(sandboxCtx, inv));
    }
    return await dispatch(ctx, inv);
  } catch (err) {
    return reportFailure(safeIo, inv.command, global, err);
  } finally {
    stopRedacting();
  }
}

async function dispatch(ctx: CommandContext, inv: Invocation): Promise<number> {
  const o = inv.options;
  const hardenOpts = () => ({
    clusters: (o.cluster as string[] | undefined) ?? [],
    all: Boolean(o.all),
    dryRun: Boolean(o.dryRun),
    yes: Boolean(o.yes),
  });
  switch (inv.command) {
    case 'check': {
      const { runCheck } = await import('./cli/commands/harden.js');
      return runCheck(ctx, hardenOpts());
    }
    case 'apply':
    case 'remove': {
      const { runChange } = await import('./cli/commands/harden.js');
      return runChange(ctx, inv.command, hardenOpts());
    }
    case 'iptables': {
      const { runIptables } = await import('./cli/commands/iptables.js');
      return runIptables(ctx, {
        cluster: o.cluster as string | undefined,
        apiServer: o.apiServer as string | undefined,
        containerCidrs: (o.containerCidr as string[] | undefined) ?? [],
        network: o.network as string | undefined,
        format: (o.format as string | undefined) ?? 'script',
        portOnly: Boolean(o.portOnly),
        ports: o.port as string[] | undefined,
        install: Boolean(o.install),
        nodepools: (o.nodepool as string[] | undefined) ?? [],
        dryRun: Boolean(o.dryRun),
        yes: Boolean(o.yes),
        out: ctx.global.out,
      });
    }
    case 'verify': {
      const { runVerify } = await import('./cli/commands/verify.js');
      return runVerify(ctx, {
        clusters: (o.cluster as string[] | undefined) ?? [],
        all: Boolean(o.all),
        kubeconfig: o.kubeconfig as string | undefined,
        context: o.context as string | undefined,
        endpoint: (o.endpoint as string | undefined) ?? 'internal',
        nodes: (o.nodes as string | undefined) ?? 'pool',
        metadata: Boolean(o.metadata),
        image: (o.image as string | undefined) ?? DEFAULT_PROBE_IMAGE,
        cleanup: Boolean(o.cleanup),
        timeout: (o.timeout as number | undefined) ?? 120,
      });
    }
    case 'sandbox': {
      const { runSandboxCommand } = await import('./cli/commands/sandbox.js');
      return runSandboxCommand(ctx, {
        port: o.port as number | undefined,
        reset: Boolean(o.reset),
      });
    }
    case 'wizard': {
      const { runWizard } = await import('./cli/commands/wizard.js');
      return runWizard(ctx, { cluster: o.cluster as string | undefined });
    }
    default:
      throw new UsageError(`Unknown command "${inv.command}".`);
  }
}

function guessCommand(argv: readonly string[]): string {
  return argv.find((a) => !a.startsWith('-')) ?? 'wizard';
}

function writeErrorDocument(io: Io, command: string, err: unknown): void {
  io.stdout.write(
    renderJson({
      schemaVersion: 1,
      command,
      status: 'error',
      clusters: [],
      error: toReportError(err),
    }),
  );
}

/** A known error: one message and a hint. Anything else is a bug: one line, stack under --debug. */
function reportFailure(io: Io, command: string, global: GlobalOptions, err: unknown): number {
  if (global.output === 'json') writeErrorDocument(io, command, err);
  // Messages may quote the cloud: control sequences are stripped before they reach a terminal.
  if (isCceHardenError(err)) {
    io.stderr.write(`cce-harden: ${stripControl(err.message, { keepLines: true })}\n`);
    if (err.hint) io.stderr.write(`  ${stripControl(err.hint, { keepLines: true })}\n`);
    if (global.debug && err.stack) io.stderr.write(`${err.stack}\n`);
    return err.exitCode;
  }
  const message = err instanceof Error ? err.message : String(err);
  io.stderr.write(`cce-harden: unexpected error: ${stripControl(message, { keepLines: true })}\n`);
  if (global.debug && err instanceof Error && err.stack) io.stderr.write(`${err.stack}\n`);
  else io.stderr.write('  Run again with --debug for details, and report it if it persists.\n');
  return ExitCode.error;
}
