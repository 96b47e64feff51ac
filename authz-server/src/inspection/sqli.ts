// SQL injection detection, in the spirit of libinjection: the value is
// tokenised as SQL three times (as-is, as if it started inside a '...' string,
// and inside a "..." string) and the first tokens after the context break are
// matched against attack shapes. Strong signatures (UNION SELECT, time delays,
// stacked statements...) are matched anywhere with linear regexes.

export interface SqliMatch {
  rule: string;
  fragment: string; // the evidence, starting where the attack starts (untruncated)
}

type TokType =
  | 's' // string literal
  | 'n' // number or true/false/null
  | '&' // and/or/xor/&&/||
  | 'o' // operator (incl. like, in, is, between...)
  | 'U' // union
  | 'E' // statement keyword (select, insert, drop...)
  | 'k' // other SQL keyword (from, where, order, by...)
  | 'f' // function call
  | 'v' // @variable
  | 'b' // bare word / identifier
  | '(' | ')' | ',' | ';'
  | 'c' // comment running to the end of the input
  | 'x'; // other punctuation

interface Token {
  t: TokType;
  v: string; // lowercased text (string content for 's')
  closed?: boolean; // strings: closing quote seen
}

const LOGIC = new Set(['and', 'or', 'xor']);
const OPERATOR_WORDS = new Set(['like', 'rlike', 'regexp', 'is', 'in', 'between', 'sounds', 'div', 'mod', 'glob', 'similar']);
const COMPARISON_WORDS = new Set(['like', 'rlike', 'regexp', 'is', 'in', 'between', 'sounds', 'glob', 'similar']);
const COMPARISON_OPS = new Set(['=', '==', '!=', '<>', '<=>', '<', '>', '<=', '>=', '^=', '!<', '!>']);
const STATEMENTS = new Set([
  'select', 'insert', 'update', 'delete', 'drop', 'create', 'alter', 'truncate', 'exec', 'execute',
  'declare', 'shutdown', 'waitfor',
]);
const KEYWORDS = new Set([
  'from', 'where', 'order', 'group', 'by', 'having', 'limit', 'offset', 'into', 'outfile', 'dumpfile',
  'procedure', 'table', 'values', 'set', 'as', 'case', 'when', 'then', 'else', 'end', 'desc', 'asc',
  'all', 'distinct', 'top', 'delay', 'fetch', 'rows', 'join', 'on', 'using',
]);
const LITERALS = new Set(['true', 'false', 'null']);
// Functions an injection typically calls right after a context break.
const SQL_FUNCTIONS = new Set([
  'sleep', 'benchmark', 'pg_sleep', 'if', 'ifnull', 'nullif', 'iif', 'char', 'chr', 'nchar', 'concat', 'concat_ws',
  'substring', 'substr', 'mid', 'ascii', 'ord', 'hex', 'unhex', 'length', 'len', 'count', 'version', 'database',
  'user', 'current_user', 'system_user', 'session_user', 'schema', 'load_file', 'extractvalue', 'updatexml',
  'exp', 'floor', 'rand', 'cast', 'convert', 'exists', 'coalesce', 'group_concat', 'elt', 'make_set',
  'randomblob', 'md5', 'sha1', 'char_length', 'lower', 'upper', 'now', 'dbms_pipe.receive_message',
  'utl_inaddr.get_host_name', 'utl_http.request', 'db_name', 'user_name', 'host_name', 'is_srvrolemember',
  'xp_cmdshell', 'json_keys', 'gtid_subset', 'polygon', 'multipoint', 'name_const', 'row_count', 'instr',
  'locate', 'position', 'strcmp', 'bin', 'oct', 'conv', 'sqlite_version', 'typeof', 'unicode',
  'string_agg', 'array_agg', 'to_char', 'regexp_substr', 'dbms_lock.sleep', 'pg_read_file', 'current_setting',
]);

function isWordStart(c: number): boolean {
  return (c >= 97 && c <= 122) || c === 95 || c === 36 || c >= 0x80;
}
function isWordChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 95 || c === 36 || c === 46 || c >= 0x80;
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13) || c === 0xa0 || c === 0;
}

const MAX_TOKENS = 24;

/**
 * Tokenises lowercased `s`. With `quote` set, the input is read as if it
 * began inside a string delimited by that quote (the injection context).
 */
