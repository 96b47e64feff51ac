/**
 * The leader writes the current snapshot into a ConfigMap that authz-server pods mount (`--snapshot-file`), so a
 * restarted authz-server enforces the last known policy while no operator is reachable. The key is always
 * `snapshot.json`: canonical JSON in `data` while small, gzip in `binaryData` (base64 on the wire) when large;
 * the reader detects gzip by its magic bytes. Written with server-side apply, so switching between the two
 * fields removes the other.
 */
import type { CoreV1Api, V1ConfigMap } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { snapshotBytes } from '../../lib/distribution/codec.ts';
import type { Snapshot } from '../../lib/policy/snapshot.ts';
import { APPLY_PATCH, FIELD_MANAGER } from './kube.ts';

const SNAPSHOT_KEY_NAME = 'snapshot.json';
const VERSION_ANNOTATION = 'palisade.dev/snapshot-version';

/** The API server refuses ConfigMaps above 1 MiB (all keys and metadata together); keep a margin. */
export const MAX_CONFIGMAP_PAYLOAD_BYTES = 1_000_000;

export class SnapshotTooLargeError extends Error {
  override name = 'SnapshotTooLargeError';
}

/** Builds the ConfigMap for a snapshot (pure). */
export function snapshotConfigMap(name: string, namespace: string, snapshot: Snapshot, gzipAboveBytes: number): V1ConfigMap {
  const { bytes, gzip } = snapshotBytes(snapshot, gzipAboveBytes);
  const payload = gzip ? Math.ceil(bytes.length / 3) * 4 : bytes.length;
  if (payload > MAX_CONFIGMAP_PAYLOAD_BYTES) {
    throw new SnapshotTooLargeError(`snapshot ${snapshot.version} needs ${payload} bytes, more than a ConfigMap holds (${MAX_CONFIGMAP_PAYLOAD_BYTES})`);
  }
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name,
      namespace,
      labels: { 'app.kubernetes.io/name': 'palisade', 'app.kubernetes.io/component': 'snapshot' },
      annotations: {
        [VERSION_ANNOTATION]: snapshot.version,
        'palisade.dev/compiled-at': snapshot.compiledAt,
        'palisade.dev/encoding': gzip ? 'json+gzip' : 'json',
      },
    },
    ...(gzip ? { binaryData: { [SNAPSHOT_KEY_NAME]: bytes.toString('base64') } } : { data: { [SNAPSHOT_KEY_NAME]: bytes.toString('utf8') } }),
  };
}

/** Applies the snapshot ConfigMap. */
async function writeSnapshotConfigMap(core: CoreV1Api, name: string, namespace: string, snapshot: Snapshot, gzipAboveBytes: number): Promise<void> {
  const body = snapshotConfigMap(name, namespace, snapshot, gzipAboveBytes);
  await core.patchNamespacedConfigMap({ name, namespace, body, fieldManager: FIELD_MANAGER, force: true }, APPLY_PATCH);
}

/** The leader's writer of the snapshot ConfigMap (a no-op when the ConfigMap name is empty). */
export class SnapshotConfigMapWriter {
  readonly #core: CoreV1Api;
  readonly #name: string;
  readonly #namespace: string;
  readonly #gzipAboveBytes: number;
  readonly #logger: Logger;

  constructor(opts: { core: CoreV1Api; name: string; namespace: string; gzipAboveBytes: number; logger: Logger }) {
    this.#core = opts.core;
    this.#name = opts.name;
    this.#namespace = opts.namespace;
    this.#gzipAboveBytes = opts.gzipAboveBytes;
    this.#logger = opts.logger;
  }

  /** Writes the snapshot; a snapshot too large for a ConfigMap is logged and skipped, API errors are thrown. */
  async write(snapshot: Snapshot): Promise<void> {
    if (!this.#name) return;
    try {
      await writeSnapshotConfigMap(this.#core, this.#name, this.#namespace, snapshot, this.#gzipAboveBytes);
      this.#logger.info({ configMap: `${this.#namespace}/${this.#name}`, version: snapshot.version }, 'snapshot ConfigMap updated');
    } catch (err) {
      if (err instanceof SnapshotTooLargeError) {
        this.#logger.error({ err: err.message }, 'snapshot ConfigMap not updated; authz-servers restarted without an operator will use an older snapshot');
        return;
      }
      throw err;
    }
  }
}
