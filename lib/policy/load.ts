/**
 * Reads ApiProtectionPolicy YAML the way `kubectl apply -f` takes it: files or directories, multi-document
 * files, and `kind: List`. Every problem is reported with its file, document index and field path; nothing is
 * silently dropped.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { join, extname } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { API_VERSION, KIND, type PolicyDocument } from './schema.ts';
import { validateDocument, type FieldError } from './validate.ts';

/** Where a document came from. */
export interface DocumentSource {
  file: string;
  index: number;
}

/** A problem with one document (or a whole file when it does not parse). */
export interface LoadError extends DocumentSource {
  name?: string;
  errors: FieldError[];
}

/** Result of loading: valid documents and the errors of the rest. */
export interface LoadResult {
  documents: Array<PolicyDocument & { source: DocumentSource }>;
  errors: LoadError[];
  /** Documents of other kinds that were skipped (e.g. Secrets next to policies are read by `secrets`). */
  others: Array<{ source: DocumentSource; value: Record<string, unknown> }>;
}

const YAML_EXT = new Set(['.yaml', '.yml', '.json']);

/** Expands files and directories (non-recursive for dirs, like kubectl without -R) into a sorted file list. */
export async function listPolicyFiles(paths: string[]): Promise<string[]> {
  const files: string[] = [];
  for (const p of paths) {
    const st = await stat(p);
    if (st.isDirectory()) {
      const entries = (await readdir(p)).filter((f) => YAML_EXT.has(extname(f)) && !f.startsWith('.')).sort();
      files.push(...entries.map((f) => join(p, f)));
    } else {
      files.push(p);
    }
  }
  return files;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parses YAML text into policy documents; `file` is only used in messages. */
export function parsePolicyText(text: string, file: string): LoadResult {
  const result: LoadResult = { documents: [], errors: [], others: [] };
  let docs;
  try {
    docs = parseAllDocuments(text, { prettyErrors: true, uniqueKeys: true });
  } catch (err) {
    result.errors.push({ file, index: 0, errors: [{ path: '(file)', message: (err as Error).message }] });
    return result;
  }
  const items: Array<{ value: unknown; index: number }> = [];
  const list = Array.isArray(docs) ? docs : [docs];
  list.forEach((doc, index) => {
    if (!('errors' in doc)) return;
    if (doc.errors.length > 0) {
      result.errors.push({
        file,
        index,
        errors: doc.errors.map((e) => ({ path: '(yaml)', message: e.message.split('\n')[0] ?? e.message })),
      });
      return;
    }
    const value = doc.toJS({ maxAliasCount: 100 }) as unknown;
    if (value === null || value === undefined) return;
    if (isRecord(value) && value['kind'] === 'List' && Array.isArray(value['items'])) {
      for (const item of value['items'] as unknown[]) items.push({ value: item, index });
    } else {
      items.push({ value, index });
    }
  });
  for (const { value, index } of items) {
    const source = { file, index };
    if (!isRecord(value)) {
      result.errors.push({ ...source, errors: [{ path: '(document)', message: 'expected a mapping' }] });
      continue;
    }
    if (value['kind'] !== KIND || (typeof value['apiVersion'] === 'string' && value['apiVersion'].split('/')[0] !== API_VERSION.split('/')[0])) {
      result.others.push({ source, value });
      continue;
    }
    const checked = validateDocument(value);
    if (checked.ok) result.documents.push({ ...checked.value, source });
    else {
      const meta = value['metadata'];
      const name = isRecord(meta) && typeof meta['name'] === 'string' ? meta['name'] : undefined;
      result.errors.push({ ...source, ...(name ? { name } : {}), errors: checked.errors });
    }
  }
  return result;
}

/** Loads every policy document from files and directories. I/O errors become LoadErrors too. */
export async function loadPolicyFiles(paths: string[]): Promise<LoadResult> {
  const result: LoadResult = { documents: [], errors: [], others: [] };
  let files: string[];
  try {
    files = await listPolicyFiles(paths);
  } catch (err) {
    result.errors.push({ file: paths.join(','), index: 0, errors: [{ path: '(file)', message: (err as Error).message }] });
    return result;
  }
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      result.errors.push({ file, index: 0, errors: [{ path: '(file)', message: (err as Error).message }] });
      continue;
    }
    const one = parsePolicyText(text, file);
    result.documents.push(...one.documents);
    result.errors.push(...one.errors);
    result.others.push(...one.others);
  }
  return result;
}

/** Formats a LoadError as lines like `policies/a.yaml#0 (orders): spec.hosts[0]: ...`. */
export function formatLoadError(e: LoadError): string[] {
  const where = `${e.file}#${e.index}${e.name ? ` (${e.name})` : ''}`;
  return e.errors.map((f) => `${where}: ${f.path}: ${f.message}`);
}
