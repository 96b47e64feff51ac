import { describe, expect, it } from 'vitest';
import { Backoff, backoffDelay } from './backoff.ts';

describe('backoffDelay', () => {
  const at = (attempt: number, r: number) => backoffDelay(attempt, { initialMs: 100, maxMs: 10_000, random: () => r });

  it('doubles from the initial delay up to the cap', () => {
    expect([0, 1, 2, 3].map((a) => at(a, 1))).toEqual([100, 200, 400, 800]);
    expect(at(30, 1)).toBe(10_000);
    expect(at(100_000, 1)).toBe(10_000);
  });

  it('jitters within [d/2, d]', () => {
    expect(at(0, 0)).toBe(50);
    expect(at(1000, 0)).toBe(5_000);
    for (let i = 0; i < 200; i++) {
      const d = backoffDelay(3, { initialMs: 100, maxMs: 10_000 });
      expect(d).toBeGreaterThanOrEqual(400);
      expect(d).toBeLessThanOrEqual(800);
    }
    expect(new Set(Array.from({ length: 50 }, () => backoffDelay(10, { initialMs: 100, maxMs: 10_000 }))).size).toBeGreaterThan(5);
  });
});

describe('Backoff', () => {
  it('counts failures and starts over after a reset', () => {
    const b = new Backoff({ initialMs: 250, maxMs: 1000, random: () => 1 });
    expect([b.next(), b.next(), b.next(), b.next()]).toEqual([250, 500, 1000, 1000]);
    expect(b.attempt).toBe(4);
    b.reset();
    expect(b.next()).toBe(250);
  });
});
