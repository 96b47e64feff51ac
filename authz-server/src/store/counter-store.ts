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
  keys: string[];
  /** Amount added to keys[0]; 0 only reads. */
  incr: number;
  /** Expiry applied to keys[0] after the increment. */
  ttlMs: number;
}

/** Add a member to a HyperLogLog bucket and count distinct members of some buckets (distinct client IPs). */
export interface DistinctOp {
  /** HyperLogLog key the member is added to. */
  key: string;
  member: string;
  ttlMs: number;
  /** Keys whose cardinalities are returned, in order (each counted on its own). */
  countKeys: string[];
}

/** Everything one Check asks of the store. */
export interface CounterBatch {
  rateLimits: RateLimitOp[];
  counters: CounterOp[];
  distinct: DistinctOp[];
}

/** Results, index-aligned with the batch's arrays. */
export interface CounterBatchResult {
  rateLimits: RateLimitResult[];
  /** For each CounterOp, the values of its keys after the increment (missing keys read as 0). */
  counters: number[][];
  /** For each DistinctOp, the cardinalities of its countKeys. */
  distinct: number[][];
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
  return batch.rateLimits.length === 0 && batch.counters.length === 0 && batch.distinct.length === 0;
}
