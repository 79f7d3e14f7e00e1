/**
 * Startup cost: `--help`, `--version` and offline iptables rendering must not load the cloud SDKs
 * (they are required lazily in src/cloud/clients.ts). The built CLI runs in a child process with
 * two probes: a preloaded CommonJS script that lists every CommonJS module in the require cache at
 * exit (the SDKs are CommonJS, loaded through createRequire), and ESM resolve hooks that record
 * every ESM URL. A cloud command through the same probes must show the SDK, so the probes are
 * known to see it.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type SandboxHandle } from '../../src/sandbox/index.js';
import { BIN, sandboxEnv } from '../helpers/cli.js';

const dir = mkdtempSync(path.join(tmpdir(), 'cce-harden-startup-'));
const CJS_PROBE = path.join(dir, 'probe.cjs');
const ESM_PROBE = path.join(dir, 'probe.mjs');
const ESM_HOOKS = path.join(dir, 'hooks.mjs');

writeFileSync(
  CJS_PROBE,
  `const fs = require('node:fs');
const Module = require('node:module');
process.on('exit', () => {
  fs.writeFileSync(process.env.PROBE_OUT + '.cjs', JSON.stringify(Object.keys(Module._cache)));
});
`,
);
writeFileSync(
  ESM_HOOKS,
  `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(process.env.PROBE_OUT + '.esm', result.url + '\\n');
  return result;
}
`,
);
writeFileSync(
  ESM_PROBE,
  `import { register } from 'node:module';
register(${JSON.stringify(pathToFileURL(ESM_HOOKS).href)});
`,
);

interface Loaded {
  code: number;
  stdout: string;
  modules: string[];
}

let runs = 0;
function runProbed(argv: string[], env: Record<string, string | undefined> = {}): Promise<Loaded> {
  const out = path.join(dir, `run-${runs++}`);
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--require', CJS_PROBE, '--import', pathToFileURL(ESM_PROBE).href, BIN, ...argv],
      {
        env: {
          PATH: process.env['PATH'],
          HOME: dir,
          NO_COLOR: '1',
          ...env,
          PROBE_OUT: out,
        } as NodeJS.ProcessEnv,
        cwd: dir,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const cjs = JSON.parse(readFileSync(`${out}.cjs`, 'utf8')) as string[];
      const esm = existsSync(`${out}.esm`)
        ? readFileSync(`${out}.esm`, 'utf8').split('\n').filter(Boolean)
        : [];
      resolve({ code: code ?? -1, stdout, modules: [...cjs, ...esm] });
    });
  });
}

/** Packages that only the cloud path may load: the SDKs and what they pull in. */
const CLOUD_ONLY = /node_modules[\\/](@huaweicloud|log4js|axios|moment|moment-timezone)[\\/]/;

function cloudModules(modules: string[]): string[] {
  return modules.filter((m) => CLOUD_ONLY.test(decodeURIComponent(m)));
}

let handle: SandboxHandle;
beforeAll(async () => {
  if (!existsSync(path.join(path.dirname(BIN), '../dist/main.js'))) {
    throw new Error('dist/ is missing: run npm run build (npm test does it first)');
  }
  handle = await startSandbox();
});
afterAll(() => handle.close());

describe('startup loads no cloud SDK', () => {
  it.each([
    ['--help', ['--help'], /Usage: cce-harden/, 'prebuilt'],
    ['--version', ['--version'], /^\d+\.\d+\.\d+/, 'prebuilt'],
    ['check --help', ['check', '--help'], /--all/, 'prebuilt'],
    ['check --help --region x', ['check', '--help', '--region', 'x'], /--all/, 'program'],
    [
      'offline iptables',
      [
        'iptables',
        '--api-server',
        '192.168.0.10',
        '--container-cidr',
        '10.0.0.0/16',
        '--network',
        'vpc',
      ],
      /iptables/,
      'program',
    ],
  ])('%s', async (_name, argv, expected, path) => {
    const r = await runProbed(argv);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(expected);
    // The probes saw the CLI itself (so an empty list cannot pass by accident)...
    expect(r.modules.some((m) => m.endsWith('/bin/cce-harden.js'))).toBe(true);
    // ...the bare help requests answered from dist/help.json without loading the program...
    expect(r.modules.some((m) => m.endsWith('/dist/main.js'))).toBe(path === 'program');
    expect(r.modules.some((m) => m.includes('commander'))).toBe(path === 'program');
    // ...and nothing of the cloud.
    expect(cloudModules(r.modules)).toEqual([]);
  });

  it('a command that calls the cloud does load the SDK (the probes can see it)', async () => {
    const r = await runProbed(['check', '--cluster', 'demo-turbo-hardened', '--json'], {
      ...sandboxEnv(handle),
      HOME: dir,
    });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ status: 'compliant' });
    const sdk = cloudModules(r.modules);
    expect(sdk.some((m) => m.includes('huaweicloud-sdk-core'))).toBe(true);
    expect(sdk.some((m) => m.includes('huaweicloud-sdk-vpc'))).toBe(true);
  });
});
