/**
 * Every Prometheus metric the authz-server exports is defined here (the README's metrics table follows this file),
 * registered on an injected registry (one per process; tests make their own). Parts that can exist more than once
 * per registry (a store rebuilt in tests, an operator source per test) get their metrics through `registered`,
 * which returns what is already there instead of registering twice.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { registerProcessMetrics } from '../../../lib/process/process-metrics.ts';
import { DistinctWindow } from './distinct-window.ts';
import { HostLabels } from './host-labels.ts';

/** Every metric the authz-server exports. */
export interface AuthzMetrics {
  decisions: Counter<'policy' | 'verdict' | 'reason'>;
  /** `no-policy` denials by host (label bounded by host-labels.ts). */
  noPolicyDenials: Counter<'host'>;
  noPolicyHosts: HostLabels;
  decisionSeconds: Histogram<'verdict'>;
  snapshotInfo: Gauge<'version'>;
  snapshotLoadedAt: Gauge;
  snapshotAge: Gauge;
  policies: Gauge;
  reloads: Counter<'result'>;
  storeFailures: Counter<'policy' | 'failure_policy'>;
  inflight: Gauge;
  accessLogEntries: Counter<'code_class'>;
  /** Access log entries not counted: from an unauthenticated peer, or matching no Check this process answered. */
  accessLogIgnored: Counter<'reason'>;
  /** Bodies not inspected whole, by policy and what the policy did (deny, flag). */
  uninspectedBodies: Counter<'policy' | 'action'>;
  /** Requests denied (or, in Monitor mode, that would be) by a rate limit, by policy and limit name. */
  rateLimited: Counter<'policy' | 'limit'>;
  /** Distinct clients (consumer, else principal, else client IP) rate limited in the last minute, per policy. */
  rateLimitedClients: DistinctWindow;
  /** Bot scores (0..100) of assessed requests, by policy. */
  botScore: Histogram<'policy'>;
  /** Proof-of-work challenges issued, by policy and kind (html, api). */
  challengesIssued: Counter<'policy' | 'kind'>;
  /** Solutions accepted, by policy and kind. */
  challengesSolved: Counter<'policy' | 'kind'>;
  /** Solutions refused, by policy, kind and reason. */
  challengesFailed: Counter<'policy' | 'kind' | 'reason'>;
  /** Passes presented on challenge verdicts, by policy, result (accepted, refused) and reason. */
  challengePasses: Counter<'policy' | 'result' | 'reason'>;
  /** Solve time the interstitial page reports, by policy. */
  challengeSolveSeconds: Histogram<'policy'>;
}

