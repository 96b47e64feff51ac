/**
 * `npm run bench:openapi [-- --dir <descriptions> --rounds 30]`: what positive validation costs with real, large
 * OpenAPI descriptions. For each description: parse and compile time through the policy compiler (a ConfigMap
 * input, as the operator gathers it), the compiled size against what the distribution stream (64 MiB) and the
 * snapshot ConfigMap (1 MiB, gzip when large) carry, the authz-server's build time (schema check + router), the
 * time to compile every operation's validators (done in the background by the server) and the heap they take,
 * and the cost of validating one request in process (p50/p90/p99 over generated requests, one per operation and
 * round), plus the whole decision pipeline with and without the description.
 *
 * The descriptions are not in the repository (licences, size): put them in --dir (default
 * ~/.cache/palisade/openapi). Files: `*.json`, `*.yaml`, `*.yml` are used as they are; a directory holding
 * several descriptions of one provider (one JSON file per product) is merged into one description with each
 * product's paths under `/<file name>`; a directory holding one multi-file description (a root YAML whose
 * `$ref`s point at other files) is bundled into one document (both written out as indented JSON, the size a
 * file of them would have). Each description is measured in a fresh process (--expose-gc for the heap numbers).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { parse as parseYaml } from 'yaml';
import { compile } from '../lib/policy/compile.ts';
import { snapshotBytes } from '../lib/distribution/codec.ts';
import { MAX_SNAPSHOT_MESSAGE_BYTES } from '../lib/distribution/protos.ts';
import { API_SCHEMA_ID, type CompiledApi, type JsonSchema } from '../lib/policy/openapi.ts';
import { evaluateRequest } from '../authz-server/src/pipeline/pipeline.ts';
import { RateLimiter } from '../authz-server/src/pipeline/rate-limiter.ts';
import { toRequestContext, type RequestContext } from '../authz-server/src/pipeline/request.ts';
import { buildRuntime } from '../authz-server/src/pipeline/runtime.ts';
import { MemoryCounterStore } from '../authz-server/src/store/memory-store.ts';

const CONFIGMAP_BYTES = 1_000_000;

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Several single-file descriptions (one per product) as one: each product's paths under `/<file name>`, its
 * components renamed `<file name>.<name>` (products reuse names) and its references rewritten to match.
 */
function mergeProducts(dir: string): { doc: Obj; text: string } {
  const merged: Obj = { openapi: '3.0.3', info: { title: `${basename(dir)} (all products)`, version: '1' }, paths: {}, components: {} };
  const paths = merged['paths'] as Obj;
  const components = merged['components'] as Record<string, Obj>;
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const product = basename(file, '.json');
    const rename = (node: unknown): unknown => {
      if (Array.isArray(node)) return node.map(rename);
      if (!isObj(node)) return node;
      return Object.fromEntries(
        Object.entries(node).map(([k, v]) => [k, k === '$ref' && typeof v === 'string' ? v.replace(/^#\/components\/([^/]+)\/([^/]+)/, `#/components/$1/${product}.$2`) : rename(v)]),
      );
    };
    const doc = rename(JSON.parse(readFileSync(join(dir, file), 'utf8'))) as Obj;
    for (const [p, item] of Object.entries((doc['paths'] as Obj | undefined) ?? {})) paths[`/${product}${p}`] = item;
    for (const [kind, entries] of Object.entries((doc['components'] as Obj | undefined) ?? {})) {
      const into = (components[kind] ??= {});
      for (const [name, value] of Object.entries(entries as Obj)) into[`${product}.${name}`] = value;
    }
  }
  return { doc: merged, text: JSON.stringify(merged, null, 2) };
}

/** A multi-file description bundled into one document: other files' `$ref`s are inlined (cycles cut to `{}`). */
function bundle(root: string): { doc: Obj; text: string; cycles: number } {
  const files = new Map<string, unknown>();
  const load = (file: string) => {
    let d = files.get(file);
    if (d === undefined) files.set(file, (d = parseYaml(readFileSync(file, 'utf8'), { maxAliasCount: 10_000 })));
    return d;
  };
  const pointer = (doc: unknown, fragment: string) => {
    let node = doc;
    for (const raw of fragment.split('/').slice(1)) node = (node as Obj)[decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~')];
    return node;
  };
  let cycles = 0;
  const walk = (node: unknown, file: string, stack: string[]): unknown => {
    if (Array.isArray(node)) return node.map((n) => walk(n, file, stack));
    if (!isObj(node)) return node;
    const ref = node['$ref'];
    if (typeof ref === 'string' && !(ref.startsWith('#') && file === root)) {
      const [target = '', fragment = ''] = ref.split('#');
      const targetFile = target === '' ? file : resolve(dirname(file), target);
      const id = `${targetFile}#${fragment}`;
      if (stack.includes(id)) {
        cycles++;
        return {};
      }
      return walk(pointer(load(targetFile), fragment), targetFile, [...stack, id]);
    }
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(v, file, stack)]));
  };
  const doc = walk(load(root), root, []) as Obj;
  return { doc, text: JSON.stringify(doc, null, 2), cycles };
}

