import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { emissionIntervalUs, gcra, gcraUs, type GcraParams } from './gcra.ts';

const NOW = 1_700_000_000_000; // ms
const NOW_US = NOW * 1000;

/** Runs a sequence of (time µs, cost) arrivals through gcraUs from idle; returns each outcome. */
function run(p: GcraParams, arrivals: Array<{ t: number; cost: number }>) {
  let tat: number | undefined;
  return arrivals.map(({ t, cost }) => {
    const out = gcraUs(tat, t, { ...p, cost });
    if (out.newTatUs !== undefined) tat = out.newTatUs;
    return { t, cost, ...out.result };
  });
}

const paramsArb = fc.record({
  requests: fc.integer({ min: 1, max: 20 }),
  periodMs: fc.integer({ min: 1, max: 5_000 }),
  burst: fc.integer({ min: 0, max: 10 }),
});

/** Sorted arrival times (µs) with costs: gaps from 0 (same instant) to a few seconds, mostly short. */
const arrivalsArb = fc
  .array(
    fc.record({
      gap: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 2_000 }), fc.integer({ min: 0, max: 3_000_000 })),
      cost: fc.oneof(fc.constant(1), fc.integer({ min: 0, max: 4 })),
    }),
    { minLength: 1, maxLength: 120 },
  )
  .map((xs) => {
    let t = NOW_US;
    return xs.map(({ gap, cost }) => ({ t: (t += gap), cost }));
  });

describe('gcra: fixed cases', () => {
  const p = { requests: 10, periodMs: 1000, burst: 5 }; // T = 100 ms, capacity 15

  it('from idle allows capacity = requests + burst at once, then denies with retryAfter = T', () => {
    let tat: number | undefined;
    for (let i = 0; i < 15; i++) {
      const { newTatMs, result } = gcra(tat, NOW, p);
      expect(result).toEqual({ allowed: true, limit: 10, remaining: 14 - i, resetMs: 100 * (i + 1), retryAfterMs: 0 });
      tat = newTatMs;
    }
    const denied = gcra(tat, NOW, p);
    expect(denied.newTatMs).toBeUndefined();
    expect(denied.result).toEqual({ allowed: false, limit: 10, remaining: 0, resetMs: 1500, retryAfterMs: 100 });
    // Exactly at retryAfter one more passes, one microsecond earlier it does not.
    expect(gcra(tat, NOW + 99.999, p).result.allowed).toBe(false);
    expect(gcra(tat, NOW + 100, p).result).toMatchObject({ allowed: true, remaining: 0 });
  });

  it('denied requests do not consume (a flood does not push the reset away)', () => {
    let tat: number | undefined;
    for (let i = 0; i < 15; i++) tat = gcra(tat, NOW, p).newTatMs;
    for (let i = 0; i < 1000; i++) expect(gcra(tat, NOW + i / 100, p).newTatMs).toBeUndefined();
    expect(gcra(tat, NOW + 100, p).result.allowed).toBe(true);
  });

  it('recovers one request per T and is full again after resetMs', () => {
    let tat: number | undefined;
    for (let i = 0; i < 15; i++) tat = gcra(tat, NOW, p).newTatMs;
    expect(gcra(tat, NOW + 350, p).result).toMatchObject({ allowed: true, remaining: 2, resetMs: 1250 });
    expect(gcra(tat, NOW + 1500, p).result).toMatchObject({ allowed: true, remaining: 14 });
    expect(gcra(tat, NOW + 1500, { ...p, cost: 0 }).result).toMatchObject({ allowed: true, remaining: 15, resetMs: 0 });
  });

  it('cost: consumes several tokens; a cost above capacity is never allowed', () => {
    const a = gcra(undefined, NOW, { ...p, cost: 15 });
    expect(a.result).toMatchObject({ allowed: true, remaining: 0, resetMs: 1500 });
    const b = gcra(undefined, NOW, { ...p, cost: 16 });
    expect(b.result.allowed).toBe(false);
    expect(b.newTatMs).toBeUndefined();
    const c = gcra(undefined, NOW, { ...p, cost: 10 });
    const d = gcra(c.newTatMs, NOW, { ...p, cost: 6 });
    expect(d.result).toMatchObject({ allowed: false, remaining: 5, retryAfterMs: 100 });
    expect(gcra(c.newTatMs, NOW, { ...p, cost: 5 }).result.allowed).toBe(true);
  });

  it('burst 0, requests 1: exactly one per period', () => {
    const q = { requests: 1, periodMs: 60_000, burst: 0 };
    const a = gcra(undefined, NOW, q);
    expect(a.result).toEqual({ allowed: true, limit: 1, remaining: 0, resetMs: 60_000, retryAfterMs: 0 });
    expect(gcra(a.newTatMs, NOW + 59_999, q).result).toMatchObject({ allowed: false, retryAfterMs: 1 });
    expect(gcra(a.newTatMs, NOW + 60_000, q).result.allowed).toBe(true);
  });

  it('non-integer emission interval rounds up to whole microseconds', () => {
    expect(emissionIntervalUs({ requests: 3, periodMs: 1000, burst: 0 })).toBe(333_334);
    expect(emissionIntervalUs({ requests: 10_000_000, periodMs: 1, burst: 0 })).toBe(1);
  });

  it('a clock that goes backwards never yields negative numbers', () => {
    const a = gcra(undefined, NOW, p);
    const back = gcra(a.newTatMs, NOW - 10_000, p).result;
    expect(back.remaining).toBeGreaterThanOrEqual(0);
    expect(back.retryAfterMs).toBeGreaterThanOrEqual(0);
  });

  it('rejects invalid parameters', () => {
    expect(() => gcra(undefined, NOW, { requests: 0, periodMs: 1000, burst: 0 })).toThrow(RangeError);
    expect(() => gcra(undefined, NOW, { requests: 1, periodMs: 0, burst: 0 })).toThrow(RangeError);
    expect(() => gcra(undefined, NOW, { requests: 1, periodMs: 1000, burst: -1 })).toThrow(RangeError);
    expect(() => gcra(undefined, NOW, { requests: 1, periodMs: 1000, burst: 0, cost: 1.5 })).toThrow(RangeError);
  });
});

