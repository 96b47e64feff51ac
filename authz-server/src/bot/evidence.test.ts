import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { binomialSurprise, lnGamma, overdispersedSurprise, poissonLowSurprise, poissonSurprise, ratioPoints, surprisePoints } from './evidence.ts';

/** -log10 of a sum of probabilities computed term by term (small cases only). */
const minusLog10 = (p: number) => -Math.log10(p);
const factorial = (n: number): number => (n <= 1 ? 1 : n * factorial(n - 1));
const choose = (n: number, k: number) => factorial(n) / (factorial(k) * factorial(n - k));

describe('evidence curves and tails', () => {
  it('ratio points: 0 below the threshold, base at it, perDoubling per doubling, capped', () => {
    const c = { base: 25, perDoubling: 15, max: 100 };
    expect(ratioPoints(9.9, 10, c)).toBe(0);
    expect(ratioPoints(10, 10, c)).toBe(25);
    expect(ratioPoints(40, 10, c)).toBe(55);
    expect(ratioPoints(1e9, 10, c)).toBe(100);
    expect(ratioPoints(Number.NaN, 10, c)).toBe(0);
    expect(ratioPoints(5, 0, c)).toBe(0);
    fc.assert(fc.property(fc.double({ min: 0, max: 1e6, noNaN: true }), fc.double({ min: 0, max: 1e6, noNaN: true }), (a, b) => ratioPoints(Math.min(a, b), 10, c) <= ratioPoints(Math.max(a, b), 10, c)));
  });

  it('surprise points: nothing under the start, then per decade', () => {
    const c = { start: 3, base: 20, perDecade: 8, max: 70 };
    expect(surprisePoints(2.9, c)).toBe(0);
    expect(surprisePoints(3, c)).toBe(20);
    expect(surprisePoints(5, c)).toBe(36);
    expect(surprisePoints(Infinity, c)).toBe(70);
  });

  it('lnGamma matches factorials', () => {
    for (const n of [1, 2, 5, 10, 20]) expect(lnGamma(n + 1)).toBeCloseTo(Math.log(factorial(n)), 8);
    expect(lnGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 10);
  });

  it('Poisson upper and lower tails agree with the sums of their terms, and survive underflow', () => {
    const pmf = (i: number, l: number) => (Math.exp(-l) * l ** i) / factorial(i);
    for (const [k, l] of [
      [0, 3],
      [2, 3],
      [5, 3],
      [12, 4],
    ] as const) {
      let upper = 0;
      for (let i = k; i < 60; i++) upper += pmf(i, l);
      expect(poissonSurprise(k, l)).toBeCloseTo(k <= 0 ? 0 : minusLog10(upper), 6);
      let lower = 0;
      for (let i = 0; i <= k; i++) lower += pmf(i, l);
      expect(poissonLowSurprise(k, l)).toBeCloseTo(minusLog10(lower), 6);
    }
    // Far tails stay finite and ordered.
    expect(poissonSurprise(5000, 10)).toBeGreaterThan(poissonSurprise(500, 10));
    expect(Number.isFinite(poissonSurprise(5000, 10))).toBe(true);
    expect(poissonLowSurprise(0, 2000)).toBeCloseTo(2000 / Math.LN10, 6);
    fc.assert(fc.property(fc.integer({ min: 0, max: 200 }), fc.double({ min: 0.1, max: 100, noNaN: true }), (k, l) => poissonSurprise(k + 1, l) >= poissonSurprise(k, l) - 1e-9));
  });

  it('binomial tail agrees with the sum of its terms', () => {
    for (const [k, n, p] of [
      [1, 5, 0.1],
      [3, 10, 0.05],
      [10, 10, 0.2],
      [4, 30, 0.3],
    ] as const) {
      let tail = 0;
      for (let i = k; i <= n; i++) tail += choose(n, i) * p ** i * (1 - p) ** (n - i);
      expect(binomialSurprise(k, n, p)).toBeCloseTo(minusLog10(tail), 6);
    }
    expect(binomialSurprise(0, 10, 0.1)).toBe(0);
    expect(binomialSurprise(3, 3, 0)).toBe(Infinity);
  });

  it('overdispersion: a large mildly unusual mixture is no certainty, a small pure run still is', () => {
    // 60 of 250 at 12% expected: certain for a binomial, unremarkable for a mixture of people.
    expect(binomialSurprise(60, 250, 0.12)).toBeGreaterThan(5);
    expect(overdispersedSurprise(60, 250, 0.12, 0.05)).toBeLessThan(2);
    // Without dispersion it is the binomial.
    expect(overdispersedSurprise(8, 8, 0.1, 0)).toBeCloseTo(binomialSurprise(8, 8, 0.1), 10);
    fc.assert(fc.property(fc.integer({ min: 1, max: 100 }), fc.integer({ min: 0, max: 100 }), (n, k0) => overdispersedSurprise(Math.min(k0, n), n, 0.1, 0.05) <= binomialSurprise(Math.min(k0, n), n, 0.1) + 0.2));
  });
});
