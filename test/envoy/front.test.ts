/**
 * The test-only Envoy front (test/support/envoy-front.ts) in front of a real upstream, calling the real
 * authz-server over gRPC: it must apply CheckResponses as the ext_authz filter does, or the browser tests that
 * rely on it prove nothing.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyHeaderOptions, startEnvoyFront, type EnvoyFront } from '../support/envoy-front.ts';
import { captureLogger, policyDoc, sha256, startTestServer, writePolicyDir } from '../support/policies.ts';
import { freePort } from '../support/ports.ts';
import type { AuthzServer } from '../../authz-server/src/app/server.ts';

const KEY = 'front-key-0123456789';
const BROWSER = { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Chrome/130.0 Safari/537.36', accept: 'text/html', 'accept-language': 'en' };

/** An upstream that answers with the request it received, and a cookie of its own. */
async function echoUpstream(): Promise<{ port: number; seen: http.IncomingHttpHeaders[]; close(): Promise<void> }> {
  const seen: http.IncomingHttpHeaders[] = [];
  const server = http.createServer((req, res) => {
    seen.push(req.headers);
    res.setHeader('content-type', 'application/json');
    res.setHeader('set-cookie', 'app-session=abc; Path=/');
    res.setHeader('ratelimit-limit', '999');
    res.end(JSON.stringify({ method: req.method, url: req.url, headers: req.headers }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, seen, close: () => new Promise((r) => server.close(() => r())) };
}

async function get(url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  const res = await fetch(url, { method, headers, redirect: 'manual' });
  const h: http.IncomingHttpHeaders = {};
  res.headers.forEach((v, k) => (h[k] = v));
  const setCookie = res.headers.getSetCookie();
  if (setCookie.length > 0) h['set-cookie'] = setCookie;
  return { status: res.status, headers: h, body: await res.text() };
}

describe('test Envoy front', () => {
  let server: AuthzServer;
  let upstream: Awaited<ReturnType<typeof echoUpstream>>;
  let front: EnvoyFront;
  let policies: Awaited<ReturnType<typeof writePolicyDir>>;

  beforeAll(async () => {
    policies = await writePolicyDir([
      policyDoc('front', {
        hosts: ['127.0.0.1'],
        authentication: { required: true, apiKeys: { keys: [{ consumer: 'tester', sha256: sha256(KEY) }] } },
        rules: [{ methods: ['GET', 'HEAD', 'POST'], paths: ['/**'] }],
        rateLimits: [{ name: 'per-ip', paths: ['/limited'], key: ['clientIP'], requests: 1, period: '1h' }],
        bot: { mode: 'Monitor' },
      }),
    ]);
    server = await startTestServer(['--policies', policies.dir], captureLogger().logger);
    upstream = await echoUpstream();
    front = await startEnvoyFront({ authzPort: server.grpcPort, upstream: { host: '127.0.0.1', port: upstream.port } });
  });

  afterAll(async () => {
    await front?.close();
    await upstream?.close();
    await server?.stop();
    await policies?.cleanup();
  });

  it('builds the CheckRequest as an edge Envoy does: pseudo-headers, peer, external address, no client x-envoy-*', async () => {
    await get(`${front.url}/shape?q=1`, { ...BROWSER, 'x-api-key': KEY, 'x-envoy-external-address': '6.6.6.6', 'x-forwarded-for': '9.9.9.9' });
    const req = front.exchanges.at(-1)!.request.attributes!;
    const h = req.request!.http!.headers!;
    expect(h[':authority']).toBe(`127.0.0.1:${front.port}`);
    expect(h[':path']).toBe('/shape?q=1');
    expect(h[':method']).toBe('GET');
    expect(h.host).toBeUndefined();
    expect(h['x-envoy-external-address']).toBe('127.0.0.1');
    expect(h['x-forwarded-for']).toBe('9.9.9.9,127.0.0.1');
    expect(h['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(req.source!.address!.socket_address!.address).toBe('127.0.0.1');
    expect(req.request!.http!.path).toBe('/shape?q=1');
  });

  it('allowed: request mutations reach the upstream, removed headers do not, response headers are added', async () => {
    // The first request of a 1-per-hour limit: allowed, with its ratelimit-* headers for the client.
    const r = await get(`${front.url}/limited`, { ...BROWSER, 'x-api-key': KEY, 'x-palisade-consumer': 'forged' });
    expect(r.status).toBe(200);
    const seen = upstream.seen.at(-1)!;
    expect(seen['x-palisade-consumer']).toBe('tester');
    expect(seen['x-api-key']).toBeUndefined();
    expect(seen.host).toBe(`127.0.0.1:${front.port}`);
    // The upstream's own cookie survives; ratelimit-limit is overwritten by response_headers_to_add (append false).
    expect(r.headers['set-cookie']).toEqual(['app-session=abc; Path=/']);
    expect(r.headers['ratelimit-limit']).toBe('1');
    expect(r.headers['ratelimit-remaining']).toBe('0');
    expect(front.violations).toEqual([]);
  });

  it('denied: the local reply has the status, headers and body of denied_response', async () => {
    const unauth = await get(`${front.url}/ok`, BROWSER);
    expect(unauth.status).toBe(401);
    expect(unauth.headers['x-palisade-reason']).toBe('authentication');
    expect(unauth.headers['content-type']).toBe('application/json');
    expect(JSON.parse(unauth.body)).toMatchObject({ error: 'authentication' });
    const limited = await get(`${front.url}/limited`, { ...BROWSER, 'x-api-key': KEY });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(upstream.seen.every((h) => h['x-api-key'] === undefined)).toBe(true);
    const head = await get(`${front.url}/ok`, BROWSER, 'HEAD');
    expect(head.status).toBe(401);
    expect(head.body).toBe('');
  });

  it('an unreachable authz-server is an error: status_on_error, never a pass', async () => {
    const dead = await startEnvoyFront({ authzPort: await freePort(), upstream: { host: '127.0.0.1', port: upstream.port }, statusOnError: 503, timeoutMs: 300 });
    try {
      const before = upstream.seen.length;
      expect((await get(`${dead.url}/ok`, { ...BROWSER, 'x-api-key': KEY })).status).toBe(503);
      expect(upstream.seen.length).toBe(before);
      expect(dead.exchanges.at(-1)!.error).toBeTruthy();
    } finally {
      await dead.close();
    }
  });
});

describe('header mutations', () => {
  const opt = (key: string, value: string, append?: boolean, action?: number) => ({
    header: { key, value },
    ...(append === undefined ? {} : { append: { value: append } }),
    ...(action === undefined ? {} : { append_action: action }),
  });

  it('append false overwrites, append true joins with ",", append_action adds a line, is absent-only, or overwrites', () => {
    const v: string[] = [];
    const list: [string, string][] = [['a', '1'], ['b', '1']];
    applyHeaderOptions(list, [opt('a', '2', false), opt('b', '2', true), opt('c', '3', undefined, 0), opt('c', '4', undefined, 0), opt('a', 'x', undefined, 1), opt('d', 'x', undefined, 3), opt('e', '5', undefined, 1)], 'test', v);
    expect(list).toEqual([['b', '1,2'], ['a', '2'], ['c', '3'], ['c', '4'], ['e', '5']]);
    expect(v).toEqual([]);
  });

  it('records what Envoy versions disagree on: no append at all, and one name overwritten twice', () => {
    const v: string[] = [];
    applyHeaderOptions([], [opt('a', '1')], 'test', v);
    expect(v[0]).toMatch(/neither append nor append_action/);
    applyHeaderOptions([], [opt('set-cookie', 'a=1', false), opt('set-cookie', 'b=2', false)], 'test', v);
    expect(v[1]).toMatch(/overwritten twice/);
  });
});