describe('gcra: properties', () => {
  it('for every closed interval [a, a+L]: allowed cost inside <= capacity + floor(L / T)', () => {
    fc.assert(
      fc.property(paramsArb, arrivalsArb, (p, arrivals) => {
        const allowed = run(p, arrivals).filter((r) => r.allowed);
        const tUs = emissionIntervalUs(p);
        const capacity = p.requests + p.burst;
        // The worst interval starts and ends at allowed arrivals, so checking those pairs covers all intervals.
        for (let i = 0; i < allowed.length; i++) {
          let sum = 0;
          for (let j = i; j < allowed.length; j++) {
            sum += allowed[j]!.cost;
            const L = allowed[j]!.t - allowed[i]!.t;
            expect(sum).toBeLessThanOrEqual(capacity + Math.floor(L / tUs));
            // ... and hence also against the exact (unrounded) rate requests/periodMs:
            expect(sum).toBeLessThanOrEqual(capacity + Math.floor((L * p.requests) / (p.periodMs * 1000)));
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  it('a steady stream at exactly the rate (one every T) is always allowed, from any prior idle state', () => {
    fc.assert(
      fc.property(paramsArb, fc.integer({ min: 1, max: 500 }), fc.integer({ min: 0, max: 10_000_000 }), (p, n, start) => {
        const tUs = emissionIntervalUs(p);
        const arrivals = Array.from({ length: n }, (_, i) => ({ t: NOW_US + start + i * tUs, cost: 1 }));
        expect(run(p, arrivals).every((r) => r.allowed)).toBe(true);
      }),
    );
  });

  it('a steady stream at the rate is allowed even after the burst was used up', () => {
    fc.assert(
      fc.property(paramsArb, fc.integer({ min: 1, max: 300 }), (p, n) => {
        const tUs = emissionIntervalUs(p);
        const capacity = p.requests + p.burst;
        const burst = Array.from({ length: capacity }, () => ({ t: NOW_US, cost: 1 }));
        // After the burst, the next slot opens one T later, then one every T.
        const stream = Array.from({ length: n }, (_, i) => ({ t: NOW_US + (i + 1) * tUs, cost: 1 }));
        expect(run(p, [...burst, ...stream]).every((r) => r.allowed)).toBe(true);
      }),
    );
  });

  it('remaining is exact: after a result with remaining k, exactly k more pass at the same instant', () => {
    fc.assert(
      fc.property(paramsArb, arrivalsArb, (p, arrivals) => {
        let tat: number | undefined;
        for (const { t, cost } of arrivals) {
          const out = gcraUs(tat, t, { ...p, cost });
          if (out.newTatUs !== undefined) tat = out.newTatUs;
          let probe = tat;
          for (let k = 0; k < out.result.remaining; k++) {
            const o = gcraUs(probe, t, p);
            expect(o.result.allowed).toBe(true);
            probe = o.newTatUs;
          }
          expect(gcraUs(probe, t, p).result.allowed).toBe(false);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('retryAfterMs is enough and resetMs brings the bucket back to full', () => {
    fc.assert(
      fc.property(paramsArb, arrivalsArb, (p, arrivals) => {
        const capacity = p.requests + p.burst;
        let tat: number | undefined;
        for (const { t, cost } of arrivals) {
          const out = gcraUs(tat, t, { ...p, cost });
          if (out.newTatUs !== undefined) tat = out.newTatUs;
          const r = out.result;
          if (!r.allowed && cost <= capacity) expect(gcraUs(tat, t + r.retryAfterMs * 1000, { ...p, cost }).result.allowed).toBe(true);
          expect(gcraUs(tat, t + r.resetMs * 1000, { ...p, cost: 0 }).result.remaining).toBe(capacity);
          if (r.resetMs > 0) expect(gcraUs(tat, t + (r.resetMs - 1) * 1000, { ...p, cost: 0 }).result.remaining).toBeLessThan(capacity);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('the millisecond wrapper agrees with the microsecond core', () => {
    fc.assert(
      fc.property(paramsArb, arrivalsArb, (p, arrivals) => {
        let tatMs: number | undefined;
        let tatUs: number | undefined;
        for (const { t, cost } of arrivals) {
          const a = gcra(tatMs, t / 1000, { ...p, cost });
          const b = gcraUs(tatUs, t, { ...p, cost });
          expect(a.result).toEqual(b.result);
          if (a.newTatMs !== undefined) tatMs = a.newTatMs;
          if (b.newTatUs !== undefined) tatUs = b.newTatUs;
          expect(tatMs === undefined ? undefined : Math.round(tatMs * 1000)).toBe(tatUs);
        }
      }),
      { numRuns: 200 },
    );
  });
});
