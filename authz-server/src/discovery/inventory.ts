/**
 * API discovery, cluster-wide. Every allowed Check (the traffic that reaches an upstream) is recorded under its
 * endpoint (host, method and template: endpoint.ts) in the counter store, off the Check path (DeferredCounters,
 * once a second): one capped hash of records per policy (`pal:{<policy>}:inv`) with each endpoint's request
 * count, first and last request, and response-code classes from Envoy's access log, plus a HyperLogLog of its
 * distinct consumers. Every replica writes into the same hash and every replica reads the whole of it, so every
 * replica serves the same `/inventory`.
 *
 * Judged against the policy in force when read: an endpoint is covered when a rule matches its method and path
 * (identity aside), declared when it is an operation of the policy's OpenAPI description (or covered), a shadow
 * when it is neither; a declared operation without requests for `inventory.zombieAfter` (once the inventory has
 * observed the policy that long) is a zombie. Metrics: palisade_api_endpoints{policy,state} from the last read,
 * palisade_api_requests_total per replica for the first endpoints (bounded cardinality).
 */
import type { Counter, Registry } from 'prom-client';
import { discoveryMetrics } from '../telemetry/metrics.ts';
import type { Outcome } from '../pipeline/outcome.ts';
import type { RequestContext } from '../pipeline/request.ts';
import type { Runtime, RuntimePolicy } from '../pipeline/runtime.ts';
import type { DeferredCounters } from '../bot/deferred.ts';
import { accessLogEvents, type StreamAccessLogsMessage } from '../bot/access-log.ts';
import type { CounterStore, DistinctOp } from '../store/counter-store.ts';
import { parseRecords } from '../store/counter-store.ts';
import { distinctPrefix, policyPrefix } from '../store/keys.ts';
import type { Journey, LearningDeps } from '../journeys/journeys.ts';
import { declaredEndpoints, endpointOf, samplePath } from './endpoint.ts';
import { compareText } from '../../../lib/ordering.ts';
import { RememberedChecks } from '../telemetry/remembered-checks.ts';

/** Response-code classes counted per endpoint. */
export type CodeClass = '2xx' | '3xx' | '4xx' | '5xx';
const CLASSES: readonly CodeClass[] = ['2xx', '3xx', '4xx', '5xx'];

/** One endpoint as /inventory reports it. */
export interface InventoryEntry {
  policy: string;
  /** `*` for a declared operation never requested (it belongs to every host of the policy). */
  host: string;
  method: string;
  template: string;
  /** Allowed requests, all replicas. */
  count: number;
  firstSeen: string | null;
  lastSeen: string | null;
  /** Responses by code class, from the access log (entries tied to a Check by x-request-id). */
  responses: Record<CodeClass, number>;
  /** Distinct consumers (API-key consumer or JWT subject, else mTLS principal, else client IP); an estimate. */
  consumers: number;
  coveredByRule: boolean;
  /** An operation of the policy's OpenAPI description, or covered by a rule. */
  declared: boolean;
  shadow: boolean;
  zombie: boolean;
}

/** One policy's part of the inventory. */
export interface PolicyInventory {
  policy: string;
  /** When this policy's inventory started (its first recorded request). */
  observingSince: string | null;
  endpoints: number;
  declared: number;
  shadow: number;
  zombie: number;
  /** The most common journeys (4-step windows of sessions' steps, `(start)` for a session's first steps). */
  journeys: Journey[];
}

/** The /inventory document. */
export interface InventoryReport {
  generatedAt: string;
  shadow: number;
  zombie: number;
  policies: PolicyInventory[];
  endpoints: InventoryEntry[];
}

