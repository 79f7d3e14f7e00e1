/**
 * Runs cce-harden against a sandbox: in-process through main's run() (fast, most tests), or as
 * the built CLI in a child process (end-to-end). Both use a temp HOME and only the sandbox's
 * endpoints, so no test touches the real home directory or a real cloud.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { run } from '../../src/main.js';
import { SANDBOX_CREDENTIALS, type SandboxHandle } from '../../src/sandbox/index.js';
import { expect } from 'vitest';
import type { RunReport } from '../../src/core/report.js';
import { expectValidReport, validateReportOutput } from './report-schema.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = path.join(ROOT, 'bin/cce-harden.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Environment pointing the CLI at the sandbox, with the sandbox's demo credentials. */
export function sandboxEnv(
  handle: Pick<SandboxHandle, 'url'>,
  extra: Record<string, string | undefined> = {},
): Record<string, string | undefined> {
  return {
    PATH: process.env.PATH,
    HOME: mkdtempSync(path.join(tmpdir(), 'cce-harden-home-')),
    NO_COLOR: '1',
    HUAWEICLOUD_SDK_AK: SANDBOX_CREDENTIALS.ak,
    HUAWEICLOUD_SDK_SK: SANDBOX_CREDENTIALS.sk,
    HUAWEICLOUD_SDK_PROJECT_ID: SANDBOX_CREDENTIALS.projectId,
    HUAWEICLOUD_SDK_REGION: SANDBOX_CREDENTIALS.region,
    CCE_HARDEN_CCE_ENDPOINT: handle.url,
    CCE_HARDEN_VPC_ENDPOINT: handle.url,
    CCE_HARDEN_IAM_ENDPOINT: handle.url,
    CCE_HARDEN_RETRY_BASE_MS: '5',
    ...extra,
  };
}

function sink(): { stream: PassThrough & { isTTY?: boolean }; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

/** main's run() in this process, with captured streams and no TTY. */
export async function runCli(
  argv: string[],
  env: Record<string, string | undefined>,
  cwd = mkdtempSync(path.join(tmpdir(), 'cce-harden-cwd-')),
): Promise<CliResult> {
  const out = sink();
  const err = sink();
  const stdin = new PassThrough();
  const code = await run(argv, {
    stdout: out.stream,
    stderr: err.stream,
    stdin,
    env: env as NodeJS.ProcessEnv,
    cwd,
  });
  const stdout = out.text();
  // Every JSON document a test produces must match the published schema.
  validateReportOutput(stdout);
  return { code, stdout, stderr: err.text() };
}

/** The built CLI in a child process (npm test builds first). */
export function spawnCli(
  argv: string[],
  env: Record<string, string | undefined>,
  cwd?: string,
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...argv], {
      env: env as NodeJS.ProcessEnv,
      cwd: cwd ?? mkdtempSync(path.join(tmpdir(), 'cce-harden-cwd-')),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      try {
        validateReportOutput(stdout);
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** Requests that change state, from the sandbox's request log. */
export function writes(handle: SandboxHandle): { method: string; path: string }[] {
  return handle.log
    .filter((e) => e.method !== 'GET' && e.method !== 'HEAD')
    .map((e) => ({ method: e.method, path: e.path }));
}

/** The report document a `--json` run printed; fails the test when stdout is not JSON. */
export function reportOf(r: CliResult): RunReport {
  expect(r.stdout.trim().startsWith('{'), `stdout is JSON: ${r.stdout}\n${r.stderr}`).toBe(true);
  const doc = JSON.parse(r.stdout) as RunReport;
  expectValidReport(doc);
  return doc;
}
