// Path traversal detection on a decoded value: dot-dot segments (with '\\',
// '..;/', '....//' and NUL variants normalised), absolute paths to well-known
// sensitive files, and NUL bytes used to cut a file name short.

export interface TraversalMatch {
  rule: string;
  fragment: string;
}

// Linear: one bounded character run per alternative.
const DOTDOT_RE = /(?:^|[/=:?&;,\s'"(])\.{2,}(?:;[^/]{0,64})?\//;
const DOTDOT_END_RE = /(?:^|\/)\.\.(?:;[^/]{0,64})?$/;
const SENSITIVE_RE =
  /(?:^|[/=:\s'"])(?:etc\/(?:passwd|shadow|master\.passwd|gshadow|sudoers)\b|proc\/(?:self|\d+)\/(?:environ|cmdline|fd|maps|mem|root|cwd)\b|(?:windows|winnt)\/(?:win\.ini|system\.ini|system32\/)|boot\.ini\b|\.ssh\/(?:id_[a-z0-9]+|authorized_keys)\b|\.aws\/credentials\b)/;
const QUICK_RE = /[./\\\u0000]/;

/** Detects path traversal in one decoded value. */
export function detectTraversal(value: string): TraversalMatch | null {
  if (!QUICK_RE.test(value)) return null;
  const nul = value.indexOf('\u0000');
  let t = nul === -1 ? value : value.replaceAll('\u0000', '');
  if (t.indexOf('\\') !== -1) t = t.replaceAll('\\', '/');
  t = t.toLowerCase();
  const d = DOTDOT_RE.exec(t) ?? DOTDOT_END_RE.exec(t);
  if (d !== null) return { rule: 'traversal.dotdot', fragment: t.slice(d.index) };
  const s = SENSITIVE_RE.exec(t);
  if (s !== null) return { rule: 'traversal.sensitive-file', fragment: t.slice(s.index) };
  if (nul !== -1 && /[/.]/.test(t)) return { rule: 'traversal.null-byte', fragment: value.slice(Math.max(0, nul - 40)) };
  return null;
}
