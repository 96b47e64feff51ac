/**
 * What the bot detectors learn about a policy's population, and how: robust statistics that the clients being
 * judged cannot move.
 *
 *  - Volume thresholds come from histograms of per-client counts per bucket. When a Check's counter for a
 *    client (address, session, source, network) reaches one of the histogram edges in the current bucket, and
 *    the request was NOT flagged, the feed adds one to that edge's bin (off the Check path). Each client adds
 *    at most one to each bin per bucket, so the population's quantile (99th by default) ignores the top 1% of
 *    client-buckets, and flagged traffic never enters. The threshold is a factor times that quantile, blended
 *    with an absolute prior (pseudo-samples) at a cold start and clamped to [floor, cap x prior].
 *  - Population ratios (cookie return ratio, HEAD share, error rate) are learned from unflagged traffic the
 *    same way, with a prior.
 *  - Learning lives in the counter store under the policy's hash tag (baseline buckets of one hour, several of
 *    them read with exponential decay), so replicas share it and a restart keeps it; it is read OFF the Check
 *    path, every `refreshMs`, in one store call per policy, and cached here.
 *  - The crowd counters the Checks read (routes, cells, client classes, tokens) are kept locally too
 *    (`population`, see population.ts), synced with the store every `populationSyncMs` off the Check path.
 */
import { RouteShapes } from './route-shapes.ts';
import { SessionCookieWatch } from './session-cookie-watch.ts';
import type { CounterOp, CounterStore } from '../store/counter-store.ts';
import { DEFAULT_BOT_KNOBS, VOLUME_CLASSES, type BotKnobs, type VolumeClass } from './knobs.ts';
import { binomialSurprise } from './evidence.ts';
import { RecentKeys } from './recent-keys.ts';
import { ClaimAnswers } from './claim-answers.ts';
import { ProbeMemory } from './probes.ts';
import { PopulationCache } from './population.ts';
import { BOT_KEYS, PrefixCache, histogramKeyName, learnedPerMinute, num, shortfall } from './windows.ts';

/** Histogram edges: round(2^(k/2)) without repeats, 1 .. 16384. */
export const HISTOGRAM_EDGES: readonly number[] = Object.freeze(
  [...new Set(Array.from({ length: 29 }, (_, k) => Math.round(2 ** (k / 2))))].sort((a, b) => a - b),
);

/** Indices of the edges e with before < e <= after (a counter that went from `before` to `after`). */
export function edgesCrossed(before: number, after: number): number[] {
  const out: number[] = [];
  if (!(after > before)) return out;
  for (let k = 0; k < HISTOGRAM_EDGES.length; k++) {
    const e = HISTOGRAM_EDGES[k]!;
    if (e > after) break;
    if (e > before) out.push(k);
  }
  return out;
}

/**
 * The `q` quantile of a population from its (decayed) histogram: `counts[k]` client-buckets reached
 * HISTOGRAM_EDGES[k], out of `population` client-buckets in all (at least counts[0]: a class counted only for
 * some requests, like traffic outside sessions, is a share of all active clients, so that a few heavy clients
 * stay in the top 1% however sparse the class is). The prior is a Pareto tail through (1, 1) and (prior, 1 - q),
 * weighted as `priorWeight` client-buckets; with no data the result is the prior itself. Interpolated
 * log-linearly between edges.
 */
export function blendedQuantile(counts: readonly number[], q: number, prior: number, priorWeight: number, population = 0): number {
  const tail = 1 - q;
  const alpha = prior > 1 ? Math.log(1 / tail) / Math.log(prior) : Infinity;
  const priorSurvival = (x: number) => (x <= 1 ? 1 : alpha === Infinity ? 0 : x ** -alpha);
  const total = Math.max(population, counts[0] ?? 0) + priorWeight;
  if (!(total > 0)) return prior;
  let monotone = counts[0] ?? 0;
  const survival = (k: number): number => {
    const c = Math.min(monotone, counts[k] ?? 0);
    monotone = c;
    return (c + priorWeight * priorSurvival(HISTOGRAM_EDGES[k]!)) / total;
  };
  let prevX = 1;
  let prevS = 1;
  for (let k = 1; k < HISTOGRAM_EDGES.length; k++) {
    const x = HISTOGRAM_EDGES[k]!;
    const s = survival(k);
    if (s <= tail) {
      if (prevS <= tail || s <= 0) return prevX;
      // log S is linear in log x between edges.
      const t = Math.log(prevS / tail) / Math.log(prevS / Math.max(s, 1e-300));
      return Math.exp(Math.log(prevX) + t * (Math.log(x) - Math.log(prevX)));
    }
    prevX = x;
    prevS = s;
  }
  return HISTOGRAM_EDGES[HISTOGRAM_EDGES.length - 1]!;
}

