/**
 * Bot-detection traffic simulator: runs the REAL authz-server (in process, real gRPC on loopback, Envoy-shaped
 * CheckRequests and access-log streams) against scripted populations, and prints a confusion matrix per
 * scenario. Time is simulated: the server's clock and its in-memory counter store read a virtual clock that
 * jumps from request to request, so 20 minutes of traffic take a few seconds. Everything is drawn from a seeded
 * PRNG: the same seed gives the same table.
 *
 * Every scenario runs 20 simulated minutes of legitimate background traffic (browser journeys with returning
 * sessions, realistic headers, occasional 404s and failed logins, HEAD cache checks, 1% of people blocking
 * cookies, a mobile app on a shared API key, offices behind NAT) plus one attack:
 *   credential-stuffing  120 proxy IPs, POST /login with a fresh session per attempt, 401s, minutes 6-14
 *   scraper              one partner token from one IP, 5 rps GET sweep of /api/products/{id}, no HEAD, 5-13
 *   botnet               300 IPs, a few GETs each on /api/availability, no cookies, minutes 8-14
 *   low-and-slow         5 IPs, one GET every 10-25 s all along, a fresh session each time, ~30% 404s
 *
 * A request counts as flagged when the verdict is not `allow` (challenge, or a bot deny). Envoy's access log is
 * streamed every simulated second (Envoy's default flush interval), then the server's off-path counters are
 * flushed, as its 1 s timer would.
 *
 *   npm run simulate                              # all scenarios, seed 1
 *   npm run simulate -- --seed 7 --scenario botnet --verbose
 */
import * as grpc from '@grpc/grpc-js';
import { parseArgs } from 'node:util';
import { Writable } from 'node:stream';
import { envoyServices, type CheckResponse } from '../authz-server/src/envoy/protos.ts';
import { createLogger } from '../lib/process/logging.ts';
import { MemoryCounterStore } from '../authz-server/src/store/memory-store.ts';
import type { HttpAccessLogEntry } from '../authz-server/src/bot/access-log.ts';
import { accessLogEntry } from '../test/support/access-log.ts';
import { authzClient, envoyRequest, headerOf } from '../test/support/envoy.ts';
import { policyDoc, sha256, startTestServer, writePolicyDir } from '../test/support/policies.ts';

