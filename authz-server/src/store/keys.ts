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

/** Hash of the key parts; unambiguous (length-prefixed), so ['a,b'] and ['a', 'b'] differ. */
export function hashKeyParts(parts: readonly string[]): string {
  let enc = `${parts.length}`;
  for (const p of parts) enc += `|${p.length}:${p}`;
  return sha256b64url(enc, 22);
}

/** The hash-tagged prefix shared by all keys of one policy: `pal:{<policy>}`. */
export function policyPrefix(policyId: string): string {
  return `${KEY_PREFIX}:{${keySegment(policyId)}}`;
}

/** Most rate-limit keys remembered by rateLimitKey (oldest forgotten first). */
export const RATE_LIMIT_KEY_CACHE = 4096;

const rateLimitKeys = new Map<string, string>();

/**
 * Key of one GCRA rate limit: `pal:{<policy>}:rl:<limit>:<hash of parts>`. The keys of recent (policy, limit, parts)
 * are remembered: a consumer's or an address's next Check finds its key without hashing again.
 */
export function rateLimitKey(policyId: string, limitName: string, keyParts: readonly string[]): string {
  let id = `${policyId.length}:${policyId}${limitName.length}:${limitName}${keyParts.length}`;
  for (const p of keyParts) id += `|${p.length}:${p}`;
  let key = rateLimitKeys.get(id);
  if (key === undefined) {
    key = `${policyPrefix(policyId)}:rl:${keySegment(limitName)}:${hashKeyParts(keyParts)}`;
    if (rateLimitKeys.size >= RATE_LIMIT_KEY_CACHE) rateLimitKeys.delete(rateLimitKeys.keys().next().value as string);
    rateLimitKeys.set(id, key);
  }
  return key;
}

/** Prefix of a bucketed counter (bot detectors), to be passed to bucketKeys. */
export function counterPrefix(policyId: string, counterName: string, keyParts: readonly string[]): string {
  return `${policyPrefix(policyId)}:ct:${keySegment(counterName)}:${hashKeyParts(keyParts)}`;
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
  if (!(bucketMs > 0) || !Number.isFinite(bucketMs)) throw new RangeError(`bucketMs must be > 0, got ${bucketMs}`);
  if (!Number.isSafeInteger(count) || count < 1) throw new RangeError(`count must be an integer >= 1, got ${count}`);
  const current = Math.floor(nowMs / bucketMs);
  const keys: string[] = [];
  for (let i = 0; i < count; i++) keys.push(`${prefix}:${current - i}`);
  return keys;
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
