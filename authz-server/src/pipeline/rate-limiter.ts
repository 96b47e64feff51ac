/**
 * The rate-limit layer: everything a Check needs from the counter store behind one call, as envoyproxy/ratelimit
 * hides its cache behind DoLimit. It answers from the local over-limit cache when a key is known to be over its
 * limit (no round trip), otherwise sends the Check's whole batch (limits and bot counters) in one round trip,
 * applies the policy's failurePolicy when the store is down, and remembers newly exceeded keys.
 */
import type { CounterBatch, CounterBatchResult, CounterStore } from '../store/counter-store.ts';
import { StoreUnavailableError, isEmptyBatch } from '../store/counter-store.ts';
import { OverLimitCache } from '../store/over-limit-cache.ts';
import type { Denial, RateLimitInfo } from './outcome.ts';
import { judgeRateLimits, type PlannedLimit } from './rate-limit.ts';
import type { RuntimePolicy } from './runtime.ts';

/** What the rate limiter needs from the outside world. */
export interface RateLimiterDeps {
  /** The shared store (Redis or memory). */
  store: CounterStore;
  /** Per-process limiter used under FailOpen while the shared store is down. */
  fallback: CounterStore;
  overLimit?: OverLimitCache;
  /** Called once per store failure, for metrics and logs. */
  onStoreError?: (err: Error, policyId: string, failOpen: boolean) => void;
}

/** The store work of one Check. */
export interface LimitRequest {
  limits: PlannedLimit[];
  counters: CounterBatch['counters'];
  distinct: CounterBatch['distinct'];
  sequences?: CounterBatch['sequences'];
}

/** What the store work concluded. */
export type LimitResult =
  | {
      kind: 'judged';
      /** The first exceeded limit, or null. */
      denial: Denial | null;
      /** The tightest matching limit, for the ratelimit-* headers. */
      info: RateLimitInfo | null;
      counters: CounterBatchResult['counters'];
      distinct: CounterBatchResult['distinct'];
      sequences: CounterBatchResult['sequences'];
      /** How the result was obtained. */
      via: 'store' | 'over-limit cache' | 'local limiter (store down, FailOpen)' | 'nothing to do';
    }
  | { kind: 'unavailable'; denial: Denial };

const NO_COUNTERS = { counters: [], distinct: [], sequences: [] };

/** Runs the counter-store work of Checks. One instance per server; safe for concurrent Checks. */
export class RateLimiter {
  readonly #deps: RateLimiterDeps;
  readonly #overLimit: OverLimitCache;

  constructor(deps: RateLimiterDeps) {
    this.#deps = deps;
    this.#overLimit = deps.overLimit ?? new OverLimitCache();
  }

  /** The whole store work of one Check; never throws for store failures (they become a result). */
  async doLimit(policy: RuntimePolicy, work: LimitRequest, nowMs: number): Promise<LimitResult> {
    const blocked = this.#cachedDenial(work.limits, nowMs);
    if (blocked) return { kind: 'judged', denial: blocked, info: null, ...NO_COUNTERS, via: 'over-limit cache' };
    const batch: CounterBatch = { rateLimits: work.limits.map((p) => p.op), counters: work.counters, distinct: work.distinct, sequences: work.sequences ?? [] };
    if (isEmptyBatch(batch)) return { kind: 'judged', denial: null, info: null, ...NO_COUNTERS, via: 'nothing to do' };

    let result: CounterBatchResult;
    let via: 'store' | 'local limiter (store down, FailOpen)' = 'store';
    try {
      result = await this.#deps.store.evaluate(batch);
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      this.#deps.onStoreError?.(e, policy.id, policy.failOpen);
      if (!policy.failOpen) {
        return { kind: 'unavailable', denial: { reason: 'unavailable', detail: `counter store unavailable: ${e instanceof StoreUnavailableError ? e.message : 'error'}` } };
      }
      result = await this.#deps.fallback.evaluate(batch);
      via = 'local limiter (store down, FailOpen)';
    }
    result.rateLimits.forEach((r, i) => {
      const key = work.limits[i]?.op.key;
      if (key && !r.allowed && r.retryAfterMs > 0) this.#overLimit.block(key, nowMs + r.retryAfterMs);
    });
    const judged = judgeRateLimits(work.limits, result.rateLimits);
    return { kind: 'judged', denial: judged.denial, info: judged.info, counters: result.counters, distinct: result.distinct, sequences: result.sequences, via };
  }

  /** Closes the fallback limiter (the shared store belongs to whoever created it). */
  async close(): Promise<void> {
    await this.#deps.fallback.close();
  }

  #cachedDenial(limits: PlannedLimit[], nowMs: number): Denial | null {
    for (const p of limits) {
      const ms = this.#overLimit.blockedFor(p.op.key, nowMs);
      if (ms <= 0) continue;
      const retry = Math.max(1, Math.ceil(ms / 1000));
      return {
        reason: 'rate-limit',
        detail: `limit ${p.limit.name} exceeded (cached)`,
        rateLimit: { name: p.limit.name, limit: p.limit.requests, remaining: 0, resetSeconds: retry, retryAfterSeconds: retry },
      };
    }
    return null;
  }
}
