/**
 * The one configuration read: loadConfig validates the command's flags, the global flags and every
 * variable together, reports every problem at once, and hands back a frozen, typed config;
 * --sandbox is a transformation of it. The command definitions' flag helpers are checked too.
 */
import { describe, expect, it } from 'vitest';
import { Command } from 'commander';
import { defineCommand, flag, readFlags } from '../../src/cli/command.js';
import { loadConfig, withSandbox, type Config } from '../../src/cli/config.js';
import { COMMANDS, GLOBAL_FLAGS, type GlobalFlags } from '../../src/cli/program.js';
import { UsageError } from '../../src/core/errors.js';

const command = (name: string) => {
  const found = COMMANDS.find((c) => c.name === name);
  if (!found) throw new Error(`no command ${name}`);
  return found;
};

const noFlags: GlobalFlags = readFlags(GLOBAL_FLAGS, {});

function load(
  name: string,
  flags: Record<string, unknown>,
  env: Record<string, string>,
  global: Partial<GlobalFlags> = {},
): Config {
  return loadConfig({ command: command(name), flags, global: { ...noFlags, ...global } }, env, {
    stderrIsTTY: false,
  });
}

function problemsOf(fn: () => unknown): readonly string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof UsageError) return err.problems;
    throw err;
  }
  throw new Error('expected a usage error');
}

describe('loadConfig', () => {
  it('reports the command, its flags and every variable at once', () => {
    const problems = problemsOf(() =>
      load(
        'check',
        { all: true, cluster: ['a'] },
        {
          CCE_HARDEN_PROJECT_LOOKUP: 'maybe',
          CCE_HARDEN_METADATA: 'yes',
          CCE_HARDEN_TIMEOUT_MS: '3000000000',
          CCE_HARDEN_RETRY_BASE_MS: '0',
          HUAWEICLOUD_SDK_PROJECT_ID: 'cn-north-4=',
          HUAWEICLOUD_SDK_REGION: 'Beijing',
        },
      ),
    );
    expect(problems).toEqual([
      'CCE_HARDEN_METADATA is "yes": expected on or off.',
      'CCE_HARDEN_PROJECT_LOOKUP is "maybe": expected iam or off.',
      'CCE_HARDEN_TIMEOUT_MS is "3000000000": expected whole milliseconds from 100 to 600000.',
      'CCE_HARDEN_RETRY_BASE_MS is "0": expected whole milliseconds from 1 to 60000.',
      'Cannot read project id mapping "cn-north-4=": expected region=project-id.',
      '"Beijing" does not look like a region id (e.g. cn-north-4, ap-southeast-1).',
      '--all and --cluster exclude each other: pick one.',
    ]);
  });

  it('flags win over the environment; the result is typed and frozen', () => {
    const config = load(
      'verify',
      { cluster: ['c'], endpoint: 'external', nodes: 'pool', timeout: 30 },
      {
        HW_ACCESS_KEY: 'ak',
        HUAWEICLOUD_SDK_SK: 'sk',
        HUAWEICLOUD_SDK_REGION: 'cn-north-4',
        KUBECONFIG: '/a/kube:/b/kube',
        CCE_HARDEN_TIMEOUT_MS: '2000',
        NO_COLOR: '',
      },
      { region: 'ap-southeast-1', json: true },
    );
    expect(config.global).toMatchObject({ region: 'ap-southeast-1', output: 'json', color: false });
    expect(config.env).toMatchObject({
      ak: { value: 'ak', from: 'HW_ACCESS_KEY' },
      sk: { value: 'sk', from: 'HUAWEICLOUD_SDK_SK' },
      timeoutMs: 2000,
      retryBaseMs: undefined,
      projectLookup: true,
      metadata: true,
      kubeconfig: ['/a/kube', '/b/kube'],
      noColor: true,
    });
    expect(config.command.name).toBe('verify');
    expect(config.command.options).toMatchObject({
      clusters: ['c'],
      endpoint: 'external',
      kubeconfigFiles: ['/a/kube', '/b/kube'],
      timeout: 30,
    });
    expect(config.secrets).toEqual(['ak', 'sk']);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.env)).toBe(true);
    expect(Object.isFrozen(config.global)).toBe(true);
  });

  it('a KUBECONFIG from the environment is not used under --sandbox; --kubeconfig is refused', () => {
    const config = load(
      'verify',
      { cluster: ['c'] },
      { KUBECONFIG: '/real/kube' },
      { sandbox: true },
    );
    expect(config.command.options).toMatchObject({ kubeconfigFiles: undefined });
    expect(
      problemsOf(() => load('verify', { cluster: ['c'], kubeconfig: 'k' }, {}, { sandbox: true })),
    ).toEqual([
      '--kubeconfig does not go with --sandbox: the sandbox issues its own kubeconfig for its emulated clusters.',
    ]);
  });
});

