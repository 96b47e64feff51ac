/**
 * The challenge flow inside Check, as pure functions of the request and the policy's challenge settings:
 * - a request whose bot verdict is `challenge` presents a pass (cookie or header): a valid pass lowers its score
 *   by the policy's credit; otherwise it is challenged, with an interstitial page for browser navigations and a
 *   machine-readable 401 for everything else;
 * - an API client answers on the same request with a solution header and gets a pass in the response;
 * - a browser's interstitial answers on the reserved verification path, which redirects back with a pass cookie.
 */
import { PASS_HEADER, SCHEME, SOLUTION_HEADER, challengeBody, parseSolution, wantsHtml, wwwAuthenticate } from './api.ts';
import { bindingOf, type Binding, type NetworkPrefixes } from './binding.ts';
import { COOKIE_CHECK, PASS_COOKIE, VERIFY_PATH, failedPage, interstitialPage, safeReturnPath, type Page } from './interstitial.ts';
import type { Keyring } from './keyring.ts';
import { difficultyFor, type DifficultyRange } from './puzzle.ts';
import { CHALLENGE_TTL_SECONDS, checkPass, issueChallenge, issuePass, redeemSolution, type RefusalReason } from './tokens.ts';

export { PASS_COOKIE, PASS_HEADER, SCHEME, SOLUTION_HEADER, VERIFY_PATH };

/** A policy's challenge settings in runtime form (present only where challenges are active). */
export interface ChallengeConfig {
  difficulty: DifficultyRange;
  passLifetimeSec: number;
  /** Score points a valid pass takes off. */
  passScoreCredit: number;
  prefixes: NetworkPrefixes;
  exemptMethods: ReadonlySet<string>;
  exemptPaths: readonly RegExp[];
  keyring: Keyring;
}

/** The parts of a request the flow reads. */
export interface ChallengeRequest {
  method: string;
  path: string;
  rawPath: string;
  query: string;
  headers: ReadonlyMap<string, string>;
  clientIp: string;
}

/** A local reply built by the flow (the status comes from the verdict table). */
export interface ChallengeReply {
  headers: Array<[string, string]>;
  body: string;
}

/** What the flow did, for metrics and logs. */
export interface ChallengeNote {
  /** A pass was presented and checked. */
  pass?: 'accepted' | RefusalReason;
  /** A solution was presented (API header, or the interstitial on the verification path). */
  solution?: { kind: 'api' | 'html'; ok: true; difficulty: number; solveMs: number | null } | { kind: 'api' | 'html'; ok: false; reason: RefusalReason | 'cookies-off' };
  /** A challenge was issued. */
  issued?: { kind: 'api' | 'html'; difficulty: number };
  /** A pass earned by an API solution, returned in the x-palisade-pass response header. */
  newPass?: string;
}

function nowSec(nowMs: number): number {
  return Math.floor(nowMs / 1000);
}

