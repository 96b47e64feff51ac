/**
 * Redis CounterStore: one round trip per evaluate(). The whole batch runs in one Lua script (redis-batch.lua),
 * sent as EVALSHA (EVAL on a connection that has not run it yet, and again after a NOSCRIPT reply) with every
 * key in KEYS and the server's TIME as the clock, so replicas with skewed clocks agree. The command's bytes are
 * written by redis-command.ts.
 *
 * Failure behaviour: nothing ever waits for Redis longer than `timeoutMs`. There is no offline queue (a call while
 * disconnected fails at once), unanswered commands are not resent after a reconnect, and each call has its own
 * deadline; every failure rejects with StoreUnavailableError (the pipeline applies the policy's failurePolicy).
 * The client reconnects by itself with capped exponential backoff and jitter; a server that hangs with the
 * connection open is detected by the socket timeout (no data while replies are due) and reconnected.
 * isHealthy() is the connection state; the store logs one warn line when Redis goes down and one info line when it
 * is back, never one per request. Metrics go to the injected registry.
 */
import { backoffDelay } from '../../../lib/process/backoff.ts';
import { hash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Cluster, Redis } from 'ioredis';
import type { ClusterOptions, RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { storeMetrics, type StoreMetrics } from '../telemetry/metrics.ts';
import { StoreUnavailableError } from './counter-store.ts';
import type { CounterBatch, CounterBatchResult, CounterStore, RateLimitResult } from './counter-store.ts';
import { gcraUs } from './gcra.ts';
import { hashTagOf } from './keys.ts';
import { validateBatch } from './memory-store.ts';
import { BatchCall, encodeBatch, encodeCall, type EncodedCall } from './redis-command.ts';

export { encodeBatch };

/** The batch script (see the layout at its top). */
export const BATCH_LUA: string = readFileSync(new URL('./redis-batch.lua', import.meta.url), 'utf8');

/** The script's SHA-1, as EVALSHA names it. */
const BATCH_SHA = hash('sha1', BATCH_LUA, 'hex');

export interface RedisClusterNode {
  host: string;
  port: number;
}

export interface RedisCounterStoreOptions {
  /** redis://[:password@]host:port[/db] (ignored when `cluster.nodes` is given). */
  url: string;
  /** Upper bound on one evaluate() (default 50 ms). */
  timeoutMs?: number;
  logger: Pick<Logger, 'info' | 'warn'>;
  registry: Registry;
  /** Redis Cluster: true = `url` is one seed node; or explicit seed nodes. */
  cluster?: boolean | { nodes: RedisClusterNode[] };
  /** Cap of the reconnect backoff (default 2000 ms). */
  maxReconnectDelayMs?: number;
}

type Reason = 'timeout' | 'connection' | 'script';

/** ioredis counts reconnect attempts from 1. */
function reconnectDelay(times: number, capMs: number): number {
  return backoffDelay(times - 1, { initialMs: 50, maxMs: capMs });
}

/** Turns the script's flat integer reply back into a CounterBatchResult. */
export function decodeReply(batch: CounterBatch, reply: unknown): CounterBatchResult {
  if (!Array.isArray(reply)) throw new TypeError(`unexpected script reply: ${String(reply)}`);
  let i = 0;
  const next = (): number => {
    const v = Number(reply[i++]);
    if (!Number.isFinite(v)) throw new TypeError(`unexpected script reply at ${i - 1}: ${String(reply[i - 1])}`);
    return v;
  };
  const nowUs = next();
  // The script returns the TAT each op saw; the same GCRA step from it gives the op's full result.
  const rateLimits: RateLimitResult[] = batch.rateLimits.map((op) => gcraUs(next(), nowUs, op).result);
  const counters = batch.counters.map((op) => op.keys.map(() => next()));
  const distinct = batch.distinct.map((op) => op.countKeys.map(() => next()));
  const sequences = (batch.sequences ?? []).map(() => {
    const pushed = next() === 1;
    const n = next();
    const previous: number[] = [];
    for (let j = 0; j < n; j++) previous.push(next());
    return { pushed, previous };
  });
  const records = (batch.records ?? []).map(() => next() === 1);
  const reads = (batch.reads ?? []).map(() => {
    const n = next();
    const pairs: Array<[string, number]> = [];
    for (let j = 0; j < n; j++) {
      const field = reply[i++];
      if (typeof field !== 'string' && !Buffer.isBuffer(field)) throw new TypeError(`unexpected script reply at ${i - 1}: ${String(field)}`);
      pairs.push([String(field), next()]);
    }
    return pairs;
  });
  if (i !== reply.length) throw new TypeError(`script reply has ${reply.length} values, expected ${i}`);
  return { rateLimits, counters, distinct, sequences, records, reads, nowMs: nowUs / 1000 };
}

class DeadlineError extends Error {
  override name = 'DeadlineError';
}

function classify(err: unknown): Reason {
  const e = err as { name?: string; message?: string };
  if (err instanceof DeadlineError || e.message === 'Command timed out') return 'timeout';
  if (e.name === 'ReplyError' && !/^(LOADING|CLUSTERDOWN|TRYAGAIN|MASTERDOWN|READONLY)/.test(e.message ?? '')) return 'script';
  return 'connection';
}

/** Client states in which a connection is being set up (ioredis Redis and Cluster). */
const CONNECTING = new Set(['wait', 'connecting', 'connect']);

export class RedisCounterStore implements CounterStore {
  readonly kind = 'redis';
  readonly timeoutMs: number;
  readonly #client: Redis | Cluster;
  readonly #logger: Pick<Logger, 'info' | 'warn'>;
  readonly #metrics: StoreMetrics;
  readonly #clusterMode: boolean;
  /** undefined until the first connect or failure, so the first state is logged once too. */
  #up: boolean | undefined;
  #lastError: string | undefined;
  #closed = false;
  #readyWaiter: PromiseWithResolvers<void> | undefined;
  /** Connections that have run the script (its EVALSHA is known there). */
  readonly #loaded = new WeakSet<object>();

  constructor(opts: RedisCounterStoreOptions) {
    this.timeoutMs = opts.timeoutMs ?? 50;
    if (!(this.timeoutMs > 0)) throw new RangeError(`timeoutMs must be > 0, got ${this.timeoutMs}`);
    this.#logger = opts.logger;
    this.#metrics = storeMetrics(opts.registry);
    this.#metrics.up.set({ store: this.kind }, 0);
    const cap = opts.maxReconnectDelayMs ?? 2000;
    const common = {
      // Fail fast instead of queueing while disconnected; never resend after a reconnect (the caller has
      // long moved on); let ioredis time commands out too, so its own queue does not hold them.
      // Deliberately no ioredis commandTimeout: its timer has the same event-loop-lag problem as a bare
      // setTimeout (see evaluate()); the per-call deadline there is authoritative.
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      // A server that stops answering with the socket open (hung, SIGSTOP, network black hole) is dropped
      // after this long without data while replies are due, and the reconnect loop takes over.
      socketTimeout: Math.max(1000, 20 * this.timeoutMs),
      connectTimeout: 2000,
      keepAlive: 10_000,
      protocol: 2,
      disableClientInfo: true,
      connectionName: 'palisade-authz',
    } satisfies RedisOptions;

    if (opts.cluster) {
      this.#clusterMode = true;
      const nodes: RedisClusterNode[] =
        opts.cluster === true
          ? (() => {
              const u = new URL(opts.url);
              return [{ host: u.hostname, port: Number(u.port || 6379) }];
            })()
          : opts.cluster.nodes;
      let password: string | undefined;
      let username: string | undefined;
      if (opts.cluster === true) {
        const u = new URL(opts.url);
        password = u.password ? decodeURIComponent(u.password) : undefined;
        username = u.username ? decodeURIComponent(u.username) : undefined;
      }
      const clusterOpts: ClusterOptions = {
        enableOfflineQueue: false,
        clusterRetryStrategy: (times) => reconnectDelay(times, cap),
        clusterNodeRetryStrategy: (times) => reconnectDelay(times, cap),
        slotsRefreshTimeout: 1000,
        retryDelayOnFailover: 50,
        retryDelayOnClusterDown: 50,
        redisOptions: { ...common, ...(password !== undefined ? { password } : {}), ...(username !== undefined ? { username } : {}) },
      };
      this.#client = new Cluster(nodes, clusterOpts);
    } else {
      this.#clusterMode = false;
      this.#client = new Redis(opts.url, {
        ...common,
        enableOfflineQueue: false,
        retryStrategy: (times) => reconnectDelay(times, cap),
      });
    }

    this.#client.on('ready', () => {
      this.#readyWaiter?.resolve();
      this.#readyWaiter = undefined;
      this.#setUp(true);
      this.#lastError = undefined;
    });
    this.#client.on('error', (err: Error) => {
      this.#lastError = err.message;
    });
    this.#client.on('node error', (err: Error) => {
      this.#lastError = err.message;
    });
    for (const ev of ['close', 'end', 'reconnecting']) {
      this.#client.on(ev, () => {
        // Calls waiting for a connection being set up fail now rather than at their deadline.
        this.#readyWaiter?.reject(new Error(`connection ${ev} while connecting${this.#lastError ? `: ${this.#lastError}` : ''}`));
        this.#readyWaiter = undefined;
        this.#setUp(false);
      });
    }
  }

  #setUp(up: boolean): void {
    if (this.#closed || this.#up === up) return;
    const first = this.#up === undefined;
    this.#up = up;
    this.#metrics.up.set({ store: this.kind }, up ? 1 : 0);
    const mode = this.#clusterMode ? 'Redis Cluster' : 'Redis';
    if (up) this.#logger.info({ store: this.kind }, first ? `counter store: ${mode} connected` : `counter store: ${mode} is back`);
    else this.#logger.warn({ store: this.kind, err: this.#lastError }, first ? `counter store: ${mode} unreachable, retrying in the background` : `counter store: ${mode} down, retrying in the background`);
  }

  #whenReady(): Promise<void> {
    if (!this.#readyWaiter) {
      this.#readyWaiter = Promise.withResolvers<void>();
      this.#readyWaiter.promise.catch(() => {}); // settled by its waiters' races
    }
    return this.#readyWaiter.promise;
  }

  isHealthy(): boolean {
    return !this.#closed && this.#client.status === 'ready';
  }

  async evaluate(batch: CounterBatch): Promise<CounterBatchResult> {
    validateBatch(batch);
    if (this.#closed) throw new StoreUnavailableError('redis store closed');
    const call = encodeCall(batch, BATCH_SHA);
    let slotKey: string | undefined;
    if (this.#clusterMode) {
      const { keys } = encodeBatch(batch);
      slotKey = keys[0];
      const tag = slotKey === undefined ? '' : hashTagOf(slotKey);
      if (keys.some((k) => hashTagOf(k) !== tag)) throw new RangeError('redis cluster: all keys of one batch must share one hash tag (see keys.ts)');
    }
    const started = performance.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      const deadline = new Promise<never>((_, reject) => {
        // The timer fires in the event loop's timers phase, before the poll phase reads replies that may already
        // be in the socket. Under a burst of Checks the loop can lag past the deadline, and rejecting right away
        // would turn a busy process (not a slow Redis) into 503s. setImmediate runs after one poll phase, so a
        // reply that has arrived wins the race.
        timer = setTimeout(() => setImmediate(() => reject(new DeadlineError(`no answer from Redis within ${this.timeoutMs} ms`))), this.timeoutMs);
      });
      // A connection being set up (at startup, or right after a reconnect) is waited for within the same
      // deadline; a client known to be down fails at once (no offline queue).
      if (CONNECTING.has(this.#client.status)) await Promise.race([this.#whenReady(), deadline]);
      this.#metrics.roundtrips.inc({ store: this.kind });
      const reply = await Promise.race([this.#send(call, slotKey), deadline]);
      this.#metrics.latency.observe({ store: this.kind }, (performance.now() - started) / 1000);
      return decodeReply(batch, reply);
    } catch (err) {
      const reason = err instanceof TypeError ? 'script' : classify(err);
      this.#metrics.errors.inc({ store: this.kind, reason });
      const msg = err instanceof Error ? err.message : String(err);
      throw new StoreUnavailableError(`redis ${reason}: ${msg}`, { cause: err });
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sends the call; once more (as EVAL, with the script) when the server answers that it does not have it. */
  #send(call: EncodedCall, slotKey: string | undefined): Promise<unknown> {
    const first = new BatchCall(call, BATCH_LUA, this.#loaded, slotKey);
    return (this.#client.sendCommand(first) as Promise<unknown>).catch((err: Error) => {
      if (!err.message.includes('NOSCRIPT')) throw err;
      const again = new BatchCall(call, BATCH_LUA, this.#loaded, slotKey);
      return this.#client.sendCommand(again) as Promise<unknown>;
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#metrics.up.set({ store: this.kind }, 0);
    if (this.#client.status === 'ready') {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([this.#client.quit(), new Promise((resolve) => (timer = setTimeout(resolve, 500)))]);
      } catch {
        // ignore: disconnect below
      } finally {
        clearTimeout(timer);
      }
    }
    this.#client.disconnect();
  }
}