/** Registers the metrics (and Node's default process metrics) on `registry`. */
export function createAuthzMetrics(registry: Registry, snapshotLoadedAtMs: () => number | null, opts: { gcMetrics: boolean } = { gcMetrics: false }): AuthzMetrics {
  registerProcessMetrics(registry, 'palisade_authz_', { gcDurations: opts.gcMetrics });
  const registers = [registry];
  const rateLimitedClients = new DistinctWindow({ windowMs: 60_000, maxPerGroup: 100_000 });
  new Gauge({
    name: 'palisade_rate_limited_clients',
    help: 'Distinct clients (consumer, else principal, else client IP) rate limited in the last 60 s, by policy.',
    labelNames: ['policy'],
    registers,
    collect() {
      this.reset();
      for (const [policy, n] of rateLimitedClients.counts()) this.set({ policy }, n);
    },
  });
  return {
    rateLimitedClients,
    rateLimited: new Counter({
      name: 'palisade_rate_limited_total',
      help: 'Requests over a rate limit (denied, or would-be denied in Monitor mode), by policy and limit name.',
      labelNames: ['policy', 'limit'],
      registers,
    }),
    botScore: new Histogram({
      name: 'palisade_bot_score',
      help: 'Bot score (0..100) of assessed requests, by policy.',
      labelNames: ['policy'],
      buckets: [10, 20, 30, 40, 50, 60, 70, 80, 90, 100],
      registers,
    }),
    challengesIssued: new Counter({
      name: 'palisade_challenges_issued_total',
      help: 'Proof-of-work challenges issued, by policy and kind (html: interstitial page, api: 401 with www-authenticate).',
      labelNames: ['policy', 'kind'],
      registers,
    }),
    challengesSolved: new Counter({
      name: 'palisade_challenges_solved_total',
      help: 'Proof-of-work solutions accepted (a pass issued), by policy and kind.',
      labelNames: ['policy', 'kind'],
      registers,
    }),
    challengesFailed: new Counter({
      name: 'palisade_challenges_failed_total',
      help: 'Proof-of-work solutions refused, by policy, kind and reason (solution, expired, network, user-agent, signature, malformed, policy, cookies-off).',
      labelNames: ['policy', 'kind', 'reason'],
      registers,
    }),
    challengePasses: new Counter({
      name: 'palisade_challenge_passes_total',
      help: 'Passes presented on challenge verdicts, by policy, result (accepted, refused) and reason (none, expired, network, user-agent, signature, malformed, policy).',
      labelNames: ['policy', 'result', 'reason'],
      registers,
    }),
    challengeSolveSeconds: new Histogram({
      name: 'palisade_challenge_solve_seconds',
      help: 'Time browsers took to solve a challenge, as reported by the interstitial page, by policy.',
      labelNames: ['policy'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30],
      registers,
    }),
    decisions: new Counter({
      name: 'palisade_decisions_total',
      help: 'Check decisions by policy, verdict (allow, deny, monitor) and reason.',
      labelNames: ['policy', 'verdict', 'reason'],
      registers,
    }),
    noPolicyHosts: new HostLabels(),
    noPolicyDenials: new Counter({
      name: 'palisade_no_policy_denials_total',
      help: 'no-policy denials by host: hosts some snapshot covered keep their name (or their wildcard), other hosts read "other".',
      labelNames: ['host'],
      registers,
    }),
    decisionSeconds: new Histogram({
      name: 'palisade_decision_duration_seconds',
      help: 'Time from receiving a Check to answering it.',
      labelNames: ['verdict'],
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers,
    }),
    snapshotInfo: new Gauge({ name: 'palisade_snapshot_info', help: 'The snapshot version in force (value 1).', labelNames: ['version'], registers }),
    snapshotLoadedAt: new Gauge({ name: 'palisade_snapshot_loaded_timestamp_seconds', help: 'When the snapshot in force was loaded.', registers }),
    snapshotAge: new Gauge({
      name: 'palisade_snapshot_age_seconds',
      help: 'Seconds since the snapshot in force was loaded.',
      registers,
      collect() {
        const at = snapshotLoadedAtMs();
        this.set(at === null ? -1 : (Date.now() - at) / 1000);
      },
    }),
    policies: new Gauge({ name: 'palisade_policies', help: 'Policies in the snapshot in force.', registers }),
    reloads: new Counter({ name: 'palisade_snapshot_reloads_total', help: 'Snapshot loads by result (ok, error).', labelNames: ['result'], registers }),
    storeFailures: new Counter({
      name: 'palisade_store_failures_total',
      help: 'Checks that found the counter store unavailable, by policy and its failurePolicy.',
      labelNames: ['policy', 'failure_policy'],
      registers,
    }),
    inflight: new Gauge({ name: 'palisade_checks_inflight', help: 'Checks being evaluated.', registers }),
    accessLogEntries: new Counter({
      name: 'palisade_access_log_entries_total',
      help: 'HTTP access log entries accepted from authenticated Envoys, by response code class.',
      labelNames: ['code_class'],
      registers,
    }),
    accessLogIgnored: new Counter({
      name: 'palisade_access_log_entries_ignored_total',
      help: 'Access log entries that changed no score: from an unauthenticated peer, or matching no Check this process answered (forged, replayed, or answered by another replica).',
      labelNames: ['reason'],
      registers,
    }),
    uninspectedBodies: new Counter({
      name: 'palisade_uninspected_bodies_total',
      help: 'Request bodies not inspected whole (longer than inspected, cut by Envoy, or in an encoding not decoded), by policy and action (deny, flag).',
      labelNames: ['policy', 'action'],
      registers,
    }),
  };
}

/** The metric named `name` on `registry`, created by `make` only when it is not registered yet. */
function registered<T>(registry: Registry, name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make();
}

