/**
 * Whether a route's requests that claim to be a page's files (isSubresource: fetch metadata naming an image, a
 * script, a style sheet, a font or media, and a path named like such a file) are taken for files. A file claim is the
 * client's word, and a file is counted apart: not in a burst, not as one of a session's calls (a person's page brings
 * a dozen within seconds). A route that answers with data could be sent such claims to pass as files: an API whose
 * path parameter takes any word (`/api/search/shoes.js`, `/api/items/42.png`), or an upstream that routes a file
 * extension to the resource without one. What the upstream answered the claims with (the access log's content types)
 * is not the client's to choose: a route whose claims were answered with data (JSON, protobuf) more often than with
 * files, `minAnswers` times or more, serves no files, and its claims are taken for what they are, calls. A person's
 * browser never gets data for an image or a script it asked for (it could not show or run it), so people's files
 * keep their routes. minAnswers 0 takes every claim. Learned by the replica that let the requests through, from
 * their answers (2xx only), and kept while answers keep coming (`ttlMs` after the last).
 */
export class FileClaims {
  readonly #ttlMs: number;
  readonly #minAnswers: number;
  readonly #maxEntries: number;
  /** policy and route code -> answers to file claims, with data and with files, and until when they are kept. */
  readonly #routes = new Map<string, { data: number; files: number; until: number }>();

  constructor(opts: { ttlMs: number; minAnswers: number; maxEntries?: number }) {
    this.#ttlMs = opts.ttlMs;
    this.#minAnswers = opts.minAnswers;
    this.#maxEntries = opts.maxEntries ?? 10_000;
  }

  static #key = (policyId: string, routeCode: number) => `${policyId}\u0000${routeCode}`;

  /** No route's answers are kept (every claim is taken: skip looking the route up). */
  get empty(): boolean {
    return this.#routes.size === 0;
  }

  /** Whether a file claim on the route is taken for a file: false once the route answered claims with data (see above). */
  honoured(policyId: string, routeCode: number, nowMs: number): boolean {
    if (this.#routes.size === 0) return true;
    const key = FileClaims.#key(policyId, routeCode);
    const r = this.#routes.get(key);
    if (r === undefined) return true;
    if (r.until <= nowMs) {
      this.#routes.delete(key);
      return true;
    }
    return r.data < this.#minAnswers || r.data <= r.files;
  }

  /** Learns the upstream's successful answer to a file claim on the route: data, a file, or anything else (ignored). */
  answered(policyId: string, routeCode: number, served: 'data' | 'file', nowMs: number): void {
    if (this.#minAnswers <= 0) return;
    const key = FileClaims.#key(policyId, routeCode);
    let r = this.#routes.get(key);
    if (r !== undefined && r.until <= nowMs) r = undefined;
    // Re-inserted last: the Map's first entry is the one longest without an answer, dropped when full.
    this.#routes.delete(key);
    const next = r ?? { data: 0, files: 0, until: 0 };
    if (served === 'data') next.data = Math.min(next.data + 1, 1e9);
    else next.files = Math.min(next.files + 1, 1e9);
    next.until = nowMs + this.#ttlMs;
    this.#routes.set(key, next);
    if (this.#routes.size > this.#maxEntries) {
      const oldest = this.#routes.keys().next();
      if (!oldest.done) this.#routes.delete(oldest.value);
    }
  }
}
