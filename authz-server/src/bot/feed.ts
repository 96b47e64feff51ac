/**
 * The bot detectors' off-path writes, through DeferredCounters (never on a Check's round trip):
 *
 *  - what a judged request was, known only after the batch: an orphan session (counted as traffic outside a
 *    session for its source, network, route and cell), a return (credited to the route it landed on), an
 *    orphan session coming back, a token used from a new address;
 *  - LEARNING, from requests that were not flagged only: histogram bins of the volume classes, the learned
 *    rates of routes, cells and tokens, the population's requests, HEAD requests, errors, landings and returns;
 *  - response codes from Envoy's access log (StreamAccessLogs): client errors per session, address, token and
 *    path; and, when the entry carries the response's content type, whether the route answers navigations with
 *    pages or data;
 *  - the server's own authentication (401) and access (403) denials: errors AND requests (those Checks end
 *    before the store batch, so their requests are counted here).
 *
 * An access-log entry counts only when it matches a Check this process allowed (by x-request-id; the last
 * `maxCorrelations` are remembered, each usable once), and then for that Check's policy, client, session, token
 * and route: nothing the entry itself claims (addresses, request headers, :authority) is believed, so a forged or
 * replayed entry can raise no one's score. Entries of ext_authz denials (UAEX) are skipped: they were counted
 * when the decision was made. Entries for Checks answered by another replica find no match here and are not
 * counted either.
 */
import { routeTemplate, type RouteShapes } from './route-shapes.ts';
import type { BotSignal, Outcome } from '../pipeline/outcome.ts';
import { sessionOf } from '../pipeline/rate-limit.ts';
import type { RequestContext } from '../pipeline/request.ts';
import type { Runtime, RuntimePolicy } from '../pipeline/runtime.ts';
import { accessLogEvents, type StreamAccessLogsMessage } from './access-log.ts';
import { botAllowListed, type JudgedAssessment } from './assess.ts';
import { edgesCrossed } from './baseline.ts';
import type { BotObservations } from './behaviour.ts';
import type { DeferredCounters } from './deferred.ts';
import { RecentKeys } from './recent-keys.ts';
import { clientAddress, clientFingerprint, isPageLoad, isSubresource } from './fingerprint.ts';
import { FormWatch } from './form-watch.ts';
import type { ClaimAnswers } from './claim-answers.ts';
import { probeOf, type ProbeMemory, type ProbeTarget } from './probes.ts';
import { DEFAULT_BOT_KNOBS, type BotKnobs } from './knobs.ts';
import { ADDR_ERROR_UNIT, BOT_KEYS, familyOfRoute, SRC_ERROR_UNIT, SRC_PROBE_UNIT, CALM_UNIT, LIVED_UNIT, PAGE_LANDING_UNIT, PAGE_UNIT, PrefixCache, ROUTE_RETURN_UNIT, SESSION_LIVED_UNIT, UNANSWERED_CODES, unansweredKey, NET_KEPT_UNIT, STOP_UNIT, TOKEN_KEPT_UNIT, WRITE_FAIL_UNIT, bucketTtlMs, cookieSession, firstCallParts, formKey, histogramKeyName, isCookieSession, isWrite, pathParts, refererRoute, routeParts } from './windows.ts';
import { Canonical, RememberedChecks, partsKey } from '../telemetry/remembered-checks.ts';

export interface BotFeedOptions {
  deferred: DeferredCounters;
  clock: () => number;
  /** The runtime in force (policies by id and host). */
  runtime: () => Runtime | null;
  knobs?: BotKnobs;
  /** Request ids remembered to tie access-log entries to their Check. Default 50000. */
  maxCorrelations?: number;
  /** Whether Checks are remembered for access-log entries now (telemetry/access-log-presence.ts). Default: always. */
  remembering?: () => boolean;
  /** Route shapes the Checks use (BaselineBook.routes): learned here from the requests passed clean. */
  routes?: RouteShapes;
  /** Landings the upstream did not answer, for their retries (BaselineBook.unanswered). */
  unanswered?: RecentKeys;
  /** The form pages of paths whose tries are flagged for a failure surge (BaselineBook.attackedForms). */
  attackedForms?: RecentKeys;
  /** What the upstream's answers to scanners' targets taught (BaselineBook.probes). */
  probes?: ProbeMemory;
  /** Routes whose file claims the upstream answered with data (BaselineBook.fileClaims). */
  fileClaims?: ClaimAnswers;
  /** Routes whose navigations the upstream answered with data (BaselineBook.navigationClaims). */
  navigationClaims?: ClaimAnswers;
}

interface Correlation {
  policyId: string;
  address: string;
  /** The client fingerprint: with the address, the source whose errors and probes count apart (errSrc). */
  fingerprint: string;
  session: string;
  token: string | null;
  route: string[];
  flagged: boolean;
  /**
   * The request was a page load (isPageLoad: a navigation that asked for HTML, which a route that negotiates answers
   * with a page): its answer tells what the route serves to navigations.
   */
  page: boolean;
  /** Host and path of a request passed clean, learned by the route shapes once the upstream answered it (2xx, 3xx). */
  shape?: { host: string; path: string };
  /**
   * A request of a kept session passed clean, counted as kept (its address's, and its network's when it has one)
   * once the upstream answered it without a client error.
   */
  kept?: { network: string };
  /** A settled session's read on a young policy: its failure counts in its path's settled failures too. */
  settled?: boolean;
  /**
   * A newcomer's request (a landing: a browser without the cookie; or one with neither a session nor a token): unanswered
   * by the upstream, its address's next such request on the route is its retry.
   */
  newcomer?: boolean;
  /**
   * The request asked for a scanner's target (probeOf): answered with a client error, of a family the site does not
   * serve, it counts as its address's probe (ProbeMemory.answered).
   */
  probe?: { target: ProbeTarget; host: string; path: string };
  /**
   * The request claimed to be a page's file (isSubresource), or a page load (isPageLoad), asking for that kind first as
   * a browser does (claimOf): what its answer carried tells whether the route serves files, or pages (ClaimAnswers).
   */
  claim?: 'file' | 'page';
}

