/**
 * One declarative flag table per process. From it come the `node:util` parseArgs options, the typed values (flag,
 * else environment variable, else default), the `--help` text and the README's flag table, so the four cannot
 * drift apart. Cross-flag rules (A needs B, A shorter than B) stay in each process's `config.ts`.
 */
import { parseArgs } from 'node:util';
import { ConfigError, bool, int } from './config-values.ts';

/** How a flag's text is turned into a value. `duration` values are milliseconds ("500ms", "15s", "2m"; bare = ms). */
export type FlagType = 'string' | 'int' | 'bool' | 'list' | 'duration';

/** One flag. `name` is the long option without dashes. */
export interface FlagSpec {
  readonly name: string;
  readonly type: FlagType;
  /** Value when neither the flag nor the environment variable is given; null = absent. */
  readonly default: string | number | boolean | readonly string[] | null;
  /** Environment variable read when the flag is absent (list flags: comma-separated). */
  readonly env?: string;
  readonly help: string;
  /** Heading the flag is listed under in `--help` and the README. */
  readonly group: string;
  /** Placeholder in `--help`, e.g. "<path>"; defaults from the type. */
  readonly arg?: string;
  /** How the default reads in `--help` and the README when the value alone does not say it (e.g. "all namespaces"). */
  readonly defaultText?: string;
  /** Inclusive bounds of int and duration flags. */
  readonly min?: number;
  readonly max?: number;
  /** The only values a string flag accepts. */
  readonly choices?: readonly string[];
}

type ValueOf<S extends FlagSpec> = S['type'] extends 'int' | 'duration'
  ? number
  : S['type'] extends 'bool'
    ? boolean
    : S['type'] extends 'list'
      ? string[]
      : string;

/** The parsed values of a table, keyed by flag name; a flag whose default is null may be null. */
export type FlagValues<T extends readonly FlagSpec[]> = {
  [S in T[number] as S['name']]: S['default'] extends null ? ValueOf<S> | null : ValueOf<S>;
};

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m)?$/;

/** Parses "500ms", "15s", "2m" (a bare number is milliseconds); `fallbackMs` when absent or empty. */
export function parseDuration(name: string, raw: string | undefined, fallbackMs: number): number {
  if (raw === undefined || raw === '') return fallbackMs;
  const m = DURATION.exec(raw.trim());
  if (!m) throw new ConfigError(`${name} must be a duration like 500ms, 15s or 2m, got ${JSON.stringify(raw)}`);
  const n = Number(m[1]);
  const unit = m[2] ?? 'ms';
  return Math.round(unit === 'm' ? n * 60_000 : unit === 's' ? n * 1000 : n);
}

