/**
 * API discovery over the real server: Checks record host, method and endpoint template (the OpenAPI operation's
 * when the policy has a description); /inventory and /metrics report endpoints, counts, response classes from the
 * access log, distinct consumers, and the declared, shadow and zombie ones; /inventory/openapi writes what was
 * observed as OpenAPI 3.1, which compiles back into a policy.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authzClient, envoyRequest, type AuthzClient } from '../support/envoy.ts';
import { accessLogEntry, sendAccessLogs } from '../support/access-log.ts';
import { captureLogger, policyDoc, startTestServer, writePolicyDir } from '../support/policies.ts';
import type { AuthzServer } from '../../authz-server/src/app/server.ts';
import type { InventoryReport } from '../../authz-server/src/discovery/inventory.ts';
import { compileOpenApi } from '../../lib/policy/openapi.ts';
import { ApiValidator } from '../../authz-server/src/openapi/validator.ts';
import { toRequestContext } from '../../authz-server/src/pipeline/request.ts';

const catalog = {
  openapi: '3.1.0',
  info: { title: 'Catalog', version: '1' },
  paths: {
    '/products/{productId}': { get: { parameters: [{ name: 'productId', in: 'path', required: true, schema: { type: 'integer' } }], responses: {} } },
    '/products': { get: { responses: {} }, post: { responses: {} } },
    '/legacy/export': { get: { responses: {} } },
  },
};

describe('API discovery', () => {
  let server: AuthzServer;
  let client: AuthzClient;
  let dir: Awaited<ReturnType<typeof writePolicyDir>>;
  const log = captureLogger();
  const start = Date.parse('2026-03-01T12:00:00Z');
  let now = start;

  beforeAll(async () => {
    dir = await writePolicyDir([
      // Monitor: requests no rule covers still reach the API, which is what makes them shadow endpoints.
      policyDoc('shop', { hosts: ['shop.example.com'], mode: 'Monitor', rules: [{ methods: ['GET'], paths: ['/orders', '/orders/*'] }], bot: { mode: 'Off' } }),
      policyDoc('legacy', { hosts: ['legacy.example.com'] }),
      // Validation in Monitor mode: undeclared operations pass (and are shadows); a day without /legacy/export makes it a zombie.
      policyDoc('catalog', { hosts: ['catalog.example.com'], openapi: { inline: catalog, mode: 'Monitor' }, inventory: { zombieAfter: '24h' } }),
    ]);
    server = await startTestServer(['--policies', dir.dir, '--decision-log', 'off'], log.logger, { deferredFlushMs: 0, clock: () => now });
    client = authzClient(server.grpcPort);
    // Envoy's access log already streams: Checks are remembered for their entries only once it is heard.
    await sendAccessLogs(server.grpcPort, []);
  });
  afterAll(async () => {
    client?.close();
    await server?.stop();
    await dir?.cleanup();
  });

  const inventory = async () => {
    now += 5000; // past the report cache
    const res = await fetch(`http://127.0.0.1:${server.httpPort}/inventory`);
    expect(res.headers.get('content-type')).toBe('application/json');
    return (await res.json()) as InventoryReport;
  };

  it('collapses ids into templates, counts, flags shadow endpoints, and serves /inventory', async () => {
    const paths = ['/orders', '/orders/1', '/orders/2', '/orders/3f2504e0-4f89-11d3-9a0c-0305e82c3301', '/internal/export', '/internal/export'];
    for (const path of paths) await client.check(envoyRequest({ host: 'shop.example.com', path }));
    now += 1000;
    await client.check(envoyRequest({ host: 'shop.example.com', method: 'DELETE', path: '/orders/9' }));
    await client.check(envoyRequest({ host: 'legacy.example.com', path: '/v1/users/77/avatar' }));
    await server.flushDeferred();

    const doc = await inventory();
    const by = (method: string, template: string) => doc.endpoints.find((e) => e.policy === 'shop/shop' && e.method === method && e.template === template);
    expect(by('GET', '/orders')).toMatchObject({ host: 'shop.example.com', count: 1, coveredByRule: true, declared: true, shadow: false, zombie: false });
    expect(by('GET', '/orders/{id}')).toMatchObject({ count: 3, coveredByRule: true, shadow: false, firstSeen: '2026-03-01T12:00:00.000Z', lastSeen: '2026-03-01T12:00:00.000Z' });
    expect(by('GET', '/internal/export')).toMatchObject({ count: 2, coveredByRule: false, shadow: true });
    expect(by('DELETE', '/orders/{id}')).toMatchObject({ count: 1, shadow: true, lastSeen: '2026-03-01T12:00:01.000Z' });
    expect(doc.endpoints.find((e) => e.template === '/v1/users/{id}/avatar')).toMatchObject({ policy: 'shop/legacy', shadow: true });
    expect(doc.policies.find((p) => p.policy === 'shop/shop')).toMatchObject({ endpoints: 4, declared: 2, shadow: 2, zombie: 0, observingSince: '2026-03-01T12:00:00.000Z' });

    const metrics = await (await fetch(`http://127.0.0.1:${server.httpPort}/metrics`)).text();
    expect(metrics).toContain('palisade_api_endpoints{policy="shop/shop",state="shadow"} 2');
    expect(metrics).toContain('palisade_api_endpoints{policy="shop/shop",state="declared"} 2');
    expect(metrics).toContain('palisade_api_requests_total{policy="shop/shop",host="shop.example.com",method="GET",template="/orders/{id}"} 3');
  });

  it('counts response classes from the access log (entries tied to their Check, once) and distinct consumers per endpoint', async () => {
    const ids = ['a', 'b', 'c'].map((s) => `00000000-0000-4000-8000-00000000000${s}`);
    for (const [i, requestId] of ids.entries()) await client.check(envoyRequest({ host: 'shop.example.com', path: '/orders/5', requestId, sourceIp: `10.0.0.${i % 2}` }));
    const ok = accessLogEntry({ host: 'shop.example.com', path: '/orders/5', code: 200, requestId: ids[0], sourceIp: '10.0.0.0' });
    await sendAccessLogs(server.grpcPort, [
      ok,
      accessLogEntry({ host: 'shop.example.com', path: '/orders/5', code: 404, requestId: ids[1], sourceIp: '10.0.0.1' }),
      accessLogEntry({ host: 'shop.example.com', path: '/orders/5', code: 503, requestId: ids[2], sourceIp: '10.0.0.0' }),
      // Replayed, and entries no Check of this replica answered: they count for nothing.
      ok,
      accessLogEntry({ host: 'shop.example.com', path: '/orders/6', code: 500, sourceIp: '10.0.0.9' }),
      accessLogEntry({ host: 'shop.example.com', path: '/never/seen', code: 500, requestId: 'forged', sourceIp: '10.0.0.9' }),
      // Palisade's own denial: counted when it was decided.
      accessLogEntry({ host: 'shop.example.com', path: '/orders/5', code: 403, extAuthzDenied: true, sourceIp: '10.0.0.9' }),
    ]);
    await server.flushDeferred();
    const doc = await inventory();
    const e = doc.endpoints.find((x) => x.policy === 'shop/shop' && x.method === 'GET' && x.template === '/orders/{id}');
    expect(e).toMatchObject({ count: 6, responses: { '2xx': 1, '3xx': 0, '4xx': 1, '5xx': 1 }, consumers: 3 });
    expect(doc.endpoints.some((x) => x.template === '/never/seen')).toBe(false);
    expect(await server.registry.getSingleMetricAsString('palisade_access_log_entries_ignored_total')).toContain('reason="unmatched"} 3');
  });

  it('names endpoints by the OpenAPI operation; undeclared ones are shadows; declared ones unused for zombieAfter are zombies', async () => {
    await client.check(envoyRequest({ host: 'catalog.example.com', path: '/products/12' }));
    await client.check(envoyRequest({ host: 'catalog.example.com', path: '/products' }));
    await client.check(envoyRequest({ host: 'catalog.example.com', path: '/admin/users/3' }));
    await server.flushDeferred();
    let doc = await inventory();
    const catalogEntries = (d: InventoryReport) => d.endpoints.filter((e) => e.policy === 'shop/catalog').map((e) => [e.host, e.method, e.template, e.count, e.declared, e.shadow, e.zombie]);
    expect(catalogEntries(doc)).toEqual([
      ['*', 'GET', '/legacy/export', 0, true, false, false],
      ['*', 'POST', '/products', 0, true, false, false],
      ['catalog.example.com', 'GET', '/admin/users/{id}', 1, false, true, false],
      ['catalog.example.com', 'GET', '/products', 1, true, false, false],
      ['catalog.example.com', 'GET', '/products/{productId}', 1, true, false, false],
    ]);

    now += 25 * 3600_000;
    await client.check(envoyRequest({ host: 'catalog.example.com', path: '/products/13' }));
    await server.flushDeferred();
    doc = await inventory();
    const zombies = doc.endpoints.filter((e) => e.policy === 'shop/catalog' && e.zombie).map((e) => `${e.method} ${e.template}`);
    expect(zombies.sort()).toEqual(['GET /legacy/export', 'GET /products', 'POST /products']);
    expect(doc.policies.find((p) => p.policy === 'shop/catalog')).toMatchObject({ zombie: 3, shadow: 1 });
    const metrics = await (await fetch(`http://127.0.0.1:${server.httpPort}/metrics`)).text();
    expect(metrics).toContain('palisade_api_endpoints{policy="shop/catalog",state="zombie"} 3');
  });

  it('/inventory/openapi writes an OpenAPI 3.1 description of what was observed, which compiles back into validators', async () => {
    const res = await fetch(`http://127.0.0.1:${server.httpPort}/inventory/openapi?policy=shop/shop`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, Record<string, unknown>>>; servers: unknown[] };
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.servers).toEqual([{ url: 'https://shop.example.com' }]);
    expect(Object.keys(doc.paths)).toEqual(['/internal/export', '/orders', '/orders/{id}']);
    expect(doc.paths['/orders/{id}']?.['get']).toMatchObject({
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
      responses: { '2XX': { description: 'success (1 observed)' }, '4XX': { description: 'client error (1 observed)' }, '5XX': { description: 'server error (1 observed)' } },
      'x-palisade-requests': 6,
      'x-palisade-consumers': 3,
    });
    expect(doc.paths['/internal/export']?.['get']).toMatchObject({ 'x-palisade-shadow': true });

    const validator = new ApiValidator(compileOpenApi(doc, { source: 'observed', mode: 'Enforce', validateBody: true }));
    const check = (method: string, path: string) => validator.validate(toRequestContext(envoyRequest({ host: 'shop.example.com', method, path })));
    expect(check('DELETE', '/orders/77')).toMatchObject({ ok: true, template: '/orders/{id}' });
    expect(check('POST', '/orders')).toMatchObject({ ok: false });

    const ambiguous = await fetch(`http://127.0.0.1:${server.httpPort}/inventory/openapi`);
    expect(ambiguous.status).toBe(400);
    expect(((await ambiguous.json()) as { error: string }).error).toContain('shop/catalog, shop/legacy, shop/shop');
  });

  it('the inventory lives in the counter store under the policy hash tag', async () => {
    const { inventoryKey } = await import('../../authz-server/src/discovery/inventory.ts');
    const r = await server.store.evaluate({ rateLimits: [], counters: [], distinct: [], reads: [{ key: inventoryKey('shop/shop') }] });
    expect(r.reads[0]).toContainEqual(['shop.example.com GET /orders/{id}\tn', 6]);
    expect(inventoryKey('shop/shop')).toMatch(/^pal:\{shop\/shop\}:/);
  });
});

