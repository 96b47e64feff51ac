/**
 * Positive validation against an API description (lib/policy/openapi.ts): is this request one of the API's
 * operations, with the parameters and the body it declares? Built once per API and snapshot with Ajv (JSON Schema
 * 2020-12): one validator per operation for its path, query and header parameters together (strings coerced to
 * the declared types, as they arrive as text), one per JSON or form body media type. Validators compile on
 * first use (and in the background after a snapshot swap, warmUpApis), so a snapshot with a large API is in
 * force at once. The policy compiler has checked every schema against the meta-schema; an operation whose
 * validator still cannot be compiled fails closed (every request to it gets the validation verdict, saying why).
 *
 * What is judged, and what is not (README "API model"): unknown paths and methods, missing required parameters,
 * ill-typed path/query/header values, a body whose media type the operation does not accept, a missing required
 * body, and a JSON or form body that violates its schema when Envoy sends the whole body (gzip, deflate and br
 * decoded first). A partial body (`x-envoy-auth-partial-body`, or fewer bytes than `content-length`), one in
 * another encoding and a body Envoy does not send are not judged; cookie parameters are not judged.
 */
import type { Ajv2020, ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import { API_SCHEMA_ID, validatedMediaType, type CompiledApi, type CompiledOperation, type CompiledParam, type JsonSchema } from '../../../lib/policy/openapi.ts';
import { decode } from '../pipeline/body.ts';
import type { RequestContext } from '../pipeline/request.ts';
import { Router } from './router.ts';
import { ajv2020, ajvFormats } from '../../../lib/process/lazy-module.ts';

/** Formats OpenAPI adds to JSON Schema's. */
const OPENAPI_FORMATS: Record<string, { type: 'number' | 'string'; validate: (v: never) => boolean }> = {
  int32: { type: 'number', validate: (v: number) => Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 31 },
  int64: { type: 'number', validate: (v: number) => Number.isInteger(v) },
  float: { type: 'number', validate: () => true },
  double: { type: 'number', validate: () => true },
  byte: { type: 'string', validate: (v: string) => /^[A-Za-z0-9+/]*={0,2}$/.test(v) && v.length % 4 === 0 },
  binary: { type: 'string', validate: () => true },
  password: { type: 'string', validate: () => true },
};

function newAjv(coerce: boolean): Ajv2020 {
  const ajv = new (ajv2020())({
    strict: false,
    allErrors: false,
    logger: false,
    validateFormats: true,
    unicodeRegExp: false,
    coerceTypes: coerce ? 'array' : false,
    useDefaults: false,
    // The policy compiler checked the schemas against the meta-schema; checking again would stall a snapshot swap.
    validateSchema: false,
    // Formats nobody defined (vendor formats) are annotations, as JSON Schema 2020-12 says.
    formats: {},
    // Dead-code elimination in generated validators triples compile time and saves little at run time (bench:openapi).
    code: { optimize: false },
  });
  ajvFormats()(ajv);
  for (const [name, f] of Object.entries(OPENAPI_FORMATS)) ajv.addFormat(name, f as never);
  return ajv;
}

/** Why a request is not one the API accepts. */
export interface ValidationFailure {
  ok: false;
  /** The operation's template when the path matched one. */
  template: string | null;
  detail: string;
}

/** A request the API accepts. */
export interface ValidationSuccess {
  ok: true;
  template: string;
  operationId: string | null;
}

type Lazy = () => ValidateFunction;

function lazy(ajv: Ajv2020, schema: JsonSchema, where: string): Lazy {
  let fn: ValidateFunction | undefined;
  return () => {
    if (fn) return fn;
    try {
      fn = ajv.compile(schema as object);
    } catch (err) {
      const message = `${where}: the description's schema cannot be compiled: ${(err as Error).message}`;
      const failing = (() => false) as unknown as ValidateFunction;
      failing.errors = [{ instancePath: '', schemaPath: '', keyword: 'schema', params: {}, message }];
      fn = failing;
    }
    return fn;
  };
}

interface BodyCheck {
  /** Lowercase media type or range, as declared. */
  mediaType: string;
  kind: 'json' | 'form' | null;
  validate: Lazy | null;
}

interface ParamPlan {
  param: CompiledParam;
  /** The schema asks for an array (delimited styles are split). */
  array: boolean;
}

interface OperationCheck {
  op: CompiledOperation;
  params: ParamPlan[];
  validateParams: Lazy | null;
  bodies: BodyCheck[];
}

function isArraySchema(schema: JsonSchema | null, defs: Record<string, JsonSchema>): boolean {
  for (let s = schema, hops = 0; typeof s === 'object' && s !== null && hops < 8; hops++) {
    if (s['type'] === 'array' || (Array.isArray(s['type']) && s['type'].includes('array'))) return true;
    const ref = s['$ref'];
    if (typeof ref !== 'string') return false;
    const name = ref.slice(`${API_SCHEMA_ID}#/$defs/`.length).replace(/~1/g, '/').replace(/~0/g, '~');
    s = defs[name] ?? null;
  }
  return false;
}

function paramsSchema(params: ParamPlan[]): JsonSchema | null {
  const groups: Record<string, { type: 'object'; properties: Record<string, JsonSchema>; required: string[] }> = {};
  let any = false;
  for (const { param: p } of params) {
    const g = (groups[p.in] ??= { type: 'object', properties: {}, required: [] });
    if (p.schema !== null) {
      g.properties[p.name] = p.schema;
      any = true;
    }
    if (p.required) {
      g.required.push(p.name);
      any = true;
    }
  }
  return any ? { type: 'object', properties: groups } : null;
}

function describeError(e: ErrorObject | undefined, where: string): string {
  if (!e) return `${where}: invalid`;
  if (e.keyword === 'schema') return e.message ?? `${where}: invalid`;
  const path = e.instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
  let at = where;
  if (where === 'parameters') {
    const [location, name, ...rest] = path;
    at = name === undefined ? `${location ?? ''} parameters` : `${location} parameter "${name}"${rest.length > 0 ? `/${rest.join('/')}` : ''}`;
  } else if (path.length > 0) at = `${where}/${path.join('/')}`;
  if (e.keyword === 'required') {
    const missing = (e.params as { missingProperty?: string }).missingProperty;
    if (where === 'parameters') return `${path[0]} parameter "${missing}" is required`;
    return `${at}: property "${missing}" is required`;
  }
  const extra = e.keyword === 'additionalProperties' ? ` ("${(e.params as { additionalProperty?: string }).additionalProperty}")` : '';
  return `${at}: ${e.message ?? e.keyword}${extra}`;
}

function safeDecode(s: string): string | null {
  try {
    return decodeURIComponent(s);
  } catch {
    return null;
  }
}

function splitStyle(style: string, explode: boolean): string | null {
  if (style === 'spaceDelimited') return ' ';
  if (style === 'pipeDelimited') return '|';
  if ((style === 'form' && !explode) || style === 'simple') return ',';
  return null;
}

/** Largest decoded body validated (a gzip body decodes to at most this much here). */
const MAX_VALIDATED_BODY_BYTES = 8 * 1024 * 1024;

/**
 * The body of a request as text (Content-Encoding undone, as the application will), or null when it cannot be
 * judged: Envoy did not send it whole, or it is in an encoding not decoded here, or it decodes to too much.
 */
function wholeBody(req: RequestContext): string | null {
  if (req.body === undefined) return null;
  if (req.headers.get('x-envoy-auth-partial-body') === 'true') return null;
  const raw = typeof req.body === 'string' ? Buffer.from(req.body, 'utf8') : req.body;
  const declared = Number(req.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(declared) && raw.length < declared) return null;
  const encoding = req.headers.get('content-encoding') ?? '';
  if (encoding === '') return typeof req.body === 'string' ? req.body : Buffer.from(raw).toString('utf8');
  const decoded = decode(raw, encoding, MAX_VALIDATED_BODY_BYTES);
  return decoded.problem === null && decoded.bytes.length <= MAX_VALIDATED_BODY_BYTES ? Buffer.from(decoded.bytes).toString('utf8') : null;
}

function mediaMatches(declared: string, actual: string): boolean {
  const d = declared.split(';')[0]!.trim();
  if (d === '*/*' || d === actual) return true;
  return d.endsWith('/*') && actual.startsWith(d.slice(0, -1));
}

function formObject(text: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of new URLSearchParams(text)) {
    const prior = out[k];
    out[k] = prior === undefined ? v : Array.isArray(prior) ? [...prior, v] : [prior, v];
  }
  return out;
}

