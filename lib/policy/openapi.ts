/**
 * OpenAPI 3.0 / 3.1 descriptions reduced to what request validation needs, pure: the operations (method, path
 * template, parameters, request bodies) and the JSON Schemas they reach, converted to JSON Schema 2020-12. What a
 * request cannot be checked against (responses, examples, descriptions, tags, `x-` extensions, schemas only
 * responses use) is left out, so a multi-megabyte description compiles into a fraction of its size (README
 * "API model" has the measured ratios).
 *
 * Every `$ref` inside a schema becomes `urn:palisade:api#/$defs/<name>`: component schemas keep their names,
 * references to anything deeper (`#/components/schemas/X/properties/y`, `#/paths/...`) are hoisted into `$defs`
 * as `ref.<n>`. The authz-server registers `$defs` once per API (`API_SCHEMA_ID`) and compiles each operation's
 * validators against it. References to other documents are refused: bundle a multi-file description first.
 */
import { createHash } from 'node:crypto';
import type { Ajv2020 } from 'ajv/dist/2020.js';
import { parse as parseYaml } from 'yaml';
import { canonicalJson } from './canonical-json.ts';
import { ajv2020 } from '../process/lazy-module.ts';

/** `$id` of the schema document that holds an API's `$defs`. */
export const API_SCHEMA_ID = 'urn:palisade:api';

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** A JSON Schema (2020-12) as the snapshot carries it. */
export type JsonSchema = boolean | { [k: string]: unknown };

/** One parameter of an operation. */
export interface CompiledParam {
  /** Header names are lowercase. */
  name: string;
  in: 'path' | 'query' | 'header';
  required: boolean;
  /** The value's schema; null: any value. */
  schema: JsonSchema | null;
  /** Serialisation: `form` (query default), `simple` (path and header default), `spaceDelimited`, `pipeDelimited`, `deepObject`. */
  style: string;
  explode: boolean;
  /** The value is JSON text (a parameter described by `content: application/json`). */
  json: boolean;
}

/** A request body: its media types (as written, lowercase) and, for JSON and form ones, their schemas. */
export interface CompiledBody {
  required: boolean;
  content: Array<{ mediaType: string; schema: JsonSchema | null }>;
}

/** One operation: method, path template, parameters and body. */
export interface CompiledOperation {
  method: string;
  /** The path template as the description writes it (without the base path). */
  path: string;
  operationId: string | null;
  params: CompiledParam[];
  body: CompiledBody | null;
}

/** An API description compiled for validation. */
export interface CompiledApi {
  /** `inline` or `configmap:<namespace>/<name>/<key>`. */
  source: string;
  /** sha256 of the description's canonical JSON. */
  digest: string;
  openapi: string;
  title: string;
  version: string;
  mode: 'Enforce' | 'Monitor';
  /** Prefix every operation's path is under ("" or "/v2"). */
  basePath: string;
  validateBody: boolean;
  operations: CompiledOperation[];
  /** Schemas the operations reference, by name. */
  defs: Record<string, JsonSchema>;
  /** What the description uses that is not validated (cookie parameters, unsupported styles...), for status and logs. */
  unchecked: string[];
}

/** The settings of `spec.openapi` that shape the compiled form. */
export interface OpenApiSettings {
  source: string;
  /** The description's digest when the caller has it already (descriptionDigest). */
  digest?: string;
  mode: 'Enforce' | 'Monitor';
  basePath?: string;
  validateBody: boolean;
}

