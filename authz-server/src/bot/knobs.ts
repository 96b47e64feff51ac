/**
 * Every tuning knob of the behavioural bot detectors, with its default, in one place (README "Bot detection"
 * documents the model). Points are contributions to the 0..100 bot score. The score is the sum over evidence
 * FAMILIES of the strongest signal in each family (volume, fresh sessions, errors, methods, aggregate surges,
 * request tells): correlated observations of one fact (a burst seen per address and per session) count once,
 * independent ones add up.
 *
 * Thresholds are learned: each volume class has a population distribution (a histogram of per-client counts
 * per bucket, from traffic that was not flagged, over hours with decay) whose quantile times a factor is the
 * threshold, blended with an absolute prior at a cold start. Aggregates (routes, route x fingerprint cells,
 * tokens) compare their recent counts with their own learned rates.
 */
import type { PValueCurve, RatioCurve } from './evidence.ts';
import { DEFAULT_TLS_FINGERPRINT_HEADERS } from './fingerprint.ts';

/**
 * The volume classes: per-client request counts whose population quantiles set the thresholds. `ip.*` (all
 * requests of an address) are learned as the population the sparser classes are shares of, never judged: an
 * address may be a NAT of thousands. `sess.*` are cookie sessions (`sess.pages` and `sess.pages-long` count only
 * their page loads in a minute and in the long window: a person's pages bring API calls, so a crawler's pace shows in
 * pages long before it shows in requests),
 * `pair.*` token clients per address (the app's users behind one carrier NAT share one), `src.*` traffic outside
 * an established session per (address, fingerprint), `net.long` anonymous traffic per network.
 */
export const VOLUME_CLASSES = ['ip.tick', 'ip.long', 'sess.tick', 'sess.min', 'sess.long', 'sess.pages', 'sess.pages-long', 'pair.tick', 'pair.min', 'pair.long', 'src.tick', 'src.long', 'net.long'] as const;
export type VolumeClass = (typeof VOLUME_CLASSES)[number];

/** How one volume class turns into a threshold. */
export interface VolumeClassKnobs {
  /** The prior's value at `quantile` (what a cold start assumes the population looks like). */
  prior: number;
  /** Threshold = factor x the blended quantile ... */
  factor: number;
  /** ... but never below `floor`, and never above `cap` x the prior's threshold (an attacker cannot ratchet it up). */
  floor: number;
  cap: number;
}

/**
 * `one-shot-sessions`: a source (address and client fingerprint) whose sessions opened a minute ago or more and came
 * back with the cookie (at least `minSessions` in its two long buckets; landings that never came back, a cookie
 * blocker's or a robots.txt fetch, are left out) hardly ever lived past their first minute: a crawler rendering each
 * page in a fresh browser context. A session that lived on counts once in its source's window, not once a minute, so
 * that one session kept alive beside the crawl does not outweigh its one-shot ones. Judged as a binomial tail of those sessions that did not live on, where at least `peopleLiveShare` of people's do (a bounce rate of 75 %: a campaign's visitors behind a
 * carrier's address, on one phone model, bounced at 72 % in the simulator), by `curve` (from 10^-3: 24 sessions of
 * which none lived on).
 */
export interface OneShotKnobs {
  minSessions: number;
  peopleLiveShare: number;
  curve: PValueCurve;
}

export interface BotKnobs {
  /**
   * Bucket lengths: ticks see bursts within seconds, minutes a sustained pace, aggregates see surges within a
   * minute, long windows give per-client totals, an address's answered requests and client errors are weighed over
   * `errorsMs` (a prober sending a request every half minute shows its errors only over time), baseline buckets hold
   * what is learned.
   */
  buckets: { tickMs: number; minuteMs: number; aggregateMs: number; longMs: number; errorsMs: number; baselineMs: number };

