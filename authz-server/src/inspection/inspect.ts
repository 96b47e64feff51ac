// Request inspection for SQLi, XSS, path traversal / local file inclusion and command injection. Hand-written
// detectors: npm has no maintained pure-JS/WASM libinjection port (only native or stale packages), so SQLi uses a
// libinjection-style tokenizer and the others use linear regexes over normalised text. Work per request is bounded:
// each value is decoded into at most a handful of layers, bodies are cut at maxBodyBytes, and every regex is linear.

import { decodeLayers, percentDecode } from './decode.ts';
import { detectCmdi } from './cmdi.ts';
import type { DetectOptions, Match } from './detector.ts';
import { detectSqli } from './sqli.ts';
import { detectTraversal } from './traversal.ts';
import { detectXss } from './xss.ts';

export type InspectionKind = 'sqlInjection' | 'xss' | 'pathTraversal' | 'commandInjection';

/**
 * How suspicious a value must look. 'api' (the default) reports attack shapes only, so search text, names with
 * apostrophes, filter DSLs and code snippets pass; 'strict' also reports lone tokens an attack is made of
 * (SQL function calls, NoSQL operators, a command name after a separator...), as the OWASP CRS does from PL2 on.
 */
export type InspectionParanoia = 'api' | 'strict';

/** Turns off rules for some paths and/or request locations (what CRS users do with rule exclusions). */
export interface InspectionExclusion {
  /** Rule names ('sqli.tautology'), families ('sqli' or 'sqli.*'); absent: every rule. */
  rules?: readonly string[];
  /** Anchored regexes matched against the request path without its query; absent: every path. */
  paths?: readonly RegExp[];
  /** Finding locations ('query:q', 'header:user-agent', 'body:json.comment'); a trailing '*' matches a prefix; absent: everywhere. */
  locations?: readonly string[];
}

export interface InspectionOptions {
  sqlInjection: boolean;
  xss: boolean;
  pathTraversal: boolean;
  /** Shell command injection (Unix and Windows); default off. */
  commandInjection?: boolean;
  /** Body bytes scanned; default 64 KiB. 0 disables body scanning. */
  maxBodyBytes?: number;
  /** Default 'api'. */
  paranoia?: InspectionParanoia;
  exclusions?: readonly InspectionExclusion[];
}

export interface InspectionInput {
  path: string; // raw :path including query string
  /** The path as access rules match it (normalised, no query); exclusions' paths match it. Default: `path` decoded. */
  normalizedPath?: string;
  headers: ReadonlyMap<string, string>; // lowercase names; pseudo-headers included
  body?: string | Uint8Array; // as Envoy forwards it, maybe truncated
  contentType?: string;
}

export interface InspectionFinding {
  kind: InspectionKind;
  location: string; // 'path', 'query:q', 'header:referer', 'cookie:sid', 'body', 'body:json.name', ...
  rule: string; // e.g. 'sqli.union-select'
  sample: string; // decoded offending fragment, <= 80 chars, control characters escaped, credentials redacted
}

/** The rule-name prefix of each kind (the family an exclusion can name). */
export const RULE_FAMILIES: Record<InspectionKind, string> = {
  sqlInjection: 'sqli',
  xss: 'xss',
  pathTraversal: 'traversal',
  commandInjection: 'cmdi',
};

const DEFAULT_MAX_BODY_BYTES = 64 * 1024;
const MAX_SAMPLE = 80;
const MAX_LOCATION = 100;

const SKIP_HEADERS = new Set([
  'authorization', 'proxy-authorization', 'x-api-key', 'x-forwarded-client-cert', 'x-request-id',
  'traceparent', 'tracestate', 'b3', 'grpc-trace-bin', 'x-ot-span-context', 'content-length',
]);
const SKIP_HEADER_PREFIXES = ['x-b3-', 'x-envoy-'];
const URL_HEADERS = new Set(['referer', 'origin', 'x-original-url', 'x-rewrite-url']);
// Headers with a fixed grammar: a value made only of the grammar's characters cannot carry a payload.
const STRUCTURED_HEADERS = new Set([
  'accept', 'accept-encoding', 'accept-language', 'accept-charset', 'cache-control', 'pragma', 'content-type',
  'content-encoding', 'if-none-match', 'if-match', 'if-modified-since', 'if-unmodified-since', 'if-range', 'range',
  'date', 'expect', 'te', 'connection', 'upgrade-insecure-requests', 'dnt', 'priority', 'sec-fetch-site',
  'sec-fetch-mode', 'sec-fetch-dest', 'sec-fetch-user', 'x-forwarded-proto', 'x-forwarded-port', 'x-forwarded-for',
  'x-real-ip', 'forwarded', 'via', 'keep-alive',
]);
const STRUCTURED_VALUE_RE = /^[\w\s,;=.*/+:-]*$/;
// Entity tags (W/"5e15153d-120f"): quoted, but their grammar has no room for a payload.
const ETAG_HEADERS = new Set(['if-none-match', 'if-match', 'etag']);
const ETAG_VALUE_RE = /^\s*(?:(?:W\/)?"[\w.:+/=-]*"\s*(?:,\s*|$))+$/;

