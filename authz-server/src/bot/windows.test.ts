import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { counterPrefix, distinctPrefix, hashTagOf } from '../store/keys.ts';
import { BOT_KEYS, PrefixCache, bucketTtlMs, clientKeyOf, currentBucket, median, poissonCdf, ramp, sliding, windowCounter, windowDistinct } from './windows.ts';

describe('bot window math', () => {
  it('keys carry the policy hash tag, current bucket first; off-path writes address the same bucket', () => {
    const now = 1_700_000_123_456;
    const op = windowCounter('shop/orders', BOT_KEYS.usageIp, ['203.0.113.7'], now, 60_000, 5, 1);
    expect(op.keys).toHaveLength(5);
    expect(op.keys.every((k) => hashTagOf(k) === 'shop/orders')).toBe(true);
    expect(op.keys[0]!.endsWith(`:${Math.floor(now / 60_000)}`)).toBe(true);
    expect(op.keys[4]!.endsWith(`:${Math.floor(now / 60_000) - 4}`)).toBe(true);
    expect(op.ttlMs).toBe(bucketTtlMs(60_000, 5));
    expect(currentBucket('shop/orders', BOT_KEYS.usageIp, ['203.0.113.7'], now + 10, 60_000, 5).key).toBe(op.keys[0]);
    const d = windowDistinct('shop/orders', BOT_KEYS.routeClients, ['h', 'GET', '/x'], '203.0.113.7', now, 60_000, 13);
    expect(d.countKeys).toHaveLength(13);
    expect(d.key).toBe(d.countKeys[0]);
    expect(hashTagOf(d.key)).toBe('shop/orders');
  });

  it('PrefixCache builds exactly the keys of keys.ts', () => {
    const cache = new PrefixCache('shop/orders');
    for (const parts of [[], ['10.0.0.1'], ['a,b'], ['a', 'b'], ['api.test', 'GET', '/x/{id}', '10.0.0.1'], ['{weird}:key']]) {
      expect(cache.counter(BOT_KEYS.usageIp, parts)).toBe(counterPrefix('shop/orders', BOT_KEYS.usageIp, parts));
      expect(cache.distinct(BOT_KEYS.routeClients, parts)).toBe(distinctPrefix('shop/orders', BOT_KEYS.routeClients, parts));
    }
    expect(new PrefixCache('ns/{x}').counter('n', ['1'])).toBe(counterPrefix('ns/{x}', 'n', ['1']));
  });

  it('client key: IP, else SPIFFE principal, else "-"', () => {
    expect(clientKeyOf('10.0.0.1', 'spiffe://x')).toBe('10.0.0.1');
    expect(clientKeyOf('', 'spiffe://cluster.local/ns/a/sa/b')).toBe('spiffe:spiffe://cluster.local/ns/a/sa/b');
    expect(clientKeyOf('', '')).toBe('-');
  });

  it('ramp: 0 below start, min at start, max at full and beyond, monotone', () => {
    expect(ramp(0.99, 1, 3, 35, 60)).toBe(0);
    expect(ramp(1, 1, 3, 35, 60)).toBe(35);
    expect(ramp(2, 1, 3, 35, 60)).toBe(48);
    expect(ramp(30, 1, 3, 35, 60)).toBe(60);
    expect(ramp(Number.NaN, 1, 3, 35, 60)).toBe(0);
    fc.assert(fc.property(fc.double({ min: 0, max: 100, noNaN: true }), fc.double({ min: 0, max: 100, noNaN: true }), (a, b) => ramp(Math.min(a, b), 1, 3, 35, 60) <= ramp(Math.max(a, b), 1, 3, 35, 60)));
  });

  it('sliding window: the previous bucket weighs what is left of it inside the window', () => {
    expect(sliding([10, 100], 120_000, 60_000)).toBe(110); // at a bucket boundary the whole previous bucket counts
    expect(sliding([10, 100], 150_000, 60_000)).toBe(60);
    expect(sliding([10, 100], 179_999, 60_000)).toBeCloseTo(10, 2);
    expect(sliding([], 0, 60_000)).toBe(0);
  });

  it('median', () => {
    expect(median([])).toBe(0);
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('poissonCdf agrees with the closed form and survives underflow', () => {
    expect(poissonCdf(0, 5)).toBeCloseTo(Math.exp(-5), 12);
    expect(poissonCdf(2, 3)).toBeCloseTo(Math.exp(-3) * (1 + 3 + 4.5), 12);
    expect(poissonCdf(3, 0)).toBe(1);
    const tiny = poissonCdf(5, 900);
    expect(tiny).toBeGreaterThanOrEqual(0);
    expect(tiny).toBeLessThan(1e-300);
    fc.assert(fc.property(fc.integer({ min: 0, max: 50 }), fc.double({ min: 0.1, max: 60, noNaN: true }), (k, l) => poissonCdf(k, l) <= poissonCdf(k + 1, l) + 1e-12));
  });
});
