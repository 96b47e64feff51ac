/**
 * Population counters kept locally per replica: the counters that are not about the client being judged (a
 * route's, a cell's, a client class's and a token's crowd counts, and their learned rates) are read in a Check's
 * batch only the first time a replica needs them (or when its copy is too old); after that the Check uses the
 * local copy, and its own increments are added to it and written off the Check path by `sync()`, which also
 * reads the store's values back (one store call per policy hash tag, every second on the server's timer). So a
 * Check's batch holds only what is about its own client, and replicas and restarts still share these counters
 * through the store.
 *
 * Staleness: a copy shows this replica's own increments at once, and other replicas' increments (and the
 * off-path writes of the feed, flushed every second) as of the last sync, at most `maxAgeMs` old; an older copy
 * is not used (the Check reads the counter in its batch again). A counter whose bucket has rolled over is read in
 * the batch too (its key changed). Entries not used between two syncs are dropped.
 */
import type { CounterOp, CounterStore } from '../store/counter-store.ts';
import { BucketCounterOp, hashTagOf } from '../store/keys.ts';

/** The op `op` with the increment `incr`, on its first bucket only when `first`. */
function withIncr(op: CounterOp, incr: number, first = false): CounterOp {
  if (op.counter !== undefined) return new BucketCounterOp(op.counter, op.parts!, op.bucket!, first ? 1 : op.buckets!, incr, op.ttlMs);
  return { keys: first ? [op.keys[0]!] : op.keys, incr, ttlMs: op.ttlMs };
}

/** A string carrying the op's hash tag (its counter's name, or its first key). */
function tagged(op: CounterOp): string {
  return op.counter ?? op.keys[0]!;
}

/** One counter kept locally: the bucket keys it was read with (current first), and what it shows. */
interface Entry {
  name: string;
  partsHash: string;
  /** Bucket index of the op's first key (a different bucket is a different counter). */
  bucket: number;
  /** The op it was read with (its keys, or its counter, parts and buckets). */
  op: CounterOp;
  /** The values as last read from the store plus the increments made here since (on the current bucket). */
  shown: number[];
  /** Increments made here and not yet written (those of a sync in flight included). */
  pending: number;
  /** Increments a sync in flight is writing. */
  inFlight: number;
  readAt: number;
  /** Served to a Check from the copy since the last sync (a counter only ever read in batches is not synced). */
  used: boolean;
}

export interface PopulationCacheOptions {
  /** Oldest copy a Check may use, ms (default 2000: two sync periods of the server's 1 s timer). */
  maxAgeMs?: number;
  /** Most counters kept (default 20000); beyond that new ones are read in the Checks' batches. */
  maxEntries?: number;
  /** Most counter ops in one sync call (default 500). */
  maxOpsPerCall?: number;
}

/** What a Check planned to read through the cache and had to read in its batch instead. */
export interface PopulationMiss {
  /** Counter name and the hash of its key parts (see PrefixCache). */
  name: string;
  partsHash: string;
  bucket: number;
  /** Index of the op in the Check's counters. */
  index: number;
  /** The op the copy is synced with, when it reads more buckets than the Check's (the copy shows those after a sync). */
  syncOp?: CounterOp;
}

/** Locally kept population counters (see the module comment). Safe for concurrent Checks (single thread). */
export class PopulationCache {
  readonly #maxAgeMs: number;
  readonly #maxEntries: number;
  readonly #maxOps: number;
  /** Counter name -> hash of its key parts -> entry (no key string is built for a Check served from a copy). */
  readonly #entries = new Map<string, Map<string, Entry>>();
  #size = 0;
  /** Increments of entries replaced before their sync (their bucket rolled over): written at the next sync. */
  #leftover: CounterOp[] = [];
  #syncing: Promise<void> | null = null;

  constructor(opts: PopulationCacheOptions = {}) {
    this.#maxAgeMs = opts.maxAgeMs ?? 2000;
    this.#maxEntries = opts.maxEntries ?? 20_000;
    this.#maxOps = opts.maxOpsPerCall ?? 500;
  }

  /** Counters kept. */
  get size(): number {
    return this.#size;
  }