interface Input {
  name: string;
  text: string;
  note: string;
}

function inputs(dir: string, only?: string): Input[] {
  const out: Input[] = [];
  for (const entry of readdirSync(dir).sort()) {
    if (only !== undefined && entry !== only) continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) {
      const jsons = readdirSync(path).filter((f) => f.endsWith('.json'));
      const yamlRoot = readdirSync(path, { recursive: true, encoding: 'utf8' }).find((f) => /\.v\d+\.ya?ml$|^openapi\.ya?ml$|\/openapi\.ya?ml$/.test(f) || /public\.v2\.yaml$/.test(f));
      if (jsons.length > 1) out.push({ name: `${entry} (${jsons.length} products merged)`, text: mergeProducts(path).text, note: 'merged' });
      else if (yamlRoot) {
        const b = bundle(join(path, yamlRoot));
        out.push({ name: `${entry} (bundled)`, text: b.text, note: `bundled, ${b.cycles} cyclic refs cut` });
      }
    } else if (['.json', '.yaml', '.yml'].includes(extname(entry))) {
      out.push({ name: entry, text: readFileSync(path, 'utf8'), note: '' });
    }
  }
  return out;
}

// ---- request generation: one plausible request per operation -------------------------------------------------

/** A short string matching a simple regular expression (the subset descriptions use), or null. */
function fromPattern(pattern: string): string | null {
  let i = 0;
  const src = pattern;
  const atom = (): string | null => {
    const c = src[i++];
    if (c === undefined) return null;
    if (c === '\\') {
      const e = src[i++] ?? '';
      return ({ d: '1', w: 'a', s: ' ', D: 'a', W: '-', S: 'a' } as Record<string, string>)[e] ?? e;
    }
    if (c === '.') return 'a';
    if (c === '[') {
      const end = src.indexOf(']', i + 1);
      const body = src.slice(i, end);
      i = end + 1;
      if (body.startsWith('^')) return body.includes('a') ? 'z' : 'a';
      const first = body.startsWith('\\') ? (({ d: '1', w: 'a', s: ' ' } as Record<string, string>)[body[1] ?? ''] ?? body[1] ?? 'a') : (body[0] ?? 'a');
      return first;
    }
    if (c === '(') {
      if (src[i] === '?') i += src[i + 1] === ':' ? 2 : 3;
      const alts = alternation();
      i++; // ')'
      return alts;
    }
    return c;
  };
  const sequence = (): string | null => {
    let out = '';
    while (i < src.length && src[i] !== '|' && src[i] !== ')') {
      if (src[i] === '^' || src[i] === '$') {
        i++;
        continue;
      }
      const a = atom();
      if (a === null) return null;
      let n = 1;
      const q = src[i];
      if (q === '*' || q === '?') [n, i] = [0, i + 1];
      else if (q === '+') i++;
      else if (q === '{') {
        const end = src.indexOf('}', i);
        n = Number(src.slice(i + 1, end).split(',')[0]);
        i = end + 1;
      }
      if (src[i] === '?') i++;
      out += a.repeat(n);
    }
    return out;
  };
  const alternation = (): string | null => {
    const first = sequence();
    while (src[i] === '|') {
      i++;
      sequence();
    }
    return first;
  };
  try {
    const out = alternation();
    return out !== null && new RegExp(pattern).test(out) ? out : null;
  } catch {
    return null;
  }
}