/** A learned volume threshold and how it was formed (for explanations). */
export interface LearnedThreshold {
  value: number;
  /** The blended population quantile it was derived from. */
  quantile: number;
  /** Client-buckets of data behind the quantile (0 at a cold start: the prior alone). */
  samples: number;
}

/** What the detectors know about one policy's population (priors until the first refresh). */
export interface Baselines {
  volume: Record<VolumeClass, LearnedThreshold>;
  /** Share of landings whose cookie comes back (returns / landings), learned with a prior. */
  returnRatio: number;
  /**
   * Does the site hand out a session cookie that browsers return? true once returns were seen at a ratio of at
   * least minReturnRatio; false once enough landings came with (almost) none; null before there is evidence
   * either way (the configured cookie is trusted then).
   */
  cookiesReturned: boolean | null;
  /** Share of cookie-session requests (landings, session requests) that open a new session, learned with a prior. */
  newSessionShare: number;
  /** Share of cookie-session requests that are orphans (a session never seen, no landing before it). */
  orphanRate: number;
  /** Share of orphan sessions that come back a second time, learned with a prior. */
  orphanContinuation: number;
  /** Share of returns that are not page loads (the page's API calls, subresources), learned with a prior. */
  engagedReturnShare: number;
  /** Share of landings made outside any surge that began a visit without a page load, learned with a prior. */
  pagelessLandingShare: number;
  /** HEAD / all requests, and client errors / all requests, of unflagged traffic. */
  headShare: number;
  errorRate: number;
  /** Page loads / all requests of cookie-session traffic that was not flagged. */
  pageShare: number;
  /**
   * The policy-wide gates from the last minute or two: how far landings (resp. orphans) fall short of coming
   * back, 0 (as usual) .. 1 (never); null without enough landings (orphans) to judge.
   */
  landingGate: number | null;
  orphanGate: number | null;
  /**
   * How far the last minute's returns fall short of the usual engaged share, 0 .. 1 (read as it is, and against the
   * share of the returns over the people's usual rate; the larger counts), where the shortfall is significant
   * (knobs.surge.minSurprise); 0 where it is not, null without enough returns to judge.
   */
  engagementGate: number | null;
  /**
   * The policy has history: traffic in an older baseline bucket, or this replica has been learning it for
   * `learning.warmupMs`. Until then aggregate surges are judged against the short history there is, from
   * `learning.youngFromMs` of it on (right after a cold start every aggregate would look new).
   */
  warm: boolean;
  /** How long the policy has been observed (older baseline buckets with traffic, or this replica's learning). */
  observedMs: number;
  /** Learned requests per minute outside established sessions and token pairs, site-wide (client classes are shares of it). */
  freshPerMinute: number;
  /** When these were computed (store clock), 0 for priors. */
  refreshedAt: number;
}

/** Thresholds from the priors alone. */
export function priorBaselines(knobs: BotKnobs = DEFAULT_BOT_KNOBS): Baselines {
  const volume = {} as Record<VolumeClass, LearnedThreshold>;
  for (const c of VOLUME_CLASSES) volume[c] = threshold(c, [], knobs);
  const l = knobs.learning;
  return {
    volume,
    returnRatio: l.priorReturnRatio,
    cookiesReturned: null,
    newSessionShare: l.priorNewSessionShare,
    orphanRate: l.priorOrphanRate,
    orphanContinuation: l.priorOrphanContinuation,
    engagedReturnShare: l.priorEngagedReturnShare,
    pagelessLandingShare: l.priorPagelessLandingShare,
    headShare: l.priorHeadShare,
    pageShare: l.priorPageShare,
    errorRate: l.priorErrorRate,
    landingGate: null,
    orphanGate: null,
    engagementGate: null,
    warm: false,
    observedMs: 0,
    freshPerMinute: 0,
    refreshedAt: 0,
  };
}

