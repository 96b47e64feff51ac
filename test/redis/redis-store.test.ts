/**
 * RedisCounterStore against a real redis-server: the shared contract, one round trip per evaluate(), failure
 * behaviour (killed and hung server), recovery, logs and metrics.
 */
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Registry, register as globalRegistry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { StoreUnavailableError, type CounterBatch } from '../../authz-server/src/store/counter-store.ts';
import { bucketKeys, counterPrefix, distinctPrefix, rateLimitKey } from '../../authz-server/src/store/keys.ts';
import { RedisCounterStore } from '../../authz-server/src/store/redis-store.ts';
import { counterStoreContract } from '../support/counter-store-contract.ts';
import { commandCalls, startRedis, type RedisServerHandle } from '../support/redis-server.ts';

/** Worst event-loop stall while running: no timer can fire earlier than that, so timing bounds allow for it. */
function lagMonitor() {
  const h = monitorEventLoopDelay({ resolution: 5 });
  h.enable();
  return {
    maxMs() {
      h.disable();
      return h.max / 1e6;
    },
  };
}

function captureLogger() {
  const lines: Array<{ level: 'info' | 'warn'; msg: string }> = [];
  return {
    lines,
    logger: {
      info: (_o: unknown, msg?: string) => void lines.push({ level: 'info', msg: msg ?? '' }),
      warn: (_o: unknown, msg?: string) => void lines.push({ level: 'warn', msg: msg ?? '' }),
    },
  };
}

async function until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** A redis-server of the test's own and a store on it (50 ms timeout, captured log, own registry), once ready. */
async function ownRedisStore() {
  const own = await startRedis();
  const log = captureLogger();
  const registry = new Registry();
  const timeoutMs = 50;
  const store = new RedisCounterStore({ url: own.url, timeoutMs, logger: log.logger, registry });
  const close = async () => {
    await store.close();
    await own.stop();
  };
  try {
    await until(() => store.isHealthy(), 5000, 'ready');
  } catch (e) {
    await close();
    throw e;
  }
  return { own, log, registry, timeoutMs, store, close };
}

function sampleBatch(policy: string, i: number): CounterBatch {
  const now = Date.now();
  const ct = bucketKeys(counterPrefix(policy, 'req', [`c${i % 7}`]), now, 10_000, 3);
  const dc = bucketKeys(distinctPrefix(policy, 'ips', ['ua']), now, 60_000, 2);
  return {
    rateLimits: [
      { key: rateLimitKey(policy, 'ip', [`192.0.2.${i % 13}`]), requests: 5, periodMs: 1000, burst: 2 },
      { key: rateLimitKey(policy, 'global', []), requests: 1000, periodMs: 1000, burst: 0 },
    ],
    counters: [{ keys: ct, incr: 1, ttlMs: 30_000 }],
    distinct: [{ key: dc[0]!, member: `198.51.100.${i % 50}`, ttlMs: 120_000, countKeys: dc }],
  };
}

let server: RedisServerHandle;
beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  await server?.stop();
});

counterStoreContract('redis', async () => {
  const store = new RedisCounterStore({ url: server.url, timeoutMs: 1000, logger: captureLogger().logger, registry: new Registry() });
  await until(() => store.isHealthy(), 5000, 'redis store ready');
  return { store, pttl: async (key) => Number(await server.command('PTTL', key)), cleanup: () => store.close() };
});