  /**
   * Sessions. A session id (cookie, or `bot.sessionHeader`) not seen in the current or previous long bucket is
   * FIRST-SEEN: a RETURN when its address received a cookieless page in the landing memory (the person came
   * back with the cookie the site set), an ORPHAN otherwise. A browser request without the session cookie on a
   * site whose browsers return it is a LANDING. Requests with an API token and no session are counted under the
   * (token, address) pair.
   */
  sessions: {
    landingMemoryMs: number;
    /**
     * Cookies never seen that an address may present as returns per landing it made in the landing memory (and as
     * many more): a person comes back with the cookie the site set, and a site may renew it at a login; beyond that
     * a new cookie is an orphan.
     */
    returnsPerLanding: number;
    /** The site counts as returning cookies once the learned return ratio is at least this ... */
    minReturnRatio: number;
    /** ... and landings in the learned window reach this (before that, the configured cookie is trusted). */
    minLandingsToJudge: number;
    /**
     * A session that began without a page load (an API call, a subresource or a POST, no cookie) and keeps calling the
     * route it landed on is judged with the route's newcomers for this many of its requests with the cookie.
     */
    pagelessRequests: number;
    /**
     * ... only while the site's people rarely begin a visit that way: at most this share of the landings learned
     * (where no request carries fetch metadata or asks for HTML, nothing tells a page load, and the rule is off).
     */
    pagelessMaxShare: number;
    /**
     * A landing that claims to be a page load on a route where people's sessions (pageRouteMinRequests or more of
     * their learned requests there) loaded pages less often than this share is not taken for one: it is judged as a
     * landing without a page load (a crowd dressing its first API call as a browser's navigation). Where the
     * upstream's successful answers to navigations were learned (pageRouteMinRequests or more, from the access log's
     * content types, pages or data), they decide instead: pages less often than this share make a route that serves data.
     */
    pageRouteMinShare: number;
    pageRouteMinRequests: number;
    /**
     * A newcomer's request (a landing, or one with neither a session nor a token) that the upstream did not answer
     * (the access log's 502, 503 or 504: the site is down or overloaded, no cookie was set) makes the same address's
     * next such request on the same route within this time its retry, counted as no newcomer (not in the address's
     * new sessions, its landing memory, the route's, cell's and class's newcomers, nor its one-shot sessions; its
     * requests still count). A page load so answered counts as none of the address's page loads. An outage's reloads
     * and retries are then one visit each, not a crowd of landings that never come back. Remembered by the replica
     * that let the request through; 0 turns it off.
     */
    retryMs: number;
    /**
     * A route whose requests that claim to be a page's files (fetch metadata and a file name), or page loads
     * (navigations that ask for HTML), were answered with data (the access log's content types: JSON, protobuf) this
     * many times or more, and more often than as claimed (files; pages), within claimMemoryMs of each other, serves
     * nothing of the kind: such claims there count as calls (claim-answers.ts). 0 turns it off.
     */
    claimMinAnswers: number;
    claimMemoryMs: number;
  };

  /** Learning of population baselines (read off the Check path every refreshMs, one store call per policy). */
  learning: {
    refreshMs: number;
    /** Baseline buckets read, and the decay half-life over them. */
    buckets: number;
    halfLifeBuckets: number;
    /** The population quantile the volume thresholds start from, and the prior's weight in samples. */
    quantile: number;
    priorWeight: number;
    /**
     * Only requests scoring below this are learned from: a suspicious request never moves a baseline. For the
     * aggregates' own rates, points from aggregate surges do not count (a crowd is learned unless its members
     * have evidence of their own, or it fails to return the cookie); otherwise a legitimate new crowd would be
     * flagged forever.
     */
    maxScore: number;
    /**
     * A policy without older history is warm after this long on one replica. Before that its aggregates' surges are
     * judged from `youngFromMs` of history on, with that history's uncertainty (behaviour.ts surgeShare).
     */
    warmupMs: number;
    youngFromMs: number;
    /**
     * Until then, what newcomers teach their route's, cells' and classes' rates is held this long and dropped when a
     * crowd's surge scored on the route meanwhile (feed.ts): a crowd's first requests, learned before its surge was
     * significant, would make a large part of a short history.
     */
    youngHoldMs: number;
    /** Priors of population ratios, and their weights (in landings / requests). */
    priorReturnRatio: number;
    priorNewSessionShare: number;
    priorOrphanRate: number;
    priorOrphanContinuation: number;
    /** Share of returns (a landed session's first request with its cookie) that are not page loads: API calls, subresources. */
    priorEngagedReturnShare: number;
    /** Share of landings (made outside any surge) that begin a visit without a page load: see sessions.pagelessMaxShare. */
    priorPagelessLandingShare: number;
    priorHeadShare: number;
    /** Share of cookie-session requests that are page loads (the rest: their API calls and subresources). */
    priorPageShare: number;
    priorErrorRate: number;
    priorRatioWeight: number;
  };

