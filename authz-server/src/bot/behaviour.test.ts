import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { compile } from '../../../lib/policy/compile.ts';
import { parsePolicyText } from '../../../lib/policy/load.ts';
import type { Outcome } from '../pipeline/outcome.ts';
import { toRequestContext } from '../pipeline/request.ts';
import { buildRuntime, type Runtime, type RuntimePolicy } from '../pipeline/runtime.ts';
import { hashTagOf } from '../store/keys.ts';
import { MemoryCounterStore } from '../store/memory-store.ts';
import { assessBot, type JudgedAssessment } from './assess.ts';
import { BaselineBook, priorBaselines } from './baseline.ts';
import { addPendingCounts, aggregatePoints, discountShare, judgeBehaviour, pairMixRatio, planBotCounters, policyCeilings, strongestPerFamily, surgeShare, type ScoredSignal } from './behaviour.ts';
import { DeferredCounters } from './deferred.ts';
import { clientAddress } from './fingerprint.ts';
import { RecentKeys } from './recent-keys.ts';
import { BotFeed } from './feed.ts';
import { readFileSync } from 'node:fs';
import { accessLogEntry } from '../../../test/support/access-log.ts';
import { BOT_SIGNAL_NAMES } from '../../../lib/policy/schema.ts';
import { DEFAULT_BOT_KNOBS, VOLUME_CLASSES } from './knobs.ts';
import { ADDR_ERROR_UNIT, BOT_KEYS, LANDING_UNIT, LIVED_UNIT, PAGE_LANDING_UNIT, PAGE_UNIT, SESSION_PAGE_UNIT, PrefixCache, ROUTE_RETURN_UNIT, STOP_UNIT, WRITE_FAIL_UNIT, decodeAddressMethods, routeParts, unansweredKey } from './windows.ts';

function policy(spec: Record<string, unknown>): RuntimePolicy {
  const doc = { apiVersion: 'palisade.dev/v1alpha1', kind: 'ApiProtectionPolicy', metadata: { name: 'p', namespace: 'ns', creationTimestamp: '2026-01-01T00:00:00Z' }, spec };
  const loaded = parsePolicyText(stringify(doc, { version: '1.1' }), 'test.yaml');
  const { snapshot } = compile(loaded.documents, [], new Date('2026-01-01T00:00:00Z'));
  const p = buildRuntime(snapshot).policies.get('ns/p');
  if (!p) throw new Error('policy did not compile');
  return p;
}

const CHROME = {
  'user-agent': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  accept: 'text/html',
  'accept-language': 'en-GB,en;q=0.9',
  'accept-encoding': 'gzip, br',
};

function request(shape: { ip?: string; method?: string; path?: string; cookie?: string; headers?: Record<string, string> }) {
  const headers: Record<string, string> = { ':authority': 'api.test', ':method': shape.method ?? 'GET', ':path': shape.path ?? '/products/1', ...(shape.headers ?? CHROME) };
  if (shape.cookie) headers['cookie'] = `session=${shape.cookie}`;
  return toRequestContext({ attributes: { source: { address: { socket_address: { address: shape.ip ?? '198.51.100.1', port_value: 1 } } }, request: { http: { headers } } } });
}

/**
 * The bot detectors on a memory store with a settable clock, fed the way the server feeds them. The feed's counters
 * are written at every step, or with `flushEveryMs` only when the clock crosses a multiple of it (the server's 1 s).
 */
function detectors(spec: Record<string, unknown> = { hosts: ['api.test'], bot: { mode: 'Enforce' } }, opts: { flushEveryMs?: number; pending?: boolean; known?: RecentKeys } = {}) {
  let now = Date.parse('2026-03-02T09:00:00Z');
  const clock = () => now;
  const p = policy(spec);
  const store = new MemoryCounterStore({ clock, sweepIntervalMs: 0 });
  const deferred = new DeferredCounters({ store, flushIntervalMs: 0 });
  const runtime = { policies: new Map([[p.id, p]]), policyFor: () => p } as unknown as Runtime;
  const book = new BaselineBook({ store, clock, policies: () => [p.id], refreshIntervalMs: 0 });
  const feed = new BotFeed({ deferred, clock, runtime: () => runtime, unanswered: book.unanswered, attackedForms: book.attackedForms, probes: book.probes, fileClaims: book.fileClaims, navigationClaims: book.navigationClaims });
  // Planned, counted in the store and judged, as the server does before it decides.
  const judge = async (req: ReturnType<typeof request>, consumer: string | null) => {
    const plan = planBotCounters(p, req, consumer, now, DEFAULT_BOT_KNOBS, book.get(p.id), opts.known, undefined, undefined, book.unanswered, book.attackedForms, book.probes, book.fileClaims, book.navigationClaims);
    const result = await store.evaluate({ rateLimits: [], counters: plan.counters, distinct: plan.distinct });
    if (opts.pending !== false) addPendingCounts(plan, result.counters, (c, parts, b) => deferred.pendingOf(c, parts, b));
    return judgeBehaviour(plan, result.counters, result.distinct);
  };
  return {
    policy: p,
    store,
    baselines: () => book.get(p.id),
    unanswered: book.unanswered,
    advance: async (ms: number) => {
      const before = now;
      now += ms;
      if (opts.flushEveryMs !== undefined && Math.floor(now / opts.flushEveryMs) === Math.floor(before / opts.flushEveryMs)) return;
      await deferred.flush();
      await book.refresh();
    },
    /** What the detectors observe of a request (counted, judged, not learned from). */
    async observe(req: ReturnType<typeof request>) {
      return (await judge(req, null)).observations!;
    },
    /** Envoy's access log entry for an earlier checked request (by its x-request-id). */
    log(requestId: string, code: number, contentType: string | null) {
      const entry = accessLogEntry({ host: 'api.test', path: '/', code, requestId, sourceIp: '192.0.2.1', ...(contentType === null ? {} : { responseHeaders: { 'content-type': contentType } }) });
      feed.ingest({ http_logs: { log_entry: [entry] } });
    },
    async check(req: ReturnType<typeof request>, consumer: string | null = null): Promise<JudgedAssessment> {
      const judged = await judge(req, consumer);
      const bot = assessBot(p, req, judged.signals, DEFAULT_BOT_KNOBS, judged.observations);
      const outcome = { kind: 'allow', policy: p, consumer, principal: '', trace: [], bot, rateLimit: null, wouldDeny: null, stripHeaders: [] } as Outcome;
      feed.onDecision(req, outcome);
      return bot;
    },
    /** Checked as the server decides: let through (as check) below the challenge score, else stopped (as stop). */
    async decide(req: ReturnType<typeof request>, consumer: string | null = null): Promise<JudgedAssessment> {
      const judged = await judge(req, consumer);
      const bot = assessBot(p, req, judged.signals, DEFAULT_BOT_KNOBS, judged.observations);
      const outcome = bot.verdict === 'allow'
        ? { kind: 'allow', policy: p, consumer, principal: '', trace: [], bot, rateLimit: null, wouldDeny: null, stripHeaders: [] }
        : { kind: 'deny', denial: { reason: 'challenge', detail: 'stopped' }, policy: p, consumer, principal: '', trace: [], bot, rateLimit: null, wouldDeny: null, stripHeaders: [] };
      feed.onDecision(req, outcome as unknown as Outcome);
      return bot;
    },
    /** Hands the feed a request the policy refused before the bot stage (`reason`: authentication, access, inspection...). */
    refuse(req: ReturnType<typeof request>, reason: string): void {
      const outcome = { kind: 'deny', denial: { reason, detail: 'refused' }, policy: p, consumer: null, principal: '', trace: [], bot: null, rateLimit: null, wouldDeny: null, stripHeaders: [] } as unknown as Outcome;
      feed.onDecision(req, outcome);
    },
    /** Hands the feed `bot` as the verdict of a request the server stopped (answered with a challenge). */
    stop(req: ReturnType<typeof request>, bot: JudgedAssessment, consumer: string | null = null): void {
      const outcome = { kind: 'deny', denial: { reason: 'challenge', detail: 'stopped' }, policy: p, consumer, principal: '', trace: [], bot, rateLimit: null, wouldDeny: null, stripHeaders: [] } as unknown as Outcome;
      feed.onDecision(req, outcome);
    },
    /** A cookie session's writes counter (writes + failed x WRITE_FAIL_UNIT), the long window's current bucket, after the feed's flush. */
    async sessionWrites(bot: JudgedAssessment): Promise<number> {
      await deferred.flush();
      const keys = new PrefixCache(p.id);
      const op = keys.bucketOp(BOT_KEYS.sessWrites, keys.hash([bot.observations!.subject.session]), now, DEFAULT_BOT_KNOBS.buckets.longMs, 2, 0);
      return (await store.evaluate({ rateLimits: [], counters: [op], distinct: [] })).counters[0]![0]!;
    },
    /** Client errors counted for the address of a judged request, in its errors window's current bucket (after the feed's flush). */
    async addressErrors(bot: JudgedAssessment): Promise<number> {
      await deferred.flush();
      const keys = new PrefixCache(p.id);
      const op = keys.bucketOp(BOT_KEYS.errAddr, keys.hash([bot.observations!.subject.address]), now, DEFAULT_BOT_KNOBS.buckets.errorsMs, 2, 0);
      return Math.floor((await store.evaluate({ rateLimits: [], counters: [op], distinct: [] })).counters[0]![0]! / ADDR_ERROR_UNIT);
    },
  };
}

/**
 * pageRouteMinRequests + 10 people, 20 s apart, each landing on a page and coming back a second later with the cookie
 * it was given to do `back`.
 */
async function peopleComeBack(d: ReturnType<typeof detectors>, back: (ip: string, cookie: string, i: number) => Promise<void>): Promise<void> {
  for (let i = 0; i < DEFAULT_BOT_KNOBS.sessions.pageRouteMinRequests + 10; i++) {
    const ip = `203.0.113.${i + 1}`;
    await d.check(request({ ip, path: '/products/1' }));
    await d.advance(1000);
    await back(ip, `issued-${i}`, i);
    await d.advance(20_000);
  }
}

const fired = (b: JudgedAssessment) => b.signals.filter((s) => s.score > 0).map((s) => s.name);
/** Challenged or denied. */
const held = (b: JudgedAssessment) => b.verdict !== 'allow';

/** Checks `count` requests `gapMs` apart: the index of the first one not allowed (-1 if none) and the last verdict. */
async function burst(d: ReturnType<typeof detectors>, count: number, gapMs: number, make: (i: number) => ReturnType<typeof request>): Promise<{ first: number; last: JudgedAssessment }> {
  let first = -1;
  let last: JudgedAssessment | null = null;
  for (let i = 0; i < count; i++) {
    last = await d.check(make(i));
    if (first < 0 && last.verdict !== 'allow') first = i;
    await d.advance(gapMs);
  }
  return { first, last: last! };
}

describe("a token pair's calls against its cell's crowd", () => {
  it('discounts a pair whose calls spread as the newcomers do, never one that calls as the crowd does', () => {
    // The crowd sends 90 % of the cell's recent calls to the route, the newcomers 30 % of theirs.
    expect(pairMixRatio(1, 6, 0.9, 0.3)).toBeLessThan(0.01);
    expect(pairMixRatio(10, 11, 0.9, 0.3)).toBe(1);
    // A crowd that spreads its calls about as the newcomers do is held as its cell is, however its calls fall.
    expect(pairMixRatio(3, 10, 0.3, 0.3)).toBe(1);
    expect(pairMixRatio(10, 50, 0.3, 0.25)).toBe(1);
    // Nor one whose calls keep to the route where the newcomers are learned to keep to it more than the cell does now:
    // that share is what a crowd can teach beforehand, and the users' own calls elsewhere dilute the cell's.
    expect(pairMixRatio(20, 20, 0.75, 0.95)).toBe(1);
    expect(pairMixRatio(40, 40, 0.5, 0.6)).toBe(1);
    // Shares at the edges are clamped: one call cannot decide alone, and less than 20 to 1 is no evidence.
    expect(pairMixRatio(0, 1, 1, 0, 1)).toBeCloseTo(0.05 / 0.95, 6);
    expect(pairMixRatio(0, 1, 1, 0)).toBe(1);
    expect(discountShare(0.9, 1)).toBe(0.9);
    expect(discountShare(0.9, 1 / 9)).toBeCloseTo(0.5, 6);
    expect(discountShare(1, 0.001)).toBeLessThan(0.5);
  });
});

describe('planning', () => {
  it('every key of a Check is under the policy hash tag; a browser session request reads at most 88 keys', () => {
    // Planned cold, without the replica's copies of the crowd counters (route, cell, class, token), which a warm
    // replica reads from memory: about 20 keys a Check then (bench/bot-latency.ts). Cold is young: the path's writes
    // and its settled sessions' reads are read too (3 keys each, the young failure cap). A session not known to the
    // replica reads its source's recent landings and how its sessions lived too (4 keys, one-shot-sessions), and its
    // source's errors and probes (2 keys, errors-source).
    const p = policy({ hosts: ['api.test'], bot: { mode: 'Enforce' } });
    const keysOf = (req: ReturnType<typeof request>, consumer: string | null) => planBotCounters(p, req, consumer, Date.now()).counters.flatMap((c) => c.keys);
    const session = keysOf(request({ cookie: 'abc' }), null);
    expect(session.every((k) => hashTagOf(k) === 'ns/p')).toBe(true);
    expect(session.length, `${session.length}`).toBeLessThanOrEqual(88);
    // A call from one of the site's pages (its Referer) by a session not known yet also reads where sessions' first
    // calls from that page go (9 counters over 2-3 buckets: surge-first-call); one naming no page all but the three of
    // sessions loading the page (6 keys: their first calls from it, and its page loads).
    const call = keysOf(request({ cookie: 'abc', path: '/api/cart', headers: { ...XHR, referer: 'https://api.test/checkout' } }), null);
    const noPage = keysOf(request({ cookie: 'abc', path: '/api/cart', headers: XHR }), null);
    const file = keysOf(request({ cookie: 'abc', path: '/api/cart.js', headers: { ...CHROME, accept: '*/*', 'sec-fetch-mode': 'no-cors', 'sec-fetch-dest': 'script', 'sec-fetch-site': 'same-origin' } }), null);
    expect(call.every((k) => hashTagOf(k) === 'ns/p')).toBe(true);
    expect(call.length - noPage.length).toBe(6);
    expect(noPage.length - file.length).toBe(14);
    expect(call.length, `${call.length}`).toBeLessThanOrEqual(100);
    // The most a Check reads: a browser session that also carries an API token.
    const both = keysOf(request({ cookie: 'abc' }), 'partner');
    expect(both.every((k) => hashTagOf(k) === 'ns/p')).toBe(true);
    expect(both.length, `${both.length}`).toBeLessThanOrEqual(121);
    expect(planBotCounters(p, request({}), null, Date.now()).distinct).toEqual([]);
    // A user's own credential adds one HyperLogLog, read over two buckets, under the same tag.
    const credential = planBotCounters(p, request({ cookie: 'abc', headers: { ...CHROME, authorization: 'Bearer eyJ.u' } }), 'partner', Date.now()).distinct;
    expect(credential.flatMap((d) => [d.key, ...d.countKeys]).map(hashTagOf)).toEqual(['ns/p', 'ns/p', 'ns/p']);
  });

  it('a policy-wide per-IP limit caps the address thresholds at 80% of it', () => {
    const p = policy({ hosts: ['api.test'], rateLimits: [{ name: 'ip', key: ['clientIP'], requests: 60, period: '1m' }], bot: { mode: 'Enforce' } });
    expect(policyCeilings(p)).toEqual({ ip: 48, token: null });
  });
});

describe('what a request is to its session', () => {
  it('landing, then return with the cookie, then established; a made-up cookie is an orphan', async () => {
    const d = detectors();
    const states: string[] = [];
    const state = async (r: ReturnType<typeof request>) => {
      const b = await d.check(r);
      states.push(b.observations?.state ?? '-');
    };
    await state(request({ ip: '203.0.113.5', path: '/' }));
    await d.advance(3000);
    await state(request({ ip: '203.0.113.5', path: '/products/2', cookie: 'issued-1' }));
    await state(request({ ip: '203.0.113.5', path: '/products/3', cookie: 'issued-1' }));
    await state(request({ ip: '203.0.113.99', cookie: 'never-issued' }));
    expect(states).toEqual(['landing', 'return', 'established', 'orphan']);
  });

  const HOUR_START = Date.parse('2026-03-02T09:00:00Z');
  it("learns how often people come back, from the site's landings and each route's, returns within the feed's second included", async () => {
    // The feed writes its counters once a second (the server's interval): a page's first call with the cookie, a few
    // hundred ms after the page load, reads the address's learned landings before they are written.
    const d = detectors(undefined, { flushEveryMs: 1000 });
    const read = async (name: string, parts: string[]) => {
      const keys = new PrefixCache(d.policy.id);
      // The detectors' clock is still within the hour it started in (their first baseline bucket).
      const op = keys.bucketOp(name, keys.hash(parts), HOUR_START, DEFAULT_BOT_KNOBS.buckets.baselineMs, 2, 0);
      return (await d.store.evaluate({ rateLimits: [], counters: [op], distinct: [] })).counters[0]![0]!;
    };
    const route = async (path: string) => {
      const v = await read(BOT_KEYS.routeReturnBase, [String(planBotCounters(d.policy, request({ path }), null, HOUR_START).ctx!.subject.routeCode)]);
      return { landings: v % ROUTE_RETURN_UNIT, returns: Math.floor(v / ROUTE_RETURN_UNIT) };
    };
    // Twelve people land on a product page, eight of them come back with their cookie 300 ms later (within the
    // second); four land on the home page.
    for (let i = 0; i < 12; i++) {
      await d.check(request({ ip: `203.0.113.${i + 1}`, path: `/products/${i}` }));
      await d.advance(300);
      if (i < 8) await d.check(request({ ip: `203.0.113.${i + 1}`, path: '/api/cart', cookie: `p-${i}`, headers: { ...CHROME, accept: 'application/json' } }));
      await d.advance(9700);
    }
    for (let i = 0; i < 4; i++) await d.check(request({ ip: `203.0.113.${50 + i}`, path: '/' }));
    await d.advance(1000);
    expect(await route('/products/1')).toEqual({ landings: 12, returns: 8 });
    expect(await route('/')).toEqual({ landings: 4, returns: 0 });
    // The site's: every landing, and every return of one.
    expect(await read(BOT_KEYS.popLand, [])).toBe(16);
    expect(await read(BOT_KEYS.popRet, [])).toBe(8);
  });

  it("counts an address's first landing only in the site's recent landings: a person who blocks cookies lands with every request", async () => {
    const d = detectors(undefined, { flushEveryMs: 1000 });
    const read = async (name: string, parts: string[], bucketMs: number, at: number) => {
      const keys = new PrefixCache(d.policy.id);
      const op = keys.bucketOp(name, keys.hash(parts), at, bucketMs, 2, 0);
      return (await d.store.evaluate({ rateLimits: [], counters: [op], distinct: [] })).counters[0]![0]!;
    };
    // Within 20 s: a person who blocks cookies loads ten product pages; five people land there and come back.
    for (let i = 0; i < 10; i++) {
      await d.check(request({ ip: '198.51.100.77', path: `/products/${i}` }));
      if (i < 5) {
        await d.check(request({ ip: `203.0.113.${i + 1}`, path: `/products/${i}` }));
        await d.check(request({ ip: `203.0.113.${i + 1}`, path: '/api/cart', cookie: `p-${i}`, headers: { ...CHROME, accept: 'application/json' } }));
      }
      await d.advance(2000);
    }
    await d.advance(1000);
    const code = String(planBotCounters(d.policy, request({ path: '/products/1' }), null, HOUR_START).ctx!.subject.routeCode);
    const B = DEFAULT_BOT_KNOBS.buckets;
    // The site's recent landings: six addresses landed, not fifteen. The route's count every page load (its deficit is
    // read against a ratio learned from every landing that passed clean, below).
    const at = HOUR_START + 21_000;
    let routeLandings = 0;
    let siteLandings = 0;
    for (const back of [0, B.aggregateMs]) {
      routeLandings += await read(BOT_KEYS.routeLandAgg, [code], B.aggregateMs, at - back);
      siteLandings += await read(BOT_KEYS.popLandAgg, [], B.aggregateMs, at - back);
    }
    expect(siteLandings).toBe(6);
    expect(routeLandings).toBe(15);
    // Learned: every landing that passed clean (the people's five and his first six, before his landings scored).
    expect(await read(BOT_KEYS.popLand, [], B.baselineMs, HOUR_START)).toBe(11);
    const learned = await read(BOT_KEYS.routeReturnBase, [code], B.baselineMs, HOUR_START);
    expect({ landings: learned % ROUTE_RETURN_UNIT, returns: Math.floor(learned / ROUTE_RETURN_UNIT) }).toEqual({ landings: 11, returns: 5 });
  });

  it("counts neither in the route's recent landings the calls of a page whose address blocks cookies, but counts a crowd's calls without a page", async () => {
    const d = detectors(undefined, { flushEveryMs: 1000 });
    const keys = new PrefixCache(d.policy.id);
    const B = DEFAULT_BOT_KNOBS.buckets;
    const landings = async (name: string, parts: string[], at: number) => {
      let n = 0;
      for (const back of [0, B.aggregateMs]) n += (await d.store.evaluate({ rateLimits: [], counters: [keys.bucketOp(name, keys.hash(parts), at - back, B.aggregateMs, 2, 0)], distinct: [] })).counters[0]![0]!;
      return n;
    };
    const JSON_CALL = { ...CHROME, accept: 'application/json', 'sec-fetch-dest': 'empty', 'sec-fetch-mode': 'cors' };
    // A person who blocks cookies loads the search page and types a station's name: a call per key.
    await d.check(request({ ip: '198.51.100.77', path: '/search' }));
    for (const q of ['l', 'lo', 'lon', 'lond', 'londo', 'london']) {
      await d.advance(300);
      await d.check(request({ ip: '198.51.100.77', path: `/api/stations/suggest?q=${q}`, headers: JSON_CALL }));
    }
    // A client calling the same API twice without having loaded a page.
    await d.check(request({ ip: '203.0.113.9', path: '/api/stations/suggest?q=a', headers: JSON_CALL }));
    await d.check(request({ ip: '203.0.113.9', path: '/api/stations/suggest?q=b', headers: JSON_CALL }));
    await d.advance(1500);
    const code = String(planBotCounters(d.policy, request({ path: '/api/stations/suggest?q=x', headers: JSON_CALL }), null, HOUR_START).ctx!.subject.routeCode);
    const at = HOUR_START + 5000;
    expect(await landings(BOT_KEYS.routeLandAgg, [code], at)).toBe(2);
    // The site's: each address's first landing.
    expect(await landings(BOT_KEYS.popLandAgg, [], at)).toBe(2);
  });

  it('a site taken for one without cookies learns again that its people return theirs', async () => {
    const d = detectors();
    const PAGES = ['about', 'blog', 'news', 'help', 'shop', 'faq', 'team', 'jobs', 'press', 'legal'];
    // Fifty landings from as many addresses over eleven minutes, none coming back: the young policy decides the site
    // hands out no cookie, and a browser without one is anonymous.
    for (let i = 0; i < 50; i++) {
      await d.check(request({ ip: `${20 + i}.${i + 1}.7.9`, path: `/${PAGES[i % PAGES.length]}` }));
      await d.advance(13_000);
    }
    expect(d.baselines().cookiesReturned).toBe(false);
    // People then land (anonymous) and come back with the cookie the site set: still remembered as landings, so
    // their cookies are returns, not made up, and the site is one whose cookies come back again.
    const landings: string[] = [];
    const states: string[] = [];
    for (let i = 0; i < 12; i++) {
      const ip = `${100 + i}.${i + 3}.8.4`;
      landings.push((await d.check(request({ ip, path: `/${PAGES[i % PAGES.length]}` }))).observations!.state);
      await d.advance(2000);
      states.push((await d.check(request({ ip, path: '/products/1', cookie: `issued-${i}` }))).observations!.state);
      await d.advance(2000);
    }
    expect(landings[0]).toBe('anonymous');
    expect(states).toEqual(Array(12).fill('return'));
    expect(landings.at(-1)).toBe('landing');
    expect(d.baselines().cookiesReturned).toBe(true);
  });

  it('a landing is given one cookie: cookies never seen beyond a few per landing are made up (orphans)', async () => {
    const d = detectors();
    const ip = '198.51.100.40';
    await d.check(request({ ip, path: '/' }));
    await d.advance(1000);
    // A person comes back with the cookie the site set, and a site may renew it at a login: the first ones are returns.
    const states: string[] = [];
    for (let i = 0; i < 6; i++) {
      states.push((await d.check(request({ ip, path: `/products/${i}`, cookie: `issued-${i}` }))).observations!.state);
      await d.advance(500);
    }
    expect(states).toEqual(['return', 'return', 'return', 'return', 'orphan', 'orphan']);
    // Another address that landed is not charged with these.
    await d.check(request({ ip: '198.51.100.41', path: '/' }));
    await d.advance(1000);
    expect((await d.check(request({ ip: '198.51.100.41', path: '/products/1', cookie: 'other-1' }))).observations!.state).toBe('return');
  });

  it('a client that lands once, then makes up a cookie for every request, is stopped as one that presents no cookie', async () => {
    const { first, last } = await burst(detectors(), 120, 10, (i) => request({ ip: '192.0.2.79', path: `/api/items/${i}`, headers: XHR, cookie: i === 0 ? undefined : `made-up-${i}` }));
    expect(first).toBeGreaterThanOrEqual(0);
    expect(first).toBeLessThan(20);
    expect(last.verdict).toBe('deny');
    expect(fired(last)).toContain('fresh-orphans');
  });

  it("within the second before the feed's counters are written, the made-up cookies are orphans already", async () => {
    // The server writes what the feed counts once a second; a Check reads this replica's unwritten increments with
    // what the store holds. Without them, every made-up cookie of the burst's first second was a return.
    const made = (i: number) => request({ ip: '192.0.2.80', path: `/api/items/${i}`, headers: XHR, cookie: i === 0 ? undefined : `made-up-${i}` });
    const states = async (pending: boolean) => {
      const d = detectors(undefined, { flushEveryMs: 1000, pending });
      const out: string[] = [];
      for (let i = 0; i < 8; i++) {
        out.push((await d.check(made(i))).observations!.state);
        await d.advance(50);
      }
      return out;
    };
    expect(await states(true)).toEqual(['landing', 'return', 'return', 'return', 'return', 'orphan', 'orphan', 'orphan']);
    expect(await states(false)).toEqual(['landing', 'return', 'return', 'return', 'return', 'return', 'return', 'return']);
  });

  it('a token pair is established only by history older than its recent traffic', async () => {
    const d = detectors();
    const app = { 'user-agent': 'ShopApp/4.2.1 (Android 14) okhttp/4.12.0', accept: 'application/json' };
    const state = async () => (await d.check(request({ ip: '198.51.100.7', path: '/api/products/1', headers: app }), 'mobile-app')).observations?.state;
    // Learned at once, but all of it recent: still new to the token (a crowd's early requests establish nothing).
    expect(await state()).toBe('new-pair');
    await d.advance(5000);
    expect(await state()).toBe('new-pair');
    await d.advance(5000);
    expect(await state()).toBe('new-pair');
    // Twenty minutes later its earlier requests are out of the long window, still in what was learned.
    await d.advance(21 * 60_000);
    expect(await state()).toBe('established-pair');
  });
});

describe('baselines a crowd cannot move', () => {
  // The app's users: ten of them calling all along, and a new one every 30 s, all of one kind (the app's HTTP stack).
  const APP = { 'user-agent': 'ShopApp/4.2.1 (Android 14) okhttp/4.12.0', accept: 'application/json', 'accept-language': 'en-GB', 'accept-encoding': 'gzip' };
  // A script with the app's key and user agent, not its header set: a kind the token's newcomers never were.
  const COPY = { 'user-agent': 'ShopApp/4.2.1 (Android 14) okhttp/4.12.0', accept: 'application/json' };
  const at = (i: number, block: number) => `${block}.${(i >> 8) & 255}.${i & 255}.${1 + (i % 200)}`;

  it("a kind the token's newcomers seldom bring stays rare when a few of its requests were learned", async () => {
    const d = detectors();
    const app = (ip: string, k: number, headers: Record<string, string> = APP) => d.check(request({ ip, path: `/api/products/${(k % 40) + 1}`, headers }), 'mobile-app');
    // 20 minutes: ten users calling all along, a new one every 30 s (two calls), and a new address of the copy every
    // 4 minutes (one call, learned): a quarter of a request a minute, 6% of the token's newcomers. A twentieth made a
    // kind usual, so a handful of a crowd's first requests, learned before its surge was significant, made its kind
    // usual and the crowd was judged only against the token's own newcomers.
    let users = 0;
    let copies = 0;
    for (let s = 0; s < 20 * 60; s += 5) {
      for (let u = 0; u < 10; u++) await app(at(u, 100), s);
      if (s % 30 === 0) {
        users++;
        await app(at(users, 101), 1);
        await app(at(users, 101), 2);
      }
      if (s % 240 === 0) await app(at(copies++, 7), 1, COPY);
      await d.advance(5000);
    }
    // Thirty new addresses of the copy, one a second: a crowd of its own kind.
    const verdicts: string[] = [];
    for (let i = 0; i < 30; i++) {
      verdicts.push((await app(at(100 + i, 7), i, COPY)).verdict);
      await d.advance(1000);
    }
    expect(verdicts.slice(15).every((v) => v !== 'allow'), verdicts.join(' ')).toBe(true);
    // The app's own users, old and new, are not part of it.
    expect((await app(at(3, 100), 1)).verdict).toBe('allow');
    expect((await app(at(users + 1, 101), 1)).verdict).toBe('allow');
  });
});

