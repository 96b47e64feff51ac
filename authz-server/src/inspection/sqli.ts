// SQL injection detection, in the spirit of libinjection: the value is tokenised as SQL in the contexts an
// injection lands in (as-is after a number or a logic operator, and as if it started inside a '...', "..." or
// `...` string) and the tokens right after the context break are matched against attack shapes. English text
// breaks a string with a contraction or a word; an injection breaks it with an operator, a keyword, a comment or
// a terminator. Strong signatures (UNION SELECT, time delays, stacked statements, comment obfuscation, database
// specific functions and operators...) are matched anywhere with linear regexes.

import { firstRegexMatch, type DetectOptions, type Match, type RegexRule } from './detector.ts';

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
const OPERATOR_WORDS = new Set(['like', 'ilike', 'rlike', 'regexp', 'is', 'in', 'between', 'sounds', 'div', 'mod', 'glob', 'similar', 'notnull', 'isnull', 'collate', 'escape']);
const COMPARISON_WORDS = new Set(['like', 'ilike', 'rlike', 'regexp', 'is', 'in', 'between', 'sounds', 'glob', 'similar']);
const COMPARISON_OPS = new Set(['=', '==', '!=', '<>', '<=>', '<', '>', '<=', '>=', '^=', '!<', '!>', '~', '!~', '~*', '!~*']);
/** Operators only SQL dialects use (PostgreSQL casts and JSON operators, MySQL null-safe equality). */
const SQL_ONLY_OPS = new Set(['::', '->>', '#>', '#>>', '#-', '@>', '<@', '@?', '@@', '?|', '?&', '<=>']);
/** JSON path operators that compare when written between two string literals. */
const JSON_OPS = new Set(['->', '?']);
const UNARY = new Set(['+', '-', '!', '~']);
const MULTI_OPS = ['->>', '#>>', '!~*', '<=>', '::', '->', '#>', '#-', '@>', '<@', '@?', '@@', '?|', '?&', '~*', '!~', '<>', '!=', '==', '<=', '>=', '^=', '!<', '!>', ':='];
const STATEMENTS = new Set([
  'select', 'insert', 'update', 'delete', 'drop', 'create', 'alter', 'truncate', 'exec', 'execute',
  'declare', 'shutdown', 'waitfor', 'replace', 'rename', 'grant', 'revoke', 'merge', 'call', 'handler',
]);
const KEYWORDS = new Set([
  'from', 'where', 'order', 'group', 'by', 'having', 'limit', 'offset', 'into', 'outfile', 'dumpfile',
  'procedure', 'table', 'values', 'set', 'as', 'case', 'when', 'then', 'else', 'end', 'desc', 'asc',
  'all', 'distinct', 'top', 'delay', 'fetch', 'rows', 'join', 'on', 'using', 'except', 'intersect',
]);
const LITERALS = new Set(['true', 'false', 'null', 'unknown']);
// Functions an injection typically calls right after a context break.
const SQL_FUNCTIONS = new Set([
  'sleep', 'benchmark', 'pg_sleep', 'if', 'ifnull', 'nullif', 'iif', 'char', 'chr', 'nchar', 'concat', 'concat_ws',
  'substring', 'substr', 'mid', 'ascii', 'ord', 'hex', 'unhex', 'length', 'len', 'count', 'version', 'database',
  'user', 'current_user', 'system_user', 'session_user', 'schema', 'load_file', 'extractvalue', 'updatexml',
  'exp', 'floor', 'rand', 'cast', 'convert', 'exists', 'coalesce', 'group_concat', 'elt', 'make_set',
  'randomblob', 'md5', 'sha1', 'char_length', 'lower', 'upper', 'now', 'dbms_pipe.receive_message',
  'utl_inaddr.get_host_name', 'utl_http.request', 'db_name', 'user_name', 'host_name', 'is_srvrolemember',
  'xp_cmdshell', 'json_keys', 'gtid_subset', 'polygon', 'multipoint', 'name_const', 'row_count', 'instr',
  'locate', 'position', 'strcmp', 'bin', 'oct', 'conv', 'sqlite_version', 'typeof', 'unicode', 'unistr',
  'string_agg', 'array_agg', 'to_char', 'regexp_substr', 'dbms_lock.sleep', 'pg_read_file', 'current_setting',
  'json_extract', 'json_search', 'json_array', 'json_object', 'json_valid', 'json', 'jsonb_pretty', 'starts_with',
  'likely', 'unlikely', 'likelihood', 'lo_get', 'lo_import', 'lo_export', 'overlay', 'encode', 'decode',
  'sqlite_compileoption_used', 'sqlite_compileoption_get', 'load_extension', 'zeroblob', 'glob', 'soundex',
  'find_in_set', 'field', 'repeat', 'reverse', 'left', 'right', 'trim', 'ltrim', 'rtrim', 'space', 'quote',
  'xmltype', 'extract', 'to_number', 'to_date', 'sysdate', 'getdate', 'waitfor', 'suser_name', 'object_id',
  'pg_ls_dir', 'query_to_xml', 'isnull', 'array_to_string', 'generate_series', 'chr', 'bit_length', 'uuid', 'pi',
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
 * Tokenises lowercased `s`. With `quote` set, the input is read as if it began inside a string delimited by that
 * quote (the injection context); a backslash does not escape that first closing quote, since escaping it is what
 * the attacker's backslash defeats.
 */
function tokenize(s: string, quote: string | null): Token[] {
  const toks: Token[] = [];
  const n = s.length;
  let i = 0;
  let versioned = false; // inside a MySQL /*! ... */ executable comment

  const readString = (q: string, from: number, escapes: boolean): number => {
    // returns index after closing quote (or n)
    let j = from;
    let content = '';
    let start = j;
    while (j < n) {
      const ch = s[j];
      if (ch === '\\' && escapes) {
        j += 2;
        continue;
      }
      if (ch === q) {
        if (s[j + 1] === q && escapes) {
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

  if (quote !== null) i = readString(quote, 0, false);

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
      // '-- ' / '--+' / '--' at the end / '--' closing a quote; '---' is prose or a PEM/markdown rule
      if (i + 2 >= n || isSpace(after) || s[i + 2] === '+' || s[i + 2] === "'" || s[i + 2] === '"') {
        toks.push({ t: 'c', v: '--' });
        return toks;
      }
    }
    if (ch === '#' && s[i + 1] !== '>' && s[i + 1] !== '-') {
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
      i = readString(ch, i + 1, true);
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
      else if (OPERATOR_WORDS.has(w) && !(paren && w === 'isnull')) t = 'o';
      else if (LITERALS.has(w)) t = 'n';
      else if (paren && (SQL_FUNCTIONS.has(w) || k === j)) t = 'f';
      else if (KEYWORDS.has(w)) t = 'k';
      else t = 'b';
      toks.push({ t, v: w });
      continue;
    }
    if (ch === '@' && s[i + 1] !== '>' && s[i + 1] !== '?') {
      let j = i + 1;
      if (s[j] === '@') j++;
      while (j < n && isWordChar(s.charCodeAt(j))) j++;
      if (j > i + 1 && s[i + 1] === '@' && j === i + 2) {
        toks.push({ t: 'o', v: '@@' });
      } else {
        toks.push({ t: j > i + 1 ? 'v' : 'x', v: s.slice(i, j) });
      }
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
    const multi = MULTI_OPS.find((op) => s.startsWith(op, i));
    if (multi !== undefined) {
      toks.push({ t: 'o', v: multi });
      i += multi.length;
      continue;
    }
    if ('=<>!+-*/%^|&~:?'.includes(ch)) {
      toks.push({ t: 'o', v: ch });
      i++;
      continue;
    }
    toks.push({ t: 'x', v: ch });
    i++;
  }
  return toks;
}

function isComparison(t: Token | undefined): boolean {
  if (t === undefined || t.t !== 'o') return false;
  return COMPARISON_OPS.has(t.v) || COMPARISON_WORDS.has(t.v) || SQL_ONLY_OPS.has(t.v);
}

function isStringComparison(a: Token | undefined, op: Token | undefined, b: Token | undefined): boolean {
  return a?.t === 's' && b?.t === 's' && op?.t === 'o' && JSON_OPS.has(op.v);
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

/** True when the tokens from `from` on end the statement: a comment, a ';', or an unclosed string the query closes. */
function terminated(toks: Token[], from: number): boolean {
  const last = toks[toks.length - 1];
  if (last === undefined || toks.length <= from) return false;
  if (last.t === 'c' || last.t === ';') return true;
  return toks.length < MAX_TOKENS && last.t === 's' && last.closed === false;
}

/** A statement starts at `toks[i]` (the keyword must be followed by what makes it one, not by prose). */
function statementAt(toks: Token[], i: number): boolean {
  const t = toks[i];
  const a = toks[i + 1];
  if (t === undefined) return false;
  if (t.t === 'U') return a !== undefined && (a.v === 'select' || a.v === 'all' || a.v === 'distinct');
  if (t.t !== 'E') return false;
  const b = toks[i + 2];
  switch (t.v) {
    case 'select':
      if (a === undefined) return false;
      if (a.t === 'n' || a.t === 'v' || a.t === 'f' || a.t === 's' || a.t === '(' || a.v === '*' || a.v === '@@') return true;
      if (a.t === 'k' && (a.v === 'distinct' || a.v === 'all' || a.v === 'top' || a.v === 'case')) return true;
      return a.t === 'b' && b !== undefined && (b.t === ',' || b.v === 'from' || b.t === 'c' || b.t === ';' || b.v === 'into');
    case 'insert':
      return a?.v === 'into';
    case 'delete':
      return a?.v === 'from';
    case 'update':
      return a?.t === 'b' && b?.v === 'set';
    case 'drop':
    case 'create':
    case 'alter':
    case 'truncate':
      return a !== undefined && /^(?:table|database|schema|user|view|index|function|procedure|trigger|column|login|role)$/.test(a.v);
    case 'exec':
    case 'execute':
      return a !== undefined && (a.t === 'v' || a.t === 'f' || a.t === 's' || a.t === '(' || /^(?:xp_|sp_|master\.|immediate$)/.test(a.v));
    case 'declare':
      return a?.t === 'v';
    case 'waitfor':
      return a?.v === 'delay' || a?.v === 'time';
    case 'shutdown':
      return a === undefined || a.t === 'c' || a.t === ';' || a.v === 'with';
    case 'grant':
    case 'revoke':
      return a !== undefined && (a.t === 'b' || a.t === 'k' || a.t === 'E') && (b?.v === 'to' || b?.v === 'on' || b?.v === 'from' || b?.t === ',');
    default:
      return false;
  }
}

type Context = 'quoted' | 'numeric' | 'logic';

/** The text before the break is one word (an id, a name, an e-mail), not prose: weak shapes need this. */
function wordBreak(t0: Token | undefined): boolean {
  return t0 !== undefined && t0.v.length <= 64 && !/[\s(),]|%20|\+/.test(t0.v.trimStart());
}

function isSqlOperator(t: Token): boolean {
  return t.t === 'f' || isComparison(t);
}

/**
 * Matches attack shapes on the tokens that follow a context break. `toks[0]` is the break: the string before the
 * first quote (quoted context), a leading number (numeric), or a placeholder before a leading and/or (logic).
 */
function matchShape(all: Token[], ctx: Context): string | null {
  const quoted = ctx === 'quoted';
  // parentheses are transparent for shape matching: ') or ('1'='1; so is an empty string right after the break
  const toks: Token[] = [];
  for (let i = 0; i < all.length; i++) {
    const t = all[i] as Token;
    if (t.t === '(' || t.t === ')' || (i === 1 && t.t === 's' && t.v === '' && t.closed === true)) continue;
    // a sign or negation in front of an operand (or +1, =-'1, ^!1) is noise: read the operand
    const prev = toks[toks.length - 1];
    if (t.t === 'o' && UNARY.has(t.v) && toks.length >= 2 && prev !== undefined && (prev.t === '&' || prev.t === 'o')) continue;
    toks.push(t);
  }
  const t1 = toks[1];
  const t2 = toks[2];
  const t3 = toks[3];
  if (t1 === undefined) return null;
  const word = quoted && wordBreak(toks[0]);

  if (t1.t === '&') {
    if (t2 === undefined) return null;
    // ' or 1=1 / ' or 'a'='a / 1 and 1=2 / ' or x like '%
    if (isOperand(t2) && (isComparison(t3) || isStringComparison(t2, t3, toks[4])) && isOperand(toks[4])) {
      const t4 = toks[4] as Token;
      // a bare word on either side is only suspicious after a quote break, or as a=a
      const sqlOnly = SQL_ONLY_OPS.has((t3 as Token).v);
      const withString = !quoted && (t2.t === 's' || t4.t === 's');
      if (!sqlOnly && !withString && (t2.t === 'b' || t4.t === 'b') && t2.v !== t4.v && (!quoted || (t2.t === 'b' && t4.t === 'b'))) {
        if (!(quoted && terminated(toks, 4))) return null;
      }
      if (t2.t === 'E' && t4.t === 'E') return null;
      return 'sqli.tautology';
    }
    // ' and sleep(5) / ' or exists(...)
    if (isKnownFunction(t2)) return 'sqli.logic-function';
    if (t2.t === 'f' && quoted && terminated(toks, 3)) return 'sqli.logic-function';
    // ' and (select ...)
    if (t2.t === 'E' && (t2.v === 'select' || statementAt(toks, 2))) return 'sqli.subquery';
    // ' or 1-- / ' or true# / 1 or 1;
    if ((t2.t === 'n' || t2.t === 'v') && t3 !== undefined && endsExpression(t3)) return 'sqli.tautology';
    if ((t2.t === 'n' || t2.t === 'v') && t3 === undefined && ctx !== 'logic' && (quoted || t2.v === toks[0]?.v || t2.v === 'true' || t2.v === '1')) {
      return 'sqli.tautology';
    }
    if (t2.t === 'n' && isComparison(t3)) return 'sqli.tautology';
    // x' or column^'1 / x' or 1&'1: an arithmetic or bitwise expression is as good as a comparison
    if (word && isOperand(t2) && t3?.t === 'o' && isOperand(toks[4]) && (toks[4]?.t !== 'b' || terminated(toks, 4))) return 'sqli.tautology';
    if (quoted && t2.t === 's') {
      // 1' or '1  (the application supplies the closing quote)
      if (t3 === undefined && t2.closed === false && (word || isTruthyString(t2))) return 'sqli.tautology';
      if (t3 !== undefined && (t3.t === 'c' || t3.t === ';' || t3.t === '&' || t3.t === 'o') && (word || isTruthyString(t2))) return 'sqli.tautology';
    }
    // x' or array[id] is not null--: SQL after the break, then the rest of the query commented away
    if (word && toks.length > 3 && terminated(toks, 3) && toks.some((t, i) => i > 2 && isSqlOperator(t))) {
      return 'sqli.comment-terminator';
    }
    // a'or?-- / 'or(glob 1)--: a short logic expression, then the rest of the query commented away
    if (word && toks.length <= 5 && toks[toks.length - 1]?.t === 'c') return 'sqli.comment-terminator';
    return null;
  }
  if (t1.t === 'U' && t2 !== undefined && (t2.v === 'select' || t2.v === 'all' || t2.v === 'distinct')) {
    return 'sqli.union-select';
  }
  if (t1.t === 'E' && statementAt(toks, 1) && ctx !== 'logic') {
    if (!quoted) return 'sqli.stacked-query';
    if (word && t2?.t !== 's') return 'sqli.statement';
    // x' select password from users / x'; drop table t-- (not a quoted "select * from" in a search string)
    const last = toks[toks.length - 1] as Token;
    if (last.t === 'c' || last.t === ';') return 'sqli.statement';
    const from = toks.findIndex((t) => t.v === 'from');
    if (from > 1 && toks[from + 1]?.t === 'b') return 'sqli.statement';
  }
  if (t1.t === ';') {
    if (t2?.t === 'E' && (statementAt(toks, 2) || word)) return 'sqli.stacked-query';
    // x';if 1=1 drop table users-- / x'; begin shutdown end--
    if (word || !quoted) {
      for (let k = 3; k < Math.min(toks.length, 9); k++) if (toks[k]?.t === 'E' && statementAt(toks, k)) return 'sqli.stacked-query';
    }
    // admin'; / admin';# / x';print'  (the rest of the query cut off)
    if (word && (t2 === undefined || t2.t === 'c' || (t2.t === 'b' && t3?.t === 's'))) return 'sqli.query-termination';
  }
  if (word && t1.t === 'c') return 'sqli.comment-terminator';
  if (t1.t === 'k' && (t1.v === 'order' || t1.v === 'group') && t2?.v === 'by' && t3 !== undefined) {
    if (t3.t === 'n' && (quoted || endsExpression(toks[4]))) return 'sqli.order-by';
    if (quoted && (t3.t === 'b' || t3.t === 'f') && terminated(toks, 4)) return 'sqli.order-by';
  }
  if (quoted && t1.t === 'k' && t1.v === 'having' && isOperand(t2)) return 'sqli.having';
  if (quoted && t1.t === 'k' && (t1.v === 'procedure' || t1.v === 'into') && (t2?.t === 'f' || t2?.v === 'outfile' || t2?.v === 'dumpfile')) return 'sqli.file-access';
  if (quoted && t1.t === 'f' && isKnownFunction(t1) && t1.v !== 'if') return 'sqli.function-injection';
  if (quoted && t1.t === 'o') {
    // '+(select ...)+' / '-sleep(5)-' / '||(select...)
    if (isKnownFunction(t2) || (t2?.t === 'E' && t2.v === 'select')) return 'sqli.operator-injection';
    // x'='x / '='
    // x'='x / '=' / aa'like'0 (a word operator needs a one-word break: "like" stamp is a search)
    const wordOp = !COMPARISON_OPS.has(t1.v);
    if (isComparison(t1) && (!wordOp || (word && /^[\w.@-]+$/.test(toks[0]?.v ?? ''))) && t2?.t === 's' && (t3 === undefined || endsExpression(t3))) return 'sqli.string-comparison';
    // aa' DIV @1 = 0 or '1 / x' / current_date regexp '0: an expression with a logic or SQL word operator, then a
    // quote the query closes (a measurement such as 4'+x+4' has neither)
    const last = toks[toks.length - 1] as Token;
    if (word && t1.v !== '%' && t1.v !== '+' && toks.length >= 4 && last.t === 's' && last.closed === false && toks.length < MAX_TOKENS) {
      if (toks.some((t, k) => k > 1 && k < toks.length - 1 && (t.t === '&' || (t.t === 'o' && (OPERATOR_WORDS.has(t.v) || SQL_ONLY_OPS.has(t.v)))))) return 'sqli.operator-injection';
    }
    // ' = # / '? --
    if (word && t2?.t === 'c') return 'sqli.comment-terminator';
    // '::int / '->>'x' / x'-email-- / id'is not-id-- / 'sounds like rowid--
    if (SQL_ONLY_OPS.has(t1.v) && t2 !== undefined) return 'sqli.operator-injection';
    // ' * from = 1 or '9
    if (word && t2?.t === 'k' && (t2.v === 'from' || t2.v === 'where')) return 'sqli.operator-injection';
    if (word && t2 !== undefined && (isOperand(t2) || t2.t === 'o') && terminated(toks, 2) && toks[toks.length - 1]?.t !== 's') return 'sqli.operator-injection';
  }
  if (!quoted && t1.t === 'o' && SQL_ONLY_OPS.has(t1.v) && t2 !== undefined && t2.t !== 'x') return 'sqli.operator-injection';
  // 1='1' or-- : a comparison, a logic operator, then the rest of the query commented away
  if (ctx === 'numeric' && isComparison(t1) && isOperand(t2) && t3?.t === '&' && toks[4]?.t === 'c') return 'sqli.tautology';
  return null;
}

// ---- "anywhere" signatures, run on comment-stripped, whitespace-collapsed text ----
// Every regex below is linear: no nested quantifiers, and bounded lazy gaps.
const PREFILTER_RE =
  /union|sleep|benchmark|waitfor|select|delete|insert|update|drop|exec|xp_|load_file|outfile|dumpfile|extractvalue|updatexml|information_schema|cha?r ?\(|pg_|dbms_|utl_|randomblob|convert|alter|truncate|declare|shutdown|sysobjects|syscolumns|sqlite_master|mysql\.user|lo_|::|procedure|json_|\d\.e|\bi?if ?\(|\$where|\$function|\$accumulator|concat|having|except|\bwhen\b|like ?\(|alter table|create |->|#>|@>|<@|\?\||\?&|@\?|@@|\belt ?\(|make_set|ascii|substr|\bmid ?\(|length ?\(|version|\$or\b|\( ?\d+ ?=|\b(?:and|or|xor) [-~(]*\d|\bcase\b|\) ?(?:--|#|\/\*) ?$/;

const ANYWHERE_RULES: readonly RegexRule[] = [
  {
    rule: 'sqli.union-select',
    re: /(?:\b|(?<=\d[a-z]?))union(?: (?:all|distinct))? ?\(* ?select\b ?(?:[\d'"(@*.-]|null\b|[\w$.]+ ?(?:,|\(|from\b|--|#|;)|$)/,
  },
  {
    rule: 'sqli.time-based',
    re: /\b(?:sleep|pg_sleep) ?\( ?(?:[-+'"(]|mod ?\(|\d)[^)a-z]{0,30}(?:(?:div|mod) ?[-+]?\d+ ?)?\)|\bbenchmark ?\( ?\d[^,]{0,20},|\bwaitfor (?:delay|time) ?['"]|\bdbms_(?:pipe\.receive_message|lock\.sleep) ?\(|\brandomblob ?\( ?\d{5}|\bselect (?:pg_sleep|sleep ?\(|benchmark ?\()|\bpg_sleep\b/,
  },
  {
    rule: 'sqli.stacked-query',
    re: /; ?(?:drop (?:table|database|schema|user|view|index|procedure|function)\b|delete from [\w.`"[\]]+ ?(?:where\b|;|--|#|$)|insert into [\w.`"[\]]+ ?(?:\(|values\b|select\b)|update [\w.`"[\]]+ set [\w.`"[\]]+ ?=|truncate table\b|alter (?:table|user|database)\b|exec(?:ute)? ?(?:\(|xp_|sp_|master\.|@|immediate\b)|shutdown ?(?:--|#|;|$|with\b)|declare @|set @|select (?:\*|@@|\d|null\b|(?:sleep|pg_sleep|benchmark|version|user|database) ?\())|;(?:truncate|drop|create|replace|delete|insert|update|alter|exec|declare|shutdown)\b|\b(?:drop|delete|insert|update|select)\b[^;'"]{0,80}; ?(?:--|#)/,
  },
  {
    rule: 'sqli.exec',
    re: /\bexec(?:ute)? sp_\w+ ?(?:@\w+ ?=|['";]|$)|\bxp_cmdshell\b|(?<![.\w])exec(?:ute)? ?(?:\( ?['"@]|master\.|xp_\w|sp_(?:executesql|configure|oacreate|makewebtask|addlogin|password)\b|immediate ['"])|\bdeclare ?@\w/,
  },
  {
    rule: 'sqli.file-access',
    re: /\bload_file ?\(|\binto (?:out|dump)file\b|\bpg_read_file ?\(|\bpg_ls_dir ?\(|\blo_(?:import|export|get) ?\(|\bcopy \w+ (?:from|to) program\b|\bprocedure analyse ?\(|\bload_extension ?\(/,
  },
  { rule: 'sqli.error-based', re: /\b(?:extractvalue|updatexml) ?\(|\bconvert ?\( ?int ?,|\bexp ?\( ?~ ?\(/ },
  {
    rule: 'sqli.schema-probe',
    re: /\binformation_schema\b|\bfrom (?:sysobjects|syscolumns|sqlite_master|mysql\.user|pg_shadow|pg_user|all_tables|dba_users|sys\.tables|master\.\.sysdatabases)\b|\bselect (?:0x[0-9a-f]{2,}|@@\w+|(?:version|user|database|current_user|schema) ?\( ?\))/,
  },
  {
    rule: 'sqli.char-obfuscation',
    re: /\b(?:char|chr|nchar) ?\( ?\d+ ?(?:, ?\d+ ?){2,}\)|\b(?:char|chr) ?\( ?\d+ ?\) ?(?:\+|\|\|) ?(?:char|chr) ?\(|\b(?:concat|concat_ws|group_concat) ?\([^)]{0,80}\b0x[0-9a-f]{4,}/,
  },
  {
    rule: 'sqli.subquery',
    re: /^ ?\( ?select\b ?(?:\(|@@|\d|\*|(?:count|substr(?:ing)?|concat|version|user|database|ascii|char|sleep) ?\(|[\w.]+ from [\w.]+ ?(?:limit|where|as|join|group|order|union)\b)|(?:\b(?:and|or|xor|in|exists|union)|[=<>,+|&(-]) ?\( ?select\b(?: ?(?:\(|@@|\d+ ?(?:\)|where\b|from\b)|(?:sleep|benchmark|pg_sleep|char|concat|version|user|database) ?\()|[^;]{0,120}?\bfrom\b)|\bselect ?\( ?(?:user|database|version|current_user|@@)/,
  },
  {
    rule: 'sqli.conditional',
    re: /\b[a-z_]{2,16} ?\( ?(\d+) ?= ?\1 ?[,)]|\( ?(\d+) ?= ?\2 ?\) ?[*+\/-]|\b(?:if|iif) ?\( ?[\d'"]+ ?[=<>!]|\bcase when ?\(? ?[\w'"]+ ?(?:[=<>!]|like\b)[^;]{0,60}?\bthen\b|\belt ?\( ?\d+ ?[=<>,]/,
  },
  {
    rule: 'sqli.pg-cast',
    re: /(?:['")]|\b\w+) ?:: ?(?:int|int4|int8|integer|text|bool|boolean|bigint|numeric|regclass|oid|bytea|varchar|jsonb?|float|real|double precision|inet|xml)\b/,
  },
  { rule: 'sqli.json-operator', re: /['"] ?(?:->>?|#>>?|#-|@>|<@|@\?|@@|\?\||\?&) ?['"\d[]|\bjson_(?:extract|search|keys|contains) ?\(/ },
  { rule: 'sqli.scientific-notation', re: /\b\d+\.e ?(?:\(|\.\w|,)/ },
  { rule: 'sqli.nosql-operator', re: /(?:^|["'[]) ?\$(?:where|function|accumulator)\b ?(?:$|["'\]])|\$where\b ?["']? ?:|\$or["']? ?: ?\[ ?\{ ?\}/ },
  // blind extraction: a character or length of the database's version, user or a query result, one at a time
  {
    rule: 'sqli.blind-extraction',
    re: /\b(?:ascii|ord|hex|unicode|length|char_length) ?\( ?(?:substr(?:ing)?|mid|left|right) ?\(|\b(?:substr(?:ing)?|mid|ascii|ord|length|left|right|hex|conv) ?\( ?(?:(?:version|database|user|current_user|schema|system_user) ?\( ?\)|@@\w+)/,
  },
  // and 8=3 / or 1 = ~1: a comparison of two numbers after a logic operator
  { rule: 'sqli.tautology', re: /\b(?:and|or|xor) [-~(]*\d+\)? ?(?:=|<>|!=|<=>) ?[-~(]*\d+\b/ },
  // ( 'a' OR 1 ) --: a parenthesised expression closing the query's parenthesis, the rest commented away
  { rule: 'sqli.comment-terminator', re: /^ ?\((?=[^)]{0,200}?[\d'"@*])[^;]{0,400}\) ?(?:--|#|\/\*) ?$/ },
  {
    rule: 'sqli.statement',
    re: /\bgroup by\b[^;]{0,80}?\bhaving\b|\balter table\b[^;]{0,120}?\b(?:character set|charset|convert to)\b|\bcreate (?:or replace )?(?:function|procedure|trigger)\b[^;]{0,120}?\breturns?\b|\bexcept ?(?:select|values) ?[\d(.]|\) ?when [\w'"(]+ then\b|\) ?like ?\(|^ ?\(? ?case\b[^;]{0,40}?\bwhen\b[^;]{0,60}?\bthen\b|^ ?having (?:\d+ ?[=<>]|(?:count|sum|avg|min|max) ?\()/,
  },
];

/** Strict paranoia only: lone tokens that are suspicious in a parameter but common in prose or code. */
const STRICT_RULES: readonly RegexRule[] = [
  {
    rule: 'sqli.function-call',
    re: /\b(?:sleep|benchmark|pg_sleep|concat|concat_ws|group_concat|char|chr|substring|substr|ascii|hex|unhex|db_name|ifnull|nullif|iif|coalesce|md5|sha1|randomblob|make_set|elt|name_const|floor|rand|cast|convert|extract) ?\(|\b(?:version|database|user|current_user|system_user|schema) ?\( ?\)/,
  },
  { rule: 'sqli.nosql-operator', re: /\[ ?\$(?:ne|eq|gt|gte|lt|lte|in|nin|regex|exists|not|nor|or|and|elemmatch|expr|text|type|size|all|mod) ?\]|["'] ?\$(?:ne|nin|regex|not|nor|or|elemmatch|expr|text) ?["'] ?:/ },
  { rule: 'sqli.tautology', re: /(?:^|[\s(,])(\d+) ?(?:=|<=>|like|is) ?\1\b|(?:^|[\s(,])\d+ ?(?:!=|<>) ?\d+\b/ },
  { rule: 'sqli.comment-obfuscation', re: /\b(?:union|select|from|where|and|or|drop|insert|delete|update|table) ?\/\*|\*\/ ?(?:union|select|from|where|and|or|drop|insert|delete|update|table)\b/ },
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

// Comments standing in for spaces between SQL words, MySQL executable comments and optimizer hints.
const COMMENT_EVASION_RE =
  /\/\*!\d{0,6} ?(?:\w|$)|\/\*\+ ?\w|(?:\b(?:union|select|from|where|and|or|not|order|group|by|having|limit|insert|into|update|delete|drop|table|exec|sleep|benchmark|like|null|concat|char|information_schema)|['")]) ?\/\*[^*]{0,64}\*\/ ?(?:[\w@'"(*-]|$)|\b\w{1,12}\/\*[^*]{0,64}\*\/\w{1,12}\b/;

// A leading number (after parentheses, signs, spaces or comments) opens the as-is context.
const NUMERIC_START_RE = /^[\s\u0000(+\-]*(?:\/\*[^]*?\*\/[\s(+\-]*)?(?:\d|\.\d|true\b|false\b|null\b)/;
// A leading and/or (the application writes "... WHERE x=1 " before the value).
const LOGIC_START_RE = /^[\s\u0000(]*(?:or|and|xor|\|\||&&)(?=[\s(+'"]|\/\*)/;
// Typographic quotes some database collations fold to ASCII ones.
const FANCY_QUOTES_RE = /[\u2018\u2019\u201b\u02bc\u00b4\uff07]/g;

const QUICK_RE = /['"`\s;()#=|&\-+/@*<>!%:$\u2018\u2019\u00b4]|\d\.e/;

/** Detects SQL injection in one decoded value. With `anchoredOnly`, only the context-break analysis runs (path suffixes). */
export function detectSqli(value: string, opts: DetectOptions, anchoredOnly = false): Match | null {
  if (!QUICK_RE.test(value)) return null;
  const skip = opts.skip;
  const ok = (rule: string | null): rule is string => rule !== null && (skip === null || !skip(rule));
  let lower = value.toLowerCase();

  // as-is contexts: numeric injection (1 or 1=1, 1; drop table x, 1 union select) and a leading and/or
  if (NUMERIC_START_RE.test(lower)) {
    const toks = tokenize(lower, null);
    let k = 0;
    while (k < toks.length && (toks[k]?.t === '(' || (toks[k]?.t === 'o' && (toks[k]?.v === '-' || toks[k]?.v === '+')))) k++;
    const head = toks[k];
    if (head !== undefined && head.t === 'n') {
      const rule = matchShape(toks.slice(k), 'numeric');
      if (ok(rule)) return { rule, fragment: value };
    }
  }
  if (LOGIC_START_RE.test(lower)) {
    const rule = matchShape([{ t: 'n', v: '' }, ...tokenize(lower, null)], 'logic');
    if (ok(rule)) return { rule, fragment: value };
  }
  if (lower.charCodeAt(0) === 39 || lower.charCodeAt(0) === 34) {
    // a value that is itself an expression: '{"a":1}'::jsonb @> ..., '1'='1
    const toks = tokenize(lower, null);
    const [a, op, b, next] = toks;
    let rule: string | null = null;
    if (a?.t === 's' && a.closed === true && op?.t === 'o') {
      if (SQL_ONLY_OPS.has(op.v)) rule = 'sqli.operator-injection';
      // '{"a":2}' < '$.c' = 7 / '1'='1
      else if (isComparison(op) && isOperand(b) && (next === undefined ? b?.t === 's' && b.closed === false : isComparison(next) || next.t === '&' || next.t === 'c')) rule = 'sqli.tautology';
    }
    if (ok(rule)) return { rule, fragment: value };
  }
  // string contexts
  if (FANCY_QUOTES_RE.test(lower)) lower = lower.replace(FANCY_QUOTES_RE, "'");
  for (const q of ["'", '"', '`']) {
    const at = lower.indexOf(q);
    if (at === -1) continue;
    const rule = matchShape(tokenize(lower, q), 'quoted');
    if (ok(rule)) return { rule, fragment: value.slice(Math.max(0, at - 8)) };
  }
  if (anchoredOnly) return null;
  // comment obfuscation is read before the comments are stripped
  if (lower.indexOf('/*') !== -1 && ok('sqli.comment-obfuscation')) {
    const m = COMMENT_EVASION_RE.exec(lower);
    if (m !== null) return { rule: 'sqli.comment-obfuscation', fragment: value.slice(Math.max(0, m.index - 8)) };
  }
  // signatures anywhere (the prefilter keywords survive normalisation unchanged)
  if (!opts.strict && !PREFILTER_RE.test(lower)) return null;
  const norm = normaliseForSignatures(lower);
  return firstRegexMatch(norm, ANYWHERE_RULES, opts) ?? (opts.strict ? firstRegexMatch(norm, STRICT_RULES, opts) : null);
}
