/**
 * Pure key and window math of the behavioural bot detectors: which store keys a detector uses (always under the
 * policy's hash tag, built with store/keys.ts), how long they live, and the small statistics the judges use
 * (window sums, medians, score ramps, a Poisson tail). The Check path (behaviour.ts) and the off-path feed
 * (feed.ts) build their keys here, so both always address the same buckets.
 */
import type { CounterOp, DistinctOp } from '../store/counter-store.ts';
import { bucketKeys, counterPrefix, distinctPrefix, hashKeyParts, keySegment, policyPrefix } from '../store/keys.ts';

/** Names of the detectors' counters and HyperLogLogs (the `<name>` segment of their keys). */
export const BOT_KEYS = {
  /** Requests per client (IP, or SPIFFE principal without an address) per short bucket: the rate. */
  usageIp: 'bot.use.ip',
  /** Requests per token (API-key consumer or JWT sub) per short bucket. */
  usageToken: 'bot.use.tok',
  /** Requests per client / token per long bucket: the denominators of the ratios. */
  requestsIp: 'bot.req.ip',
  requestsToken: 'bot.req.tok',
  /** Client-error responses per client / token per long bucket (written off the Check path). */
  errorsIp: 'bot.err.ip',
  errorsToken: 'bot.err.tok',
  /** Requests of the whole policy per bucket, and distinct clients (HLL): the population baseline. */
  populationRequests: 'bot.pop.req',
  populationClients: 'bot.pop.ip',
  /** Distinct clients per token per bucket (HLL): a shared app key is used from many IPs, a scraper's from few. */
  tokenClients: 'bot.tok.ip',
  /** Requests per session id (one key, idle TTL): 1 means the request opened a new session. */
  session: 'bot.sess',
  /** Session-carrying requests and new-session requests per client / route per bucket. */
  sessionRequestsIp: 'bot.sreq.ip',
  newSessionsIp: 'bot.snew.ip',
  sessionRequestsRoute: 'bot.sreq.rt',
  newSessionsRoute: 'bot.snew.rt',
  /** Browser requests of the population, and those that carried a session: is this a site with sessions? */
  browserPopulation: 'bot.brw.pop',
  browserSessionsPopulation: 'bot.brs.pop',
  /** Distinct clients per route per bucket (HLL), and requests per (route, client) per bucket. */
  routeClients: 'bot.rt.ip',
  routeClientRequests: 'bot.rt.req',
  /** GET+POST and HEAD requests per client and for the population, in the longer method buckets. */
  getPostIp: 'bot.gp.ip',
  headIp: 'bot.hd.ip',
  getPostPopulation: 'bot.gp.pop',
  headPopulation: 'bot.hd.pop',
} as const;

/** The client a per-IP counter is keyed by: the client IP, else the mTLS principal, else "-". */
export function clientKeyOf(clientIp: string, principal: string): string {
  if (clientIp !== '') return clientIp;
  return principal !== '' ? `spiffe:${principal}` : '-';
}

/** Key parts of a route: host, method and path template. */
export function routeParts(host: string, method: string, template: string): string[] {
  return [host, method, template];
}

/** How long a bucket must live so that it can be read for the whole window it belongs to. */
export function bucketTtlMs(bucketMs: number, buckets: number): number {
  return (buckets + 1) * bucketMs;
}

/**
 * Builds the same keys as keys.ts counterPrefix/distinctPrefix for one policy, hashing each distinct list of key
 * parts once: a Check uses the same client, route or token in several counters, and the same clients, routes and
 * sessions come back Check after Check (a bounded cache of recent hashes is shared).
 */
export class PrefixCache {
  /** Hashes of recent key parts, shared by all Checks (clients, routes and sessions repeat); bounded, FIFO. */
  static readonly #recent = new Map<string, string>();
  static readonly MAX_RECENT = 20_000;
  static readonly #policies = new Map<string, string>();
  readonly #policy: string;
  constructor(policyId: string) {
    let prefix = PrefixCache.#policies.get(policyId);
    if (prefix === undefined) {
      prefix = policyPrefix(policyId);
      if (PrefixCache.#policies.size < 10_000) PrefixCache.#policies.set(policyId, prefix);
    }
    this.#policy = prefix;
  }
  #hash(parts: readonly string[]): string {
    const id = `${parts.length}\u0000${parts.join('\u0000')}`;
    const recent = PrefixCache.#recent;
    let h = recent.get(id);
    if (h === undefined) {
      h = hashKeyParts(parts);
      recent.set(id, h);
      if (recent.size > PrefixCache.MAX_RECENT) recent.delete(recent.keys().next().value as string);
    }
    return h;
  }
  counter(name: string, parts: readonly string[]): string {
    return `${this.#policy}:ct:${keySegment(name)}:${this.#hash(parts)}`;
  }
  distinct(name: string, parts: readonly string[]): string {
    return `${this.#policy}:dc:${keySegment(name)}:${this.#hash(parts)}`;
  }
}

