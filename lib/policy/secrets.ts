/**
 * Reads Kubernetes Secret documents (from files, or objects from the API server) into the compiler's
 * SecretInput: `data` is base64-decoded, `stringData` taken as is (and wins, as the API server does).
 */
import type { SecretInput } from './compile.ts';
import { DEFAULT_NAMESPACE } from './compile.ts';

function record(v: unknown): Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** Converts one Secret-shaped object; returns null for anything that is not a Secret. */
export function toSecretInput(obj: Record<string, unknown>): SecretInput | null {
  if (obj['kind'] !== 'Secret') return null;
  const meta = record(obj['metadata']);
  if (typeof meta['name'] !== 'string') return null;
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(record(meta['labels']))) if (typeof v === 'string') labels[k] = v;
  const data: Record<string, string> = {};
  for (const [k, v] of Object.entries(record(obj['data']))) {
    if (typeof v === 'string') data[k] = Buffer.from(v, 'base64').toString('utf8');
  }
  for (const [k, v] of Object.entries(record(obj['stringData']))) if (typeof v === 'string') data[k] = v;
  return {
    namespace: typeof meta['namespace'] === 'string' ? meta['namespace'] : DEFAULT_NAMESPACE,
    name: meta['name'],
    labels,
    data,
  };
}

/** All Secrets among loaded non-policy documents. */
export function secretsFrom(objects: Array<{ value: Record<string, unknown> }>): SecretInput[] {
  return objects.map((o) => toSecretInput(o.value)).filter((s): s is SecretInput => s !== null);
}
