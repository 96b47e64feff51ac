import { describe, expect, it } from 'vitest';
import { RecentKeys } from './recent-keys.ts';

describe('RecentKeys', () => {
  it('answers a remembered key until ttlMs after it was remembered; take answers it once', () => {
    const keys = new RecentKeys({ ttlMs: 1000, maxEntries: 10 });
    keys.remember('a', 0);
    keys.remember('b', 0);
    expect(keys.has('a', 999)).toBe(true);
    expect(keys.has('a', 1000)).toBe(false);
    expect(keys.take('b', 500)).toBe(true);
    expect(keys.take('b', 500)).toBe(false);
    expect(keys.has('b', 500)).toBe(false);
  });

  it('keeps a number with a key while the key is remembered, forgets it with the key', () => {
    const keys = new RecentKeys({ ttlMs: 1000, maxEntries: 2 });
    keys.remember('a', 0, 40);
    keys.remember('b', 0);
    expect(keys.valueOf('a', 500)).toBe(40);
    expect(keys.valueOf('b', 500)).toBeUndefined();
    keys.remember('a', 600, 55);
    expect(keys.valueOf('a', 1500)).toBe(55);
    expect(keys.valueOf('a', 1600)).toBeUndefined();
    // Remembered again without one: none. Pushed out as the oldest: gone.
    keys.remember('c', 2000, 7);
    keys.remember('c', 2000);
    expect(keys.valueOf('c', 2001)).toBeUndefined();
    keys.remember('d', 2000, 1);
    keys.remember('e', 2000, 2);
    keys.remember('f', 2000, 3);
    expect(keys.valueOf('d', 2001)).toBeUndefined();
    expect(keys.valueOf('f', 2001)).toBe(3);
  });
});
