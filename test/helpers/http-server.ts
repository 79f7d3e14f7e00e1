/**
 * Plain local HTTP servers for tests that need an endpoint the sandbox is not (a redirect target,
 * an answer too large). `localServersPerTest()` (call it at the top of a file) returns a starter;
 * every server it started is closed after each test, its open connections too.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach } from 'vitest';

export interface LocalServer {
  url: string;
  /** Every request received, in order. */
  hits: { method: string; url: string; headers: http.IncomingHttpHeaders }[];
}

export function localServersPerTest(): (handler: http.RequestListener) => Promise<LocalServer> {
  let open: http.Server[] = [];
  afterEach(async () => {
    const closing = open;
    open = [];
    await Promise.all(
      closing.map(
        (server) =>
          new Promise<void>((resolve) => {
            server.closeAllConnections();
            server.close(() => resolve());
          }),
      ),
    );
  });
  return async (handler) => {
    const hits: LocalServer['hits'] = [];
    const server = http.createServer((req, res) => {
      hits.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
      handler(req, res);
    });
    open.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return { url: `http://127.0.0.1:${port}`, hits };
  };
}
