/**
 * The Kubernetes adapter's transport: no redirect is followed (the client certificate must not be
 * presented to another server), answers are bounded, a silent server times out.
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { KubeClient } from '../../src/cloud/kube.js';
import { CloudError } from '../../src/core/errors.js';
import { createPki } from '../../src/sandbox/k8s/pki.js';

const pki = createPki(new Date());
const client = pki.issueClient('00000000-0000-4000-8000-000000000000', 'u', 1, new Date());
const b64 = (s: string) => Buffer.from(s).toString('base64');
const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
});

async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const s = createServer({ key: pki.serverKeyPem, cert: pki.serverCertPem }, handler);
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  return `https://127.0.0.1:${(s.address() as AddressInfo).port}`;
}

function open(server: string, timeoutMs = 5000): Promise<KubeClient> {
  return KubeClient.open(
    {
      kind: 'issued',
      endpoint: 'internal',
      kubeconfig: {
        clusters: [{ name: 'internalCluster', server, caData: b64(pki.caPem), insecure: false }],
        clientCertData: b64(client.certPem),
        clientKeyData: b64(client.keyPem),
      },
    },
    { timeoutMs },
  );
}

describe('KubeClient transport', () => {
  it('does not follow a redirect', async () => {
    let visited = false;
    const elsewhere = await serve((_req, res) => {
      visited = true;
      res.end('{"items":[]}');
    });
    const server = await serve((_req, res) => {
      res.writeHead(302, { Location: `${elsewhere}/api/v1/nodes` });
      res.end();
    });
    const kube = await open(server);
    await expect(kube.listNodes()).rejects.toBeInstanceOf(CloudError);
    expect(visited).toBe(false);
  });

  it('refuses an answer that is too large', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(Buffer.alloc(9 * 1024 * 1024, 0x20));
    });
    const kube = await open(server);
    const err = await kube.listNodes().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CloudError);
    expect(String((err as Error).message)).toContain('list nodes: the answer is larger than');
  });

  it('gives up on a server that never answers', async () => {
    const server = await serve(() => undefined);
    const kube = await open(server, 300);
    await expect(kube.listNodes()).rejects.toThrow(/no answer within/);
  });

  it('never uses the kubeconfig entry without TLS verification', async () => {
    await expect(
      KubeClient.open(
        {
          kind: 'issued',
          endpoint: 'external',
          kubeconfig: {
            clusters: [
              {
                name: 'externalCluster',
                server: 'https://127.0.0.1:1',
                caData: null,
                insecure: true,
              },
            ],
            clientCertData: b64(client.certPem),
            clientKeyData: b64(client.keyPem),
          },
        },
        { timeoutMs: 1000 },
      ),
    ).rejects.toThrow(/no public API endpoint/);
  });
});
