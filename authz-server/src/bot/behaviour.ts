/**
 * Behavioural bot detectors: planning is pure and yields the counter ops that join the Check's single store
 * batch; judging turns the batch results (and the policy's learned baselines) into scored signals and the
 * observations the feed learns from after the decision.
 *
 * Who a request belongs to, on several levels at once:
 *   address  the client IP (IPv6: its /64)             network  its /24 or /48
 *   session  the session cookie / header, or (token, address) for token clients without one
 *   source   (address, client fingerprint) for traffic outside an established session
 *   route    host + method + path template             cell     (route, fingerprint)      token  the consumer
 *
 * What a request is to its session: a LANDING (browser without the session cookie on a site that sets one), a
 * RETURN (a session seen for the first time from an address that just landed: the person came back with the
 * cookie), an ORPHAN (a session seen for the first time with no landing before it: a cookie nobody handed out,
 * or one from long ago), ESTABLISHED (seen before), a NEW PAIR / ESTABLISHED PAIR (token clients), or ANONYMOUS.
 *
 * Evidence families (the strongest signal of each family counts; see knobs.ts):
 *   volume     requests per session / token pair / source / network, per tick (seconds), minute and long
 *              window, against learned population quantiles and the policy's own limits (an address's own
 *              volume is learned, never judged: it may be a NAT)
 *   fresh      the share of an address's (network's) requests that opened a session, orphan sessions of an
 *              address, a browser's first request that is not a GET
 *   errors     client errors of an established session, else of the address, and of the token, against the
 *              learned error rate
 *   methods    too few HEAD requests against the learned HEAD share
 *   aggregate  surges of new-session requests on the cell / route (vetoed when the crowd returns the cookie),
 *              failure surges on the path, surges of new addresses on a token's (token, client kind) cell: they
 *              flag what is new, never an established session
 *   tells      what the request's own headers say (tells.ts)
 */
import type { BotSignal } from '../pipeline/outcome.ts';
import { sessionOf } from '../pipeline/rate-limit.ts';
import type { RequestContext } from '../pipeline/request.ts';
import type { RuntimePolicy } from '../pipeline/runtime.ts';
import type { CounterBatchResult, CounterOp, DistinctOp } from '../store/counter-store.ts';
import { BucketCounterOp, bucketKeys, distinctPrefix } from '../store/keys.ts';
import { routeTemplate, type RouteShapes } from './route-shapes.ts';
import { describeThreshold, priorBaselines, ratio, type Baselines } from './baseline.ts';
import { binomialSurprise, overdispersedSurprise, poissonLowSurprise, poissonSurprise, ratioPoints, surprisePoints, type PValueCurve } from './evidence.ts';
import { claimsBrowser, clientAddress, isPageLoad, isSubresource, typedPageLoad, clientClass, clientFingerprint, clientKind, clientNetwork, ownCredential } from './fingerprint.ts';
import { automationUserAgent } from './tells.ts';
import type { ClaimAnswers } from './claim-answers.ts';
import { probeOf, type ProbeMemory } from './probes.ts';
import type { RecentKeys } from './recent-keys.ts';
import type { PopulationCache, PopulationMiss } from './population.ts';
import { DEFAULT_BOT_KNOBS, VOLUME_CLASSES, type BotKnobs, type VolumeClass } from './knobs.ts';
import { BOT_KEYS, bucketTtlMs, formKey, formLanderKey, refererRoute, unansweredKey, CALM_UNIT, LANDING_UNIT, NO_PAGE, PAGE_LANDING_UNIT, PAGE_UNIT, SESSION_PAGE_UNIT, CALL_UNIT, PrefixCache, cookieSession, decodeAddressAnswers, decodeAddressMethods, decodeSourceAnswers, decodeKept, decodeLanding, decodeLife, decodeNetworkNew, decodePathFailures, decodeRouteReturns, decodeSessionCounts, decodeSessionErrors, decodeWrites, firstCallParts, isWrite, learnedPerMinute, num, pathParts, rememberFamily, routeFamilyParts, routeParts, shortfall, sliding, tokenRouteParts } from './windows.ts';

/** The parts of a site-wide counter (one per policy). */
const NO_PARTS: readonly string[] = [];

/** Evidence families; the score sums the strongest signal of each. */
export type SignalFamily = 'volume' | 'fresh' | 'errors' | 'methods' | 'aggregate' | 'tells';

/** A scored signal: BotSignal with its family (and, for measured evidence, its value and threshold). */
export interface ScoredSignal extends BotSignal {
  family: SignalFamily;
}

/** What a request is to its session (see the module comment). */
export type SessionState = 'landing' | 'return' | 'orphan' | 'established' | 'new-pair' | 'established-pair' | 'anonymous';

/** Usage thresholds per minute derived from the policy's own limits (null: none applies). */
export interface Ceilings {
  ip: number | null;
  token: number | null;
}

const ceilingCache = new WeakMap<RuntimePolicy, Ceilings>();

/**
 * The tightest policy-wide (no methods, no paths) limit keyed only by clientIP (resp. consumer), as requests per
 * minute times `policyLimitFraction`: usage close to the policy's own limit is extreme for that policy.
 */
export function policyCeilings(policy: RuntimePolicy, knobs: BotKnobs = DEFAULT_BOT_KNOBS): Ceilings {
  const cached = knobs === DEFAULT_BOT_KNOBS ? ceilingCache.get(policy) : undefined;
  if (cached) return cached;
  const of = (kind: 'clientIP' | 'consumer'): number | null => {
    let best: number | null = null;
    for (const rl of policy.rateLimits) {
      if (rl.methods || rl.paths || rl.key.length !== 1 || rl.key[0]?.kind !== kind) continue;
      const perMinute = (rl.requests / rl.periodMs) * 60_000 * knobs.volume.policyLimitFraction;
      best = best === null ? perMinute : Math.min(best, perMinute);
    }
    return best;
  };
  const out = { ip: of('clientIP'), token: of('consumer') };
  if (knobs === DEFAULT_BOT_KNOBS) ceilingCache.set(policy, out);
  return out;
}

/** Counter op indices of one plan (-1: not planned). */
interface Slots {
  ipTick: number;
  ipLong: number;
  sessTick: number;
  sessMin: number;
  sessLong: number;
  srcTick: number;
  srcLong: number;
  srcMin: number;
  srcLife: number;
  netLong: number;
  netNew: number;
  netAll: number;
  netFreshAddrs: number;
  newLong: number;
  orphLong: number;
  keptLong: number;
  landing: number;
  landingLearned: number;
  returned: number;
  errAddr: number;
  probeAddr: number;
  errSrc: number;
  errSess: number;
  sessWrites: number;
  methodsIp: number;
  tokLong: number;
  errTok: number;
  tokAgg: number;
  tokBase: number;
  tokFreshAgg: number;
  tokFreshBase: number;
  tokCell: number;
  tokCellBase: number;
  tokCellAddrs: number;
  tokCellUsual: number;
  tokCellUsualBase: number;
  tokRoute: number;
  tokRouteBase: number;
  pairBase: number;
  pairRoute: number;
  routeFresh: number;
  routeFreshBase: number;
  /** The route's family (routeFamilyParts): fresh requests recent and learned; -1 where it is the route itself. */
  familyFresh: number;
  familyFreshBase: number;
  /** The family's landings and their returns, for a landing: the return deficit where the route has too few. */
  familyLand: number;
  familyRet: number;
  routeLand: number;
  /** A first call's page (Referer, or NO_PAGE) and route: sessions' first calls recent, landers' learned, and sessions' first calls after loading the page. */
  fcAgg: number;
  fcAggPage: number;
  fcBase: number;
  fcBasePage: number;
  fcBaseRoute: number;
  fcBaseAll: number;
  pcBase: number;
  pcBasePage: number;
  /** People's sessions' page loads of the page a first call came from (routePageBase of its route). */
  pcPageLoads: number;
  routeRet: number;
  routeReturnBase: number;
  routeSess: number;
  routePage: number;
  routeAnswers: number;
  routeAnswerPages: number;
  routeFail: number;
  routeFailBase: number;
  routeReq: number;
  routeRead: number;
  routeReadFail: number;
  routeWrite: number;
  routeSettled: number;
  cellFresh: number;
  cellFreshBase: number;
  classFresh: number;
  classFreshBase: number;
  novel: number;
  novelBase: number;
}

/** Who and what a request is, as the feed needs it to count and learn after the decision. */
export interface BotSubject {
  policyId: string;
  address: string;
  network: string;
  fingerprint: string;
  /** The client's class (browser family, header set, TLS fingerprint: see clientClass). */
  clientClass: string;
  /** Coarse client kind (user agent product, TLS fingerprint) of token requests ('' without a token). */
  kind: string;
  /** Session key parts ('' without one): the cookie/header session, or the (token, address) pair. */
  session: string;
  token: string | null;
  route: string[];
  /** Key parts of the route's family (routeFamilyParts), counted with the route's newcomers; null where none is counted. */
  family: string[] | null;
  /** Key parts of the token's route for its newcomers' counts (tokenRouteParts); [] without a token. */
  tokenRoute: string[];
  routeCode: number;
  method: string;
}

