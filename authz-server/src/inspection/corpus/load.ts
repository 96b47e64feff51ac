/**
 * Reads the committed inspection corpus: the OWASP CRS regression-test requests (crs/*.jsonl, written by
 * `node bench/inspection-crs.ts --write-corpus`), the public payload lists (seclists/, libinjection/) and the
 * hand-written sample lists (*.txt). See README.md beside this file for sources and licences.
 */
import { readFileSync } from 'node:fs';

/** The attack classes of the corpus, named after the CRS families they come from. */
export type AttackClass = 'sqli' | 'xss' | 'lfi' | 'rce';

/** One request from a CRS regression test that expects its rule to fire. */
export interface CrsRequest {
  id: string;
  rule: number;
  pl: number;
  method: string;
  uri: string;
  headers: Array<[string, string]>;
  body?: string;
  fragment?: string;
}

/** All CRS requests of a class; `scoredOnly` drops the ones marked as fragments (see crs/README in the corpus). */
export function crsRequests(cls: AttackClass, scoredOnly = true): CrsRequest[] {
  const text = readFileSync(new URL(`./crs/${cls}.jsonl`, import.meta.url), 'utf8');
  const all = text
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as CrsRequest);
  return scoredOnly ? all.filter((r) => r.fragment === undefined) : all;
}

/** A hand-written sample list: one sample per line, blank lines ignored, no comment syntax. */
export function sampleLines(name: string): string[] {
  const text = readFileSync(new URL(`./${name}`, import.meta.url), 'utf8');
  return text
    .split('\n')
    .map((l) => l.replace(/\r$/, ''))
    .filter((l) => l.length > 0);
}

/** The public payload collections committed in the corpus. */
export type ListSource = 'seclists' | 'libinjection';

/** One committed payload list: its file under `<source>/`, the class its lines belong to, how its lines are written. */
interface ListFile {
  source: ListSource;
  file: string;
  cls: AttackClass | 'benign';
  /** Lines are already URL-encoded query input ('+' is a space); otherwise they are raw text. */
  urlEncoded: boolean;
}

const SECLISTS: Array<[string, AttackClass]> = [
  ['Generic-SQLi.txt', 'sqli'], ['quick-SQLi.txt', 'sqli'], ['sqli.auth.bypass.txt', 'sqli'], ['MSSQL.fuzzdb.txt', 'sqli'],
  ['SQLi-Polyglots.txt', 'sqli'], ['NoSQL.txt', 'sqli'], ['sqlmap-Low-Risk-boolean_blind.txt', 'sqli'],
  ['XSS-RSNAKE.txt', 'xss'], ['XSS-BruteLogic.txt', 'xss'],
  ['LFI-Jhaddix.txt', 'lfi'],
];
const LIBINJECTION_SQLI = [
  'sqli-@ru_raz0-20160705.txt', 'sqli-arithmetic_blind_sqli.txt', 'sqli-arithmetic_variations.txt', 'sqli-arneswinnen.net-boolean.txt',
  'sqli-arneswinnen.net-time.txt', 'sqli-comparitiveprecomputation.txt', 'sqli-edb-17934.txt', 'sqli-forums-every-10th.txt',
  'sqli-fullqueries.txt', 'sqli-fuzz-ischi.txt', 'sqli-github-110.txt', 'sqli-github-114.txt', 'sqli-github-123.txt', 'sqli-github-125.txt',
  'sqli-github-modsec-782.txt', 'sqli-hackers.txt', 'sqli-ibm.txt', 'sqli-insert_attacks.txt', 'sqli-isc_sans.txt', 'sqli-left.txt',
  'sqli-misc.txt', 'sqli-mysql-implicit.txt', 'sqli-phpids.txt', 'sqli-rsalgado-bhusa2013.txt', 'sqli-spiderlabs-201107.txt',
  'sqli-spiderlabs-201112.txt', 'sqli-spiderlabs-201205.txt', 'sqli-sqlmap-20160724.txt', 'sqli-sqlmap_examples.txt', 'sqli-themole.txt',
  'sqli-wordpress_rbarnett.txt',
];
const LIBINJECTION_XSS = [
  'xss-0x6D6172696F-394932823645503488.txt', 'xss-angular-pull-11290.txt', 'xss-html5secorg.txt', 'xss-mgentile-2013.txt',
  'xss-modsecurity-2013-1.txt', 'xss-modsecurity-2013-2.txt', 'xss-owasp-cheatsheet-20131120.txt', 'xss-smoke-test.txt',
  'xss-soaj1664ashar-pastebin-u6FY1xDA.txt', 'xss-soaj1664ashar.txt', 'xss-xenotix.txt',
];
const LIST_FILES: readonly ListFile[] = [
  ...SECLISTS.map(([file, cls]): ListFile => ({ source: 'seclists', file, cls, urlEncoded: false })),
  ...LIBINJECTION_SQLI.map((file): ListFile => ({ source: 'libinjection', file, cls: 'sqli', urlEncoded: true })),
  ...LIBINJECTION_XSS.map((file): ListFile => ({ source: 'libinjection', file, cls: 'xss', urlEncoded: true })),
  { source: 'libinjection', file: 'false_positives.txt', cls: 'benign', urlEncoded: true },
];

