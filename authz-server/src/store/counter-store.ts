/**
 * The CounterStore port: everything the decision pipeline needs from shared state, evaluated as ONE batch per
 * Check so that the Redis adapter can do it in a single round trip (one Lua script call).
 *
 * Adapters: `MemoryCounterStore` (one process, the default without `--redis`) and `RedisCounterStore`.
 * Key naming and window math are pure (see `keys.ts` / `gcra.ts`); adapters only do I/O.
 */

/** One GCRA rate-limit evaluation: consume `cost` tokens from `key` if the limit allows it. */
export interface RateLimitOp {
  /** Full store key (already hash-tagged by the caller, see keys.ts). */
  key: string;
  /** Sustained requests per period. */
  requests: number;
  /** Period length in milliseconds. */
  periodMs: number;
  /** Extra allowance on top of `requests` after an idle period. */
  burst: number;
  /** Tokens to consume, default 1. */
  cost?: number;
}

/** Outcome of one RateLimitOp. All times in milliseconds. */
export interface RateLimitResult {
  allowed: boolean;
  /** `requests` of the op, echoed for headers. */
  limit: number;
  /** Requests that could still be made right now after this one. */
  remaining: number;
  /** Time until the bucket is full again (idle state). */
  resetMs: number;
  /** Time until one more request would be allowed; 0 when allowed. */
  retryAfterMs: number;
}

/** Increment the counter in the current time bucket and read back the neighbouring buckets (bot detectors). */
export interface CounterOp {
  /** Bucket keys, current bucket first, then older buckets to read. Only keys[0] is incremented. */
  readonly keys: string[];
  /** Amount added to keys[0]; 0 only reads. */
  readonly incr: number;
  /** Expiry applied to keys[0] after the increment. */
  readonly ttlMs: number;
  /**
   * Set when the keys are consecutive time buckets of one counter (keys.ts BucketCounterOp): keys[i] is
   * `<counter>:<parts>:<bucket - i>` for i < buckets, `parts` (the hash of the key parts) without `:`. An adapter
   * may address them by these without building the keys.
   */
  readonly counter?: string;
  readonly parts?: string;
  readonly bucket?: number;
  readonly buckets?: number;
}

/** Add a member to a HyperLogLog bucket and count distinct members of some buckets (distinct client IPs). */
export interface DistinctOp {
  /** HyperLogLog key the member is added to. */
  key: string;
  /** The member to add; '' adds nothing (and leaves the expiry alone): the op only counts. */
  member: string;
  ttlMs: number;
  /** Keys whose cardinalities are returned, in order (each counted on its own). */
  countKeys: string[];
}

/**
 * Push a number onto a capped list and read the items behind it (usage journeys: a session's recent endpoints).
 * With `collapseRepeats`, a value equal to the newest item is not pushed again (only the expiry is refreshed).
 */
export interface SequenceOp {
  key: string;
  /** A safe integer (an endpoint id). */
  value: number;
  /** Items the list keeps, newest first, the pushed value included (>= 1). */
  length: number;
  ttlMs: number;
  collapseRepeats: boolean;
}

/** What a SequenceOp found: whether it pushed, and the items now behind the newest one (newest first). */
export interface SequenceResult {
  pushed: boolean;
  previous: number[];
}

/** How a record field is updated: add, keep the larger, keep the smaller. */
export type FieldUpdate = 'incr' | 'max' | 'min';

/**
 * Update one record of a capped hash (API inventory, journey model): the hash `key` holds records, each a marker
 * field `<record>` plus fields `<record>\t<name>` with integer values. A record that does not exist yet is created
 * only while the hash holds fewer than `maxRecords` records (0: no cap); beyond that the update goes to the record
 * `overflow`, which does not count against the cap.
 */
export interface RecordOp {
  key: string;
  /** Record name: non-empty, no tab. */
  record: string;
  overflow: string;
  maxRecords: number;
  fields: Array<{ name: string; update: FieldUpdate; value: number }>;
  /** Expiry of the whole hash, refreshed by every update. */
  ttlMs: number;
}

/** Read a whole hash of records (see RecordOp); off the Check path only. */
export interface HashReadOp {
  key: string;
}

/** Everything one Check asks of the store. */
export interface CounterBatch {
  rateLimits: RateLimitOp[];
  counters: CounterOp[];
  distinct: DistinctOp[];
  sequences?: SequenceOp[];
  records?: RecordOp[];
  reads?: HashReadOp[];
}

/** Results, index-aligned with the batch's arrays. */
export interface CounterBatchResult {
  rateLimits: RateLimitResult[];
  /** For each CounterOp, the values of its keys after the increment (missing keys read as 0). */
  counters: number[][];
  /** For each DistinctOp, the cardinalities of its countKeys. */
  distinct: number[][];
  sequences: SequenceResult[];
  /** For each RecordOp: true when it updated its own record, false when the cap sent it to `overflow`. */
  records: boolean[];
  /** For each HashReadOp, the hash's fields and values (missing hash: empty). */
  reads: Array<Array<[string, number]>>;
  /** Store time the batch was evaluated at (ms since epoch): Redis server time, or the local clock. */
  nowMs: number;
}

/** Thrown (or used to reject) when the store cannot answer in time; the pipeline maps it through failurePolicy. */
export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError';
}

/** The port. Implementations must be safe for concurrent use. */
export interface CounterStore {
  /** Adapter name for logs and metrics: 'memory' | 'redis'. */
  readonly kind: string;
  /**
   * Evaluates one batch atomically. Rejects with StoreUnavailableError when the store is unreachable or does not
   * answer within its bounded timeout; never hangs.
   */
  evaluate(batch: CounterBatch): Promise<CounterBatchResult>;
  /** True while the adapter believes the store is reachable (readiness, metrics). */
  isHealthy(): boolean;
  close(): Promise<void>;
}

/** An empty batch (nothing to ask): the pipeline skips the store entirely for these. */
export function isEmptyBatch(batch: CounterBatch): boolean {
  return (
    batch.rateLimits.length === 0 &&
    batch.counters.length === 0 &&
    batch.distinct.length === 0 &&
    (batch.sequences?.length ?? 0) === 0 &&
    (batch.records?.length ?? 0) === 0 &&
    (batch.reads?.length ?? 0) === 0
  );
}

/** The field that counts a hash's records (see RecordOp); it cannot clash with a record, which has no tab. */
export const RECORD_COUNT_FIELD = '\t#';

/** The records of a hash read (HashReadOp): record name -> its fields. Markers and the count field are skipped. */
export function parseRecords(fields: ReadonlyArray<readonly [string, number]>): Map<string, Record<string, number>> {
  const out = new Map<string, Record<string, number>>();
  for (const [field, value] of fields) {
    const tab = field.indexOf('\t');
    if (tab <= 0) {
      if (tab < 0 && !out.has(field)) out.set(field, {});
      continue;
    }
    const record = field.slice(0, tab);
    let r = out.get(record);
    if (!r) out.set(record, (r = {}));
    r[field.slice(tab + 1)] = value;
  }
  return out;
}
