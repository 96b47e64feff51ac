/**
 * The proof-of-work puzzle: find a decimal nonce such that SHA-256(seed || nonce) starts with `difficulty` zero
 * bits. The seed is 64 lowercase hex characters (exactly one SHA-256 block, so a solver hashes it once and pays
 * one compression per attempt); a solver needs 2^difficulty attempts on average, the server one hash to check.
 */
import { createHash } from 'node:crypto';

/** Lowest and highest difficulty the puzzle supports, in leading zero bits. */
export const MIN_DIFFICULTY = 1;
export const MAX_DIFFICULTY = 32;

/** A nonce as clients send it: 1 to 16 decimal digits. */
const NONCE_PATTERN = /^[0-9]{1,16}$/;

/** A difficulty range from a policy, in bits. */
export interface DifficultyRange {
  min: number;
  max: number;
}

/** Number of leading zero bits of a digest. */
export function leadingZeroBits(digest: Uint8Array): number {
  let bits = 0;
  for (const byte of digest) {
    if (byte === 0) {
      bits += 8;
      continue;
    }
    return bits + Math.clz32(byte) - 24;
  }
  return bits;
}

/** SHA-256(seed || nonce) as ASCII. */
export function puzzleDigest(seed: string, nonce: string): Buffer {
  return createHash('sha256').update(seed, 'latin1').update(nonce, 'latin1').digest();
}

/** True when `nonce` is well-formed and SHA-256(seed || nonce) has at least `difficulty` leading zero bits. */
export function checkSolution(seed: string, nonce: string, difficulty: number): boolean {
  if (!NONCE_PATTERN.test(nonce)) return false;
  return leadingZeroBits(puzzleDigest(seed, nonce)) >= difficulty;
}

/** The seed of a challenge token: lowercase hex SHA-256 of the token (the token holds the randomness). */
export function seedOf(token: string): string {
  return createHash('sha256').update(token, 'latin1').digest('hex');
}

/**
 * Difficulty for a bot score: `min` at the challenge threshold, rising linearly to `max` at the deny threshold
 * (scores beyond either end are clamped), rounded to whole bits.
 */
export function difficultyFor(score: number, range: DifficultyRange, thresholds: { challengeScore: number; denyScore: number }): number {
  const span = thresholds.denyScore - thresholds.challengeScore;
  const t = span <= 0 ? 1 : Math.min(1, Math.max(0, (score - thresholds.challengeScore) / span));
  return Math.round(range.min + t * (range.max - range.min));
}
