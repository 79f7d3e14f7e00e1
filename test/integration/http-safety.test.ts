/**
 * What cce-harden does with hostile or broken HTTP answers, through the CLI and the real SDK:
 * redirects (a second local server must receive nothing), a server that drips its answer, error
 * bodies that echo the token or carry escape sequences, CCE's camelCase error body, and bad
 * numbers and project ids in the configuration (refused before any request).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { demoWorld, startSandbox, type SandboxHandle } from '../../src/sandbox/index.js';
import { runCli, sandboxEnv, type CliResult } from '../helpers/cli.js';
import { localServersPerTest } from '../helpers/http-server.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

const serve = localServersPerTest();

async function sandbox(): Promise<SandboxHandle> {
  const h = await startSandbox({ world: demoWorld() });
  closers.push(() => h.close());
  return h;
}

const TOKEN = 'tok-session-0123456789-abcdefghijklmnop/+=';

function expectNoSecret(r: CliResult, secret: string): void {
  for (const form of [secret, encodeURIComponent(secret), Buffer.from(secret).toString('base64')]) {
    expect(r.stdout).not.toContain(form);
    expect(r.stderr).not.toContain(form);
  }
}

describe('redirects are never followed', () => {
  it.each([301, 302, 307, 308])(
    'HTTP %i to another host: an error naming it; the other host receives nothing',
    async (status) => {
      const h = await sandbox();
      const elsewhere = await serve((_req, res) => res.end('{}'));
      const elsewhereHost = elsewhere.url.replace('http://127.0.0.1', 'localhost');
      const redirector = await serve((req, res) => {
        res.writeHead(status, { location: `${elsewhereHost}${req.url ?? '/'}` });
        res.end();
      });
      const r = await runCli(
        ['check', '--cluster', 'demo-turbo-hardened', '--json'],
        sandboxEnv(h, {
          CCE_HARDEN_CCE_ENDPOINT: redirector.url,
          HUAWEICLOUD_SDK_SECURITY_TOKEN: TOKEN,
        }),
      );
      expect(r.code).toBe(1);
      expect(redirector.hits.length).toBe(1);
      expect(elsewhere.hits).toEqual([]);
      const port = new URL(elsewhere.url).port;
      expect(r.stderr).toContain(`redirects to localhost:${port}`);
      expect(r.stderr).toContain('redirects are never followed');
      const doc = JSON.parse(r.stdout) as { status: string; error?: { httpStatus: number } };
      expect(doc.status).toBe('error');
      expectNoSecret(r, TOKEN);
    },
  );
});

describe('one deadline for the whole call', () => {
  it('a server that drips one byte every 100 ms times out, and the retries are bounded', async () => {
    const h = await sandbox();
    const drip = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{');
      const t = setInterval(() => res.write(' '), 100);
      res.on('close', () => clearInterval(t));
    });
    const started = Date.now();
    const r = await runCli(
      ['check', '--cluster', 'demo-turbo-hardened', '--json'],
      sandboxEnv(h, { CCE_HARDEN_CCE_ENDPOINT: drip.url, CCE_HARDEN_TIMEOUT_MS: '800' }),
    );
    const elapsed = Date.now() - started;
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no complete answer within 800 ms');
    // Every attempt and wait of one call within 4 x 800 ms (plus start-up).
    expect(elapsed).toBeLessThan(3200 + 1500);
    expect(drip.hits.length).toBeGreaterThanOrEqual(2);
    expect(drip.hits.length).toBeLessThanOrEqual(4);
    expect(r.stderr).toMatch(/gave up after \d attempt\(s\)/);
  }, 15_000);

  it('an error answer whose body drips ends at the same deadline', async () => {
    const h = await sandbox();
    const drip = await serve((_req, res) => {
      res.writeHead(403, { 'content-type': 'application/json' });
      res.write('{"error_code":"CCE.01403","error_msg":"');
      const t = setInterval(() => res.write('x'), 100);
      res.on('close', () => clearInterval(t));
    });
    const started = Date.now();
    const r = await runCli(
      ['check', '--cluster', 'demo-turbo-hardened', '--json'],
      sandboxEnv(h, { CCE_HARDEN_CCE_ENDPOINT: drip.url, CCE_HARDEN_TIMEOUT_MS: '800' }),
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no complete answer within 800 ms');
    expect(Date.now() - started).toBeLessThan(3200 + 1500);
  }, 15_000);
});

describe('error bodies', () => {
  it('an error body that echoes the token (plain, URL-encoded, Base64) prints none of them', async () => {
    const h = await sandbox();
    // On the security group listing: a per-cluster error, so the report (and --out) is written.
    h.faults.add({
      path: '/vpc/security-groups',
      serverError: {
        status: 400,
        body: {
          error_code: 'VPC.0002',
          error_msg: `bad token ${TOKEN} (${encodeURIComponent(TOKEN)}, ${Buffer.from(TOKEN).toString('base64')})`,
        },
      },
    });
    const out = path.join(mkdtempSync(path.join(tmpdir(), 'cce-harden-redact-')), 'r.json');
    const env = sandboxEnv(h, { HUAWEICLOUD_SDK_SECURITY_TOKEN: TOKEN });
    for (const args of [
      ['--json'],
      ['--output', 'text'],
      ['--debug'],
      ['--output', 'junit', '--out', out],
    ]) {
      const r = await runCli(['check', '--cluster', 'demo-turbo-hardened', ...args], env);
      expect(r.code).toBe(1);
      expectNoSecret(r, TOKEN);
      expect(r.stdout + r.stderr + (args.includes(out) ? readFileSync(out, 'utf8') : '')).toContain(
        'bad token <redacted>',
      );
    }
    expect(readFileSync(out, 'utf8')).not.toContain(TOKEN);
    expect(readFileSync(out, 'utf8')).toContain('<redacted>');
  });

  it("CCE's camelCase error body: its code, message and the request id are shown", async () => {
    const h = await sandbox();
    h.faults.add({
      path: '/clusters',
      serverError: {
        status: 409,
        body: { errorCode: 'CCE.01409001', errorMessage: 'the cluster is being scaled' },
      },
    });
    const r = await runCli(['check', '--cluster', 'demo-turbo-hardened', '--json'], sandboxEnv(h));
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('HTTP 409 CCE.01409001');
    expect(r.stderr).toContain('the cluster is being scaled');
    const doc = JSON.parse(r.stdout) as { error: { errorCode: string; requestId: string | null } };
    expect(doc.error.errorCode).toBe('CCE.01409001');
    expect(doc.error.requestId).toMatch(/\S/);
  });

  it('escape sequences in a cloud error message never reach the terminal', async () => {
    const h = await sandbox();
    h.faults.add({
      path: '/clusters',
      serverError: {
        status: 400,
        body: {
          error_code: 'CCE.01400001',
          error_msg: 'bad\u001b]0;owned\u0007\u001b[2J\u001b[31m request\u009b1m',
        },
      },
    });
    for (const args of [['--output', 'text'], ['--json'], ['--output', 'prometheus']]) {
      const r = await runCli(['check', '--cluster', 'demo-turbo-hardened', ...args], sandboxEnv(h));
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('bad request');
      for (const ch of ['\u001b', '\u0007', '\u009b']) {
        expect(r.stderr).not.toContain(ch);
        expect(r.stdout).not.toContain(ch);
      }
    }
  });
});

describe('configuration numbers and ids are checked before any request', () => {
  it.each([
    [{ CCE_HARDEN_TIMEOUT_MS: '3000000000' }, 'CCE_HARDEN_TIMEOUT_MS is "3000000000"'],
    [{ CCE_HARDEN_TIMEOUT_MS: '0' }, 'CCE_HARDEN_TIMEOUT_MS is "0"'],
    [{ CCE_HARDEN_TIMEOUT_MS: '1e4' }, 'CCE_HARDEN_TIMEOUT_MS is "1e4"'],
    [{ CCE_HARDEN_RETRY_BASE_MS: '3e9' }, 'CCE_HARDEN_RETRY_BASE_MS is "3e9"'],
    [{ CCE_HARDEN_RETRY_BASE_MS: '3000000000' }, 'CCE_HARDEN_RETRY_BASE_MS is "3000000000"'],
    [{ HUAWEICLOUD_SDK_PROJECT_ID: 'abc/def' }, '"abc/def" is not a project id'],
    [{ HUAWEICLOUD_SDK_PROJECT_ID: `${'a'.repeat(31)}#` }, 'is not a project id'],
  ])('%j: usage error 64, nothing sent', async (extra, message) => {
    const h = await sandbox();
    const r = await runCli(['check', '--cluster', 'demo-turbo-hardened'], sandboxEnv(h, extra));
    expect(r.code).toBe(64);
    expect(r.stderr).toContain(message);
    expect(r.stderr).not.toContain('signature');
    expect(h.log.length).toBe(0);
  });

  it('--project-id with a / or # is refused the same way', async () => {
    const h = await sandbox();
    const r = await runCli(
      ['check', '--cluster', 'demo-turbo-hardened', '--project-id', '0a1b/../x#'],
      sandboxEnv(h),
    );
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('is not a project id');
    expect(h.log.length).toBe(0);
  });

  it('--debug names each endpoint and where it came from', async () => {
    const h = await sandbox();
    const r = await runCli(['check', '--cluster', 'demo-turbo-hardened', '--debug'], sandboxEnv(h));
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(
      `debug: endpoints for cn-north-4: CCE ${h.url} (override), VPC ${h.url} (override)`,
    );
  });
});
