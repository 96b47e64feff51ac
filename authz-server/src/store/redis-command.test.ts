import { Command } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../bench/sim-traffic.ts';
import type { CounterBatch, CounterOp } from './counter-store.ts';
import { BucketCounterOp } from './keys.ts';
import { BatchCall, encodeBatch, encodeCall } from './redis-command.ts';

const SHA = 'a'.repeat(40);

/** What ioredis writes for EVALSHA with these arguments (its own command, strings only). */
function ioredisBytes(name: string, script: string, batch: CounterBatch, clock?: number): Buffer {
  const { keys, argv } = encodeBatch(batch, clock);
  const w = new Command(name, [script, keys.length, ...keys, ...argv]).toWritable({} as never);
  return Buffer.isBuffer(w) ? w : Buffer.from(w, 'utf8');
}

function randomBatch(rng: Rng): CounterBatch {
  // Request data reaches ARGV (a distinct op's member, a record's name): line breaks, RESP's own markers and a lone
  // surrogate must stay inside their length-prefixed string.
  const text = () => rng.pick(['', 'a', 'k:1', 'pal:{p}:ct:x', 'é', '日本', 'x'.repeat(rng.int(1, 300)), `${rng.int(0, 1e9)}`, 'a\r\n*3\r\n$4\r\nPING', '\ud800x', '$-1\r\n']);
  const counters: CounterOp[] = [];
  for (let i = rng.int(0, 12); i > 0; i--) {
    if (rng.chance(0.7)) {
      // Bucket indexes across digit counts, and below zero (a clock near the epoch in tests).
      const bucket = rng.pick([0, 1, 9, 10, 99, 100, rng.int(0, 1e6), 2_834_567, 170_000_000_123, -1]);
      counters.push(new BucketCounterOp(`pal:{${text()}}:ct:${text()}`, text(), bucket, rng.int(1, 8), rng.pick([0, 1, 7, 67108864, 1.5, -2]), rng.pick([1000, 600_000, 1.25])));
    } else counters.push({ keys: Array.from({ length: rng.int(1, 4) }, text), incr: rng.int(0, 3), ttlMs: rng.int(1, 1e7) });
  }
  return {
    rateLimits: Array.from({ length: rng.int(0, 4) }, () => ({ key: rng.pick(['rl:a', 'rl:b', text()]), requests: rng.int(1, 100), periodMs: rng.pick([1000, 60_000]), burst: rng.int(0, 5), ...(rng.chance(0.3) ? { cost: rng.int(0, 3) } : {}) })),
    counters,
    distinct: Array.from({ length: rng.int(0, 3) }, () => ({ key: text(), member: text(), ttlMs: rng.int(1, 1e6), countKeys: Array.from({ length: rng.int(0, 3) }, text) })),
    sequences: Array.from({ length: rng.int(0, 2) }, () => ({ key: text(), value: rng.int(0, 1e6), length: rng.int(1, 8), ttlMs: 1000, collapseRepeats: rng.chance(0.5) })),
    records: Array.from({ length: rng.int(0, 2) }, () => ({ key: text(), record: text() || 'r', overflow: 'other', maxRecords: rng.int(0, 100), ttlMs: 5000, fields: Array.from({ length: rng.int(0, 3) }, () => ({ name: text(), update: rng.pick(['incr', 'max', 'min'] as const), value: rng.pick([1, -3, 2.5, 1e12]) })) })),
    reads: Array.from({ length: rng.int(0, 2) }, () => ({ key: text() })),
  };
}

describe('encodeCall', () => {
  it('writes exactly the bytes ioredis writes for the same EVALSHA, for random batches', () => {
    const rng = new Rng(7);
    for (let i = 0; i < 2000; i++) {
      const batch = randomBatch(rng);
      const clock = rng.chance(0.5) ? rng.int(0, 2 ** 52) : undefined;
      const call = encodeCall(batch, SHA, clock);
      expect(call.evalsha.equals(ioredisBytes('evalsha', SHA, batch, clock)), `batch ${i}`).toBe(true);
    }
  });

  it('keeps a call intact while later calls are encoded (the socket may still hold it)', () => {
    const rng = new Rng(8);
    const batches = Array.from({ length: 50 }, () => randomBatch(rng));
    const calls = batches.map((b) => encodeCall(b, SHA));
    batches.forEach((b, i) => expect(calls[i]!.evalsha.equals(ioredisBytes('evalsha', SHA, b))).toBe(true));
  });

  it('grows past its scratch for a batch of megabytes', () => {
    const big: CounterBatch = { rateLimits: [], counters: [{ keys: ['k'.repeat(3_000_000), 'é'.repeat(100_000)], incr: 1, ttlMs: 1000 }], distinct: [] };
    expect(encodeCall(big, SHA).evalsha.equals(ioredisBytes('evalsha', SHA, big))).toBe(true);
  });
});

describe('BatchCall', () => {
  const lua = 'return 1 -- é';
  const batch: CounterBatch = { rateLimits: [], counters: [new BucketCounterOp('pal:{p}:ct:c', 'h', 12, 3, 1, 1000)], distinct: [] };

  it('sends EVAL with the script on a connection that has not run it, EVALSHA after, and EVAL again after NOSCRIPT', () => {
    const loaded = new WeakSet<object>();
    const socket = {};
    const first = new BatchCall(encodeCall(batch, SHA), lua, loaded, undefined);
    expect(first.toWritable(socket).equals(ioredisBytes('eval', lua, batch))).toBe(true);
    expect(first.name).toBe('eval');
    const second = new BatchCall(encodeCall(batch, SHA), lua, loaded, undefined);
    expect(second.toWritable(socket).equals(ioredisBytes('evalsha', SHA, batch))).toBe(true);
    second.promise.catch(() => {});
    second.reject(new Error('NOSCRIPT No matching script'));
    const third = new BatchCall(encodeCall(batch, SHA), lua, loaded, undefined);
    expect(third.toWritable(socket).equals(ioredisBytes('eval', lua, batch))).toBe(true);
    // Another connection has its own state.
    expect(new BatchCall(encodeCall(batch, SHA), lua, loaded, undefined).toWritable({}).equals(ioredisBytes('eval', lua, batch))).toBe(true);
  });

  it('routes by the slot of the key it is given (Redis Cluster), and by none otherwise', () => {
    const key = encodeBatch(batch).keys[0]!;
    const reference = new Command('evalsha', [SHA, 1, key]);
    expect(new BatchCall(encodeCall(batch, SHA), lua, new WeakSet(), key).getSlot()).toBe(reference.getSlot());
    expect(new BatchCall(encodeCall(batch, SHA), lua, new WeakSet(), undefined).getKeys()).toEqual([]);
  });
});
