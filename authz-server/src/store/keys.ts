/**
 * Store key naming, pure. Every key carries a Redis Cluster hash tag per policy (`{<policy>}`), so all keys of
 * one Check land in one slot and the Redis adapter can evaluate the whole batch in one script call.
 *
 * Layout: `pal:{<policy>}:<kind>:<name>:<hash of key parts>[:<bucket>]` with kind `rl` (GCRA rate limit),
 * `ct` (bucketed counter) or `dc` (distinct-count HyperLogLog). Key parts are arbitrary request data (IPs, header
 * values, JWT claims): they are never put in the key verbatim but hashed (sha256, base64url, 132 bits), so keys
 * stay short, printable and free of `{`, `}` or separators. Policy ids and limit names are kept readable when they
 * only use safe characters and are hashed (prefixed `~`) otherwise.
 */
import { hash } from 'node:crypto';
import type { CounterOp } from './counter-store.ts';

export const KEY_PREFIX = 'pal';

const SAFE = /^[A-Za-z0-9._/@-]{1,100}$/;

// One-shot hash: a Hash object per call is a native object with a weak handle that V8 must clear in every
// mark-compact's atomic pause.
function sha256b64url(s: string, chars: number): string {
  return hash('sha256', s, 'base64url').slice(0, chars);
}

/** A name as it appears in a key: itself when safe, else `~` + a hash of it (never contains `{`, `}` or `:`). */
export function keySegment(name: string): string {
  return SAFE.test(name) ? name : `~${sha256b64url(name, 22)}`;
}

/** Most hashes of key parts hashKeyParts remembers (in two generations; the older is forgotten whole). */
export const KEY_PARTS_MEMO = 50_000;

/**
 * Bounds on what the memo holds besides the count: the longest list remembered and all lists together, in
 * characters (of their parts, one more per part). Parts are request data a client can make as long as the proxy
 * allows (a cookie, a path); a flood of long distinct ones must not grow the process, so they push out the oldest,
 * and a part list longer than a long session cookie is hashed every time.
 */
export const KEY_PARTS_MEMO_ENTRY_CHARS = 1024;
export const KEY_PARTS_MEMO_TOTAL_CHARS = 4_000_000;

/**
 * A list of parts, reached from the root by its parts in order: its hash once hashed, and the longer lists it begins.
 * Most lists begin no other list or only one (an address, then its client's fingerprint): that one is kept in the node
 * itself, and a map is made only for a second (a host, then its routes), so that a memo full of two-part lists costs
 * about what it cost as encodings.
 */
interface PartsNode {
  hash: string | undefined;
  onlyKey: string | undefined;
  only: PartsNode | undefined;
  next: Map<string, PartsNode> | undefined;
}

function childOf(node: PartsNode, part: string): PartsNode | undefined {
  return node.next !== undefined ? node.next.get(part) : node.onlyKey === part ? node.only : undefined;
}

function newNode(): PartsNode {
  return { hash: undefined, onlyKey: undefined, only: undefined, next: undefined };
}

function addChild(node: PartsNode, part: string): PartsNode {
  const child = newNode();
  if (node.next !== undefined) node.next.set(part, child);
  else if (node.only === undefined) {
    node.onlyKey = part;
    node.only = child;
  } else {
    node.next = new Map([[node.onlyKey!, node.only], [part, child]]);
    node.onlyKey = undefined;
    node.only = undefined;
  }
  return child;
}

/**
 * One generation of remembered hashes, as a trie by parts: a list is found by looking up the parts it holds (the
 * header values, routes and hashes a Check already has), without building its encoding.
 */
class PartsGeneration {
  readonly #root = new Map<string, PartsNode>();
  entries = 0;
  chars = 0;

  find(parts: readonly string[]): string | undefined {
    let node = this.#root.get(parts[0]!);
    for (let i = 1; i < parts.length && node !== undefined; i++) node = childOf(node, parts[i]!);
    return node?.hash;
  }

  add(parts: readonly string[], hash: string, chars: number): void {
    let node = this.#root.get(parts[0]!);
    if (node === undefined) this.#root.set(parts[0]!, (node = newNode()));
    for (let i = 1; i < parts.length; i++) node = childOf(node, parts[i]!) ?? addChild(node, parts[i]!);
    if (node.hash !== undefined) return;
    node.hash = hash;
    this.entries++;
    this.chars += chars;
  }
}

// Two generations: lists hashed lately are in the young one, or found in the old one and moved up; when the young
// one is full it becomes the old one and the old one is dropped whole (no per-entry order to keep).
let young = new PartsGeneration();
let old = new PartsGeneration();
let noParts: string | undefined;

function encodeParts(parts: readonly string[]): string {
  let enc = `${parts.length}`;
  for (const p of parts) enc += `|${p.length}:${p}`;
  return enc;
}

/**
 * Hash of the key parts; unambiguous (length-prefixed), so ['a,b'] and ['a', 'b'] differ. The hashes of recent
 * lists are remembered: clients, consumers, routes and sessions come back Check after Check, and find their hash
 * (the same string object) without hashing again or building the encoding.
 */
