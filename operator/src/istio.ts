/**
 * Istio integration (operator --istio-provider <name>): for every ApiProtectionPolicy with
 * `spec.workloadSelector`, an Istio AuthorizationPolicy in the same namespace with action CUSTOM and the Palisade
 * extension provider, so that those workloads' sidecars send every request to Palisade's ext_authz service (the
 * provider is declared in MeshConfig `extensionProviders`, see README).
 *
 * Level-triggered like the rest of the operator: the leader computes the desired set from the policy cache (pure
 * function below), server-side-applies it, and deletes the AuthorizationPolicies it manages that are no longer
 * wanted (selector removed, policy deleted). It runs when the desired set changes (checked every second against
 * the informer cache), on gaining leadership and every resync interval (which also repairs hand edits). When Istio's CRDs are not installed the list answers 404: the sync
 * logs that once and tries again at the next resync, so installing Istio later needs no restart.
 */
import { backgroundInterval, backgroundTimeout, clearTimers } from './timers.ts';
import type { CustomObjectsApi } from '@kubernetes/client-node';
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { API_VERSION, KIND } from '../../lib/policy/schema.ts';
import { APPLY_PATCH, FIELD_MANAGER, apiErrorCode, describeApiError } from './kube.ts';
import { compareText } from '../../lib/ordering.ts';

const ISTIO_GROUP = 'security.istio.io';
const ISTIO_VERSION = 'v1';
const ISTIO_PLURAL = 'authorizationpolicies';
/** Label on every AuthorizationPolicy the operator manages (the sync only ever deletes those). */
const MANAGED_LABEL = 'app.kubernetes.io/managed-by';
const MANAGED_VALUE = 'palisade-operator';
/** Label naming the ApiProtectionPolicy an AuthorizationPolicy belongs to. */
const POLICY_LABEL = 'palisade.dev/policy';

/** The parts of an ApiProtectionPolicy the sync reads. */
export interface PolicyLike {
  metadata?: { name?: string; namespace?: string; uid?: string };
  spec?: { workloadSelector?: { matchLabels?: Record<string, string> } };
}

export interface AuthorizationPolicy {
  apiVersion: string;
  kind: 'AuthorizationPolicy';
  metadata: { name: string; namespace: string; labels: Record<string, string>; ownerReferences?: unknown[] };
  spec: { selector: { matchLabels: Record<string, string> }; action: 'CUSTOM'; provider: { name: string }; rules: Array<Record<string, never>> };
}

/** `palisade-<policy>`, shortened with a hash when it would exceed a Kubernetes name (253). */
export function authorizationPolicyName(policyName: string): string {
  const name = `palisade-${policyName}`;
  if (name.length <= 253) return name;
  return `${name.slice(0, 240)}-${createHash('sha256').update(policyName).digest('hex').slice(0, 12)}`;
}

/** The AuthorizationPolicies the policies ask for (pure; sorted by namespace/name). */
export function desiredAuthorizationPolicies(policies: readonly PolicyLike[], provider: string): AuthorizationPolicy[] {
  const out: AuthorizationPolicy[] = [];
  for (const p of policies) {
    const labels = p.spec?.workloadSelector?.matchLabels;
    const name = p.metadata?.name;
    const namespace = p.metadata?.namespace;
    if (!labels || Object.keys(labels).length === 0 || !name || !namespace) continue;
    out.push({
      apiVersion: `${ISTIO_GROUP}/${ISTIO_VERSION}`,
      kind: 'AuthorizationPolicy',
      metadata: {
        name: authorizationPolicyName(name),
        namespace,
        labels: { [MANAGED_LABEL]: MANAGED_VALUE, [POLICY_LABEL]: name.length <= 63 ? name : createHash('sha256').update(name).digest('hex').slice(0, 63) },
        // Garbage-collected with its policy where a garbage collector runs (every real cluster).
        ...(p.metadata?.uid ? { ownerReferences: [{ apiVersion: API_VERSION, kind: KIND, name, uid: p.metadata.uid, controller: true }] } : {}),
      },
      spec: {
        selector: { matchLabels: { ...labels } },
        action: 'CUSTOM',
        provider: { name: provider },
        // Every request to the selected workloads: Palisade decides by host (a host no policy claims is `no-policy`).
        rules: [{}],
      },
    });
  }
  return out.sort((a, b) => compareText(`${a.metadata.namespace}/${a.metadata.name}`, `${b.metadata.namespace}/${b.metadata.name}`));
}

export interface IstioSyncOptions {
  custom: CustomObjectsApi;
  provider: string;
  /** Only this namespace (the operator's --watch-namespace), or all. */
  watchNamespace: string | null;
  policies: () => readonly PolicyLike[];
  isLeader: () => boolean;
  logger: Logger;
  /** Full resync period (default 30 s). */
  resyncMs?: number;
  /** How often the policy cache is compared with what was applied (default 1 s; no API calls). */
  pollMs?: number;
  /** Called with the duration of each sync that did work, and on failure (metrics). */
  onSynced?: (seconds: number) => void;
  onError?: (err: unknown) => void;
}

export type SyncResult = { state: 'not-leader' } | { state: 'no-istio' } | { state: 'synced'; applied: number; deleted: number };

export class IstioSync {
  readonly #options: Required<Omit<IstioSyncOptions, 'onSynced' | 'onError'>> & Pick<IstioSyncOptions, 'onSynced' | 'onError'>;
  readonly #log: Logger;
  #timer: NodeJS.Timeout | undefined;
  #pending: NodeJS.Timeout | undefined;
  #running: Promise<unknown> = Promise.resolve();
  #closed = false;
  #istioMissingLogged = false;
  /** namespace/name -> JSON of what was last applied, to skip no-op applies between resyncs. */
  readonly #applied = new Map<string, string>();

