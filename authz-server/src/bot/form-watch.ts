/**
 * Whether a page is the form of a path under a stuffing attack, on this replica: the tries flagged for the path's
 * failure surge that were posted from the page (their same-site Referer) against the newcomers who loaded it, over the
 * current and the previous window. A crowd of stuffers posts from the form at least as often as newcomers load it
 * (careful ones load it before each try, the rest post without loading it); a campaign's landing page, where a few
 * of many newcomers fail a write and are flagged for it, is no form: one such try must not get every newcomer of the
 * page challenged.
 */
export interface FormWatchOptions {
  /** Length of a counting window (the form is held as long: knobs.surge.formHoldMs). */
  windowMs: number;
  /** Flagged tries from the page needed in the two windows. */
  minTries: number;
  /** ... and at least this share of the newcomers' loads of the page in the same windows. */
  minShare: number;
  /** Pages counted at most (the oldest forgotten first, those tries were posted from last). */
  maxPages: number;
}

interface PageCounts {
  window: number;
  landings: number;
  tries: number;
  prevLandings: number;
  prevTries: number;
}

export class FormWatch {
  readonly #opts: FormWatchOptions;
  readonly #pages = new Map<string, PageCounts>();

  constructor(opts: FormWatchOptions) {
    this.#opts = opts;
  }

  /** A newcomer (no session) loaded the page `key`. */
  landed(key: string, nowMs: number): void {
    this.#counts(key, nowMs).landings++;
  }

  /** A try flagged for its path's failure surge was posted from the page `key`: whether the page is that path's form. */
  tried(key: string, nowMs: number): boolean {
    const c = this.#counts(key, nowMs);
    c.tries++;
    const tries = c.tries + c.prevTries;
    return tries >= this.#opts.minTries && tries >= this.#opts.minShare * (c.landings + c.prevLandings);
  }

  /** Pages counted now (tests). */
  get size(): number {
    return this.#pages.size;
  }

  /**
   * Forgets the oldest page no try was posted from (among the oldest few): a flood of newcomers' loads on pages of a
   * crowd's own making must not push out the form its tries come from.
   */
  #forgetOne(): void {
    for (let i = 0; i < 16; i++) {
      const [key, c] = this.#pages.entries().next().value as [string, PageCounts];
      this.#pages.delete(key);
      if (c.tries + c.prevTries === 0 || i === 15) return;
      this.#pages.set(key, c);
    }
  }

  #counts(key: string, nowMs: number): PageCounts {
    const window = Math.floor(nowMs / this.#opts.windowMs);
    let c = this.#pages.get(key);
    if (c === undefined) {
      c = { window, landings: 0, tries: 0, prevLandings: 0, prevTries: 0 };
      this.#pages.set(key, c);
      if (this.#pages.size > this.#opts.maxPages) this.#forgetOne();
    } else if (c.window !== window) {
      const next = c.window + 1 === window;
      c.prevLandings = next ? c.landings : 0;
      c.prevTries = next ? c.tries : 0;
      c.landings = 0;
      c.tries = 0;
      c.window = window;
    }
    return c;
  }
}
