import { describe, expect, it } from 'vitest';
import { counterStoreContract } from '../../../test/support/counter-store-contract.ts';
import { StoreUnavailableError, type CounterBatch } from './counter-store.ts';
import { gcra } from './gcra.ts';
import { Rng } from '../../../bench/sim-traffic.ts';
import { BucketCounterOp } from './keys.ts';
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

  it('bucket ops and plain keys read and write the same counters, each bucket with its own expiry (against a map of keys)', async () => {
    const { clock, opts } = clocked();
    const store = new MemoryCounterStore(opts);
    // The reference: one value and one expiry per key, as Redis keeps them.
    const model = new Map<string, { value: number; expiresAt: number }>();
    const live = (k: string) => {
      const e = model.get(k);
      return e !== undefined && e.expiresAt > clock.now ? e : undefined;
    };
    const r = new Rng(7);
    const rng = () => r.next();
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]!;
    // More counters of one parts than a group searches in order (it is indexed then), three of them busy.
    const busy = ['pal:{p}:ct:a', 'pal:{p}:ct:b', 'pal:{q}:ct:a'];
    const all = [...busy, ...Array.from({ length: 20 }, (_, i) => `pal:{p}:ct:n${i}`)];
    const counter = () => (rng() < 0.7 ? pick(busy) : pick(all));
    const parts = ['h1', 'h2', 'h3'];
    // Keys that are no bucket of any counter: a counter's prefix itself, a key with one segment before the number.
    const others = ['pal:{p}:ct:a:h1', 'a:5', 'pal:{p}:ct:a:h1:07', 'x'];
    let checked = 0;
    for (let step = 0; step < 5000; step++) {
      clock.now += Math.floor(rng() * 300);
      const ttlMs = 200 + Math.floor(rng() * 1500);
      const incr = pick([0, 0, 1, 2, -1, 2 ** 40]);
      let op: CounterBatch['counters'][number];
      if (rng() < 0.5) op = new BucketCounterOp(counter(), pick(parts), Math.floor(rng() * 6), 1 + Math.floor(rng() * 3), incr, ttlMs);
      else op = { keys: Array.from({ length: 1 + Math.floor(rng() * 3) }, () => (rng() < 0.8 ? `${counter()}:${pick(parts)}:${Math.floor(rng() * 6)}` : pick(others))), incr, ttlMs };
      const keys = op.keys;
      const want = keys.map((k, i) => {
        if (i === 0 && incr !== 0) {
          const e = { value: (live(k)?.value ?? 0) + incr, expiresAt: clock.now + ttlMs };
          model.set(k, e);
          return e.value;
        }
        return live(k)?.value ?? 0;
      });
      const got = (await store.evaluate({ ...empty, counters: [op] })).counters[0];
      expect(got, `step ${step}: ${keys.join(' ')} incr ${incr}`).toEqual(want);
      const probe = rng() < 0.5 ? `${counter()}:${pick(parts)}:${Math.floor(rng() * 6)}` : pick(others);
      const e = live(probe);
      expect(store.pttl(probe), `step ${step}: pttl ${probe}`).toBe(e ? e.expiresAt - clock.now : -2);
      if (want.some((v) => v !== 0)) checked++;
      if (step % 50 === 49) {
        store.sweep();
        expect(store.size, `step ${step}: keys held after a sweep`).toBe([...model.keys()].filter((k) => live(k)).length);
      }
    }
    expect(checked).toBeGreaterThan(500);
  });

  it('evicts a counter\'s buckets together, least recently written first among plain keys and counters', async () => {
    const { opts } = clocked();
    const store = new MemoryCounterStore({ ...opts, maxKeys: 5 });
    const bump = (counter: string, parts: string, bucket: number) => store.evaluate({ ...empty, counters: [new BucketCounterOp(counter, parts, bucket, 1, 1, 60_000)] });
    const incr = (k: string) => store.evaluate({ ...empty, counters: [{ keys: [k], incr: 1, ttlMs: 60_000 }] });
    await bump('pal:{p}:ct:a', 'h1', 1);
    await bump('pal:{p}:ct:a', 'h1', 2); // h1: two buckets
    await incr('plain');
    await bump('pal:{p}:ct:b', 'h2', 1);
    await bump('pal:{p}:ct:a', 'h1', 2); // h1 written again: now the most recent
    expect(store.size).toBe(4);
    await incr('plain2');
    await incr('plain3'); // 6 keys: the least recently written goes, `plain`
    expect(store.size).toBe(5);
    expect(store.pttl('plain')).toBe(-2);
    expect(store.pttl('pal:{p}:ct:a:h1:1')).toBeGreaterThan(0);
    await bump('pal:{p}:ct:c', 'h3', 1); // then h2's counter
    expect(store.pttl('pal:{p}:ct:b:h2:1')).toBe(-2);
    await incr('plain4');
    await incr('plain5'); // then h1's two buckets together
    expect(store.pttl('pal:{p}:ct:a:h1:2')).toBe(-2);
    expect(store.pttl('pal:{p}:ct:a:h1:1')).toBe(-2);
    expect(store.size).toBe(5);
    for (let i = 0; i < 1000; i++) await bump('pal:{p}:ct:a', `f${i}`, i);
    expect(store.size).toBe(5);
  });

  it('tells apart the many counters of one parts (the population counters every policy shares)', async () => {
    const { opts } = clocked();
    const store = new MemoryCounterStore(opts);
    const names = Array.from({ length: 40 }, (_, i) => `pal:{p${i % 4}}:ct:pop.${i}`);
    const op = (name: string, incr: number) => new BucketCounterOp(name, 'h0', 9, 2, incr, 60_000);
    for (let round = 1; round <= 3; round++) {
      for (const [i, name] of names.entries()) expect((await store.evaluate({ ...empty, counters: [op(name, i + 1)] })).counters[0]).toEqual([round * (i + 1), 0]);
    }
    const read = await store.evaluate({ ...empty, counters: names.map((n) => ({ keys: [`${n}:h0:9`, `${n}:h0:8`], incr: 0, ttlMs: 60_000 })) });
    expect(read.counters).toEqual(names.map((_, i) => [3 * (i + 1), 0]));
    expect(store.size).toBe(40);
  });

  it('refuses a bucket op whose parts hold the separator', async () => {
    const store = new MemoryCounterStore({ sweepIntervalMs: 0 });
    await expect(store.evaluate({ ...empty, counters: [new BucketCounterOp('pal:{p}:ct:a', 'h:1', 1, 1, 1, 1000)] })).rejects.toBeInstanceOf(RangeError);
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
