/**
 * Route shapes learned from a site's own traffic: which path positions take many values (slugs), so that the
 * detectors' routes collapse them. Path templates collapse what looks like an identifier (numbers, UUIDs, tokens);
 * a slug is a word (`/journeys/leeds-york`, `/e/winter-jazz-night`) and stays, so a site with thousands of slug
 * pages has thousands of routes, each too quiet to surge: a crowd spread over them (one to three requests per
 * address, as residential proxies send) raised no route's surge at all. A position whose parent has had at least
 * `minDistinct` different words collapses them to `{slug}`, except the ones that carry a large share of the parent's
 * traffic (`/api/v1/fares` among many rarely called endpoints stays a route of its own); so does one whose parent's
 * siblings have had that many together (`/docs/{section}/{page}`: a few pages per section, many in all).
 *
 * Learned per replica from requests the detectors passed clean (never from flagged or suspicious ones, like every
 * baseline) once the upstream answered them with a success or a redirect, where an access log arrives (feed.ts), so
 * that made-up words a client sends (answered 404) cannot widen a shape; bounded per policy, kept across snapshots
 * while the policy exists. A replica that has not learned a shape yet (just started) keeps slugs apart, as path
 * templates alone do.
 */
import type { BotKnobs } from './knobs.ts';
import { pathTemplate, type SlugTest } from '../discovery/template.ts';

/** What is learned of one parent path: how often each word came after it. */
interface Parent {
  total: number;
  children: Map<string, number>;
  /** Has had minDistinct different words (kept when decay forgets rare ones). */
  wide: boolean;
}

interface PolicyShapes {
  parents: Map<string, Parent>;
  /** Parents that are wide: none means every template is the plain one (the common, quick case). */
  wide: number;
  tests: Map<string, SlugTest>;
}

/** Templates for the highest position learned: deeper positions stay as path templates make them. */
const MAX_DEPTH = 6;

/** Learns and applies route shapes (see the module comment). */
/** A path's route template: by the policy's learned route shapes where there are some, else by the path alone. */
export function routeTemplate(routes: RouteShapes | undefined, policyId: string, host: string, path: string): string {
  return routes ? routes.template(policyId, host, path) : pathTemplate(path);
}

export class RouteShapes {
  readonly #knobs: BotKnobs['routes'];
  readonly #byPolicy = new Map<string, PolicyShapes>();

  constructor(knobs: BotKnobs['routes']) {
    this.#knobs = knobs;
  }

  #shapes(policyId: string): PolicyShapes {
    let s = this.#byPolicy.get(policyId);
    if (!s) {
      s = { parents: new Map(), wide: 0, tests: new Map() };
      this.#byPolicy.set(policyId, s);
    }
    return s;
  }

  #test(s: PolicyShapes, host: string): SlugTest {
    let t = s.tests.get(host);
    if (!t) {
      const heavy = this.#knobs.heavyShare;
      const slugIn = (key: string, segment: string): boolean => {
        const p = s.parents.get(key);
        return p !== undefined && p.wide && (p.children.get(segment) ?? 0) < heavy * p.total;
      };
      t = (parent, segment) => {
        if (slugIn(`${host}\u0000${parent}`, segment)) return true;
        const siblings = siblingsOf(parent);
        return siblings !== null && slugIn(`${host}\u0000${siblings}`, segment);
      };
      // Hosts are the sender's word: a bounded number of them get a test kept.
      if (s.tests.size < this.#knobs.maxParents) s.tests.set(host, t);
    }
    return t;
  }

  /** The route template of a request's path: its identifiers as `{id}`, its learned slugs as `{slug}`. */
  template(policyId: string, host: string, path: string): string {
    const s = this.#byPolicy.get(policyId);
    if (!s || s.wide === 0) return pathTemplate(path);
    return pathTemplate(path, this.#test(s, host));
  }

  /** Learns one request's path (one the detectors passed clean). */
  learn(policyId: string, host: string, path: string): void {
    const s = this.#shapes(policyId);
    // The positions are walked as templates are made, so that each word is learned under the parent a Check reads.
    const test = s.wide > 0 ? this.#test(s, host) : null;
    let full = false;
    pathTemplate(path, (parent, segment) => {
      if (!full && depthOf(parent) < MAX_DEPTH) {
        full = !this.#count(s, `${host}\u0000${parent}`, segment);
        const siblings = siblingsOf(parent);
        if (!full && siblings !== null) full = !this.#count(s, `${host}\u0000${siblings}`, segment);
      }
      return test !== null && test(parent, segment);
    });
  }

  /** Counts a word after its parent; false when the parent is new and the policy holds maxParents already. */
  #count(s: PolicyShapes, key: string, segment: string): boolean {
    const k = this.#knobs;
    let p = s.parents.get(key);
    if (!p) {
      if (s.parents.size >= k.maxParents) return false;
      p = { total: 0, children: new Map(), wide: false };
      s.parents.set(key, p);
    }
    p.total++;
    const n = p.children.get(segment);
    if (n !== undefined) p.children.set(segment, n + 1);
    else if (p.children.size < k.maxChildren) p.children.set(segment, 1);
    if (!p.wide && p.children.size >= k.minDistinct) {
      p.wide = true;
      s.wide++;
    }
    if (p.total >= k.decayAt) decay(p);
    return true;
  }

  /** Forgets policies no longer served. */
  retain(policyIds: ReadonlySet<string>): void {
    for (const id of this.#byPolicy.keys()) if (!policyIds.has(id)) this.#byPolicy.delete(id);
  }

  /** The parents learned as wide for a policy (`host` NUL `path`), for tests and the decision log's readers. */
  wideParents(policyId: string): string[] {
    const s = this.#byPolicy.get(policyId);
    return s ? [...s.parents].filter(([, p]) => p.wide).map(([key]) => key) : [];
  }
}

/**
 * The parent's siblings taken together (`/docs/alerts` -> `/docs/*`), for parents two segments deep or deeper: a tree
 * of a few sections, each with a few pages (`/docs/{section}/{page}`), has many words at the page's position but
 * fewer than minDistinct under any one section, so each page would stay a route of its own; counted across the
 * sections, the pages collapse (`/docs/alerts/{slug}`) and the sections stay. A first-level parent has none (its
 * siblings would be the whole site's first segments: `/api/v1` among them).
 */
function siblingsOf(parent: string): string | null {
  const cut = parent.lastIndexOf('/');
  return cut > 0 ? `${parent.slice(0, cut)}/*` : null;
}

/** The number of segments of a template (`/journeys` is 1). */
function depthOf(template: string): number {
  let n = 0;
  for (let i = 0; i < template.length; i++) if (template.charCodeAt(i) === 47) n++;
  return n;
}

/** Halves a parent's counts so that what it carries now outweighs what it carried long ago. */
function decay(p: Parent): void {
  for (const [child, n] of p.children) {
    if (n >> 1 === 0) p.children.delete(child);
    else p.children.set(child, n >> 1);
  }
  p.total = p.total >> 1;
}
