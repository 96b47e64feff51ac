/**
 * Palisade challenge client: solves the proof of work that a Palisade-protected API answers with, for a browser
 * single-page application or a Node program. No dependencies; one file; ES module.
 *
 *   import { palisadeFetch } from './palisade-challenge.js';
 *   const fetchP = palisadeFetch(fetch);
 *   const res = await fetchP('https://api.example.com/orders');   // challenged -> solved -> retried
 *
 * The protocol (also in the repository README, section "Challenges"):
 * - A challenged request is answered 401 with `www-authenticate: PalisadePoW token="…", seed="…",
 *   difficulty="N", algorithm="sha256-leading-zero-bits", expires="<unix seconds>"` and the same fields in the
 *   JSON body's `challenge` object.
 * - Find a decimal nonce (1 to 16 digits) such that SHA-256(seed || nonce), both as ASCII, starts with N zero bits.
 * - Retry the request with `x-palisade-solution: <nonce>:<token>`. A successful answer carries
 *   `x-palisade-pass: <pass>`; send that header on later requests (until it stops being accepted).
 */

/** Request header carrying a solution. */
export const SOLUTION_HEADER = 'x-palisade-solution';
/** Request header carrying a pass (and response header delivering one). */
export const PASS_HEADER = 'x-palisade-pass';
/** The www-authenticate scheme of a Palisade challenge. */
export const SCHEME = 'PalisadePoW';

/**
 * The SHA-256 proof-of-work solver. Self-contained on purpose (no reference to anything outside its body): the
 * authz-server's interstitial page inlines this function's source text into a Web Worker.
 * @returns {{ solve: (seed: string, difficulty: number, start: number, step: number, attempts: number) => { nonce: string, tried: number } | { nonce: null, tried: number }, sha256Hex: (ascii: string) => string }}
 */
export function powSolver() {
  const K = new Int32Array([
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01,
    0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc,
    0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
    0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08,
    0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
    0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
  ]);
  const IV = new Int32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
  const W = new Int32Array(64);

  /** One SHA-256 compression of W[0..15] into `out` starting from `h`. */
  function compress(h, out) {
    for (let i = 16; i < 64; i++) {
      const a = W[i - 15];
      const b = W[i - 2];
      const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
      const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
      W[i] = (W[i - 16] + s0 + W[i - 7] + s1) | 0;
    }
    let a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
    for (let i = 0; i < 64; i++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const t1 = (k + S1 + ((e & f) ^ (~e & g)) + K[i] + W[i]) | 0;
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
      k = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
    }
    out[0] = (h[0] + a) | 0; out[1] = (h[1] + b) | 0; out[2] = (h[2] + c) | 0; out[3] = (h[3] + d) | 0;
    out[4] = (h[4] + e) | 0; out[5] = (h[5] + f) | 0; out[6] = (h[6] + g) | 0; out[7] = (h[7] + k) | 0;
  }

  /** SHA-256 of an ASCII string, lowercase hex (any length). */
  function sha256Hex(ascii) {
    const bytes = new Uint8Array(((ascii.length + 9 + 63) >> 6) << 6);
    for (let i = 0; i < ascii.length; i++) bytes[i] = ascii.charCodeAt(i) & 0xff;
    bytes[ascii.length] = 0x80;
    const bits = ascii.length * 8;
    const end = bytes.length;
    bytes[end - 4] = (bits >>> 24) & 0xff; bytes[end - 3] = (bits >>> 16) & 0xff;
    bytes[end - 2] = (bits >>> 8) & 0xff; bytes[end - 1] = bits & 0xff;
    bytes[end - 5] = Math.floor(bits / 2 ** 32) & 0xff;
    const h = new Int32Array(IV);
    for (let off = 0; off < end; off += 64) {
      for (let i = 0; i < 16; i++) {
        const p = off + i * 4;
        W[i] = (bytes[p] << 24) | (bytes[p + 1] << 16) | (bytes[p + 2] << 8) | bytes[p + 3];
      }
      compress(h, h);
    }
    let hex = '';
    for (let i = 0; i < 8; i++) hex += (h[i] >>> 0).toString(16).padStart(8, '0');
    return hex;
  }

  /**
   * Tries nonces start, start+step, ... (at most `attempts` of them). The 64-character seed is exactly one
   * SHA-256 block, so its state is computed once and each attempt costs one compression; the nonce's decimal
   * digits are kept in the message block and incremented in place.
   */
  function solve(seed, difficulty, start, step, attempts) {
    if (typeof seed !== 'string' || seed.length !== 64) throw new Error('seed must be 64 characters');
    if (!(difficulty >= 1 && difficulty <= 32)) throw new Error('difficulty must be 1..32 bits');
    if (!(step >= 1 && step <= 9)) throw new Error('step must be 1..9');
    const mid = new Int32Array(8);
    for (let i = 0; i < 16; i++) {
      W[i] = (seed.charCodeAt(i * 4) << 24) | (seed.charCodeAt(i * 4 + 1) << 16) | (seed.charCodeAt(i * 4 + 2) << 8) | seed.charCodeAt(i * 4 + 3);
    }
    compress(IV, mid);
    const out = new Int32Array(8);
    const shift = 32 - difficulty;
    const digits = [];
    let len = 0;
    const load = (n) => {
      const s = String(n);
      len = s.length;
      digits.length = 0;
      for (let i = 0; i < len; i++) digits.push(s.charCodeAt(i));
      W.fill(0, 0, 16);
      for (let i = 0; i < len; i++) W[i >> 2] |= digits[i] << (24 - (i & 3) * 8);
      W[len >> 2] |= 0x80 << (24 - (len & 3) * 8);
      W[15] = (64 + len) * 8;
    };
    const put = (i) => {
      const sh = 24 - (i & 3) * 8;
      W[i >> 2] = (W[i >> 2] & ~(0xff << sh)) | (digits[i] << sh);
    };
    let n = start;
    if (n > 9999999999999999) return { nonce: null, tried: 0 };
    load(n);
    for (let tried = 0; tried < attempts; tried++) {
      compress(mid, out);
      if (out[0] >>> shift === 0) {
        let nonce = '';
        for (let i = 0; i < len; i++) nonce += String.fromCharCode(digits[i]);
        return { nonce, tried: tried + 1 };
      }
      n += step;
      if (n > 9999999999999999) return { nonce: null, tried: tried + 1 };
      // Add `step` to the decimal digits; a carry past the first digit makes the number one digit longer.
      let i = len - 1;
      let d = digits[i] + step;
      while (d > 57 && i > 0) {
        digits[i] = d - 10;
        put(i);
        i--;
        d = digits[i] + 1;
      }
      if (d > 57) load(n);
      else {
        digits[i] = d;
        put(i);
      }
    }
    return { nonce: null, tried: attempts };
  }

  return { solve, sha256Hex };
}

