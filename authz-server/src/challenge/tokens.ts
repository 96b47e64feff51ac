/**
 * The two stateless tokens of the challenge flow, both `v1.<keyId>.<payload>.<signature>` (payload base64url
 * JSON, signature HMAC-SHA256 with the keyring's key for the purpose):
 * - a challenge: the puzzle's randomness, its difficulty and the binding it was issued for, valid a few minutes;
 * - a pass: earned by solving a challenge, bound the same way, valid for the policy's pass lifetime.
 * Nothing is stored on the server: any replica holding the keyring verifies either.
 */
import { randomBytes } from 'node:crypto';
import type { Binding } from './binding.ts';
import type { Keyring, Purpose } from './keyring.ts';
import { MAX_DIFFICULTY, MIN_DIFFICULTY, checkSolution, seedOf } from './puzzle.ts';

/** How long a browser or client has to solve a challenge. */
export const CHALLENGE_TTL_SECONDS = 600;

/** Longest token accepted before any parsing. */
const MAX_TOKEN_LENGTH = 1024;

/** Why a token or a solution is refused (metrics label values). */
export type RefusalReason = 'malformed' | 'signature' | 'expired' | 'policy' | 'network' | 'user-agent' | 'solution';

interface Claims {
  /** Policy id. */
  p: string;
  /** Network (CIDR). */
  n: string;
  /** User-agent hash. */
  u: string;
  /** Difficulty in bits. */
  d: number;
  /** Issued at, unix seconds. */
  iat: number;
  /** Expires at, unix seconds. */
  exp: number;
  /** Randomness (challenges only). */
  r?: string;
}

/** A challenge as handed to a client. */
export interface IssuedChallenge {
  token: string;
  /** The puzzle's seed (derived from the token, sent alongside for convenience). */
  seed: string;
  difficulty: number;
  /** Unix seconds. */
  expires: number;
}

/** A verified pass or redeemed challenge. */
export interface Verified {
  difficulty: number;
  issuedAt: number;
  expiresAt: number;
}

/** The result of checking a token. */
export type Checked = { ok: true; claims: Verified } | { ok: false; reason: RefusalReason };

function encode(keyring: Keyring, purpose: Purpose, claims: Claims): string {
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  const head = `v1.${keyring.signingKeyId}.${payload}`;
  return `${head}.${keyring.sign(purpose, head).signature}`;
}

const TOKEN = /^v1\.([0-9a-f]{8})\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]{43})$/;

function isClaims(v: unknown): v is Claims {
  if (typeof v !== 'object' || v === null) return false;
  const c = v as Record<string, unknown>;
  return (
    typeof c.p === 'string' &&
    typeof c.n === 'string' &&
    typeof c.u === 'string' &&
    Number.isInteger(c.d) &&
    Number.isInteger(c.iat) &&
    Number.isInteger(c.exp) &&
    (c.r === undefined || typeof c.r === 'string')
  );
}

function decode(keyring: Keyring, purpose: Purpose, token: string, binding: Binding, nowSec: number): { ok: true; claims: Claims } | { ok: false; reason: RefusalReason } {
  if (token.length > MAX_TOKEN_LENGTH) return { ok: false, reason: 'malformed' };
  const m = TOKEN.exec(token);
  if (!m) return { ok: false, reason: 'malformed' };
  const [, keyId, payload, signature] = m as unknown as [string, string, string, string];
  if (!keyring.verify(purpose, keyId, `v1.${keyId}.${payload}`, signature)) return { ok: false, reason: 'signature' };
  let claims: unknown;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  if (!isClaims(claims) || claims.d < MIN_DIFFICULTY || claims.d > MAX_DIFFICULTY) return { ok: false, reason: 'malformed' };
  if (nowSec >= claims.exp) return { ok: false, reason: 'expired' };
  if (claims.p !== binding.policyId) return { ok: false, reason: 'policy' };
  if (claims.n !== binding.network) return { ok: false, reason: 'network' };
  if (claims.u !== binding.userAgent) return { ok: false, reason: 'user-agent' };
  return { ok: true, claims };
}

const verified = (c: Claims): Verified => ({ difficulty: c.d, issuedAt: c.iat, expiresAt: c.exp });

/** Issues a challenge of `difficulty` bits for a binding. */
export function issueChallenge(keyring: Keyring, binding: Binding, difficulty: number, nowSec: number): IssuedChallenge {
  if (!Number.isInteger(difficulty) || difficulty < MIN_DIFFICULTY || difficulty > MAX_DIFFICULTY) {
    throw new RangeError(`difficulty must be an integer in ${MIN_DIFFICULTY}..${MAX_DIFFICULTY}, got ${difficulty}`);
  }
  const claims: Claims = {
    p: binding.policyId,
    n: binding.network,
    u: binding.userAgent,
    d: difficulty,
    iat: nowSec,
    exp: nowSec + CHALLENGE_TTL_SECONDS,
    r: randomBytes(16).toString('base64url'),
  };
  const token = encode(keyring, 'challenge', claims);
  return { token, seed: seedOf(token), difficulty, expires: claims.exp };
}

/**
 * Checks a solution: the challenge token must be genuine, unexpired and issued for this binding, and the nonce
 * must solve its puzzle at the difficulty the token carries (the client cannot choose an easier one).
 */
export function redeemSolution(keyring: Keyring, token: string, nonce: string, binding: Binding, nowSec: number): Checked {
  const r = decode(keyring, 'challenge', token, binding, nowSec);
  if (!r.ok) return r;
  if (!checkSolution(seedOf(token), nonce, r.claims.d)) return { ok: false, reason: 'solution' };
  return { ok: true, claims: verified(r.claims) };
}

/** Issues a pass for a binding, valid `lifetimeSec`, recording the difficulty that earned it. */
export function issuePass(keyring: Keyring, binding: Binding, difficulty: number, nowSec: number, lifetimeSec: number): string {
  return encode(keyring, 'pass', { p: binding.policyId, n: binding.network, u: binding.userAgent, d: difficulty, iat: nowSec, exp: nowSec + lifetimeSec });
}

/** Checks a pass against the request's binding. */
export function checkPass(keyring: Keyring, token: string, binding: Binding, nowSec: number): Checked {
  const r = decode(keyring, 'pass', token, binding, nowSec);
  return r.ok ? { ok: true, claims: verified(r.claims) } : r;
}
