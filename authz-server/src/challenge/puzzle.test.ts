import { createHash, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { powSolver } from '../../../clients/palisade-challenge.js';
import { checkSolution, difficultyFor, leadingZeroBits, puzzleDigest, seedOf } from './puzzle.ts';

const seed = () => randomBytes(32).toString('hex');

describe('puzzle', () => {
  it('counts leading zero bits across byte boundaries', () => {
    expect(leadingZeroBits(Uint8Array.from([0x80, 0]))).toBe(0);
    expect(leadingZeroBits(Uint8Array.from([0x01, 0xff]))).toBe(7);
    expect(leadingZeroBits(Uint8Array.from([0, 0x40]))).toBe(9);
    expect(leadingZeroBits(Uint8Array.from([0, 0, 0, 0x0f]))).toBe(28);
    expect(leadingZeroBits(new Uint8Array(4))).toBe(32);
  });

  it('the client solver hashes exactly like node:crypto, for every input length', () => {
    const { sha256Hex } = powSolver();
    for (const len of [0, 1, 55, 56, 63, 64, 65, 80, 119, 120, 200]) {
      const s = randomBytes(len).toString('latin1').replace(/[^\x20-\x7e]/g, 'x');
      expect(sha256Hex(s)).toBe(createHash('sha256').update(s, 'latin1').digest('hex'));
    }
  });

  it('a nonce found by the client solver is accepted at its difficulty, with the expected leading zeros', () => {
    const { solve } = powSolver();
    for (const difficulty of [1, 4, 8, 12, 14]) {
      const s = seed();
      const r = solve(s, difficulty, 0, 1, 1 << 22);
      expect(r.nonce).not.toBeNull();
      const nonce = r.nonce!;
      expect(checkSolution(s, nonce, difficulty)).toBe(true);
      expect(leadingZeroBits(puzzleDigest(s, nonce))).toBeGreaterThanOrEqual(difficulty);
      // The solver stops at the first solution: every smaller nonce fails.
      for (let n = 0; n < Number(nonce); n++) expect(checkSolution(s, String(n), difficulty)).toBe(false);
    }
  });

  it('the solver and the verifier agree on random seeds and nonces (property)', () => {
    const { solve } = powSolver();
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.integer({ min: 1, max: 10 }), fc.integer({ min: 0, max: 1e12 }), (bytes, difficulty, start) => {
        const s = Buffer.from(bytes).toString('hex');
        const r = solve(s, difficulty, start, 7, 1 << 16);
        if (r.nonce === null) return;
        expect(checkSolution(s, r.nonce, difficulty)).toBe(true);
        expect((Number(r.nonce) - start) % 7).toBe(0);
      }),
      { numRuns: 200 },
    );
  });

  it('refuses a wrong nonce, a too-low difficulty and malformed nonces', () => {
    const { solve } = powSolver();
    const s = seed();
    const r = solve(s, 12, 0, 1, 1 << 22);
    const nonce = r.nonce!;
    // The same nonce almost surely misses a much higher difficulty.
    const digestBits = leadingZeroBits(puzzleDigest(s, nonce));
    expect(checkSolution(s, nonce, digestBits + 1)).toBe(false);
    expect(checkSolution(seed(), nonce, 12)).toBe(false);
    for (const bad of ['', '-1', '1.5', ' 1', '0x10', '12345678901234567', 'abc', `${nonce} `]) expect(checkSolution(s, bad, 1)).toBe(false);
  });

  it('seeds are 64 hex characters derived from the token', () => {
    expect(seedOf('abc')).toMatch(/^[0-9a-f]{64}$/);
    expect(seedOf('abc')).toBe(seedOf('abc'));
    expect(seedOf('abd')).not.toBe(seedOf('abc'));
  });

  it('difficulty rises linearly with the score from min at the challenge threshold to max at the deny threshold', () => {
    const range = { min: 14, max: 20 };
    const t = { challengeScore: 50, denyScore: 80 };
    expect(difficultyFor(0, range, t)).toBe(14);
    expect(difficultyFor(50, range, t)).toBe(14);
    expect(difficultyFor(65, range, t)).toBe(17);
    expect(difficultyFor(80, range, t)).toBe(20);
    expect(difficultyFor(100, range, t)).toBe(20);
    expect(difficultyFor(70, range, { challengeScore: 60, denyScore: 60 })).toBe(20);
    let last = 0;
    for (let s = 0; s <= 100; s++) {
      const d = difficultyFor(s, range, t);
      expect(d).toBeGreaterThanOrEqual(last);
      last = d;
    }
  });
});
