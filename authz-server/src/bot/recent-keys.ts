/**
 * Keys this replica remembered for a while, each until `ttlMs` after it was remembered, the oldest dropped beyond
 * `maxEntries`. Used for sessions seen established recently (their next Checks skip the counters that only judge
 * requests new to their session: landing memory, new-session shares, route and cell crowds, most of a Check's keys)
 * for landings the upstream did not answer (their retry is no new landing), and for the form pages of paths whose
 * writes fail in a surge, with the points their tries were held to (a number remembered with the key). A miss
 * (another replica saw it, or it was forgotten) only costs what the key would have saved; the store still decides.
 */
export class RecentKeys {
  readonly #ttlMs: number;
  readonly #max: number;
  /** key -> expiry (ms); a Map iterates in insertion order, a refreshed key is re-inserted last. */
  readonly #seen = new Map<string, number>();
  /** key -> the number remembered with it, for the keys remembered with one (valueOf). */
  #values: Map<string, number> | undefined;

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
      this.#values?.delete(key);
      return false;
    }
    return true;
  }

  /** The number `key` was last remembered with, while it is remembered (undefined otherwise, or without one). */
  valueOf(key: string, nowMs: number): number | undefined {
    return this.has(key, nowMs) ? this.#values?.get(key) : undefined;
  }

  /** Like `has`, and forgets `key`: a remembered key answers true once. */
  take(key: string, nowMs: number): boolean {
    const found = this.has(key, nowMs);
    if (found) {
      this.#seen.delete(key);
      this.#values?.delete(key);
    }
    return found;
  }

  /** Remembers `key` at `nowMs` (with `value`, read back by valueOf); the oldest entry goes when full. */
  remember(key: string, nowMs: number, value?: number): void {
    this.#seen.delete(key);
    this.#seen.set(key, nowMs + this.#ttlMs);
    if (value !== undefined) (this.#values ??= new Map()).set(key, value);
    else this.#values?.delete(key);
    if (this.#seen.size > this.#max) {
      const oldest = this.#seen.keys().next();
      if (!oldest.done) {
        this.#seen.delete(oldest.value);
        this.#values?.delete(oldest.value);
      }
    }
  }

  get size(): number {
    return this.#seen.size;
  }
}