function tokenize(s: string, quote: string | null): Token[] {
  const toks: Token[] = [];
  const n = s.length;
  let i = 0;
  let versioned = false; // inside a MySQL /*! ... */ executable comment

  const readString = (q: string, from: number): number => {
    // returns index after closing quote (or n)
    let j = from;
    let content = '';
    let start = j;
    while (j < n) {
      const ch = s[j];
      if (ch === '\\') {
        j += 2;
        continue;
      }
      if (ch === q) {
        if (s[j + 1] === q) {
          content += s.slice(start, j + 1);
          j += 2;
          start = j;
          continue;
        }
        content += s.slice(start, j);
        toks.push({ t: 's', v: content, closed: true });
        return j + 1;
      }
      j++;
    }
    content += s.slice(start, n);
    toks.push({ t: 's', v: content, closed: false });
    return n;
  };

  if (quote !== null) i = readString(quote, 0);

  while (i < n && toks.length < MAX_TOKENS) {
    const c = s.charCodeAt(i);
    const ch = s[i] ?? '';
    if (isSpace(c)) {
      i++;
      continue;
    }
    // comments
    if (ch === '/' && s[i + 1] === '*') {
      if (s[i + 2] === '!') {
        i += 3;
        while (i < n && isDigit(s.charCodeAt(i))) i++;
        versioned = true;
        continue;
      }
      const close = s.indexOf('*/', i + 2);
      if (close === -1) {
        toks.push({ t: 'c', v: '/*' });
        return toks;
      }
      i = close + 2;
      continue;
    }
    if (ch === '*' && s[i + 1] === '/' && versioned) {
      versioned = false;
      i += 2;
      continue;
    }
    if (ch === '-' && s[i + 1] === '-') {
      const after = s.charCodeAt(i + 2);
      // '-- ' / '--+' / '--' at the end; '---' is prose or a PEM/markdown rule
      if (i + 2 >= n || isSpace(after) || s[i + 2] === '+') {
        toks.push({ t: 'c', v: '--' });
        return toks;
      }
    }
    if (ch === '#') {
      const after = s.charCodeAt(i + 1);
      if (i + 1 >= n || isSpace(after)) {
        toks.push({ t: 'c', v: '#' });
        return toks;
      }
      toks.push({ t: 'x', v: '#' });
      i++;
      continue;
    }
    if (ch === "'" || ch === '"') {
      i = readString(ch, i + 1);
      continue;
    }
    if (ch === '`') {
      const close = s.indexOf('`', i + 1);
      const end = close === -1 ? n : close + 1;
      toks.push({ t: 'b', v: s.slice(i, end) });
      i = end;
      continue;
    }
    if (isDigit(c) || (ch === '.' && isDigit(s.charCodeAt(i + 1)))) {
      let j = i;
      if (ch === '0' && (s[i + 1] === 'x' || s[i + 1] === 'b')) {
        j = i + 2;
        while (j < n && /[0-9a-f]/.test(s[j] ?? '')) j++;
      } else {
        while (j < n && isDigit(s.charCodeAt(j))) j++;
        if (s[j] === '.') {
          j++;
          while (j < n && isDigit(s.charCodeAt(j))) j++;
        }
        if (s[j] === 'e' && (isDigit(s.charCodeAt(j + 1)) || ((s[j + 1] === '-' || s[j + 1] === '+') && isDigit(s.charCodeAt(j + 2))))) {
          j += 2;
          while (j < n && isDigit(s.charCodeAt(j))) j++;
        }
      }
      toks.push({ t: 'n', v: s.slice(i, j) });
      i = j;
      continue;
    }
    if (isWordStart(c)) {
      let j = i + 1;
      while (j < n && isWordChar(s.charCodeAt(j))) j++;
      let w = s.slice(i, j);
      // a trailing '.' belongs to prose, not to the identifier
      while (w.endsWith('.')) {
        w = w.slice(0, -1);
        j--;
      }
      i = j;
      let k = j;
      while (k < n && isSpace(s.charCodeAt(k))) k++;
      const paren = s[k] === '(';
      let t: TokType;
      if (LOGIC.has(w)) t = '&';
      else if (w === 'not') continue; // transparent for shape matching
      else if (w === 'union') t = 'U';
      else if (STATEMENTS.has(w)) t = 'E';
      else if (OPERATOR_WORDS.has(w)) t = 'o';
      else if (LITERALS.has(w)) t = 'n';
      else if (paren && (SQL_FUNCTIONS.has(w) || k === j)) t = 'f';
      else if (KEYWORDS.has(w)) t = 'k';
      else t = 'b';
      toks.push({ t, v: w });
      continue;
    }
    if (ch === '@') {
      let j = i + 1;
      if (s[j] === '@') j++;
      while (j < n && isWordChar(s.charCodeAt(j))) j++;
      toks.push({ t: j > i + 1 ? 'v' : 'x', v: s.slice(i, j) });
      i = j;
      continue;
    }
    if (ch === '(' || ch === ')' || ch === ',' || ch === ';') {
      toks.push({ t: ch, v: ch });
      i++;
      continue;
    }
    if ((ch === '|' && s[i + 1] === '|') || (ch === '&' && s[i + 1] === '&')) {
      toks.push({ t: '&', v: ch + ch });
      i += 2;
      continue;
    }
    if ('=<>!+-*/%^|&~:'.includes(ch)) {
      let j = i + 1;
      while (j < n && j < i + 3 && '=<>!'.includes(s[j] ?? '')) j++;
      toks.push({ t: 'o', v: s.slice(i, j) });
      i = j;
      continue;
    }
    toks.push({ t: 'x', v: ch });
    i++;
  }
  return toks;
}

