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
import { DEFAULT_NAMESPACE, compile, type PolicyInput, type SecretInput } from '../../lib/policy/compile.ts';
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
}

export interface ControllerDeps {
  policies: { list(): readonly PolicyObject[]; get(name: string, namespace?: string): PolicyObject | undefined };
  secrets: { list(): readonly object[] };
  publish(snapshot: Snapshot): void;
  lookup: VersionLookup;
  /** authz-server replicas across all operator replicas, with their ACK state. */
  replicas(): ReplicaState[];
  writeStatus(target: EventTarget, status: OwnedStatus): Promise<'ok' | 'gone'>;
  writeConfigMap(snapshot: Snapshot): Promise<void>;
  recordEvent(target: EventTarget, ev: PolicyEvent): Promise<void>;
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

/** Gather + compile (pure given its inputs): structural validation, then the compiler. */
export function compileFromCache(policies: readonly PolicyObject[], secrets: readonly object[], now: Date): CompileState {
  const valid: PolicyInput[] = [];
  const structural: Violation[] = [];
  const generations = new Map<string, number>();
  for (const obj of policies) {
    const id = idOf(obj);
    generations.set(id, obj.metadata?.generation ?? 1);
    const checked = validateDocument(asPolicyDocument(obj));
    if (checked.ok) {
      valid.push(checked.value);
    } else {
      const first = checked.errors[0];
      structural.push({ policy: id, reason: 'InvalidSpec', ...(first ? { field: first.path } : {}), message: first?.message ?? 'invalid', included: false });
    }
  }
  const secretInputs = secrets
    .map((s) => toSecretInput({ kind: 'Secret', ...(s as Record<string, unknown>) }))
    .filter((s): s is SecretInput => s !== null);
  const { snapshot, violations } = compile(valid, secretInputs, now);
  const all = [...structural, ...violations];
  return {
    snapshot,
    violations: new Map(all.map((v) => [v.policy, v])),
    included: new Set(snapshot.policies.map((p) => p.id)),
    generations,
  };
}

export class Controller {
  readonly #d: ControllerDeps;
  readonly #logger: Logger;
  readonly #now: () => Date;
  #state: CompileState | null = null;
  /** Status we wrote, by key, with the resourceVersion it was written over (to ride out informer lag). */
  readonly #written = new Map<string, { rv: string | undefined; json: string }>();

  constructor(deps: ControllerDeps) {
    this.#d = deps;
    this.#logger = deps.logger.child({ component: 'controller' });
    this.#now = deps.now ?? (() => new Date());
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
    if (event !== 'update' || compiled === undefined || compiled !== (obj.metadata?.generation ?? 1)) this.#d.enqueue(SNAPSHOT_KEY);
    if (obj.metadata?.name) this.#d.enqueue(statusKey(obj.metadata.namespace ?? DEFAULT_NAMESPACE, obj.metadata.name));
  }

  onSecretEvent(): void {
    this.#d.enqueue(SNAPSHOT_KEY);
  }

  /** ACK state or the replica set changed: every policy's Enforced may have changed. */
  onDistributionChange(): void {
    if (!this.#d.isLeader()) return;
    this.#enqueueAllStatus();
  }

  /** Leadership gained: refresh everything this replica now owns. */
  onLeadership(): void {
    this.#written.clear();
    this.#d.enqueue(SNAPSHOT_KEY);
    this.#d.enqueue(CONFIGMAP_KEY);
    this.#enqueueAllStatus();
  }

  #enqueueAllStatus(): void {
    for (const p of this.#d.policies.list()) {
      if (p.metadata?.name) this.#d.enqueue(statusKey(p.metadata.namespace ?? DEFAULT_NAMESPACE, p.metadata.name));
    }
  }

  // ---- the work queue handler ----

  async handle(key: string): Promise<HandlerResult> {
    const kind = key === SNAPSHOT_KEY ? 'snapshot' : key === CONFIGMAP_KEY ? 'configmap' : 'status';
    const end = this.#d.metrics?.reconcileSeconds.startTimer({ kind });
    try {
      if (kind === 'snapshot') return this.#reconcileSnapshot();
      if (kind === 'configmap') return await this.#reconcileConfigMap();
      const rest = key.slice(STATUS_PREFIX.length);
      const slash = rest.indexOf('/');
      return await this.#reconcileStatus(rest.slice(0, slash), rest.slice(slash + 1));
    } catch (err) {
      this.#d.metrics?.reconcileErrors.inc({ kind });
      throw err;
    } finally {
      end?.();
    }
  }

