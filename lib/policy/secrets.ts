/**
 * Reads Kubernetes Secret documents (from files, or objects from the API server) into the compiler's
 * SecretInput: `data` is base64-decoded, `stringData` taken as is (and wins, as the API server does).
 */
import type { SecretInput } from './compile.ts';
import { DEFAULT_NAMESPACE } from './compile.ts';

/** `v` when it is a plain object, else an empty one (reading untrusted Kubernetes objects). */
export function record(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** The string entries of a plain object (labels, data). */
export function stringEntries(v: unknown): Array<[string, string]> {
  return Object.entries(record(v)).filter((e): e is [string, string] => typeof e[1] === 'string');
}

/** Namespace, name and labels of a Kubernetes object of `kind`; null when it is not one (or has no name). */
export function objectMeta(obj: Record<string, unknown>, kind: string): { namespace: string; name: string; labels: Record<string, string> } | null {
  if (obj['kind'] !== kind) return null;
  const meta = record(obj['metadata']);
  if (typeof meta['name'] !== 'string') return null;
  return {
    namespace: typeof meta['namespace'] === 'string' ? meta['namespace'] : DEFAULT_NAMESPACE,
    name: meta['name'],
    labels: Object.fromEntries(stringEntries(meta['labels'])),
  };
}

/** Converts one Secret-shaped object; returns null for anything that is not a Secret. */
export function toSecretInput(obj: Record<string, unknown>): SecretInput | null {
  const meta = objectMeta(obj, 'Secret');
  if (!meta) return null;
  const data: Record<string, string> = {};
  for (const [k, v] of stringEntries(obj['data'])) data[k] = Buffer.from(v, 'base64').toString('utf8');
  for (const [k, v] of stringEntries(obj['stringData'])) data[k] = v;
  const created = record(obj['metadata'])['creationTimestamp'];
  const createdAt = created instanceof Date ? created.toISOString() : typeof created === 'string' ? created : undefined;
  return { ...meta, data, ...(createdAt ? { createdAt } : {}) };
}

/** All Secrets among loaded non-policy documents. */
export function secretsFrom(objects: Array<{ value: Record<string, unknown> }>): SecretInput[] {
  return objects.map((o) => toSecretInput(o.value)).filter((s): s is SecretInput => s !== null);
}
