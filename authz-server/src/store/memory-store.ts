/**
 * In-process CounterStore: the default without `--redis`, and the per-process fallback under FailOpen. Same
 * semantics as the Redis adapter (same GCRA from gcra.ts, counters with TTL, distinct counts) except that distinct
 * counts are exact (a Set per key, capped) instead of HyperLogLog estimates.
 *
 * Bucketed counters (keys `<counter>:<parts>:<bucket>`) are kept grouped by their parts: a Check's counters of one
 * client, session or route cost one lookup in a large map instead of one per bucket key, whether an op names the
 * keys or the counter, parts and buckets (BucketCounterOp).
 *
 * Memory is bounded: expired entries are dropped when touched and by a periodic sweep (unref'd timer), and at most
 * `maxKeys` keys are kept; beyond that the least recently written key is evicted (Map insertion order, O(1)), the
 * buckets of the counters of one parts together.
 * A batch is evaluated synchronously, so it is atomic with respect to other batches.
 */
import { StoreUnavailableError } from './counter-store.ts';
import { RECORD_COUNT_FIELD } from './counter-store.ts';
import type { CounterBatch, CounterBatchResult, CounterStore, FieldUpdate, RateLimitResult, RecordOp, SequenceResult } from './counter-store.ts';
import { gcraUs, validateGcraParams } from './gcra.ts';

export interface MemoryCounterStoreOptions {
  /** Clock in ms since epoch (default Date.now); injectable for tests. */
  clock?: () => number;
  /** Most keys kept at once (default 100000); the least recently written key is evicted beyond that. */
  maxKeys?: number;
  /** Most members remembered per distinct-count key (default 10000); the count saturates there. */
  maxSetMembers?: number;
  /** Period of the expiry sweep in ms (default 10000); 0 disables the timer (expiry on access still applies). */
  sweepIntervalMs?: number;
}

type Entry = (
  | { kind: 'gcra'; tatUs: number; expiresAt: number }
  | { kind: 'counter'; value: number; expiresAt: number }
  | { kind: 'set'; members: Set<string>; expiresAt: number }
  | { kind: 'list'; items: number[]; expiresAt: number }
  | { kind: 'hash'; fields: Map<string, number>; expiresAt: number }
) & { seq: number };

/**
 * The live buckets of one bucketed counter (keys `<counter>:<parts>:<bucket>`), each with its own expiry as each key
 * would have: one array of unboxed numbers, [bucket, value, expiry] per live bucket. A counter has a few live
 * buckets (its window's, plus one), so they are searched in order.
 */
type Series = number[];
const STRIDE = 3;

/**
 * The counters of one list of key parts (a client, a session, a route: keys sharing `<parts>`), kept together so that
 * a Check's counters of one client cost one lookup in the large map: [write order, index, then counter name and its
 * Series for each counter]. Written, read and evicted together. A client has a few counters, searched in order; the
 * parts every policy shares (the empty list: population counters) can have many, which a Map of their places then
 * indexes.
 */
type Group = Array<number | string | Series | Map<string, number>>;
const GROUP_SEQ = 0;
const GROUP_INDEX = 1;
const GROUP_FIRST = 2;
/** Counters of one group searched in order; beyond, the group is indexed. */
const GROUP_SCAN = 16;

/**
 * A counter key's counter, parts and bucket when it is `<counter>:<parts>:<integer>` (keys.ts BucketCounterOp),
 * else undefined.
 */
function splitBucketKey(key: string): { counter: string; parts: string; bucket: number } | undefined {
  const at = key.lastIndexOf(':');
  if (at <= 0 || at === key.length - 1) return undefined;
  const digits = key.slice(at + 1);
  // Only the integer's own spelling, so that `p:07` and `p:7` stay two keys, as they are in Redis.
  if (!/^(0|-?[1-9][0-9]{0,15})$/.test(digits)) return undefined;
  const bucket = Number(digits);
  const partsAt = key.lastIndexOf(':', at - 1);
  if (partsAt < 0 || !Number.isSafeInteger(bucket)) return undefined;
  return { counter: key.slice(0, partsAt), parts: key.slice(partsAt + 1, at), bucket };
}

