/**
 * What the operators know about snapshot distribution, for the `Enforced` condition:
 *  - VersionHistory: which policy generations each recently served snapshot version holds;
 *  - distribution reports: every operator replica serves its own authz-server streams, so each one publishes the
 *    ACK state of its streams in a small ConfigMap (`palisade-distribution-<replica>`, refreshed periodically and
 *    on change, deleted on shutdown), and the leader merges those reports with its own streams. This is the
 *    pattern istiod uses for its distribution status.
 */
import { backgroundTimeout, clearTimers } from './timers.ts';
import { createHash } from 'node:crypto';
import type { CoreV1Api, V1ConfigMap } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Snapshot } from '../../lib/policy/snapshot.ts';
import { APPLY_PATCH, FIELD_MANAGER, apiErrorCode, describeApiError } from './kube.ts';
import type { ReplicaState, VersionLookup } from './status.ts';

/** Remembers the policy generations of the last `capacity` snapshot versions. */
export class VersionHistory {
  readonly #capacity: number;
  readonly #versions = new Map<string, ReadonlyMap<string, number>>();

  constructor(capacity = 64) {
    this.#capacity = capacity;
  }

  record(snapshot: Snapshot): void {
    this.#versions.delete(snapshot.version);
    this.#versions.set(snapshot.version, new Map(snapshot.policies.map((p) => [p.id, p.generation])));
    while (this.#versions.size > this.#capacity) {
      const oldest = this.#versions.keys().next().value as string;
      this.#versions.delete(oldest);
    }
  }

  readonly lookup: VersionLookup = (version) => this.#versions.get(version);
}

export const REPORT_LABEL = 'palisade.dev/distribution-report';
export const REPORT_KEY = 'report.json';

/** The content of one replica's report. */
export interface DistributionReport {
  identity: string;
  /** ms since epoch, writer's clock. */
  updatedAt: number;
  replicas: ReplicaState[];
}

/** ConfigMap name for a replica's report (a DNS-1123 name, unique per identity). */
export function reportName(identity: string): string {
  const clean = identity.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40) || 'replica';
  const hash = createHash('sha256').update(identity).digest('hex').slice(0, 8);
  return `palisade-distribution-${clean}-${hash}`;
}

function isReplica(v: unknown): v is ReplicaState {
  const r = v as ReplicaState;
  return (
    typeof r === 'object' &&
    r !== null &&
    typeof r.nodeId === 'string' &&
    typeof r.pod === 'string' &&
    (r.ackedVersion === null || typeof r.ackedVersion === 'string') &&
    (r.nack === null || (typeof r.nack === 'object' && typeof r.nack.version === 'string' && typeof r.nack.error === 'string'))
  );
}

/** Parses a report ConfigMap; null when it is not a well-formed report. */
export function parseReport(cm: V1ConfigMap): DistributionReport | null {
  const raw = cm.data?.[REPORT_KEY];
  if (!raw) return null;
  try {
    const v = JSON.parse(raw) as DistributionReport;
    if (typeof v.identity !== 'string' || typeof v.updatedAt !== 'number' || !Array.isArray(v.replicas) || !v.replicas.every(isReplica)) return null;
    return v;
  } catch {
    return null;
  }
}

/**
 * Merges the local streams with the fresh reports of other replicas (one entry per authz-server node id; the
 * local view wins, then the most recently updated report).
 */
export function mergeReplicas(local: readonly ReplicaState[], reports: readonly DistributionReport[], selfIdentity: string, now: number, ttlMs: number): ReplicaState[] {
  const byNode = new Map<string, ReplicaState>();
  const fresh = reports.filter((r) => r.identity !== selfIdentity && now - r.updatedAt <= ttlMs).sort((a, b) => a.updatedAt - b.updatedAt);
  for (const r of fresh) for (const rep of r.replicas) byNode.set(rep.nodeId, rep);
  for (const rep of local) byNode.set(rep.nodeId, rep);
  return [...byNode.values()];
}

export interface ReportWriterOptions {
  core: CoreV1Api;
  namespace: string;
  identity: string;
  intervalMs: number;
  source: () => ReplicaState[];
  logger: Logger;
}

/** Publishes this replica's report: on change (debounced) and every intervalMs. */
export class ReportWriter {
  readonly #options: ReportWriterOptions;
  readonly #logger: Logger;
  readonly #name: string;
  #timer: NodeJS.Timeout | undefined;
  #debounce: NodeJS.Timeout | undefined;
  #writing: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(options: ReportWriterOptions) {
    this.#options = options;
    this.#name = reportName(options.identity);
    this.#logger = options.logger.child({ component: 'distribution-report', configMap: `${options.namespace}/${this.#name}` });
  }

  start(): void {
    this.#schedule(0);
  }

  /** Something changed: write soon. */
  changed(): void {
    if (this.#stopped) return;
    clearTimers(this.#debounce);
    this.#debounce = backgroundTimeout(() => this.#write(), 100);
  }

  /** Stops refreshing and deletes the report. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimers(this.#timer, this.#debounce);
    await this.#writing;
    try {
      await this.#options.core.deleteNamespacedConfigMap({ name: this.#name, namespace: this.#options.namespace });
    } catch (err) {
      if (apiErrorCode(err) !== 404) this.#logger.warn({ err: describeApiError(err) }, 'could not delete the distribution report');
    }
  }

  #schedule(ms: number): void {
    clearTimers(this.#timer);
    this.#timer = backgroundTimeout(() => this.#write(), ms);
  }

  #write(): void {
    if (this.#stopped) return;
    this.#writing = this.#writing.then(async () => {
      if (this.#stopped) return;
      const report: DistributionReport = { identity: this.#options.identity, updatedAt: Date.now(), replicas: this.#options.source() };
      const body: V1ConfigMap = {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: this.#name,
          namespace: this.#options.namespace,
          labels: { [REPORT_LABEL]: 'true', 'app.kubernetes.io/name': 'palisade', 'app.kubernetes.io/component': 'operator' },
        },
        data: { [REPORT_KEY]: JSON.stringify(report) },
      };
      try {
        await this.#options.core.patchNamespacedConfigMap(
          { name: this.#name, namespace: this.#options.namespace, body, fieldManager: FIELD_MANAGER, force: true },
          APPLY_PATCH,
        );
      } catch (err) {
        this.#logger.warn({ err: describeApiError(err) }, 'could not write the distribution report');
      }
    });
    this.#schedule(this.#options.intervalMs);
  }
}
