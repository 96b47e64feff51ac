/**
 * The last accepted generation of every policy survives operator restarts: the leader keeps the specs in a
 * ConfigMap (gzip JSON in `binaryData`) and every replica reads it once before its first compile. Without it, a
 * policy whose current generation is refused would lose its fallback when the operator restarts.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import type { CoreV1Api, V1ConfigMap } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { API_VERSION, KIND } from '../../lib/policy/schema.ts';
import type { PolicyInput } from '../../lib/policy/compile.ts';
import { validateDocument } from '../../lib/policy/validate.ts';
import { APPLY_PATCH, FIELD_MANAGER, describeApiError } from './kube.ts';
import { compareText } from '../../lib/ordering.ts';

export const ACCEPTED_KEY_NAME = 'accepted.json.gz';

/** What is kept of one accepted generation. */
interface Entry {
  name: string;
  namespace: string;
  uid?: string;
  generation: number;
  creationTimestamp?: string;
  spec: unknown;
}

/** Builds the ConfigMap holding the accepted generations (pure). */
export function acceptedConfigMap(name: string, namespace: string, accepted: ReadonlyMap<string, PolicyInput>): V1ConfigMap {
  const entries: Entry[] = [...accepted.values()]
    .map((d) => ({
      name: d.metadata.name,
      namespace: d.metadata.namespace ?? 'default',
      ...(d.metadata.uid ? { uid: d.metadata.uid } : {}),
      generation: d.metadata.generation ?? 1,
      ...(d.metadata.creationTimestamp ? { creationTimestamp: d.metadata.creationTimestamp } : {}),
      spec: d.spec,
    }))
    .sort((a, b) => compareText(`${a.namespace}/${a.name}`, `${b.namespace}/${b.name}`));
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace, labels: { 'app.kubernetes.io/name': 'palisade', 'app.kubernetes.io/component': 'accepted-generations' } },
    binaryData: { [ACCEPTED_KEY_NAME]: gzipSync(JSON.stringify(entries)).toString('base64') },
  };
}

/** Reads the ConfigMap back; entries that no longer pass the schema are dropped. */
export function parseAcceptedConfigMap(cm: V1ConfigMap): Map<string, PolicyInput> {
  const out = new Map<string, PolicyInput>();
  const raw = cm.binaryData?.[ACCEPTED_KEY_NAME];
  if (!raw) return out;
  const entries = JSON.parse(gunzipSync(Buffer.from(raw, 'base64')).toString('utf8')) as Entry[];
  for (const e of Array.isArray(entries) ? entries : []) {
    const { spec, ...metadata } = e;
    const checked = validateDocument({ apiVersion: API_VERSION, kind: KIND, metadata, spec });
    if (checked.ok) out.set(`${metadata.namespace}/${metadata.name}`, { metadata: checked.value.metadata, spec: checked.value.spec });
  }
  return out;
}

/** Loads and writes the accepted generations; a no-op store when `name` is empty. */
export class AcceptedStore {
  readonly #core: CoreV1Api;
  readonly #name: string;
  readonly #namespace: string;
  readonly #logger: Logger;

  constructor(opts: { core: CoreV1Api; name: string; namespace: string; logger: Logger }) {
    this.#core = opts.core;
    this.#name = opts.name;
    this.#namespace = opts.namespace;
    this.#logger = opts.logger;
  }

  /** The stored generations (empty when there is no ConfigMap yet, or it cannot be read: logged). */
  async load(): Promise<Map<string, PolicyInput>> {
    if (!this.#name) return new Map();
    try {
      const list = await this.#core.listNamespacedConfigMap({ namespace: this.#namespace, fieldSelector: `metadata.name=${this.#name}` });
      const cm = list.items[0];
      const accepted = cm ? parseAcceptedConfigMap(cm) : new Map<string, PolicyInput>();
      this.#logger.info({ configMap: `${this.#namespace}/${this.#name}`, policies: accepted.size }, 'accepted generations loaded');
      return accepted;
    } catch (err) {
      this.#logger.error({ err: describeApiError(err) }, 'could not read the accepted generations; refused policies have no fallback until they are accepted again');
      return new Map();
    }
  }

  async write(accepted: ReadonlyMap<string, PolicyInput>): Promise<void> {
    if (!this.#name) return;
    const body = acceptedConfigMap(this.#name, this.#namespace, accepted);
    await this.#core.patchNamespacedConfigMap({ name: this.#name, namespace: this.#namespace, body, fieldManager: FIELD_MANAGER, force: true }, APPLY_PATCH);
  }
}