/** Throws RangeError on a malformed batch (a caller bug, not a store failure). Shared by both adapters. */
export function validateBatch(batch: CounterBatch): void {
  for (const op of batch.rateLimits) {
    if (typeof op.key !== 'string' || op.key === '') throw new RangeError('rate limit: key must be a non-empty string');
    validateGcraParams(op);
  }
  for (const op of batch.counters) {
    if (op.counter !== undefined) {
      if (typeof op.counter !== 'string' || typeof op.parts !== 'string' || op.parts.includes(':')) throw new RangeError('counter: counter and parts must be strings, parts without ":"');
      if (!Number.isSafeInteger(op.bucket) || !Number.isSafeInteger(op.buckets) || op.buckets! < 1) throw new RangeError(`counter: bucket and buckets must be integers (buckets >= 1), got ${op.bucket}, ${op.buckets}`);
    } else if (op.keys.length === 0) throw new RangeError('counter: keys must not be empty');
    if (!Number.isSafeInteger(op.incr)) throw new RangeError(`counter: incr must be an integer, got ${op.incr}`);
    if (!Number.isSafeInteger(op.ttlMs) || op.ttlMs < 1) throw new RangeError(`counter: ttlMs must be an integer >= 1, got ${op.ttlMs}`);
  }
  for (const op of batch.distinct) {
    if (typeof op.key !== 'string' || op.key === '') throw new RangeError('distinct: key must be a non-empty string');
    if (!Number.isSafeInteger(op.ttlMs) || op.ttlMs < 1) throw new RangeError(`distinct: ttlMs must be an integer >= 1, got ${op.ttlMs}`);
  }
  for (const op of batch.sequences ?? []) {
    if (typeof op.key !== 'string' || op.key === '') throw new RangeError('sequence: key must be a non-empty string');
    if (!Number.isSafeInteger(op.value)) throw new RangeError(`sequence: value must be a safe integer, got ${op.value}`);
    if (!Number.isSafeInteger(op.length) || op.length < 1) throw new RangeError(`sequence: length must be an integer >= 1, got ${op.length}`);
    if (!Number.isSafeInteger(op.ttlMs) || op.ttlMs < 1) throw new RangeError(`sequence: ttlMs must be an integer >= 1, got ${op.ttlMs}`);
  }
  for (const op of batch.records ?? []) {
    if (typeof op.key !== 'string' || op.key === '') throw new RangeError('record: key must be a non-empty string');
    for (const name of [op.record, op.overflow]) {
      if (typeof name !== 'string' || name === '' || name.includes('\t')) throw new RangeError(`record: names must be non-empty and without tabs, got ${JSON.stringify(name)}`);
    }
    if (!Number.isSafeInteger(op.maxRecords) || op.maxRecords < 0) throw new RangeError(`record: maxRecords must be an integer >= 0, got ${op.maxRecords}`);
    if (!Number.isSafeInteger(op.ttlMs) || op.ttlMs < 1) throw new RangeError(`record: ttlMs must be an integer >= 1, got ${op.ttlMs}`);
    for (const f of op.fields) {
      if (typeof f.name !== 'string' || f.name === '') throw new RangeError('record: field names must be non-empty');
      if (!Number.isSafeInteger(f.value)) throw new RangeError(`record: field ${f.name} must be a safe integer, got ${f.value}`);
    }
  }
  for (const op of batch.reads ?? []) {
    if (typeof op.key !== 'string' || op.key === '') throw new RangeError('read: key must be a non-empty string');
  }
}

function updateField(fields: Map<string, number>, field: string, update: FieldUpdate, value: number): void {
  const cur = fields.get(field);
  if (update === 'incr') fields.set(field, (cur ?? 0) + value);
  else if (cur === undefined || (update === 'max' ? value > cur : value < cur)) fields.set(field, value);
}

