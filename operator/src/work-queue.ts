/**
 * A keyed work queue in the manner of client-go's workqueue: informers add keys, workers take them.
 *  - dedup: a key waiting in the queue is queued once however often it is added;
 *  - one run per key at a time: a key added while it is being processed runs again after the current run;
 *  - failed keys come back after a per-key exponential backoff with jitter (capped), reset on success;
 *  - a handler may ask for a delayed re-run (`requeueAfterMs`), e.g. for periodic checks.
 */
import { backoffDelay } from '../../lib/process/backoff.ts';

/** What a handler may return. */
export type HandlerResult = void | { requeueAfterMs: number };

export type Handler<K extends string> = (key: K) => Promise<HandlerResult>;

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface WorkQueueOptions<K extends string> {
  /** Parallel handler runs (different keys). Default 1. */
  concurrency?: number;
  /** First retry delay. Default 100 ms. */
  baseDelayMs?: number;
  /** Retry delay cap. Default 60 s. */
  maxDelayMs?: number;
  /** [0, 1) random source for jitter. Default Math.random. */
  random?: () => number;
  timers?: Timers;
  /** Called when a handler throws, with the retry delay chosen. */
  onError?: (key: K, err: unknown, failures: number, retryInMs: number) => void;
}

const realTimers: Timers = {
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export class WorkQueue<K extends string = string> {
  readonly #queue: K[] = [];
  readonly #dirty = new Set<K>();
  readonly #processing = new Set<K>();
  readonly #failures = new Map<K, number>();
  readonly #delayed = new Map<K, { at: number; handle: unknown }>();
  readonly #concurrency: number;
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #random: () => number;
  readonly #timers: Timers;
  readonly #onError: WorkQueueOptions<K>['onError'];
  #handler: Handler<K> | null = null;
  #shuttingDown = false;
  #idleWaiters: Array<() => void> = [];

  constructor(options: WorkQueueOptions<K> = {}) {
    this.#concurrency = Math.max(1, options.concurrency ?? 1);
    this.#baseDelayMs = options.baseDelayMs ?? 100;
    this.#maxDelayMs = options.maxDelayMs ?? 60_000;
    this.#random = options.random ?? Math.random;
    this.#timers = options.timers ?? realTimers;
    this.#onError = options.onError;
  }

  /** The backoff before retrying a key that failed `failures` times in a row. */
  #delayAfter(failures: number): number {
    return backoffDelay(failures - 1, { initialMs: this.#baseDelayMs, maxMs: this.#maxDelayMs, random: this.#random });
  }

  /** Keys ready to run (not counting running or delayed ones). */
  get length(): number {
    return this.#queue.length;
  }

  /** Keys waiting for a delayed add (backoff or requeueAfter). */
  get delayedCount(): number {
    return this.#delayed.size;
  }

  /** Keys being processed right now. */
  get processingCount(): number {
    return this.#processing.size;
  }

  /** Consecutive failures of a key. */
  failures(key: K): number {
    return this.#failures.get(key) ?? 0;
  }

  /** Queues a key now (no-op if it is already waiting). */
  add(key: K): void {
    if (this.#shuttingDown || this.#dirty.has(key)) return;
    this.#dirty.add(key);
    if (this.#processing.has(key)) return;
    this.#queue.push(key);
    this.#pump();
  }

  /** Queues a key after a delay; an earlier pending delay for the key wins. */
  addAfter(key: K, delayMs: number): void {
    if (this.#shuttingDown) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const at = Date.now() + delayMs;
    const existing = this.#delayed.get(key);
    if (existing && existing.at <= at) return;
    if (existing) this.#timers.clearTimeout(existing.handle);
    const handle = this.#timers.setTimeout(() => {
      this.#delayed.delete(key);
      this.add(key);
    }, delayMs);
    this.#delayed.set(key, { at, handle });
  }

  /** Counts a failure and queues the key after its backoff delay; returns the delay. */
  addRateLimited(key: K): number {
    const n = (this.#failures.get(key) ?? 0) + 1;
    this.#failures.set(key, n);
    const delay = this.#delayAfter(n);
    this.addAfter(key, delay);
    return delay;
  }

  /** Resets a key's failure count. */
  forget(key: K): void {
    this.#failures.delete(key);
  }

  /** Starts processing with `handler`. */
  start(handler: Handler<K>): void {
    this.#handler = handler;
    this.#pump();
  }

  /** Resolves once nothing is queued or running (delayed keys do not count). For tests and shutdown. */
  idle(): Promise<void> {
    if (this.#queue.length === 0 && this.#processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Stops taking keys, drops delayed ones, and waits for running handlers to finish. */
  async shutdown(): Promise<void> {
    this.#shuttingDown = true;
    for (const { handle } of this.#delayed.values()) this.#timers.clearTimeout(handle);
    this.#delayed.clear();
    this.#queue.length = 0;
    this.#dirty.clear();
    await this.idle();
  }

  #pump(): void {
    const handler = this.#handler;
    if (!handler) return;
    while (!this.#shuttingDown && this.#processing.size < this.#concurrency && this.#queue.length > 0) {
      const key = this.#queue.shift() as K;
      this.#dirty.delete(key);
      this.#processing.add(key);
      void this.#run(handler, key);
    }
    this.#notifyIdle();
  }

  async #run(handler: Handler<K>, key: K): Promise<void> {
    try {
      const result = await handler(key);
      this.#failures.delete(key);
      if (result && result.requeueAfterMs >= 0) this.addAfter(key, result.requeueAfterMs);
    } catch (err) {
      const n = (this.#failures.get(key) ?? 0) + 1;
      const delay = this.#delayAfter(n);
      this.#failures.set(key, n);
      this.#onError?.(key, err, n, delay);
      this.addAfter(key, delay);
    } finally {
      this.#processing.delete(key);
      if (this.#dirty.has(key) && !this.#shuttingDown) this.#queue.push(key);
      this.#pump();
    }
  }

  #notifyIdle(): void {
    if (this.#queue.length > 0 || this.#processing.size > 0) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const w of waiters) w();
  }
}