/** Counter store health and round trips, labelled by store kind. */
export interface StoreMetrics {
  up: Gauge<'store'>;
  errors: Counter<'store' | 'reason'>;
  roundtrips: Counter<'store'>;
  latency: Histogram<'store'>;
}

/** The counter store's metrics on `registry`. */
export function storeMetrics(registry: Registry): StoreMetrics {
  const registers = [registry];
  return {
    up: registered(registry, 'palisade_store_up', () => new Gauge({ name: 'palisade_store_up', help: '1 while the counter store is reachable', labelNames: ['store'], registers })),
    errors: registered(
      registry,
      'palisade_store_errors_total',
      () => new Counter({ name: 'palisade_store_errors_total', help: 'Failed counter store calls by reason', labelNames: ['store', 'reason'], registers }),
    ),
    roundtrips: registered(
      registry,
      'palisade_store_roundtrips_total',
      () => new Counter({ name: 'palisade_store_roundtrips_total', help: 'Counter store round trips (one per evaluated batch)', labelNames: ['store'], registers }),
    ),
    latency: registered(
      registry,
      'palisade_store_latency_seconds',
      () =>
        new Histogram({
          name: 'palisade_store_latency_seconds',
          help: 'Latency of one counter store round trip',
          labelNames: ['store'],
          buckets: [0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
          registers,
        }),
    ),
  };
}

/** The snapshot stream from the operator. */
export interface OperatorStreamMetrics {
  connected: Gauge;
  snapshots: Counter<'result'>;
}

/** The operator stream's metrics on `registry`. */
export function operatorStreamMetrics(registry: Registry): OperatorStreamMetrics {
  const registers = [registry];
  return {
    connected: registered(
      registry,
      'palisade_operator_stream_connected',
      () => new Gauge({ name: 'palisade_operator_stream_connected', help: '1 while the snapshot stream to the operator is up.', registers }),
    ),
    snapshots: registered(
      registry,
      'palisade_operator_snapshots_received_total',
      () =>
        new Counter({
          name: 'palisade_operator_snapshots_received_total',
          help: 'Snapshots received from the operator, by result (ack, nack).',
          labelNames: ['result'],
          registers,
        }),
    ),
  };
}

/** API discovery: allowed requests per endpoint template, and the endpoints known per policy. */
export interface DiscoveryMetrics {
  requests: Counter<'policy' | 'host' | 'method' | 'template'>;
}

/**
 * API discovery's metrics on `registry`; `endpoints` gives the cluster-wide endpoint counts per policy and state
 * at scrape time (read from the store, at most once a second); `pendingRequests` the allowed requests per series
 * counted since the last scrape (taken: each count is added once).
 */
export function discoveryMetrics(
  registry: Registry,
  maxMetricEndpoints: number,
  overflow: string,
  endpoints: () => Promise<Iterable<{ policy: string; state: 'declared' | 'shadow' | 'zombie'; count: number }>>,
  pendingRequests?: () => Iterable<{ labels: Record<'policy' | 'host' | 'method' | 'template', string>; count: number }>,
): DiscoveryMetrics {
  const registers = [registry];
  new Gauge({
    name: 'palisade_api_endpoints',
    help: 'API endpoints per policy (all replicas, from the store) by state: declared (an OpenAPI operation or covered by a rule), shadow (neither), zombie (declared, unused for inventory.zombieAfter).',
    labelNames: ['policy', 'state'],
    registers,
    async collect() {
      const counts = await endpoints();
      this.reset();
      for (const e of counts) this.set({ policy: e.policy, state: e.state }, e.count);
    },
  });
  return {
    requests: new Counter({
      name: 'palisade_api_requests_total',
      help: `Allowed requests per discovered endpoint (path template); endpoints beyond the first ${maxMetricEndpoints} are counted as template="${overflow}".`,
      labelNames: ['policy', 'host', 'method', 'template'],
      registers,
      // Counted by the caller per endpoint and added when scraped: one increment per series and scrape instead of a
      // label lookup per allowed Check.
      collect() {
        if (pendingRequests) for (const p of pendingRequests()) this.inc(p.labels, p.count);
      },
    }),
  };
}