export class MemoryCounterStore implements CounterStore {
  readonly kind = 'memory';
  readonly #clock: () => number;
  readonly #maxKeys: number;
  readonly #maxSetMembers: number;
  readonly #entries = new Map<string, Entry>();
  /** Bucketed counters grouped by the hash of their key parts; their buckets count as keys towards maxKeys. */
  readonly #groups = new Map<string, Group>();
  #seriesBuckets = 0;
  /** Write order across both maps (least recently written evicted first). */
  #seq = 0;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(opts: MemoryCounterStoreOptions = {}) {
    this.#clock = opts.clock ?? Date.now;
    this.#maxKeys = opts.maxKeys ?? 100_000;
    this.#maxSetMembers = opts.maxSetMembers ?? 10_000;
    if (!Number.isSafeInteger(this.#maxKeys) || this.#maxKeys < 1) throw new RangeError(`maxKeys must be an integer >= 1, got ${this.#maxKeys}`);
    const sweep = opts.sweepIntervalMs ?? 10_000;
    if (sweep > 0) {
      this.#timer = setInterval(() => this.sweep(), sweep);
      this.#timer.unref();
    }
  }

  evaluate(batch: CounterBatch): Promise<CounterBatchResult> {
    if (this.#closed) return Promise.reject(new StoreUnavailableError('memory store closed'));
    try {
      validateBatch(batch);
      return Promise.resolve(this.#evaluate(batch));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  #evaluate(batch: CounterBatch): CounterBatchResult {
    const nowMs = this.#clock();
    const nowUs = Math.round(nowMs * 1000);
    const rateLimits: RateLimitResult[] = batch.rateLimits.map((op) => {
      const e = this.#get(op.key, nowMs);
      const out = gcraUs(e?.kind === 'gcra' ? e.tatUs : undefined, nowUs, op);
      if (out.newTatUs !== undefined) this.#put(op.key, { kind: 'gcra', tatUs: out.newTatUs, expiresAt: nowMs + Math.max(1, out.result.resetMs), seq: 0 });
      return out.result;
    });
    const counters = batch.counters.map((op) => (op.counter !== undefined ? this.#seriesOp(op.counter, op.parts!, op.bucket!, op.buckets!, op.incr, op.ttlMs, nowMs) : this.#counterOp(op, nowMs)));
    const distinct = batch.distinct.map((op) => {
      if (op.member !== '') {
        const e = this.#get(op.key, nowMs);
        const members = e?.kind === 'set' ? e.members : new Set<string>();
        if (members.size < this.#maxSetMembers) members.add(op.member);
        this.#put(op.key, { kind: 'set', members, expiresAt: nowMs + op.ttlMs, seq: 0 });
      }
      return op.countKeys.map((k) => {
        const c = this.#get(k, nowMs);
        return c?.kind === 'set' ? c.members.size : 0;
      });
    });
    const sequences = (batch.sequences ?? []).map((op): SequenceResult => {
      const e = this.#get(op.key, nowMs);
      const items = e?.kind === 'list' ? e.items : [];
      const pushed = !(op.collapseRepeats && items[0] === op.value);
      if (pushed) {
        items.unshift(op.value);
        items.length = Math.min(items.length, op.length);
      }
      this.#put(op.key, { kind: 'list', items, expiresAt: nowMs + op.ttlMs, seq: 0 });
      return { pushed, previous: items.slice(1) };
    });
    const records = (batch.records ?? []).map((op) => this.#record(op, nowMs));
    const reads = (batch.reads ?? []).map((op) => {
      const e = this.#get(op.key, nowMs);
      return e?.kind === 'hash' ? [...e.fields] : [];
    });
    return { rateLimits, counters, distinct, sequences, records, reads, nowMs };
  }

  /** A counter op on consecutive buckets of one counter: one lookup of its group, its buckets read in place. */
  #seriesOp(counter: string, parts: string, bucket: number, buckets: number, incr: number, ttlMs: number, nowMs: number): number[] {
    const out: number[] = new Array<number>(buckets);
    let g = this.#groups.get(parts);
    let at = g === undefined ? -1 : MemoryCounterStore.#seriesAt(g, counter);
    if (incr !== 0) {
      if (g === undefined) g = [0, 0];
      if (at < 0) {
        g = MemoryCounterStore.#withSeries(g, counter);
        at = g.length - 1;
      }
      out[0] = this.#add(g, at, bucket, incr, nowMs + ttlMs, nowMs);
      this.#touch(parts, g);
    } else out[0] = at < 0 ? 0 : this.#bucketValue(g![at] as Series, bucket, nowMs);
    const s = at < 0 ? undefined : (g![at] as Series);
    for (let i = 1; i < buckets; i++) out[i] = s === undefined ? 0 : this.#bucketValue(s, bucket - i, nowMs);
    return out;
  }

  /** Where a counter's series is in its group, or -1. */
  static #seriesAt(g: Group, counter: string): number {
    const index = g[GROUP_INDEX];
    if (index !== 0) return (index as Map<string, number>).get(counter) ?? -1;
    for (let j = GROUP_FIRST; j < g.length; j += 2) if (g[j] === counter) return j + 1;
    return -1;
  }

  /**
   * The group with a counter more, its series empty. A new array of exactly its size: one grown by push keeps room
   * for 16 more elements, and a store holds tens of thousands of groups.
   */
  static #withSeries(g: Group, counter: string): Group {
    const next: Group = new Array(g.length + 2);
    for (let j = 0; j < g.length; j++) next[j] = g[j]!;
    next[g.length] = counter;
    next[g.length + 1] = [];
    const index = g[GROUP_INDEX];
    if (index !== 0) (index as Map<string, number>).set(counter, g.length + 1);
    else if (next.length > GROUP_FIRST + 2 * GROUP_SCAN) {
      const map = new Map<string, number>();
      for (let j = GROUP_FIRST; j < next.length; j += 2) map.set(next[j] as string, j + 1);
      next[GROUP_INDEX] = map;
    }
    return next;
  }

  /** A counter op given by its keys: keys that are buckets (`<prefix>:<n>`) live in their counter's series. */
  #counterOp(op: CounterBatch['counters'][number], nowMs: number): number[] {
    return op.keys.map((k, i) => {
      const split = splitBucketKey(k);
      if (split) return this.#seriesOp(split.counter, split.parts, split.bucket, 1, i === 0 ? op.incr : 0, op.ttlMs, nowMs)[0]!;
      if (i === 0 && op.incr !== 0) {
        const e = this.#get(k, nowMs);
        const written = (e?.kind === 'counter' ? e.value : 0) + op.incr;
        if (e?.kind === 'counter') {
          // Updated in place: a new entry per write would be promoted with the map and leave the old one as
          // old-generation garbage.
          e.value = written;
          e.expiresAt = nowMs + op.ttlMs;
          this.#put(k, e);
        } else this.#put(k, { kind: 'counter', value: written, expiresAt: nowMs + op.ttlMs, seq: 0 });
        return written;
      }
      const e = this.#get(k, nowMs);
      return e?.kind === 'counter' ? e.value : 0;
    });
  }

  /** Where a bucket's triple starts in a series, or -1. */
  static #find(s: Series, bucket: number): number {
    for (let j = 0; j < s.length; j += STRIDE) if (s[j] === bucket) return j;
    return -1;
  }

  /** A bucket's value, 0 when absent or expired (an expired bucket is dropped). */
  #bucketValue(s: Series, bucket: number, nowMs: number): number {
    const j = MemoryCounterStore.#find(s, bucket);
    if (j < 0) return 0;
    if (s[j + 2]! <= nowMs) {
      this.#dropBucket(s, j);
      return 0;
    }
    return s[j + 1]!;
  }

  /**
   * Adds to a bucket of the series at `g[at]` (created, or restarted from 0 when expired) and sets its expiry;
   * returns its value. A bucket is created in a new series of exactly the live buckets and it, as a group is.
   */
  #add(g: Group, at: number, bucket: number, incr: number, expiresAt: number, nowMs: number): number {
    let s = g[at] as Series;
    let j = MemoryCounterStore.#find(s, bucket);
    if (j >= 0 && s[j + 2]! <= nowMs) s[j + 1] = 0;
    if (j < 0) {
      let live = 0;
      for (let k = 0; k < s.length; k += STRIDE) if (s[k + 2]! > nowMs) live++;
      const next: Series = new Array<number>((live + 1) * STRIDE);
      j = 0;
      for (let k = 0; k < s.length; k += STRIDE) {
        if (s[k + 2]! <= nowMs) continue;
        next[j] = s[k]!;
        next[j + 1] = s[k + 1]!;
        next[j + 2] = s[k + 2]!;
        j += STRIDE;
      }
      next[j] = bucket;
      next[j + 1] = 0;
      this.#seriesBuckets += live + 1 - s.length / STRIDE;
      g[at] = s = next;
    }
    const value = s[j + 1]! + incr;
    s[j + 1] = value;
    s[j + 2] = expiresAt;
    return value;
  }

  #dropBucket(s: Series, j: number): void {
    s.splice(j, STRIDE);
    this.#seriesBuckets--;
  }