/** What the judge needs besides the results. */
export interface BotPlanContext {
  knobs: BotKnobs;
  nowMs: number;
  baselines: Baselines;
  subject: BotSubject;
  /** Route as shown in explanations. */
  routeLabel: string;
  /** Session state as far as it is known before the batch. */
  planned: 'landing' | 'session' | 'pair' | 'anonymous';
  browser: boolean;
  /** An anonymous client that is no browser whose user agent names an HTTP library, a tool or a crawler, or is missing (automationUserAgent). */
  toolAgent: boolean;
  /** The request is a page load (isPageLoad). */
  pageLoad: boolean;
  /** A page load typed in (typedPageLoad): reached by its address, not from a page. */
  typedPageLoad: boolean;
  /**
   * A page's subresource by its fetch metadata and its file (isSubresource): an image, a script, a style sheet, a font;
   * on a route whose upstream answers such claims with files (ClaimAnswers).
   */
  subresource: boolean;
  /** The policy's sessions are cookies (not a session header). */
  cookieSite: boolean;
  /** An anonymous browser on a cookie policy whose browsers were found not to return it: remembered as a landing. */
  unreturnedLanding: boolean;
  /** A landing counted as one (not the retry of a newcomer's request the upstream did not answer). */
  newLanding: boolean;
  /**
   * The request loads the form of a path whose tries are flagged for a failure surge, with the tries' points and the
   * form's route code (lander: a file of that page from an address that loaded it as a newcomer); where to remember
   * a newcomer's address that loads it. Null otherwise.
   */
  form: { points: number; code: number; lander: boolean; remember: RecentKeys } | null;
  /** The request asks for a scanner's target the upstream answered as missing (ProbeMemory.missing): a probe. */
  missingTarget: boolean;
  /**
   * A cookie session's call (no page load, no page's file): the route code of the site's page it came from (Referer),
   * NO_PAGE when it names none; -1 for any other request.
   */
  fromPage: number;
  /** Points the session's first call was held to for where it went (surge-first-call), while remembered; else 0. */
  heldFirstCall: number;
  /**
   * A session known established that this replica saw make no call yet since it began from an address that landed
   * recently: its first call's counters are planned.
   */
  uncalled: boolean;
  /** This replica's memory of sessions (BaselineBook.known): known ones, held first calls, sessions yet to call. */
  sessions: RecentKeys | undefined;
  /** The distinct op counting the networks of the request's own credential (ownCredential), and its header's name. */
  credential: { slot: number; header: string } | null;
  /** Signal names and families the policy leaves out of the score. */
  ignore: readonly string[];
  /** true: the session was known established when planned; else where to remember it once it is (or false). */
  known: true | RecentKeys | false;
  ceilings: Ceilings;
  s: Slots;
  /** Population counters taken from the replica's copy (slot CACHED_SLOT + i), and those read in the batch to keep. */
  cached: number[][];
  population: PopulationCache | null;
  misses: PopulationMiss[];
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

const PRIORS = priorBaselines();

/** Slots from CACHED_SLOT on are population counters taken from the replica's copy, not ops of the batch. */
const CACHED_SLOT = 1 << 24;

/** The key under which BaselineBook.known remembers a session whose first call was held (surge-first-call), with its points. */
function heldSessionKey(policyId: string, session: string): string {
  return `${policyId}\u0001${session}`;
}

/** The key under which BaselineBook.known remembers the failing share of a path's tries while they are stopped. */
function failingShareKey(policyId: string, routeCode: number): string {
  return `${policyId}\u0003${routeCode}`;
}

/** The key under which BaselineBook.known remembers a known session, begun lately, that has made no call yet. */
function uncalledSessionKey(policyId: string, session: string): string {
  return `${policyId}\u0002${session}`;
}

/** Signal name of each volume class (`volume-sess-tick`). */
const VOLUME_SIGNAL = Object.fromEntries(VOLUME_CLASSES.map((c) => [c, `volume-${c.replace('.', '-')}`])) as Record<VolumeClass, string>;

/** Plans the behavioural counters of one request. */
export function planBotCounters(
  policy: RuntimePolicy,
  req: RequestContext,
  consumer: string | null,
  nowMs: number,
  knobs: BotKnobs = DEFAULT_BOT_KNOBS,
  baselines: Baselines = knobs === DEFAULT_BOT_KNOBS ? PRIORS : priorBaselines(knobs),
  known_?: RecentKeys,
  population?: PopulationCache,
  routes?: RouteShapes,
  unanswered?: RecentKeys,
  attackedForms?: RecentKeys,
  probes?: ProbeMemory,
  fileClaims?: ClaimAnswers,
  navigationClaims?: ClaimAnswers,
): BotPlan {
  const B = knobs.buckets;
  const keys = new PrefixCache(policy.id);
  const address = clientAddress(req.clientIp, req.principal);
  const network = clientNetwork(req.clientIp);
  const tlsHeaders = policy.bot.fingerprintHeaders ?? knobs.tlsFingerprintHeaders;
  const fingerprint = clientFingerprint(req.headers, tlsHeaders);
  const kind = consumer ? clientKind(req.headers, tlsHeaders) : '';
  const cls = clientClass(req.headers, tlsHeaders);
  const template = routeTemplate(routes, policy.id, req.host, req.path);
  const route = routeParts(req.host, req.method, template);
  const routeCode = keys.code(route);
  const browser = claimsBrowser(req.headers);
  // A file claim on a route whose claims the upstream answered with data is a call (claim-answers.ts).
  const subresource = isSubresource(req.headers, req.path) && fileClaims?.honoured(policy.id, routeCode, nowMs) !== false;
  const token = consumer && consumer !== '' ? consumer : null;
  const cookie = sessionOf(policy, req);
  // A session's navigation to a route whose navigations the upstream answered with data is no page load
  // (claim-answers.ts): the judge's notAPage, known here before the counters are planned, so that it counts as the call
  // it is. A newcomer's stays a claimed one, for the rules on landings that read what the route serves.
  const pageLoad = isPageLoad(req.method, req.headers) && (cookie === '' || navigationClaims?.honoured(policy.id, routeCode, nowMs) !== false);
  const cookiePolicy = 'cookie' in policy.bot.session;
  const cookieSite = cookiePolicy && baselines.cookiesReturned !== false;
  let planned: BotPlanContext['planned'];
  let session = '';
  if (cookie !== '') {
    planned = 'session';
    session = cookieSession(cookie);
  } else if (token) {
    planned = 'pair';
    session = `t\u0000${token}\u0000${address}`;
  } else planned = cookieSite && browser ? 'landing' : 'anonymous';
  const outside = planned === 'landing' || planned === 'anonymous' ? 1 : 0;
  const landing = planned === 'landing' ? 1 : 0;
  // The retry of a newcomer's request the upstream did not answer (a reload while the site is down, a script's retry
  // after a 503) is the same visit: counted as the address's request, not as a new landing of its own or one of the
  // route's newcomers.
  const retry = outside === 1 && unanswered !== undefined && unanswered.size > 0 && unanswered.take(unansweredKey(policy.id, address, routeCode), nowMs);
  const newLanding = retry ? 0 : landing;
  const newcomer = retry ? 0 : outside;
  // The form of a path whose tries are flagged for a failure surge (the feed's attackedForms): a page load of it, or a
  // file of the page (its Referer) from an address that loaded it as a newcomer.
  let form: BotPlanContext['form'] = null;
  if (attackedForms !== undefined && attackedForms.size > 0 && (req.method === 'GET' || req.method === 'HEAD')) {
    if (pageLoad) {
      const points = attackedForms.valueOf(formKey(policy.id, routeCode), nowMs);
      if (points !== undefined) form = { points, code: routeCode, lander: false, remember: attackedForms };
    } else if (subresource) {
      const page = refererRoute(req.host, req.headers.get('referer'), (path) => routeTemplate(routes, policy.id, req.host, path));
      if (page !== null) {
        const code = keys.code(page);
        const points = attackedForms.valueOf(formLanderKey(policy.id, address, code), nowMs);
        if (points !== undefined) form = { points, code, lander: true, remember: attackedForms };
      }
    }
  }
  // A scanner's target this site answered as missing: a probe before its answer (read only while one is remembered).
  const target = probes === undefined || probes.empty ? null : probeOf(req);
  const missingTarget = target !== null && probes!.missing(policy.id, req.host, req.path, target, nowMs);
  // A session this replica saw established recently reads none of the counters that judge newcomers.
  const known = session !== '' && known_?.has(`${policy.id}\u0000${session}`, nowMs) === true;
  // A session whose first call was held for where it went (surge-first-call): its later requests carry those points.
  const heldFirstCall = session !== '' && known_ !== undefined && known_.size > 0 ? known_.valueOf(heldSessionKey(policy.id, session), nowMs) ?? 0 : 0;
  const fresh = !known;
  const cookieSessions = fresh && (planned === 'landing' || planned === 'session');
  // A browser without the cookie on a site taken for one whose browsers do not return it: judged as anonymous, but
  // remembered as a landing, so that a cookie coming back from its address is a return and the verdict can change.
  const unreturnedLanding = planned === 'anonymous' && browser && cookiePolicy;

  const counters: CounterOp[] = [];
  const count = (name: string, parts: readonly string[], bucketMs: number, buckets: number, incr: number) =>
    counters.push(keys.bucketOp(name, keys.hash(parts), nowMs, bucketMs, buckets, incr)) - 1;
  // Counters about a crowd (route, cell, class, token), not about this client: from the replica's copy when it has one.
  const cached: number[][] = [];
  const misses: PopulationMiss[] = [];
  // `synced`: the buckets the replica's copy keeps (read off the Check path), where a Check reading it in its batch needs
  // only the first `buckets`.
  const shared = (name: string, parts: readonly string[], bucketMs: number, buckets: number, incr: number, synced = buckets) => {
    if (!population) return count(name, parts, bucketMs, synced, incr);
    const partsHash = keys.hash(parts);
    const bucket = Math.floor(nowMs / bucketMs);
    const values = population.take(name, partsHash, bucket, incr, nowMs);
    if (values !== undefined) return CACHED_SLOT + cached.push(values) - 1;
    const index = counters.push(keys.bucketOp(name, partsHash, nowMs, bucketMs, buckets, incr)) - 1;
    misses.push(synced === buckets ? { name, partsHash, bucket, index } : { name, partsHash, bucket, index, syncOp: keys.bucketOp(name, partsHash, nowMs, bucketMs, synced, 0) });
    return index;
  };
  // One list per key, shared by its counters (their hash is computed once per Check).
  const addr = [address];
  const sess = [session];
  const src = [address, fingerprint];
  const net = [network];
  const path = pathParts(route);
  const family = known ? null : routeFamilyParts(route);
  if (family !== null) rememberFamily(routeCode, family);
  const cell = [...route, fingerprint];
  const klass = [cls];
  const routeKey = [String(routeCode)];
  const tok = token ? [token] : [];
  const tokCell = token ? [token, kind] : [];
  const tokRoute = token ? tokenRouteParts(token, kind, route) : [];
  // Whether the route is one people load pages on is read for the navigations that rules about new sessions judge:
  // landings, and requests of sessions this replica has not seen established.
  const navigated = pageLoad && (landing === 1 || (planned === 'session' && fresh));
  const pair = token ? [token, address] : [];
  // A cookie session's call: the code of the page of the site it came from (its Referer), or NO_PAGE, for what its
  // first calls are.
  const call = planned === 'session' && cookieSite && !pageLoad && !subresource;
  const callPage = call ? refererRoute(req.host, req.headers.get('referer'), (p) => routeTemplate(routes, policy.id, req.host, p)) : null;
  const fromPage = callPage !== null ? keys.code(callPage) : call ? NO_PAGE : -1;
  // Read by a session's first call from a page (a session not known yet, or one this replica knows has made none):
  // where sessions' first calls from that page usually go.
  const uncalled = known && planned === 'session' && known_!.has(uncalledSessionKey(policy.id, session), nowMs);
  const firstCall = fromPage >= 0 && (fresh || uncalled);
  const fcParts = firstCall ? firstCallParts(fromPage, routeCode) : null;
  // A cookie session's counters hold its page loads and its calls too (SESSION_PAGE_UNIT, CALL_UNIT on top of the
  // request); a token pair's only requests.
  const sessionIncrement = planned === 'session' && pageLoad ? SESSION_PAGE_UNIT + 1 : fromPage >= 0 ? CALL_UNIT + 1 : 1;
  const s: Slots = {
    // A page's files (by fetch metadata and file name) are not what a burst is counted in, by its address or its source:
    // a person who blocks cookies fetches a page's dozen within seconds, each outside a session. They count over the
    // long window.
    ipTick: count(BOT_KEYS.ipTick, addr, B.tickMs, 2, subresource ? 0 : 1),
    ipLong: count(BOT_KEYS.ipLong, addr, B.longMs, 2, 1),
    sessTick: session ? count(BOT_KEYS.sessTick, sess, B.tickMs, 2, 1) : -1,
    sessMin: session ? count(BOT_KEYS.sessMin, sess, B.minuteMs, 2, sessionIncrement) : -1,
    sessLong: session ? count(BOT_KEYS.sessLong, sess, B.longMs, 2, sessionIncrement) : -1,
    srcTick: planned === 'pair' || known ? -1 : count(BOT_KEYS.srcTick, src, B.tickMs, 2, subresource ? 0 : outside),
    srcLong: planned === 'pair' || known ? -1 : count(BOT_KEYS.srcLong, src, B.longMs, 2, outside),
    // Whether the source's sessions live past their first minute (knobs.fresh.oneShot): landings and new sessions.
    srcMin: cookieSessions ? count(BOT_KEYS.srcMin, src, B.minuteMs, 2, newcomer) : -1,
    srcLife: cookieSessions ? count(BOT_KEYS.srcLife, src, B.longMs, 2, 0) : -1,
    netLong: network && planned === 'anonymous' ? count(BOT_KEYS.netLong, net, B.longMs, 2, 1) : -1,
    // Also read for an anonymous request: what its network kept says whether its anonymous volume is one client's.
    netNew: network && (cookieSessions || planned === 'anonymous') ? count(BOT_KEYS.netNew, net, B.longMs, 2, newLanding) : -1,
    netAll: network ? count(BOT_KEYS.netAll, net, B.longMs, 2, 1) : -1,
    netFreshAddrs: network && cookieSessions ? count(BOT_KEYS.netFreshAddrs, net, B.tickMs, 2, 0) : -1,
    newLong: cookieSessions ? count(BOT_KEYS.newLong, addr, B.longMs, 2, newLanding) : -1,
    // Also read for a client that is no browser and has no session: what its address kept says whether it is one client.
    keptLong: cookieSessions || (planned === 'anonymous' && !browser) ? count(BOT_KEYS.keptLong, addr, B.longMs, 2, 0) : -1,
    orphLong: planned === 'session' && fresh ? count(BOT_KEYS.orphLong, addr, B.longMs, 2, 0) : -1,
    landing: cookieSessions || unreturnedLanding ? count(BOT_KEYS.landing, addr, knobs.sessions.landingMemoryMs, 2, newLanding || (unreturnedLanding && !retry) ? LANDING_UNIT + routeCode + (pageLoad ? PAGE_LANDING_UNIT : 0) : 0) : -1,
    landingLearned: planned === 'session' && fresh ? count(BOT_KEYS.landingLearned, addr, knobs.sessions.landingMemoryMs, 2, 0) : -1,
    returned: planned === 'session' && fresh ? count(BOT_KEYS.returned, addr, knobs.sessions.landingMemoryMs, 2, 0) : -1,
    errAddr: planned === 'session' && known ? -1 : count(BOT_KEYS.errAddr, addr, B.errorsMs, 2, 0),
    probeAddr: planned === 'session' && known && !missingTarget ? -1 : count(BOT_KEYS.probeAddr, addr, B.errorsMs, 2, 0),
    errSrc: planned === 'session' && known && !missingTarget ? -1 : count(BOT_KEYS.errSrc, src, B.errorsMs, 2, 0),
    errSess: planned === 'session' ? count(BOT_KEYS.errSess, sess, B.longMs, 2, 0) : -1,
    // Only a write reads its session's writes (a failure surge is held against the tries on its path).
    sessWrites: planned === 'session' && isWrite(req.method) ? count(BOT_KEYS.sessWrites, sess, B.longMs, 2, 1) : -1,
    methodsIp: count(BOT_KEYS.methodsIp, addr, B.longMs, 2, (req.method === 'HEAD' ? 1 : 0) + (pageLoad ? PAGE_UNIT : 0)),
    tokLong: token ? count(BOT_KEYS.tokLong, tok, B.longMs, 2, 1) : -1,
    errTok: token ? count(BOT_KEYS.errTok, tok, B.longMs, 2, 0) : -1,
    tokAgg: token ? shared(BOT_KEYS.tokAgg, tok, B.aggregateMs, 3, 1) : -1,
    tokBase: token && fresh ? shared(BOT_KEYS.tokBase, tok, B.baselineMs, 2, 0) : -1,
    tokFreshAgg: token && fresh ? shared(BOT_KEYS.tokFreshAgg, tok, B.aggregateMs, 3, 0) : -1,
    tokFreshBase: token && fresh ? shared(BOT_KEYS.tokFreshBase, tok, B.baselineMs, 2, 0) : -1,
    tokCell: token && fresh ? shared(BOT_KEYS.tokCellAgg, tokCell, B.aggregateMs, 3, 0) : -1,
    tokCellBase: token && fresh ? shared(BOT_KEYS.tokCellBase, tokCell, B.baselineMs, 2, 0) : -1,
    tokCellAddrs: token && fresh ? shared(BOT_KEYS.tokCellAddrs, tokCell, B.longMs, 2, 0) : -1,
    tokCellUsual: token && fresh ? shared(BOT_KEYS.tokCellUsualAgg, tokCell, B.aggregateMs, 3, 0) : -1,
    tokCellUsualBase: token && fresh ? shared(BOT_KEYS.tokCellUsualBase, tokCell, B.baselineMs, 2, 0) : -1,
    tokRoute: token && fresh ? shared(BOT_KEYS.tokRouteAgg, tokRoute, B.aggregateMs, 3, 0) : -1,
    tokRouteBase: token && fresh ? shared(BOT_KEYS.tokRouteBase, tokRoute, B.baselineMs, 2, 0) : -1,
    pairBase: token && fresh ? count(BOT_KEYS.pairBase, pair, B.baselineMs, 2, 0) : -1,
    pairRoute: token && fresh && planned === 'pair' ? count(BOT_KEYS.pairRoute, [address, ...tokRoute], B.longMs, 2, 1) : -1,
    routeFresh: known ? -1 : shared(BOT_KEYS.routeFreshAgg, route, B.aggregateMs, 3, newcomer),
    routeFreshBase: known ? -1 : shared(BOT_KEYS.routeFreshBase, route, B.baselineMs, 2, 0),
    familyFresh: family ? shared(BOT_KEYS.familyFreshAgg, family, B.aggregateMs, 3, newcomer) : -1,
    familyFreshBase: family ? shared(BOT_KEYS.familyFreshBase, family, B.baselineMs, 2, 0) : -1,
    familyLand: landing && family ? shared(BOT_KEYS.familyLandAgg, family, B.aggregateMs, 4, newLanding) : -1,
    familyRet: landing && family ? shared(BOT_KEYS.familyRetAgg, family, B.aggregateMs, 3, 0) : -1,
    fcAgg: fcParts ? shared(BOT_KEYS.firstCallAgg, fcParts.pageRoute, B.aggregateMs, 3, 0) : -1,
    fcAggPage: fcParts ? shared(BOT_KEYS.firstCallAgg, fcParts.page, B.aggregateMs, 3, 0) : -1,
    fcBase: fcParts ? shared(BOT_KEYS.firstCallBase, fcParts.pageRoute, B.baselineMs, 2, 0) : -1,
    fcBasePage: fcParts ? shared(BOT_KEYS.firstCallBase, fcParts.page, B.baselineMs, 2, 0) : -1,
    fcBaseRoute: fcParts ? shared(BOT_KEYS.firstCallBase, fcParts.route, B.baselineMs, 2, 0) : -1,
    fcBaseAll: fcParts ? shared(BOT_KEYS.firstCallBase, fcParts.all, B.baselineMs, 2, 0) : -1,
    // What sessions call first after loading a page: no page is loaded as NO_PAGE.
    pcBase: fcParts && fromPage !== NO_PAGE ? shared(BOT_KEYS.pageCallBase, fcParts.pageRoute, B.baselineMs, 2, 0) : -1,
    pcBasePage: fcParts && fromPage !== NO_PAGE ? shared(BOT_KEYS.pageCallBase, fcParts.page, B.baselineMs, 2, 0) : -1,
    // How often people's sessions load that page: one they load and hardly call from is learned as such.
    pcPageLoads: fcParts && fromPage !== NO_PAGE ? shared(BOT_KEYS.routePageBase, [String(fromPage)], B.baselineMs, 2, 0) : -1,
    routeLand: landing ? shared(BOT_KEYS.routeLandAgg, routeKey, B.aggregateMs, 4, newLanding) : -1,
    routeRet: landing ? shared(BOT_KEYS.routeRetAgg, routeKey, B.aggregateMs, 3, 0) : -1,
    // Its older hours (the best one is read against the last) come with the replica's copy only.
    routeReturnBase: landing ? shared(BOT_KEYS.routeReturnBase, routeKey, B.baselineMs, 2, 0, knobs.learning.buckets) : -1,
    routeSess: navigated ? shared(BOT_KEYS.routeSessBase, routeKey, B.baselineMs, 2, 0) : -1,
    routePage: navigated ? shared(BOT_KEYS.routePageBase, routeKey, B.baselineMs, 2, 0) : -1,
    routeAnswers: navigated ? shared(BOT_KEYS.routeAnswerBase, routeKey, B.baselineMs, 2, 0) : -1,
    routeAnswerPages: navigated ? shared(BOT_KEYS.routeAnswerPageBase, routeKey, B.baselineMs, 2, 0) : -1,
    routeFail: shared(BOT_KEYS.routeFailAgg, path, B.aggregateMs, 3, 0),
    routeFailBase: shared(BOT_KEYS.routeFailBase, path, B.baselineMs, 2, 0),
    routeReq: shared(BOT_KEYS.routeReqAgg, path, B.aggregateMs, 3, 0),
    // Read once warm: a read's failures expected at the failing share of settled sessions' reads of the path.
    routeRead: baselines.warm ? shared(BOT_KEYS.routeReadBase, path, B.baselineMs, 2, 0) : -1,
    routeReadFail: baselines.warm ? shared(BOT_KEYS.routeReadFailBase, path, B.baselineMs, 2, 0) : -1,
    // Read for the young policy's failure cap, by a write for its path's failing share of writes, and once warm for
    // the reads among what reached the path.
    routeWrite: shared(BOT_KEYS.routeWriteAgg, path, B.aggregateMs, 3, 0),
    routeSettled: baselines.warm ? -1 : shared(BOT_KEYS.routeSettledAgg, path, B.aggregateMs, 3, 0),
    cellFresh: planned === 'pair' || known ? -1 : shared(BOT_KEYS.cellFreshAgg, cell, B.aggregateMs, 3, newcomer),
    cellFreshBase: planned === 'pair' || known ? -1 : shared(BOT_KEYS.cellFreshBase, cell, B.baselineMs, 2, 0),
    classFresh: planned === 'pair' || known ? -1 : shared(BOT_KEYS.classFreshAgg, klass, B.aggregateMs, 3, newcomer),
    classFreshBase: planned === 'pair' || known ? -1 : shared(BOT_KEYS.classFreshBase, klass, B.baselineMs, 2, 0),
    novel: planned === 'pair' || known ? -1 : shared(BOT_KEYS.popNovelAgg, NO_PARTS, B.aggregateMs, 3, 0),
    novelBase: planned === 'pair' || known ? -1 : shared(BOT_KEYS.popNovelBase, NO_PARTS, B.baselineMs, 2, 0),
  };
  // One user's own credential is counted by the networks it comes from. Not a workload's (an mTLS principal: a
  // service's replicas share one token across the cluster's node networks), and not without a network to count.
  const distinct: DistinctOp[] = [];
  let credential: BotPlanContext['credential'] = null;
  const own = req.principal === '' && network !== '' ? ownCredential(req.headers, policy.apiKeys?.header ?? null) : null;
  if (own !== null) {
    const credentialKeys = bucketKeys(distinctPrefix(policy.id, BOT_KEYS.credNets, [own.header, own.value]), nowMs, B.longMs, 2);
    credential = { slot: distinct.push({ key: credentialKeys[0]!, member: network, ttlMs: bucketTtlMs(B.longMs, 2), countKeys: credentialKeys }) - 1, header: own.header };
  }
  return {
    counters,
    distinct,
    ctx: {
      knobs,
      nowMs,
      baselines,
      subject: { policyId: policy.id, address, network, fingerprint, clientClass: cls, kind, session, token, route, family, tokenRoute: tokRoute, routeCode, method: req.method },
      routeLabel: `${req.method} ${template}`,
      planned,
      known: known ? true : known_ ?? false,
      browser,
      // Read only where it decides (an anonymous client that is no browser): the user agent's pattern is long.
      toolAgent: planned === 'anonymous' && !browser && automationUserAgent(req.headers.get('user-agent') ?? ''),
      pageLoad,
      typedPageLoad: pageLoad && typedPageLoad(req.headers),
      subresource,
      cookieSite: cookiePolicy,
      unreturnedLanding,
      newLanding: newLanding === 1,
      form,
      missingTarget,
      fromPage,
      heldFirstCall,
      uncalled,
      sessions: known_,
      credential,
      ignore: policy.bot.ignoreSignals,
      ceilings: policyCeilings(policy, knobs),
      s,
      cached,
      population: population ?? null,
      misses,
    },
  };
}

// ---- judging ---------------------------------------------------------------------------------------------------

/** A volume class's count as the feed needs it for the histogram: the current bucket before and after this request. */
export interface VolumeObservation {
  cls: VolumeClass;
  /** The current bucket's value as read (after the in-batch increment, if any). */
  value: number;
  /** What the feed still adds to it (orphans are counted after the batch). */
  pending: number;
  /** The in-batch increment (0 when read only). */
  incr: number;
}

/** What the feed learns from one judged request (attached to the assessment, never logged). */
export interface BotObservations {
  subject: BotSubject;
  state: SessionState;
  /** Route code of the landing this return came back from, when known. */
  returnedTo: number | null;
  /** For a return: the share of its address's recent landings that were learned from (the return is learned as often). */
  landingsLearned: number;
  /** For a return: the share of its address's recent landings that were learned from and made outside any surge. */
  calmLearned: number;
  /** The session came back a second time after an orphan start. */
  orphanContinued: boolean;
  /** A landing that is not a page load, from an address with no other landing in the landing memory, or none that was a page load. */
  pagelessLanding: boolean;
  /** A landing whose headers claim a page load on a route where people's sessions hardly ever load pages (counted as one in the landing memory; the feed takes that back). */
  dressedLanding: boolean;
  fresh: boolean;
  /** An established session that failed at least half of its requests so far (or one in five, and minErrors): none of it is what the address kept (feed.ts). */
  failing: boolean;
  /**
   * A read of a settled session: on a young policy counted with its path's failures (knobs.surge.maxFailingShare),
   * and learned with them into the path's usual failing share of people's reads (feed.ts).
   */
  settled: boolean;
  /** A new-session request that is its address's first request in the current tick bucket (counted per network, feed.ts). */
  addressFirst: boolean;
  /** A new token pair nothing was learned of yet (what the token's rate of new addresses counts and learns). */
  unlearnedPair: boolean;
  /** Such a pair's first request in its current long bucket: one more address of the token's crowd (feed.ts). */
  pairFirst: boolean;
  /** Its route is one where newcomers of its (token, kind) cell are usual (what the cell's usual-route count holds). */
  usualTokenRoute: boolean;
  /** Its own credential came from minNetworks networks or more (credential-spread): held, left out of the token's crowd counts. */
  credentialSpread: boolean;
  /** Its source's own volume signal fired: its fresh traffic is taken out of the route's and cell's counts. */
  explained: boolean;
  /** A new-session request in a route x fingerprint cell nothing was learned of, and thin (what surge-novel counts). */
  novel: boolean;
  /**
   * A landing in a significant surge of newcomers on its route or cell, whatever the gates made of it: how what
   * comes back from it is engaged is a crowd's or a campaign's, not the people's usual.
   */
  surged: boolean;
  /** An anonymous browser's request remembered as a landing (BotPlanContext.unreturnedLanding): learned as one. */
  unreturnedLanding: boolean;
  /**
   * A landing from an address that landed before in the landing memory (a person blocking cookies lands with every
   * request, people behind one NAT land in turn): the site's recent landings count an address's first one only, as
   * its learned ratio nearly does (such a person's landings soon stop passing clean). A route's landings count every
   * page load: a crowd of a few addresses loading pages without ever keeping the cookie is caught by them (its
   * page's own calls do not count there: pageCallLanding).
   */
  repeatLanding: boolean;
  /** A repeat landing that is no page load, from an address that loaded a page in its landing memory: the page's own call. */
  pageCallLanding: boolean;
  head: boolean;
  /** A page load (see isPageLoad). */
  page: boolean;
  /** A page's file (see isSubresource): not counted in its source's burst window. */
  subresource: boolean;
  volume: VolumeObservation[];
  /** How much of this request a token's rates and its route's newcomers may learn (knobs.surge.learningCap): 1, or less in their surge. */
  learnShares: LearnShares;
  /** The policy is not warm yet (Baselines.warm): what its route's newcomers teach is held back a while (feed.ts). */
  young: boolean;
  /**
   * A cookie session's first request in a minute bucket once it is a minute old or more, where no such minute of it was
   * counted in the long window: the session lived on (counted once in its source's srcLife, feed.ts).
   */
  agedMinute: boolean;
  /** The request was judged a probe before its answer (BotPlanContext.missingTarget): counted for its address if stopped. */
  missingTarget: boolean;
  /**
   * The address's probes were answered in the errors window: a scanner's target it asks for next, if stopped, counts as
   * one (a scanner stopped for its probes keeps probing; its stops must not let its count fade).
   */
  addressProbed: boolean;
  /** A session's first call (BotPlanContext.fromPage: the page it came from, or none): counted per page and route. */
  firstCall: boolean;
  /** A cookie session's call: the route code of the page it came from, NO_PAGE (BotPlanContext.fromPage); else -1. */
  fromPage: number;
}

/**
 * Per learned crowd rate, the share of a request it learns: a token's (all its requests, from new addresses, per client
 * kind), and the newcomers' (the route's, the cell's, the client class's and the site's, all at one share so that
 * their ratios hold).
 */
export interface LearnShares {
  token: number;
  tokenFresh: number;
  tokenCell: number;
  tokenRoute: number;
  fresh: number;
  /** The route family's newcomers (familyFreshBase), as `fresh`. */
  familyFresh: number;
  /** A session's first call (firstCallBase, pageCallBase): learned in full up to learningCap times the usual rate. */
  firstCall: number;
}

/** The judged behaviour of one request. */
export interface BehaviourJudgement {
  signals: ScoredSignal[];
  observations: BotObservations | null;
}

/** Sum of the values of the given buckets (indices) of an aggregate counter. */
function sumOf(values: readonly number[], from: number, to: number): number {
  let s = 0;
  for (let i = from; i <= to && i < values.length; i++) s += values[i] ?? 0;
  return s;
}

/** A ~one-minute recent count from [current, previous, before] aggregate buckets of aggregateMs (30 s). */
function recentMinute(values: readonly number[], nowMs: number, bucketMs: number): number {
  const f = (((nowMs % bucketMs) + bucketMs) % bucketMs) / bucketMs;
  return (values[0] ?? 0) + (values[1] ?? 0) + (values[2] ?? 0) * (1 - f);
}

/**
 * A surge of an aggregate: `recent` in the last minute against `expectedPerMinute` learned (x slack, at least
 * the floor). Returns the over-normal share of the recent count (0 when it is no significant surge: a Poisson tail
 * above 10^-minSurprise).
 *
 * With `historyMinutes` (a policy not yet warm: the rate was learned from that many minutes only) the rate itself is
 * uncertain, so the test is the conditional one of two Poisson counts: given the minute's count and the history's,
 * the minute's share of them is binomial, at most slack / (slack + historyMinutes) when the minute's rate is at most
 * slack times the history's. A few minutes of history then tell a crowd tens of times the usual rate, not a
 * person's ordinary clumping; as the history grows the test tends to the Poisson one.
 */
export function surgeShare(recent: number, expectedPerMinute: number, floorPerMinute: number, knobs: BotKnobs = DEFAULT_BOT_KNOBS, minSurprise = knobs.surge.minSurprise, historyMinutes?: number): { share: number; expected: number; surprise: number } {
  const g = knobs.surge;
  const rate = Math.max(floorPerMinute, expectedPerMinute);
  const expected = rate * g.slack;
  if (recent < g.minRecent || recent <= expected) return { share: 0, expected, surprise: 0 };
  const surprise = historyMinutes === undefined ? poissonSurprise(recent, expected) : binomialSurprise(recent, recent + rate * historyMinutes, g.slack / (g.slack + historyMinutes));
  if (surprise < minSurprise) return { share: 0, expected, surprise };
  // The slack guards the surge's significance; the share of the recent count that is the surge's is measured
  // against the usual rate itself (a crowd 16 times the usual is 94% of what arrives).
  return { share: 1 - rate / recent, expected, surprise };
}

/** Where `d` lies in the band low..high, 0 below it and 1 above. */
function within(d: number, low: number, high: number): number {
  return Math.max(0, Math.min(1, (d - low) / (high - low)));
}

/** Points of an aggregate signal for a bot probability p: `base` at minShare, `perBit` more per halving of 1 - p. */
export function aggregatePoints(p: number, knobs: BotKnobs = DEFAULT_BOT_KNOBS, curve: { base: number; perBit: number; max: number } = knobs.surge): number {
  const g = knobs.surge;
  if (!(p >= g.minShare)) return 0;
  return Math.round(Math.min(curve.max, curve.base + curve.perBit * Math.log2((1 - g.minShare) / Math.max(1e-6, 1 - p))));
}

/**
 * How much likelier a token pair's calls are from the app's newcomers of its kind than from the crowd surging in its
 * cell, as the ratio P(calls | crowd) / P(calls | newcomers), capped at 1: each of the pair's `onRoute` calls (of its
 * `calls` in the long window) on the judged route is drawn with the crowd's share of the cell's recent calls there
 * (`crowdShare`) or the newcomers' learned share (`usualShare`), each of its other calls with the rest; the ratio is
 * counted from `minEvidence` to 1 on. A crowd whose calls spread as the newcomers' do gets 1 (held as the cell); one
 * that copies that spread pays with calls off its target, which a crowd on its route alone does not make.
 */
export function pairMixRatio(onRoute: number, calls: number, crowdShare: number, usualShare: number, minEvidence = 20): number {
  const clamp = (x: number) => Math.min(0.95, Math.max(0.05, x));
  const q = clamp(crowdShare);
  const u = clamp(usualShare);
  // A crowd no more concentrated on the route than the newcomers are learned to be: a pair whose calls keep to the
  // route would read as a user, and the newcomers' share is what a crowd can teach beforehand (calls from new
  // addresses that scored nothing yet), which the crowd's share now cannot undo. A user reaches the route among the
  // app's other calls, so there is nothing to tell them by.
  if (q <= u) return 1;
  const on = Math.min(onRoute, calls);
  // Only evidence beyond `minEvidence` to 1 counts: a crowd whose calls spread about as the newcomers' do draws ratios
  // either side of 1 by chance, the more calls the wider.
  const log = on * Math.log(q / u) + (calls - on) * Math.log((1 - q) / (1 - u)) + Math.log(minEvidence);
  return log >= 0 ? 1 : Math.exp(log);
}

/** A share held for a crowd, as odds, times a likelihood ratio (Bayes' rule). */
export function discountShare(share: number, ratio: number): number {
  if (ratio >= 1) return share;
  const p = Math.min(share, 0.999);
  const odds = (p / (1 - p)) * ratio;
  return odds / (1 + odds);
}

/** Keeps the strongest signal of each family at its points and sets the others to 0 (they stay explained). */
export function strongestPerFamily(signals: ScoredSignal[]): ScoredSignal[] {
  const best = new Map<SignalFamily, ScoredSignal>();
  for (const s of signals) {
    if (s.family === 'tells') continue;
    const b = best.get(s.family);
    if (!b || s.score > b.score) best.set(s.family, s);
  }
  return signals.map((s) => (s.family === 'tells' || best.get(s.family) === s ? s : { ...s, score: 0 }));
}

/**
 * Adds this replica's increments not yet written to the counters the feed writes after a decision that a Check reads
 * back (an address's returns, its clean kept traffic, and its network's): written once a second, they would let a burst's first
 * second be judged without them. Also its learned landings: a page's first call with the cookie comes within that
 * second, and a return that finds its landing not yet learned is not learned either (the usual return ratios, the
 * site's and each route's, read a fraction of people's returns, and a crowd that never comes back hid behind them).
 */
export function addPendingCounts(plan: BotPlan, counters: CounterBatchResult['counters'], pending: (counter: string, parts: string, bucket: number) => number): void {
  const s = plan.ctx?.s;
  if (!s) return;
  for (const slot of [s.returned, s.landingLearned, s.keptLong, s.netNew, s.netFreshAddrs, s.probeAddr, s.errSrc]) {
    const op = slot >= 0 ? plan.counters[slot] : undefined;
    const values = slot >= 0 ? counters[slot] : undefined;
    if (!(op instanceof BucketCounterOp) || !values) continue;
    const extra = pending(op.counter, op.parts, op.bucket);
    if (extra !== 0) values[0] = (values[0] ?? 0) + extra;
  }
}

/** Turns the results of the planned ops into signals and observations. */
export function judgeBehaviour(plan: BotPlan, counters: CounterBatchResult['counters'], distinct: CounterBatchResult['distinct'] = []): BehaviourJudgement {
  const ctx = plan.ctx;
  if (!ctx) return { signals: [], observations: null };
  const { s, knobs, nowMs, baselines: base, subject } = ctx;
  const B = knobs.buckets;
  for (const m of ctx.misses) {
    const values = counters[m.index];
    const op = plan.counters[m.index];
    if (values && op) ctx.population?.fill(m.name, m.partsHash, m.bucket, m.syncOp ?? op, values, nowMs);
  }
  const C = (i: number): number[] => (i >= CACHED_SLOT ? (ctx.cached[i - CACHED_SLOT] ?? []) : i >= 0 ? (counters[i] ?? []) : []);
  const tick = (i: number) => sliding(C(i), nowMs, B.tickMs);
  // A cookie session's counters hold its page loads and calls too (SESSION_PAGE_UNIT); a token pair's only requests.
  const sessionMinute = decodeSessionCounts(C(s.sessMin));
  const sessionLong = decodeSessionCounts(C(s.sessLong));
  const sessionRequests = sliding(sessionLong.requests, nowMs, B.longMs);
  const long = (i: number) => sliding(C(i), nowMs, B.longMs);
  const signals: ScoredSignal[] = [];
  /** Adds a signal that scored; its explanation is only written then. */
  const add = (family: SignalFamily, name: string, score: number, value: number, threshold: number, detail: () => string) => {
    if (score > 0) signals.push({ name, family, score, value: Math.round(value * 100) / 100, threshold: Math.round(threshold * 100) / 100, detail: detail() });
  };

  // A navigation to a route where people's sessions hardly ever load pages (an API route) is no page load either: a
  // crowd that dresses its first call as a browser's visit. Until enough of people's requests there were learned,
  // a navigation counts as one (see quietRoute below). What people's sessions do there is learned from requests, which
  // a crowd can dress too (its returns, as navigations, would teach an API route that people load pages there); what
  // the upstream answers a navigation there with (the access log's content types, when the proxy logs them) is not
  // the client's to choose: once enough such answers were learned, they alone say whether the route is a page (a
  // route that answers navigations with data is none, however its requests were dressed; one that answers them with
  // pages is one, however many of its requests are a page's own calls for data).
  const routeSessions = s.routeSess >= 0 ? sliding(C(s.routeSess), nowMs, B.baselineMs) : 0;
  const routePages = s.routePage >= 0 ? sliding(C(s.routePage), nowMs, B.baselineMs) : 0;
  const routeAnswers = s.routeAnswers >= 0 ? sliding(C(s.routeAnswers), nowMs, B.baselineMs) : 0;
  const routeAnswerPages = s.routeAnswerPages >= 0 ? sliding(C(s.routeAnswerPages), nowMs, B.baselineMs) : 0;
  const answered = routeAnswers >= knobs.sessions.pageRouteMinRequests;
  const servesData = answered && routeAnswerPages < knobs.sessions.pageRouteMinShare * routeAnswers;
  const notAPage = answered ? servesData : routeSessions >= knobs.sessions.pageRouteMinRequests && routePages < knobs.sessions.pageRouteMinShare * routeSessions;
  // A navigation there counts as no page load, for a landing and for a session's calls alike.
  const pageHere = ctx.pageLoad && !notAPage;

  // ---- session state
  let state: SessionState;
  let returnedTo: number | null = null;
  let landingsLearned = 0;
  let calmLearned = 0;
  let orphanContinued = false;
  // The first or second request with the cookie of a session that landed from this address.
  let youngReturn = false;
  // A session that landed once from this address, nothing of it older than the long window, calling the route it
  // landed on without a page load: one of its first knobs.sessions.pagelessRequests requests with the cookie.
  let pagelessCalls = false;
  // A session not known to the replica from an address that landed lately (the landing memory): one begun lately, or
  // one of a NAT's where others landed.
  let landedHere = false;
  // Both only where people rarely begin a visit without a page load (headers that tell one, learned).
  const pagelessRule = base.pagelessLandingShare <= knobs.sessions.pagelessMaxShare;
  let unlearnedPair = false;
  /** A new-session request that is its address's first request in the current tick bucket (what the network's count of addresses counts). */
  let addressFirst = false;
  if (ctx.known === true) state = ctx.planned === 'pair' ? 'established-pair' : 'established';
  else if (ctx.planned === 'session') {
    const [cur = 0, prev = 0] = sessionLong.requests;
    const land = decodeLanding(sumOf(C(s.landing), 0, 1));
    if (cur === 1 && prev === 0) {
      // A landing is given one cookie (two, where the site renews it at a login): cookies never seen beyond that, from
      // an address that landed once, are made up, one per request, so that no session ever adds up.
      const returned = s.returned >= 0 ? sumOf(C(s.returned), 0, 1) : 0;
      state = land.landings > 0 && returned < knobs.sessions.returnsPerLanding * land.landings + knobs.sessions.returnsPerLanding ? 'return' : 'orphan';
      if (state === 'return') {
        youngReturn = true;
        returnedTo = land.code;
        const learned = sumOf(C(s.landingLearned), 0, 1);
        landingsLearned = Math.min(1, (learned % CALM_UNIT) / land.landings);
        calmLearned = Math.min(1, Math.floor(learned / CALM_UNIT) / land.landings);
      }
    } else {
      state = 'established';
      landedHere = land.landings > 0;
      orphanContinued = cur === 2 && prev === 0 && land.landings === 0;
      youngReturn = cur === 2 && prev === 0 && land.landings > 0;
    }
    // The route it landed on, or any route when every landing from the address lately was without a page load (a
    // crowd landing twice or more before it keeps the cookie, as a person blocking cookies lands every time).
    pagelessCalls = pagelessRule && !pageHere && prev === 0 && cur <= knobs.sessions.pagelessRequests && (land.code === subject.routeCode || (land.landings > 1 && land.pages <= 0));
  } else if (ctx.planned === 'pair') {
    // A pair is established by what was learned of it before its recent traffic: learned requests that its
    // requests of the long window cannot account for. A pair whose whole history is recent (a crowd's addresses
    // that started before their surge was significant, and were learned then) is still new to the token.
    const learnedPair = sumOf(C(s.pairBase), 0, 1);
    state = learnedPair >= Math.max(1, sumOf(sessionLong.requests, 0, 1)) ? 'established-pair' : 'new-pair';
    unlearnedPair = learnedPair === 0;
  }
  else state = ctx.planned;
  const fresh = state === 'landing' || state === 'orphan' || state === 'anonymous';
  const outsideSession = fresh || state === 'new-pair';
  const newToSession = state === 'landing' || state === 'orphan';

  // ---- volume
  const volume: VolumeObservation[] = [];
  const learnOnly = (cls: VolumeClass, slot: number, incr: number) => {
    if (slot >= 0) volume.push({ cls, value: C(slot)[0] ?? 0, pending: 0, incr });
  };
  const vol = (cls: VolumeClass, slot: number, windowValue: number, what: string, cap: number | null, incr: number, pending = 0, noun = 'requests', current = C(slot)[0] ?? 0, scale = 1, scaleNote = '') => {
    if (slot < 0) return;
    volume.push({ cls, value: current, pending, incr });
    const learned = base.volume[cls];
    const threshold = cap !== null && cap < learned.value ? cap : learned.value;
    const v = windowValue + pending;
    const points = Math.round(ratioPoints(v, threshold, knobs.volume.curve) * scale);
    const basis = () => (threshold === learned.value ? describeThreshold(learned, knobs, cls) : `${num(threshold)}, ${Math.round(knobs.volume.policyLimitFraction * 100)}% of the policy's own limit`);
    add('volume', VOLUME_SIGNAL[cls], points, v, threshold, () => `${num(v)} ${noun} ${what} (threshold ${basis()})${scaleNote}`);
  };
  const tickWindow = `in ${B.tickMs / 1000}s`;
  const longWindow = `in ${B.longMs / 60_000}m`;
  const ipCap = (perMinute: number | null, windowMs: number) => (perMinute === null ? null : (perMinute * windowMs) / 60_000);
  // All requests of an address are learned (the population of the classes below), never judged: an address
  // may be a NAT of thousands.
  learnOnly('ip.tick', s.ipTick, ctx.subresource ? 0 : 1);
  learnOnly('ip.long', s.ipLong, 1);
  if (s.sessTick >= 0) {
    // A session at the policy's own per-IP (per-consumer for token clients) limit is extreme for this policy.
    const pair = ctx.planned === 'pair';
    const cap = pair ? (ctx.ceilings.token ?? ctx.ceilings.ip) : ctx.ceilings.ip;
    const what = pair ? 'with this token from this address' : 'in this session';
    vol(pair ? 'pair.tick' : 'sess.tick', s.sessTick, tick(s.sessTick), `${what} ${tickWindow}`, ipCap(cap, B.tickMs), 1);
    vol(pair ? 'pair.min' : 'sess.min', s.sessMin, sliding(sessionMinute.requests, nowMs, B.minuteMs), `${what} in 1m`, ipCap(cap, B.minuteMs), 1, 0, 'requests', sessionMinute.requests[0] ?? 0);
    vol(pair ? 'pair.long' : 'sess.long', s.sessLong, sessionRequests, `${what} ${longWindow}`, ipCap(cap, B.longMs), 1, 0, 'requests', sessionLong.requests[0] ?? 0);
    // Judged on every request of the session (a crawler's own API calls too), counted on its page loads.
    if (!pair) {
      vol('sess.pages', s.sessMin, sliding(sessionMinute.pages, nowMs, B.minuteMs), `${what} in 1m`, ipCap(cap, B.minuteMs), ctx.pageLoad ? 1 : 0, 0, 'page loads', sessionMinute.pages[0] ?? 0);
      // A person may click through a dozen pages in a minute, not keep it up: a crawler that renders every page (its
      // API calls and images too, as a person's) at a pace under that minute's threshold shows in its pages over
      // the long window, where a person's reading adds up to far fewer.
      vol('sess.pages-long', s.sessLong, sliding(sessionLong.pages, nowMs, B.longMs), `${what} ${longWindow}`, ipCap(cap, B.longMs), ctx.pageLoad ? 1 : 0, 0, 'page loads', sessionLong.pages[0] ?? 0);
    }
  }
  if (fresh) {
    // Orphans are counted after the batch (their state is known only now): judge them as counted.
    const pending = state === 'orphan' ? 1 : 0;
    const incr = pending ? 0 : 1;
    // A page's files are not counted in the tick window (see ipTick).
    const tickPending = ctx.subresource ? 0 : pending;
    vol('src.tick', s.srcTick, tick(s.srcTick), `outside an established session from this address and client fingerprint ${tickWindow}`, null, ctx.subresource ? 0 : incr, tickPending);
    vol('src.long', s.srcLong, long(s.srcLong), `outside an established session from this address and client fingerprint ${longWindow}`, null, incr, pending);
  }
  // The share of a client's requests that came in kept sessions (or with tokens), read as people behind its address or
  // network: none at 0, fully from a fifth on. `opened`: the requests that did not.
  const mixture = (opened: number, requests: number) => Math.max(0, Math.min(1, (1 - opened / Math.max(1, requests)) / 0.2));
  const networkNew = s.netNew >= 0 ? decodeNetworkNew(C(s.netNew)) : null;
  /** The network's requests in the long window, and those of them in kept sessions that passed or with tokens. */
  const networkKept = () => {
    const all = Math.max(1, long(s.netAll));
    return { all, kept: networkNew ? Math.min(all, sliding(networkNew.kept, nowMs, B.longMs)) : 0 };
  };
  // Anonymous clients (no session to keep, no token) rotating addresses within a network: as far as nobody in the
  // network keeps a session or calls with a token (fully where none of its recent requests did, not at all where a
  // fifth did). A carrier's /48 holds many phones, each on a /64 of its own: an app's users there fetch its images
  // without a session or the key, and call its API with the key; one client rotating through its block does not.
  if (state === 'anonymous') {
    const { all, kept } = networkKept();
    const rotating = 1 - mixture(all - kept, all);
    const note = kept > 0 ? `, ${Math.round((kept / all) * 100)}% of the network's requests in kept sessions or with tokens (${Math.round((1 - rotating) * 100)}% discounted)` : '';
    vol('net.long', s.netLong, long(s.netLong), `without session or token from network ${subject.network} ${longWindow}`, null, 1, 0, 'requests', C(s.netLong)[0] ?? 0, rotating, note);
  }

  // An address whose every request opened a session is one client that keeps none (or one that bounced): no
  // mixture of people behind a NAT looks like that, so the dispersion of its tails fades as that share nears 100%.
  const landingMixture = s.newLong >= 0 ? mixture(long(s.newLong) + (state === 'orphan' ? 1 : 0), long(s.ipLong)) : 1;
  // What the address kept says it too: requests in sessions that passed clean and token calls (anyone's) show people or
  // API clients behind it, and an address where under a fifth of the requests were either is one client as far as the
  // rest goes. Landings alone miss a client that never lands (no browser) or sends made-up cookies between its
  // landings (orphans): a scanner probing from a server is judged on its errors as a browser that keeps no cookie is.
  const keptMixture = () => {
    const kept = decodeKept(C(s.keptLong));
    const requests = Math.max(1, long(s.ipLong));
    const keptRequests = Math.min(requests, sliding(kept.sessions, nowMs, B.longMs) + sliding(kept.tokens, nowMs, B.longMs));
    return Math.min(1, keptRequests / requests / 0.2);
  };
  const addressMixture = s.keptLong >= 0 ? Math.min(landingMixture, keptMixture()) : landingMixture;
  const tokenMixture = () => {
    const requests = Math.max(1, long(s.ipLong));
    return mixture(requests - Math.min(requests, sliding(decodeKept(C(s.keptLong)).tokens, nowMs, B.longMs)), requests);
  };

  // ---- an address that is one client: its own traffic against a client's thresholds
  // A client that varies its fingerprint from request to request (its languages, a made-up JA4) spreads its traffic
  // over sources of a request or two each, which volume-src-* never sees add up. An address whose requests do not
  // come in kept sessions (or with tokens) is one client, not a NAT of people who keep theirs: its traffic is judged
  // against the sources' thresholds, as far as no mixture shows (fully where none came in kept sessions, not at all
  // where a fifth did). Only such requests that passed clean count: a client keeping one session of its own for part
  // of its traffic has that session's volume flagged, and hides little. One person who blocks cookies is one source
  // there: nothing changes for them. A token's calls are left out of the address's traffic (their pair's own volume
  // judges them), so a client holding a key cannot dress a burst as a NAT's by sending some of it with the key; and
  // the rest counts as one client's as far as it opens sessions (requests that neither opened one nor came in a kept
  // one, such as those denied before a session was known, say nothing of one client).
  if (fresh && s.newLong >= 0) {
    const requests = Math.max(1, long(s.ipLong));
    const kept = s.keptLong >= 0 ? decodeKept(C(s.keptLong)) : null;
    const tokenCalls = kept ? Math.min(requests - 1, sliding(kept.tokens, nowMs, B.longMs)) : 0;
    const own = requests - tokenCalls;
    const keptClean = kept ? Math.min(own, sliding(kept.sessions, nowMs, B.longMs)) : 0;
    const opened = long(s.newLong) + (state === 'orphan' ? 1 : 0);
    const oneClient = (1 - mixture(own - keptClean, own)) * Math.min(1, opened / own);
    const addressVolume = (name: string, cls: 'src.tick' | 'src.long', v: number, window: string) => {
      const learned = base.volume[cls];
      const points = Math.round(ratioPoints(v, learned.value, knobs.volume.curve) * oneClient);
      add('volume', name, points, v, learned.value, () => `${num(v)} requests from this address ${window}${tokenCalls > 0 ? ' besides its token calls' : ''}, ${Math.round(Math.min(1, opened / own) * 100)}% of them in ${B.longMs / 60_000}m opening a session and ${Math.round((keptClean / own) * 100)}% in kept sessions that passed: one client (threshold ${describeThreshold(learned, knobs, cls)}, a source's)`);
    };
    if (oneClient > 0) {
      // Token calls in the tick window are not counted apart: taken out at the long window's share.
      addressVolume('volume-addr-tick', 'src.tick', tick(s.ipTick) * (own / requests), tickWindow);
      addressVolume('volume-addr-long', 'src.long', own, longWindow);
    }
  }

  // ---- a network that is one client: addresses rotated per request
  // A client with a block of addresses (a /24, a /48) can send each request from an address of its own, so that no
  // address, source or session adds up. The addresses of the network that sent new-session requests in the tick
  // window are then one client's requests, as far as nobody in the network keeps a session: fully where none of its
  // recent requests came in kept sessions that passed (or with tokens), not at all where a fifth did (people behind a
  // carrier's or an office's addresses keep their cookies). Counted per address (once per tick bucket), not per
  // request, so a neighbour who blocks cookies adds one however much they read; a client cycling through its block
  // keeps the count up as long as it sends.
  if (fresh && s.netFreshAddrs >= 0 && networkNew) {
    addressFirst = (C(s.ipTick)[0] ?? 0) === 1;
    const { all, kept: keptNet } = networkKept();
    const opened = Math.min(all, sliding(networkNew.opened, nowMs, B.longMs) + (state === 'orphan' ? 1 : 0));
    const oneClient = (1 - mixture(all - keptNet, all)) * Math.min(1, opened / all);
    const addresses = tick(s.netFreshAddrs) + (addressFirst ? 1 : 0);
    if (oneClient > 0) {
      const learned = base.volume['src.tick'];
      const points = Math.round(ratioPoints(addresses, learned.value, knobs.volume.curve) * oneClient);
      add('volume', 'volume-net-addresses', points, addresses, learned.value, () => `${num(addresses)} addresses of network ${subject.network} sent new-session requests ${tickWindow}, ${Math.round((opened / all) * 100)}% of the network's requests opening a session and ${Math.round((keptNet / all) * 100)}% in kept sessions that passed: one client rotating its address (threshold ${describeThreshold(learned, knobs, 'src.tick')}, a source's)`);
    }
  }

  // ---- fresh sessions of this address (only where browsers return the cookie)
  if (newToSession && base.cookiesReturned !== false && s.newLong >= 0) {
    // A person opens a session now and then and keeps it for a while; a client that never keeps one opens a new
    // one with every request. The address's share of requests that opened a session, against the site's usual
    // share, as an overdispersed binomial tail: behind a NAT the people's mixture (and a campaign's many new
    // visitors) stays within it.
    const f = knobs.fresh;
    const share = Math.min(0.95, base.newSessionShare * f.slack);
    const freshShare = (name: string, openedLong: number, allSlot: number, what: string) => {
      const opened = openedLong + (state === 'orphan' ? 1 : 0);
      const requests = Math.max(opened, long(allSlot));
      if (opened < 2) return;
      const surprise = overdispersedSurprise(opened, requests, share, f.dispersion * mixture(opened, requests));
      add('fresh', name, surprisePoints(surprise, f.curve), opened / requests, share, () => `${num(opened)} of ${num(requests)} requests from ${what} ${longWindow} opened a new session (landing without the cookie, or a session never seen), at most ${Math.round(share * 100)}% expected (p=10^-${num(surprise)})`);
    };
    freshShare('fresh-sessions', long(s.newLong), s.ipLong, 'this address');
    // Addresses rotated within one network (/24, /48) share it.
    if (networkNew) freshShare('fresh-sessions-network', sliding(networkNew.opened, nowMs, B.longMs), s.netAll, `network ${subject.network}`);
    // A never-seen cookie is a person back from long ago, once; an address presenting them again and again
    // makes them up. Unlike a missing cookie (a person may block cookies), this may reach the challenge alone.
    if (state === 'orphan' && s.orphLong >= 0) {
      const orphans = long(s.orphLong) + 1;
      const requests = Math.max(orphans, long(s.ipLong));
      const rate = Math.min(0.95, base.orphanRate * f.slack);
      if (orphans >= 2) {
        const surprise = overdispersedSurprise(orphans, requests, rate, f.dispersion * mixture(long(s.newLong) + 1, requests));
        add('fresh', 'fresh-orphans', surprisePoints(surprise, f.orphanCurve), orphans / requests, rate, () => `${num(orphans)} of ${num(requests)} requests from this address ${longWindow} came with a session never seen and no landing before it, at most ${Math.round(rate * 100)}% expected (p=10^-${num(surprise)})`);
      }
    }
    // A browser's first page on a cookie site is a GET; an API session (a session header) may well start with a POST.
    // Not where the address shows people (its requests in kept sessions): a site that replaces an expired session's
    // cookie in its answer sees the person's next request, an add-to-cart as well as a page, open a new session.
    if (ctx.browser && ctx.cookieSite && isWrite(subject.method)) {
      const points = Math.round(knobs.tells.postAsFirstRequest * (1 - addressMixture));
      if (points > 0) signals.push({ name: 'first-request-not-get', family: 'fresh', score: points, detail: `a browser's first request in its session is a ${subject.method}${points < knobs.tells.postAsFirstRequest ? ` (${Math.round(addressMixture * 100)}% off: the address's requests in kept sessions)` : ''}` });
    }
  }

  // ---- one-shot sessions of this source
  // A crawler that renders every page in a fresh browser context opens a session per page: the page's files and calls
  // come with the cookie (it is kept), then nothing. People's sessions live on (a page read, the app's calls), and a
  // person who blocks cookies keeps none. So a source (address and client fingerprint: a NAT's people differ in their
  // browsers) whose sessions opened a minute ago or more came back but hardly any lived past their first minute is
  // one client opening a session per page. Judged on its landings and on its sessions' requests in their first minute
  // (such a session is not remembered as known, so that all of its requests are).
  const sessionAll = sumOf(sessionLong.requests, 0, 1);
  // Requests of the session older than its current and previous minute buckets: it is a minute old or more.
  const sessionAged = ctx.planned === 'session' && sessionAll > sumOf(sessionMinute.requests, 0, 1);
  // The session's first request in this minute bucket once it is that old, unless one was counted in the long window
  // (feed.ts marks it): a session that lived on counts once, however long it is kept alive. Counted per minute, one
  // session kept alive by a request a minute beside a crawler's page-per-session would add as many lived sessions as
  // the crawler opens one-shot ones in that time.
  const sessionErrorCounts = s.errSess >= 0 ? decodeSessionErrors(C(s.errSess)) : null;
  const livedCounted = sessionErrorCounts !== null && sumOf(sessionErrorCounts.lived, 0, 1) > 0;
  const agedMinute = sessionAged && (sessionMinute.requests[0] ?? 0) === 1 && !livedCounted;
  let oneShot = false;
  if (s.srcLife >= 0 && s.srcMin >= 0 && s.srcLong >= 0 && (state === 'landing' || (ctx.planned === 'session' && !sessionAged))) {
    const o = knobs.fresh.oneShot;
    // Opened before the current and previous minute buckets (the landings' sessions have had a minute to live).
    const opened = sumOf(C(s.srcLong), 0, 1) - sumOf(C(s.srcMin), 0, 1);
    const life = decodeLife(C(s.srcLife));
    const lived = sumOf(life.lived, 0, 1);
    // Judged among the sessions that came back with the cookie: a person who blocks cookies lands with every request
    // and returns none, and a landing that fetched nothing after it (robots.txt, a page answered with a redirect) is no
    // session that could have lived; neither may hide the sessions that did come back and died in their first minute.
    const judged = Math.min(opened, sumOf(life.returns, 0, 1));
    if (judged >= o.minSessions) {
      const oneShots = Math.max(0, judged - lived);
      const surprise = binomialSurprise(oneShots, judged, 1 - o.peopleLiveShare);
      const points = surprisePoints(surprise, o.curve);
      if (points > 0) {
        oneShot = true;
        add('fresh', 'one-shot-sessions', points, oneShots / judged, 1 - o.peopleLiveShare, () => `${num(judged)} sessions opened from this address and client fingerprint a minute ago or more (in 20m) came back with the cookie, and ${num(lived)} of its sessions lived past their first minute, where at least ${Math.round(o.peopleLiveShare * 100)}% of people's sessions live on (p=10^-${num(surprise)}): a session per page`);
      }
    }
  }

  // ---- errors: of an established session, else of the address; and of the token
  const errors = (name: string, errs: number, reqs: number, what: string, dispersion: number, window = longWindow, usual = base.errorRate) => {
    if (errs < knobs.errors.minErrors) return;
    const n = Math.max(reqs, errs);
    const expected = Math.max(base.errorRate, usual);
    const p = Math.min(0.5, expected * knobs.errors.slack);
    const surprise = overdispersedSurprise(errs, n, p, dispersion);
    add('errors', name, surprisePoints(surprise, knobs.errors.curve), errs / n, p, () => `${num(errs)} client errors in ${num(n)} requests ${what} ${window} (${Math.round((errs / n) * 100)}%, usual ${num(expected * 100)}%${usual > base.errorRate ? ' with this token' : ''}; p=10^-${num(surprise)})`);
  };
  const sessionErrors = sessionErrorCounts ? sliding(sessionErrorCounts.errors, nowMs, B.longMs) : 0;
  // The address's requests answered and their client errors, over 20 minutes.
  const answers = decodeAddressAnswers(s.errAddr >= 0 ? C(s.errAddr) : []);
  const addressErrors = sliding(answers.errors, nowMs, B.errorsMs);
  const addressAnswered = sliding(answers.requests, nowMs, B.errorsMs);
  const rho = knobs.errors.dispersion;
  // A session is failing when it mostly failed so far, or failed at least one request in five and as often as an
  // address must to be judged for its errors (minErrors): successes are cheap, a stuffer keeping its cookie loads the
  // login form before every try. Never one that mostly succeeds otherwise: a person with a few errors in a long visit.
  const failing = (errs: number, reqs: number) => errs >= 1 && (errs >= (reqs - 1) / 2 || (errs >= knobs.errors.minErrors && errs >= reqs / 5));
  const sessionFailing = state === 'established' && failing(sessionErrors, sessionRequests);
  // A token's established address is judged by its answers (a pair keeps no errors of its own).
  const pairFailing = state === 'established-pair' && failing(addressErrors, addressAnswered);
  // A settled read: the feed counts it, and its failure, for the path (the young policy's cap, the learned share). A
  // token's established address whose answers are not failing is settled too: an app's users keep no cookie, and their
  // reads' failing share (a search's 429s, an expired token's 401s) is what a push bringing many more of them fails at.
  const settled = ((state === 'established' && !sessionFailing) || (state === 'established-pair' && !pairFailing)) && !isWrite(subject.method) && sessionRequests >= knobs.surge.settledMinRequests;
  if (state === 'established') errors('errors-session', sessionErrors, sessionRequests, 'in this session', 0);
  // An established session is judged with its address too where the address shows no people (under a fifth of its
  // requests kept): a scanner that keeps a made-up cookie for a few requests and then begins another never has
  // enough errors in one session, and what it sends in them is not what the address kept (only requests answered
  // without a client error count as kept, and none of a session that mostly failed: feed.ts). A person's session is
  // what their address kept.
  const addressJudged = state === 'established' && s.errAddr >= 0 && addressMixture < 1;
  if (state !== 'established' || addressJudged) errors('errors-address', addressErrors, addressAnswered, 'answered from this address', rho * addressMixture, `in ${B.errorsMs / 60_000}m`);
  // Behind an address where people keep their cookies (an office, a carrier's NAT) the address's errors are the people's
  // as much as a scanner's among them, and its client is found by its fingerprint too: the source's own answers are
  // judged as a lone address's would be, with the people's dispersion (a NAT's people of one browser build share it).
  // A token's calls are held to the token's own error rate: an app's users behind a carrier's NAT share the app's
  // fingerprint (build by build), and their errors are the app's own (an order's status polled until it exists). A
  // crowd failing with the token raises that rate by its share of the token's calls: then it is the token's failures
  // (errors-token, surge-failures) that hold it.
  const tokenErrors = subject.token ? long(s.errTok) : 0;
  const tokenRequests = subject.token ? long(s.tokLong) : 0;
  const source = s.errSrc >= 0 ? decodeSourceAnswers(C(s.errSrc)) : null;
  if (source !== null && addressMixture > 0 && state !== 'established') {
    errors('errors-source', sliding(source.errors, nowMs, B.errorsMs), sliding(source.requests, nowMs, B.errorsMs), 'answered from this address and client fingerprint', rho * addressMixture, `in ${B.errorsMs / 60_000}m`, subject.token ? tokenErrors / Math.max(1, tokenRequests) : base.errorRate);
  }
  if (subject.token) errors('errors-token', tokenErrors, tokenRequests, 'with this token', rho);
  // ---- probes: scanners' targets the site answered with a client error (probes.ts; counted by the feed)
  // Before its answer only outside an established session: a person's session is judged on what was answered.
  const missingTarget = ctx.missingTarget && state !== 'established' && state !== 'established-pair';
  // A probe counts as one for as long as any of it is in the window (a sliding count fades within the bucket).
  const probesAnswered = s.probeAddr >= 0 ? sliding(C(s.probeAddr), nowMs, B.errorsMs) : 0;
  const addressProbed = probesAnswered > 0;
  const probes = (addressProbed ? Math.max(1, probesAnswered) : 0) + (missingTarget ? 1 : 0);
  const sourceProbesAnswered = source !== null ? sliding(source.probes, nowMs, B.errorsMs) : 0;
  const sourceProbes = (sourceProbesAnswered > 0 ? Math.max(1, sourceProbesAnswered) : 0) + (missingTarget ? 1 : 0);
  if (probes >= 1) {
    const pk = knobs.probes;
    // An address that shows people (its requests in kept sessions) is held to part of it: the scanner is one client
    // among them. A scanner's own cookie keeps nothing: its requests fail. Its source (address and fingerprint) is the
    // scanner itself: its own probes count whole, and the address's count against the people's other clients only as
    // far as the address shows none (a NAT's people are not held for the scanner beside them).
    const people = addressMixture;
    const discount = 1 - pk.peopleDiscount * people;
    // One probe of its own keeps the discount (a person behind an office's NAT who once typed /admin).
    const own = sourceProbes >= 1 && people > 0 ? ratioPoints(sourceProbes, 1, pk.curve) * (sourceProbes >= 2 ? 1 : discount) : 0;
    // The source is read wherever the address's probes are (the same plan condition).
    const full = ratioPoints(probes, 1, pk.curve);
    const shared = full * discount * (1 - people);
    const byOwn = own > 0 && own >= shared;
    const counted = byOwn ? sourceProbes : probes;
    const off = byOwn ? (sourceProbes >= 2 ? 0 : 1 - discount) : 1 - shared / full;
    add('errors', 'probes', Math.round(Math.max(own, shared)), counted, 1, () => `${num(counted)} requests for what scanners probe (hidden files, backups, admin tools, software the site does not run) answered with a client error from this address${byOwn ? ' and client fingerprint' : ''} in ${B.errorsMs / 60_000}m${missingTarget ? `, this one included (${subject.method} of a target answered as missing here)` : ''}${off > 0.005 ? ` (${Math.round(off * 100)}% off: people behind the address)` : ''}`);
  }

  const addressMethods = decodeAddressMethods(C(s.methodsIp));
  // ---- methods: too few HEAD requests for this address's volume, held against a request only as far as the address's
  // requests are its client's: where the address shows people (requests in kept sessions: a NAT's, an office's) the
  // site's HEADs come from particular software (a monitor's, an app's, a tablet's pings), not from each person's pages,
  // and people in browsers send none. A session's own share of the address's requests is its own, whatever else the
  // address shows (a crawler that keeps its cookie has nearly all of them; one person in an office's NAT, a tenth).
  if (base.headShare >= knobs.methods.minPopulationShare) {
    const reqs = long(s.ipLong);
    const heads = sliding(addressMethods.heads, nowMs, B.longMs);
    const others = reqs - heads;
    if (others >= knobs.methods.minClientRequests) {
      const expected = (others * base.headShare) / (1 - base.headShare);
      if (heads < expected) {
        const surprise = poissonLowSurprise(heads, expected);
        // A request outside any session has none of its own (sessionRequests is 0).
        const sessionShare = Math.min(1, sessionRequests / Math.max(1, reqs));
        const off = Math.min(addressMixture, 1 - sessionShare);
        add('methods', 'few-head', Math.round(surprisePoints(surprise, knobs.methods.curve) * (1 - off)), heads, expected, () => `${num(heads)} HEAD among ${num(reqs)} requests from this address ${longWindow}, ${num(expected)} expected at the population's ${num(base.headShare * 100)}% (p=10^-${num(surprise)})${off > 0.005 ? ` (${Math.round(off * 100)}% off: people behind the address)` : ''}`);
      }
    }
  }

  // ---- methods: page loads that come alone (people's pages bring their API calls and subresources), judged against
  // the share of people's session requests that are not page loads; true when it scored.
  const pagesAlone = (pages: number, requests: number, minPages: number, maxShare: number, curve: PValueCurve, where: string): boolean => {
    if (pages < minPages) return false;
    const others = Math.max(pages, requests) - pages;
    const expected = (pages * (1 - base.pageShare)) / base.pageShare;
    // At others = expected the probability is about one half, which scores nothing on any curve.
    if (others > expected * maxShare) return false;
    const surprise = poissonLowSurprise(others, expected);
    const points = surprisePoints(surprise, curve);
    add('methods', 'pages-only', points, others, expected, () => `${num(others)} requests besides ${num(pages)} page loads ${where}, ${num(expected)} expected at the population's ${num((1 - base.pageShare) * 100)}% (p=10^-${num(surprise)})`);
    return points > 0;
  };
  const pagesMatter = 1 - base.pageShare >= knobs.methods.minPopulationShare;
  // A session: both counts over the same one or two minute buckets, what the session sent lately.
  const sessionPagesAlone = pagesMatter && ctx.planned === 'session' && pagesAlone(sumOf(sessionMinute.pages, 0, 1), sumOf(sessionMinute.requests, 0, 1), knobs.methods.minSessionPages, 1, knobs.methods.curve, 'in this session in the last minutes');
  // The same over the long window, when almost nothing else came: a crawler that keeps its cookie and fetches a page
  // every ten or twenty seconds never has a dozen in two minutes, but forty in ten, alone, where people's pages bring
  // their calls and files; the evidence grows past the challenge as the pages add up.
  // A session of as many pages as people's sessions seldom load in ten minutes (volume-sess-pages-long's learned
  // threshold, never under its floor) whose pages brought a fraction of what people's bring is held to the short
  // window's evidence too: a crawler rendering pages in a browser at a reader's pace fetches their images, not the
  // calls people's pages make.
  if (pagesMatter && ctx.planned === 'session' && !sessionPagesAlone) {
    const m = knobs.methods;
    const pagesLong = sliding(sessionLong.pages, nowMs, B.longMs);
    const many = Math.max(m.minSessionPagesManyLong, base.volume['sess.pages-long'].value);
    // A page typed in is judged from fewer pages: a person's pages after the first are reached from the site's own.
    const minLong = ctx.typedPageLoad ? m.minSessionPagesTyped : m.minSessionPagesLong;
    if (!pagesAlone(pagesLong, sessionRequests, minLong, m.sessionLongMaxShare, m.sessionLongCurve, `in this session ${longWindow}${ctx.typedPageLoad ? ', this one typed in' : ''}`)) {
      pagesAlone(pagesLong, sessionRequests, many, m.sessionManyLongMaxShare, m.curve, `in this session ${longWindow}, as many pages as people's sessions seldom load there (${num(many)})`);
    }
  }
  // An address, for a request outside any session its client kept (a client that keeps no cookie and fetches pages
  // without what they bring): only when almost nothing else came, since it judges people who block cookies too.
  if (pagesMatter && !sessionPagesAlone && state !== 'established' && state !== 'established-pair' && state !== 'new-pair') {
    pagesAlone(sliding(addressMethods.pages, nowMs, B.longMs), long(s.ipLong), knobs.methods.minAddressPages, knobs.methods.addressMaxShare, knobs.methods.addressCurve, `from this address ${longWindow}, outside any session it kept`);
  }

  // ---- aggregates: surges of what is new to a route, a cell or a token
  const agg = knobs.surge;
  const aggElapsed = (((nowMs % B.aggregateMs) + B.aggregateMs) % B.aggregateMs) / B.aggregateMs;
  const perMinuteLearned = (slot: number) => learnedPerMinute(C(slot), nowMs, B.baselineMs, base.observedMs, knobs.learning.youngFromMs);
  // A policy not yet warm is judged from youngFromMs of history on, with the uncertainty of so short a history
  // (surgeShare): a crowd that starts minutes after a cold start must not become the baseline it is judged by.
  const judged = base.warm || base.observedMs >= knobs.learning.youngFromMs;
  const history = base.warm ? undefined : Math.max(knobs.learning.youngFromMs, base.observedMs) / 60_000;
  const surge = (recent: number, learned: number, floor: number, minSurprise = agg.minSurprise) => surgeShare(recent, learned, floor, knobs, minSurprise, history);
  // What a token's rates held in the last minute up to learningCap times their usual rate is learned in full; beyond
  // that as a crowd's requests are (crowdLearning), spread so that a sustained surge adds about crowdLearning x cap a
  // minute: a crowd whose surge is not yet significant cannot make its kind a usual one of the token, nor raise the
  // rates it is judged against, and an honest one still becomes usual in hours. Before the policy is warm every
  // baseline is still being built, and learns in full.
  const learnable = (aggSlot: number, baseSlot: number, floor: number, pending: number): number => {
    if (!base.warm || aggSlot < 0 || baseSlot < 0) return 1;
    const recent = recentMinute(C(aggSlot), nowMs, B.aggregateMs) + pending;
    const cap = agg.learningCap * Math.max(floor, perMinuteLearned(baseSlot));
    return recent <= cap ? 1 : (agg.crowdLearning * cap) / recent;
  };
  // Where too few of people's requests were learned to tell, nothing says that people land there by navigating: the
  // newcomer rates learn such landings only up to learningCap times the route's usual rate (see learnable), as a
  // token's rates do, so a crowd whose navigations there go unflagged (spread over cells too thin to hold against
  // it) cannot raise the rate its calls with the cookie are judged against, nor make its cells look like the route's.
  const quietRoute = state === 'landing' && s.routeSess >= 0 && routeSessions < knobs.sessions.pageRouteMinRequests;
  const pairPending = unlearnedPair ? 1 : 0;
  // A session's first call (surge-first-call, below): a lander's first request with the cookie, or the first call of a
  // session begun lately (from an address that landed lately, or marked so while known) whose requests in the long
  // window were page loads and their files so far: a crowd reloading the page with its cookie before it calls is
  // judged the same. A returning user's session (no landing lately) is not: a new version of a page calling a new
  // route first would hold all of them at once.
  const sessionCalls = sumOf(sessionLong.calls, 0, 1);
  const begunLately = state === 'established' && (ctx.known === true ? ctx.uncalled : landedHere);
  const firstCall = s.fcAgg >= 0 && (state === 'return' || (begunLately && sessionCalls === 1 && sumOf(sessionLong.pages, 0, 1) >= 1));
  const learnShares: LearnShares = {
    token: learnable(s.tokAgg, s.tokBase, agg.minExpectedPerMinute.token, 0),
    tokenFresh: learnable(s.tokFreshAgg, s.tokFreshBase, agg.minExpectedPerMinute.token, pairPending),
    tokenCell: learnable(s.tokCell, s.tokCellBase, agg.minExpectedPerMinute.cell, pairPending),
    tokenRoute: learnable(s.tokRoute, s.tokRouteBase, agg.minExpectedPerMinute.cell, pairPending),
    fresh: quietRoute ? learnable(s.routeFresh, s.routeFreshBase, agg.minExpectedPerMinute.route, 0) : 1,
    familyFresh: quietRoute ? learnable(s.familyFresh, s.familyFreshBase, agg.minExpectedPerMinute.route, 0) : 1,
    firstCall: firstCall ? learnable(s.fcAgg, s.fcBase, agg.minExpectedPerMinute.cell, 1) : 1,
  };
  // A source (or an address that is one client) whose own volume already explains its traffic is judged by that, not
  // as part of a crowd, and is taken out of the crowd counts (feed.ts).
  // The network's count explains a request only at its threshold: below it (people keeping some cookies there) the
  // request is still one of the crowd's.
  const explained = signals.some((x) => x.family === 'volume' && (x.name === 'volume-net-addresses' ? x.score >= knobs.volume.curve.base : x.score > 0) && (x.name.startsWith('volume-src') || x.name.startsWith('volume-addr') || x.name.startsWith('volume-net')));
  let novel = false;
  let surged = false;
  // A page fetched by a session that just landed and came back is judged with its landing's crowd when the recent
  // returns are short of engaged ones (API calls, subresources): a crowd that comes back only to fetch pages.
  const young = youngReturn && pageHere;
  const engagement = within(base.engagementGate ?? 0, agg.engagementLow, agg.engagementHigh);
  // A browser's visit begins with a page load: a session that began with an API call, a subresource or a POST,
  // without a cookie, from an address that landed nowhere else lately, did not come from a page of the site. Its
  // coming back (or its calls counting as engaged) is no sign of people, so neither deficit vetoes it, nor its calls
  // to that route with the cookie (pagelessCalls): a crowd calling an API route that keeps the cookie it was given.
  // (A person blocking cookies lands with every request: the page's own calls follow a page load from the same
  // address, and are judged as landings like it.)
  // (An address's other landings of the last minutes count against it only when one of them was a page load: a
  // crowd that lands twice before keeping its cookie is still one whose visits never began with a page.)
  const fromAddress = state === 'landing' ? decodeLanding(sumOf(C(s.landing), 0, 1)) : null;
  const firstPageless = fromAddress !== null && !pageHere && (fromAddress.landings === 1 || fromAddress.pages - (ctx.pageLoad ? 1 : 0) <= 0);
  const pagelessLanding = pagelessRule && firstPageless;
  // A page's subresource fetched without the cookie, after a page load from the same address, is a person's who blocks
  // cookies (or a crowd's that fetches what it does not want): judged with the page, not as a crowd on the
  // subresource's route, where such a person's every image is a landing that never comes back.
  const pageSubresource = ctx.subresource && fromAddress !== null && !firstPageless;
  if ((fresh || (young && engagement > 0) || pagelessCalls) && !explained && judged && !pageSubresource) {
    const recentPlus = (slot: number) => recentMinute(C(slot), nowMs, B.aggregateMs) + (state === 'orphan' ? 1 : 0);
    // Landings of the same length of time as the last ~minute's returns, ~30 s earlier (returns lag their landings).
    const recentLandings = (slot: number) => {
      const land = C(slot);
      return (land[1] ?? 0) + (land[2] ?? 0) + (land[3] ?? 0) * aggElapsed;
    };
    // The route's calm landings of the last hour and their returns, against those of its best hour among the learned
    // ones before (learnedReturnShare): a crowd that grew in too slowly to surge over the last hour was learned as calm
    // landings that never came back, and its route's (and cells') learned rates count only as far as the landings of
    // the last hour came back as they used to. The best hour's ratio, so discounted, is also the least a landing is
    // expected to come back there: the site's own ratio is taught by the same crowd where its landings are most of
    // the site's.
    let routeRatio = 0;
    let routeBest = 0;
    if (state === 'landing' && s.routeReturnBase >= 0) {
      const learned = decodeRouteReturns(C(s.routeReturnBase));
      const w = knobs.learning.priorRatioWeight;
      routeRatio = ratio(sliding(learned.returns, nowMs, B.baselineMs), sliding(learned.landings, nowMs, B.baselineMs), base.returnRatio, w);
      // Hours with too few landings to tell (a young policy's, a quiet route's) are no best hour: their ratio would be
      // the site's own.
      for (let j = 1; j < learned.landings.length; j++) if ((learned.landings[j] ?? 0) >= agg.minGateLandings) routeBest = Math.max(routeBest, ratio(learned.returns[j] ?? 0, learned.landings[j]!, base.returnRatio, w));
    }
    const routeFloor = agg.learnedReturnShare * routeBest;
    const returnedScale = routeFloor > 0 ? Math.min(1, routeRatio / routeFloor) : 1;
    let gate: number;
    let gateWhy: string;
    let routeGate = false;
    // Landings on the route read by the return deficit (~30 s old and older), for a landing.
    let gateLandings = 0;
    if (state === 'anonymous') {
      gate = 1;
      gateWhy = 'no session to return';
    } else if (state === 'orphan') {
      gate = base.orphanGate ?? 0;
      gateWhy = base.orphanGate === null ? 'too few recent orphan sessions to judge' : `recent orphan sessions are ${Math.round(gate * 100)}% short of the usual ${Math.round(base.orphanContinuation * 100)}% coming back`;
    } else {
      const landed = recentLandings(s.routeLand);
      gateLandings = landed;
      if (landed >= agg.minGateLandings) {
        const returned = sumOf(C(s.routeRet), 0, 2);
        // People landing on some routes come back far more often than the site's landings do (an event's page against
        // the home page): held to the site's ratio, a crowd there looks like it comes back through the people's own
        // returns. The route's learned ratio, shrunk towards the site's, only ever raises what is expected: a crowd
        // landing calmly without coming back cannot lower it below the site's, nor below its floor (routeFloor).
        const usual = Math.max(base.returnRatio, routeRatio, routeFloor);
        gate = shortfall(returned / landed, usual);
        routeGate = true;
        gateWhy = `${num(returned)} of ${num(landed)} recent landings on this route came back, usual ${Math.round(usual * 100)}%${usual > base.returnRatio ? ' here' : ''}`;
      } else {
        gate = base.landingGate ?? 0;
        gateWhy = base.landingGate === null ? 'too few recent landings to judge' : `site-wide, recent landings are ${Math.round(gate * 100)}% short of the usual ${Math.round(base.returnRatio * 100)}% coming back`;
      }
    }
    // The route alone cannot tell a person landing there from the crowd (a weak signal); the cell (route x
    // client fingerprint) can: its share of the surge, shrunk towards 0 for a cell of a request or two.
    const fr = recentPlus(s.routeFresh);
    const routeLearned = perMinuteLearned(s.routeFreshBase) * returnedScale;
    const ownRoute = surge(fr, routeLearned, agg.minExpectedPerMinute.route);
    // A crowd spread over the routes of one family (a page per city) is held by the family's surge where the route's
    // own is weaker.
    const ff = s.familyFresh >= 0 ? recentPlus(s.familyFresh) : 0;
    const familySurge = s.familyFresh >= 0 ? surge(ff, perMinuteLearned(s.familyFreshBase), agg.minExpectedPerMinute.route) : null;
    const byFamily = familySurge !== null && familySurge.share > ownRoute.share;
    const route = byFamily ? familySurge : ownRoute;
    // The family's return deficit, where the route has too few landings of its own to read one.
    if (byFamily && !routeGate && s.familyLand >= 0) {
      const landed = recentLandings(s.familyLand);
      if (landed >= agg.minGateLandings) {
        const returned = sumOf(C(s.familyRet), 0, 2);
        gate = shortfall(returned / landed, base.returnRatio);
        routeGate = true;
        gateLandings = landed;
        gateWhy = `${num(returned)} of ${num(landed)} recent landings on these routes came back, usual ${Math.round(base.returnRatio * 100)}%`;
      }
    }
    const surgeLabel = byFamily ? `${num(ff)} new-session requests/min on the routes of ${ctx.subject.method} ${ctx.subject.family![2]}` : `${num(fr)} new-session requests/min on ${ctx.routeLabel}`;
    const fc = s.cellFresh >= 0 ? recentPlus(s.cellFresh) : 0;
    // The route's cells were taught by the same landings as the route: their rates count as far as the route's.
    const cellLearned = s.cellFresh >= 0 ? perMinuteLearned(s.cellFreshBase) * returnedScale : 0;
    const cellExpected = s.cellFresh >= 0 ? Math.max(agg.minExpectedPerMinute.cell, cellLearned) * agg.slack : 0;
    const cell = s.cellFresh >= 0 ? surge(fc, cellLearned, agg.minExpectedPerMinute.cell) : { share: 0, expected: 0, surprise: 0 };
    // The deficit vetoes a crowd that comes back (a campaign's visitors, even with many bouncing), and lets
    // one that does not through.
    // An address where cookies are kept (a share of its recent requests came in established sessions: an office,
    // a carrier's NAT, a household) is where people are; a crowd of newcomers that never keep one is not. A client
    // that is no browser and sends neither is judged by its address's token calls alone, and only when it does not
    // name itself a tool: an app's phone calls its API with the key and loads its images without; a script behind a
    // NAT where people keep their cookies, or an app's users call with its key, is no app.
    const keeps = s.newLong >= 0 ? addressMixture : s.keptLong >= 0 && !ctx.toolAgent ? tokenMixture() : 0;
    // A crowd that never comes back makes the route's deficit about its own share of the landings, however large
    // or small the surge; a campaign's visitors come back, if less often than usual. Read against the route's
    // surge share, the deficit says how much of the surge itself does not come back, so a crowd that only doubles
    // a route's landings (a deficit of 50 %) is not taken for a campaign, nor one of 80 % discounted as 20 % people.
    const own = routeGate && route.share >= agg.minShare ? Math.min(1, gate / route.share) : 0;
    // A young session's own address keeps its cookie by definition: that is no sign of people behind it.
    const deficits = Math.max(within(gate, agg.deficitLow, agg.deficitHigh), within(own, agg.ownDeficitLow, agg.ownDeficitHigh), engagement);
    // A session does not begin with a write of a person's: an address's people keep nothing off such a landing.
    const keepsHere = state === 'landing' && isWrite(subject.method) ? 0 : keeps;
    const veto = pagelessLanding ? 1 - keepsHere : fresh ? deficits * (1 - keepsHere) : pagelessCalls ? 1 : engagement;
    const engagementNote = engagement > 0 ? `; engagement deficit ${Math.round((base.engagementGate ?? 0) * 100)}%: recent returns are page loads far more often than usual (${Math.round((1 - base.engagedReturnShare) * 100)}%)` : '';
    const keepsNote = keepsHere > 0 ? `; this address keeps cookies (${Math.round(keepsHere * 100)}% discounted)` : '';
    let gateNote: string;
    if (pagelessLanding) gateNote = `a new session that did not begin with a page load${ctx.pageLoad ? ` (a navigation to ${servesData ? `a route whose upstream answered navigations with a page ${num(routeAnswerPages)} times in ${num(routeAnswers)}` : `a route where people's sessions loaded pages ${num(routePages)} times in ${num(routeSessions)} requests`})` : ''}${keepsNote}`;
    else if (fresh) gateNote = `return deficit ${Math.round(gate * 100)}%${own > 0 ? ` (${Math.round(own * 100)}% of the surge)` : ''}: ${gateWhy}${engagementNote}${keepsNote}`;
    else if (pagelessCalls) gateNote = 'a session that landed on this route, just come back to call it without a page load';
    else gateNote = `a page load of a session that just came back${engagementNote}`;
    // A crowd that spread over fingerprints like the route's people would put about this cell's usual share of
    // its excess here; far fewer, or hardly any request of this kind at all, means the crowd avoids this
    // client's kind: the request is not part of it.
    const spread = routeLearned > 0 ? Math.max(0, fr - routeLearned * agg.slack) * Math.min(1, cellLearned / routeLearned) : 0;
    const avoided = s.cellFresh >= 0 && spread >= agg.minRecent && poissonLowSurprise(fc, spread + cellLearned * agg.slack) >= agg.avoidedSurprise;
    // A cell the crowd hardly reaches (a crowd spread over the people's own browsers and languages leaves every
    // cell thin) cannot say whether the request is the crowd's or a person's landing there: the route's surge
    // counts, but below the challenge, so that only the client's own evidence (its address opening session after
    // session, a tell) can carry it over.
    const thin = s.cellFresh >= 0 && fc < agg.minCellRecent;
    // The deficit reads landings 30 s old and older: a surge of landings that began since (its minute's newcomers many
    // times the landings the deficit reads) is not in it yet, and a burst of a few seconds never will be. Until then
    // the route's surge counts without the deficit, but at most staleMax points (below the challenge): the client's
    // own evidence (its network opening session after session) must add up with it.
    const stale = state === 'landing' && fr >= agg.minRecent && fr > agg.staleFactor * Math.max(gateLandings, agg.minGateLandings);
    if (route.share > 0 && !avoided) {
      const p = route.share * veto;
      const full = aggregatePoints(p, knobs, agg.routeCurve);
      // A session without a page load is not a person landing here: the route's surge is its crowd's.
      const gated = thin && !pagelessLanding && !pagelessCalls ? Math.min(full, agg.thinCellMax) : full;
      const early = stale ? Math.min(agg.staleMax, aggregatePoints(route.share, knobs, agg.routeCurve)) : 0;
      const points = Math.max(gated, early);
      add('aggregate', 'surge-route', points, byFamily ? ff : fr, route.expected, () => `${surgeLabel} vs ${num(route.expected)} expected (p=10^-${num(route.surprise)}), ${Math.round(route.share * 100)}% over normal${returnedScale < 1 && !byFamily ? ` (its learned rate counted at ${Math.round(returnedScale * 100)}%: its landings of the last hour came back ${Math.round(routeRatio * 100)}%, ${Math.round(routeBest * 100)}% in its best hour)` : ''}; ${points > gated ? `too recent for the return deficit (${num(gateLandings)} landings to read): at most ${agg.staleMax} points` : `${gateNote}${gated < full ? `; ${num(fc)} of them with this client fingerprint: at most ${agg.thinCellMax} points` : ''}`}`);
      // The address's own evidence that the route's surge waits for: it landed before, in the last minutes, and did
      // not come back with the cookie it was given (none of its requests came in a kept session). A person keeps the
      // cookie from the second request on; those who block cookies land every time, and are challenged once in a
      // surge that does not come back. A crowd of addresses sending two or three requests each is judged from the
      // second on, however thin the cells it spreads over.
      const landings = s.newLong >= 0 ? long(s.newLong) : 0;
      if (state === 'landing' && points > 0 && landings >= 2 && addressMixture === 0) {
        const r = knobs.fresh.relanding;
        add('fresh', 'fresh-relanding', Math.round(Math.min(r.max, r.base + r.perLanding * (landings - 2))), landings, 1, () => `this address landed ${num(landings)} times ${longWindow} and never came back with the cookie, in a surge of ${surgeLabel}`);
      }
    }
    const crowd = Math.max(route.share, cell.share);
    surged = (state === 'landing' || ctx.unreturnedLanding) && crowd > 0;
    if (crowd > 0 && s.cellFresh >= 0) {
      const shrunk = Math.max(0, fc - cellExpected) / (fc + agg.cellPseudoCount);
      const p = Math.min(crowd, shrunk) * veto;
      add('aggregate', 'surge-cell', aggregatePoints(p, knobs), fc, cellExpected, () => `${num(fc)} new-session requests/min on ${ctx.routeLabel} with this client fingerprint vs ${num(cellExpected)} expected, ${Math.round(shrunk * 100)}% of them over normal, in a surge ${Math.round(crowd * 100)}% over normal; ${gateNote}`);
    }
    // The client's class (browser family, header set, TLS fingerprint) tells a crowd of scripts wearing browsers'
    // user agents from the people landing here, however it spreads over user agents, languages and routes: a
    // surge of newcomers in a class that hardly ever brings the site's newcomers is the crowd's own. A class
    // people use is left to the route and the cell.
    if (s.classFresh >= 0) {
      const kc = recentPlus(s.classFresh);
      const classLearned = perMinuteLearned(s.classFreshBase);
      const usual = base.freshPerMinute > 0 ? classLearned / base.freshPerMinute : 0;
      const sg = surge(kc, classLearned, agg.minExpectedPerMinute.cell);
      if (sg.share > 0 && usual <= agg.rareClassShare) {
        const shrunk = Math.max(0, kc - sg.expected) / (kc + agg.cellPseudoCount);
        const full = aggregatePoints(shrunk * veto, knobs);
        // The class's crowd lands somewhere: where this request's route (and its family) has no more newcomers than it
        // usually has, the crowd is not here, and a person of that class landing on the home page or opening a cart
        // while it surges elsewhere is no part of it. Such a request is held as in a thin cell, below the challenge.
        // (The request itself is one of the route's newcomers: it is left out.)
        const familyExcess = s.familyFresh >= 0 ? ff - 1 - perMinuteLearned(s.familyFreshBase) * agg.slack : 0;
        const elsewhere = Math.max(fr - 1 - routeLearned * agg.slack, familyExcess) <= 0;
        const points = elsewhere ? Math.min(full, agg.thinCellMax) : full;
        add('aggregate', 'surge-class', points, kc, sg.expected, () => `${num(kc)} new-session requests/min from this client class (browser family, header set, TLS fingerprint) vs ${num(sg.expected)} expected, ${Math.round(shrunk * 100)}% of them over normal; the class usually brings ${num(usual * 100)}% of the site's newcomers; ${gateNote}${points < full ? `; ${num(fr)} new-session requests/min on ${ctx.routeLabel}, within its usual ${num(routeLearned)}: at most ${agg.thinCellMax} points` : ''}`);
      }
    }
    // A crowd that gives each address a fingerprint of its own (a build, a made-up word in the user agent, a
    // language list or header set of its own) leaves every cell thin and new: anything that goes into the
    // fingerprint can be varied to split it. How many of the site's newcomers land in a cell never learned is
    // itself learned; a surge of them is a crowd however it varies its fingerprints. Like the route's surge it
    // cannot tell a person with a rare browser from the crowd, so it counts on the route's curve (a challenge, never
    // a denial on its own), and only once the crowd outnumbers the usual newcomers in new cells (people's rare
    // browsers on rarely visited routes) by novelMinShare: a crowd that copies the people's own browsers also lands
    // in some new cells, and those are left to the route and the cell.
    // (Planned with the cell's counters: a thin cell has its novelty counters too.)
    novel = fresh && thin && sumOf(C(s.cellFreshBase), 0, 1) === 0;
    // A young policy has learned few cells: the people landing in its first minutes are mostly in new ones too, so a
    // crowd's new cells say nothing of theirs (learned all the same, to be judged once warm).
    if (novel && base.warm) {
      const kn = recentMinute(C(s.novel), nowMs, B.aggregateMs) + 1;
      const sg = surge(kn, perMinuteLearned(s.novelBase), agg.minExpectedPerMinute.cell);
      const shrunk = Math.max(0, kn - sg.expected) / (kn + agg.cellPseudoCount);
      const p = Math.min(sg.share, shrunk);
      if (sg.share > 0 && p >= agg.novelMinShare) {
        add('aggregate', 'surge-novel', aggregatePoints(p * veto, knobs, agg.routeCurve), kn, sg.expected, () => `${num(kn)} new-session requests/min site-wide in route x fingerprint cells never seen before vs ${num(sg.expected)} expected, ${Math.round(shrunk * 100)}% of them over normal; this request's cell is one; ${gateNote}`);
      }
    }
  }
  // ---- a session's first call: where it goes from the page it came from, against where people's go
  // A crowd that loads a page for its cookie and then calls the route it is after, with the page as its Referer, comes
  // back like people and is dressed like them; what people's first call from that page is, it is not. A page's own
  // calls are learned from every session loading it and from the landers' calm returns, per page and site-wide (a
  // site whose newcomers all pass a consent call first): the largest of those shares is the usual one, and a share of
  // the page's first calls far over it, significantly, is a crowd's. A page nobody was seen loading is not judged (a
  // page just released, a campaign's new page): nothing says what its calls are. One people's sessions load often and
  // hardly ever call from (its calls not yet learned) is: its first calls are judged against where first calls from
  // any page go, so that a page without calls is no cover for a crowd's (a release that makes such a page call a
  // new route first holds its newcomers' calls there until returning users' calls teach it, as on any page). First calls that
  // name no page of the site (no Referer, another site's) are counted as from a page of their own, judged once landers'
  // first calls from any page were learned, and only where few of them name no page: against where those go, so that a
  // crowd dropping its Referer is judged as one keeping it. (On a site whose pages send no Referer, a campaign landing
  // on another page than people's would look like a crowd.)
  if (firstCall && judged && !explained) {
    const g = agg.firstCalls;
    const learnedOf = (slot: number) => sliding(C(slot), nowMs, B.baselineMs);
    const noPage = ctx.fromPage === NO_PAGE;
    const loads = learnedOf(s.pcBasePage);
    const all = learnedOf(s.fcBaseAll);
    const landers = learnedOf(s.fcBasePage);
    // A page people load often and hardly call from (terms, an article) is learned too: a crowd naming it, or landing on
    // it, for its calls is judged against where first calls from any page go.
    const quietPage = !noPage && loads < g.minLearned && s.pcPageLoads >= 0 && learnedOf(s.pcPageLoads) >= g.minLearned && all >= g.minLearned;
    if (noPage ? all >= g.minLearned && landers <= g.noPageMaxShare * all : loads >= g.minLearned || quietPage) {
      const fromLoads = loads > 0 ? learnedOf(s.pcBase) / loads : 0;
      const fromLanders = landers >= g.minLearned ? learnedOf(s.fcBase) / landers : 0;
      const anyPage = all >= g.minLearned ? learnedOf(s.fcBaseRoute) / all : 0;
      const usual = Math.min(1, Math.max(g.minShare, fromLoads, fromLanders, anyPage) * agg.slack);
      const k = recentMinute(C(s.fcAgg), nowMs, B.aggregateMs) + 1;
      const n = Math.max(k, recentMinute(C(s.fcAggPage), nowMs, B.aggregateMs) + 1);
      const expected = n * usual;
      if (k >= agg.minRecent && k > expected) {
        const surprise = binomialSurprise(k, n, usual);
        if (surprise >= agg.minSurprise) {
          const share = 1 - expected / k;
          const points = aggregatePoints(share, knobs, agg.routeCurve);
          if (points > 0) ctx.sessions?.remember(heldSessionKey(subject.policyId, subject.session), nowMs, points);
          const from = noPage ? 'naming no page of the site' : quietPage ? 'from their page, one people load and hardly call from,' : 'from their page';
          add('aggregate', 'surge-first-call', points, k, expected, () => `${num(k)} of the ${num(n)} first calls/min of sessions ${from} went to ${ctx.routeLabel}, ${num(expected)} expected at the usual ${num(usual * 100)}% (p=10^-${num(surprise)}): ${Math.round(share * 100)}% over normal`);
        }
      }
    }
  }

  if (!firstCall && ctx.heldFirstCall > 0) add('aggregate', 'surge-first-call', ctx.heldFirstCall, 1, 0, () => `this session's first call was held for where it went from its page (${ctx.heldFirstCall} points)`);

  // Failures on the route flag what is new there, a session's first request with the cookie when it is a try (a
  // stuffer loads the form, keeps the cookie it was given and posts once), and sessions that are failing (above).
  // A write of a session whose writes mostly failed: page loads between the tries lower a stuffer's failing share of
  // requests, not of its tries. This one's outcome is not known yet, so it is left out; a person who got a password
  // wrong three times and then right has one success in four and is left alone after that. Successes are cheap too (an
  // account of the stuffer's own, a cart): past sessionFailedWrites failures the share no longer matters.
  let writesFailing = false;
  let untriedSession = false;
  if (s.sessWrites >= 0) {
    const { writes, failed } = decodeWrites(C(s.sessWrites));
    const tried = sliding(writes, nowMs, B.longMs) - 1;
    const wf = sliding(failed, nowMs, B.longMs);
    writesFailing = wf >= knobs.errors.minErrors && ((tried - wf) * 4 <= wf || wf >= knobs.errors.sessionFailedWrites);
    // No write of the session succeeded yet: its first try, or one after tries that all failed. Whole buckets: the
    // sliding counts weigh the previous bucket by a fraction, and an equality of fractions fails on rounding.
    untriedSession = sumOf(writes, 0, 1) - 1 === sumOf(failed, 0, 1);
  }
  // A session that loads the form and its files with the cookie it was given, then posts once (a careful stuffer's
  // session, one per try), is established by its requests before its try. Its try is held to the path's failure surge
  // when the session loaded no other page and its address sent nothing else lately (a person who browsed first, or
  // whose address others share, is left to the rules above), and only while most of the path's writes fail: a
  // campaign's visitors make a surge of failures on a sign-in by their numbers (more people, more typos), not a
  // failing share of the path's writes.
  let stuffedPath = false;
  // One page in all: the session's own, or the landing that gave it the cookie (the address's one request outside it).
  const formOnly = () => sliding(sessionLong.pages, nowMs, B.longMs) + Math.max(0, long(s.ipLong) - sessionRequests) <= 1;
  if (state === 'established' && untriedSession && s.routeWrite >= 0 && formOnly()) {
    const w = decodeWrites(C(s.routeWrite));
    const stops = decodePathFailures(C(s.routeFail)).stopped;
    const stopped = recentMinute(stops, nowMs, B.aggregateMs);
    const failedWrites = recentMinute(w.failed, nowMs, B.aggregateMs) + stopped;
    const writes = recentMinute(w.writes, nowMs, B.aggregateMs) + stopped;
    stuffedPath = failedWrites >= knobs.errors.minErrors && failedWrites >= agg.stuffedWriteShare * writes;
  }
  // A new pair's read is held to its path's failures only once its address failed lately itself: an app user of a
  // shared key reading what an enumerating crowd fails on (availability of an event that exists) has not, and a
  // crowd's address fails soon enough. Its writes are, as a stuffer's tries with the key are one to a few per address;
  // not those of a pair that sent the token settledMinRequests requests or more before, none of its address's failing
  // lately: an app's user signing in after browsing while a crowd tries the sign-in with the app's key. A stuffer's
  // address is held from its first failure (a try stopped for the surge counts as one); one behind a carrier's
  // address the app's users share, where nothing failed lately, gets its tries through until one fails: the first,
  // or every one answered with a code that is no client error here (a 409).
  const pairSettled = state === 'new-pair' && addressErrors === 0 && sumOf(sessionLong.requests, 0, 1) - 1 >= knobs.surge.settledMinRequests;
  const pathSuspect = state !== 'new-pair' || (isWrite(subject.method) && !pairSettled) || addressErrors > 0;
  if (judged && ((outsideSession && pathSuspect) || (state === 'return' && isWrite(subject.method)) || (state === 'established' && (sessionFailing || writesFailing || stuffedPath)) || pairFailing)) {
    // A stopped request never reaches the upstream, so it adds no failure: the more of a crowd is challenged, the
    // smaller its surge would look. The stopped count as failing at the rate of what reached the upstream on the
    // path in the same minute; once the crowd is gone that rate is the people's again, and so is the surge.
    const path = decodePathFailures(C(s.routeFail));
    const failed = recentMinute(path.failed, nowMs, B.aggregateMs);
    const stopped = recentMinute(path.stopped, nowMs, B.aggregateMs);
    const reached = recentMinute(C(s.routeReq), nowMs, B.aggregateMs);
    // Once most of a crowd's tries are stopped, what still reaches the path is mostly the people's sign-ins, and the
    // stopped would count at their failing share: the more of the crowd other signals stop, the smaller its failure
    // surge. So the share seen while tries reached the path is remembered by the replica, and held while more tries are
    // stopped than fail (the crowd still there); it lapses 5 minutes after that.
    const reachedShare = reached > 0 ? Math.min(1, failed / reached) : 0;
    let failingShare = reachedShare;
    // The replica's memory whatever this request's session is: a try from a session known established reads and
    // refreshes the path's share as a newcomer's does.
    const memory = ctx.sessions;
    if (memory !== undefined) {
      const key = failingShareKey(subject.policyId, subject.routeCode);
      const held = memory.valueOf(key, nowMs) ?? 0;
      const seen = failed >= knobs.errors.minErrors ? reachedShare : 0;
      if (seen >= held && seen > 0) memory.remember(key, nowMs, seen);
      else if (held > 0 && stopped > failed) memory.remember(key, nowMs, held);
      failingShare = Math.max(failingShare, held);
    }
    const recent = failed + stopped * failingShare;
    // What the path usually fails is learned from what failed there unflagged, and a crowd there since a cold start is
    // unflagged while the young policy learns it: until warm, the expected failures are never more than
    // maxFailingShare of what reached the path (and was stopped) in the same minute, a share of failing tries people
    // seldom reach. (Once warm, what the crowd taught is a few minutes of an hour's history; and a warm site's own
    // paths that fail often, an API's token refresh, keep their learned rate.)
    // Writes and reads are capped apart too: a stuffer's page loads between its tries (reads that succeed) would
    // otherwise raise the cap on its failing tries. A class under its cap expects what it failed, so only the class
    // over it can surge; the stopped count at the rate of the path's capped failures.
    const learnedFailures = perMinuteLearned(s.routeFailBase);
    let capped = agg.maxFailingShare * (reached + stopped);
    if (!base.warm && s.routeWrite >= 0 && reached > 0) {
      const w = decodeWrites(C(s.routeWrite));
      const writes = Math.min(reached, recentMinute(w.writes, nowMs, B.aggregateMs));
      const failedWrites = Math.min(failed, recentMinute(w.failed, nowMs, B.aggregateMs));
      let readShare = agg.maxFailingShare;
      if (s.routeSettled >= 0) {
        const k = decodeWrites(C(s.routeSettled));
        const reads = recentMinute(k.writes, nowMs, B.aggregateMs);
        if (reads >= agg.settledMinReads) readShare = Math.max(readShare, Math.min(1, recentMinute(k.failed, nowMs, B.aggregateMs) / reads));
      }
      const byClass = Math.min(failed - failedWrites, readShare * (reached - writes)) + Math.min(failedWrites, agg.maxFailingShare * writes);
      capped = byClass * (1 + stopped / reached);
    }
    // A path whose reads fail a share of the time fails more of them when more people come: a campaign's visitors call
    // an "am I signed in?" path that answers every signed-out visitor with a 401. Once warm, the reads' usual failures
    // are also the failing share of settled sessions' reads there (learned: established sessions that are not failing,
    // from their third request on, the people's; a crowd of new sessions teaches it nothing, however many of its
    // requests pass) times the reads that reached the path in the same minute: more people do not raise the share, a
    // crowd's probes do. Under settledMinReads learned a minute the share counts as that many reads (a path people
    // seldom read tells little). The writes' failures are expected at their learned rate alone: a crowd of tries is
    // numbers, and its page loads of the form raise nothing its tries are weighed against. Not scaled by what was
    // stopped: that counts at the failing share of what reached the path, the people's once the crowd is stopped.
    let usualFailures = base.warm ? learnedFailures : Math.min(learnedFailures, capped);
    if (base.warm && s.routeRead >= 0 && reached > 0) {
      const learnedReads = perMinuteLearned(s.routeRead);
      const learnedReadFailures = Math.min(learnedFailures, perMinuteLearned(s.routeReadFail));
      const reads = Math.max(0, reached - recentMinute(decodeWrites(C(s.routeWrite)).writes, nowMs, B.aggregateMs));
      const share = Math.min(1, learnedReadFailures / Math.max(learnedReads, agg.settledMinReads));
      usualFailures = Math.max(usualFailures, learnedFailures - learnedReadFailures + share * reads);
    }
    const sg = surge(recent, usualFailures, agg.minExpectedPerMinute.failure, agg.failureMinSurprise);
    if (sg.share > 0) {
      // Judged only for its path's failing writes, a session that cannot be told from a person signing in straight
      // away: a challenge (the route's curve), never a denial on that alone.
      const pathOnly = !outsideSession && state === 'established' && !sessionFailing && !writesFailing;
      add('aggregate', 'surge-failures', aggregatePoints(sg.share, knobs, pathOnly ? agg.routeCurve : agg), recent, sg.expected, () => `${num(recent)} client errors/min on ${subject.route[2]} vs ${num(sg.expected)} expected (p=10^-${num(sg.surprise)}), ${Math.round(sg.share * 100)}% over normal${pathOnly ? '; this session loaded only the form before its first try, and most of the path\'s writes fail' : ''}${stopped > 0 ? ` (${num(failed)} seen, and ${num(stopped)} stopped at the ${Math.round(failingShare * 100)}% failing${failingShare > reachedShare ? ' seen before they were stopped' : ''} of the ${num(reached)} that reached the upstream)` : ''}`);
    }
  }
  // The form of a path whose tries are flagged for a failure surge: a newcomer loading it (no session: a careful stuffer
  // loads the form before each try, with a new client each time) is held to the tries' points, a challenge at most, and
  // so are the files of that page from its address for as long as the form is held. A request with a cookie is not
  // held for loading it, not even one never seen (an orphan): a person signing in again brings the cookie of a visit
  // days ago.
  if (ctx.form !== null) {
    const f = ctx.form;
    const newcomer = state === 'landing' || state === 'anonymous';
    if (f.lander || newcomer) {
      add('aggregate', 'surge-failures', f.points, f.points, 0, () => (f.lander ? `a file of the form of a path whose tries fail in a surge (${f.points} points), its page loaded from this address as a newcomer's` : `a newcomer loading the form of a path whose tries fail in a surge (${f.points} points)`));
      if (!f.lander) f.remember.remember(formLanderKey(subject.policyId, subject.address, f.code), nowMs, f.points);
    }
  }
  // One user's own credential from many networks at once: a token copied to a crowd. Each address of the crowd can stay
  // under every volume, and its kind be the app's users' own; the token cannot be everywhere for one user.
  // Those it holds are not counted in the token's crowds (the feed skips them): the bearers a crowd shares are what
  // tells it from the app's users of its kind, who would otherwise be held for its surge.
  let credentialSpread = false;
  if (ctx.credential !== null) {
    const d = distinct[ctx.credential.slot] ?? [];
    const networks = Math.max(d[0] ?? 0, d[1] ?? 0);
    const ck = knobs.credentials;
    credentialSpread = networks >= ck.minNetworks;
    add('aggregate', 'credential-spread', ratioPoints(networks, ck.minNetworks, ck.curve), networks, ck.minNetworks, () => `this request's own credential (${ctx.credential!.header}) came from ${num(networks)} networks (IPv4 /24, IPv6 /48) in ${B.longMs / 60_000}m; one user's comes from a few`);
  }

  // A token used from many new addresses: the token's surge alone is weak (its own clients keep arriving) and
  // is not held against a kind of client the crowd avoids; the (token, client kind) cell's is strong.
  // Before the policy is warm every pair's history is recent, so a young pair is the token's own client as often as
  // a crowd's early address (both were learned: the client's from the start, the crowd's until its surge became
  // significant): only pairs nothing was learned of are judged then.
  const judgedPair = base.warm || unlearnedPair;
  // Addresses of the (token, kind) cell's crowd in the long window, this one included when it is one: over minutes, so
  // that a crowd rotating a few addresses a minute adds up as one sending from many at once does.
  const pairFirst = unlearnedPair && (sessionLong.requests[0] ?? 0) === 1;
  const crowdAddresses = s.tokCellAddrs >= 0 ? long(s.tokCellAddrs) + (pairFirst && !credentialSpread ? 1 : 0) : 0;
  // A route where the newcomers of the request's (token, kind) cell are usual (learned at the cell's floor or more).
  const routeLearned = s.tokRouteBase >= 0 ? perMinuteLearned(s.tokRouteBase) : 0;
  const usualRoute = routeLearned >= agg.minExpectedPerMinute.cell;
  if (subject.token && state === 'new-pair' && judged && judgedPair && crowdAddresses >= agg.minTokenCrowdAddresses) {
    // Counted (and learned) are the requests of pairs nothing was learned of; a young pair is judged by them.
    const pending = unlearnedPair && !credentialSpread ? 1 : 0;
    const fresh = recentMinute(C(s.tokFreshAgg), nowMs, B.aggregateMs) + pending;
    const freshLearned = perMinuteLearned(s.tokFreshBase);
    const a = surge(fresh, freshLearned, agg.minExpectedPerMinute.token);
    const all = recentMinute(C(s.tokAgg), nowMs, B.aggregateMs);
    const b = surge(all, perMinuteLearned(s.tokBase), agg.minExpectedPerMinute.token);
    const fc = recentMinute(C(s.tokCell), nowMs, B.aggregateMs) + pending;
    const cellLearned = perMinuteLearned(s.tokCellBase);
    // A kind of client that hardly ever brings the token's new addresses (a script copying the app's key and
    // user agent, not its header set or TLS handshake) is a crowd of its own as soon as its cell surges: the
    // token's own newcomers need not be outnumbered first.
    // Below the cell's floor a kind is rare whatever the token's own rate: a token with few newcomers would
    // otherwise have a kind made usual by a handful of learned requests.
    const rare = freshLearned <= 0 || cellLearned <= Math.max(agg.rareClassShare * freshLearned, agg.minExpectedPerMinute.cell);
    const c = rare ? surge(fc, cellLearned, agg.minExpectedPerMinute.cell) : { share: 0 };
    // A young pair (learned, all of it recent) is held to a surge of the token's whole traffic, or of a rare kind's
    // own: the token's usual newcomers clumping (and flagged ones staying new) move the count of new pairs, not these.
    const crowd = unlearnedPair ? Math.max(a.share, b.share, c.share) : Math.max(b.share, c.share);
    // Held to the crowd only where it falls: a request on a route where the newcomers of its kind are usual (learned
    // at least at the cell's floor) must find them over their usual rate there too. An app's users arriving during a
    // crowd that sweeps a few of its routes start on, and mostly use, others; a crowd spread over the app's every
    // route surges each of them in turn. A route the newcomers hardly use is held only where the crowd is: one of
    // their calls there in the last minute (this one, from an address new to the token, included) beyond what they
    // usually bring, so a user arriving during the crowd is not held on a route of theirs it never touches (an
    // order's status). Routes are counted in lower case without a trailing slash, a segment of joined words as one
    // slug (tokenRouteParts): a crowd spelling its route a thousand ways, which some upstreams route alike, or fetching
    // a page per pair of words, is on one route.
    const rc = recentMinute(C(s.tokRoute), nowMs, B.aggregateMs) + pending;
    const routeExpected = Math.max(agg.minExpectedPerMinute.cell, routeLearned) * agg.slack;
    const routeShrunk = Math.max(0, rc - routeExpected) / (rc + agg.cellPseudoCount);
    // ... and over its usual share of the kind's newcomers: people's own spike (a push notification bringing the
    // app's users back at once) raises every route they use about alike, a crowd the few it sweeps. A route people
    // use most of the time (over half of the kind's newcomers' requests) cannot double its share, and is judged by
    // its own surge alone.
    const usualShare = Math.min(1, Math.max(agg.minExpectedPerMinute.cell, routeLearned) / Math.max(agg.minExpectedPerMinute.cell, cellLearned));
    const overShare = usualShare * agg.slack >= 1 || rc > agg.slack * usualShare * fc;
    // A route the kind's newcomers hardly use is carried by such a spike while the newcomers on their usual routes
    // surge by more than its own: the app's users led by a notification to a page new to the app (a promotion) open
    // the app on its usual routes first. A crowd on a route of its own (or on routes of its own making) moves none of
    // the usual routes; its calls held there count for nothing. What this lets through: a crowd that also sends at
    // least as many calls to the usual routes, in their usual shares, as to its target, which is a push's shape.
    const usualFresh = recentMinute(C(s.tokCellUsual), nowMs, B.aggregateMs);
    const usualExcess = usualFresh - Math.max(agg.minExpectedPerMinute.cell, perMinuteLearned(s.tokCellUsualBase)) * agg.slack;
    const carried = !usualRoute && usualExcess >= agg.minRecent && rc <= usualExcess;
    const present = rc >= 1 && rc > routeLearned * agg.slack;
    if (crowd > 0 && !(usualRoute ? routeShrunk === 0 || !overShare : !present) && !carried) {
      const spread = freshLearned > 0 ? Math.max(0, fresh - freshLearned * agg.slack) * Math.min(1, cellLearned / freshLearned) : 0;
      const avoided = spread >= agg.minRecent && poissonLowSurprise(fc, spread + cellLearned * agg.slack) >= agg.avoidedSurprise;
      // The pair's own calls weigh against it only as far as they spread as the kind's newcomers' do and the crowd's
      // do not: an app's user arriving during a crowd on a route of theirs has called the app's other routes too.
      const pairOnRoute = s.pairRoute >= 0 ? sliding(C(s.pairRoute), nowMs, B.longMs) : 0;
      const mix = s.pairRoute >= 0 && sessionRequests >= agg.pairRouteMinRequests ? pairMixRatio(pairOnRoute, sessionRequests, fc > 0 ? rc / fc : 1, usualShare, agg.pairMixMinEvidence) : 1;
      const mixDetail = mix < 1 ? `; held ${mix < 0.01 ? 'over 100' : num(1 / mix)} times less for this address's spread: ${num(pairOnRoute)} of its ${num(sessionRequests)} calls with the token ${longWindow} on this route` : '';
      if (unlearnedPair && a.share > 0 && !avoided) add('aggregate', 'surge-token-new-addresses', aggregatePoints(discountShare(a.share, mix), knobs, agg.routeCurve), fresh, a.expected, () => `${num(fresh)} requests/min with this token from addresses new to it vs ${num(a.expected)} expected (p=10^-${num(a.surprise)})${mixDetail}`);
      if (b.share > 0 && !avoided) add('aggregate', 'surge-token', aggregatePoints(discountShare(b.share, mix), knobs, agg.routeCurve), all, b.expected, () => `${num(all)} requests/min with this token vs ${num(b.expected)} expected (p=10^-${num(b.surprise)}); this address is new to it${mixDetail}`);
      const expected = Math.max(agg.minExpectedPerMinute.cell, cellLearned) * agg.slack;
      const shrunk = Math.max(0, fc - expected) / (fc + agg.cellPseudoCount);
      // On a route the newcomers hardly use, the crowd's own surge there is its evidence when this pair's calls are
      // on it as a crowd address's are: a crowd copying an app exactly is a small part of the app's traffic (the
      // token's surge stays weak), while a user reaches the route among the app's other calls.
      const userLike = sessionRequests >= agg.pairRouteMinRequests && pairOnRoute <= Math.max(1, agg.pairRouteMaxShare * sessionRequests);
      // Where the route's own surge is significant its shrunk share (routeShrunk, always under the surge's) is held.
      const onRouteAlone = s.pairRoute >= 0 && !usualRoute && !userLike && surge(rc, routeLearned, agg.minExpectedPerMinute.cell).share > 0;
      const cellHeld = onRouteAlone ? Math.max(Math.min(crowd, shrunk), routeShrunk) : Math.min(crowd, shrunk, usualRoute ? routeShrunk : 1);
      const held = discountShare(cellHeld, mix);
      add('aggregate', 'surge-token-cell', aggregatePoints(held, knobs), fc, expected, () => `${num(fc)} requests/min with this token from ${num(crowdAddresses)} new addresses by this kind of client vs ${num(expected)} expected, ${Math.round(shrunk * 100)}% of them over normal, ${num(rc)} on this route vs ${num(routeExpected)} expected, in a surge ${Math.round(crowd * 100)}% over normal${onRouteAlone || mix < 1 ? `; ${num(pairOnRoute)} of this address's ${num(sessionRequests)} calls with the token ${longWindow} on this route` : ''}${mix < 1 ? ` (${Math.round(cellHeld * 100)}% held for the cell, ${Math.round(held * 100)}% for this address's spread)` : ''}`);
    }
  }

  // A session judged with its address's errors is not remembered as known: its next Check reads them and what the
  // address kept, which a known session's skips.
  if (ctx.known !== true && ctx.known !== false && (state === 'established' || state === 'established-pair') && !pagelessCalls && !oneShot && !(addressJudged && addressErrors > 0)) ctx.known.remember(`${subject.policyId}\u0000${subject.session}`, nowMs);
  // Whether a known session's call is planned as its first: while one begun lately has made none (its page loads).
  if (ctx.sessions !== undefined && ctx.planned === 'session') {
    if (begunLately && sessionCalls === 0) ctx.sessions.remember(uncalledSessionKey(subject.policyId, subject.session), nowMs);
    else if (ctx.uncalled) ctx.sessions.take(uncalledSessionKey(subject.policyId, subject.session), nowMs);
  }
  const repeatLanding = ctx.newLanding && fromAddress !== null && fromAddress.landings > 1;
  const kept = ctx.ignore.length === 0 ? signals : signals.filter((x) => !ctx.ignore.includes(x.name) && !ctx.ignore.includes(x.family));
  return {
    signals: strongestPerFamily(kept),
    observations: { subject, state, returnedTo, landingsLearned, calmLearned, orphanContinued, pagelessLanding: firstPageless, dressedLanding: state === 'landing' && ctx.pageLoad && notAPage, fresh, failing: sessionFailing, settled, addressFirst, unlearnedPair, pairFirst, credentialSpread, usualTokenRoute: usualRoute, explained, novel, surged, unreturnedLanding: ctx.unreturnedLanding, repeatLanding, pageCallLanding: repeatLanding && !ctx.pageLoad && fromAddress!.pages > 0, head: subject.method === 'HEAD', page: ctx.pageLoad, subresource: ctx.subresource, volume, learnShares, young: !base.warm, agedMinute, missingTarget, addressProbed, firstCall, fromPage: ctx.fromPage },
  };
}
