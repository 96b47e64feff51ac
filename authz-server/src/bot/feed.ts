/**
 * The bot detectors' off-path inputs, written through DeferredCounters (never on a Check's round trip):
 *
 *  - response codes from Envoy's access log (StreamAccessLogs): client errors per client IP and per token;
 *  - the server's own authentication (401) and access (403) denials: errors AND requests per client / token
 *    (those Checks end before the store batch, so their requests are counted here);
 *  - requests that opened a new session (known only after the Check's batch): per client and per route.
 *
 * An access-log entry counts only when it matches a Check this process allowed (by x-request-id; the last
 * `maxCorrelations` are remembered, each usable once), and then for that Check's policy, client and token:
 * nothing the entry itself claims (addresses, headers, :authority) is believed, so a forged or replayed entry
 * can raise no one's score. Entries of ext_authz denials (UAEX) are skipped: they were counted when the decision
 * was made. Entries for Checks answered by another replica find no match here and are not counted either.
 */
import type { Outcome } from '../pipeline/outcome.ts';
import type { RequestContext } from '../pipeline/request.ts';
import type { Runtime } from '../pipeline/runtime.ts';
import { pathTemplate } from '../discovery/template.ts';
import { accessLogEvents, type StreamAccessLogsMessage } from './access-log.ts';
import { botAllowListed } from './assess.ts';
import { SESSION_NEW } from './behaviour.ts';
import type { DeferredCounters } from './deferred.ts';
import { DEFAULT_BOT_KNOBS, type BotKnobs } from './knobs.ts';
import { BOT_KEYS, clientKeyOf, currentBucket, routeParts } from './windows.ts';

export interface BotFeedOptions {
  deferred: DeferredCounters;
  clock: () => number;
  /** The runtime in force (policies by id and host). */
  runtime: () => Runtime | null;
  knobs?: BotKnobs;
  /** Request ids remembered to tie access-log entries to their Check. Default 50000. */
  maxCorrelations?: number;
}

interface Correlation {
  policyId: string;
  client: string;
  token: string | null;
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

export class BotFeed {
  readonly #deferred: DeferredCounters;
  readonly #clock: () => number;
  readonly #runtime: () => Runtime | null;
  readonly #knobs: BotKnobs;
  readonly #maxCorrelations: number;
  readonly #errorCodes: Set<number>;
  readonly #correlations = new Map<string, Correlation>();
  readonly stats: BotFeedStats = { entries: 0, errors: 0, ownDenials: 0, correlated: 0, unmatched: 0 };

  constructor(opts: BotFeedOptions) {
    this.#deferred = opts.deferred;
    this.#clock = opts.clock;
    this.#runtime = opts.runtime;
    this.#knobs = opts.knobs ?? DEFAULT_BOT_KNOBS;
    this.#maxCorrelations = opts.maxCorrelations ?? 50_000;
    this.#errorCodes = new Set(this.#knobs.errors.codes);
  }

  /** +1 on the current bucket of a two-bucket sliding counter (short or long), as behaviour.ts reads it. */
  #bump(policyId: string, name: string, parts: readonly string[], now: number, long: boolean): void {
    const bucketMs = long ? this.#knobs.longBucketMs : this.#knobs.shortBucketMs;
    const { key, ttlMs } = currentBucket(policyId, name, parts, now, bucketMs, 2);
    this.#deferred.add(key, 1, ttlMs);
  }

  #countError(policyId: string, client: string, token: string | null, now: number, alsoRequest: boolean): void {
    this.#bump(policyId, BOT_KEYS.errorsIp, [client], now, true);
    if (alsoRequest) {
      this.#bump(policyId, BOT_KEYS.requestsIp, [client], now, true);
      this.#bump(policyId, BOT_KEYS.usageIp, [client], now, false);
    }
    if (token) {
      this.#bump(policyId, BOT_KEYS.errorsToken, [token], now, true);
      if (alsoRequest) {
        this.#bump(policyId, BOT_KEYS.requestsToken, [token], now, true);
        this.#bump(policyId, BOT_KEYS.usageToken, [token], now, false);
      }
    }
  }

  /** Called with every Check's outcome (after the response is built). */
  onDecision(req: RequestContext, outcome: Outcome): void {
    const policy = outcome.policy;
    if (!policy) return;
    const client = clientKeyOf(req.clientIp, req.principal);
    const token = outcome.consumer && outcome.consumer !== '' ? outcome.consumer : null;
    // Every allowed Check is remembered, so that its access log entry is recognised even when bot scoring is off.
    if (outcome.kind === 'allow' && req.requestId !== '') this.#remember(req.requestId, { policyId: policy.id, client, token });
    if (policy.bot.mode === 'Off') return;
    const now = this.#clock();

    if (outcome.kind === 'deny' && (outcome.denial.reason === 'authentication' || outcome.denial.reason === 'access')) {
      if (botAllowListed(policy, req)) return;
      this.stats.ownDenials++;
      this.#countError(policy.id, client, token, now, true);
      return;
    }
    if (!outcome.bot) return;
    if (outcome.bot.signals.some((s) => s.name === SESSION_NEW)) {
      this.#bump(policy.id, BOT_KEYS.newSessionsIp, [client], now, true);
      this.#bump(policy.id, BOT_KEYS.newSessionsRoute, routeParts(req.host, req.method, pathTemplate(req.path)), now, false);
    }
  }

  #remember(requestId: string, c: Correlation): void {
    this.#correlations.delete(requestId);
    this.#correlations.set(requestId, c);
    if (this.#correlations.size > this.#maxCorrelations) {
      const oldest = this.#correlations.keys().next();
      if (!oldest.done) this.#correlations.delete(oldest.value);
    }
  }

  /** Ingests one StreamAccessLogs message; returns how many of its entries matched no remembered Check. */
  ingest(msg: StreamAccessLogsMessage): { unmatched: number } {
    const runtime = this.#runtime();
    const now = this.#clock();
    let unmatched = 0;
    for (const ev of accessLogEvents(msg)) {
      this.stats.entries++;
      if (ev.ownDenial) continue;
      const corr = ev.requestId !== '' ? this.#correlations.get(ev.requestId) : undefined;
      if (!corr) {
        unmatched++;
        continue;
      }
      // One entry per Check: a replayed entry finds nothing the second time.
      this.#correlations.delete(ev.requestId);
      this.stats.correlated++;
      if (!this.#errorCodes.has(ev.code)) continue;
      const policy = runtime?.policies.get(corr.policyId);
      if (!policy || policy.bot.mode === 'Off') continue;
      this.stats.errors++;
      this.#countError(policy.id, corr.client, corr.token, now, false);
    }
    this.stats.unmatched += unmatched;
    return { unmatched };
  }
}
