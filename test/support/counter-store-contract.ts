/**
 * The CounterStore contract: one suite run against every adapter (memory, Redis, Redis Cluster), with the real
 * clock (the Redis adapter uses the server's). Each test uses its own random policy id, so tests never share keys.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRecords, type CounterBatch, type CounterStore, type RateLimitOp, type RecordOp } from '../../authz-server/src/store/counter-store.ts';
import { BucketCounterOp, bucketKeys, counterKeyName, counterPrefix, distinctPrefix, policyPrefix, rateLimitKey } from '../../authz-server/src/store/keys.ts';

export interface ContractSubject {
  store: CounterStore;
  /** Remaining TTL of a key in ms; -2 when absent, -1 when it has no expiry (PTTL semantics). */
  pttl(key: string): Promise<number>;
  cleanup(): Promise<void>;
}

const empty: CounterBatch = { rateLimits: [], counters: [], distinct: [] };

function policy(): string {
  return `contract-${randomUUID().slice(0, 8)}`;
}

function rl(key: string, requests: number, periodMs: number, burst: number, cost?: number): RateLimitOp {
  return cost === undefined ? { key, requests, periodMs, burst } : { key, requests, periodMs, burst, cost };
}

export function counterStoreContract(name: string, create: () => Promise<ContractSubject>): void {
  describe(`CounterStore contract: ${name}`, () => {
    let s: ContractSubject;
    const one = async (op: RateLimitOp) => (await s.store.evaluate({ ...empty, rateLimits: [op] })).rateLimits[0]!;

    beforeAll(async () => {
      s = await create();
    });
    afterAll(async () => {
      await s?.cleanup();
    });

    it('is healthy and answers an empty batch with the store time', async () => {
      expect(s.store.isHealthy()).toBe(true);
      const r = await s.store.evaluate(empty);
      expect(r).toMatchObject({ rateLimits: [], counters: [], distinct: [] });
      expect(Math.abs(r.nowMs - Date.now())).toBeLessThan(2000);
    });

    it('GCRA: capacity = requests + burst at once, then denied with retryAfter = T; denials do not consume', async () => {
      const key = rateLimitKey(policy(), 'burst', ['192.0.2.1']);
      const op = rl(key, 3, 60_000, 2); // T = 20 s, capacity 5
      for (let i = 0; i < 5; i++) {
        const r = await one(op);
        expect(r).toMatchObject({ allowed: true, limit: 3, remaining: 4 - i, retryAfterMs: 0 });
        expect(r.resetMs).toBeGreaterThan(20_000 * (i + 1) - 1000);
        expect(r.resetMs).toBeLessThanOrEqual(20_000 * (i + 1));
      }
      for (let i = 0; i < 5; i++) {
        const r = await one(op);
        expect(r).toMatchObject({ allowed: false, limit: 3, remaining: 0 });
        expect(r.retryAfterMs).toBeGreaterThan(18_000);
        expect(r.retryAfterMs).toBeLessThanOrEqual(20_000);
        expect(r.resetMs).toBeGreaterThan(98_000);
        expect(r.resetMs).toBeLessThanOrEqual(100_000);
      }
    });

    it('GCRA: rolls over: one more passes once T has elapsed, not before', async () => {
      const key = rateLimitKey(policy(), 'roll', ['x']);
      const op = rl(key, 2, 1000, 0); // T = 500 ms
      expect((await one(op)).allowed).toBe(true);
      expect((await one(op)).allowed).toBe(true);
      const denied = await one(op);
      expect(denied.allowed).toBe(false);
      expect(denied.retryAfterMs).toBeGreaterThan(300);
      expect(denied.retryAfterMs).toBeLessThanOrEqual(500);
      await sleep(denied.retryAfterMs + 30);
      expect((await one(op)).allowed).toBe(true);
      expect((await one(op)).allowed).toBe(false);
    });

    it('GCRA: cost consumes several tokens; cost 0 only reads; a cost above capacity is denied', async () => {
      const key = rateLimitKey(policy(), 'cost', []);
      expect(await one(rl(key, 10, 60_000, 0, 0))).toMatchObject({ allowed: true, remaining: 10, resetMs: 0 });
      expect(await one(rl(key, 10, 60_000, 0, 11))).toMatchObject({ allowed: false, remaining: 10 });
      expect(await one(rl(key, 10, 60_000, 0, 7))).toMatchObject({ allowed: true, remaining: 3 });
      expect(await one(rl(key, 10, 60_000, 0, 4))).toMatchObject({ allowed: false, remaining: 3 });
      expect(await one(rl(key, 10, 60_000, 0, 3))).toMatchObject({ allowed: true, remaining: 0 });
    });

    it('GCRA: exact under concurrency (many evaluate() calls at once on one key)', async () => {
      const key = rateLimitKey(policy(), 'conc', ['k']);
      const op = rl(key, 10, 60_000, 5);
      const results = await Promise.all(Array.from({ length: 100 }, () => one(op)));
      expect(results.filter((r) => r.allowed)).toHaveLength(15);
      expect(new Set(results.filter((r) => r.allowed).map((r) => r.remaining)).size).toBe(15);
    });

    it('keys are isolated: other parts, limits and policies do not interfere', async () => {
      const p1 = policy();
      const p2 = policy();
      const a = rl(rateLimitKey(p1, 'l', ['a']), 1, 60_000, 0);
      expect((await one(a)).allowed).toBe(true);
      expect((await one(a)).allowed).toBe(false);
      for (const key of [rateLimitKey(p1, 'l', ['b']), rateLimitKey(p1, 'm', ['a']), rateLimitKey(p2, 'l', ['a'])]) {
        expect((await one(rl(key, 1, 60_000, 0))).allowed).toBe(true);
      }
      expect((await one(a)).allowed).toBe(false);
    });

    it('one batch: results are index-aligned; ops on the same key apply in order', async () => {
      const p = policy();
      const k1 = rateLimitKey(p, 'a', []);
      const k2 = rateLimitKey(p, 'b', []);
      const now = Date.now();
      const ct = bucketKeys(counterPrefix(p, 'req', ['ip']), now, 10_000, 3);
      const dc = bucketKeys(distinctPrefix(p, 'ips', ['ua']), now, 60_000, 2);
      const batch: CounterBatch = {
        rateLimits: [rl(k1, 1, 60_000, 0), rl(k2, 5, 60_000, 0), rl(k1, 1, 60_000, 0)],
        counters: [{ keys: ct, incr: 2, ttlMs: 30_000 }],
        distinct: [{ key: dc[0]!, member: '192.0.2.1', ttlMs: 120_000, countKeys: dc }],
      };
      const r = await s.store.evaluate(batch);
      expect(r.rateLimits.map((x) => [x.allowed, x.limit, x.remaining])).toEqual([
        [true, 1, 0],
        [true, 5, 4],
        [false, 1, 0],
      ]);
      expect(r.counters).toEqual([[2, 0, 0]]);
      expect(r.distinct).toEqual([[1, 0]]);
    });

    it('counters: increment the current bucket, read the older ones, incr 0 only reads', async () => {
      const p = policy();
      const [cur, older] = [bucketKeys(counterPrefix(p, 'c', ['x']), 2_000_000, 1000, 3), bucketKeys(counterPrefix(p, 'c', ['x']), 1_999_000, 1000, 2)];
      // Put 5 in the previous bucket, then 3 x 1 in the current one.
      expect((await s.store.evaluate({ ...empty, counters: [{ keys: older, incr: 5, ttlMs: 60_000 }] })).counters).toEqual([[5, 0]]);
      for (let i = 1; i <= 3; i++) {
        const r = await s.store.evaluate({ ...empty, counters: [{ keys: cur, incr: 1, ttlMs: 60_000 }] });
        expect(r.counters).toEqual([[i, 5, 0]]);
      }
      const read = await s.store.evaluate({ ...empty, counters: [{ keys: [cur[2]!, ...cur], incr: 0, ttlMs: 60_000 }] });
      expect(read.counters).toEqual([[0, 3, 5, 0]]);
      expect(await s.pttl(cur[2]!)).toBe(-2); // a read does not create the key
      const ttl = await s.pttl(cur[0]!);
      expect(ttl).toBeGreaterThan(55_000);
      expect(ttl).toBeLessThanOrEqual(60_000);
    });

    it('counters: ops of one batch on the same keys apply in order (merged Checks share buckets)', async () => {
      const [a, b] = bucketKeys(counterPrefix(policy(), 'shared', ['x']), 5_000_000, 1000, 2);
      const r = await s.store.evaluate({
        ...empty,
        counters: [
          { keys: [a!, b!], incr: 1, ttlMs: 60_000 },
          { keys: [a!], incr: 2, ttlMs: 60_000 },
          { keys: [b!, a!], incr: 0, ttlMs: 60_000 },
          { keys: [b!], incr: -1, ttlMs: 60_000 },
          { keys: [a!, b!], incr: 2 ** 40, ttlMs: 60_000 },
        ],
      });
      expect(r.counters).toEqual([[1, 0], [3], [0, 3], [-1], [2 ** 40 + 3, -1]]);
      expect((await s.store.evaluate({ ...empty, counters: [{ keys: [a!, b!], incr: 0, ttlMs: 60_000 }] })).counters).toEqual([[2 ** 40 + 3, -1]]);
    });

    it('counters: a bucket op addresses exactly the keys it names, in one batch with ops on those keys', async () => {
      const p = policy();
      const name = counterKeyName(p, 'b');
      const parts = counterPrefix(p, 'b', ['client']).slice(name.length + 1);
      const op = (bucket: number, buckets: number, incr: number) => new BucketCounterOp(name, parts, bucket, buckets, incr, 60_000);
      expect(op(7, 3, 0).keys).toEqual(bucketKeys(`${name}:${parts}`, 7_500, 1000, 3));
      const r = await s.store.evaluate({
        ...empty,
        counters: [op(7, 2, 4), { keys: [`${name}:${parts}:6`], incr: 3, ttlMs: 60_000 }, op(7, 3, 1), { keys: op(8, 3, 0).keys, incr: 0, ttlMs: 60_000 }, op(6, 1, -1)],
      });
      expect(r.counters).toEqual([[4, 0], [3], [5, 3, 0], [0, 5, 3], [2]]);
      // Another counter of the same parts and the same counter of other parts are other keys.
      const other = await s.store.evaluate({ ...empty, counters: [new BucketCounterOp(counterKeyName(p, 'c'), parts, 7, 1, 0, 60_000), new BucketCounterOp(name, `${parts}x`, 7, 1, 0, 60_000)] });
      expect(other.counters).toEqual([[0], [0]]);
      const ttl = await s.pttl(`${name}:${parts}:7`);
      expect(ttl).toBeGreaterThan(55_000);
      expect(await s.pttl(`${name}:${parts}:5`)).toBe(-2);
    });

    it('counters expire after ttlMs', async () => {
      const keys = bucketKeys(counterPrefix(policy(), 'exp', []), Date.now(), 1000, 1);
      expect((await s.store.evaluate({ ...empty, counters: [{ keys, incr: 1, ttlMs: 150 }] })).counters).toEqual([[1]]);
      await sleep(250);
      expect((await s.store.evaluate({ ...empty, counters: [{ keys, incr: 0, ttlMs: 150 }] })).counters).toEqual([[0]]);
    });

    it('distinct: counts distinct members per key, each count key on its own', async () => {
      const p = policy();
      const [k0, k1] = bucketKeys(distinctPrefix(p, 'ips', ['ua']), 5_000_000, 60_000, 2) as [string, string];
      const add = async (key: string, member: string) =>
        (await s.store.evaluate({ ...empty, distinct: [{ key, member, ttlMs: 60_000, countKeys: [k0, k1] }] })).distinct[0];
      expect(await add(k1, 'a')).toEqual([0, 1]);
      expect(await add(k0, 'a')).toEqual([1, 1]);
      expect(await add(k0, 'b')).toEqual([2, 1]);
      expect(await add(k0, 'a')).toEqual([2, 1]);
      for (let i = 0; i < 50; i++) await add(k0, `198.51.100.${i}`);
      const [n0] = (await add(k0, 'b'))!;
      // HyperLogLog is exact-ish at this size (Redis uses the sparse representation); memory is exact.
      expect(n0).toBeGreaterThanOrEqual(51);
      expect(n0).toBeLessThanOrEqual(53);
      const ttl = await s.pttl(k0);
      expect(ttl).toBeGreaterThan(55_000);
      expect(ttl).toBeLessThanOrEqual(60_000);
    });

    it('distinct: member "" only counts (adds nothing, leaves the expiry alone)', async () => {
      const [k] = bucketKeys(distinctPrefix(policy(), 'ro', []), 5_000_000, 60_000, 1) as [string];
      const count = async (member: string) => (await s.store.evaluate({ ...empty, distinct: [{ key: k, member, ttlMs: 60_000, countKeys: [k] }] })).distinct[0];
      expect(await count('')).toEqual([0]);
      expect(await s.pttl(k)).toBe(-2);
      expect(await count('a')).toEqual([1]);
      expect(await count('')).toEqual([1]);
    });

    it('sequences: push, read what is behind, cap the length, collapse repeats, expire', async () => {
      const key = `${policyPrefix(policy())}:sq:s1`;
      const push = async (value: number, collapseRepeats = true, length = 3) =>
        (await s.store.evaluate({ ...empty, sequences: [{ key, value, length, ttlMs: 60_000, collapseRepeats }] })).sequences[0];
      expect(await push(11)).toEqual({ pushed: true, previous: [] });
      expect(await push(22)).toEqual({ pushed: true, previous: [11] });
      expect(await push(22)).toEqual({ pushed: false, previous: [11] });
      expect(await push(33)).toEqual({ pushed: true, previous: [22, 11] });
      expect(await push(2 ** 48 + 7)).toEqual({ pushed: true, previous: [33, 22] });
      expect(await push(2 ** 48 + 7, false)).toEqual({ pushed: true, previous: [2 ** 48 + 7, 33] });
      const ttl = await s.pttl(key);
      expect(ttl).toBeGreaterThan(55_000);
      expect(ttl).toBeLessThanOrEqual(60_000);
    });

    it('records: fields add, keep the max or the min; the cap sends new records to overflow; read', async () => {
      const key = `${policyPrefix(policy())}:inv`;
      const rec = (record: string, fields: RecordOp['fields'], extra: Partial<RecordOp> = {}): RecordOp => ({ key, record, overflow: '{other}', maxRecords: 2, fields, ttlMs: 60_000, ...extra });
      const write = async (...ops: RecordOp[]) => (await s.store.evaluate({ ...empty, records: ops })).records;
      const read = async () => parseRecords((await s.store.evaluate({ ...empty, reads: [{ key }] })).reads[0]!);
      expect((await s.store.evaluate({ ...empty, reads: [{ key }] })).reads).toEqual([[]]);
      const t = 1_767_000_000_000;
      expect(await write(rec('GET /a', [{ name: 'n', update: 'incr', value: 2 }, { name: 'f', update: 'min', value: t }, { name: 'l', update: 'max', value: t }]))).toEqual([true]);
      expect(await write(rec('GET /a', [{ name: 'n', update: 'incr', value: 3 }, { name: 'f', update: 'min', value: t - 5 }, { name: 'l', update: 'max', value: t - 9 }]), rec('GET /b', [{ name: 'n', update: 'incr', value: 1 }]))).toEqual([true, true]);
      expect(await write(rec('GET /c', [{ name: 'n', update: 'incr', value: 4 }]), rec('GET /d', [{ name: 'n', update: 'incr', value: 1 }]))).toEqual([false, false]);
      expect(await read()).toEqual(
        new Map([
          ['GET /a', { n: 5, f: t - 5, l: t }],
          ['GET /b', { n: 1 }],
          ['{other}', { n: 5 }],
        ]),
      );
      // Existing records keep being updated after the cap is reached.
      expect(await write(rec('GET /a', [{ name: 'n', update: 'incr', value: 1 }]))).toEqual([true]);
      expect((await read()).get('GET /a')).toEqual({ n: 6, f: t - 5, l: t });
      const ttl = await s.pttl(key);
      expect(ttl).toBeGreaterThan(55_000);
      expect(ttl).toBeLessThanOrEqual(60_000);
    });

    it('rate-limit state expires when the bucket is full again (TTL = resetMs)', async () => {
      const key = rateLimitKey(policy(), 'ttl', []);
      const r = await one(rl(key, 10, 10_000, 0, 4)); // reset after 4 s
      expect(r.resetMs).toBeGreaterThan(3_900);
      expect(r.resetMs).toBeLessThanOrEqual(4_000);
      const ttl = await s.pttl(key);
      expect(ttl).toBeGreaterThan(3_000);
      expect(ttl).toBeLessThanOrEqual(4_000);
      const denied = await one(rl(key, 10, 10_000, 0, 7));
      expect(denied.allowed).toBe(false);
      expect(await s.pttl(key)).toBeLessThanOrEqual(ttl); // a denial does not extend it
    });

    it('rejects a malformed batch with a RangeError (a caller bug, not an outage)', async () => {
      await expect(s.store.evaluate({ ...empty, rateLimits: [rl('k', 0, 1000, 0)] })).rejects.toBeInstanceOf(RangeError);
      await expect(s.store.evaluate({ ...empty, counters: [{ keys: [], incr: 1, ttlMs: 1000 }] })).rejects.toBeInstanceOf(RangeError);
      const record: RecordOp = { key: 'k', record: 'a\tb', overflow: 'o', maxRecords: 0, fields: [], ttlMs: 1000 };
      await expect(s.store.evaluate({ ...empty, records: [record] })).rejects.toBeInstanceOf(RangeError);
      await expect(s.store.evaluate({ ...empty, sequences: [{ key: 'k', value: 1.5, length: 2, ttlMs: 1000, collapseRepeats: false }] })).rejects.toBeInstanceOf(RangeError);
    });
  });
}