/** A bucketed counter op from a prefix: increments the current bucket by `incr` (0 = read only). */
export function bucketCounter(prefix: string, nowMs: number, bucketMs: number, buckets: number, incr: number): CounterOp {
  return { keys: bucketKeys(prefix, nowMs, bucketMs, buckets), incr, ttlMs: bucketTtlMs(bucketMs, buckets) };
}

/** A bucketed HyperLogLog op from a prefix. */
export function bucketDistinct(prefix: string, member: string, nowMs: number, bucketMs: number, buckets: number): DistinctOp {
  const keys = bucketKeys(prefix, nowMs, bucketMs, buckets);
  return { key: keys[0]!, member, ttlMs: bucketTtlMs(bucketMs, buckets), countKeys: keys };
}

/** A bucketed counter op: increments the current bucket by `incr` (0 = read only), reads `buckets` buckets. */
export function windowCounter(policyId: string, name: string, parts: readonly string[], nowMs: number, bucketMs: number, buckets: number, incr: number): CounterOp {
  return { keys: bucketKeys(counterPrefix(policyId, name, parts), nowMs, bucketMs, buckets), incr, ttlMs: bucketTtlMs(bucketMs, buckets) };
}

/** A bucketed HyperLogLog op: adds `member` to the current bucket, counts `buckets` buckets (each on its own). */
export function windowDistinct(policyId: string, name: string, parts: readonly string[], member: string, nowMs: number, bucketMs: number, buckets: number): DistinctOp {
  const keys = bucketKeys(distinctPrefix(policyId, name, parts), nowMs, bucketMs, buckets);
  return { key: keys[0]!, member, ttlMs: bucketTtlMs(bucketMs, buckets), countKeys: keys };
}

/** The store key and expiry of the current bucket of a windowed counter (for off-path increments). */
export function currentBucket(policyId: string, name: string, parts: readonly string[], nowMs: number, bucketMs: number, buckets: number): { key: string; ttlMs: number } {
  return { key: bucketKeys(counterPrefix(policyId, name, parts), nowMs, bucketMs, 1)[0]!, ttlMs: bucketTtlMs(bucketMs, buckets) };
}

export function sum(values: readonly number[]): number {
  let s = 0;
  for (const v of values) s += v;
  return s;
}

export function max(values: readonly number[]): number {
  let m = 0;
  for (const v of values) if (v > m) m = v;
  return m;
}

/** Median (mean of the middle two for even lengths); 0 for an empty list. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * A score contribution: 0 below `start`, `min` at `start`, rising linearly to `max` at `full` and beyond.
 * Rounded to an integer.
 */
export function ramp(x: number, start: number, full: number, min: number, maxScore: number): number {
  if (!(x >= start)) return 0;
  if (full <= start) return maxScore;
  const t = Math.min(1, (x - start) / (full - start));
  return Math.round(min + (maxScore - min) * t);
}

/** P(X <= k) for X ~ Poisson(lambda), computed in log space (k small against lambda in practice). */
export function poissonCdf(k: number, lambda: number): number {
  if (lambda <= 0) return 1;
  if (k < 0) return 0;
  let term = Math.exp(-lambda);
  if (term === 0) {
    // e^-lambda underflows: sum the terms in log space.
    let logTerm = -lambda;
    let total = 0;
    for (let i = 0; i <= k; i++) {
      if (i > 0) logTerm += Math.log(lambda / i);
      total += Math.exp(logTerm);
    }
    return Math.min(1, total);
  }
  let total = term;
  for (let i = 1; i <= k; i++) {
    term *= lambda / i;
    total += term;
  }
  return Math.min(1, total);
}

/**
 * A sliding-window estimate from [current bucket, previous bucket]: the current count plus the previous one
 * weighted by the part of the previous bucket still inside a window of one bucket length ending now.
 */
export function sliding(values: readonly number[], nowMs: number, bucketMs: number): number {
  const elapsed = (((nowMs % bucketMs) + bucketMs) % bucketMs) / bucketMs;
  return (values[0] ?? 0) + (values[1] ?? 0) * (1 - elapsed);
}

/** Formats a ratio as a percentage for explanations. */
export function pct(x: number): string {
  return `${Math.round(x * 100)}%`;
}
