/**
 * The coalescing store on a real redis-server: the CounterStore contract; concurrent Checks of one policy cost one
 * script call between them and get exactly the results the same batches get one after the other; policies with
 * different hash tags are never merged; a bad batch fails alone; a Redis outage fails every waiting Check.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoalescingCounterStore } from '../../authz-server/src/store/coalescing-store.ts';
import { StoreUnavailableError, type CounterBatch } from '../../authz-server/src/store/counter-store.ts';
import { gcra } from '../../authz-server/src/store/gcra.ts';
import { bucketKeys, counterPrefix, rateLimitKey } from '../../authz-server/src/store/keys.ts';
import { RedisCounterStore } from '../../authz-server/src/store/redis-store.ts';
import { counterStoreContract } from '../support/counter-store-contract.ts';
import { captureLogger } from '../support/policies.ts';
import { commandCalls, startRedis, type RedisServerHandle } from '../support/redis-server.ts';

let server: RedisServerHandle;
beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  await server?.stop();
});

const quiet = { info: () => {}, warn: () => {} };
const redisStore = () => new RedisCounterStore({ url: server.url, timeoutMs: 1000, logger: quiet, registry: new Registry() });

counterStoreContract('Redis, coalescing', async () => {
  const store = new CoalescingCounterStore(redisStore());
  for (let i = 0; i < 100 && !store.isHealthy(); i++) await sleep(50);
  return {
    store,
    pttl: async (key) => Number(await server.command('PTTL', key)),
    cleanup: () => store.close(),
  };
});

/** A Check's store work: a shared per-consumer limit, a per-IP limit and a bucketed counter. */
function checkBatch(policy: string, i: number): CounterBatch {
  return {
    rateLimits: [
      { key: rateLimitKey(policy, 'per-consumer', ['app']), requests: 5, periodMs: 60_000, burst: 1 },
      { key: rateLimitKey(policy, 'per-ip', [`10.0.0.${i % 3}`]), requests: 2, periodMs: 60_000, burst: 0 },
    ],
    counters: [{ keys: bucketKeys(counterPrefix(policy, 'seen', [`10.0.0.${i % 3}`]), 1_700_000_000_000, 10_000, 2), incr: 1, ttlMs: 60_000 }],
    distinct: [],
  };
}

async function scriptCalls(): Promise<number> {
  const c = commandCalls(await server.info('commandstats'));
  return (c['evalsha'] ?? 0) + (c['eval'] ?? 0);
}

