/**
 * The HTTP used for IAM and the metadata service: one deadline for the whole call, answer body
 * included, so a server that sends a byte now and then cannot hold a run; answers are bounded.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MAX_ANSWER_BYTES, request, TransportError } from '../../src/cloud/small-http.js';

let server: http.Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

async function serve(handler: http.RequestListener): Promise<URL> {
  server = http.createServer(handler);
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v3/projects`);
}

describe('small-http request', () => {
  it('a slow drip (a byte every 50 ms) ends at the deadline, not at the last byte', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '400' });
      const timer = setInterval(() => res.write(' '), 50);
      res.on('close', () => clearInterval(timer));
    });
    const started = Date.now();
    const err = await request(url, { method: 'GET', headers: {}, timeoutMs: 400 }).catch(
      (e: unknown) => e,
    );
    const took = Date.now() - started;
    expect(err).toBeInstanceOf(TransportError);
    expect((err as Error).message).toBe('no complete answer within 400 ms');
    // An idle timeout would never fire here (a byte every 50 ms); the whole answer takes 20 s.
    expect(took).toBeLessThan(3000);
  });

  it('an answer larger than the cap is refused', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('x'.repeat(MAX_ANSWER_BYTES + 1));
    });
    await expect(request(url, { method: 'GET', headers: {}, timeoutMs: 5000 })).rejects.toThrow(
      /larger than/,
    );
  });

  it('a quick answer is parsed, with its request id', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': 'rid-1' });
      res.end('{"projects":[]}');
    });
    const answer = await request(url, { method: 'GET', headers: {}, timeoutMs: 5000 });
    expect(answer).toMatchObject({ status: 200, body: { projects: [] }, requestId: 'rid-1' });
  });
});
