/**
 * Behavioural bot detectors: planning is pure and yields counter/HyperLogLog ops that
 * join the Check's single store batch; judging turns the batch results into signals.
 *
 * Detectors (knobs in knobs.ts, explained in README "Bot detection"):
 *  1. single-request sessions at scale: share of a client's / a route's session-carrying requests that opened a
 *     new session (`fresh-sessions-ip`, `fresh-sessions-route`; only requests that open a new session score);
 *  2. error rate per IP / token: client-error responses (access log, own 401/403 denials) over requests
 *     (`error-rate-ip`, `error-rate-token`);
 *  3. extreme usage per IP / token against a threshold from the population's mean or the policy's own limits
 *     (`usage-ip`, `usage-token`);
 *  4. sudden rise in distinct client IPs on a route against the median of its previous buckets
 *     (`route-ip-surge`; only clients whose traffic goes to that route score);
 *  5. GET/POST-to-HEAD ratio of a client against the population's (`head-ratio`).
 *
 * The counts of new sessions and of errors are written off the Check path by feed.ts (they are only known after
 * the batch, or after the response); the Check reads them here. All keys carry the policy's hash tag.
 */
import type { BotSignal } from '../pipeline/outcome.ts';
import { sessionOf } from '../pipeline/rate-limit.ts';
import type { RequestContext } from '../pipeline/request.ts';
import type { RuntimePolicy } from '../pipeline/runtime.ts';
import type { CounterBatchResult, CounterOp, DistinctOp } from '../store/counter-store.ts';
import { pathTemplate } from '../discovery/template.ts';
import { DEFAULT_BOT_KNOBS, type BotKnobs } from './knobs.ts';
import { BOT_KEYS, PrefixCache, bucketCounter, bucketDistinct, clientKeyOf, max, median, pct, poissonCdf, ramp, routeParts, sliding } from './windows.ts';

/** Zero-score signal: this request opened a new session (the feed counts these per client and route). */
export const SESSION_NEW = 'session-new';

/** Counter op indices of one plan (-1: not planned for this request). */
interface CounterSlots {
  usageIp: number;
  requestsIp: number;
  errorsIp: number;
  populationRequests: number;
  routeClientRequests: number;
  getPostIp: number;
  headIp: number;
  getPostPopulation: number;
  headPopulation: number;
  usageToken: number;
  requestsToken: number;
  errorsToken: number;
  session: number;
  sessionRequestsIp: number;
  newSessionsIp: number;
  sessionRequestsRoute: number;
  newSessionsRoute: number;
  browserPopulation: number;
  browserSessionsPopulation: number;
}

interface DistinctSlots {
  populationClients: number;
  routeClients: number;
  tokenClients: number;
}

/** What the judges need besides the results: knobs, slots, and a few request facts for explanations. */
export interface BotPlanContext {
  knobs: BotKnobs;
  nowMs: number;
  route: string;
  hasToken: boolean;
  /** A browser request without the session cookie (a new session if the population's browsers keep theirs). */
  cookieless: boolean;
  ceilings: Ceilings;
  c: CounterSlots;
  d: DistinctSlots;
}

/** The store ops one Check needs for its behavioural detectors, and what to remember to judge them. */
export interface BotPlan {
  counters: CounterOp[];
  distinct: DistinctOp[];
  /** Absent when nothing was planned. */
  ctx?: BotPlanContext;
}

/** No behavioural ops (bot mode Off, or allow-listed). */
export const EMPTY_BOT_PLAN: BotPlan = { counters: [], distinct: [] };

/** Usage thresholds per minute derived from the policy's own limits (null: none applies). */
export interface Ceilings {
  ip: number | null;
  token: number | null;
}

const ceilingCache = new WeakMap<RuntimePolicy, Ceilings>();

/**
 * The tightest policy-wide (no methods, no paths) limit keyed only by clientIP (resp. consumer), as requests per
 * minute times `policyLimitFraction`.
 */