/** The class whose clients make up the population a class's counts are a share of. */
const POPULATION_OF: Record<VolumeClass, VolumeClass> = {
  'ip.tick': 'ip.tick',
  'ip.long': 'ip.long',
  'sess.tick': 'sess.tick',
  'sess.min': 'sess.min',
  'sess.long': 'sess.long',
  'sess.pages': 'sess.min',
  'sess.pages-long': 'sess.long',
  'pair.tick': 'pair.tick',
  'pair.min': 'pair.min',
  'pair.long': 'pair.long',
  'src.tick': 'ip.tick',
  'src.long': 'ip.long',
  'net.long': 'ip.long',
};

function threshold(c: VolumeClass, counts: readonly number[], knobs: BotKnobs, population = 0): LearnedThreshold {
  const k = knobs.volume.classes[c];
  const quantile = blendedQuantile(counts, knobs.learning.quantile, k.prior, knobs.learning.priorWeight, population);
  const priorThreshold = Math.max(k.floor, k.factor * k.prior);
  const value = Math.min(k.cap * priorThreshold, Math.max(k.floor, k.factor * quantile));
  return { value, quantile, samples: Math.max(population, counts[0] ?? 0) };
}

/** Explanation of a learned threshold: "12 (4 x p99 3.0 of 5230 samples)". */
export function describeThreshold(t: LearnedThreshold, knobs: BotKnobs, c: VolumeClass): string {
  const k = knobs.volume.classes[c];
  const basis = t.samples > 0 ? `p${Math.round(knobs.learning.quantile * 100)} ${num(t.quantile)} of ${Math.round(t.samples)} client-buckets` : `prior p${Math.round(knobs.learning.quantile * 100)} ${num(t.quantile)}`;
  return `${num(t.value)} = ${k.factor} x ${basis}${t.value === k.floor ? ', floor' : ''}`;
}

/** Blended ratio: (sum of weighted hits + prior x weight) / (sum of weighted trials + weight), within [0, 1]. */
export function ratio(hits: number, trials: number, prior: number, weight: number): number {
  return Math.max(0, Math.min(1, (hits + prior * weight) / (trials + weight)));
}

/** Weights of baseline buckets (current first): exponential decay with the given half-life in buckets. */
export function decayWeights(buckets: number, halfLife: number): number[] {
  return Array.from({ length: buckets }, (_, i) => 0.5 ** (i / halfLife));
}

