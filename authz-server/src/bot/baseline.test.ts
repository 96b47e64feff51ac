import { describe, expect, it, vi } from 'vitest';
import { MemoryCounterStore } from '../store/memory-store.ts';
import { StoreUnavailableError, type CounterStore } from '../store/counter-store.ts';
import { HISTOGRAM_EDGES, BaselineBook, blendedQuantile, decayWeights, edgesCrossed, planRefresh, priorBaselines } from './baseline.ts';
import { DEFAULT_BOT_KNOBS } from './knobs.ts';
import { BOT_KEYS, PrefixCache, histogramKeyName } from './windows.ts';

/** Counts per edge for a population whose client-bucket counts are `values`. */
function histogram(values: number[]): number[] {
  return HISTOGRAM_EDGES.map((e) => values.filter((v) => v >= e).length);
}

describe('histogram and quantiles', () => {
  it('edges are round(2^(k/2)) without repeats; crossings are the edges passed by an increment', () => {
    expect(HISTOGRAM_EDGES.slice(0, 10)).toEqual([1, 2, 3, 4, 6, 8, 11, 16, 23, 32]);
    expect(edgesCrossed(0, 1)).toEqual([0]);
    expect(edgesCrossed(3, 8)).toEqual([3, 4, 5]);
    expect(edgesCrossed(5, 5)).toEqual([]);
    expect(edgesCrossed(9, 7)).toEqual([]);
  });

  it('with no data the quantile is the prior; with much data it is the data', () => {
    expect(blendedQuantile([], 0.99, 6, 300)).toBeCloseTo(6, 6);
    // 10000 clients: 99.5% at most 3, 0.5% at 20.
    const values = [...new Array<number>(9950).fill(3), ...new Array<number>(50).fill(20)];
    const q = blendedQuantile(histogram(values), 0.99, 40, 30);
    expect(q).toBeGreaterThanOrEqual(3);
    expect(q).toBeLessThan(8);
  });

  it('a few heavy clients stay in the top 1% however sparse the class (population denominator)', () => {
    // 5000 active addresses, of which 40 send traffic outside sessions: 30 people with 2, 10 bots with 500.
    const sparse = histogram([...new Array<number>(30).fill(2), ...new Array<number>(10).fill(500)]);
    const withoutPopulation = blendedQuantile(sparse, 0.99, 3, 0);
    const withPopulation = blendedQuantile(sparse, 0.99, 3, 0, 5000);
    expect(withoutPopulation).toBeGreaterThan(100);
    expect(withPopulation).toBeLessThanOrEqual(2);
  });

  it('decay weights halve every half-life', () => {
    expect(decayWeights(4, 1)).toEqual([1, 0.5, 0.25, 0.125]);
  });
});