export function policyCeilings(policy: RuntimePolicy, knobs: BotKnobs = DEFAULT_BOT_KNOBS): Ceilings {
  const cached = knobs === DEFAULT_BOT_KNOBS ? ceilingCache.get(policy) : undefined;
  if (cached) return cached;
  const of = (kind: 'clientIP' | 'consumer'): number | null => {
    let best: number | null = null;
    for (const rl of policy.rateLimits) {
      if (rl.methods || rl.paths || rl.key.length !== 1 || rl.key[0]?.kind !== kind) continue;
      const perMinute = (rl.requests / rl.periodMs) * 60_000 * knobs.usage.policyLimitFraction;
      best = best === null ? perMinute : Math.min(best, perMinute);
    }
    return best;
  };
  const out = { ip: of('clientIP'), token: of('consumer') };
  if (knobs === DEFAULT_BOT_KNOBS) ceilingCache.set(policy, out);
  return out;
}

/** Plans the behavioural counters of one request. */
export function planBotCounters(policy: RuntimePolicy, req: RequestContext, consumer: string | null, nowMs: number, knobs: BotKnobs = DEFAULT_BOT_KNOBS): BotPlan {
  const SB = knobs.shortBucketMs;
  const LB = knobs.longBucketMs;
  const history = knobs.surge.historyBuckets + 1;
  const client = clientKeyOf(req.clientIp, req.principal);
  const template = pathTemplate(req.path);
  const route = routeParts(req.host, req.method, template);
  const session = sessionOf(policy, req);
  const browser = (req.headers.get('user-agent') ?? '').startsWith('Mozilla/');
  const cookieSessions = knobs.sessions.cookielessBrowsers && 'cookie' in policy.bot.session;
  const cookieless = cookieSessions && browser && session === '';
  const sessionish = session !== '' || cookieless;
  const token = consumer && consumer !== '' ? consumer : null;
  const getPost = req.method === 'GET' || req.method === 'POST' ? 1 : 0;
  const head = req.method === 'HEAD' ? 1 : 0;

  const counters: CounterOp[] = [];
  const distinct: DistinctOp[] = [];
  const keys = new PrefixCache(policy.id);
  /** A sliding-window counter (2 buckets, or `buckets`), incremented by `incr` (0: read only). */
  const count = (name: string, parts: readonly string[], bucketMs: number, incr: number, buckets = 2) =>
    counters.push(bucketCounter(keys.counter(name, parts), nowMs, bucketMs, buckets, incr)) - 1;
  const hll = (name: string, parts: readonly string[], buckets: number) => distinct.push(bucketDistinct(keys.distinct(name, parts), client, nowMs, SB, buckets)) - 1;

  const c: CounterSlots = {
    usageIp: count(BOT_KEYS.usageIp, [client], SB, 1),
    requestsIp: count(BOT_KEYS.requestsIp, [client], LB, 1),
    errorsIp: count(BOT_KEYS.errorsIp, [client], LB, 0),
    // Over the surge history: the rate uses the first two buckets, the warm-up gates the rest.
    populationRequests: count(BOT_KEYS.populationRequests, [], SB, 1, history),
    routeClientRequests: count(BOT_KEYS.routeClientRequests, [...route, client], LB, 1),
    getPostIp: count(BOT_KEYS.getPostIp, [client], LB, getPost),
    headIp: count(BOT_KEYS.headIp, [client], LB, head),
    getPostPopulation: count(BOT_KEYS.getPostPopulation, [], LB, getPost),
    headPopulation: count(BOT_KEYS.headPopulation, [], LB, head),
    usageToken: token ? count(BOT_KEYS.usageToken, [token], SB, 1) : -1,
    requestsToken: token ? count(BOT_KEYS.requestsToken, [token], LB, 1) : -1,
    errorsToken: token ? count(BOT_KEYS.errorsToken, [token], LB, 0) : -1,
    session: session ? counters.push({ keys: [keys.counter(BOT_KEYS.session, [session])], incr: 1, ttlMs: knobs.sessions.idleMs }) - 1 : -1,
    sessionRequestsIp: sessionish ? count(BOT_KEYS.sessionRequestsIp, [client], LB, 1) : -1,
    newSessionsIp: sessionish ? count(BOT_KEYS.newSessionsIp, [client], LB, 0) : -1,
    sessionRequestsRoute: sessionish ? count(BOT_KEYS.sessionRequestsRoute, route, SB, 1) : -1,
    newSessionsRoute: sessionish ? count(BOT_KEYS.newSessionsRoute, route, SB, 0) : -1,
    browserPopulation: cookieSessions ? count(BOT_KEYS.browserPopulation, [], LB, browser ? 1 : 0) : -1,
    browserSessionsPopulation: cookieSessions ? count(BOT_KEYS.browserSessionsPopulation, [], LB, browser && session !== '' ? 1 : 0) : -1,
  };
  const d: DistinctSlots = {
    populationClients: hll(BOT_KEYS.populationClients, [], 2),
    routeClients: hll(BOT_KEYS.routeClients, route, history),
    tokenClients: token ? hll(BOT_KEYS.tokenClients, [token], 2) : -1,
  };
  return {
    counters,
    distinct,
    ctx: { knobs, nowMs, route: `${req.method} ${template}`, hasToken: token !== null, cookieless, ceilings: policyCeilings(policy, knobs), c, d },
  };
}

