/**
 * Pure key and window math of the behavioural bot detectors: which store keys a detector uses (always under the
 * policy's hash tag, built with store/keys.ts), how long they live, and the windows read from bucketed counters.
 * The Check path (behaviour.ts), the off-path feed (feed.ts) and the baseline refresh (baseline.ts) build their
 * keys here, so all three address the same buckets.
 */
import type { CounterOp } from '../store/counter-store.ts';
import { BucketCounterOp, bucketIndex, counterKeyName, hashKeyParts } from '../store/keys.ts';
import { memoised } from './fingerprint.ts';

/** Names of the detectors' counters (the `<name>` segment of their keys). */
export const BOT_KEYS = {
  /** Requests per client address (IPv4, IPv6 /64), all of them: per tick and long bucket. */
  ipTick: 'bot.ip.t',
  ipLong: 'bot.ip.l',
  /** Requests per session (cookie / header session, or token x address): per tick, minute and long bucket. */
  sessTick: 'bot.ss.t',
  sessMin: 'bot.ss.m',
  sessLong: 'bot.ss.l',
  /** Requests outside an established session per (address, fingerprint) and per network (/24, /48). */
  srcTick: 'bot.src.t',
  srcLong: 'bot.src.l',
  /** Per (address, client fingerprint): requests outside an established session (minute buckets). */
  srcMin: 'bot.src.m',
  /**
   * Per (address, client fingerprint), long buckets: its sessions' first requests with the cookie of a landing (returns)
   * and, x LIVED_UNIT, its cookie sessions' first request in a minute bucket once the session is older than its minute
   * (minutes of sessions that lived on).
   */
  srcLife: 'bot.src.g',
  netLong: 'bot.net.l',
  /**
   * Per network: requests that opened a new session, + NET_KEPT_UNIT x requests in kept sessions that passed clean and
   * clean token calls (written after the decision); and all requests (long buckets).
   */
  netNew: 'bot.net.new',
  netAll: 'bot.net.all',
  /** Per network, written after the decision: addresses that sent new-session requests, each once per tick bucket (tick buckets). */
  netFreshAddrs: 'bot.net.na',
  /** Per address: requests that opened a new session (landings and orphans), and orphans alone (long buckets). */
  newLong: 'bot.new.l',
  orphLong: 'bot.orph.l',
  /** Per address, written after the decision (long buckets): requests in kept sessions that passed clean, + TOKEN_KEPT_UNIT x token requests. */
  keptLong: 'bot.kept.l',
  /** Landing memory per address: count x LANDING_UNIT + sum of the landed routes' codes + page loads x PAGE_LANDING_UNIT. */
  landing: 'bot.land',
  /** Landings of the landing memory that were learned from (written after the decision), + CALM_UNIT x those outside a surge. */
  landingLearned: 'bot.land.ok',
  /** Returns per address in the landing memory (written after the decision): a landing is given one cookie. */
  returned: 'bot.land.ret',
  /**
   * Per address (errors buckets): its requests answered (by the upstream, or refused by the policy for anything but
   * the bot stage) and, x ADDR_ERROR_UNIT, their client errors; written by the feed.
   */
  errAddr: 'bot.err.ip',
  /**
   * Per address (errors buckets): its requests for scanners' targets (probes.ts) answered with a client error, or
   * refused by the policy; written by the feed.
   */
  probeAddr: 'bot.probe.ip',
  /**
   * Per source (address, client fingerprint; errors buckets): what errAddr and probeAddr count for its address, the
   * source's own part of it: requests answered, x SRC_ERROR_UNIT their client errors, x SRC_PROBE_UNIT its probes.
   * Written by the feed.
   */
  errSrc: 'bot.err.src',
  /**
   * Per cookie session (long buckets): its client errors and, x SESSION_LIVED_UNIT, the minute it was first seen to
   * live past its first (counted once in its source's srcLife).
   */
  errSess: 'bot.err.ss',
  /** Per cookie session: its writes (isWrite) and, x WRITE_FAIL_UNIT, those that failed (long buckets). */
  sessWrites: 'bot.ss.w',
  methodsIp: 'bot.meth.ip',
  /** Per token: requests and client errors (long), requests and new-pair requests (aggregate buckets) and their learned rates. */
  tokLong: 'bot.tok.l',
  errTok: 'bot.err.tok',
  tokAgg: 'bot.tok.a',
  tokBase: 'bot.tok.b',
  tokFreshAgg: 'bot.tokf.a',
  tokFreshBase: 'bot.tokf.b',
  /** Per (token, client kind): requests from addresses new to the token, and their learned rate. */
  tokCellAgg: 'bot.tokc.a',
  tokCellBase: 'bot.tokc.b',
  /** Per (token, client kind, route): requests from addresses new to the token, and their learned rate. */
  tokRouteAgg: 'bot.tokr.a',
  tokRouteBase: 'bot.tokr.b',
  /**
   * Per (token, client kind): requests from addresses new to the token on routes where such requests are usual
   * (learned at the cell's floor), and their learned rate.
   */
  tokCellUsualAgg: 'bot.tokc.u.a',
  tokCellUsualBase: 'bot.tokc.u.b',
  /** Per (token, client kind): addresses new to the token, each once per long bucket (long buckets). */
  tokCellAddrs: 'bot.tokc.n',
  /** Requests of a (token, address) pair that were not flagged (baseline buckets): an established pair has some. */
  pairBase: 'bot.pair.b',
  /** Per (address, token route): the requests of a pair new to the token on the route (long buckets). */
  pairRoute: 'bot.pair.r',
  /** Per own credential (fingerprint.ts ownCredential, hashed): the networks it came from (HyperLogLog, long buckets). */
  credNets: 'bot.cred.n',
  /**
   * Per (page, route), by route codes: a session's first call (not a page load, not a page's file; behaviour.ts
   * BotObservations.firstCall) by the page of the site it was made from (its Referer, or NO_PAGE), and per page alone
   * (route '*'): aggregate buckets.
   */
  firstCallAgg: 'bot.fc.a',
  /**
   * The same, learned from the first calls of clean returns of landings made outside any surge (baseline buckets);
   * also per route from any page (page '') and in all ('', '*').
   */
  firstCallBase: 'bot.fc.b',
  /**
   * Per (page, route): the first call (not a page load, not a file) a cookie session made from a page after loading
   * it, any session's, clean, and per page alone (route '*'): baseline buckets. What a page's own calls are.
   */
  pageCallBase: 'bot.pc.b',
  /** Per route: fresh requests, landings and credited returns (by route code), failures; learned rates. */
  routeFreshAgg: 'bot.rt.f.a',
  routeFreshBase: 'bot.rt.f.b',
  /** Per route family (routeFamilyParts): fresh requests and their learned rate, as for a route. */
  familyFreshAgg: 'bot.rf.f.a',
  familyFreshBase: 'bot.rf.f.b',
  /** Per route family: landings and the returns credited to them, as routeLandAgg and routeRetAgg. */
  familyLandAgg: 'bot.rf.l.a',
  familyRetAgg: 'bot.rf.r.a',
  routeLandAgg: 'bot.rt.l.a',
  routeRetAgg: 'bot.rt.r.a',
  routeFailAgg: 'bot.rt.x.a',
  routeFailBase: 'bot.rt.x.b',
  /**
   * Per route (by route code, baseline buckets): clean requests of cookie sessions that came back (not landings), and
   * those of them that were page loads: whether people load pages there (a page) or only call it (an API route).
   */
  routeSessBase: 'bot.rt.s.b',
  routePageBase: 'bot.rt.p.b',
  /**
   * Per route (by route code, baseline buckets): clean landings made outside any surge, and ROUTE_RETURN_UNIT for each
   * of their returns (learned as often as their landings were): how often the people landing there come back.
   */
  routeReturnBase: 'bot.rt.rr.b',
  /**
   * Per route (by route code, baseline buckets): successful answers to navigations (unflagged Checks that claimed a
   * page load and asked for HTML) that the access log's content type shows as a page or as data, and those of them
   * that were pages: whether the upstream serves pages there.
   */
  routeAnswerBase: 'bot.rt.o.b',
  routeAnswerPageBase: 'bot.rt.d.b',
  /** Per path: judged requests that reached the upstream (a crowd's stopped ones are in routeFailAgg: STOP_UNIT). */
  routeReqAgg: 'bot.rt.q.a',
  /**
   * Per path (baseline buckets): settled sessions' reads that passed clean and reached the upstream, and the client
   * errors of those: the share of people's reads there that usually fails.
   */
  routeReadBase: 'bot.rt.k.b',
  routeReadFailBase: 'bot.rt.e.b',
  /**
   * Per path: the writes (isWrite) among them while the policy is young (only its failure cap reads them) and, x
   * WRITE_FAIL_UNIT, the writes that failed (aggregate buckets).
   */
  routeWriteAgg: 'bot.rt.w.a',
  /**
   * Per path, while the policy is young: reads of settled sessions (knobs.surge.maxFailingShare) that reached the
   * upstream and, x WRITE_FAIL_UNIT, those that failed (aggregate buckets).
   */
  routeSettledAgg: 'bot.rt.k.a',
  /** Per (route, fingerprint): fresh requests and their learned rate. */
  cellFreshAgg: 'bot.cell.a',
  cellFreshBase: 'bot.cell.b',
  /** Per client class, site-wide: fresh requests and their learned rate; and the learned rate of all fresh requests. */
  classFreshAgg: 'bot.cls.a',
  classFreshBase: 'bot.cls.b',
  popFreshBase: 'bot.pop.fresh.b',
  /** Site-wide new-session requests in a route x fingerprint cell never learned (aggregate buckets), and their learned rate. */
  popNovelAgg: 'bot.pop.nov.a',
  popNovelBase: 'bot.pop.nov.b',
  /** Whole policy (baseline buckets): requests, HEAD, errors, landings, returns, orphans, orphan continuations. */
  popReq: 'bot.pop.req',
  popHead: 'bot.pop.head',
  popErr: 'bot.pop.err',
  popLand: 'bot.pop.land',
  popNew: 'bot.pop.new',
  popRet: 'bot.pop.ret',
  popOrph: 'bot.pop.orph',
  popOrphCont: 'bot.pop.oc',
  /** Returns of landings made outside any surge (baseline buckets), and those of them that were not page loads. */
  popRetCalm: 'bot.pop.rcalm',
  popRetEngaged: 'bot.pop.reng',
  /**
   * Landings made outside any surge (baseline buckets), and those of them that were not page loads from an address with
   * no other recent landing: how often a visit of this site's people begins without a page load.
   */
  popLandCalm: 'bot.pop.lcalm',
  popLandPageless: 'bot.pop.lpl',
  /** Whole policy (aggregate buckets): landings, returns, orphans, orphan continuations (the recent gate). */
  popLandAgg: 'bot.pop.land.a',
  popRetAgg: 'bot.pop.ret.a',
  /** Returns that were not page loads (aggregate buckets): the engagement gate. */
  popRetEngagedAgg: 'bot.pop.reng.a',
  popOrphAgg: 'bot.pop.orph.a',
  popOrphContAgg: 'bot.pop.oc.a',
  /** Requests of cookie-session traffic (landings and session requests): the new-session share's denominator. */
  popSessReq: 'bot.pop.sreq',
  /** Page loads among them. */
  popSessPages: 'bot.pop.spg',
} as const;

