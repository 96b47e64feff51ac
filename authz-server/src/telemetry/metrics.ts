/**
 * The authz-server's Prometheus metrics, registered on an injected registry (one per process; tests make their
 * own).
 */
import { Counter, Gauge, Histogram, collectDefaultMetrics, type Registry } from 'prom-client';
import { DistinctWindow } from './distinct-window.ts';

/** Every metric the authz-server exports. */
export interface AuthzMetrics {
  decisions: Counter<'policy' | 'verdict' | 'reason'>;
  decisionSeconds: Histogram<'verdict'>;
  snapshotInfo: Gauge<'version'>;
  snapshotLoadedAt: Gauge;
  snapshotAge: Gauge;
  policies: Gauge;
  reloads: Counter<'result'>;
  storeFailures: Counter<'policy' | 'failure_policy'>;
  inflight: Gauge;
  accessLogEntries: Counter<'code_class'>;
  /** Requests denied (or, in Monitor mode, that would be) by a rate limit, by policy and limit name. */
  rateLimited: Counter<'policy' | 'limit'>;
  /** Distinct clients (consumer, else principal, else client IP) rate limited in the last minute, per policy. */
  rateLimitedClients: DistinctWindow;
  /** Bot scores (0..100) of assessed requests, by policy. */
  botScore: Histogram<'policy'>;
}

/** Registers the metrics (and Node's default process metrics) on `registry`. */
export function createAuthzMetrics(registry: Registry, snapshotLoadedAtMs: () => number | null): AuthzMetrics {
  collectDefaultMetrics({ register: registry, prefix: 'palisade_authz_' });
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
    decisions: new Counter({
      name: 'palisade_decisions_total',
      help: 'Check decisions by policy, verdict (allow, deny, monitor) and reason.',
      labelNames: ['policy', 'verdict', 'reason'],
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
      help: 'HTTP access log entries received from Envoy, by response code class.',
      labelNames: ['code_class'],
      registers,
    }),
  };
}