/** Counts of what the feed saw, for metrics and tests. */
export interface BotFeedStats {
  entries: number;
  errors: number;
  ownDenials: number;
  correlated: number;
  /** Entries that matched no remembered Check (forged, replayed, or another replica's). */
  unmatched: number;
}

type Window = 'tick' | 'minute' | 'aggregate' | 'long' | 'errors' | 'baseline' | 'landing';

/** The `kept` of a Correlation whose request came from no network of its own (one object for all of them). */
const NOT_IN_NETWORK = Object.freeze({ network: '' });

/** Denials by the policy that answer a probe as the upstream's client error would. */
const PROBE_REFUSALS: ReadonlySet<string> = new Set(['authentication', 'access', 'validation', 'inspection']);

/**
 * What a request claims to be for ClaimAnswers: a page's file, or a page load, asking for that kind first as browsers
 * do (a file's request names no data type, a navigation asks for HTML first). A request that prefers data gets data
 * from a route that negotiates, which says nothing against the route's files or pages: only a route that answers
 * data whatever is asked for teaches that its claims are calls.
 */
function claimOf(req: RequestContext): Correlation['claim'] {
  const accept = req.headers.get('accept') ?? '';
  if (isSubresource(req.headers, req.path)) return /json|protobuf/i.test(accept) ? undefined : 'file';
  return isPageLoad(req.method, req.headers) && accept.trimStart().toLowerCase().startsWith('text/html') ? 'page' : undefined;
}

/** The `probe` and `claim` of a remembered Check (Correlation). */
function requestFields(req: RequestContext): { probe?: Correlation['probe']; claim?: Correlation['claim'] } {
  const target = probeOf(req);
  const probe = target === null ? {} : { probe: { target, host: req.host, path: req.path } };
  const claim = claimOf(req);
  return claim === undefined ? probe : { ...probe, claim };
}

/** Most newcomer learning held for young policies at once; beyond it, learned at once as on a warm policy. */
const MAX_YOUNG_HELD = 100_000;

const youngScope = (policyId: string, route: readonly string[]) => `${policyId}\u0000${route.join('\u0000')}`;

export class BotFeed {
  readonly #deferred: DeferredCounters;
  readonly #clock: () => number;
  readonly #runtime: () => Runtime | null;
  readonly #knobs: BotKnobs;
  readonly #routeShapes: RouteShapes | undefined;
  readonly #unanswered: RecentKeys | undefined;
  readonly #attackedForms: RecentKeys | undefined;
  readonly #probes: ProbeMemory | undefined;
  readonly #fileClaims: ClaimAnswers | undefined;
  readonly #navigationClaims: ClaimAnswers | undefined;
  readonly #formWatch: FormWatch | undefined;
  readonly #errorCodes: Set<number>;
  /** Bucket length and expiry of each window, as behaviour.ts and baseline.ts read them. */
  readonly #windows: Record<Window, { bucketMs: number; ttlMs: number }>;
  readonly #remembered: RememberedChecks<Correlation>;
  /** What remembered Checks hold (addresses, sessions, tokens; routes), shared by a client's many Checks. */
  readonly #strings = new Canonical<string>();
  readonly #routes = new Canonical<string[]>();
  /**
   * Deterministic fractional choices: per aggregate baseline, the running remainder of the share of requests it
   * learns from (a crowd's, a surge's); and the returns that are learned.
   */
  readonly #learnTurns = new Map<string, number>();
  #returnTurn = 0;
  #calmTurn = 0;
  /**
   * A young policy's learning of newcomers (route, cell, class and site-wide rates), held for `learning.youngHoldMs`
   * and dropped when a crowd's surge scored on the route meanwhile: a crowd's first requests, before its surge was
   * significant, would otherwise make a large part of a short history. Oldest first, at most MAX_YOUNG_HELD. (A
   * token's rates held the same way kept the token's own clients flagged as a crowd: bench/RESULTS.md.)
   */
  readonly #youngHeld: Array<{ at: number; scope: string; counter: string; parts: string }> = [];
  #youngHeldFirst = 0;
  /** When a crowd's surge last scored on a route (youngScope), while its policy was young. */
  readonly #surgedAt = new Map<string, number>();
  /** Per cookie session (policy and session): the route code of the page it loaded last, until its first call from it. */
  readonly #pageLoads = new RecentKeys({ ttlMs: 60_000, maxEntries: 20_000 });
  readonly stats: BotFeedStats = { entries: 0, errors: 0, ownDenials: 0, correlated: 0, unmatched: 0 };

  constructor(opts: BotFeedOptions) {
    this.#deferred = opts.deferred;
    this.#clock = opts.clock;
    this.#runtime = opts.runtime;
    this.#knobs = opts.knobs ?? DEFAULT_BOT_KNOBS;
    this.#routeShapes = opts.routes;
    this.#unanswered = this.#knobs.sessions.retryMs > 0 ? opts.unanswered : undefined;
    this.#attackedForms = this.#knobs.surge.formHoldMs > 0 ? opts.attackedForms : undefined;
    this.#probes = opts.probes;
    this.#fileClaims = opts.fileClaims;
    this.#navigationClaims = opts.navigationClaims;
    const g = this.#knobs.surge;
    this.#formWatch = this.#attackedForms ? new FormWatch({ windowMs: g.formHoldMs, minTries: g.formMinTries, minShare: g.formMinShare, maxPages: 10_000 }) : undefined;
    this.#remembered = new RememberedChecks({ max: opts.maxCorrelations ?? 50_000, ...(opts.remembering ? { remembering: opts.remembering } : {}) });
    this.#errorCodes = new Set(this.#knobs.errors.codes);
    const B = this.#knobs.buckets;
    const w = (bucketMs: number, buckets: number) => ({ bucketMs, ttlMs: bucketTtlMs(bucketMs, buckets) });
    this.#windows = { tick: w(B.tickMs, 2), minute: w(B.minuteMs, 2), aggregate: w(B.aggregateMs, 4), long: w(B.longMs, 2), errors: w(B.errorsMs, 2), baseline: w(B.baselineMs, Math.max(2, this.#knobs.learning.buckets)), landing: w(this.#knobs.sessions.landingMemoryMs, 2) };
    // Held learning is written when due even while no Check comes.
    this.#deferred.beforeFlush(() => this.#releaseYoung(this.#clock()));
  }

