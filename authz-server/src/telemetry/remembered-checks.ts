/**
 * Allowed Checks remembered by x-request-id until their access-log entry arrives (bot/feed.ts for the bot
 * detectors, discovery/inventory.ts for response classes), and the canonical copies that keep what they hold small.
 */

/**
 * Checks remembered by request id, oldest first out beyond `max`, each taken once (a replayed entry finds
 * nothing). Nothing is kept while `remembering()` is false (telemetry/access-log-presence.ts), and what was kept is
 * dropped then.
 */
export class RememberedChecks<T> {
  readonly #max: number;
  readonly #remembering: () => boolean;
  readonly #byId = new Map<string, T>();

  constructor(opts: { max?: number; remembering?: () => boolean } = {}) {
    this.#max = opts.max ?? 50_000;
    this.#remembering = opts.remembering ?? (() => true);
  }

  /** Whether a Check with this id is remembered now (checked first, so that nothing is built for it otherwise). */
  accepts(requestId: string): boolean {
    if (requestId === '') return false;
    if (this.#remembering()) return true;
    if (this.#byId.size > 0) this.#byId.clear();
    return false;
  }

  /** Remembers a Check `accepts` said yes to; a repeated id counts as the newest. */
  remember(requestId: string, value: T): void {
    this.#byId.delete(requestId);
    this.#byId.set(requestId, value);
    if (this.#byId.size > this.#max) this.#byId.delete(this.#byId.keys().next().value as string);
  }

  /** The Check an entry's request id ties to, forgotten once taken. */
  take(requestId: string): T | undefined {
    if (requestId === '') return undefined;
    const value = this.#byId.get(requestId);
    if (value !== undefined) this.#byId.delete(requestId);
    return value;
  }
}

/**
 * A key for a list of parts that no other list shares: each part prefixed with its length, so a part holding any
 * separator (a NUL in a path) cannot make two lists one key and one Check's route another's.
 */
export function partsKey(parts: readonly string[]): string {
  let key = '';
  for (const p of parts) key += `${p.length}:${p}`;
  return key;
}

/**
 * Canonical copies: the first value given for a key is returned for it from then on, so that the many remembered
 * Checks of one client or endpoint share it instead of each keeping its own (strings cut from a request keep what
 * they were cut from). Bounded: cleared when full, a cache and not a record.
 */
export class Canonical<V> {
  readonly #max: number;
  readonly #byKey = new Map<string, V>();

  constructor(max = 16_384) {
    this.#max = max;
  }

  of(key: string, value: V): V {
    const known = this.#byKey.get(key);
    if (known !== undefined) return known;
    if (this.#byKey.size >= this.#max) this.#byKey.clear();
    this.#byKey.set(key, value);
    return value;
  }
}