/** Histogram bin counter of a volume class (baseline buckets): entity-buckets whose count reached edge k. */
export function histogramKeyName(volumeClass: string, edge: number): string {
  return `bot.h.${volumeClass}.${edge}`;
}

/** Key parts of a route: host, method and path template. */
export function routeParts(host: string, method: string, template: string): string[] {
  return [host, method, template];
}

/**
 * Key parts of a route's family, or null where it has none: the template with the last literal segment that a variable
 * follows (not the first segment) made a wildcard: `/r/london/{slug}` and `/r/leeds/{slug}` are one family, the city a
 * wildcard.
 * A site's pages of one kind are often split by a segment of few values (a city, a category, a language) that the route
 * shapes keep, so a crowd spread over all of them finds each route quiet; the family is where it adds up. A route that
 * ends in literals (`/api/v2/me`, `/api/v2/suggest`) has none: endpoints side by side are not pages of one kind.
 */
export function routeFamilyParts(route: readonly string[]): string[] | null {
  const template = route[2] ?? '';
  let family = familyPaths.get(template);
  if (family === undefined) {
    family = familyPath(template);
    if (familyPaths.size < 10_000) familyPaths.set(template, family);
  }
  return family === null ? null : [route[0] ?? '', route[1] ?? '', family];
}