/** The read plan of one refresh, and how to turn its results into Baselines. Pure. */
export function planRefresh(policyId: string, nowMs: number, knobs: BotKnobs = DEFAULT_BOT_KNOBS): { counters: CounterOp[]; judge(values: number[][], nowMs: number, learningSinceMs?: number): Baselines } {
  const keys = new PrefixCache(policyId);
  const { baselineMs, aggregateMs } = knobs.buckets;
  const n = knobs.learning.buckets;
  const counters: CounterOp[] = [];
  const read = (name: string, bucketMs: number, buckets: number) => counters.push(keys.bucketOp(name, keys.hash([]), nowMs, bucketMs, buckets, 0)) - 1;
  const hist = VOLUME_CLASSES.map((c) => HISTOGRAM_EDGES.map((_, k) => read(histogramKeyName(c, k), baselineMs, n)));
  const pop = {
    req: read(BOT_KEYS.popReq, baselineMs, n),
    head: read(BOT_KEYS.popHead, baselineMs, n),
    err: read(BOT_KEYS.popErr, baselineMs, n),
    land: read(BOT_KEYS.popLand, baselineMs, n),
    fresh: read(BOT_KEYS.popNew, baselineMs, n),
    sessReq: read(BOT_KEYS.popSessReq, baselineMs, n),
    sessPages: read(BOT_KEYS.popSessPages, baselineMs, n),
    ret: read(BOT_KEYS.popRet, baselineMs, n),
    orph: read(BOT_KEYS.popOrph, baselineMs, n),
    orphCont: read(BOT_KEYS.popOrphCont, baselineMs, n),
    retCalm: read(BOT_KEYS.popRetCalm, baselineMs, n),
    retEngaged: read(BOT_KEYS.popRetEngaged, baselineMs, n),
    landCalm: read(BOT_KEYS.popLandCalm, baselineMs, n),
    landPageless: read(BOT_KEYS.popLandPageless, baselineMs, n),
    freshBase: read(BOT_KEYS.popFreshBase, baselineMs, 2),
  };
  const recent = {
    land: read(BOT_KEYS.popLandAgg, aggregateMs, 4),
    ret: read(BOT_KEYS.popRetAgg, aggregateMs, 3),
    orph: read(BOT_KEYS.popOrphAgg, aggregateMs, 4),
    orphCont: read(BOT_KEYS.popOrphContAgg, aggregateMs, 3),
    retEngaged: read(BOT_KEYS.popRetEngagedAgg, aggregateMs, 3),
  };
  const w = decayWeights(n, knobs.learning.halfLifeBuckets);
  return {
    counters,
    judge(values, at, learningSinceMs = at) {
      const decayed = (i: number) => (values[i] ?? []).reduce((s, v, j) => s + v * (w[j] ?? 0), 0);
      const volume = {} as Record<VolumeClass, LearnedThreshold>;
      const counts = hist.map((bins) => bins.map((i) => decayed(i)));
      VOLUME_CLASSES.forEach((c, ci) => {
        volume[c] = threshold(c, counts[ci]!, knobs, counts[VOLUME_CLASSES.indexOf(POPULATION_OF[c])]![0] ?? 0);
      });
      const l = knobs.learning;
      const land = decayed(pop.land);
      const ret = decayed(pop.ret);
      const returnRatio = ratio(ret, land, l.priorReturnRatio, l.priorRatioWeight);
      const req = decayed(pop.req);
      // Recent gates: what came back in the last ~minute against what arrived in as long a time ~30 s earlier
      // (people come back after a while).
      const win = (i: number) => values[i] ?? [];
      const elapsed = (((at % aggregateMs) + aggregateMs) % aggregateMs) / aggregateMs;
      // The last ~minute of an aggregate counter (its last three buckets).
      const sum3 = (i: number) => (win(i)[0] ?? 0) + (win(i)[1] ?? 0) + (win(i)[2] ?? 0);
      const recentRatio = (hitsIdx: number, trialsIdx: number): number | null => {
        const t = win(trialsIdx);
        const trials = (t[1] ?? 0) + (t[2] ?? 0) + (t[3] ?? 0) * elapsed;
        if (trials < knobs.surge.minGateLandings) return null;
        return sum3(hitsIdx) / trials;
      };
      const gate = (r: number | null, reference: number): number | null => (r === null ? null : shortfall(r, reference));
      const recentReturnRatio = recentRatio(recent.ret, recent.land);
      const reqs = values[pop.req] ?? [];
      let oldest = 0;
      for (let i = 1; i < reqs.length; i++) if ((reqs[i] ?? 0) > 0) oldest = i;
      const observedMs = Math.max(at - learningSinceMs, oldest > 0 ? (oldest - 1) * baselineMs + (((at % baselineMs) + baselineMs) % baselineMs) : 0);
      // Whether the site's cookie comes back, from the landings made outside any surge (a crowd of landings that never
      // come back must not turn a cookie site into one without cookies: its people would lose the returns that vouch
      // for them, and once the site is taken for one without cookies no landing is remembered for a return to match).
      // A young policy has judged no surge yet, so its landings may be a crowd's: it decides "no cookies" only once
      // its landings have had the landing memory's time to come back and none did; with returns seen it stays
      // undecided (the configured cookie is trusted) until warm.
      const landCalm = decayed(pop.landCalm);
      const measured = landCalm > 0 ? ret / landCalm : 0;
      const warm = observedMs >= l.warmupMs;
      const none = ret < 3 && (warm || observedMs >= knobs.sessions.landingMemoryMs);
      const cookiesReturned = ret >= 3 && measured >= knobs.sessions.minReturnRatio ? true : land >= knobs.sessions.minLandingsToJudge && (none || (warm && landCalm >= knobs.sessions.minLandingsToJudge)) ? false : null;
      const orph = decayed(pop.orph);
      const orphanContinuation = ratio(decayed(pop.orphCont), orph, l.priorOrphanContinuation, l.priorRatioWeight);
      const engagedReturnShare = ratio(decayed(pop.retEngaged), decayed(pop.retCalm), l.priorEngagedReturnShare, l.priorRatioWeight);
      // Returns and their engaged ones over the same minute: both are counted when the return arrives.
      const returns = sum3(recent.ret);
      const engaged = Math.min(returns, sum3(recent.retEngaged));
      let engagementGate: number | null = null;
      if (returns >= knobs.surge.minGateLandings) {
        const short = binomialSurprise(returns - engaged, returns, 1 - engagedReturnShare) >= knobs.surge.minSurprise;
        const deficit = shortfall(engaged / returns, engagedReturnShare);
        // People keep coming back at their usual rate, as engaged as usual, whatever a crowd does: read against the
        // share of the returns that is over the usual rate, the deficit says how little of the surplus is engaged, so a
        // crowd that only doubles the returns is not diluted to half its deficit by the people's own.
        const usual = (learnedPerMinute(values[pop.retCalm] ?? [], at, baselineMs, observedMs, knobs.buckets.longMs) * (2 + elapsed) * aggregateMs) / 60_000;
        const surplus = 1 - usual / returns;
        const own = surplus >= knobs.surge.minShare ? Math.min(1, deficit / surplus) : 0;
        engagementGate = short ? Math.max(deficit, own) : 0;
      }
      return {
        volume,
        returnRatio,
        cookiesReturned,
        newSessionShare: ratio(decayed(pop.fresh), decayed(pop.sessReq), l.priorNewSessionShare, l.priorRatioWeight * 4),
        orphanRate: ratio(orph, decayed(pop.sessReq), l.priorOrphanRate, l.priorRatioWeight * 4),
        orphanContinuation,
        engagedReturnShare,
        pagelessLandingShare: ratio(decayed(pop.landPageless), decayed(pop.landCalm), l.priorPagelessLandingShare, l.priorRatioWeight),
        headShare: ratio(decayed(pop.head), req, l.priorHeadShare, l.priorRatioWeight * 4),
        errorRate: ratio(decayed(pop.err), req, l.priorErrorRate, l.priorRatioWeight * 4),
        pageShare: ratio(decayed(pop.sessPages), decayed(pop.sessReq), l.priorPageShare, l.priorRatioWeight * 4),
        landingGate: gate(recentReturnRatio, returnRatio),
        orphanGate: gate(recentRatio(recent.orphCont, recent.orph), orphanContinuation),
        engagementGate,
        warm,
        observedMs,
        // Over the same time as the aggregates' learned rates in behaviour.ts (client classes are shares of it).
        freshPerMinute: learnedPerMinute(values[pop.freshBase] ?? [], at, baselineMs, observedMs, knobs.learning.youngFromMs),
        refreshedAt: at,
      };
    },
  };
}

