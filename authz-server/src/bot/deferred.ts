/**
 * Counter increments made OFF the Check path (access-log errors, new sessions, the server's own denials, API
 * discovery): added in memory, summed per key, and written to the CounterStore in batches, one `evaluate()` per
 * policy hash tag per flush (so every batch stays in one Redis Cluster slot). A Check never waits for these.
 * Record updates (the API inventory's and the journey model's capped hashes) and HyperLogLog members (distinct
 * consumers) ride in the same batches, merged per record and deduplicated per member until the flush.
 *
 * Bounded: at most `maxPendingKeys` distinct keys wait for a flush; beyond that new keys are dropped (counted in
 * `dropped`). A failed flush drops its increments: these counters feed heuristics, and replaying them later
 * would only blur the time buckets they belong to.
 */
import type { Logger } from 'pino';
import type { CounterOp, CounterStore, DistinctOp, RecordOp } from '../store/counter-store.ts';
import { BucketCounterOp, hashTagOf } from '../store/keys.ts';

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

/** A pending increment of a plain key (add). */
interface Pending {
  key: string;
  delta: number;
  ttlMs: number;
  onValue: OnValue | undefined;
}

/** A pending increment of a counter's bucket (addBucket): written as a BucketCounterOp, its key never built here. */
interface PendingBucket {
  counter: string;
  parts: string;
  bucket: number;
  delta: number;
  ttlMs: number;
}

/** A pending op of the other kinds, keyed so that repeats merge. */
type PendingOp = { kind: 'record'; op: RecordOp } | { kind: 'distinct'; op: DistinctOp };

function mergeRecord(into: RecordOp, op: RecordOp): void {
  // Integers only, as record() keeps them; rounded here so that a merge copies nothing.
  into.ttlMs = Math.max(into.ttlMs, Math.round(op.ttlMs));
  for (const f of op.fields) {
    const value = Math.round(f.value);
    const prior = into.fields.find((x) => x.name === f.name && x.update === f.update);
    if (!prior) into.fields.push({ ...f, value });
    else if (f.update === 'incr') prior.value += value;
    else prior.value = f.update === 'max' ? Math.max(prior.value, value) : Math.min(prior.value, value);
  }
}

