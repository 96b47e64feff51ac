/**
 * The one capped exponential backoff with jitter used by every retry loop (operator work queue and informers,
 * the authz-server's snapshot stream, Redis reconnects). "Equal jitter": attempt n (counted from 0) waits a
 * random delay in [d/2, d] with d = min(maxMs, initialMs * 2^n), so retries spread out but never come sooner
 * than half the nominal delay.
 */

/** Parameters of a backoff. */
export interface BackoffOptions {
  /** Nominal delay of the first retry. */
  initialMs: number;
  /** Cap of the nominal delay. */
  maxMs: number;
  /** [0, 1) random source; default Math.random (tests pin it). */
  random?: () => number;
}

/** The delay before retry `attempt` (0 = the first retry). */
export function backoffDelay(attempt: number, options: BackoffOptions): number {
  const d = Math.min(options.maxMs, options.initialMs * 2 ** Math.min(Math.max(0, attempt), 52));
  return Math.round(d / 2 + (options.random ?? Math.random)() * (d / 2));
}

/** A backoff that counts its attempts: `next()` after each failure, `reset()` after a success. */
export class Backoff {
  readonly #options: BackoffOptions;
  #attempt = 0;

  constructor(options: BackoffOptions) {
    this.#options = options;
  }

  /** Failures since the last reset. */
  get attempt(): number {
    return this.#attempt;
  }

  /** The delay before the next retry; counts one more failure. */
  next(): number {
    return backoffDelay(this.#attempt++, this.#options);
  }

  reset(): void {
    this.#attempt = 0;
  }
}
