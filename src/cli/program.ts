import { Command } from 'commander';
import {
  attributeOf,
  flag,
  positiveInt,
  readFlags,
  type CommandDefinition,
  type FlagSpecs,
  type FlagValues,
} from './command.js';
import { applyCommand } from './commands/apply.js';
import { checkCommand } from './commands/check.js';
import { iptablesCommand } from './commands/iptables.js';
import { removeCommand } from './commands/remove.js';
import { sandboxCommand } from './commands/sandbox.js';
import { verifyCommand } from './commands/verify.js';
import { wizardCommand } from './commands/wizard.js';
import { OUTPUT_FORMATS } from './output.js';

/** Every command, in --help order. Each file declares its flags, typed options and handler. */
export const COMMANDS: readonly CommandDefinition[] = [
  checkCommand,
  applyCommand,
  removeCommand,
  iptablesCommand,
  verifyCommand,
  sandboxCommand,
  wizardCommand,
];

/** The flags every command accepts (the contract's global flags), in --help order. */

export const GLOBAL_FLAGS = {
  region: flag.string(
    '--region <id[,id...]>',
    'region id(s), e.g. cn-north-4 (default: HUAWEICLOUD_SDK_REGION)',
  ),
  projectId: flag.string(
    '--project-id <id|region=id,...>',
    'project id (default: HUAWEICLOUD_SDK_PROJECT_ID)',
  ),
  securityGroup: flag.string(
    '--security-group <id>',
    "the Turbo cluster's ENI security group, when its name cannot be matched",
  ),
  output: flag.choiceOr('--output <format>', 'result format on stdout', OUTPUT_FORMATS, 'text'),
  json: flag.boolean('--json', 'same as --output json'),
  out: flag.string('--out <file>', 'write the result to a file (atomically) instead of stdout'),
  force: flag.boolean('--force', 'replace an existing --out file without asking'),
  quiet: flag.boolean('-q, --quiet', 'print only problems'),
  sandbox: flag.boolean(
    '--sandbox',
    'run against the built-in sandbox cloud (state kept between runs)',
  ),
  debug: flag.boolean('--debug', 'log requests, retries and stack traces to stderr'),
  color: flag.boolean('--no-color', 'no colour in output'),
  concurrency: flag.numberOr(
    '--concurrency <n>',
    'parallel per-cluster API calls',
    positiveInt,
    8,
    { hidden: true },
  ),
} as const;

/** The global flags as given, typed (the output mode and colour are settled by config.ts). */
export type GlobalFlags = FlagValues<typeof GLOBAL_FLAGS>;

/** What the command line asked for: the command's definition, its flags and the global ones. */
export interface Invocation {
  command: CommandDefinition;
  /** commander's values for the command's own flags (typed by the definition's `bind`). */
  flags: Readonly<Record<string, unknown>>;
  global: GlobalFlags;
}

const EXIT_CODES_HELP = `
Exit codes:
  0    compliant, nothing to do, or done
  1    could not do its job (cloud, auth, network, not found)
  2    drift found (check) or changes pending (--dry-run)
  64   usage error (a flag or variable is missing or wrong)
  130  cancelled`;

const ENV_HELP = `
Environment (also read from ./.env; flags win):
  HUAWEICLOUD_SDK_AK, HUAWEICLOUD_SDK_SK      access key pair (or HW_ACCESS_KEY, HW_SECRET_KEY)
  HUAWEICLOUD_SDK_SECURITY_TOKEN              temporary credentials (or HW_SECURITY_TOKEN)
  HUAWEICLOUD_SDK_IDP_ID, HUAWEICLOUD_SDK_ID_TOKEN_FILE
                                              no keys: OIDC federation (identity provider id, ID token file)
  CCE_HARDEN_METADATA, CCE_HARDEN_METADATA_ENDPOINT
                                              neither: ECS agency via instance metadata (on|off; URL)
  HUAWEICLOUD_SDK_PROJECT_ID                  project id, or region=id,region=id (or HW_PROJECT_ID)
  HUAWEICLOUD_SDK_REGION                      region id(s), e.g. cn-north-4 (or HW_REGION_NAME)
  CCE_HARDEN_CCE_ENDPOINT, CCE_HARDEN_VPC_ENDPOINT, CCE_HARDEN_IAM_ENDPOINT
                                              endpoint overrides (private clouds, the sandbox)
  CCE_HARDEN_PROJECT_LOOKUP                   iam (default): look missing project ids up read-only; off
  CCE_HARDEN_TIMEOUT_MS                       deadline of one whole call, answer included (default 15000);
                                              one call with its retries ends within 4 of them
  CCE_HARDEN_RETRY_BASE_MS                    first retry delay, doubled each time (default 300)
  NO_COLOR                                    no colour`;

/** Adds a set of flags to a commander command, in declaration order. */
function addFlags(command: Command, flags: FlagSpecs): void {
  for (const [key, f] of Object.entries(flags)) {
    // The key is the name the typed values use; commander stores the value under the attribute.
    if (attributeOf(f) !== key)
      throw new Error(`flag ${f.flags} must be declared as ${attributeOf(f)}`);
    command.addOption(f.option());
  }
}

/** The global flags as given (also after a parse error, for the output mode of the error). */
export function globalFlagsOf(program: Command): GlobalFlags {
  return readFlags(GLOBAL_FLAGS, program.opts());
}

/**
 * Builds the commander program from the command definitions (cli/commands/). `onInvoke`
 * receives what was asked; nothing runs at parse time.
 */
export function buildProgram(version: string, onInvoke: (inv: Invocation) => void): Command {
  const program = new Command('cce-harden');
  program
    .description(
      'Keeps pods in Huawei Cloud CCE clusters from reaching the kube-apiserver, as the CCE hardening guide asks:\n' +
        'a deny rule on the ENI security group of CCE Turbo clusters, iptables rules on the nodes of standard clusters.\n' +
        'Run it without a command in a terminal for the interactive wizard.',
    )
    .version(version, '--version', 'print the version')
    .helpOption('-h, --help', 'show help');
  addFlags(program, GLOBAL_FLAGS);
  program
    .showSuggestionAfterError()
    // Subcommand help lists the global flags too (inherited by commands added below).
    .configureHelp({ showGlobalOptions: true })
    .addHelpText('after', `${ENV_HELP}\n${EXIT_CODES_HELP}`);

  for (const definition of COMMANDS) {
    const command = program.command(definition.name).description(definition.description);
    addFlags(command, definition.flags);
    if (definition.help) command.addHelpText('after', definition.help);
    command.action(function (this: Command) {
      onInvoke({ command: definition, flags: this.opts(), global: globalFlagsOf(program) });
    });
  }

  // No command: nothing is invoked and main decides (the wizard in a terminal, help and exit 64
  // otherwise). Without a root action commander would print help and exit 0 itself. Set last, so
  // the subcommands keep rejecting excess arguments; a word that names no command is still an
  // unknown command, with a suggestion.
  program.allowExcessArguments().action(function (this: Command) {
    if (this.args.length > 0) (this as unknown as { unknownCommand(): never }).unknownCommand();
  });

  return program;
}