const BINARY_CONTENT_RE =
  /^\s*(?:image|audio|video|font)\/|^\s*application\/(?:octet-stream|grpc|(?:x-|vnd\.google\.)?protobuf|zip|gzip|x-gzip|pdf|x-tar|wasm)/i;
const JSON_CONTENT_RE = /^\s*application\/(?:[\w.+-]*\+)?json\b|^\s*text\/json\b/i;
const FORM_CONTENT_RE = /^\s*application\/x-www-form-urlencoded\b/i;
const MULTIPART_CONTENT_RE = /^\s*multipart\/form-data\b/i;

/**
 * Values that cannot carry any of the detected payloads: word characters with `,@-`, JWT-shaped tokens (three
 * dot-separated runs of at least ten), and dotted numbers (versions, analytics ids).
 */
const BORING_RE = /^(?:[\w,@-]*|[\w-]{10,}\.[\w-]{10,}\.[\w-]*|[\w-]+(?:\.\d+)+)$/;

// ---------------------------------------------------------------------------

/** Escapes control, bidi and separator characters and truncates to `max` UTF-16 units. */
export function safeForLog(s: string, max: number = MAX_SAMPLE): string {
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    let piece = ch;
    if (cp < 0x20 || cp === 0x7f || (cp >= 0x80 && cp <= 0x9f)) piece = `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (
      (cp >= 0xd800 && cp <= 0xdfff) || // lone surrogate
      cp === 0x2028 || cp === 0x2029 ||
      (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069) || cp === 0x200e || cp === 0x200f ||
      cp === 0xfeff
    ) {
      piece = `\\u${cp.toString(16).padStart(4, '0')}`;
    }
    if (out.length + piece.length > max) break;
    out += piece;
  }
  return out;
}

/**
 * Values found clean, per detector configuration and decoding: bounded sets (all cleared when 4,096 values are
 * remembered), so a repeated value costs one lookup. Only values of at most 512 characters with no exclusion in force
 * are remembered; findings are never cached.
 */
const CLEAN_VALUES = new Map<string, Array<Set<string>>>();
let cleanCount = 0;
const MAX_CACHED_VALUES = 4096;
const MAX_CACHED_VALUE = 512;

interface Ctx {
  /** The clean values of this detector configuration, one set per decoding (plus-as-space or not, value mode). */
  clean: Array<Set<string>>;
  opts: InspectionOptions;
  strict: boolean;
  /** Exclusions whose paths match this request. */
  exclusions: readonly InspectionExclusion[];
}

type Finding = InspectionFinding | null;

/** A JSON member or element: its container's location and its key, joined only when needed. */
interface JsonLoc {
  parent: Loc;
  key: string | number;
}

/** A finding's location, built only when it is needed (a finding, or an exclusion to match). */
type Loc = string | (() => string) | JsonLoc;

function appendJsonKey(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  return /^[A-Za-z_$][\w$-]*$/.test(key) ? `${base}.${key}` : `${base}[${JSON.stringify(key)}]`;
}

function resolveLoc(loc: Loc): string {
  if (typeof loc === 'string') return loc;
  if (typeof loc === 'function') return loc();
  // iterative: JSON may nest thousands of levels deep
  const keys: Array<string | number> = [];
  let cur: Loc = loc;
  while (typeof cur === 'object') {
    keys.push(cur.key);
    cur = cur.parent;
  }
  let out = typeof cur === 'string' ? cur : cur();
  for (let i = keys.length - 1; i >= 0; i--) out = appendJsonKey(out, keys[i] as string | number);
  return out;
}

const CREDENTIAL_NAME_RE = /pass|pwd|secret|token|api[-_]?key|auth|session|credential|signature|otp|pin\b/i;
const BEARER_RE = /\b(?:bearer|basic)\s+[\w\-.~+/]{8,}=*|\beyJ[\w-]{6,}\.[\w-]{6,}\.[\w-]*|\b((?:password|passwd|pwd|secret|token|api[-_]?key|access[-_]?key)\s*[=:]\s*)[^\s&;,'"]{4,}/gi;

/** The sample for the decision log: credential-named locations are withheld, tokens in any sample are masked. */
function redact(location: string, sample: string): string {
  const name = location.slice(location.indexOf(':') + 1);
  if (CREDENTIAL_NAME_RE.test(name)) return `[redacted ${sample.length} chars]`;
  return sample.replace(BEARER_RE, (m, prefix: string | undefined) => (prefix !== undefined ? `${prefix}[redacted]` : '[redacted]'));
}

function finding(kind: InspectionKind, location: string, m: Match): InspectionFinding {
  const loc = safeForLog(location, MAX_LOCATION);
  return { kind, location: loc, rule: m.rule, sample: safeForLog(redact(loc, m.fragment.trimStart())) };
}

function locationMatches(patterns: readonly string[] | undefined, location: string): boolean {
  if (patterns === undefined) return true;
  return patterns.some((p) => (p.endsWith('*') ? location.startsWith(p.slice(0, -1)) : location === p));
}

function ruleMatches(rules: readonly string[] | undefined, rule: string): boolean {
  if (rules === undefined) return true;
  return rules.some((r) => r === rule || (r.endsWith('.*') ? rule.startsWith(r.slice(0, -1)) : rule.startsWith(`${r}.`)));
}

/** The skip predicate for one location, 'all' when every rule is excluded there, or null when none is. */
function skipFor(location: string, ctx: Ctx): ((rule: string) => boolean) | 'all' | null {
  if (ctx.exclusions.length === 0) return null;
  const here = ctx.exclusions.filter((e) => locationMatches(e.locations, location));
  if (here.length === 0) return null;
  if (here.some((e) => e.rules === undefined)) return 'all';
  return (rule) => here.some((e) => ruleMatches(e.rules, rule));
}

/**
 * Where a value comes from: a parameter ('value'), the request path ('path') or a URL header ('url'). Paths and
 * URLs also get the SQLi context-break analysis at every segment; only the request path gets the file-name rules.
 */
type ValueMode = 'value' | 'path' | 'url';

/** Scans one value. `plusAsSpace`: form/query semantics. */
function scanValue(raw: string, location: Loc, plusAsSpace: boolean, ctx: Ctx, mode: ValueMode = 'value'): Finding {
  const pathMode = mode !== 'value';
  if (raw.length === 0 || BORING_RE.test(raw)) return null;
  const skip = ctx.exclusions.length === 0 ? null : skipFor(resolveLoc(location), ctx);
  if (skip === 'all') return null;
  // Values repeat from request to request (user agents, cookies, languages, filters, enumerations, search terms):
  // remember the clean ones. The verdict depends only on the value, its decoding and the configuration.
  let clean: Set<string> | undefined;
  if (skip === null && raw.length <= MAX_CACHED_VALUE) {
    clean = ctx.clean[(plusAsSpace ? 3 : 0) + (mode === 'value' ? 0 : mode === 'path' ? 1 : 2)] as Set<string>;
    if (clean.has(raw)) return null;
  }
  const f = scanLayers(raw, location, plusAsSpace, ctx, mode, pathMode, skip);
  if (f === null && clean !== undefined) {
    if (cleanCount >= MAX_CACHED_VALUES) {
      for (const sets of CLEAN_VALUES.values()) for (const set of sets) set.clear();
      cleanCount = 0;
    }
    clean.add(raw);
    cleanCount++;
  }
  return f;
}

function scanLayers(
  raw: string,
  location: Loc,
  plusAsSpace: boolean,
  ctx: Ctx,
  mode: ValueMode,
  pathMode: boolean,
  skip: ((rule: string) => boolean) | null,
): Finding {
  const d: DetectOptions = { strict: ctx.strict, skip };
  // most-decoded first, so the sample shows the payload as the application would see it
  const layers = decodeLayers(raw, plusAsSpace).reverse();
  const { opts } = ctx;
  if (opts.sqlInjection) {
    for (const layer of layers) {
      const m = sqliLayer(layer, pathMode, d);
      if (m !== null) return finding('sqlInjection', resolveLoc(location), m);
    }
  }
  if (opts.xss) {
    for (const layer of layers) {
      const m = detectXss(layer, d);
      if (m !== null) return finding('xss', resolveLoc(location), m);
    }
  }
  if (opts.pathTraversal) {
    for (const layer of layers) {
      const m = detectTraversal(layer, d, mode === 'path');
      if (m !== null) return finding('pathTraversal', resolveLoc(location), m);
    }
  }
  if (opts.commandInjection === true) {
    for (const layer of layers) {
      const m = detectCmdi(layer, d);
      if (m !== null) return finding('commandInjection', resolveLoc(location), m);
    }
  }
  return null;
}

// A '+' next to SQL: the only case where reading '+' as a space can change the verdict.
const PLUS_SQL_RE = /['"()]\+|\+['"(]|\+(?:or|and|xor|union|select|order|group|having|waitfor|exec|drop|insert|update|delete|sleep|benchmark|like|rlike|not|is|in|procedure|limit|into)\b|\+(?:--|#)/i;

function sqliLayer(layer: string, pathMode: boolean, d: DetectOptions): Match | null {
  const m = detectSqli(layer, d);
  if (m !== null) return m;
  // '+' used as a space where the application would not decode it (paths, %2B)
  if (layer.indexOf('+') !== -1 && PLUS_SQL_RE.test(layer)) {
    const p = detectSqli(layer.replaceAll('+', ' '), d);
    if (p !== null) return p;
  }
  if (pathMode) {
    // an injection in a path segment starts right after a '/'
    let count = 0;
    for (let i = layer.indexOf('/'); i !== -1 && count < 32; i = layer.indexOf('/', i + 1), count++) {
      const rest = layer.slice(i + 1);
      if (rest.length === 0 || BORING_RE.test(rest)) continue;
      const s = detectSqli(rest, d, true) ?? (rest.indexOf('+') !== -1 ? detectSqli(rest.replaceAll('+', ' '), d, true) : null);
      if (s !== null) return s;
    }
  }
  return null;
}

// ---------------------------------------------------------------------------

function decodeName(raw: string, plusAsSpace: boolean): string {
  return percentDecode(raw, plusAsSpace);
}

/**
 * Scans a=b&c=d pairs: values at `${prefix}${name}`, names at `${prefix minus ':'/'.'}-name`,
 * or everything at `fixedLocation` when given.
 */
function scanPairs(qs: string, prefix: string, ctx: Ctx, fixedLocation?: string): Finding {
  const nameLoc = fixedLocation ?? `${prefix.slice(0, -1)}-name`;
  let start = 0;
  while (start <= qs.length) {
    let end = qs.indexOf('&', start);
    if (end === -1) end = qs.length;
    if (end > start) {
      const part = qs.slice(start, end);
      const eq = part.indexOf('=');
      const rawName = eq === -1 ? part : part.slice(0, eq);
      const f = scanValue(rawName, nameLoc, true, ctx);
      if (f !== null) return f;
      if (eq !== -1) {
        const loc: Loc = fixedLocation ?? (() => prefix + decodeName(rawName, true));
        const v = scanValue(part.slice(eq + 1), loc, true, ctx);
        if (v !== null) return v;
      }
    }
    start = end + 1;
  }
  return null;
}

function scanPath(rawPath: string, ctx: Ctx): Finding {
  const q = rawPath.indexOf('?');
  const pathPart = q === -1 ? rawPath : rawPath.slice(0, q);
  const f = scanValue(pathPart, 'path', false, ctx, 'path');
  if (f !== null) return f;
  if (q !== -1) return scanPairs(rawPath.slice(q + 1), 'query:', ctx);
  return null;
}

function scanHeaders(headers: ReadonlyMap<string, string>, ctx: Ctx): Finding {
  for (const [rawName, value] of headers) {
    if (typeof value !== 'string' || typeof rawName !== 'string') continue;
    const name = rawName.toLowerCase();
    if (name.startsWith(':') || SKIP_HEADERS.has(name)) continue;
    if (name.startsWith('x-') && SKIP_HEADER_PREFIXES.some((p) => name.startsWith(p))) continue;
    if (name === 'cookie') {
      for (const c of value.split(';')) {
        const eq = c.indexOf('=');
        const cname = (eq === -1 ? '' : c.slice(0, eq)).trim();
        const cval = (eq === -1 ? c : c.slice(eq + 1)).trim();
        const n = scanValue(cname, 'cookie-name', false, ctx, 'value');
        if (n !== null) return n;
        const f = scanValue(cval, `cookie:${cname}`, false, ctx, 'value');
        if (f !== null) return f;
      }
      continue;
    }
    if (STRUCTURED_HEADERS.has(name) && STRUCTURED_VALUE_RE.test(value)) continue;
    if (ETAG_HEADERS.has(name) && ETAG_VALUE_RE.test(value)) continue;
    const loc = `header:${name}`;
    if (URL_HEADERS.has(name)) {
      // a URL: scan it whole, then its query parameters like the request's own
      const f = scanValue(value, loc, false, ctx, 'url');
      if (f !== null) return f;
      const q = value.indexOf('?');
      if (q !== -1) {
        const g = scanPairs(value.slice(q + 1), loc, ctx, loc);
        if (g !== null) return g;
      }
      continue;
    }
    const f = scanValue(value, loc, false, ctx, 'value');
    if (f !== null) return f;
  }
  return null;
}

// ---------------------------------------------------------------------------
// body

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: false });

function bodyText(body: string | Uint8Array, max: number): string {
  if (typeof body === 'string') {
    if (body.length * 3 <= max) return body;
    const buf = new Uint8Array(max);
    const { read } = encoder.encodeInto(body, buf);
    return body.slice(0, read);
  }
  return decoder.decode(body.length > max ? body.subarray(0, max) : body);
}

function jsonPath(parent: Loc, key: string | number): JsonLoc {
  return { parent, key };
}

function scanJsonValue(root: unknown, ctx: Ctx): Finding {
  const stack: Array<{ v: unknown; loc: Loc }> = [{ v: root, loc: 'body:json' }];
  while (stack.length > 0) {
    const { v, loc } = stack.pop() as { v: unknown; loc: Loc };
    if (typeof v === 'string') {
      const f = scanValue(v, loc, false, ctx);
      if (f !== null) return f;
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ v: v[i], loc: jsonPath(loc, i) });
    } else if (v !== null && typeof v === 'object') {
      const keys = Object.keys(v);
      for (const k of keys) {
        const f = scanValue(k, jsonPath(loc, k), false, ctx);
        if (f !== null) return f;
      }
      for (let i = keys.length - 1; i >= 0; i--) {
        const k = keys[i] as string;
        stack.push({ v: (v as Record<string, unknown>)[k], loc: jsonPath(loc, k) });
      }
    }
  }
  return null;
}

const JSON_ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

function unescapeJsonString(s: string): string {
  if (s.indexOf('\\') === -1) return s;
  return s.replace(/\\(?:u([0-9a-fA-F]{4})|(.))/gs, (m, hex: string | undefined, ch: string | undefined) => {
    if (hex !== undefined) return String.fromCharCode(parseInt(hex, 16));
    return ch !== undefined ? (JSON_ESCAPES[ch] ?? ch) : m;
  });
}

/**
 * Invalid (often truncated) JSON: scan each string literal on its own, and the
 * text outside string literals as one raw value.
 */
function scanLenientJson(text: string, ctx: Ctx): Finding {
  let residue = '';
  let i = 0;
  const n = text.length;
  let lastKey = '';
  while (i < n) {
    const q = text.indexOf('"', i);
    if (q === -1) {
      residue += text.slice(i);
      break;
    }
    residue += text.slice(i, q) + ' ';
    let j = q + 1;
    while (j < n && text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
    const lit = unescapeJsonString(text.slice(q + 1, Math.min(j, n)));
    let k = j + 1;
    while (k < n && (text[k] === ' ' || text[k] === '\n' || text[k] === '\r' || text[k] === '\t')) k++;
    const isKey = text[k] === ':';
    const loc = isKey || lastKey === '' ? 'body:json' : `body:json.${lastKey}`;
    const f = scanValue(lit, loc, false, ctx);
    if (f !== null) return f;
    if (isKey) lastKey = safeForLog(lit, 40);
    i = j + 1;
  }
  return scanValue(residue, 'body', false, ctx);
}

function scanMultipart(text: string, contentType: string, ctx: Ctx): Finding {
  const bm = /boundary=(?:"([^"]{1,200})"|([^;\s]{1,200}))/i.exec(contentType);
  const boundary = bm?.[1] ?? bm?.[2];
  if (boundary === undefined) return scanValue(text, 'body', false, ctx);
  const parts = text.split(`--${boundary}`);
  for (let p = 1; p < parts.length; p++) {
    const part = parts[p] as string;
    if (part.startsWith('--')) break;
    let sep = part.indexOf('\r\n\r\n');
    let sepLen = 4;
    if (sep === -1) {
      sep = part.indexOf('\n\n');
      sepLen = 2;
    }
    const head = sep === -1 ? part : part.slice(0, sep);
    let content = sep === -1 ? '' : part.slice(sep + sepLen);
    if (content.endsWith('\r\n')) content = content.slice(0, -2);
    else if (content.endsWith('\n')) content = content.slice(0, -1);
    const name = /\bname="([^"]*)"/i.exec(head)?.[1] ?? '';
    const filename = /\bfilename="([^"]*)"/i.exec(head)?.[1];
    if (filename !== undefined) {
      // file content is opaque; the client-supplied file name is not
      const f = scanValue(filename, `body:multipart.${name}.filename`, false, ctx);
      if (f !== null) return f;
      continue;
    }
    const f = scanValue(content, `body:multipart.${name}`, false, ctx);
    if (f !== null) return f;
  }
  return null;
}

function scanBody(body: string | Uint8Array, contentType: string | undefined, ctx: Ctx): Finding {
  const max = ctx.opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  if (!(max > 0) || body.length === 0) return null;
  const ct = contentType ?? '';
  if (BINARY_CONTENT_RE.test(ct)) return null;
  const text = bodyText(body, max);
  if (MULTIPART_CONTENT_RE.test(ct)) return scanMultipart(text, ct, ctx);
  if (FORM_CONTENT_RE.test(ct)) return scanPairs(text, 'body:form.', ctx);
  const trimmed = text.trimStart();
  const looksJson = trimmed.startsWith('{') || trimmed.startsWith('[');
  if (JSON_CONTENT_RE.test(ct) || (ct === '' && looksJson)) {
    let parsed: unknown;
    let ok = false;
    try {
      parsed = JSON.parse(text);
      ok = true;
    } catch {
      ok = false;
    }
    if (ok) return scanJsonValue(parsed, ctx);
    return looksJson ? scanLenientJson(text, ctx) : scanValue(text, 'body', false, ctx);
  }
  if (ct === '' && /^[\w.\-[\]%]+=[^\s]*$/.test(text)) return scanPairs(text, 'body:form.', ctx);
  return scanValue(text, 'body', false, ctx);
}

// ---------------------------------------------------------------------------

/** Forgets the values remembered as clean (benchmarks start cold with it). */
export function resetInspectionCache(): void {
  for (const sets of CLEAN_VALUES.values()) for (const set of sets) set.clear();
  cleanCount = 0;
}

/** Returns the first finding, or null when the request looks clean. Pure and synchronous; never throws. */
export function inspectRequest(input: InspectionInput, options: InspectionOptions): InspectionFinding | null {
  if (!options.sqlInjection && !options.xss && !options.pathTraversal && options.commandInjection !== true) return null;
  try {
    const rawPath = typeof input.path === 'string' ? input.path : '';
    let exclusions: readonly InspectionExclusion[] = [];
    if (options.exclusions !== undefined && options.exclusions.length > 0) {
      const q = rawPath.indexOf('?');
      const pathOnly = typeof input.normalizedPath === 'string' ? input.normalizedPath : percentDecode(q === -1 ? rawPath : rawPath.slice(0, q), false);
      exclusions = options.exclusions.filter((e) => e.paths === undefined || e.paths.some((re) => re.test(pathOnly)));
    }
    const strict = options.paranoia === 'strict';
    const cacheKey = `${options.sqlInjection ? 's' : '-'}${options.xss ? 'x' : '-'}${options.pathTraversal ? 't' : '-'}${options.commandInjection === true ? 'c' : '-'}${strict ? 'S' : 'A'}`;
    let clean = CLEAN_VALUES.get(cacheKey);
    if (clean === undefined) {
      clean = Array.from({ length: 6 }, () => new Set<string>());
      CLEAN_VALUES.set(cacheKey, clean);
    }
    const ctx: Ctx = { clean, opts: options, strict, exclusions };
    const p = typeof input.path === 'string' ? scanPath(input.path, ctx) : null;
    if (p !== null) return p;
    if (input.headers !== undefined && input.headers !== null) {
      const h = scanHeaders(input.headers, ctx);
      if (h !== null) return h;
    }
    if (input.body !== undefined && input.body !== null) {
      const ct = input.contentType ?? input.headers?.get('content-type');
      return scanBody(input.body, ct, ctx);
    }
    return null;
  } catch {
    // Detectors are written not to throw; should one ever do so, fail open
    // rather than deny every request (inspection is an extra layer).
    return null;
  }
}
