import { createRequire } from 'node:module';
import { CommanderError } from 'commander';
import { ExitCode } from './core/exit-codes.js';
import { isCceHardenError, UsageError } from './core/errors.js';
import { toReportError } from './core/report-error.js';
import { loadConfig, loadEnv, outputFormatOf } from './cli/config.js';
import { onCredentialsIssued } from './cloud/credentials.js';
import { makeRedactor, stripControl } from './core/text-safety.js';
import { wizardCommand } from './cli/commands/wizard.js';
import type { CommandContext } from './cli/context.js';
import { processIo, type Io } from './cli/io.js';
import { createResultSink, type OutputFormat, type ResultSink } from './cli/output.js';
import { buildProgram, globalFlagsOf, type Invocation } from './cli/program.js';
import { createUi, redactingIo, type Ui } from './cli/ui.js';

const require = createRequire(import.meta.url);
export const VERSION = (require('../package.json') as { version: string }).version;

/** The sinks before the configuration is known: plain results on stdout, messages on stderr. */
function earlySinks(io: Io): { out: ResultSink; ui: Ui } {
  return {
    out: createResultSink(io.stdout, {
      format: 'text',
      color: false,
      quiet: false,
      startedAtMs: Date.now(),
    }),
    ui: createUi(io, { spinners: false, debug: false, quietLogs: true }),
  };
}

/** Entry point: argv in, exit code out. The one place that wires things together. */
export async function run(argv: readonly string[], io: Io = processIo()): Promise<number> {
  const startedAtMs = Date.now();
  let sinks = earlySinks(io);
  let invocation: Invocation | undefined;
  let dispatched: string | undefined;
  const program = buildProgram(VERSION, (inv) => {
    invocation = inv;
  });
  program.hook('preSubcommand', (_program, sub) => {
    dispatched = sub.name();
  });
  // Subcommands do not inherit these settings from the program once added: set them on each.
  // Help and version are results (stdout); parse errors are messages (stderr).
  for (const cmd of [program, ...program.commands]) {
    cmd.exitOverride();
    cmd.configureOutput({
      writeOut: (s) => void sinks.out.text(s),
      writeErr: (s) => sinks.ui.say(s.replace(/\n$/, '')),
    });
  }

  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version')
        return ExitCode.ok;
      if (err.code === 'commander.help') return ExitCode.ok;
      // The output mode from the global flags commander read before the error.
      if (outputFormatOf(globalFlagsOf(program)) === 'json')
        await writeErrorDocument(
          sinks.out,
          dispatched ?? program.args[0] ?? 'wizard',
          new UsageError(err.message.replace(/^error: /, '')),
        );
      return ExitCode.usage;
    }
    throw err;
  }

  if (!invocation) {
    // No command: the wizard in a terminal; help (and a usage exit) for scripts.
    if (io.stdin.isTTY && io.stderr.isTTY) {
      invocation = { command: wizardCommand, flags: {}, global: globalFlagsOf(program) };
    } else {
      sinks.ui.say(program.helpInformation().replace(/\n$/, ''));
      sinks.ui.say('\nNo command given and no terminal to ask questions on: pass a command.');
      return ExitCode.usage;
    }
  }
  const inv = invocation;
  let format: OutputFormat = outputFormatOf(inv.global);
  let debug = inv.global.debug;
  let stopRedacting = (): void => {};
  try {
    const config = loadConfig(inv, loadEnv(io.env, io.cwd), {
      stderrIsTTY: Boolean(io.stderr.isTTY),
    });
    const global = config.global;
    format = global.output as OutputFormat;
    debug = Boolean(global.debug);
    // Credential values never reach stdout, stderr or a file, whatever text carries them.
    const redact = makeRedactor([...config.secrets]);
    stopRedacting = onCredentialsIssued((c) => redact.add(c.ak, c.sk, c.securityToken));
    const safeIo = redactingIo(io, redact);
    const ui = createUi(safeIo, {
      spinners: format === 'text' && global.color,
      debug,
      quietLogs: Boolean(global.quiet) || format !== 'text',
    });
    const output = {
      format,
      color: global.color,
      quiet: Boolean(global.quiet),
      out: global.out,
      force: Boolean(global.force),
      confirmReplace: ui.interactive ? (q: string) => ui.confirm(q, false) : undefined,
      redact,
      startedAtMs,
    };
    sinks = { ui, out: createResultSink(safeIo.stdout, output) };
    const ctx: CommandContext = {
      cwd: io.cwd,
      config,
      global,
      ui,
      out: sinks.out,
      output,
      command: config.command.name,
    };
    if (global.sandbox && config.command.name !== 'sandbox') {
      const { runInSandbox } = await import('./cli/sandbox-mode.js');
      return await runInSandbox(ctx, (sandboxCtx) => config.command.run(sandboxCtx));
    }
    return await config.command.run(ctx);
  } catch (err) {
    return reportFailure(sinks, inv.command.name, { json: format === 'json', debug }, err);
  } finally {
    stopRedacting();
  }
}

async function writeErrorDocument(out: ResultSink, command: string, err: unknown): Promise<void> {
  await out.document({
    schemaVersion: 1,
    command,
    status: 'error',
    clusters: [],
    error: toReportError(err),
  });
}

/** A known error: one message and a hint. Anything else is a bug: one line, stack under --debug. */
async function reportFailure(
  sinks: { out: ResultSink; ui: Ui },
  command: string,
  mode: { json: boolean; debug: boolean },
  err: unknown,
): Promise<number> {
  if (mode.json) await writeErrorDocument(sinks.out, command, err);
  const { ui } = sinks;
  // Messages may quote the cloud: the message sink strips control sequences.
  if (isCceHardenError(err)) {
    ui.problem(`cce-harden: ${err.message}`);
    if (err.hint) ui.problem(`  ${err.hint}`);
    if (mode.debug && err.stack) ui.problem(err.stack);
    return err.exitCode;
  }
  const message = err instanceof Error ? err.message : String(err);
  ui.problem(`cce-harden: unexpected error: ${stripControl(message, { keepLines: true })}`);
  if (mode.debug && err instanceof Error && err.stack) ui.problem(err.stack);
  else ui.problem('  Run again with --debug for details, and report it if it persists.');
  return ExitCode.error;
}
