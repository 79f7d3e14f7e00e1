import { describe, expect, it } from 'vitest';
import type { ClusterReport } from '../../src/core/report.js';
import {
  clusterChoices,
  defaultClusterId,
  defaultScriptPath,
  envInstructions,
  hardeningLabel,
  missingSettings,
  optionsFromAnswers,
  regionCandidates,
  regionProblem,
  verifyFromPodCommand,
  type WizardAnswers,
} from '../../src/cli/wizard/answers.js';
import { readEnvSettings } from '../../src/cli/config.js';
import type { HardenOptions } from '../../src/cli/cluster-targets.js';
import type { IptablesOptions } from '../../src/cli/iptables-run.js';

/** What `cce-harden iptables --cluster <id>` gives runIptables before any other flag. */
const iptablesDefaults: IptablesOptions = {
  cluster: 'c-1',
  apiServer: undefined,
  containerCidrs: [],
  network: undefined,
  format: 'script',
  out: undefined,
  portOnly: false,
  install: false,
  nodepools: [],
  dryRun: false,
  yes: false,
};

describe('optionsFromAnswers: the scripted path options', () => {
  it('Turbo: the options `apply --cluster <id>` builds, never --yes or --dry-run', () => {
    const run = optionsFromAnswers({ kind: 'turbo', region: 'cn-north-4', cluster: 'c-1' });
    const expected: HardenOptions = { clusters: ['c-1'], all: false, dryRun: false, yes: false };
    expect(run).toEqual({
      kind: 'harden',
      region: 'cn-north-4',
      securityGroupId: undefined,
      options: expected,
    });
  });

  it('Turbo: a picked ENI group travels as --security-group', () => {
    const run = optionsFromAnswers({
      kind: 'turbo',
      region: 'ap-southeast-1',
      cluster: 'c-2',
      securityGroupId: 'sg-9',
    });
    expect(run.kind === 'harden' && run.securityGroupId).toBe('sg-9');
    expect(run.region).toBe('ap-southeast-1');
  });

  const standard = (
    script: Extract<WizardAnswers, { kind: 'standard' }>['script'],
    install: boolean,
  ): WizardAnswers => ({ kind: 'standard', region: 'cn-north-4', cluster: 'c-1', script, install });

  it.each([
    {
      name: 'script to a file',
      answers: standard({ target: 'file', format: 'script', path: '/tmp/h.sh' }, false),
      render: { ...iptablesDefaults, out: '/tmp/h.sh' },
      install: null,
    },
    {
      name: 'rc-local printed',
      answers: standard({ target: 'stdout', format: 'rc-local' }, false),
      render: { ...iptablesDefaults, format: 'rc-local' },
      install: null,
    },
    {
      name: 'systemd to a file and installed on node pools',
      answers: standard({ target: 'file', format: 'systemd', path: 'x.sh' }, true),
      render: { ...iptablesDefaults, format: 'systemd', out: 'x.sh' },
      install: { ...iptablesDefaults, install: true },
    },
    {
      name: 'install only',
      answers: standard(null, true),
      render: null,
      install: { ...iptablesDefaults, install: true },
    },
    { name: 'nothing', answers: standard(null, false), render: null, install: null },
  ])('standard: $name', ({ answers, render, install }) => {
    expect(optionsFromAnswers(answers)).toEqual({
      kind: 'iptables',
      region: 'cn-north-4',
      render,
      install,
    });
  });

  it('an install never carries --out, --dry-run or --yes (its own plan is confirmed)', () => {
    const run = optionsFromAnswers(
      standard({ target: 'file', format: 'script', path: 'a.sh' }, true),
    );
    if (run.kind !== 'iptables' || !run.install) throw new Error('expected an install');
    expect(run.install.out).toBeUndefined();
    expect(run.install.dryRun).toBe(false);
    expect(run.install.yes).toBe(false);
    expect(run.install.nodepools).toEqual([]);
  });
});

/** The environment as the configuration reads it (no problem expected). */
function settings(env: Record<string, string>) {
  const problems: string[] = [];
  const read = readEnvSettings(env, problems);
  expect(problems).toEqual([]);
  return read;
}

