/**
 * The batch script's call as Redis reads it: KEYS and ARGV (layout documented in redis-batch.lua), emitted once
 * for two sinks. `encodeBatch` collects them as strings (tests, the cluster's hash-tag check, the bench);
 * `encodeCall` writes the whole EVALSHA command as RESP bytes into one buffer, which `BatchCall` hands to ioredis,
 * so a Check builds no key string and no command string: a bot-scoring Check's 25-28 bucket keys and the command text made of them were most of
 * what its Checks left to the old generation (bench/RESULTS.md).
 */
import { Command } from 'ioredis';
import type { CounterBatch, FieldUpdate } from './counter-store.ts';
import { emissionIntervalUs } from './gcra.ts';

const FIELD_OPCODE: Record<FieldUpdate, string> = { incr: 'i', max: 'x', min: 'n' };

/** Largest count or index the script's 3-digit base-64 fields carry. */
const MAX_OP_INDEX = 64 ** 3 - 1;

/** `n` (0..MAX_OP_INDEX) as the script's 3 base-64 digits ('0' + 0..63, most significant first). */
function digits3(n: number, what: string): string {
  if (n > MAX_OP_INDEX) throw new RangeError(`a batch has more than ${MAX_OP_INDEX} ${what}`);
  return String.fromCharCode(48 + (n >> 12), 48 + ((n >> 6) & 63), 48 + (n & 63));
}

/**
 * `n` (an integer >= 0) as 9 base-64 digits, most significant first. Above 2^53 (a Lua number is a double) it is
 * cut to 2^53 - 1 µs, 285 years: a limit that lets that much build up behaves the same either way.
 */
function digits9(n: number): string {
  n = Math.min(n, Number.MAX_SAFE_INTEGER);
  let out = '';
  for (let i = 0; i < 9; i++) {
    out = String.fromCharCode(48 + (n % 64)) + out;
    n = Math.floor(n / 64);
  }
  return out;
}

/** Where the call's arguments go, in order: every key first, then every ARGV value. */
interface Sink {
  /** A string argument. */
  str(s: string): void;
  /** A number argument, as String(n) prints it. */
  num(n: number): void;
  /** The key `<counter>:<parts>:<bucket>`. */
  bucket(counter: string, parts: string, bucket: number): void;
}

/** The rate limits' distinct keys and the script's head (counts, the distinct limits, per op their indexes). */
function rateLimitHead(batch: CounterBatch): { keys: string[]; head: string } {
  const keys: string[] = [];
  const keyIndex = new Map<string, number>();
  const paramIndex = new Map<string, number>();
  let params = '';
  let nparams = 0;
  let ops = '';
  for (const op of batch.rateLimits) {
    let ki = keyIndex.get(op.key);
    if (ki === undefined) {
      keys.push(op.key);
      ki = keys.length;
      keyIndex.set(op.key, ki);
    }
    const t = emissionIntervalUs(op);
    const capacity = (op.requests + op.burst) * t;
    const cost = op.cost ?? 1;
    const triple = `${t} ${capacity} ${cost}`;
    let pi = paramIndex.get(triple);
    if (pi === undefined) {
      params += digits9(t) + digits9(capacity) + digits9(cost);
      pi = ++nparams;
      paramIndex.set(triple, pi);
    }
    ops += digits3(ki, 'distinct rate-limit keys') + digits3(pi, 'distinct limits');
  }
  const head =
    digits3(batch.rateLimits.length, 'rate-limit ops') +
    digits3(keys.length, 'distinct rate-limit keys') +
    digits3(nparams, 'distinct limits') +
    digits3(batch.counters.length, 'counter ops') +
    digits3(batch.distinct.length, 'distinct ops') +
    digits3((batch.sequences ?? []).length, 'sequence ops') +
    digits3((batch.records ?? []).length, 'record ops') +
    digits3((batch.reads ?? []).length, 'hash reads') +
    params +
    ops;
  return { keys, head };
}

/** The number of KEYS of a batch's call. */
function keyCount(batch: CounterBatch, rateLimitKeys: number): number {
  let n = rateLimitKeys;
  for (const op of batch.counters) n += op.counter !== undefined ? op.buckets! : op.keys.length;
  for (const op of batch.distinct) n += 1 + op.countKeys.length;
  return n + (batch.sequences?.length ?? 0) + (batch.records?.length ?? 0) + (batch.reads?.length ?? 0);
}

