/**
 * Translation of the policy language's patterns into anchored regular-expression sources. Pure; the results are
 * stored in the snapshot so that every replica matches exactly the same way.
 */

const REGEX_SPECIAL = /[.*+?^${}()|[\]\\/]/g;

function escapeRegex(s: string): string {
  return s.replace(REGEX_SPECIAL, '\\$&');
}

/** SPIFFE principal glob: "*" matches any run of characters except "/". */
export function globToRegex(glob: string): string {
  return `^${glob.split('*').map(escapeRegex).join('[^/]*')}$`;
}

/** The compiler's refusals of a path pattern; the CRD's CEL rules refuse the same with the same words. */
export const PATH_MESSAGES = {
  doubleStarLast: '"**" is only allowed as the last segment',
  wholeSegment: '"*" must be a whole segment',
  emptySegment: 'empty segment ("//")',
} as const;

/**
 * Path pattern: "*" is exactly one non-empty segment, "**" (last segment only) is any rest including nothing.
 * A trailing slash on the request path is tolerated. Throws with a user-facing message on a bad pattern.
 */
export function pathPatternToRegex(pattern: string): string {
  if (!pattern.startsWith('/')) throw new Error('must start with "/"');
  const trimmed = pattern.length > 1 && pattern.endsWith('/') ? pattern.slice(0, -1) : pattern;
  if (trimmed === '/') return '^/$';
  const segments = trimmed.slice(1).split('/');
  let out = '^';
  segments.forEach((seg, i) => {
    if (seg === '**') {
      if (i !== segments.length - 1) throw new Error(PATH_MESSAGES.doubleStarLast);
      out += '(?:/.*)?';
      return;
    }
    if (seg.includes('*') && seg !== '*') throw new Error(PATH_MESSAGES.wholeSegment);
    if (seg === '') throw new Error(PATH_MESSAGES.emptySegment);
    out += seg === '*' ? '/[^/]+' : `/${escapeRegex(seg)}`;
  });
  if (!segments.includes('**')) out += '/?';
  return `${out}$`;
}

/** Parses "Ns" | "Nm" | "Nh" into milliseconds. */
export function parseDurationMs(d: string): number {
  const m = /^([1-9][0-9]*)(s|m|h)$/.exec(d);
  if (!m) throw new Error(`invalid duration ${JSON.stringify(d)} (use Ns, Nm or Nh)`);
  const n = Number(m[1]);
  const unit = m[2] === 's' ? 1000 : m[2] === 'm' ? 60_000 : 3_600_000;
  return n * unit;
}