/** What the inventory needs and its bounds. */
interface ApiInventoryOptions extends LearningDeps {
  registry?: Registry;
  /** The most common journeys of a policy (journeys/journeys.ts); absent: none listed. */
  journeys?: (policyId: string) => Promise<Journey[]>;
  /** Endpoint records per policy in the store; beyond that requests count under `{other}`. Default 2000. */
  maxEndpoints?: number;
  /** Endpoints with their own series in palisade_api_requests_total per replica; the rest are `{other}`. Default 200. */
  maxMetricEndpoints?: number;
  /** A report is reused for this long (every scrape and GET would read the store otherwise). Default 1000 ms. */
  cacheMs?: number;
  /** Request ids remembered to tie access-log entries to their endpoint. Default 50000. */
  maxCorrelations?: number;
  /** Whether Checks are remembered for access-log entries now (telemetry/access-log-presence.ts). Default: always. */
  remembering?: () => boolean;
}

/** Allowed requests of one palisade_api_requests_total series counted since the last scrape. */
interface SeriesTally {
  readonly labels: Record<'policy' | 'host' | 'method' | 'template', string>;
  pending: number;
}

/** What one endpoint of a policy costs to record, worked out once. */
interface EndpointMemo {
  readonly consumersKey: string;
  readonly target: CorrelationTarget;
  readonly tally: SeriesTally | null;
}

/** What recording a policy's requests needs, worked out once per policy version. */
interface PolicyMemo {
  readonly key: string;
  readonly ttlMs: number;
  /** The second of the last `since` update: later requests of that second cannot lower it. */
  metaSecond: number;
  readonly endpoints: Map<string, EndpointMemo>;
}

/** What an access-log entry of a remembered Check counts for. */
interface CorrelationTarget {
  readonly policy: string;
  readonly record: string;
  readonly ttlMs: number;
}

/** Template used for requests beyond the endpoint bound. */
export const OVERFLOW = '{other}';
const OVERFLOW_RECORD = `* * ${OVERFLOW}`;
/** The record holding when the policy's inventory started. */
const META = '~meta';
const MIN_TTL_MS = 7 * 24 * 3600_000;

/** Store key of a policy's inventory hash. */
export function inventoryKey(policyId: string): string {
  return `${policyPrefix(policyId)}:inv`;
}

/** Store key of an endpoint's distinct-consumer HyperLogLog. */
function consumersKey(policyId: string, record: string): string {
  return distinctPrefix(policyId, 'api.consumers', [record]);
}

/** True when a rule of the policy matches the method and the (concrete) path, identity aside. */
function coveredByRule(policy: RuntimePolicy | undefined, method: string, path: string): boolean {
  if (!policy?.rules) return false;
  return policy.rules.some((r) => (!r.methods || r.methods.has(method)) && (!r.paths || r.paths.some((m) => m.re.test(path))));
}

function recordOf(host: string, method: string, template: string): string {
  return `${host} ${method} ${template}`;
}

function parseRecord(record: string): { host: string; method: string; template: string } | null {
  const a = record.indexOf(' ');
  const b = record.indexOf(' ', a + 1);
  if (a <= 0 || b <= a) return null;
  return { host: record.slice(0, a), method: record.slice(a + 1, b), template: record.slice(b + 1) };
}

function iso(ms: number | undefined): string | null {
  return ms === undefined ? null : new Date(ms).toISOString();
}

/** Records allowed requests per endpoint (off the Check path) and reads the cluster-wide inventory back. */
export class ApiInventory {
  readonly #deferred: DeferredCounters;
  readonly #store: CounterStore;
  readonly #clock: () => number;
  readonly #runtime: () => Runtime | null;
  readonly #journeys: ((policyId: string) => Promise<Journey[]>) | undefined;
  readonly #max: number;
  readonly #maxMetric: number;
  readonly #cacheMs: number;
  readonly #requests: Counter<'policy' | 'host' | 'method' | 'template'> | undefined;
  /** x-request-id -> the endpoint record of the Check that allowed it. */
  readonly #remembered: RememberedChecks<CorrelationTarget>;
  /**
   * Per policy version (a new snapshot's policies start afresh). Its endpoints' targets are shared by every
   * remembered Check of them: at thousands of Checks a second each remembered Check then costs its map slot and its
   * id, not an object and a string of its own.
   */
  readonly #memos = new WeakMap<RuntimePolicy, PolicyMemo>();
  /**
   * One tally per palisade_api_requests_total series, shared by policy versions: the first maxMetricEndpoints
   * endpoints' own, then each policy's overflow series.
   */
  readonly #tallies = new Map<string, SeriesTally>();
  /** Endpoints with a series of their own (at most maxMetricEndpoints). */
  #ownSeries = 0;
  /** Series with requests not yet added to palisade_api_requests_total. */
  readonly #dirty = new Set<SeriesTally>();
  #cached: { at: number; report: Promise<InventoryReport> } | null = null;
  /** The last report read, for the endpoint gauge while the store is down. */
  #last: InventoryReport | null = null;

