import { describe, expect, it } from 'vitest';
import { counterStoreContract } from '../../../test/support/counter-store-contract.ts';
import { StoreUnavailableError, type CounterBatch } from './counter-store.ts';
import { gcra } from './gcra.ts';
import { MemoryCounterStore } from './memory-store.ts';

counterStoreContract('memory', async () => {
  const store = new MemoryCounterStore();
  return { store, pttl: async (key) => store.pttl(key), cleanup: () => store.close() };
});

const empty: CounterBatch = { rateLimits: [], counters: [], distinct: [] };

describe('MemoryCounterStore', () => {
  function clocked(start = 1_700_000_000_000) {
    const clock = { now: start };
    return { clock, opts: { clock: () => clock.now, sweepIntervalMs: 0 } };
  }

  it('runs exactly the GCRA of gcra.ts on its clock', async () => {
    const { clock, opts } = clocked();
    const store = new MemoryCounterStore(opts);
    const op = { key: 'k', requests: 3, periodMs: 1000, burst: 1 };
    let tat: number | undefined;
    for (let i = 0; i < 200; i++) {
      clock.now += (i * 37) % 450;
      const got = (await store.evaluate({ ...empty, rateLimits: [op] })).rateLimits[0];
      const want = gcra(tat, clock.now, op);
      if (want.newTatMs !== undefined) tat = want.newTatMs;
      expect(got).toEqual(want.result);
    }
  });

  it('returns its clock as nowMs', async () => {
    const { opts } = clocked(42_000);
    expect((await new MemoryCounterStore(opts).evaluate(empty)).nowMs).toBe(42_000);
  });

  it('expires entries on access and by sweep', async () => {
    const { clock, opts } = clocked();
    const store = new MemoryCounterStore(opts);
    await store.evaluate({ ...empty, counters: [{ keys: ['a'], incr: 1, ttlMs: 1000 }, { keys: ['b'], incr: 1, ttlMs: 5000 }] });
    await store.evaluate({ ...empty, distinct: [{ key: 'd', member: 'm', ttlMs: 1000, countKeys: ['d'] }] });
    await store.evaluate({ ...empty, rateLimits: [{ key: 'r', requests: 1, periodMs: 2000, burst: 0 }] });
    expect(store.size).toBe(4);
    clock.now += 999;
    expect(store.pttl('a')).toBe(1);
    clock.now += 1;
    expect(store.pttl('a')).toBe(-2);
    expect(store.sweep()).toBe(1); // d
    expect(store.size).toBe(2);
    clock.now += 1000;
    expect(store.sweep()).toBe(1); // r (reset after 2 s)
    clock.now += 3000;
    expect(store.sweep()).toBe(1); // b
    expect(store.size).toBe(0);
  });

  it('the periodic sweep runs on an unref\'d timer', async () => {
    let now = 0;
    const store = new MemoryCounterStore({ clock: () => now, sweepIntervalMs: 10 });
    await store.evaluate({ ...empty, counters: [{ keys: ['a'], incr: 1, ttlMs: 5 }] });
    now = 100;
    await new Promise((r) => setTimeout(r, 40));
    expect(store.size).toBe(0);
    await store.close();
  });

  it('is bounded by maxKeys, evicting the least recently written key', async () => {
    const { opts } = clocked();
    const store = new MemoryCounterStore({ ...opts, maxKeys: 3 });
    const incr = (k: string) => store.evaluate({ ...empty, counters: [{ keys: [k], incr: 1, ttlMs: 60_000 }] });
    await incr('a');
    await incr('b');
    await incr('c');
    await incr('a');
    await incr('d');
    expect(store.size).toBe(3);
    expect(store.pttl('b')).toBe(-2);
    expect(store.pttl('a')).toBeGreaterThan(0);
    for (let i = 0; i < 10_000; i++) await incr(`flood${i}`);
    expect(store.size).toBe(3);
  });

  it('caps the members remembered per distinct key', async () => {
    const { opts } = clocked();
    const store = new MemoryCounterStore({ ...opts, maxSetMembers: 5 });
    let last: number[] | undefined;
    for (let i = 0; i < 20; i++) last = (await store.evaluate({ ...empty, distinct: [{ key: 'd', member: `m${i}`, ttlMs: 1000, countKeys: ['d'] }] })).distinct[0];
    expect(last).toEqual([5]);
  });

  it('after close: unhealthy and evaluate rejects with StoreUnavailableError', async () => {
    const store = new MemoryCounterStore();
    await store.close();
    expect(store.isHealthy()).toBe(false);
    await expect(store.evaluate(empty)).rejects.toBeInstanceOf(StoreUnavailableError);
  });
});