export function hashKeyParts(parts: readonly string[]): string {
  if (parts.length === 0) return (noParts ??= sha256b64url(encodeParts(parts), 22));
  const recent = young.find(parts);
  if (recent !== undefined) return recent;
  let chars = parts.length;
  for (const p of parts) chars += p.length;
  if (chars > KEY_PARTS_MEMO_ENTRY_CHARS) return sha256b64url(encodeParts(parts), 22);
  const h = old.find(parts) ?? sha256b64url(encodeParts(parts), 22);
  if (young.entries >= KEY_PARTS_MEMO / 2 || young.chars + chars > KEY_PARTS_MEMO_TOTAL_CHARS / 2) {
    old = young;
    young = new PartsGeneration();
  }
  young.add(parts, h, chars);
  return h;
}

/** What hashKeyParts remembers now: entries and their parts' characters, both generations (tests). */
export function keyPartsMemoSize(): { entries: number; chars: number } {
  return { entries: young.entries + old.entries, chars: young.chars + old.chars };
}

/** The hash-tagged prefix shared by all keys of one policy: `pal:{<policy>}`. */
export function policyPrefix(policyId: string): string {
  return `${KEY_PREFIX}:{${keySegment(policyId)}}`;
}

/** Key of one GCRA rate limit: `pal:{<policy>}:rl:<limit>:<hash of parts>`. */
export function rateLimitKey(policyId: string, limitName: string, keyParts: readonly string[]): string {
  return `${policyPrefix(policyId)}:rl:${keySegment(limitName)}:${hashKeyParts(keyParts)}`;
}

/** Prefix of a bucketed counter (bot detectors), to be passed to bucketKeys: `<counterName(...)>:<hash of parts>`. */
export function counterPrefix(policyId: string, counterName: string, keyParts: readonly string[]): string {
  return `${counterKeyName(policyId, counterName)}:${hashKeyParts(keyParts)}`;
}

/** A bucketed counter's name as keys carry it, before the hash of its parts: `pal:{<policy>}:ct:<counter>`. */
export function counterKeyName(policyId: string, counterName: string): string {
  return `${policyPrefix(policyId)}:ct:${keySegment(counterName)}`;
}

/** Prefix of a bucketed distinct counter (HyperLogLog), to be passed to bucketKeys. */
export function distinctPrefix(policyId: string, counterName: string, keyParts: readonly string[]): string {
  return `${policyPrefix(policyId)}:dc:${keySegment(counterName)}:${hashKeyParts(keyParts)}`;
}

/**
 * Keys of `count` consecutive time buckets of `bucketMs`, current bucket first (the one containing nowMs), then
 * older ones: `<prefix>:<bucket index>` with index = floor(nowMs / bucketMs).
 */
export function bucketKeys(prefix: string, nowMs: number, bucketMs: number, count: number): string[] {
  return keysOfBuckets(prefix, bucketIndex(nowMs, bucketMs, count), count);
}

/**
 * The index of the time bucket of `bucketMs` that holds nowMs (floor(nowMs / bucketMs)), for `count` buckets read
 * from it: a RangeError unless bucketMs > 0 and count is an integer >= 1.
 */
export function bucketIndex(nowMs: number, bucketMs: number, count: number): number {
  if (!(bucketMs > 0) || !Number.isFinite(bucketMs)) throw new RangeError(`bucketMs must be > 0, got ${bucketMs}`);
  if (!Number.isSafeInteger(count) || count < 1) throw new RangeError(`count must be an integer >= 1, got ${count}`);
  return Math.floor(nowMs / bucketMs);
}

function keysOfBuckets(prefix: string, current: number, count: number): string[] {
  const keys: string[] = [];
  for (let i = 0; i < count; i++) keys.push(`${prefix}:${current - i}`);
  return keys;
}

/**
 * A counter op on `buckets` consecutive time buckets of one counter, the current one (`bucket`) first and
 * incremented by `incr`: keys `<counter>:<parts>:<bucket>` (`counter` names the policy and the counter, `parts` is
 * the hash of its key parts, as in counterPrefix). Its keys are built only when an adapter asks for them: the
 * in-memory store addresses a counter's buckets by these fields.
 */
export class BucketCounterOp implements CounterOp {
  readonly counter: string;
  readonly parts: string;
  readonly bucket: number;
  readonly buckets: number;
  readonly incr: number;
  readonly ttlMs: number;
  #keys: string[] | undefined;
  /** `keys`, when given, are the op's keys already built (as the getter would build them). */
  constructor(counter: string, parts: string, bucket: number, buckets: number, incr: number, ttlMs: number, keys?: string[]) {
    this.#keys = keys;
    this.counter = counter;
    this.parts = parts;
    this.bucket = bucket;
    this.buckets = buckets;
    this.incr = incr;
    this.ttlMs = ttlMs;
  }
  /** `<counter>:<parts>:<bucket - i>` for i < buckets (the same keys as bucketKeys of the prefix). */
  get keys(): string[] {
    return (this.#keys ??= keysOfBuckets(`${this.counter}:${this.parts}`, this.bucket, this.buckets));
  }
}

/**
 * The part of a key Redis Cluster hashes: the content of the first `{...}` when non-empty, else the whole key
 * (same rule as Redis).
 */
export function hashTagOf(key: string): string {
  const open = key.indexOf('{');
  if (open < 0) return key;
  const close = key.indexOf('}', open + 1);
  if (close < 0 || close === open + 1) return key;
  return key.slice(open + 1, close);
}