  #get(name: string, partsHash: string): Entry | undefined {
    return this.#entries.get(name)?.get(partsHash);
  }

  #delete(e: Entry): void {
    if (this.#entries.get(e.name)?.delete(e.partsHash)) this.#size--;
  }

  /**
   * The counter `name` of the parts hashed `partsHash`, in bucket `bucket`, as this Check sees it, after adding
   * `incr` to its current bucket; a copy the caller owns. undefined when the Check must read it in its batch (then
   * call `fill` with the result).
   */
  take(name: string, partsHash: string, bucket: number, incr: number, nowMs: number): number[] | undefined {
    const e = this.#get(name, partsHash);
    if (e === undefined || e.bucket !== bucket || nowMs - e.readAt > this.#maxAgeMs) return undefined;
    e.used = true;
    if (incr !== 0) {
      e.pending += incr;
      e.shown[0] = (e.shown[0] ?? 0) + incr;
    }
    return e.shown.slice();
  }

  /**
   * Keeps what a Check's batch read for a counter (its op `op`, values `values`). Adds to `values`, in place, the
   * increments made here that the store does not have yet, so that the Check sees what the copy shows.
   */
  fill(name: string, partsHash: string, bucket: number, op: CounterOp, values: number[], nowMs: number): void {
    const e = this.#get(name, partsHash);
    if (e !== undefined && e.bucket === bucket) {
      values[0] = (values[0] ?? 0) + e.pending;
      e.shown = values.slice();
      e.readAt = Math.max(e.readAt, nowMs);
      return;
    }
    if (e !== undefined) {
      const unsent = e.pending - e.inFlight;
      if (unsent !== 0) {
        // The old bucket's increments are written at the next sync; it is an older bucket of this read already.
        this.#leftover.push(withIncr(e.op, unsent, true));
        const older = bucket - e.bucket;
        if (older > 0 && older < values.length) values[older] = (values[older] ?? 0) + unsent;
      }
      this.#delete(e);
    } else if (this.#size >= this.#maxEntries) return;
    let byParts = this.#entries.get(name);
    if (!byParts) this.#entries.set(name, (byParts = new Map()));
    byParts.set(partsHash, { name, partsHash, bucket, op, shown: values.slice(), pending: 0, inFlight: 0, readAt: nowMs, used: false });
    this.#size++;
  }

  /**
   * Writes the increments made here and reads back every counter served from its copy since the last sync; drops
   * the others (a counter one Check read in its batch and no other needed costs no sync).
   * Never rejects: on a store failure the increments stay pending and the copies age until they are read in a
   * Check's batch again.
   */
  sync(store: CounterStore, nowMs: number): Promise<void> {
    if (this.#syncing) return this.#syncing;
    this.#syncing = this.#sync(store, nowMs).finally(() => {
      this.#syncing = null;
    });
    return this.#syncing;
  }

  async #sync(store: CounterStore, nowMs: number): Promise<void> {
    const byTag = new Map<string, Array<{ e: Entry; sent: number; bucket: number } | CounterOp>>();
    const group = (key: string) => {
      const tag = hashTagOf(key);
      let g = byTag.get(tag);
      if (!g) byTag.set(tag, (g = []));
      return g;
    };
    for (const op of this.#leftover) group(tagged(op)).push(op);
    this.#leftover = [];
    for (const byParts of this.#entries.values()) {
      for (const e of byParts.values()) {
        if (!e.used && e.pending === 0) {
          this.#delete(e);
          continue;
        }
        e.used = false;
        e.inFlight = e.pending;
        group(tagged(e.op)).push({ e, sent: e.pending, bucket: e.bucket });
      }
    }
    const calls: Array<Promise<void>> = [];
    for (const items of byTag.values()) {
      for (let i = 0; i < items.length; i += this.#maxOps) calls.push(this.#write(store, items.slice(i, i + this.#maxOps), nowMs));
    }
    await Promise.all(calls);
  }

  async #write(store: CounterStore, items: Array<{ e: Entry; sent: number; bucket: number } | CounterOp>, nowMs: number): Promise<void> {
    const counters = items.map((it): CounterOp => ('e' in it ? withIncr(it.e.op, it.sent) : it));
    try {
      const result = await store.evaluate({ rateLimits: [], counters, distinct: [] });
      items.forEach((it, i) => {
        if (!('e' in it)) return;
        const { e } = it;
        e.pending -= it.sent;
        e.inFlight = 0;
        const values = result.counters[i];
        // Replaced meanwhile (its bucket rolled over): the new entry was read after these increments.
        if (values === undefined || this.#get(e.name, e.partsHash) !== e || e.bucket !== it.bucket) return;
        e.shown = values.slice();
        e.shown[0] = (e.shown[0] ?? 0) + e.pending;
        e.readAt = Math.max(e.readAt, nowMs);
      });
    } catch {
      // Leftovers are lost with the failed call, like the feed's increments; entries keep theirs pending.
      for (const it of items) if ('e' in it) it.e.inFlight = 0;
    }
  }
}