function sample(schema: JsonSchema | null | undefined, defs: Record<string, JsonSchema>, depth = 0): unknown {
  if (schema === null || schema === undefined || typeof schema === 'boolean' || depth > 8) return 'x';
  const ref = schema['$ref'];
  if (typeof ref === 'string') return sample(defs[ref.slice(`${API_SCHEMA_ID}#/$defs/`.length).replace(/~1/g, '/').replace(/~0/g, '~')], defs, depth + 1);
  if ('const' in schema) return schema['const'];
  if (Array.isArray(schema['enum'])) return schema['enum'].find((v) => v !== null) ?? null;
  for (const k of ['oneOf', 'anyOf']) if (Array.isArray(schema[k]) && schema[k].length > 0) return sample(schema[k][0] as JsonSchema, defs, depth + 1);
  if (Array.isArray(schema['allOf'])) {
    const parts = schema['allOf'].map((s) => sample(s as JsonSchema, defs, depth + 1));
    return parts.every(isObj) ? Object.assign({}, ...parts) : parts[0];
  }
  const types = Array.isArray(schema['type']) ? (schema['type'] as string[]) : [schema['type'] ?? (schema['properties'] ? 'object' : 'string')];
  const type = types.find((t) => t !== 'null') ?? 'null';
  switch (type) {
    case 'object': {
      const props = isObj(schema['properties']) ? schema['properties'] : {};
      const required = Array.isArray(schema['required']) ? (schema['required'] as string[]) : [];
      return Object.fromEntries(required.map((k) => [k, sample(props[k] as JsonSchema, defs, depth + 1)]));
    }
    case 'array':
      return Array.from({ length: Math.max(1, Number(schema['minItems'] ?? 1)) }, () => sample(schema['items'] as JsonSchema, defs, depth + 1));
    case 'integer':
    case 'number':
      return Math.max(Number(schema['minimum'] ?? 1), Number(schema['exclusiveMinimum'] ?? 0) + 1);
    case 'boolean':
      return true;
    case 'null':
      return null;
    default: {
      const formats: Record<string, string> = { 'date-time': '2026-01-01T00:00:00Z', date: '2026-01-01', email: 'a@example.com', uri: 'https://example.com/', uuid: '3f2504e0-4f89-11d3-9a0c-0305e82c3301', ipv4: '192.0.2.1' };
      const fromRe = typeof schema['pattern'] === 'string' ? fromPattern(schema['pattern']) : null;
      return fromRe ?? formats[String(schema['format'])] ?? 'a'.repeat(Math.max(3, Math.min(Number(schema['minLength'] ?? 3), Number(schema['maxLength'] ?? 3))));
    }
  }
}

/** One generated request per operation of `api`. */
export function requests(api: CompiledApi): RequestContext[] {
  return api.operations.map((op) => {
    const path = op.path.replace(/\{([^}]+)\}/g, (_, name: string) => encodeURIComponent(String(sample(op.params.find((p) => p.in === 'path' && p.name === name)?.schema, api.defs))));
    const query = new URLSearchParams();
    const headers: Record<string, string> = { ':authority': 'api.example.com', ':method': op.method, 'user-agent': 'Mozilla/5.0', accept: 'application/json' };
    for (const p of op.params.filter((x) => x.required && x.in !== 'path')) {
      const v = sample(p.schema, api.defs);
      const text = Array.isArray(v) ? v.join(',') : isObj(v) ? JSON.stringify(v) : String(v);
      if (p.in === 'query') query.set(p.name, text);
      else headers[p.name] = text;
    }
    headers[':path'] = `${api.basePath}${path}${query.size > 0 ? `?${query}` : ''}`;
    let body: string | undefined;
    const content = op.body?.content[0];
    if (content) {
      const v = sample(content.schema, api.defs);
      body = content.mediaType.includes('form') && isObj(v) ? new URLSearchParams(Object.entries(v).map(([k, x]): [string, string] => [k, String(x)])).toString() : JSON.stringify(v);
      headers['content-type'] = content.mediaType.includes('*') ? 'application/json' : content.mediaType;
      headers['content-length'] = String(Buffer.byteLength(body));
    }
    return toRequestContext({ attributes: { source: { address: { socket_address: { address: '10.0.0.1', port_value: 1 } } }, request: { http: { headers, ...(body !== undefined ? { body } : {}) } } } });
  });
}

function quantiles(samples: number[]): { p50: number; p90: number; p99: number } {
  const s = [...samples].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))]! * 1000;
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99) };
}

function heapMb(): number {
  globalThis.gc?.();
  return process.memoryUsage().heapUsed / 1e6;
}

const f1 = (n: number) => n.toFixed(1);
const f0 = (n: number) => n.toFixed(0);
const mb = (n: number) => (n / 1e6).toFixed(2);

