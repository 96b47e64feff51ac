/** Chooses and prepares the counter store from the configuration: Redis Cluster, Redis, or in-process memory. */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { redactUrl } from '../../../lib/process/logging.ts';
import { CoalescingCounterStore } from './coalescing-store.ts';
import type { CounterStore } from './counter-store.ts';
import { MemoryCounterStore } from './memory-store.ts';

/** The store settings of the authz-server's configuration. */
export interface StoreConfig {
  redisUrl: string | null;
  redisClusterNodes: string[] | null;
  storeTimeoutMs: number;
  /** How long merged Redis calls may wait for more Checks under load (CoalescingCounterStore). */
  storeMergeWindowMs?: number;
  /** How many waiting Checks end that wait at once. */
  storeMergeFullAt?: number;
}

/**
 * Creates the counter store the configuration names; Redis stores merge the store work of concurrent Checks. The
 * Redis adapter (and ioredis) is loaded only when a Redis store is configured.
 */
export async function createStore(config: StoreConfig, logger: Logger, registry: Registry): Promise<CounterStore> {
  if (!config.redisClusterNodes && !config.redisUrl) {
    logger.info('counter store: in-memory (this process only; pass --redis to share limits between replicas)');
    return new MemoryCounterStore();
  }
  const { RedisCounterStore } = await import('./redis-store.ts');
  const coalescing = (inner: CounterStore) => new CoalescingCounterStore(inner, { windowMs: config.storeMergeWindowMs, fullAt: config.storeMergeFullAt });
  if (config.redisClusterNodes) {
    logger.info({ nodes: config.redisClusterNodes }, 'counter store: Redis Cluster');
    const nodes = config.redisClusterNodes.map((n) => {
      const [host = '127.0.0.1', port = '6379'] = n.split(':');
      return { host, port: Number(port) };
    });
    return coalescing(new RedisCounterStore({ url: '', cluster: { nodes }, timeoutMs: config.storeTimeoutMs, logger, registry }));
  }
  const url = config.redisUrl as string;
  logger.info({ url: redactUrl(url) }, 'counter store: Redis');
  return coalescing(new RedisCounterStore({ url, timeoutMs: config.storeTimeoutMs, logger, registry }));
}

/**
 * Throw-away round trips before the server reports ready: connects, loads the Lua script and warms the JIT, so
 * the first burst of Checks after a deploy does not run into the store timeout. Gives up (with a warning) after
 * `deadlineMs`: an unreachable store is the failurePolicy's business, not a reason to stay unready.
 */
export async function warmUpStore(store: CounterStore, logger: Logger, deadlineMs: number): Promise<void> {
  if (store.kind === 'memory') return;
  const batch = { rateLimits: [], counters: [{ keys: ['pal:{warm-up}:ct:start:0'], incr: 0, ttlMs: 1000 }], distinct: [] };
  const until = Date.now() + deadlineMs;
  for (let i = 0; ; i++) {
    try {
      for (let j = 0; j < 20; j++) await store.evaluate(batch);
      return;
    } catch (err) {
      if (Date.now() >= until) {
        logger.warn({ err: (err as Error).message }, 'counter store not reachable at start; serving anyway (failurePolicy applies)');
        return;
      }
      await new Promise((r) => setTimeout(r, Math.min(500, 50 * 2 ** i)));
    }
  }
}
