import { describe, expect, it } from 'vitest';
import type { CounterBatch, CounterBatchResult, CounterStore } from '../store/counter-store.ts';
import { MemoryCounterStore } from '../store/memory-store.ts';
import { DeferredCounters } from './deferred.ts';

describe('DeferredCounters', () => {
  it("a counter's bucket added by counter, parts and bucket is the key those name, increments of one bucket merged (the longest expiry kept)", async () => {
    const store = new MemoryCounterStore({ sweepIntervalMs: 0 });
    const batches: CounterBatch[] = [];
    const spy: CounterStore = {
      kind: 'memory',
      evaluate: (b: CounterBatch): Promise<CounterBatchResult> => (batches.push(b), store.evaluate(b)),
      isHealthy: () => true,
      close: () => store.close(),
    };
    const deferred = new DeferredCounters({ store: spy, flushIntervalMs: 0 });
    deferred.addBucket('pal:{ns/p}:ct:bot.ip.l', 'h1', 42, 2, 1000);
    deferred.addBucket('pal:{ns/p}:ct:bot.ip.l', 'h1', 42, 3, 5000);
    deferred.addBucket('pal:{ns/p}:ct:bot.ip.l', 'h1', 41, 1, 1000);
    expect(deferred.pendingKeys).toBe(2);
    await deferred.flush();
    expect(batches).toHaveLength(1);
    // The keys a Redis adapter sends, and the expiry of both adds.
    expect(batches[0]!.counters.map((c) => [c.keys, c.incr, c.ttlMs])).toEqual([
      [['pal:{ns/p}:ct:bot.ip.l:h1:42'], 5, 5000],
      [['pal:{ns/p}:ct:bot.ip.l:h1:41'], 1, 1000],
    ]);
    const read = await store.evaluate({ rateLimits: [], counters: [{ keys: ['pal:{ns/p}:ct:bot.ip.l:h1:42', 'pal:{ns/p}:ct:bot.ip.l:h1:41'], incr: 0, ttlMs: 1000 }], distinct: [] });
    expect(read.counters).toEqual([[5, 1]]);
    expect(deferred.written).toBe(6);
  });

  it('a writer that holds increments back adds those due at the start of a flush, written with it', async () => {
    const store = new MemoryCounterStore({ sweepIntervalMs: 0 });
    const deferred = new DeferredCounters({ store, flushIntervalMs: 0 });
    let due = 0;
    deferred.beforeFlush(() => {
      if (due > 0) deferred.addBucket('pal:{p}:ct:held', 'h1', 1, due, 1000);
      due = 0;
    });
    await deferred.flush();
    expect(deferred.written).toBe(0);
    due = 3;
    await deferred.flush();
    expect(deferred.written).toBe(3);
    const read = await store.evaluate({ rateLimits: [], counters: [{ keys: ['pal:{p}:ct:held:h1:1'], incr: 0, ttlMs: 1000 }], distinct: [] });
    expect(read.counters).toEqual([[3]]);
  });

  it('drops what comes beyond maxPendingKeys, counted', async () => {
    const store = new MemoryCounterStore({ sweepIntervalMs: 0 });
    const deferred = new DeferredCounters({ store, flushIntervalMs: 0, maxPendingKeys: 2 });
    deferred.addBucket('pal:{p}:ct:a', 'h1', 1, 1, 1000);
    deferred.addBucket('pal:{p}:ct:a', 'h2', 1, 1, 1000);
    deferred.addBucket('pal:{p}:ct:a', 'h3', 1, 4, 1000);
    deferred.addBucket('pal:{p}:ct:a', 'h1', 1, 1, 1000);
    expect(deferred.dropped).toBe(4);
    await deferred.flush();
    expect(deferred.written).toBe(3);
  });
});
