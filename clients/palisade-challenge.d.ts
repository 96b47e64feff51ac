/** Types of the Palisade challenge client (clients/palisade-challenge.js). */

/** Request header carrying a solution: `<nonce>:<token>`. */
export declare const SOLUTION_HEADER: 'x-palisade-solution';
/** Request header carrying a pass, and response header delivering one. */
export declare const PASS_HEADER: 'x-palisade-pass';
/** The www-authenticate scheme of a Palisade challenge. */
export declare const SCHEME: 'PalisadePoW';

/** A challenge as read from a 401 answer. */
export interface PalisadeChallenge {
  token: string;
  seed: string;
  difficulty: number;
  expires: number;
}

/** The result of one solver run: a nonce, or null when none of the tried nonces works. */
export type SolveResult = { nonce: string; tried: number } | { nonce: null; tried: number };

/** The self-contained SHA-256 proof-of-work solver (its source is inlined into the interstitial's worker). */
export declare function powSolver(): {
  solve(seed: string, difficulty: number, start: number, step: number, attempts: number): SolveResult;
  sha256Hex(ascii: string): string;
};

/** Reads a Palisade challenge from a response; null when the response is not one. */
export declare function challengeOf(response: { status: number; headers: { get(name: string): string | null } }): PalisadeChallenge | null;

/** Reads a Palisade challenge from a 401 response's JSON body (cross-origin callers); null when it is not one. */
export declare function challengeFromBody(response: { status: number; clone(): { json(): Promise<unknown> } }): Promise<PalisadeChallenge | null>;

/** Solves a challenge; `header` is the value for the x-palisade-solution request header. */
export declare function solveChallenge(challenge: Pick<PalisadeChallenge, 'token' | 'seed' | 'difficulty'>): Promise<{ header: string; nonce: string; tried: number; ms: number }>;

/** Wraps fetch: challenged requests are solved and retried once; the earned pass is sent on later requests. */
export declare function palisadeFetch(fetchImpl: typeof fetch): typeof fetch & { pass(): string | null };