  #reconcileSnapshot(): HandlerResult {
    // gather
    const policies = this.#d.policies.list();
    const secrets = this.#d.secrets.list();
    // compile
    const state = compileFromCache(policies, secrets, this.#now());
    const previous = this.#state;
    this.#state = state;
    // publish
    if (previous?.snapshot.version !== state.snapshot.version) {
      this.#d.publish(state.snapshot);
      this.#logger.info(
        { version: state.snapshot.version, previous: previous?.snapshot.version ?? null, policies: state.snapshot.policies.length, rejected: [...state.violations.values()].filter((v) => !v.included).length },
        'snapshot published',
      );
      if (this.#d.isLeader()) this.#d.enqueue(CONFIGMAP_KEY);
    }
    // status: only for policies whose status is not what it should be
    if (this.#d.isLeader()) {
      const now = this.#now();
      for (const obj of policies) {
        const name = obj.metadata?.name;
        if (!name) continue;
        const { status } = this.#desired(obj, state, now);
        if (!statusUpToDate(obj.status, status)) this.#d.enqueue(statusKey(obj.metadata?.namespace ?? DEFAULT_NAMESPACE, name));
      }
    }
    const live = new Set(policies.map((p) => statusKey(p.metadata?.namespace ?? DEFAULT_NAMESPACE, p.metadata?.name ?? '')));
    for (const k of this.#written.keys()) if (!live.has(k)) this.#written.delete(k);
    return undefined;
  }

  #desired(obj: PolicyObject, state: CompileState, now: Date): { status: OwnedStatus; requeueAfterMs: number | null } {
    const id = idOf(obj);
    const generation = obj.metadata?.generation ?? 1;
    const accepted = acceptedCondition(state.violations.get(id), generation);
    let enforced: DesiredCondition = enforcedCondition(id, generation, state.included.has(id), this.#d.replicas(), this.#d.lookup);
    let requeueAfterMs: number | null = null;
    const graceLeft = this.#d.enforcedGraceUntil() - now.getTime();
    if (graceLeft > 0 && (enforced.reason === 'NoReplicas' || enforced.reason === 'Pending')) {
      const prev = obj.status?.conditions?.find((c) => c.type === ENFORCED);
      if (prev && prev.status === 'True' && prev.observedGeneration === generation) {
        enforced = { type: ENFORCED, status: 'True', reason: prev.reason, message: prev.message ?? '', observedGeneration: generation };
        requeueAfterMs = graceLeft + 50;
      }
    }
    return { status: desiredStatus(obj.status, generation, [accepted, enforced], now), requeueAfterMs };
  }

  async #reconcileStatus(namespace: string, name: string): Promise<HandlerResult> {
    if (!this.#d.isLeader()) return undefined;
    const state = this.#state;
    const obj = this.#d.policies.get(name, namespace);
    if (!state || !obj) return undefined;
    const id = `${namespace}/${name}`;
    const generation = obj.metadata?.generation ?? 1;
    // The cache already has a newer generation than the last compile: the snapshot key is queued and will
    // re-enqueue this one.
    if (state.generations.get(id) !== generation) return undefined;
    const { status, requeueAfterMs } = this.#desired(obj, state, this.#now());
    const requeue = requeueAfterMs === null ? undefined : { requeueAfterMs };
    if (statusUpToDate(obj.status, status)) return requeue;
    const key = statusKey(namespace, name);
    const json = canonicalJson(status);
    const written = this.#written.get(key);
    if (written && written.rv === obj.metadata?.resourceVersion && written.json === json) return requeue;
    const target = targetOf(obj);
    const result = await this.#d.writeStatus(target, status);
    this.#d.metrics?.statusPatches.inc({ result });
    if (result === 'gone') return undefined;
    this.#written.set(key, { rv: obj.metadata?.resourceVersion, json });
    this.#logger.info(
      { policy: id, generation, conditions: Object.fromEntries(status.conditions.map((c) => [c.type, `${c.status}/${c.reason}`])) },
      'status updated',
    );
    for (const ev of transitionEvents(obj.status?.conditions, status.conditions)) await this.#d.recordEvent(target, ev);
    return requeue;
  }

  async #reconcileConfigMap(): Promise<HandlerResult> {
    if (!this.#d.isLeader() || !this.#state) return undefined;
    await this.#d.writeConfigMap(this.#state.snapshot);
    return undefined;
  }
}
