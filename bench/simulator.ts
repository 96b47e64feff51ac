/**
 * Bot-detection traffic simulator: runs the bot detectors against the traffic models of sim-traffic.ts (people
 * and one attack or campaign per scenario, parameters drawn per seed) on the in-memory store or a real
 * redis-server, and reports per scenario: request recall after the first minute of the attack, client recall,
 * time to first flag, precision, and people's false positives. Time is simulated: the clock jumps from request
 * to request, so an hour of traffic takes seconds. Envoy's access log is fed every simulated second (Envoy's
 * default flush interval), then the off-path counters are flushed and the baselines refreshed when due, as the
 * server's timers would.
 *
 * A request counts as flagged when the verdict is not `allow` (challenge, or a bot deny).
 *
 *   npm run simulate                                       # every scenario, seeds 1-10, memory store
 *   npm run simulate -- --seeds 1-3 --scenario crawler --store redis --verbose
 *   npm run simulate -- --seeds 21-30 --variant exact-mimicry,slow-crowds   # traffic variants nothing was tuned on
 *   npm run simulate -- --warmup-min 0                     # no people-only history before the attack (default 30)
 *   npm run simulate -- --model b                          # the second traffic model (sim-traffic-b.ts)
 *   npm run simulate -- --model c                          # the third (sim-traffic-c.ts)
 *   npm run simulate -- --model d                          # the fourth (sim-traffic-d.ts)
 *   npm run simulate -- --model e                          # the fifth (sim-traffic-e.ts)
 *
 * With --verbose, each person's flagged request and (with SIM_ALL_FN=1) each bot request let through is printed with
 * its signals (SIM_DETAILS=1: their explanations); SIM_TRACE_ACTOR=<actor> prints every decision on one actor's
 * requests, the people-only warm-up included, and SIM_TRACE_PATH=<prefix> every decision on the paths it begins.
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import { stringify } from 'yaml';
import * as grpc from '@grpc/grpc-js';
import { BaselineBook, type Baselines } from '../authz-server/src/bot/baseline.ts';
import { DeferredCounters } from '../authz-server/src/bot/deferred.ts';
import { BotFeed } from '../authz-server/src/bot/feed.ts';
import type { HttpAccessLogEntry } from '../authz-server/src/bot/access-log.ts';
import { envoyServices, type CheckResponse } from '../authz-server/src/envoy/protos.ts';
import { JOURNEY_KNOBS, JourneyModel } from '../authz-server/src/journeys/journeys.ts';
import { createLogger } from '../lib/process/logging.ts';
import type { BotAssessment } from '../authz-server/src/pipeline/outcome.ts';
import { evaluateRequest, type PipelineDeps } from '../authz-server/src/pipeline/pipeline.ts';
import { RateLimiter } from '../authz-server/src/pipeline/rate-limiter.ts';
import { toRequestContext } from '../authz-server/src/pipeline/request.ts';
import { buildRuntime } from '../authz-server/src/pipeline/runtime.ts';
import { compile } from '../lib/policy/compile.ts';
import { parsePolicyText } from '../lib/policy/load.ts';
import type { CounterStore } from '../authz-server/src/store/counter-store.ts';
import { MemoryCounterStore } from '../authz-server/src/store/memory-store.ts';
import { RedisCounterStore } from '../authz-server/src/store/redis-store.ts';
import { accessLogEntry } from '../test/support/access-log.ts';
import { authzClient, envoyRequest } from '../test/support/envoy.ts';
import { sha256, startTestServer, writePolicyDir } from '../test/support/policies.ts';
import { startRedis, type RedisServerHandle } from '../test/support/redis-server.ts';
import { SESSION_COOKIE_B, SITE_ORIGIN_B, generateScenarioB } from './sim-traffic-b.ts';
import { SESSION_COOKIE_C, SITE_ORIGIN_C, generateScenarioC } from './sim-traffic-c.ts';
import { SESSION_COOKIE_D, SITE_ORIGIN_D, generateScenarioD } from './sim-traffic-d.ts';
import { SESSION_COOKIE_E, SITE_ORIGIN_E, generateScenarioE } from './sim-traffic-e.ts';
import { APP_KEY, HOST, MIN, PARTNER_KEY, SCENARIOS, TRAFFIC_VARIANTS, generateScenario, type ScenarioName, type SimEvent, type TrafficVariant } from './sim-traffic.ts';

export { SCENARIOS, type ScenarioName } from './sim-traffic.ts';

/**
 * The traffic models besides the first (sim-traffic.ts), each written by someone who had read neither the detectors
 * nor the other models: its generator, and the session cookie its site sets (which the simulated policy names, as an
 * operator would).
 */
