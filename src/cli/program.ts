import { Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_PROBE_IMAGE } from '../core/verify/probe.js';
import type { GlobalOptions } from './context.js';
import { OUTPUT_FORMATS } from './output.js';

/** What the command line asked for; main dispatches it (inside the sandbox under --sandbox). */
export interface Invocation {
  command: string;
  global: GlobalOptions;
  options: Record<string, unknown>;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError('expected a port 0-65535');
  return n;
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

/** Builds the commander program. `onInvoke` receives what was asked; nothing runs at parse time. */
export function buildProgram(version: string, onInvoke: (inv: Invocation) => void): Command {
  const program = new Command('cce-harden');
  program
    .description(
      'Keeps pods in Huawei Cloud CCE clusters from reaching the kube-apiserver, as the CCE hardening guide asks:\n' +
        'a deny rule on the ENI security group of CCE Turbo clusters, iptables rules on the nodes of standard clusters.\n' +
        'Run it without a command in a terminal for the interactive wizard.',
    )
    .version(version, '--version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .option(
      '--region <id[,id...]>',
      'region id(s), e.g. cn-north-4 (default: HUAWEICLOUD_SDK_REGION)',
    )
    .option('--project-id <id|region=id,...>', 'project id (default: HUAWEICLOUD_SDK_PROJECT_ID)')
    .option(
      '--security-group <id>',
      "the Turbo cluster's ENI security group, when its name cannot be matched",
    )
    .addOption(
      new Option('--output <format>', 'result format on stdout')
        .choices([...OUTPUT_FORMATS])
        .default('text'),
    )
    .option('--json', 'same as --output json')
    .option('--out <file>', 'write the result to a file (atomically) instead of stdout')
    .option('--force', 'replace an existing --out file without asking')
    .option('-q, --quiet', 'print only problems')
    .option('--sandbox', 'run against the built-in sandbox cloud (state kept between runs)')
    .option('--debug', 'log requests, retries and stack traces to stderr')
    .option('--no-color', 'no colour in output')
    .addOption(
      new Option('--concurrency <n>', 'parallel per-cluster API calls')
        .argParser(positiveInt)
        .default(8)
        .hideHelp(),
    )
    .showSuggestionAfterError()
    // Subcommand help lists the global flags too (inherited by commands added below).
    .configureHelp({ showGlobalOptions: true })
    .addHelpText('after', `${ENV_HELP}\n${EXIT_CODES_HELP}`);

  const invoke = (command: string) =>
    function (this: Command) {
      onInvoke({ command, global: this.optsWithGlobals() as GlobalOptions, options: this.opts() });
    };

  program
    .command('check')
    .description(
      'read-only drift check: is the deny rule (Turbo) or the iptables block (standard) in place?',
    )
    .option('--cluster <name|id>', 'cluster to check (repeatable)', collect)
    .option('--all', 'every cluster of every --region')
    .option(
      '--port <n>',
      'TCP port the deny rule covers (repeatable; one rule lists them all; default: the internal endpoint port)',
      collect,
    )
    .addHelpText(
      'after',
      `\nExamples:\n  cce-harden check --cluster prod-turbo\n  cce-harden check --cluster prod-turbo --json   # for scripts: exit 0 compliant, 2 drift, 1 error\n  cce-harden check --all --region cn-north-4,ap-southeast-1 --output prometheus --out /var/lib/node_exporter/textfile/cce_harden.prom`,
    )
    .action(invoke('check'));

  program
    .command('apply')
    .description('add the deny rule to the Turbo cluster ENI security group if it is missing')
    .option('--cluster <name|id>', 'cluster to harden (repeatable)', collect)
    .option('--all', 'every cluster of every --region')
    .option(
      '--port <n>',
      'TCP port the deny rule covers (repeatable; one rule lists them all; default: the internal endpoint port)',
      collect,
    )
    .option(
      '--dry-run',
      'show the plan and exit 2 if there is something to do; no write request at all',
    )
    .option('-y, --yes', 'apply without asking (required when there is no terminal)')
    .addHelpText(
      'after',
      `\nSteps: read the cluster, find <cluster>-cce-eni-<id>, compare its rules by meaning, show the plan,\nconfirm, create the rule, re-read and verify. A second run changes nothing.\n\nExamples:\n  cce-harden apply --cluster prod-turbo --dry-run\n  cce-harden apply --cluster prod-turbo --yes\n  cce-harden apply --cluster prod-turbo --port 5443 --port 5444 --yes`,
    )
    .action(invoke('apply'));

  program
    .command('remove')
    .description('delete the deny rule that cce-harden created (never a rule it did not create)')
    .option('--cluster <name|id>', 'cluster (repeatable)', collect)
    .option(
      '--port <n>',
      'remove the rules cce-harden created for these ports only (repeatable; default: the internal endpoint port)',
      collect,
    )
    .option('--dry-run', 'show what would be deleted; no write request at all')
    .option('-y, --yes', 'delete without asking (required when there is no terminal)')
    .action(invoke('remove'));

  program
    .command('iptables')
    .description(
      'CCE standard clusters: render the iptables rules that keep pods from the API server, or install them in node pools',
    )
    .option(
      '--cluster <name|id>',
      'read the API server, container CIDRs and network mode from the CCE API',
    )
    .option(
      '--api-server <ip[:port]>',
      'offline: the internal API server address (port defaults to 5443)',
    )
    .option('--container-cidr <cidr>', 'offline: a container CIDR (repeatable)', collect)
    .addOption(
      new Option(
        '--network <mode>',
        'offline: vpc (VPC network, OUTPUT chain) or tunnel (container tunnel, FORWARD chain)',
      ).choices(['vpc', 'tunnel']),
    )
    .addOption(
      new Option('--format <format>', 'what to render')
        .choices(['script', 'rc-local', 'systemd', 'post-install'])
        .default('script'),
    )
    .option(
      '--port-only',
      'block only TCP to the API server port (default: all traffic to the API server IP, as the guide does)',
    )
    .option(
      '--port <n>',
      'with --port-only: a TCP port to deny (repeatable; default: the internal endpoint port)',
      collect,
    )
    .option(
      '--install',
      "add the block to the node pools' post-installation scripts, so new nodes get the rules",
    )
    .option('--nodepool <name>', 'with --install: only this node pool (repeatable)', collect)
    .option('--dry-run', 'with --install: show the plan; no write request at all')
    .option(
      '-y, --yes',
      'with --install: update without asking (required when there is no terminal)',
    )
    .addHelpText(
      'after',
      `\nFormats:\n  script        POSIX sh, idempotent (insert only when iptables -C says absent; removes stale cce-harden rules), run as root on a node\n  rc-local      applies the rules and keeps the block in /etc/rc.local, enables rc-local.service (the guide's persistence; docs/iptables.md)\n  systemd       installs a oneshot unit that applies the rules at boot\n  post-install  the block for a node pool's post-installation script (what --install writes)\n\nExamples:\n  cce-harden iptables --cluster demo-vpc --format script --out harden.sh\n  cce-harden iptables --api-server 192.168.0.10 --container-cidr 10.0.0.0/16 --network vpc\n  cce-harden iptables --cluster demo-vpc --install --dry-run\n  cce-harden iptables --cluster demo-vpc --port-only --port 5443 --port 5444`,
    )
    .action(invoke('iptables'));

  program
    .command('verify')
    .description(
      'prove from inside the cluster that pods cannot reach the API server: probe pods on each node pool (Turbo) or node (standard)',
    )
    .option('--cluster <name|id>', 'cluster to verify (repeatable)', collect)
    .option('--all', 'every cluster of every --region')
    .option(
      '--kubeconfig <file>',
      'use this kubeconfig (default: KUBECONFIG, else a short-lived one CCE issues, kept in memory only)',
    )
    .option('--context <name>', 'context of the --kubeconfig file')
    .addOption(
      new Option('--endpoint <which>', 'API address of the CCE-issued kubeconfig')
        .choices(['internal', 'external'])
        .default('internal'),
    )
    .addOption(
      new Option(
        '--nodes <which>',
        'all: one probe per node (standard clusters always probe every node)',
      )
        .choices(['all', 'pool'])
        .default('pool'),
    )
    .option('--metadata', 'also probe the metadata service 169.254.169.254:80')
    .option(
      '--image <ref>',
      'probe image with sh and curl (mirror it to SWR for clusters without internet)',
      DEFAULT_PROBE_IMAGE,
    )
    .option('--cleanup', 'only delete probe pods an interrupted run left behind')
    .option('--timeout <seconds>', 'how long the probe pods get to finish', positiveInt, 120)
    .addHelpText(
      'after',
      `\nExit codes: 0 every probe blocked, 2 a pod reached the API server, 1 could not verify.\nNeeds the RBAC in templates/verify-rbac.yaml (see docs/verify.md); deletes every pod it creates.\n\nExamples:\n  cce-harden verify --cluster prod-turbo\n  cce-harden verify --cluster prod-vpc --endpoint external --json\n  cce-harden verify --cluster prod-turbo --kubeconfig ~/.kube/prod --context admin\n  cce-harden verify --cluster prod-turbo --cleanup`,
    )
    .action(invoke('verify'));

  program
    .command('sandbox')
    .description(
      'run the built-in CCE + VPC emulator in the foreground and print the variables that point cce-harden (or any SDK program) at it',
    )
    .option('--port <n>', 'port to listen on (default: a free one)', port)
    .option('--reset', 'restore the demo world in the --sandbox state file and exit')
    .action(invoke('sandbox'));

  program
    .command('wizard', { hidden: false })
    .description('the interactive wizard (also what `cce-harden` alone starts in a terminal)')
    .option('--cluster <name|id>', 'skip the cluster question')
    .action(invoke('wizard'));

  // No command: nothing is invoked and main decides (the wizard in a terminal, help and exit 64
  // otherwise). Without a root action commander would print help and exit 0 itself. Set last, so
  // the subcommands keep rejecting excess arguments; a word that names no command is still an
  // unknown command, with a suggestion.
  program.allowExcessArguments().action(function (this: Command) {
    if (this.args.length > 0) (this as unknown as { unknownCommand(): never }).unknownCommand();
  });

  return program;
}
