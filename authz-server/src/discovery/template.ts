/**
 * Path templates, pure: a concrete path with its identifiers collapsed to `{id}`, so that `/orders/42` and
 * `/orders/43` are one endpoint (API discovery) and one route (bot detectors). Collapsed: numbers, UUIDs, long
 * hex strings, long base64/base64url tokens, dates, e-mail-like and mixed letter/digit identifiers, and any
 * segment longer than 64 characters. Words (`orders`, `line-items`, `v2`, `me`) stay.
 */

const ID = '{id}';

/** Segments kept verbatim at most; deeper paths end in `/**`. */
const MAX_TEMPLATE_SEGMENTS = 12;

const NUMERIC = /^\d+$/;
const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const HEX = /^(?:0x)?[0-9a-f]{12,}$/i;
/** base64 / base64url / ULID-like: long, from the token alphabet. */
const TOKEN = /^[A-Za-z0-9_\-+=~.]{20,}$/;
/** Dates, times, versions and other digit runs with separators: 2024-01-15, 1.2.3, 12:30. */
const NUMERIC_WITH_SEPARATORS = /^[\d][\d\-_.:,]*\d$/;
const DIGITS = /\d/g;

function isIdentifier(seg: string): boolean {
  if (seg.length > 64) return true;
  if (NUMERIC.test(seg) || UUID.test(seg) || NUMERIC_WITH_SEPARATORS.test(seg)) return true;
  if (HEX.test(seg) && /\d/.test(seg)) return true;
  if (seg.includes('@')) return true;
  const digits = seg.match(DIGITS)?.length ?? 0;
  if (TOKEN.test(seg) && digits > 0) return true;
  // Mixed identifiers such as ord_8f3k2j9x or sku-48213: several digits among letters.
  if (seg.length >= 6 && digits >= 3 && /[A-Za-z]/.test(seg)) return true;
  return false;
}

/**
 * Decides whether a word segment is one of many values its position takes (a slug), given the template of the
 * path before it: route-shapes.ts learns that per site.
 */
export type SlugTest = (parent: string, segment: string) => boolean;

/** A segment a SlugTest collapsed. */
const SLUG = '{slug}';

/**
 * The template of a normalised path (no query string). With `slug`, word segments after the first that it names
 * collapse to `{slug}` (`/journeys/leeds-york` and `/journeys/york-leeds` are one route where the site has many).
 */
export function pathTemplate(path: string, slug?: SlugTest): string {
  if (path === '' || path === '/') return '/';
  const trailing = path.length > 1 && path.endsWith('/');
  const segments = path.split('/').filter((s) => s !== '');
  const out: string[] = [];
  for (let i = 0; i < segments.length; i++) {
    if (i === MAX_TEMPLATE_SEGMENTS) {
      out.push('**');
      break;
    }
    const seg = segments[i]!;
    out.push(isIdentifier(seg) ? ID : i > 0 && slug !== undefined && slug(`/${out.join('/')}`, seg) ? SLUG : seg);
  }
  return `/${out.join('/')}${trailing && out.length <= MAX_TEMPLATE_SEGMENTS && out[out.length - 1] !== '**' ? '/' : ''}`;
}
