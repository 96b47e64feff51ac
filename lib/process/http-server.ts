/** The HTTP side port: /metrics, /healthz (alive), /readyz (a snapshot is in force and not draining). */
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

// Not `import ... from 'node:http'`: an ES import of a builtin evaluates all its exports, and node:http's lazy
// WebSocket/fetch getters then load Node's bundled undici: +13 MiB RSS per process (measured), never used here.
const { createServer } = createRequire(import.meta.url)('node:http') as typeof import('node:http');
/** Thrown by a JSON endpoint to answer with this status and `{ "error": message }`. */
export class HttpError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

export interface HttpDeps {
  registry: Registry;
  ready: () => { ready: boolean; reason: string };
  /** Extra JSON endpoints by path (e.g. /inventory), given the query string; may answer asynchronously. */
  json?: Record<string, (query: URLSearchParams) => unknown>;
}

/** Creates (does not start) the HTTP server. */
export function createHttpServer(deps: HttpDeps): Server {
  return createServer((req, res) => {
    const [path, query = ''] = (req.url ?? '/').split('?');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
      return;
    }
    if (path === '/readyz') {
      const r = deps.ready();
      res.writeHead(r.ready ? 200 : 503, { 'content-type': 'text/plain' }).end(`${r.reason}\n`);
      return;
    }
    if (path === '/metrics') {
      deps.registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': deps.registry.contentType }).end(text),
        (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${err.message}\n`),
      );
      return;
    }
    const handler = path ? deps.json?.[path] : undefined;
    if (handler) {
      const json = { 'content-type': 'application/json' };
      new Promise((resolve) => resolve(handler(new URLSearchParams(query)))).then(
        (body) => res.writeHead(200, json).end(`${JSON.stringify(body)}\n`),
        (err: Error) => res.writeHead(err instanceof HttpError ? err.status : 503, json).end(`${JSON.stringify({ error: err.message })}\n`),
      );
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
  });
}

/** Starts `server` on host:port (0 = any free port) and resolves with the bound port. */
export function listenHttp(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}