/** One line of a payload list. */
export interface ListPayload {
  /** `<file>:<line number>` */
  id: string;
  cls: AttackClass | 'benign';
  payload: string;
  urlEncoded: boolean;
  /** Set when the line is no attack of its class on its own (a list comment, a lone token or probe): why. */
  unscored?: string;
}

// sqlmap's templates name the values it fills in; a fuzzer would send concrete ones.
const PLACEHOLDERS: Record<string, string> = {
  '[RANDNUM]': '4829', '[RANDNUM1]': '7301', '[RANDNUM2]': '1186', '[ORIGVALUE]': '1', '[RANDSTR]': 'qxvkz', __TIME__: '5',
};
const PLACEHOLDER_RE = /\[RANDNUM[12]?\]|\[ORIGVALUE\]|\[RANDSTR\]|__TIME__/g;

function decodeForClassification(payload: string, urlEncoded: boolean): string {
  const s = urlEncoded ? payload.replaceAll('+', ' ') : payload;
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * Why a list line is not an attack of its class on its own, or undefined when it is one. The rules are about the
 * shape of a line, never about a list: a list's comment line, a lone word or number ('update', 'asc', '0'), up to
 * three punctuation characters ("'", '%28', '//'), a word with one quote and nothing else ("a'", "'sqlattempt1"), a
 * word wrapped in brackets or separators ('(sqlvuln)', ',@variable'), an LDAP filter (another injection class). Every
 * traversal / file inclusion line counts but the comments: a lone file name is an attack of that class.
 */
function unscoredReason(line: string, urlEncoded: boolean, source: ListSource, cls: AttackClass): string | undefined {
  if (source === 'seclists' && /^#\s/.test(line)) return 'a comment line of the list';
  // a lone file name ('.htpasswd', 'web.config') is what a file inclusion asks for
  if (cls === 'lfi') return undefined;
  const d = decodeForClassification(line, urlEncoded).trim();
  if (/^[\w@$.]*$/.test(d)) return 'a lone word or number';
  if (/^[^\w\s]{1,3}$/.test(d)) return 'a lone punctuation probe';
  if (/^\w*['"`]\w*$/.test(d)) return 'a lone quote probe';
  if (/^[(+,;@|]*[\w@$.]+[);]*$/.test(d)) return 'a lone word in brackets or separators';
  if (/\(\|\(|^\*\|$/.test(d)) return 'an LDAP filter (another injection class)';
  return undefined;
}

/**
 * Every line of the committed public payload lists of `source`, with its class and, for lines that are no
 * attack on their own, the reason they are not scored. libinjection's '#' lines are comments by its own format and
 * are left out; sqlmap's placeholders are filled in with fixed values.
 */
export function listPayloads(source: ListSource): ListPayload[] {
  const out: ListPayload[] = [];
  for (const f of LIST_FILES) {
    if (f.source !== source) continue;
    const text = readFileSync(new URL(`./${source}/${f.file}`, import.meta.url), f.urlEncoded ? 'latin1' : 'utf8');
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const raw = (lines[i] as string).replace(/\r$/, '');
      if (raw.trim() === '' || (source === 'libinjection' && raw.startsWith('#'))) continue;
      const payload = raw.replace(PLACEHOLDER_RE, (m) => PLACEHOLDERS[m] ?? m);
      const p: ListPayload = { id: `${f.file}:${i + 1}`, cls: f.cls, payload, urlEncoded: f.urlEncoded };
      const why = f.cls === 'benign' ? undefined : unscoredReason(payload, f.urlEncoded, source, f.cls);
      if (why !== undefined) p.unscored = why;
      out.push(p);
    }
  }
  return out;
}

const utf8 = new TextEncoder();

function pctEncode(c: string): string {
  return Array.from(utf8.encode(c), (b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
}

/**
 * The payload as a fuzzer puts it into a query parameter: characters that cannot appear raw are percent-encoded,
 * existing %XX escapes stay. Raw text also has '+' encoded (it is a plus, not a space); URL-encoded input keeps it
 * and has '&' encoded so the line stays one parameter.
 */
export function queryRequest(payload: string, urlEncoded = false): { method: string; uri: string; headers: Array<[string, string]> } {
  const special = urlEncoded ? '#&"<>`{}|\\^' : '#&"<>`{}|\\^+';
  let q = '';
  for (const c of payload) {
    const cp = c.codePointAt(0) ?? 0;
    if (urlEncoded && cp >= 0x7f && cp <= 0xff) q += `%${cp.toString(16).toUpperCase()}`; // a byte read as latin1
    else q += cp <= 0x20 || cp >= 0x7f || special.includes(c) ? pctEncode(c) : c;
  }
  return { method: 'GET', uri: `/api/v1/search?q=${q}&page=1`, headers: [] };
}
