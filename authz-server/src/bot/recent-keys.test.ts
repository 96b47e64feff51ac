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

  it('drops the oldest entry beyond maxEntries (a refreshed key counts as new)', () => {
    const keys = new RecentKeys({ ttlMs: 1000, maxEntries: 2 });
    keys.remember('a', 0);
    keys.remember('b', 0);
    keys.remember('a', 1);
    keys.remember('c', 2);
    expect([keys.has('a', 3), keys.has('b', 3), keys.has('c', 3)]).toEqual([true, false, true]);
    expect(keys.size).toBe(2);
  });
});