  constructor(options: IstioSyncOptions) {
    this.#options = { resyncMs: 30_000, pollMs: 1000, ...options };
    this.#log = options.logger.child({ component: 'istio', provider: options.provider });
  }

  /**
   * Starts the loop. Every `pollMs` the desired set is recomputed from the policy cache (no API call); a change,
   * or becoming the leader, syncs at once. Every `resyncMs` a full sync re-applies everything (repairs edits made
   * by hand) and finds strays.
   */
  start(): void {
    let lastDesired = '';
    let wasLeader = false;
    let sinceResync = 0;
    this.#timer = backgroundInterval(() => {
      sinceResync += this.#options.pollMs;
      const leader = this.#options.isLeader();
      const desired = leader ? JSON.stringify(desiredAuthorizationPolicies(this.#options.policies(), this.#options.provider)) : '';
      if (sinceResync >= this.#options.resyncMs) {
        sinceResync = 0;
        this.#applied.clear();
        this.trigger(0);
      } else if (leader && (!wasLeader || desired !== lastDesired)) {
        this.trigger(0);
      }
      wasLeader = leader;
      lastDesired = desired;
    }, this.#options.pollMs);
  }

  /** Schedules a sync soon (coalescing bursts of policy events). */
  trigger(delayMs = 100): void {
    if (this.#closed || this.#pending) return;
    this.#pending = backgroundTimeout(() => {
      this.#pending = undefined;
      this.#running = this.#running.then(() => this.sync()).catch(() => {});
    }, delayMs);
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimers(this.#timer, this.#pending);
    await this.#running;
  }

  /** One pass: list managed AuthorizationPolicies, apply the desired ones, delete the rest. */
  async sync(): Promise<SyncResult> {
    if (this.#closed || !this.#options.isLeader()) return { state: 'not-leader' };
    const started = performance.now();
    const { custom, watchNamespace } = this.#options;
    const labelSelector = `${MANAGED_LABEL}=${MANAGED_VALUE}`;
    let existing: Array<{ metadata?: { name?: string; namespace?: string } }>;
    try {
      const list = (watchNamespace
        ? await custom.listNamespacedCustomObject({ group: ISTIO_GROUP, version: ISTIO_VERSION, namespace: watchNamespace, plural: ISTIO_PLURAL, labelSelector })
        : await custom.listClusterCustomObject({ group: ISTIO_GROUP, version: ISTIO_VERSION, plural: ISTIO_PLURAL, labelSelector })) as { items?: typeof existing };
      existing = list.items ?? [];
    } catch (err) {
      if (apiErrorCode(err) === 404) {
        if (!this.#istioMissingLogged) this.#log.info(`${ISTIO_GROUP}/${ISTIO_VERSION} AuthorizationPolicy is not served (Istio not installed?); checking again every ${this.#options.resyncMs / 1000} s`);
        this.#istioMissingLogged = true;
        this.#applied.clear();
        return { state: 'no-istio' };
      }
      this.#fail(err, 'listing AuthorizationPolicies failed');
      throw err;
    }
    if (this.#istioMissingLogged) this.#log.info('Istio AuthorizationPolicy is served now; syncing');
    this.#istioMissingLogged = false;

    const desired = desiredAuthorizationPolicies(this.#options.policies(), this.#options.provider);
    const wanted = new Set(desired.map((d) => `${d.metadata.namespace}/${d.metadata.name}`));
    let applied = 0;
    let deleted = 0;
    try {
      for (const ap of desired) {
        const key = `${ap.metadata.namespace}/${ap.metadata.name}`;
        const body = JSON.stringify(ap);
        if (this.#applied.get(key) === body) continue;
        await custom.patchNamespacedCustomObject(
          { group: ISTIO_GROUP, version: ISTIO_VERSION, plural: ISTIO_PLURAL, namespace: ap.metadata.namespace, name: ap.metadata.name, body: ap, fieldManager: FIELD_MANAGER, force: true },
          APPLY_PATCH,
        );
        this.#applied.set(key, body);
        applied++;
        this.#log.info({ authorizationPolicy: key, selector: ap.spec.selector.matchLabels }, 'AuthorizationPolicy applied');
      }
      for (const obj of existing) {
        const name = obj.metadata?.name;
        const namespace = obj.metadata?.namespace;
        if (!name || !namespace || wanted.has(`${namespace}/${name}`)) continue;
        try {
          await custom.deleteNamespacedCustomObject({ group: ISTIO_GROUP, version: ISTIO_VERSION, plural: ISTIO_PLURAL, namespace, name });
        } catch (err) {
          if (apiErrorCode(err) !== 404) throw err;
        }
        this.#applied.delete(`${namespace}/${name}`);
        deleted++;
        this.#log.info({ authorizationPolicy: `${namespace}/${name}` }, 'AuthorizationPolicy deleted (no policy selects workloads with it any more)');
      }
    } catch (err) {
      this.#fail(err, 'AuthorizationPolicy sync failed; retrying');
      this.trigger(2000);
      throw err;
    }
    if (applied + deleted > 0) this.#options.onSynced?.((performance.now() - started) / 1000);
    return { state: 'synced', applied, deleted };
  }

  #fail(err: unknown, msg: string): void {
    this.#options.onError?.(err);
    this.#log.warn({ err: describeApiError(err) }, msg);
  }
}