const MODELS = {
  b: { generate: generateScenarioB, cookie: SESSION_COOKIE_B, origin: SITE_ORIGIN_B },
  c: { generate: generateScenarioC, cookie: SESSION_COOKIE_C, origin: SITE_ORIGIN_C },
  d: { generate: generateScenarioD, cookie: SESSION_COOKIE_D, origin: SITE_ORIGIN_D },
  e: { generate: generateScenarioE, cookie: SESSION_COOKIE_E, origin: SITE_ORIGIN_E },
} as const;

/**
 * A model's events with its site's own origin in their Referer and Origin headers made the simulated host's: every
 * model's site is served as HOST, and a page's own requests name the host they are sent to.
 */
function servedAsHost(events: SimEvent[], origin: string): SimEvent[] {
  const own = (v: string | undefined) => v !== undefined && (v === origin || v.startsWith(`${origin}/`));
  const ours = `https://${HOST}`;
  return events.map((e) => {
    const referer = e.headers['referer'];
    const from = e.headers['origin'];
    if (!own(referer) && !own(from)) return e;
    const headers = { ...e.headers };
    if (own(referer)) headers['referer'] = ours + referer!.slice(origin.length);
    if (own(from)) headers['origin'] = ours + from!.slice(origin.length);
    return { ...e, headers };
  });
}
/** `a` is sim-traffic.ts, the default; the others are MODELS. */
export type TrafficModel = 'a' | keyof typeof MODELS;

const START = Date.parse('2026-03-02T08:00:00Z');

/** The policy the simulation runs against: a public shop with a mobile-app key and a partner key. */
export function simulationPolicy(sessionCookie?: string): Record<string, unknown> {
  return {
    apiVersion: 'palisade.dev/v1alpha1',
    kind: 'ApiProtectionPolicy',
    metadata: { name: 'shop', namespace: 'sim' },
    spec: {
      hosts: [HOST],
      authentication: {
        required: false,
        apiKeys: { keys: [{ consumer: 'mobile-app', sha256: sha256(APP_KEY) }, { consumer: 'partner-acme', sha256: sha256(PARTNER_KEY) }] },
      },
      bot: { mode: 'Enforce', denyScore: 80, challengeScore: 50, ...(sessionCookie ? { sessionCookie } : {}) },
    },
  };
}

/** What one run measured. */
export interface ScenarioResult {
  scenario: ScenarioName;
  seed: number;
  store: string;
  params: Record<string, string | number | boolean>;
  requests: number;
  botRequests: number;
  botFlagged: number;
  /** Bot requests (flagged) from one minute after the attack started (a quarter of its length when shorter than 4 minutes). */
  botAfterMinute: number;
  botFlaggedAfterMinute: number;
  botClients: number;
  botClientsFlagged: number;
  /** Seconds from the attack's first request to its first flagged one (null: never flagged). */
  firstFlagSeconds: number | null;
  /** People (and campaign visitors) in the measured window. */
  peopleRequests: number;
  peopleFlagged: number;
  people: number;
  peopleWithFlag: number;
  campaignRequests: number;
  campaignFlagged: number;
  /** flagged bot / all flagged. */
  precision: number;
  requestRecall: number;
  clientRecall: number;
  peopleFpRate: number;
  peopleFlaggedShare: number;
  campaignFpRate: number;
  tpSignals: Record<string, number>;
  fpSignals: Record<string, number>;
  wallMs: number;
}

interface Verdict {
  flagged: boolean;
  allowed: boolean;
  signals: string[];
  /** The fired signals' explanations. */
  details: string[];
}

/** Runs the decision on one simulated request; `tick` delivers the access log of the last second. */
interface Harness {
  check(e: SimEvent, requestId: string): Promise<Verdict>;
  /** One simulated second has passed: the access log of that second, then the server's timers. */
  tick(entries: HttpAccessLogEntry[], nowMs: number): Promise<void>;
  /** What the detectors learned about the simulated policy so far (in-process harness only). */
  learned?(): Baselines;
  close(): Promise<void>;
}