function emitKeys(batch: CounterBatch, rateLimitKeys: readonly string[], sink: Sink): void {
  for (const k of rateLimitKeys) sink.str(k);
  for (const op of batch.counters) {
    if (op.counter !== undefined) for (let i = 0; i < op.buckets!; i++) sink.bucket(op.counter, op.parts!, op.bucket! - i);
    else for (const k of op.keys) sink.str(k);
  }
  for (const op of batch.distinct) {
    sink.str(op.key);
    for (const k of op.countKeys) sink.str(k);
  }
  for (const op of batch.sequences ?? []) sink.str(op.key);
  for (const op of batch.records ?? []) sink.str(op.key);
  for (const op of batch.reads ?? []) sink.str(op.key);
}

function emitArgv(batch: CounterBatch, head: string, clockOverrideUs: number | undefined, sink: Sink): void {
  if (clockOverrideUs === undefined) sink.str('');
  else sink.num(clockOverrideUs);
  sink.str(head);
  for (const op of batch.counters) {
    sink.num(op.counter !== undefined ? op.buckets! : op.keys.length);
    sink.num(op.incr);
    sink.num(op.ttlMs);
  }
  for (const op of batch.distinct) {
    sink.str(op.member);
    sink.num(op.ttlMs);
    sink.num(op.countKeys.length);
  }
  for (const op of batch.sequences ?? []) {
    sink.num(op.value);
    sink.num(op.length);
    sink.num(op.ttlMs);
    sink.str(op.collapseRepeats ? '1' : '0');
  }
  for (const op of batch.records ?? []) {
    sink.str(op.record);
    sink.str(op.overflow);
    sink.num(op.maxRecords);
    sink.num(op.ttlMs);
    sink.num(op.fields.length);
    for (const f of op.fields) {
      sink.str(f.name);
      sink.str(FIELD_OPCODE[f.update]);
      sink.num(f.value);
    }
  }
}

/** Flattens a batch into the script's KEYS and ARGV as strings (layout documented in redis-batch.lua). */
export function encodeBatch(batch: CounterBatch, clockOverrideUs?: number): { keys: string[]; argv: string[] } {
  const { keys: rl, head } = rateLimitHead(batch);
  let out: string[] = [];
  const sink: Sink = {
    str: (s) => out.push(s),
    num: (n) => out.push(String(n)),
    bucket: (counter, parts, bucket) => out.push(`${counter}:${parts}:${bucket}`),
  };
  emitKeys(batch, rl, sink);
  const keys = out;
  out = [];
  emitArgv(batch, head, clockOverrideUs, sink);
  return { keys, argv: out };
}

/** Decimal digits of a safe integer n >= 0. */
function decimalDigits(n: number): number {
  let d = 1;
  while (n >= 10) {
    n = Math.floor(n / 10);
    d++;
  }
  return d;
}

/**
 * Writes RESP bulk strings into a scratch buffer that grows as needed (encodeCall copies a command out of it). One
 * scratch per process: a Check's command is written and copied out in one go.
 */
class RespWriter implements Sink {
  buf = Buffer.allocUnsafe(16 * 1024);
  off = 0;
  /** Bulk strings written since it was last set. */
  args = 0;

  #room(n: number): void {
    if (this.off + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.off + n));
    this.buf.copy(bigger, 0, 0, this.off);
    this.buf = bigger;
  }

  /** Writes a safe integer >= 0 as decimal digits (room already made). */
  digits(n: number): void {
    const end = (this.off += decimalDigits(n));
    let at = end;
    do {
      const q = Math.floor(n / 10);
      this.buf[--at] = 48 + (n - q * 10);
      n = q;
    } while (n > 0);
  }

  /** `$<len>\r\n` (room for it already made). */
  #length(len: number): void {
    this.buf[this.off++] = 36; // $
    this.digits(len);
    this.buf[this.off++] = 13;
    this.buf[this.off++] = 10;
  }

  #crlf(): void {
    this.buf[this.off++] = 13;
    this.buf[this.off++] = 10;
  }

  str(s: string): void {
    this.args++;
    const len = Buffer.byteLength(s, 'utf8');
    this.#room(len + 32);
    this.#length(len);
    this.off += this.buf.write(s, this.off, len, 'utf8');
    this.#crlf();
  }

  num(n: number): void {
    if (Number.isSafeInteger(n) && n >= 0) {
      this.args++;
      this.#room(48);
      this.#length(decimalDigits(n));
      this.digits(n);
      this.#crlf();
    } else this.str(String(n));
  }

  bucket(counter: string, parts: string, bucket: number): void {
    if (!(Number.isSafeInteger(bucket) && bucket >= 0)) return this.str(`${counter}:${parts}:${bucket}`);
    this.args++;
    const c = Buffer.byteLength(counter, 'utf8');
    const p = Buffer.byteLength(parts, 'utf8');
    const len = c + p + 2 + decimalDigits(bucket);
    this.#room(len + 32);
    this.#length(len);
    this.off += this.buf.write(counter, this.off, c, 'utf8');
    this.buf[this.off++] = 58; // :
    this.off += this.buf.write(parts, this.off, p, 'utf8');
    this.buf[this.off++] = 58;
    this.digits(bucket);
    this.#crlf();
  }
}