export interface BaselineBookOptions {
  store: CounterStore;
  clock: () => number;
  /** Ids of the policies to learn (those with bot scoring on). */
  policies: () => Iterable<string>;
  knobs?: BotKnobs;
  /** Background refresh period (default knobs.learning.refreshMs); 0 = no timer (refresh() is called instead). */
  refreshIntervalMs?: number;
  /**
   * Background sync period of the population counters (default 1000 ms; no timer when refreshIntervalMs is 0:
   * every refresh() call syncs them then).
   */
  populationSyncMs?: number;
  logger?: { warn(obj: object, msg: string): void; info(obj: object, msg: string): void };
}

/**
 * The learned baselines of every policy, refreshed off the Check path. `get` never waits: it answers the last
 * refresh (priors before the first). A refresh reads the store for each policy (one call each). The background
 * refresh skips its turn while no Check asked for baselines since the last one and every policy has been learned:
 * an idle replica neither reads the store nor allocates for it, and the first Checks after an idle spell are
 * judged by the baselines of its start (they move over hours) until the next turn, at most `refreshMs` later.
 */
export class BaselineBook {
  readonly #store: CounterStore;
  readonly #clock: () => number;
  readonly #policies: () => Iterable<string>;
  readonly #knobs: BotKnobs;
  readonly #logger: BaselineBookOptions['logger'];
  #timer: NodeJS.Timeout | undefined;
  #syncTimer: NodeJS.Timeout | undefined;
  readonly #byPolicy = new Map<string, Baselines>();
  /** Sessions this replica saw established recently (their Checks read fewer counters). */
  readonly known = new RecentKeys({ ttlMs: 5 * 60_000, maxEntries: 100_000 });
  /**
   * Landings this replica let through that the upstream did not answer (knobs.sessions.retryMs), by policy, address
   * and route: written by the feed from the access log, taken by the address's next landing there (its retry).
   */
  readonly unanswered: RecentKeys;
  /**
   * The form pages of paths whose tries are flagged for a failure surge (knobs.surge.formHoldMs), by policy and route,
   * with the points the tries were held to, and the addresses that loaded one as newcomers meanwhile (formKey,
   * formLanderKey): written by the feed and the judge, read when a Check is planned.
   */
  readonly attackedForms: RecentKeys;
  /** What the upstream's answers to scanners' targets taught this replica (probes.ts): written by the feed, read by the plan. */
  readonly probes = new ProbeMemory();
  /** Routes whose file claims the upstream answered with data (claim-answers.ts): written by the feed, read by the plan. */
  readonly fileClaims: ClaimAnswers;
  /** Routes whose navigations the upstream answered with data (claim-answers.ts): written by the feed, read by the plan. */
  readonly navigationClaims: ClaimAnswers;
  /** The crowd counters the Checks read, kept locally and synced with the store off the Check path. */
  readonly population: PopulationCache;
  /**
   * This replica's increments of a counter's bucket not yet written (DeferredCounters.pendingOf), when the server
   * wires it: the counters the feed writes after decisions are read with them (addPendingCounts).
   */
  pending: ((counter: string, parts: string, bucket: number) => number) | null = null;
  /** Whether each policy's session cookie arrives (warns when requests carry cookies but never that one). */
  readonly cookieWatch: SessionCookieWatch;
  /** Each policy's route shapes (slug positions), learned from the requests the feed sees pass clean. */
  readonly routes: RouteShapes;
  /** When this replica first learned each policy. */
  readonly #since = new Map<string, number>();
  readonly #priors: Baselines;
  #lastRefresh = -Infinity;
  #askedSinceRefresh = false;
  #running: Promise<void> | null = null;
  #failing = false;