describe('CoalescingCounterStore on Redis', () => {
  it('concurrent Checks of one policy: one script call, and the results of one-after-the-other calls', async () => {
    const store = new CoalescingCounterStore(redisStore());
    const plain = redisStore();
    try {
      await store.evaluate(checkBatch(`warm-${randomUUID()}`, 0));
      const merged = `merged-${randomUUID().slice(0, 8)}`;
      const sequential = `seq-${randomUUID().slice(0, 8)}`;
      const before = await scriptCalls();
      const together = await Promise.all(Array.from({ length: 12 }, (_, i) => store.evaluate(checkBatch(merged, i))));
      expect((await scriptCalls()) - before).toBe(1);
      // Rate limits: gcra.ts applying the 12 batches one after the other at the call's store time.
      const tats = new Map<string, number>();
      const want = Array.from({ length: 12 }, (_, i) =>
        checkBatch(merged, i).rateLimits.map((op) => {
          const o = gcra(tats.get(op.key), together[0]?.nowMs ?? 0, op);
          if (o.newTatMs !== undefined) tats.set(op.key, o.newTatMs);
          return o.result;
        }),
      );
      expect(together.map((r) => r.rateLimits)).toEqual(want);
      // Counters: the same as one store call per Check.
      const oneByOne = [];
      for (let i = 0; i < 12; i++) oneByOne.push(await plain.evaluate(checkBatch(sequential, i)));
      expect(together.map((r) => r.counters)).toEqual(oneByOne.map((r) => r.counters));
      // The shared limit let 6 through (5 + burst 1), each IP 2, and the counters counted every Check.
      expect(together.filter((r) => r.rateLimits[0]?.allowed).length).toBe(6);
      expect(together.map((r) => r.counters[0]?.[0])).toEqual([1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4]);
    } finally {
      await store.close();
      await plain.close();
    }
  });

  it('under load, Checks arriving within the merge window after a busy call share the next call', async () => {
    const windowed = new CoalescingCounterStore(redisStore(), { windowMs: 50 });
    const turnOnly = new CoalescingCounterStore(redisStore(), { windowMs: 0 });
    const nextTurn = () => new Promise((r) => setImmediate(r));
    // Two Checks in one turn (a busy call), then three arriving in three later turns.
    const run = async (store: CoalescingCounterStore, policy: string) => {
      await Promise.all([0, 1].map((i) => store.evaluate(checkBatch(policy, i))));
      const before = await scriptCalls();
      const later: Promise<unknown>[] = [];
      for (let i = 2; i < 5; i++) {
        later.push(store.evaluate(checkBatch(policy, i)));
        await nextTurn();
      }
      await Promise.all(later);
      return (await scriptCalls()) - before;
    };
    try {
      expect(await run(windowed, `win-${randomUUID().slice(0, 8)}`)).toBe(1);
      expect(await run(turnOnly, `turn-${randomUUID().slice(0, 8)}`)).toBe(3);
    } finally {
      await windowed.close();
      await turnOnly.close();
    }
  });

  it('under load, the wait ends as soon as enough Checks are waiting, in one call', async () => {
    const early = new CoalescingCounterStore(redisStore(), { windowMs: 200, fullAt: 3 });
    const nextTurn = () => new Promise((r) => setImmediate(r));
    try {
      const policy = `full-${randomUUID().slice(0, 8)}`;
      await Promise.all([0, 1].map((i) => early.evaluate(checkBatch(policy, i))));
      const before = await scriptCalls();
      const started = performance.now();
      const later: Promise<unknown>[] = [];
      for (let i = 2; i < 5; i++) {
        later.push(early.evaluate(checkBatch(policy, i)));
        await nextTurn();
      }
      await Promise.all(later);
      const waited = performance.now() - started;
      expect((await scriptCalls()) - before).toBe(1);
      // The third Check ended the wait: far under the window.
      expect(waited).toBeLessThan(100);
      // Two Checks alone wait the window out.
      await Promise.all([5, 6].map((i) => early.evaluate(checkBatch(policy, i))));
      const pairStarted = performance.now();
      await Promise.all([7, 8].map((i) => early.evaluate(checkBatch(policy, i))));
      expect(performance.now() - pairStarted).toBeGreaterThanOrEqual(199);
    } finally {
      await early.close();
    }
  });

  it('a quiet server never waits: after a call that served one Check, the next goes at once', async () => {
    const store = new CoalescingCounterStore(redisStore(), { windowMs: 50 });
    try {
      const policy = `quiet-${randomUUID().slice(0, 8)}`;
      await store.evaluate(checkBatch(policy, 0));
      const started = performance.now();
      await store.evaluate(checkBatch(policy, 1));
      const single = performance.now() - started;
      await Promise.all([2, 3].map((i) => store.evaluate(checkBatch(policy, i))));
      const busyStarted = performance.now();
      await store.evaluate(checkBatch(policy, 4));
      const afterBusy = performance.now() - busyStarted;
      // The one after a busy call waited out the window; the one after a single call did not.
      expect(afterBusy).toBeGreaterThanOrEqual(49);
      expect(single).toBeLessThan(40);
    } finally {
      await store.close();
    }
  });

  it('never merges two policies (two hash tags): one call each', async () => {
    const store = new CoalescingCounterStore(redisStore());
    try {
      await store.evaluate(checkBatch(`warm-${randomUUID()}`, 0));
      const before = await scriptCalls();
      await Promise.all([0, 1, 2, 3].map((i) => store.evaluate(checkBatch(i % 2 ? 'pa' : 'pb', i))));
      expect((await scriptCalls()) - before).toBe(2);
    } finally {
      await store.close();
    }
  });

  it('a bad batch is refused alone; the Checks it arrived with are answered', async () => {
    const store = new CoalescingCounterStore(redisStore());
    try {
      const p = `bad-${randomUUID().slice(0, 8)}`;
      const bad: CounterBatch = { rateLimits: [{ key: rateLimitKey(p, 'x', []), requests: 0, periodMs: 1000, burst: 0 }], counters: [], distinct: [] };
      const results = await Promise.allSettled([store.evaluate(checkBatch(p, 0)), store.evaluate(bad), store.evaluate(checkBatch(p, 1))]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect((results[1] as PromiseRejectedResult).reason).toBeInstanceOf(RangeError);
    } finally {
      await store.close();
    }
  });

  it('when Redis is gone every Check of the merged call fails with StoreUnavailableError', async () => {
    const own = await startRedis();
    const store = new CoalescingCounterStore(new RedisCounterStore({ url: own.url, timeoutMs: 200, logger: captureLogger().logger, registry: new Registry() }));
    try {
      await store.evaluate(checkBatch('down', 0));
      await own.kill();
      const results = await Promise.allSettled([0, 1, 2].map((i) => store.evaluate(checkBatch('down', i))));
      for (const r of results) {
        expect(r.status).toBe('rejected');
        expect((r as PromiseRejectedResult).reason).toBeInstanceOf(StoreUnavailableError);
      }
    } finally {
      await store.close();
      await own.stop();
    }
  });
});
