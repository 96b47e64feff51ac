/**
 * API discovery: every allowed Check (the traffic that reaches an upstream) records its host, method and path
 * template. The count per endpoint lives in the CounterStore (one key per endpoint under the policy's hash tag,
 * written off the Check path through DeferredCounters, so replicas add up and a Check never waits), and this
 * replica keeps a bounded index of the endpoints it has seen (the store key is a hash, the index has the names)
 * with their last-seen time and the cluster-wide count as of the last flush.
 *
 * An endpoint is covered when a rule of its policy matches its method and path (principals, consumers and
 * claims aside); one that no rule covers is a shadow endpoint: reachable, but never declared. A policy without
 * `rules` covers nothing. Exposed at `/inventory` (JSON) and as metrics with bounded cardinality.
 */
import type { Counter, Registry } from 'prom-client';
import { discoveryMetrics } from '../telemetry/metrics.ts';
import type { Outcome } from '../pipeline/outcome.ts';
import type { RequestContext } from '../pipeline/request.ts';
import type { Runtime, RuntimePolicy } from '../pipeline/runtime.ts';
import type { DeferredCounters } from '../bot/deferred.ts';
import { counterPrefix } from '../store/keys.ts';
import { pathTemplate } from './template.ts';

/** One endpoint as /inventory reports it. */
export interface InventoryEntry {
  policy: string;
  host: string;
  method: string;
  template: string;
  /** Requests recorded in the store for this endpoint (all replicas), plus this replica's not yet flushed. */
  count: number;
  /** ISO time of this replica's last request to the endpoint. */
  lastSeen: string;
  coveredByRule: boolean;
  shadow: boolean;
}

export interface ApiInventoryOptions {
  deferred: DeferredCounters;
  clock: () => number;
  runtime: () => Runtime | null;
  registry?: Registry;
  /** Endpoints indexed per replica; beyond that, requests count under `{other}`. Default 2000. */
  maxEndpoints?: number;
  /** Endpoints with their own series in palisade_api_requests_total; the rest are `{other}`. Default 200. */
  maxMetricEndpoints?: number;
  /** Expiry of an endpoint's store counter after its last request. Default 7 days. */
  ttlMs?: number;
}

/** Template used for requests beyond the index bound. */
export const OVERFLOW = '{other}';

interface Endpoint {
  policy: string;
  host: string;
  method: string;
  template: string;
  /** A concrete path seen, to decide rule coverage against the policy in force. */
  sample: string;
  stored: number;
  unflushed: number;
  lastSeenMs: number;
  metric: boolean;
  /** Store key of the endpoint's counter. */
  key: string;
  onValue: (value: number, flushed: number) => void;
}

/** True when a rule of the policy matches the method and the (concrete) path, identity aside. */
export function coveredByRule(policy: RuntimePolicy | undefined, method: string, path: string): boolean {
  if (!policy?.rules) return false;
  return policy.rules.some((r) => (!r.methods || r.methods.has(method)) && (!r.paths || r.paths.some((m) => m.re.test(path))));
}

export class ApiInventory {
  readonly #deferred: DeferredCounters;
  readonly #clock: () => number;
  readonly #runtime: () => Runtime | null;
  readonly #max: number;
  readonly #maxMetric: number;
  readonly #ttlMs: number;
  readonly #endpoints = new Map<string, Endpoint>();
  #metricSeries = 0;
  readonly #requests: Counter<'policy' | 'host' | 'method' | 'template'> | undefined;

  constructor(opts: ApiInventoryOptions) {
    this.#deferred = opts.deferred;
    this.#clock = opts.clock;
    this.#runtime = opts.runtime;
    this.#max = opts.maxEndpoints ?? 2000;
    this.#maxMetric = opts.maxMetricEndpoints ?? 200;
    this.#ttlMs = opts.ttlMs ?? 7 * 24 * 3600_000;
    this.#requests = opts.registry ? discoveryMetrics(opts.registry, this.#maxMetric, OVERFLOW, () => this.list()).requests : undefined;
  }

  /** Records an allowed Check (denied requests never reach an API). */
  onDecision(req: RequestContext, outcome: Outcome): void {
    if (outcome.kind === 'allow') this.observe(outcome.policy, req);
  }

  /** Records one request to the policy's API. */
  observe(policy: RuntimePolicy, req: RequestContext): void {
    let host = req.host;
    let method = req.method;
    let template = pathTemplate(req.path);
    let id = `${policy.id} ${host} ${method} ${template}`;
    let e = this.#endpoints.get(id);
    if (!e && this.#endpoints.size >= this.#max) {
      host = '*';
      method = '*';
      template = OVERFLOW;
      id = `${policy.id} * * ${OVERFLOW}`;
      e = this.#endpoints.get(id);
    }
    if (!e) {
      const metric = this.#metricSeries < this.#maxMetric;
      if (metric) this.#metricSeries++;
      const ep: Endpoint = {
        policy: policy.id,
        host,
        method,
        template,
        sample: req.path,
        stored: 0,
        unflushed: 0,
        lastSeenMs: 0,
        metric,
        key: counterPrefix(policy.id, 'api', [host, method, template]),
        onValue: (value, flushed) => {
          ep.stored = value;
          ep.unflushed = Math.max(0, ep.unflushed - flushed);
        },
      };
      e = ep;
      this.#endpoints.set(id, e);
    }
    e.unflushed++;
    e.lastSeenMs = this.#clock();
    this.#requests?.inc(e.metric ? { policy: e.policy, host: e.host, method: e.method, template: e.template } : { policy: e.policy, host: OVERFLOW, method: OVERFLOW, template: OVERFLOW });
    this.#deferred.add(e.key, 1, this.#ttlMs, e.onValue);
  }

  /** The endpoints this replica knows, with coverage judged against the policies in force. */
  list(): InventoryEntry[] {
    const runtime = this.#runtime();
    const out: InventoryEntry[] = [];
    for (const e of this.#endpoints.values()) {
      const policy = runtime?.policies.get(e.policy);
      const covered = e.template !== OVERFLOW && coveredByRule(policy, e.method, e.sample);
      out.push({
        policy: e.policy,
        host: e.host,
        method: e.method,
        template: e.template,
        count: e.stored + e.unflushed,
        lastSeen: new Date(e.lastSeenMs).toISOString(),
        coveredByRule: covered,
        shadow: !covered,
      });
    }
    return out.sort((a, b) => a.policy.localeCompare(b.policy) || a.host.localeCompare(b.host) || a.template.localeCompare(b.template) || a.method.localeCompare(b.method));
  }

  /** The /inventory document. */
  report(): { generatedAt: string; endpoints: InventoryEntry[]; shadow: number } {
    const endpoints = this.list();
    return { generatedAt: new Date(this.#clock()).toISOString(), endpoints, shadow: endpoints.filter((e) => e.shadow).length };
  }
}
