/**
 * `npm run bench:ab`: two authz-server configurations measured side by side: both processes run at the same time,
 * each driven by its own ghz at the same fixed rate, so both see the same neighbours (on a shared machine the
 * CPU per call of consecutive runs moved by +-20 %; the difference between simultaneous ones is what is left).
 * Repeats alternate which configuration starts its load first.
 *
 * In a Redis scenario each configuration gets a Redis of its own, so Redis' CPU per call (INFO) is measured per
 * configuration too. `--a-root`/`--b-root` run another checkout (e.g. the commit a change is measured against,
 * `git worktree add` or `git archive` of it, with node_modules linked); `--ratelimit` adds envoyproxy/ratelimit
 * (bench/peers.ts, built into the cache) with the scenario's RateLimitService requests on a Redis of its own;
 * `--sequential` runs the systems one after another within each repeat (rotating the order) instead of at once,
 * for rates at which all of them together would saturate the machine.
 * Besides the peak RSS under load it reports each process's RSS 5 s after it answered /readyz (idle, no Check
 * served yet).
 *
 *   npm run bench:ab -- --a="--decision-log off" --b="" --rate 1500 --repeats 5
 *   npm run bench:ab -- --a-flags="--max-semi-space-size=8" --b-flags="" --scenario Redis
 *   npm run bench:ab -- --b-env="MALLOC_MMAP_THRESHOLD_=65536" --scenario mTLS --rate 1950
 *   npm run bench:ab -- --scenario "2 limits, Redis" --a-root ../base --ratelimit --sequential --rate 3030
 */
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { startRedis, type RedisServerHandle } from '../test/support/redis-server.ts';
import { CHECK_CALL, OUT_DIR, RLS_CALL, fixedRate, freePort, loadLine, procStats, runGhz, spread, startBenchServer, type Call, type Sample } from './harness.ts';
import { ensurePeer, startRatelimit } from './peers.ts';
import { scenarioNamed, type Scenario } from './scenarios.ts';

const words = (s: string) => s.split(' ').filter(Boolean);

/** One system under test: a running server, the call it answers and its own Redis (if any). */
interface System {
  name: string;
  label: string;
  port: number;
  pid: number;
  call: Call;
  redis: RedisServerHandle | null;
  stop(): Promise<void>;
}

/** One configuration of a side-by-side run: authz-server arguments, Node flags, environment, checkout. */
export interface AbConfig {
  args: string[];
  flags?: string[];
  env?: Record<string, string>;
  /** Another checkout to run (node_modules linked). */
  root?: string;
  /** How the configuration is shown; by default its arguments. */
  label?: string;
}

/** What a side-by-side run measured: per system its samples (one per repeat) and its RSS when idle after start. */
export interface AbResult {
  scenario: Scenario;
  systems: Array<{ name: string; label: string }>;
  /** Where A's and B's stdout went (emptied at the start). */
  stdoutFiles: string[];
  samples: Sample[][];
  idleRss: number[];
  rate: number;
  duration: number;
  repeats: number;
  sequential: boolean;
  loadBefore: string;
  loadAfter: string;
}

/**
 * Runs configurations A and B (and envoyproxy/ratelimit with `ratelimit`) of one scenario side by side at one fixed
 * rate: `repeats` rounds of `duration` s, all systems at the same time (or one after another with `sequential`),
 * rotating which starts first. Each system has a Redis of its own in a Redis scenario.
 */