  volume: { classes: Record<VolumeClass, VolumeClassKnobs>; curve: RatioCurve; policyLimitFraction: number };

  /**
   * Fresh-session behaviour of one address and of its network (long window): the share of its requests that
   * opened a new session (landings and orphans), against the site's learned share (x slack), as an
   * overdispersed binomial tail (`dispersion`: how much clients behind one address differ). `relanding`: points for
   * an address landing again in a route's surge without having kept the cookie of its earlier landings (none of its
   * requests in a kept session): `base` at its second landing, `perLanding` more for each one after, up to `max`.
   */
  fresh: { slack: number; dispersion: number; curve: PValueCurve; orphanCurve: PValueCurve; relanding: { base: number; perLanding: number; max: number }; oneShot: OneShotKnobs };

  /**
   * Client errors of an address / a token over the long window, against the population's learned rate.
   * `sessionFailedWrites`: failed writes of one cookie session over the long window that hold its writes to a failure
   * surge on their path however many of its writes succeeded (a stuffer logging into an account of its own between
   * tries); fewer are held only while at most one write in five succeeded.
   */
  errors: { codes: readonly number[]; minErrors: number; sessionFailedWrites: number; slack: number; dispersion: number; curve: PValueCurve };

  /**
   * An address's requests for scanners' targets (probes.ts: hidden files, backups, admin tools and CMSs the site does
   * not run) answered with a client error or refused by the policy, over the errors window (`probes`, of the errors
   * family): `curve.base` at the first, `curve.perDoubling` more per doubling. People never ask for them; a link of the
   * site's own (a same-site Referer) is no probe. `peopleDiscount`: the share of the points taken off where the address
   * shows people (its requests in kept sessions, as errors-address weighs them) and off a session of its own that is
   * not failing: a scanner behind an office's NAT must not challenge the office.
   */
  probes: { curve: RatioCurve; peopleDiscount: number };
  /**
   * One user's own credential (a bearer token, a session header) from many networks in the long window
   * (`credential-spread`): a token copied to a crowd. Points from `minNetworks` networks on `curve`.
   */
  credentials: { minNetworks: number; curve: RatioCurve };

  /**
   * What a client's requests are made of, against the population: too few HEAD requests from an address
   * (`few-head`), or a session whose page loads bring improbably few other requests (`pages-only`: people's pages
   * bring their API calls and subresources, a crawler fetches pages alone). A site whose sessions hardly make any
   * other request (less than `minPopulationShare`) turns `pages-only` off by itself; `minSessionPages` page loads
   * in the session's last minute or two are needed before it is judged. A request outside any session its client
   * kept (no cookie, or one never seen) is judged by its address's page loads and other requests in the long
   * window instead, from `minAddressPages` page loads: a client that keeps no cookie and fetches pages alone. That
   * one counts from 10^-4 (`addressCurve`), and only when the other requests are at most `addressMaxShare` of what
   * the pages would bring: it judges people who block cookies too, and their reading of a few pages with a call or
   * two among them (a page left open, pages that make none) reached 10^-4 in the simulator. A session is judged over
   * the long window too, from `minSessionPagesLong` page loads, when the other requests are at most
   * `sessionLongMaxShare` of what the pages would bring (`sessionLongCurve`, past the challenge): a crawler that keeps
   * its cookie and fetches a page every ten or twenty seconds. The share is the site's, and a site's sections differ
   * (an app's sessions make twenty calls a page, its docs' readers one or two): a docs reader with a call every
   * page reached 5 % of the app's share in the simulator, so the long window asks for under 2 %. From
   * `minSessionPagesManyLong` page loads in the long window, or `volume-sess-pages-long`'s learned threshold where
   * higher (as many as people's sessions seldom load), other requests under `sessionManyLongMaxShare` of what the pages would bring
   * score on `curve` (at most 45, under the challenge alone): a crawler rendering pages at a reader's pace, their images
   * and not the calls people's pages make, with its page volume. A page load typed in (`sec-fetch-site: none`, no
   * reload) is judged over the long window from `minSessionPagesTyped` page loads: a crawler that keeps its cookie and
   * fetches every page by its address, where a person's pages after the first are reached from the site's own.
   */
  methods: { minPopulationShare: number; minClientRequests: number; minSessionPages: number; minSessionPagesLong: number; minSessionPagesTyped: number; sessionLongMaxShare: number; minSessionPagesManyLong: number; sessionManyLongMaxShare: number; minAddressPages: number; addressMaxShare: number; curve: PValueCurve; addressCurve: PValueCurve; sessionLongCurve: PValueCurve };