/** Family paths by template (routeFamilyParts): templates are few (the route shapes bound them), Checks many. */
const familyPaths = new Map<string, string | null>();

function familyPath(template: string): string | null {
  const q = template.indexOf('?');
  const path = q < 0 ? template : template.slice(0, q);
  const segments = path.split('/').filter((x) => x !== '');
  const variable = (seg: string) => seg.startsWith('{') || seg === '**';
  for (let i = segments.length - 2; i >= 1; i--) {
    if (variable(segments[i]!) || !variable(segments[i + 1]!)) continue;
    let family = '';
    for (let j = 0; j < segments.length; j++) family += j === i ? '/*' : `/${segments[j]}`;
    return family;
  }
  return null;
}

/** How far an observed share falls short of the usual one: 0 at or above it, 1 at none (a usual share under 1 % counts as 1 %). */
export function shortfall(observed: number, usual: number): number {
  return Math.max(0, Math.min(1, 1 - observed / Math.max(0.01, usual)));
}

/** Route families by route code (routeFamilyParts), so that a return, which knows its landing's route code only, can be credited to the family. */
const familiesByCode = new Map<number, readonly string[]>();

/** Remembers a route code's family (bounded: the oldest half is forgotten when full). */
export function rememberFamily(routeCode: number, family: readonly string[]): void {
  if (familiesByCode.has(routeCode)) return;
  if (familiesByCode.size >= 20_000) {
    let n = 0;
    for (const k of familiesByCode.keys()) {
      if (n++ >= 10_000) break;
      familiesByCode.delete(k);
    }
  }
  familiesByCode.set(routeCode, family);
}

