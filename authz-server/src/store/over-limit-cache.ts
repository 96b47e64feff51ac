/**
 * Local cache of keys known to be over their limit (as envoyproxy/ratelimit's local cache): when a GCRA op is
 * denied with retryAfterMs, the caller blocks the key until then, so a flood from one client costs no store round
 * trips until it could pass again. Blocking until `now + retryAfterMs` never denies a request the store would have
 * allowed: a GCRA key's allow time only moves later (other replicas can only consume more), never earlier.
 *
 * Bounded: at most `maxEntries` keys; the entry blocked least recently is evicted first. All operations O(1)
 * (a Map keeps insertion order; re-blocking a key moves it to the end).
 */

export interface OverLimitCacheOptions {
  /** Most keys kept at once (default 10000). */
  maxEntries?: number;
}

export class OverLimitCache {
  readonly maxEntries: number;
  readonly #until = new Map<string, number>();

  constructor(opts: OverLimitCacheOptions = {}) {
    const max = opts.maxEntries ?? 10_000;
    if (!Number.isSafeInteger(max) || max < 1) throw new RangeError(`maxEntries must be an integer >= 1, got ${max}`);
    this.maxEntries = max;
  }

  /** Milliseconds the key is still blocked for at `nowMs`; 0 if it is not blocked (expired entries are dropped). */
  blockedFor(key: string, nowMs: number): number {
    const until = this.#until.get(key);
    if (until === undefined) return 0;
    if (until <= nowMs) {
      this.#until.delete(key);
      return 0;
    }
    return until - nowMs;
  }

  /** Blocks `key` until `untilMs` (keeps the later time if it is already blocked longer). */
  block(key: string, untilMs: number): void {
    const prev = this.#until.get(key);
    if (prev !== undefined) this.#until.delete(key);
    this.#until.set(key, prev !== undefined && prev > untilMs ? prev : untilMs);
    if (this.#until.size > this.maxEntries) {
      const oldest = this.#until.keys().next();
      if (!oldest.done) this.#until.delete(oldest.value);
    }
  }

  /** Number of entries held (expired ones included until touched). */
  get size(): number {
    return this.#until.size;
  }

  clear(): void {
    this.#until.clear();
  }
}