describe("a token's own users", () => {
  const APP = { 'user-agent': 'ShopApp/4.2.1 (Android 14) okhttp/4.12.0', accept: 'application/json', 'accept-language': 'en-GB', 'accept-encoding': 'gzip' };

  it("who arrive while the token's traffic surges are known to it once let through, not kept new", async () => {
    const d = detectors();
    const call = (ip: string, k: number) => d.check(request({ ip, path: `/api/products/${k % 40}`, headers: APP }), 'mobile-app');
    // Half an hour of ten users calling every 5 s and a new one every 15 s (one call each, learned).
    let n = 0;
    for (let s = 0; s < 1800; s += 5) {
      for (let u = 0; u < 10; u++) await call(`198.51.100.${u + 1}`, s + u);
      if (s % 15 === 0) await call(`198.51.${101 + (n >> 8)}.${n++ & 255}`, s);
      await d.advance(5000);
    }
    // The ten call four times as often (the token's traffic surges, its newcomers do not), and new users arrive
    // while they do (as many as make a crowd, knobs.surge.minTokenCrowdAddresses), on a route newcomers seldom use
    // (on a route where they are usual and not surging, nothing would be held against them): the last one's first
    // call carries the surge's points, and it is let through.
    const offer = (ip: string, k: number) => d.check(request({ ip, path: `/api/offers/${k}`, headers: APP }), 'mobile-app');
    let first: JudgedAssessment | undefined;
    for (let s = 0; s < 120; s += 5) {
      for (let u = 0; u < 10; u++) for (let c = 0; c < 4; c++) await call(`198.51.100.${u + 1}`, s + u + c);
      if (s === 90) {
        for (let u = 1; u < DEFAULT_BOT_KNOBS.surge.minTokenCrowdAddresses; u++) {
          await offer(`192.0.2.${100 + u}`, 1);
          await d.advance(1000);
        }
        first = await offer('192.0.2.77', 1);
      }
      await d.advance(5000);
    }
    expect(first!.verdict).toBe('allow');
    const surge = first!.signals.find((x) => x.name === 'surge-token');
    expect(surge?.score).toBeGreaterThanOrEqual(DEFAULT_BOT_KNOBS.learning.maxScore);
    // Its next calls are not counted as calls from an address new to the token.
    const next = await offer('192.0.2.77', 2);
    expect(next.observations?.state).toBe('new-pair');
    expect(next.observations?.unlearnedPair).toBe(false);
  });

  it("a partner's integration on its own key, with an HTTP library's user agent, is learned like any other client of the key", async () => {
    const d = detectors();
    const PARTNER = { 'user-agent': 'python-requests/2.32.3', accept: '*/*', 'accept-encoding': 'gzip, deflate' };
    const sync = (k: number, consumer: string | null) => d.check(request({ ip: '203.0.113.40', path: `/api/partner/orders/${k}`, headers: PARTNER }), consumer);
    // With the key: nothing held against the library, so its calls are learned and its pair becomes the key's own.
    const keyed = await sync(1, 'partner');
    expect(keyed.signals.map((x) => x.name)).not.toContain('ua-automation');
    expect(keyed.score).toBeLessThan(DEFAULT_BOT_KNOBS.learning.maxScore);
    for (let k = 2; k <= 20; k++) await sync(k, 'partner');
    await d.advance(15 * 60_000);
    expect((await sync(21, 'partner')).observations?.unlearnedPair).toBe(false);
    // The same library without a key is an automation tool as before.
    expect((await d.check(request({ ip: '203.0.113.41', path: '/api/partner/orders/1', headers: PARTNER }))).signals.map((x) => x.name)).toContain('ua-automation');
  });
});