function verdictOf(bot: BotAssessment | null | undefined, allowed: boolean): Verdict {
  const fired = (bot?.signals ?? []).filter((s) => s.score > 0);
  return {
    flagged: !allowed || (bot?.verdict ?? 'allow') !== 'allow',
    allowed,
    signals: fired.map((s) => `${s.name}+${s.score}`),
    details: fired.map((s) => `${s.name}: ${s.detail}`),
  };
}

/** The journey model's refresh timer (every JOURNEY_KNOBS.refreshMs), on the simulated clock. */
function journeysDue(nowMs: number): boolean {
  return nowMs % JOURNEY_KNOBS.refreshMs < 1000;
}

function requestOf(e: SimEvent, requestId: string) {
  return envoyRequest({ host: HOST, method: e.method, path: e.path, sourceIp: e.ip, headers: withoutDefaults(e.headers), requestId });
}

/**
 * The real authz-server in process on loopback: Envoy-shaped Checks over gRPC, Envoy's access log over its gRPC
 * stream, the decision log read back for the signals.
 */
async function serverHarness(store: CounterStore, clock: () => number, sessionCookie?: string): Promise<Harness> {
  const dir = await writePolicyDir([simulationPolicy(sessionCookie)]);
  const bots = new Map<string, BotAssessment | null>();
  let partial = '';
  const decisions = new Writable({
    write(chunk, _e, cb) {
      const lines = (partial + String(chunk)).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.includes('"msg":"decision"')) continue;
        const d = JSON.parse(line) as { requestId: string; bot?: BotAssessment };
        bots.set(d.requestId, d.bot ?? null);
      }
      cb();
    },
  });
  let received = 0;
  const server = await startTestServer(['--policies', dir.dir, '--decision-log', 'all'], createLogger('info', 'palisade-sim', decisions), {
    store,
    clock,
    deferredFlushMs: 0,
    onAccessLog: () => {
      received++;
    },
  });
  const client = authzClient(server.checkPort ?? server.grpcPort);
  const { accessLog } = envoyServices();
  const alsClient = new accessLog(`127.0.0.1:${server.grpcPort}`, grpc.credentials.createInsecure());
  const stream = (alsClient as unknown as { StreamAccessLogs(cb: (err: grpc.ServiceError | null) => void): grpc.ClientWritableStream<unknown> }).StreamAccessLogs(() => {});
  let sent = 0;
  return {
    async check(e, requestId) {
      const res: CheckResponse = await client.check(requestOf(e, requestId));
      // The line is decided with the answer, and held back briefly (batched): hand it over now.
      server.flushDecisionLog();
      const bot = bots.get(requestId);
      bots.delete(requestId);
      return verdictOf(bot, res.status.code === 0);
    },
    async tick(entries, nowMs) {
      if (entries.length > 0) {
        stream.write({ ...(sent === 0 ? { identifier: { node: { id: 'sim-gateway' }, log_name: 'palisade' } } : {}), http_logs: { log_entry: entries } });
        sent++;
        while (received < sent) await new Promise((r) => setImmediate(r));
      }
      await server.flushDeferred();
      if (journeysDue(nowMs)) await server.journeys.refreshAll();
    },
    async close() {
      stream.end();
      alsClient.close();
      client.close();
      await server.stop();
      await dir.cleanup();
    },
  };
}