describe('learning read back from the store', () => {
  const knobs = DEFAULT_BOT_KNOBS;
  const hour = knobs.buckets.baselineMs;
  const now = 1_700_000_000_000;

  async function write(store: CounterStore, name: string, value: number, at = now, bucketMs = hour) {
    const keys = new PrefixCache('shop/p');
    await store.evaluate({ rateLimits: [], counters: [keys.bucketOp(name, keys.hash([]), at, bucketMs, 2, value)], distinct: [] });
  }

  it('priors before anything is learned: cold, cookies not judged, thresholds from the priors', () => {
    const b = priorBaselines(knobs);
    expect(b.warm).toBe(false);
    expect(b.cookiesReturned).toBeNull();
    for (const [cls, t] of Object.entries(b.volume)) {
      const k = knobs.volume.classes[cls as keyof typeof knobs.volume.classes];
      expect(t.value).toBeCloseTo(Math.max(k.floor, k.factor * k.prior), 6);
    }
  });

  it('thresholds, ratios and gates from what the feed wrote; the cap holds whatever the data', async () => {
    const store = new MemoryCounterStore({ clock: () => now, sweepIntervalMs: 0 });
    // sess.tick: 1000 client-buckets, 1% of them reached 16 (edge index 7), none more.
    for (const [k, n] of HISTOGRAM_EDGES.map((e, i) => [i, e <= 2 ? 1000 : e <= 16 ? 10 : 0] as const)) if (n > 0) await write(store, histogramKeyName('sess.tick', k), n);
    // ip.long: an absurd learned quantile is capped at cap x the prior's threshold.
    for (let k = 0; k < HISTOGRAM_EDGES.length; k++) await write(store, histogramKeyName('ip.long', k), 1000);
    await write(store, BOT_KEYS.popLand, 200);
    await write(store, BOT_KEYS.popLandCalm, 200);
    await write(store, BOT_KEYS.popRet, 120);
    await write(store, BOT_KEYS.popReq, 5000);
    await write(store, BOT_KEYS.popHead, 250);
    // Older traffic: the policy is warm.
    await write(store, BOT_KEYS.popReq, 100, now - 2 * hour);
    const plan = planRefresh('shop/p', now, knobs);
    const b = plan.judge((await store.evaluate({ rateLimits: [], counters: plan.counters, distinct: [] })).counters, now, now);
    expect(b.volume['sess.tick'].quantile).toBeGreaterThanOrEqual(3.9);
    expect(b.volume['sess.tick'].quantile).toBeLessThanOrEqual(16);
    const ipLong = knobs.volume.classes['ip.long'];
    expect(b.volume['ip.long'].value).toBeCloseTo(ipLong.cap * Math.max(ipLong.floor, ipLong.factor * ipLong.prior), 6);
    expect(b.returnRatio).toBeGreaterThan(0.55);
    expect(b.returnRatio).toBeLessThan(0.6);
    expect(b.cookiesReturned).toBe(true);
    expect(b.headShare).toBeGreaterThan(0.04);
    expect(b.warm).toBe(true);
  });

  it('a site whose landings never come back does not count on cookies, once they had the time to', async () => {
    const store = new MemoryCounterStore({ clock: () => now, sweepIntervalMs: 0 });
    await write(store, BOT_KEYS.popLand, 500);
    await write(store, BOT_KEYS.popLandCalm, 500);
    const plan = planRefresh('shop/p', now, knobs);
    const counters = (await store.evaluate({ rateLimits: [], counters: plan.counters, distinct: [] })).counters;
    // Thirty seconds after a cold start the landings have not had the time to come back.
    expect(plan.judge(counters, now, now - 30_000).cookiesReturned).toBeNull();
    const b = plan.judge(counters, now, now - knobs.sessions.landingMemoryMs);
    expect(b.cookiesReturned).toBe(false);
    expect(b.warm).toBe(false);
  });

  it('a crowd of landings that never come back does not make a cookie site one without cookies', async () => {
    // Right after a cold start: a crowd's 2000 landings, the people's 60 with 25 returns. Nothing was judged a surge
    // yet, so every landing counts as calm; the policy stays undecided (the configured cookie is trusted).
    const young = new MemoryCounterStore({ clock: () => now, sweepIntervalMs: 0 });
    await write(young, BOT_KEYS.popLand, 2060);
    await write(young, BOT_KEYS.popLandCalm, 2060);
    await write(young, BOT_KEYS.popRet, 25);
    const plan = planRefresh('shop/p', now, knobs);
    const judged = (since: number, store: MemoryCounterStore) => store.evaluate({ rateLimits: [], counters: plan.counters, distinct: [] }).then((r) => plan.judge(r.counters, now, since));
    for (const age of [30_000, 5 * 60_000, 14 * 60_000]) expect((await judged(now - age, young)).cookiesReturned).toBeNull();
    // Warm: the crowd's landings were judged part of a surge (not calm); the people's return as usual.
    const warm = new MemoryCounterStore({ clock: () => now, sweepIntervalMs: 0 });
    await write(warm, BOT_KEYS.popLand, 2060);
    await write(warm, BOT_KEYS.popLandCalm, 60);
    await write(warm, BOT_KEYS.popRet, 25);
    await write(warm, BOT_KEYS.popReq, 100, now - 2 * hour);
    expect((await judged(now, warm)).cookiesReturned).toBe(true);
    // Warm, and the calm landings themselves hardly ever come back: a site without cookies after all.
    await write(warm, BOT_KEYS.popLandCalm, 2000);
    expect((await judged(now, warm)).cookiesReturned).toBe(false);
  });

  it('recent landings that do not come back open the gate; a return ratio as usual keeps it shut', async () => {
    const agg = knobs.buckets.aggregateMs;
    const at = Math.floor(now / agg) * agg + agg / 2;
    const gateWith = async (returns: number) => {
      const store = new MemoryCounterStore({ clock: () => at, sweepIntervalMs: 0 });
      await write(store, BOT_KEYS.popLand, 1000);
      await write(store, BOT_KEYS.popRet, 600);
      for (const back of [1, 2, 3]) await write(store, BOT_KEYS.popLandAgg, 40, at - back * agg, agg);
      for (const back of [0, 1, 2]) await write(store, BOT_KEYS.popRetAgg, returns / 3, at - back * agg, agg);
      const plan = planRefresh('shop/p', at, knobs);
      return plan.judge((await store.evaluate({ rateLimits: [], counters: plan.counters, distinct: [] })).counters, at, at).landingGate;
    };
    expect(await gateWith(60)).toBeLessThan(0.2);
    expect(await gateWith(0)).toBe(1);
  });

  it('recent returns that only fetch pages open the engagement gate, when the shortfall is significant', async () => {
    const agg = knobs.buckets.aggregateMs;
    const at = Math.floor(now / agg) * agg + agg / 2;
    const gateWith = async (returns: number, engaged: number, learned = 1000) => {
      const store = new MemoryCounterStore({ clock: () => at, sweepIntervalMs: 0 });
      // Learned: 40% of returns (of landings outside any surge) are the page's API calls and subresources; `learned`
      // of them this hour (over the 10-minute minimum, 100 a minute for 1000).
      await write(store, BOT_KEYS.popRetCalm, learned);
      await write(store, BOT_KEYS.popRetEngaged, learned * 0.4);
      for (const back of [0, 1, 2]) {
        await write(store, BOT_KEYS.popRetAgg, returns / 3, at - back * agg, agg);
        if (engaged > 0) await write(store, BOT_KEYS.popRetEngagedAgg, engaged / 3, at - back * agg, agg);
      }
      const plan = planRefresh('shop/p', at, knobs);
      return plan.judge((await store.evaluate({ rateLimits: [], counters: plan.counters, distinct: [] })).counters, at, at);
    };
    const usual = await gateWith(60, 24);
    expect(usual.engagedReturnShare).toBeCloseTo(0.4, 1);
    expect(usual.engagementGate).toBe(0);
    // A crowd's returns: 3 of 90 engaged, where 36 are usual.
    expect((await gateWith(90, 3)).engagementGate).toBeGreaterThan(0.9);
    // The same shortfall in a handful of returns is no evidence: 0 of 9, where 3.6 are usual (p = 0.01).
    expect((await gateWith(9, 0)).engagementGate).toBe(0);
    // Too few returns to judge at all.
    expect((await gateWith(6, 0)).engagementGate).toBeNull();
    // 120 returns, 24 engaged: half the usual share, where people alone bring 60 returns in that time (24 of them
    // engaged). Read against the surplus, none of the 60 over the usual is engaged.
    expect((await gateWith(120, 24, 480)).engagementGate).toBeGreaterThan(0.95);
    // Where the people bring more returns than that, the same half is only half the usual.
    expect((await gateWith(120, 24)).engagementGate).toBeCloseTo(0.5, 1);
  });

  it('the book answers priors until refreshed, refreshes at most every refreshMs, keeps values when the store fails', async () => {
    let t = now;
    let failing = false;
    const memory = new MemoryCounterStore({ clock: () => t, sweepIntervalMs: 0 });
    const store: CounterStore = {
      kind: 'test',
      evaluate: (b) => (failing ? Promise.reject(new StoreUnavailableError('down')) : memory.evaluate(b)),
      isHealthy: () => !failing,
      close: () => memory.close(),
    };
    const warns: string[] = [];
    const book = new BaselineBook({ store, clock: () => t, policies: () => ['shop/p'], refreshIntervalMs: 0, logger: { warn: (_o, m) => warns.push(m), info: () => {} } });
    expect(book.get('shop/p')).toEqual(priorBaselines(knobs));
    await write(memory, BOT_KEYS.popLand, 100);
    await write(memory, BOT_KEYS.popLandCalm, 100);
    await write(memory, BOT_KEYS.popRet, 90);
    await book.refresh();
    expect(book.get('shop/p').refreshedAt).toBe(now);
    expect(book.get('shop/p').cookiesReturned).toBe(true);
    t += 1000;
    await book.refresh();
    expect(book.get('shop/p').refreshedAt).toBe(now);
    t += knobs.learning.refreshMs;
    failing = true;
    await book.refresh();
    expect(book.get('shop/p').cookiesReturned).toBe(true);
    expect(warns).toHaveLength(1);
    book.close();
  });
  it('the background refresh skips its turns while no Check asks for baselines, never before every policy is learned', async () => {
    vi.useFakeTimers();
    try {
      let t = now;
      let failing = true;
      let baselineReads = 0;
      const memory = new MemoryCounterStore({ clock: () => t, sweepIntervalMs: 0 });
      const store: CounterStore = {
        kind: 'test',
        evaluate: (b) => {
          if (b.counters.length > 100) baselineReads++;
          return failing ? Promise.reject(new StoreUnavailableError('down')) : memory.evaluate(b);
        },
        isHealthy: () => !failing,
        close: () => memory.close(),
      };
      const every = knobs.learning.refreshMs;
      const book = new BaselineBook({ store, clock: () => t, policies: () => ['shop/p'], refreshIntervalMs: every, populationSyncMs: 100 * every });
      const turn = async () => {
        t += every;
        await vi.advanceTimersByTimeAsync(every);
      };
      await turn();
      await turn();
      expect(baselineReads).toBe(2); // nothing learned yet: every turn tries, Checks or not
      failing = false;
      await turn();
      expect(baselineReads).toBe(3);
      for (let i = 0; i < 5; i++) await turn();
      expect(baselineReads).toBe(3); // idle and learned: no store reads
      book.get('shop/p');
      await turn();
      expect(baselineReads).toBe(4);
      await turn();
      expect(baselineReads).toBe(4);
      book.close();
      // Priming (before the server reports ready) reads once with the background refresh, never without it.
      const primed = new BaselineBook({ store, clock: () => t, policies: () => ['shop/p'], refreshIntervalMs: every, populationSyncMs: 100 * every });
      await primed.prime();
      expect(baselineReads).toBe(5);
      await turn();
      expect(baselineReads).toBe(5); // learned, nothing asked: the first turn skips
      primed.close();
      const driven = new BaselineBook({ store, clock: () => t, policies: () => ['shop/p'], refreshIntervalMs: 0 });
      await driven.prime();
      expect(baselineReads).toBe(5);
    } finally {
      vi.useRealTimers();
    }
  });
});
