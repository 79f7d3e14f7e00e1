/**
 * Temporary credentials are learnt during the run (from the metadata service or IAM), long after
 * the output streams were set up: an error body that echoes them must still print none of them.
 * A local server plays the metadata service (fixed, known credentials) and a cloud endpoint whose
 * every answer is an error quoting the credentials back.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

const AK = 'TEMPAKEXAMPLE0123456789';
const SK = 'temp-secret-key-0123456789abcdefghijklmn';
const TOKEN = 'temp-security-token-0123456789/+=ABCDEFGHIJ';

let server: http.Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

async function echoingCloud(): Promise<string> {
  server = http.createServer((req, res) => {
    if (req.url === '/openstack/latest/securitykey') {
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          credential: {
            access: AK,
            secret: SK,
            securitytoken: TOKEN,
            expires_at: new Date(Date.now() + 3_600_000).toISOString(),
          },
        }),
      );
      return;
    }
    res.writeHead(400, { 'content-type': 'application/json', 'x-request-id': 'req-echo' });
    res.end(
      JSON.stringify({
        error_code: 'VPC.0002',
        error_msg: `echo ${AK} ${SK} ${String(req.headers['x-security-token'])} ${encodeURIComponent(TOKEN)} ${Buffer.from(SK).toString('base64')}`,
      }),
    );
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('temporary credentials are redacted by value', () => {
  it('an error that quotes the metadata service’s AK, SK and token prints none of them', async () => {
    const url = await echoingCloud();
    const env = {
      PATH: process.env.PATH,
      HOME: mkdtempSync(path.join(tmpdir(), 'cce-harden-home-')),
      NO_COLOR: '1',
      HUAWEICLOUD_SDK_REGION: 'cn-north-4',
      HUAWEICLOUD_SDK_PROJECT_ID: '0123456789abcdef0123456789abcdef',
      CCE_HARDEN_METADATA_ENDPOINT: url,
      CCE_HARDEN_CCE_ENDPOINT: url,
      CCE_HARDEN_VPC_ENDPOINT: url,
      CCE_HARDEN_IAM_ENDPOINT: url,
      CCE_HARDEN_RETRY_BASE_MS: '5',
    };
    for (const args of [['--json'], ['--debug'], ['--output', 'text']]) {
      const r = await runCli(['check', '--all', ...args], env);
      expect(r.code).toBe(1);
      const text = r.stdout + r.stderr;
      // The error really was printed, with the secrets cut out of it.
      expect(text).toContain('echo <redacted> <redacted> <redacted> <redacted> <redacted>');
      for (const secret of [AK, SK, TOKEN]) {
        for (const form of [
          secret,
          encodeURIComponent(secret),
          Buffer.from(secret).toString('base64'),
        ]) {
          expect(text).not.toContain(form);
        }
      }
    }
  });
});
