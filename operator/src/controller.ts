/**
 * The reconciler. Informers only enqueue keys; the work queue runs these handlers:
 *
 *  - `snapshot`: the snapshot is global, so this reconciles the whole set, level-triggered from the caches:
 *      gather (list policies and API-key Secrets from the informer caches)
 *      -> compile (pure: structural validation + compile.ts)
 *      -> publish (new version to the stream server; the leader also refreshes the ConfigMap)
 *      -> enqueue `status/<ns>/<name>` for every policy whose status is not what it should be.
 *  - `status/<ns>/<name>`: leader only; computes Accepted/Enforced for one policy and PATCHes /status (merge patch)
 *    only when it changed; emits Events for transitions users must see.
 *  - `configmap`: leader only; writes the current snapshot into the snapshot ConfigMap.
 *
 * Distribution changes (ACK/NACK, replicas coming and going, reports of other operator replicas) enqueue status
 * keys; a failing key is retried by the queue with backoff.
 */
import type { Logger } from 'pino';
import { canonicalJson } from '../../lib/policy/canonical-json.ts';
import { DEFAULT_NAMESPACE, compile, type ConfigMapInput, type HostConflict, type PolicyInput, type RefusedPolicy, type SecretInput, type SecretProblem } from '../../lib/policy/compile.ts';
import { toConfigMapInput } from '../../lib/policy/configmaps.ts';
import { API_VERSION, KIND, type PolicyStatus } from '../../lib/policy/schema.ts';
import { toSecretInput } from '../../lib/policy/secrets.ts';
import type { Snapshot, Violation } from '../../lib/policy/snapshot.ts';
import { validateDocument } from '../../lib/policy/validate.ts';
import type { EventTarget } from './events.ts';
import type { OperatorMetrics } from './metrics.ts';
import {
  ENFORCED,
  acceptedCondition,
  desiredStatus,
  enforcedCondition,
  enforcingReplicas,
  statusUpToDate,
  transitionEvents,
  type DesiredCondition,
  type OwnedStatus,
  type PolicyEvent,
  type ReplicaState,
  type VersionLookup,
} from './status.ts';
import type { HandlerResult } from './work-queue.ts';

export const SNAPSHOT_KEY = 'snapshot';
export const CONFIGMAP_KEY = 'configmap';
export const ACCEPTED_KEY = 'accepted';
const STATUS_PREFIX = 'status/';

export function statusKey(namespace: string, name: string): string {
  return `${STATUS_PREFIX}${namespace}/${name}`;
}

/** An ApiProtectionPolicy as it comes from the API server (spec unchecked). */
export interface PolicyObject {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    uid?: string;
    generation?: number;
    resourceVersion?: string;
    creationTimestamp?: string | Date;
    [k: string]: unknown;
  };
  spec?: unknown;
  status?: PolicyStatus;
}

/** What the last `snapshot` reconcile concluded. */
export interface CompileState {
  snapshot: Snapshot;
  /** By policy id. */
  violations: Map<string, Violation>;
  /** Policies that are part of the snapshot. */
  included: Set<string>;
  /** Generation of every gathered policy, by id. */
  generations: Map<string, number>;
  /** Generation in force (in the snapshot), by id: the current one, or the last accepted one. */
  enforced: Map<string, number>;
  /** Policies whose current generation compiled, with the document that did. */
  accepted: Map<string, PolicyInput>;
  conflicts: HostConflict[];
  secretProblems: SecretProblem[];
}

export interface ControllerDeps {
  policies: { list(): readonly PolicyObject[]; get(name: string, namespace?: string): PolicyObject | undefined };
  secrets: { list(): readonly object[] };
  /** ConfigMaps labelled palisade.dev/openapi (OpenAPI descriptions referenced by policies). */
  configMaps?: { list(): readonly object[] };
  /** New snapshot versions go out here; `lookup` says which generations a published version holds. */
  publisher: { publish(snapshot: Snapshot): void; lookup: VersionLookup };
  /** authz-server replicas across all operator replicas, with their ACK state. */
  replicas(): ReplicaState[];
  statusWriter: { write(target: EventTarget, status: OwnedStatus): Promise<'ok' | 'gone'> };
  /** Persists the last accepted generations (leader only), so they survive a restart. */
  acceptedStore?: { write(accepted: ReadonlyMap<string, PolicyInput>): Promise<void> };
  configMapWriter: { write(snapshot: Snapshot): Promise<void> };
  events: { record(target: EventTarget, ev: PolicyEvent): Promise<void> };
  enqueue(key: string): void;
  isLeader(): boolean;
  /** Until when (ms epoch) an Enforced=True condition is kept while authz-servers reconnect after a leader change. */
  enforcedGraceUntil(): number;
  metrics?: OperatorMetrics;
  logger: Logger;
  now?: () => Date;
}

