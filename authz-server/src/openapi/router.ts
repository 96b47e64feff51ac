/**
 * Finds the operation of a request among an API's path templates, pure. The templates go into a segment trie:
 * literal segments are looked up in a map, templated ones (`{id}`, `{name}.{ext}`) are tried after the literals
 * (a concrete path wins over a templated one, as OpenAPI asks), so a lookup costs about one map probe per segment
 * however many operations the API has. A trailing slash is tolerated, as in access rules; with the policy's
 * `pathMatching.caseSensitive: false`, letter case is ignored, as in its rules.
 */

/** What a lookup found. */
export type RouteResult =
  | { kind: 'found'; operation: number; template: string; params: Record<string, string> }
  /** The path matches a template, the method does not: `allowed` lists that template's methods. */
  | { kind: 'method'; template: string; allowed: string[] }
  | { kind: 'none' };

interface Templated {
  segment: string;
  /** Anchored regex for the segment, one capture group per name. */
  re: RegExp;
  names: string[];
  node: Node;
}

interface Node {
  literal: Map<string, Node>;
  templated: Templated[];
  /** method -> operation index, on the node a template ends at. */
  methods: Map<string, number> | null;
  template: string;
}

function node(): Node {
  return { literal: new Map(), templated: [], methods: null, template: '' };
}

const PARAM = /\{([^}]+)\}/g;

function segmentPattern(segment: string, flags: string): { re: RegExp; names: string[] } {
  const names: string[] = [];
  let source = '^';
  let last = 0;
  for (const m of segment.matchAll(PARAM)) {
    source += escape(segment.slice(last, m.index));
    source += '([^/]+?)';
    names.push(m[1]!);
    last = m.index + m[0].length;
  }
  return { re: new RegExp(`${source}${escape(segment.slice(last))}$`, flags), names };
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function segmentsOf(path: string): string[] {
  const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  return trimmed === '/' || trimmed === '' ? [] : trimmed.slice(1).split('/');
}

/** The operations of one API, by method and path template. */
export class Router {
  readonly #root = node();
  readonly #basePath: string;
  readonly #caseless: boolean;

  /**
   * `operations[i]` is reported as operation `i`; `basePath` ("" or "/v2") prefixes every template;
   * `caseSensitive` false ignores letter case in literal parts.
   */
  constructor(operations: ReadonlyArray<{ method: string; path: string }>, basePath: string, caseSensitive = true) {
    this.#caseless = !caseSensitive;
    this.#basePath = this.#caseless ? basePath.toLowerCase() : basePath;
    operations.forEach((op, i) => {
      let at = this.#root;
      for (const segment of segmentsOf(op.path)) {
        if (!segment.includes('{')) {
          const literal = this.#caseless ? segment.toLowerCase() : segment;
          let next = at.literal.get(literal);
          if (!next) at.literal.set(literal, (next = node()));
          at = next;
          continue;
        }
        let t = at.templated.find((x) => x.segment === segment);
        if (!t) {
          const { re, names } = segmentPattern(segment, this.#caseless ? 'i' : '');
          t = { segment, re, names, node: node() };
          at.templated.push(t);
          // Fewer template characters, more literal ones: `{name}.json` is tried before `{name}`.
          at.templated.sort((a, b) => b.re.source.length - a.re.source.length);
        }
        at = t.node;
      }
      at.methods ??= new Map();
      if (!at.methods.has(op.method)) at.methods.set(op.method, i);
      at.template ||= op.path;
    });
  }

  /** Looks up a normalised request path (no query string). */
  route(method: string, path: string): RouteResult {
    let rest = path;
    if (this.#basePath !== '') {
      const cased = this.#caseless ? rest.toLowerCase() : rest;
      if (cased !== this.#basePath && !cased.startsWith(`${this.#basePath}/`)) return { kind: 'none' };
      rest = rest.slice(this.#basePath.length) || '/';
    }
    const segments = segmentsOf(rest);
    let methodMiss: RouteResult | null = null;
    const walk = (at: Node, i: number): RouteResult | null => {
      if (i === segments.length) {
        if (!at.methods) return null;
        const op = at.methods.get(method);
        if (op === undefined) {
          methodMiss ??= { kind: 'method', template: at.template, allowed: [...at.methods.keys()] };
          return null;
        }
        return { kind: 'found', operation: op, template: at.template, params: {} };
      }
      const segment = segments[i]!;
      const lit = at.literal.get(this.#caseless ? segment.toLowerCase() : segment);
      if (lit) {
        const found = walk(lit, i + 1);
        if (found) return found;
      }
      for (const t of at.templated) {
        const m = t.re.exec(segment);
        if (!m) continue;
        const found = walk(t.node, i + 1);
        if (found) {
          if (found.kind === 'found') t.names.forEach((name, j) => (found.params[name] ??= m[j + 1]!));
          return found;
        }
      }
      return null;
    };
    return walk(this.#root, 0) ?? methodMiss ?? { kind: 'none' };
  }
}
