import { describe, expect, it } from 'vitest';
import { reconnectDelay } from './operator-source.ts';

describe('reconnectDelay', () => {
  it('doubles from the initial delay, caps, and jitters within [d/2, d]', () => {
    expect([0, 1, 2, 3].map((a) => reconnectDelay(a, 250, 30_000, () => 1))).toEqual([250, 500, 1000, 2000]);
    expect(reconnectDelay(20, 250, 30_000, () => 1)).toBe(30_000);
    expect(reconnectDelay(1000, 250, 30_000, () => 0)).toBe(15_000);
    for (let i = 0; i < 200; i++) {
      const d = reconnectDelay(4, 250, 30_000, Math.random);
      expect(d).toBeGreaterThanOrEqual(2000);
      expect(d).toBeLessThanOrEqual(4000);
    }
  });
});
