/**
 * RedisCounterStore on a real 3-master Redis Cluster (ioredis Cluster): the shared contract, one script call per
 * evaluate() landing on the node that owns the policy's hash tag, policies spread over nodes, cross-slot batches
 * refused, and no hang when a master dies.
 */
import { randomUUID } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Cluster } from 'ioredis';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StoreUnavailableError, type CounterBatch } from '../../authz-server/src/store/counter-store.ts';
import { bucketKeys, counterPrefix, rateLimitKey } from '../../authz-server/src/store/keys.ts';
import { RedisCounterStore, type RedisCounterStoreOptions } from '../../authz-server/src/store/redis-store.ts';

type StoreSeeds = Pick<RedisCounterStoreOptions, 'url' | 'cluster'>;
import { counterStoreContract } from '../support/counter-store-contract.ts';
import { commandCalls, startRedisCluster, type RedisClusterHandle } from '../support/redis-server.ts';

const quiet = { info: () => {}, warn: () => {} };

async function ready(store: RedisCounterStore): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!store.isHealthy()) {
    if (Date.now() > deadline) throw new Error('cluster store never became ready');
    await sleep(10);
  }
}

function batchFor(policy: string): CounterBatch {
  return {
    rateLimits: [{ key: rateLimitKey(policy, 'ip', ['192.0.2.1']), requests: 10, periodMs: 1000, burst: 0 }],
    counters: [{ keys: bucketKeys(counterPrefix(policy, 'req', []), Date.now(), 10_000, 3), incr: 1, ttlMs: 30_000 }],
    distinct: [],
  };
}

let cluster: RedisClusterHandle;
let reader: Cluster;
beforeAll(async () => {
  cluster = await startRedisCluster(3);
  reader = new Cluster(cluster.nodes);
});
afterAll(async () => {
  reader?.disconnect();
  await cluster?.stop();
});

/** A store on the test cluster (all nodes as seeds unless `where` says otherwise), once it is ready. */
async function clusterStore(where: StoreSeeds = { url: '', cluster: { nodes: cluster.nodes } }, timeoutMs = 1000): Promise<RedisCounterStore> {
  const store = new RedisCounterStore({ ...where, timeoutMs, logger: quiet, registry: new Registry() });
  try {
    await ready(store);
  } catch (e) {
    await store.close();
    throw e;
  }
  return store;
}

/** Runs `use` with a ready cluster store and closes the store whatever happens. */
async function withClusterStore(use: (store: RedisCounterStore) => Promise<void>, where?: StoreSeeds, timeoutMs?: number): Promise<void> {
  const store = await clusterStore(where, timeoutMs);
  try {
    await use(store);
  } finally {
    await store.close();
  }
}

counterStoreContract('redis cluster', async () => {
  const store = await clusterStore();
  return { store, pttl: (key) => reader.pttl(key), cleanup: () => store.close() };
});

describe('RedisCounterStore on Redis Cluster', () => {
  it('cluster: true with one seed url works too', async () => {
    const seed = cluster.nodes[1]!;
    await withClusterStore(async (store) => {
      const r = await store.evaluate(batchFor(`seed-${randomUUID().slice(0, 8)}`));
      expect(r.rateLimits[0]?.allowed).toBe(true);
    }, { url: `redis://${seed.host}:${seed.port}`, cluster: true });
  });

  it('one script call per evaluate(), on the node owning the policy; policies spread over the masters', async () => {
    await withClusterStore(async (store) => {
      const policies = Array.from({ length: 30 }, (_, i) => `spread-${i}`);
      // Warm-up: ioredis opens a node's connection on first use (CLIENT SETNAME etc. once per connection).
      for (const p of policies) await store.evaluate(batchFor(p));
      for (const s of cluster.servers) await s.command('CONFIG', 'RESETSTAT');
      const N = 90;
      for (let i = 0; i < N; i++) await store.evaluate(batchFor(policies[i % policies.length]!));
      const perNode = await Promise.all(cluster.servers.map(async (s) => commandCalls(await s.info('commandstats'))));
      const scriptCalls = perNode.map((c) => (c['evalsha'] ?? 0) + (c['eval'] ?? 0));
      expect(scriptCalls.reduce((a, b) => a + b, 0)).toBe(N);
      expect(scriptCalls.filter((n) => n > 0).length).toBeGreaterThanOrEqual(2);
      // No redirections were needed: every call went straight to the owner.
      for (const c of perNode) expect(Object.keys(c).filter((k) => !['eval', 'evalsha', 'info', 'config|resetstat', 'time', 'get', 'mget', 'set', 'incrby', 'pexpire'].includes(k))).toEqual([]);
      console.log(`cluster: script calls per master ${scriptCalls.join(' / ')}`);
    });
  });

  it('a batch spanning two hash tags is refused before it is sent (it could not run as one script call)', async () => {
    await withClusterStore(async (store) => {
      const batch: CounterBatch = {
        rateLimits: [
          { key: rateLimitKey('a', 'l', []), requests: 1, periodMs: 1000, burst: 0 },
          { key: rateLimitKey('b', 'l', []), requests: 1, periodMs: 1000, burst: 0 },
        ],
        counters: [],
        distinct: [],
      };
      await expect(store.evaluate(batch)).rejects.toBeInstanceOf(RangeError);
    });
  });

  it('a master killed: calls settle within the timeout (answer or StoreUnavailableError), never hang', async () => {
    const timeoutMs = 50;
    await withClusterStore(async (store) => {
      await cluster.servers[2]!.kill();
      const lag = monitorEventLoopDelay({ resolution: 5 });
      lag.enable();
      const outcomes = await Promise.all(
        Array.from({ length: 60 }, async (_, i) => {
          const started = performance.now();
          try {
            await store.evaluate(batchFor(`killed-${i}`));
            return { ok: true, ms: performance.now() - started };
          } catch (err) {
            expect(err).toBeInstanceOf(StoreUnavailableError);
            return { ok: false, ms: performance.now() - started };
          }
        }),
      );
      lag.disable();
      expect(Math.max(...outcomes.map((o) => o.ms))).toBeLessThan(timeoutMs + 50 + lag.max / 1e6);
      expect(outcomes.some((o) => !o.ok)).toBe(true);
      console.log(`cluster with a dead master: ${outcomes.filter((o) => o.ok).length}/60 answered, the rest StoreUnavailableError`);
    }, undefined, timeoutMs);
  });
});