/** The family remembered for a route code, if any. */
export function familyOfRoute(routeCode: number): readonly string[] | undefined {
  return familiesByCode.get(routeCode);
}

/** What joins the words of a slug (tokenRouteParts). */
const WORD_JOINER = /[-_.~]/;

/**
 * Key parts of a token's route for its newcomers' counts: the path template in lower case and without a trailing
 * slash, because upstreams that route those alike (Express by default, IIS) let a crowd spread one route over
 * thousands of spellings, each too quiet to surge; and a segment of words joined by `-`, `_`, `.` or `~` as one
 * slug (`/fares/leeds-york`), because a crowd fetching a page per pair of words finds each of them quiet too, before
 * the route shapes learned from people's traffic collapse them (route-shapes.ts).
 */
export function tokenRouteParts(token: string, kind: string, route: readonly string[]): string[] {
  const t = route[2] ?? '';
  const folded = (t.length > 1 && t.endsWith('/') ? t.slice(0, -1) : t).toLowerCase();
  return [token, kind, route[0] ?? '', route[1] ?? '', WORD_JOINER.test(folded) ? folded.split('/').map((x) => (WORD_JOINER.test(x) ? '{slug}' : x)).join('/') : folded];
}

/**
 * The page code of a cookie session's call that names no page of the site (no Referer, another site's, or one that
 * is no URL): outside PrefixCache.code's range, so that such calls are counted as from a page of their own.
 */
export const NO_PAGE = 2 ** 30;

/**
 * Key parts of the first-call counters (firstCallAgg, firstCallBase, pageCallBase) for a call to route code `route`
 * from page code `page`: the pair, the page alone (route '*'), the route from any page (page ''), and all.
 */
export function firstCallParts(page: number, route: number): { pageRoute: string[]; page: string[]; route: string[]; all: string[] } {
  const p = String(page);
  const r = String(route);
  return { pageRoute: [p, r], page: [p, '*'], route: ['', r], all: ['', '*'] };
}

