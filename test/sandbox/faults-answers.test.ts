/**
 * Fault injection that shapes answers a careless client would trust: garbage 200 bodies per
 * operation, slow-drip bodies, redirects, and marker pagination that repeats or loops.
 */
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { ListSecurityGroupsRequest } from '@huaweicloud/huaweicloud-sdk-vpc/v3/public-api.js';
import { demoWorld, type WireSecurityGroup } from '../../src/sandbox/index.js';
import { sandboxPerFile, sandboxPerTest } from '../helpers/sandbox.js';
import { PID, signedRequest } from './raw-http.js';
import { vpcClient, wire } from './sdk.js';

const file = sandboxPerFile();
const extra = sandboxPerTest();

const clustersUrl = () => `${file.h.url}/api/v3/projects/${PID}/clusters`;

describe('garbage 200 bodies, per operation', () => {
  it.each([
    ['html', (t: string) => expect(t).toMatch(/^<!DOCTYPE html>/)],
    ['empty', (t: string) => expect(t).toBe('')],
    ['empty-object', (t: string) => expect(t).toBe('{}')],
    ['empty-array', (t: string) => expect(t).toBe('[]')],
    [
      'truncated',
      (t: string) => {
        expect(t.startsWith('{"kind":"Cluster","apiVersion":"v3","items":[')).toBe(true);
        expect(() => JSON.parse(t) as unknown).toThrow();
      },
    ],
  ] as const)('%s on ListClusters only', async (kind, check) => {
    const f = file.h.faults.garbage('ListClusters', kind);
    const res = await signedRequest(clustersUrl(), { body: '{}' });
    expect(res.status).toBe(200);
    check(res.text);
    expect(file.h.log.at(-1)).toMatchObject({ operation: 'ListClusters', fault: 'garbage' });
    // Another operation on a path that contains the same text is untouched.
    const cluster = file.h.world.projects[0]?.clusters[0]?.cluster.metadata.uid ?? '';
    const show = await signedRequest(`${clustersUrl()}/${cluster}`, { body: '{}' });
    expect(show.json).toMatchObject({ kind: 'Cluster', metadata: { uid: cluster } });
    expect(f.applied).toBe(1);
  });
});

describe('slow drip', () => {
  it('sends the real answer one byte every N ms, with the full Content-Length up front', async () => {
    file.h.faults.add({ operation: 'ListSecurityGroups', slowDrip: { intervalMs: 2, bytes: 200 } });
    const url = `${file.h.url}/v3/${PID}/vpc/security-groups`;
    const started = Date.now();
    const res = await signedRequest(url);
    const elapsed = Date.now() - started;
    const body = res.json as { security_groups: WireSecurityGroup[] };
    expect(body.security_groups.length).toBe(file.h.world.projects[0]?.securityGroups.length);
    expect(Number(res.headers['content-length'])).toBe(Buffer.byteLength(res.text));
    // Every chunk waits intervalMs: a body of N bytes takes at least N/bytes intervals.
    expect(elapsed).toBeGreaterThanOrEqual(Math.floor(Buffer.byteLength(res.text) / 200) * 2 - 5);
    expect(file.h.log.at(-1)?.fault).toBe('slow-drip');
  });

  it('keeps the connection open between bytes (first byte long before the last)', async () => {
    file.h.faults.add({ operation: 'ListClusters', slowDrip: { intervalMs: 40 } });
    const times: number[] = [];
    const t0 = Date.now();
    await new Promise<void>((resolve, reject) => {
      const req = request(clustersUrl(), { method: 'GET' }, (res) => {
        res.on('data', () => {
          times.push(Date.now() - t0);
          if (times.length === 3) {
            req.destroy();
            resolve();
          }
        });
      });
      req.on('error', (e) => (times.length >= 3 ? resolve() : reject(e)));
      req.end();
    });
    // Unsigned, so the real answer is the 401 body, dripped like any other.
    expect((times[2] ?? 0) - (times[0] ?? 0)).toBeGreaterThanOrEqual(60);
  });
});

describe('redirects', () => {
  it.each([301, 302, 307, 308] as const)(
    '%i to another server, with the path kept',
    async (status) => {
      const target = await extra(demoWorld());
      file.h.faults.add({ operation: 'ListSecurityGroups', redirect: { status, to: target.url } });
      const url = `${file.h.url}/v3/${PID}/vpc/security-groups?limit=5`;
      const res = await signedRequest(url);
      expect(res.status).toBe(status);
      expect(res.headers['location']).toBe(`${target.url}/v3/${PID}/vpc/security-groups?limit=5`);
      expect(file.h.log.at(-1)).toMatchObject({ status, fault: 'redirect' });
      expect(target.log).toEqual([]);
    },
  );

  it('the log records which headers arrived (names only), e.g. at a redirect target', async () => {
    const res = await signedRequest(`${file.h.url}/v3/${PID}/vpc/security-groups`, {
      extraHeaders: { 'x-security-token': 'secret-token-value' },
    });
    expect(res.status).toBe(200);
    const entry = file.h.log.at(-1);
    expect(entry?.headerNames).toEqual(
      expect.arrayContaining(['authorization', 'x-security-token']),
    );
    expect(JSON.stringify(file.h.log)).not.toContain('secret-token-value');
  });
});

describe('marker pagination that a client must not trust', () => {
  const groups = () => file.h.world.projects[0]?.securityGroups ?? [];
  const page = async (marker?: string, limit?: number) =>
    wire<{ security_groups: WireSecurityGroup[]; page_info: { next_marker?: string } }>(
      await vpcClient(file.h.url).listSecurityGroups(
        new ListSecurityGroupsRequest().withLimit(limit ?? 2000).withMarker(marker as string),
      ),
    );

  it('pageSize caps the page whatever the limit asks', async () => {
    file.h.faults.add({ operation: 'ListSecurityGroups', pageSize: 3 });
    const p = await page();
    expect(p.security_groups.map((g) => g.id)).toEqual(
      groups()
        .slice(0, 3)
        .map((g) => g.id),
    );
    expect(p.page_info.next_marker).toBe(groups()[2]?.id);
  });

  it('repeatAcrossPages: the same group id on two pages', async () => {
    file.h.faults.add({ operation: 'ListSecurityGroups', pageSize: 3, repeatAcrossPages: true });
    const p1 = await page();
    const p2 = await page(p1.page_info.next_marker);
    expect(p2.security_groups[0]?.id).toBe(p1.security_groups[2]?.id);
    expect(p2.security_groups).toHaveLength(3);
  });

  it('markerCycle: next_marker goes A -> B -> A forever', async () => {
    file.h.faults.add({ operation: 'ListSecurityGroups', markerCycle: true });
    const [a, b] = [groups()[0]?.id, groups()[1]?.id];
    const seen: (string | undefined)[] = [];
    let marker: string | undefined;
    for (let i = 0; i < 5; i++) {
      const p = await page(marker);
      expect(p.security_groups.length).toBeGreaterThan(0);
      marker = p.page_info.next_marker;
      seen.push(marker);
    }
    expect(seen).toEqual([a, b, a, b, a]);
  });
});
