/**
 * Behavioural bot detectors (SPEC.md "Bot signals"): planning is pure and yields counter/HyperLogLog ops that
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
import { BOT_KEYS, PrefixCache, bucketCounter, bucketDistinct, clientKeyOf, max, median, pct, poissonCdf, ramp, routeParts, sum } from './windows.ts';

/** Zero-score signal: this request opened a new session (the feed counts these per client and route). */
export const SESSION_NEW = 'session-new';

/** Counter op indices of one plan (-1: not planned for this request). */
interface CounterSlots {
  usageIp: number;
  errorsIp: number;
  populationRequests: number;
  routeClientRequests: number;
  getPostIp: number;
  headIp: number;
  getPostPopulation: number;
  headPopulation: number;
  usageToken: number;
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

/** Usage thresholds per bucket derived from the policy's own limits (null: none applies). */
export interface Ceilings {
  ip: number | null;
  token: number | null;
}

const ceilingCache = new WeakMap<RuntimePolicy, Ceilings>();

/**
 * The tightest policy-wide (no methods, no paths) limit keyed only by clientIP (resp. consumer), as requests per
 * bucket times `policyLimitFraction`.
 */
export function policyCeilings(policy: RuntimePolicy, knobs: BotKnobs = DEFAULT_BOT_KNOBS): Ceilings {
  const cached = knobs === DEFAULT_BOT_KNOBS ? ceilingCache.get(policy) : undefined;
  if (cached) return cached;
  const of = (kind: 'clientIP' | 'consumer'): number | null => {
    let best: number | null = null;
    for (const rl of policy.rateLimits) {
      if (rl.methods || rl.paths || rl.key.length !== 1 || rl.key[0]?.kind !== kind) continue;
      const perBucket = (rl.requests / rl.periodMs) * knobs.bucketMs * knobs.usage.policyLimitFraction;
      best = best === null ? perBucket : Math.min(best, perBucket);
    }
    return best;
  };
  const out = { ip: of('clientIP'), token: of('consumer') };
  if (knobs === DEFAULT_BOT_KNOBS) ceilingCache.set(policy, out);
  return out;
}

/** Plans the behavioural counters of one request. */
export function planBotCounters(policy: RuntimePolicy, req: RequestContext, consumer: string | null, nowMs: number, knobs: BotKnobs = DEFAULT_BOT_KNOBS): BotPlan {
  const id = policy.id;
  const B = knobs.bucketMs;
  const W = knobs.windowBuckets;
  const MB = knobs.longBucketMs;
  const MW = knobs.longWindowBuckets;
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
  const keys = new PrefixCache(id);
  const add = (op: CounterOp): number => counters.push(op) - 1;
  const addD = (op: DistinctOp): number => distinct.push(op) - 1;
  /** Short-window counter, long-window counter, HyperLogLog. */
  const short = (name: string, parts: readonly string[], incr: number) => add(bucketCounter(keys.counter(name, parts), nowMs, B, W, incr));
  const long = (name: string, parts: readonly string[], incr: number) => add(bucketCounter(keys.counter(name, parts), nowMs, MB, MW, incr));
  const hll = (name: string, parts: readonly string[], buckets: number) => addD(bucketDistinct(keys.distinct(name, parts), client, nowMs, B, buckets));

  const c: CounterSlots = {
    usageIp: short(BOT_KEYS.usageIp, [client], 1),
    errorsIp: short(BOT_KEYS.errorsIp, [client], 0),
    populationRequests: short(BOT_KEYS.populationRequests, [], 1),
    routeClientRequests: short(BOT_KEYS.routeClientRequests, [...route, client], 1),
    getPostIp: long(BOT_KEYS.getPostIp, [client], getPost),
    headIp: long(BOT_KEYS.headIp, [client], head),
    getPostPopulation: long(BOT_KEYS.getPostPopulation, [], getPost),
    headPopulation: long(BOT_KEYS.headPopulation, [], head),
    usageToken: token ? short(BOT_KEYS.usageToken, [token], 1) : -1,
    errorsToken: token ? short(BOT_KEYS.errorsToken, [token], 0) : -1,
    session: session ? add({ keys: [keys.counter(BOT_KEYS.session, [session])], incr: 1, ttlMs: knobs.sessions.idleMs }) : -1,
    sessionRequestsIp: sessionish ? long(BOT_KEYS.sessionRequestsIp, [client], 1) : -1,
    newSessionsIp: sessionish ? long(BOT_KEYS.newSessionsIp, [client], 0) : -1,
    sessionRequestsRoute: sessionish ? short(BOT_KEYS.sessionRequestsRoute, route, 1) : -1,
    newSessionsRoute: sessionish ? short(BOT_KEYS.newSessionsRoute, route, 0) : -1,
    browserPopulation: cookieSessions ? long(BOT_KEYS.browserPopulation, [], browser ? 1 : 0) : -1,
    browserSessionsPopulation: cookieSessions ? long(BOT_KEYS.browserSessionsPopulation, [], browser && session !== '' ? 1 : 0) : -1,
  };
  const d: DistinctSlots = {
    // Counted over the surge history: the usage judge reads the first W buckets, the warm-up gates all of them.
    populationClients: hll(BOT_KEYS.populationClients, [], knobs.surge.historyBuckets + 1),
    routeClients: hll(BOT_KEYS.routeClients, route, knobs.surge.historyBuckets + 1),
    tokenClients: token ? hll(BOT_KEYS.tokenClients, [token], W) : -1,
  };
  return {
    counters,
    distinct,
    ctx: { knobs, route: `${req.method} ${template}`, hasToken: token !== null, cookieless, ceilings: policyCeilings(policy, knobs), c, d },
  };
}

// ---- judges: pure functions of counts -------------------------------------------------------------------

function per(knobs: BotKnobs): string {
  return knobs.bucketMs === 60_000 ? 'min' : `${knobs.bucketMs / 1000}s`;
}

/** (3) Extreme usage. Bucket arrays are current bucket first. */
export function judgeUsage(
  input: {
    ip: readonly number[];
    populationRequests: readonly number[];
    populationClients: readonly number[];
    token?: readonly number[];
    tokenClients?: readonly number[];
    ceilings: Ceilings;
  },
  knobs: BotKnobs = DEFAULT_BOT_KNOBS,
): BotSignal[] {
  const u = knobs.usage;
  const popClients = input.populationClients.slice(0, knobs.windowBuckets);
  const clients = max(popClients);
  const mean = sum(input.populationRequests) / Math.max(1, sum(popClients));
  const trusted = clients >= u.minPopulation;
  const base = trusted ? Math.min(u.ceilingPerBucket, Math.max(u.floorPerBucket, u.populationFactor * mean)) : u.ceilingPerBucket;
  const basis = trusted ? `${u.populationFactor}x population mean ${mean.toFixed(1)} over ${clients} clients` : 'ceiling';
  const signals: BotSignal[] = [];

  const ipLimit = input.ceilings.ip !== null && input.ceilings.ip < base ? input.ceilings.ip : base;
  const ipBasis = ipLimit === base ? basis : 'policy per-IP limit';
  const ipPeak = max(input.ip);
  const ipScore = ramp(ipPeak / ipLimit, 1, u.fullFactor, u.score, u.maxScore);
  if (ipScore > 0) {
    signals.push({ name: 'usage-ip', score: ipScore, detail: `${ipPeak} requests/${per(knobs)} from this client (threshold ${Math.round(ipLimit)}, ${ipBasis})` });
  }

  if (input.token && input.tokenClients) {
    let peak = 0;
    let at = 0;
    input.token.forEach((v, i) => {
      if (v > peak) {
        peak = v;
        at = i;
      }
    });
    const ips = Math.max(1, input.tokenClients[at] ?? 1);
    const perIp = peak / ips;
    const byPopulation = perIp / base;
    const byPolicy = input.ceilings.token !== null ? peak / input.ceilings.token : 0;
    const ratio = Math.max(byPopulation, byPolicy);
    const score = ramp(ratio, 1, u.fullFactor, u.score, u.maxScore);
    if (score > 0) {
      const why = byPolicy >= byPopulation ? `policy per-consumer limit ${Math.round(input.ceilings.token ?? 0)}` : `threshold ${Math.round(base)} per client IP, ${basis}`;
      signals.push({ name: 'usage-token', score, detail: `${peak} requests/${per(knobs)} with this token from ${ips} IP(s) (${why})` });
    }
  }
  return signals;
}

/** (2) Error rate of one client or token over the window. */
export function judgeErrors(name: 'error-rate-ip' | 'error-rate-token', errors: readonly number[], requests: readonly number[], knobs: BotKnobs = DEFAULT_BOT_KNOBS): BotSignal | null {
  const e = knobs.errors;
  const errs = sum(errors);
  if (errs < e.minErrors) return null;
  const reqs = Math.max(sum(requests), errs);
  const ratio = errs / reqs;
  const score = ramp(ratio, e.ratio, e.fullRatio, e.score, e.maxScore);
  if (score === 0) return null;
  const recent = (errors[0] ?? 0) + (errors[1] ?? 0);
  const minutes = Math.round((knobs.bucketMs * knobs.windowBuckets) / 60_000);
  return { name, score, detail: `${errs} client errors in ${reqs} requests (${pct(ratio)}) over ${minutes}m, ${recent} in the last 2 buckets` };
}

/** (1) Single-request sessions: only a request that opens a new session (`sessionCount` 1) can score. */
export function judgeSessions(
  input: {
    sessionCount: number;
    /** Long window (per client). */
    ipRequests: readonly number[];
    ipNew: readonly number[];
    /** Short window (per route), judged only when `warm` (the policy has a full window of history). */
    routeRequests: readonly number[];
    routeNew: readonly number[];
    warm: boolean;
    route: string;
  },
  knobs: BotKnobs = DEFAULT_BOT_KNOBS,
): BotSignal[] {
  if (input.sessionCount !== 1) return [];
  const s = knobs.sessions;
  const out: BotSignal[] = [{ name: SESSION_NEW, score: 0, detail: 'first request of a session' }];
  const judge = (name: string, requests: readonly number[], fresh: readonly number[], min: number, maxScore: number, what: string) => {
    const reqs = sum(requests);
    if (reqs < min) return;
    // The feed has not counted this request yet: it is new by definition.
    const share = Math.min(1, (sum(fresh) + 1) / reqs);
    const score = ramp(share, s.share, s.fullShare, s.score, maxScore);
    if (score > 0) out.push({ name, score, detail: `${pct(share)} of ${reqs} session requests ${what} opened a new session` });
  };
  judge('fresh-sessions-ip', input.ipRequests, input.ipNew, s.minIpRequests, s.maxScore, 'from this client');
  if (input.warm) judge('fresh-sessions-route', input.routeRequests, input.routeNew, s.minRouteRequests, s.routeMaxScore, `on ${input.route}`);
  return out;
}

/**
 * Do the policy's browsers keep a session cookie? The median, over the completed long buckets with enough
 * browser traffic, of the share of browser requests that carried one. The current bucket is left out and the
 * median taken, so that a cookieless attack does not vote itself normal before it has lasted half the window.
 */
export function browsersKeepSessions(browsers: readonly number[], withSession: readonly number[], knobs: BotKnobs = DEFAULT_BOT_KNOBS): boolean {
  const shares: number[] = [];
  for (let i = 1; i < browsers.length; i++) {
    const n = browsers[i] ?? 0;
    if (n >= knobs.sessions.minBrowserRequests) shares.push((withSession[i] ?? 0) / n);
  }
  return shares.length > 0 && median(shares) >= knobs.sessions.minBrowserSessionShare;
}

/** (4) Distinct-IP surge on the request's route; `routeClients` has historyBuckets + 1 buckets. */
export function judgeSurge(
  input: {
    routeClients: readonly number[];
    /** Distinct clients of the whole policy over the same buckets: where it is 0 there is no history. */
    populationClients: readonly number[];
    clientRouteRequests: readonly number[];
    clientRequests: readonly number[];
    route: string;
  },
  knobs: BotKnobs = DEFAULT_BOT_KNOBS,
): BotSignal | null {
  const g = knobs.surge;
  const recent = max(input.routeClients.slice(0, g.recentBuckets));
  if (recent < g.minDistinct) return null;
  const history: number[] = [];
  for (let i = g.recentBuckets; i < input.routeClients.length; i++) if ((input.populationClients[i] ?? 0) > 0) history.push(input.routeClients[i] ?? 0);
  if (history.length < g.minHistoryBuckets) return null;
  const baseline = Math.max(g.minBaseline, median(history));
  const magnitude = recent / baseline;
  if (magnitude < g.factor) return null;
  const clientRequests = sum(input.clientRequests);
  const share = sum(input.clientRouteRequests) / Math.max(1, clientRequests);
  if (clientRequests < g.minClientRequests || share < g.routeShare) return null;
  const score = ramp(magnitude, g.factor, g.fullFactor, g.score, g.maxScore);
  return {
    name: 'route-ip-surge',
    score,
    detail: `${recent} distinct clients/${per(knobs)} on ${input.route} vs baseline ${baseline} (${magnitude.toFixed(1)}x); ${pct(share)} of this client's requests go there`,
  };
}

/** (5) HEAD share of a client against the population's (Poisson tail of seeing so few HEADs). */
export function judgeMethods(
  input: { getPost: readonly number[]; head: readonly number[]; populationGetPost: readonly number[]; populationHead: readonly number[] },
  knobs: BotKnobs = DEFAULT_BOT_KNOBS,
): BotSignal | null {
  const m = knobs.methods;
  const popGp = sum(input.populationGetPost);
  const popHead = sum(input.populationHead);
  if (popGp + popHead < m.minPopulationRequests) return null;
  const p = popHead / (popGp + popHead);
  if (p < m.minPopulationHeadShare || p >= 1) return null;
  const n = sum(input.getPost);
  const h = sum(input.head);
  if (n < m.minClientRequests) return null;
  const expected = (n * p) / (1 - p);
  if (h >= expected) return null;
  const prob = poissonCdf(h, expected);
  if (prob >= m.pValue) return null;
  const score = ramp(-Math.log10(Math.max(prob, Number.MIN_VALUE)), -Math.log10(m.pValue), -Math.log10(m.fullPValue), m.score, m.maxScore);
  return {
    name: 'head-ratio',
    score,
    detail: `${n} GET/POST and ${h} HEAD from this client; population sends ${pct(p)} HEAD (${expected.toFixed(1)} expected, p=${prob.toExponential(1)})`,
  };
}

/**
 * Turns the results of the planned ops into signals. `counters`/`distinct` are the slices of the batch result
 * that belong to this plan (index-aligned with plan.counters / plan.distinct).
 */
export function behaviourSignals(plan: BotPlan, counters: CounterBatchResult['counters'], distinct: CounterBatchResult['distinct']): BotSignal[] {
  const ctx = plan.ctx;
  if (!ctx) return [];
  const { c, d, knobs } = ctx;
  const C = (i: number): number[] => (i >= 0 ? (counters[i] ?? []) : []);
  const D = (i: number): number[] => (i >= 0 ? (distinct[i] ?? []) : []);
  const signals: BotSignal[] = [];
  const push = (s: BotSignal | null) => {
    if (s) signals.push(s);
  };

  signals.push(
    ...judgeUsage(
      {
        ip: C(c.usageIp),
        populationRequests: C(c.populationRequests),
        populationClients: D(d.populationClients),
        ...(ctx.hasToken ? { token: C(c.usageToken), tokenClients: D(d.tokenClients) } : {}),
        ceilings: ctx.ceilings,
      },
      knobs,
    ),
  );
  push(judgeErrors('error-rate-ip', C(c.errorsIp), C(c.usageIp), knobs));
  if (ctx.hasToken) push(judgeErrors('error-rate-token', C(c.errorsToken), C(c.usageToken), knobs));
  if (c.sessionRequestsIp >= 0) {
    const siteHasSessions = browsersKeepSessions(C(c.browserPopulation), C(c.browserSessionsPopulation), knobs);
    signals.push(
      ...judgeSessions(
        {
          // A cookieless browser request opens a new session on a site whose browsers keep their cookie.
          sessionCount: ctx.cookieless ? (siteHasSessions ? 1 : 0) : (C(c.session)[0] ?? 0),
          ipRequests: C(c.sessionRequestsIp),
          ipNew: C(c.newSessionsIp),
          routeRequests: C(c.sessionRequestsRoute),
          routeNew: C(c.newSessionsRoute),
          warm: (D(d.populationClients)[knobs.windowBuckets - 1] ?? 0) > 0,
          route: ctx.route,
        },
        knobs,
      ),
    );
  }
  push(judgeSurge({ routeClients: D(d.routeClients), populationClients: D(d.populationClients), clientRouteRequests: C(c.routeClientRequests), clientRequests: C(c.usageIp), route: ctx.route }, knobs));
  push(judgeMethods({ getPost: C(c.getPostIp), head: C(c.headIp), populationGetPost: C(c.getPostPopulation), populationHead: C(c.headPopulation) }, knobs));
  return signals;
}
