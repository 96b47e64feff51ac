import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { compile } from '../../../lib/policy/compile.ts';
import { parsePolicyText } from '../../../lib/policy/load.ts';
import { toRequestContext } from '../pipeline/request.ts';
import { buildRuntime, type RuntimePolicy } from '../pipeline/runtime.ts';
import { bucketKeys } from '../store/keys.ts';
import type { CounterStore } from '../store/counter-store.ts';
import { MemoryCounterStore } from '../store/memory-store.ts';
import { judgeBehaviour, planBotCounters } from './behaviour.ts';
import { DEFAULT_BOT_KNOBS } from './knobs.ts';
import { RecentKeys } from './recent-keys.ts';
import { PopulationCache } from './population.ts';

const T0 = Date.parse('2026-03-02T09:00:05Z');
const NAME = 'bot.rt.f.a';
const HASH = 'abc';
const PREFIX = `pal:{ns/p}:ct:${NAME}:${HASH}`;
const BUCKET_MS = 30_000;

/** A Check's read of PREFIX through the cache: from the copy, or from the store (then kept). */
async function read(cache: PopulationCache, store: MemoryCounterStore, now: number, incr: number): Promise<{ values: number[]; fromCopy: boolean }> {
  const bucket = Math.floor(now / BUCKET_MS);
  const copy = cache.take(NAME, HASH, bucket, incr, now);
  if (copy) return { values: copy, fromCopy: true };
  const op = { keys: bucketKeys(PREFIX, now, BUCKET_MS, 3), incr, ttlMs: 4 * BUCKET_MS };
  const r = await store.evaluate({ rateLimits: [], counters: [op], distinct: [] });
  cache.fill(NAME, HASH, bucket, op, r.counters[0]!, now);
  return { values: r.counters[0]!, fromCopy: false };
}

/** A store on a settable clock, a cache, and the value of one bucket of PREFIX in the store. */
function setup(maxAgeMs: number) {
  const t = { now: T0 };
  const store = new MemoryCounterStore({ clock: () => t.now, sweepIntervalMs: 0 });
  const stored = async (at: number) => (await store.evaluate({ rateLimits: [], counters: [{ keys: bucketKeys(PREFIX, at, BUCKET_MS, 1), incr: 0, ttlMs: 1 }], distinct: [] })).counters[0]![0];
  return { t, store, cache: new PopulationCache({ maxAgeMs }), stored };
}

describe('population cache', () => {
  it('reads a counter in the batch once, then counts on the copy; a sync writes the increments and brings in other replicas', async () => {
    const { t, store, cache, stored } = setup(2000);
    expect(await read(cache, store, t.now, 1)).toEqual({ values: [1, 0, 0], fromCopy: false });
    expect(await read(cache, store, t.now, 1)).toEqual({ values: [2, 0, 0], fromCopy: true });
    const seen = await read(cache, store, t.now, 0);
    expect(seen).toEqual({ values: [2, 0, 0], fromCopy: true });
    seen.values[0] = 99; // the caller's copy
    // Another replica counts 5 in the same bucket; this one has not written its second increment yet.
    await store.evaluate({ rateLimits: [], counters: [{ keys: bucketKeys(PREFIX, t.now, BUCKET_MS, 1), incr: 5, ttlMs: 4 * BUCKET_MS }], distinct: [] });
    expect((await read(cache, store, t.now, 0)).values).toEqual([2, 0, 0]);
    t.now += 1000;
    await cache.sync(store, t.now);
    expect(await stored(t.now)).toBe(7);
    expect(await read(cache, store, t.now, 1)).toEqual({ values: [8, 0, 0], fromCopy: true });
  });

  it('a copy kept with more buckets than the Check read shows them all from the next sync on', async () => {
    const { t, store, cache } = setup(2000);
    // Older buckets of the counter, written before.
    for (const back of [1, 4]) await store.evaluate({ rateLimits: [], counters: [{ keys: bucketKeys(PREFIX, t.now - back * BUCKET_MS, BUCKET_MS, 1), incr: 10 * back, ttlMs: 8 * BUCKET_MS }], distinct: [] });
    const bucket = Math.floor(t.now / BUCKET_MS);
    const op = { keys: bucketKeys(PREFIX, t.now, BUCKET_MS, 2), incr: 0, ttlMs: 7 * BUCKET_MS };
    const r = await store.evaluate({ rateLimits: [], counters: [op], distinct: [] });
    expect(r.counters[0]).toEqual([0, 10]);
    cache.fill(NAME, HASH, bucket, { keys: bucketKeys(PREFIX, t.now, BUCKET_MS, 6), incr: 0, ttlMs: 7 * BUCKET_MS }, r.counters[0]!, t.now);
    expect(cache.take(NAME, HASH, bucket, 0, t.now)).toEqual([0, 10]);
    t.now += 1000;
    await cache.sync(store, t.now);
    expect(cache.take(NAME, HASH, bucket, 0, t.now)).toEqual([0, 10, 0, 0, 40, 0]);
  });

  it('a copy older than maxAgeMs is read in the batch again; counters not served from their copy are dropped at a sync', async () => {
    const { t, store, cache } = setup(2000);
    await read(cache, store, t.now, 1);
    t.now += 2001;
    expect((await read(cache, store, t.now, 1)).fromCopy).toBe(false);
    expect((await read(cache, store, t.now, 1)).fromCopy).toBe(true);
    await cache.sync(store, t.now);
    expect(cache.size).toBe(1);
    await cache.sync(store, t.now);
    expect(cache.size).toBe(0);
    // Read in one Check's batch and needed by no other: dropped without a sync read.
    await read(cache, store, t.now, 1);
    expect(cache.size).toBe(1);
    await cache.sync(store, t.now);
    expect(cache.size).toBe(0);
  });

  it('when its bucket rolls over, the old bucket keeps the increments not written yet', async () => {
    const { t, store, cache, stored } = setup(60_000);
    for (let i = 0; i < 3; i++) await read(cache, store, t.now, 1);
    t.now += BUCKET_MS;
    // Two of the three are still pending: the previous bucket shows them anyway, and the sync writes them.
    expect(await read(cache, store, t.now, 1)).toEqual({ values: [1, 3, 0], fromCopy: false });
    await cache.sync(store, t.now);
    expect((await read(cache, store, t.now, 0)).values).toEqual([1, 3, 0]);
    expect(await stored(t.now - BUCKET_MS)).toBe(3);
  });

  it('a bucket rolling over while a sync is in flight writes each increment once', async () => {
    const { t, store, cache, stored } = setup(60_000);
    await read(cache, store, t.now, 1);
    await read(cache, store, t.now, 1);
    let release = () => {};
    const slow: CounterStore = {
      kind: 'memory',
      isHealthy: () => true,
      close: () => store.close(),
      evaluate: async (batch) => {
        await new Promise<void>((r) => (release = r));
        return store.evaluate(batch);
      },
    };
    const syncing = cache.sync(slow, t.now);
    await read(cache, store, t.now, 1);
    t.now += BUCKET_MS;
    await read(cache, store, t.now, 1);
    release();
    await syncing;
    await cache.sync(store, t.now);
    expect(await stored(t.now - BUCKET_MS)).toBe(3);
  });

  it('a failed sync keeps the increments for the next one', async () => {
    const { t, store, cache, stored } = setup(60_000);
    await read(cache, store, t.now, 1);
    await read(cache, store, t.now, 1);
    const down = new MemoryCounterStore();
    await down.close();
    await cache.sync(down, t.now);
    t.now += 1000;
    await cache.sync(store, t.now);
    expect(await stored(t.now)).toBe(2);
  });
});

