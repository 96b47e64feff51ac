/**
 * Reads Kubernetes ConfigMap documents (from files, or objects from the API server) into the compiler's
 * ConfigMapInput: `data` as text, `binaryData` base64-decoded (a gzip-compressed description is allowed there).
 */
import type { ConfigMapInput } from './compile.ts';
import { objectMeta, record, stringEntries } from './secrets.ts';

/** Converts one ConfigMap-shaped object; returns null for anything that is not a ConfigMap. */
export function toConfigMapInput(obj: Record<string, unknown>): ConfigMapInput | null {
  const meta = objectMeta(obj, 'ConfigMap');
  if (!meta) return null;
  const binaryData: Record<string, Uint8Array> = {};
  for (const [k, v] of Object.entries(record(obj['binaryData']))) {
    if (typeof v === 'string') binaryData[k] = Buffer.from(v, 'base64');
    else if (v instanceof Uint8Array) binaryData[k] = v;
  }
  return { ...meta, data: Object.fromEntries(stringEntries(obj['data'])), binaryData };
}

/** All ConfigMaps among loaded non-policy documents. */
export function configMapsFrom(objects: Array<{ value: Record<string, unknown> }>): ConfigMapInput[] {
  return objects.map((o) => toConfigMapInput(o.value)).filter((c): c is ConfigMapInput => c !== null);
}