export class DeferredCounters {
  readonly #store: CounterStore;
  readonly #maxPending: number;
  readonly #maxOps: number;
  readonly #logger: Pick<Logger, 'warn' | 'info'> | undefined;
  #pending = new Map<string, Pending>();
  /**
   * Pending bucket increments by counter, then parts (the same string objects Check after Check: PrefixCache), one
   * entry per bucket: found without building their keys, which are built once, at the flush.
   */
  #buckets = new Map<string, Map<string, PendingBucket[]>>();
  #bucketCount = 0;
  #pendingOps = new Map<string, PendingOp>();
  #timer: NodeJS.Timeout | undefined;
  readonly #beforeFlush: Array<() => void> = [];
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
    const p = this.#pendingFor(key, delta, ttlMs);
    if (p && onValue) p.onValue = onValue;
  }

  /**
   * Adds `delta` to the bucket `bucket` of a bucketed counter (keys.ts BucketCounterOp: key
   * `<counter>:<parts>:<bucket>`) at the next flush. Kept apart from add()'s keys: a bucket is added to this way only.
   */
  addBucket(counter: string, parts: string, bucket: number, delta: number, ttlMs: number): void {
    let byParts = this.#buckets.get(counter);
    const list = byParts?.get(parts);
    if (list) {
      for (const p of list) {
        if (p.bucket === bucket) {
          p.delta += delta;
          p.ttlMs = Math.max(p.ttlMs, ttlMs);
          return;
        }
      }
    }
    if (this.pendingKeys >= this.#maxPending) {
      this.dropped += delta;
      return;
    }
    const fresh: PendingBucket = { counter, parts, bucket, delta, ttlMs };
    if (list) list.push(fresh);
    else {
      if (!byParts) this.#buckets.set(counter, (byParts = new Map()));
      byParts.set(parts, [fresh]);
    }
    this.#bucketCount++;
  }

  /**
   * What this process added to a counter's bucket since the last flush (0 when nothing): the increments the next
   * flush writes, for a reader that must not wait for them.
   */
  pendingOf(counter: string, parts: string, bucket: number): number {
    const list = this.#bucketCount === 0 ? undefined : this.#buckets.get(counter)?.get(parts);
    if (list) for (const p of list) if (p.bucket === bucket) return p.delta;
    return 0;
  }

  /** The pending increment of `key` with `delta` added, or undefined when it was dropped (too many keys). */
  #pendingFor(key: string, delta: number, ttlMs: number): Pending | undefined {
    const p = this.#pending.get(key);
    if (p) {
      p.delta += delta;
      p.ttlMs = Math.max(p.ttlMs, ttlMs);
      return p;
    }
    if (this.pendingKeys >= this.#maxPending) {
      this.dropped += delta;
      return undefined;
    }
    const fresh: Pending = { key, delta, ttlMs, onValue: undefined };
    this.#pending.set(key, fresh);
    return fresh;
  }

  /** Updates a record (RecordOp) at the next flush; updates of one record merge (sums, max, min). */
  record(op: RecordOp): void {
    const id = `r\u0000${op.key}\u0000${op.record}`;
    const p = this.#pendingOps.get(id);
    if (p?.kind === 'record') return mergeRecord(p.op, op);
    if (this.pendingKeys >= this.#maxPending) {
      this.dropped++;
      return;
    }
    // Integers only (times from a fractional clock included): one bad value would fail the whole batch.
    const fields = op.fields.map((f) => ({ ...f, value: Math.round(f.value) }));
    this.#pendingOps.set(id, { kind: 'record', op: { ...op, fields, ttlMs: Math.max(1, Math.round(op.ttlMs)) } });
  }

  /** Adds `member` to the HyperLogLog `key` at the next flush (once, however often it is added before). */
  distinct(key: string, member: string, ttlMs: number): void {
    const id = `d\u0000${key}\u0000${member}`;
    const p = this.#pendingOps.get(id);
    if (p?.kind === 'distinct') {
      p.op.ttlMs = Math.max(p.op.ttlMs, ttlMs);
      return;
    }
    if (this.pendingKeys >= this.#maxPending) {
      this.dropped++;
      return;
    }
    this.#pendingOps.set(id, { kind: 'distinct', op: { key, member, ttlMs: Math.max(1, Math.round(ttlMs)), countKeys: [] } });
  }

  /** Keys waiting for a flush. */
  get pendingKeys(): number {
    return this.#pending.size + this.#bucketCount + this.#pendingOps.size;
  }

  /** Writes everything added so far; resolves when written (or dropped on failure). Never rejects. */
  flush(): Promise<void> {
    // What became due since the last flush is added first, so that it is written with this one.
    for (const due of this.#beforeFlush) due();
    this.#flushing = this.#flushing.then(() => this.#flushNow());
    return this.#flushing;
  }

  /** Calls `due` at the start of every flush (a writer that holds increments back adds those that are due). */
  beforeFlush(due: () => void): void {
    this.#beforeFlush.push(due);
  }

  async #flushNow(): Promise<void> {
    if (this.pendingKeys === 0) return;
    const plain = this.#pending;
    const buckets = this.#buckets;
    const ops = this.#pendingOps;
    this.#pending = new Map();
    this.#buckets = new Map();
    this.#bucketCount = 0;
    this.#pendingOps = new Map();
    const byTag = new Map<string, { counters: Array<Pending | PendingBucket>; ops: PendingOp[] }>();
    const group = (key: string) => {
      const tag = hashTagOf(key);
      let g = byTag.get(tag);
      if (!g) byTag.set(tag, (g = { counters: [], ops: [] }));
      return g;
    };
    for (const p of plain.values()) group(p.key).counters.push(p);
    for (const [counter, byParts] of buckets) {
      // One counter's keys share its hash tag.
      const g = group(counter).counters;
      for (const list of byParts.values()) for (const p of list) g.push(p);
    }
    for (const op of ops.values()) group(op.op.key).ops.push(op);
    const calls: Array<Promise<void>> = [];
    for (const g of byTag.values()) {
      // Counters first, then records and members, at most maxOps of them per store call.
      for (let i = 0; i < g.counters.length + g.ops.length; i += this.#maxOps) {
        const end = i + this.#maxOps;
        calls.push(this.#write(g.counters.slice(i, end), g.ops.slice(Math.max(0, i - g.counters.length), Math.max(0, end - g.counters.length))));
      }
    }
    await Promise.all(calls);
  }

  async #write(entries: Array<Pending | PendingBucket>, ops: PendingOp[]): Promise<void> {
    const counters: CounterOp[] = entries.map((p) => {
      const ttlMs = Math.max(1, Math.round(p.ttlMs));
      return 'counter' in p ? new BucketCounterOp(p.counter, p.parts, p.bucket, 1, p.delta, ttlMs) : { keys: [p.key], incr: p.delta, ttlMs };
    });
    const records = ops.flatMap((o) => (o.kind === 'record' ? [o.op] : []));
    const distinct = ops.flatMap((o) => (o.kind === 'distinct' ? [o.op] : []));
    try {
      const result = await this.#store.evaluate({ rateLimits: [], counters, distinct, records });
      this.written += ops.length;
      entries.forEach((p, i) => {
        this.written += p.delta;
        const value = result.counters[i]?.[0];
        if (value !== undefined && 'onValue' in p && p.onValue) p.onValue(value, p.delta);
      });
      if (this.#failing) {
        this.#failing = false;
        this.#logger?.info('bot counters: store writes recovered');
      }
    } catch (err) {
      this.dropped += ops.length;
      for (const p of entries) this.dropped += p.delta;
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