function idOf(obj: PolicyObject): string {
  return `${obj.metadata?.namespace ?? DEFAULT_NAMESPACE}/${obj.metadata?.name ?? ''}`;
}

function targetOf(obj: PolicyObject): EventTarget {
  return {
    name: obj.metadata?.name ?? '',
    namespace: obj.metadata?.namespace ?? DEFAULT_NAMESPACE,
    ...(obj.metadata?.uid ? { uid: obj.metadata.uid } : {}),
    ...(obj.metadata?.resourceVersion ? { resourceVersion: obj.metadata.resourceVersion } : {}),
  };
}

function asPolicyDocument(obj: PolicyObject): unknown {
  const meta = { ...obj.metadata };
  if (meta.creationTimestamp instanceof Date) meta.creationTimestamp = meta.creationTimestamp.toISOString();
  return { apiVersion: API_VERSION, kind: KIND, metadata: meta, spec: obj.spec, ...(obj.status ? { status: obj.status } : {}) };
}

function record(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** Only what a fallback needs of the metadata (no managedFields, labels, annotations). */
function trimmed(doc: PolicyInput): PolicyInput {
  const m = doc.metadata;
  return {
    metadata: {
      name: m.name,
      ...(m.namespace ? { namespace: m.namespace } : {}),
      ...(m.uid ? { uid: m.uid } : {}),
      ...(m.generation !== undefined ? { generation: m.generation } : {}),
      ...(m.creationTimestamp ? { creationTimestamp: m.creationTimestamp } : {}),
    },
    spec: doc.spec,
  };
}

/**
 * Gather + compile (pure given its inputs): structural validation, then the compiler. Policies the schema refuses
 * go to the compiler as refused, so they keep their hosts and their last accepted generation.
 */
export function compileFromCache(
  policies: readonly PolicyObject[],
  secrets: readonly object[],
  now: Date,
  lastAccepted: ReadonlyMap<string, PolicyInput> = new Map(),
  configMaps: readonly object[] = [],
): CompileState {
  const valid: PolicyInput[] = [];
  const refused: RefusedPolicy[] = [];
  const generations = new Map<string, number>();
  for (const obj of policies) {
    const id = idOf(obj);
    generations.set(id, obj.metadata?.generation ?? 1);
    const doc = asPolicyDocument(obj);
    const checked = validateDocument(doc);
    if (checked.ok) {
      valid.push(trimmed(checked.value));
    } else {
      const first = checked.errors[0];
      const spec = record(obj.spec);
      const meta = (doc as { metadata: PolicyInput['metadata'] }).metadata;
      refused.push({
        metadata: { ...meta, name: meta.name ?? '', namespace: meta.namespace ?? DEFAULT_NAMESPACE },
        hosts: Array.isArray(spec['hosts']) ? spec['hosts'].filter((h): h is string => typeof h === 'string') : [],
        mode: spec['mode'] === 'Monitor' ? 'Monitor' : 'Enforce',
        ...(first ? { field: first.path } : {}),
        message: first?.message ?? 'invalid',
      });
    }
  }
  const secretInputs = secrets
    .map((s) => toSecretInput({ kind: 'Secret', ...(s as Record<string, unknown>) }))
    .filter((s): s is SecretInput => s !== null);
  const configMapInputs = configMaps
    .map((c) => toConfigMapInput({ kind: 'ConfigMap', ...(c as Record<string, unknown>) }))
    .filter((c): c is ConfigMapInput => c !== null);
  const result = compile(valid, secretInputs, now, { lastAccepted, refused, configMaps: configMapInputs });
  const acceptedIds = new Set(result.accepted);
  return {
    snapshot: result.snapshot,
    violations: new Map(result.violations.map((v) => [v.policy, v])),
    included: new Set(result.snapshot.policies.map((p) => p.id)),
    generations,
    enforced: new Map(result.snapshot.policies.map((p) => [p.id, p.generation])),
    accepted: new Map(valid.filter((d) => acceptedIds.has(`${d.metadata.namespace ?? DEFAULT_NAMESPACE}/${d.metadata.name}`)).map((d) => [`${d.metadata.namespace ?? DEFAULT_NAMESPACE}/${d.metadata.name}`, d])),
    conflicts: result.conflicts,
    secretProblems: result.secretProblems,
  };
}

export class Controller {
  readonly #deps: ControllerDeps;
  readonly #logger: Logger;
  readonly #now: () => Date;
  #state: CompileState | null = null;
  /** The last generation of each policy that compiled: enforced while a newer one is refused. */
  readonly #lastAccepted = new Map<string, PolicyInput>();
  /** Secret problems already reported with an Event (leader), to report each once. */
  #reportedSecretProblems = new Set<string>();
  /** Status we wrote, by key, with the resourceVersion it was written over (to ride out informer lag). */
  readonly #written = new Map<string, { rv: string | undefined; json: string }>();

  constructor(deps: ControllerDeps) {
    this.#deps = deps;
    this.#logger = deps.logger.child({ component: 'controller' });
    this.#now = deps.now ?? (() => new Date());
  }

  /** Seeds the last accepted generations (from the store, before the first compile). */
  seedAccepted(accepted: ReadonlyMap<string, PolicyInput>): void {
    for (const [id, doc] of accepted) if (!this.#lastAccepted.has(id)) this.#lastAccepted.set(id, doc);
  }

  /** The last accepted generation of every policy. */
  get lastAccepted(): ReadonlyMap<string, PolicyInput> {
    return this.#lastAccepted;
  }

  /** The last compile result (null before the first snapshot reconcile). */
  get state(): CompileState | null {
    return this.#state;
  }

  // ---- informer and distribution event handlers: they only enqueue keys ----

  /**
   * Adds, deletes and spec changes recompile the snapshot. An update that keeps the generation the last compile
   * saw (status, labels, annotations: including our own status PATCHes) cannot change it, so only that policy's
   * status is looked at.
   */
  onPolicyEvent(obj: PolicyObject, event: 'add' | 'update' | 'delete' = 'update'): void {
    const compiled = this.#state?.generations.get(idOf(obj));
    if (event !== 'update' || compiled === undefined || compiled !== (obj.metadata?.generation ?? 1)) this.#deps.enqueue(SNAPSHOT_KEY);
    if (obj.metadata?.name) this.#deps.enqueue(statusKey(obj.metadata.namespace ?? DEFAULT_NAMESPACE, obj.metadata.name));
  }

  onSecretEvent(): void {
    this.#deps.enqueue(SNAPSHOT_KEY);
  }

  onConfigMapEvent(): void {
    this.#deps.enqueue(SNAPSHOT_KEY);
  }

  /** ACK state or the replica set changed: every policy's Enforced may have changed. */
  onDistributionChange(): void {
    if (!this.#deps.isLeader()) return;
    this.#enqueueAllStatus();
  }

  /** Leadership gained: refresh everything this replica now owns. */
  onLeadership(): void {
    this.#written.clear();
    this.#reportedSecretProblems = new Set();
    this.#deps.enqueue(SNAPSHOT_KEY);
    this.#deps.enqueue(CONFIGMAP_KEY);
    this.#deps.enqueue(ACCEPTED_KEY);
    this.#enqueueAllStatus();
  }

  #enqueueAllStatus(): void {
    for (const p of this.#deps.policies.list()) {
      if (p.metadata?.name) this.#deps.enqueue(statusKey(p.metadata.namespace ?? DEFAULT_NAMESPACE, p.metadata.name));
    }
  }

  // ---- the work queue handler ----

  async handle(key: string): Promise<HandlerResult> {
    const kind = key === SNAPSHOT_KEY ? 'snapshot' : key === CONFIGMAP_KEY ? 'configmap' : key === ACCEPTED_KEY ? 'accepted' : 'status';
    const end = this.#deps.metrics?.reconcileSeconds.startTimer({ kind });
    try {
      if (kind === 'snapshot') return await this.#reconcileSnapshot();
      if (kind === 'configmap') return await this.#reconcileConfigMap();
      if (kind === 'accepted') return await this.#reconcileAccepted();
      const rest = key.slice(STATUS_PREFIX.length);
      const slash = rest.indexOf('/');
      return await this.#reconcileStatus(rest.slice(0, slash), rest.slice(slash + 1));
    } catch (err) {
      this.#deps.metrics?.reconcileErrors.inc({ kind });
      throw err;
    } finally {
      end?.();
    }
  }

  async #reconcileSnapshot(): Promise<HandlerResult> {
    // gather
    const policies = this.#deps.policies.list();
    const secrets = this.#deps.secrets.list();
    const configMaps = this.#deps.configMaps?.list() ?? [];
    // compile
    const state = compileFromCache(policies, secrets, this.#now(), this.#lastAccepted, configMaps);
    const previous = this.#state;
    this.#state = state;
    const acceptedChanged = this.#rememberAccepted(state, policies);
    this.#exportPolicyMetrics(policies, state);
    // publish
    if (previous?.snapshot.version !== state.snapshot.version) {
      this.#deps.publisher.publish(state.snapshot);
      this.#logger.info(
        { version: state.snapshot.version, previous: previous?.snapshot.version ?? null, policies: state.snapshot.policies.length, rejected: [...state.violations.values()].filter((v) => !v.included).length },
        'snapshot published',
      );
      if (this.#deps.isLeader()) this.#deps.enqueue(CONFIGMAP_KEY);
    }
    if (acceptedChanged && this.#deps.isLeader()) this.#deps.enqueue(ACCEPTED_KEY);
    // status: only for policies whose status is not what it should be
    if (this.#deps.isLeader()) {
      const now = this.#now();
      for (const obj of policies) {
        const name = obj.metadata?.name;
        if (!name) continue;
        const { status } = this.#desired(obj, state, now);
        if (!statusUpToDate(obj.status, status)) this.#deps.enqueue(statusKey(obj.metadata?.namespace ?? DEFAULT_NAMESPACE, name));
      }
      await this.#reportSecretProblems(state.secretProblems);
    }
    const live = new Set(policies.map((p) => statusKey(p.metadata?.namespace ?? DEFAULT_NAMESPACE, p.metadata?.name ?? '')));
    for (const k of this.#written.keys()) if (!live.has(k)) this.#written.delete(k);
    return undefined;
  }

  /** Updates the last accepted generations from a compile; true when they changed. */
  #rememberAccepted(state: CompileState, policies: readonly PolicyObject[]): boolean {
    let changed = false;
    for (const [id, doc] of state.accepted) {
      const prev = this.#lastAccepted.get(id);
      if (prev && prev.metadata.generation === doc.metadata.generation && prev.metadata.uid === doc.metadata.uid && canonicalJson(prev.spec) === canonicalJson(doc.spec)) continue;
      this.#lastAccepted.set(id, doc);
      changed = true;
    }
    const live = new Map(policies.map((p) => [idOf(p), p.metadata?.uid]));
    for (const [id, doc] of this.#lastAccepted) {
      const uid = live.get(id);
      if (!live.has(id) || (uid && doc.metadata.uid && uid !== doc.metadata.uid)) {
        this.#lastAccepted.delete(id);
        changed = true;
      }
    }
    return changed;
  }

  /** A Warning Event on each Secret newly left out (and its problem logged), once per problem. */
  async #reportSecretProblems(problems: readonly SecretProblem[]): Promise<void> {
    const current = new Set<string>();
    for (const p of problems) {
      const key = `${p.policy}|${p.secret}|${p.reason}|${p.message}`;
      current.add(key);
      if (this.#reportedSecretProblems.has(key)) continue;
      this.#logger.warn({ policy: p.policy, secret: p.secret, reason: p.reason }, p.message);
      const [namespace = '', name = ''] = p.secret.split('/');
      await this.#deps.events.record(
        { name, namespace, apiVersion: 'v1', kind: 'Secret' },
        { type: 'Warning', reason: p.reason, action: 'Compile', note: `${p.message}; left out of the API keys of policy ${p.policy}` },
      );
    }
    this.#reportedSecretProblems = current;
  }

  #exportPolicyMetrics(policies: readonly PolicyObject[], state: CompileState): void {
    const m = this.#deps.metrics;
    if (!m) return;
    const inConflict = new Set(state.conflicts.flatMap((c) => [c.owner, c.claimant]));
    for (const g of [m.policyAccepted, m.policyGeneration, m.policyEnforcedGeneration, m.policyConflict]) g.reset();
    for (const obj of policies) {
      const id = idOf(obj);
      const labels = { namespace: obj.metadata?.namespace ?? DEFAULT_NAMESPACE, policy: obj.metadata?.name ?? '' };
      const v = state.violations.get(id);
      m.policyAccepted.set(labels, v ? 0 : 1);
      m.policyGeneration.set(labels, obj.metadata?.generation ?? 1);
      m.policyEnforcedGeneration.set(labels, state.enforced.get(id) ?? 0);
      m.policyConflict.set(labels, inConflict.has(id) ? 1 : 0);
    }
    // Enforced is the leader's view; drop series of policies that are gone
    const live = new Set(policies.map((p) => `${p.metadata?.namespace ?? DEFAULT_NAMESPACE}/${p.metadata?.name ?? ''}`));
    for (const key of [...this.#enforcedSeries]) {
      if (live.has(key)) continue;
      const [namespace = '', policy = ''] = key.split('/');
      m.policyEnforced.remove({ namespace, policy });
      this.#enforcedSeries.delete(key);
    }
  }

  readonly #enforcedSeries = new Set<string>();

  #desired(obj: PolicyObject, state: CompileState, now: Date): { status: OwnedStatus; requeueAfterMs: number | null } {
    const id = idOf(obj);
    const generation = obj.metadata?.generation ?? 1;
    const accepted = acceptedCondition(state.violations.get(id), generation);
    const inForce = state.enforced.get(id) ?? null;
    const replicas = this.#deps.replicas();
    let enforced: DesiredCondition = enforcedCondition(id, generation, inForce, replicas, this.#deps.publisher.lookup);
    let requeueAfterMs: number | null = null;
    let counted = enforcingReplicas(inForce, id, replicas, this.#deps.publisher.lookup);
    const graceLeft = this.#deps.enforcedGraceUntil() - now.getTime();
    if (graceLeft > 0 && (enforced.reason === 'NoReplicas' || enforced.reason === 'Pending')) {
      const prev = obj.status?.conditions?.find((c) => c.type === ENFORCED);
      if (prev && prev.status === 'True' && prev.observedGeneration === generation) {
        enforced = { type: ENFORCED, status: 'True', reason: prev.reason, message: prev.message ?? '', observedGeneration: generation };
        counted = obj.status?.enforcingReplicas ?? counted;
        requeueAfterMs = graceLeft + 50;
      }
    }
    const extra = { enforcedGeneration: inForce, enforcingReplicas: counted };
    return { status: desiredStatus(obj.status, generation, [accepted, enforced], now, extra), requeueAfterMs };
  }

  async #reconcileStatus(namespace: string, name: string): Promise<HandlerResult> {
    if (!this.#deps.isLeader()) return undefined;
    const state = this.#state;
    const obj = this.#deps.policies.get(name, namespace);
    if (!state || !obj) return undefined;
    const id = `${namespace}/${name}`;
    const generation = obj.metadata?.generation ?? 1;
    // The cache already has a newer generation than the last compile: the snapshot key is queued and will
    // re-enqueue this one.
    if (state.generations.get(id) !== generation) return undefined;
    const { status, requeueAfterMs } = this.#desired(obj, state, this.#now());
    const enforcedNow = status.conditions.find((c) => c.type === ENFORCED)?.status === 'True';
    this.#deps.metrics?.policyEnforced.set({ namespace, policy: name }, enforcedNow ? 1 : 0);
    this.#enforcedSeries.add(id);
    const requeue = requeueAfterMs === null ? undefined : { requeueAfterMs };
    if (statusUpToDate(obj.status, status)) return requeue;
    const key = statusKey(namespace, name);
    const json = canonicalJson(status);
    const written = this.#written.get(key);
    if (written && written.rv === obj.metadata?.resourceVersion && written.json === json) return requeue;
    const target = targetOf(obj);
    const result = await this.#deps.statusWriter.write(target, status);
    this.#deps.metrics?.statusPatches.inc({ result });
    if (result === 'gone') return undefined;
    this.#written.set(key, { rv: obj.metadata?.resourceVersion, json });
    this.#logger.info(
      { policy: id, generation, conditions: Object.fromEntries(status.conditions.map((c) => [c.type, `${c.status}/${c.reason}`])) },
      'status updated',
    );
    for (const ev of transitionEvents(obj.status?.conditions, status.conditions)) await this.#deps.events.record(target, ev);
    return requeue;
  }

  async #reconcileAccepted(): Promise<HandlerResult> {
    if (!this.#deps.isLeader() || !this.#state) return undefined;
    await this.#deps.acceptedStore?.write(this.#lastAccepted);
    return undefined;
  }

  async #reconcileConfigMap(): Promise<HandlerResult> {
    if (!this.#deps.isLeader() || !this.#state) return undefined;
    await this.#deps.configMapWriter.write(this.#state.snapshot);
    return undefined;
  }
}