describe('missingSettings: the check before the first question', () => {
  it('lists each missing credential by the SDK variable name', () => {
    const m = missingSettings(settings({}), {});
    expect(m.credentials.map((c) => c.variable)).toEqual([
      'HUAWEICLOUD_SDK_AK',
      'HUAWEICLOUD_SDK_SK',
    ]);
    expect(m.region?.variable).toBe('HUAWEICLOUD_SDK_REGION');
  });

  it.each([
    [{}, false],
    [{ CCE_HARDEN_PROJECT_LOOKUP: 'iam' }, false],
    [{ CCE_HARDEN_PROJECT_LOOKUP: 'off' }, true],
    [{ CCE_HARDEN_PROJECT_LOOKUP: 'off', HW_PROJECT_ID: 'p' }, false],
  ])('the project id is needed only when the IAM look-up is off: %j', (extra, needed) => {
    const env = settings({ HUAWEICLOUD_SDK_AK: 'a', HUAWEICLOUD_SDK_SK: 'b', ...extra });
    expect(missingSettings(env, {}).credentials.map((c) => c.variable)).toEqual(
      needed ? ['HUAWEICLOUD_SDK_PROJECT_ID'] : [],
    );
    expect(missingSettings(env, { projectId: 'from-flag' }).credentials).toEqual([]);
  });

  it('accepts the HW_* aliases, ignores blank values, and takes the flags', () => {
    const m = missingSettings(
      settings({ HW_ACCESS_KEY: 'ak', HUAWEICLOUD_SDK_SK: '  ', HW_REGION_NAME: 'cn-north-4' }),
      { projectId: 'p' },
    );
    expect(m.credentials.map((c) => c.variable)).toEqual(['HUAWEICLOUD_SDK_SK']);
    expect(m.region).toBeNull();
    expect(missingSettings(settings({}), { region: 'cn-east-3' }).region).toBeNull();
  });

  it('nothing missing', () => {
    const m = missingSettings(
      settings({
        HUAWEICLOUD_SDK_AK: 'a',
        HUAWEICLOUD_SDK_SK: 'b',
        HUAWEICLOUD_SDK_PROJECT_ID: 'c',
        HUAWEICLOUD_SDK_REGION: 'cn-north-4',
      }),
      {},
    );
    expect(m).toEqual({ credentials: [], region: null });
  });

  it('envInstructions: one aligned .env line each, with a comment', () => {
    const env = settings({ HW_ACCESS_KEY: 'x', CCE_HARDEN_PROJECT_LOOKUP: 'off' });
    const lines = envInstructions(missingSettings(env, {}).credentials);
    expect(lines).toEqual([
      '  HUAWEICLOUD_SDK_SK=<secret access key>   # or HW_SECRET_KEY',
      '  HUAWEICLOUD_SDK_PROJECT_ID=<project id>  # CCE_HARDEN_PROJECT_LOOKUP=off: set it (console: My Credentials), or --project-id',
    ]);
  });
});

describe('a bad setting is a problem of the configuration, not a question', () => {
  it.each([
    [
      { CCE_HARDEN_PROJECT_LOOKUP: 'maybe' },
      'CCE_HARDEN_PROJECT_LOOKUP is "maybe": expected iam or off.',
    ],
    [{ CCE_HARDEN_METADATA: 'yes' }, 'CCE_HARDEN_METADATA is "yes": expected on or off.'],
    [
      { CCE_HARDEN_TIMEOUT_MS: '5' },
      'CCE_HARDEN_TIMEOUT_MS is "5": expected whole milliseconds from 100 to 600000.',
    ],
  ])('%j', (env, problem) => {
    const problems: string[] = [];
    readEnvSettings(env, problems);
    expect(problems).toEqual([problem]);
  });
});

