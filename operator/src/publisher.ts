/**
 * Publishes each new snapshot version: to the stream server (every authz-server connected to this replica), to
 * the version history that `Enforced` is computed from, and to the snapshot metrics.
 */
import type { Snapshot } from '../../lib/policy/snapshot.ts';
import { VersionHistory } from './distribution.ts';
import type { OperatorMetrics } from './metrics.ts';
import type { VersionLookup } from './status.ts';

/** Where published snapshots go. */
export interface SnapshotSink {
  publish(snapshot: Snapshot): void;
  /** The size of the encoded body just published. */
  readonly currentBytes: number;
}

/** The controller's way out for snapshots, and its way back to which version holds which generation. */
export class SnapshotPublisher {
  readonly #sink: SnapshotSink;
  readonly #metrics: OperatorMetrics | undefined;
  readonly #history = new VersionHistory();

  constructor(sink: SnapshotSink, metrics?: OperatorMetrics) {
    this.#sink = sink;
    this.#metrics = metrics;
  }

  publish(snapshot: Snapshot): void {
    this.#sink.publish(snapshot);
    this.#history.record(snapshot);
    const m = this.#metrics;
    if (!m) return;
    m.snapshotsPublished.inc();
    m.snapshotInfo.reset();
    m.snapshotInfo.set({ version: snapshot.version }, 1);
    m.snapshotPolicies.set(snapshot.policies.length);
    m.snapshotBytes.set(this.#sink.currentBytes);
  }

  /** Policy generations held by a recently published version. */
  readonly lookup: VersionLookup = (version) => this.#history.lookup(version);
}