export const SCENARIOS = ['legitimate', 'credential-stuffing', 'scraper', 'botnet', 'low-and-slow'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

const HOST = 'shop.example.com';
const MOBILE_KEY = 'sim-mobile-app-key-0001';
const PARTNER_KEY = 'sim-partner-key-0002';
const START = Date.parse('2026-03-02T09:00:00Z');
const MIN = 60_000;
const DURATION = 20 * MIN;
const CATALOG = 500;

// ---- deterministic randomness ----------------------------------------------------------------------------

/** sfc32 seeded through splitmix32: small, fast, good enough for traffic. */
export class Rng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;
  constructor(seed: number) {
    let s = seed >>> 0;
    const mix = () => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.#a = mix();
    this.#b = mix();
    this.#c = mix();
    this.#d = mix();
    for (let i = 0; i < 12; i++) this.next();
  }
  next(): number {
    const t = (((this.#a + this.#b) >>> 0) + this.#d) >>> 0;
    this.#d = (this.#d + 1) >>> 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) >>> 0;
    this.#c = ((this.#c << 21) | (this.#c >>> 11)) >>> 0;
    this.#c = (this.#c + t) >>> 0;
    return t / 4294967296;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  uniform(lo: number, hi: number): number {
    return lo + this.next() * (hi - lo);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)] as T;
  }
  exp(mean: number): number {
    return -Math.log(1 - this.next()) * mean;
  }
  hex(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += '0123456789abcdef'[Math.floor(this.next() * 16)];
    return s;
  }
}

// ---- traffic model ----------------------------------------------------------------------------------------

const BROWSER_UAS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Safari/605.1.15',
  'Mozilla/5.0 (X11; Linux x86_64; rv:131.0) Gecko/20100101 Firefox/131.0',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Mobile Safari/537.36',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36 Edg/129.0.0.0',
];
const AUTOMATION_UAS = ['python-requests/2.32.3', 'Go-http-client/2.0', 'curl/8.5.0', 'okhttp/4.12.0'];
const LANGS = ['en-GB,en;q=0.9', 'en-US,en;q=0.9', 'de-DE,de;q=0.9,en;q=0.8', 'fr-FR,fr;q=0.9', 'es-ES,es;q=0.9,en;q=0.7', 'nl-NL,nl;q=0.9,en;q=0.8'];
const WORDS = ['shoes', 'jacket', 'lamp', 'desk', 'socks', 'kettle', 'phone case', 'backpack', 'mug', 'charger'];
const HTML_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8';

/** One simulated request, in simulated time. */
interface SimEvent {
  at: number;
  seq: number;
  actor: string;
  bot: boolean;
  method: string;
  path: string;
  ip: string;
  headers: Record<string, string>;
  /** What the upstream answers when Palisade allows the request. */
  code: number;
}

interface Builder {
  rng: Rng;
  events: SimEvent[];
}

function emit(b: Builder, e: Omit<SimEvent, 'seq'>): void {
  if (e.at < DURATION) b.events.push({ ...e, seq: b.events.length });
}

function residentialIp(rng: Rng): string {
  return `${rng.pick([81, 86, 92, 109, 151, 176, 188, 212])}.${rng.int(0, 255)}.${rng.int(0, 255)}.${rng.int(1, 254)}`;
}

function productCode(rng: Rng, missingShare: number): { id: number; code: number } {
  if (rng.chance(missingShare)) return { id: rng.int(CATALOG + 1, 5000), code: 404 };
  // Popular products first (a rough Zipf).
  return { id: Math.min(CATALOG, 1 + Math.floor(rng.exp(60))), code: 200 };
}

/** A person in a browser: a journey of pages, an optional login, sometimes a return visit later. */
function browserVisitor(b: Builder, n: number, arrival: number, offices: string[]): void {
  const { rng } = b;
  const actor = `human-${n}`;
  const ip = rng.chance(0.12) ? rng.pick(offices) : residentialIp(rng);
  const ua = rng.pick(BROWSER_UAS);
  const lang = rng.pick(LANGS);
  const session = `s${rng.hex(24)}`;
  // ~1% of people block cookies: every request of theirs arrives without the session cookie.
  const blocksCookies = rng.chance(0.01);
  let cookie = false; // the first request has no session cookie yet; the response sets it
  let t = arrival;
  let loggedIn = false;
  const req = (method: string, path: string, code: number, json = false, extra: Record<string, string> = {}) => {
    const headers: Record<string, string> = { 'user-agent': ua, accept: json ? 'application/json' : HTML_ACCEPT, 'accept-language': lang, ...extra };
    if (cookie) headers['cookie'] = `session=${session}; consent=1`;
    emit(b, { at: t, actor, bot: false, method, path, ip, headers, code });
    cookie = !blocksCookies;
    t += Math.max(800, rng.exp(12_000));
  };
  const step = () => {
    const r = rng.next();
    if (r < 0.33) {
      const p = productCode(rng, 0.03);
      req('GET', `/products/${p.id}`, p.code);
      if (rng.chance(0.2)) req('GET', `/api/availability?sku=${p.id}`, 200, true);
    } else if (r < 0.47) req('GET', `/products?page=${rng.int(1, 12)}`, 200);
    else if (r < 0.56) req('GET', `/search?q=${encodeURIComponent(rng.pick(WORDS))}`, 200);
    else if (r < 0.64) {
      const p = productCode(rng, 0);
      req('GET', `/api/availability?sku=${p.id}`, 200, true);
    } else if (r < 0.71) {
      const p = productCode(rng, 0);
      req('HEAD', `/products/${p.id}/image`, 200);
    } else if (r < 0.77) req('GET', '/cart', 200);
    else if (r < 0.84) req('POST', '/cart/items', 201, true, { 'content-type': 'application/json' });
    else if (r < 0.92 && !loggedIn) {
      req('GET', '/login', 200);
      while (rng.chance(0.15)) req('POST', '/login', 401, false, { 'content-type': 'application/x-www-form-urlencoded' });
      req('POST', '/login', 200, false, { 'content-type': 'application/x-www-form-urlencoded' });
      loggedIn = true;
    } else req('GET', loggedIn ? '/account/orders' : '/', 200);
  };
  req('GET', rng.pick(['/', '/products', `/products/${productCode(rng, 0).id}`, `/search?q=${rng.pick(WORDS)}`]), 200);
  const steps = rng.int(3, 16);
  for (let i = 0; i < steps; i++) step();
  if (rng.chance(0.3)) {
    t += rng.exp(4 * MIN);
    const more = rng.int(2, 6);
    for (let i = 0; i < more; i++) step();
  }
}

/** The shop's mobile app: shared API key, no cookies, JSON only, a few HEAD cache checks. */
function appUser(b: Builder, n: number, arrival: number): void {
  const { rng } = b;
  const actor = `app-${n}`;
  const ip = residentialIp(rng);
  const headers = { 'user-agent': `ShopApp/4.2.${rng.int(0, 9)} (Android 14) okhttp/4.12.0`, accept: 'application/json', 'accept-language': rng.pick(LANGS), 'x-api-key': MOBILE_KEY };
  let t = arrival;
  const calls = rng.int(5, 25);
  for (let i = 0; i < calls; i++) {
    const p = productCode(rng, 0.02);
    const r = rng.next();
    if (r < 0.08) emit(b, { at: t, actor, bot: false, method: 'HEAD', path: `/api/products/${p.id}`, ip, headers, code: p.code });
    else if (r < 0.75) emit(b, { at: t, actor, bot: false, method: 'GET', path: `/api/products/${p.id}`, ip, headers, code: p.code });
    else emit(b, { at: t, actor, bot: false, method: 'GET', path: `/api/availability?sku=${p.id}`, ip, headers, code: 200 });
    t += Math.max(500, rng.exp(6000));
  }
}

function legitimateBackground(b: Builder): void {
  const offices = Array.from({ length: 4 }, () => residentialIp(b.rng));
  let n = 0;
  // Visitors arrive as a Poisson process, ~12 per minute (browsers) and ~2 per minute (app).
  for (let t = b.rng.exp(5000); t < DURATION; t += b.rng.exp(5000)) browserVisitor(b, n++, t, offices);
  for (let t = b.rng.exp(30_000); t < DURATION; t += b.rng.exp(30_000)) appUser(b, n++, t);
}

function credentialStuffing(b: Builder): void {
  const { rng } = b;
  for (let i = 0; i < 120; i++) {
    const ip = `45.${rng.int(10, 200)}.${rng.int(0, 255)}.${rng.int(1, 254)}`;
    let t = rng.uniform(6 * MIN, 9 * MIN);
    const attempts = rng.int(5, 12);
    for (let a = 0; a < attempts && t < 14 * MIN; a++) {
      const headers: Record<string, string> = {
        'user-agent': rng.chance(0.2) ? rng.pick(AUTOMATION_UAS) : rng.pick(BROWSER_UAS),
        accept: rng.chance(0.8) ? 'application/json' : '',
        'accept-language': rng.chance(0.6) ? rng.pick(LANGS) : '',
        'content-type': 'application/x-www-form-urlencoded',
        cookie: `session=s${rng.hex(24)}`,
      };
      emit(b, { at: t, actor: `stuffer-${i}`, bot: true, method: 'POST', path: '/login', ip, headers, code: rng.chance(0.03) ? 200 : 401 });
      t += rng.uniform(15_000, 50_000);
    }
  }
}

function scraper(b: Builder): void {
  const { rng } = b;
  const ip = '203.0.113.50';
  const headers = { 'user-agent': BROWSER_UAS[0]!, accept: 'application/json', 'accept-language': 'en-US,en;q=0.9', 'x-api-key': PARTNER_KEY };
  let id = 1;
  for (let t = 5 * MIN; t < 13 * MIN; t += rng.uniform(120, 280)) {
    emit(b, { at: t, actor: 'scraper', bot: true, method: 'GET', path: `/api/products/${id}`, ip, headers, code: id <= CATALOG ? 200 : 404 });
    id++;
  }
}

function botnet(b: Builder): void {
  const { rng } = b;
  for (let i = 0; i < 300; i++) {
    const ip = `${rng.pick([24, 49, 73, 98, 177, 187, 190])}.${rng.int(0, 255)}.${rng.int(0, 255)}.${rng.int(1, 254)}`;
    const headers: Record<string, string> = { 'user-agent': rng.pick(BROWSER_UAS), accept: 'application/json', 'accept-language': rng.chance(0.7) ? rng.pick(LANGS) : '' };
    let t = rng.uniform(8 * MIN, 12 * MIN);
    const n = rng.int(3, 8);
    for (let k = 0; k < n && t < 14 * MIN; k++) {
      emit(b, { at: t, actor: `botnet-${i}`, bot: true, method: 'GET', path: `/api/availability?sku=${rng.int(1, CATALOG)}`, ip, headers, code: 200 });
      t += rng.uniform(10_000, 60_000);
    }
  }
}

function lowAndSlow(b: Builder): void {
  const { rng } = b;
  for (let i = 0; i < 5; i++) {
    const ip = `198.18.${rng.int(0, 255)}.${rng.int(1, 254)}`;
    const ua = rng.pick(BROWSER_UAS);
    const lang = rng.pick(LANGS);
    for (let t = rng.uniform(0, 30_000); t < DURATION; t += rng.uniform(10_000, 25_000)) {
      const p = productCode(rng, 0.3);
      const headers = { 'user-agent': ua, accept: HTML_ACCEPT, 'accept-language': lang, cookie: `session=s${rng.hex(24)}` };
      emit(b, { at: t, actor: `slow-${i}`, bot: true, method: 'GET', path: `/products/${p.id}`, ip, headers, code: p.code });
    }
  }
}

/** All events of a scenario, in time order. */
export function scenarioEvents(name: ScenarioName, seed: number): SimEvent[] {
  const b: Builder = { rng: new Rng(seed), events: [] };
  legitimateBackground(b);
  const attacks: Record<ScenarioName, ((b: Builder) => void) | null> = {
    legitimate: null,
    'credential-stuffing': credentialStuffing,
    scraper,
    botnet,
    'low-and-slow': lowAndSlow,
  };
  attacks[name]?.(b);
  return b.events.sort((x, y) => x.at - y.at || x.seq - y.seq);
}

/** The policy the simulation runs against: a public shop with a mobile-app key and a partner key. */
export function simulationPolicy(): Record<string, unknown> {
  return policyDoc('shop', {
    hosts: [HOST],
    authentication: {
      required: false,
      apiKeys: { keys: [{ consumer: 'mobile-app', sha256: sha256(MOBILE_KEY) }, { consumer: 'partner-acme', sha256: sha256(PARTNER_KEY) }] },
    },
    bot: { mode: 'Enforce', denyScore: 80, challengeScore: 50 },
  });
}

// ---- running ----------------------------------------------------------------------------------------------

export interface ScenarioResult {
  scenario: ScenarioName;
  seed: number;
  requests: number;
  bots: number;
  humans: number;
  tp: number;
  fp: number;
  tn: number;
  fn: number;
  /** Of the flagged bot requests, how many were denied (the rest were challenged). */
  denied: number;
  precision: number;
  recall: number;
  /** Flagged human requests / human requests. */
  fpRate: number;
  /** How often each detector contributed to a flagged bot request / a flagged human request. */
  tpSignals: Record<string, number>;
  fpSignals: Record<string, number>;
  /** Wall time of the run (ms). */
  wallMs: number;
  /** Per simulated minute: bot requests and how many were flagged. */
  timeline: Array<{ minute: number; bots: number; flagged: number }>;
}

function bump(m: Record<string, number>, k: string): void {
  m[k] = (m[k] ?? 0) + 1;
}

/** Runs one scenario on a fresh in-process authz-server; never sleeps. */
export async function runScenario(name: ScenarioName, seed = 1, opts: { verbose?: boolean } = {}): Promise<ScenarioResult> {
  const events = scenarioEvents(name, seed);
  let now = START;
  const clock = () => now;
  const store = new MemoryCounterStore({ clock, sweepIntervalMs: 0, maxKeys: 1_000_000 });
  const dir = await writePolicyDir([simulationPolicy()]);
  let received = 0;
  // The decision log says which detectors fired, for allowed and denied requests alike.
  const fired = new Map<string, string[]>();
  let partial = '';
  const decisions = new Writable({
    write(chunk, _e, cb) {
      const lines = (partial + String(chunk)).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.includes('"msg":"decision"')) continue;
        const d = JSON.parse(line) as { requestId: string; bot?: { signals: Array<{ name: string }> } };
        fired.set(d.requestId, d.bot?.signals.map((x) => x.name) ?? []);
      }
      cb();
    },
  });
  const server = await startTestServer(['--policies', dir.dir, '--decision-log', 'all'], createLogger('info', 'palisade-sim', decisions), {
    store,
    clock,
    deferredFlushMs: 0,
    onAccessLog: () => {
      received++;
    },
  });
  const client = authzClient(server.grpcPort);
  const { accessLog } = envoyServices();
  const alsClient = new accessLog(`127.0.0.1:${server.grpcPort}`, grpc.credentials.createInsecure());
  const stream = (alsClient as unknown as { StreamAccessLogs(cb: (err: grpc.ServiceError | null) => void): grpc.ClientWritableStream<unknown> }).StreamAccessLogs(() => {});
  let sent = 0;
  let pending: HttpAccessLogEntry[] = [];
  const flushTick = async () => {
    if (pending.length > 0) {
      stream.write({ ...(sent === 0 ? { identifier: { node: { id: 'sim-gateway' }, log_name: 'palisade' } } : {}), http_logs: { log_entry: pending } });
      sent++;
      pending = [];
      while (received < sent) await new Promise((r) => setImmediate(r));
    }
    await server.flushDeferred();
  };

  const r: ScenarioResult = { scenario: name, seed, requests: 0, bots: 0, humans: 0, tp: 0, fp: 0, tn: 0, fn: 0, denied: 0, precision: 0, recall: 0, fpRate: 0, tpSignals: {}, fpSignals: {}, wallMs: 0, timeline: Array.from({ length: DURATION / MIN }, (_, minute) => ({ minute, bots: 0, flagged: 0 })) };
  const started = performance.now();
  let tick = START;
  try {
    for (const [i, e] of events.entries()) {
      const at = START + e.at;
      while (at >= tick + 1000) {
        tick += 1000;
        now = tick;
        await flushTick();
      }
      now = at;
      const requestId = `sim-${seed}-${i}`;
      const res: CheckResponse = await client.check(envoyRequest({ host: HOST, method: e.method, path: e.path, sourceIp: e.ip, headers: e.headers, requestId }));
      const allowed = res.status.code === 0;
      const verdict = allowed ? (headerOf(res.ok_response?.headers, 'x-palisade-bot-verdict') ?? 'allow') : 'deny';
      const flagged = verdict !== 'allow';
      const signals = fired.get(requestId) ?? [];
      fired.delete(requestId);
      pending.push(accessLogEntry({ host: HOST, method: e.method, path: e.path, code: allowed ? e.code : (res.denied_response?.status.code ?? 403), requestId, sourceIp: e.ip, extAuthzDenied: !allowed }));
      r.requests++;
      if (e.bot) {
        r.bots++;
        const slot = r.timeline[Math.floor(e.at / MIN)];
        if (slot) {
          slot.bots++;
          if (flagged) slot.flagged++;
        }
        if (flagged) {
          r.tp++;
          if (!allowed) r.denied++;
          for (const s of signals) bump(r.tpSignals, s);
        } else {
          r.fn++;
          if (opts.verbose && r.fn % 25 === 0) process.stderr.write(`FN ${e.actor} ${e.method} ${e.path} @${Math.round(e.at / 1000)}s: ${signals.join(',') || 'no signals'}\n`);
        }
      } else {
        r.humans++;
        if (flagged) {
          r.fp++;
          for (const s of signals) bump(r.fpSignals, s);
          if (opts.verbose) process.stderr.write(`FP ${e.actor} ${e.method} ${e.path} @${Math.round(e.at / 1000)}s: ${verdict} ${signals.join(',') || headerOf(res.denied_response?.headers, 'x-palisade-reason')}\n`);
        } else r.tn++;
      }
    }
  } finally {
    stream.end();
    alsClient.close();
    client.close();
    await server.stop();
    await dir.cleanup();
  }
  r.wallMs = Math.round(performance.now() - started);
  r.precision = r.tp + r.fp === 0 ? 1 : r.tp / (r.tp + r.fp);
  r.recall = r.bots === 0 ? 1 : r.tp / r.bots;
  r.fpRate = r.humans === 0 ? 0 : r.fp / r.humans;
  return r;
}

