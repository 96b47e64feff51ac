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
});
