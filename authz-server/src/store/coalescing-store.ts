/**
 * Store work of concurrent Checks merged into one store call. The Checks that reach the store in the same turn
 * of the event loop (under load, the several Checks one socket read delivers) and whose keys share a hash tag
 * (one policy) are sent as ONE batch: one script call, one round trip, that every one of them waits for, exactly
 * as it would wait for its own. On Redis the script's fixed cost (EVALSHA dispatch, argument tables, TIME, the
 * network reads and writes) is then paid once per call instead of once per Check, and a key several Checks touch
 * (a consumer's limit) is read and written once (redis-batch.lua). Results are the ones the same batches would
 * get one after the other: the script applies the ops in order.
 *
 * Under load the turn is widened: after a call that merged two Checks or more, the next call waits up to
 * `windowMs` for the Checks still arriving, so each script call, socket write and reply serves more of them (on
 * Redis, a call's fixed cost outweighs what one more Check adds to it). A call that merged one Check is followed
 * by an immediate one, so a quiet server never waits. The wait ends early once `fullAt` Checks are waiting: past a
 * handful, one more Check takes little off a call's cost per Check, and the rest of the window is latency only.
 */
import type { CounterBatch, CounterBatchResult, CounterStore } from './counter-store.ts';
import { hashTagOf } from './keys.ts';
import { validateBatch } from './memory-store.ts';

/** Most Checks merged into one call (bounds one script's run time and reply size). */
export const MAX_MERGED = 64;

interface Waiting {
  batch: CounterBatch;
  resolve(r: CounterBatchResult): void;
  reject(e: unknown): void;
}

/** One batch made of several, ops in order. */
export function mergeBatches(batches: readonly CounterBatch[]): CounterBatch {
  return {
    rateLimits: batches.flatMap((b) => b.rateLimits),
    counters: batches.flatMap((b) => b.counters),
    distinct: batches.flatMap((b) => b.distinct),
    sequences: batches.flatMap((b) => b.sequences ?? []),
    records: batches.flatMap((b) => b.records ?? []),
    reads: batches.flatMap((b) => b.reads ?? []),
  };
}

/** The merged result cut back into one result per batch. */
export function splitResult(batches: readonly CounterBatch[], merged: CounterBatchResult): CounterBatchResult[] {
  const at = { r: 0, c: 0, d: 0, s: 0, w: 0, h: 0 };
  return batches.map((b) => ({
    rateLimits: merged.rateLimits.slice(at.r, (at.r += b.rateLimits.length)),
    counters: merged.counters.slice(at.c, (at.c += b.counters.length)),
    distinct: merged.distinct.slice(at.d, (at.d += b.distinct.length)),
    sequences: merged.sequences.slice(at.s, (at.s += (b.sequences ?? []).length)),
    records: merged.records.slice(at.w, (at.w += (b.records ?? []).length)),
    reads: merged.reads.slice(at.h, (at.h += (b.reads ?? []).length)),
    nowMs: merged.nowMs,
  }));
}

function tagOf(batch: CounterBatch): string {
  const first = batch.rateLimits[0]?.key ?? batch.counters[0]?.keys[0] ?? batch.distinct[0]?.key ?? batch.sequences?.[0]?.key ?? batch.records?.[0]?.key ?? batch.reads?.[0]?.key ?? '';
  return hashTagOf(first);
}

/** How long merged calls may wait for more Checks under load. */
export interface CoalescingOptions {
  /** Upper bound of the wait after a call that merged two Checks or more; 0: merge within one turn only. Default 1. */
  windowMs?: number | undefined;
  /** Checks waiting that end the wait at once (at the end of the turn); default 6. */
  fullAt?: number | undefined;
}

/** Wraps a store; concurrent evaluate() calls of one turn (or window, under load) become one inner evaluate() per hash tag. */
export class CoalescingCounterStore implements CounterStore {
  readonly kind: string;
  readonly #inner: CounterStore;
  readonly #windowMs: number;
  readonly #fullAt: number;
  #waiting: Waiting[] = [];
  /** The window's timer while one runs. */
  #timer: NodeJS.Timeout | undefined;
  /** Checks in the last flush: two or more means Checks keep arriving, and the next flush may wait for them. */
  #lastFlushed = 0;

  constructor(inner: CounterStore, opts: CoalescingOptions = {}) {
    this.#inner = inner;
    this.kind = inner.kind;
    this.#windowMs = opts.windowMs ?? 1;
    this.#fullAt = Math.max(2, opts.fullAt ?? 6);
  }

  evaluate(batch: CounterBatch): Promise<CounterBatchResult> {
    try {
      // A bad batch fails alone, before it can be merged with others.
      validateBatch(batch);
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise((resolve, reject) => {
      const waiting = this.#waiting.push({ batch, resolve, reject });
      if (waiting === this.#fullAt && this.#timer !== undefined) {
        clearTimeout(this.#timer);
        this.#timer = undefined;
        setImmediate(this.#flushNow);
        return;
      }
      if (waiting !== 1) return;
      // Node runs each HTTP/2 stream's callbacks, with their promise jobs, as a callback of their own: only the
      // end of the loop's poll phase sees every Check of the socket reads it handled.
      if (this.#windowMs > 0 && this.#lastFlushed >= 2) this.#timer = setTimeout(this.#flushNow, this.#windowMs);
      else setImmediate(this.#flushNow);
    });
  }

  readonly #flushNow = (): void => {
    this.#timer = undefined;
    this.#flush();
  };

  #flush(): void {
    const waiting = this.#waiting;
    this.#waiting = [];
    this.#lastFlushed = waiting.length;
    const byTag = new Map<string, Waiting[]>();
    for (const w of waiting) {
      const tag = tagOf(w.batch);
      const group = byTag.get(tag);
      if (group && group.length < MAX_MERGED) group.push(w);
      else if (group) {
        this.#send(group);
        byTag.set(tag, [w]);
      } else byTag.set(tag, [w]);
    }
    for (const group of byTag.values()) this.#send(group);
  }

  #send(group: Waiting[]): void {
    if (group.length === 1) {
      const w = group[0] as Waiting;
      this.#inner.evaluate(w.batch).then(w.resolve, w.reject);
      return;
    }
    const batches = group.map((w) => w.batch);
    this.#inner.evaluate(mergeBatches(batches)).then(
      (merged) => {
        const results = splitResult(batches, merged);
        group.forEach((w, i) => w.resolve(results[i] as CounterBatchResult));
      },
      (err: unknown) => {
        for (const w of group) w.reject(err);
      },
    );
  }

  isHealthy(): boolean {
    return this.#inner.isHealthy();
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}