function cookie(headers: ReadonlyMap<string, string>, name: string): string | null {
  const raw = headers.get('cookie');
  if (!raw) return null;
  for (const part of raw.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

function secure(headers: ReadonlyMap<string, string>): boolean {
  return headers.get(':scheme') === 'https' || headers.get('x-forwarded-proto') === 'https';
}

function setCookie(name: string, value: string, maxAgeSec: number, https: boolean): string {
  return `${name}=${value}; Path=/; Max-Age=${maxAgeSec}; HttpOnly; SameSite=Lax${https ? '; Secure' : ''}`;
}

function pageReply(page: Page, extra: Array<[string, string]> = []): ChallengeReply {
  return {
    headers: [
      ['content-type', 'text/html; charset=utf-8'],
      ['cache-control', 'no-store'],
      ['content-security-policy', page.csp],
      ['x-content-type-options', 'nosniff'],
      ['referrer-policy', 'no-referrer'],
      ...extra,
    ],
    body: page.html,
  };
}

/** The binding of a request under a policy. */
export function requestBinding(cfg: ChallengeConfig, policyId: string, req: ChallengeRequest): Binding {
  return bindingOf(policyId, req.clientIp, req.headers.get('user-agent') ?? '', cfg.prefixes);
}

/** True when the policy never challenges this request (exempt method or path): it keeps header-only behaviour. */
export function isExempt(cfg: ChallengeConfig, req: ChallengeRequest): boolean {
  return cfg.exemptMethods.has(req.method) || cfg.exemptPaths.some((re) => re.test(req.path));
}

/** True for the reserved verification path. */
export function isVerifyPath(req: ChallengeRequest): boolean {
  return req.path === VERIFY_PATH;
}

/**
 * Checks the credentials a request presents: an API solution (redeemed into a new pass) or else a pass from the
 * x-palisade-pass header or the pass cookie. `valid` means the score credit applies.
 */
export function presentedCredentials(cfg: ChallengeConfig, binding: Binding, req: ChallengeRequest, nowMs: number): { valid: boolean; note: ChallengeNote } {
  const now = nowSec(nowMs);
  const solution = parseSolution(req.headers.get(SOLUTION_HEADER));
  if (solution) {
    const r = redeemSolution(cfg.keyring, solution.token, solution.nonce, binding, now);
    if (r.ok) {
      const newPass = issuePass(cfg.keyring, binding, r.claims.difficulty, now, cfg.passLifetimeSec);
      return { valid: true, note: { solution: { kind: 'api', ok: true, difficulty: r.claims.difficulty, solveMs: null }, newPass } };
    }
    return { valid: false, note: { solution: { kind: 'api', ok: false, reason: r.reason } } };
  }
  const pass = req.headers.get(PASS_HEADER) || cookie(req.headers, PASS_COOKIE);
  if (!pass) return { valid: false, note: {} };
  const r = checkPass(cfg.keyring, pass, binding, now);
  return { valid: r.ok, note: { pass: r.ok ? 'accepted' : r.reason } };
}

/**
 * A challenge for a request: the interstitial page for a browser navigation, the JSON body otherwise; both carry
 * the www-authenticate header. Difficulty follows the score between the policy's thresholds.
 */
export function challengeFor(
  cfg: ChallengeConfig,
  binding: Binding,
  req: ChallengeRequest,
  score: number,
  thresholds: { challengeScore: number; denyScore: number },
  requestId: string,
  nowMs: number,
): { reply: ChallengeReply; issued: NonNullable<ChallengeNote['issued']> } {
  const difficulty = difficultyFor(score, cfg.difficulty, thresholds);
  const ch = issueChallenge(cfg.keyring, binding, difficulty, nowSec(nowMs));
  const auth: [string, string] = ['www-authenticate', wwwAuthenticate(ch)];
  if (wantsHtml(req.method, req.headers.get('accept'))) {
    const page = interstitialPage(ch, safeReturnPath(req.rawPath), cfg.passLifetimeSec);
    const check = setCookie(COOKIE_CHECK, '1', CHALLENGE_TTL_SECONDS, secure(req.headers));
    return { reply: pageReply(page, [auth, ['set-cookie', check]]), issued: { kind: 'html', difficulty } };
  }
  return {
    reply: { headers: [auth, ['content-type', 'application/json'], ['cache-control', 'no-store']], body: challengeBody(ch, requestId) },
    issued: { kind: 'api', difficulty },
  };
}

/**
 * The verification path: redeems the interstitial's solution. Success redirects (303) to the original page with
 * the pass cookie; failure shows a short page that links back (never an automatic loop).
 */
export function verifyBrowserSolution(cfg: ChallengeConfig, binding: Binding, req: ChallengeRequest, nowMs: number): { ok: boolean; reply: ChallengeReply; note: ChallengeNote } {
  const q = new URLSearchParams(req.query);
  const to = safeReturnPath(q.get('to'));
  const fail = (reason: RefusalReason | 'cookies-off') => ({
    ok: false,
    reply: pageReply(failedPage(to, reason === 'cookies-off')),
    note: { solution: { kind: 'html' as const, ok: false as const, reason } },
  });
  if (req.method !== 'GET') return fail('malformed');
  const r = redeemSolution(cfg.keyring, q.get('t') ?? '', q.get('n') ?? '', binding, nowSec(nowMs));
  if (!r.ok) return fail(r.reason);
  if (cookie(req.headers, COOKIE_CHECK) === null) return fail('cookies-off');
  const ms = Number(q.get('ms'));
  const solveMs = Number.isFinite(ms) && ms >= 0 && ms <= CHALLENGE_TTL_SECONDS * 1000 ? Math.round(ms) : null;
  const pass = issuePass(cfg.keyring, binding, r.claims.difficulty, nowSec(nowMs), cfg.passLifetimeSec);
  return {
    ok: true,
    reply: {
      headers: [
        ['location', to],
        ['set-cookie', setCookie(PASS_COOKIE, pass, cfg.passLifetimeSec, secure(req.headers))],
        ['cache-control', 'no-store'],
      ],
      body: '',
    },
    note: { solution: { kind: 'html', ok: true, difficulty: r.claims.difficulty, solveMs } },
  };
}
