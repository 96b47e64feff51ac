/**
 * GCRA (generic cell rate algorithm) as pure math, no I/O. The Redis adapter runs the same algorithm in Lua
 * (redis-batch.lua); both are tested to agree on the same sequences, so keep them in step.
 *
 * Model (one key):
 * - emission interval `T = periodMs / requests`, rounded UP to a whole microsecond (so the sustained rate is
 *   never above the configured one; the rounding costs at most 1 µs per request);
 * - capacity `C = requests + burst`;
 * - the state is one number, the theoretical arrival time TAT (µs). Absent state means idle (TAT <= now).
 * - a request of cost `c` arriving at `now` gets `tat = max(TAT, now)` and `newTat = tat + c*T`; it is allowed
 *   iff `newTat - now <= C*T`. Allowed requests store `newTat`; denied requests store nothing (they do not
 *   consume, so a flood cannot push the reset further away).
 *
 * Consequences:
 * - from idle, up to C requests pass at once; after that one every T (sustained `requests` per `periodMs`);
 * - there are no fixed-window edges: for ANY closed interval of length L and any arrival sequence, the total
 *   cost allowed with arrival times inside the interval is at most `C + floor(L / T)` (proof: across the interval
 *   TAT rises by at least c*T per allowed request and, at the last one, TAT - now <= C*T);
 * - a steady stream arriving every T (or slower) is always allowed;
 * - a cost above C is never allowed.
 *
 * Result fields (ms, rounded up so that waiting that long is always enough):
 * - `remaining`: how many more cost-1 requests could pass right now (after this one, if allowed);
 * - `retryAfterMs`: time until a request of this cost would pass; 0 when allowed;
 * - `resetMs`: time until the bucket is full again (TAT <= now), i.e. also a safe TTL for the stored state.
 */
import type { RateLimitResult } from './counter-store.ts';

/** The parameters of one GCRA evaluation (a RateLimitOp without its key). */
export interface GcraParams {
  requests: number;
  periodMs: number;
  burst: number;
  cost?: number;
}

export interface GcraOutcome {
  /** New TAT to store; undefined = leave the state unchanged (denied). */
  newTatMs: number | undefined;
  result: RateLimitResult;
}

export interface GcraOutcomeUs {
  /** New TAT to store (µs since epoch); undefined = leave the state unchanged (denied). */
  newTatUs: number | undefined;
  result: RateLimitResult;
}

/** Throws RangeError unless requests/burst/cost are non-negative integers (requests >= 1) and periodMs > 0. */
export function validateGcraParams(p: GcraParams): void {
  const cost = p.cost ?? 1;
  if (!Number.isSafeInteger(p.requests) || p.requests < 1) throw new RangeError(`rate limit: requests must be an integer >= 1, got ${p.requests}`);
  if (!Number.isFinite(p.periodMs) || p.periodMs <= 0) throw new RangeError(`rate limit: periodMs must be > 0, got ${p.periodMs}`);
  if (!Number.isSafeInteger(p.burst) || p.burst < 0) throw new RangeError(`rate limit: burst must be an integer >= 0, got ${p.burst}`);
  if (!Number.isSafeInteger(cost) || cost < 0) throw new RangeError(`rate limit: cost must be an integer >= 0, got ${cost}`);
}

/** The emission interval T in whole microseconds (>= 1): periodMs/requests rounded up. Lua: same expression. */
export function emissionIntervalUs(p: GcraParams): number {
  return Math.max(1, Math.ceil((p.periodMs * 1000) / p.requests));
}

/** floor(a / b) for integers (b > 0), exact even where the float quotient rounds onto an integer. */
function floorDiv(a: number, b: number): number {
  let q = Math.floor(a / b);
  if (q * b > a) q -= 1;
  else if ((q + 1) * b <= a) q += 1;
  return q;
}

/**
 * GCRA on integer microseconds: the form both adapters use (the Lua script mirrors it line by line).
 * `tatUs` undefined = no state (idle). `nowUs` must be an integer.
 */
export function gcraUs(tatUs: number | undefined, nowUs: number, p: GcraParams): GcraOutcomeUs {
  const cost = p.cost ?? 1;
  const t = emissionIntervalUs(p);
  const capacityUs = (p.requests + p.burst) * t;
  const tat = tatUs === undefined || tatUs < nowUs ? nowUs : tatUs;
  const newTat = tat + cost * t;
  const allowAt = newTat - capacityUs;
  const allowed = nowUs >= allowAt;
  // A denied request leaves the state as it was; the headers then describe the bucket as it stands.
  const tatAfter = allowed ? newTat : tat;
  return {
    newTatUs: allowed ? newTat : undefined,
    result: {
      allowed,
      limit: p.requests,
      remaining: Math.max(0, floorDiv(nowUs + capacityUs - tatAfter, t)),
      resetMs: Math.ceil((tatAfter - nowUs) / 1000),
      retryAfterMs: allowed ? 0 : Math.ceil((allowAt - nowUs) / 1000),
    },
  };
}

/**
 * GCRA with times in milliseconds (fractions allowed; quantised to whole microseconds). `tatMs` undefined = no
 * state. Returns the new TAT in ms, or undefined when denied (state unchanged). See the module comment.
 */
export function gcra(tatMs: number | undefined, nowMs: number, op: GcraParams): GcraOutcome {
  validateGcraParams(op);
  const out = gcraUs(tatMs === undefined ? undefined : Math.round(tatMs * 1000), Math.round(nowMs * 1000), op);
  return { newTatMs: out.newTatUs === undefined ? undefined : out.newTatUs / 1000, result: out.result };
}
