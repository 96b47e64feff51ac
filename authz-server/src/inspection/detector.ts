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

/** A regex rule; `any` lists substrings one of which must occur for the regex to be worth running. */
export interface RegexRule {
  rule: string;
  re: RegExp;
  any?: readonly string[];
}

function containsAny(text: string, words: readonly string[]): boolean {
  for (let i = 0; i < words.length; i++) if (text.indexOf(words[i] as string) !== -1) return true;
  return false;
}

/** Runs `rules` in order on `text` and returns the first unskipped match, the fragment starting at the match. */
export function firstRegexMatch(text: string, rules: readonly RegexRule[], opts: DetectOptions): Match | null {
  for (let i = 0; i < rules.length; i++) {
    const r = rules[i] as RegexRule;
    if (r.any !== undefined && !containsAny(text, r.any)) continue;
    if (opts.skip !== null && opts.skip(r.rule)) continue;
    const m = r.re.exec(text);
    if (m !== null) return { rule: r.rule, fragment: text.slice(m.index) };
  }
  return null;
}
