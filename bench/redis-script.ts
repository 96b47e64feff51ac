/**
 * `npm run bench:redis-script`: Redis' own CPU per call of variants of the batch script, each on a Redis of its
 * own, driven side by side by this process with the store calls of the Redis-limit scenario (a per-consumer and a
 * per-IP limit per Check, `--checks` Checks merged per call, as coalescing-store.ts merges them). Redis CPU is
 * INFO's used_cpu_user + used_cpu_sys delta; `evalsha µs` is Redis' own time per script call (commandstats).
 *
 * Two loads: `--mode rate` (default) sends `--rate` calls per second to every variant at once for `--seconds`
 * (each Redis wakes up per call, as at a fixed request rate); `--mode closed` keeps `--inflight` calls in flight
 * on one variant after the other (`--calls` each; Redis stays busy, its cost per call without the wake-ups).
 * `--bot-counters N` adds bot scoring's counter ops to each Check (N counters of its address, 3-4 buckets each).
 * Repeats alternate the order. Variants: `current` (store/redis-batch.lua), `base` (the script and its encoding
 * in the checkout at `--base`, e.g. the commit a change is measured against), `ratelimit` (envoyproxy/ratelimit's
 * pipelined INCRBY + EXPIRE per limit, one pipeline per call), or the path of a Lua file with the same KEYS/ARGV
 * layout and reply as the current script.
 *
 *   npm run bench:redis-script -- --checks 3 current ratelimit /tmp/variant.lua
 *   npm run bench:redis-script -- --mode closed --checks 8 --base ../main base current
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { BATCH_LUA, encodeBatch } from '../authz-server/src/store/redis-store.ts';
import { BucketCounterOp, counterKeyName, hashKeyParts, rateLimitKey } from '../authz-server/src/store/keys.ts';
import type { CounterBatch } from '../authz-server/src/store/counter-store.ts';
import { startRedis, type RedisServerHandle } from '../test/support/redis-server.ts';
import { loadLine, spread } from './harness.ts';

interface Variant {
  name: string;
  redis: RedisServerHandle;
  client: Redis;
  call(i: number): Promise<unknown>;
  cpuUs: number[];
  evalUs: number[];
}

function redisCpu(info: string): number {
  const num = (k: string) => Number(new RegExp(`^${k}:([0-9.]+)`, 'm').exec(info)?.[1] ?? Number.NaN);
  return num('used_cpu_user') + num('used_cpu_sys');
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      mode: { type: 'string', default: 'rate' },
      rate: { type: 'string', default: '1000' },
      seconds: { type: 'string', default: '5' },
      calls: { type: 'string', default: '20000' },
      inflight: { type: 'string', default: '8' },
      checks: { type: 'string', default: '1' },
      ips: { type: 'string', default: '256' },
      'bot-counters': { type: 'string', default: '0' },
      repeats: { type: 'string', default: '3' },
      base: { type: 'string' },
    },
  });
  if (positionals.length === 0) throw new Error('name the variants: current, ratelimit or Lua files');
  if (values.mode !== 'rate' && values.mode !== 'closed') throw new Error(`--mode is rate or closed, got ${values.mode}`);
  const checks = Number(values.checks);
  const ips = Number(values.ips);
  // The bench policy's two limits (1 000 000 per second each), keyed as the server keys them.
  const consumer = rateLimitKey('limits', 'per-consumer', ['bench-client']);
  const ip = (n: number) => rateLimitKey('limits', 'per-ip', [`10.0.${n % 250}.${Math.floor(n / 250) % 250}`]);
  // Bot scoring's counter ops per Check (`--bot-counters N`): N counters of the client's address, 3-4 buckets each
  // (current first, incremented), as the feed plans them.
  const botCounterCount = Number(values['bot-counters']);
  const botCounters = (n: number): BucketCounterOp[] => {
    const parts = hashKeyParts([`10.0.${n % 250}.${Math.floor(n / 250) % 250}`]);
    const bucket = Math.floor(Date.now() / 10_000);
    return Array.from({ length: botCounterCount }, (_, c) => new BucketCounterOp(counterKeyName('limits', `bot-${c}`), parts, bucket, c < 2 ? 4 : 3, 1, 60_000));
  };
  const batch = (i: number): CounterBatch => ({
    rateLimits: Array.from({ length: checks }, (_, j) => [
      { key: consumer, requests: 1_000_000, periodMs: 1000, burst: 0 },
      { key: ip((i * checks + j) % ips), requests: 1_000_000, periodMs: 1000, burst: 0 },
    ]).flat(),
    counters: Array.from({ length: checks }, (_, j) => botCounters(i * checks + j)).flat(),
    distinct: [],
  });

  const variants: Variant[] = [];
  try {
    for (const name of positionals) {
      const redis = await startRedis();
      const client = new Redis(redis.url, { protocol: 2 });
      variants.push({ name, redis, client, call: async () => undefined, cpuUs: [], evalUs: [] });
      const v = variants.at(-1) as Variant;
      if (name === 'ratelimit') {
        v.call = (i) => {
          const k = `bench_remote_address_${(i * checks) % ips}`;
          return client.pipeline().incrby('bench_consumer', 1).expire('bench_consumer', 1).incrby(k, 1).expire(k, 1).exec();
        };
      } else {
        let lua = name === 'current' ? BATCH_LUA : name === 'base' ? '' : readFileSync(name, 'utf8');
        let encode = encodeBatch;
        if (name === 'base') {
          if (!values.base) throw new Error('the variant base needs --base <checkout>');
          const mod = (await import(pathToFileURL(join(resolve(values.base), 'authz-server/src/store/redis-store.ts')).href)) as { BATCH_LUA: string; encodeBatch: typeof encodeBatch };
          lua = mod.BATCH_LUA;
          encode = mod.encodeBatch;
        }
        client.defineCommand('batch', { lua });
        const command = client as unknown as { batch(n: number, ...args: string[]): Promise<unknown> };
        v.call = (i) => {
          const { keys, argv } = encode(batch(i));
          return command.batch(keys.length, ...keys, ...argv);
        };
      }
      await v.call(0);
    }
    const repeats = Number(values.repeats);
    for (let r = 0; r < repeats; r++) {
      const order = r % 2 ? [...variants].reverse() : variants;
      for (const v of variants) {
        for (let i = 0; i < 200; i++) await v.call(i);
        await v.redis.command('CONFIG', 'RESETSTAT');
      }
      if (values.mode === 'closed') {
        const total = Number(values.calls);
        for (const v of order) {
          const before = redisCpu(await v.redis.info('cpu'));
          let next = 0;
          const worker = async () => {
            while (next < total) await v.call(next++);
          };
          await Promise.all(Array.from({ length: Number(values.inflight) }, worker));
          v.cpuUs.push(((redisCpu(await v.redis.info('cpu')) - before) / total) * 1e6);
        }
      } else {
        const rate = Number(values.rate);
        const total = Math.round(rate * Number(values.seconds));
        const before = await Promise.all(variants.map(async (v) => redisCpu(await v.redis.info('cpu'))));
        const pending: Array<Promise<unknown>> = [];
        const t0 = performance.now();
        let sent = 0;
        await new Promise<void>((resolve) => {
          const tick = () => {
            const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate));
            for (; sent < due; sent++) for (const v of sent % 2 ? order : [...order].reverse()) pending.push(v.call(sent));
            if (sent >= total) resolve();
            else setTimeout(tick, 0);
          };
          tick();
        });
        await Promise.all(pending);
        for (const [i, v] of variants.entries()) v.cpuUs.push(((redisCpu(await v.redis.info('cpu')) - (before[i] as number)) / total) * 1e6);
      }
      for (const v of variants) {
        const m = /^cmdstat_evalsha:calls=(\d+),usec=(\d+)/m.exec(await v.redis.info('commandstats'));
        v.evalUs.push(m ? Number(m[2]) / Number(m[1]) : Number.NaN);
      }
    }
  } finally {
    for (const v of variants) {
      v.client.disconnect();
      await v.redis.stop();
    }
  }
  const f = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '-');
  const load = values.mode === 'closed' ? `closed loop, ${values.inflight} calls in flight, ${values.calls} calls` : `${values.rate} calls/s for ${values.seconds} s, all variants at once`;
  const out = [
    `Batch script variants, ${checks} Check(s) of two limits${botCounterCount ? ` and ${botCounterCount} bot counters` : ''} per call, ${ips} client IPs; ${load}; ${values.repeats} repeats; load average ${loadLine()}`,
    '',
    '| variant | Redis CPU µs/call median (min-max) | per Check | evalsha µs/call |',
    '|---|---:|---:|---:|',
    ...variants.map((v) => {
      const c = spread(v.cpuUs);
      const perCheck = v.name === 'ratelimit' ? c.median : c.median / checks;
      return `| ${v.name} | ${f(c.median)} (${f(c.min)}-${f(c.max)}) | ${f(perCheck)} | ${f(spread(v.evalUs).median)} |`;
    }),
    '',
    '(ratelimit: one request per call, so its "per Check" is per request)',
    '',
  ];
  process.stdout.write(out.join('\n'));
}

if (import.meta.main) await main();
