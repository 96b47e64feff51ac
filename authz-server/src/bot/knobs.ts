/**
 * Every tuning knob of the behavioural bot detectors, with its default, in one place (README "Bot detection"
 * documents them). Scores are contributions to the 0..100 bot score; a detector that fires contributes between
 * its `score` (just over its threshold) and its `maxScore` (at or beyond its "full" point), linearly.
 *
 * The defaults are set so that no detector alone reaches the default challenge score (50) except a route surge
 * at full strength: one odd statistic never blocks a person, two independent ones usually mean automation.
 */

export interface BotKnobs {
  /** Bucket length of the short windows (usage, errors, sessions, surge). */
  bucketMs: number;
  /** Buckets in a short window (current, partial bucket included): 5 x 60 s = the last 4-5 minutes. */
  windowBuckets: number;

  /** (3) Extreme usage per IP and per token. */
  usage: {
    /** A client below this many requests per bucket is never "extreme", whatever the population does. */
    floorPerBucket: number;
    /** A client at or above this many requests per bucket is always "extreme". */
    ceilingPerBucket: number;
    /** Threshold = factor x the population's mean requests per client per bucket (clamped to floor..ceiling). */
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
    /** Errors needed in the window before the rate is judged. */
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
    /** Session-carrying requests a client IP needs in the window before its share of new sessions is judged. */
    minIpRequests: number;
    /** Session-carrying requests a route needs in the window before its share of new sessions is judged. */
    minRouteRequests: number;
    /** Share of requests that opened a new session at which the detector fires, and where it reaches maxScore. */
    share: number;
    fullShare: number;
    score: number;
    maxScore: number;
  };

  /** (4) Sudden rise in distinct client IPs on a route (HyperLogLog per bucket against a moving baseline). */
  surge: {
    /** Buckets of history kept per route (baseline + recent), besides the current one. */
    historyBuckets: number;
    /** The most recent buckets (current included) whose peak is compared with the baseline. */
    recentBuckets: number;
    /** Baseline = median of the older buckets, at least this. */
    minBaseline: number;
    /** Recent peak >= factor x baseline is a surge; fullFactor x baseline gives maxScore. */
    factor: number;
    fullFactor: number;
    /** Distinct IPs the recent peak needs before it can be called a surge. */
    minDistinct: number;
    /**
     * Only clients that are part of the surge score: at least this share of their requests in the window went
     * to the surging route, and at least minClientRequests requests in the window.
     */
    routeShare: number;
    minClientRequests: number;
    score: number;
    maxScore: number;
  };

  /** (5) GET/POST-to-HEAD ratio of a client far from the population's. */
  methods: {
    /** Longer buckets: HEAD is rare, the statistic needs requests. 6 x 5 min = the last 25-30 minutes. */
    bucketMs: number;
    windowBuckets: number;
    /** The population must send at least this share of HEAD requests, over at least minPopulationRequests. */
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
  bucketMs: 60_000,
  windowBuckets: 5,
  usage: Object.freeze({
    floorPerBucket: 120,
    ceilingPerBucket: 600,
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
    minIpRequests: 6,
    minRouteRequests: 20,
    share: 0.5,
    fullShare: 0.9,
    score: 30,
    maxScore: 45,
  }),
  surge: Object.freeze({
    historyBuckets: 12,
    recentBuckets: 2,
    minBaseline: 5,
    factor: 4,
    fullFactor: 12,
    minDistinct: 20,
    routeShare: 0.8,
    minClientRequests: 2,
    score: 35,
    maxScore: 50,
  }),
  methods: Object.freeze({
    bucketMs: 5 * 60_000,
    windowBuckets: 6,
    minPopulationHeadShare: 0.01,
    minPopulationRequests: 200,
    minClientRequests: 20,
    pValue: 1e-3,
    fullPValue: 1e-6,
    score: 20,
    maxScore: 30,
  }),
}) as BotKnobs;