/** A problem in the description, located by a JSON pointer into it. */
export class OpenApiError extends Error {
  readonly pointer: string;
  constructor(pointer: string, message: string) {
    super(message);
    this.pointer = pointer;
  }
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function escapePointer(s: string): string {
  return s.replace(/~/g, '~0').replace(/\//g, '~1');
}

function unescapePointer(s: string): string {
  return s.replace(/~1/g, '/').replace(/~0/g, '~');
}

/** Parses description text: JSON first (fast for multi-megabyte files), else YAML. */
export function parseDescriptionText(text: string): unknown {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{')) {
    try {
      return JSON.parse(trimmed);
    } catch {
      // not JSON after all: YAML below says what is wrong
    }
  }
  return parseYaml(text, { maxAliasCount: 10_000 });
}

/** Validation keywords carried over as they are. */
const KEEP = new Set([
  'type', 'enum', 'const', 'multipleOf', 'maximum', 'exclusiveMaximum', 'minimum', 'exclusiveMinimum', 'maxLength',
  'minLength', 'pattern', 'maxItems', 'minItems', 'uniqueItems', 'maxContains', 'minContains', 'maxProperties',
  'minProperties', 'required', 'dependentRequired', 'format',
]);
/** Keywords whose value is a schema. */
const ONE = ['items', 'additionalItems', 'contains', 'additionalProperties', 'propertyNames', 'not', 'if', 'then', 'else', 'unevaluatedItems', 'unevaluatedProperties'];
/** Keywords whose value is a map of schemas. */
const MAP = ['properties', 'patternProperties', 'dependentSchemas'];
/** Keywords whose value is a list of schemas. */
const LIST = ['allOf', 'anyOf', 'oneOf', 'prefixItems'];

class Reducer {
  readonly defs: Record<string, JsonSchema> = {};
  readonly unchecked = new Set<string>();
  /** JSON pointer of a referenced schema -> its name in $defs. */
  readonly #names = new Map<string, string>();
  readonly #pending: Array<{ pointer: string; name: string }> = [];
  readonly #doc: Obj;
  readonly #v30: boolean;

  constructor(doc: Obj, v30: boolean) {
    this.#doc = doc;
    this.#v30 = v30;
  }

  /** The node a local reference points to. */
  resolvePointer(ref: string, at: string): { node: unknown; pointer: string } {
    if (!ref.startsWith('#')) throw new OpenApiError(at, `$ref ${JSON.stringify(ref)} points outside the description; bundle it into one document first`);
    const pointer = decodeURIComponent(ref.slice(1));
    let node: unknown = this.#doc;
    for (const raw of pointer.split('/').slice(1)) {
      const part = unescapePointer(raw);
      node = Array.isArray(node) ? node[Number(part)] : isObj(node) ? node[part] : undefined;
      if (node === undefined) throw new OpenApiError(at, `$ref ${JSON.stringify(ref)} does not resolve`);
    }
    return { node, pointer };
  }

  /** Follows a chain of `$ref`s to a non-reference object (parameters, request bodies). */
  deref(node: unknown, at: string): { node: unknown; at: string } {
    let cur = node;
    let where = at;
    for (let hops = 0; isObj(cur) && typeof cur['$ref'] === 'string'; hops++) {
      if (hops > 32) throw new OpenApiError(at, 'circular $ref');
      const r = this.resolvePointer(cur['$ref'], where);
      cur = r.node;
      where = r.pointer;
    }
    return { node: cur, at: where };
  }

  #refFor(ref: string, at: string): string {
    const { pointer } = this.resolvePointer(ref, at);
    let name = this.#names.get(pointer);
    if (name === undefined) {
      const m = /^\/components\/schemas\/([^/]+)$/.exec(pointer);
      name = m ? unescapePointer(m[1]!) : `ref.${this.#names.size}`;
      this.#names.set(pointer, name);
      this.#pending.push({ pointer, name });
    }
    return `${API_SCHEMA_ID}#/$defs/${escapePointer(name)}`;
  }

  /** Converts every schema referenced so far (and what they reference) into $defs. */
  drain(): void {
    for (let item = this.#pending.shift(); item; item = this.#pending.shift()) {
      const { node } = this.resolvePointer(`#${item.pointer}`, item.pointer);
      this.defs[item.name] = this.schema(node, item.pointer);
    }
  }

  /** Converts one schema object to JSON Schema 2020-12, keeping only what validates. */
  schema(node: unknown, at: string): JsonSchema {
    if (typeof node === 'boolean') return node;
    if (!isObj(node)) throw new OpenApiError(at, 'a schema must be an object');
    if (typeof node['$ref'] === 'string') {
      const ref = { $ref: this.#refFor(node['$ref'], at) };
      // OpenAPI 3.0 ignores a reference's siblings; 3.1 (JSON Schema 2020-12) applies them too.
      if (this.#v30) return ref;
      const rest = this.schema({ ...node, $ref: undefined }, at);
      return typeof rest === 'object' && Object.keys(rest).length > 0 ? { allOf: [ref, rest] } : ref;
    }
    if (node['$dynamicRef'] !== undefined || node['$recursiveRef'] !== undefined) {
      this.unchecked.add('$dynamicRef / $recursiveRef schemas (accepted as any value)');
      return {};
    }
    const out: Obj = {};
    for (const [k, v] of Object.entries(node)) {
      if (v === undefined) continue;
      if (KEEP.has(k)) out[k] = v;
      else if (ONE.includes(k)) out[k] = typeof v === 'boolean' ? v : this.schema(v, `${at}/${k}`);
      else if (MAP.includes(k) && isObj(v)) out[k] = Object.fromEntries(Object.entries(v).map(([p, s]) => [p, this.schema(s, `${at}/${k}/${escapePointer(p)}`)]));
      else if (LIST.includes(k) && Array.isArray(v)) out[k] = v.map((s, i) => this.schema(s, `${at}/${k}/${i}`));
    }
    if (Array.isArray(out['enum']) && out['enum'].length === 0) {
      // Says "no value is valid", which no real API means; generators emit it. Not enforced, and reported.
      delete out['enum'];
      this.unchecked.add(`empty enum (at ${at})`);
    }
    if (Array.isArray(node['items'])) out['prefixItems'] = node['items'].map((s, i) => this.schema(s, `${at}/items/${i}`));
    if (Array.isArray(out['items'])) delete out['items'];
    if (typeof out['pattern'] === 'string') {
      try {
        new RegExp(out['pattern']);
      } catch (err) {
        throw new OpenApiError(`${at}/pattern`, `invalid pattern: ${(err as Error).message}`);
      }
    }
    if (this.#v30) this.#from30(node, out);
    // A readOnly property is never sent by a client: "required" applies to responses only.
    if (Array.isArray(out['required']) && isObj(node['properties'])) {
      const props = node['properties'];
      out['required'] = (out['required'] as unknown[]).filter((p) => !(typeof p === 'string' && isObj(props[p]) && props[p]['readOnly'] === true));
      if ((out['required'] as unknown[]).length === 0) delete out['required'];
    }
    return out;
  }

  /** OpenAPI 3.0 schema dialect -> JSON Schema 2020-12. */
  #from30(node: Obj, out: Obj): void {
    if (node['nullable'] === true) {
      if (typeof out['type'] === 'string') out['type'] = [out['type'], 'null'];
      if (Array.isArray(out['enum']) && !out['enum'].includes(null)) out['enum'] = [...out['enum'], null];
    }
    for (const [flag, bound] of [['exclusiveMaximum', 'maximum'], ['exclusiveMinimum', 'minimum']] as const) {
      if (typeof node[flag] !== 'boolean') continue;
      delete out[flag];
      if (node[flag] === true && typeof node[bound] === 'number') {
        out[flag] = node[bound];
        delete out[bound];
      }
    }
  }
}

function str(v: unknown, fallback: string): string {
  return typeof v === 'string' ? v : fallback;
}

/** The path part of the first server URL (server variables take their defaults): "" or "/v2". */
function serverBasePath(doc: Obj): string {
  const servers = doc['servers'];
  if (!Array.isArray(servers) || !isObj(servers[0]) || typeof servers[0]['url'] !== 'string') return '';
  const server = servers[0];
  const vars = isObj(server['variables']) ? server['variables'] : {};
  const url = (server['url'] as string).replace(/\{([^}]+)\}/g, (_, name: string) => {
    const v = vars[name];
    return isObj(v) && typeof v['default'] === 'string' ? v['default'] : '';
  });
  let path: string;
  try {
    path = new URL(url, 'http://base.invalid').pathname;
  } catch {
    return '';
  }
  return path === '/' ? '' : path.replace(/\/+$/, '');
}

const MEDIA_JSON = /^application\/(?:[\w.+-]+\+)?json$|^\*\/\*$|^application\/\*$/;

/** Media types whose bodies are validated against their schema: JSON, and HTML forms (decoded to an object). */
export function validatedMediaType(mediaType: string): 'json' | 'form' | null {
  const type = mediaType.split(';')[0]!.trim().toLowerCase();
  if (MEDIA_JSON.test(type)) return 'json';
  return type === 'application/x-www-form-urlencoded' ? 'form' : null;
}

function compileParam(r: Reducer, raw: unknown, at: string): CompiledParam | null {
  const { node: p, at: where } = r.deref(raw, at);
  if (!isObj(p)) throw new OpenApiError(at, 'a parameter must be an object');
  const name = p['name'];
  const location = p['in'];
  if (typeof name !== 'string' || name === '') throw new OpenApiError(where, 'parameter without a name');
  if (location === 'cookie') {
    r.unchecked.add('cookie parameters');
    return null;
  }
  if (location !== 'path' && location !== 'query' && location !== 'header') throw new OpenApiError(where, `parameter ${name}: unknown "in" ${JSON.stringify(location)}`);
  if (location === 'header' && ['accept', 'content-type', 'authorization'].includes(name.toLowerCase())) return null;
  let schema: JsonSchema | null = null;
  let json = false;
  if (p['schema'] !== undefined) schema = r.schema(p['schema'], `${where}/schema`);
  else if (isObj(p['content'])) {
    const [mediaType, media] = Object.entries(p['content'])[0] ?? [];
    if (mediaType && MEDIA_JSON.test(mediaType.toLowerCase()) && isObj(media) && media['schema'] !== undefined) {
      schema = r.schema(media['schema'], `${where}/content/${escapePointer(mediaType)}/schema`);
      json = true;
    }
  }
  const style = str(p['style'], location === 'query' ? 'form' : 'simple');
  if (!['form', 'simple', 'spaceDelimited', 'pipeDelimited', 'deepObject'].includes(style)) {
    r.unchecked.add(`parameters of style ${style}`);
    schema = null;
  }
  return {
    name: location === 'header' ? name.toLowerCase() : name,
    in: location,
    required: location === 'path' ? true : p['required'] === true,
    schema,
    style,
    explode: typeof p['explode'] === 'boolean' ? p['explode'] : style === 'form',
    json,
  };
}

function compileBody(r: Reducer, raw: unknown, at: string, validateBody: boolean): CompiledBody | null {
  if (raw === undefined) return null;
  const { node: b, at: where } = r.deref(raw, at);
  if (!isObj(b)) throw new OpenApiError(at, 'requestBody must be an object');
  const content = isObj(b['content']) ? b['content'] : {};
  return {
    required: b['required'] === true,
    content: Object.entries(content).map(([mediaType, media]) => {
      const type = mediaType.toLowerCase();
      const schema = validateBody && validatedMediaType(type) && isObj(media) && media['schema'] !== undefined ? r.schema(media['schema'], `${where}/content/${escapePointer(mediaType)}/schema`) : null;
      return { mediaType: type, schema };
    }),
  };
}

/** Compiles a parsed description. Throws OpenApiError with a pointer into the description. */
export function compileOpenApi(doc: unknown, settings: OpenApiSettings): CompiledApi {
  if (!isObj(doc)) throw new OpenApiError('', 'the description must be a JSON or YAML object');
  const version = doc['openapi'];
  if (typeof version !== 'string' || !/^3\.[01]\.\d+/.test(version)) {
    const swagger = typeof doc['swagger'] === 'string' ? ` (found swagger ${doc['swagger']}: convert it to OpenAPI 3 first)` : '';
    throw new OpenApiError('/openapi', `only OpenAPI 3.0.x and 3.1.x descriptions are supported${swagger}`);
  }
  const v30 = version.startsWith('3.0');
  const info = isObj(doc['info']) ? doc['info'] : {};
  const r = new Reducer(doc, v30);
  const paths = isObj(doc['paths']) ? doc['paths'] : {};
  const operations: CompiledOperation[] = [];
  for (const [path, rawItem] of Object.entries(paths)) {
    const at = `/paths/${escapePointer(path)}`;
    if (!path.startsWith('/')) throw new OpenApiError(at, 'a path must start with "/"');
    const { node: item } = r.deref(rawItem, at);
    if (!isObj(item)) continue;
    const shared = Array.isArray(item['parameters']) ? item['parameters'].map((p, i) => compileParam(r, p, `${at}/parameters/${i}`)) : [];
    for (const method of HTTP_METHODS) {
      const op = item[method];
      if (!isObj(op)) continue;
      const opAt = `${at}/${method}`;
      const own = Array.isArray(op['parameters']) ? op['parameters'].map((p, i) => compileParam(r, p, `${opAt}/parameters/${i}`)) : [];
      const byKey = new Map<string, CompiledParam>();
      for (const p of [...shared, ...own]) if (p) byKey.set(`${p.in} ${p.name}`, p);
      const params = [...byKey.values()];
      for (const name of path.match(/\{[^}]+\}/g) ?? []) {
        const n = name.slice(1, -1);
        if (!params.some((p) => p.in === 'path' && p.name === n)) params.push({ name: n, in: 'path', required: true, schema: null, style: 'simple', explode: false, json: false });
      }
      operations.push({
        method: method.toUpperCase(),
        path,
        operationId: typeof op['operationId'] === 'string' ? op['operationId'] : null,
        params,
        body: compileBody(r, op['requestBody'], `${opAt}/requestBody`, settings.validateBody),
      });
    }
  }
  r.drain();
  checkSchemas({ operations, defs: r.defs });
  const basePath = settings.basePath !== undefined ? settings.basePath.replace(/\/+$/, '') : serverBasePath(doc);
  return {
    source: settings.source,
    digest: settings.digest ?? descriptionDigest(doc),
    openapi: version,
    title: str(info['title'], ''),
    version: str(info['version'], ''),
    mode: settings.mode,
    basePath,
    validateBody: settings.validateBody,
    operations,
    defs: r.defs,
    unchecked: [...r.unchecked].sort(),
  };
}

/** Checks JSON Schemas against the 2020-12 meta-schema (no compiling); one instance per process. */
let metaChecker: Ajv2020 | undefined;

/**
 * Every schema of a compiled API against the JSON Schema 2020-12 meta-schema, so that a description the
 * authz-server could not compile is refused here, with its place, rather than when a request needs it.
 */
function checkSchemas(api: Pick<CompiledApi, 'operations' | 'defs'>): void {
  metaChecker ??= new (ajv2020())({ strict: false, logger: false, validateFormats: false });
  const check = (schema: JsonSchema | null, where: string) => {
    if (schema === null || metaChecker!.validateSchema(schema as object)) return;
    throw new OpenApiError(where, `invalid schema: ${metaChecker!.errorsText(metaChecker!.errors)}`);
  };
  for (const [name, schema] of Object.entries(api.defs)) check(schema, `/components/schemas/${escapePointer(name)} ($defs ${name})`);
  for (const op of api.operations) {
    const at = `/paths/${escapePointer(op.path)}/${op.method.toLowerCase()}`;
    for (const p of op.params) check(p.schema, `${at} parameter ${p.in} ${p.name}`);
    for (const c of op.body?.content ?? []) check(c.schema, `${at}/requestBody/content/${escapePointer(c.mediaType)}`);
  }
}

/** sha256 (hex, 32 chars) of a description's canonical JSON. */
export function descriptionDigest(doc: unknown): string {
  return createHash('sha256').update(canonicalJson(doc)).digest('hex').slice(0, 32);
}