/** Measures one description (in its own process); returns its two table rows. */
async function measure(input: Input, rounds: number): Promise<{ row: string; cost: string }> {
  const policy = {
    metadata: { name: 'api', namespace: 'bench' },
    spec: { hosts: ['api.example.com'], openapi: { configMapRef: { name: 'api', key: 'openapi' } } },
  };
  const configMap = { namespace: 'bench', name: 'api', labels: {}, data: { openapi: input.text }, binaryData: {} };
  let t = performance.now();
  const { snapshot, violations } = compile([policy as never], [], new Date(), { configMaps: [configMap] });
  const compileMs = performance.now() - t;
  if (violations.length > 0) return { row: `| ${input.name} | refused: ${violations[0]?.message.slice(0, 160)} |`, cost: '' };
  t = performance.now();
  compile([policy as never], [], new Date(), { configMaps: [configMap] });
  const recompileMs = performance.now() - t;
  const api = snapshot.policies[0]!.api!;
  const json = Buffer.byteLength(JSON.stringify(snapshot));
  const gz = snapshotBytes(snapshot, 0).bytes.length;
  const cmBytes = Math.ceil(gz / 3) * 4;

  const before = heapMb();
  t = performance.now();
  const runtime = buildRuntime(snapshot, { apiCache: new Map() });
  const buildMs = performance.now() - t;
  const validator = runtime.policies.get('bench/api')!.api!.validator;
  t = performance.now();
  validator.compileAll();
  const allMs = performance.now() - t;
  const heap = heapMb() - before;

  const reqs = requests(api);
  let valid = 0;
  for (const r of reqs) if (validator.validate(r).ok) valid++;
  const times: number[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const r of reqs) {
      const t0 = performance.now();
      validator.validate(r);
      times.push(performance.now() - t0);
    }
  }
  const v = quantiles(times);

  // The whole pipeline (in process, memory store, no other stage configured) with and without the description.
  const bare = buildRuntime({ ...snapshot, policies: [{ ...snapshot.policies[0]!, api: null }] });
  const store = new MemoryCounterStore({ sweepIntervalMs: 0 });
  const deps = { limiter: new RateLimiter({ store, fallback: store }), clock: Date.now };
  const pipeline = async (rt: typeof runtime) => {
    const ts: number[] = [];
    for (let round = 0; round < rounds; round++) {
      for (const r of reqs) {
        const t0 = performance.now();
        await evaluateRequest(rt, r, deps);
        ts.push(performance.now() - t0);
      }
    }
    return quantiles(ts);
  };
  const without = await pipeline(bare);
  const withApi = await pipeline(runtime);
  await store.close();
  return {
    row: `| ${input.name} | ${api.openapi} | ${mb(input.text.length)} (${mb(gzipSync(input.text).length)}) | ${api.operations.length} | ${f0(compileMs)} (${f0(recompileMs)}) | ${mb(json)} / ${mb(gz)} | ${cmBytes <= CONFIGMAP_BYTES ? 'yes' : 'no'} (${mb(cmBytes)}) | ${json <= MAX_SNAPSHOT_MESSAGE_BYTES ? 'yes' : 'no'} | ${f0(buildMs)} | ${f0(allMs)} | ${f1(heap)} |`,
    cost: `| ${input.name} | ${valid}/${reqs.length} | ${f1(v.p50)} | ${f1(v.p90)} | ${f1(v.p99)} | ${f1(without.p50)} / ${f1(without.p99)} | ${f1(withApi.p50)} / ${f1(withApi.p99)} |`,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { dir: { type: 'string' }, rounds: { type: 'string' }, one: { type: 'string' } } });
  const dir = values.dir ?? join(homedir(), '.cache/palisade/openapi');
  const rounds = Number(values.rounds ?? 30);
  if (!existsSync(dir)) throw new Error(`no descriptions in ${dir}: put OpenAPI 3.0/3.1 descriptions there (README "API model" lists the ones measured)`);
  if (values.one !== undefined) {
    const [input] = inputs(dir, values.one);
    if (!input) throw new Error(`no description ${values.one} in ${dir}`);
    process.stdout.write(JSON.stringify({ ...(await measure(input, rounds)), note: input.note }));
    return;
  }
  const load = readFileSync('/proc/loadavg', 'utf8').trim();
  process.stdout.write(`OpenAPI validation bench, Node ${process.version}, ${rounds} rounds, load average at start: ${load}\n\n`);
  const rows: string[] = [];
  const costs: string[] = [];
  for (const entry of readdirSync(dir).sort()) {
    const out = execFileSync(process.execPath, ['--expose-gc', import.meta.filename, '--dir', dir, '--rounds', String(rounds), '--one', entry], { encoding: 'utf8', maxBuffer: 1 << 24 }).trim();
    if (out === '') continue;
    const r = JSON.parse(out) as { row: string; cost: string; note: string };
    rows.push(r.row);
    if (r.cost) costs.push(r.cost);
    process.stderr.write(`done: ${entry}${r.note ? ` (${r.note})` : ''}\n`);
  }
  process.stdout.write(
    [
      '| description | OpenAPI | MB (gzip) | operations | compile ms (again, memoized) | snapshot JSON / gzip MB | fits the 1 MiB ConfigMap (base64 of gzip) | fits the 64 MiB stream | authz build ms | all validators ms | validators heap MB |',
      '|---|---|---:|---:|---:|---:|---|---|---:|---:|---:|',
      ...rows,
      '',
      '| description | generated requests valid | validate p50 µs | p90 µs | p99 µs | pipeline without description p50 / p99 µs | with description p50 / p99 µs |',
      '|---|---:|---:|---:|---:|---:|---:|',
      ...costs,
      `\nload average at the end: ${readFileSync('/proc/loadavg', 'utf8').trim()}`,
      '',
    ].join('\n'),
  );
}

if (import.meta.main) await main();
