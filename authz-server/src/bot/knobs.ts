/**
 * Every tuning knob of the behavioural bot detectors, with its default, in one place (README "Bot detection"
 * documents them). Scores are contributions to the 0..100 bot score; a detector that fires contributes between
 * its `score` (just over its threshold) and its `maxScore` (at or beyond its "full" point), linearly.
 *
 * The defaults are set so that no detector alone reaches the default challenge score (50), except two at full
 * strength (a client whose every request opens a new session, and a full-blown distinct-IP surge on a route
 * from clients that only hit that route): one odd statistic never blocks a person, two independent ones usually
 * mean automation, and nothing alone reaches the default deny score (80).
 */

export interface BotKnobs {
  /**
   * Counters are sliding windows of two buckets (the current one and the previous one, weighted by the part of
   * it still inside the window): two keys per counter, so a Check reads few keys. Short buckets give rates per
   * minute and the surge history; long buckets give ratios that need many requests of one client.
   */
  shortBucketMs: number;
  longBucketMs: number;

  /** (3) Extreme usage per IP and per token. */
  usage: {
    /** A client below this many requests per minute (short window) is never "extreme". */
    floorPerMinute: number;
    /** A client at or above this many requests per minute is always "extreme". */
    ceilingPerMinute: number;
    /** Threshold = factor x the population's mean requests per client per minute (clamped to floor..ceiling). */
    populationFactor: number;
    /** Distinct clients the population needs in the window before its mean is trusted (else the ceiling rules). */
    minPopulation: number;
    /**
     * A policy-wide rate limit keyed only by clientIP (or consumer) caps the threshold at this fraction of the
     * limit's rate: usage close to the policy's own limit is extreme for that policy.
     */
    policyLimitFraction: number;
    /** Score ramp: `score` at the threshold, `maxScore` at `fullFactor` x the threshold. */
    fullFactor: number;
    score: number;
    maxScore: number;
  };

  /** (2) Error rate per IP and per token (access-log response codes and the server's own denials). */
  errors: {
    /** Response codes that count as client errors. */
    codes: readonly number[];
    /** Errors needed in the (long) window before the rate is judged. */
    minErrors: number;
    /** errors / requests in the window at which the detector fires, and where it reaches maxScore. */
    ratio: number;
    fullRatio: number;
    score: number;
    maxScore: number;
  };

  /** (1) Single-request sessions at scale, per client IP and per route. */
  sessions: {
    /** A session unseen for this long is forgotten (its next request counts as a new session). */
    idleMs: number;
    /** Session-carrying requests a client IP needs in the long window before its share of new sessions is judged. */
    minIpRequests: number;
    /** Session-carrying requests a route needs in the short window before its share of new sessions is judged. */
    minRouteRequests: number;
    /**
     * The route share is judged only once the policy has had traffic for this many short buckets: at a cold
     * start (new replica with the memory store, emptied Redis) every session is new.
     */
    warmBuckets: number;
    /** Share of requests that opened a new session at which the detector fires, and where it reaches maxScore. */
    share: number;
    fullShare: number;
    score: number;
    /** Per client (`fresh-sessions-ip`). */
    maxScore: number;
    /** Per route (`fresh-sessions-route`): below the challenge score, a new visitor can land on a busy route. */
    routeMaxScore: number;
    /**
     * With cookie sessions, a browser (user agent `Mozilla/...`) request without the session cookie opens a new
     * session too (the site hands it one; a client that never sends it back never returns). Only while most
     * browser requests of the population carry the cookie: in the current or the previous long bucket (the
     * better of the two with at least minBrowserRequests browser requests, so that a burst of cookieless attack
     * traffic does not vote itself normal), at least minBrowserSessionShare. On a site that sets no session
     * cookie, or only after login, many people have none; set false for such sites if in doubt.
     */
    cookielessBrowsers: boolean;
    minBrowserSessionShare: number;
    minBrowserRequests: number;
  };

  /** (4) Sudden rise in distinct client IPs on a route (HyperLogLog per bucket against a moving baseline). */
  surge: {
    /** Short buckets of history kept per route (baseline + recent), besides the current one. */
    historyBuckets: number;
    /** The most recent buckets (current included) whose peak is compared with the baseline. */
    recentBuckets: number;
    /** Baseline = median of the older buckets, at least this. */
    minBaseline: number;
    /**
     * Older buckets in which the policy had traffic at all that the baseline needs: right after a cold start
     * (a new replica with the memory store, an emptied Redis) there is no history, and everything would look
     * like a surge. A route that was quiet while the policy was busy has a real baseline of 0.
     */
    minHistoryBuckets: number;
    /** Recent peak >= factor x baseline is a surge; fullFactor x baseline gives maxScore. */
    factor: number;
    fullFactor: number;
    /** Distinct IPs the recent peak needs before it can be called a surge. */
    minDistinct: number;
    /**
     * Only clients that are part of the surge score: at least this share of their requests in the long window
     * went to the surging route, and at least minClientRequests requests in it.
     */
    routeShare: number;
    minClientRequests: number;
    score: number;
    maxScore: number;
  };

  /** (5) GET/POST-to-HEAD ratio of a client far from the population's. */
  methods: {
    /** Counted in the long window. The population must send at least this share of HEAD requests, over at least minPopulationRequests. */
    minPopulationHeadShare: number;
    minPopulationRequests: number;
    /** GET/POST requests a client needs in the window before it is judged. */
    minClientRequests: number;
    /**
     * Fires when the chance of seeing so few HEADs from a client behaving like the population (Poisson tail)
     * is below pValue; reaches maxScore at fullPValue.
     */
    pValue: number;
    fullPValue: number;
    score: number;
    maxScore: number;
  };
}

export const DEFAULT_BOT_KNOBS: BotKnobs = Object.freeze({
  shortBucketMs: 60_000,
  longBucketMs: 10 * 60_000,
  usage: Object.freeze({
    floorPerMinute: 120,
    ceilingPerMinute: 600,
    populationFactor: 20,
    minPopulation: 20,
    policyLimitFraction: 0.8,
    fullFactor: 3,
    score: 35,
    maxScore: 60,
  }),
  errors: Object.freeze({
    codes: Object.freeze([400, 401, 403, 404, 405, 422]),
    minErrors: 5,
    ratio: 0.25,
    fullRatio: 0.6,
    score: 25,
    maxScore: 45,
  }),
  sessions: Object.freeze({
    idleMs: 30 * 60_000,
    minIpRequests: 8,
    minRouteRequests: 20,
    warmBuckets: 5,
    share: 0.5,
    fullShare: 0.95,
    score: 30,
    maxScore: 50,
    routeMaxScore: 45,
    cookielessBrowsers: true,
    minBrowserSessionShare: 0.6,
    minBrowserRequests: 50,
  }),
  surge: Object.freeze({
    historyBuckets: 12,
    recentBuckets: 2,
    minBaseline: 5,
    minHistoryBuckets: 4,
    factor: 4,
    fullFactor: 12,
    minDistinct: 20,
    routeShare: 0.8,
    minClientRequests: 2,
    score: 35,
    maxScore: 50,
  }),
  methods: Object.freeze({
    minPopulationHeadShare: 0.01,
    minPopulationRequests: 200,
    minClientRequests: 20,
    pValue: 1e-3,
    fullPValue: 1e-6,
    score: 20,
    maxScore: 30,
  }),
}) as BotKnobs;
