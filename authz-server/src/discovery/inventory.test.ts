import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { DeferredCounters } from '../bot/deferred.ts';
import { toRequestContext } from '../pipeline/request.ts';
import { buildRuntime } from '../pipeline/runtime.ts';
import { MemoryCounterStore } from '../store/memory-store.ts';
import { compile } from '../../../lib/policy/compile.ts';
import { ApiInventory } from './inventory.ts';
import { inventoryToOpenApi, namedTemplate } from './openapi-out.ts';

function setup(clock: () => number) {
  const { snapshot } = compile([{ metadata: { name: 'p', namespace: 'ns' }, spec: { hosts: ['a.example.com'], rules: [{ methods: ['GET'], paths: ['/items/*'] }] } }], [], new Date());
  const runtime = buildRuntime(snapshot);
  const store = new MemoryCounterStore({ sweepIntervalMs: 0 });
  const deferred = new DeferredCounters({ store, flushIntervalMs: 0 });
  const inventory = new ApiInventory({ deferred, store, clock, runtime: () => runtime, cacheMs: 0 });
  const req = (path: string, method = 'GET') => toRequestContext({ attributes: { request: { http: { headers: { ':authority': 'a.example.com', ':method': method, ':path': path } } } } });
  return { runtime, store, deferred, inventory, req, policy: runtime.policies.get('ns/p')! };
}

describe('ApiInventory', () => {
  it('a fractional clock never fails the off-path batch, and the counters flushed with it stay', async () => {
    const { deferred, inventory, req, policy, store } = setup(() => 1_772_442_001_898.4006);
    inventory.observe(policy, req('/items/1'));
    deferred.add('pal:{ns/p}:ct:other:x', 1, 60_000);
    await deferred.flush();
    expect(deferred.dropped).toBe(0);
    const r = await store.evaluate({ rateLimits: [], counters: [{ keys: ['pal:{ns/p}:ct:other:x'], incr: 0, ttlMs: 1 }], distinct: [] });
    expect(r.counters).toEqual([[1]]);
    const doc = await inventory.report();
    expect(doc.endpoints).toEqual([
      expect.objectContaining({ template: '/items/{id}', count: 1, firstSeen: '2026-03-02T09:00:01.898Z', coveredByRule: true, declared: true, shadow: false }),
    ]);
  });

  it('beyond maxEndpoints per policy, requests count under {other}', async () => {
    const { snapshot } = compile([{ metadata: { name: 'p', namespace: 'ns' }, spec: { hosts: ['a.example.com'] } }], [], new Date());
    const runtime = buildRuntime(snapshot);
    const store = new MemoryCounterStore({ sweepIntervalMs: 0 });
    const deferred = new DeferredCounters({ store, flushIntervalMs: 0 });
    const inventory = new ApiInventory({ deferred, store, clock: Date.now, runtime: () => runtime, maxEndpoints: 3, cacheMs: 0 });
    for (const w of ['a', 'b', 'c', 'd', 'e']) inventory.observe(runtime.policies.get('ns/p')!, toRequestContext({ attributes: { request: { http: { headers: { ':authority': 'a.example.com', ':method': 'GET', ':path': `/${w}` } } } } }));
    await deferred.flush();
    const doc = await inventory.report();
    expect(doc.endpoints.map((e) => [e.template, e.count])).toEqual([
      ['{other}', 2],
      ['/a', 1],
      ['/b', 1],
      ['/c', 1],
    ]);
  });

  it('counts allowed requests per series exactly, beyond maxMetricEndpoints under {other}, across scrapes and policy versions', async () => {
    const registry = new Registry();
    const doc = { metadata: { name: 'p', namespace: 'ns' }, spec: { hosts: ['a.example.com'] } };
    let runtime = buildRuntime(compile([doc], [], new Date()).snapshot);
    const store = new MemoryCounterStore({ sweepIntervalMs: 0 });
    const deferred = new DeferredCounters({ store, flushIntervalMs: 0 });
    const inventory = new ApiInventory({ deferred, store, clock: Date.now, runtime: () => runtime, maxMetricEndpoints: 1, cacheMs: 0, registry });
    const req = (path: string) => toRequestContext({ attributes: { request: { http: { headers: { ':authority': 'a.example.com', ':method': 'GET', ':path': path } } } } });
    const series = async () => {
      const text = await registry.metrics();
      return [...text.matchAll(/^palisade_api_requests_total\{.*template="([^"]+)"\} (\d+)$/gm)].map(([, t, n]) => `${t} ${n}`).sort();
    };
    for (const path of ['/a', '/a', '/b']) inventory.observe(runtime.policies.get('ns/p')!, req(path));
    expect(await series()).toEqual(['/a 2', '{other} 1']);
    // A scrape takes what was counted: a second one adds nothing.
    expect(await series()).toEqual(['/a 2', '{other} 1']);
    // A new snapshot (new policy objects) keeps counting in the same series.
    runtime = buildRuntime(compile([doc], [], new Date()).snapshot);
    for (const path of ['/a', '/b', '/c']) inventory.observe(runtime.policies.get('ns/p')!, req(path));
    expect(await series()).toEqual(['/a 3', '{other} 3']);
    // The inventory itself still records every request, and when it started.
    await deferred.flush();
    const report = await inventory.report();
    expect(report.endpoints.map((e) => [e.template, e.count]).sort()).toEqual([['/a', 3], ['/b', 2], ['/c', 1]]);
    expect(report.policies[0]?.observingSince).not.toBeNull();
  });
});

describe('OpenAPI out', () => {
  it('names template parameters uniquely', () => {
    expect(namedTemplate('/orders/{id}/items/{id}')).toEqual({ path: '/orders/{id}/items/{id2}', params: ['id', 'id2'] });
    expect(namedTemplate('/users/{userId}/{id}')).toEqual({ path: '/users/{userId}/{id}', params: ['userId', 'id'] });
  });

  it('one operation per method and template; the same endpoint on two hosts is summed', () => {
    const e = (host: string, count: number) => ({
      policy: 'ns/p', host, method: 'GET', template: '/items/{id}', count, firstSeen: null, lastSeen: null,
      responses: { '2xx': count, '3xx': 0, '4xx': 0, '5xx': 0 }, consumers: 1, coveredByRule: false, declared: false, shadow: true, zombie: false,
    });
    const doc = inventoryToOpenApi({ generatedAt: 'now', shadow: 2, zombie: 0, policies: [], endpoints: [e('a.example.com', 2), e('b.example.com', 3)] }, 'ns/p');
    expect(doc['servers']).toEqual([{ url: 'https://a.example.com' }, { url: 'https://b.example.com' }]);
    expect((doc['paths'] as Record<string, Record<string, unknown>>)['/items/{id}']?.['get']).toMatchObject({
      operationId: 'getItemsById',
      'x-palisade-requests': 5,
      'x-palisade-hosts': ['a.example.com', 'b.example.com'],
      'x-palisade-shadow': true,
    });
  });
});