/**
 * Reads a Palisade challenge from a response (status 401 with a PalisadePoW www-authenticate header); null when
 * the response is not one.
 * @param {{ status: number, headers: { get(name: string): string | null } }} response
 * @returns {{ token: string, seed: string, difficulty: number, expires: number } | null}
 */
export function challengeOf(response) {
  if (response.status !== 401) return null;
  const header = response.headers.get('www-authenticate');
  if (!header || !header.trimStart().startsWith(SCHEME + ' ')) return null;
  const params = {};
  for (const m of header.slice(header.indexOf(SCHEME) + SCHEME.length).matchAll(/([a-z]+)="([^"]*)"/g)) params[m[1]] = m[2];
  const difficulty = Number(params.difficulty);
  if (!params.token || !params.seed || !Number.isInteger(difficulty)) return null;
  return { token: params.token, seed: params.seed, difficulty, expires: Number(params.expires) || 0 };
}

/**
 * Reads a Palisade challenge from a 401 response's JSON body (for cross-origin callers that cannot read the
 * www-authenticate header); null when the body is not one. Reads a clone, so the response stays readable.
 * @param {{ status: number, clone(): { json(): Promise<unknown> } }} response
 * @returns {Promise<{ token: string, seed: string, difficulty: number, expires: number } | null>}
 */
export async function challengeFromBody(response) {
  if (response.status !== 401) return null;
  let body;
  try {
    body = await response.clone().json();
  } catch {
    return null;
  }
  const c = body && typeof body === 'object' ? body.challenge : null;
  if (!c || typeof c.token !== 'string' || typeof c.seed !== 'string' || !Number.isInteger(c.difficulty)) return null;
  return { token: c.token, seed: c.seed, difficulty: c.difficulty, expires: Number(c.expires) || 0 };
}

/**
 * Solves a challenge in slices, yielding to the event loop between them so a page or server stays responsive.
 * @param {{ token: string, seed: string, difficulty: number }} challenge
 * @returns {Promise<{ header: string, nonce: string, tried: number, ms: number }>} `header` is the value for
 *   the x-palisade-solution request header.
 */
export async function solveChallenge(challenge) {
  const { solve } = powSolver();
  const started = Date.now();
  const slice = 20000;
  let tried = 0;
  for (let start = 0; ; start += slice) {
    const r = solve(challenge.seed, challenge.difficulty, start, 1, slice);
    tried += r.tried;
    if (r.nonce !== null) return { header: `${r.nonce}:${challenge.token}`, nonce: r.nonce, tried, ms: Date.now() - started };
    if (r.tried < slice) throw new Error('no solution found in the nonce space');
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
}

/**
 * Wraps a fetch function: a challenged request is solved and retried once; the pass a solved request earns is
 * kept and sent with every later request. The request body must be replayable (a string, a Blob or a buffer).
 * @param {typeof fetch} fetchImpl
 * @returns {typeof fetch & { pass(): string | null }}
 */
export function palisadeFetch(fetchImpl) {
  let pass = null;
  const withHeaders = (init, extra) => {
    const headers = new Headers(init && init.headers);
    for (const [k, v] of Object.entries(extra)) headers.set(k, v);
    return { ...init, headers };
  };
  const keep = (res) => {
    const p = res.headers.get(PASS_HEADER);
    if (p) pass = p;
    return res;
  };
  const wrapped = async (input, init) => {
    const first = keep(await fetchImpl(input, pass ? withHeaders(init, { [PASS_HEADER]: pass }) : init));
    const challenge = challengeOf(first) ?? (await challengeFromBody(first));
    if (!challenge) return first;
    const solution = await solveChallenge(challenge);
    const extra = { [SOLUTION_HEADER]: solution.header };
    if (pass) extra[PASS_HEADER] = pass;
    return keep(await fetchImpl(input, withHeaders(init, extra)));
  };
  wrapped.pass = () => pass;
  return wrapped;
}
