/**
 * The API model end to end: two authz-server replicas sharing one real redis-server, Envoy-shaped CheckRequests
 * over real gRPC, alternating between the replicas as a load balancer would. Every verdict on a policy with an
 * OpenAPI description (validation among them, and its Monitor mode), the cluster-wide inventory both replicas
 * serve identically, journeys learned from sessions spread over both replicas and the journey-skip bot signal,
 * OpenAPI out through the CLI against a live replica, and the store going away (unavailable).
 */
import { readFileSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { authzClient, envoyRequest, headerOf, spiffe, type AuthzClient, type RequestShape } from '../support/envoy.ts';
import { accessLogEntry, sendAccessLogs } from '../support/access-log.ts';
import { captureLogger, policyDoc, sha256, startTestServer, writePolicyDir, type CapturedLog } from '../support/policies.ts';
import { startRedis, type RedisServerHandle } from '../support/redis-server.ts';
import { waitFor } from '../support/verdict.ts';
import type { AuthzServer } from '../../authz-server/src/app/server.ts';
import type { InventoryReport } from '../../authz-server/src/discovery/inventory.ts';

const root = join(import.meta.dirname, '..', '..');
const description = parse(readFileSync(join(root, 'authz-server/src/openapi/testdata/shop.yaml'), 'utf8')) as Record<string, unknown>;
const KEY = 'web-key-1';
const PRINCIPAL = spiffe('shop', 'frontend');
const CART = '3f2504e0-4f89-11d3-9a0c-0305e82c3301';

describe('API model on two replicas sharing one Redis', () => {
  let redis: RedisServerHandle;
  let dir: Awaited<ReturnType<typeof writePolicyDir>>;
  const replicas: Array<{ server: AuthzServer; client: AuthzClient; log: CapturedLog }> = [];
  let offset = 0;
  const clock = () => Date.now() + offset;
  let turn = 0;

  /** The next replica, round robin. */
  const next = () => replicas[turn++ % replicas.length]!;
  const shape = (s: RequestShape): RequestShape => ({ host: 'shop.example.com', principal: PRINCIPAL, ...s, headers: { 'x-api-key': KEY, ...s.headers } });
  const check = (s: RequestShape) => next().client.check(envoyRequest(shape(s)));
  const reasonOf = async (s: RequestShape) => {
    const res = await check(s);
    return res.status.code === 0 ? 'allow' : `${headerOf(res.denied_response?.headers, 'x-palisade-reason')} ${res.denied_response?.status.code}`;
  };
  const json = (body: unknown, headers: Record<string, string> = {}) => {
    const text = JSON.stringify(body);
    return { body: text, headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers } };
  };
  const flush = async () => {
    for (const r of replicas) await r.server.flushDeferred();
    for (const r of replicas) await r.server.journeys.refreshAll();
    offset += 2000; // past the inventory's report cache
  };
  const inventoryOf = async (i: number) => (await (await fetch(`http://127.0.0.1:${replicas[i]!.server.httpPort}/inventory`)).json()) as InventoryReport;

  beforeAll(async () => {
    redis = await startRedis();
    dir = await writePolicyDir([
      policyDoc('shop', {
        hosts: ['shop.example.com'],
        identity: { allowedPrincipals: [spiffe('shop', '*')] },
        authentication: { required: true, apiKeys: { keys: [{ consumer: 'web', sha256: sha256(KEY) }] } },
        rules: [{ methods: ['GET', 'POST', 'PUT'], paths: ['/api/**'] }],
        openapi: { inline: description },
        inspection: { sqlInjection: true, xss: true },
        rateLimits: [{ name: 'featured', methods: ['GET'], paths: ['/api/products/featured'], key: ['clientIP'], requests: 2, period: '1h' }],
        bot: { mode: 'Enforce', sessionHeader: 'x-session-id' },
      }),
      policyDoc('shop-monitor', { hosts: ['monitor.example.com'], openapi: { inline: description, mode: 'Monitor' } }),
    ]);
    for (let i = 0; i < 2; i++) {
      const log = captureLogger();
      const server = await startTestServer(['--policies', dir.dir, '--redis', redis.url, '--store-timeout-ms', '200'], log.logger, { deferredFlushMs: 0, clock });
      replicas.push({ server, client: authzClient(server.grpcPort), log });
      // Envoy's access log already streams: Checks are remembered for their entries only once it is heard.
      await sendAccessLogs(server.grpcPort, []);
    }
  });

  afterAll(async () => {
    for (const r of replicas) {
      r.client.close();
      await r.server.stop();
    }
    await redis?.stop();
    await dir?.cleanup();
  });

  it('every verdict, with validation among them', async () => {
    expect(await reasonOf({ path: '/api/products?limit=5&tag=sale' })).toBe('allow');
    expect(await reasonOf({ host: 'other.example.com', path: '/api/products' })).toBe('no-policy 403');
    expect(await reasonOf({ path: '/api/products', principal: spiffe('evil', 'x') })).toBe('identity 403');
    expect(await reasonOf({ path: '/api/products', headers: { 'x-api-key': 'wrong' } })).toBe('authentication 401');
    expect(await reasonOf({ path: '/admin' })).toBe('access 403');
    // validation: an unknown operation, a wrong method, missing and ill-typed parameters, a body that violates the schema
    expect(await reasonOf({ path: '/api/internal/export' })).toBe('validation 400');
    expect(await reasonOf({ method: 'PUT', path: '/api/products/7' })).toBe('validation 400');
    expect(await reasonOf({ path: '/api/cart' })).toBe('validation 400');
    expect(await reasonOf({ path: '/api/products/seven' })).toBe('validation 400');
    expect(await reasonOf({ path: '/api/products?limit=1000' })).toBe('validation 400');
    expect(await reasonOf({ method: 'POST', path: '/api/orders', ...json({ items: [] }) })).toBe('validation 400');
    expect(await reasonOf({ method: 'POST', path: '/api/orders', body: '<order/>', headers: { 'content-type': 'application/xml', 'content-length': '8' } })).toBe('validation 400');
    expect(await reasonOf({ method: 'POST', path: '/api/orders', ...json({ items: [{ sku: 'ABC-1', quantity: 1 }], coupon: "x' OR '1'='1" }) })).toBe('inspection 403');
    expect(await reasonOf({ path: '/api/products/featured', sourceIp: '192.0.2.50' })).toBe('allow');
    expect(await reasonOf({ path: '/api/products/featured', sourceIp: '192.0.2.50' })).toBe('allow');
    expect(await reasonOf({ path: '/api/products/featured', sourceIp: '192.0.2.50' })).toBe('rate-limit 429');
    // bot: a client without a user agent scores it; together with a skipped journey step it is denied (below)

    const denied = await check({ path: '/api/products/abc' });
    expect(denied.status.code).toBe(3); // INVALID_ARGUMENT
    expect(JSON.parse(denied.denied_response?.body ?? '')).toMatchObject({ error: 'validation' });
    // Deny lines reach the log within a few milliseconds of the answer.
    const { value: line } = await waitFor('the validation decision line', () => [...replicas[0]!.log.lines, ...replicas[1]!.log.lines].find((l) => l['msg'] === 'decision' && l['reason'] === 'validation' && l['path'] === '/api/products/abc'), (l) => l !== undefined, 2000, 2);
    expect(line?.['detail']).toBe('GET /products/{productId}: path parameter "productId": must be integer');

    // Monitor mode: reported upstream, never denied.
    const monitored = await next().client.check(envoyRequest({ host: 'monitor.example.com', path: '/api/internal/export' }));
    expect(monitored.status.code).toBe(0);
    expect(headerOf(monitored.ok_response?.headers, 'x-palisade-would-deny')).toBe('validation');
  });

  it('journeys: a model learned from unflagged sessions on both replicas flags an order without a cart', async () => {
    const session = async (id: string, ip: string, steps: RequestShape[]) => {
      for (const s of steps) {
        const res = await check({ ...s, sourceIp: ip, headers: { 'x-session-id': id, ...s.headers } });
        expect(res.status.code, `${id} ${s.method ?? 'GET'} ${s.path}`).toBe(0);
      }
    };
    const order = () => ({ method: 'POST', path: '/api/orders', ...json({ items: [{ sku: 'ABC-1', quantity: 1 }] }) });
    const person = (i: number) => session(`person-${i}`, `10.20.${i >> 8}.${i & 255}`, [{ path: '/api/products' }, { path: '/api/cart', headers: { 'x-cart-id': CART } }, order()]);
    // First the transitions (cart is what comes before an order), then sessions that count as evidence.
    for (let i = 0; i < 22; i++) await person(i);
    await flush();
    for (let i = 22; i < 56; i++) await person(i);
    await flush();

    // A browser skipping the cart: allowed, but the signal is there, explained.
    const skipper = await check({ ...order(), sourceIp: '198.51.100.7', headers: { 'x-session-id': 'skipper', ...order().headers } });
    expect(skipper.status.code).toBe(0);
    expect(headerOf(skipper.ok_response?.headers, 'x-palisade-bot-signals')).toMatch(/journey-skip\+40/);
    // A client without a user agent skipping the cart: two kinds of evidence, denied. (With the key it carries, an HTTP
    // library's user agent would be none: the key is issued to a program.)
    const bot = await check({ ...order(), sourceIp: '198.51.100.8', headers: { 'x-session-id': 'script', 'user-agent': '', ...order().headers } });
    expect(headerOf(bot.denied_response?.headers, 'x-palisade-reason')).toBe('bot');
    const { value: line } = await waitFor('the bot decision line', () => [...replicas[0]!.log.lines, ...replicas[1]!.log.lines].find((l) => l['msg'] === 'decision' && l['reason'] === 'bot'), (l) => l !== undefined, 2000, 2);
    const signals = (line?.['bot'] as { signals: Array<{ name: string; detail: string }> }).signals;
    expect(signals.find((s) => s.name === 'journey-skip')?.detail).toBe('POST /api/orders without GET /api/cart before it in this session (100% of 34 sessions took it first)');

    await flush();
    const shop = (await inventoryOf(0)).policies.find((p) => p.policy === 'shop/shop');
    // 56 sessions; the very first window is lost: its order step ran on the replica that had not named the cart
    // step yet (a replica names the steps it planned and those in the model it last read).
    expect(shop?.journeys[0]).toEqual({ steps: ['(start)', 'GET /api/products', 'GET /api/cart', 'POST /api/orders'], count: 55 });
  });

  it('both replicas serve the same cluster-wide inventory: counts, response classes, consumers, shadow/declared', async () => {
    // Each replica hears the access log of the Checks it answered (matched by x-request-id).
    for (const [i, code] of [200, 503].entries()) {
      const requestId = `cart-${i}`;
      const r = replicas[i]!;
      const res = await r.client.check(envoyRequest(shape({ path: '/api/cart', requestId, sourceIp: `10.30.0.${i}`, headers: { 'x-cart-id': CART } })));
      expect(res.status.code).toBe(0);
      await sendAccessLogs(r.server.grpcPort, [accessLogEntry({ host: 'shop.example.com', path: '/api/cart', code, requestId, sourceIp: `10.30.0.${i}` })]);
    }
    await flush();
    const [a, b] = await Promise.all([inventoryOf(0), inventoryOf(1)]);
    expect({ ...a, generatedAt: '' }).toEqual({ ...b, generatedAt: '' });
    const by = (method: string, template: string) => a.endpoints.find((e) => e.policy === 'shop/shop' && e.method === method && e.template === template);
    // 56 people, two that skipped it, one allowed before and one inspection denial that never reached the API
    expect(by('POST', '/api/orders')).toMatchObject({ host: 'shop.example.com', count: 57, declared: true, shadow: false, coveredByRule: true });
    expect(by('GET', '/api/cart')).toMatchObject({ count: 58, responses: { '2xx': 1, '5xx': 1 }, consumers: 1 });
    expect(by('GET', '/api/products')).toMatchObject({ count: 57 });
    // Declared operations nobody called yet are listed with no requests (zombies only after inventory.zombieAfter).
    expect(by('POST', '/api/password-reset')).toMatchObject({ host: '*', count: 0, declared: true, zombie: false });
    const monitor = a.endpoints.find((e) => e.policy === 'shop/shop-monitor' && e.template === '/api/internal/export');
    expect(monitor).toMatchObject({ count: 1, declared: false, shadow: true });
    expect(a.policies.find((p) => p.policy === 'shop/shop-monitor')).toMatchObject({ shadow: 1 });
  });

  it('palisade inventory --openapi against a live replica', async () => {
    const palisade = (...args: string[]) =>
      promisify(execFile)(process.execPath, ['authz-server/src/cli/palisade.ts', 'inventory', '--server', `http://127.0.0.1:${replicas[1]!.server.httpPort}`, ...args], { cwd: root, encoding: 'utf8' }).then(
        ({ stdout, stderr }) => ({ status: 0, stdout, stderr }),
        (err: { code: number; stdout: string; stderr: string }) => ({ status: err.code, stdout: err.stdout, stderr: err.stderr }),
      );
    const r = await palisade('--openapi', '--policy', 'shop/shop');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout) as { openapi: string; paths: Record<string, Record<string, Record<string, unknown>>> };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(['/api/cart', '/api/orders', '/api/products', '/api/products/featured']);
    expect(doc.paths['/api/cart']?.['get']).toMatchObject({ responses: { '2XX': {}, '5XX': {} }, 'x-palisade-requests': 58 });
    expect(doc.paths['/api/orders']?.['post']).toMatchObject({ 'x-palisade-requests': 57 });
    const missing = await palisade('--openapi');
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('shop/shop, shop/shop-monitor');
  });

  it('store down with FailClosed -> 503 unavailable; the inventory says so instead of inventing', async () => {
    await redis.stop();
    expect(await reasonOf({ path: '/api/products' })).toBe('unavailable 503');
    offset += 2000;
    const res = await fetch(`http://127.0.0.1:${replicas[0]!.server.httpPort}/inventory`);
    expect(res.status).toBe(503);
  });
});
