/**
 * The Lua GCRA (redis-batch.lua) and the TypeScript GCRA (gcra.ts) agree: the same arrival sequences, with the
 * script's clock pinned through its test-only override (ARGV[1]), give identical results and stored TATs.
 * Also checks that the real store, on the server clock, agrees with gcra.ts replayed at the nowMs it returns.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CounterBatch, RateLimitOp } from '../../authz-server/src/store/counter-store.ts';
import { gcra, gcraUs } from '../../authz-server/src/store/gcra.ts';
import { BATCH_LUA, RedisCounterStore, decodeReply, encodeBatch } from '../../authz-server/src/store/redis-store.ts';
import { startRedis, type RedisServerHandle } from '../support/redis-server.ts';

let server: RedisServerHandle;
let redis: Redis;
beforeAll(async () => {
  server = await startRedis();
  redis = new Redis(server.url, { protocol: 2 });
});
afterAll(async () => {
  redis?.disconnect();
  await server?.stop();
});

/**
 * The script with its TTL made long: keys expire on real time while the script's clock is pinned here, so a
 * 1 ms TTL could end between two steps that are 0 µs apart on the pinned clock. On the server clock the TTL
 * (resetMs, rounded up) never ends before TAT <= now; the contract and the replay test below cover that.
 */
const PX = "'PX', string.format('%d', math.max(1, reset_ms))";
const LUA_LONG_TTL = BATCH_LUA.replace(PX, "'PX', 3600000");

async function evalAt(batch: CounterBatch, nowUs: number) {
  const { keys, argv } = encodeBatch(batch, nowUs);
  return decodeReply(batch, await redis.eval(LUA_LONG_TTL, keys.length, ...keys, ...argv));
}

const NOW_US = 1_700_000_000_000_000;

const paramsArb = fc.record({
  requests: fc.oneof(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 100_000 })),
  periodMs: fc.oneof(fc.integer({ min: 1, max: 5_000 }), fc.integer({ min: 1, max: 86_400_000 }), fc.double({ min: 0.5, max: 10_000, noNaN: true })),
  burst: fc.oneof(fc.integer({ min: 0, max: 10 }), fc.integer({ min: 0, max: 10_000 })),
});

const arrivalsArb = fc.array(
  fc.record({
    gapUs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 5_000 }), fc.integer({ min: 0, max: 5_000_000 })),
    cost: fc.oneof(fc.constant(1), fc.integer({ min: 0, max: 5 })),
  }),
  { minLength: 1, maxLength: 40 },
);

describe('Lua GCRA == TypeScript GCRA', () => {
  it('(the TTL expression this test replaces is in the script)', () => {
    expect(BATCH_LUA).toContain(PX);
  });

  it('same results and same stored TAT on random sequences (pinned clock)', async () => {
    await fc.assert(
      fc.asyncProperty(paramsArb, arrivalsArb, async (p, arrivals) => {
        const key = `pal:{agree}:rl:${randomUUID()}`;
        let tat: number | undefined;
        let now = NOW_US;
        for (const { gapUs, cost } of arrivals) {
          now += gapUs;
          const op: RateLimitOp = { key, ...p, cost };
          const lua = (await evalAt({ rateLimits: [op], counters: [], distinct: [] }, now)).rateLimits[0];
          const ts = gcraUs(tat, now, op);
          expect(lua).toEqual(ts.result);
          if (ts.newTatUs !== undefined) tat = ts.newTatUs;
          const stored = await redis.get(key);
          expect(stored === null ? undefined : Number(stored)).toBe(tat);
        }
        await redis.del(key);
      }),
      { numRuns: 150 },
    );
  });

  it('several ops on the same key in one batch apply in order, as in TypeScript', async () => {
    await fc.assert(
      fc.asyncProperty(paramsArb, fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 12 }), async (p, costs) => {
        const key = `pal:{agree}:rl:${randomUUID()}`;
        const batch: CounterBatch = { rateLimits: costs.map((cost) => ({ key, ...p, cost })), counters: [], distinct: [] };
        const lua = (await evalAt(batch, NOW_US)).rateLimits;
        let tat: number | undefined;
        const ts = costs.map((cost) => {
          const o = gcraUs(tat, NOW_US, { ...p, cost });
          if (o.newTatUs !== undefined) tat = o.newTatUs;
          return o.result;
        });
        expect(lua).toEqual(ts);
        await redis.del(key);
      }),
      { numRuns: 100 },
    );
  });

  it('a merged batch: ops on several keys with several limits, interleaved, then a counter: as in TypeScript', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(paramsArb, { minLength: 1, maxLength: 3 }),
        fc.array(fc.record({ key: fc.integer({ min: 0, max: 3 }), limit: fc.nat(), cost: fc.integer({ min: 0, max: 3 }) }), { minLength: 1, maxLength: 24 }),
        async (limits, picks) => {
          const id = randomUUID();
          const keys = [0, 1, 2, 3].map((i) => `pal:{agree}:rl:${id}:${i}`);
          const ops: RateLimitOp[] = picks.map((o) => ({ key: keys[o.key] as string, ...(limits[o.limit % limits.length] as (typeof limits)[number]), cost: o.cost }));
          const counter = `pal:{agree}:ct:${id}`;
          const res = await evalAt({ rateLimits: ops, counters: [{ keys: [counter], incr: 2, ttlMs: 60_000 }], distinct: [] }, NOW_US);
          const tats = new Map<string, number>();
          const want = ops.map((op) => {
            const o = gcraUs(tats.get(op.key), NOW_US, op);
            if (o.newTatUs !== undefined) tats.set(op.key, o.newTatUs);
            return o.result;
          });
          expect(res.rateLimits).toEqual(want);
          expect(res.counters).toEqual([[2]]);
          for (const key of keys) {
            const stored = await redis.get(key);
            expect(stored === null ? undefined : Number(stored)).toBe(tats.get(key));
          }
          await redis.del(...keys, counter);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('the store on the server clock matches gcra.ts replayed at the nowMs it returned', async () => {
    const store = new RedisCounterStore({ url: server.url, timeoutMs: 1000, logger: { info: () => {}, warn: () => {} }, registry: new Registry() });
    try {
      const op: RateLimitOp = { key: `pal:{agree}:rl:${randomUUID()}`, requests: 7, periodMs: 300, burst: 2 };
      let tat: number | undefined;
      let allowed = 0;
      let denied = 0;
      for (let i = 0; i < 400; i++) {
        const r = await store.evaluate({ rateLimits: [op], counters: [], distinct: [] });
        const want = gcra(tat, r.nowMs, op);
        expect(r.rateLimits[0]).toEqual(want.result);
        if (want.newTatMs !== undefined) tat = want.newTatMs;
        if (want.result.allowed) allowed++;
        else denied++;
        if (i % 20 === 0) await new Promise((res) => setTimeout(res, 5));
      }
      expect(allowed).toBeGreaterThan(9);
      expect(denied).toBeGreaterThan(0);
    } finally {
      await store.close();
    }
  });
});
