import {
  createServer as createNetServer,
  type AddressInfo,
  type Server as NetServer,
} from 'node:net';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { World } from '../world.js';
import { handleKube } from './api.js';
import { createPki, type ClientCert, type Pki } from './pki.js';

/** The request log of the emulator: what a test asserts about (method, path, status, user). */
export interface KubeLogEntry {
  method: string;
  path: string;
  status: number;
  user: string | null;
  time: string;
}

export interface KubeEmulator {
  /** `https://127.0.0.1:<port>`; a cluster's API is at `<url>/clusters/<cluster id>`. */
  url: string;
  /** An address that refuses connections: the internal endpoint of a cluster marked unreachable. */
  refusingUrl: string;
  /** The CA that signed the server and client certificates (made on first use). */
  readonly caPem: string;
  log: KubeLogEntry[];
  issueClient(clusterId: string, days: number): ClientCert;
  close(): Promise<void>;
}

/** What CCE puts in the client certificate's CN (an IAM user id in the real service). */
export const SANDBOX_KUBE_USER = 'cce-harden-sandbox-user';

const MAX_BODY = 3 * 1024 * 1024;

/**
 * The Kubernetes API emulator: HTTPS with a CA of its own, client-certificate authentication
 * (a certificate is good for the cluster named in its OU), one path prefix per cluster.
 */
export async function startKubeEmulator(
  getWorld: () => World,
  now: () => Date,
  host = '127.0.0.1',
): Promise<KubeEmulator> {
  const log: KubeLogEntry[] = [];
  // The CA and certificates are made on first use (key generation and signing take a moment):
  // a sandbox that never issues a kubeconfig never pays for them.
  let pki: Pki | undefined;
  const ensurePki = (): Pki => {
    if (!pki) {
      pki = createPki(now());
      server.setSecureContext({ key: pki.serverKeyPem, cert: pki.serverCertPem, ca: pki.caPem });
    }
    return pki;
  };
  const server: Server = createServer(
    { requestCert: true, rejectUnauthorized: false },
    (req, res) => {
      void serve(req, res).catch((err: unknown) => {
        if (!res.headersSent) {
          res.writeHead(500, { 'Content-Type': 'application/json' });
          res.end(
            JSON.stringify({ kind: 'Status', status: 'Failure', message: String(err), code: 500 }),
          );
        }
      });
    },
  );

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://sandbox');
    const entry: KubeLogEntry = {
      method: req.method ?? 'GET',
      path: url.pathname,
      status: 0,
      user: null,
      time: now().toISOString(),
    };
    log.push(entry);
    const reply = (status: number, body: unknown, contentType = 'application/json'): void => {
      entry.status = status;
      res.writeHead(status, { 'Content-Type': contentType });
      res.end(typeof body === 'string' ? body : JSON.stringify(body));
    };
    const unauthorized = (): void =>
      reply(401, {
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: 'Unauthorized',
        reason: 'Unauthorized',
        code: 401,
      });

    const m = /^\/clusters\/([0-9a-f-]{36})(\/.*)?$/.exec(url.pathname);
    if (!m?.[1])
      return reply(404, {
        kind: 'Status',
        status: 'Failure',
        message: 'not found',
        reason: 'NotFound',
        code: 404,
      });
    const clusterId = m[1];
    const socket = req.socket as TLSSocket;
    const peer = socket.getPeerCertificate();
    const ou = peer.subject?.OU;
    const cn = peer.subject?.CN;
    const validUntil = peer.valid_to ? Date.parse(peer.valid_to) : 0;
    if (!socket.authorized || ou !== clusterId || !cn || validUntil < now().getTime())
      return unauthorized();
    entry.user = String(cn);

    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req as AsyncIterable<Buffer>) {
      size += c.length;
      if (size > MAX_BODY)
        return reply(413, {
          kind: 'Status',
          status: 'Failure',
          message: 'request entity too large',
          code: 413,
        });
      chunks.push(c);
    }
    const text = Buffer.concat(chunks).toString('utf8');
    let body: unknown = null;
    if (text !== '') {
      try {
        body = JSON.parse(text);
      } catch {
        return reply(400, {
          kind: 'Status',
          status: 'Failure',
          message: 'the body is not JSON',
          reason: 'BadRequest',
          code: 400,
        });
      }
    }
    const answer = handleKube(getWorld(), clusterId, {
      method: entry.method,
      path: m[2] ?? '/',
      query: url.searchParams,
      body,
      user: String(cn),
      now: now(),
    });
    reply(answer.status, answer.body, answer.contentType);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  // A port that was bound and released: connecting to it is refused.
  const probe: NetServer = createNetServer();
  await new Promise<void>((resolve) => probe.listen(0, host, () => resolve()));
  const refusingPort = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));

  return {
    url: `https://${host}:${port}`,
    refusingUrl: `https://${host}:${refusingPort}`,
    get caPem() {
      return ensurePki().caPem;
    },
    log,
    issueClient: (clusterId, days) =>
      ensurePki().issueClient(clusterId, SANDBOX_KUBE_USER, days, now()),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
