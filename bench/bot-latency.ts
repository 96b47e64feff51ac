/**
 * `node bench/bot-latency.ts [--checks 20000] [--stores memory,redis] [--node-defaults] [--back-to-back] [--times FILE]`: what bot
 * scoring adds to one Check, and how many Redis round trips a Check costs. It runs under the authz-server's V8 flags
 * and environment (node-flags.ts; it starts itself again with them), as the server does; `--node-defaults` keeps Node's
 * own. Runs the decision pipeline in process (evaluateRequest, no gRPC, so the numbers are the pipeline's own) over the
 * same varied requests (2000 clients, sessions whose calls name a page in their Referer, bearer tokens, 40 routes) against:
 *
 *   store  x  bot mode Off | Monitor      (both policies have one per-IP rate limit, so "Off" already does one
 *                                          store round trip and the difference is the bot ops inside it)
 *
 * with the in-memory store and a real redis-server (Debian's, started on a free port). Bot "Monitor" scores every
 * request exactly as Enforce does but never answers with a challenge or a denial, so only scoring is measured (the
 * synthetic clients are fast: some would be challenged). The measured time is the Check's decision (evaluateRequest).
 * Both rows then run the decision hooks the server runs whatever the bot mode (bot feed, API discovery) outside the
 * measured time, as the server runs them after the Checks' answers are written (app/after-answers.ts); their CPU is in
 * the CPU per Check, their time in a column of its own, so the difference is what scoring adds to an answer and to the
 * CPU, the feed's learning included. Every 2000 Checks, outside the measured time, the off-path counters are flushed,
 * the population counters synced and the baselines refreshed (the server's timers). Redis round trips come from the
 * server's own INFO commandstats (evalsha + eval calls), per Check; the off-path flushes, refreshes and population
 * syncs are counted apart. Keys per Check: the store keys of the Checks' own batches (rate limits, counter buckets,
 * distinct counts, sequences).
 *
 * Each Check starts in an event-loop turn of its own (a setImmediate between Checks, outside the measured time), as
 * Checks reach the server: each arrives with an I/O event of its socket. V8 then runs most young-generation
 * collections as tasks between Checks, as it does in the server (`--trace-gc`: 88-94 % of the server's scavenges
 * under the bot scenario were tasks), instead of inside whichever Check filled the young generation.
 * `--back-to-back` runs the Checks one after another in one turn, as a burst read from a socket at once would: then
 * every collection lands inside a Check.
 *
 * `--times FILE` writes each measured Check as a line `store bot index µs start`, its start in ms of
 * performance.now(), which is close to the isolate's clock that `--trace-gc` prints: the slow Checks can be matched
 * with the collections and marking phases around them.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import { stringify } from 'yaml';
import { AUTHZ_ENV, AUTHZ_NODE_FLAGS } from '../authz-server/src/app/node-flags.ts';
import { DeferredCounters } from '../authz-server/src/bot/deferred.ts';
import { BaselineBook } from '../authz-server/src/bot/baseline.ts';
import { BotFeed } from '../authz-server/src/bot/feed.ts';
import { ApiInventory } from '../authz-server/src/discovery/inventory.ts';
import { createLogger } from '../lib/process/logging.ts';
import { evaluateRequest, type PipelineDeps } from '../authz-server/src/pipeline/pipeline.ts';
import { toRequestContext, type RequestContext } from '../authz-server/src/pipeline/request.ts';
import { buildRuntime, type Runtime } from '../authz-server/src/pipeline/runtime.ts';
import { compile } from '../lib/policy/compile.ts';
import { parsePolicyText } from '../lib/policy/load.ts';
import type { CounterStore } from '../authz-server/src/store/counter-store.ts';
import { MemoryCounterStore } from '../authz-server/src/store/memory-store.ts';
import { RateLimiter } from '../authz-server/src/pipeline/rate-limiter.ts';
import { RedisCounterStore } from '../authz-server/src/store/redis-store.ts';
import { commandCalls, startRedis } from '../test/support/redis-server.ts';
import { Rng } from './sim-traffic.ts';

function runtimeFor(botMode: 'Off' | 'Monitor'): Runtime {
  const doc = {
    apiVersion: 'palisade.dev/v1alpha1',
    kind: 'ApiProtectionPolicy',
    metadata: { name: 'shop', namespace: 'bench' },
    spec: {
      hosts: ['shop.example.com'],
      rateLimits: [{ name: 'per-ip', key: ['clientIP'], requests: 100_000, period: '1s' }],
      bot: { mode: botMode, denyScore: 80, challengeScore: 50 },
    },
  };
  const { snapshot } = compile(parsePolicyText(stringify(doc, { version: '1.1' }), 'bench.yaml').documents, [], new Date());
  return buildRuntime(snapshot);
}

/** A JWT-sized bearer token of the client's own (about 700 characters). */
function bearerOf(client: number): string {
  return `eyJhbGciOiJSUzI1NiJ9.${`${client}`.padStart(8, '0').repeat(60)}.${'s'.repeat(180)}`;
}