// ---- judges: pure functions of (sliding-window) counts ------------------------------------------------------

/** (3) Extreme usage. Rates are requests per minute over the short sliding window. */
export function judgeUsage(
  input: {
    ipRate: number;
    /** Requests per minute of the whole policy, and its distinct clients over the same window. */
    populationRate: number;
    populationClients: number;
    tokenRate?: number;
    tokenClients?: number;
    ceilings: Ceilings;
  },
  knobs: BotKnobs = DEFAULT_BOT_KNOBS,
): BotSignal[] {
  const u = knobs.usage;
  const clients = input.populationClients;
  const mean = input.populationRate / Math.max(1, clients);
  const trusted = clients >= u.minPopulation;
  const base = trusted ? Math.min(u.ceilingPerMinute, Math.max(u.floorPerMinute, u.populationFactor * mean)) : u.ceilingPerMinute;
  const basis = trusted ? `${u.populationFactor}x population mean ${mean.toFixed(1)}/min over ${Math.round(clients)} clients` : 'ceiling';
  const signals: BotSignal[] = [];

  const ipLimit = input.ceilings.ip !== null && input.ceilings.ip < base ? input.ceilings.ip : base;
  const ipBasis = ipLimit === base ? basis : 'policy per-IP limit';
  const ipScore = ramp(input.ipRate / ipLimit, 1, u.fullFactor, u.score, u.maxScore);
  if (ipScore > 0) {
    signals.push({ name: 'usage-ip', score: ipScore, detail: `${Math.round(input.ipRate)} requests/min from this client (threshold ${Math.round(ipLimit)}, ${ipBasis})` });
  }

  if (input.tokenRate !== undefined) {
    const ips = Math.max(1, input.tokenClients ?? 1);
    const perIp = input.tokenRate / ips;
    const byPopulation = perIp / base;
    const byPolicy = input.ceilings.token !== null ? input.tokenRate / input.ceilings.token : 0;
    const score = ramp(Math.max(byPopulation, byPolicy), 1, u.fullFactor, u.score, u.maxScore);
    if (score > 0) {
      const why = byPolicy >= byPopulation ? `policy per-consumer limit ${Math.round(input.ceilings.token ?? 0)}` : `threshold ${Math.round(base)} per client IP, ${basis}`;
      signals.push({ name: 'usage-token', score, detail: `${Math.round(input.tokenRate)} requests/min with this token from ${Math.round(ips)} IP(s) (${why})` });
    }
  }
  return signals;
}

/** (2) Error rate of one client or token over the long sliding window. */
export function judgeErrors(name: 'error-rate-ip' | 'error-rate-token', errors: number, requests: number, knobs: BotKnobs = DEFAULT_BOT_KNOBS): BotSignal | null {
  const e = knobs.errors;
  if (errors < e.minErrors) return null;
  const reqs = Math.max(requests, errors);
  const ratio = errors / reqs;
  const score = ramp(ratio, e.ratio, e.fullRatio, e.score, e.maxScore);
  if (score === 0) return null;
  return { name, score, detail: `${Math.round(errors)} client errors in ${Math.round(reqs)} requests (${pct(ratio)}) over the last ${Math.round(knobs.longBucketMs / 60_000)}m` };
}