  constructor(opts: BaselineBookOptions) {
    this.#store = opts.store;
    this.#clock = opts.clock;
    this.#policies = opts.policies;
    this.#knobs = opts.knobs ?? DEFAULT_BOT_KNOBS;
    this.#logger = opts.logger;
    this.cookieWatch = new SessionCookieWatch({
      clock: opts.clock,
      report: (m) =>
        this.#logger?.warn(
          { policy: m.policy, sessionCookie: m.cookie, checks: m.checks, cookiesSeen: m.seen },
          `bot: ${m.checks} requests in 5 minutes carried cookies, none the session cookie "${m.cookie}": browsers are judged as visits without a session; name the site's session cookie in bot.sessionCookie`,
        ),
    });
    this.#priors = priorBaselines(this.#knobs);
    this.routes = new RouteShapes(this.#knobs.routes);
    this.unanswered = new RecentKeys({ ttlMs: this.#knobs.sessions.retryMs, maxEntries: 100_000 });
    this.attackedForms = new RecentKeys({ ttlMs: this.#knobs.surge.formHoldMs, maxEntries: 100_000 });
    const claims = { ttlMs: this.#knobs.sessions.claimMemoryMs, minAnswers: this.#knobs.sessions.claimMinAnswers };
    this.fileClaims = new ClaimAnswers(claims);
    this.navigationClaims = new ClaimAnswers(claims);
    const every = opts.refreshIntervalMs ?? this.#knobs.learning.refreshMs;
    const syncEvery = opts.populationSyncMs ?? 1000;
    this.population = new PopulationCache({ maxAgeMs: 2 * syncEvery });
    if (every > 0) {
      this.#timer = setInterval(() => {
        if (this.#askedSinceRefresh || !this.#learnedAll()) void this.refresh();
      }, every);
      this.#timer.unref();
      this.#syncTimer = setInterval(() => void this.syncPopulation(), syncEvery);
      this.#syncTimer.unref();
    }
  }

  /** Writes the Checks' population increments and reads the counters back (off the Check path). Never rejects. */
  syncPopulation(): Promise<void> {
    return this.population.sync(this.#store, this.#clock());
  }

  /** Stops the background refresh. */
  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    if (this.#syncTimer) clearInterval(this.#syncTimer);
    this.#timer = undefined;
    this.#syncTimer = undefined;
  }

  get knobs(): BotKnobs {
    return this.#knobs;
  }

  /** The policy's baselines as last learned (priors before the first refresh). */
  get(policyId: string): Baselines {
    this.#askedSinceRefresh = true;
    return this.#byPolicy.get(policyId) ?? this.#priors;
  }

  /**
   * Refreshes when `learning.refreshMs` has passed on the clock since the last refresh (or `force`). Without the
   * background timers, syncs the population counters first, every call. Never rejects.
   */
  async refresh(force = false): Promise<void> {
    if (!this.#timer) await this.syncPopulation();
    return this.#refreshBaselines(force);
  }

  /**
   * The first read of the baselines, before the server reports ready: with the background refresh running, the
   * same as its turn (the turn after it then finds nothing asked and skips). Without it (refresh() is driven by the
   * caller, as in tests and the simulator) nothing happens, so the caller's schedule is the only one. Never rejects.
   */
  prime(): Promise<void> {
    return this.#timer ? this.#refreshBaselines(false) : Promise.resolve();
  }

  #refreshBaselines(force: boolean): Promise<void> {
    const now = this.#clock();
    if (this.#running) return this.#running;
    if (!force && now - this.#lastRefresh < this.#knobs.learning.refreshMs) return Promise.resolve();
    this.#lastRefresh = now;
    this.#askedSinceRefresh = false;
    this.#running = this.#refresh([...this.#policies()], now).finally(() => {
      this.#running = null;
    });
    return this.#running;
  }

  #learnedAll(): boolean {
    for (const id of this.#policies()) if (!this.#byPolicy.has(id)) return false;
    return true;
  }

  async #refresh(ids: string[], now: number): Promise<void> {
    const seen = new Set(ids);
    for (const id of this.#byPolicy.keys()) if (!seen.has(id)) this.#byPolicy.delete(id);
    for (const id of this.#since.keys()) if (!seen.has(id)) this.#since.delete(id);
    this.routes.retain(seen);
    await Promise.all(
      ids.map(async (id) => {
        const plan = planRefresh(id, now, this.#knobs);
        try {
          const result = await this.#store.evaluate({ rateLimits: [], counters: plan.counters, distinct: [] });
          if (!this.#since.has(id)) this.#since.set(id, now);
          this.#byPolicy.set(id, plan.judge(result.counters, now, this.#since.get(id)));
          if (this.#failing) {
            this.#failing = false;
            this.#logger?.info({}, 'bot baselines: store reads recovered');
          }
        } catch (err) {
          // Keep what was learned; the next refresh tries again.
          if (!this.#failing) {
            this.#failing = true;
            this.#logger?.warn({ err: err instanceof Error ? err.message : String(err) }, 'bot baselines: store read failed, keeping the last learned values');
          }
        }
      }),
    );
  }
}
