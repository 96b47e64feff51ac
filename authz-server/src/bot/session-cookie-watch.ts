/**
 * Whether the session cookie a policy names (`bot.sessionCookie`, default `session`) ever arrives. When it does not,
 * every browser request reads as a visit without a session: page subresources and API calls count as landings, and
 * the crowd and session evidence challenges ordinary people (on the simulator's second model, 27 % of them). So
 * each window of Checks is counted per policy, and a window in which many requests carried cookies but none the
 * policy's is reported once (a warning naming the cookies that did arrive, names only), and again at most hourly.
 */
import { cookieNames } from '../pipeline/request.ts';

/** Checks with cookies in one window below which nothing is concluded. */
export const MIN_COOKIE_CHECKS = 200;

/** Distinct cookie names kept for the warning. */
const MAX_NAMES = 8;

interface Window {
  startMs: number;
  withCookies: number;
  withSession: number;
  names: Set<string>;
}

/** What a window that concluded the cookie is missing says. */
export interface MissingSessionCookie {
  policy: string;
  cookie: string;
  /** Checks that carried a cookie header in the window. */
  checks: number;
  /** Names of cookies they carried (at most 8). */
  seen: string[];
}

/** Counts, per policy, the Checks that carry cookies and those that carry the policy's session cookie. */
export class SessionCookieWatch {
  readonly #clock: () => number;
  readonly #windowMs: number;
  readonly #repeatMs: number;
  readonly #report: (m: MissingSessionCookie) => void;
  readonly #windows = new Map<string, Window>();
  readonly #reported = new Map<string, number>();

  constructor(opts: { clock: () => number; report: (m: MissingSessionCookie) => void; windowMs?: number; repeatMs?: number }) {
    this.#clock = opts.clock;
    this.#report = opts.report;
    this.#windowMs = opts.windowMs ?? 5 * 60_000;
    this.#repeatMs = opts.repeatMs ?? 60 * 60_000;
  }

  /**
   * One bot-scored Check of `policy` whose session is read from `cookie`: `header` is its cookie header ('' when
   * none), `hasSession` whether the session cookie was in it.
   */
  observe(policy: string, cookie: string, header: string, hasSession: boolean): void {
    if (header === '') return;
    const now = this.#clock();
    let w = this.#windows.get(policy);
    if (w === undefined || now - w.startMs >= this.#windowMs) {
      if (w !== undefined) this.#conclude(policy, cookie, w, now);
      w = { startMs: now, withCookies: 0, withSession: 0, names: new Set() };
      this.#windows.set(policy, w);
    }
    w.withCookies++;
    if (hasSession) w.withSession++;
    else if (w.withSession === 0 && w.names.size < MAX_NAMES) {
      for (const name of cookieNames(header)) if (name.length <= 64 && w.names.size < MAX_NAMES) w.names.add(name);
    }
  }

  #conclude(policy: string, cookie: string, w: Window, now: number): void {
    if (w.withSession > 0 || w.withCookies < MIN_COOKIE_CHECKS) return;
    const last = this.#reported.get(policy);
    if (last !== undefined && now - last < this.#repeatMs) return;
    this.#reported.set(policy, now);
    this.#report({ policy, cookie, checks: w.withCookies, seen: [...w.names].sort() });
  }
}