/** Key parts of a route's path whatever the method (failures of POST /login also concern GET /login). */
export function pathParts(route: readonly string[]): string[] {
  return [route[0] ?? '', route[2] ?? ''];
}

/** An address's methods counter: a HEAD adds 1, a page load PAGE_UNIT (decodeAddressMethods). */
export const PAGE_UNIT = 2 ** 26;

/**
 * A cookie session's minute and long counters count its requests, its calls (neither a page load nor a page's file,
 * whatever page their Referer names, if any) and its page loads in one number: a request adds 1, such a call CALL_UNIT + 1, a page load SESSION_PAGE_UNIT +
 * 1, so neither costs a key of its own. 2^26 requests in a bucket of one session (a million a second over a minute)
 * would be needed to wrap the request count; 2^13 calls wrap theirs into the page loads (where only whether a call
 * is the session's first is read from them); the page loads are the top part, never wrapped, and the value stays an
 * exact integer below 2^14 of them in a bucket.
 */
export const SESSION_PAGE_UNIT = 2 ** 39;
/** See SESSION_PAGE_UNIT. */
export const CALL_UNIT = 2 ** 26;

/**
 * A path's failure counter also counts a crowd's requests stopped there (challenged or denied, so never seen failing
 * by the upstream): a failure adds 1, a stop STOP_UNIT. Exact while a path sees fewer than 2^26 failures in a bucket
 * (30 s) and fewer than 2^27 stops.
 */
export const STOP_UNIT = 2 ** 26;

/** Bucket values that pack two counts as low + high x unit: the low counts, and the high ones. */
function unpack(values: readonly number[], unit: number): [number[], number[]] {
  // A unit taken back in a later bucket than it was added (the feed's, after the access log) leaves that bucket's high
  // part negative; the low part stays the bucket's own count.
  return [values.map((v) => v - Math.floor(v / unit) * unit), values.map((v) => Math.floor(v / unit))];
}

/**
 * An address's kept-traffic counter counts a clean request in a kept session as 1 and any request with a token as
 * TOKEN_KEPT_UNIT: a token's calls are judged by their pair's own volume, and are left out of the address's traffic
 * when it is judged as one client. Exact while an address makes fewer than 2^26 requests in a bucket (10 minutes).
 */
export const TOKEN_KEPT_UNIT = 2 ** 26;

/**
 * An address's answers counter counts a request answered as 1 and a client error ADDR_ERROR_UNIT: a request stopped
 * by the bot stage is neither (a stop is no evidence either way, and counted as a request it would dilute the errors
 * of the client it stopped, which would then be let through again), unless it counts as the client's error (a failure
 * surge's try).
 * Exact below 2^26 answered requests of an address in a bucket (20 minutes).
 */
export const ADDR_ERROR_UNIT = 2 ** 26;

/** Requests answered and client errors of each bucket of an address's answers counter. */
export function decodeAddressAnswers(values: readonly number[]): { requests: number[]; errors: number[] } {
  const [requests, errors] = unpack(values, ADDR_ERROR_UNIT);
  return { requests, errors };
}

/**
 * A source's answers counter (errSrc) counts a request answered as 1, a client error SRC_ERROR_UNIT and a probe
 * SRC_PROBE_UNIT, in one key so that a Check reads its source's part of the address's errors and probes in one
 * more key. Exact below 2^17 answered requests and errors, and 2^19 probes, of a source in a bucket (10 minutes); a
 * source answered more often than that (over 200 a second) is a flood the volume signals hold, and its excess only
 * adds to its own errors.
 */
export const SRC_ERROR_UNIT = 2 ** 17;
/** See SRC_ERROR_UNIT. */
export const SRC_PROBE_UNIT = 2 ** 34;

/** Requests answered, client errors and probes of each bucket of a source's answers counter. */
export function decodeSourceAnswers(values: readonly number[]): { requests: number[]; errors: number[]; probes: number[] } {
  const [rest, probes] = unpack(values, SRC_PROBE_UNIT);
  const [requests, errors] = unpack(rest, SRC_ERROR_UNIT);
  return { requests, errors, probes };
}