  /** Marks a group as written now (last in write order) and evicts beyond maxKeys. */
  #touch(parts: string, g: Group): void {
    g[GROUP_SEQ] = ++this.#seq;
    this.#groups.delete(parts);
    this.#groups.set(parts, g);
    this.#evict();
  }

  /** Keys held beyond maxKeys go, least recently written first, across plain keys and groups of counters. */
  #evict(): void {
    while (this.#entries.size + this.#seriesBuckets > this.#maxKeys) {
      const plain = this.#entries.entries().next();
      const group = this.#groups.entries().next();
      if (plain.done && group.done) break;
      if (!group.done && (plain.done || (group.value[1][GROUP_SEQ] as number) < plain.value[1].seq)) {
        this.#groups.delete(group.value[0]);
        const g = group.value[1];
        for (let j = GROUP_FIRST + 1; j < g.length; j += 2) this.#seriesBuckets -= (g[j] as Series).length / STRIDE;
      } else if (!plain.done) this.#entries.delete(plain.value[0]);
    }
  }

  #record(op: RecordOp, nowMs: number): boolean {
    const e = this.#get(op.key, nowMs);
    const fields = e?.kind === 'hash' ? e.fields : new Map<string, number>();
    const count = fields.get(RECORD_COUNT_FIELD) ?? 0;
    let target = op.record;
    if (!fields.has(op.record)) {
      if (op.maxRecords > 0 && count >= op.maxRecords) {
        target = op.overflow;
        if (!fields.has(target)) fields.set(target, 1);
      } else {
        fields.set(op.record, 1);
        fields.set(RECORD_COUNT_FIELD, count + 1);
      }
    }
    for (const f of op.fields) updateField(fields, `${target}\t${f.name}`, f.update, f.value);
    this.#put(op.key, { kind: 'hash', fields, expiresAt: nowMs + op.ttlMs, seq: 0 });
    return target === op.record;
  }

  #get(key: string, nowMs: number): Entry | undefined {
    const e = this.#entries.get(key);
    if (e !== undefined && e.expiresAt <= nowMs) {
      this.#entries.delete(key);
      return undefined;
    }
    return e;
  }

  #put(key: string, e: Entry): void {
    e.seq = ++this.#seq;
    this.#entries.delete(key); // re-insert: most recently written goes last
    this.#entries.set(key, e);
    this.#evict();
  }

  /** Drops expired entries now (also runs periodically). Returns how many were dropped. */
  sweep(): number {
    const now = this.#clock();
    let dropped = 0;
    for (const [k, e] of this.#entries) {
      if (e.expiresAt <= now) {
        this.#entries.delete(k);
        dropped++;
      }
    }
    for (const [parts, g] of this.#groups) {
      let live = 0;
      for (let i = GROUP_FIRST + 1; i < g.length; i += 2) {
        const s = g[i] as Series;
        for (let j = s.length - STRIDE; j >= 0; j -= STRIDE) {
          if (s[j + 2]! <= now) {
            this.#dropBucket(s, j);
            dropped++;
          }
        }
        live += s.length;
      }
      if (live === 0) this.#groups.delete(parts);
    }
    return dropped;
  }

  /** Keys held (a counter's live buckets each count as one), expired ones included until swept or touched. */
  get size(): number {
    return this.#entries.size + this.#seriesBuckets;
  }

  /** Remaining time to live of a key in ms, or -2 when absent (like PTTL), for tests. */
  pttl(key: string): number {
    const now = this.#clock();
    const split = splitBucketKey(key);
    const g = split && this.#groups.get(split.parts);
    const at = split && g ? MemoryCounterStore.#seriesAt(g, split.counter) : -1;
    const s = at < 0 ? undefined : (g![at] as Series);
    if (split && s) {
      const j = MemoryCounterStore.#find(s, split.bucket);
      if (j < 0 || s[j + 2]! <= now) return -2;
      return s[j + 2]! - now;
    }
    const e = this.#get(key, now);
    return e === undefined ? -2 : e.expiresAt - now;
  }

  isHealthy(): boolean {
    return !this.#closed;
  }

  close(): Promise<void> {
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#entries.clear();
    this.#groups.clear();
    this.#seriesBuckets = 0;
    return Promise.resolve();
  }
}