/**
 * The bench's i-th request, the same sequence for every row (drawn from one seeded Rng per row), built just before its
 * Check (outside the measured time), as a server decodes a request off the wire just before it decides on it. Built in
 * chunks of 2000 before 2026-12-07: a chunk's fresh requests filled the young generation at once, and the scavenges
 * that promoted them landed in the next few hundred Checks (their p99 was twice the others'), a cost no server has.
 */
function requestAt(rng: Rng, i: number): RequestContext {
  const client = rng.int(1, 2000);
  const headers: Record<string, string> = {
    ':authority': 'shop.example.com',
    ':method': rng.chance(0.05) ? 'HEAD' : rng.chance(0.1) ? 'POST' : 'GET',
    ':path': `/${['products', 'orders', 'search', 'api/items'][client % 4]}/${rng.int(1, 10)}/${rng.pick(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'])}`,
    'x-request-id': `bench-${i}`,
    'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36',
    accept: 'application/json',
    'accept-language': 'en-GB,en;q=0.9',
  };
  if (rng.chance(0.8)) {
    headers['cookie'] = `session=s${client}-${rng.int(1, 3)}`;
    // A browser's call names the page it came from: the session's first calls read where landers' first calls from
    // that page go (surge-first-call). Chosen by the client, so that the seeded sequence stays that of earlier runs.
    headers['referer'] = `https://shop.example.com/${['products', 'search'][client % 2]}/${client % 10}`;
  }
  // Three clients in ten are signed in with a bearer token of their own (a JWT's length), which credential-spread
  // hashes and counts by network; chosen by the client so that the seeded sequence stays that of earlier runs.
  if (client % 10 < 3) headers['authorization'] = `Bearer ${bearerOf(client)}`;
  return toRequestContext({ attributes: { source: { address: { socket_address: { address: `10.${client >> 8}.${client & 255}.7`, port_value: 40000 } } }, request: { http: { headers } } } });
}

interface Row {
  store: string;
  bot: string;
  p50: number;
  p90: number;
  p99: number;
  mean: number;
  roundTrips: number | null;
  /** Store keys in the Checks' batches, per Check. */
  keys: number;
  offPath: number | null;
  /** Redis CPU per Check (INFO commandstats usec of the Checks' script calls, off-path calls excluded). */
  redisUs: number | null;
  /** Measured Checks the bot verdict flagged (the synthetic clients are fast: some are). */
  flagged: number;
  /** Mean time of the decision hooks (after the answer, outside the measured time), µs. */
  hooksMean: number;
  /** This process's CPU time (user + system) per measured Check, off-path work excluded: less load-sensitive. */
  cpuUs: number;
}

/** `--times`: the file asked for and its lines. */
let timeLog: { file: string; lines: string[] } | null = null;

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

