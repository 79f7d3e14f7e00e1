import { IPTABLES_FORMATS } from '../../render/iptables.js';
import { defineCommand, flag } from '../command.js';
import type { IptablesOptions } from '../iptables-run.js';

/** --network: VPC network (OUTPUT chain) or container tunnel (FORWARD chain). */
const IPTABLES_NETWORKS = ['vpc', 'tunnel'] as const;

export const iptablesCommand = defineCommand({
  name: 'iptables',
  description:
    'CCE standard clusters: render the iptables rules that keep pods from the API server, or install them in node pools',
  flags: {
    cluster: flag.string(
      '--cluster <name|id>',
      'read the API server, container CIDRs and network mode from the CCE API',
    ),
    apiServer: flag.string(
      '--api-server <ip[:port]>',
      'offline: the internal API server address (port defaults to 5443)',
    ),
    containerCidr: flag.list('--container-cidr <cidr>', 'offline: a container CIDR (repeatable)'),
    network: flag.choice(
      '--network <mode>',
      'offline: vpc (VPC network, OUTPUT chain) or tunnel (container tunnel, FORWARD chain)',
      IPTABLES_NETWORKS,
    ),
    format: flag.choiceOr('--format <format>', 'what to render', IPTABLES_FORMATS, 'script'),
    portOnly: flag.boolean(
      '--port-only',
      'block only TCP to the API server port (default: all traffic to the API server IP, as the guide does)',
    ),
    port: flag.list(
      '--port <n>',
      'with --port-only: a TCP port to deny (repeatable; default: the internal endpoint port)',
    ),
    install: flag.boolean(
      '--install',
      "add the block to the node pools' post-installation scripts, so new nodes get the rules",
    ),
    nodepool: flag.list('--nodepool <name>', 'with --install: only this node pool (repeatable)'),
    dryRun: flag.boolean('--dry-run', 'with --install: show the plan; no write request at all'),
    yes: flag.boolean(
      '-y, --yes',
      'with --install: update without asking (required when there is no terminal)',
    ),
  },
  help: `\nFormats:\n  script        POSIX sh, idempotent (insert only when iptables -C says absent; removes stale cce-harden rules), run as root on a node\n  rc-local      applies the rules and keeps the block in /etc/rc.local, enables rc-local.service (the guide's persistence; docs/iptables.md)\n  systemd       installs a oneshot unit that applies the rules at boot\n  post-install  the block for a node pool's post-installation script (what --install writes)\n\nExamples:\n  cce-harden iptables --cluster demo-vpc --format script --out harden.sh\n  cce-harden iptables --api-server 192.168.0.10 --container-cidr 10.0.0.0/16 --network vpc\n  cce-harden iptables --cluster demo-vpc --install --dry-run\n  cce-harden iptables --cluster demo-vpc --port-only --port 5443 --port 5444`,
  usageHint: 'See `cce-harden iptables --help`.',
  options(flags, { global }, problems) {
    const opts: IptablesOptions = {
      cluster: flags.cluster,
      apiServer: flags.apiServer,
      containerCidrs: flags.containerCidr,
      network: flags.network,
      format: flags.format,
      portOnly: flags.portOnly,
      ports: flags.port.length > 0 ? flags.port : undefined,
      install: flags.install,
      nodepools: flags.nodepool,
      dryRun: flags.dryRun,
      yes: flags.yes,
      out: global.out,
    };
    const offline =
      opts.apiServer !== undefined || opts.containerCidrs.length > 0 || opts.network !== undefined;
    if (opts.cluster && offline) {
      problems.push(
        '--cluster reads the cluster from the CCE API; --api-server, --container-cidr and --network describe it offline. Use one or the other.',
      );
    } else if (!opts.cluster) {
      if (!offline)
        problems.push(
          'Pass --cluster <name|id>, or --api-server, --container-cidr and --network to render offline.',
        );
      else {
        if (opts.apiServer === undefined)
          problems.push('Offline rendering needs --api-server <ip[:port]>.');
        if (opts.containerCidrs.length === 0)
          problems.push('Offline rendering needs at least one --container-cidr <cidr>.');
        if (opts.network === undefined)
          problems.push('Offline rendering needs --network vpc|tunnel.');
      }
    }
    if (opts.install && !opts.cluster)
      problems.push('--install writes node pools through the CCE API: it needs --cluster.');
    if (!opts.install && (opts.nodepools.length > 0 || opts.dryRun)) {
      problems.push('--nodepool and --dry-run only go with --install.');
    }
    if (opts.install && opts.out)
      problems.push('--out is for rendering; --install writes to the node pools.');
    if ((opts.ports ?? []).length > 0 && !opts.portOnly)
      problems.push(
        '--port goes with --port-only; without it every port of the API server is rejected.',
      );
    return opts;
  },
  async run(ctx, opts) {
    const { runIptables } = await import('../iptables-run.js');
    return runIptables(ctx, opts);
  },
});
