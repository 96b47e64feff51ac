/**
 * API discovery over the real server: Checks record host, method and path template; /inventory and /metrics
 * report endpoints, counts and the shadow ones (no rule covers them).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authzClient, envoyRequest, type AuthzClient } from '../support/envoy.ts';
import { captureLogger, policyDoc, startTestServer, writePolicyDir } from '../support/policies.ts';
import type { AuthzServer } from '../../authz-server/src/app/server.ts';
import type { InventoryEntry } from '../../authz-server/src/discovery/inventory.ts';

describe('API discovery', () => {
  let server: AuthzServer;
  let client: AuthzClient;
  let dir: Awaited<ReturnType<typeof writePolicyDir>>;
  const log = captureLogger();
  let now = Date.parse('2026-03-01T12:00:00Z');

  beforeAll(async () => {
    dir = await writePolicyDir([
      // Monitor: requests no rule covers still reach the API, which is what makes them shadow endpoints.
      policyDoc('shop', { hosts: ['shop.example.com'], mode: 'Monitor', rules: [{ methods: ['GET'], paths: ['/orders', '/orders/*'] }], bot: { mode: 'Off' } }),
      policyDoc('legacy', { hosts: ['legacy.example.com'] }),
    ]);
    server = await startTestServer(['--policies', dir.dir, '--decision-log', 'off'], log.logger, { deferredFlushMs: 0, clock: () => now });
    client = authzClient(server.grpcPort);
  });
  afterAll(async () => {
    client?.close();
    await server?.stop();
    await dir?.cleanup();
  });

  it('collapses ids into templates, counts, flags shadow endpoints, and serves /inventory', async () => {
    const paths = ['/orders', '/orders/1', '/orders/2', '/orders/3f2504e0-4f89-11d3-9a0c-0305e82c3301', '/internal/export', '/internal/export'];
    for (const path of paths) await client.check(envoyRequest({ host: 'shop.example.com', path }));
    now += 1000;
    await client.check(envoyRequest({ host: 'shop.example.com', method: 'DELETE', path: '/orders/9' }));
    await client.check(envoyRequest({ host: 'legacy.example.com', path: '/v1/users/77/avatar' }));
    await server.flushDeferred();

    const res = await fetch(`http://127.0.0.1:${server.httpPort}/inventory`);
    expect(res.headers.get('content-type')).toBe('application/json');
    const doc = (await res.json()) as { endpoints: InventoryEntry[]; shadow: number };
    const by = (method: string, template: string) => doc.endpoints.find((e) => e.method === method && e.template === template);
    expect(by('GET', '/orders')).toMatchObject({ policy: 'shop/shop', host: 'shop.example.com', count: 1, coveredByRule: true, shadow: false });
    expect(by('GET', '/orders/{id}')).toMatchObject({ count: 3, coveredByRule: true, shadow: false, lastSeen: '2026-03-01T12:00:00.000Z' });
    expect(by('GET', '/internal/export')).toMatchObject({ count: 2, coveredByRule: false, shadow: true });
    expect(by('DELETE', '/orders/{id}')).toMatchObject({ count: 1, shadow: true, lastSeen: '2026-03-01T12:00:01.000Z' });
    expect(by('GET', '/v1/users/{id}/avatar')).toMatchObject({ policy: 'shop/legacy', shadow: true });
    expect(doc.shadow).toBe(3);
    expect(doc.endpoints).toHaveLength(5);

    const metrics = await (await fetch(`http://127.0.0.1:${server.httpPort}/metrics`)).text();
    expect(metrics).toContain('palisade_api_endpoints{policy="shop/shop",shadow="true"} 2');
    expect(metrics).toContain('palisade_api_endpoints{policy="shop/shop",shadow="false"} 2');
    expect(metrics).toContain('palisade_api_requests_total{policy="shop/shop",host="shop.example.com",method="GET",template="/orders/{id}"} 3');
  });

  it('counts live in the counter store (shared by replicas), under the policy hash tag', async () => {
    const { counterPrefix } = await import('../../authz-server/src/store/keys.ts');
    const key = counterPrefix('shop/shop', 'api', ['shop.example.com', 'GET', '/orders/{id}']);
    const r = await server.store.evaluate({ rateLimits: [], counters: [{ keys: [key], incr: 0, ttlMs: 1000 }], distinct: [] });
    expect(r.counters[0]).toEqual([3]);
  });
});