  /** Adds `delta` to the current bucket of a counter, as behaviour.ts and baseline.ts read it. */
  #bump(keys: PrefixCache, name: string, parts: readonly string[], window: Window, now: number, delta = 1): void {
    const w = this.#windows[window];
    this.#deferred.addBucket(keys.counterName(name), keys.hash(parts), Math.floor(now / w.bucketMs), delta, w.ttlMs);
  }

  /** A cookie session's write that failed (answered with a client error, or stopped): the session's writes counter. */
  #countFailedWrite(keys: PrefixCache, session: string, method: string, now: number): void {
    if (isCookieSession(session) && isWrite(method)) this.#bump(keys, BOT_KEYS.sessWrites, [session], 'long', now, WRITE_FAIL_UNIT);
  }

  /** A request answered (`answered`) and/or a client error (`errors`), for its address and its source. */
  #countAnswer(keys: PrefixCache, address: string, fingerprint: string, now: number, answered: 0 | 1, errors: 0 | 1): void {
    this.#bump(keys, BOT_KEYS.errAddr, [address], 'errors', now, answered + errors * ADDR_ERROR_UNIT);
    this.#bump(keys, BOT_KEYS.errSrc, [address, fingerprint], 'errors', now, answered + errors * SRC_ERROR_UNIT);
  }

  /** A probe answered (or refused, or stopped as its answer would have been), for its address and its source. */
  #countProbe(keys: PrefixCache, address: string, fingerprint: string, now: number): void {
    this.#bump(keys, BOT_KEYS.probeAddr, [address], 'errors', now);
    this.#bump(keys, BOT_KEYS.errSrc, [address, fingerprint], 'errors', now, SRC_PROBE_UNIT);
  }

  #countError(keys: PrefixCache, c: Omit<Correlation, 'policyId' | 'page'>, now: number, ownDenial: boolean): void {
    this.#countAnswer(keys, c.address, c.fingerprint, now, 0, 1);
    if (c.session) this.#bump(keys, BOT_KEYS.errSess, [c.session], 'long', now);
    // Cookie sessions only (behaviour.ts reads no writes counter for a token's pair).
    this.#countFailedWrite(keys, c.session, c.route[1] ?? '', now);
    if (c.token) this.#bump(keys, BOT_KEYS.errTok, [c.token], 'long', now);
    const path = pathParts(c.route);
    this.#bump(keys, BOT_KEYS.routeFailAgg, path, 'aggregate', now);
    if (isWrite(c.route[1] ?? '')) this.#bump(keys, BOT_KEYS.routeWriteAgg, path, 'aggregate', now, WRITE_FAIL_UNIT);
    if (c.settled) this.#bump(keys, BOT_KEYS.routeSettledAgg, path, 'aggregate', now, WRITE_FAIL_UNIT);
    if (!c.flagged && !ownDenial) {
      this.#bump(keys, BOT_KEYS.routeFailBase, path, 'baseline', now);
      if (c.settled) this.#bump(keys, BOT_KEYS.routeReadFailBase, path, 'baseline', now);
      this.#bump(keys, BOT_KEYS.popErr, [], 'baseline', now);
    }
    if (ownDenial) {
      this.#bump(keys, BOT_KEYS.ipTick, [c.address], 'tick', now);
      this.#bump(keys, BOT_KEYS.ipLong, [c.address], 'long', now);
      if (c.session) this.#bump(keys, BOT_KEYS.sessLong, [c.session], 'long', now);
      if (c.token) this.#bump(keys, BOT_KEYS.tokLong, [c.token], 'long', now);
    }
  }

  /** Who a request was, computed from the request (own denials, and Checks of policies not scoring bots). */
  #subjectOf(policy: RuntimePolicy, req: RequestContext, outcome: Outcome): Omit<Correlation, 'policyId' | 'flagged' | 'page'> {
    const cookie = sessionOf(policy, req);
    return {
      address: clientAddress(req.clientIp, req.principal),
      fingerprint: clientFingerprint(req.headers, policy.bot.fingerprintHeaders ?? this.#knobs.tlsFingerprintHeaders),
      session: cookie ? cookieSession(cookie) : '',
      token: outcome.consumer && outcome.consumer !== '' ? outcome.consumer : null,
      route: routeParts(req.host, req.method, routeTemplate(this.#routeShapes, policy.id, req.host, req.path)),
    };
  }

  /** Called with every Check's outcome (after the response is built). */
  onDecision(req: RequestContext, outcome: Outcome): void {
    const policy = outcome.policy;
    if (!policy) return;
    const bot = outcome.bot as JudgedAssessment | null;
    const obs = bot?.observations;
    // Without bot scoring the policy's access-log entries count for nothing here (the inventory ties them to their
    // Checks), so its Checks are not remembered.
    if (policy.bot.mode === 'Off') return;
    // What the detectors did not observe of a Check (one they did not judge, or a refusal before them): once, if needed.
    let unobserved: Omit<Correlation, 'policyId' | 'flagged' | 'page'> | undefined;
    const subjectOf = () => (unobserved ??= this.#subjectOf(policy, req, outcome));
    // A Check the detectors did not judge (an exempt path) is remembered all the same: its errors count.
    if (!obs && outcome.kind === 'allow' && this.#remembered.accepts(req.requestId)) this.#remember(req.requestId, { policyId: policy.id, ...subjectOf(), flagged: false, page: isPageLoad(req.method, req.headers), ...requestFields(req) });
    const now = this.#clock();
    const keys = new PrefixCache(policy.id);
    // Answered (by the upstream, or refused by the policy for anything but the bot stage): what the address's client
    // errors are weighed against (#countError adds them).
    const reason = outcome.kind === 'deny' ? outcome.denial.reason : null;
    const ownDenial = reason === 'authentication' || reason === 'access';
    if (ownDenial && botAllowListed(policy, req)) return;
    const who = obs?.subject ?? subjectOf();
    if (reason !== 'bot' && reason !== 'challenge') this.#countAnswer(keys, who.address, who.fingerprint, now, 1, 0);
    // A scanner's target the policy refused is a probe answered, as the upstream's 404 would be.
    if (reason !== null && PROBE_REFUSALS.has(reason) && this.#probeNow(policy.id, req, now) && !botAllowListed(policy, req)) this.#countProbe(keys, who.address, who.fingerprint, now);
    if (ownDenial) {
      this.stats.ownDenials++;
      this.#countError(keys, { ...subjectOf(), flagged: false }, now, true);
      return;
    }
    if (!bot || !obs) return;
    // Whatever the verdict: how long a source's sessions live is what it does, not what it was let through to do.
    const life = (obs.agedMinute ? LIVED_UNIT : 0) + (obs.state === 'return' ? 1 : 0);
    if (life > 0) this.#bump(keys, BOT_KEYS.srcLife, [obs.subject.address, obs.subject.fingerprint], 'long', now, life);
    if (obs.agedMinute) this.#bump(keys, BOT_KEYS.errSess, [obs.subject.session], 'long', now, SESSION_LIVED_UNIT);
    // The landing memory counted a dressed navigation as a page load (written with the Check's batch, before its route
    // was read): taken back, so that it spares none of the address's later landings without one.
    if (obs.dressedLanding) this.#bump(keys, BOT_KEYS.landing, [obs.subject.address], 'landing', now, -PAGE_LANDING_UNIT);
    let crowd = 0;
    let gatedSurge = false;
    for (const s of bot.signals as Array<BotSignal & { family?: string }>) {
      if (s.score <= 0 || s.family !== 'aggregate') continue;
      crowd += s.score;
      if ((s.name === 'surge-route' || s.name === 'surge-cell' || s.name === 'surge-class' || s.name === 'surge-novel') && (obs.state === 'landing' || obs.state === 'orphan')) gatedSurge = true;
    }
    if (obs.young && gatedSurge) this.#surgedAt.set(youngScope(policy.id, obs.subject.route), now);
    this.#releaseYoung(now);
    // Listed when it fired, with 0 points when a stronger aggregate signal counted instead.
    const failureSurge = bot.signals.some((s) => s.name === 'surge-failures');
    // The page a try flagged for its path's failure surge was posted from is the path's form while its tries are
    // flagged, once they are a crowd's (FormWatch): newcomers loading it are held to the tries' points, a challenge at
    // most (the route's curve).
    if (this.#formWatch !== undefined && this.#attackedForms !== undefined) {
      if ((obs.state === 'landing' || obs.state === 'anonymous') && obs.page) this.#formWatch.landed(formKey(policy.id, obs.subject.routeCode), now);
      else if (failureSurge && bot.verdict !== 'allow' && isWrite(obs.subject.method)) {
        const form = refererRoute(req.host, req.headers.get('referer'), (path) => routeTemplate(this.#routeShapes, policy.id, req.host, path));
        const key = form === null ? null : formKey(policy.id, keys.code(form));
        if (key !== null && this.#formWatch.tried(key, now)) this.#attackedForms.remember(key, now, Math.min(bot.score, this.#knobs.surge.routeCurve.max));
      }
    }
    if (outcome.kind === 'deny' && (outcome.denial.reason === 'bot' || outcome.denial.reason === 'challenge')) {
      // Stopped (denied, or answered with a challenge): the upstream never sees the request, so the access log will
      // not count it. A try is a client error whatever stopped it: a write (a stuffer's) and a failure surge's request,
      // so that tries stopped add up as the failures they would have been. Not a read stopped for anything else, a
      // token's included, by the crowd it came with or by its own evidence: its volume, its sessions and its tells are
      // counted whatever the verdict, and its real errors stay for their window, so the evidence does not fade while
      // the client keeps coming; counted as an error too, a stop would be evidence for the next stop, and a person who cannot keep the
      // pass (blocking cookies) stopped once by a page's burst of requests would be held by the stops alone.
      // The address only for requests outside an established session (the stopped client's own), not to spread over
      // the people behind a NAT; never the path's failures (people landing there would be stopped for the stops, and
      // stopping them would feed it): the path counts a crowd's stops apart (STOP_UNIT), and surge-failures weighs
      // them by the failing share of what reached the upstream.
      const ownEvidence = bot.score - crowd >= policy.bot.challengeScore;
      const clientsError = failureSurge || isWrite(obs.subject.method);
      if (clientsError && obs.subject.session) this.#bump(keys, BOT_KEYS.errSess, [obs.subject.session], 'long', now);
      // A stopped write was counted as one of its session's writes when it was decided; unless it counts as failed too,
      // each try stopped would read as one that succeeded, and the session's tries as mostly succeeding.
      this.#countFailedWrite(keys, obs.subject.session, obs.subject.method, now);
      // The address's: only a failure surge's tries. A write stopped elsewhere is no evidence of its address's errors (a
      // person who blocks cookies, stopped on the app's beacons, would make the people behind their address fail).
      if (failureSurge && (obs.fresh || obs.state === 'new-pair')) this.#countAnswer(keys, obs.subject.address, obs.subject.fingerprint, now, 1, 1);
      // Only a failure surge's own: a client stopped by its own evidence (a burst) would have failed at its own rate,
      // and a crowd stopped for its numbers alone (a scrape, 2% of it 404s) would have made a failure surge of the
      // people's own few errors.
      if (failureSurge && !ownEvidence) this.#bump(keys, BOT_KEYS.routeFailAgg, pathParts(obs.subject.route), 'aggregate', now, STOP_UNIT);
      // A probe for a target the upstream answered as missing (the judge counted it before its answer): the answer it
      // would have had. And a scanner's target asked for by an address whose probes were answered: a scanner stopped for
      // its probes keeps probing. Only those: a stop is no evidence of the next stop.
      if (obs.missingTarget || (obs.addressProbed && this.#probeNow(policy.id, req, now))) this.#countProbe(keys, obs.subject.address, obs.subject.fingerprint, now);
    } else if (outcome.kind === 'allow') {
      this.#bump(keys, BOT_KEYS.routeReqAgg, pathParts(obs.subject.route), 'aggregate', now);
      // Read by a young policy's failure cap and by a write for its path's failing share of writes (failed writes are
      // counted with the access log's errors).
      if (isWrite(obs.subject.method)) this.#bump(keys, BOT_KEYS.routeWriteAgg, pathParts(obs.subject.route), 'aggregate', now);
      if (obs.settled && obs.young) this.#bump(keys, BOT_KEYS.routeSettledAgg, pathParts(obs.subject.route), 'aggregate', now);
    }
    // Suspicious requests (not only flagged ones) never enter what is learned; see knobs.learning.maxScore.
    const flagged = bot.verdict !== 'allow' || (outcome.kind === 'deny' && outcome.denial.reason === 'bot');
    const max = this.#knobs.learning.maxScore;
    const clean = !flagged && bot.score < max;
    // The usual failing share of people's reads of the path: settled sessions' that reached it clean, and their failures (#countError).
    if (clean && outcome.kind === 'allow' && obs.settled) this.#bump(keys, BOT_KEYS.routeReadBase, pathParts(obs.subject.route), 'baseline', now);
    // A crowd flagged only as a crowd is learned from, slowly (one request in 1/crowdLearning): a legitimate new
    // crowd becomes normal within hours, an attack does not within minutes.
    const aggregates = clean ? 1 : bot.score - crowd < max && !gatedSurge ? this.#knobs.surge.crowdLearning : 0;
    // A token's pair is known once one of its requests passed clean but for the surge of the token's whole traffic:
    // that surge (its own users clumping) must not keep the pairs of those it let through new, or each of their
    // requests would count as one from a new address and feed the newcomers' surge until it flags them. The
    // newcomers' own surges (surge-token-new-addresses, surge-token-cell) still keep a pair new.
    const tokenSurge = bot.signals.find((s) => s.name === 'surge-token')?.score ?? 0;
    const pairClean = !flagged && bot.score - tokenSurge < max;
    // People behind an address keep their sessions and pass: what tells a NAT from one client (volume-addr-*). A token's
    // calls, clean or not, are counted apart: they are left out of the address's traffic there.
    // The same for a network (volume-net-addresses): its clean kept traffic and clean token calls, and its addresses
    // that sent new-session requests (each once per tick bucket).
    // Where an access log arrives, a kept session's request counts once the upstream answered it without a client
    // error, and none of a session that mostly fails: a scanner keeping made-up cookies for a few probes each (404s)
    // keeps next to nothing, however clean its headers.
    const network = 'cookie' in policy.bot.session ? obs.subject.network : '';
    // Remembered until its access-log entry arrives (only while entries arrive): what is counted once it is answered.
    const remembered = outcome.kind === 'allow' && this.#remembered.accepts(req.requestId);
    const keptSession = clean && !obs.fresh && !obs.failing && obs.subject.token === null;
    const keptLater = keptSession && remembered;
    if (obs.subject.token) this.#bump(keys, BOT_KEYS.keptLong, [obs.subject.address], 'long', now, TOKEN_KEPT_UNIT);
    else if (keptSession && !keptLater) this.#bump(keys, BOT_KEYS.keptLong, [obs.subject.address], 'long', now);
    if (network && ((clean && obs.subject.token !== null) || (keptSession && !keptLater))) this.#bump(keys, BOT_KEYS.netNew, [network], 'long', now, NET_KEPT_UNIT);
    if (network && obs.addressFirst) this.#bump(keys, BOT_KEYS.netFreshAddrs, [network], 'tick', now);
    // What a page's own calls are: a session's first call from a page (its Referer) after loading it, clean ones only.
    if (isCookieSession(obs.subject.session)) {
      const key = `${policy.id}\u0000${obs.subject.session}`;
      if (obs.page) {
        if (clean) this.#pageLoads.remember(key, now, obs.subject.routeCode);
        else this.#pageLoads.take(key, now);
      } else if (obs.fromPage >= 0) {
        const loaded = this.#pageLoads.valueOf(key, now);
        if (loaded !== undefined) {
          this.#pageLoads.take(key, now);
          // A session's first call from a page is learned here as in the landers' own share (learnShares.firstCall): a
          // crowd whose calls are not yet significant cannot make its target the page's usual first call meanwhile.
          if (loaded === obs.fromPage && clean && (!obs.firstCall || this.#sampled(BOT_KEYS.pageCallBase, obs.learnShares.firstCall))) {
            const parts = firstCallParts(obs.fromPage, obs.subject.routeCode);
            this.#bump(keys, BOT_KEYS.pageCallBase, parts.pageRoute, 'baseline', now);
            this.#bump(keys, BOT_KEYS.pageCallBase, parts.page, 'baseline', now);
          }
        }
      }
    }
    this.#learn(obs, keys, { clean, flagged, individually: bot.score - crowd < max, pairClean, aggregates, cookieSite: 'cookie' in policy.bot.session }, now);
    // Route shapes learn a path once its upstream answered it, where an access log arrives: made-up words a client sends
    // (404s) must not widen a shape and merge the site's routes. Without an access log, from the Check.
    const shape = clean && this.#routeShapes !== undefined && req.path.indexOf('/', 1) > 0;
    if (remembered) {
      const { subject } = obs;
      this.#remember(req.requestId, { policyId: subject.policyId, address: subject.address, fingerprint: subject.fingerprint, session: subject.session, token: subject.token, route: subject.route, flagged: !clean, page: obs.page, ...(shape ? { shape: { host: req.host, path: req.path } } : {}), ...(keptLater ? { kept: { network } } : {}), ...(obs.settled ? { settled: true } : {}), ...((obs.state === 'landing' || obs.state === 'anonymous') && this.#unanswered ? { newcomer: true } : {}), ...requestFields(req) });
    } else if (shape) this.#routeShapes!.learn(policy.id, req.host, req.path);
  }

  /** Learns what a young policy's newcomers taught `youngHoldMs` ago, unless a crowd's surge scored on its route since. */
  #releaseYoung(now: number): void {
    const held = this.#youngHeld;
    if (held.length === 0) return;
    const due = now - this.#knobs.learning.youngHoldMs;
    const w = this.#windows.baseline;
    let i = this.#youngHeldFirst;
    for (; i < held.length && held[i]!.at <= due; i++) {
      const h = held[i]!;
      if ((this.#surgedAt.get(h.scope) ?? -Infinity) >= h.at) continue;
      this.#deferred.addBucket(h.counter, h.parts, Math.floor(h.at / w.bucketMs), 1, w.ttlMs);
    }
    if (i === held.length) {
      held.length = 0;
      this.#youngHeldFirst = 0;
      this.#surgedAt.clear();
    } else if (i > 1024 && i * 2 > held.length) {
      held.splice(0, i);
      this.#youngHeldFirst = 0;
    } else this.#youngHeldFirst = i;
  }

  /** Whether to learn this time at `share` (0..1) for the baseline `name`, spread evenly over the requests. */
  #sampled(name: string, share: number): boolean {
    if (share >= 1) return true;
    if (!(share > 0)) return false;
    const turn = ((this.#learnTurns.get(name) ?? 0) + share) % 1;
    this.#learnTurns.set(name, turn);
    return turn < share;
  }

  #learn(obs: BotObservations, keys: PrefixCache, learn: { clean: boolean; flagged: boolean; individually: boolean; pairClean: boolean; aggregates: number; cookieSite: boolean }, now: number): void {
    const { subject, state } = obs;
    const bump = (name: string, parts: readonly string[], window: Window, delta = 1) => this.#bump(keys, name, parts, window, now, delta);
    // A young policy's newcomer learning waits (see #youngHeld); a warm one's is written at once.
    const routeScope = obs.young ? youngScope(subject.policyId, subject.route) : '';
    const hold = (name: string, parts: readonly string[]) => {
      if (routeScope === '' || this.#youngHeld.length - this.#youngHeldFirst >= MAX_YOUNG_HELD) bump(name, parts, 'baseline');
      else this.#youngHeld.push({ at: now, scope: routeScope, counter: keys.counterName(name), parts: keys.hash(parts) });
    };
    const pair = state === 'new-pair' || state === 'established-pair';
    const cell = [...subject.route, subject.fingerprint];
    const classCell = [subject.clientClass];
    // One list per distinct parts: PrefixCache hashes a list it was given before without building its id again.
    const source = [subject.address, subject.fingerprint];
    const address = [subject.address];
    const token = [subject.token ?? ''];
    const tokenKind = [subject.token ?? '', subject.kind];
    const tokenRoute = subject.tokenRoute;

    // What the batch could not count: orphans are traffic outside a session.
    if (state === 'orphan') {
      if (!obs.subresource) bump(BOT_KEYS.srcTick, source, 'tick');
      bump(BOT_KEYS.srcLong, source, 'long');
      bump(BOT_KEYS.srcMin, source, 'minute');
      if (subject.network) bump(BOT_KEYS.netNew, [subject.network], 'long');
      bump(BOT_KEYS.newLong, address, 'long');
      bump(BOT_KEYS.orphLong, address, 'long');
      if (!obs.explained) {
        bump(BOT_KEYS.routeFreshAgg, subject.route, 'aggregate');
        if (subject.family) bump(BOT_KEYS.familyFreshAgg, subject.family, 'aggregate');
        bump(BOT_KEYS.cellFreshAgg, cell, 'aggregate');
        bump(BOT_KEYS.classFreshAgg, classCell, 'aggregate');
      }
      bump(BOT_KEYS.popOrphAgg, [], 'aggregate');
    } else if (obs.explained && obs.fresh) {
      // Counted in the batch; its source explains it, so it is not part of a crowd.
      bump(BOT_KEYS.routeFreshAgg, subject.route, 'aggregate', -1);
      if (subject.family) bump(BOT_KEYS.familyFreshAgg, subject.family, 'aggregate', -1);
      if (!pair) {
        bump(BOT_KEYS.cellFreshAgg, cell, 'aggregate', -1);
        bump(BOT_KEYS.classFreshAgg, classCell, 'aggregate', -1);
      }
    }
    // Novelty is known only once the cell's counters are read, so it is counted after the decision (only requests
    // no volume signal explained are ever novel).
    if (obs.novel) bump(BOT_KEYS.popNovelAgg, [], 'aggregate');
    if (state === 'return') {
      bump(BOT_KEYS.returned, address, 'landing');
      if (obs.returnedTo !== null) {
        bump(BOT_KEYS.routeRetAgg, [String(obs.returnedTo)], 'aggregate');
        const family = familyOfRoute(obs.returnedTo);
        if (family !== undefined) bump(BOT_KEYS.familyRetAgg, family, 'aggregate');
      }
      bump(BOT_KEYS.popRetAgg, [], 'aggregate');
      if (!obs.page) bump(BOT_KEYS.popRetEngagedAgg, [], 'aggregate');
    }
    if (state === 'landing' && !obs.repeatLanding) bump(BOT_KEYS.popLandAgg, [], 'aggregate');
    if (obs.pageCallLanding) {
      bump(BOT_KEYS.routeLandAgg, [String(subject.routeCode)], 'aggregate', -1);
      if (subject.family) bump(BOT_KEYS.familyLandAgg, subject.family, 'aggregate', -1);
    }
    const cookieTraffic = state === 'landing' || state === 'return' || state === 'orphan' || (state === 'established' && !pair);
    if (obs.orphanContinued) bump(BOT_KEYS.popOrphContAgg, [], 'aggregate');
    // A request held for its credential's spread is the crowd sharing that token, not one of the token's newcomers:
    // left out of their counts. One let through (a token on five or six networks) still counts.
    if (state === 'new-pair' && obs.unlearnedPair && subject.token && !(obs.credentialSpread && learn.flagged)) {
      bump(BOT_KEYS.tokFreshAgg, token, 'aggregate');
      bump(BOT_KEYS.tokCellAgg, tokenKind, 'aggregate');
      // Only what was let through: a crowd's decoy calls on the usual routes, held there for their share, must not
      // carry its calls on a route of its own.
      if (obs.usualTokenRoute && !learn.flagged) bump(BOT_KEYS.tokCellUsualAgg, tokenKind, 'aggregate');
      bump(BOT_KEYS.tokRouteAgg, tokenRoute, 'aggregate');
      if (obs.pairFirst) bump(BOT_KEYS.tokCellAddrs, tokenKind, 'long');
    }

    // Learning. Per-client distributions: unless the request has evidence of its own (a crowd's surge says
    // nothing about one client's volume).
    if (learn.individually) {
      for (const v of obs.volume) {
        for (const k of edgesCrossed(v.value - v.incr, v.value + v.pending)) bump(histogramKeyName(v.cls, k), [], 'baseline');
      }
    }
    if (learn.aggregates > 0) {
      // Each aggregate at the request's learning rate; a token's rates also capped by their own surge
      // (knobs.surge.learningCap).
      const shares = obs.learnShares;
      const aggregate = (name: string, parts: readonly string[], share = 1) => {
        if (this.#sampled(name, Math.min(learn.aggregates, share))) bump(name, parts, 'baseline');
      };
      const newcomers = (name: string, parts: readonly string[], share = 1) => {
        if (this.#sampled(name, Math.min(learn.aggregates, share))) hold(name, parts);
      };
      if (obs.fresh) {
        newcomers(BOT_KEYS.routeFreshBase, subject.route, shares.fresh);
        if (subject.family) newcomers(BOT_KEYS.familyFreshBase, subject.family, shares.familyFresh);
        if (!pair) {
          newcomers(BOT_KEYS.cellFreshBase, cell, shares.fresh);
          newcomers(BOT_KEYS.classFreshBase, classCell, shares.fresh);
          newcomers(BOT_KEYS.popFreshBase, [], shares.fresh);
          if (obs.novel) newcomers(BOT_KEYS.popNovelBase, [], shares.fresh);
        }
      }
      if (subject.token) {
        aggregate(BOT_KEYS.tokBase, token, shares.token);
        if (state === 'new-pair' && obs.unlearnedPair && !obs.credentialSpread) {
          aggregate(BOT_KEYS.tokFreshBase, token, shares.tokenFresh);
          aggregate(BOT_KEYS.tokCellBase, tokenKind, shares.tokenCell);
          if (obs.usualTokenRoute) aggregate(BOT_KEYS.tokCellUsualBase, tokenKind, shares.tokenCell);
          aggregate(BOT_KEYS.tokRouteBase, tokenRoute, shares.tokenRoute);
        }
      }
    }
    // Returns per landing: a return is learned as often as its address's recent landings were (excluding a
    // landing but counting its return would bias the ratio up).
    if (state === 'return' && obs.landingsLearned > 0) {
      this.#returnTurn = (this.#returnTurn + obs.landingsLearned) % 1;
      if (this.#returnTurn < obs.landingsLearned) bump(BOT_KEYS.popRet, [], 'baseline');
    }
    // A session's first call, by its page, whatever the verdict (a crowd's are what its surge is counted in).
    const firstCall = obs.firstCall ? firstCallParts(obs.fromPage, subject.routeCode) : null;
    if (firstCall) {
      bump(BOT_KEYS.firstCallAgg, firstCall.pageRoute, 'aggregate');
      bump(BOT_KEYS.firstCallAgg, firstCall.page, 'aggregate');
    }
    // How engaged returns usually are: from landings made outside any surge only (a crowd's returns would teach it
    // that returns are page loads).
    if (state === 'return' && obs.calmLearned > 0) {
      this.#calmTurn = (this.#calmTurn + obs.calmLearned) % 1;
      if (this.#calmTurn < obs.calmLearned) {
        // Landers' first calls: from clean returns of calm landings, per page and route, and per route from any page.
        if (firstCall && learn.clean && this.#sampled(BOT_KEYS.firstCallBase, obs.learnShares.firstCall)) {
          for (const parts of [firstCall.pageRoute, firstCall.page, firstCall.route, firstCall.all]) bump(BOT_KEYS.firstCallBase, parts, 'baseline');
        }
        bump(BOT_KEYS.popRetCalm, [], 'baseline');
        if (!obs.page) bump(BOT_KEYS.popRetEngaged, [], 'baseline');
        if (obs.returnedTo !== null) bump(BOT_KEYS.routeReturnBase, [String(obs.returnedTo)], 'baseline', ROUTE_RETURN_UNIT);
      }
    }
    if (subject.token && learn.pairClean) bump(BOT_KEYS.pairBase, [subject.token, subject.address], 'baseline');
    if (!learn.clean) return;
    if (state === 'landing' || obs.unreturnedLanding) {
      bump(BOT_KEYS.popLand, [], 'baseline');
      if (!obs.surged) {
        bump(BOT_KEYS.popLandCalm, [], 'baseline');
        bump(BOT_KEYS.routeReturnBase, [String(subject.routeCode)], 'baseline');
        if (obs.pagelessLanding) bump(BOT_KEYS.popLandPageless, [], 'baseline');
      }
      bump(BOT_KEYS.landingLearned, address, 'landing', obs.surged ? 1 : 1 + CALM_UNIT);
    }
    // Whether people load pages on the route: from the sessions that came back only (a crowd's landings are never
    // learned as people's page loads, however dressed; its calls with the cookie only make the route less of a page).
    if (learn.cookieSite && (state === 'return' || state === 'established')) {
      const route = [String(subject.routeCode)];
      bump(BOT_KEYS.routeSessBase, route, 'baseline');
      if (obs.page) bump(BOT_KEYS.routePageBase, route, 'baseline');
    }
    if (state === 'orphan') bump(BOT_KEYS.popOrph, [], 'baseline');
    if (state === 'landing' || state === 'orphan') bump(BOT_KEYS.popNew, [], 'baseline');
    if (cookieTraffic) bump(BOT_KEYS.popSessReq, [], 'baseline');
    if (cookieTraffic && obs.page) bump(BOT_KEYS.popSessPages, [], 'baseline');
    if (obs.orphanContinued) bump(BOT_KEYS.popOrphCont, [], 'baseline');
    // Per-request shares and established token pairs: clean requests only.
    bump(BOT_KEYS.popReq, [], 'baseline');
    if (obs.head) bump(BOT_KEYS.popHead, [], 'baseline');
  }

  /** The request asks for a scanner's target of a family the site does not serve (probeOf, ProbeMemory.serves). */
  #probeNow(policyId: string, req: RequestContext, now: number): boolean {
    const target = probeOf(req);
    return target !== null && this.#probes?.serves(policyId, req.host, target, now) !== true;
  }

  #remember(requestId: string, c: Correlation): void {
    const same = (s: string) => this.#strings.of(s, s);
    this.#remembered.remember(requestId, { policyId: c.policyId, address: same(c.address), fingerprint: same(c.fingerprint), session: c.session === '' ? '' : same(c.session), token: c.token === null ? null : same(c.token), route: this.#routes.of(partsKey(c.route), c.route), flagged: c.flagged, page: c.page, ...(c.shape ? { shape: { host: same(c.shape.host), path: c.shape.path } } : {}), ...(c.kept ? { kept: c.kept.network === '' ? NOT_IN_NETWORK : { network: same(c.kept.network) } } : {}), ...(c.settled ? { settled: true } : {}), ...(c.newcomer ? { newcomer: true } : {}), ...(c.probe !== undefined ? { probe: { target: c.probe.target, host: same(c.probe.host), path: c.probe.path } } : {}), ...(c.claim !== undefined ? { claim: c.claim } : {}) });
  }

  /** Ingests one StreamAccessLogs message; returns how many of its entries matched no remembered Check. */
  ingest(msg: StreamAccessLogsMessage): { unmatched: number } {
    const runtime = this.#runtime();
    const now = this.#clock();
    let unmatched = 0;
    for (const ev of accessLogEvents(msg)) {
      this.stats.entries++;
      if (ev.ownDenial) continue;
      // One entry per Check: a replayed entry finds nothing the second time.
      const corr = this.#remembered.take(ev.requestId);
      if (!corr) {
        unmatched++;
        continue;
      }
      this.stats.correlated++;
      if (corr.shape && ev.code >= 200 && ev.code < 400) this.#routeShapes?.learn(corr.policyId, corr.shape.host, corr.shape.path);
      const error = this.#errorCodes.has(ev.code);
      // What the site serves and what it has not (ProbeMemory), and whether this was a probe answered.
      const p = corr.probe;
      const probeAnswered = p !== undefined && (this.#probes === undefined ? error : this.#probes.answered(corr.policyId, p.host, p.path, p.target, ev.code, error, now));
      // Not answered by the upstream (the site down or overloaded): a landing set no cookie, and the address's next
      // newcomer's request there is its retry; a page load so answered brought none of a page's files or calls, so it
      // counts as none of the address's page loads (people reloading a failing page are not pages that come alone).
      if (UNANSWERED_CODES.has(ev.code) && this.#unanswered !== undefined && (corr.newcomer || corr.page)) {
        const keys = new PrefixCache(corr.policyId);
        if (corr.newcomer) this.#unanswered.remember(unansweredKey(corr.policyId, corr.address, keys.code(corr.route)), now);
        if (corr.page) this.#bump(keys, BOT_KEYS.methodsIp, [corr.address], 'long', now, -PAGE_UNIT);
      }
      // What a claim of a page's file or of a page load was answered with: data, or what was claimed (ClaimAnswers).
      if (corr.claim !== undefined && ev.code >= 200 && ev.code < 300 && (ev.served === 'data' || ev.served === corr.claim)) {
        const claims = corr.claim === 'file' ? this.#fileClaims : this.#navigationClaims;
        claims?.answered(corr.policyId, new PrefixCache(corr.policyId).code(corr.route), ev.served !== 'data', now);
      }
      // What the upstream serves on the route to a navigation, from its successful answers to navigations of clients
      // not flagged (a page's own calls to the same route, answered with data, do not make it less of a page): pages
      // and data only. A file, plain text or XML may be what a link opens or what an API answers, and tells neither.
      // (A session's navigation to a route this replica takes for data is no page load to the plan, but still one here.)
      const served = (corr.page || corr.claim === 'page') && (ev.served === 'page' || ev.served === 'data') && ev.code >= 200 && ev.code < 300 && !corr.flagged;
      if (!error && !served && !corr.kept) continue;
      const policy = runtime?.policies.get(corr.policyId);
      if (!policy || policy.bot.mode === 'Off') continue;
      const keys = new PrefixCache(policy.id);
      if (corr.kept && !error) {
        this.#bump(keys, BOT_KEYS.keptLong, [corr.address], 'long', now);
        if (corr.kept.network !== '') this.#bump(keys, BOT_KEYS.netNew, [corr.kept.network], 'long', now, NET_KEPT_UNIT);
      }
      if (served) {
        const route = [String(keys.code(corr.route))];
        this.#bump(keys, BOT_KEYS.routeAnswerBase, route, 'baseline', now);
        if (ev.served === 'page') this.#bump(keys, BOT_KEYS.routeAnswerPageBase, route, 'baseline', now);
      }
      if (!error) continue;
      this.stats.errors++;
      this.#countError(keys, corr, now, false);
      if (probeAnswered) this.#countProbe(keys, corr.address, corr.fingerprint, now);
    }
    this.stats.unmatched += unmatched;
    return { unmatched };
  }
}
