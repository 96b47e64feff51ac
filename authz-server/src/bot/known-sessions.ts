/**
 * Sessions this replica saw established recently: their next Checks skip the counters that only judge requests
 * new to their session (landing memory, new-session shares, route and cell crowds), most of a Check's keys. A
 * miss (another replica saw the session, or it was forgotten) only costs those reads; the store still decides.
 * Entries last `ttlMs` (less than the long window in which the store itself calls a session established).
 */
export class KnownSessions {
  readonly #ttlMs: number;
  readonly #max: number;
  /** key -> expiry (ms); a Map iterates in insertion order, a refreshed key is re-inserted last. */
  readonly #seen = new Map<string, number>();

  constructor(opts: { ttlMs: number; maxEntries: number }) {
    this.#ttlMs = opts.ttlMs;
    this.#max = opts.maxEntries;
  }

  /** True when `key` was remembered less than ttlMs before `nowMs`. */
  has(key: string, nowMs: number): boolean {
    const until = this.#seen.get(key);
    if (until === undefined) return false;
    if (until <= nowMs) {
      this.#seen.delete(key);
      return false;
    }
    return true;
  }

  /** Remembers `key` as established at `nowMs`; the oldest entry goes when full. */
  remember(key: string, nowMs: number): void {
    this.#seen.delete(key);
    this.#seen.set(key, nowMs + this.#ttlMs);
    if (this.#seen.size > this.#max) {
      const oldest = this.#seen.keys().next();
      if (!oldest.done) this.#seen.delete(oldest.value);
    }
  }

  get size(): number {
    return this.#seen.size;
  }
}