const writer = new RespWriter();

/** Room kept before a call's body in the scratch for its header: `*<n>\r\n` and the tail below. */
const HEADER_ROOM = 96;

/** A batch's call as RESP: the whole EVALSHA command, and where its body (numkeys, KEYS, ARGV) starts in it. */
export interface EncodedCall {
  readonly evalsha: Buffer;
  readonly bodyStart: number;
  /** Bulk strings in the body. */
  readonly args: number;
}

/** `\r\n$<len>\r\n<name>\r\n$<len>\r\n<script or sha>\r\n`: a call's RESP header after its argument count. */
function headerTail(name: string, script: string): Buffer {
  return Buffer.from(`\r\n$${name.length}\r\n${name}\r\n$${Buffer.byteLength(script, 'utf8')}\r\n${script}\r\n`, 'utf8');
}

let tailSha = '';
let tail: Buffer = Buffer.alloc(0);

/**
 * Writes a batch's EVALSHA call of the script `sha` as RESP: the bytes ioredis would send for the same arguments,
 * in one buffer from the pool (a Check's command is smaller than its 4 KiB), with no key string built.
 */
export function encodeCall(batch: CounterBatch, sha: string, clockOverrideUs?: number): EncodedCall {
  if (sha !== tailSha) {
    tail = headerTail('evalsha', sha);
    if (tail.length + 12 > HEADER_ROOM) throw new RangeError(`script hash too long: ${sha}`);
    tailSha = sha;
  }
  const { keys: rl, head } = rateLimitHead(batch);
  writer.off = HEADER_ROOM;
  writer.num(keyCount(batch, rl.length));
  writer.args = 1;
  emitKeys(batch, rl, writer);
  emitArgv(batch, head, clockOverrideUs, writer);
  const args = writer.args;
  const total = args + 2;
  const start = HEADER_ROOM - tail.length - 1 - decimalDigits(total);
  // `*<n>` then the tail, right before the body.
  const end = writer.off;
  writer.off = start;
  writer.buf[writer.off++] = 42; // *
  writer.digits(total);
  tail.copy(writer.buf, writer.off);
  // A copy: the scratch is written again by the next Check while the socket may still hold this one.
  const evalsha = Buffer.allocUnsafe(end - start);
  writer.buf.copy(evalsha, 0, start, end);
  return { evalsha, bodyStart: HEADER_ROOM - start, args };
}

/** `*<n>\r\n$<len>\r\n<name>\r\n$<len>\r\n<script or sha>\r\n`: a call's RESP before its body. */
function callHeader(name: string, script: string, args: number): Buffer {
  return Buffer.concat([Buffer.from(`*${args + 2}`), headerTail(name, script)]);
}

/**
 * The batch script's call as an ioredis command whose bytes are written already: EVALSHA, or EVAL with the
 * script on a connection that has not run it yet (as ioredis' own script commands do; a NOSCRIPT reply forgets
 * the connection again). `slotKey`, in cluster mode, is a key of the batch (all share one hash tag).
 */
export class BatchCall extends Command {
  readonly #call: EncodedCall;
  readonly #lua: string;
  readonly #loaded: WeakSet<object>;
  readonly #slotKeys: string[];

  constructor(call: EncodedCall, lua: string, loaded: WeakSet<object>, slotKey?: string) {
    super('evalsha', [], {});
    this.#call = call;
    this.#lua = lua;
    this.#loaded = loaded;
    this.#slotKeys = slotKey === undefined ? [] : [slotKey];
  }

  override getKeys(): string[] {
    return this.#slotKeys;
  }

  override toWritable(socket: object): Buffer {
    const reject = this.reject;
    this.reject = (err: Error) => {
      if (err.message.includes('NOSCRIPT')) this.#loaded.delete(socket);
      reject.call(this, err);
    };
    const { evalsha, bodyStart, args } = this.#call;
    if (!this.#loaded.has(socket)) {
      this.#loaded.add(socket);
      this.name = 'eval';
      return Buffer.concat([callHeader('eval', this.#lua, args), evalsha.subarray(bodyStart)]);
    }
    this.name = 'evalsha';
    return evalsha;
  }
}
