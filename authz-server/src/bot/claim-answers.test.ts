import { describe, expect, it } from 'vitest';
import { ClaimAnswers } from './claim-answers.ts';

describe('claims on a route, by what the upstream answered them with (ClaimAnswers)', () => {
  const T = 1_000_000;
  const claims = () => new ClaimAnswers({ ttlMs: 60_000, minAnswers: 2, maxEntries: 3 });

  it('are taken until the route answered them with data twice, then not', () => {
    const c = claims();
    expect(c.empty).toBe(true);
    expect(c.honoured('p', 7, T)).toBe(true);
    c.answered('p', 7, false, T);
    expect(c.honoured('p', 7, T)).toBe(true);
    c.answered('p', 7, false, T + 1);
    expect(c.honoured('p', 7, T + 2)).toBe(false);
    // Another route, another policy: their own.
    expect(c.honoured('p', 8, T + 2)).toBe(true);
    expect(c.honoured('q', 7, T + 2)).toBe(true);
  });

  it('are taken on a route that answers them as claimed at least as often as with data', () => {
    const c = claims();
    for (let i = 0; i < 3; i++) c.answered('p', 7, true, T + i);
    for (let i = 0; i < 3; i++) c.answered('p', 7, false, T + 10 + i);
    expect(c.honoured('p', 7, T + 20)).toBe(true);
    c.answered('p', 7, false, T + 21);
    expect(c.honoured('p', 7, T + 22)).toBe(false);
  });

  it('are taken again once the route has had no answer for ttlMs, and its counts start over', () => {
    const c = claims();
    c.answered('p', 7, false, T);
    c.answered('p', 7, false, T + 30_000);
    expect(c.honoured('p', 7, T + 30_000 + 59_999)).toBe(false);
    expect(c.honoured('p', 7, T + 30_000 + 60_000)).toBe(true);
    c.answered('p', 7, false, T + 100_000);
    expect(c.honoured('p', 7, T + 100_001)).toBe(true);
  });

  it('forget the route longest without an answer when full', () => {
    const c = claims();
    for (const r of [1, 2, 3]) {
      c.answered('p', r, false, T);
      c.answered('p', r, false, T);
    }
    c.answered('p', 1, false, T + 1);
    c.answered('p', 4, false, T + 2);
    expect([1, 2, 3, 4].map((r) => c.honoured('p', r, T + 3))).toEqual([false, true, false, true]);
  });

  it('are all taken with minAnswers 0', () => {
    const c = new ClaimAnswers({ ttlMs: 60_000, minAnswers: 0 });
    for (let i = 0; i < 5; i++) c.answered('p', 7, false, T + i);
    expect(c.honoured('p', 7, T + 10)).toBe(true);
    expect(c.empty).toBe(true);
  });
});
