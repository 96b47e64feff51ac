/**
 * Structural validation of policy documents against the TypeBox schema (the same schema the CRD is generated
 * from). Messages name the field path, e.g. `spec.rateLimits[0].period: must match ^[1-9]...`.
 */
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { FormatRegistry } from '@sinclair/typebox';
import type { ValueError } from '@sinclair/typebox/errors';
import { PolicyDocumentSchema, type PolicyDocument } from './schema.ts';

if (!FormatRegistry.Has('date-time')) {
  FormatRegistry.Set('date-time', (v) => !Number.isNaN(Date.parse(v)));
}

const documentCheck = TypeCompiler.Compile(PolicyDocumentSchema);

/** One problem found in a document, located by a dotted field path. */
export interface FieldError {
  path: string;
  message: string;
}

/** Turns a JSON pointer (`/spec/rateLimits/0/period`) into `spec.rateLimits[0].period`. */
function pointerToPath(pointer: string): string {
  if (pointer === '' || pointer === '/') return '(document)';
  let out = '';
  for (const raw of pointer.split('/').slice(1)) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(part)) out += `[${part}]`;
    else out += out === '' ? part : `.${part}`;
  }
  return out;
}

function describe(error: ValueError): string {
  const schema = error.schema as Record<string, unknown>;
  if (typeof schema['pattern'] === 'string' && typeof error.value === 'string') {
    return `${JSON.stringify(error.value)} does not match ${schema['pattern'] as string}`;
  }
  if (Array.isArray(schema['anyOf'])) {
    const options = (schema['anyOf'] as Array<Record<string, unknown>>)
      .map((s) => s['const'])
      .filter((c) => c !== undefined);
    if (options.length > 0) {
      const hint = typeof error.value === 'boolean' ? ` (got ${String(error.value)}: YAML 1.1, as kubectl reads it, turns an unquoted Off, On, Yes or No into a boolean; quote it)` : '';
      return `must be one of ${options.map((o) => JSON.stringify(o)).join(', ')}${hint}`;
    }
  }
  if (error.message.startsWith('Unexpected property')) return 'unknown field';
  return error.message.charAt(0).toLowerCase() + error.message.slice(1);
}

/**
 * Validates one parsed document. Returns the typed document or the list of field errors (deduplicated, at most
 * 20, most specific first).
 */
export function validateDocument(doc: unknown): { ok: true; value: PolicyDocument } | { ok: false; errors: FieldError[] } {
  if (documentCheck.Check(doc)) return { ok: true, value: doc };
  const seen = new Set<string>();
  const errors: FieldError[] = [];
  for (const e of documentCheck.Errors(doc)) {
    const path = pointerToPath(e.path);
    const message = describe(e);
    const key = `${path}\u0000${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    errors.push({ path, message });
    if (errors.length >= 20) break;
  }
  // A union failure on a parent is noise when a child already explains it.
  const specific = errors.filter((e) => !errors.some((o) => o !== e && o.path.startsWith(e.path) && o.path.length > e.path.length));
  return { ok: false, errors: specific.length > 0 ? specific : errors };
}
