/**
 * In-process CounterStore: the default without `--redis`, and the per-process fallback under FailOpen. Same
 * semantics as the Redis adapter (same GCRA from gcra.ts, counters with TTL, distinct counts) except that distinct
 * counts are exact (a Set per key, capped) instead of HyperLogLog estimates.
 *
 * Memory is bounded: expired entries are dropped when touched and by a periodic sweep (unref'd timer), and at most
 * `maxKeys` keys are kept; beyond that the least recently written key is evicted (Map insertion order, O(1)).
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

type Entry =
  | { kind: 'gcra'; tatUs: number; expiresAt: number }
  | { kind: 'counter'; value: number; expiresAt: number }
  | { kind: 'set'; members: Set<string>; expiresAt: number }
  | { kind: 'list'; items: number[]; expiresAt: number }
  | { kind: 'hash'; fields: Map<string, number>; expiresAt: number };

/** Throws RangeError on a malformed batch (a caller bug, not a store failure). Shared by both adapters. */
export function validateBatch(batch: CounterBatch): void {
  for (const op of batch.rateLimits) {
    if (typeof op.key !== 'string' || op.key === '') throw new RangeError('rate limit: key must be a non-empty string');
    validateGcraParams(op);
  }
  for (const op of batch.counters) {
    if (op.keys.length === 0) throw new RangeError('counter: keys must not be empty');
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
      if (out.newTatUs !== undefined) this.#put(op.key, { kind: 'gcra', tatUs: out.newTatUs, expiresAt: nowMs + Math.max(1, out.result.resetMs) });
      return out.result;
    });
    const counters = batch.counters.map((op) => {
      const first = op.keys[0]!;
      // The incremented bucket's value is known once written: each key is looked up once (the map is large).
      let written: number | undefined;
      if (op.incr !== 0) {
        const e = this.#get(first, nowMs);
        written = (e?.kind === 'counter' ? e.value : 0) + op.incr;
        if (e?.kind === 'counter') {
          // Updated in place: a new entry per write would be promoted with the map and leave the old one as
          // old-generation garbage.
          e.value = written;
          e.expiresAt = nowMs + op.ttlMs;
          this.#put(first, e);
        } else this.#put(first, { kind: 'counter', value: written, expiresAt: nowMs + op.ttlMs });
      }
      return op.keys.map((k, i) => {
        if (i === 0 && written !== undefined) return written;
        const e = this.#get(k, nowMs);
        return e?.kind === 'counter' ? e.value : 0;
      });
    });
    const distinct = batch.distinct.map((op) => {
      if (op.member !== '') {
        const e = this.#get(op.key, nowMs);
        const members = e?.kind === 'set' ? e.members : new Set<string>();
        if (members.size < this.#maxSetMembers) members.add(op.member);
        this.#put(op.key, { kind: 'set', members, expiresAt: nowMs + op.ttlMs });
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
      this.#put(op.key, { kind: 'list', items, expiresAt: nowMs + op.ttlMs });
      return { pushed, previous: items.slice(1) };
    });
    const records = (batch.records ?? []).map((op) => this.#record(op, nowMs));
    const reads = (batch.reads ?? []).map((op) => {
      const e = this.#get(op.key, nowMs);
      return e?.kind === 'hash' ? [...e.fields] : [];
    });
    return { rateLimits, counters, distinct, sequences, records, reads, nowMs };
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
    this.#put(op.key, { kind: 'hash', fields, expiresAt: nowMs + op.ttlMs });
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
    this.#entries.delete(key); // re-insert: most recently written goes last
    this.#entries.set(key, e);
    while (this.#entries.size > this.#maxKeys) {
      const oldest = this.#entries.keys().next();
      if (oldest.done) break;
      this.#entries.delete(oldest.value);
    }
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
    return dropped;
  }

  /** Keys held, expired ones included until swept or touched. */
  get size(): number {
    return this.#entries.size;
  }

  /** Remaining time to live of a key in ms, or -2 when absent (like PTTL), for tests. */
  pttl(key: string): number {
    const now = this.#clock();
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
    return Promise.resolve();
  }
}