export async function runAb(opts: { scenario: Scenario; a: AbConfig; b: AbConfig; rate: number; duration: number; repeats: number; sequential?: boolean; ratelimit?: boolean; log?: (line: string) => void }): Promise<AbResult> {
  const { scenario } = opts;
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  if (opts.ratelimit && !scenario.ratelimit) throw new Error(`envoyproxy/ratelimit does not run the scenario ${scenario.name}`);
  const systems: System[] = [];
  const stdoutFiles: string[] = [];
  const redisFor = async () => (scenario.redis ? await startRedis() : null);
  try {
    for (const [k, config] of [['a', opts.a], ['b', opts.b]] as const) {
      const redis = await redisFor();
      const stdoutFile = join(OUT_DIR, `ab-${k}.stdout.log`);
      rmSync(stdoutFile, { force: true });
      stdoutFiles.push(stdoutFile);
      const server = await startBenchServer({
        args: ['--policies', scenario.policies, ...(redis ? ['--redis', redis.url] : []), ...config.args],
        nodeFlags: config.flags ?? [],
        env: config.env ?? {},
        stdoutFile,
        ...(config.root ? { root: resolve(config.root) } : {}),
      });
      const label = config.label ?? ([...(config.root ? [`root ${config.root}`] : []), ...Object.entries(config.env ?? {}).map(([n, v]) => `${n}=${v}`), ...(config.flags ?? []), ...config.args].join(' ') || '(defaults)');
      systems.push({ name: k.toUpperCase(), label, port: server.checkPort, pid: server.pid, call: { ...CHECK_CALL, requests: scenario.requests }, redis, stop: server.stop });
    }
    if (opts.ratelimit) {
      const redis = await redisFor();
      if (!redis) throw new Error('ratelimit needs a Redis scenario');
      const build = ensurePeer('ratelimit');
      const peer = await startRatelimit(build.bin, build.version, { grpc: await freePort(), http: await freePort(), debug: await freePort() }, `${redis.host}:${redis.port}`);
      systems.push({ name: 'R', label: peer.name, port: peer.grpcPort, pid: peer.pid, call: { ...RLS_CALL, requests: scenario.ratelimit ?? [] }, redis, stop: peer.stop });
    }
  } catch (e) {
    await Promise.all(systems.flatMap((s) => [s.stop(), s.redis?.stop()]));
    throw e;
  }

  const samples: Sample[][] = systems.map(() => []);
  await sleep(5000);
  const idleRss = systems.map((s) => procStats(s.pid).rssMiB);
  const loadBefore = loadLine();
  const run = (i: number, load: Parameters<typeof runGhz>[0]['load']) => {
    const s = systems[i] as System;
    return runGhz({ port: s.port, pid: s.pid, call: s.call, load, redis: s.redis, label: `ab-${s.name}` });
  };
  try {
    await Promise.all(systems.map((_, i) => run(i, { name: 'warm-up', args: ['--concurrency', '16', '--total', '3000'] })));
    for (let r = 0; r < opts.repeats; r++) {
      const order = systems.map((_, i) => (i + r) % systems.length);
      if (r % 2 === 1) order.reverse();
      const load = fixedRate(opts.rate, opts.duration);
      const res: Sample[] = [];
      if (opts.sequential) for (const i of order) res.push(await run(i, load));
      else res.push(...(await Promise.all(order.map((i) => run(i, load)))));
      order.forEach((i, j) => samples[i]?.push(res[j] as Sample));
      const redisPart = (s: Sample) => (s.redisCpuUsPerCall === null ? '' : `, Redis ${s.redisCpuUsPerCall.toFixed(1)} µs/call`);
      log(`repeat ${r + 1}: ${order.map((i, j) => `${systems[i]?.name} ${(res[j] as Sample).cpuUsPerCall.toFixed(1)} µs/call (JavaScript thread ${(res[j] as Sample).jsThreadUsPerCall.toFixed(1)})${redisPart(res[j] as Sample)} p99 ${(res[j] as Sample).p99.toFixed(2)} ms`).join('; ')}`);
    }
  } finally {
    await Promise.all(systems.flatMap((s) => [s.stop(), s.redis?.stop()]));
  }
  return { scenario, systems: systems.map((s) => ({ name: s.name, label: s.label })), stdoutFiles, samples, idleRss, rate: opts.rate, duration: opts.duration, repeats: opts.repeats, sequential: opts.sequential === true, loadBefore, loadAfter: loadLine() };
}

/** B − A per repeat (the repeats ran side by side), as median (min .. max), and the median as a share of A's. */
export function abDifference(r: AbResult, key: (x: Sample) => number): { median: number; min: number; max: number; shareOfA: number } {
  const a = r.samples[0] as Sample[];
  const b = r.samples[1] as Sample[];
  const d = spread(a.map((x, i) => key(b[i] as Sample) - key(x)));
  return { ...d, shareOfA: d.median / spread(a.map(key)).median };
}