/**
 * A session that lived past its first minute, in its source's sessions counter (srcLife); a return adds 1. Exact below
 * 2^26 returns per bucket.
 */
export const LIVED_UNIT = 2 ** 26;

/** Returns and sessions that lived on of each bucket of a source's sessions counter. */
export function decodeLife(values: readonly number[]): { returns: number[]; lived: number[] } {
  const [returns, lived] = unpack(values, LIVED_UNIT);
  return { returns, lived };
}

/**
 * A session's errors counter counts a client error as 1 and the session's lived minute, once counted in its source's
 * srcLife, as SESSION_LIVED_UNIT: the session is counted again only once the mark has left the long window. Exact below
 * 2^26 errors of a session in a bucket.
 */
export const SESSION_LIVED_UNIT = 2 ** 26;

/** Client errors, and marks of a lived minute counted, of each bucket of a session's errors counter. */
export function decodeSessionErrors(values: readonly number[]): { errors: number[]; lived: number[] } {
  const [errors, lived] = unpack(values, SESSION_LIVED_UNIT);
  return { errors, lived };
}

/**
 * A route's learned landings counter counts a calm landing as 1 and a return to one as ROUTE_RETURN_UNIT. Exact below
 * 2^26 landings on a route in a bucket (an hour).
 */
export const ROUTE_RETURN_UNIT = 2 ** 26;

/** Calm landings on a route and their returns, of each bucket of its learned landings counter. */
export function decodeRouteReturns(values: readonly number[]): { landings: number[]; returns: number[] } {
  const [landings, returns] = unpack(values, ROUTE_RETURN_UNIT);
  return { landings, returns };
}

/** Clean requests in kept sessions and token requests of each bucket of an address's kept-traffic counter. */
export function decodeKept(values: readonly number[]): { sessions: number[]; tokens: number[] } {
  const [sessions, tokens] = unpack(values, TOKEN_KEPT_UNIT);
  return { sessions, tokens };
}

/**
 * A network's new-session counter also counts its clean requests in kept sessions (and clean token calls), NET_KEPT_UNIT
 * each: what tells a network of people from one client rotating its addresses there (volume-net-addresses). Exact
 * while a network opens fewer than 2^26 sessions in a bucket (10 minutes).
 */
export const NET_KEPT_UNIT = 2 ** 26;

/** Requests that opened a session, and clean kept requests, of each bucket of a network's new-session counter. */
export function decodeNetworkNew(values: readonly number[]): { opened: number[]; kept: number[] } {
  const [opened, kept] = unpack(values, NET_KEPT_UNIT);
  return { opened, kept };
}

/**
 * A session's writes counter also counts the writes that failed: a write adds 1 when it is decided, a failed one
 * WRITE_FAIL_UNIT more when its response is known. Exact while a session sends fewer than 2^26 writes in a bucket.
 * A path's writes counter the same, a write adding 1 when it is allowed to the upstream.
 */
export const WRITE_FAIL_UNIT = 2 ** 26;

/** Writes and failed writes of each bucket of a session's or a path's writes counter. */
export function decodeWrites(values: readonly number[]): { writes: number[]; failed: number[] } {
  const [writes, failed] = unpack(values, WRITE_FAIL_UNIT);
  return { writes, failed };
}

/** The session id of a session cookie's value, as the detectors key it (a token's pair is `t\0<token>\0<address>`). */
export function cookieSession(cookie: string): string {
  return `s\u0000${cookie}`;
}

/** The upstream's answers that say it did not answer (down, overloaded, timed out): no cookie was set by them. */
export const UNANSWERED_CODES: ReadonlySet<number> = new Set([502, 503, 504]);

/** The key of a landing the upstream did not answer, for its address's retry (BaselineBook.unanswered). */
export function unansweredKey(policyId: string, address: string, routeCode: number): string {
  return `${policyId}\u0000${address}\u0000${routeCode}`;
}

