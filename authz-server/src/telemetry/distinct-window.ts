/**
 * Counts distinct keys seen in a sliding time window, per group, with a hard memory bound: the "rate-limited
 * clients" gauge (how many different clients hit a limit in the last minute) without putting a client label on a
 * metric (unbounded cardinality).
 */
export class DistinctWindow {
  readonly #windowMs: number;
  readonly #maxPerGroup: number;
  readonly #clock: () => number;
  /** group -> key -> last seen (ms); a Map iterates in insertion order, and a re-seen key is re-inserted last. */
  readonly #groups = new Map<string, Map<string, number>>();

  constructor(opts: { windowMs: number; maxPerGroup: number; clock?: () => number }) {
    this.#windowMs = opts.windowMs;
    this.#maxPerGroup = opts.maxPerGroup;
    this.#clock = opts.clock ?? Date.now;
  }

  /** Records `key` in `group` now. When the group is full the oldest key is dropped (the count saturates). */
  add(group: string, key: string): void {
    let keys = this.#groups.get(group);
    if (!keys) {
      keys = new Map();
      this.#groups.set(group, keys);
    }
    keys.delete(key);
    keys.set(key, this.#clock());
    if (keys.size > this.#maxPerGroup) {
      const oldest = keys.keys().next();
      if (!oldest.done) keys.delete(oldest.value);
    }
  }

  /** Distinct keys per group seen within the window; groups that emptied are reported once as 0, then forgotten. */
  counts(): Map<string, number> {
    const horizon = this.#clock() - this.#windowMs;
    const out = new Map<string, number>();
    for (const [group, keys] of this.#groups) {
      for (const [key, at] of keys) {
        if (at > horizon) break; // insertion order = time order
        keys.delete(key);
      }
      out.set(group, keys.size);
      if (keys.size === 0) this.#groups.delete(group);
    }
    return out;
  }
}