/** (1) Single-request sessions: only a request that opens a new session (`sessionCount` 1) can score. */
export function judgeSessions(
  input: {
    sessionCount: number;
    /** Long window (per client). */
    ipRequests: number;
    ipNew: number;
    /** Short window (per route), judged only when `warm`. */
    routeRequests: number;
    routeNew: number;
    warm: boolean;
    route: string;
  },
  knobs: BotKnobs = DEFAULT_BOT_KNOBS,
): BotSignal[] {
  if (input.sessionCount !== 1) return [];
  const s = knobs.sessions;
  const out: BotSignal[] = [{ name: SESSION_NEW, score: 0, detail: 'first request of a session' }];
  const judge = (name: string, requests: number, fresh: number, min: number, maxScore: number, what: string) => {
    if (requests < min) return;
    // The feed has not counted this request yet: it is new by definition.
    const share = Math.min(1, (fresh + 1) / requests);
    const score = ramp(share, s.share, s.fullShare, s.score, maxScore);
    if (score > 0) out.push({ name, score, detail: `${pct(share)} of ${Math.round(requests)} session requests ${what} opened a new session` });
  };
  judge('fresh-sessions-ip', input.ipRequests, input.ipNew, s.minIpRequests, s.maxScore, 'from this client');
  if (input.warm) judge('fresh-sessions-route', input.routeRequests, input.routeNew, s.minRouteRequests, s.routeMaxScore, `on ${input.route}`);
  return out;
}

/**
 * Do the policy's browsers keep a session cookie? In the current or the previous long bucket, whichever has the
 * higher share among those with enough browser requests: a cookieless attack lowers the share, so the cleaner
 * bucket decides until the attack has filled both.
 */
export function browsersKeepSessions(browsers: readonly number[], withSession: readonly number[], knobs: BotKnobs = DEFAULT_BOT_KNOBS): boolean {
  let best = -1;
  for (let i = 0; i < browsers.length; i++) {
    const n = browsers[i] ?? 0;
    if (n >= knobs.sessions.minBrowserRequests) best = Math.max(best, (withSession[i] ?? 0) / n);
  }
  return best >= knobs.sessions.minBrowserSessionShare;
}

/** (4) Distinct-IP surge on the request's route; the arrays have historyBuckets + 1 short buckets. */
export function judgeSurge(
  input: {
    routeClients: readonly number[];
    /** Requests of the whole policy over the same buckets: where it is 0 there is no history. */
    populationRequests: readonly number[];
    /** This client's requests to the route, and in all, over the long window. */
    clientRouteRequests: number;
    clientRequests: number;
    route: string;
  },
  knobs: BotKnobs = DEFAULT_BOT_KNOBS,
): BotSignal | null {
  const g = knobs.surge;
  const recent = max(input.routeClients.slice(0, g.recentBuckets));
  if (recent < g.minDistinct) return null;
  const history: number[] = [];
  for (let i = g.recentBuckets; i < input.routeClients.length; i++) if ((input.populationRequests[i] ?? 0) > 0) history.push(input.routeClients[i] ?? 0);
  if (history.length < g.minHistoryBuckets) return null;
  const baseline = Math.max(g.minBaseline, median(history));
  const magnitude = recent / baseline;
  if (magnitude < g.factor) return null;
  const share = input.clientRouteRequests / Math.max(1, input.clientRequests);
  if (input.clientRequests < g.minClientRequests || share < g.routeShare) return null;
  const score = ramp(magnitude, g.factor, g.fullFactor, g.score, g.maxScore);
  return {
    name: 'route-ip-surge',
    score,
    detail: `${recent} distinct clients/min on ${input.route} vs baseline ${baseline} (${magnitude.toFixed(1)}x); ${pct(share)} of this client's requests go there`,
  };
}

