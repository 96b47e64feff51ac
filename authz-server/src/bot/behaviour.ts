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
import { BOT_KEYS, clientKeyOf, idleCounter, max, median, pct, poissonCdf, ramp, routeParts, sum, windowCounter, windowDistinct } from './windows.ts';

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
  const MB = knobs.methods.bucketMs;
  const MW = knobs.methods.windowBuckets;
  const client = clientKeyOf(req.clientIp, req.principal);
  const template = pathTemplate(req.path);
  const route = routeParts(req.host, req.method, template);
  const session = sessionOf(policy, req);
  const token = consumer && consumer !== '' ? consumer : null;
  const getPost = req.method === 'GET' || req.method === 'POST' ? 1 : 0;
  const head = req.method === 'HEAD' ? 1 : 0;

  const counters: CounterOp[] = [];
  const distinct: DistinctOp[] = [];
  const add = (op: CounterOp): number => counters.push(op) - 1;
  const addD = (op: DistinctOp): number => distinct.push(op) - 1;

  const c: CounterSlots = {
    usageIp: add(windowCounter(id, BOT_KEYS.usageIp, [client], nowMs, B, W, 1)),
    errorsIp: add(windowCounter(id, BOT_KEYS.errorsIp, [client], nowMs, B, W, 0)),
    populationRequests: add(windowCounter(id, BOT_KEYS.populationRequests, [], nowMs, B, W, 1)),
    routeClientRequests: add(windowCounter(id, BOT_KEYS.routeClientRequests, [...route, client], nowMs, B, W, 1)),
    getPostIp: add(windowCounter(id, BOT_KEYS.getPostIp, [client], nowMs, MB, MW, getPost)),
    headIp: add(windowCounter(id, BOT_KEYS.headIp, [client], nowMs, MB, MW, head)),
    getPostPopulation: add(windowCounter(id, BOT_KEYS.getPostPopulation, [], nowMs, MB, MW, getPost)),
    headPopulation: add(windowCounter(id, BOT_KEYS.headPopulation, [], nowMs, MB, MW, head)),
    usageToken: token ? add(windowCounter(id, BOT_KEYS.usageToken, [token], nowMs, B, W, 1)) : -1,
    errorsToken: token ? add(windowCounter(id, BOT_KEYS.errorsToken, [token], nowMs, B, W, 0)) : -1,
    session: session ? add(idleCounter(id, BOT_KEYS.session, [session], knobs.sessions.idleMs)) : -1,
    sessionRequestsIp: session ? add(windowCounter(id, BOT_KEYS.sessionRequestsIp, [client], nowMs, B, W, 1)) : -1,
    newSessionsIp: session ? add(windowCounter(id, BOT_KEYS.newSessionsIp, [client], nowMs, B, W, 0)) : -1,
    sessionRequestsRoute: session ? add(windowCounter(id, BOT_KEYS.sessionRequestsRoute, route, nowMs, B, W, 1)) : -1,
    newSessionsRoute: session ? add(windowCounter(id, BOT_KEYS.newSessionsRoute, route, nowMs, B, W, 0)) : -1,
  };
  const d: DistinctSlots = {
    populationClients: addD(windowDistinct(id, BOT_KEYS.populationClients, [], client, nowMs, B, W)),
    routeClients: addD(windowDistinct(id, BOT_KEYS.routeClients, route, client, nowMs, B, knobs.surge.historyBuckets + 1)),
    tokenClients: token ? addD(windowDistinct(id, BOT_KEYS.tokenClients, [token], client, nowMs, B, W)) : -1,
  };
  return {
    counters,
    distinct,
    ctx: { knobs, route: `${req.method} ${template}`, hasToken: token !== null, ceilings: policyCeilings(policy, knobs), c, d },
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
  const clients = max(input.populationClients);
  const mean = sum(input.populationRequests) / Math.max(1, sum(input.populationClients));
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
  input: { sessionCount: number; ipRequests: readonly number[]; ipNew: readonly number[]; routeRequests: readonly number[]; routeNew: readonly number[]; route: string },
  knobs: BotKnobs = DEFAULT_BOT_KNOBS,
): BotSignal[] {
  if (input.sessionCount !== 1) return [];
  const s = knobs.sessions;
  const out: BotSignal[] = [{ name: SESSION_NEW, score: 0, detail: 'first request of a session' }];
  const judge = (name: string, requests: readonly number[], fresh: readonly number[], min: number, what: string) => {
    const reqs = sum(requests);
    if (reqs < min) return;
    // The feed has not counted this request yet: it is new by definition.
    const share = Math.min(1, (sum(fresh) + 1) / reqs);
    const score = ramp(share, s.share, s.fullShare, s.score, s.maxScore);
    if (score > 0) out.push({ name, score, detail: `${pct(share)} of ${reqs} session requests ${what} opened a new session` });
  };
  judge('fresh-sessions-ip', input.ipRequests, input.ipNew, s.minIpRequests, 'from this client');
  judge('fresh-sessions-route', input.routeRequests, input.routeNew, s.minRouteRequests, `on ${input.route}`);
  return out;
}

/** (4) Distinct-IP surge on the request's route; `routeClients` has historyBuckets + 1 buckets. */
export function judgeSurge(
  input: { routeClients: readonly number[]; clientRouteRequests: readonly number[]; clientRequests: readonly number[]; route: string },
  knobs: BotKnobs = DEFAULT_BOT_KNOBS,
): BotSignal | null {
  const g = knobs.surge;
  const recent = max(input.routeClients.slice(0, g.recentBuckets));
  if (recent < g.minDistinct) return null;
  const baseline = Math.max(g.minBaseline, median(input.routeClients.slice(g.recentBuckets)));
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
  if (c.session >= 0) {
    signals.push(
      ...judgeSessions(
        {
          sessionCount: C(c.session)[0] ?? 0,
          ipRequests: C(c.sessionRequestsIp),
          ipNew: C(c.newSessionsIp),
          routeRequests: C(c.sessionRequestsRoute),
          routeNew: C(c.newSessionsRoute),
          route: ctx.route,
        },
        knobs,
      ),
    );
  }
  push(judgeSurge({ routeClients: D(d.routeClients), clientRouteRequests: C(c.routeClientRequests), clientRequests: C(c.usageIp), route: ctx.route }, knobs));
  push(judgeMethods({ getPost: C(c.getPostIp), head: C(c.headIp), populationGetPost: C(c.getPostPopulation), populationHead: C(c.headPopulation) }, knobs));
  return signals;
}
