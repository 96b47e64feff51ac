/**
 * Whether a route's requests that claim a kind of their own are taken at their word, by what the upstream answered
 * such claims with (the access log's content types, which a client does not choose for a route that serves one type).
 * Two claims are kept apart from a session's calls: a page's file (isSubresource: fetch metadata naming an image, a
 * script, a style sheet, a font or media, and a path named like such a file; not in the 10 s counts, as a person's
 * page brings a dozen within seconds) and a page load (isPageLoad: a navigation that asks for HTML). Both are the
 * client's word, and a route that answers with data can be sent either: an API whose path parameter takes any word
 * (`/api/search/shoes.js`, `/api/items/42.png`), an upstream that routes a file extension to the resource without it,
 * an API that answers JSON whatever the request accepts. A route whose claims were answered with data (JSON,
 * protobuf) more often than as claimed (files for a file claim, pages for a navigation), `minAnswers` times or more,
 * serves nothing of the kind, and its claims are taken for what they are, calls. A person's browser never gets data
 * for an image, a script or a page it navigated to (it could not show or run it), so people's requests keep their
 * routes. minAnswers 0 takes every claim. Learned by the replica that let the requests through, from their answers
 * (2xx only), and kept while answers keep coming (`ttlMs` after the last). One instance per kind of claim.
 */
export class ClaimAnswers {
  readonly #ttlMs: number;
  readonly #minAnswers: number;
  readonly #maxEntries: number;
  /** policy and route code -> answers to claims, with data and as claimed, and until when they are kept. */
  readonly #routes = new Map<string, { data: number; claimed: number; until: number }>();

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

  /** Whether a claim on the route is taken at its word: false once the route answered claims with data (see above). */
  honoured(policyId: string, routeCode: number, nowMs: number): boolean {
    if (this.#routes.size === 0) return true;
    const key = ClaimAnswers.#key(policyId, routeCode);
    const r = this.#routes.get(key);
    if (r === undefined) return true;
    if (r.until <= nowMs) {
      this.#routes.delete(key);
      return true;
    }
    return r.data < this.#minAnswers || r.data <= r.claimed;
  }

  /** Learns the upstream's successful answer to a claim on the route: with data, or with what was claimed. */
  answered(policyId: string, routeCode: number, asClaimed: boolean, nowMs: number): void {
    if (this.#minAnswers <= 0) return;
    const key = ClaimAnswers.#key(policyId, routeCode);
    let r = this.#routes.get(key);
    if (r !== undefined && r.until <= nowMs) r = undefined;
    // Re-inserted last: the Map's first entry is the one longest without an answer, dropped when full.
    this.#routes.delete(key);
    const next = r ?? { data: 0, claimed: 0, until: 0 };
    if (asClaimed) next.claimed = Math.min(next.claimed + 1, 1e9);
    else next.data = Math.min(next.data + 1, 1e9);
    next.until = nowMs + this.#ttlMs;
    this.#routes.set(key, next);
    if (this.#routes.size > this.#maxEntries) {
      const oldest = this.#routes.keys().next();
      if (!oldest.done) this.#routes.delete(oldest.value);
    }
  }
}