function policy(): RuntimePolicy {
  const doc = { apiVersion: 'palisade.dev/v1alpha1', kind: 'ApiProtectionPolicy', metadata: { name: 'p', namespace: 'ns' }, spec: { hosts: ['api.test'], bot: { mode: 'Enforce' } } };
  const { snapshot } = compile(parsePolicyText(stringify(doc, { version: '1.1' }), 'test.yaml').documents, [], new Date(T0));
  return buildRuntime(snapshot).policies.get('ns/p')!;
}

function request(ip: string, cookie: string | null) {
  const headers: Record<string, string> = { ':authority': 'api.test', ':method': 'GET', ':path': '/products/1', 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0 Safari/537.36', accept: 'text/html', 'accept-language': 'en' };
  if (cookie) headers['cookie'] = `session=${cookie}`;
  return toRequestContext({ attributes: { source: { address: { socket_address: { address: ip, port_value: 1 } } }, request: { http: { headers } } } });
}

describe('planning with the population cache', () => {
  it("a Check's batch holds only its own client's counters once the crowd's are kept, and judges them alike", async () => {
    const now = T0;
    const p = policy();
    const cached = { store: new MemoryCounterStore({ clock: () => now, sweepIntervalMs: 0 }), cache: new PopulationCache(), known: new RecentKeys({ ttlMs: 60_000, maxEntries: 100 }) };
    const plain = { store: new MemoryCounterStore({ clock: () => now, sweepIntervalMs: 0 }), known: new RecentKeys({ ttlMs: 60_000, maxEntries: 100 }) };
    const keys: number[] = [];
    for (let i = 0; i < 6; i++) {
      const req = request(`198.51.100.${i}`, i % 2 === 0 ? null : `s${i}`);
      const a = planBotCounters(p, req, null, now, DEFAULT_BOT_KNOBS, undefined, cached.known, cached.cache);
      const b = planBotCounters(p, req, null, now, DEFAULT_BOT_KNOBS, undefined, plain.known);
      const ra = await cached.store.evaluate({ rateLimits: [], counters: a.counters, distinct: [] });
      const rb = await plain.store.evaluate({ rateLimits: [], counters: b.counters, distinct: [] });
      const ja = judgeBehaviour(a, ra.counters);
      const jb = judgeBehaviour(b, rb.counters);
      expect(ja.signals).toEqual(jb.signals);
      expect(ja.observations).toEqual(jb.observations);
      keys.push(a.counters.reduce((s, c) => s + c.keys.length, 0) - b.counters.reduce((s, c) => s + c.keys.length, 0));
      // No population key in a batch once the route's, cell's and class's counters are kept.
      if (i >= 2) expect(a.counters.some((c) => /bot\.(rt|cell|cls)\./.test(c.keys[0]!))).toBe(false);
    }
    // The first Check reads the crowd's counters in its batch, as without the cache, but for the older hours of its
    // route's learned landings and returns: the copy reads those off the Check path.
    expect(keys[0]).toBe(-(DEFAULT_BOT_KNOBS.learning.buckets - 2));
    expect(keys.slice(2).every((d) => d < -10)).toBe(true);
  });
});