async function measure(
  storeName: string,
  store: CounterStore,
  botMode: 'Off' | 'Monitor',
  checks: number,
  calls: (() => Promise<number>) | null,
  usecPerCall: (() => Promise<number>) | null = null,
  backToBack = false,
): Promise<Row> {
  const runtime = runtimeFor(botMode);
  let keys = 0;
  let counting = false;
  const evaluate = store.evaluate.bind(store);
  store.evaluate = (batch) => {
    if (counting) keys += batch.rateLimits.length + batch.counters.reduce((s, c) => s + (c.buckets ?? c.keys.length), 0) + batch.distinct.length + (batch.sequences?.length ?? 0);
    return evaluate(batch);
  };
  const botBaselines = new BaselineBook({ store, clock: Date.now, policies: () => [...runtime.policies.keys()], refreshIntervalMs: 0 });
  const deps: PipelineDeps = { limiter: new RateLimiter({ store, fallback: new MemoryCounterStore() }), clock: Date.now, botBaselines };
  const deferred = new DeferredCounters({ store, flushIntervalMs: 0 });
  botBaselines.pending = (counter, parts, bucket) => deferred.pendingOf(counter, parts, bucket);
  const feed = new BotFeed({ deferred, clock: Date.now, runtime: () => runtime, routes: botBaselines.routes, unanswered: botBaselines.unanswered, attackedForms: botBaselines.attackedForms, probes: botBaselines.probes, fileClaims: botBaselines.fileClaims, navigationClaims: botBaselines.navigationClaims });
  const inventory = new ApiInventory({ deferred, store, clock: Date.now, runtime: () => runtime, registry: new Registry() });
  const warm = Math.min(2000, checks / 5);
  const times: number[] = [];
  let hooksTotal = 0;
  let before = 0;
  let offPathCalls = 0;
  let offPathUsec = 0;
  let usecBefore = 0;
  let cpuBefore = 0;
  let offPathCpu = 0;
  const cpu = () => {
    const u = process.cpuUsage();
    return u.user + u.system;
  };
  let flagged = 0;
  const rng = new Rng(42);
  for (let i = 0; i < checks; i++) {
    // Built outside the measured time and CPU, like the off-path work below.
    const cpu0 = i >= warm ? cpu() : 0;
    const req = requestAt(rng, i);
    if (i >= warm) offPathCpu += cpu() - cpu0;
    if (i === warm && calls) before = await calls();
    if (i === warm && usecPerCall) usecBefore = await usecPerCall();
    if (i === warm) cpuBefore = cpu();
    counting = i >= warm;
    const t0 = performance.now();
    const outcome = await evaluateRequest(runtime, req, deps);
    const t1 = performance.now();
    // The server runs both hooks on every Check whatever the bot mode (the feed remembers allowed Checks for the
    // access log even with bot scoring Off; API discovery is no part of bot scoring), after the answer.
    feed.onDecision(req, outcome);
    inventory.onDecision(req, outcome);
    if (i >= warm) {
      times.push((t1 - t0) * 1000);
      timeLog?.lines.push(`${storeName} ${botMode} ${i} ${((t1 - t0) * 1000).toFixed(1)} ${t0.toFixed(2)}`);
      hooksTotal += (performance.now() - t1) * 1000;
    }
    if (outcome.kind !== 'allow' && outcome.denial.reason !== 'bot') throw new Error(`unexpected ${outcome.kind}: ${outcome.denial.reason} ${outcome.denial.detail}`);
    if (i >= warm && outcome.bot && outcome.bot.verdict !== 'allow') flagged++;
    if (!backToBack) await new Promise<void>((resolve) => setImmediate(resolve));
    // The server flushes the off-path counters, syncs the population counters and refreshes the baselines on its
    // timers, off the Check path;
    // here every 2000 Checks, outside the measured time (their store calls are not counted as the Checks').
    if (i % 2000 === 1999) {
      counting = false;
      const cpu0 = cpu();
      const c0 = calls ? await calls() : 0;
      const u0 = usecPerCall ? await usecPerCall() : 0;
      await deferred.flush();
      await botBaselines.refresh(true);
      // Only the windows inside the measured Checks are taken out of their counts.
      if (calls && i >= warm) offPathCalls += (await calls()) - c0;
      if (usecPerCall && i >= warm) offPathUsec += (await usecPerCall()) - u0;
      if (i >= warm) offPathCpu += cpu() - cpu0;
    }
  }
  counting = false;
  const cpuUs = (cpu() - cpuBefore - offPathCpu) / (checks - warm);
  const afterChecks = calls ? await calls() : 0;
  const redisUs = usecPerCall ? ((await usecPerCall()) - usecBefore - offPathUsec) / (checks - warm) : null;
  await deferred.flush();
  const afterFlush = calls ? await calls() : 0;
  deferred.close();
  botBaselines.close();
  await deps.limiter.close();
  times.sort((a, b) => a - b);
  const measured = checks - warm;
  return {
    store: storeName,
    bot: botMode,
    p50: pct(times, 50),
    p90: pct(times, 90),
    p99: pct(times, 99),
    mean: times.reduce((s, x) => s + x, 0) / times.length,
    hooksMean: hooksTotal / times.length,
    roundTrips: calls ? (afterChecks - before - offPathCalls) / measured : null,
    keys: keys / measured,
    offPath: calls ? offPathCalls + afterFlush - afterChecks : null,
    flagged,
    redisUs,
    cpuUs,
  };
}