/** The side-by-side table and the B − A lines, as bench:ab prints them. */
export function renderAb(r: AbResult): string {
  const f = (n: number) => n.toFixed(1);
  const withRedis = r.scenario.redis === true;
  const lines = r.systems.map((v, i) => {
    const s = r.samples[i] as Sample[];
    const c = spread(s.map((x) => x.cpuUsPerCall));
    const js = spread(s.map((x) => x.jsThreadUsPerCall));
    const p50 = spread(s.map((x) => x.p50));
    const p99 = spread(s.map((x) => x.p99));
    const p999 = spread(s.map((x) => x.p999));
    const rss = Math.max(...s.map((x) => x.rssMiB));
    const rc = spread(s.map((x) => x.redisCpuUsPerCall ?? Number.NaN));
    const scripts = spread(s.map((x) => x.redisScriptsPerCall ?? Number.NaN)).median;
    const cmds = spread(s.map((x) => x.redisCallsPerCall ?? Number.NaN)).median;
    const redisCells = withRedis ? ` ${f(rc.median)} (${f(rc.min)}-${f(rc.max)}) | ${cmds.toFixed(2)} | ${scripts.toFixed(3)} |` : '';
    return `| ${v.name} | \`${v.label}\` | ${f(c.median)} (${f(c.min)}-${f(c.max)}) | ${f(js.median)} (${f(js.min)}-${f(js.max)}) | ${p50.median.toFixed(2)} | ${p99.median.toFixed(2)} (${p99.min.toFixed(2)}-${p99.max.toFixed(2)}) | ${p999.median.toFixed(2)} | ${(r.idleRss[i] as number).toFixed(1)} | ${rss.toFixed(1)} |${redisCells}`;
  });
  const d = abDifference(r, (x) => x.cpuUsPerCall);
  const dj = abDifference(r, (x) => x.jsThreadUsPerCall);
  const dr = abDifference(r, (x) => x.redisCpuUsPerCall ?? Number.NaN);
  const dp = abDifference(r, (x) => x.p99);
  return [
    `${r.scenario.name}, every system at ${r.rate} rps ${r.sequential ? 'one after another' : 'at the same time'}, ${r.repeats} x ${r.duration} s; load average before ${r.loadBefore}, after ${r.loadAfter}`,
    '',
    `| | configuration | CPU µs/call median (min-max) | JavaScript thread µs/call | p50 ms | p99 ms | p99.9 ms | idle RSS MiB | peak RSS MiB |${withRedis ? ' Redis CPU µs/call | Redis commands/call | script calls/call |' : ''}`,
    `|---|---|---:|---:|---:|---:|---:|---:|---:|${withRedis ? '---:|---:|---:|' : ''}`,
    ...lines,
    '',
    `B - A, CPU per call, per repeat: median ${f(d.median)} µs (${f(d.min)} .. ${f(d.max)}) = ${f(d.shareOfA * 100)} % of A`,
    `B - A, JavaScript thread per call, per repeat: median ${f(dj.median)} µs (${f(dj.min)} .. ${f(dj.max)}) = ${f(dj.shareOfA * 100)} % of A`,
    ...(withRedis ? [`B - A, Redis CPU per call, per repeat: median ${f(dr.median)} µs (${f(dr.min)} .. ${f(dr.max)}); p99 median ${dp.median.toFixed(2)} ms (${dp.min.toFixed(2)} .. ${dp.max.toFixed(2)})`] : []),
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      a: { type: 'string', default: '' },
      b: { type: 'string', default: '' },
      'a-flags': { type: 'string', default: '' },
      'b-flags': { type: 'string', default: '' },
      'a-env': { type: 'string', default: '' },
      'b-env': { type: 'string', default: '' },
      'a-root': { type: 'string' },
      'b-root': { type: 'string' },
      ratelimit: { type: 'boolean', default: false },
      sequential: { type: 'boolean', default: false },
      scenario: { type: 'string', default: 'api-key + rules' },
      rate: { type: 'string', default: '1500' },
      duration: { type: 'string', default: '10' },
      repeats: { type: 'string', default: '5' },
    },
  });
  const scenario = scenarioNamed(values.scenario);
  const config = (k: 'a' | 'b'): AbConfig => {
    const root = values[`${k}-root`];
    const env = Object.fromEntries(
      words(values[`${k}-env`]).map((w) => {
        const eq = w.indexOf('=');
        if (eq <= 0) throw new Error(`--${k}-env takes NAME=value words, got ${w}`);
        return [w.slice(0, eq), w.slice(eq + 1)];
      }),
    );
    return { args: words(values[k]), flags: words(values[`${k}-flags`]), env, ...(root ? { root } : {}) };
  };
  const result = await runAb({ scenario, a: config('a'), b: config('b'), rate: Number(values.rate), duration: Number(values.duration), repeats: Number(values.repeats), sequential: values.sequential, ratelimit: values.ratelimit });
  process.stdout.write(renderAb(result));
}

if (import.meta.main) await main();
