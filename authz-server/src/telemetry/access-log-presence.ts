/**
 * Whether Envoy's access log reaches this process. Allowed Checks are remembered by x-request-id so that their
 * access-log entries can be tied to them (bot/feed.ts, discovery/inventory.ts); without an access log those
 * memories are never used, and at thousands of Checks a second two maps of 50 000 entries each are most of the
 * heap and every one of their entries lives long enough to reach the old generation. So Checks are remembered
 * from the first accepted access-log message until `graceMs` after the last one. The entries of Envoy's first
 * flush after a start cannot match (their Checks were not remembered); every flush after it can.
 */
export class AccessLogPresence {
  readonly #clock: () => number;
  readonly #graceMs: number;
  #lastHeardMs = Number.NEGATIVE_INFINITY;

  constructor(opts: { clock: () => number; graceMs?: number }) {
    this.#clock = opts.clock;
    this.#graceMs = opts.graceMs ?? 10 * 60_000;
  }

  /** An accepted access-log message arrived. Returns true when the access log was not heard before (or lately). */
  heard(): boolean {
    const was = this.active();
    this.#lastHeardMs = this.#clock();
    return !was;
  }

  /** Whether Checks should be remembered for access-log entries now. */
  active(): boolean {
    return this.#clock() - this.#lastHeardMs < this.#graceMs;
  }
}
