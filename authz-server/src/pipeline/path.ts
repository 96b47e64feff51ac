/**
 * How a request path is read for matching, so that rules and rate limits judge the route the upstream will
 * actually serve. Measured against the real servers (test/upstreams): nginx, Tomcat, Go net/http and Express
 * disagree on exactly the encodings an attacker reaches for, so each one is either read the way every upstream
 * reads it, or refused:
 *
 *  - `;` path parameters are stripped from every segment before matching: Tomcat (and so Spring) route
 *    `/login;jsessionid=x` to `/login` and `/docs/..;/admin` to `/admin`. Upstreams that keep `;` literally
 *    route such paths nowhere the stripped form could not also reach.
 *  - dot segments (`.`, `..`, also as `%2e` or with parameters such as `..;`) are refused: nginx and Tomcat
 *    resolve them, Go redirects to the resolved path, Express routes them literally (`/admin/../public/x` reaches
 *    Express's `/admin/*` route but nginx's `/public/`), so no single reading is right. Browsers and HTTP clients
 *    resolve them before sending; Envoy's `normalize_path` (Istio's default) removes them before Palisade sees
 *    the request.
 *  - escapes of `/` and `\` (`%2F`, `%5C`) and a raw `\`: nginx decodes `%2F` into a separator, Tomcat refuses
 *    all three, Go and Express keep `%2F` inside a segment. The policy says which reading its upstream has
 *    (`pathMatching.escapedSlashes`); Reject is the default.
 *  - other escapes are decoded (`%61dmin` is `/admin` to nginx, Tomcat and Go), except those of `%`, `?`, `#`
 *    and `;`, which stay escaped (uppercase); invalid escapes and control characters are refused (nginx, Tomcat
 *    and Go answer 400).
 *  - empty segments are merged (`//admin` is `/admin` to nginx and Tomcat; Go redirects there).
 *
 * Case-insensitive upstreams (Express by default) are handled where paths are matched (the policy's
 * `pathMatching.caseSensitive`), not by rewriting the path.
 */

/** A path as read for matching, and why the request must be refused instead (null when it reads cleanly). */
export interface PathReading {
  path: string;
  problem: string | null;
}

/** The readings a policy chooses from (pathMatching.escapedSlashes). */
export interface PathForms {
  /** `%2F`, `%5C` and `\` kept inside their segment (Keep; also the reading shown when a policy rejects them). */
  kept: PathReading;
  /** `%2F`, `%5C` and `\` read as `/` (Unescape); the same object as `kept` when the path has none. */
  unescaped: PathReading;
  /** The path carries `%2F`, `%5C` or a raw backslash. */
  escapedSlash: boolean;
}

const ESCAPED_SLASH = /%2f|%5c|\\/i;
const ESCAPED_SLASH_ALL = /%2f|%5c|\\/gi;
const BAD_ESCAPE = /%(?![0-9A-Fa-f]{2})/;
/** Control characters (C0 and DEL) in the raw path. */
const CONTROL = /[\u0000-\u001f\u007f]/;
/** Characters whose escapes stay escaped: decoding them would change how the path splits or what it means. */
const KEEP_ESCAPED = new Set([0x25, 0x2f, 0x5c, 0x3f, 0x23, 0x3b]);
const utf8 = new TextDecoder('utf-8', { fatal: true });

function hexByte(s: string, i: number): number {
  return parseInt(s.slice(i + 1, i + 3), 16);
}

/** Decodes the escapes of one segment (already checked for bad escapes); null when one encodes a control character. */
function decodeSegment(seg: string): string | null {
  if (!seg.includes('%')) return seg;
  let out = '';
  let i = 0;
  while (i < seg.length) {
    const c = seg[i] as string;
    if (c !== '%') {
      out += c;
      i++;
      continue;
    }
    const b = hexByte(seg, i);
    if (b < 0x20 || b === 0x7f) return null;
    if (b < 0x80) {
      out += KEEP_ESCAPED.has(b) ? `%${b.toString(16).toUpperCase().padStart(2, '0')}` : String.fromCharCode(b);
      i += 3;
      continue;
    }
    // A run of escaped non-ASCII bytes: decoded when it is valid UTF-8, else kept (uppercase).
    const bytes: number[] = [];
    let j = i;
    while (j < seg.length && seg[j] === '%' && hexByte(seg, j) >= 0x80) {
      bytes.push(hexByte(seg, j));
      j += 3;
    }
    try {
      out += utf8.decode(Uint8Array.from(bytes));
    } catch {
      out += bytes.map((x) => `%${x.toString(16).toUpperCase()}`).join('');
    }
    i = j;
  }
  return out;
}

function read(raw: string, slashesSeparate: boolean): PathReading {
  let problem: string | null = null;
  if (CONTROL.test(raw)) problem = 'control character in the path';
  else if (BAD_ESCAPE.test(raw)) problem = 'invalid percent-escape in the path';
  const source = slashesSeparate ? raw.replace(ESCAPED_SLASH_ALL, '/') : raw;
  const out: string[] = [];
  const rawSegments = source.split('/');
  for (const rawSeg of rawSegments) {
    const semi = rawSeg.indexOf(';');
    const seg = problem === null ? decodeSegment(semi >= 0 ? rawSeg.slice(0, semi) : rawSeg) : semi >= 0 ? rawSeg.slice(0, semi) : rawSeg;
    if (seg === null) {
      problem = 'escaped control character in the path';
      continue;
    }
    if (seg === '') continue;
    if (seg === '.' || seg === '..') {
      problem ??= `dot segment "${rawSeg}" in the path (upstreams disagree on where it leads)`;
      // The reading shown in logs resolves it, as most upstreams would.
      if (seg === '..') out.pop();
      continue;
    }
    out.push(seg);
  }
  const trailing = out.length > 0 && (rawSegments.at(-1) ?? '').split(';')[0] === '' && source.length > 1 ? '/' : '';
  return { path: `/${out.join('/')}${trailing}`, problem };
}

/** Reads a request path (without its query string) in both forms a policy may choose. Pure; never throws. */
export function readPath(raw: string): PathForms {
  const kept = read(raw, false);
  const escapedSlash = ESCAPED_SLASH.test(raw);
  return { kept, unescaped: escapedSlash ? read(raw, true) : kept, escapedSlash };
}

/** The path a policy with this `escapedSlashes` setting matches, and why it must refuse the request instead. */
export function pathFor(forms: PathForms, escapedSlashes: 'Reject' | 'Unescape' | 'Keep'): PathReading {
  if (escapedSlashes === 'Unescape') return forms.unescaped;
  if (escapedSlashes === 'Keep' || !forms.escapedSlash) return forms.kept;
  return { path: forms.kept.path, problem: forms.kept.problem ?? 'escaped slash or backslash in the path (%2F, %5C or \\; pathMatching.escapedSlashes: Reject)' };
}