describe('region', () => {
  it.each([
    ['cn-north-4', null],
    ['ap-southeast-1', null],
    ['  cn-north-4 ', null],
    ['', 'Enter a region id, e.g. cn-north-4.'],
    ['Beijing', '"Beijing" does not look like a region id (e.g. cn-north-4).'],
  ])('regionProblem(%j)', (value, problem) => {
    expect(regionProblem(value)).toBe(problem);
  });

  it('the flag wins over the environment; both may list several', () => {
    expect(
      regionCandidates('cn-east-3', settings({ HUAWEICLOUD_SDK_REGION: 'cn-north-4' })),
    ).toEqual({
      fromFlag: true,
      regions: ['cn-east-3'],
    });
    expect(
      regionCandidates(
        undefined,
        settings({ HUAWEICLOUD_SDK_REGION: 'cn-north-4, ap-southeast-1' }),
      ),
    ).toEqual({ fromFlag: false, regions: ['cn-north-4', 'ap-southeast-1'] });
    expect(regionCandidates(undefined, settings({}))).toEqual({ fromFlag: false, regions: [] });
  });
});

function report(name: string, over: Partial<ClusterReport> = {}): ClusterReport {
  return {
    id: `id-${name}`,
    name,
    category: 'Turbo',
    networkMode: 'eni',
    phase: 'Available',
    apiServer: { ip: '192.168.0.10', port: 5443 },
    securityGroup: null,
    rule: null,
    status: 'drift',
    findings: [],
    changes: [],
    ...over,
  };
}

describe('the cluster list', () => {
  it.each([
    ['compliant', 'hardened'],
    ['drift', 'not hardened'],
    ['not-applicable', 'not applicable'],
    ['error', 'cannot check'],
  ] as const)('%s reads as "%s"', (status, label) => {
    expect(hardeningLabel(report('a', { status }))).toBe(label);
  });

  it('rows show name, category, phase and hardening in aligned columns', () => {
    const choices = clusterChoices([
      report('prod', { status: 'compliant' }),
      report('dev-vpc', { category: 'CCE', networkMode: 'vpc-router' }),
      report('sleepy', { phase: 'Hibernation', status: 'error' }),
    ]);
    expect(choices.map((c) => c.name)).toEqual([
      'prod     Turbo     Available    hardened',
      'dev-vpc  standard  Available    not hardened',
      'sleepy   Turbo     Hibernation  cannot check',
    ]);
    expect(choices.map((c) => c.value)).toEqual(['id-prod', 'id-dev-vpc', 'id-sleepy']);
    expect(choices.map((c) => c.disabled)).toEqual([undefined, undefined, '(Hibernation)']);
    expect(choices[1]?.short).toBe('dev-vpc');
  });

  it('names are passed through the cleaner (control characters never reach the terminal)', () => {
    const [choice] = clusterChoices([report('a\u001b[31mb')], (s) => s.replaceAll('\u001b', '\\e'));
    expect(choice?.name.startsWith('a\\e[31mb')).toBe(true);
    expect(choice?.short).toBe('a\\e[31mb');
  });

  it('preselects the first cluster that is not hardened, skipping unusable ones', () => {
    expect(
      defaultClusterId([
        report('done', { status: 'compliant' }),
        report('asleep', { status: 'error', phase: 'Hibernation' }),
        report('todo', { status: 'drift' }),
      ]),
    ).toBe('id-todo');
    expect(defaultClusterId([report('done', { status: 'compliant' })])).toBe('id-done');
    expect(defaultClusterId([report('z', { phase: 'Creating', status: 'error' })])).toBeUndefined();
  });
});

describe('paths and the verify command', () => {
  it.each([
    ['demo-vpc', 'script', 'cce-harden-iptables-demo-vpc.sh'],
    ['demo-vpc', 'systemd', 'cce-harden-iptables-demo-vpc-systemd-install.sh'],
    ['demo-vpc', 'rc-local', 'cce-harden-iptables-demo-vpc-rc-local.sh'],
    ['demo-vpc', 'post-install', 'cce-harden-iptables-demo-vpc-post-install.sh'],
    ['../etc/x y', 'script', 'cce-harden-iptables-etc-x-y.sh'],
    ['', 'script', 'cce-harden-iptables-cluster.sh'],
  ] as const)('defaultScriptPath(%j, %s)', (name, format, expected) => {
    expect(defaultScriptPath(name, format)).toBe(expected);
  });

  it('the pod check targets the internal API server and must time out in 5 s', () => {
    expect(verifyFromPodCommand({ ip: '192.168.0.61', port: 5443 })).toBe(
      'kubectl run cce-harden-verify --rm -it --image=curlimages/curl --restart=Never -- curl -k -m 5 https://192.168.0.61:5443',
    );
  });
});
