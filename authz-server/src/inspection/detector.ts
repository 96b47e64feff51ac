/** What every detector returns and accepts. */

/** A detector's evidence: the rule that matched and the text from where the attack starts (untruncated). */
export interface Match {
  rule: string;
  fragment: string;
}

/** Per-call detector settings derived from the policy's inspection options. */
export interface DetectOptions {
  /** Strict paranoia: also report lone tokens that are only suspicious (function calls, operators...). */
  strict: boolean;
  /** Rules excluded for the value being scanned; a detector moves on to its next rule when this says true. */
  skip: ((rule: string) => boolean) | null;
}

/**
 * A regex rule; `any` lists substrings one of which must occur for the regex to be worth running, and `gate`, when
 * given, is a cheaper test that is true whenever the regex can match.
 */
export interface RegexRule {
  rule: string;
  re: RegExp;
  any?: readonly string[];
  gate?: (text: string) => boolean;
}

// Which ASCII characters and character pairs the last indexed text contains, marked with that text's generation:
// a word whose first pair is absent cannot occur, so most `any` words are ruled out without scanning the text.
const PAIRS = new Uint32Array(128 * 128);
const CHARS = new Uint32Array(128);
let generation = 0;
let indexed: string | null = null;

function indexText(text: string): void {
  if (indexed === text) return;
  indexed = text;
  generation++;
  if (generation === 0xffffffff) {
    PAIRS.fill(0);
    CHARS.fill(0);
    generation = 1;
  }
  const g = generation;
  let prev = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 128) {
      CHARS[c] = g;
      if (prev !== -1) PAIRS[prev * 128 + c] = g;
      prev = c;
    } else {
      prev = -1;
    }
  }
}

function containsAny(text: string, words: readonly string[]): boolean {
  indexText(text);
  for (let i = 0; i < words.length; i++) {
    const w = words[i] as string;
    const c0 = w.charCodeAt(0);
    if (c0 < 128) {
      if (CHARS[c0] !== generation) continue;
      if (w.length > 1) {
        const c1 = w.charCodeAt(1);
        if (c1 < 128 && PAIRS[c0 * 128 + c1] !== generation) continue;
      }
    }
    if (text.indexOf(w) !== -1) return true;
  }
  return false;
}

/** Runs `rules` in order on `text` and returns the first unskipped match, the fragment starting at the match. */
export function firstRegexMatch(text: string, rules: readonly RegexRule[], opts: DetectOptions): Match | null {
  for (let i = 0; i < rules.length; i++) {
    const r = rules[i] as RegexRule;
    if (r.any !== undefined && !containsAny(text, r.any)) continue;
    if (opts.skip !== null && opts.skip(r.rule)) continue;
    if (r.gate !== undefined && !r.gate(text)) continue;
    const m = r.re.exec(text);
    if (m !== null) return { rule: r.rule, fragment: text.slice(m.index) };
  }
  return null;
}