function isComparison(t: Token | undefined): boolean {
  if (t === undefined || t.t !== 'o') return false;
  return COMPARISON_OPS.has(t.v) || COMPARISON_WORDS.has(t.v);
}

function isOperand(t: Token | undefined): boolean {
  return t !== undefined && (t.t === 's' || t.t === 'n' || t.t === 'v' || t.t === 'f' || t.t === 'b' || t.t === 'E');
}

function isKnownFunction(t: Token | undefined): boolean {
  return t !== undefined && t.t === 'f' && SQL_FUNCTIONS.has(t.v);
}

/** "Truthy" string literal such as '1' (as in 1' or '1). */
function isTruthyString(t: Token): boolean {
  return t.t === 's' && /^\s*-?0*[1-9]\d*(?:\.\d+)?\s*$/.test(t.v);
}

function endsExpression(t: Token | undefined): boolean {
  return t === undefined || t.t === 'c' || t.t === ';' || t.t === '&' || t.t === 'k' || t.t === 'U';
}

/**
 * Matches attack shapes on the tokens that follow a context break.
 * `toks[0]` is the break: the string before the first quote (quoted
 * contexts) or a leading number (as-is context).
 */
function matchShape(all: Token[], quoted: boolean): string | null {
  // parentheses are transparent for shape matching: ') or ('1'='1
  const toks = all.filter((t) => t.t !== '(' && t.t !== ')');
  const t1 = toks[1];
  const t2 = toks[2];
  const t3 = toks[3];
  if (t1 === undefined) return null;

  if (t1.t === '&') {
    if (t2 === undefined) return null;
    // ' or 1=1 / ' or 'a'='a / 1 and 1=2 / ' or x like '%
    if (isOperand(t2) && isComparison(t3) && isOperand(toks[4])) {
      const t4 = toks[4] as Token;
      // a bare word on either side is only suspicious after a quote break, or as a=a
      if ((t2.t === 'b' || t4.t === 'b') && t2.v !== t4.v && (!quoted || (t2.t === 'b' && t4.t === 'b'))) return null;
      if (t2.t === 'E' && t4.t === 'E') return null;
      return 'sqli.tautology';
    }
    // ' and sleep(5) / ' or exists(...)
    if (isKnownFunction(t2)) return 'sqli.logic-function';
    // ' and (select ...)
    if (t2.t === 'E' && t2.v === 'select') return 'sqli.subquery';
    // ' or 1-- / ' or true# / 1 or 1;
    if ((t2.t === 'n' || t2.t === 'v') && t3 !== undefined && endsExpression(t3)) return 'sqli.tautology';
    if (quoted && t2.t === 's') {
      // 1' or '1  (the application supplies the closing quote)
      if (t3 === undefined && t2.closed === false && isTruthyString(t2)) return 'sqli.tautology';
      if (t3 !== undefined && (t3.t === 'c' || t3.t === ';')) return 'sqli.tautology';
    }
    return null;
  }
  if (t1.t === 'U' && t2 !== undefined && (t2.v === 'select' || t2.v === 'all' || t2.v === 'distinct')) {
    return 'sqli.union-select';
  }
  if (t1.t === ';' && t2?.t === 'E' && (t3 !== undefined || t2.v === 'shutdown')) return 'sqli.stacked-query';
  if (quoted && t1.t === 'c') return 'sqli.comment-terminator';
  if (t1.t === 'k' && (t1.v === 'order' || t1.v === 'group') && t2?.v === 'by' && t3 !== undefined) {
    if (t3.t === 'n' && (quoted || endsExpression(toks[4]))) return 'sqli.order-by';
  }
  if (quoted && t1.t === 'k' && t1.v === 'having' && isOperand(t2)) return 'sqli.having';
  if (quoted && t1.t === 'o') {
    // '+(select ...)+' / '-sleep(5)-' / '||(select...)
    if (isKnownFunction(t2) || (t2?.t === 'E' && t2.v === 'select')) return 'sqli.operator-injection';
    // x'='x / '='
    if (COMPARISON_OPS.has(t1.v) && t2?.t === 's' && (t3 === undefined || endsExpression(t3))) return 'sqli.string-comparison';
  }
  return null;
}

