import { describe, expect, it } from 'vitest';
import { gcra } from './gcra.ts';
import { OverLimitCache } from './over-limit-cache.ts';

describe('OverLimitCache', () => {
  it('blocks a key until the given time, then forgets it', () => {
    const c = new OverLimitCache();
    expect(c.blockedFor('k', 1000)).toBe(0);
    c.block('k', 1500);
    expect(c.blockedFor('k', 1000)).toBe(500);
    expect(c.blockedFor('k', 1499)).toBe(1);
    expect(c.blockedFor('other', 1000)).toBe(0);
    expect(c.blockedFor('k', 1500)).toBe(0);
    expect(c.size).toBe(0);
  });

  it('keeps the later block time', () => {
    const c = new OverLimitCache();
    c.block('k', 2000);
    c.block('k', 1500);
    expect(c.blockedFor('k', 1000)).toBe(1000);
    c.block('k', 3000);
    expect(c.blockedFor('k', 1000)).toBe(2000);
  });

  it('is bounded: the least recently blocked key is evicted first', () => {
    const c = new OverLimitCache({ maxEntries: 3 });
    c.block('a', 10_000);
    c.block('b', 10_000);
    c.block('c', 10_000);
    c.block('a', 10_000); // re-blocked: now the newest
    c.block('d', 10_000);
    expect(c.size).toBe(3);
    expect(c.blockedFor('b', 0)).toBe(0);
    for (const k of ['a', 'c', 'd']) expect(c.blockedFor(k, 0)).toBe(10_000);
  });

  it('stays bounded and O(1) under a flood of distinct keys', () => {
    const c = new OverLimitCache({ maxEntries: 1000 });
    const started = performance.now();
    for (let i = 0; i < 200_000; i++) c.block(`k${i}`, 1e15);
    expect(c.size).toBe(1000);
    expect(c.blockedFor('k199999', 0)).toBeGreaterThan(0);
    expect(c.blockedFor('k0', 0)).toBe(0);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('never blocks a request GCRA would allow (blocking until now + retryAfterMs)', () => {
    const p = { requests: 5, periodMs: 1000, burst: 0 };
    const c = new OverLimitCache();
    let tat: number | undefined;
    let now = 1_700_000_000_000;
    for (let i = 0; i < 2000; i++, now += 7) {
      const cached = c.blockedFor('k', now);
      const out = gcra(tat, now, p);
      if (cached > 0) expect(out.result.allowed).toBe(false);
      else if (out.newTatMs !== undefined) tat = out.newTatMs;
      else c.block('k', now + out.result.retryAfterMs);
    }
  });

  it('rejects a nonsensical size', () => {
    expect(() => new OverLimitCache({ maxEntries: 0 })).toThrow(RangeError);
  });
});