  /**
   * Surges of an aggregate (route, route x fingerprint cell, token): a recent count far over the aggregate's own
   * learned rate (times `slack`, at least `minExpectedPerMinute`), judged as a Poisson tail (at least
   * `minSurprise`), attributed to the requests that are new to the aggregate (landings, orphans, new token
   * pairs; for failure surges also addresses that failed there). `share` is the part of the aggregate's recent
   * traffic that is over its normal rate, the probability that such a request belongs to the surge; for
   * landings and orphans the return deficit must agree (a campaign's visitors return the cookie, proxies never
   * do). Fresh requests of a source that its own volume already explains are taken out of the aggregate's count.
   */
  surge: {
    slack: number;
    minExpectedPerMinute: { route: number; cell: number; token: number; failure: number };
    /**
     * A token's crowd is addresses: a surge of its requests from addresses new to it is a crowd's only once at least
     * this many of them (of this kind of client) sent requests in the long window (10-20 minutes, so that a crowd
     * rotating a few addresses a minute adds up). Fewer (a partner's integration syncing a batch from its two
     * servers) are judged by their own volume, as any single client is.
     */
    minTokenCrowdAddresses: number;
    /**
     * A pair new to the token on a route its kind's newcomers hardly use, where their calls surge, is held to that
     * route's surge alone (not only the token's) unless its calls spread like a user's: at least
     * `pairRouteMinRequests` in the long window, at most `pairRouteMaxShare` of them (or its first) on the route. A
     * crowd that copies an app exactly is a small part of the app's traffic, so the token's surge stays weak; to be
     * taken for a user each address must spend as many calls elsewhere as on its target.
     */
    pairRouteMinRequests: number;
    pairRouteMaxShare: number;
    /**
     * A pair new to the token (with `pairRouteMinRequests` calls or more) is held less for its cell's crowd once its
     * calls are this many times likelier from the kind's newcomers than from the crowd, by how they fall on the judged
     * route and off it: an app's user met by a crowd on a route of theirs has called the app's other routes too.
     */
    pairMixMinEvidence: number;
    minSurprise: number;
    /**
     * The same for a route's client errors: failures already need a session that mostly failed, or a request new
     * to the route, so a surge of them is held to 10^-3. Credential stuffing at a dozen failures a minute was at
     * the edge of 10^-4.
     */
    failureMinSurprise: number;
    /**
     * Until the policy is warm, the failures a path is expected to see are at most this share of its requests of the
     * same minute (reached or stopped), whatever was learned: a failure rate learned from the tries of a crowd there
     * since the cold start cannot hide its surge. The share also holds for its writes and its reads apart, so that a
     * crowd's page loads between its tries (reads that succeed) do not raise the cap on its tries.
     * Reads are capped at the failing share of settled sessions' reads of the path instead where that is higher, once
     * `settledMinReads` of them came in the same minute: reads of established sessions that are not failing, from
     * their `settledMinRequests`th request on (people's; a crowd's sessions are new, or fail). A path that answers
     * every signed-out visitor with a 401 ("am I signed in?") fails most of the people's reads.
     */
    maxFailingShare: number;
    /**
     * A session none of whose writes succeeded yet, established by its page loads, has its write judged by the path's
     * failure surge while at least this share of the path's writes in the minute failed (stopped ones counted as
     * failing): a stuffer that loads the form with each new cookie before its one try. People's sign-ins fail far less.
     */
    stuffedWriteShare: number;
    /**
     * While the tries on a path are flagged for its failure surge, the page they were posted from (their same-site
     * Referer) is that path's form for this long after the last: a newcomer loading it, and the files of the page an
     * address so loaded, are held to the tries' points (a careful stuffer loads the form and its files before each
     * try). 0 turns it off. A page is a form only once at least formMinTries flagged tries were posted from it in this
     * and the previous formHoldMs, and at least formMinShare as many as newcomers loaded it then (form-watch.ts): a
     * campaign's landing page, a few of whose many visitors fail a write, is none.
     */
    formHoldMs: number;
    formMinTries: number;
    formMinShare: number;
    settledMinReads: number;
    settledMinRequests: number;
    /**
     * surge-novel (new-session requests in route x fingerprint cells never learned, site-wide) counts only when
     * the crowd is at least this share of them (0.9: ten to one); below it such cells are mostly people's rare
     * browsers and a crowd wearing the people's own.
     */
    novelMinShare: number;
    minRecent: number;
    /** Landings (lagged window) needed before a return-ratio gate is computed for a route, else the policy's is used. */
    minGateLandings: number;
    /**
     * A route's learned newcomer rate counts, for a landing's surge, only as far as the route's calm landings of the
     * last hour came back: scaled by their return ratio over this share of the ratio of its best hour among the
     * learned ones before (1 at or above it). A crowd that lands without coming back, growing too slowly to be a
     * surge over the last hour, teaches the route's rate but not its returns: the rate it is judged against stays
     * near what the people's returns account for. A route whose people seldom come back has always done so.
     */
    learnedReturnShare: number;
    /**
     * The return deficit (1 - recent return ratio / usual) vetoes a crowd below deficitLow (it comes back: a
     * campaign, even one where most visitors bounce) and lets it through fully above deficitHigh.
     */
    deficitLow: number;
    deficitHigh: number;
    /**
     * The same read against the route's surge share (the deficit over the share, which a crowd that never comes
     * back keeps near 1 at any size and a campaign's visitors keep at 1 - their return ratio / the usual): the
     * larger of the two readings counts.
     */
    ownDeficitLow: number;
    ownDeficitHigh: number;
    /**
     * The engagement deficit (1 - the recent share of returns that are not page loads / the usual share; also read
     * against the share of the returns over the people's usual rate), when the recent returns are significantly short
     * of engaged ones (a binomial tail of at least minSurprise): a crowd that
     * comes back only to fetch pages. It lets a crowd's surge through like the return deficit (from engagementLow,
     * fully at engagementHigh), and a page-load return of a session landed in the surge is judged with it.
     */
    engagementLow: number;
    engagementHigh: number;
    /** Points: base at p = minShare, perBit per halving of (1 - p), up to max; p = min(share, gate). */
    base: number;
    perBit: number;
    max: number;
    /**
     * A session's first call from a page (surge-first-call): judged once the page's first calls were learned from at
     * least `minLearned` sessions loading it; the usual share of a route among them is at least `minShare`. First
     * calls naming no page are judged only while at most `noPageMaxShare` of landers' first calls name none (a site
     * whose pages send no Referer has nothing to tell a campaign landing on another page from a crowd by).
     */
    firstCalls: { minLearned: number; minShare: number; noPageMaxShare: number };
    /**
     * A route's surge cannot tell a person landing there from the crowd: its curve reaches the challenge score
     * only when the crowd outnumbers the route's usual newcomers about 16 to 1 (p 0.94).
     */
    routeCurve: { base: number; perBit: number; max: number };
    /**
     * A client class (clientClass) whose usual share of the site's newcomers is at most this is rare: its own
     * surge counts at the cell's strength.
     */
    rareClassShare: number;
    /** Pseudo-count that shrinks a small cell's over-normal share (a cell of one request says little). */
    cellPseudoCount: number;
    /**
     * The route's surge is not held against a request whose cell received far less of it than the cell's usual
     * share of the route's newcomers (Poisson low tail at least 10^-avoidedSurprise): the crowd avoids its kind.
     */
    avoidedSurprise: number;
    /**
     * A cell that saw fewer new-session requests than this in the last minute is thin: the route's surge counts
     * against a request there with at most `thinCellMax` points (below the challenge score), so the client's own
     * evidence must add up with it.
     */
    minCellRecent: number;
    thinCellMax: number;
    /**
     * A route's surge of landings that began too recently for the return deficit (its last minute's newcomers more
     * than staleFactor times the landings the deficit reads) counts without it, at most staleMax points.
     */
    staleFactor: number;
    staleMax: number;
    minShare: number;
    /** Share of a crowd's requests (flagged only as part of the crowd) that its aggregate still learns from. */
    crowdLearning: number;
    /**
     * A token's rates (all its requests, those from new addresses, per client kind) learn in full only what their
     * last minute holds up to this many times their usual rate (the learned rate per minute, or the floor in
     * minExpectedPerMinute); beyond that at most crowdLearning x cap a minute. A crowd's first requests score
     * nothing until its surge is significant; learned in full, a handful of them made a token's rare kind a usual one
     * within a minute or two. So do the newcomer rates (the route's, its cells', the client classes', the site's) for
     * navigations to a route where people's sessions were not seen (sessions.pageRouteMinRequests), against the
     * route's usual rate: nothing there says that people land by navigating. (Otherwise
     * routes, cells and classes learn as before: capped, their crowds' surges lasted longer and the people landing
     * in them were challenged with them; bench/RESULTS.md.)
     */
    learningCap: number;
  };

