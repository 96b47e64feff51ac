/**
 * Counter increments made OFF the Check path (access-log errors, new sessions, the server's own denials, API
 * discovery): added in memory, summed per key, and written to the CounterStore in batches, one `evaluate()` per
 * policy hash tag per flush (so every batch stays in one Redis Cluster slot). A Check never waits for these.
 *
 * Bounded: at most `maxPendingKeys` distinct keys wait for a flush; beyond that new keys are dropped (counted in
 * `dropped`). A failed flush drops its increments: these counters feed heuristics, and replaying them later
 * would only blur the time buckets they belong to.
 */
import type { Logger } from 'pino';
import type { CounterOp, CounterStore } from '../store/counter-store.ts';
import { hashTagOf } from '../store/keys.ts';

export interface DeferredCountersOptions {
  store: CounterStore;
  /** Background flush period; 0 disables the timer (tests and the simulator call flush()). Default 1000 ms. */
  flushIntervalMs?: number;
  /** Default 50000. */
  maxPendingKeys?: number;
  /** Most counter ops in one store call. Default 500. */
  maxOpsPerBatch?: number;
  logger?: Pick<Logger, 'warn' | 'info'>;
}

/** Called with the key's value after the flushed increment, and the increment that was flushed. */
export type OnValue = (value: number, flushed: number) => void;

interface Pending {
  delta: number;
  ttlMs: number;
  onValue: OnValue | undefined;
}

export class DeferredCounters {
  readonly #store: CounterStore;
  readonly #maxPending: number;
  readonly #maxOps: number;
  readonly #logger: Pick<Logger, 'warn' | 'info'> | undefined;
  #pending = new Map<string, Pending>();
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();
  #failing = false;
  /** Increments written / dropped (full, or store failure), for metrics and tests. */
  written = 0;
  dropped = 0;

  constructor(opts: DeferredCountersOptions) {
    this.#store = opts.store;
    this.#maxPending = opts.maxPendingKeys ?? 50_000;
    this.#maxOps = opts.maxOpsPerBatch ?? 500;
    this.#logger = opts.logger;
    const every = opts.flushIntervalMs ?? 1000;
    if (every > 0) {
      this.#timer = setInterval(() => void this.flush(), every);
      this.#timer.unref();
    }
  }

  /** Adds `delta` to `key` at the next flush; the key's expiry is set to `ttlMs` then. */
  add(key: string, delta: number, ttlMs: number, onValue?: OnValue): void {
    const p = this.#pending.get(key);
    if (p) {
      p.delta += delta;
      p.ttlMs = Math.max(p.ttlMs, ttlMs);
      if (onValue) p.onValue = onValue;
      return;
    }
    if (this.#pending.size >= this.#maxPending) {
      this.dropped += delta;
      return;
    }
    this.#pending.set(key, { delta, ttlMs, onValue });
  }

  /** Keys waiting for a flush. */
  get pendingKeys(): number {
    return this.#pending.size;
  }

  /** Writes everything added so far; resolves when written (or dropped on failure). Never rejects. */
  flush(): Promise<void> {
    this.#flushing = this.#flushing.then(() => this.#flushNow());
    return this.#flushing;
  }

  async #flushNow(): Promise<void> {
    if (this.#pending.size === 0) return;
    const batch = this.#pending;
    this.#pending = new Map();
    const byTag = new Map<string, Array<[string, Pending]>>();
    for (const entry of batch) {
      const tag = hashTagOf(entry[0]);
      let list = byTag.get(tag);
      if (!list) byTag.set(tag, (list = []));
      list.push(entry);
    }
    const calls: Array<Promise<void>> = [];
    for (const list of byTag.values()) {
      for (let i = 0; i < list.length; i += this.#maxOps) calls.push(this.#write(list.slice(i, i + this.#maxOps)));
    }
    await Promise.all(calls);
  }

  async #write(entries: Array<[string, Pending]>): Promise<void> {
    const counters: CounterOp[] = entries.map(([key, p]) => ({ keys: [key], incr: p.delta, ttlMs: Math.max(1, Math.round(p.ttlMs)) }));
    try {
      const result = await this.#store.evaluate({ rateLimits: [], counters, distinct: [] });
      entries.forEach(([, p], i) => {
        this.written += p.delta;
        const value = result.counters[i]?.[0];
        if (value !== undefined && p.onValue) p.onValue(value, p.delta);
      });
      if (this.#failing) {
        this.#failing = false;
        this.#logger?.info('bot counters: store writes recovered');
      }
    } catch (err) {
      for (const [, p] of entries) this.dropped += p.delta;
      if (!this.#failing) {
        this.#failing = true;
        this.#logger?.warn({ err: err instanceof Error ? err.message : String(err) }, 'bot counters: store write failed, increments dropped until it recovers');
      }
    }
  }

  /** Stops the timer; call flush() first to keep what is pending. */
  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