  constructor(opts: ApiInventoryOptions) {
    this.#deferred = opts.deferred;
    this.#store = opts.store;
    this.#clock = opts.clock;
    this.#runtime = opts.runtime;
    this.#journeys = opts.journeys;
    this.#max = opts.maxEndpoints ?? 2000;
    this.#maxMetric = opts.maxMetricEndpoints ?? 200;
    this.#cacheMs = opts.cacheMs ?? 1000;
    this.#remembered = new RememberedChecks({ max: opts.maxCorrelations ?? 50_000, ...(opts.remembering ? { remembering: opts.remembering } : {}) });
    this.#requests = opts.registry ? discoveryMetrics(opts.registry, this.#maxMetric, OVERFLOW, () => this.#states(), () => this.#takeTallies()).requests : undefined;
  }

  #ttl(policy: RuntimePolicy): number {
    return Math.max(MIN_TTL_MS, 3 * policy.source.inventory.zombieAfterMs);
  }

  /** Records an allowed Check (denied requests never reach an API). */
  onDecision(req: RequestContext, outcome: Outcome): void {
    if (outcome.kind === 'allow') this.observe(outcome.policy, req, outcome.consumer);
  }

  #policyMemo(policy: RuntimePolicy): PolicyMemo {
    let m = this.#memos.get(policy);
    if (!m) {
      m = { key: inventoryKey(policy.id), ttlMs: this.#ttl(policy), metaSecond: -1, endpoints: new Map() };
      this.#memos.set(policy, m);
    }
    return m;
  }

  #endpointMemo(policy: RuntimePolicy, m: PolicyMemo, host: string, method: string, template: string, record: string): EndpointMemo {
    let e = m.endpoints.get(record);
    if (e) return e;
    let tally: SeriesTally | null = null;
    if (this.#requests) {
      const series = `${policy.id} ${record}`;
      tally = this.#tallies.get(series) ?? null;
      if (!tally && this.#ownSeries < this.#maxMetric) {
        this.#ownSeries++;
        tally = { labels: { policy: policy.id, host, method, template }, pending: 0 };
        this.#tallies.set(series, tally);
      }
      if (!tally) {
        // An endpoint seen once the bound was reached stays in the overflow series (its template can never be {other}).
        const overflow = `${policy.id} ${OVERFLOW_RECORD}`;
        tally = this.#tallies.get(overflow) ?? { labels: { policy: policy.id, host: OVERFLOW, method: OVERFLOW, template: OVERFLOW }, pending: 0 };
        this.#tallies.set(overflow, tally);
      }
    }
    e = { consumersKey: consumersKey(policy.id, record), target: { policy: policy.id, record, ttlMs: m.ttlMs }, tally };
    // Records are bounded by what clients send (one per template); past the store's bound they are cheap to redo.
    if (m.endpoints.size > this.#max) m.endpoints.clear();
    m.endpoints.set(record, e);
    return e;
  }

  #takeTallies(): Array<{ labels: SeriesTally['labels']; count: number }> {
    const out = [...this.#dirty].map((t) => ({ labels: t.labels, count: t.pending }));
    for (const t of this.#dirty) t.pending = 0;
    this.#dirty.clear();
    return out;
  }

  /** Records one request to the policy's API. */
  observe(policy: RuntimePolicy, req: RequestContext, consumer: string | null = null): void {
    const e = endpointOf(policy, req.method, req.path);
    const record = recordOf(req.host, e.method, e.template);
    const now = Math.floor(this.#clock());
    const m = this.#policyMemo(policy);
    const { key, ttlMs } = m;
    const memo = this.#endpointMemo(policy, m, req.host, e.method, e.template, record);
    const second = Math.floor(now / 1000);
    if (second !== m.metaSecond) {
      m.metaSecond = second;
      this.#deferred.record({ key, record: META, overflow: META, maxRecords: 0, fields: [{ name: 'since', update: 'min', value: now }], ttlMs });
    }
    this.#deferred.record({
      key,
      record,
      overflow: OVERFLOW_RECORD,
      maxRecords: this.#max + 1, // the META record counts too
      fields: [
        { name: 'n', update: 'incr', value: 1 },
        { name: 'f', update: 'min', value: now },
        { name: 'l', update: 'max', value: now },
      ],
      ttlMs,
    });
    const member = consumer ? `c:${consumer}` : req.principal ? `p:${req.principal}` : `ip:${req.clientIp}`;
    this.#deferred.distinct(memo.consumersKey, member, ttlMs);
    if (this.#remembered.accepts(req.requestId)) this.#remembered.remember(req.requestId, memo.target);
    if (memo.tally) {
      memo.tally.pending++;
      this.#dirty.add(memo.tally);
    }
  }

  /**
   * Counts response-code classes from Envoy's access log. An entry counts only for the Check it matches by
   * x-request-id (one this replica answered), once: log entries can neither create an endpoint nor be replayed.
   * Ext_authz denials (Palisade's own) are skipped. Returns how many entries matched no Check.
   */
  ingest(msg: StreamAccessLogsMessage): { unmatched: number } {
    const events = accessLogEvents(msg).filter((ev) => !ev.ownDenial);
    const targets = events.map((ev) => this.#remembered.take(ev.requestId));
    events.forEach((ev, i) => {
      const target = targets[i];
      if (!target || ev.code < 200 || ev.code > 599) return;
      const codeClass = CLASSES[Math.floor(ev.code / 100) - 2]!;
      this.#deferred.record({ key: inventoryKey(target.policy), record: target.record, overflow: OVERFLOW_RECORD, maxRecords: this.#max + 1, fields: [{ name: codeClass, update: 'incr', value: 1 }], ttlMs: target.ttlMs });
    });
    return { unmatched: targets.filter((t) => t === undefined).length };
  }

  /** The inventory of every policy in force, read from the store (shared by all replicas). */
  report(): Promise<InventoryReport> {
    const now = this.#clock();
    if (this.#cached && now - this.#cached.at < this.#cacheMs) return this.#cached.report;
    const report = this.#read(now);
    this.#cached = { at: now, report };
    report.then(
      (r) => (this.#last = r),
      () => (this.#cached = null),
    );
    return report;
  }

  async #read(now: number): Promise<InventoryReport> {
    const runtime = this.#runtime();
    const policies = runtime ? [...runtime.policies.values()].sort((a, b) => (a.id < b.id ? -1 : 1)) : [];
    const parts = await Promise.all(policies.map((p) => this.#readPolicy(p, now)));
    const endpoints = parts.flatMap((p) => p.endpoints);
    return {
      generatedAt: new Date(now).toISOString(),
      shadow: endpoints.filter((e) => e.shadow).length,
      zombie: endpoints.filter((e) => e.zombie).length,
      policies: parts.map((p) => p.summary),
      endpoints,
    };
  }

  async #readPolicy(policy: RuntimePolicy, now: number): Promise<{ summary: PolicyInventory; endpoints: InventoryEntry[] }> {
    const read = await this.#store.evaluate({ rateLimits: [], counters: [], distinct: [], reads: [{ key: inventoryKey(policy.id) }] });
    const records = parseRecords(read.reads[0] ?? []);
    const since = records.get(META)?.['since'];
    records.delete(META);
    const names = [...records.keys()].filter((r) => r !== OVERFLOW_RECORD);
    const consumers = new Map<string, number>();
    for (let i = 0; i < names.length; i += 500) {
      const chunk = names.slice(i, i + 500);
      const distinct: DistinctOp[] = chunk.map((r) => {
        const key = consumersKey(policy.id, r);
        return { key, member: '', ttlMs: 1, countKeys: [key] };
      });
      const r = await this.#store.evaluate({ rateLimits: [], counters: [], distinct });
      chunk.forEach((name, j) => consumers.set(name, r.distinct[j]?.[0] ?? 0));
    }
    const zombieAfter = policy.source.inventory.zombieAfterMs;
    const observedLongEnough = since !== undefined && now - since >= zombieAfter;
    const declared = new Set(declaredEndpoints(policy).map((e) => `${e.method} ${e.template}`));
    const used = new Set<string>();
    const endpoints: InventoryEntry[] = [];
    for (const [record, f] of records) {
      const id = record === OVERFLOW_RECORD ? { host: '*', method: '*', template: OVERFLOW } : parseRecord(record);
      if (!id) continue;
      const covered = id.template !== OVERFLOW && coveredByRule(policy, id.method, samplePath(id.template));
      const isDeclared = covered || declared.has(`${id.method} ${id.template}`);
      const last = f['l'];
      if (last !== undefined && now - last < zombieAfter) used.add(`${id.method} ${id.template}`);
      endpoints.push({
        policy: policy.id,
        ...id,
        count: f['n'] ?? 0,
        firstSeen: iso(f['f']),
        lastSeen: iso(last),
        responses: { '2xx': f['2xx'] ?? 0, '3xx': f['3xx'] ?? 0, '4xx': f['4xx'] ?? 0, '5xx': f['5xx'] ?? 0 },
        consumers: consumers.get(record) ?? 0,
        coveredByRule: covered,
        declared: isDeclared,
        shadow: !isDeclared,
        zombie: false,
      });
    }
    for (const e of endpoints) e.zombie = e.declared && declared.has(`${e.method} ${e.template}`) && observedLongEnough && !used.has(`${e.method} ${e.template}`);
    const seen = new Set(endpoints.map((e) => `${e.method} ${e.template}`));
    for (const d of declaredEndpoints(policy)) {
      if (seen.has(`${d.method} ${d.template}`)) continue;
      endpoints.push({
        policy: policy.id,
        host: '*',
        method: d.method,
        template: d.template,
        count: 0,
        firstSeen: null,
        lastSeen: null,
        responses: { '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0 },
        consumers: 0,
        coveredByRule: coveredByRule(policy, d.method, samplePath(d.template)),
        declared: true,
        shadow: false,
        zombie: observedLongEnough,
      });
    }
    endpoints.sort((a, b) => compareText(a.host, b.host) || compareText(a.template, b.template) || compareText(a.method, b.method));
    const journeys = this.#journeys && policy.bot.mode !== 'Off' ? await this.#journeys(policy.id).catch(() => []) : [];
    return {
      summary: {
        policy: policy.id,
        observingSince: iso(since),
        endpoints: endpoints.length,
        declared: endpoints.filter((e) => e.declared).length,
        shadow: endpoints.filter((e) => e.shadow).length,
        zombie: endpoints.filter((e) => e.zombie).length,
        journeys,
      },
      endpoints,
    };
  }

  /** Endpoint counts by policy and state, for palisade_api_endpoints (the last good report while the store is down). */
  async #states(): Promise<Array<{ policy: string; state: 'declared' | 'shadow' | 'zombie'; count: number }>> {
    const report = await this.report().catch(() => this.#last);
    return (report?.policies ?? []).flatMap((p) => [
      { policy: p.policy, state: 'declared' as const, count: p.declared },
      { policy: p.policy, state: 'shadow' as const, count: p.shadow },
      { policy: p.policy, state: 'zombie' as const, count: p.zombie },
    ]);
  }
}