  /** Request tells (tells.ts). */
  tells: { uaMissing: number; uaAutomation: number; uaHeadless: number; headlessHidden: number; acceptMissing: number; browserWithoutAcceptLanguage: number; postAsFirstRequest: number };

  /** Headers carrying TLS fingerprints (JA3/JA4) when the proxy adds them. */
  tlsFingerprintHeaders: readonly string[];

  /**
   * Route shapes (route-shapes.ts): a path position after the first whose parent had `minDistinct` different words
   * collapses them to `{slug}`, except a word with at least `heavyShare` of the parent's requests. At most
   * `maxChildren` words and `maxParents` parents per policy are counted; a parent's counts halve every `decayAt`.
   */
  routes: { minDistinct: number; heavyShare: number; maxChildren: number; maxParents: number; decayAt: number };
}

const cls = (prior: number, factor: number, floor: number, cap = 12): VolumeClassKnobs => Object.freeze({ prior, factor, floor, cap });

export const DEFAULT_BOT_KNOBS: BotKnobs = Object.freeze({
  buckets: Object.freeze({ tickMs: 10_000, minuteMs: 60_000, aggregateMs: 30_000, longMs: 10 * 60_000, errorsMs: 20 * 60_000, baselineMs: 60 * 60_000 }),
  sessions: Object.freeze({ landingMemoryMs: 2 * 60_000, returnsPerLanding: 2, minReturnRatio: 0.05, minLandingsToJudge: 40, pagelessRequests: 8, pagelessMaxShare: 0.1, pageRouteMinShare: 0.02, pageRouteMinRequests: 30, retryMs: 2 * 60_000, claimMinAnswers: 2, claimMemoryMs: 60 * 60_000 }),
  learning: Object.freeze({
    refreshMs: 5000,
    buckets: 8,
    halfLifeBuckets: 3,
    quantile: 0.99,
    priorWeight: 300,
    maxScore: 25,
    warmupMs: 15 * 60_000,
    youngFromMs: 60_000,
    youngHoldMs: 60_000,
    priorReturnRatio: 0.5,
    priorNewSessionShare: 0.2,
    priorOrphanRate: 0.05,
    priorOrphanContinuation: 0.5,
    priorEngagedReturnShare: 0.3,
    priorPagelessLandingShare: 0.02,
    priorHeadShare: 0.02,
    // High: until the site's own share is learned, a session reading page after page (a server-rendered site's
    // visitor) is not held against the share of an app whose pages call APIs.
    priorPageShare: 0.9,
    priorErrorRate: 0.04,
    priorRatioWeight: 50,
  }),
  volume: Object.freeze({
    classes: Object.freeze({
      'ip.tick': cls(4, 8, 20),
      'ip.long': cls(40, 8, 200),
      'sess.tick': cls(4, 4, 10),
      'sess.min': cls(12, 2.5, 24),
      'sess.long': cls(40, 2.5, 60),
      // People read what they load: the simulator's people load at most 12 pages in a minute (p99 6-9), a
      // crawler 40 and more.
      'sess.pages': cls(6, 2, 12),
      'sess.pages-long': cls(15, 2, 30),
      'pair.tick': cls(4, 8, 20),
      'pair.min': cls(12, 6, 60),
      'pair.long': cls(40, 6, 200),
      // A browser that keeps no cookie loads every page and its API calls outside a session: two such pages in
      // 10 s are not a burst. A floor of 6 challenged about one cookie blocker in three seeds; bursts of 100
      // requests a minute and more still cross 12 within seconds.
      'src.tick': cls(2, 4, 12),
      'src.long': cls(4, 8, 24),
      'net.long': cls(8, 4, 24),
    }) as Record<VolumeClass, VolumeClassKnobs>,
    curve: Object.freeze({ base: 25, perDoubling: 15, max: 100 }),
    policyLimitFraction: 0.8,
  }),
  fresh: Object.freeze({
    slack: 1.5,
    dispersion: 0.05,
    curve: Object.freeze({ start: 2, base: 15, perDecade: 8, max: 45 }),
    orphanCurve: Object.freeze({ start: 2, base: 15, perDecade: 8, max: 70 }),
    relanding: Object.freeze({ base: 20, perLanding: 5, max: 30 }),
    oneShot: Object.freeze({ minSessions: 15, peopleLiveShare: 0.25, curve: Object.freeze({ start: 3, base: 50, perDecade: 5, max: 70 }) }),
  }),
  errors: Object.freeze({
    codes: Object.freeze([400, 401, 403, 404, 405, 422, 429]),
    minErrors: 3,
    sessionFailedWrites: 6,
    slack: 1.5,
    dispersion: 0.05,
    curve: Object.freeze({ start: 3, base: 20, perDecade: 8, max: 70 }),
  }),
  probes: Object.freeze({ curve: Object.freeze({ base: 55, perDoubling: 15, max: 90 }), peopleDiscount: 0.6 }),
  // A person's phone moves between home Wi-Fi and a carrier or two in ten minutes; a token copied to a crowd turns up
  // on a new network with every address of it. 5 networks: 35 points; 7 reach the challenge score alone, 14 deny.
  credentials: Object.freeze({ minNetworks: 5, curve: Object.freeze({ base: 35, perDoubling: 31, max: 90 }) }),
  methods: Object.freeze({ minPopulationShare: 0.005, minClientRequests: 20, minSessionPages: 12, minSessionPagesLong: 12, minSessionPagesTyped: 5, sessionLongMaxShare: 0.02, minSessionPagesManyLong: 30, sessionManyLongMaxShare: 0.25, minAddressPages: 6, addressMaxShare: 0.05, curve: Object.freeze({ start: 3, base: 15, perDecade: 6, max: 45 }), addressCurve: Object.freeze({ start: 4, base: 15, perDecade: 6, max: 45 }), sessionLongCurve: Object.freeze({ start: 4, base: 15, perDecade: 6, max: 70 }) }),
  surge: Object.freeze({
    slack: 2,
    minExpectedPerMinute: Object.freeze({ route: 1, cell: 0.5, token: 2, failure: 1 }),
    minTokenCrowdAddresses: 4,
    pairRouteMinRequests: 3,
    pairRouteMaxShare: 0.5,
    pairMixMinEvidence: 20,
    minSurprise: 4,
    failureMinSurprise: 3,
    maxFailingShare: 0.1,
    stuffedWriteShare: 0.5,
    formHoldMs: 60_000,
    formMinTries: 5,
    formMinShare: 0.5,
    settledMinReads: 10,
    settledMinRequests: 3,
    novelMinShare: 0.9,
    minRecent: 8,
    minGateLandings: 8,
    learnedReturnShare: 0.5,
    deficitLow: 0.6,
    deficitHigh: 0.85,
    ownDeficitLow: 0.75,
    ownDeficitHigh: 0.95,
    engagementLow: 0.6,
    engagementHigh: 0.85,
    base: 25,
    perBit: 13,
    max: 85,
    routeCurve: Object.freeze({ base: 20, perBit: 10, max: 70 }),
    firstCalls: Object.freeze({ minLearned: 20, minShare: 0.02, noPageMaxShare: 0.1 }),
    rareClassShare: 0.05,
    cellPseudoCount: 1,
    avoidedSurprise: 3,
    minCellRecent: 2,
    thinCellMax: 40,
    staleFactor: 4,
    staleMax: 20,
    minShare: 0.5,
    crowdLearning: 0.1,
    learningCap: 4,
  }),
  tells: Object.freeze({ uaMissing: 40, uaAutomation: 45, uaHeadless: 55, headlessHidden: 55, acceptMissing: 15, browserWithoutAcceptLanguage: 20, postAsFirstRequest: 20 }),
  tlsFingerprintHeaders: DEFAULT_TLS_FINGERPRINT_HEADERS,
  routes: Object.freeze({ minDistinct: 32, heavyShare: 0.05, maxChildren: 256, maxParents: 2048, decayAt: 50_000 }),
}) as BotKnobs;