/** Formats milliseconds the way a duration flag is written ("15s", "500ms", "2m"). */
export function formatDuration(ms: number): string {
  if (ms !== 0 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms !== 0 && ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

function splitList(raw: string): string[] {
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function convert(spec: FlagSpec, raw: string | string[] | undefined): unknown {
  const flag = `--${spec.name}`;
  const fallback = spec.default;
  switch (spec.type) {
    case 'list': {
      if (raw === undefined) return fallback === null ? null : [...(fallback as readonly string[])];
      return (Array.isArray(raw) ? raw : [raw]).flatMap(splitList);
    }
    case 'int': {
      if (raw === undefined || raw === '') return fallback;
      return int(flag, raw as string, 0, spec.min ?? Number.MIN_SAFE_INTEGER, spec.max ?? Number.MAX_SAFE_INTEGER);
    }
    case 'duration': {
      if (raw === undefined || raw === '') return fallback;
      const ms = parseDuration(flag, raw as string, 0);
      if ((spec.min !== undefined && ms < spec.min) || (spec.max !== undefined && ms > spec.max)) {
        throw new ConfigError(`${flag} must be between ${formatDuration(spec.min ?? 0)} and ${spec.max === undefined ? 'any' : formatDuration(spec.max)}, got ${JSON.stringify(raw)}`);
      }
      return ms;
    }
    case 'bool':
      if (raw === undefined || raw === '') return fallback;
      return bool(flag, raw as string, false);
    case 'string': {
      if (raw === undefined) return fallback;
      const s = raw as string;
      if (spec.choices && !spec.choices.includes(s)) {
        throw new ConfigError(`${flag} must be one of ${spec.choices.join(', ')}, got ${JSON.stringify(s)}`);
      }
      return s;
    }
  }
}

/**
 * Parses argv (without node and script) against the table: a flag wins over its environment variable, which
 * wins over the default. `--help` throws ConfigError('help'); an unknown flag or a bad value throws ConfigError
 * naming the flag.
 */
export function parseFlags<const T extends readonly FlagSpec[]>(table: T, argv: string[], env: Record<string, string | undefined>): FlagValues<T> {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> = { help: { type: 'boolean' } };
  for (const spec of table) options[spec.name] = spec.type === 'list' ? { type: 'string', multiple: true } : { type: 'string' };
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({ args: argv, strict: true, allowPositionals: false, options }));
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  if (values['help']) throw new ConfigError('help');
  const out: Record<string, unknown> = {};
  for (const spec of table) {
    const fromFlag = values[spec.name] as string | string[] | undefined;
    const fromEnv = spec.env === undefined ? undefined : env[spec.env];
    out[spec.name] = convert(spec, fromFlag ?? fromEnv);
  }
  return out as FlagValues<T>;
}

function placeholder(spec: FlagSpec): string {
  if (spec.arg) return spec.arg;
  switch (spec.type) {
    case 'int':
      return '<n>';
    case 'bool':
      return '<bool>';
    case 'duration':
      return '<dur>';
    case 'list':
      return '<a,b>';
    case 'string':
      return spec.choices ? `<${spec.choices.join('|')}>` : '<value>';
  }
}

/** How the default reads for people ("" when there is none). */
function defaultText(spec: FlagSpec): string {
  if (spec.defaultText !== undefined) return spec.defaultText;
  const d = spec.default;
  if (d === null) return '';
  if (spec.type === 'duration') return formatDuration(d as number);
  if (Array.isArray(d)) return d.join(',');
  return d === '' ? '""' : String(d);
}

function groups(table: readonly FlagSpec[]): Map<string, FlagSpec[]> {
  const out = new Map<string, FlagSpec[]>();
  for (const spec of table) out.set(spec.group, [...(out.get(spec.group) ?? []), spec]);
  return out;
}

/** The `--help` text: flags by group, each with its placeholder, help, default and environment variable. */
export function usage(program: string, table: readonly FlagSpec[]): string {
  const lines = [`Usage: ${program} [options]`];
  const width = Math.max(...table.map((s) => `--${s.name} ${placeholder(s)}`.length));
  for (const [group, specs] of groups(table)) {
    lines.push('', `${group}:`);
    for (const spec of specs) {
      const d = defaultText(spec);
      const tail = [d ? `default ${d}` : '', spec.env ? `env ${spec.env}` : ''].filter(Boolean).join('; ');
      lines.push(`  ${`--${spec.name} ${placeholder(spec)}`.padEnd(width)}  ${spec.help}${tail ? ` (${tail})` : ''}`);
    }
  }
  lines.push('', `  ${'--help'.padEnd(width)}  this text`, '');
  return lines.join('\n');
}

function cell(s: string): string {
  return s.replace(/\|/g, '\\|');
}

/** The README's flag table (GitHub Markdown), one row per flag in table order. */
export function markdownTable(table: readonly FlagSpec[]): string {
  const rows = ['| flag | env | default | |', '|---|---|---|---|'];
  for (const spec of table) {
    const d = spec.defaultText !== undefined ? cell(spec.defaultText) : defaultText(spec) ? `\`${cell(defaultText(spec))}\`` : '';
    rows.push(`| \`--${spec.name} ${cell(placeholder(spec))}\` | ${spec.env ? `\`${spec.env}\`` : ''} | ${d} | ${cell(spec.help)} |`);
  }
  return rows.join('\n');
}