describe('volume against learned thresholds', () => {
  it('a cold burst from one address is flagged within a few requests, each signal with its value and threshold', async () => {
    const automation = { 'user-agent': 'python-requests/2.32.3', accept: '*/*' };
    const { first, last } = await burst(detectors(), 120, 40, (i) => request({ ip: '192.0.2.66', path: `/products/${i}`, headers: automation }));
    expect(first).toBeGreaterThanOrEqual(0);
    expect(first).toBeLessThan(20);
    expect(last.verdict).toBe('deny');
    const volume = last.signals.find((s) => s.name.startsWith('volume-') && s.score > 0)!;
    expect(volume.value).toBeGreaterThan(volume.threshold!);
    expect(volume.detail).toMatch(/threshold/);
  });

  it('one address that changes its fingerprint with every request is one client: its burst is stopped as fast as one that does not', async () => {
    // A language list and a JA4 of its own per request (headers a client sets where the proxy passes no JA4): no
    // source of the address holds two requests.
    const headers = (i: number) => ({ ...XHR, 'accept-language': `x${i}-${i % 7},en;q=0.${(i % 9) + 1}`, 'x-ja4': `t13d1516h2_${(i * 7919).toString(16).padStart(12, '0')}_02713d6af862` });
    const { first, last } = await burst(detectors(), 120, 10, (i) => request({ ip: '192.0.2.77', path: `/api/items/${i}`, headers: headers(i) }));
    expect(first).toBeGreaterThanOrEqual(0);
    expect(first).toBeLessThan(20);
    expect(last.verdict).toBe('deny');
    expect(fired(last)).not.toContain('volume-src-tick');
    const own = last.signals.find((s) => s.name === 'volume-addr-tick')!;
    expect(own.score).toBeGreaterThanOrEqual(50); // a challenge on its own
    expect(own.value).toBeGreaterThan(own.threshold!);
    expect(own.detail).toMatch(/requests from this address in 10s, 100% of them in 10m opening a session and 0% in kept sessions that passed: one client/);
  });

  it("a client that sends a fifth of its traffic with a valid API key does not hide the rest: token calls are left out of the address's", async () => {
    // The same burst, every fifth request a clean call with the app's key. While token calls counted as people's
    // traffic at the address, 151 of the 240 cookieless requests passed.
    const d = detectors();
    const APP = { 'user-agent': 'ShopApp/4.2.1 (Android 14) okhttp/4.12.0', accept: 'application/json', 'accept-language': 'en-GB', 'accept-encoding': 'gzip' };
    let passed = 0;
    for (let i = 0; i < 300; i++) {
      if (i % 5 === 0) await d.check(request({ ip: '192.0.2.99', path: `/api/products/${i % 40}`, headers: APP }), 'mobile-app');
      else if ((await d.check(request({ ip: '192.0.2.99', path: `/api/items/${i}`, headers: { ...XHR, 'accept-language': `x${i}-${i % 7},en;q=0.${(i % 9) + 1}` } }))).verdict === 'allow') passed++;
      await d.advance(10);
    }
    expect(passed).toBeLessThan(30);
  });

  it('a client that keeps one session of its own for a fifth of its traffic: the session is flagged, the rest mostly judged as one client', async () => {
    const d = detectors();
    let fresh = 0;
    let freshPassed = 0;
    let kept: JudgedAssessment | null = null;
    for (let i = 0; i < 300; i++) {
      const inSession = i % 5 === 0;
      const headers = inSession ? XHR : { ...XHR, 'accept-language': `x${i}-${i % 7},en;q=0.${(i % 9) + 1}` };
      const b = await d.check(request({ ip: '192.0.2.80', path: `/api/items/${i}`, headers, cookie: inSession && i > 0 ? 'kept-1' : undefined }));
      if (inSession) kept = b;
      else {
        fresh++;
        if (b.verdict === 'allow') freshPassed++;
      }
      await d.advance(10);
    }
    expect(kept!.verdict).not.toBe('allow');
    // The session's first requests pass clean and count as kept for ten minutes, so a third of the rest still passes
    // (78 of 240 here); counted by the share of all requests in kept sessions, every one of them passed.
    expect(freshPassed).toBeLessThan(0.4 * fresh);
  });

  it('an address whose API clients call with their tokens is not one client: a browser landing there is judged as itself', async () => {
    const d = detectors();
    const ip = '203.0.113.60';
    for (let i = 0; i < 40; i++) {
      await d.check(request({ ip, path: `/api/items/${i}`, headers: { 'user-agent': 'okhttp/4.12.0', accept: 'application/json' } }), 'partner-app');
      await d.advance(120);
    }
    const landing = await d.check(request({ ip, path: '/products/1' }));
    expect(fired(landing)).not.toContain('volume-addr-tick');
    expect(landing.verdict).toBe('allow');
  });

  it('an address where people keep their cookies is not one client: many of them landing at once, each with a fingerprint of their own, are left to their sources', async () => {
    const d = detectors();
    const ip = '203.0.113.50';
    // Eight people behind one NAT land and browse on with their cookies for a minute...
    for (let p = 0; p < 8; p++) {
      await d.check(request({ ip, path: '/products/1', headers: { ...CHROME, 'accept-language': `l${p}` } }));
      await d.advance(500);
      for (let i = 0; i < 4; i++) {
        await d.check(request({ ip, path: `/products/${i + 2}`, cookie: `nat-${p}`, headers: { ...CHROME, 'accept-language': `l${p}` } }));
        await d.advance(1500);
      }
    }
    // ...then sixteen more land within two seconds.
    const landings: JudgedAssessment[] = [];
    for (let p = 0; p < 16; p++) {
      landings.push(await d.check(request({ ip, path: '/products/1', headers: { ...CHROME, 'accept-language': `m${p}` } })));
      await d.advance(120);
    }
    for (const b of landings) {
      expect(fired(b)).not.toContain('volume-addr-tick');
      expect(b.verdict).toBe('allow');
    }
  });

  describe('a client rotating its address within one network', () => {
    const ipv4 = (i: number) => `198.51.100.${(i % 254) + 1}`;
    const ipv6 = (i: number) => `2001:db8:77:${(i + 1).toString(16)}::1`;
    for (const [family, address] of [['IPv4 /24', ipv4], ['IPv6 /48 (a /64 per request)', ipv6]] as const) {
      it(`a Chrome client with no cookie and a new address of one ${family} per request is stopped on a cold server`, async () => {
        // The server's counters written once a second, as it flushes them: the burst's first second is judged with
        // this replica's unwritten counts.
        const d = detectors(undefined, { flushEveryMs: 1000 });
        let passed = 0;
        let last: JudgedAssessment | null = null;
        // 1000 requests in 20 s: on IPv4 each address of the /24 comes round four times.
        const { first } = await burst(d, 250, 20, (i) => request({ ip: address(i), path: `/products/${i}` }));
        for (let i = 250; i < 1000; i++) {
          last = await d.check(request({ ip: address(i), path: `/products/${i}` }));
          if (last.verdict === 'allow') passed++;
          await d.advance(20);
        }
        expect(first).toBeGreaterThanOrEqual(0);
        expect(first).toBeLessThan(30);
        expect(passed).toBe(0);
        const net = last!.signals.find((s) => s.name === 'volume-net-addresses')!;
        expect(net.score).toBeGreaterThanOrEqual(50);
        expect(net.detail).toMatch(/addresses of network .* sent new-session requests in 10s, 100% of the network's requests opening a session and 0% in kept sessions that passed: one client rotating its address/);
      });
    }

    it('a neighbour who blocks cookies adds one address however much they read: a new address landing after them is not flagged', async () => {
      const d = detectors();
      for (let i = 0; i < 30; i++) {
        await d.check(request({ ip: '198.51.100.7', path: `/products/${i}` }));
        await d.advance(300);
      }
      const landing = await d.check(request({ ip: '198.51.100.8', path: '/products/1' }));
      expect(fired(landing)).not.toContain('volume-net-addresses');
      expect(landing.verdict).toBe('allow');
    });

    it("people landing together from a carrier's addresses, each keeping the cookie it was given, are not one client", async () => {
      const d = detectors(undefined, { flushEveryMs: 1000 });
      const verdicts: JudgedAssessment[] = [];
      // Forty people from forty addresses of one /24 in twelve seconds, each back with its cookie a second later.
      for (let p = 0; p < 40; p++) {
        verdicts.push(await d.check(request({ ip: `203.0.113.${p + 1}`, path: '/products/1' })));
        if (p >= 3) verdicts.push(await d.check(request({ ip: `203.0.113.${p - 2}`, path: '/api/cart', cookie: `carrier-${p - 3}`, headers: XHR })));
        await d.advance(300);
      }
      for (const b of verdicts) expect(fired(b)).not.toContain('volume-net-addresses');
      for (const b of verdicts) expect(b.verdict).toBe('allow');
    });

    // An app's image loader: its HTTP stack's user agent, no accept header, neither the session nor the key.
    const APP_IMAGES = { 'user-agent': 'Encore/7.3 (Android 14) okhttp/4.12.0', 'accept-encoding': 'gzip' };
    const APP_API = { ...APP_IMAGES, accept: 'application/json' };
    const phone = (i: number) => `2a02:c7f:ac4d:${(0x1000 + i * 37).toString(16)}:b419:8faa:5db9:682d`;
    // keyEvery: one phone in that many calls the API with the key (0: none does).
    const appTraffic = async (d: ReturnType<typeof detectors>, keyEvery: number) => {
      const images: JudgedAssessment[] = [];
      // Ten minutes: a phone of the carrier's /48 (a /64 each) opens the app every 20 s, calls its API twice with the
      // app's key and loads four images without it.
      for (let i = 0; i < 30; i++) {
        if (keyEvery > 0 && i % keyEvery === 0) for (let k = 0; k < 2; k++) await d.check(request({ ip: phone(i), path: `/api/v2/events/${i * 3 + k}`, headers: APP_API }), 'mobile-app');
        for (let k = 0; k < 4; k++) images.push(await d.check(request({ ip: phone(i), path: `/img/ev/${i * 7 + k}/720.webp`, headers: APP_IMAGES })));
        await d.advance(20_000);
      }
      return images;
    };

    it("an app's users on a carrier's /48, each phone on a /64 of its own, loading its images without the session or the key, are not one client: the network's calls with the key show them", async () => {
      const d = detectors();
      const images = await appTraffic(d, 1);
      for (const b of images) expect(b.signals.find((s) => s.name === 'volume-net-long')?.score ?? 0).toBe(0);
      for (const b of images) expect(b.verdict).toBe('allow');
      // Past the network's threshold all the same: the same requests without the key's calls are flagged (below).
    });

    it('the same requests from a /48 where nothing comes with a key or a kept session are one client rotating its addresses', async () => {
      const d = detectors();
      const images = await appTraffic(d, 0);
      const net = images.at(-1)!.signals.find((s) => s.name === 'volume-net-long');
      expect(net?.score ?? 0).toBeGreaterThan(0);
      expect(net?.detail).not.toMatch(/discounted/);
    });

    it('a client rotating through its /48 that sends a few calls with a key buys a discount of their share only', async () => {
      // One phone in ten calls with the key: 6 of the network's 126 requests in the last 10 minutes.
      const rotating = (await appTraffic(detectors(), 0)).at(-1)!.signals.find((s) => s.name === 'volume-net-long')!;
      const net = (await appTraffic(detectors(), 10)).at(-1)!.signals.find((s) => s.name === 'volume-net-long');
      expect(net?.score ?? 0).toBeGreaterThan(0);
      expect(net!.score).toBeLessThan(rotating.score);
      expect(net!.detail).toMatch(/, 5% of the network's requests in kept sessions or with tokens \(24% discounted\)$/);
    });
  });

  it('a person browsing with a cookie at a human pace raises nothing', async () => {
    const d = detectors();
    await d.check(request({ ip: '203.0.113.8', path: '/' }));
    for (let i = 0; i < 12; i++) {
      await d.advance(9000);
      const b = await d.check(request({ ip: '203.0.113.8', path: `/products/${i}`, cookie: 'person-1' }));
      expect(fired(b)).toEqual([]);
    }
  });

  it('a client that never keeps the cookie is suspected, and a made-up cookie per request flagged', async () => {
    const d = detectors();
    let cookieless: JudgedAssessment | null = null;
    let madeUp: JudgedAssessment | null = null;
    for (let i = 0; i < 14; i++) {
      cookieless = await d.check(request({ ip: '203.0.113.20', path: `/products/${i}` }));
      madeUp = await d.check(request({ ip: '203.0.113.21', path: `/products/${i}`, cookie: `fake-${i}` }));
      await d.advance(15_000);
    }
    expect(fired(cookieless!)).toContain('fresh-sessions');
    // Without a cookie at all it may be a person who blocks cookies: not a challenge on that alone.
    expect(cookieless!.score).toBeLessThan(50);
    expect(fired(madeUp!)).toContain('fresh-orphans');
    expect(madeUp!.verdict).not.toBe('allow');
  });

  it('a person who blocks cookies loads pages with their API calls unchallenged; a cookieless burst is not', async () => {
    const d = detectors();
    const api = { ...CHROME, accept: 'application/json' };
    let worst: JudgedAssessment | null = null;
    // Two pages in 10 s, each with its four API calls, then a pause to read: six pages in a minute.
    for (let page = 0; page < 6; page++) {
      const calls = [request({ ip: '203.0.113.30', path: `/products/${page}` })];
      for (let c = 0; c < 4; c++) calls.push(request({ ip: '203.0.113.30', path: `/api/availability?sku=${page * 4 + c}`, headers: api }));
      for (const req of calls) {
        const b = await d.check(req);
        if (!worst || b.score > worst.score) worst = b;
        await d.advance(150);
      }
      await d.advance(page % 2 === 0 ? 4000 : 15_000);
    }
    expect(worst!.verdict).toBe('allow');
    expect(fired(worst!)).not.toContain('volume-src-tick');

    let burst: JudgedAssessment | null = null;
    for (let i = 0; i < 20; i++) {
      burst = await d.check(request({ ip: '203.0.113.31', path: `/products/${i}` }));
      await d.advance(400);
    }
    expect(fired(burst!)).toContain('volume-src-tick');

    // A client that paces itself evenly under the floor (one request every 1.1 s, 55 a minute) is still a
    // cookieless flood: stopped within two minutes (on this young policy the route's surge of newcomers that never
    // come back may stop it first), and by then its 10-minute count alone says so.
    let paced: JudgedAssessment | null = null;
    let stoppedAt = -1;
    for (let i = 0; i < 110; i++) {
      paced = await d.check(request({ ip: '203.0.113.32', path: `/products/${i}` }));
      if (paced.verdict !== 'allow') stoppedAt = i;
      await d.advance(1100);
    }
    expect(stoppedAt).toBeGreaterThanOrEqual(0);
    expect(fired(paced!)).not.toContain('volume-src-tick');
    expect(fired(paced!)).toContain('volume-src-long');
  });

  it("a person who blocks cookies fetching two pages' files within seconds is no burst; requests dressed as files but not named as one are counted", async () => {
    const d = detectors();
    const file = (dest: string) => ({ ...CHROME, accept: '*/*', 'sec-fetch-dest': dest, 'sec-fetch-mode': 'no-cors' });
    const fetched: JudgedAssessment[] = [];
    // Two pages within 3 s, each with its style sheet, script, font, favicon and images: 18 requests outside a session.
    for (let page = 0; page < 2; page++) {
      fetched.push(await d.check(request({ ip: '203.0.113.33', path: `/deals/${page}` })));
      const files: Array<[string, string]> = [['/static/site.css', 'style'], ['/static/app.js', 'script'], ['/static/inter.woff2', 'font'], ['/favicon.ico', 'image']];
      for (let i = 0; i < 5; i++) files.push([`/img/dest/${page}-${i}-960.webp`, 'image']);
      for (const [path, dest] of files) {
        fetched.push(await d.check(request({ ip: '203.0.113.33', path, headers: file(dest) })));
        await d.advance(100);
      }
      await d.advance(1500);
    }
    // Neither the source's nor the address's (one client where nothing is kept) 10 s count.
    const tick = (b: JudgedAssessment) => Math.max(0, ...b.signals.filter((x) => x.name === 'volume-src-tick' || x.name === 'volume-addr-tick').map((x) => x.score));
    expect(fetched.map(tick)).toEqual(fetched.map(() => 0));
    // The same count of requests with an image's fetch metadata on paths that name no file: a burst.
    let dressed: JudgedAssessment | null = null;
    for (let i = 0; i < 20; i++) {
      dressed = await d.check(request({ ip: '203.0.113.34', path: `/api/deals?page=${i}`, headers: file('image') }));
      await d.advance(150);
    }
    expect(tick(dressed!)).toBeGreaterThan(0);
    // A file's name in a `;` parameter the upstream drops (as the policy reads the path) names no file either.
    let parameter: JudgedAssessment | null = null;
    for (let i = 0; i < 20; i++) {
      parameter = await d.check(request({ ip: '203.0.113.35', path: `/api/deals;x.webp?page=${i}`, headers: file('image') }));
      await d.advance(150);
    }
    expect(tick(parameter!)).toBeGreaterThan(0);
  });
});

const NAVIGATE = { ...CHROME, accept: 'text/html,application/xhtml+xml', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document', 'sec-fetch-site': 'same-origin' };
const XHR = { ...CHROME, accept: 'application/json', 'sec-fetch-mode': 'cors', 'sec-fetch-dest': 'empty', 'sec-fetch-site': 'same-origin' };

/** Detectors that learned a site whose pages bring their API calls: 40 people, each three pages with three calls (`calls`). */
async function siteWherePagesBringCalls(people = 40, calls = 3): Promise<ReturnType<typeof detectors>> {
  const app = detectors();
  for (let p = 0; p < people; p++) {
    for (let page = 0; page < 3; page++) {
      for (const [i, headers] of [NAVIGATE, ...Array.from({ length: calls }, () => XHR)].entries()) {
        await app.check(request({ ip: `198.51.${100 + (p >> 8)}.${(p & 255) + 1}`, path: i === 0 ? `/products/${page}` : `/api/availability?sku=${page}`, cookie: page + i === 0 ? undefined : `person-${p}`, headers }));
        await app.advance(i === calls ? 3000 : 100);
      }
    }
  }
  return app;
}

describe('page loads per session', () => {

  it('a crawler that keeps its cookie is challenged within a minute by its pace in pages; a person sending as many requests is not', async () => {
    const d = detectors();
    // A person: ten pages a minute, each with its four API calls (50 requests a minute) for three minutes.
    let person: JudgedAssessment | null = null;
    for (let page = 0; page < 30; page++) {
      for (const [i, headers] of [NAVIGATE, XHR, XHR, XHR, XHR].entries()) {
        const b = await d.check(request({ ip: '203.0.113.40', path: i === 0 ? `/products/${page}` : `/api/availability?sku=${page}`, cookie: page + i === 0 ? undefined : 'person-40', headers }));
        expect(b.verdict).toBe('allow');
        person = b;
        await d.advance(i === 4 ? 5400 : 150);
      }
      expect(fired(person!)).not.toContain('volume-sess-pages');
    }
    // A crawler: the same 50 requests a minute, every one a page, in one cookie session; and one without fetch
    // metadata that asks for HTML (each on a server of its own: a crawler's first pages are learned from).
    for (const [ip, headers] of [['203.0.113.41', NAVIGATE], ['203.0.113.42', { 'user-agent': CHROME['user-agent'], accept: 'text/html,*/*;q=0.8', 'accept-language': 'en' }]] as const) {
      const d = detectors();
      let stoppedAt = -1;
      let last: JudgedAssessment | null = null;
      for (let i = 0; i < 60 && stoppedAt < 0; i++) {
        last = await d.check(request({ ip, path: `/products/${i}`, cookie: i === 0 ? undefined : `crawl-${ip}`, headers }));
        if (last.verdict !== 'allow') stoppedAt = i;
        await d.advance(1200);
      }
      expect(stoppedAt).toBeGreaterThan(0);
      expect(fired(last!)).toContain('volume-sess-pages');
      expect(last!.signals.find((x) => x.name === 'volume-sess-pages')!.detail).toMatch(/page loads in this session in 1m/);
    }
  });

  it('a crawler that renders every page as a browser does is challenged by its pages over the long window, at a pace no minute shows; a person sending more requests is not', async () => {
    // Each page with its calls, one every `gapMs`, for twelve minutes, in one kept session (a server of its own each).
    const browse = async (ip: string, gapMs: number, calls: number) => {
      const d = detectors();
      let stoppedAt = -1;
      let last: JudgedAssessment | null = null;
      const pages = Math.floor((12 * 60_000) / gapMs);
      for (let page = 0; page < pages && stoppedAt < 0; page++) {
        for (let c = 0; c <= calls; c++) {
          const b = await d.check(request({ ip, path: c === 0 ? `/products/${page}` : `/api/availability?sku=${page}`, cookie: page + c === 0 ? undefined : `browse-${ip}`, headers: c === 0 ? NAVIGATE : XHR }));
          if (c === 0) last = b;
          if (b.verdict !== 'allow' && stoppedAt < 0) stoppedAt = page;
          await d.advance(c === calls ? gapMs - calls * 200 : 200);
        }
      }
      return { stoppedAt, last: last! };
    };
    // A crawler: twelve pages a minute (no more than a person's busiest minute), one API call each.
    const crawler = await browse('203.0.113.45', 5000, 1);
    expect(crawler.stoppedAt).toBeGreaterThan(60);
    expect(crawler.stoppedAt).toBeLessThan(120);
    const long = crawler.last.signals.find((x) => x.name === 'volume-sess-pages-long')!;
    expect(long.score).toBeGreaterThanOrEqual(50);
    expect(long.detail).toMatch(/page loads in this session in 10m/);
    // Its minute and its requests alone stay under the challenge.
    for (const name of ['volume-sess-pages', 'volume-sess-long']) expect(crawler.last.signals.find((x) => x.name === name)?.score ?? 0).toBeLessThan(50);
    // A person reading four pages a minute, each bringing four calls: more requests than the crawler, never challenged.
    const person = await browse('203.0.113.46', 15_000, 4);
    expect(person.stoppedAt).toBe(-1);
    expect(person.last.signals.find((x) => x.name === 'volume-sess-pages-long')?.score ?? 0).toBeLessThan(50);
  });

  it('pages-only: a session whose pages come without the requests the site\'s pages bring is flagged; where pages come alone it is not', async () => {
    const crawl = async (d: ReturnType<typeof detectors>, ip: string) => {
      let stoppedAt = -1;
      let last: JudgedAssessment | null = null;
      // 30 pages a minute: under what volume-sess-pages challenges alone.
      for (let i = 0; i < 40 && stoppedAt < 0; i++) {
        last = await d.check(request({ ip, path: `/products/${i}`, cookie: i === 0 ? undefined : `crawl-${ip}`, headers: NAVIGATE }));
        if (last.verdict !== 'allow') stoppedAt = i;
        await d.advance(2000);
      }
      return { stoppedAt, last: last! };
    };
    const app = await siteWherePagesBringCalls();
    const onApp = await crawl(app, '203.0.113.50');
    expect(onApp.stoppedAt).toBeGreaterThan(0);
    expect(onApp.stoppedAt).toBeLessThan(30);
    const pagesOnly = onApp.last.signals.find((x) => x.name === 'pages-only')!;
    expect(pagesOnly.score).toBeGreaterThan(0);
    expect(pagesOnly.detail).toMatch(/0 requests besides \d+ page loads/);
    // The same crawler where nothing says pages bring other requests (the prior: a server-rendered site).
    const plain = await crawl(detectors(), '203.0.113.51');
    expect(plain.stoppedAt).toBe(-1);
    expect(fired(plain.last)).not.toContain('pages-only');
  });

  it('pages-only from an address: a client that keeps no cookie and fetches pages alone, slowly, is flagged where pages bring calls; a person who blocks cookies is not', async () => {
    const app = await siteWherePagesBringCalls();
    const slow = async (d: ReturnType<typeof detectors>, ip: string, callsOf: number | ((page: number) => number)) => {
      let last: JudgedAssessment | null = null;
      let firstPagesOnly = -1;
      // A page every 15 s for ten minutes (four a minute: no volume signal), no cookie ever returned.
      for (let page = 0; page < 40; page++) {
        const calls = typeof callsOf === 'number' ? callsOf : callsOf(page);
        for (let c = 0; c <= calls; c++) {
          const b = await d.check(request({ ip, path: c === 0 ? `/products/${page}` : `/api/availability?sku=${page}`, headers: c === 0 ? NAVIGATE : XHR }));
          if (c === 0) last = b;
          if (firstPagesOnly < 0 && fired(b).includes('pages-only')) firstPagesOnly = page;
          await d.advance(c === calls ? 15_000 - calls * 150 : 150);
        }
      }
      return { last: last!, firstPagesOnly };
    };
    const scraper = await slow(app, '203.0.113.60', 0);
    expect(scraper.firstPagesOnly).toBeGreaterThanOrEqual(DEFAULT_BOT_KNOBS.methods.minAddressPages - 1);
    expect(scraper.firstPagesOnly).toBeLessThan(12);
    expect(scraper.last.verdict).not.toBe('allow');
    expect(scraper.last.signals.find((x) => x.name === 'pages-only')!.detail).toMatch(/0 requests besides \d+ page loads from this address in 10m/);
    const person = await slow(app, '203.0.113.61', 3);
    expect(person.firstPagesOnly).toBe(-1);
    // A reader whose pages seldom make their calls (one call every fifth page): improbable, but not pages alone.
    const reader = await slow(app, '203.0.113.63', (page) => (page % 5 === 4 ? 1 : 0));
    expect(reader.firstPagesOnly).toBe(-1);
    // Where nothing says pages bring other requests (the prior), the scraper's pages alone say nothing.
    expect((await slow(detectors(), '203.0.113.62', 0)).firstPagesOnly).toBe(-1);
  });

  it('pages-only over ten minutes: a crawler that keeps its cookie and fetches a page every 15 s, alone, is challenged; a person is not', async () => {
    const app = await siteWherePagesBringCalls();
    const slow = async (ip: string, callsOf: (page: number) => number) => {
      let stoppedAt = -1;
      let last: JudgedAssessment | null = null;
      // Four pages a minute in one kept session: never a dozen in two minutes (the minute's pages-only), no volume.
      for (let page = 0; page < 40 && stoppedAt < 0; page++) {
        const calls = callsOf(page);
        for (let c = 0; c <= calls; c++) {
          const b = await app.check(request({ ip, path: c === 0 ? `/products/${page}` : `/api/availability?sku=${page}`, cookie: page + c === 0 ? undefined : `slow-${ip}`, headers: c === 0 ? NAVIGATE : XHR }));
          if (c === 0) last = b;
          if (b.verdict !== 'allow' && stoppedAt < 0) stoppedAt = page;
          await app.advance(c === calls ? 15_000 - calls * 150 : 150);
        }
      }
      return { stoppedAt, last: last! };
    };
    const crawler = await slow('203.0.113.70', () => 0);
    expect(crawler.stoppedAt).toBeGreaterThanOrEqual(DEFAULT_BOT_KNOBS.methods.minSessionPagesLong - 1);
    expect(crawler.stoppedAt).toBeLessThan(30);
    const signal = crawler.last.signals.find((x) => x.name === 'pages-only')!;
    expect(signal.score).toBeGreaterThanOrEqual(50);
    expect(signal.detail).toMatch(/0 requests besides \d+ page loads in this session in 10m/);
    // A person whose pages bring their calls, and a reader whose pages seldom do (one call every fifth page).
    expect((await slow('203.0.113.71', () => 3)).stoppedAt).toBe(-1);
    expect((await slow('203.0.113.72', (page) => (page % 5 === 4 ? 1 : 0))).stoppedAt).toBe(-1);
  });
});

/**
 * One kept session loading `pages` pages every `everyMs` (each page load with `pageHeaders`), each followed by
 * `callsOf(page)` calls; the verdicts.
 */
async function session(app: Awaited<ReturnType<typeof siteWherePagesBringCalls>>, ip: string, pages: number, everyMs: number, callsOf: (page: number) => number, pageHeaders: Record<string, string> = NAVIGATE): Promise<JudgedAssessment[]> {
  const out: JudgedAssessment[] = [];
  for (let page = 0; page < pages; page++) {
    const calls = callsOf(page);
    for (let c = 0; c <= calls; c++) {
      out.push(await app.check(request({ ip, path: c === 0 ? `/products/${page}` : `/api/availability?sku=${page}`, cookie: page + c === 0 ? undefined : `s-${ip}`, headers: c === 0 ? pageHeaders : XHR })));
      await app.advance(c === calls ? everyMs - calls * 150 : 150);
    }
  }
  return out;
}

describe('pages-only with a page volume people seldom reach', () => {
  it("a crawler rendering pages at a reader's pace, a call every other page where people's pages make three, is held once its pages reach people's threshold", async () => {
    // Enough people that their pages' share of session requests is learned near their own (a quarter), the crawler's
    // pages notwithstanding.
    const app = await siteWherePagesBringCalls(200);
    // Four pages a minute: never a dozen in two minutes, and a call every other page is no page alone over ten minutes.
    const crawler = await session(app, '203.0.113.80', 45, 15_000, (page) => page % 2);
    const first = crawler.findIndex((b) => b.verdict !== 'allow');
    expect(first).toBeGreaterThan(0);
    const at = crawler[first]!;
    expect(fired(at)).toEqual(expect.arrayContaining(['pages-only', 'volume-sess-pages-long']));
    expect(at.signals.find((x) => x.name === 'pages-only')!.detail).toMatch(/as many pages as people's sessions seldom load there \(30\)/);
    // Held from then on.
    expect(crawler.slice(first).filter((b) => b.verdict === 'allow').length).toBeLessThan(crawler.slice(first).length / 10);
    // A reader as fast whose pages make their calls is not; nor is one who reads fewer pages than people's threshold.
    expect((await session(app, '203.0.113.81', 45, 15_000, () => 3)).filter((b) => b.verdict !== 'allow')).toEqual([]);
    const few = await session(app, '203.0.113.82', 25, 15_000, (page) => page % 2);
    expect(few.flatMap((b) => fired(b)).filter((n) => n === 'pages-only')).toEqual([]);
  });
});

describe('a write as a session\'s first request', () => {
  it('counts where the address shows no people, not after a person\'s kept session whose cookie the site replaced', async () => {
    const app = await siteWherePagesBringCalls(40);
    const POST = { ...XHR, 'content-type': 'application/json' };
    // A person back with the cookie of an earlier visit: pages and calls; the site replaces the expired cookie in an
    // answer, and the next request is the cart.
    for (let page = 0; page < 3; page++) {
      for (const [i, headers] of [NAVIGATE, XHR, XHR, XHR].entries()) {
        await app.check(request({ ip: '203.0.113.70', path: i === 0 ? `/products/${page}` : `/api/availability?sku=${page}`, cookie: 'old-70', headers }));
        await app.advance(i === 3 ? 20_000 : 150);
      }
    }
    const person = await app.check(request({ ip: '203.0.113.70', method: 'POST', path: '/api/cart/items', cookie: 'new-70', headers: POST }));
    expect(fired(person)).not.toContain('first-request-not-get');
    // From an address that kept nothing, the same write is a tell.
    const stranger = await app.check(request({ ip: '203.0.113.71', method: 'POST', path: '/api/cart/items', cookie: 'new-71', headers: POST }));
    expect(fired(stranger)).toContain('first-request-not-get');
    // A client that kept one session clean at its address to earn the discount, then posts with a new cookie each
    // time: the discount is the tell's alone; its sessions never seen hold it.
    let last: JudgedAssessment | null = null;
    for (let i = 0; i < 60; i++) {
      last = await app.check(request({ ip: '203.0.113.70', method: 'POST', path: '/api/cart/items', cookie: `forged-${i}`, headers: POST }));
      await app.advance(1000);
    }
    expect(held(last!)).toBe(true);
    expect(fired(last!)).toContain('fresh-orphans');
  });
});

describe("a crowd's write that opens a session, behind an address where people keep cookies", () => {
  // A carrier's NAT: 300 requests in 10 minutes, 200 of them in sessions kept clean, 20 landings. The route's newcomers
  // surge (45 in the last minute, 10 usual) and none of its 45 recent landings came back.
  const judgeAtNat = (method: string, path: string, headers: Record<string, string>, people = true) =>
    judgeWithCounters(request({ method, path, ip: '203.0.113.120', headers }), { returnRatio: 0.45, landingGate: 0 }, (counters, s) => {
      counters[s.ipLong] = [people ? 300 : 3, 0];
      counters[s.newLong] = [people ? 20 : 3, 0];
      counters[s.keptLong] = [people ? 200 : 0, 0];
      counters[s.routeFresh] = [1, 22, 22];
      counters[s.routeFreshBase] = [0, 600];
      counters[s.routeLand] = [1, 22, 23, 0];
      counters[s.routeRet] = [0, 0, 0];
    }).signals.find((x) => x.name === 'surge-route')?.score ?? 0;

  it("is held with the route's crowd; a page landing there, a person's, is spared for the people behind the address", () => {
    // Before, the people's kept sessions took the crowd's evidence off both: a fifth of a promotion crowd's addresses on
    // carriers' NATs redeemed unheld (model e's distributed surge, bench/RESULTS.md).
    const page = { ...CHROME, ...NAVIGATE };
    const redeem = { ...CHROME, ...XHR, 'content-type': 'application/json' };
    expect(judgeAtNat('GET', '/promo/spring', page, false)).toBeGreaterThan(25);
    expect(judgeAtNat('GET', '/promo/spring', page)).toBe(0);
    // The write keeps what it would score from an address of its own.
    expect(judgeAtNat('POST', '/api/promo/redeem', redeem)).toBeGreaterThan(25);
    expect(judgeAtNat('POST', '/api/promo/redeem', redeem)).toBe(judgeAtNat('POST', '/api/promo/redeem', redeem, false));
  });
});

describe('pages typed in', () => {
  const TYPED = { ...NAVIGATE, 'sec-fetch-site': 'none' };

  it('a crawler that keeps its cookie and types in every page, fetching nothing else, is held within its first seven pages', async () => {
    // A single-page app's site: people's pages make nine calls each.
    const app = await siteWherePagesBringCalls(100, 9);
    const crawler = await session(app, '203.0.113.90', 12, 20_000, () => 0, TYPED);
    const first = crawler.findIndex(held);
    // Five in the session besides its landing, counted over sliding buckets.
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThanOrEqual(6);
    expect(fired(crawler[first]!)).toContain('pages-only');
    expect(crawler[first]!.signals.find((x) => x.name === 'pages-only')!.detail).toMatch(/this one typed in/);
    expect(crawler.slice(first).every(held)).toBe(true);
    // The same pages reached from the site's own: twelve page loads before the long window judges them.
    const clicked = await session(app, '203.0.113.91', 12, 20_000, () => 0);
    expect(clicked.slice(0, 11).filter(held)).toEqual([]);
  });

  it('a person typing in pages that bring their calls, or reloading a page, is not held', async () => {
    const app = await siteWherePagesBringCalls(100, 9);
    expect((await session(app, '203.0.113.92', 12, 20_000, () => 3, TYPED)).filter(held)).toEqual([]);
    // Reloads of one page: the browser asks caches to revalidate.
    expect((await session(app, '203.0.113.93', 8, 20_000, () => 0, { ...TYPED, 'cache-control': 'max-age=0' })).filter(held)).toEqual([]);
  });
});

describe('scoring', () => {
  it('the strongest signal of a family counts, the others stay explained at 0', () => {
    const s = (name: string, family: ScoredSignal['family'], score: number): ScoredSignal => ({ name, family, score, detail: '' });
    const out = strongestPerFamily([s('volume-a', 'volume', 30), s('volume-b', 'volume', 55), s('fresh', 'fresh', 20), s('ua', 'tells', 45), s('acc', 'tells', 15)]);
    expect(out.map((x) => x.score)).toEqual([0, 55, 20, 45, 15]);
  });

  it('a surge needs a significant excess; its points rise as the crowd outnumbers the usual', () => {
    expect(surgeShare(6, 1, 1).share).toBe(0);
    expect(surgeShare(10, 20, 1).share).toBe(0);
    // 11 against 3 expected (1.5 learned x slack 2) is p = 10^-3.5: a surge of failures, not of anything else.
    expect(surgeShare(11, 1.5, 1).share).toBe(0);
    expect(surgeShare(11, 1.5, 1, DEFAULT_BOT_KNOBS, DEFAULT_BOT_KNOBS.surge.failureMinSurprise).share).toBeCloseTo(1 - 1.5 / 11, 6);
    const big = surgeShare(400, 2, 1);
    expect(big.share).toBeGreaterThan(0.98);
    expect(big.surprise).toBeGreaterThan(100);
    expect(aggregatePoints(0.4)).toBe(0);
    expect(aggregatePoints(0.9)).toBeLessThan(aggregatePoints(0.99));
    expect(aggregatePoints(0.999999)).toBe(DEFAULT_BOT_KNOBS.surge.max);
  });
});

describe('a policy not yet warm', () => {
  it('judges a surge against the short history it has: the longer the history, the smaller the surge that stands out', () => {
    // 24 a minute where 4 were learned (8 expected with the slack): a surge against hours of history (p = 10^-5.4), not
    // against one, two or five minutes of it.
    expect(surgeShare(24, 4, 1).share).toBeCloseTo(1 - 4 / 24, 6);
    for (const minutes of [1, 2, 5]) expect(surgeShare(24, 4, 1, DEFAULT_BOT_KNOBS, undefined, minutes).share).toBe(0);
    expect(surgeShare(24, 4, 1, DEFAULT_BOT_KNOBS, undefined, 10).share).toBeCloseTo(1 - 4 / 24, 6);
    // A crowd ten times the usual stands out after two minutes, not after one.
    expect(surgeShare(40, 4, 1, DEFAULT_BOT_KNOBS, undefined, 1).share).toBe(0);
    expect(surgeShare(40, 4, 1, DEFAULT_BOT_KNOBS, undefined, 2).share).toBeCloseTo(1 - 4 / 40, 6);
    const young = (h: number) => surgeShare(40, 4, 1, DEFAULT_BOT_KNOBS, undefined, h).surprise;
    expect(young(2)).toBeLessThan(young(5));
    expect(young(5)).toBeLessThan(young(60));
    expect(young(60)).toBeLessThan(surgeShare(40, 4, 1).surprise);
  });

  for (const minutes of [2, 5]) it(`a crowd that starts ${minutes} minutes after a cold start is flagged as a crowd; the people before it are not`, async () => {
    const d = detectors();
    // People: one lands every 10 s and comes back 2 s later with the cookie it was given.
    let person = 0;
    const people: JudgedAssessment[] = [];
    const personArrives = async () => {
      const i = person++;
      const ip = `203.0.${113 + (i >> 8)}.${i & 255}`;
      people.push(await d.check(request({ ip, path: `/products/${i % 30}` })));
      await d.advance(2000);
      people.push(await d.check(request({ ip, path: '/api/cart', cookie: `p-${i}`, headers: { ...CHROME, accept: 'application/json' } })));
    };
    for (let s = 0; s < minutes * 60; s += 10) {
      await personArrives();
      await d.advance(8000);
    }
    expect(d.baselines().warm).toBe(false);
    expect(people.filter((b) => b.verdict !== 'allow')).toEqual([]);
    // A crowd of newcomers in people's browsers, four a second (forty times the people's landings), each from an
    // address (and network) of its own, never coming back.
    const crowd: JudgedAssessment[] = [];
    for (let i = 0; i < 960; i++) {
      crowd.push(await d.check(request({ ip: `${11 + (i % 200)}.${Math.floor(i / 200)}.${i & 255}.9`, path: `/products/${(i * 7) % 30}` })));
      if (i % 40 === 0) await personArrives();
      await d.advance(250);
    }
    expect(d.baselines().warm).toBe(false);
    // After its first two minutes, most of it is flagged, by the surge on the route and its cell.
    const late = crowd.slice(crowd.length / 2);
    const flagged = late.filter((b) => b.verdict !== 'allow');
    expect(flagged.length / late.length).toBeGreaterThan(0.8);
    expect(fired(flagged.at(-1)!).filter((n) => n === 'surge-route' || n === 'surge-cell')).not.toEqual([]);
  });

  it('a crowd spread over the routes of one family (a page per city and place) is held by the family\'s surge', async () => {
    const d = detectors();
    // Forty cities, each a route of its own (/r/<city>/{id}): the family is /r/*/{id}.
    const CITIES = Array.from({ length: 40 }, (_, i) => `city${String.fromCharCode(97 + (i % 26))}${String.fromCharCode(97 + Math.floor(i / 26))}`);
    // People: one lands every 10 s on a place's page and comes back 2 s later with the cookie it was given.
    let person = 0;
    const people: JudgedAssessment[] = [];
    const personArrives = async () => {
      const i = person++;
      const ip = `203.0.${113 + (i >> 8)}.${i & 255}`;
      people.push(await d.check(request({ ip, path: `/r/${CITIES[i % CITIES.length]}/${1000 + (i % 40)}` })));
      await d.advance(2000);
      people.push(await d.check(request({ ip, path: '/api/cart', cookie: `p-${i}`, headers: { ...CHROME, accept: 'application/json' } })));
    };
    for (let s = 0; s < 5 * 60; s += 10) {
      await personArrives();
      await d.advance(8000);
    }
    expect(people.filter(held)).toEqual([]);
    // A crowd of newcomers, two a second, each address landing twice on places of its own, never coming back: three
    // a minute on each city's route, which never surges alone; a hundred and twenty on the family.
    const second: JudgedAssessment[] = [];
    for (let i = 0; i < 480; i++) {
      const ip = `${11 + (i % 200)}.${Math.floor(i / 200)}.${i & 255}.9`;
      await d.check(request({ ip, path: `/r/${CITIES[i % CITIES.length]}/${5000 + i}` }));
      await d.advance(250);
      second.push(await d.check(request({ ip, path: `/r/${CITIES[(i + 5) % CITIES.length]}/${9000 + i}` })));
      if (i % 20 === 0) await personArrives();
      await d.advance(250);
    }
    const late = second.slice(second.length / 2);
    expect(late.filter(held).length / late.length).toBeGreaterThan(0.8);
    const route = late.filter(held).at(-1)!.signals.find((x) => x.name === 'surge-route')!;
    expect(route.detail).toMatch(/on the routes of GET \/r\/\*\/\{id\}/);
    expect(route.detail).toMatch(/recent landings on these routes came back/);
  });

  it('a crowd that creeps in over hours, doubling every half hour, is held once it outgrows what its route\'s returns account for', async () => {
    const d = detectors();
    const MIN = 60_000;
    const END = 4 * 60 * MIN;
    // People: one lands every 10 s on a product page and comes back 2 s later with the cookie it was given. A crowd:
    // addresses landing twice each on product pages, 5 s apart, never coming back, from one every 4 minutes at first,
    // doubling every 30 minutes (64 a minute after four hours): never twice what the route learned over the last hour,
    // and most of the site's landings (the site's return ratio falls from 100 % to under 30 %).
    type Step = { at: number; who: 'person' | 'crowd' | 'again'; i: number };
    const steps: Step[] = [];
    for (let i = 0; i * 10_000 < END; i++) steps.push({ at: i * 10_000, who: 'person', i });
    const r0 = 0.25 / MIN;
    const doubling = 30 * MIN;
    for (let k = 1; ; k++) {
      const at = Math.round(doubling * Math.log2(1 + (k * Math.LN2) / (r0 * doubling)));
      if (at + 5000 >= END) break;
      steps.push({ at, who: 'crowd', i: k }, { at: at + 5000, who: 'again', i: k });
    }
    steps.sort((a, b) => a.at - b.at);
    let now = 0;
    const early: JudgedAssessment[] = [];
    const late: JudgedAssessment[] = [];
    for (const step of steps) {
      await d.advance(step.at - now);
      now = step.at;
      if (step.who === 'person') {
        const ip = `203.0.${113 + ((step.i >> 8) % 8)}.${step.i & 255}`;
        const landed = await d.check(request({ ip, path: `/products/${1000 + (step.i % 400)}` }));
        if (now < 60 * MIN) early.push(landed);
        await d.advance(2000);
        now += 2000;
        await d.check(request({ ip, path: '/api/cart', cookie: `p-${step.i}`, headers: { ...CHROME, accept: 'application/json' } }));
      } else {
        const b = await d.check(request({ ip: `${11 + (step.i % 200)}.${(step.i >> 8) & 255}.${step.i & 255}.9`, path: `/products/${5000 + step.i}${step.who === 'again' ? '1' : ''}` }));
        if (step.who === 'again' && now >= END - 30 * MIN) late.push(b);
      }
    }
    expect(early.filter(held)).toEqual([]);
    expect(late.length).toBeGreaterThan(1000);
    expect(late.filter(held).length / late.length).toBeGreaterThan(0.8);
    const route = late.filter(held).at(-1)!.signals.find((x) => x.name === 'surge-route')!;
    expect(route.detail).toMatch(/its learned rate counted at \d+%: its landings of the last hour came back \d+%, \d+% in its best hour/);
  });

  // An app's phones, each calling its API with the app's key and loading images with neither the key nor a session.
  const phones = async (d: ReturnType<typeof detectors>, withKey: boolean, imagesAgent = 'Encore/7.3 (Android 14) okhttp/4.12.0') => {
    const APP_API = { 'user-agent': 'Encore/7.3 (Android 14) okhttp/4.12.0', accept: 'application/json', 'accept-encoding': 'gzip' };
    const APP_IMAGES = { 'user-agent': imagesAgent, 'accept-encoding': 'gzip' };
    const images: JudgedAssessment[] = [];
    // Two minutes from a cold start: a phone opens the app every 1.5 s (a push): 80 phones, 320 images.
    for (let i = 0; i < 80; i++) {
      const ip = `${31 + (i % 50)}.${i}.17.${i + 2}`;
      if (withKey) for (let k = 0; k < 2; k++) await d.check(request({ ip, path: `/api/v2/events/${i * 2 + k}`, headers: APP_API }), 'mobile-app');
      for (let k = 0; k < 4; k++) images.push(await d.check(request({ ip, path: `/img/ev/${i * 4 + k}/480.webp`, headers: APP_IMAGES })));
      await d.advance(1500);
    }
    return images;
  };

  it("an app's phones loading its images with neither the session nor the key, after a cold start, are no crowd on the images' route: their addresses call with the key", async () => {
    const images = await phones(detectors(), true);
    expect(images.filter((b) => b.verdict !== 'allow').map((b) => fired(b))).toEqual([]);
  });

  it('the same image loads from addresses that never call with a key are a crowd on that route', async () => {
    const images = await phones(detectors(), false);
    const flagged = images.filter((b) => b.verdict !== 'allow');
    expect(flagged.length).toBeGreaterThanOrEqual(20);
    expect(fired(flagged.at(-1)!).some((n) => n.startsWith('surge-'))).toBe(true);
  });

  it("a script that names its HTTP library is no app, whatever its address's other calls carry (a carrier's NAT where an app's users call with its key)", async () => {
    const images = await phones(detectors(), true, 'python-requests/2.32.3');
    const surged = images.filter((b) => fired(b).some((n) => n.startsWith('surge-')));
    expect(surged.length).toBeGreaterThanOrEqual(20);
  });

  it("a token's own clients, learned since the cold start, are not taken for the crowd that copies its key", async () => {
    const d = detectors();
    const APP = { 'user-agent': 'ShopApp/4.2.1 (Android 14) okhttp/4.12.0', accept: 'application/json', 'accept-language': 'en-GB', 'accept-encoding': 'gzip' };
    const call = (ip: string, k: number) => d.check(request({ ip, path: `/api/products/${k % 40}`, headers: APP }), 'mobile-app');
    // Four minutes of ten users calling every 5 s.
    const own: JudgedAssessment[] = [];
    for (let s = 0; s < 240; s += 5) {
      for (let u = 0; u < 10; u++) own.push(await call(`198.51.100.${u + 1}`, s + u));
      await d.advance(5000);
    }
    // Then a script copying the key and the app's user agent (not its other headers) calls from a new address every
    // half second, six times each, while the users go on.
    const SCRIPT = { 'user-agent': APP['user-agent'], accept: '*/*' };
    const crowd: JudgedAssessment[] = [];
    for (let t = 0; t < 240; t++) {
      // Each address calls every 5 s for 30 s.
      for (let a = Math.max(0, t - 59); a <= t; a++) {
        if ((t - a) % 10 === 0) crowd.push(await d.check(request({ ip: `100.64.${a >> 8}.${a & 255}`, path: `/api/products/${(t + a) % 40}`, headers: SCRIPT }), 'mobile-app'));
      }
      if (t % 10 === 0) for (let u = 0; u < 10; u++) own.push(await call(`198.51.100.${u + 1}`, t + u));
      await d.advance(500);
    }
    expect(d.baselines().warm).toBe(false);
    expect(own.filter((b) => b.verdict !== 'allow').map(fired)).toEqual([]);
    const late = crowd.slice(crowd.length / 2);
    expect(late.filter((b) => b.verdict !== 'allow').length / late.length).toBeGreaterThan(0.8);
  });
});

describe('landings the upstream did not answer (the site down)', () => {
  const points = (b: JudgedAssessment, name: string) => b.signals.find((x) => x.name === name)?.score ?? 0;
  // A person on a cookie site reloading /pricing every 3 s while the upstream answers 502 (no cookie set), `reloads`
  // times, then the page loads and they come back with the cookie it set.
  const reload = async (d: ReturnType<typeof detectors>, ip: string, reloads: number, code: number | null) => {
    const seen: JudgedAssessment[] = [];
    for (let i = 0; i <= reloads; i++) {
      const requestId = `${ip}-${i}`;
      seen.push(await d.check(request({ ip, path: '/pricing', headers: { ...CHROME, 'x-request-id': requestId } })));
      if (code !== null) d.log(requestId, i < reloads ? code : 200, 'text/html');
      await d.advance(3000);
    }
    seen.push(await d.check(request({ ip, path: '/pricing/plans', cookie: `set-after-${ip}` })));
    return seen;
  };

  it("a person's reloads of a page answered 502 are one visit: no new sessions, no pages that came alone", async () => {
    const d = detectors();
    const seen = await reload(d, '203.0.113.40', 8, 502);
    expect(seen.every((b) => b.verdict === 'allow')).toBe(true);
    expect(Math.max(...seen.map((b) => points(b, 'fresh-sessions')))).toBe(0);
    expect(Math.max(...seen.map((b) => points(b, 'pages-only')))).toBe(0);
    expect(seen.at(-1)!.observations!.state).toBe('return');
  });

  it('the same page loads answered (or with no access log) open a session each, as before', async () => {
    for (const code of [200, 404, null]) {
      const seen = await reload(detectors(), '203.0.113.41', 8, code);
      expect(points(seen[8]!, 'fresh-sessions'), `answered ${code}`).toBeGreaterThanOrEqual(30);
    }
  });

  it("the access log's 502, 503 and 504 to a newcomer's request (a landing, a script's) are remembered for its retry; no other answer, nor one to a session", async () => {
    const remembered = async (code: number, shape: { headers?: Record<string, string>; cookie?: string }) => {
      const d = detectors();
      await d.check(request({ ip: '203.0.113.80', path: '/pricing', ...shape, headers: { ...(shape.headers ?? CHROME), 'x-request-id': 'r-1' } }));
      d.log('r-1', code, 'text/html');
      return d.unanswered.size;
    };
    const SCRIPT = { 'user-agent': 'python-requests/2.31.0', accept: '*/*' };
    for (const code of [502, 503, 504]) {
      expect(await remembered(code, {}), `landing ${code}`).toBe(1);
      expect(await remembered(code, { headers: SCRIPT }), `script ${code}`).toBe(1);
    }
    for (const code of [200, 404, 500, 429]) expect(await remembered(code, {}), `landing ${code}`).toBe(0);
    expect(await remembered(503, { cookie: 'kept' }), 'a session').toBe(0);
  });

  it("a page load the upstream did not answer counts as none of the address's page loads (any code else as one)", async () => {
    const pagesOf = async (code: number) => {
      const d = detectors();
      const ip = '203.0.113.60';
      for (let i = 0; i < 3; i++) {
        await d.check(request({ ip, path: '/pricing', headers: { ...CHROME, 'x-request-id': `p-${i}` } }));
        d.log(`p-${i}`, code, 'text/html');
        await d.advance(2000);
      }
      const keys = new PrefixCache(d.policy.id);
      const op = keys.bucketOp(BOT_KEYS.methodsIp, keys.hash([clientAddress(ip, '')]), Date.parse('2026-03-02T09:00:06Z'), DEFAULT_BOT_KNOBS.buckets.longMs, 2, 0);
      return decodeAddressMethods((await d.store.evaluate({ rateLimits: [], counters: [op], distinct: [] })).counters[0]!).pages[0];
    };
    expect(await pagesOf(503)).toBe(0);
    expect(await pagesOf(504)).toBe(0);
    expect(await pagesOf(200)).toBe(3);
    expect(await pagesOf(500)).toBe(3);
  });

  it("an unanswered newcomer's request excuses one retry, from the same address and on the same route, as no newcomer", () => {
    const p = policy({ hosts: ['api.test'], bot: { mode: 'Enforce' } });
    const unanswered = new RecentKeys({ ttlMs: DEFAULT_BOT_KNOBS.sessions.retryMs, maxEntries: 10 });
    const now = Date.parse('2026-03-02T09:00:00Z');
    // What a landing adds to the counters that count newcomers, and to the address's requests outside a session.
    const added = (ip: string, path: string, at = now) => {
      const plan = planBotCounters(p, request({ ip, path }), null, at, DEFAULT_BOT_KNOBS, undefined, undefined, undefined, undefined, unanswered);
      const { s } = plan.ctx!;
      const incr = (slot: number) => plan.counters[slot]!.incr;
      return { newcomer: [incr(s.newLong), incr(s.routeFresh), incr(s.routeLand), incr(s.cellFresh), incr(s.classFresh), incr(s.srcMin), incr(s.landing) > 0 ? 1 : 0], outside: [incr(s.srcTick), incr(s.srcLong), incr(s.ipLong)] };
    };
    const NEW = [1, 1, 1, 1, 1, 1, 1];
    const ALWAYS = [1, 1, 1];
    const pricing = new PrefixCache(p.id).code(routeParts('api.test', 'GET', '/pricing'));
    unanswered.remember(unansweredKey(p.id, clientAddress('203.0.113.50', ''), pricing), now);
    // Another address, or another route of the same address, is a landing of its own.
    expect(added('203.0.113.51', '/pricing')).toEqual({ newcomer: NEW, outside: ALWAYS });
    expect(added('203.0.113.50', '/about')).toEqual({ newcomer: NEW, outside: ALWAYS });
    // The retry: still the address's request, no newcomer; once only.
    expect(added('203.0.113.50', '/pricing')).toEqual({ newcomer: [0, 0, 0, 0, 0, 0, 0], outside: ALWAYS });
    expect(added('203.0.113.50', '/pricing')).toEqual({ newcomer: NEW, outside: ALWAYS });
    // Not after retryMs.
    unanswered.remember(unansweredKey(p.id, clientAddress('203.0.113.50', ''), pricing), now);
    expect(added('203.0.113.50', '/pricing', now + DEFAULT_BOT_KNOBS.sessions.retryMs + 1)).toEqual({ newcomer: NEW, outside: ALWAYS });
    // A script's retry after a 503 (neither a session nor a token): no newcomer of the route, its cell or class.
    const script = (ip: string) => {
      const plan = planBotCounters(p, request({ ip, path: '/pricing', headers: { 'user-agent': 'python-requests/2.31.0', accept: '*/*' } }), null, now, DEFAULT_BOT_KNOBS, undefined, undefined, undefined, undefined, unanswered);
      const { s } = plan.ctx!;
      expect(plan.ctx!.planned).toBe('anonymous');
      return [s.routeFresh, s.cellFresh, s.classFresh, s.srcTick, s.srcLong].map((slot) => plan.counters[slot]!.incr);
    };
    unanswered.remember(unansweredKey(p.id, clientAddress('203.0.113.70', ''), pricing), now);
    expect(script('203.0.113.70')).toEqual([0, 0, 0, 1, 1]);
    expect(script('203.0.113.70')).toEqual([1, 1, 1, 1, 1]);
  });
});

describe('errors of one client at an address', () => {
  const PROBE = { 'user-agent': 'probe/1.0', accept: '*/*' };
  // A client that is no browser, probing from one address: two of every three requests answered 404.
  const probe = async (d: ReturnType<typeof detectors>, ip: string, tag: string) => {
    let last: JudgedAssessment | undefined;
    for (let i = 0; i < 15; i++) {
      const requestId = `${tag}-${i}`;
      last = await d.check(request({ ip, path: `/files/backup-${String.fromCharCode(97 + i)}.zip`, headers: { ...PROBE, 'x-request-id': requestId } }));
      d.log(requestId, i % 3 === 0 ? 200 : 404, 'text/html');
      await d.advance(20_000);
    }
    return last!;
  };
  const errorPoints = (b: JudgedAssessment) => b.signals.find((x) => x.name === 'errors-address')?.score ?? 0;

  it("is judged as one client's where nothing at the address kept a session, and with a NAT's doubt where people did", async () => {
    const alone = detectors();
    const one = errorPoints(await probe(alone, '203.0.113.50', 'alone'));
    // The same probe behind an address where people browse in their sessions.
    const shared = detectors();
    for (let i = 0; i < 40; i++) {
      await shared.check(request({ ip: '203.0.113.60', path: `/products/${i}`, cookie: `p-${i % 4}` }));
      await shared.advance(1000);
    }
    const nat = errorPoints(await probe(shared, '203.0.113.60', 'nat'));
    expect(one).toBeGreaterThanOrEqual(DEFAULT_BOT_KNOBS.learning.maxScore);
    expect(one).toBeGreaterThan(nat + 15);
  });
});

describe("a route's file claims and navigations, by what its upstream answered them with", () => {
  const SCRIPT = { ...CHROME, accept: '*/*', 'sec-fetch-mode': 'no-cors', 'sec-fetch-dest': 'script', 'sec-fetch-site': 'same-origin', referer: 'https://api.test/' };
  let n = 0;
  /** Whether a claim of a script at `path` counted as a file; its answer `code` and `type` logged when given. */
  const claim = async (d: ReturnType<typeof detectors>, path: string, answer?: [number, string], headers: Record<string, string> = SCRIPT) => {
    const requestId = `file-${n++}`;
    const b = await d.check(request({ ip: '198.51.100.7', path, cookie: 'person-1', headers: { ...headers, 'x-request-id': requestId } }));
    if (answer) d.log(requestId, answer[0], answer[1]);
    return b.observations!.subresource;
  };

  it('are files until the route answered them with data twice; a route answering files keeps them', async () => {
    const d = detectors();
    for (let i = 0; i < 3; i++) expect(await claim(d, '/static/app.js', [200, 'text/javascript'])).toBe(true);
    expect(await claim(d, '/api/search.js?q=a', [200, 'application/json'])).toBe(true);
    expect(await claim(d, '/api/search.js?q=b', [200, 'application/json; charset=utf-8'])).toBe(true);
    expect(await claim(d, '/api/search.js?q=c')).toBe(false);
    // A claim asking for data first gets data where a route negotiates: it teaches nothing.
    for (let i = 0; i < 3; i++) expect(await claim(d, '/avatars/7.png', [200, 'application/json'], { ...SCRIPT, 'sec-fetch-dest': 'image', accept: 'application/json' })).toBe(true);
    expect(await claim(d, '/avatars/7.png', undefined, { ...SCRIPT, 'sec-fetch-dest': 'image', accept: 'image/avif,image/webp,*/*' })).toBe(true);
    // As many answers with data as with files: still a route of files.
    for (let i = 0; i < 3; i++) expect(await claim(d, '/static/app.js', [200, 'application/json'])).toBe(true);
    expect(await claim(d, '/static/app.js', [200, 'application/json'])).toBe(true);
    expect(await claim(d, '/static/app.js')).toBe(false);
  });

  it('a navigation to a route whose navigations were answered with data twice is no page load; asking for data first teaches nothing', async () => {
    const d = detectors();
    const navigate = async (path: string, answer?: [number, string], headers: Record<string, string> = NAVIGATE) => {
      const requestId = `nav-${n++}`;
      const b = await d.check(request({ ip: '198.51.100.8', path, cookie: 'person-2', headers: { ...headers, 'x-request-id': requestId } }));
      if (answer) d.log(requestId, answer[0], answer[1]);
      return b.observations!.page;
    };
    // A client that prefers data gets it where the route negotiates: not held against the route's pages.
    for (let i = 0; i < 3; i++) expect(await navigate('/products/7', [200, 'application/json'], { ...NAVIGATE, accept: 'application/json, text/html;q=0.1' })).toBe(true);
    expect(await navigate('/products/7', [200, 'text/html'])).toBe(true);
    expect(await navigate('/products/7')).toBe(true);
    expect(await navigate('/api/orders', [200, 'application/json'])).toBe(true);
    expect(await navigate('/api/orders', [200, 'application/json'])).toBe(true);
    expect(await navigate('/api/orders')).toBe(false);
  });

  it('count only successful answers, with data or files, to requests that made the claim', async () => {
    const d = detectors();
    // Refused, missing, or a page: no answer about files.
    for (const [code, type] of [[404, 'application/json'], [500, 'application/json'], [200, 'text/html'], [200, 'text/plain']] as const) await claim(d, '/api/search.js', [code, type]);
    expect(await claim(d, '/api/search.js')).toBe(true);
    // A page's own calls to the route, answered with data, make no claim.
    for (let i = 0; i < 3; i++) await claim(d, '/api/search.js', [200, 'application/json'], { ...CHROME, accept: 'application/json', 'sec-fetch-mode': 'cors', 'sec-fetch-dest': 'empty', 'sec-fetch-site': 'same-origin' });
    expect(await claim(d, '/api/search.js')).toBe(true);
  });
});

describe("scanners' targets (probes)", () => {
  const SCANNER = { ...CHROME, accept: '*/*' };
  let n = 0;
  /** Checks `path` from `ip` as the server would let it through, and logs the upstream's answer when `code` is given. */
  const ask = async (d: ReturnType<typeof detectors>, ip: string, path: string, code: number | null, headers: Record<string, string> = SCANNER) => {
    const requestId = `probe-${n++}`;
    const b = await d.check(request({ ip, path, headers: { ...headers, 'x-request-id': requestId } }));
    if (code !== null) d.log(requestId, code, 'text/html');
    return b;
  };
  const probes = (b: JudgedAssessment) => b.signals.find((x) => x.name === 'probes');

  it('challenges the address whose request for one was answered as missing, on whatever it asks next; not its neighbours', async () => {
    const d = detectors();
    // Not before the upstream answered.
    await ask(d, '203.0.113.90', '/.env', null);
    expect(probes(await ask(d, '203.0.113.90', '/api/items/3', null))).toBeUndefined();
    await ask(d, '203.0.113.90', '/.git/config', 404);
    await d.advance(30_000);
    const next = await ask(d, '203.0.113.90', '/api/items/4', 200);
    expect(probes(next)!.score).toBe(DEFAULT_BOT_KNOBS.probes.curve.base);
    expect(next.verdict).toBe('challenge');
    expect(probes(next)!.detail).toMatch(/^1 requests for what scanners probe .* answered with a client error from this address in 20m$/);
    expect(probes(await ask(d, '203.0.113.91', '/api/items/4', 200))).toBeUndefined();
    // More probes, more points: the second doubles the count.
    await ask(d, '203.0.113.90', '/wp-login.php', 404);
    expect(probes(await ask(d, '203.0.113.90', '/api/items/5', null))!.score).toBe(DEFAULT_BOT_KNOBS.probes.curve.base + DEFAULT_BOT_KNOBS.probes.curve.perDoubling);
    // Held over the errors window, then forgotten.
    await d.advance(2 * DEFAULT_BOT_KNOBS.buckets.errorsMs);
    expect(probes(await ask(d, '203.0.113.90', '/api/items/6', null))).toBeUndefined();
  });

  it('takes a later request for a target answered as missing for a probe before its answer, from any address; never one the site serves', async () => {
    const d = detectors();
    await ask(d, '203.0.113.92', '/.env', 404);
    const second = await ask(d, '198.51.100.77', '/.env', null);
    expect(probes(second)!.detail).toMatch(/this one included/);
    expect(second.verdict).toBe('challenge');
    // Served (a WordPress site's own login): the site's route, for the address that asked and anyone after it.
    await ask(d, '203.0.113.93', '/wp-login.php', 200);
    expect(probes(await ask(d, '203.0.113.94', '/wp-login.php', 200))).toBeUndefined();
    expect(probes(await ask(d, '203.0.113.93', '/products/1', null))).toBeUndefined();
    // A missing target the site serves later is forgotten.
    await ask(d, '203.0.113.95', '/.env', 200);
    expect(probes(await ask(d, '198.51.100.78', '/.env', null))).toBeUndefined();
  });

  it("takes no script for missing by its extension alone, nor judges a person's session before its answer: no one can make the site's routes probes", async () => {
    const d = detectors();
    // A PHP site answers 404 for a record it has not got: the address that asked counts it, the script stays the site's.
    await ask(d, '203.0.113.88', '/user.php', 404);
    expect(probes(await ask(d, '203.0.113.88', '/products/1', null))).toBeDefined();
    expect(probes(await ask(d, '198.51.100.81', '/user.php', null))).toBeUndefined();
    // A target answered as missing, asked for in a session the person kept: judged once answered, not before.
    await ask(d, '203.0.113.89', '/.env', 404);
    await d.check(request({ ip: '198.51.100.82', path: '/products/1', cookie: 'kept' }));
    await d.advance(1000);
    expect(probes(await d.check(request({ ip: '198.51.100.82', path: '/.env', cookie: 'kept' })))).toBeUndefined();
    expect(probes(await d.check(request({ ip: '198.51.100.83', path: '/.env' })))).toBeDefined();
  });

  it('counts nothing of a family the site serves: a PHP site\'s 404 for a page it has not got, a WordPress site\'s broken image', async () => {
    const d = detectors();
    await ask(d, '203.0.113.85', '/index.php', 200);
    await ask(d, '203.0.113.85', '/wp-content/uploads/a.jpg', 200);
    await ask(d, '203.0.113.86', '/item.php', 404);
    await ask(d, '203.0.113.86', '/wp-content/uploads/gone.jpg', 404);
    expect(probes(await ask(d, '203.0.113.86', '/products/1', null))).toBeUndefined();
    // What the site does not run still counts.
    await ask(d, '203.0.113.86', '/login.aspx', 404);
    expect(probes(await ask(d, '203.0.113.86', '/products/1', null))).toBeDefined();
  });

  it('counts a refusal (401, 403) for the address but takes no target for missing on it, so that no one can make a route of the site a probe', async () => {
    const d = detectors();
    await ask(d, '203.0.113.96', '/actuator/env', 403);
    expect(probes(await ask(d, '203.0.113.96', '/products/1', null))).toBeDefined();
    expect(probes(await ask(d, '198.51.100.79', '/actuator/env', null))).toBeUndefined();
  });

  it("is no probe when the site's own page links to it, nor a standard location; the answer of anything else is no probe either", async () => {
    const d = detectors();
    await ask(d, '203.0.113.97', '/old/report.php', 404, { ...SCANNER, referer: 'https://api.test/docs' });
    await ask(d, '203.0.113.97', '/.well-known/security.txt', 404);
    await ask(d, '203.0.113.97', '/api/items/999', 404);
    expect(probes(await ask(d, '203.0.113.97', '/products/1', null))).toBeUndefined();
  });

  it('holds a scanner behind an address where people keep their sessions to part of the points', async () => {
    const d = detectors();
    for (let i = 0; i < 40; i++) {
      await ask(d, '203.0.113.98', `/products/${i}`, 200, CHROME);
      await d.check(request({ ip: '203.0.113.98', path: `/products/${i}`, cookie: `p-${i % 4}` }));
      await d.advance(1000);
    }
    await ask(d, '203.0.113.98', '/.env', 404);
    const person = await d.check(request({ ip: '203.0.113.98', path: '/products/2', cookie: 'p-1' }));
    expect(probes(person)!.score).toBeLessThan(DEFAULT_BOT_KNOBS.learning.maxScore);
    expect(probes(person)!.detail).toMatch(/people behind the address/);
  });

  it("finds the scanner among the people behind an address by its fingerprint, and holds the people there for none of its probes", async () => {
    const d = detectors();
    const nat = '203.0.113.102';
    const FIREFOX = { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0', accept: '*/*', 'accept-language': 'de-DE' };
    for (let i = 0; i < 40; i++) {
      await ask(d, nat, `/products/${i}`, 200, CHROME);
      await d.check(request({ ip: nat, path: `/products/${i}`, cookie: `p-${i % 4}` }));
      await d.advance(1000);
    }
    for (const path of ['/.env', '/.git/config', '/wp-login.php', '/backup.zip']) await ask(d, nat, path, 404, FIREFOX);
    const scanner = await ask(d, nat, '/products/3', null, FIREFOX);
    expect(probes(scanner)!.detail).toMatch(/^4 requests for what scanners probe .* from this address and client fingerprint in 20m$/);
    expect(probes(scanner)!.score).toBe(DEFAULT_BOT_KNOBS.probes.curve.base + 2 * DEFAULT_BOT_KNOBS.probes.curve.perDoubling);
    expect(scanner.verdict).not.toBe('allow');
    // The people behind the address, signed in or landing, and another client there: none of the scanner's probes.
    expect(probes(await d.check(request({ ip: nat, path: '/products/2', cookie: 'p-1' })))).toBeUndefined();
    const landing = await ask(d, nat, '/products/5', null, CHROME);
    expect(probes(landing)?.score ?? 0).toBe(0);
    expect(landing.verdict).toBe('allow');
  });

  it("judges the errors of a client among the people behind an address by its own answers (an enumeration from a carrier's NAT)", async () => {
    const d = detectors();
    const nat = '203.0.113.103';
    const TOOL = { 'user-agent': 'curl/8.5.0', accept: '*/*' };
    const errorsOf = (b: JudgedAssessment) => b.signals.find((x) => x.name === 'errors-source');
    for (let i = 0; i < 60; i++) {
      await ask(d, nat, `/products/${i}`, 200, CHROME);
      await d.check(request({ ip: nat, path: `/products/${i}`, cookie: `p-${i % 6}` }));
      await d.advance(1000);
    }
    // One order id after another, each refused: the people's many answers dilute them at the address.
    let last: JudgedAssessment | undefined;
    for (let id = 100; id < 112; id++) {
      last = await ask(d, nat, `/api/orders/${id}/status`, 403, TOOL);
      await d.advance(30_000);
      await d.check(request({ ip: nat, path: `/products/${id}`, cookie: `p-${id % 6}` }));
    }
    expect(errorsOf(last!)!.detail).toMatch(/client errors in \d+ requests answered from this address and client fingerprint in 20m/);
    expect(errorsOf(last!)!.score).toBeGreaterThan(last!.signals.find((x) => x.name === 'errors-address')?.score ?? 0);
    expect(last!.verdict).not.toBe('allow');
    // The people's own requests there are judged as before: their source answered without errors.
    const person = await ask(d, nat, '/products/7', null, CHROME);
    expect(errorsOf(person)).toBeUndefined();
    expect(person.verdict).toBe('allow');
  });

  it("holds a token's calls from such a source to the token's own error rate: an app user polling an order is not held, an enumerator with the app's key is judged by how far it fails beyond it", async () => {
    const d = detectors();
    const nat = '203.0.113.104';
    const errorsOf = (b: JudgedAssessment) => b.signals.find((x) => x.name === 'errors-source');
    const phone = (model: string) => ({ 'user-agent': `Forkly/5.12.1 (${model}; Android 14)`, accept: 'application/json', 'x-device-id': model });
    let id = 0;
    const call = async (ip: string, path: string, code: number, headers: Record<string, string>) => {
      const requestId = `app-${id++}`;
      const b = await d.check(request({ ip, path, headers: { ...headers, 'x-request-id': requestId } }), 'app');
      d.log(requestId, code, 'application/json');
      return b;
    };
    // The app's users elsewhere: one call in ten is an order's status polled before it exists (404).
    for (let i = 0; i < 240; i++) {
      await call(`198.51.100.${10 + (i % 40)}`, i % 10 === 0 ? `/api/orders/${i}/status` : '/api/menu', i % 10 === 0 ? 404 : 200, phone(`Pixel ${i % 40}`));
      if (i % 3 === 0) await d.check(request({ ip: nat, path: `/products/${i}`, cookie: `p-${i % 6}` }));
      await d.advance(1000);
    }
    // Behind the NAT, one user polls their order: six of ten calls fail (site-wide, one request in eight fails).
    for (let i = 0; i < 10; i++) await call(nat, i < 6 ? '/api/orders/77/status' : '/api/menu', i < 6 ? 404 : 200, phone('Galaxy S24'));
    const user = await call(nat, '/api/menu', 200, phone('Galaxy S24'));
    expect(errorsOf(user)?.score ?? 0).toBe(0);
    expect(user.verdict).toBe('allow');
    // An enumerator with the app's key from the same address: every call refused, far more than the key's calls fail.
    let last: JudgedAssessment | undefined;
    for (let o = 500; o < 514; o++) {
      last = await call(nat, `/api/orders/${o}/status`, 403, phone('SM-A515F'));
      await d.advance(20_000);
    }
    expect(errorsOf(last!)!.detail).toMatch(/^13 client errors in 13 requests answered from this address and client fingerprint in 20m \(100%, usual \d+(\.\d+)?% with this token/);
    expect(errorsOf(last!)!.score).toBeGreaterThan(0);
  });

  it('counts a target the policy refused, and a stopped request for a target answered as missing; no other stop', async () => {
    const d = detectors();
    d.refuse(request({ ip: '203.0.113.99', path: '/phpmyadmin/', headers: SCANNER }), 'access');
    expect(probes(await ask(d, '203.0.113.99', '/products/1', null))).toBeDefined();
    d.refuse(request({ ip: '203.0.113.100', path: '/products/1', headers: SCANNER }), 'access');
    expect(probes(await ask(d, '203.0.113.100', '/products/1', null))).toBeUndefined();
    await ask(d, '203.0.113.101', '/backup.zip', 404);
    // Stopped before its answer: it counts as the answer the target had.
    expect((await d.decide(request({ ip: '198.51.100.80', path: '/backup.zip', headers: SCANNER }))).verdict).toBe('challenge');
    const after = await d.check(request({ ip: '198.51.100.80', path: '/products/1', headers: SCANNER }));
    expect(probes(after)!.value).toBe(1);
    // Stopped for its probes, it keeps asking for targets never answered here: each counts, its reads do not.
    for (const path of ['/server-status', '/.DS_Store', '/products/2']) expect((await d.decide(request({ ip: '198.51.100.80', path, headers: SCANNER }))).verdict).not.toBe('allow');
    expect(probes(await d.check(request({ ip: '198.51.100.80', path: '/products/3', headers: SCANNER })))!.value).toBe(3);
  });

  it('holds a probe for as long as any of it is in the window, not as the sliding count fades', async () => {
    const d = detectors();
    await ask(d, '203.0.113.87', '/.env', 404);
    await d.advance(DEFAULT_BOT_KNOBS.buckets.errorsMs * 1.5);
    expect(probes(await ask(d, '203.0.113.87', '/products/1', null))!.value).toBe(1);
  });
});

describe('a slow prober', () => {
  const PROBE = { 'user-agent': 'probe/1.0', accept: '*/*' };
  // A client that is no browser, one request every 20 s from one address for 40 minutes; one in four answered 404
  // while it is let through (what it asks for when stopped is never answered). Decided as the server decides.
  const run = async (d: ReturnType<typeof detectors>, ip: string) => {
    const out: JudgedAssessment[] = [];
    for (let i = 0; i < 120; i++) {
      const requestId = `slow-${ip}-${i}`;
      const b = await d.decide(request({ ip, path: `/config/${i % 4 === 1 ? `backup-${i}` : `page-${i % 9}`}`, headers: { ...PROBE, 'x-request-id': requestId } }));
      out.push(b);
      if (b.verdict === 'allow') d.log(requestId, i % 4 === 1 ? 404 : 200, 'text/html');
      // People elsewhere, answered 200: the site's usual error rate.
      for (let k = 0; k < 8; k++) {
        const id = `person-${ip}-${i}-${k}`;
        await d.check(request({ ip: `198.51.100.${10 + k}`, path: `/products/${(i + k) % 30}`, cookie: `p-${k}`, headers: { ...CHROME, 'x-request-id': id } }));
        d.log(id, 200, 'text/html');
      }
      await d.advance(20_000);
    }
    return out;
  };

  it('is held once its errors add up over the long buckets, and its own stops do not let it through again', async () => {
    const out = await run(detectors(), '203.0.113.80');
    const first = out.findIndex((b) => b.verdict !== 'allow');
    expect(first).toBeGreaterThan(0);
    // Within 16 minutes (48 requests).
    expect(first).toBeLessThanOrEqual(48);
    expect(out[first]!.signals.find((x) => x.name === 'errors-address')?.detail).toMatch(/client errors in \d+ requests answered from this address in 20m/);
    const after = out.slice(first);
    // Most of it from then on: its evidence ages while it is stopped (a stop is none), and a request let through now
    // and then brings more.
    expect(after.filter((b) => b.verdict !== 'allow').length / after.length).toBeGreaterThanOrEqual(0.65);
  });

  it('its stops are not counted as its errors', async () => {
    const d = detectors();
    const out = await run(d, '203.0.113.81');
    expect(out.filter((b) => b.verdict !== 'allow').length).toBeGreaterThan(10);
    // The bucket's errors are the 404s it was answered (60 requests a bucket, 15 of them 404s when let through), never
    // its stops.
    expect(await d.addressErrors(out.at(-1)!)).toBeLessThanOrEqual(15);
  });
});

describe('a scanner that keeps a made-up cookie for a few requests', () => {
  // One request every 15 s from one address with a browser's headers: a landing without a cookie, then three with a
  // cookie of its own making, then another landing; two of every three answered 404. Sessions remembered as known
  // the way the server remembers them.
  const scan = async (d: ReturnType<typeof detectors>, ip: string) => {
    const out: Array<{ established: boolean; judged: JudgedAssessment }> = [];
    for (let i = 0; i < 48; i++) {
      const requestId = `scan-${i}`;
      const cookie = i % 4 === 0 ? undefined : `made-up-${Math.floor(i / 4)}`;
      out.push({ established: i % 4 >= 2, judged: await d.check(request({ ip, path: `/files/backup-${i}.zip`, ...(cookie ? { cookie } : {}), headers: { ...CHROME, 'x-request-id': requestId } })) });
      d.log(requestId, i % 3 === 0 ? 200 : 404, 'text/html');
      await d.advance(15_000);
    }
    return out;
  };
  const errorPoints = (b: JudgedAssessment) => b.signals.find((x) => x.name === 'errors-address')?.score ?? 0;

  it("is judged on its address's errors in its sessions too: none of them is what the address kept", async () => {
    const d = detectors(undefined, { known: new RecentKeys({ ttlMs: 60_000, maxEntries: 100 }) });
    const late = (await scan(d, '203.0.113.70')).slice(24).filter((x) => x.established);
    // Before, each session was judged on its own errors (two at most), and its requests counted as kept: nothing.
    expect(late.filter((x) => errorPoints(x.judged) >= 25).length / late.length).toBeGreaterThanOrEqual(0.8);
  });

  it('a person whose session meets a 404 now and then is not judged on the address', async () => {
    const d = detectors(undefined, { known: new RecentKeys({ ttlMs: 60_000, maxEntries: 100 }) });
    const judged: JudgedAssessment[] = [];
    for (let i = 0; i < 48; i++) {
      const requestId = `person-${i}`;
      judged.push(await d.check(request({ ip: '203.0.113.71', path: `/products/${i}`, ...(i === 0 ? {} : { cookie: 'p-1' }), headers: { ...CHROME, 'x-request-id': requestId } })));
      d.log(requestId, i % 8 === 5 ? 404 : 200, 'text/html');
      await d.advance(15_000);
    }
    expect(judged.filter((b) => errorPoints(b) > 0)).toEqual([]);
  });
});

describe("a token's crowd is addresses", () => {
  const PARTNER = { 'user-agent': 'Apache-HttpClient/4.5.14 (Java/17.0.10)', accept: 'application/json', 'accept-encoding': 'gzip,deflate' };
  // Half an hour of the partner's integration calling every 30 s from its server, learned.
  const warm = async () => {
    const d = detectors();
    for (let s = 0; s < 1800; s += 30) {
      await d.check(request({ ip: '198.51.100.9', path: `/api/partner/fares/${s % 40}`, headers: PARTNER }), 'partner');
      await d.advance(30_000);
    }
    return d;
  };
  const batch = async (d: Awaited<ReturnType<typeof warm>>, ipOf: (i: number) => string) => {
    const out: JudgedAssessment[] = [];
    for (let i = 0; i < 60; i++) {
      out.push(await d.check(request({ ip: ipOf(i), path: `/api/partner/timetable?page=${i}`, headers: PARTNER }), 'partner'));
      await d.advance(250);
    }
    return out;
  };
  const crowdSignals = (b: JudgedAssessment) => b.signals.filter((x) => x.name.startsWith('surge-token') && x.score > 0);

  it('a batch of 60 calls in 15 s from two servers new to the token is judged by their own volume, not as a crowd', async () => {
    const d = await warm();
    const out = await batch(d, (i) => `203.0.113.${1 + (i % 2)}`);
    expect(out.flatMap(crowdSignals)).toEqual([]);
  });

  it('a stolen key rotated over three new addresses a minute, fifteen calls each, is a crowd within minutes', async () => {
    const d = await warm();
    const out: JudgedAssessment[] = [];
    for (let minute = 0; minute < 10; minute++) {
      for (let i = 0; i < 45; i++) {
        out.push(await d.check(request({ ip: `100.65.${minute}.${i % 3}`, path: `/api/partner/fares/${i}`, headers: PARTNER }), 'partner'));
        await d.advance(60_000 / 45);
      }
    }
    const late = out.slice(out.length / 2);
    expect(late.filter((b) => b.verdict !== 'allow').length / late.length).toBeGreaterThan(0.8);
  });

  it('the same calls from sixty addresses new to the token are a crowd', async () => {
    const d = await warm();
    const out = await batch(d, (i) => `100.64.${i}.7`);
    const late = out.slice(20);
    expect(late.filter((b) => crowdSignals(b).length > 0).length / late.length).toBeGreaterThan(0.8);
  });
});

describe("one user's own credential from many networks (credential-spread)", () => {
  const APP = { 'user-agent': 'okhttp/4.12.0', accept: 'application/json', 'accept-language': 'en-GB', 'accept-encoding': 'gzip' };
  const spread = (b: JudgedAssessment) => b.signals.find((x) => x.name === 'credential-spread');

  it("a phone moving between home, two carriers and the office keeps its token unflagged; a fifth network is 35 points, the seventh a challenge on that alone", async () => {
    const d = detectors();
    const call = (ip: string) => d.check(request({ ip, path: '/api/feed', headers: { ...APP, authorization: 'Bearer eyJ.me' } }));
    const own = ['203.0.113.7', '198.51.100.20', '192.0.2.33', '2001:db8:1:2::9'];
    for (let i = 0; i < 40; i++) {
      expect(spread(await call(own[i % own.length]!))).toBeUndefined();
      await d.advance(10_000);
    }
    // Addresses of the same networks are no new networks; an IPv6 /64's neighbour in its /48 neither.
    expect(spread(await call('203.0.113.99'))).toBeUndefined();
    expect(spread(await call('2001:db8:1:7::1'))).toBeUndefined();
    expect(spread(await call('100.70.1.2'))).toMatchObject({ score: 35, value: 5, threshold: 5 });
    expect(spread(await call('100.71.1.2'))!.score).toBeLessThan(50);
    const seventh = await call('100.72.1.2');
    expect(spread(seventh)!.score).toBeGreaterThanOrEqual(d.policy.bot.challengeScore);
    expect(seventh.verdict).not.toBe('allow');
    expect(spread(seventh)!.detail).toMatch(/own credential \(authorization\) came from 7 networks/);
    // The user's own next call carries the copied token too: held with it until the user signs in again.
    expect(spread(await call(own[0]!))!.score).toBeGreaterThanOrEqual(50);
    expect(spread(await d.check(request({ ip: own[0]!, path: '/api/feed', headers: { ...APP, authorization: 'Bearer eyJ.me-again' } })))).toBeUndefined();
  });

  it('a copied token spelled in the ways its upstream reads alike (the scheme in any case, spaces, a JWT signature in another base64url spelling) is one credential', async () => {
    // An HS256 signature is 43 base64url characters: the last one's two low bits carry nothing, so A, B, C and D
    // decode to the same bytes and verify alike; so do the scheme in any case and spaces or a tab after it.
    const jwt = (last: string) => `eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1LTEifQ.${'s'.repeat(42)}${last}`;
    const spellings = [`Bearer ${jwt('A')}`, `bearer ${jwt('B')}`, `BEARER  ${jwt('C')}`, `Bearer\t${jwt('D')}`, ` bEaReR ${jwt('A')} `, `Bearer ${jwt('B')}`, `bearer   ${jwt('C')}`];
    const d = detectors();
    let last: JudgedAssessment | undefined;
    for (const [i, authorization] of spellings.entries()) {
      last = await d.check(request({ ip: `100.${80 + i}.1.2`, path: '/api/feed', headers: { ...APP, authorization } }));
      await d.advance(5_000);
    }
    expect(spread(last!)).toMatchObject({ value: 7 });
    expect(last!.verdict).not.toBe('allow');
  });

  it("is not counted for a workload (an mTLS principal), for the policy's own key header, or without an address", () => {
    const p = policy({ hosts: ['api.test'], bot: { mode: 'Enforce' } });
    const now = Date.parse('2026-03-02T09:00:00Z');
    const req = request({ headers: { ...APP, authorization: 'Bearer eyJ.me' } });
    expect(planBotCounters(p, req, null, now).distinct).toHaveLength(1);
    expect(planBotCounters(p, { ...req, principal: 'spiffe://cluster.local/ns/shop/sa/orders' }, null, now).distinct).toEqual([]);
    expect(planBotCounters(p, { ...req, clientIp: '' }, null, now).distinct).toEqual([]);
    const keyed = { ...p, apiKeys: { header: 'authorization', scheme: 'bearer', byHash: new Map<string, string>() } };
    expect(planBotCounters(keyed, req, 'mobile-app', now).distinct).toEqual([]);
  });
});

describe("an app's users while a crowd copying its key exactly sweeps a few of its routes", () => {
  const APP = { 'user-agent': 'okhttp/4.12.0', accept: 'application/json', 'accept-language': 'en-GB', 'accept-encoding': 'gzip' };
  /**
   * Four minutes of the app (a user arriving from an address of their own every 10 s: config, me, feed, then an event
   * and its availability every 5 s for a minute), then four more while a crowd copying the app's headers sweeps the
   * events' availability from a new address every half second, six calls each, 1 in 3 answered 404. `signedIn`: the
   * users send their own bearer token beside the shared key. Decided as the server decides.
   */
  interface Run {
    /** The users send their own bearer token beside the shared key. */
    signedIn: boolean;
    crowdRoute?: (k: number) => string;
    crowdHeaders?: Record<string, string> | ((a: number) => Record<string, string>);
    crowdAddress?: (a: number) => string;
    /** The users open the app on an event's availability (a notification's link). */
    deepLink?: boolean;
    /** Instead of the crowd, this many more users arrive in the second half (a push notification). */
    push?: number;
    /** One user in four checks an order's status once, a route too rare among newcomers to be one of their usual. */
    rare?: boolean;
    /** Half-seconds of the app before the crowd (or the push) comes; 480 (four minutes) unless set. */
    before?: number;
    /** The crowd's whole path for its k-th call (the i-th of its address), instead of an event's `crowdRoute`. */
    crowdPath?: (k: number, i: number) => string;
    /** Half-seconds between the crowd's new addresses (1 unless set). */
    crowdEvery?: number;
    /** Every crowd call answered 200 (1 in 3 answered 404 unless set). */
    crowdFound?: boolean;
    /** Calls of each crowd address, one every 5 s (6 unless set). */
    crowdCalls?: number;
  }
  const run = async ({ signedIn, crowdRoute = () => 'availability', crowdHeaders = APP, crowdAddress = (a) => `100.64.${a >> 8}.${a & 255}`, deepLink = false, push = 0, rare = false, before = 480, crowdPath, crowdEvery = 1, crowdFound = false, crowdCalls = 6 }: Run) => {
    const d = detectors();
    let id = 0;
    const call = async (ip: string, path: string, headers: Record<string, string>, code = 200) => {
      const requestId = `r-${id++}`;
      const b = await d.decide(request({ ip, path, headers: { ...headers, 'x-request-id': requestId } }), 'mobile-app');
      if (b.verdict === 'allow') d.log(requestId, code, 'application/json');
      return b;
    };
    const users: Array<{ path: string; bot: JudgedAssessment }> = [];
    const crowd: JudgedAssessment[] = [];
    const user = (u: number, step: number, attack: boolean) => {
      const headers = signedIn ? { ...APP, authorization: `Bearer user-${u}` } : APP;
      const path = rare && u % 4 === 0 && step === 7 ? `/api/orders/${9000 + u}/status` : (deepLink ? [`/api/events/${u % 300}/availability`, '/api/me', '/api/feed'] : ['/api/app/config', '/api/me', '/api/feed'])[step] ?? (step % 2 === 0 ? `/api/events/${(u * 7 + step) % 300}` : `/api/events/${(u * 7 + step - 1) % 300}/availability`);
      return call(`${u >= 10_000 ? 203 : 198}.${51 + ((u >> 16) & 63)}.${(u >> 8) & 255}.${u & 255}`, path, headers).then((bot) => (attack ? users.push({ path, bot }) : 0));
    };
    for (let t = 0; t < before + 480; t++) {
      const attack = t >= before;
      // Users: one arrives every 10 s; each calls once a second for its first three calls, then every 5 s for a minute.
      for (let u = Math.max(0, Math.floor((t - 65) / 20)); u <= t / 20; u++) {
        const age = t - u * 20;
        if (age < 6 && age % 2 === 0) await user(u, age / 2, attack);
        else if (age >= 6 && age <= 126 && (age - 6) % 10 === 0) await user(u, 3 + (age - 6) / 10, attack);
      }
      for (let k = 0; k < push && attack; k++) {
        for (let u = Math.max(0, Math.floor((t - before - 65) / 20)); u <= (t - before) / 20; u++) {
          const age = t - before - u * 20;
          const id = 10_000 + u * push + k;
          if (age < 6 && age % 2 === 0) await user(id, age / 2, true);
          else if (age >= 6 && age <= 126 && (age - 6) % 10 === 0) await user(id, 3 + (age - 6) / 10, true);
        }
      }
      if (attack && push === 0) {
        for (let a = Math.max(0, t - before - (10 * crowdCalls - 1)); a <= t - before; a++) {
          if ((t - before - a) % 10 === 0 && a % crowdEvery === 0) {
            const event = 1000 + a * 6 + (t - before - a) / 10;
            const path = crowdPath ? crowdPath(event, (t - before - a) / 10) : `/api/events/${event}/${crowdRoute(crowd.length)}`;
            crowd.push(await call(crowdAddress(a), path, typeof crowdHeaders === 'function' ? crowdHeaders(a) : crowdHeaders, event % 3 === 0 && !crowdFound ? 404 : 200));
          }
        }
      }
      await d.advance(500);
    }
    return { users, crowd: crowd.slice(crowd.length / 2) };
  };

  it('the crowd is held; the users it finds on routes it does not sweep are not', async () => {
    const { users, crowd } = await run({ signedIn: false });
    expect(crowd.filter(held).length / crowd.length).toBeGreaterThan(0.8);
    const elsewhere = users.filter((x) => !x.path.endsWith('/availability'));
    expect(elsewhere.length).toBeGreaterThan(150);
    expect(elsewhere.filter((x) => held(x.bot)).map((x) => `${x.path} ${fired(x.bot).join(',')}`)).toEqual([]);
  });

  it("the users the crowd finds on its own route are not held once their calls spread as the app's do; the crowd is", async () => {
    // A user's calls past its first three alternate an event and its availability, the route the crowd sweeps with
    // nearly all of its calls. Before, every one of those availability calls was held with the crowd (its cell's
    // surge, on a route the app's newcomers use, once the policy is warm and every call of a user is judged): 76 of
    // them here.
    const { users, crowd } = await run({ signedIn: false, before: 2040 });
    expect(crowd.filter(held).length / crowd.length).toBeGreaterThan(0.8);
    const later = users.filter((x) => x.path.endsWith('/availability'));
    expect(later.length).toBeGreaterThan(80);
    expect(later.filter((x) => held(x.bot)).map((x) => `${x.path} ${fired(x.bot).join(',')}`)).toEqual([]);
  });

  it("the crowd is held when each of its addresses first makes the calls the app opens with, then sweeps its route", async () => {
    // Config, me and feed, as a user opening the app, then six availability calls: a third of each address's calls off
    // its route, where the users keep more than half of theirs.
    const { crowd } = await run({ signedIn: false, before: 2040, crowdCalls: 9, crowdPath: (k, i) => ['/api/app/config', '/api/me', '/api/feed'][i] ?? `/api/events/${k}/availability` });
    // Two in three of its calls are on its route.
    expect(crowd.filter(held).length / crowd.length).toBeGreaterThan(0.6);
  });

  it("the users on a route too rare to be their kind's usual, which the crowd does not touch, are not held", async () => {
    // Seventeen minutes of the app first, so that the policy is warm and a user's every call is judged, not only
    // its first. Before, a route the newcomers of the kind hardly use was held to the crowd wherever the crowd was:
    // every user checking an order's status while the crowd swept the availability was held with it.
    const { users, crowd } = await run({ signedIn: false, rare: true, before: 2040 });
    expect(crowd.filter(held).length / crowd.length).toBeGreaterThan(0.8);
    const rare = users.filter((x) => x.path.endsWith('/status'));
    expect(rare.length).toBeGreaterThanOrEqual(5);
    expect(rare.filter((x) => held(x.bot)).map((x) => `${x.path} ${fired(x.bot).join(',')}`)).toEqual([]);
  });

  it("a crowd a few times the app's traffic on a route its users reach once among their calls is held for its surge there; the users are not", async () => {
    // A new address every 5 s, each calling every 5 s for two minutes, every call answered: the token's whole traffic
    // rises to under three times its usual. Before, that was all the crowd was held to (surge-token, 34 points): its
    // addresses, let through, were learned by the token, and the kind is the app's own.
    const { users, crowd } = await run({ signedIn: false, rare: true, before: 2040, crowdPath: (k) => `/api/orders/${k}/status`, crowdEvery: 10, crowdFound: true, crowdCalls: 24 });
    expect(crowd.filter(held).length / crowd.length).toBeGreaterThan(0.8);
    const cell = crowd.at(-1)!.signals.find((x) => x.name === 'surge-token-cell')!;
    expect(cell.score).toBeGreaterThanOrEqual(50);
    expect(cell.detail).toMatch(/; \d+ of this address's \d+ calls with the token in 10m on this route/);
    const rare = users.filter((x) => x.path.endsWith('/status'));
    expect(rare.length).toBeGreaterThanOrEqual(5);
    expect(rare.filter((x) => held(x.bot)).map((x) => `${x.path} ${fired(x.bot).join(',')}`)).toEqual([]);
  });

  it('the crowd is held when it spreads over routes of its own making (a path in letters of any case, with a trailing slash or without)', async () => {
    const { crowd } = await run({ signedIn: false, crowdRoute: (k) => [...'availability'].map((c, i) => ((k * 2654435761) >>> i) & 1 ? c.toUpperCase() : c).join('') + (k % 3 === 0 ? '/' : '') });
    expect(crowd.filter(held).length / crowd.length).toBeGreaterThan(0.8);
  });

  it('the crowd is held when it spreads over routes named by words of its choosing (a fare between two stations)', async () => {
    const stations = ['leeds', 'york', 'derby', 'crewe', 'bath', 'ely', 'hull', 'wick', 'ayr', 'troon', 'oban', 'perth'];
    const { crowd } = await run({ signedIn: false, crowdRoute: (k) => `fares/${stations[k % 12]}-${stations[(k * 7 + 3) % 12]}_${k % 9}`, crowdAddress: (a) => `100.64.1.${a % 40}`, before: 2040 });
    expect(crowd.filter(held).length / crowd.length).toBeGreaterThan(0.8);
  });

  it('the crowd is held when it spreads over six routes the newcomers hardly use, on every one of them', async () => {
    const routes = ['availability', 'seats', 'prices', 'reviews', 'venue', 'lineup'];
    const { crowd } = await run({ signedIn: false, crowdRoute: (k) => routes[k % routes.length]!, before: 2040 });
    expect(crowd.filter(held).length / crowd.length).toBeGreaterThan(0.8);
  });

  it('the crowd is held when it forges a credential to pass for signed-in users', async () => {
    const { crowd } = await run({ signedIn: true, crowdHeaders: { ...APP, authorization: 'Bearer forged' } });
    expect(crowd.filter(held).length / crowd.length).toBeGreaterThan(0.8);
  });

  it('a crowd sharing a few stolen bearer tokens from addresses of many networks is held for the spread of each token; the signed-in users on its route are not', async () => {
    // Four tokens taken from four users, each sent from a new address of another /24 every half second: every address
    // of the crowd calls at the app's pace and is the signed-in users' kind of client. The users open the app on the
    // route the crowd sweeps (a notification's link): the crowd's requests, held for their tokens, are not counted in
    // the surge of new addresses that would hold the users with them.
    const { users, crowd } = await run({ signedIn: true, crowdHeaders: (a) => ({ ...APP, authorization: `Bearer user-stolen-${a % 4}` }), crowdAddress: (a) => `100.${64 + (a % 50)}.${a >> 4}.9`, deepLink: true });
    expect(crowd.filter(held).length / crowd.length).toBeGreaterThan(0.9);
    expect(crowd.filter((b) => !b.signals.some((x) => x.name === 'credential-spread' && (x.value ?? 0) >= 5)).length).toBe(0);
    expect(crowd[0]!.signals.find((x) => x.name === 'credential-spread')!.detail).toMatch(/own credential \(authorization\) came from \d+ networks/);
    const onItsRoute = users.filter((x) => x.path.endsWith('/availability'));
    expect(onItsRoute.length).toBeGreaterThan(50);
    expect(users.filter((x) => held(x.bot)).map((x) => `${x.path} ${fired(x.bot).join(',')}`)).toEqual([]);
  });

  it("a push notification bringing nine times the app's users at once holds none of them: every route they use surges alike", async () => {
    for (const signedIn of [true, false]) {
      const { users } = await run({ signedIn, push: 9 });
      expect(users.length).toBeGreaterThan(2000);
      expect(users.filter((x) => held(x.bot)).map((x) => `${x.path} ${fired(x.bot).join(',')}`).slice(0, 5), `signed in: ${signedIn}`).toEqual([]);
    }
  });

  it("signed-in users are another kind of client: not held on the crowd's route either, nor for its failures there", async () => {
    const { users, crowd } = await run({ signedIn: true });
    expect(crowd.filter(held).length / crowd.length).toBeGreaterThan(0.8);
    expect(users.filter((x) => held(x.bot)).map((x) => `${x.path} ${fired(x.bot).join(',')}`)).toEqual([]);
  });
});

describe('a surge of landings too recent for the return deficit', () => {
  // Two minutes of people: one lands every 10 s and comes back 2 s later with the cookie it was given.
  const withPeople = async () => {
    const d = detectors();
    for (let i = 0; i < 12; i++) {
      const ip = `203.0.113.${i + 1}`;
      await d.check(request({ ip, path: `/products/${i % 30}` }));
      await d.advance(2000);
      await d.check(request({ ip, path: '/api/cart', cookie: `p-${i}`, headers: { ...CHROME, accept: 'application/json' } }));
      await d.advance(8000);
    }
    return d;
  };

  it("one client rotating its address over a hundred /24s: 300 landings in 3 s carry the route's surge, though too recent for the return deficit", async () => {
    // The deficit reads landings 30 s old and older, so a burst of 3 s never reaches it: none of it was held against
    // them before. Within one /24 its network's count stops it (see "a client rotating its address within one network");
    // spread over a hundred, three addresses each, the route's surge counts (at most 20 points until the deficit can
    // be read: the crowd's own evidence must add to it, as from its second landing per address fresh-relanding does).
    const { last } = await burst(await withPeople(), 300, 10, (i) => request({ ip: `198.18.${i % 100}.${Math.floor(i / 100) + 1}`, path: `/products/${i % 30}` }));
    expect(fired(last)).toContain('surge-route');
    expect(last.signals.find((x) => x.name === 'surge-route')!.detail).toMatch(/too recent for the return deficit/);
  });

  it("people arriving at once from their own networks (a newsletter's first seconds) are not challenged", async () => {
    const d = await withPeople();
    const verdicts: string[] = [];
    for (let i = 0; i < 100; i++) {
      const ip = `${20 + (i % 200)}.${i}.1.9`;
      verdicts.push((await d.check(request({ ip, path: `/products/${i % 30}` }))).verdict);
      await d.advance(100);
    }
    expect(verdicts.filter((v) => v !== 'allow')).toEqual([]);
  });
});

type Slots = NonNullable<ReturnType<typeof planBotCounters>['ctx']>['s'];

/**
 * `req` judged by a policy with six hours of history and `baselines` over the priors, with the counters its batch
 * read set by `set` and all others 0.
 */
function judgeWithCounters(req: ReturnType<typeof request>, baselines: Partial<ReturnType<typeof priorBaselines>>, set: (counters: number[][], s: Slots) => void, afterMs = 0, known?: RecentKeys) {
  const now = Date.parse('2026-03-02T10:00:00Z') + afterMs;
  const p = policy({ hosts: ['api.test'], bot: { mode: 'Enforce' } });
  const plan = planBotCounters(p, req, null, now, DEFAULT_BOT_KNOBS, { ...priorBaselines(), warm: true, observedMs: 6 * 3_600_000, ...baselines }, known);
  const counters = plan.counters.map((c) => c.keys.map(() => 0));
  set(counters, plan.ctx!.s);
  return judgeBehaviour(plan, counters);
}

/**
 * A Chrome landing on /products/7 from an address seen for the first time (its request counted in the batch: it
 * keeps no cookies yet), judged as judgeWithCounters does.
 */
function judgeFreshLanding(baselines: Partial<ReturnType<typeof priorBaselines>>, set: (counters: number[][], s: Slots) => void) {
  return judgeWithCounters(request({ path: '/products/7', ip: '203.0.113.90' }), baselines, (counters, s) => {
    counters[s.ipLong] = [1, 0];
    counters[s.newLong] = [1, 0];
    set(counters, s);
  });
}

describe('few HEAD requests for an address', () => {
  // A Chrome request from an address with 300 requests in the long window, none of them HEAD, where the site's requests
  // are 7.5 % HEAD: `landings` of them opened a session, `kept` came in kept sessions; with `own`, the request is in a
  // cookie session that made `own` of them, else it is a landing.
  const judgeAddress = (landings: number, kept: number, own?: number) =>
    judgeWithCounters(request({ path: '/products/7', ip: '203.0.113.91', ...(own === undefined ? {} : { cookie: 'kept' }) }), { headShare: 0.075 }, (counters, s) => {
      counters[s.ipLong] = [300, 0];
      if (own !== undefined) counters[s.sessLong] = [own, 0];
      if (s.newLong >= 0) counters[s.newLong] = [landings, 0];
      if (s.keptLong >= 0) counters[s.keptLong] = [kept, 0];
    }).signals.find((x) => x.name === 'few-head');

  it('holds them against an address that is one client', () => {
    expect(judgeAddress(300, 0)?.score ?? 0).toBeGreaterThanOrEqual(40);
  });

  it("not against an office's address full of people in kept sessions, where HEAD comes from other software", () => {
    expect(judgeAddress(12, 280)).toBeUndefined();
    // Half of it kept: a client beside a few sessions is held to part of it.
    const half = judgeAddress(150, 40);
    expect(half?.score ?? 0).toBeGreaterThan(0);
    expect(half!.score).toBeLessThan(judgeAddress(300, 0)!.score);
    expect(half!.detail).toContain('off: people behind the address');
  });

  it("holds them against a session as far as the address's requests are the session's own", () => {
    // A crawler that keeps its cookie: nearly every request of the address is its session's.
    expect(judgeAddress(1, 295, 295)?.score ?? 0).toBeGreaterThanOrEqual(40);
    // One of an office's people: a tenth of them.
    expect(judgeAddress(12, 280, 30)?.score ?? 0).toBeLessThanOrEqual(5);
  });
});

describe('a source whose sessions never live past their first minute', () => {
  // A landing (or a request of a session in its first minute) from one address and browser: `opened` sessions opened
  // in its last 10-20 minutes (`recent` of them in the last minute or two), `returned` of them came back with the
  // cookie, and `lived` of its sessions went on past their first minute.
  const judgeSource = (o: { opened: number; recent?: number; returned?: number; lived?: number }, cookie?: string) => {
    const { opened, recent = 2, returned = opened + recent, lived = 0 } = o;
    const judged = judgeWithCounters(request({ path: '/docs/alerts', ip: '203.0.113.90', ...(cookie ? { cookie } : {}) }), {}, (counters, s) => {
      counters[s.ipLong] = [opened + recent, 0];
      if (s.newLong >= 0) counters[s.newLong] = [opened + recent, 0];
      counters[s.srcLong] = [opened + recent, 0];
      counters[s.srcMin] = [recent, 0];
      counters[s.srcLife] = [returned + lived * LIVED_UNIT, 0];
      if (cookie) {
        counters[s.sessLong] = [3, 0];
        counters[s.sessMin] = [3, 0];
      }
    });
    return judged.signals.find((x) => x.name === 'one-shot-sessions');
  };

  it('is one client opening a session per page (a crawler rendering each page in a fresh browser context): a challenge', () => {
    const landing = judgeSource({ opened: 40 });
    expect(landing?.score ?? 0).toBeGreaterThanOrEqual(50);
    expect(landing!.score).toBeLessThanOrEqual(DEFAULT_BOT_KNOBS.fresh.oneShot.curve.max);
    expect(landing!.detail).toMatch(/40 sessions opened from this address and client fingerprint a minute ago or more .*, and 0 of its sessions lived past their first minute/);
    // The page's files and calls in that session's first minute are judged with it.
    expect(judgeSource({ opened: 40 }, 'session=page-7')?.score ?? 0).toBeGreaterThanOrEqual(50);
  });

  it('is counted by the feed from what the sessions do: each page in a session of its own, against sessions that live on', async () => {
    // One address and browser, a page every 10 s for ten minutes: a landing, then three requests with the cookie it
    // was given within a second, and (`livesOn`) one more request 70 s later, as a person reading the page would.
    // `strays`: it fetched robots.txt first, and every fourth page was answered with a redirect it fetched nothing after:
    // landings that never came back.
    const run = async (livesOn: boolean, strays = false) => {
      const d = detectors();
      const events: Array<{ at: number; req: ReturnType<typeof request> }> = [];
      if (strays) events.push({ at: 0, req: request({ path: '/robots.txt', ip: '203.0.113.90' }) });
      for (let k = 0; k < 60; k++) {
        const t = k * 10_000 + (strays ? 50 : 0);
        events.push({ at: t, req: request({ path: `/docs/page-${k}`, ip: '203.0.113.90' }) });
        if (strays && k % 4 === 1) continue;
        for (let j = 1; j <= 3; j++) events.push({ at: t + j * 100, req: request({ path: `/static/file-${j}.js`, ip: '203.0.113.90', cookie: `session=page-${k}` }) });
        if (livesOn) events.push({ at: t + 70_000, req: request({ path: '/api/notes', ip: '203.0.113.90', cookie: `session=page-${k}` }) });
      }
      events.sort((a, b) => a.at - b.at);
      let at = 0;
      for (const e of events) {
        if (e.at > at) await d.advance(e.at - at);
        at = e.at;
        await d.check(e.req);
      }
      await d.advance(1000);
      return (await d.check(request({ path: '/docs/page-60', ip: '203.0.113.90' }))).signals.find((x) => x.name === 'one-shot-sessions') ?? null;
    };
    expect((await run(false))?.score ?? 0).toBeGreaterThanOrEqual(50);
    expect(await run(true)).toBeNull();
    expect((await run(false, true))?.score ?? 0).toBeGreaterThanOrEqual(50);
    expect(await run(true, true)).toBeNull();
  });

  it('counts a session kept alive once, not once a minute: one session beside the crawler hides none of its one-shot ones', async () => {
    // A page every 20 s for 20 minutes, each in a fresh context (a landing, then two files with its cookie), and beside
    // it `kept` sessions that make a request every 20 s from the start, as a client hiding the crawl behind sessions
    // that live on would. Counted per minute, one kept session added as many lived sessions as the crawler opened
    // one-shot ones. `people` sessions that each live on (a request 150 s later) are a source of people: never flagged.
    const run = async (kept: number, people = false) => {
      const d = detectors();
      const ip = '203.0.113.91';
      const events: Array<{ at: number; req: ReturnType<typeof request> }> = [];
      for (let k = 0; k < 60; k++) {
        const t = k * 20_000;
        events.push({ at: t, req: request({ path: `/docs/page-${k}`, ip }) });
        for (let j = 1; j <= 2; j++) events.push({ at: t + j * 100, req: request({ path: `/static/file-${j}.js`, ip, cookie: `session=page-${k}` }) });
        if (people) events.push({ at: t + 150_000, req: request({ path: '/api/notes', ip, cookie: `session=page-${k}` }) });
        for (let c = 0; c < kept; c++) events.push({ at: t + 500 + c, req: request({ path: '/api/notes', ip, cookie: `session=kept-${c}` }) });
      }
      events.sort((a, b) => a.at - b.at);
      let at = 0;
      let flagged = 0;
      for (const e of events) {
        if (e.at > at) await d.advance(e.at - at);
        at = e.at;
        const r = await d.check(e.req);
        if (e.at >= 10 * 60_000 && r.signals.some((x) => x.name === 'one-shot-sessions')) flagged++;
      }
      await d.advance(1000);
      const last = (await d.check(request({ path: '/docs/page-60', ip }))).signals.find((x) => x.name === 'one-shot-sessions');
      return { flagged, last: last ?? null };
    };
    const alone = await run(0);
    const beside = await run(1);
    const three = await run(3);
    expect(alone.last?.score ?? 0).toBeGreaterThanOrEqual(50);
    expect(beside.last?.score ?? 0).toBeGreaterThanOrEqual(50);
    expect(beside.last!.detail).toMatch(/, and 1 of its sessions lived past their first minute/);
    expect(three.last?.score ?? 0).toBeGreaterThanOrEqual(50);
    // The pages' requests in the second ten minutes are judged with the signal (90 of them alone, none beside one kept
    // session when it was counted per minute); three kept sessions of 60 are more evidence of people, so later.
    expect(beside.flagged).toBeGreaterThanOrEqual(alone.flagged * 0.75);
    expect(three.flagged).toBeGreaterThanOrEqual(alone.flagged / 4);
    expect((await run(0, true)).last).toBeNull();
  });

  it('is judged among the sessions that came back: landings that fetched nothing after them hide none of the rest', () => {
    // Four of 40 landings (robots.txt, pages answered with a redirect) never came back with the cookie.
    expect(judgeSource({ opened: 40, returned: 36 })?.score ?? 0).toBeGreaterThanOrEqual(50);
    // Cookie blockers behind the same address and browser add landings that never come back: the sessions of the
    // rest are judged as they would be alone, one way or the other.
    expect(judgeSource({ opened: 80, returned: 40 })?.score ?? 0).toBeGreaterThanOrEqual(50);
    expect(judgeSource({ opened: 80, returned: 40, lived: 30 })).toBeUndefined();
    expect(judgeSource({ opened: 80, returned: 20 })).toBeUndefined();
  });

  it("leaves alone a source whose sessions live on, one with fewer sessions, and one whose sessions never came back", () => {
    // People behind one egress on one browser build: their sessions make the app's calls for minutes.
    expect(judgeSource({ opened: 40, lived: 30 })).toBeUndefined();
    // Twenty visits that each read one page, or sixteen visitors of a campaign behind a carrier's address, on one phone
    // model, all but one bouncing.
    expect(judgeSource({ opened: 20 })).toBeUndefined();
    expect(judgeSource({ opened: 16, lived: 1 })).toBeUndefined();
    // A burst of new sessions in the last minute or two, which have had no time to live.
    expect(judgeSource({ opened: 3, recent: 40 })).toBeUndefined();
    // A person who blocks cookies: every request is a landing, none comes back.
    expect(judgeSource({ opened: 40, returned: 0 })).toBeUndefined();
  });
});

describe('the form of a path whose tries fail in a surge', () => {
  const FORM_FILE = { ...CHROME, accept: 'text/css,*/*;q=0.1', 'sec-fetch-dest': 'style', 'sec-fetch-mode': 'no-cors', 'sec-fetch-site': 'same-origin', referer: 'https://api.test/login' };
  const TRY = { ...CHROME, accept: '*/*', 'content-type': 'application/json', 'sec-fetch-dest': 'empty', 'sec-fetch-mode': 'cors', 'sec-fetch-site': 'same-origin' };
  /** A try on POST /api/login from `ip`, handed to the feed as stopped for the path's failure surge at `score`. */
  const flaggedTry = async (d: ReturnType<typeof detectors>, ip: string, referer: string | null, score = 90) => {
    const req = request({ ip, method: 'POST', path: '/api/login', headers: referer === null ? TRY : { ...TRY, referer } });
    const judged = await d.check(req);
    const surge = { name: 'surge-failures', family: 'aggregate' as const, score, value: 40, threshold: 2, detail: '40 client errors/min on /api/login vs 2 expected' };
    // The observations are not enumerable (never logged): carried over by hand.
    const stopped = Object.defineProperty({ ...judged, score, verdict: score >= 50 ? ('challenge' as const) : ('allow' as const), signals: [...judged.signals, surge] }, 'observations', { value: judged.observations, enumerable: false });
    d.stop(req, stopped);
  };
  const formSignal = (bot: JudgedAssessment) => bot.signals.find((x) => x.name === 'surge-failures' && /form/.test(x.detail));
  /** A crowd's tries: `n` flagged tries from as many addresses. */
  const crowdTries = async (d: ReturnType<typeof detectors>, n: number, referer: string | null, score = 90) => {
    for (let i = 0; i < n; i++) await flaggedTry(d, `192.0.2.${100 + i}`, referer, score);
  };
  const TRIES = DEFAULT_BOT_KNOBS.surge.formMinTries;

  it("holds newcomers loading the form the flagged tries were posted from, and that page's files from their addresses: a challenge, never a denial", async () => {
    const d = detectors();
    // Tries stopped for the surge, posted from the sign-in page: one is no crowd's, formMinTries are. The page is then
    // the path's form, held at the route curve's top.
    await flaggedTry(d, '192.0.2.10', 'https://api.test/login?next=%2Fapp');
    expect(formSignal(await d.check(request({ ip: '203.0.113.4', path: '/login' })))).toBeUndefined();
    await crowdTries(d, TRIES - 1, 'https://api.test/login');
    const stuffer = await d.check(request({ ip: '203.0.113.5', path: '/login' }));
    expect(formSignal(stuffer)?.score).toBe(DEFAULT_BOT_KNOBS.surge.routeCurve.max);
    expect(stuffer.verdict).toBe('challenge');
    expect(formSignal(stuffer)!.detail).toMatch(/a newcomer loading the form of a path whose tries fail in a surge/);
    // Its page's files from its address, with or without the cookie it was given; not another address's.
    const file = await d.check(request({ ip: '203.0.113.5', path: '/_app/main.css', headers: FORM_FILE }));
    expect(formSignal(file)?.score).toBe(DEFAULT_BOT_KNOBS.surge.routeCurve.max);
    expect(formSignal(await d.check(request({ ip: '203.0.113.5', path: '/_app/site.js', cookie: 'given-on-landing', headers: { ...FORM_FILE, 'sec-fetch-dest': 'script' } })))).toBeDefined();
    expect(formSignal(await d.check(request({ ip: '203.0.113.6', path: '/_app/main.css', headers: FORM_FILE })))).toBeUndefined();
    // A visitor with a cookie, even one never seen (a person signing in again with a visit's cookie of days ago).
    expect(formSignal(await d.check(request({ ip: '203.0.113.7', path: '/login', cookie: 'kept-for-days' })))).toBeUndefined();
    // Other pages are not the form.
    expect(formSignal(await d.check(request({ ip: '203.0.113.8', path: '/pricing' })))).toBeUndefined();
    // Held while tries keep being flagged: formHoldMs after the last one, nothing.
    await d.advance(DEFAULT_BOT_KNOBS.surge.formHoldMs);
    expect(formSignal(await d.check(request({ ip: '203.0.113.9', path: '/login' })))).toBeUndefined();
    expect(formSignal(await d.check(request({ ip: '203.0.113.5', path: '/_app/main.css', headers: FORM_FILE })))).toBeUndefined();
  });

  it('takes no page for a form from tries let through, posted from another site or without a Referer, and holds at most their points', async () => {
    const d = detectors();
    await crowdTries(d, TRIES, 'https://elsewhere.example/login');
    await crowdTries(d, TRIES, null);
    // Scored, but under the challenge: let through, no form.
    await crowdTries(d, TRIES, 'https://api.test/login', 40);
    // Its own path's read is no page load of a form.
    expect(formSignal(await d.check(request({ ip: '203.0.113.20', path: '/login' })))).toBeUndefined();
    const lowered = detectors();
    await crowdTries(lowered, TRIES, 'https://api.test/login', 55);
    expect(formSignal(await lowered.check(request({ ip: '203.0.113.21', path: '/login' })))?.score).toBe(55);
  });

  it("takes no campaign's landing page for a form when a few of its many newcomers' tries are flagged", async () => {
    const d = detectors();
    // Forty newcomers land on the event page; seven of them fail a write flagged for its path's surge.
    for (let i = 0; i < 40; i++) await d.check(request({ ip: `198.18.0.${i + 1}`, path: '/e/midnight-tides' }));
    await crowdTries(d, TRIES + 2, 'https://api.test/e/midnight-tides');
    expect(formSignal(await d.check(request({ ip: '203.0.113.30', path: '/e/midnight-tides' })))).toBeUndefined();
    // As many tries as newcomers' loads: a crowd's form.
    await crowdTries(d, 40, 'https://api.test/e/midnight-tides');
    expect(formSignal(await d.check(request({ ip: '203.0.113.31', path: '/e/midnight-tides' })))).toBeDefined();
  });
});

describe('newcomers in fingerprint cells never seen before', () => {
  // A landing judged with its counters set directly: site-wide, `novelPerHalfMinute` new-session requests in the
  // last two 30 s buckets landed in route x fingerprint cells never learned, where 2 a minute were learned.
  const judgeLanding = (novelPerHalfMinute: number, cellLearned: number, baselines: Partial<ReturnType<typeof priorBaselines>> = {}) => {
    const judged = judgeFreshLanding({ landingGate: 1, ...baselines }, (counters, s) => {
      counters[s.cellFresh] = [1, 0, 0];
      counters[s.cellFreshBase] = [cellLearned, 0];
      counters[s.novel] = [novelPerHalfMinute, novelPerHalfMinute, 0];
      counters[s.novelBase] = [60, 60];
    });
    return { signal: judged.signals.find((x) => x.name === 'surge-novel'), novel: judged.observations?.novel };
  };

  it('a surge of them is a crowd that varies its fingerprints; the request in such a cell is challenged with it', () => {
    const { signal, novel } = judgeLanding(40, 0);
    expect(novel).toBe(true);
    expect(signal!.score).toBeGreaterThanOrEqual(50);
    expect(signal!.score).toBeLessThanOrEqual(DEFAULT_BOT_KNOBS.surge.routeCurve.max);
    expect(signal!.detail).toMatch(/81 new-session requests\/min site-wide in route x fingerprint cells never seen before vs 4 expected/);
  });

  it('is not held against a cell that was learned, nor below ten to one', () => {
    expect(judgeLanding(40, 1)).toEqual({ signal: undefined, novel: false });
    expect(judgeLanding(6, 0).signal).toBeUndefined();
  });

  it('is not held against a landing on a young policy, where the people land in new cells too (still counted as novel)', () => {
    expect(judgeLanding(40, 0, { warm: false, observedMs: 4 * 60_000 })).toEqual({ signal: undefined, novel: true });
  });
});

describe("a failure surge whose crowd is stopped by other signals", () => {
  // A try on POST /login from a browser without the cookie, judged with the path's last-minute counts set directly
  // (failures learned at 1 a minute), on this replica's memory `known` (undefined: none, as a test without one).
  const judgeTry = (known: RecentKeys | undefined, failed: number, stopped: number, reached: number, atMs: number) => {
    const req = request({ method: 'POST', path: '/login', ip: '203.0.113.77', headers: { ...CHROME, 'content-type': 'application/x-www-form-urlencoded' } });
    const judged = judgeWithCounters(req, {}, (counters, s) => {
      counters[s.routeFail] = [failed / 2 + (stopped / 2) * STOP_UNIT, failed / 2 + (stopped / 2) * STOP_UNIT, 0];
      counters[s.routeFailBase] = [0, 60];
      counters[s.routeReq] = [reached / 2, reached / 2, 0];
    }, atMs, known);
    return judged.signals.find((x) => x.name === 'surge-failures');
  };

  it("counts the stopped tries at the failing share seen while they reached the path, not at the people's that reach it since", () => {
    // First 36 of 40 tries fail; a minute later most tries are stopped (40) and what reaches the path is mostly the
    // people's sign-ins (2 of 10 fail). Before, the stopped counted at 20 %: 10 failures a minute against 2 expected.
    const memory = new RecentKeys({ ttlMs: 5 * 60_000, maxEntries: 1000 });
    expect(judgeTry(memory, 36, 0, 40, 0)?.score ?? 0).toBeGreaterThanOrEqual(50);
    const held = judgeTry(memory, 2, 40, 10, 60_000);
    const forgotten = judgeTry(undefined, 2, 40, 10, 60_000);
    expect(held!.detail).toMatch(/38 client errors\/min on \/login/);
    expect(held!.detail).toMatch(/stopped at the 90% failing seen before they were stopped/);
    expect(held!.score).toBeGreaterThan(forgotten?.score ?? 0);
    // Held while more tries are stopped than fail; 5 minutes after the last such minute it lapses.
    expect(judgeTry(memory, 2, 40, 10, 4 * 60_000)!.detail).toMatch(/seen before they were stopped/);
    expect(judgeTry(memory, 2, 1, 10, 10 * 60_000)?.detail ?? '').not.toMatch(/seen before they were stopped/);
  });

  it('holds that share for a try from a session this replica already knows established', () => {
    const memory = new RecentKeys({ ttlMs: 5 * 60_000, maxEntries: 1000 });
    judgeTry(memory, 36, 0, 40, 0);
    // A stuffer that kept its cookie and has failed as often as a session must to be judged for the path's surge.
    const req = request({ method: 'POST', path: '/login', ip: '203.0.113.78', cookie: 'kept-by-a-stuffer', headers: { ...CHROME, 'content-type': 'application/x-www-form-urlencoded' } });
    const errors = DEFAULT_BOT_KNOBS.errors.minErrors;
    const set = (counters: number[][], s: Slots) => {
      counters[s.sessLong] = [10, 0];
      counters[s.ipLong] = [10, 0];
      counters[s.errSess] = [errors, 0];
      counters[s.errAddr] = [9 + errors * ADDR_ERROR_UNIT, 0];
      counters[s.sessWrites] = [errors + 1 + errors * WRITE_FAIL_UNIT, 0];
      counters[s.routeFail] = [1 + 20 * STOP_UNIT, 1 + 20 * STOP_UNIT, 0];
      counters[s.routeFailBase] = [0, 60];
      counters[s.routeReq] = [5, 5, 0];
    };
    const { policyId, session } = judgeWithCounters(req, {}, () => {}, 60_000).observations!.subject;
    memory.remember(`${policyId}\u0000${session}`, Date.parse('2026-03-02T10:00:00Z') + 60_000);
    const judged = judgeWithCounters(req, {}, set, 60_000, memory);
    expect(judged.observations?.state).toBe('established');
    expect(judged.signals.find((x) => x.name === 'surge-failures')!.detail).toMatch(/stopped at the 90% failing seen before they were stopped/);
  });
});

describe('a failure surge and the established sessions on its path', () => {
  // A POST /login from an established cookie session (`requests` in the long window, `errors` of them failed),
  // judged with its counters set directly: the path's failures learned at 1 a minute (2 expected with the slack),
  // 40 in the last minute.
  // `writes` (this one included) and `failedWrites` set the session's writes counter; by default its writes are its
  // failures and this try.
  const judgeTry = (errors: number, requests = 10, writes = errors + 1, failedWrites = errors) => {
    const req = request({ method: 'POST', path: '/login', cookie: 'kept-by-a-stuffer', headers: { ...CHROME, 'content-type': 'application/x-www-form-urlencoded' } });
    const judged = judgeWithCounters(req, {}, (counters, s) => {
      counters[s.sessLong] = [requests, 0];
      counters[s.ipLong] = [requests, 0];
      counters[s.errSess] = [errors, 0];
      counters[s.errAddr] = [requests - 1 + errors * ADDR_ERROR_UNIT, 0];
      counters[s.sessWrites] = [writes + failedWrites * WRITE_FAIL_UNIT, 0];
      counters[s.routeFail] = [20, 20, 0];
      counters[s.routeFailBase] = [0, 60];
      counters[s.routeReq] = [25, 25, 0];
    });
    return { state: judged.observations?.state, signal: judged.signals.find((x) => x.name === 'surge-failures') };
  };

  it('holds it against a session with as many failures as an address needs to be judged, however many pages it loaded', () => {
    // A stuffer keeping its cookie loads the login form before each try: 3 failed tries among 10 requests is a
    // session that mostly succeeds, which the surge used to leave alone.
    const { state, signal } = judgeTry(DEFAULT_BOT_KNOBS.errors.minErrors);
    expect(state).toBe('established');
    expect(signal?.score ?? 0).toBeGreaterThan(0);
    expect(signal!.detail).toMatch(/40 client errors\/min on \/login vs 2 expected/);
  });

  it("holds it against a session's first request with the cookie when it is a try: a stuffer loads the form, keeps the cookie and posts", () => {
    // Its address landed once (the form); this is the session's first request. Before, only new sessions and failing
    // ones were judged: a stuffer trying once per cookie it was given never was.
    const judgeReturn = (method: string) => {
      const req = request({ method, path: '/login', cookie: 'given-on-landing', headers: { ...CHROME, ...(method === 'POST' ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) } });
      const judged = judgeWithCounters(req, {}, (counters, s) => {
        counters[s.sessLong] = [1, 0];
        counters[s.ipLong] = [2, 0];
        counters[s.landing] = [LANDING_UNIT, 0];
        counters[s.routeFail] = [20, 20, 0];
        counters[s.routeFailBase] = [0, 60];
        counters[s.routeReq] = [25, 25, 0];
      });
      return { state: judged.observations?.state, signal: judged.signals.find((x) => x.name === 'surge-failures') };
    };
    const tryLogin = judgeReturn('POST');
    expect(tryLogin.state).toBe('return');
    expect(tryLogin.signal?.score ?? 0).toBeGreaterThan(0);
    // A read with the cookie (the form again, a page after it) is not a try.
    expect(judgeReturn('GET')).toEqual({ state: 'return', signal: undefined });
  });

  it('leaves alone an established session with fewer failures, or failures in a long visit, that mostly succeeds', () => {
    // A person who mistyped a password once or twice in a session of ten requests.
    expect(judgeTry(DEFAULT_BOT_KNOBS.errors.minErrors - 1).signal).toBeUndefined();
    // Three 404s in a visit of twenty requests, none of them a write.
    expect(judgeTry(DEFAULT_BOT_KNOBS.errors.minErrors, 20, 1, 0).signal).toBeUndefined();
    // A person who got the password wrong three times, then right, in a visit of twenty requests, posting again.
    expect(judgeTry(DEFAULT_BOT_KNOBS.errors.minErrors, 20, 5, 3).signal).toBeUndefined();
  });

  it('holds it against a session whose tries mostly failed, however many pages it loaded between them', () => {
    // Three failed tries, each behind six page loads of the login form: one request in seven failed.
    const { state, signal } = judgeTry(DEFAULT_BOT_KNOBS.errors.minErrors, 21);
    expect(state).toBe('established');
    expect(signal?.score ?? 0).toBeGreaterThan(0);
    // Eight failed and one that got through.
    expect(judgeTry(8, 60, 10, 8).signal?.score ?? 0).toBeGreaterThan(0);
  });

  it("on a young policy, cannot be hidden by a failure rate learned from the crowd's own tries: at most maxFailingShare of the path's requests is usual", () => {
    // A new session's try on /login where 90 of the last minute's 100 requests failed, and 90 failures a minute were
    // learned: on a policy five minutes old, a crowd there since the cold start, unflagged while it was learned.
    const judgeNewTry = (failedPerMinute: number, learnedPerMinute: number, warm: boolean) => {
      const req = request({ method: 'POST', path: '/login', headers: { ...CHROME, 'content-type': 'application/x-www-form-urlencoded' } });
      const judged = judgeWithCounters(req, warm ? {} : { warm: false, observedMs: 5 * 60_000 }, (counters, s) => {
        counters[s.routeFail] = [failedPerMinute / 2, failedPerMinute / 2, 0];
        counters[s.routeFailBase] = warm ? [0, learnedPerMinute * 60] : [learnedPerMinute * 5, 0];
        counters[s.routeReq] = [50, 50, 0];
      });
      return judged.signals.find((x) => x.name === 'surge-failures');
    };
    const crowd = judgeNewTry(90, 90, false);
    expect(crowd?.score ?? 0).toBeGreaterThanOrEqual(50);
    expect(crowd!.detail).toMatch(/90 client errors\/min on \/login vs 20 expected/);
    // People failing 15 % of their tries there, learned as such, are no surge.
    expect(judgeNewTry(15, 15, false)).toBeUndefined();
    // A warm policy keeps what it learned over hours: a path of its own that fails often (a token refresh) is no surge.
    expect(judgeNewTry(90, 90, true)).toBeUndefined();
  });

  it("on a young policy, expects a path's reads to fail as often as settled sessions' reads fail there (an \"am I signed in?\" call), never its writes", () => {
    // GET /api/me answered 401 to signed-out visitors: 90 of the last minute's 100 reads failed, and 90 a minute were
    // learned in the policy's five minutes (a crowd there since the cold start would have taught it as much).
    // `settled`: reads of settled sessions there in the last minute, and how many of them failed.
    const judgeNewCall = (method: string, settled: [number, number] | null) => {
      const req = request({ method, path: '/api/me', headers: { ...CHROME, accept: 'application/json' } });
      const judged = judgeWithCounters(req, { warm: false, observedMs: 5 * 60_000 }, (counters, s) => {
        counters[s.routeFail] = [45, 45, 0];
        counters[s.routeFailBase] = [450, 0];
        counters[s.routeReq] = [50, 50, 0];
        counters[s.routeWrite] = method === 'POST' ? [50 + 45 * WRITE_FAIL_UNIT, 50 + 45 * WRITE_FAIL_UNIT, 0] : [0, 0, 0];
        if (settled) counters[s.routeSettled] = [settled[0] / 2 + (settled[1] / 2) * WRITE_FAIL_UNIT, settled[0] / 2 + (settled[1] / 2) * WRITE_FAIL_UNIT, 0];
      });
      return judged.signals.find((x) => x.name === 'surge-failures');
    };
    // Before the settled sessions' share: the young policy's cap (10 %) made the people's own 401s a surge.
    expect(judgeNewCall('GET', null)?.score ?? 0).toBeGreaterThanOrEqual(50);
    // People's settled sessions fail there 90 % of the time: no surge.
    expect(judgeNewCall('GET', [40, 36])).toBeUndefined();
    // Too few settled reads to tell, or settled sessions that seldom fail there: the cap holds.
    expect(judgeNewCall('GET', [8, 8])?.score ?? 0).toBeGreaterThanOrEqual(50);
    expect(judgeNewCall('GET', [40, 2])?.score ?? 0).toBeGreaterThanOrEqual(50);
    // Writes keep the cap, whatever reads fail: a stuffer's tries.
    expect(judgeNewCall('POST', [40, 36])?.score ?? 0).toBeGreaterThanOrEqual(50);
  });

  it("once warm, expects a path's reads to fail at settled sessions' share of the reads that reached it; its writes at their learned rate, however many reads come with them", () => {
    // An hour's history of the path: `reads` reads a minute of settled sessions reached it clean, `readFailures` of
    // them failed, and `failures` a minute failed in all. The last minute: `reached` requests reached it (`writes` of them writes) and
    // `failed` failed.
    const judgeNew = (method: string, learned: { reads: number; readFailures: number; failures: number }, last: { reached: number; writes: number; failed: number }) => {
      const req = request({ method, path: method === 'GET' ? '/api/me' : '/login', headers: { ...CHROME, accept: 'application/json' } });
      const judged = judgeWithCounters(req, {}, (counters, s) => {
        counters[s.routeRead] = [learned.reads * 60, learned.reads * 60];
        counters[s.routeReadFail] = [learned.readFailures * 60, learned.readFailures * 60];
        counters[s.routeFailBase] = [learned.failures * 60, learned.failures * 60];
        counters[s.routeFail] = [last.failed / 2, last.failed / 2, 0];
        counters[s.routeReq] = [last.reached / 2, last.reached / 2, 0];
        counters[s.routeWrite] = [last.writes / 2, last.writes / 2, 0];
      });
      return judged.signals.find((x) => x.name === 'surge-failures')?.score ?? 0;
    };
    // An "am I signed in?" call that answers every signed-out visitor with a 401 (90 % of its reads fail), and a
    // campaign that brings five times the usual visitors: five times the failures, at the usual share. No surge;
    // weighed by the learned rate alone it was one.
    const signedOut = { reads: 100, readFailures: 90, failures: 90 };
    expect(judgeNew('GET', signedOut, { reached: 500, writes: 0, failed: 450 })).toBe(0);
    // A crowd probing a path whose reads seldom fail: a surge, however many of its probes succeed.
    expect(judgeNew('GET', { reads: 100, readFailures: 2, failures: 2 }, { reached: 500, writes: 0, failed: 150 })).toBeGreaterThanOrEqual(50);
    // A crowd of 300 tries a minute on a sign-in form (10 failed tries a minute usual, its page loads never fail),
    // loading the form four times per try: the page loads raise nothing the tries are weighed against.
    expect(judgeNew('POST', { reads: 100, readFailures: 0, failures: 10 }, { reached: 1500, writes: 300, failed: 285 })).toBeGreaterThanOrEqual(50);
  });

  it("counts a session's stopped try as a failed one, so that stopping its tries does not make them look successful", async () => {
    const d = detectors();
    const tryLogin = () => request({ method: 'POST', path: '/login', cookie: 'kept-by-a-stuffer', headers: { ...CHROME, 'content-type': 'application/x-www-form-urlencoded' } });
    const passed = await d.check(tryLogin());
    await d.advance(1000);
    const stopped = tryLogin();
    d.stop(stopped, await d.check(stopped));
    // Two writes decided, the stopped one failed (the access log never reports it).
    expect(await d.sessionWrites(passed)).toBe(2 + WRITE_FAIL_UNIT);
  });

  it("on a young policy, cannot be diluted by page loads between the tries: the path's writes are capped apart", () => {
    // The crowd above loading the login form six times before each try: 600 page loads (all answered) and 100 tries
    // (90 failed) a minute, 90 failures a minute learned. A share of all 700 requests would expect 70 a minute.
    const judgeNewTry = (reads: number, writes: number, failedWrites: number, learnedPerMinute: number) => {
      const req = request({ method: 'POST', path: '/login', headers: { ...CHROME, 'content-type': 'application/x-www-form-urlencoded' } });
      const judged = judgeWithCounters(req, { warm: false, observedMs: 5 * 60_000 }, (counters, s) => {
        counters[s.routeFail] = [failedWrites / 2, failedWrites / 2, 0];
        counters[s.routeFailBase] = [learnedPerMinute * 5, 0];
        counters[s.routeReq] = [(reads + writes) / 2, (reads + writes) / 2, 0];
        counters[s.routeWrite] = [(writes + failedWrites * WRITE_FAIL_UNIT) / 2, (writes + failedWrites * WRITE_FAIL_UNIT) / 2, 0];
      });
      return judged.signals.find((x) => x.name === 'surge-failures');
    };
    const crowd = judgeNewTry(600, 100, 90, 90);
    expect(crowd?.score ?? 0).toBeGreaterThanOrEqual(50);
    expect(crowd!.detail).toMatch(/90 client errors\/min on \/login vs 20 expected/);
    // People loading the form once per try and failing 15 % of their tries, learned as such: no surge.
    expect(judgeNewTry(100, 100, 15, 15)).toBeUndefined();
    // A path whose reads fail (404s) and that sees no writes keeps the cap on all its requests.
    const reads = judgeWithCounters(request({ path: '/login', headers: CHROME }), { warm: false, observedMs: 5 * 60_000 }, (counters, s) => {
      counters[s.routeFail] = [4, 4, 0];
      counters[s.routeFailBase] = [40, 0];
      counters[s.routeReq] = [50, 50, 0];
      counters[s.routeWrite] = [0, 0, 0];
    });
    expect(reads.signals.find((x) => x.name === 'surge-failures')).toBeUndefined();
  });

  it('holds it against a session that logs into an account of its own between tries, once its failures add up', () => {
    const enough = DEFAULT_BOT_KNOBS.errors.sessionFailedWrites;
    // One success after every two failures: a third of its writes succeed, far above one in five.
    const { state, signal } = judgeTry(enough, 60, enough + enough / 2 + 1, enough);
    expect(state).toBe('established');
    expect(signal?.score ?? 0).toBeGreaterThan(0);
    // One failure fewer, with the same share of successes: left alone (a person who mistyped a password a few times).
    const fewer = enough - 1;
    expect(judgeTry(fewer, 60, fewer + Math.ceil(fewer / 2) + 1, fewer).signal).toBeUndefined();
  });
  it("holds it against a session's first try after loading only the form, while most of the path's writes fail: a challenge, never a denial", () => {
    // A careful stuffer: lands on the form (the address's one request outside the session), loads its eight files with
    // the cookie and posts once. People signing in straight away look the same; only the path's writes tell a stuffing
    // attack (most of them fail) from a campaign's many visitors (more typos, the same share).
    // `pages`: the session's page loads; `others`: the address's requests outside the session; `writes` / `failed`:
    // the path's writes in each of the last two half-minutes; `priorWrites` / `priorFailed`: the session's earlier writes.
    const judgeFirstTry = (o: { pages?: number; others?: number; writes?: number; failed?: number; priorWrites?: number; priorFailed?: number; priorInLastBucket?: boolean } = {}) => {
      const { pages = 0, others = 1, writes = 20, failed = 18, priorWrites = 0, priorFailed = 0, priorInLastBucket = false } = o;
      const req = request({ method: 'POST', path: '/login', cookie: 'given-on-landing', headers: { ...CHROME, 'content-type': 'application/x-www-form-urlencoded' } });
      const judged = judgeWithCounters(req, {}, (counters, s) => {
        const requests = 9 + pages;
        counters[s.sessLong] = [requests + pages * SESSION_PAGE_UNIT, 0];
        counters[s.ipLong] = [requests + others, 0];
        const prior = priorWrites + priorFailed * WRITE_FAIL_UNIT;
        counters[s.sessWrites] = priorInLastBucket ? [1, prior] : [1 + prior, 0];
        counters[s.routeFail] = [20, 20, 0];
        counters[s.routeFailBase] = [0, 60];
        counters[s.routeReq] = [25, 25, 0];
        counters[s.routeWrite] = [writes + failed * WRITE_FAIL_UNIT, writes + failed * WRITE_FAIL_UNIT, 0];
      }, priorInLastBucket ? 60_000 : 0);
      return { state: judged.observations?.state, signal: judged.signals.find((x) => x.name === 'surge-failures') };
    };
    const stuffer = judgeFirstTry();
    expect(stuffer.state).toBe('established');
    expect(stuffer.signal?.score ?? 0).toBeGreaterThanOrEqual(50);
    expect(stuffer.signal!.score).toBeLessThanOrEqual(DEFAULT_BOT_KNOBS.surge.routeCurve.max);
    expect(stuffer.signal!.detail).toMatch(/this session loaded only the form before its first try, and most of the path's writes fail/);
    // Its session loaded the form as a page (its address sent nothing else), or it tried once already and failed.
    expect(judgeFirstTry({ pages: 1, others: 0 }).signal?.score ?? 0).toBeGreaterThanOrEqual(50);
    expect(judgeFirstTry({ priorWrites: 1, priorFailed: 1 }).signal?.score ?? 0).toBeGreaterThanOrEqual(50);
    // The failed tries in the long window's previous bucket, weighed by a fraction of it: still none succeeded.
    expect(judgeFirstTry({ priorWrites: 2, priorFailed: 2, priorInLastBucket: true }).signal?.score ?? 0).toBeGreaterThanOrEqual(50);
    expect(judgeFirstTry({ priorWrites: 2, priorFailed: 1, priorInLastBucket: true }).signal).toBeUndefined();
    // The same surge of failures with most of the path's writes succeeding: a campaign's visitors signing in.
    expect(judgeFirstTry({ writes: 40, failed: 10 }).signal).toBeUndefined();
    // A person who read another page first (the landing, then the form), or whose address others use too.
    expect(judgeFirstTry({ pages: 1 }).signal).toBeUndefined();
    expect(judgeFirstTry({ others: 30 }).signal).toBeUndefined();
    // A session that signed in before (a write that succeeded) is not on its first try.
    expect(judgeFirstTry({ priorWrites: 1 }).signal).toBeUndefined();
  });
});

/**
 * A Chrome landing on /products/7 judged with its counters set directly: the route's newcomers learned at 10 a minute
 * and 45 in the last minute (a surge 78 % over normal), 20 of them with this client fingerprint, which brings 1 a
 * minute; 45 landings on the route ~30 s earlier, of which `returned` came back, on a site whose landings come back
 * at `returnRatio`, and where the route learned `learned` (landings, returns) if given. Its surge-cell signal.
 */
const judgeSurgeLanding = (returnRatio: number, returned: number, learned: [landings: number, returns: number] | null = null) =>
  judgeFreshLanding({ returnRatio, landingGate: 0 }, (counters, s) => {
    counters[s.routeFresh] = [1, 22, 22];
    counters[s.routeFreshBase] = [0, 600];
    counters[s.cellFresh] = [1, 10, 9];
    counters[s.cellFreshBase] = [0, 60];
    counters[s.routeLand] = [1, 22, 23, 0];
    counters[s.routeRet] = [0, returned, 0];
    if (learned) counters[s.routeReturnBase] = [0, learned[0] + learned[1] * ROUTE_RETURN_UNIT];
  }).signals.find((x) => x.name === 'surge-cell');

describe("a rare client class's surge, read on the route a request lands on", () => {
  // A class that brings 2.5 % of the site's 20 newcomers a minute (0.5 a minute) brings 40 in the last minute, none
  // of them coming back (site-wide deficit 100 %); the request is one of that class landing on /products/7, whose
  // newcomers are learned at 10 a minute, `routeRecent` in the last ~minute (this request's own included).
  const judgeClassLanding = (routeRecent: number) =>
    judgeFreshLanding({ freshPerMinute: 20, landingGate: 1 }, (counters, s) => {
      counters[s.classFresh] = [1, 20, 20];
      counters[s.classFreshBase] = [0, 30];
      counters[s.routeFresh] = [1, routeRecent / 2, routeRecent / 2];
      counters[s.routeFreshBase] = [0, 600];
    }).signals.find((x) => x.name === 'surge-class');

  it('challenges it where its route has more newcomers than usual: the crowd is there', () => {
    const here = judgeClassLanding(44);
    expect(here?.score ?? 0).toBeGreaterThanOrEqual(DEFAULT_BOT_KNOBS.surge.thinCellMax + 5);
    expect(here!.detail).not.toMatch(/at most/);
  });

  it('holds it below the challenge where its route has its usual newcomers: a person of that class landing away from the crowd', () => {
    const elsewhere = judgeClassLanding(10);
    expect(elsewhere?.score ?? 0).toBeGreaterThan(0);
    expect(elsewhere!.score).toBeLessThanOrEqual(DEFAULT_BOT_KNOBS.surge.thinCellMax);
    expect(elsewhere!.detail).toMatch(/new-session requests\/min on GET \/products\/\{id\}, within its usual 10: at most 40 points/);
  });
});

describe("the route's return deficit against its surge", () => {
  // Where 45 % of landings usually come back, people's 10 landings bring back about 4.5.
  const judgeLanding = (returned: number) => judgeSurgeLanding(0.45, returned);

  it('a crowd that never comes back counts in full: a deficit of 80 % in a surge 78 % over normal is all of it', () => {
    // Read alone, a deficit of 80 % let 80 % of the points through (34 points).
    const cell = judgeLanding(4);
    expect(cell?.score ?? 0).toBeGreaterThanOrEqual(45);
    expect(cell!.detail).toMatch(/return deficit 80% \(100% of the surge\): 4 of 45 recent landings on this route came back, usual 45%/);
  });

  it("a campaign's visitors who come back at half the usual rate are not taken for a crowd", () => {
    // 35 visitors over the people's 10, coming back at 22 % (half the usual): 4.5 + 7.9.
    expect(judgeLanding(12)?.score ?? 0).toBe(0);
  });
});

describe("the return deficit on a route whose people come back more often than the site's", () => {
  // The surge of the block above (45 newcomers a minute on /products/{id}, 10 usual; 20 in this cell) on a site whose
  // landings come back 20 % of the time, where people landing on this route came back 320 times in 400 (80 %) over
  // the last hours. People's 10 landings bring back about 8: a crowd that never comes back leaves 8 of 45.
  const judgeLanding = (returned: number, learned: [landings: number, returns: number] | null) => judgeSurgeLanding(0.2, returned, learned);

  it("a crowd that never comes back is read against the route's own ratio, not hidden by its people's returns", () => {
    // Against the site's 20 %, 8 of 45 coming back (18 %) is no deficit at all.
    expect(judgeLanding(8, null)?.score ?? 0).toBe(0);
    const cell = judgeLanding(8, [400, 320]);
    expect(cell?.score ?? 0).toBeGreaterThanOrEqual(45);
    // 80 % learned over 400 landings, shrunk towards the site's 20 % by the prior's weight of 50 landings: 73 %.
    expect(cell!.detail).toMatch(/8 of 45 recent landings on this route came back, usual 73% here/);
  });

  it("a campaign's visitors who come back at half the route's rate are not taken for a crowd", () => {
    // 35 visitors over the people's 10, coming back at 40 %: 8 + 14.
    expect(judgeLanding(22, [400, 320])?.score ?? 0).toBe(0);
  });

  it('a route whose landings seldom came back is held to the site\'s ratio: a crowd landing calmly without coming back cannot lower it', () => {
    // 2 of 45 came back (4 %): against the site's 20 %, a deficit of 78 %, whatever the route learned.
    const site = judgeLanding(2, null);
    const lowered = judgeLanding(2, [4000, 40]);
    expect(site?.score ?? 0).toBeGreaterThanOrEqual(45);
    expect(lowered?.score).toBe(site?.score);
    expect(lowered!.detail).toMatch(/usual 20%$/);
  });
});

describe('a crowd that comes back only to fetch pages (the engagement gate)', () => {
  // The surge of the block above (45 newcomers a minute on the route, 20 of them in this cell), where the crowd comes
  // back as often as a campaign's visitors do (12 of 45), so the return deficit alone vetoes it.
  const surge = (counters: number[][], s: Slots) => {
    counters[s.routeFresh] = [1, 22, 22];
    counters[s.routeFreshBase] = [0, 600];
    counters[s.cellFresh] = [1, 10, 9];
    counters[s.cellFreshBase] = [0, 60];
  };
  const landing = (engagementGate: number) =>
    judgeFreshLanding({ returnRatio: 0.45, landingGate: 0, engagementGate }, (counters, s) => {
      surge(counters, s);
      counters[s.routeLand] = [1, 22, 23, 0];
      counters[s.routeRet] = [0, 12, 0];
    }).signals.find((x) => x.name === 'surge-cell');
  // The same address back with the cookie it was given on landing here: its first request in the session.
  const comeBack = (engagementGate: number, headers: Record<string, string> = CHROME, sessionRequests = 1) =>
    judgeWithCounters(request({ path: '/products/9', ip: '203.0.113.90', cookie: 'given-on-landing', headers }), { returnRatio: 0.45, landingGate: 0, engagementGate }, (counters, s) => {
      counters[s.ipLong] = [1 + sessionRequests, 0];
      counters[s.newLong] = [1, 0];
      counters[s.sessLong] = [sessionRequests, 0];
      counters[s.landing] = [LANDING_UNIT + 5, 0];
      surge(counters, s);
    });

  it("lets the landings' surge through when the recent returns are page loads far more often than usual", () => {
    expect(landing(0)?.score ?? 0).toBe(0);
    const cell = landing(0.95);
    expect(cell?.score ?? 0).toBeGreaterThanOrEqual(45);
    expect(cell!.detail).toMatch(/engagement deficit 95%/);
  });

  it("judges a page-load return of a session landed in the surge with it; an API call of the same session, or returns as engaged as usual, are left alone", () => {
    const back = comeBack(0.95);
    expect(back.observations?.state).toBe('return');
    const cell = back.signals.find((x) => x.name === 'surge-cell');
    expect(cell?.score ?? 0).toBeGreaterThanOrEqual(45);
    expect(cell!.detail).toMatch(/a page load of a session that just came back; engagement deficit 95%/);
    expect(comeBack(0.95, { ...CHROME, accept: 'application/json', 'sec-fetch-dest': 'empty' }).signals.filter((x) => x.family === 'aggregate')).toEqual([]);
    expect(comeBack(0).signals.filter((x) => x.family === 'aggregate')).toEqual([]);
    expect(comeBack(0.5).signals.filter((x) => x.family === 'aggregate')).toEqual([]);
  });
});

const API_CALL = { ...CHROME, accept: 'application/json', 'sec-fetch-dest': 'empty' };
const API_CROWD_NOW = Date.parse('2026-03-02T10:00:00Z');
const API_CROWD_POLICY = policy({ hosts: ['api.test'], bot: { mode: 'Enforce' } });
// A crowd on GET /api/products/{id}: 160 newcomers in the last minute where 10 are usual, coming back as often as
// people do (the return deficit vetoes it), their returns API calls as usual (so does the engagement gate).
// `cellRecent` of the newcomers were in this request's fingerprint cell (below minCellRecent: thin), which brings
// `cellLearned` of the route's 600 learned.
function judgeApiCrowd(shape: { path?: string; cookie?: string; headers?: Record<string, string> }, opts: { sessionRequests?: number; landedOnThisRoute?: boolean; cellRecent?: number; cellLearned?: number; returned?: number; landedBefore?: number; landedBeforePages?: number; landedTwiceWithoutPages?: boolean; pagelessLandingShare?: number; routeSessions?: number; routePages?: number; routeAnswers?: number; routeAnswerPages?: number; keptRequests?: number; /** the `landedBefore` landings in the previous long bucket, judged 20 s into this one */ landedBeforeEarlier?: boolean } = {}) {
  const req = request({ ip: '203.0.113.90', path: shape.path ?? '/api/products/7', cookie: shape.cookie, headers: shape.headers ?? API_CALL });
  const known = new RecentKeys({ ttlMs: 60_000, maxEntries: 10 });
  // 20 s into the long window's bucket: the previous bucket's landings count for 97 % of their number.
  const now = API_CROWD_NOW + (opts.landedBeforeEarlier ? 20_000 : 0);
  const plan = planBotCounters(API_CROWD_POLICY, req, null, now, DEFAULT_BOT_KNOBS, { ...priorBaselines(), warm: true, observedMs: 6 * 3_600_000, returnRatio: 0.45, landingGate: 0, engagementGate: 0, ...(opts.pagelessLandingShare === undefined ? {} : { pagelessLandingShare: opts.pagelessLandingShare }) }, known);
  const landed = planBotCounters(API_CROWD_POLICY, request({ ip: '203.0.113.90', path: '/api/products/1', headers: API_CALL }), null, now).ctx!.subject.routeCode;
  const counters = plan.counters.map((c) => c.keys.map(() => 0));
  const s = plan.ctx!.s;
  const cell = opts.cellRecent ?? 40;
  counters[s.routeFresh] = [1, 80, 80];
  counters[s.routeFreshBase] = [0, 600];
  counters[s.cellFresh] = [1, Math.max(0, cell - 1), 0];
  counters[s.cellFreshBase] = [0, opts.cellLearned ?? 60];
  counters[s.routeLand] = [1, 80, 80, 0];
  counters[s.routeRet] = [0, opts.returned ?? 36, 0];
  if (s.routeSess >= 0) {
    counters[s.routeSess] = [0, opts.routeSessions ?? 0];
    counters[s.routePage] = [0, opts.routePages ?? 0];
    counters[s.routeAnswers] = [0, opts.routeAnswers ?? 0];
    counters[s.routeAnswerPages] = [0, opts.routeAnswerPages ?? 0];
  }
  if (shape.cookie) {
    counters[s.ipLong] = [1 + (opts.sessionRequests ?? 1), 0];
    counters[s.newLong] = [1, 0];
    counters[s.sessLong] = [opts.sessionRequests ?? 1, 0];
    counters[s.landing] = [LANDING_UNIT + (opts.landedOnThisRoute === false ? (landed + 1) % LANDING_UNIT : landed), 0];
    // Two landings from the address on other routes, with (false) or without (true) a page load among them.
    if (opts.landedTwiceWithoutPages !== undefined) counters[s.landing] = [2 * LANDING_UNIT + 2 * ((landed + 1) % LANDING_UNIT) + (opts.landedTwiceWithoutPages ? 0 : PAGE_LANDING_UNIT), 0];
  } else {
    // This landing, counted in the batch, after `landedBefore` others from the address (page loads, unless
    // `landedBeforePages` says how many of them were).
    const before = opts.landedBefore ?? 0;
    counters[s.ipLong] = opts.landedBeforeEarlier ? [1 + (opts.keptRequests ?? 0), before] : [1 + before + (opts.keptRequests ?? 0), 0];
    counters[s.newLong] = opts.landedBeforeEarlier ? [1, before] : [1 + before, 0];
    counters[s.landing] = [(1 + before) * LANDING_UNIT + landed + (opts.landedBeforePages ?? before) * PAGE_LANDING_UNIT, 0];
    // The address's requests in kept sessions that passed clean (the feed counts them there too).
    if (opts.keptRequests) counters[s.keptLong] = [opts.keptRequests, 0];
  }
  const judged = judgeBehaviour(plan, counters);
  const aggregate = judged.signals.filter((x) => x.family === 'aggregate');
  return { state: judged.observations?.state, pageless: judged.observations?.pagelessLanding, learnFresh: judged.observations?.learnShares.fresh, score: Math.max(0, ...aggregate.map((x) => x.score)), aggregate, signals: judged.signals, known: known.has(`${API_CROWD_POLICY.id}\u0000${plan.ctx!.subject.session}`, now) };
}

describe('a crowd calling an API route, keeping the cookie it was given (sessions that began without a page load)', () => {
  const challenge = API_CROWD_POLICY.bot.challengeScore;

  it('flags the landing: a browser visit begins with a page load, so neither deficit vetoes one that did not', () => {
    const call = judgeApiCrowd({});
    expect(call.state).toBe('landing');
    expect(call.score).toBeGreaterThanOrEqual(challenge);
    expect(call.aggregate.find((x) => x.name === 'surge-cell')!.detail).toMatch(/a new session that did not begin with a page load/);
    // A page load landing in the same surge is a person's as likely as the crowd's returns say: vetoed.
    expect(judgeApiCrowd({ path: '/api/products/7', headers: CHROME }).score).toBe(0);
  });

  it("leaves the page's own calls of a person who blocks cookies to the deficits: the address landed with a page load just before", () => {
    expect(judgeApiCrowd({}, { landedBefore: 1 }).score).toBe(0);
    expect(judgeApiCrowd({}, { landedBefore: 3, landedBeforePages: 1 }).score).toBe(0);
  });

  it('flags a crowd that lands twice or more before it keeps the cookie: none of its landings was a page load', () => {
    const again = judgeApiCrowd({}, { landedBefore: 1, landedBeforePages: 0 });
    expect(again.pageless).toBe(true);
    expect(again.score).toBeGreaterThanOrEqual(challenge);
    // Its calls with the cookie then, whatever route the landings' codes add up to.
    const back = judgeApiCrowd({ cookie: 'given-after-two-landings' }, { landedTwiceWithoutPages: true });
    expect(back.score).toBeGreaterThanOrEqual(challenge);
    expect(judgeApiCrowd({ cookie: 'given-after-two-landings' }, { landedTwiceWithoutPages: false }).score).toBe(0);
  });

  it("is not held below the challenge in a thin cell: people do not land on an API route, so the route's surge is the crowd's", () => {
    // A cell the crowd hardly reaches, and rarely seen (so the crowd does not avoid it).
    const thin = judgeApiCrowd({}, { cellRecent: 1, cellLearned: 1 });
    const route = thin.aggregate.find((x) => x.name === 'surge-route')!;
    expect(route.score).toBeGreaterThan(DEFAULT_BOT_KNOBS.surge.thinCellMax);
    expect(route.detail).not.toMatch(/at most/);
    // A page load landing there, where none of the landings came back (the deficit lets it through), stays at the cap.
    const page = judgeApiCrowd({ headers: CHROME }, { cellRecent: 1, cellLearned: 1, returned: 0 }).aggregate.find((x) => x.name === 'surge-route')!;
    expect(page.score).toBe(DEFAULT_BOT_KNOBS.surge.thinCellMax);
    expect(page.detail).toMatch(/at most/);
  });

  it("adds an address's landing again, without having kept a cookie, to the route's surge: together past the challenge in a thin cell", () => {
    const thinCell = { cellRecent: 1, cellLearned: 1, returned: 0 };
    const total = (r: { signals: Array<{ score: number }> }) => r.signals.reduce((sum, x) => sum + x.score, 0);
    const first = judgeApiCrowd({ headers: CHROME }, thinCell);
    expect(first.aggregate.find((x) => x.name === 'surge-route')!.score).toBe(DEFAULT_BOT_KNOBS.surge.thinCellMax);
    expect(first.signals.find((x) => x.name === 'fresh-relanding')).toBeUndefined();
    expect(total(first)).toBeLessThan(challenge);
    // Its second landing: the address's first one never came back with the cookie.
    const again = judgeApiCrowd({ headers: CHROME }, { ...thinCell, landedBefore: 1, landedBeforePages: 1 });
    const relanding = again.signals.find((x) => x.name === 'fresh-relanding')!;
    expect(relanding.score).toBe(DEFAULT_BOT_KNOBS.fresh.relanding.base);
    expect(relanding.detail).toMatch(/this address landed 2 times in 10m and never came back with the cookie, in a surge/);
    expect(total(again)).toBeGreaterThanOrEqual(challenge);
    const third = judgeApiCrowd({ headers: CHROME }, { ...thinCell, landedBefore: 2, landedBeforePages: 2 });
    expect(third.signals.find((x) => x.name === 'fresh-relanding')!.score).toBe(DEFAULT_BOT_KNOBS.fresh.relanding.base + DEFAULT_BOT_KNOBS.fresh.relanding.perLanding);
    // Landings of the previous bucket count in part (the long window slides): still whole points.
    const sliding = judgeApiCrowd({ headers: CHROME }, { ...thinCell, landedBefore: 3, landedBeforePages: 3, landedBeforeEarlier: true }).signals.find((x) => x.name === 'fresh-relanding')!;
    expect(Number(sliding.value)).not.toBe(Math.round(Number(sliding.value)));
    expect(Number.isInteger(sliding.score)).toBe(true);
    // An address where cookies are kept (an office, a carrier's NAT): its people land again and again.
    const shared = judgeApiCrowd({ headers: CHROME }, { ...thinCell, landedBefore: 1, landedBeforePages: 1, keptRequests: 6 });
    expect(shared.signals.find((x) => x.name === 'fresh-relanding')).toBeUndefined();
    // Nor without a surge that does not come back: landings that come back as usual veto the route, and this with it.
    const campaign = judgeApiCrowd({ headers: CHROME }, { cellRecent: 1, cellLearned: 1, landedBefore: 1, landedBeforePages: 1 });
    expect(campaign.signals.find((x) => x.name === 'fresh-relanding')).toBeUndefined();
  });

  it("a page's subresource fetched without the cookie after a page load from the address is judged with the page, not as a crowd on its route", () => {
    // A person who blocks cookies: every image of the page is a landing that never comes back.
    const IMAGE = { ...CHROME, accept: 'image/avif,image/webp,*/*', 'sec-fetch-dest': 'image', 'sec-fetch-mode': 'no-cors' };
    // (The route's landings never came back: a crowd's surge there, which a blocker's images make during a campaign.)
    expect(judgeApiCrowd({ path: '/img/products/7.webp', headers: IMAGE }, { landedBefore: 1, landedBeforePages: 1, returned: 0 }).aggregate).toEqual([]);
    // Not one without a page load before it (a crowd's first request dressed as an image), nor the page's API call.
    expect(judgeApiCrowd({ path: '/img/products/7.webp', headers: IMAGE }, { returned: 0 }).score).toBeGreaterThanOrEqual(challenge);
    expect(judgeApiCrowd({ headers: API_CALL }, { landedBefore: 1, landedBeforePages: 1, returned: 0 }).aggregate.length).toBeGreaterThan(0);
    // Nor the crowd's calls to the API route dressed as images after its page load: no file of that kind.
    expect(judgeApiCrowd({ headers: IMAGE }, { landedBefore: 1, landedBeforePages: 1, returned: 0 }).aggregate.length).toBeGreaterThan(0);
  });

  it('judges its calls with the cookie on the route it landed on, for the first pagelessRequests of them, and remembers it only after', () => {
    const limit = DEFAULT_BOT_KNOBS.sessions.pagelessRequests;
    for (const n of [1, 2, limit]) {
      const back = judgeApiCrowd({ cookie: 'given-on-landing' }, { sessionRequests: n });
      expect(back.state).toBe(n === 1 ? 'return' : 'established');
      expect(back.score).toBeGreaterThanOrEqual(challenge);
      expect(back.aggregate[0]!.detail).toMatch(/a session that landed on this route, just come back to call it without a page load/);
      expect(back.known).toBe(false);
    }
    const later = judgeApiCrowd({ cookie: 'given-on-landing' }, { sessionRequests: limit + 1 });
    expect(later.score).toBe(0);
    expect(later.known).toBe(true);
  });

  it("leaves alone a session's calls on another route than it landed on (a page's API calls), and its page loads", () => {
    expect(judgeApiCrowd({ cookie: 'given-on-landing' }, { landedOnThisRoute: false }).score).toBe(0);
    expect(judgeApiCrowd({ cookie: 'given-on-landing', headers: CHROME }).score).toBe(0);
  });
});

describe('a crowd that dresses its first API call as a page load', () => {
  const challenge = API_CROWD_POLICY.bot.challengeScore;
  const { pageRouteMinShare, pageRouteMinRequests } = DEFAULT_BOT_KNOBS.sessions;

  it("is judged as a landing without a page load on a route where people's sessions hardly ever load pages", () => {
    const dressed = judgeApiCrowd({ headers: CHROME }, { routeSessions: 400, routePages: Math.ceil(400 * pageRouteMinShare) - 1 });
    expect(dressed.pageless).toBe(true);
    expect(dressed.score).toBeGreaterThanOrEqual(challenge);
    expect(dressed.aggregate.find((x) => x.score > 0)!.detail).toMatch(/a navigation to a route where people's sessions loaded pages 7 times in 400 requests/);
  });

  it("leaves a navigation alone where people load pages, or where too few of their requests were learned to tell", () => {
    const page = judgeApiCrowd({ headers: CHROME }, { routeSessions: 400, routePages: Math.ceil(400 * pageRouteMinShare) });
    expect(page.pageless).toBe(false);
    expect(page.score).toBe(0);
    const unknown = judgeApiCrowd({ headers: CHROME }, { routeSessions: pageRouteMinRequests - 1, routePages: 0 });
    expect(unknown.pageless).toBe(false);
    expect(unknown.score).toBe(0);
  });

  it("lets a surge of navigations to a route people's sessions never use raise the route's newcomer rate only as a token's crowd may", () => {
    // About 80 newcomers in the last minute against 5 a minute learned: beyond learningCap times that, a crowd's share.
    const quiet = judgeApiCrowd({ headers: CHROME }, { routeSessions: 0 });
    expect(quiet.pageless).toBe(false);
    expect(quiet.learnFresh).toBeGreaterThan(0);
    expect(quiet.learnFresh).toBeLessThan(DEFAULT_BOT_KNOBS.surge.crowdLearning);
    // Where people's sessions load pages, people land there by navigating: the route learns as before.
    expect(judgeApiCrowd({ headers: CHROME }, { routeSessions: 400, routePages: 200 }).learnFresh).toBe(1);
  });

  it("learns where people load pages from the sessions that came back, never from landings", async () => {
    const d = detectors();
    await peopleComeBack(d, async (ip, cookie, i) => {
      await d.check(request({ ip, path: '/products/2', cookie }));
      await d.check(request({ ip, path: '/api/products/3', cookie, headers: API_CALL }));
      // A crowd's navigations to the API route, landings all: not learned as people's page loads there.
      await d.check(request({ ip: `198.18.0.${i + 1}`, path: '/api/products/4' }));
    });
    expect((await d.observe(request({ ip: '198.51.100.7', path: '/api/products/9' }))).pagelessLanding).toBe(true);
    expect((await d.observe(request({ ip: '198.51.100.8', path: '/products/9' }))).pagelessLanding).toBe(false);
    // A route nothing was learned of: a navigation there is a page load.
    expect((await d.observe(request({ ip: '198.51.100.9', path: '/help/shipping' }))).pagelessLanding).toBe(false);
    // A dressed navigation spares none of its address's later landings without a page load (the landing memory
    // counted it as a page load; the feed takes that back), as a page load would.
    await d.check(request({ ip: '198.51.100.10', path: '/api/products/4' }));
    await d.advance(2000);
    expect((await d.observe(request({ ip: '198.51.100.10', path: '/api/products/5', headers: API_CALL }))).pagelessLanding).toBe(true);
    await d.check(request({ ip: '198.51.100.11', path: '/products/4' }));
    await d.advance(2000);
    expect((await d.observe(request({ ip: '198.51.100.11', path: '/api/products/5', headers: API_CALL }))).pagelessLanding).toBe(false);
  });
});

describe("a crowd that teaches an API route that people load pages there (its returns dressed as navigations)", () => {
  const challenge = API_CROWD_POLICY.bot.challengeScore;
  const { pageRouteMinShare, pageRouteMinRequests } = DEFAULT_BOT_KNOBS.sessions;

  it("cannot make a dressed landing a page load where the upstream's answers were data", () => {
    // Half of the route's learned session requests claimed page loads; its upstream served 7 documents in 400 answers.
    const dressed = judgeApiCrowd({ headers: CHROME }, { routeSessions: 400, routePages: 200, routeAnswers: 400, routeAnswerPages: Math.ceil(400 * pageRouteMinShare) - 1 });
    expect(dressed.pageless).toBe(true);
    expect(dressed.score).toBeGreaterThanOrEqual(challenge);
    expect(dressed.aggregate.find((x) => x.score > 0)!.detail).toMatch(/a navigation to a route whose upstream answered navigations with a page 7 times in 400/);
  });

  it("leaves a navigation alone where the upstream answers navigations with documents, and reads the sessions where too few answers were learned", () => {
    expect(judgeApiCrowd({ headers: CHROME }, { routeSessions: 400, routePages: 200, routeAnswers: 400, routeAnswerPages: 380 }).pageless).toBe(false);
    // The answers' word over the sessions': a page whose own calls for data fill the route (a page that polls itself).
    expect(judgeApiCrowd({ headers: CHROME }, { routeSessions: 4000, routePages: 40, routeAnswers: 40, routeAnswerPages: 40 }).pageless).toBe(false);
    // Too few answers learned: the sessions' word stands, either way.
    expect(judgeApiCrowd({ headers: CHROME }, { routeSessions: 400, routePages: 200, routeAnswers: pageRouteMinRequests - 1, routeAnswerPages: 0 }).pageless).toBe(false);
    expect(judgeApiCrowd({ headers: CHROME }, { routeSessions: 400, routePages: 0, routeAnswers: pageRouteMinRequests - 1, routeAnswerPages: pageRouteMinRequests - 1 }).pageless).toBe(true);
  });

  it("learns what the upstream serves on a route from the access log's content types: successful answers to clients not flagged", async () => {
    // Sessions land on a page, then call the API route with a navigation's headers: people's page loads there as far
    // as their requests tell; the access log tells what the route answered.
    const taught = async (answer: { code: number; type: string | null }) => {
      const d = detectors();
      await peopleComeBack(d, async (ip, cookie, i) => {
        await d.check(request({ ip, path: '/api/products/3', cookie, headers: { ...CHROME, 'x-request-id': `dressed-${i}` } }));
        d.log(`dressed-${i}`, answer.code, answer.type);
      });
      return (await d.observe(request({ ip: '198.51.100.7', path: '/api/products/9' }))).pagelessLanding;
    };
    expect(await taught({ code: 200, type: 'application/json; charset=utf-8' })).toBe(true);
    expect(await taught({ code: 200, type: 'application/vnd.shop.v2+json' })).toBe(true);
    // What the entries do not tell: the sessions' word stands (they loaded pages there).
    expect(await taught({ code: 200, type: null })).toBe(false);
    expect(await taught({ code: 404, type: 'application/json' })).toBe(false);
    expect(await taught({ code: 200, type: 'text/html' })).toBe(false);
  });

  it("learns from the answers to navigations only: a page's own calls for data on its route do not make it less of a page", async () => {
    // People land on /live/1, come back to it by navigating (answered HTML) and their page polls it for data (JSON):
    // far under 2% of the sessions' requests there are page loads, but every navigation was answered with a page.
    const d = detectors();
    await peopleComeBack(d, async (ip, cookie, i) => {
      await d.check(request({ ip, path: '/live/1', cookie, headers: { ...CHROME, 'x-request-id': `nav-${i}` } }));
      d.log(`nav-${i}`, 200, 'text/html; charset=utf-8');
      for (let k = 0; k < 60; k++) {
        await d.check(request({ ip, path: '/live/1', cookie, headers: { ...API_CALL, 'x-request-id': `poll-${i}-${k}` } }));
        d.log(`poll-${i}-${k}`, 200, 'application/json');
      }
    });
    expect((await d.observe(request({ ip: '198.51.100.7', path: '/live/2' }))).pagelessLanding).toBe(false);
  });

  it("learns nothing from answers that are neither a page nor data: a route answering plain text is judged by its sessions", async () => {
    // /api/report/{id} answers plain text: its sessions call it (60 calls for each navigation there), and the
    // navigations' answers must not make a page of it.
    const d = detectors();
    await peopleComeBack(d, async (ip, cookie, i) => {
      await d.check(request({ ip, path: '/api/report/1', cookie, headers: { ...CHROME, 'x-request-id': `text-${i}` } }));
      d.log(`text-${i}`, 200, 'text/plain; charset=utf-8');
      for (let k = 0; k < 60; k++) await d.check(request({ ip, path: '/api/report/1', cookie, headers: API_CALL }));
    });
    expect((await d.observe(request({ ip: '198.51.100.7', path: '/api/report/2' }))).pagelessLanding).toBe(true);
  });
});

describe('how engaged returns usually are', () => {
  it("is learned from people's returns: their pages' API calls raise it, returns that only fetch pages lower it", async () => {
    const learnedShare = async (returnHeaders: Record<string, string>) => {
      const d = detectors();
      for (let i = 0; i < 60; i++) {
        const ip = `203.0.113.${i + 1}`;
        await d.check(request({ ip, path: '/products/1' }));
        await d.advance(2000);
        await d.check(request({ ip, path: '/products/2', cookie: `issued-${i}`, headers: returnHeaders }));
        await d.advance(20_000);
      }
      return d.baselines().engagedReturnShare;
    };
    const prior = DEFAULT_BOT_KNOBS.learning.priorEngagedReturnShare;
    expect(await learnedShare({ ...CHROME, accept: 'application/json', 'sec-fetch-dest': 'empty' })).toBeGreaterThan(prior + 0.2);
    expect(await learnedShare(CHROME)).toBeLessThan(prior - 0.1);
  });
});

describe('how often a visit begins without a page load', () => {
  const PLAIN = { 'user-agent': CHROME['user-agent'], accept: '*/*', 'accept-language': 'en-GB,en;q=0.9' };
  const learnedShare = async (landingHeaders: Record<string, string>) => {
    const d = detectors();
    for (let i = 0; i < 120; i++) {
      await d.check(request({ ip: `203.0.113.${i + 1}`, path: '/products/1', headers: landingHeaders }));
      await d.advance(5000);
    }
    return d.baselines().pagelessLandingShare;
  };

  it("is learned from the people's landings: near the prior where pages say they are pages, high where nothing tells a page load", async () => {
    const max = DEFAULT_BOT_KNOBS.sessions.pagelessMaxShare;
    expect(await learnedShare(CHROME)).toBeLessThan(DEFAULT_BOT_KNOBS.learning.priorPagelessLandingShare + 0.001);
    expect(await learnedShare(PLAIN)).toBeGreaterThan(max);
  });

  it('turns the rule off above pagelessMaxShare: a landing without a page load is then vetoed like any other', () => {
    const max = DEFAULT_BOT_KNOBS.sessions.pagelessMaxShare;
    expect(judgeApiCrowd({}, { pagelessLandingShare: max }).score).toBeGreaterThanOrEqual(API_CROWD_POLICY.bot.challengeScore);
    const off = judgeApiCrowd({}, { pagelessLandingShare: max + 0.01 });
    expect(off.score).toBe(0);
    // Still observed as one, so that the share goes on being learned.
    expect(off.pageless).toBe(true);
  });
});

describe('policy knobs', () => {
  it('every signal the detectors can emit is a name bot.ignoreSignals accepts', () => {
    const names = new Set<string>(BOT_SIGNAL_NAMES);
    const source = ['behaviour.ts', 'tells.ts'].map((f) => readFileSync(new URL(`./${f}`, import.meta.url), 'utf8')).join('\n');
    const emitted = [...source.matchAll(/(?:add\('[a-z]+', |tell\(|name: |freshShare\(|errors\()'([a-z][a-z-]+)'/g)].map((m) => m[1]!);
    expect(emitted.length).toBeGreaterThan(15);
    for (const n of emitted) expect(names).toContain(n);
    for (const c of VOLUME_CLASSES) if (!c.startsWith('ip.')) expect(names).toContain(`volume-${c.replace('.', '-')}`);
  });

  it('ignoreSignals leaves a signal or a whole family out; sessionCookie names the session cookie', async () => {
    const automation = { 'user-agent': 'python-requests/2.32.3', accept: '*/*' };
    const d = detectors({ hosts: ['api.test'], bot: { mode: 'Enforce', ignoreSignals: ['tells', 'volume-src-tick'] } });
    let last: JudgedAssessment | null = null;
    for (let i = 0; i < 60; i++) {
      last = await d.check(request({ ip: '192.0.2.70', headers: automation }));
      await d.advance(50);
    }
    expect(fired(last!)).not.toContain('ua-automation');
    expect(fired(last!)).not.toContain('volume-src-tick');
    expect(fired(last!).some((n) => n.startsWith('volume-'))).toBe(true);

    const c = detectors({ hosts: ['api.test'], bot: { mode: 'Enforce', sessionCookie: 'sid' } });
    await c.check(request({ ip: '203.0.113.40' }));
    const withSid = request({ ip: '203.0.113.40', headers: { ...CHROME, cookie: 'sid=abc' } });
    expect((await c.check(withSid)).observations?.state).toBe('return');
  });
});

describe('sessions known established on this replica', () => {
  it('read fewer counters and are judged as before', async () => {
    const p = policy({ hosts: ['api.test'], bot: { mode: 'Enforce' } });
    const store = new MemoryCounterStore({ sweepIntervalMs: 0 });
    const known = new RecentKeys({ ttlMs: 60_000, maxEntries: 10 });
    const now = Date.parse('2026-03-02T09:00:00Z');
    const keysPerCheck: number[] = [];
    const states: string[] = [];
    for (let i = 0; i < 4; i++) {
      const plan = planBotCounters(p, request({ cookie: 'k1' }), null, now + i * 1000, DEFAULT_BOT_KNOBS, undefined, known);
      keysPerCheck.push(plan.counters.flatMap((c) => c.keys).length);
      states.push(judgeBehaviour(plan, (await store.evaluate({ rateLimits: [], counters: plan.counters, distinct: [] })).counters).observations!.state);
    }
    expect(states).toEqual(['orphan', 'established', 'established', 'established']);
    expect(keysPerCheck[2]).toBeLessThan(keysPerCheck[1]! * 0.7);
    expect(known.has(`ns/p\u0000s\u0000k1`, now + 5000)).toBe(true);
    expect(known.has(`ns/p\u0000s\u0000k1`, now + 70_000)).toBe(false);
  });

  it('the memory is bounded: the oldest entry goes first', () => {
    const known = new RecentKeys({ ttlMs: 60_000, maxEntries: 2 });
    known.remember('a', 0);
    known.remember('b', 0);
    known.remember('a', 1);
    known.remember('c', 2);
    expect([known.has('a', 3), known.has('b', 3), known.has('c', 3), known.size]).toEqual([true, false, true, 2]);
  });
});

describe('a stopped request as the client\'s error', () => {
  // Stopped requests never reach the upstream: the feed counts a stopped try (a write, a failure surge's request) as a
  // client error of its session, and a failure surge's as its address's too; never a stopped read, whatever stopped
  // it, a token's included: a stop is no evidence for the next.
  // The observations stay as assessBot attached them (not enumerable: never in a decision log line).
  const stopped = (bot: JudgedAssessment, signals: Array<{ name: string; family: string; score: number }>): JudgedAssessment =>
    Object.assign(bot, { verdict: 'challenge', score: signals.reduce((sum, x) => sum + x.score, 0), signals: signals.map((x) => ({ ...x, detail: 'test' })) });

  it("counts a stopped try of a failure surge's; not a read, a token's included, stopped for its crowd or for its own evidence", async () => {
    const d = detectors();
    const crowdOnly = [{ name: 'surge-route', family: 'aggregate', score: 60 }];
    const stop = async (req: ReturnType<typeof request>, signals: Array<{ name: string; family: string; score: number }>, consumer: string | null = null) => {
      const bot = await d.check(req, consumer);
      d.stop(req, stopped(bot, signals), consumer);
      return d.addressErrors(bot);
    };
    // A person who lands in a surge (and cannot keep the pass, blocking cookies) is not held by the stops themselves.
    const landing = request({ ip: '203.0.113.7', path: '/products/3' });
    await stop(landing, crowdOnly);
    expect(await stop(landing, crowdOnly)).toBe(0);
    // Nor one stopped by its own evidence (a page's burst of requests from an address that blocks cookies): its
    // volume is counted whatever the verdict; the stops would hold it once the burst is over.
    const burst = request({ ip: '203.0.113.8', path: '/products/3' });
    await stop(burst, [{ name: 'volume-src-tick', family: 'volume', score: 25 }, { name: 'fresh-sessions', family: 'fresh', score: 45 }]);
    expect(await stop(burst, [...crowdOnly, { name: 'volume-src-tick', family: 'volume', score: 55 }])).toBe(0);
    // A write stopped with a failure surge is a try (a login's): counted, so that a stuffer's stopped tries add up.
    const failures = [{ name: 'surge-failures', family: 'aggregate', score: 60 }];
    expect(await stop(request({ ip: '203.0.113.10', method: 'POST', path: '/login' }), failures)).toBe(1);
    // Its address counts no other stopped write, whatever stopped it (its session does): a person who blocks cookies,
    // stopped on the app's beacons, would make the people behind their address fail.
    expect(await stop(request({ ip: '203.0.113.12', method: 'POST', path: '/api/beacon' }), [{ name: 'volume-src-tick', family: 'volume', score: 55 }])).toBe(0);
    expect(await stop(request({ ip: '203.0.113.14', method: 'POST', path: '/api/beacon' }), crowdOnly)).toBe(0);
    // A token's read stopped with its crowd, or by its own volume: not counted. A partner's batch on a valid key,
    // challenged for its pace (it cannot solve a challenge), would otherwise read as a client failing every call, and
    // be held by its stops for as long as it keeps calling.
    const call = request({ ip: '203.0.113.11', path: '/api/products/3', headers: { 'user-agent': 'curl/8.5.0', accept: '*/*' } });
    await stop(call, [{ name: 'surge-token-cell', family: 'aggregate', score: 60 }], 'partner');
    expect(await stop(call, [{ name: 'volume-pair-tick', family: 'volume', score: 25 }], 'partner')).toBe(0);
    // A token's write in a failure surge is a try like any other.
    const order = request({ ip: '203.0.113.13', method: 'POST', path: '/api/orders', headers: { 'user-agent': 'curl/8.5.0', accept: '*/*' } });
    expect(await stop(order, [{ name: 'surge-token-cell', family: 'aggregate', score: 60 }, ...failures], 'partner')).toBe(1);
  });
});

describe("an app's few signed-in users while a crowd tries logins with the app's key", () => {
  const APP = { 'user-agent': 'ShopApp/5.13.2 (Pixel 8; Android 15) okhttp/4.12.0', accept: 'application/json', 'accept-encoding': 'gzip', 'x-device': 'd' };
  /**
   * Ten minutes of the app (a user every minute from an address of their own: bootstrap, feed, then dashboards and
   * their images, routes where newcomers are rare), then eight more while a crowd copying the app's key, user agent
   * and header set tries two logins from each of two new addresses a second, answered 401. The users send their own
   * session beside the shared key in `credential` (a header name), or nothing.
   */
  const run = async (credential: string | null, signIn = false) => {
    const d = detectors();
    let id = 0;
    const call = async (ip: string, method: string, path: string, headers: Record<string, string>, code: number) => {
      const requestId = `r-${id++}`;
      const b = await d.decide(request({ ip, method, path, headers: { ...headers, 'x-request-id': requestId } }), 'mobile-app');
      if (b.verdict === 'allow') d.log(requestId, code, 'application/json');
      return b;
    };
    const users: Array<{ path: string; bot: JudgedAssessment }> = [];
    const crowd: JudgedAssessment[] = [];
    let a = 0;
    for (let t = 0; t < 1080; t++) {
      const attack = t >= 600;
      const u = Math.floor(t / 60), age = t % 60;
      const headers = credential === null ? APP : { ...APP, [credential]: credential === 'authorization' ? `Bearer u-${u}` : credential === 'cookie' ? `sid=u-${u}` : `u-${u}` };
      const step = [0, 2, 9, 10, 11, 25, 26, 27, 40].indexOf(age);
      if (step >= 0 && (step < 8 || signIn)) {
        const path = ['/api/mobile/bootstrap', '/api/mobile/feed', `/api/mobile/dashboards/${u}`, `/api/mobile/widgets/${u * 20 + 1}/snapshot.png`, `/api/mobile/widgets/${u * 20 + 2}/snapshot.png`, `/api/mobile/dashboards/${u + 100}`, `/api/mobile/widgets/${u * 20 + 3}/snapshot.png`, `/api/mobile/widgets/${u * 20 + 4}/snapshot.png`, '/api/mobile/auth/login'][step]!;
        const bot = await call(`198.51.${u >> 8}.${u & 255}`, step === 8 ? 'POST' : 'GET', path, headers, 200);
        if (attack) users.push({ path, bot });
      }
      if (attack) {
        for (let k = 0; k < 2; k++, a++) for (let j = 0; j < 2; j++) crowd.push(await call(`100.64.${a >> 8}.${a & 255}`, 'POST', '/api/mobile/auth/login', APP, 401));
      }
      await d.advance(1000);
    }
    return { users, crowd: crowd.slice(crowd.length / 2) };
  };

  it("users without a credential of their own are the crowd's kind, yet not held on routes it does not touch, however seldom newcomers use them", async () => {
    // Before, a route too rare among the kind's newcomers to be one of their usual was held to the crowd wherever the
    // crowd was: these users were held on their dashboards.
    const { users, crowd } = await run(null);
    expect(crowd.filter(held).length / crowd.length).toBeGreaterThan(0.8);
    expect(users.length).toBeGreaterThan(50);
    expect(users.filter((x) => held(x.bot)).map((x) => `${x.path} ${fired(x.bot).join(',')}`)).toEqual([]);
  });

  it("users who browsed the app before they sign in are not judged for the sign-in path's failing tries; the crowd is", async () => {
    // Before, every write of an address new to the key was held to its path's failure surge: each of these users'
    // sign-ins was. (Being the crowd's kind of client on the crowd's route, they are still held for its surge.)
    const { users, crowd } = await run(null, true);
    expect(crowd.filter(held).length / crowd.length).toBeGreaterThan(0.8);
    const judgedForFailures = (b: JudgedAssessment) => b.signals.some((x) => x.name === 'surge-failures');
    const signIns = users.filter((x) => x.path.endsWith('/login'));
    expect(signIns.length).toBeGreaterThanOrEqual(8);
    expect(signIns.filter((x) => judgedForFailures(x.bot)).map((x) => `${x.path} ${fired(x.bot).join(',')}`)).toEqual([]);
  });

  it('users with a session of their own beside the key, in whatever header the app chose, are another kind: none held', async () => {
    for (const header of ['authorization', 'x-shop-session', 'x-auth-token', 'cookie']) {
      const { users, crowd } = await run(header);
      expect(crowd.filter(held).length / crowd.length, header).toBeGreaterThan(0.8);
      expect(users.length).toBeGreaterThan(50);
      expect(users.filter((x) => held(x.bot)).map((x) => `${header} ${x.path} ${fired(x.bot).join(',')}`)).toEqual([]);
    }
  });
});

describe("an app's read that fails for a share of its users, when a push brings many times as many at once", () => {
  const APP = { 'user-agent': 'Forkly/5.12.1 (iPhone; iOS 18.1; Scale/3.00)', accept: 'application/json', 'accept-language': 'en-GB', 'accept-encoding': 'gzip' };
  /**
   * Twenty minutes of an app's users on addresses of their own (60 of them, each opening the app every 30 s: its
   * config, a search, the feed; one search in ten answered 429), then three minutes of a push notification: eight
   * times as many openings, from 60 carrier addresses, one search in ten answered 429 too. Decided as the server does.
   */
  const run = async () => {
    const d = detectors();
    let id = 0, n = 0;
    const call = async (ip: string, path: string) => {
      const requestId = `r-${id++}`;
      const b = await d.decide(request({ ip, path, headers: { ...APP, 'x-request-id': requestId } }), 'mobile-app');
      const failed = path.startsWith('/api/search') && (Math.imul(n++, 2654435761) >>> 0) % 10 === 0;
      if (b.verdict === 'allow') d.log(requestId, failed ? 429 : 200, 'application/json');
      return b;
    };
    const pushed: JudgedAssessment[] = [];
    const open = async (ip: string, out?: JudgedAssessment[]) => {
      for (const path of ['/api/config', `/api/search?q=s${id}`, '/api/feed']) {
        const b = await call(ip, path);
        if (out) out.push(b);
      }
    };
    for (let t = 0; t < 1380; t += 5) {
      for (let u = 0; u < 60; u++) if ((t + u * 5) % 30 === 0) await open(`198.51.100.${u + 1}`);
      if (t >= 1200) for (let k = 0; k < 80; k++) await open(`2001:db8:${(t * 80 + k) % 60}::1`, pushed);
      await d.advance(5000);
    }
    return pushed;
  };

  it("judges the push's searches against the share of the users' searches that fail, not the count they failed before", async () => {
    // Before, the usual failing share of a path's reads was learned from cookie sessions' reads only, and an app's
    // users keep none: the push's failures, eight times the learned count, held the users behind the carriers' addresses.
    const pushed = await run();
    expect(pushed.length).toBeGreaterThan(8000);
    expect(pushed.filter(held).map((b) => fired(b).join(',')).slice(0, 5)).toEqual([]);
  });
});

describe("a lander's first call from its page", () => {
  // People arrive every 10 s, each from an address of its own: they land on the home page, whose first call is the
  // feed, go on to the checkout page, whose first call is the cart, and type an address there (three lookups). The
  // crowd (or the campaign) arrives every second after sixteen minutes, for four minutes, landing on the checkout page
  // by its address (a crowd that `reload`s loads it again with the cookie, and a file of it, before its call; one
  // `dressed` sends its calls as the page's scripts, to the route by a script's name, which its upstream answers with
  // data; one `navigating` sends them as navigations, which the API answers with data all the same; a `release` brings users back with the cookies they had, to a new version of the page); a crowd that
  // `creeps` sends one newcomer every 10 s for ten minutes first (too few a minute to be significant), once the policy
  // is warm, and arrives every second ten minutes later.
  const run = async (opts: { crowd: 'lookup' | 'campaign' | 'reload' | 'release' | 'dressed' | 'navigating' | 'quiet'; creeps?: boolean; crowdReferer?: false; referers?: false }) => {
    const from = (page: string) => (opts.referers === false ? XHR : { ...XHR, referer: `https://api.test${page}` });
    const crowdFrom = (page: string) => (opts.crowdReferer === false ? XHR : from(page));
    const known = new RecentKeys({ ttlMs: 5 * 60_000, maxEntries: 10_000 });
    const d = detectors(undefined, { known });
    const people: JudgedAssessment[] = [];
    const crowd: JudgedAssessment[] = [];
    const person = (u: number, step: number) => {
      const ip = `198.51.${100 + (u >> 8)}.${(u & 255) + 1}`;
      const cookie = step === 0 ? undefined : `person-${u}`;
      const [path, headers] = ([['/', { ...NAVIGATE, 'sec-fetch-site': 'none' }], ['/api/feed', from('/')], ['/checkout', { ...NAVIGATE, referer: 'https://api.test/' }], ['/api/cart', from('/checkout')], ['/api/addresses?q=hi', from('/checkout')], ['/api/addresses?q=high', from('/checkout')], ['/api/addresses?q=high+st', from('/checkout')], ['/terms', { ...NAVIGATE, referer: 'https://api.test/checkout' }]] as const)[step]!;
      return d.decide(request({ ip, path, cookie, headers }));
    };
    const newcomer = async (a: number, step: number) => {
      const ip = `100.64.${a >> 8}.${(a & 255) + 1}`;
      const cookie = step === 0 && opts.crowd !== 'release' ? undefined : `crowd-${a}`;
      const script = (q: string) => [`/api/addresses.js?q=${q}`, { ...CHROME, accept: '*/*', 'sec-fetch-mode': 'no-cors', 'sec-fetch-dest': 'script', 'sec-fetch-site': 'same-origin', referer: 'https://api.test/checkout', 'x-request-id': `c-${a}-${step}` }] as const;
      const navigation = (q: string) => [`/api/addresses?q=${q}`, { ...NAVIGATE, referer: 'https://api.test/checkout', 'x-request-id': `c-${a}-${step}` }] as const;
      const steps = opts.crowd === 'quiet' ? ([['/terms', { ...NAVIGATE, 'sec-fetch-site': 'none' }], ['/api/addresses?q=main', crowdFrom('/terms')], ['/api/addresses?q=mill', crowdFrom('/terms')], ['/api/addresses?q=park', crowdFrom('/terms')]] as const) : opts.crowd === 'navigating' ? ([['/checkout', { ...NAVIGATE, 'sec-fetch-site': 'none' }], navigation('park'), navigation('mill'), navigation('main')] as const) : opts.crowd === 'dressed' ? ([['/checkout', { ...NAVIGATE, 'sec-fetch-site': 'none' }], script('park'), script('mill'), script('main')] as const) : opts.crowd === 'release' ? ([['/checkout', { ...NAVIGATE, 'sec-fetch-site': 'none' }], ['/api/checkout/v2', crowdFrom('/checkout')], ['/api/addresses?q=ha', crowdFrom('/checkout')], ['/api/addresses?q=hay', crowdFrom('/checkout')]] as const) : opts.crowd === 'reload' ? ([['/checkout', { ...NAVIGATE, 'sec-fetch-site': 'none' }], ['/checkout', { ...NAVIGATE, 'sec-fetch-site': 'same-origin', referer: 'https://api.test/checkout' }], ['/static/checkout.js', { ...CHROME, accept: '*/*', 'sec-fetch-mode': 'no-cors', 'sec-fetch-dest': 'script', 'sec-fetch-site': 'same-origin', referer: 'https://api.test/checkout' }], ['/api/addresses?q=park', crowdFrom('/checkout')]] as const) : opts.crowd === 'lookup'
        ? ([['/checkout', { ...NAVIGATE, 'sec-fetch-site': 'none' }], ['/api/addresses?q=main', crowdFrom('/checkout')], ['/api/addresses?q=mill', crowdFrom('/checkout')], ['/api/addresses?q=park', crowdFrom('/checkout')]] as const)
        : ([['/checkout', { ...NAVIGATE, 'sec-fetch-site': 'none' }], ['/api/cart', crowdFrom('/checkout')], ['/api/addresses?q=ha', crowdFrom('/checkout')], ['/api/addresses?q=hay', crowdFrom('/checkout')]] as const);
      const [path, headers] = steps[step]!;
      const b = await d.decide(request({ ip, path, cookie, headers }));
      // What the upstream answered the calls let through with: data.
      if ((opts.crowd === 'dressed' || opts.crowd === 'navigating') && step > 0 && b.verdict === 'allow') d.log(`c-${a}-${step}`, 200, 'application/json');
      return b;
    };
    // Past warm-up (15 minutes) before a crowd that creeps begins.
    const before = opts.creeps ? 1560 : 960;
    const starts: number[] = [];
    if (opts.creeps) for (let t = before - 600; t < before; t += 10) starts.push(t);
    const crept = starts.length;
    for (let t = before; t < before + 240; t++) starts.push(t);
    for (let t = 0; t < before + 240; t++) {
      // A person's steps 0-6 at seconds 0, 1, 5, 6, 10, 12, 14 of its visit; where the terms page is read (a page
      // that makes no call), at second 16 too.
      const times = opts.crowd === 'quiet' ? [0, 1, 5, 6, 10, 12, 14, 16] : [0, 1, 5, 6, 10, 12, 14];
      for (let u = Math.max(0, Math.floor((t - times.at(-1)!) / 10)); u <= t / 10; u++) {
        const step = times.indexOf(t - u * 10);
        if (step >= 0) {
          const b = await person(u, step);
          if (t >= before) people.push(b);
        }
      }
      // A newcomer's steps at seconds 0, 2, 4, 6 of its visit.
      for (let a = 0; a < starts.length && starts[a]! <= t; a++) {
        const step = [0, 2, 4, 6].indexOf(t - starts[a]!);
        if (step >= 0) {
          const b = await newcomer(a, step);
          if (a >= crept) crowd.push(b);
        }
      }
      await d.advance(1000);
    }
    return { people, crowd };
  };
  /** The crowd's calls (its API requests) past its first two minutes. */
  const laterCalls = (crowd: Awaited<ReturnType<typeof run>>['crowd']) => crowd.slice(crowd.length / 2).filter((b) => b.observations!.subject.route.some((x) => x.startsWith('/api/')));

  it("a crowd that loads the page for its cookie and then calls the route it is after is held, its later calls too; people are not", async () => {
    const { people, crowd } = await run({ crowd: 'lookup' });
    // Past its first two minutes: the calls (three of each four requests) are held, the page loads are not.
    const calls = laterCalls(crowd);
    expect(calls.length).toBeGreaterThan(300);
    expect(calls.filter(held).length / calls.length).toBeGreaterThan(0.95);
    const first = calls.find((b) => b.observations!.state === 'return' && held(b))!;
    expect(first.signals.find((x) => x.name === 'surge-first-call')!.detail).toMatch(/^\d+ of the \d+ first calls\/min of sessions from their page went to GET \/api\/addresses/);
    const later = calls.find((b) => b.observations!.state !== 'return' && held(b))!;
    expect(later.signals.find((x) => x.name === 'surge-first-call')!.detail).toMatch(/this session's first call was held/);
    expect(people.length).toBeGreaterThan(100);
    expect(people.filter(held).map((b) => fired(b).join(','))).toEqual([]);
  });

  it("a crowd that crept in first, too slowly to be significant, has not made its route the page's usual first call", async () => {
    const { people, crowd } = await run({ crowd: 'lookup', creeps: true });
    const calls = laterCalls(crowd);
    expect(calls.length).toBeGreaterThan(300);
    expect(calls.filter(held).length / calls.length).toBeGreaterThan(0.95);
    expect(people.filter(held).map((b) => fired(b).join(','))).toEqual([]);
  });

  it("a crowd that loads the page again with its cookie before it calls is held the same", async () => {
    const { people, crowd } = await run({ crowd: 'reload' });
    const calls = laterCalls(crowd);
    expect(calls.length).toBeGreaterThan(100);
    expect(calls.filter(held).length / calls.length).toBeGreaterThan(0.95);
    const first = calls.find((b) => b.observations!.firstCall && held(b))!;
    expect(first.observations!.state).toBe('established');
    expect(first.signals.find((x) => x.name === 'surge-first-call')!.detail).toMatch(/first calls\/min of sessions from their page went to GET \/api\/addresses/);
    // People's calls pass. (Their second request with the cookie, the checkout page, still new to their session, is in
    // the crowd's surge of new-session page loads there: surge-route, as before first calls were judged.)
    const peopleCalls = people.filter((b) => b.observations!.subject.route.some((x) => x.startsWith('/api/')));
    expect(peopleCalls.length).toBeGreaterThan(50);
    expect(peopleCalls.filter(held).map((b) => fired(b).join(','))).toEqual([]);
    expect(people.filter((b) => fired(b).includes('surge-first-call'))).toEqual([]);
  });

  it.each([
    ['dressed', "the page's scripts", /first calls\/min of sessions from their page went to GET \/api\/addresses\.js/],
    ['navigating', 'navigations', /first calls\/min of sessions from their page went to GET \/api\/addresses/],
  ] as const)('a crowd that sends its calls (%s) as %s, to a route whose upstream answers them with data, is held the same', async (kind, _as, detail) => {
    const { people, crowd } = await run({ crowd: kind });
    const calls = laterCalls(crowd);
    expect(calls.length).toBeGreaterThan(300);
    expect(calls.filter((b) => b.observations!.subresource || b.observations!.page)).toEqual([]);
    expect(calls.filter(held).length / calls.length).toBeGreaterThan(0.95);
    const first = calls.find((b) => b.observations!.firstCall && held(b))!;
    expect(first.signals.find((x) => x.name === 'surge-first-call')!.detail).toMatch(detail);
    expect(people.filter(held).map((b) => fired(b).join(','))).toEqual([]);
  });

  it("a crowd that lands on a page people read and never call from, and calls from it, is judged against where first calls from any page go", async () => {
    const { people, crowd } = await run({ crowd: 'quiet' });
    const calls = laterCalls(crowd);
    expect(calls.length).toBeGreaterThan(300);
    expect(calls.filter(held).length / calls.length).toBeGreaterThan(0.95);
    const first = calls.find((b) => b.observations!.firstCall && held(b))!;
    expect(first.signals.find((x) => x.name === 'surge-first-call')!.detail).toMatch(/first calls\/min of sessions from their page, one people load and hardly call from, went to GET \/api\/addresses/);
    expect(people.filter((b) => b.observations!.subject.route.includes('/terms')).length).toBeGreaterThan(20);
    expect(people.filter(held).map((b) => fired(b).join(','))).toEqual([]);
  });

  it("a crowd that drops the Referer is judged against where landers' first calls from any page go", async () => {
    const { people, crowd } = await run({ crowd: 'lookup', crowdReferer: false });
    const calls = laterCalls(crowd);
    expect(calls.length).toBeGreaterThan(300);
    expect(calls.filter(held).length / calls.length).toBeGreaterThan(0.95);
    const first = calls.find((b) => b.observations!.firstCall && held(b))!;
    expect(first.signals.find((x) => x.name === 'surge-first-call')!.detail).toMatch(/first calls\/min of sessions naming no page of the site went to GET \/api\/addresses/);
    expect(people.filter(held).map((b) => fired(b).join(','))).toEqual([]);
  });

  it("on a site whose pages send no Referer, first calls are not judged by it: a campaign landing elsewhere would look like a crowd", async () => {
    const campaign = await run({ crowd: 'campaign', referers: false });
    expect(campaign.crowd.filter(held).map((b) => fired(b).join(',')).slice(0, 5)).toEqual([]);
    expect(campaign.people.filter(held).map((b) => fired(b).join(','))).toEqual([]);
    const lookup = await run({ crowd: 'lookup', referers: false });
    expect([...lookup.crowd, ...lookup.people].filter((b) => fired(b).includes('surge-first-call'))).toEqual([]);
  });

  it("users coming back with their cookies to a new version of the page, calling a new route first, are not judged by it", async () => {
    const { crowd, people } = await run({ crowd: 'release' });
    expect(crowd.filter((b) => b.observations!.subject.route.some((x) => x === '/api/checkout/v2')).length).toBeGreaterThan(200);
    expect([...crowd, ...people].filter((b) => fired(b).includes('surge-first-call'))).toEqual([]);
  });

  it("people landing on the page in numbers, calling first what its people call first, are not held", async () => {
    const { people, crowd } = await run({ crowd: 'campaign' });
    expect(crowd.filter(held).map((b) => fired(b).join(',')).slice(0, 5)).toEqual([]);
    expect(people.filter(held).map((b) => fired(b).join(','))).toEqual([]);
  });
});