describe('RedisCounterStore: one round trip per evaluate()', () => {
  it('INFO commandstats: eval + evalsha calls == evaluate() calls; MONITOR: the store sends nothing else', async () => {
    const store = new RedisCounterStore({ url: server.url, timeoutMs: 1000, logger: captureLogger().logger, registry: new Registry() });
    await until(() => store.isHealthy(), 5000, 'ready');
    // Watch every command the server receives while the store works.
    const monitor = net.connect({ host: '127.0.0.1', port: server.port });
    let seen = '';
    monitor.on('data', (d) => (seen += d.toString()));
    monitor.write('MONITOR\r\n');
    await until(() => seen.startsWith('+OK'), 2000, 'MONITOR');
    expect(await server.command('CONFIG', 'RESETSTAT')).toBe('OK');

    const N = 300;
    for (let i = 0; i < N / 3; i++) {
      // Sequential and concurrent calls alike.
      await Promise.all([store.evaluate(sampleBatch('rt', i)), store.evaluate(sampleBatch('rt2', i)), store.evaluate(sampleBatch('rt', i + 1))]);
    }
    const calls = commandCalls(await server.info('commandstats'));
    await sleep(50);
    monitor.destroy();
    await store.close();

    expect((calls['evalsha'] ?? 0) + (calls['eval'] ?? 0)).toBe(N);
    // Everything else in commandstats ran inside the script (or is this test's own CONFIG RESETSTAT / INFO).
    const inScript = new Set(['time', 'get', 'mget', 'set', 'incrby', 'pexpire', 'pfadd', 'pfcount']);
    const other = Object.keys(calls).filter((c) => !inScript.has(c) && !['eval', 'evalsha', 'info', 'config|resetstat'].includes(c));
    expect(other).toEqual([]);
    // MONITOR shows client commands as `[db ip:port] "cmd"` and script commands as `[db lua] "cmd"`.
    const clientCmds = [...seen.matchAll(/\[\d+ (?:\d+\.\d+\.\d+\.\d+:\d+|unix:[^\]]*)\] "([^"]+)"/g)].map((m) => m[1]!.toLowerCase());
    const fromStore = clientCmds.filter((c) => c === 'eval' || c === 'evalsha');
    expect(fromStore).toHaveLength(N);
    expect(clientCmds.filter((c) => !['eval', 'evalsha', 'config', 'info'].includes(c))).toEqual([]);
  });

  it('sends the script once per connection, then its hash; after SCRIPT FLUSH a NOSCRIPT is answered by sending it again', async () => {
    const { own, store, close } = await ownRedisStore();
    try {
      for (let i = 0; i < 20; i++) await store.evaluate(sampleBatch('sf', i));
      let calls = commandCalls(await own.info('commandstats'));
      expect(calls['eval']).toBe(1);
      expect(calls['evalsha']).toBe(19);
      expect(await own.command('SCRIPT', 'FLUSH')).toBe('OK');
      const results = await Promise.all([1, 2, 3].map((i) => store.evaluate(sampleBatch('sf', i))));
      expect(results.map((r) => r.counters[0]!.length)).toEqual([3, 3, 3]);
      calls = commandCalls(await own.info('commandstats'));
      // The three hashes refused, each call sent once more: the first of them with the script, the others with
      // the script or its hash, depending on whether their refusal came before the script was sent.
      expect(calls['evalsha']! + calls['eval']!).toBe(20 + 6);
      expect(calls['eval']).toBeGreaterThanOrEqual(2);
      const before = calls['evalsha']!;
      await store.evaluate(sampleBatch('sf', 4));
      expect(commandCalls(await own.info('commandstats'))['evalsha']).toBe(before + 1);
    } finally {
      await close();
    }
  });
});