/** The key of the form page of a path whose tries are flagged for a failure surge (BaselineBook.attackedForms). */
export function formKey(policyId: string, routeCode: number): string {
  return `f\u0000${policyId}\u0000${routeCode}`;
}

/** The key of an address that loaded such a form as a newcomer: the files of its page are held with it. */
export function formLanderKey(policyId: string, address: string, routeCode: number): string {
  return `a\u0000${policyId}\u0000${address}\u0000${routeCode}`;
}

/** A Referer's host (lower case) and path, or null when it is no URL with a host. */
type RefererParts = { host: string; path: string } | null;

/** Referers parsed lately: a site's pages come back. One over 512 characters, the sender's to make up, is not kept. */
const referers = new Map<string, RefererParts>();

function refererParts(referer: string): RefererParts {
  return memoised(referers, referer, 512, () => {
    const url = URL.parse(referer);
    return url === null || url.hostname === '' ? null : { host: url.hostname.toLowerCase(), path: url.pathname };
  });
}

/** The path of the page a Referer names when that page is one of `host` (the site's own), else null (none, unparsable, another host). */
export function sameSiteRefererPath(host: string, referer: string | undefined): string | null {
  if (referer === undefined || referer === '') return null;
  const parts = refererParts(referer);
  return parts === null || parts.host !== host ? null : parts.path;
}

/**
 * The route of the page a request came from, by its Referer, as a GET of that page (routeParts, the path through
 * `template`): null without a Referer, or with one from another host (only the site's own pages are its forms).
 */
export function refererRoute(host: string, referer: string | undefined, template: (path: string) => string): string[] | null {
  const path = sameSiteRefererPath(host, referer);
  return path === null ? null : routeParts(host, 'GET', template(path));
}

/** Whether a session id (cookieSession, or a token's pair) is a cookie session. */
export function isCookieSession(session: string): boolean {
  return session.startsWith('s\u0000');
}

/**
 * A request that is not a read (GET, HEAD, OPTIONS): what a login, a sign-up or a checkout sends, and any method an
 * upstream may take as one (POST, PUT, PATCH, DELETE, or one of its own).
 */
export function isWrite(method: string): boolean {
  return method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS';
}

/** Failures and stops of each bucket of a path's failure counter. */
export function decodePathFailures(values: readonly number[]): { failed: number[]; stopped: number[] } {
  const [failed, stopped] = unpack(values, STOP_UNIT);
  return { failed, stopped };
}

/** HEAD requests and page loads of each bucket of an address's methods counter (a HEAD adds 1, a page load PAGE_UNIT). */
export function decodeAddressMethods(values: readonly number[]): { heads: number[]; pages: number[] } {
  const [heads, pages] = unpack(values, PAGE_UNIT);
  return { heads, pages };
}

/** Requests, page loads and calls of each bucket of a session's minute or long counter (SESSION_PAGE_UNIT). */
export function decodeSessionCounts(values: readonly number[]): { requests: number[]; pages: number[]; calls: number[] } {
  const [rest, pages] = unpack(values, SESSION_PAGE_UNIT);
  const [requests, calls] = unpack(rest, CALL_UNIT);
  return { requests, pages, calls };
}

/** Learned-landings memory: each learned landing adds 1, and CALM_UNIT more when it was made outside any surge. */
export const CALM_UNIT = 2 ** 20;

/**
 * Landing memory: each landing adds LANDING_UNIT + its route's code (codes are < LANDING_UNIT), and a landing that was
 * a page load PAGE_LANDING_UNIT more. The count of landings holds below 2^12 per value (an address landing over 2000
 * times in the memory's minutes, its routes' codes carried into the count, runs into the page loads' count).
 */
export const LANDING_UNIT = 2 ** 30;
export const PAGE_LANDING_UNIT = 2 ** 42;

/** Landings in a landing memory value, those that were page loads, and the landed route's code when there was exactly one. */
export function decodeLanding(value: number): { landings: number; pages: number; code: number | null } {
  const pages = Math.floor(value / PAGE_LANDING_UNIT);
  const rest = value - pages * PAGE_LANDING_UNIT;
  const landings = Math.floor(rest / LANDING_UNIT);
  return { landings, pages, code: landings === 1 ? rest - LANDING_UNIT : null };
}

