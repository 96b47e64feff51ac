/**
 * Strict parsing of Envoy configuration (YAML/JSON in the proto3 JSON mapping, as Envoy reads it) into Envoy's
 * official v3 messages with protobufjs, from the protos shipped in @grpc/grpc-js-xds.
 *
 * protobufjs' own `fromObject` silently drops unknown fields; Envoy refuses them. So the object is walked against
 * the message descriptors first: every key must be a field (proto name or json_name), every value must fit its
 * field's type, `@type` of every google.protobuf.Any is resolved (loading the proto that declares it on demand)
 * and its payload checked the same way, recursively. A few protoc-gen-validate rules Envoy enforces at load time
 * are checked too (required messages and oneofs, string min_len, repeated min_items). The walk produces the
 * protobufjs form (Durations as seconds/nanos, Any packed as bytes, wrappers and Struct expanded), which is then
 * encoded and decoded as the target message.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import protobuf from 'protobufjs';
import { ENVOY_PROTO_INCLUDE_DIRS } from '../../authz-server/src/envoy/protos.ts';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const { Root, Type, Enum, MapField } = protobuf;
type PbType = protobuf.Type;
type PbField = protobuf.Field;

/** Where protobufjs finds google/protobuf/descriptor.proto and friends that are not in its `common` set. */
const PROTOBUFJS_DIR = dirname(createRequire(import.meta.url).resolve('protobufjs/package.json'));

export class EnvoyConfigError extends Error {
  override name = 'EnvoyConfigError';
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`invalid Envoy configuration:\n  ${problems.join('\n  ')}`);
    this.problems = problems;
  }
}

/** Envoy's protos, loaded lazily; `ensureType` loads the file that declares a message on first use. */
export class EnvoyProtos {
  readonly root: protobuf.Root;
  #index: Map<string, string> | null = null;

  constructor() {
    const root = new Root();
    const dirs = [...ENVOY_PROTO_INCLUDE_DIRS, PROTOBUFJS_DIR];
    root.resolvePath = (_origin: string, target: string) => {
      if ((protobuf.common as unknown as Record<string, unknown>)[target]) return target;
      for (const d of dirs) {
        const p = join(d, target);
        if (existsSync(p)) return p;
      }
      return target;
    };
    this.root = root;
  }