/** (5) HEAD share of a client against the population's (Poisson tail of seeing so few HEADs). */
export function judgeMethods(input: { getPost: number; head: number; populationGetPost: number; populationHead: number }, knobs: BotKnobs = DEFAULT_BOT_KNOBS): BotSignal | null {
  const m = knobs.methods;
  const total = input.populationGetPost + input.populationHead;
  if (total < m.minPopulationRequests) return null;
  const p = input.populationHead / total;
  if (p < m.minPopulationHeadShare || p >= 1) return null;
  const n = input.getPost;
  const h = Math.round(input.head);
  if (n < m.minClientRequests) return null;
  const expected = (n * p) / (1 - p);
  if (h >= expected) return null;
  const prob = poissonCdf(h, expected);
  if (prob >= m.pValue) return null;
  const score = ramp(-Math.log10(Math.max(prob, Number.MIN_VALUE)), -Math.log10(m.pValue), -Math.log10(m.fullPValue), m.score, m.maxScore);
  return {
    name: 'head-ratio',
    score,
    detail: `${Math.round(n)} GET/POST and ${h} HEAD from this client; population sends ${pct(p)} HEAD (${expected.toFixed(1)} expected, p=${prob.toExponential(1)})`,
  };
}

/**
 * Turns the results of the planned ops into signals. `counters`/`distinct` are the slices of the batch result
 * that belong to this plan (index-aligned with plan.counters / plan.distinct).
 */
export function behaviourSignals(plan: BotPlan, counters: CounterBatchResult['counters'], distinct: CounterBatchResult['distinct']): BotSignal[] {
  const ctx = plan.ctx;
  if (!ctx) return [];
  const { c, d, knobs, nowMs } = ctx;
  const C = (i: number): number[] => (i >= 0 ? (counters[i] ?? []) : []);
  const D = (i: number): number[] => (i >= 0 ? (distinct[i] ?? []) : []);
  /** Sliding-window value of a short / long counter (or HLL). */
  const perMinute = 60_000 / knobs.shortBucketMs;
  const short = (v: readonly number[]) => sliding(v, nowMs, knobs.shortBucketMs);
  const long = (v: readonly number[]) => sliding(v, nowMs, knobs.longBucketMs);
  const signals: BotSignal[] = [];
  const push = (s: BotSignal | null) => {
    if (s) signals.push(s);
  };

  signals.push(
    ...judgeUsage(
      {
        ipRate: short(C(c.usageIp)) * perMinute,
        populationRate: short(C(c.populationRequests)) * perMinute,
        populationClients: short(D(d.populationClients)),
        ...(ctx.hasToken ? { tokenRate: short(C(c.usageToken)) * perMinute, tokenClients: short(D(d.tokenClients)) } : {}),
        ceilings: ctx.ceilings,
      },
      knobs,
    ),
  );
  push(judgeErrors('error-rate-ip', long(C(c.errorsIp)), long(C(c.requestsIp)), knobs));
  if (ctx.hasToken) push(judgeErrors('error-rate-token', long(C(c.errorsToken)), long(C(c.requestsToken)), knobs));
  if (c.sessionRequestsIp >= 0) {
    const siteHasSessions = browsersKeepSessions(C(c.browserPopulation), C(c.browserSessionsPopulation), knobs);
    signals.push(
      ...judgeSessions(
        {
          // A cookieless browser request opens a new session on a site whose browsers keep their cookie.
          sessionCount: ctx.cookieless ? (siteHasSessions ? 1 : 0) : (C(c.session)[0] ?? 0),
          ipRequests: long(C(c.sessionRequestsIp)),
          ipNew: long(C(c.newSessionsIp)),
          routeRequests: short(C(c.sessionRequestsRoute)),
          routeNew: short(C(c.newSessionsRoute)),
          warm: (C(c.populationRequests)[knobs.sessions.warmBuckets] ?? 0) > 0,
          route: ctx.route,
        },
        knobs,
      ),
    );
  }
  push(
    judgeSurge(
      { routeClients: D(d.routeClients), populationRequests: C(c.populationRequests), clientRouteRequests: long(C(c.routeClientRequests)), clientRequests: long(C(c.requestsIp)), route: ctx.route },
      knobs,
    ),
  );
  push(judgeMethods({ getPost: long(C(c.getPostIp)), head: long(C(c.headIp)), populationGetPost: long(C(c.getPostPopulation)), populationHead: long(C(c.headPopulation)) }, knobs));
  return signals;
}