/** The real decision pipeline in process (no gRPC), wired like the server: quicker, for tuning. */
function pipelineHarness(store: CounterStore, clock: () => number, sessionCookie?: string, accessLog = true): Harness {
  const { snapshot } = compile(parsePolicyText(stringify(simulationPolicy(sessionCookie)), 'sim.yaml').documents, [], new Date(START));
  const runtime = buildRuntime(snapshot);
  const deferred = new DeferredCounters({ store, flushIntervalMs: 0 });
  const botBaselines = new BaselineBook({ store, clock, policies: () => [...runtime.policies.keys()], refreshIntervalMs: 0 });
  // Checks are remembered for their access-log entries while those arrive (the server: AccessLogPresence).
  const feed = new BotFeed({ deferred, clock, runtime: () => runtime, routes: botBaselines.routes, unanswered: botBaselines.unanswered, attackedForms: botBaselines.attackedForms, probes: botBaselines.probes, fileClaims: botBaselines.fileClaims, navigationClaims: botBaselines.navigationClaims, remembering: () => accessLog });
  // As the server wires it: a Check reads this replica's counts not yet written.
  botBaselines.pending = (counter, parts, bucket) => deferred.pendingOf(counter, parts, bucket);
  const limiter = new RateLimiter({ store, fallback: new MemoryCounterStore({ sweepIntervalMs: 0 }) });
  const journeys = new JourneyModel({ store, deferred, clock, runtime: () => runtime, refreshIntervalMs: 0 });
  const deps: PipelineDeps = { limiter, clock, botBaselines, journeys };
  return {
    async check(e, requestId) {
      const req = toRequestContext(requestOf(e, requestId));
      const outcome = await evaluateRequest(runtime, req, deps);
      feed.onDecision(req, outcome);
      journeys.onDecision(outcome);
      return verdictOf(outcome.bot, outcome.kind === 'allow');
    },
    async tick(entries, nowMs) {
      if (entries.length > 0) feed.ingest({ http_logs: { log_entry: entries } });
      await deferred.flush();
      await botBaselines.refresh();
      if (journeysDue(nowMs)) await journeys.refreshAll();
    },
    learned: () => botBaselines.get('sim/shop'),
    async close() {
      deferred.close();
      botBaselines.close();
      journeys.close();
      await limiter.close();
    },
  };
}

/** envoyRequest fills in browser defaults; a simulated client sends exactly its own headers. */
function withoutDefaults(h: Record<string, string>): Record<string, string> {
  return { 'user-agent': '', accept: '', 'accept-language': '', ...h };
}

function bump(m: Record<string, number>, k: string): void {
  m[k] = (m[k] ?? 0) + 1;
}

export interface RunOptions {
  store?: 'memory' | 'redis';
  /** A running redis-server for store 'redis' (flushed before the run). */
  redis?: RedisServerHandle;
  verbose?: boolean;
  /** The pipeline in process instead of the server over gRPC (same decisions, quicker). */
  inProcess?: boolean;
  measuredMs?: number;
  warmupMs?: number;
  /** Traffic variants (sim-traffic.ts TRAFFIC_VARIANTS). */
  variants?: readonly TrafficVariant[];
  /** The traffic model: `a` (sim-traffic.ts, the default), `b` (sim-traffic-b.ts), `c` (sim-traffic-c.ts), `d` (sim-traffic-d.ts) or `e` (sim-traffic-e.ts). */
  model?: TrafficModel;
  /** Model b, c or d with the policy's default session cookie name (`session`), as a policy that does not name the site's. */
  defaultCookie?: boolean;
}

/** Runs one scenario for one seed on a fresh store; never sleeps. */
/** The content type the simulated site's upstream answers a path with: its API serves JSON, the rest pages. */
function servedType(path: string): string {
  return path.startsWith('/api/') ? 'application/json' : 'text/html; charset=utf-8';
}

