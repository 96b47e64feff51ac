/**
 * Reads Kubernetes ConfigMap documents (from files, or objects from the API server) into the compiler's
 * ConfigMapInput: `data` as text, `binaryData` base64-decoded (a gzip-compressed description is allowed there).
 */
import { DEFAULT_NAMESPACE, type ConfigMapInput } from './compile.ts';
import { record } from './secrets.ts';

/** Converts one ConfigMap-shaped object; returns null for anything that is not a ConfigMap. */
export function toConfigMapInput(obj: Record<string, unknown>): ConfigMapInput | null {
  if (obj['kind'] !== 'ConfigMap') return null;
  const meta = record(obj['metadata']);
  if (typeof meta['name'] !== 'string') return null;
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(record(meta['labels']))) if (typeof v === 'string') labels[k] = v;
  const data: Record<string, string> = {};
  for (const [k, v] of Object.entries(record(obj['data']))) if (typeof v === 'string') data[k] = v;
  const binaryData: Record<string, Uint8Array> = {};
  for (const [k, v] of Object.entries(record(obj['binaryData']))) {
    if (typeof v === 'string') binaryData[k] = Buffer.from(v, 'base64');
    else if (v instanceof Uint8Array) binaryData[k] = v;
  }
  return {
    namespace: typeof meta['namespace'] === 'string' ? meta['namespace'] : DEFAULT_NAMESPACE,
    name: meta['name'],
    labels,
    data,
    binaryData,
  };
}

/** All ConfigMaps among loaded non-policy documents. */
export function configMapsFrom(objects: Array<{ value: Record<string, unknown> }>): ConfigMapInput[] {
  return objects.map((o) => toConfigMapInput(o.value)).filter((c): c is ConfigMapInput => c !== null);
}