/** Whether this process runs with the authz-server's V8 flags (AUTHZ_NODE_FLAGS), as the server does. */
function hasServerFlags(): boolean {
  return AUTHZ_NODE_FLAGS.every((f) => process.execArgv.includes(f));
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { checks: { type: 'string', default: '20000' }, stores: { type: 'string', default: 'memory,redis' }, 'node-defaults': { type: 'boolean', default: false }, 'back-to-back': { type: 'boolean', default: false }, times: { type: 'string' } } });
  if (values.times) timeLog = { file: values.times, lines: [] };
  const backToBack = values['back-to-back'];
  if (!values['node-defaults'] && !hasServerFlags()) {
    // Measured as the server runs: its young generation and heap growth set how often a Check meets a collection.
    const r = spawnSync(process.execPath, [...AUTHZ_NODE_FLAGS, ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit', env: { ...process.env, ...AUTHZ_ENV } });
    process.exit(r.status ?? 1);
  }
  const checks = Number(values.checks);
  const stores = values.stores.split(',');
  const rows: Row[] = [];
  if (stores.includes('memory')) for (const mode of ['Off', 'Monitor'] as const) rows.push(await measure('memory', new MemoryCounterStore(), mode, checks, null, null, backToBack));
  if (!stores.includes('redis')) return report(checks, rows, backToBack);

  const redis = await startRedis();
  const logger = createLogger('warn', 'bench', new Writable({ write: (_c, _e, cb) => cb() }));
  try {
    for (const mode of ['Off', 'Monitor'] as const) {
      const store = new RedisCounterStore({ url: redis.url, timeoutMs: 1000, logger, registry: new Registry() });
      const calls = async () => {
        const c = commandCalls(await redis.info('commandstats'));
        return (c['evalsha'] ?? 0) + (c['eval'] ?? 0);
      };
      await redis.command('CONFIG', 'RESETSTAT');
      // Total Redis CPU of script calls (evalsha + eval), µs.
      const usec = async () => {
        const info = await redis.info('commandstats');
        const total = (cmd: string) => Number(new RegExp(`^cmdstat_${cmd}:.*?usec=(\\d+)`, 'm').exec(info)?.[1] ?? 0);
        return total('evalsha') + total('eval');
      };
      rows.push(await measure('redis', store, mode, checks, calls, usec, backToBack));
      await store.close();
    }
  } finally {
    await redis.stop();
  }
  report(checks, rows, backToBack);
}

function report(checks: number, rows: Row[], backToBack: boolean): void {
  if (timeLog) writeFileSync(timeLog.file, `${timeLog.lines.join('\n')}\n`);
  const f = (n: number) => n.toFixed(0);
  const lines = [
    '| store | bot | p50 µs | p90 µs | p99 µs | mean µs | hooks after the answer, mean µs | CPU µs per Check | store keys per Check | Redis round trips per Check | Redis CPU per Check µs | off-path calls (measured part) |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.store} | ${r.bot} | ${f(r.p50)} | ${f(r.p90)} | ${f(r.p99)} | ${f(r.mean)} | ${f(r.hooksMean)} | ${f(r.cpuUs)} | ${r.keys.toFixed(1)} | ${r.roundTrips === null ? '-' : r.roundTrips.toFixed(3)} | ${r.redisUs === null ? '-' : r.redisUs.toFixed(1)} | ${r.offPath ?? '-'} |`,
    ),
  ];
  const byStore = (s: string) => rows.filter((r) => r.store === s);
  const added = (s: string) => {
    const [off, on] = byStore(s);
    const d = (x: number) => (x >= 0 ? `+${f(x)}` : f(x));
    return off && on ? `p50 ${d(on.p50 - off.p50)} µs, p99 ${d(on.p99 - off.p99)} µs, mean ${d(on.mean - off.mean)} µs` : '-';
  };
  process.stdout.write(
    `\nDecision time per Check (evaluateRequest, the decision hooks after it timed apart; in process, ${checks} Checks, sequential, ${backToBack ? 'back to back in one event-loop turn' : 'each in an event-loop turn of its own'}), Node ${process.version}, ${hasServerFlags() ? `the server's V8 flags (${AUTHZ_NODE_FLAGS.join(' ')})` : "Node's default V8 flags (--node-defaults)"}\n\n${lines.join('\n')}\n\n` +
      `added by bot scoring: memory ${added('memory')}; redis ${added('redis')}\n`,
  );
}

if (import.meta.main) await main();