export async function runScenario(name: ScenarioName, seed: number, opts: RunOptions = {}): Promise<ScenarioResult> {
  const other = opts.model === undefined || opts.model === 'a' ? null : MODELS[opts.model];
  const span = { measuredMs: opts.measuredMs, warmupMs: opts.warmupMs };
  const generated = other ? other.generate(name, seed, span) : generateScenario(name, seed, { ...span, variants: opts.variants });
  const sc = other ? { ...generated, events: servedAsHost(generated.events, other.origin) } : generated;
  // The gateway logs the response's content type (additional_response_headers_to_log), as the README configures it.
  const typed = !(opts.variants ?? []).includes('untyped-responses');
  const logged = !(opts.variants ?? []).includes('no-access-log');
  let now = START;
  const clock = () => now;
  let store: CounterStore;
  if (opts.store === 'redis') {
    if (!opts.redis) throw new Error('store redis needs a running redis-server');
    await opts.redis.command('FLUSHALL');
    const logger = createLogger('warn', 'sim', new Writable({ write: (_c, _e, cb) => cb() }));
    store = new RedisCounterStore({ url: opts.redis.url, timeoutMs: 2000, logger, registry: new Registry() });
  } else store = new MemoryCounterStore({ clock, sweepIntervalMs: 0, maxKeys: 5_000_000 });
  const cookie = opts.defaultCookie || !other ? undefined : other.cookie;
  const harness = opts.inProcess ? pipelineHarness(store, clock, cookie, logged) : await serverHarness(store, clock, cookie);

  const r: ScenarioResult = {
    scenario: name,
    seed,
    store: opts.store ?? 'memory',
    params: sc.params,
    requests: 0,
    botRequests: 0,
    botFlagged: 0,
    botAfterMinute: 0,
    botFlaggedAfterMinute: 0,
    botClients: 0,
    botClientsFlagged: 0,
    firstFlagSeconds: null,
    peopleRequests: 0,
    peopleFlagged: 0,
    people: 0,
    peopleWithFlag: 0,
    campaignRequests: 0,
    campaignFlagged: 0,
    precision: 1,
    requestRecall: 1,
    clientRecall: 1,
    peopleFpRate: 0,
    peopleFlaggedShare: 0,
    campaignFpRate: 0,
    tpSignals: {},
    fpSignals: {},
    wallMs: 0,
  };
  const botClients = new Map<string, boolean>();
  const persons = new Map<string, boolean>();
  let firstBotAt: number | null = null;
  // Recall counts from the attack's first minute on (from its first quarter for an attack shorter than 4 minutes).
  const grace = sc.attackStartMs !== null && sc.attackEndMs !== null ? Math.min(MIN, (sc.attackEndMs - sc.attackStartMs) / 4) : MIN;
  let pending: HttpAccessLogEntry[] = [];
  const started = performance.now();
  let tick = START;
  try {
    for (const [i, e] of sc.events.entries()) {
      const at = START + e.at;
      while (at >= tick + 1000) {
        tick += 1000;
        now = tick;
        await harness.tick(pending, now);
        pending = [];
      }
      now = at;
      const requestId = `sim-${seed}-${i}`;
      const v = await harness.check(e, requestId);
      if (logged) pending.push(accessLogEntry({ host: HOST, method: e.method, path: e.path, code: v.allowed ? e.code : 403, requestId, sourceIp: e.ip, extAuthzDenied: !v.allowed, ...(v.allowed && typed ? { responseHeaders: { 'content-type': e.contentType ?? servedType(e.path) } } : {}) }));
      if (process.env['SIM_TRACE_ACTOR'] === e.actor || (process.env['SIM_TRACE_PATH'] !== undefined && e.path.startsWith(process.env['SIM_TRACE_PATH']))) process.stderr.write(`T ${e.actor} ${e.method} ${e.path} ${e.ip} ${e.code} @${Math.round((e.at - sc.warmupMs) / 1000)}s ${v.flagged ? 'FLAG' : 'ok'} ${v.signals.join(',')}\n${process.env['SIM_DETAILS'] ? `    ${v.details.join('\n    ')}\n` : ''}`);
      if (e.at < sc.warmupMs) continue;
      r.requests++;
      if (e.kind === 'bot') {
        r.botRequests++;
        firstBotAt ??= e.at;
        const afterMinute = sc.attackStartMs !== null && e.at >= sc.attackStartMs + grace;
        if (afterMinute) r.botAfterMinute++;
        if (afterMinute && !botClients.has(e.actor)) botClients.set(e.actor, false);
        if (v.flagged) {
          r.botFlagged++;
          if (afterMinute) r.botFlaggedAfterMinute++;
          if (r.firstFlagSeconds === null) r.firstFlagSeconds = (e.at - firstBotAt) / 1000;
          if (botClients.has(e.actor) || afterMinute) botClients.set(e.actor, true);
          for (const s of v.signals) bump(r.tpSignals, s.replace(/\+\d+$/, ''));
        } else if (opts.verbose && (process.env["SIM_ALL_FN"] || r.botRequests % 200 === 0)) process.stderr.write(`FN ${e.actor} ${e.method} ${e.path} ${e.ip} @${Math.round((e.at - sc.warmupMs) / 1000)}s ${v.signals.join(',')}\n${process.env['SIM_DETAILS'] ? `    ${v.details.join('\n    ')}\n` : ''}`);
      } else {
        r.peopleRequests++;
        if (e.kind === 'campaign') r.campaignRequests++;
        if (!persons.has(e.actor)) persons.set(e.actor, false);
        if (v.flagged) {
          r.peopleFlagged++;
          if (e.kind === 'campaign') r.campaignFlagged++;
          persons.set(e.actor, true);
          for (const s of v.signals) bump(r.fpSignals, s.replace(/\+\d+$/, ''));
          if (opts.verbose) process.stderr.write(`FP ${e.actor} ${e.method} ${e.path} ${e.ip} @${Math.round((e.at - sc.warmupMs) / 1000)}s ${v.signals.join(',')}\n${process.env['SIM_DETAILS'] ? `    ${v.details.join('\n    ')}\n` : ''}`);
        }
      }
    }
    if (opts.verbose && harness.learned) {
      const b = harness.learned();
      const t = Object.entries(b.volume).map(([k, v]) => `${k} ${v.value.toFixed(1)} (q ${v.quantile.toFixed(1)})`);
      process.stderr.write(`  learned: ${t.join(', ')}; return ${b.returnRatio.toFixed(2)} new-session ${b.newSessionShare.toFixed(3)} head ${b.headShare.toFixed(3)} errors ${b.errorRate.toFixed(3)}\n`);
    }
  } finally {
    await harness.close();
    await store.close();
  }
  r.wallMs = Math.round(performance.now() - started);
  r.botClients = botClients.size;
  r.botClientsFlagged = [...botClients.values()].filter(Boolean).length;
  r.people = persons.size;
  r.peopleWithFlag = [...persons.values()].filter(Boolean).length;
  const flagged = r.botFlagged + r.peopleFlagged;
  r.precision = flagged === 0 ? 1 : r.botFlagged / flagged;
  r.requestRecall = r.botAfterMinute === 0 ? 1 : r.botFlaggedAfterMinute / r.botAfterMinute;
  r.clientRecall = r.botClients === 0 ? 1 : r.botClientsFlagged / r.botClients;
  r.peopleFpRate = r.peopleRequests === 0 ? 0 : r.peopleFlagged / r.peopleRequests;
  r.peopleFlaggedShare = r.people === 0 ? 0 : r.peopleWithFlag / r.people;
  r.campaignFpRate = r.campaignRequests === 0 ? 0 : r.campaignFlagged / r.campaignRequests;
  return r;
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const pct2 = (x: number) => `${(x * 100).toFixed(2)}%`;

/** Mean and worst of a metric over seeds ("worst" is the minimum for recalls, the maximum for FP rates). */
function meanWorst(rs: ScenarioResult[], f: (r: ScenarioResult) => number | null, worst: 'min' | 'max', fmt: (x: number) => string): string {
  const xs = rs.map(f).filter((x): x is number => x !== null);
  if (xs.length === 0) return '-';
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  const w = worst === 'min' ? Math.min(...xs) : Math.max(...xs);
  return `${fmt(mean)} / ${fmt(w)}`;
}

/** Markdown table: per scenario (and store), mean / worst over the seeds. */
export function renderTable(results: ScenarioResult[]): string {
  const lines = [
    '| scenario | store | seeds | request recall after 1st min | client recall | first flag (s) | precision | people FP (requests) | people flagged | campaign FP | top signals on bots |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  const groups = new Map<string, ScenarioResult[]>();
  for (const r of results) {
    const k = `${r.scenario}\u0000${r.store}`;
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  for (const rs of groups.values()) {
    const r0 = rs[0]!;
    const attack = r0.scenario !== 'people' && r0.scenario !== 'campaign';
    const signals: Record<string, number> = {};
    for (const r of rs) for (const [k, v] of Object.entries(r.tpSignals)) signals[k] = (signals[k] ?? 0) + v;
    const top = Object.entries(signals)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 4)
      .map(([k]) => k)
      .join(', ');
    lines.push(
      `| ${r0.scenario} | ${r0.store} | ${rs.length} | ${attack ? meanWorst(rs, (r) => r.requestRecall, 'min', pct) : '-'} | ${attack ? meanWorst(rs, (r) => r.clientRecall, 'min', pct) : '-'} | ${attack ? meanWorst(rs, (r) => r.firstFlagSeconds ?? Infinity, 'max', (x) => (Number.isFinite(x) ? x.toFixed(1) : 'never')) : '-'} | ${attack ? meanWorst(rs, (r) => r.precision, 'min', pct) : '-'} | ${meanWorst(rs, (r) => r.peopleFpRate, 'max', pct2)} | ${meanWorst(rs, (r) => r.peopleFlaggedShare, 'max', pct2)} | ${r0.scenario === 'campaign' ? meanWorst(rs, (r) => r.campaignFpRate, 'max', pct2) : '-'} | ${attack ? top : '-'} |`,
    );
  }
  return lines.join('\n');
}

function seedList(spec: string): number[] {
  const out: number[] = [];
  for (const part of spec.split(',')) {
    const [a, b] = part.split('-').map(Number);
    if (!Number.isInteger(a)) throw new Error(`bad --seeds ${spec}`);
    for (let s = a!; s <= (b ?? a!); s++) out.push(s);
  }
  return out;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      seeds: { type: 'string', default: '1-10' },
      scenario: { type: 'string' },
      store: { type: 'string', default: 'memory' },
      verbose: { type: 'boolean', default: false },
      'in-process': { type: 'boolean', default: false },
      json: { type: 'string' },
      variant: { type: 'string' },
      'warmup-min': { type: 'string' },
      model: { type: 'string', default: 'a' },
      'default-cookie': { type: 'boolean', default: false },
    },
  });
  const warmupMs = values['warmup-min'] === undefined ? undefined : Number(values['warmup-min']) * 60_000;
  if (warmupMs !== undefined && !(warmupMs >= 0)) throw new Error(`bad --warmup-min ${values['warmup-min']}`);
  const variants = (values.variant ?? '').split(',').filter((v) => v !== '') as TrafficVariant[];
  const model = values.model as TrafficModel;
  if (model !== 'a' && !Object.hasOwn(MODELS, model)) throw new Error(`--model is a or one of ${Object.keys(MODELS).join(', ')}, got ${values.model}`);
  if (model !== 'a' && variants.length > 0) throw new Error('--variant applies to model a only');
  for (const v of variants) if (!TRAFFIC_VARIANTS.includes(v)) throw new Error(`unknown --variant ${v} (one of ${TRAFFIC_VARIANTS.join(', ')})`);
  const seeds = seedList(values.seeds!);
  const stores = values.store === 'both' ? (['memory', 'redis'] as const) : values.store === 'redis' ? (['redis'] as const) : (['memory'] as const);
  const selected = SCENARIOS.filter((s) => !values.scenario || values.scenario.split(',').some((x) => s === x || s.includes(x)));
  if (selected.length === 0) throw new Error(`no scenario matches ${values.scenario}`);
  const redis = stores.includes('redis' as never) ? await startRedis() : undefined;
  const results: ScenarioResult[] = [];
  try {
    for (const store of stores) {
      for (const s of selected) {
        for (const seed of seeds) {
          const r = await runScenario(s, seed, { store, redis, verbose: values.verbose, inProcess: values['in-process'], variants, warmupMs, model, defaultCookie: values['default-cookie'] });
          results.push(r);
          // Written after every run: a long run that stops half-way keeps what it measured.
          if (values.json) await writeFile(values.json, JSON.stringify(results, null, 1));
          process.stderr.write(
            `${s} ${store} seed ${seed}: recall ${pct(r.requestRecall)} clients ${pct(r.clientRecall)} first ${r.firstFlagSeconds ?? '-'}s precision ${pct(r.precision)} people FP ${pct2(r.peopleFpRate)} (${r.peopleWithFlag}/${r.people}) campaign ${pct2(r.campaignFpRate)} | ${r.requests} checks in ${r.wallMs} ms ${JSON.stringify(r.params)}\n`,
          );
          if (values.verbose && r.peopleFlagged > 0) process.stderr.write(`  FP signals: ${JSON.stringify(r.fpSignals)}\n`);
          if (values.verbose && r.botRequests > 0) process.stderr.write(`  TP signals: ${JSON.stringify(r.tpSignals)}\n`);
        }
      }
    }
  } finally {
    await redis?.stop();
  }
  process.stdout.write(`\nPalisade bot detection, simulated traffic (${model !== 'a' ? `model ${model}, ` : ''}seeds ${values.seeds}; mean / worst seed; flagged = challenge or deny)\n\n${renderTable(results)}\n`);
}

if (import.meta.main) await main();