  /** fully.qualified.Message -> proto file (relative to its include dir), for every message in Envoy's API. */
  #typeIndex(): Map<string, string> {
    if (this.#index) return this.#index;
    const index = new Map<string, string>();
    const walk = (base: string, rel: string) => {
      for (const ent of readdirSync(join(base, rel), { withFileTypes: true })) {
        const r = rel ? `${rel}/${ent.name}` : ent.name;
        if (ent.isDirectory()) walk(base, r);
        else if (ent.name.endsWith('.proto')) {
          const text = readFileSync(join(base, r), 'utf8');
          const pkg = /^package\s+([\w.]+)\s*;/m.exec(text)?.[1];
          if (!pkg) continue;
          for (const m of text.matchAll(/^message\s+(\w+)\s*\{/gm)) index.set(`${pkg}.${m[1]}`, r);
        }
      }
    };
    for (const d of ENVOY_PROTO_INCLUDE_DIRS) walk(d, '');
    this.#index = index;
    return index;
  }

  /** The message type `name` (without a leading dot), loading its proto when needed; null if Envoy has none. */
  ensureType(name: string): PbType | null {
    const found = this.root.lookup(name);
    if (found instanceof Type) return found;
    const file = this.#typeIndex().get(name);
    if (!file) return null;
    this.root.loadSync(file, { keepCase: true });
    this.root.resolveAll();
    const t = this.root.lookup(name);
    return t instanceof Type ? t : null;
  }
}

const INT_TYPES = new Set(['int32', 'uint32', 'sint32', 'fixed32', 'sfixed32', 'int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);
const WRAPPERS: Record<string, string> = {
  'google.protobuf.DoubleValue': 'double',
  'google.protobuf.FloatValue': 'float',
  'google.protobuf.Int64Value': 'int64',
  'google.protobuf.UInt64Value': 'uint64',
  'google.protobuf.Int32Value': 'int32',
  'google.protobuf.UInt32Value': 'uint32',
  'google.protobuf.BoolValue': 'bool',
  'google.protobuf.StringValue': 'string',
  'google.protobuf.BytesValue': 'bytes',
};

function isObject(v: unknown): v is { [k: string]: Json } {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function opt(obj: { options?: Record<string, unknown> | undefined } | null | undefined, key: string): unknown {
  return obj?.options?.[key];
}

/** Converts and checks; collects every problem with its path rather than stopping at the first. */
class Walker {
  readonly problems: string[] = [];
  readonly protos: EnvoyProtos;
  constructor(protos: EnvoyProtos) {
    this.protos = protos;
  }

  fail(path: string, msg: string): undefined {
    this.problems.push(`${path || '<root>'}: ${msg}`);
    return undefined;
  }

  scalar(path: string, type: string, v: Json): unknown {
    if (INT_TYPES.has(type)) {
      if (typeof v === 'number' && Number.isInteger(v)) return v;
      if (typeof v === 'string' && /^-?\d+$/.test(v)) return type.endsWith('64') ? v : Number(v);
      return this.fail(path, `expected an integer (${type}), got ${JSON.stringify(v)}`);
    }
    switch (type) {
      case 'double':
      case 'float':
        if (typeof v === 'number' || (typeof v === 'string' && /^(-?\d+(\.\d+)?([eE][-+]?\d+)?|NaN|-?Infinity)$/.test(v))) return Number(v);
        return this.fail(path, `expected a number (${type}), got ${JSON.stringify(v)}`);
      case 'bool':
        if (typeof v === 'boolean') return v;
        return this.fail(path, `expected true or false, got ${JSON.stringify(v)}`);
      case 'string':
        if (typeof v === 'string') return v;
        return this.fail(path, `expected a string, got ${JSON.stringify(v)}`);
      case 'bytes':
        if (typeof v === 'string' && /^[A-Za-z0-9+/_-]*={0,2}$/.test(v)) return Buffer.from(v, 'base64');
        return this.fail(path, `expected base64 bytes, got ${JSON.stringify(v)}`);
      default:
        return this.fail(path, `unsupported scalar type ${type}`);
    }
  }

  enumValue(path: string, e: protobuf.Enum, v: Json): unknown {
    if (typeof v === 'string') {
      if (v in e.values) return e.values[v];
      return this.fail(path, `${JSON.stringify(v)} is not a value of enum ${e.fullName.slice(1)} (${Object.keys(e.values).join(', ')})`);
    }
    if (typeof v === 'number' && Number.isInteger(v)) {
      if (Object.values(e.values).includes(v)) return v;
      return this.fail(path, `${v} is not a value of enum ${e.fullName.slice(1)}`);
    }
    return this.fail(path, `expected an enum value of ${e.fullName.slice(1)}, got ${JSON.stringify(v)}`);
  }

  /** One value of `field` (an element, for repeated fields). */
  value(path: string, field: PbField, v: Json): unknown {
    const rt = field.resolvedType;
    if (rt instanceof Enum) return this.enumValue(path, rt, v);
    if (rt instanceof Type) return this.message(path, rt, v);
    return this.scalar(path, field.type, v);
  }

  /** A message in the proto3 JSON mapping -> protobufjs object. */
  message(path: string, type: PbType, v: Json): unknown {
    const name = type.fullName.slice(1);
    // Well-known types with a special JSON form.
    if (name === 'google.protobuf.Duration') {
      const m = typeof v === 'string' ? /^(-)?(\d+)(?:\.(\d{1,9}))?s$/.exec(v) : null;
      if (!m) return this.fail(path, `expected a Duration like "1.5s", got ${JSON.stringify(v)}`);
      const sign = m[1] ? -1 : 1;
      return { seconds: sign * Number(m[2]), nanos: sign * Number((m[3] ?? '').padEnd(9, '0')) };
    }
    if (name === 'google.protobuf.Timestamp') {
      const ms = typeof v === 'string' ? Date.parse(v) : NaN;
      if (Number.isNaN(ms)) return this.fail(path, `expected an RFC 3339 timestamp, got ${JSON.stringify(v)}`);
      return { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 };
    }
    if (name in WRAPPERS) {
      const s = this.scalar(path, WRAPPERS[name] ?? 'string', v);
      return s === undefined ? undefined : { value: s };
    }
    if (name === 'google.protobuf.FieldMask') {
      if (typeof v !== 'string') return this.fail(path, `expected a FieldMask string, got ${JSON.stringify(v)}`);
      return { paths: v === '' ? [] : v.split(',') };
    }
    if (name === 'google.protobuf.Struct') {
      if (!isObject(v)) return this.fail(path, 'expected an object (Struct)');
      return { fields: Object.fromEntries(Object.entries(v).map(([k, x]) => [k, this.structValue(x)])) };
    }
    if (name === 'google.protobuf.Value') return this.structValue(v);
    if (name === 'google.protobuf.ListValue') {
      if (!Array.isArray(v)) return this.fail(path, 'expected an array (ListValue)');
      return { values: v.map((x) => this.structValue(x)) };
    }
    if (name === 'google.protobuf.Any') return this.any(path, v);

    if (!isObject(v)) return this.fail(path, `expected an object (${name}), got ${JSON.stringify(v)}`);
    const out: Record<string, unknown> = {};
    const byJsonName = new Map<string, PbField>();
    for (const f of type.fieldsArray) byJsonName.set(opt(f, 'json_name') as string | undefined ?? protobuf.util.camelCase(f.name), f);
    const setOneofs = new Map<string, string>();
    for (const [key, raw] of Object.entries(v)) {
      const field = type.fields[key] ?? byJsonName.get(key);
      const p = path ? `${path}.${key}` : key;
      if (!field) {
        this.fail(p, `unknown field "${key}" in ${name}`);
        continue;
      }
      if (opt(field, 'deprecated') === true) this.fail(p, `field "${key}" of ${name} is deprecated (Envoy refuses deprecated fields by default)`);
      if (raw === null) continue;
      if (field.partOf) {
        const other = setOneofs.get(field.partOf.name);
        if (other) this.fail(p, `"${key}" and "${other}" are both set, but they are one oneof (${field.partOf.name}) of ${name}`);
        setOneofs.set(field.partOf.name, key);
      }
      if (field instanceof MapField) {
        if (!isObject(raw)) {
          this.fail(p, `expected an object (map<${field.keyType}, ${field.type}>)`);
          continue;
        }
        out[field.name] = Object.fromEntries(Object.entries(raw).map(([k, x]) => [k, this.value(`${p}["${k}"]`, field, x)]));
      } else if (field.repeated) {
        if (!Array.isArray(raw)) {
          this.fail(p, `expected a list for repeated field "${key}" of ${name}`);
          continue;
        }
        const minItems = opt(field, '(validate.rules).repeated.min_items');
        if (typeof minItems === 'number' && raw.length < minItems) this.fail(p, `needs at least ${minItems} item(s)`);
        out[field.name] = raw.map((x, i) => this.value(`${p}[${i}]`, field, x));
      } else {
        const minLen = opt(field, '(validate.rules).string.min_len');
        if (typeof minLen === 'number' && typeof raw === 'string' && raw.length < minLen) this.fail(p, `must have at least ${minLen} character(s)`);
        out[field.name] = this.value(p, field, raw);
      }
    }
    // protoc-gen-validate rules Envoy checks when it loads the config.
    for (const f of type.fieldsArray) {
      // (Inside a oneof the rule only applies to the member that is set; the oneof's own rule is checked below.)
      if (!f.partOf && opt(f, '(validate.rules).message.required') === true && (v[f.name] ?? v[protobuf.util.camelCase(f.name)]) == null) {
        this.fail(path ? `${path}.${f.name}` : f.name, `required field of ${name} is missing`);
      }
    }
    for (const o of type.oneofsArray) {
      if (opt(o, '(validate.required)') === true && !setOneofs.has(o.name)) {
        this.fail(path, `one of ${o.oneof.join(', ')} is required in ${name}`);
      }
    }
    return out;
  }

  structValue(v: Json): unknown {
    if (v === null) return { null_value: 0 };
    if (typeof v === 'number') return { number_value: v };
    if (typeof v === 'string') return { string_value: v };
    if (typeof v === 'boolean') return { bool_value: v };
    if (Array.isArray(v)) return { list_value: { values: v.map((x) => this.structValue(x)) } };
    return { struct_value: { fields: Object.fromEntries(Object.entries(v).map(([k, x]) => [k, this.structValue(x)])) } };
  }

  /** google.protobuf.Any: resolve @type, check the payload as that message, pack it. */
  any(path: string, v: Json): unknown {
    if (!isObject(v)) return this.fail(path, 'expected an object with "@type" (google.protobuf.Any)');
    const url = v['@type'];
    if (typeof url !== 'string' || !url.includes('/')) return this.fail(path, `Any without a valid "@type" (got ${JSON.stringify(url)})`);
    const typeName = url.slice(url.lastIndexOf('/') + 1);
    const t = this.protos.ensureType(typeName);
    if (!t) return this.fail(path, `@type ${url}: no such message in Envoy's protos`);
    const { '@type': _t, ...rest } = v;
    const special = t.fullName.slice(1).startsWith('google.protobuf.') && ('value' in rest) && Object.keys(rest).length === 1;
    const converted = this.message(`${path}(${t.name})`, t, special ? (rest['value'] ?? null) : rest);
    if (converted === undefined) return undefined;
    const err = t.verify(converted as Record<string, unknown>);
    if (err) return this.fail(`${path}(${t.name})`, `does not verify as ${typeName}: ${err}`);
    return { type_url: url, value: t.encode(t.fromObject(converted as Record<string, unknown>)).finish() };
  }
}

/**
 * Parses `config` (already YAML/JSON-decoded) into the Envoy message `typeName` (e.g.
 * `envoy.config.bootstrap.v3.Bootstrap`). Throws EnvoyConfigError listing every problem; returns the decoded
 * message (as a plain object with proto field names) and the encoded size.
 */
export function parseEnvoyConfig(protos: EnvoyProtos, typeName: string, config: unknown): { message: Record<string, unknown>; bytes: number; types: string[] } {
  const type = protos.ensureType(typeName);
  if (!type) throw new Error(`${typeName} is not in Envoy's protos`);
  const walker = new Walker(protos);
  const converted = walker.message('', type, config as Json);
  if (walker.problems.length > 0 || converted === undefined) throw new EnvoyConfigError(walker.problems);
  const err = type.verify(converted as Record<string, unknown>);
  if (err) throw new EnvoyConfigError([`does not verify as ${typeName}: ${err}`]);
  const bytes = type.encode(type.fromObject(converted as Record<string, unknown>)).finish();
  const decoded = type.toObject(type.decode(bytes), { defaults: false, longs: String, enums: String, bytes: String });
  const types: string[] = [];
  JSON.stringify(config, (k, x: unknown) => {
    if (k === '@type' && typeof x === 'string') types.push(x.slice(x.lastIndexOf('/') + 1));
    return x;
  });
  return { message: decoded, bytes: bytes.length, types };
}