const pctf = (x: number) => `${(x * 100).toFixed(1)}%`;

/** Markdown table of the confusion matrices. */
export function renderConfusion(results: ScenarioResult[]): string {
  const lines = [
    '| scenario | requests (bot / human) | TP | FP | TN | FN | precision | recall | FP rate (humans) | bot requests denied | detectors on TP |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const r of results) {
    const top = Object.entries(r.tpSignals)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 5)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    const precision = r.bots === 0 ? '-' : pctf(r.precision);
    const recall = r.bots === 0 ? '-' : pctf(r.recall);
    lines.push(`| ${r.scenario} | ${r.requests} (${r.bots} / ${r.humans}) | ${r.tp} | ${r.fp} | ${r.tn} | ${r.fn} | ${precision} | ${recall} | ${pctf(r.fpRate)} | ${r.bots === 0 ? '-' : r.denied} | ${top || '-'} |`);
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { seed: { type: 'string', default: '1' }, scenario: { type: 'string' }, verbose: { type: 'boolean', default: false } } });
  const seed = Number(values.seed);
  const selected = SCENARIOS.filter((s) => !values.scenario || s.includes(values.scenario));
  if (selected.length === 0) throw new Error(`no scenario matches ${values.scenario}`);
  const results: ScenarioResult[] = [];
  for (const s of selected) {
    const r = await runScenario(s, seed, { verbose: values.verbose });
    results.push(r);
    process.stderr.write(`${s}: ${r.requests} checks in ${r.wallMs} ms\n`);
    if (values.verbose && r.fp > 0) process.stderr.write(`  FP detectors: ${JSON.stringify(r.fpSignals)}\n`);
    if (values.verbose && r.bots > 0) process.stderr.write(`  flagged/bot requests per minute: ${r.timeline.filter((m) => m.bots > 0).map((m) => `${m.minute}:${m.flagged}/${m.bots}`).join(' ')}\n`);
  }
  const humans = results.reduce((s, r) => s + r.humans, 0);
  const fp = results.reduce((s, r) => s + r.fp, 0);
  process.stdout.write(`\nPalisade bot detection, simulated traffic (seed ${seed}, 20 simulated minutes per scenario, default knobs, denyScore 80, challengeScore 50; flagged = challenge or deny)\n\n${renderConfusion(results)}\n\nfalse-positive rate over all human requests: ${fp}/${humans} = ${pctf(humans ? fp / humans : 0)}\n`);
}

if (import.meta.main) await main();
