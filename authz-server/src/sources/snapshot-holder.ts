/**
 * Holds the one Runtime in force. A new snapshot is built completely before it replaces the old one in a single
 * reference swap; a snapshot that cannot be built is refused and the last good one stays.
 */
import type { Logger } from 'pino';
import type { AuthzMetrics } from '../telemetry/metrics.ts';
import type { Snapshot } from '../../../lib/policy/snapshot.ts';
import { buildRuntime, warmUpApis, type Runtime, type RuntimeOptions } from '../pipeline/runtime.ts';

/** Result of offering a snapshot. */
export type ApplyResult = { ok: true; changed: boolean } | { ok: false; error: string };

export class SnapshotHolder {
  #runtime: Runtime | null = null;
  readonly #options: RuntimeOptions;
  readonly #logger: Logger;
  readonly #metrics: AuthzMetrics | undefined;

  constructor(logger: Logger, metrics?: AuthzMetrics, options: RuntimeOptions = {}) {
    this.#logger = logger;
    this.#metrics = metrics;
    this.#options = { jwksCache: new Map(), apiCache: new Map(), ...options };
  }

  /** The runtime in force, or null before the first good snapshot. */
  current(): Runtime | null {
    return this.#runtime;
  }

  /** Builds and swaps in a snapshot; keeps the last good one on error. */
  apply(snapshot: Snapshot, source: string): ApplyResult {
    if (this.#runtime && this.#runtime.version === snapshot.version) return { ok: true, changed: false };
    let next: Runtime;
    try {
      next = buildRuntime(snapshot, this.#options);
    } catch (err) {
      const error = (err as Error).message;
      this.#metrics?.reloads.inc({ result: 'error' });
      this.#logger.error({ source, version: snapshot.version, err: error, keeping: this.#runtime?.version ?? null }, 'snapshot refused; keeping the last good one');
      return { ok: false, error };
    }
    const previous = this.#runtime?.version ?? null;
    this.#runtime = next;
    if (this.#metrics) {
      this.#metrics.reloads.inc({ result: 'ok' });
      this.#metrics.snapshotInfo.reset();
      this.#metrics.snapshotInfo.set({ version: next.version }, 1);
      this.#metrics.snapshotLoadedAt.set(next.loadedAt / 1000);
      this.#metrics.policies.set(next.policies.size);
    }
    this.#logger.info({ source, version: next.version, previous, policies: next.policies.size }, 'snapshot in force');
    const started = performance.now();
    void warmUpApis(next, () => this.#runtime).then((apis) => {
      if (apis > 0) this.#logger.info({ version: next.version, apis, ms: Math.round(performance.now() - started) }, 'API validators compiled');
    });
    return { ok: true, changed: true };
  }

  /** Records a failed load that never produced a snapshot (bad files), for metrics. */
  reportLoadError(): void {
    this.#metrics?.reloads.inc({ result: 'error' });
  }
}