// ---- "anywhere" signatures, run on comment-stripped, whitespace-collapsed text ----
// Every regex below is linear: no nested quantifiers, and bounded lazy gaps.
const PREFILTER_RE =
  /union|sleep|benchmark|waitfor|select|delete|insert|update|drop|exec|xp_|load_file|outfile|dumpfile|extractvalue|updatexml|information_schema|char|chr|pg_|dbms_|randomblob|convert|alter|truncate|declare|shutdown|sysobjects|syscolumns|sqlite_master|mysql\.user/;

interface AnyRule {
  rule: string;
  re: RegExp;
}

const ANYWHERE_RULES: AnyRule[] = [
  {
    rule: 'sqli.union-select',
    re: /\bunion(?: (?:all|distinct))? ?\(* ?select\b ?(?:[\d'"(@*-]|null\b|[\w$.]+ ?(?:,|\(|from\b|--|#|;))/,
  },
  {
    rule: 'sqli.time-based',
    re: /\b(?:sleep|pg_sleep) ?\( ?\d+(?:\.\d+)? ?\)|\bbenchmark ?\( ?\d+ ?,|\bwaitfor (?:delay|time) ?['"]|\bdbms_(?:pipe\.receive_message|lock\.sleep) ?\(|\brandomblob ?\( ?\d{5}/,
  },
  {
    rule: 'sqli.stacked-query',
    re: /; ?(?:drop (?:table|database|schema|user|view|index|procedure|function)\b|delete from [\w.`"[\]]+ ?(?:where\b|;|--|#|$)|insert into [\w.`"[\]]+ ?(?:\(|values\b|select\b)|update [\w.`"[\]]+ set [\w.`"[\]]+ ?=|truncate table\b|alter (?:table|user|database)\b|exec(?:ute)? ?(?:\(|xp_|sp_|master\.|@|immediate\b)|shutdown ?(?:--|#|;|$|with\b)|declare @|set @|select (?:\*|@@|\d|null\b|(?:sleep|pg_sleep|benchmark|version|user|database) ?\())/,
  },
  {
    rule: 'sqli.exec',
    re: /\bxp_cmdshell\b|(?<![.\w])exec(?:ute)? ?(?:\( ?['"@]|master\.|xp_\w|sp_(?:executesql|configure|oacreate|makewebtask|addlogin|password)\b|immediate ['"])/,
  },
  { rule: 'sqli.file-access', re: /\bload_file ?\(|\binto (?:out|dump)file\b|\bpg_read_file ?\(|\bcopy \w+ (?:from|to) program\b/ },
  { rule: 'sqli.error-based', re: /\b(?:extractvalue|updatexml) ?\(|\bconvert ?\( ?int ?,|\bexp ?\( ?~ ?\(/ },
  {
    rule: 'sqli.schema-probe',
    re: /\binformation_schema ?\. ?(?:tables|columns|schemata|routines|processlist)\b|\bfrom (?:information_schema|sysobjects|syscolumns|sqlite_master|mysql\.user|pg_shadow|pg_user|all_tables|dba_users|sys\.tables|master\.\.sysdatabases)\b/,
  },
  {
    rule: 'sqli.char-obfuscation',
    re: /\b(?:char|chr|nchar) ?\( ?\d+ ?(?:, ?\d+ ?){2,}\)|\b(?:char|chr) ?\( ?\d+ ?\) ?(?:\+|\|\|) ?(?:char|chr) ?\(/,
  },
  {
    rule: 'sqli.subquery',
    re: /(?:\b(?:and|or|xor|in|exists|union)|[=<>,+|&(-]) ?\( ?select\b(?: ?(?:\(|@@|\d+ ?\)|(?:sleep|benchmark|pg_sleep|char|concat|version|user|database) ?\()|[^;]{0,120}?\bfrom\b)/,
  },
];

/** Lowercase, unwrap MySQL versioned comments, drop closed block comments, collapse whitespace. */
function normaliseForSignatures(lower: string): string {
  let s = lower;
  if (s.indexOf('/*') !== -1) {
    let out = '';
    let i = 0;
    let versioned = false;
    const n = s.length;
    let nextClose = -2; // cached position of the next '*/' (-1: none left), keeps this linear
    while (i < n) {
      const open = s.indexOf('/*', i);
      if (versioned && nextClose !== -1 && nextClose < i) nextClose = s.indexOf('*/', i);
      const closeV = versioned ? nextClose : -1;
      if (versioned && closeV !== -1 && (open === -1 || closeV < open)) {
        out += s.slice(i, closeV) + ' ';
        i = closeV + 2;
        versioned = false;
        continue;
      }
      if (open === -1) {
        out += s.slice(i);
        break;
      }
      out += s.slice(i, open) + ' ';
      if (s[open + 2] === '!') {
        let j = open + 3;
        while (j < n && isDigit(s.charCodeAt(j))) j++;
        versioned = true;
        i = j;
        continue;
      }
      const close = s.indexOf('*/', open + 2);
      if (close === -1) {
        // unterminated: keep the text so "union/*" still reads as union
        out += s.slice(open + 2);
        break;
      }
      i = close + 2;
    }
    s = out;
  }
  return s.replace(/[\s\u00a0\u0000]+/g, ' ');
}

// A leading number (after parentheses, signs, spaces or comments) opens the as-is context.
const NUMERIC_START_RE = /^[\s\u0000(+\-]*(?:\/\*[^]*?\*\/[\s(+\-]*)?(?:\d|\.\d|true\b|false\b|null\b)/;

const QUICK_RE = /['"\s;()#=|&\-+/@*<>!%`]/;

/**
 * Detects SQL injection in one decoded value. With `anchoredOnly`, only the
 * context-break analysis runs (used for path suffixes).
 */
export function detectSqli(value: string, anchoredOnly = false): SqliMatch | null {
  if (!QUICK_RE.test(value)) return null;
  const lower = value.toLowerCase();

  // as-is context: numeric injection (1 or 1=1, 1; drop table x, 1 union select)
  if (NUMERIC_START_RE.test(lower)) {
    const toks = tokenize(lower, null);
    let k = 0;
    while (k < toks.length && (toks[k]?.t === '(' || (toks[k]?.t === 'o' && (toks[k]?.v === '-' || toks[k]?.v === '+')))) k++;
    const head = toks[k];
    if (head !== undefined && head.t === 'n') {
      const rule = matchShape(toks.slice(k), false);
      if (rule !== null) return { rule, fragment: value };
    }
  }
  // string contexts
  for (const q of ["'", '"']) {
    const at = lower.indexOf(q);
    if (at === -1) continue;
    const rule = matchShape(tokenize(lower, q), true);
    if (rule !== null) return { rule, fragment: value.slice(Math.max(0, at - 8)) };
  }
  if (anchoredOnly) return null;
  // signatures anywhere (the prefilter keywords survive normalisation unchanged)
  if (!PREFILTER_RE.test(lower)) return null;
  const norm = normaliseForSignatures(lower);
  for (const r of ANYWHERE_RULES) {
    const m = r.re.exec(norm);
    if (m !== null) return { rule: r.rule, fragment: norm.slice(m.index) };
  }
  return null;
}