/** How long a bucket must live so that it can be read for the whole window it belongs to. */
export function bucketTtlMs(bucketMs: number, buckets: number): number {
  return (buckets + 1) * bucketMs;
}

/**
 * Builds the same keys as keys.ts counterPrefix for one policy: counter names are kept per policy, and the same
 * clients, routes and sessions come back Check after Check (hashKeyParts remembers recent hashes).
 */
export class PrefixCache {
  /** Counter names as keys carry them (counterName), per policy. */
  static readonly #policies = new Map<string, Map<string, string>>();
  readonly #policyId: string;
  /** This policy's counter names as keys carry them, shared by its instances. */
  readonly #names: Map<string, string>;
  constructor(policyId: string) {
    let names = PrefixCache.#policies.get(policyId);
    if (names === undefined) {
      names = new Map();
      if (PrefixCache.#policies.size < 10_000) PrefixCache.#policies.set(policyId, names);
    }
    this.#policyId = policyId;
    this.#names = names;
  }
  /**
   * The hash of a list of key parts as it appears in keys (hashKeyParts). The same string object comes back for
   * the same parts while they are recent, so that maps keyed by it compare cheaply.
   */
  hash(parts: readonly string[]): string {
    return hashKeyParts(parts);
  }
  counter(name: string, parts: readonly string[]): string {
    return `${this.counterName(name)}:${this.hash(parts)}`;
  }
  /** The counter's name as keys carry it (keys.ts counterKeyName); the same string object for one policy and name. */
  counterName(name: string): string {
    let n = this.#names.get(name);
    if (n === undefined) {
      n = counterKeyName(this.#policyId, name);
      if (this.#names.size < 10_000) this.#names.set(name, n);
    }
    return n;
  }
  /**
   * A bucketed counter op on the counter `name` of the parts whose hash is `partsHash` (see hash): increments the
   * current bucket by `incr` (0 = read only) and reads `buckets` buckets, the current one first.
   */
  bucketOp(name: string, partsHash: string, nowMs: number, bucketMs: number, buckets: number, incr: number): CounterOp {
    return new BucketCounterOp(this.counterName(name), partsHash, bucketIndex(nowMs, bucketMs, buckets), buckets, incr, bucketTtlMs(bucketMs, buckets));
  }
  /** A 30-bit code of the parts (for the landing memory), from the same hash as the keys. */
  code(parts: readonly string[]): number {
    const h = this.hash(parts);
    const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    let c = 0;
    for (let i = 0; i < 5; i++) c = c * 64 + B64.indexOf(h[i]!);
    return c;
  }
}

/**
 * A sliding-window estimate from [current bucket, previous bucket]: the current count plus the previous one
 * weighted by the part of the previous bucket still inside a window of one bucket length ending now.
 */
export function sliding(values: readonly number[], nowMs: number, bucketMs: number): number {
  const elapsed = (((nowMs % bucketMs) + bucketMs) % bucketMs) / bucketMs;
  return (values[0] ?? 0) + (values[1] ?? 0) * (1 - elapsed);
}

/**
 * Expected count per minute of an aggregate from its learned [current, previous] baseline buckets: the sliding
 * window covers one bucket length, or only as long as the policy has been observed (at least `minMs`), so that
 * a young policy's rates are not diluted by time it was not watched.
 */
export function learnedPerMinute(values: readonly number[], nowMs: number, bucketMs: number, observedMs: number, minMs: number): number {
  return (sliding(values, nowMs, bucketMs) / Math.max(minMs, Math.min(bucketMs, observedMs))) * 60_000;
}

/** Formats a ratio as a percentage for explanations. */
export function pct(x: number): string {
  return `${Math.round(x * 100)}%`;
}

/** Formats a number for explanations: integers as such, others with at most two significant decimals. */
export function num(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (Number.isInteger(x) || Math.abs(x) >= 100) return String(Math.round(x));
  return String(Number(x.toPrecision(2)));
}
