/**
 * Reads ApiProtectionPolicy YAML the way `kubectl apply -f` takes it: files or directories, multi-document
 * files, and `kind: List`. Every problem is reported with its file, document index and field path; nothing is
 * silently dropped: an empty file, an unknown kind or a wrong apiVersion is an error, not a document to skip.
 */
import { createHash } from 'node:crypto';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join, extname } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { compile, type CompileResult } from './compile.ts';
import { configMapsFrom } from './configmaps.ts';
import { API_VERSION, KIND, type PolicyDocument } from './schema.ts';
import { secretsFrom } from './secrets.ts';
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
  /**
   * The Secrets (API keys, read by `secrets.ts`) and ConfigMaps (OpenAPI descriptions, `configmaps.ts`) next to
   * the policies; no other kind is accepted.
   */
  others: Array<{ source: DocumentSource; value: Record<string, unknown> }>;
}

/** The kinds a policy file may hold, with the apiVersion each must have. */
const ACCEPTED_KINDS: Readonly<Record<string, string>> = { [KIND]: API_VERSION, Secret: 'v1', ConfigMap: 'v1' };

const EXPECTED = Object.entries(ACCEPTED_KINDS)
  .map(([kind, apiVersion]) => `${kind} (${apiVersion})`)
  .join(' or ');

/**
 * Why a document's kind or apiVersion is refused, or null when it is one of ACCEPTED_KINDS. A misspelt kind or a
 * wrong API group must not make a policy vanish silently (its hosts would fall through to another policy).
 */
function kindProblem(value: Record<string, unknown>): FieldError | null {
  const kind = value['kind'];
  const apiVersion = value['apiVersion'];
  if (typeof kind !== 'string' || kind === '') return { path: 'kind', message: `missing: expected ${EXPECTED}` };
  const expected = ACCEPTED_KINDS[kind];
  if (expected === undefined) return { path: 'kind', message: `unknown kind ${JSON.stringify(kind)}: expected ${EXPECTED}` };
  if (apiVersion !== expected) return { path: 'apiVersion', message: `${JSON.stringify(apiVersion ?? null)} is not ${expected} (the apiVersion of ${kind})` };
  if (kind === 'Secret' || kind === 'ConfigMap') {
    const meta = value['metadata'];
    if (!isRecord(meta) || typeof meta['name'] !== 'string' || meta['name'] === '') return { path: 'metadata.name', message: `a ${kind} needs a name` };
  }
  return null;
}

const YAML_EXT = new Set(['.yaml', '.yml', '.json']);

/** Expands files and directories (non-recursive for dirs, like kubectl without -R) into a sorted file list. */
async function listPolicyFiles(paths: string[]): Promise<string[]> {
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
    // YAML 1.1, as kubectl reads it: an unquoted Off is a boolean there, and both must judge a file alike
    docs = parseAllDocuments(text, { prettyErrors: true, uniqueKeys: true, version: '1.1' });
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
    if (isRecord(value) && value['kind'] === 'List') {
      if (!Array.isArray(value['items'])) result.errors.push({ file, index, errors: [{ path: 'items', message: 'a List needs an items array' }] });
      else for (const item of value['items'] as unknown[]) items.push({ value: item, index });
    } else {
      items.push({ value, index });
    }
  });
  if (items.length === 0 && result.errors.length === 0) {
    result.errors.push({ file, index: 0, errors: [{ path: '(file)', message: `no documents: an empty file is refused (expected ${EXPECTED})` }] });
  }
  for (const { value, index } of items) {
    const source = { file, index };
    if (!isRecord(value)) {
      result.errors.push({ ...source, errors: [{ path: '(document)', message: 'expected a mapping' }] });
      continue;
    }
    const problem = kindProblem(value);
    if (problem) {
      const meta = value['metadata'];
      const name = isRecord(meta) && typeof meta['name'] === 'string' ? meta['name'] : undefined;
      result.errors.push({ ...source, ...(name ? { name } : {}), errors: [problem] });
      continue;
    }
    if (value['kind'] !== KIND) {
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

/**
 * Loads every policy document from files and directories. I/O errors become LoadErrors too. `fingerprint` is a
 * hash of the file names and contents read, so a caller can tell whether anything changed since its last load.
 */
export async function loadPolicyFiles(paths: string[]): Promise<LoadResult & { fingerprint: string }> {
  const result: LoadResult = { documents: [], errors: [], others: [] };
  const hash = createHash('sha256');
  let files: string[];
  try {
    files = await listPolicyFiles(paths);
  } catch (err) {
    const message = (err as Error).message;
    result.errors.push({ file: paths.join(','), index: 0, errors: [{ path: '(file)', message }] });
    return { ...result, fingerprint: hash.update(`error\0${message}`).digest('hex') };
  }
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      const message = (err as Error).message;
      hash.update(`${file}\0error\0${message}\0`);
      result.errors.push({ file, index: 0, errors: [{ path: '(file)', message }] });
      continue;
    }
    hash.update(`${file}\0${text.length}\0${text}\0`);
    const one = parsePolicyText(text, file);
    result.documents.push(...one.documents);
    result.errors.push(...one.errors);
    result.others.push(...one.others);
  }
  return { ...result, fingerprint: hash.digest('hex') };
}

/** Compiles what was loaded: the policies with the Secrets and ConfigMaps found next to them. */
export function compileLoaded(loaded: LoadResult, now: Date): CompileResult {
  return compile(loaded.documents, secretsFrom(loaded.others), now, { configMaps: configMapsFrom(loaded.others) });
}

/** Formats a LoadError as lines like `policies/a.yaml#0 (orders): spec.hosts[0]: ...`. */
export function formatLoadError(e: LoadError): string[] {
  const where = `${e.file}#${e.index}${e.name ? ` (${e.name})` : ''}`;
  return e.errors.map((f) => `${where}: ${f.path}: ${f.message}`);
}
