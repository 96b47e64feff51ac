/**
 * The machine-readable challenge for API clients and how they answer it (the client helper in
 * clients/palisade-challenge.js implements the other side):
 * - challenge: 401 with `www-authenticate: PalisadePoW realm="palisade", algorithm="sha256-leading-zero-bits",
 *   difficulty="N", seed="<64 hex>", token="<token>", expires="<unix seconds>"` and the same in a JSON body;
 * - answer: the same request again with `x-palisade-solution: <nonce>:<token>`;
 * - reward: the answer carries `x-palisade-pass: <pass>`, which the client sends on later requests.
 */
import { PASS_HEADER, SCHEME, SOLUTION_HEADER } from '../../../clients/palisade-challenge.js';
import type { IssuedChallenge } from './tokens.ts';

export { PASS_HEADER, SCHEME, SOLUTION_HEADER };

/** The algorithm name carried in challenges. */
const ALGORITHM = 'sha256-leading-zero-bits';

/** The www-authenticate value of a challenge. */
export function wwwAuthenticate(ch: IssuedChallenge): string {
  return `${SCHEME} realm="palisade", algorithm="${ALGORITHM}", difficulty="${ch.difficulty}", seed="${ch.seed}", token="${ch.token}", expires="${ch.expires}"`;
}

/** The JSON body of a challenge. */
export function challengeBody(ch: IssuedChallenge, requestId: string): string {
  return JSON.stringify({
    error: 'challenge',
    requestId,
    challenge: {
      algorithm: ALGORITHM,
      token: ch.token,
      seed: ch.seed,
      difficulty: ch.difficulty,
      expires: ch.expires,
      solutionHeader: SOLUTION_HEADER,
      solutionFormat: '<nonce>:<token>',
      passHeader: PASS_HEADER,
    },
  });
}

/** Splits an x-palisade-solution value into nonce and token; null when it is not of that shape. */
export function parseSolution(value: string | undefined): { nonce: string; token: string } | null {
  if (!value) return null;
  const colon = value.indexOf(':');
  if (colon <= 0) return null;
  return { nonce: value.slice(0, colon).trim(), token: value.slice(colon + 1).trim() };
}

/** True for a browser navigation (GET or HEAD accepting HTML): those get the interstitial, others the JSON. */
export function wantsHtml(method: string, accept: string | undefined): boolean {
  return (method === 'GET' || method === 'HEAD') && accept !== undefined && /\btext\/html\b/i.test(accept);
}