/** An API ready to validate requests. */
export class ApiValidator {
  readonly api: CompiledApi;
  readonly router: Router;
  readonly #ops: OperationCheck[];

  /** `caseSensitive`: the policy's pathMatching.caseSensitive (false: paths match whatever their letter case). */
  constructor(api: CompiledApi, caseSensitive = true) {
    this.api = api;
    const strict = newAjv(false);
    const coercing = newAjv(true);
    const defsDoc = { $id: API_SCHEMA_ID, $defs: api.defs };
    for (const ajv of [strict, coercing]) ajv.addSchema(defsDoc);
    this.router = new Router(api.operations, api.basePath, caseSensitive);
    this.#ops = api.operations.map((op) => {
      const params = op.params.map((param) => ({ param, array: isArraySchema(param.schema, api.defs) }));
      const ps = paramsSchema(params);
      const bodies = (op.body?.content ?? []).map((c): BodyCheck => {
        const kind = validatedMediaType(c.mediaType);
        return { mediaType: c.mediaType, kind, validate: c.schema === null || kind === null ? null : lazy(kind === 'form' ? coercing : strict, c.schema, 'body') };
      });
      return { op, params, validateParams: ps === null ? null : lazy(coercing, ps, 'parameters'), bodies };
    });
  }

  /** Compiles every operation's validators now (tests, benchmarks). */
  compileAll(): void {
    for (const _ of this.compileSteps());
  }

  /** Compiles the validators one operation per step (warmUpApis runs the steps between Checks). */
  *compileSteps(): Generator<void> {
    for (const o of this.#ops) {
      o.validateParams?.();
      for (const b of o.bodies) b.validate?.();
      yield;
    }
  }

  /** Judges a request. */
  validate(req: RequestContext): ValidationSuccess | ValidationFailure {
    const route = this.router.route(req.method, req.path);
    if (route.kind === 'none') return { ok: false, template: null, detail: `no operation for ${req.method} ${req.path}` };
    if (route.kind === 'method') return { ok: false, template: route.template, detail: `${req.method} is not an operation of ${route.template} (${route.allowed.join(', ')})` };
    const check = this.#ops[route.operation]!;
    const where = `${check.op.method} ${check.op.path}`;
    const paramFailure = this.#params(check, req, route.params);
    if (paramFailure) return { ok: false, template: check.op.path, detail: `${where}: ${paramFailure}` };
    const bodyFailure = this.#body(check, req);
    if (bodyFailure) return { ok: false, template: check.op.path, detail: `${where}: ${bodyFailure}` };
    return { ok: true, template: check.op.path, operationId: check.op.operationId };
  }

  #params(check: OperationCheck, req: RequestContext, pathValues: Record<string, string>): string | null {
    if (!check.validateParams) return null;
    const data: Record<string, Record<string, unknown>> = { path: {}, query: {}, header: {} };
    let query: Map<string, string[]> | undefined;
    for (const { param: p, array } of check.params) {
      let raw: string | string[] | undefined;
      if (p.in === 'path') {
        const v = pathValues[p.name];
        if (v === undefined) continue;
        const decoded = safeDecode(v);
        if (decoded === null) return `path parameter "${p.name}" is not valid percent-encoding`;
        raw = decoded;
      } else if (p.in === 'header') {
        raw = req.headers.get(p.name);
      } else {
        query ??= parseQuery(req.query);
        if (p.style === 'deepObject') {
          const obj = deepObject(query, p.name);
          if (obj !== undefined) data['query']![p.name] = obj;
          continue;
        }
        const values = query.get(p.name);
        raw = values === undefined ? undefined : values.length === 1 ? values[0] : values;
      }
      if (raw === undefined) continue;
      let value: unknown = raw;
      if (p.json && typeof raw === 'string') {
        try {
          value = JSON.parse(raw);
        } catch {
          return `${p.in} parameter "${p.name}" is not valid JSON`;
        }
      } else if (array && typeof raw === 'string') {
        const sep = splitStyle(p.style, p.explode);
        value = sep === null || raw === '' ? [raw] : raw.split(sep);
      }
      data[p.in]![p.name] = value;
    }
    const validate = check.validateParams();
    return validate(data) ? null : describeError(validate.errors?.[0], 'parameters');
  }

  #body(check: OperationCheck, req: RequestContext): string | null {
    const declared = check.op.body;
    if (!declared) return null;
    const contentType = (req.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    const length = req.headers.get('content-length');
    const chunked = (req.headers.get('transfer-encoding') ?? '').toLowerCase().includes('chunked');
    const empty = !chunked && (length === undefined || Number(length) === 0) && (req.body === undefined || req.body.length === 0);
    if (empty) return declared.required ? 'a request body is required' : null;
    if (contentType === '') return declared.content.length > 0 ? 'request body without content-type' : null;
    const body = check.bodies.find((b) => mediaMatches(b.mediaType, contentType));
    if (!body) return `content-type ${contentType} is not accepted (${check.bodies.map((b) => b.mediaType).join(', ') || 'no body declared'})`;
    if (!body.validate || !this.api.validateBody) return null;
    const text = wholeBody(req);
    if (text === null) return null;
    let data: unknown;
    if (body.kind === 'json') {
      try {
        data = JSON.parse(text);
      } catch {
        return 'body is not valid JSON';
      }
    } else data = formObject(text);
    const validate = body.validate();
    return validate(data) ? null : describeError(validate.errors?.[0], 'body');
  }
}

/** Query parameters by name, in order (percent- and `+`-decoded as forms are). */
function parseQuery(query: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  if (query === '') return out;
  for (const [k, v] of new URLSearchParams(query)) {
    const list = out.get(k);
    if (list) list.push(v);
    else out.set(k, [v]);
  }
  return out;
}

/** `name[key]=value` query parameters as an object (deepObject style). */
function deepObject(query: Map<string, string[]>, name: string): Record<string, string> | undefined {
  let out: Record<string, string> | undefined;
  const prefix = `${name}[`;
  for (const [k, v] of query) {
    if (!k.startsWith(prefix) || !k.endsWith(']')) continue;
    (out ??= {})[k.slice(prefix.length, -1)] = v[0] ?? '';
  }
  return out;
}
