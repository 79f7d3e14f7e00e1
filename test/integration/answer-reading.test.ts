/**
 * Answers read as they arrive (cloud/http.ts with cloud/answer-text.ts), through the real SDK over
 * HTTP: an answer that trickles in small pieces gives the same clusters, a gzip answer too, an
 * answer over the size limit (inflated bytes counted) is refused once and not retried, and no
 * answer stays reachable from an idle keep-alive socket after its call.
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { CceAdapter } from '../../src/cloud/cce.js';
import { clusterListReading } from '../../src/cloud/cce-wire.js';
import { createCceClient } from '../../src/cloud/clients.js';
import { DEFAULT_MAX_BODY_BYTES } from '../../src/cloud/http.js';
import { Retrier } from '../../src/cloud/retry.js';
import { CloudError } from '../../src/core/errors.js';
import { SANDBOX_CREDENTIALS, WorldBuilder } from '../../src/sandbox/index.js';
import { localServersPerTest } from '../helpers/http-server.js';
import { sandboxCloudConfig, sandboxPerTest } from '../helpers/sandbox.js';

const serve = localServersPerTest();
const sandbox = sandboxPerTest();

const client = (endpoint: string) => createCceClient(sandboxCloudConfig(endpoint, 20_000));

const adapter = (endpoint: string) =>
  new CceAdapter(client(endpoint), new Retrier({ baseDelayMs: 1 }), SANDBOX_CREDENTIALS.region);

function fleet(n: number) {
  const b = new WorldBuilder().project({ region: SANDBOX_CREDENTIALS.region });
  for (let i = 1; i <= n; i++) b.turboCluster({ name: `fleet-${i}`, hardened: i % 2 === 0 });
  return b.build();
}

describe('answers read as they arrive', () => {
  it('an answer that trickles in pieces of a few bytes gives the same clusters', async () => {
    const h = await sandbox(fleet(20));
    const whole = await adapter(h.url).listClusters();
    const drip = h.faults.add({
      operation: 'ListClusters',
      slowDrip: { intervalMs: 0, bytes: 97 },
    });
    const pieces = await adapter(h.url).listClusters();
    expect(drip.applied).toBe(1);
    expect(pieces).toHaveLength(20);
    expect(pieces).toEqual(whole);
  });

  it('an answer over the size limit is refused, once, never retried', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(1024 * 1024, 0x20);
      res.write('{"items":[');
      for (let i = 0; i <= DEFAULT_MAX_BODY_BYTES / chunk.length; i++) res.write(chunk);
      res.end(']}');
    });
    const err = await adapter(server.url)
      .listClusters()
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(CloudError);
    expect((err as CloudError).message).toMatch(
      new RegExp(`ListClusters.*larger than ${DEFAULT_MAX_BODY_BYTES} bytes`),
    );
    expect(server.hits).toHaveLength(1);
  });

  it('a gzip answer is read as it is inflated, and the size limit counts inflated bytes', async () => {
    const h = await sandbox(fleet(3));
    const plain = await adapter(h.url).listClusters();
    // The same ListClusters answer, gzip-compressed, as a gateway that compresses would send it.
    const body = JSON.stringify(await client(h.url).listClusters({}));
    const gzipped = gzipSync(body);
    const compressing = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      res.end(gzipped);
    });
    expect(await adapter(compressing.url).listClusters()).toEqual(plain);

    // A few kilobytes that inflate past the limit are refused like a large answer.
    const bomb = gzipSync(
      Buffer.concat([Buffer.from('{"items":['), Buffer.alloc(DEFAULT_MAX_BODY_BYTES + 1, 0x20)]),
    );
    expect(bomb.length).toBeLessThan(DEFAULT_MAX_BODY_BYTES / 100);
    const inflating = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
      res.end(bomb);
    });
    const err = await adapter(inflating.url)
      .listClusters()
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect((err as Error).message).toMatch(/larger than \d+ bytes/);
    expect(inflating.hits).toHaveLength(1);
  });

  it('no answer stays reachable from the idle keep-alive socket after its call', async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const h = await sandbox(fleet(5));
    const c = client(h.url);
    const collected = new Set<string>();
    const registry = new FinalizationRegistry<string>((name) => collected.add(name));
    // Two calls at once take two keep-alive sockets; a third call then reuses one of them.
    const read = async () => {
      const [reading, raw] = (await Promise.all([
        c.callReading('listClusters', {}, clusterListReading),
        c.listClusters({}),
      ])) as [{ items: unknown[] }, { items: unknown[] }];
      expect([reading.items.length, raw.items.length]).toEqual([5, 5]);
      registry.register(reading, 'read as it arrived');
      registry.register(raw, 'read by the SDK');
    };
    await read();
    // The SDK itself keeps its very last answer (DefaultHttpClient.httpResponse): one more call.
    await c.callReading('listClusters', {}, clusterListReading);
    for (let i = 0; i < 20 && collected.size < 2; i++) {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect([...collected].sort()).toEqual(['read as it arrived', 'read by the SDK']);
  });
});
