import { DEFAULT_PROBE_IMAGE } from '../../core/verify/probe.js';
import { defineCommand, flag, positiveInt } from '../command.js';
import type { VerifyOptions } from '../verify-run.js';

export const verifyCommand = defineCommand({
  name: 'verify',
  description:
    'prove from inside the cluster that pods cannot reach the API server: probe pods on each node pool (Turbo) or node (standard)',
  flags: {
    cluster: flag.list('--cluster <name|id>', 'cluster to verify (repeatable)'),
    all: flag.boolean('--all', 'every cluster of every --region'),
    kubeconfig: flag.string(
      '--kubeconfig <file>',
      'use this kubeconfig (default: KUBECONFIG, else a short-lived one CCE issues, kept in memory only)',
    ),
    context: flag.string('--context <name>', 'context of the --kubeconfig file'),
    endpoint: flag.choiceOr(
      '--endpoint <which>',
      'API address of the CCE-issued kubeconfig',
      ['internal', 'external'],
      'internal',
    ),
    nodes: flag.choiceOr(
      '--nodes <which>',
      'all: one probe per node (standard clusters always probe every node)',
      ['all', 'pool'],
      'pool',
    ),
    metadata: flag.boolean('--metadata', 'also probe the metadata service 169.254.169.254:80'),
    image: flag.stringOr(
      '--image <ref>',
      'probe image with sh and curl (mirror it to SWR for clusters without internet)',
      DEFAULT_PROBE_IMAGE,
    ),
    cleanup: flag.boolean('--cleanup', 'only delete probe pods an interrupted run left behind'),
    timeout: flag.numberOr(
      '--timeout <seconds>',
      'how long the probe pods get to finish',
      positiveInt,
      120,
    ),
  },
  help: `\nExit codes: 0 every probe blocked, 2 a pod reached the API server, 1 could not verify.\nNeeds the RBAC in templates/verify-rbac.yaml (see docs/verify.md); deletes every pod it creates.\n\nExamples:\n  cce-harden verify --cluster prod-turbo\n  cce-harden verify --cluster prod-vpc --endpoint external --json\n  cce-harden verify --cluster prod-turbo --kubeconfig ~/.kube/prod --context admin\n  cce-harden verify --cluster prod-turbo --cleanup`,
  options(flags, { global, env }, problems) {
    // --kubeconfig names one file; KUBECONFIG may list several, merged as kubectl does. Under
    // --sandbox a KUBECONFIG from the environment names a real cluster: never use it.
    const kubeconfigFiles = flags.kubeconfig
      ? [flags.kubeconfig]
      : global.sandbox
        ? undefined
        : env.kubeconfig?.slice();
    const hasKubeconfig = kubeconfigFiles !== undefined;
    const opts: VerifyOptions = {
      clusters: flags.cluster,
      all: flags.all,
      kubeconfig: flags.kubeconfig,
      kubeconfigFiles,
      context: flags.context,
      endpoint: flags.endpoint,
      nodes: flags.nodes,
      metadata: flags.metadata,
      image: flags.image,
      cleanup: flags.cleanup,
      timeout: flags.timeout,
    };
    if (global.sandbox && opts.kubeconfig)
      problems.push(
        '--kubeconfig does not go with --sandbox: the sandbox issues its own kubeconfig for its emulated clusters.',
      );
    if (!opts.all && opts.clusters.length === 0)
      problems.push('Name a cluster: cce-harden verify --cluster <name|id> (or --all).');
    if (opts.all && opts.clusters.length > 0)
      problems.push('--all and --cluster exclude each other: pick one.');
    if (hasKubeconfig && (opts.all || opts.clusters.length > 1))
      problems.push(
        'A kubeconfig file (--kubeconfig or KUBECONFIG) reaches one cluster: pass exactly one --cluster, or leave it out to have CCE issue one per cluster.',
      );
    if (opts.context && !hasKubeconfig)
      problems.push('--context picks a context of a kubeconfig file: pass --kubeconfig FILE too.');
    if (!/^[A-Za-z0-9][A-Za-z0-9._\-/:@]{0,254}$/.test(opts.image))
      problems.push(`--image "${opts.image}" is not an image reference.`);
    if (!Number.isInteger(opts.timeout) || opts.timeout < 5 || opts.timeout > 600)
      problems.push('--timeout is a number of seconds from 5 to 600.');
    return opts;
  },
  async run(ctx, opts) {
    const { runVerify } = await import('../verify-run.js');
    return runVerify(ctx, opts);
  },
});