describe('withSandbox', () => {
  const real = load(
    'check',
    { cluster: ['c'] },
    {
      HUAWEICLOUD_SDK_AK: 'real-ak',
      HUAWEICLOUD_SDK_SK: 'real-sk',
      HUAWEICLOUD_SDK_SECURITY_TOKEN: 'real-token',
      HUAWEICLOUD_SDK_IDP_ID: 'real-idp',
      HUAWEICLOUD_SDK_ID_TOKEN_FILE: '/real/token',
      HUAWEICLOUD_SDK_PROJECT_ID: '0123456789abcdef0123456789abcdef',
      CCE_HARDEN_CCE_ENDPOINT: 'https://cce.example',
      KUBECONFIG: '/real/kube',
    },
    { projectId: 'fedcba9876543210fedcba9876543210', region: 'cn-north-4' },
  );

  it('replaces credentials, endpoints and project ids; keeps the region flag and the redaction list', () => {
    const s = withSandbox(real, {
      url: 'http://127.0.0.1:1',
      credentials: { ak: 'demo-ak', sk: 'demo-sk', region: 'cn-north-4' },
      projects: [
        { id: 'p1', region: 'cn-north-4' },
        { id: 'p2', region: 'ap-southeast-1' },
      ],
    });
    expect(s.env).toMatchObject({
      ak: { value: 'demo-ak', from: 'HUAWEICLOUD_SDK_AK' },
      sk: { value: 'demo-sk', from: 'HUAWEICLOUD_SDK_SK' },
      securityToken: undefined,
      idpId: undefined,
      idTokenFile: undefined,
      projectId: 'cn-north-4=p1,ap-southeast-1=p2',
      cceEndpoint: 'http://127.0.0.1:1',
      vpcEndpoint: 'http://127.0.0.1:1',
      iamEndpoint: 'http://127.0.0.1:1',
      kubeconfig: undefined,
    });
    expect(s.global.projectId).toBeUndefined();
    expect(s.global.region).toBe('cn-north-4');
    // The real values stay in the redaction list: they must never be printed either way.
    expect(s.secrets).toEqual(['real-ak', 'real-sk', 'real-token']);
    expect(Object.isFrozen(s.env)).toBe(true);
    // The original is untouched.
    expect(real.env.ak?.value).toBe('real-ak');
  });
});

describe('defineCommand and the flag helpers', () => {
  const demo = defineCommand({
    name: 'demo',
    description: 'd',
    flags: {
      cluster: flag.list('--cluster <name>', 'repeatable'),
      dryRun: flag.boolean('--dry-run', 'b'),
      format: flag.choiceOr('--format <f>', 'c', ['a', 'b'] as const, 'a'),
      network: flag.choice('--network <n>', 'c', ['vpc', 'tunnel'] as const),
      limit: flag.numberOr('--limit <n>', 'n', Number, 3),
      color: flag.boolean('--no-color', 'negated'),
    },
    options: (values, _scope, problems) => {
      if (values.cluster.length === 0) problems.push('no cluster');
      return values;
    },
    run: () => Promise.resolve(0),
  });

  it('commander parses what the flags declare; the values come back typed under their keys', async () => {
    const cmd = new Command('demo').exitOverride();
    for (const f of Object.values(demo.flags)) cmd.addOption(f.option());
    await cmd.parseAsync(['--cluster', 'a', '--cluster', 'b', '--dry-run', '--no-color'], {
      from: 'user',
    });
    const problems: string[] = [];
    const bound = demo.bind(
      cmd.opts(),
      { global: { output: 'text', color: false }, env: {} as never },
      problems,
    );
    expect(problems).toEqual([]);
    expect(bound.options).toEqual({
      cluster: ['a', 'b'],
      dryRun: true,
      format: 'a',
      network: undefined,
      limit: 3,
      color: false,
    });
  });

  it('problems are collected, not thrown', () => {
    const problems: string[] = [];
    demo.bind({}, { global: { output: 'text', color: false }, env: {} as never }, problems);
    expect(problems).toEqual(['no cluster']);
  });
});
