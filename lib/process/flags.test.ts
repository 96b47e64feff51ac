import { describe, expect, it } from 'vitest';
import { ConfigError } from './config-values.ts';
import { formatDuration, markdownTable, parseDuration, parseFlags, usage, type FlagSpec } from './flags.ts';

const TABLE = [
  { name: 'policies', type: 'list', default: [], env: 'X_POLICIES', arg: '<file|dir>', group: 'Sources', help: 'policy files' },
  { name: 'operator', type: 'string', default: null, env: 'X_OPERATOR', arg: '<host:port>', group: 'Sources', help: 'operator address' },
  { name: 'port', type: 'int', default: 9001, env: 'X_PORT', min: 0, max: 65535, group: 'Serving', help: 'gRPC port' },
  { name: 'elect', type: 'bool', default: true, env: 'X_ELECT', group: 'Serving', help: 'elect a leader' },
  { name: 'backoff-max', type: 'duration', default: 5000, env: 'X_BACKOFF_MAX', min: 100, max: 60_000, group: 'Serving', help: 'reconnect cap' },
  { name: 'log', type: 'string', default: 'all', choices: ['all', 'deny', 'off'], group: 'Logging', help: 'decision log' },
] as const satisfies readonly FlagSpec[];

describe('parseFlags', () => {
  it('gives the defaults, typed', () => {
    const v = parseFlags(TABLE, [], {});
    expect(v).toEqual({ policies: [], operator: null, port: 9001, elect: true, 'backoff-max': 5000, log: 'all' });
  });

  it('takes a flag over its environment variable over the default', () => {
    expect(parseFlags(TABLE, ['--port', '7'], { X_PORT: '8' }).port).toBe(7);
    expect(parseFlags(TABLE, [], { X_PORT: '8' }).port).toBe(8);
    expect(parseFlags(TABLE, [], { X_PORT: '' }).port).toBe(9001);
    expect(parseFlags(TABLE, ['--operator', 'op:9002'], { X_OPERATOR: 'other:1' }).operator).toBe('op:9002');
    expect(parseFlags(TABLE, ['--elect', 'false'], {}).elect).toBe(false);
    expect(parseFlags(TABLE, [], { X_ELECT: '0' }).elect).toBe(false);
  });

  it('repeats and comma-splits list flags; the environment variable is comma-separated', () => {
    expect(parseFlags(TABLE, ['--policies', 'a.yaml', '--policies', 'b,c'], { X_POLICIES: 'z' }).policies).toEqual(['a.yaml', 'b', 'c']);
    expect(parseFlags(TABLE, [], { X_POLICIES: 'x, y,,' }).policies).toEqual(['x', 'y']);
  });

  it('parses durations to milliseconds within bounds', () => {
    expect(parseFlags(TABLE, ['--backoff-max', '1.5s'], {})['backoff-max']).toBe(1500);
    expect(parseFlags(TABLE, ['--backoff-max', '1m'], {})['backoff-max']).toBe(60_000);
    expect(() => parseFlags(TABLE, ['--backoff-max', '50ms'], {})).toThrow(/--backoff-max must be between 100ms and 1m/);
    expect(() => parseFlags(TABLE, ['--backoff-max', '1h'], {})).toThrow(/--backoff-max must be a duration/);
  });

  it('refuses bad values, unknown flags and positionals, naming the flag', () => {
    expect(() => parseFlags(TABLE, ['--port', '70000'], {})).toThrow(/--port must be an integer in \[0, 65535\]/);
    expect(() => parseFlags(TABLE, ['--port', '1.5'], {})).toThrow(ConfigError);
    expect(() => parseFlags(TABLE, [], { X_ELECT: 'maybe' })).toThrow(/--elect must be true or false/);
    expect(() => parseFlags(TABLE, ['--log', 'some'], {})).toThrow(/--log must be one of all, deny, off/);
    expect(() => parseFlags(TABLE, ['--bogus'], {})).toThrow(ConfigError);
    expect(() => parseFlags(TABLE, ['stray'], {})).toThrow(ConfigError);
    expect(() => parseFlags(TABLE, ['--help'], {})).toThrow(/^help$/);
  });
});

describe('usage and markdownTable', () => {
  it('lists every flag under its group with default and environment variable', () => {
    const text = usage('x', TABLE);
    expect(text).toMatch(/^Usage: x \[options\]/);
    expect(text.indexOf('Sources:')).toBeLessThan(text.indexOf('--policies <file|dir>'));
    expect(text.indexOf('Serving:')).toBeLessThan(text.indexOf('--port <n>'));
    expect(text).toMatch(/--port <n>\s+gRPC port \(default 9001; env X_PORT\)/);
    expect(text).toMatch(/--backoff-max <dur>\s+reconnect cap \(default 5s; env X_BACKOFF_MAX\)/);
    expect(text).toMatch(/--log <all\|deny\|off>\s+decision log \(default all\)/);
    expect(text).toMatch(/--operator <host:port>\s+operator address \(env X_OPERATOR\)/);
  });

  it('renders one Markdown row per flag, pipes escaped', () => {
    const rows = markdownTable(TABLE).split('\n');
    expect(rows).toHaveLength(2 + TABLE.length);
    expect(rows[2]).toBe('| `--policies <file\\|dir>` | `X_POLICIES` |  | policy files |');
    expect(rows[4]).toBe('| `--port <n>` | `X_PORT` | `9001` | gRPC port |');
  });

  it('formats and parses durations symmetrically', () => {
    for (const ms of [0, 250, 1500, 15_000, 120_000]) expect(parseDuration('d', formatDuration(ms), -1)).toBe(ms);
    expect(parseDuration('d', '40', 0)).toBe(40);
    expect(parseDuration('d', undefined, 7)).toBe(7);
  });
});