describe('RedisCounterStore: failures', () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => void unhandled.push(e);
  beforeAll(() => void process.on('unhandledRejection', onUnhandled));
  afterAll(() => void process.off('unhandledRejection', onUnhandled));
  afterEach(() => expect(unhandled).toEqual([]));

  it('Redis killed mid-load: every call rejects with StoreUnavailableError within the timeout, then it recovers by itself', async () => {
    const { own, log, registry, timeoutMs, store, close } = await ownRedisStore();
    try {
      const lag = lagMonitor();
      type Outcome = { ok: boolean; ms: number; err?: unknown; at: number };
      const outcomes: Outcome[] = [];
      let stop = false;
      let i = 0;
      const lane = async () => {
        while (!stop) {
          const started = performance.now();
          try {
            await store.evaluate(sampleBatch('kill', i++));
            outcomes.push({ ok: true, ms: performance.now() - started, at: Date.now() });
          } catch (err) {
            outcomes.push({ ok: false, ms: performance.now() - started, err, at: Date.now() });
            await sleep(2);
          }
        }
      };
      const lanes = Array.from({ length: 20 }, lane);
      await sleep(300);
      const killedAt = Date.now();
      await own.kill();
      await sleep(600);
      expect(store.isHealthy()).toBe(false);
      const restartedAt = Date.now();
      await own.restart();
      await until(() => store.isHealthy(), 5000, 'recovery after restart');
      const recoveredAfter = Date.now() - restartedAt;
      await sleep(200);
      stop = true;
      await Promise.all(lanes);

      const before = outcomes.filter((o) => o.at < killedAt);
      const failures = outcomes.filter((o) => !o.ok);
      const after = outcomes.filter((o) => o.at > restartedAt + recoveredAfter + 50);
      expect(before.length).toBeGreaterThan(20);
      expect(before.every((o) => o.ok)).toBe(true);
      expect(failures.length).toBeGreaterThan(0);
      for (const f of failures) expect(f.err).toBeInstanceOf(StoreUnavailableError);
      // Never waits on a dead Redis longer than the timeout (+ slack for a loaded CI machine's event loop).
      const slowest = Math.max(...failures.map((f) => f.ms));
      // The bound allows for the event loop's own worst stall in this test (timers cannot fire earlier than that).
      const maxLagMs = lag.maxMs();
      expect(slowest).toBeLessThan(timeoutMs + 50 + maxLagMs);
      expect(after.length).toBeGreaterThan(0);
      expect(after.every((o) => o.ok)).toBe(true);
      expect(recoveredAfter).toBeLessThan(3000);
      // One warn when it went down, one info when it came back (plus the first "connected").
      expect(log.lines).toEqual([
        { level: 'info', msg: 'counter store: Redis connected' },
        { level: 'warn', msg: 'counter store: Redis down, retrying in the background' },
        { level: 'info', msg: 'counter store: Redis is back' },
      ]);
      const metrics = await registry.getMetricsAsJSON();
      const up = metrics.find((m) => m.name === 'palisade_store_up');
      expect(up?.values[0]?.value).toBe(1);
      const errors = metrics.find((m) => m.name === 'palisade_store_errors_total');
      expect(errors?.values.find((v) => v.labels['reason'] === 'connection')?.value ?? 0).toBeGreaterThan(0);
      console.log(
        `kill test: ${before.length} ok before kill, ${failures.length} failures (slowest ${slowest.toFixed(1)} ms, event-loop max lag ${maxLagMs.toFixed(1)} ms), recovered ${recoveredAfter} ms after restart`,
      );
    } finally {
      await close();
    }
  });

  it('a hung Redis (SIGSTOP): calls time out after timeoutMs, the connection is dropped, and it recovers on SIGCONT', async () => {
    const { own, log, registry, timeoutMs, store, close } = await ownRedisStore();
    try {
      await store.evaluate(sampleBatch('hung', 0));
      own.pause();
      const lag = lagMonitor();
      const durations = await Promise.all(
        Array.from({ length: 20 }, async (_, i) => {
          const started = performance.now();
          await expect(store.evaluate(sampleBatch('hung', i))).rejects.toBeInstanceOf(StoreUnavailableError);
          return performance.now() - started;
        }),
      );
      expect(Math.min(...durations)).toBeGreaterThanOrEqual(timeoutMs - 1);
      expect(Math.max(...durations)).toBeLessThan(timeoutMs + 50 + lag.maxMs());
      // The socket timeout (1 s here) drops the silent connection; the store reports unhealthy.
      await until(() => !store.isHealthy(), 3000, 'unhealthy while hung');
      own.resume();
      await until(() => store.isHealthy(), 5000, 'recovery after SIGCONT');
      expect((await store.evaluate(sampleBatch('hung', 1))).rateLimits).toHaveLength(2);
      const errors = (await registry.getMetricsAsJSON()).find((m) => m.name === 'palisade_store_errors_total');
      expect(errors?.values.find((v) => v.labels['reason'] === 'timeout')?.value).toBe(20);
      expect(log.lines.filter((l) => l.level === 'warn')).toHaveLength(1);
    } finally {
      own.resume();
      await close();
    }
  });

  it('Redis never reachable: rejects at once, unhealthy, one warn line; close() does not hang', async () => {
    const log = captureLogger();
    const store = new RedisCounterStore({ url: 'redis://127.0.0.1:1', timeoutMs: 50, logger: log.logger, registry: new Registry() });
    const lag = lagMonitor();
    let slowest = 0;
    for (let i = 0; i < 20; i++) {
      const started = performance.now();
      await expect(store.evaluate(sampleBatch('never', i))).rejects.toBeInstanceOf(StoreUnavailableError);
      slowest = Math.max(slowest, performance.now() - started);
      await sleep(20);
    }
    expect(slowest).toBeLessThan(50 + 50 + lag.maxMs());
    expect(store.isHealthy()).toBe(false);
    expect(log.lines).toEqual([{ level: 'warn', msg: 'counter store: Redis unreachable, retrying in the background' }]);
    const started = performance.now();
    await store.close();
    expect(performance.now() - started).toBeLessThan(100);
    await expect(store.evaluate(sampleBatch('never', 0))).rejects.toBeInstanceOf(StoreUnavailableError);
  });

  it('a batch with more rate-limit keys than one MGET slice reads and writes every one', async () => {
    const store = new RedisCounterStore({ url: server.url, timeoutMs: 5000, logger: captureLogger().logger, registry: new Registry() });
    try {
      await until(() => store.isHealthy(), 5000, 'ready');
      const id = randomUUID().slice(0, 8);
      const batch = { rateLimits: Array.from({ length: 2500 }, (_, i) => ({ key: rateLimitKey(`many-${id}`, 'l', [String(i)]), requests: 1, periodMs: 60_000, burst: 0 })), counters: [], distinct: [] };
      expect((await store.evaluate(batch)).rateLimits.every((r) => r.allowed)).toBe(true);
      expect((await store.evaluate(batch)).rateLimits.some((r) => r.allowed)).toBe(false);
    } finally {
      await store.close();
    }
  });

  it('a rate-limit key holding another type counts as no state and is replaced by the limit\'s', async () => {
    const store = new RedisCounterStore({ url: server.url, timeoutMs: 1000, logger: captureLogger().logger, registry: new Registry() });
    try {
      await until(() => store.isHealthy(), 5000, 'ready');
      const key = rateLimitKey('wrongtype', 'rl', []);
      await server.command('LPUSH', key, 'x');
      const r = await store.evaluate({ rateLimits: [{ key, requests: 1, periodMs: 60_000, burst: 0 }], counters: [], distinct: [] });
      expect(r.rateLimits[0]?.allowed).toBe(true);
      expect(await server.command('TYPE', key)).toBe('string');
      const again = await store.evaluate({ rateLimits: [{ key, requests: 1, periodMs: 60_000, burst: 0 }], counters: [], distinct: [] });
      expect(again.rateLimits[0]?.allowed).toBe(false);
    } finally {
      await store.close();
    }
  });

  it('a rate-limit key holding a string that is not a TAT (text, negative, NaN, infinite) counts as no state, in a batch with valid keys', async () => {
    const store = new RedisCounterStore({ url: server.url, timeoutMs: 1000, logger: captureLogger().logger, registry: new Registry() });
    try {
      await until(() => store.isHealthy(), 5000, 'ready');
      const id = randomUUID().slice(0, 8);
      const bad = ['not-a-number', '-5', '-1e300', 'nan', 'inf', '1e999'].map((v, i) => ({ key: rateLimitKey(`garbage-${id}`, 'rl', [String(i)]), v }));
      for (const b of bad) await server.command('SET', b.key, b.v);
      const good = rateLimitKey(`garbage-${id}`, 'rl', ['good']);
      const op = (key: string) => ({ key, requests: 1, periodMs: 60_000, burst: 0 });
      const batch = { rateLimits: [op(good), ...bad.map((b) => op(b.key)), op(good)], counters: [], distinct: [] };
      const first = await store.evaluate(batch);
      // Each garbage key is a fresh bucket (allowed once); the valid key's second op in the same call is over.
      expect(first.rateLimits.map((r) => r.allowed)).toEqual([true, ...bad.map(() => true), false]);
      for (const b of bad) expect(Number(await server.command('GET', b.key))).toBeGreaterThan(Date.now() * 1000);
      expect((await store.evaluate(batch)).rateLimits.some((r) => r.allowed)).toBe(false);
    } finally {
      await store.close();
    }
  });

  it('a script error (wrong key type) is a StoreUnavailableError with reason script', async () => {
    const registry = new Registry();
    const store = new RedisCounterStore({ url: server.url, timeoutMs: 1000, logger: captureLogger().logger, registry });
    try {
      await until(() => store.isHealthy(), 5000, 'ready');
      const key = counterPrefix('wrongtype', 'c', []);
      await server.command('LPUSH', key, 'x');
      await expect(store.evaluate({ rateLimits: [], counters: [{ keys: [key], incr: 1, ttlMs: 1000 }], distinct: [] })).rejects.toBeInstanceOf(
        StoreUnavailableError,
      );
      const errors = (await registry.getMetricsAsJSON()).find((m) => m.name === 'palisade_store_errors_total');
      expect(errors?.values).toEqual([expect.objectContaining({ labels: { store: 'redis', reason: 'script' }, value: 1 })]);
      expect(store.isHealthy()).toBe(true);
    } finally {
      await store.close();
    }
  });
});

describe('RedisCounterStore: metrics', () => {
  it('registers on the injected registry only, with the documented names and labels', async () => {
    const registry = new Registry();
    const store = new RedisCounterStore({ url: server.url, timeoutMs: 1000, logger: captureLogger().logger, registry });
    try {
      await until(() => store.isHealthy(), 5000, 'ready');
      for (let i = 0; i < 5; i++) await store.evaluate(sampleBatch('metrics', i));
      const text = await registry.metrics();
      expect(text).toMatch(/^palisade_store_up\{store="redis"\} 1$/m);
      expect(text).toMatch(/^palisade_store_roundtrips_total\{store="redis"\} 5$/m);
      expect(text).toMatch(/^palisade_store_latency_seconds_count\{store="redis"\} 5$/m);
      expect(text).toMatch(/# TYPE palisade_store_errors_total counter/);
      expect(await globalRegistry.metrics()).not.toMatch(/palisade_store/);
      // A second store on the same registry reuses the metrics instead of throwing.
      const again = new RedisCounterStore({ url: server.url, timeoutMs: 1000, logger: captureLogger().logger, registry });
      await again.close();
    } finally {
      await store.close();
    }
  });
});
