// Lenient decoders used to normalise request values before detection.
// None of these functions throw: malformed input is passed through literally.

const HEX: Record<string, number> = {};
for (let i = 0; i < 16; i++) {
  HEX[i.toString(16)] = i;
  HEX[i.toString(16).toUpperCase()] = i;
}

function hexVal(ch: string | undefined): number {
  if (ch === undefined) return -1;
  const v = HEX[ch];
  return v === undefined ? -1 : v;
}

/**
 * Lenient UTF-8 decoding of a byte run. Unlike TextDecoder it maps overlong
 * encodings (e.g. C0 AE, E0 80 AE) to the code point they spell, because
 * some servers do, and attackers use them to hide '.', '/' and '\'.
 */
export function decodeUtf8Lenient(bytes: ArrayLike<number>, start = 0, end = bytes.length): string {
  let out = '';
  let i = start;
  while (i < end) {
    const b0 = bytes[i] ?? 0;
    if (b0 < 0x80) {
      out += String.fromCharCode(b0);
      i++;
      continue;
    }
    let need: number;
    let cp: number;
    if (b0 >= 0xc0 && b0 <= 0xdf) {
      need = 1;
      cp = b0 & 0x1f;
    } else if (b0 >= 0xe0 && b0 <= 0xef) {
      need = 2;
      cp = b0 & 0x0f;
    } else if (b0 >= 0xf0 && b0 <= 0xf7) {
      need = 3;
      cp = b0 & 0x07;
    } else {
      out += '\ufffd';
      i++;
      continue;
    }
    let ok = i + need < end;
    for (let k = 1; ok && k <= need; k++) {
      const b = bytes[i + k];
      if (b === undefined || (b & 0xc0) !== 0x80) ok = false;
      else cp = (cp << 6) | (b & 0x3f);
    }
    if (!ok) {
      out += '\ufffd';
      i++;
      continue;
    }
    i += need + 1;
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) out += '\ufffd';
    else out += String.fromCodePoint(cp);
  }
  return out;
}

/**
 * One pass of percent-decoding: %XX (as UTF-8 byte runs, overlong-tolerant),
 * IIS-style %uXXXX, and optionally '+' as space. Malformed escapes stay literal.
 */
export function percentDecode(s: string, plusAsSpace: boolean): string {
  if (s.indexOf('%') === -1) {
    return plusAsSpace && s.indexOf('+') !== -1 ? s.replaceAll('+', ' ') : s;
  }
  return s.replace(plusAsSpace ? PCT_PLUS_RE : PCT_RE, (m: string) => {
    if (m === '+') return ' ';
    if (m.length === 6 && (m[1] === 'u' || m[1] === 'U')) return String.fromCharCode(parseInt(m.slice(2), 16));
    const bytes = new Uint8Array(m.length / 3);
    for (let j = 0, k = 0; j < m.length; j += 3, k++) bytes[k] = hexVal(m[j + 1]) * 16 + hexVal(m[j + 2]);
    return decodeUtf8Lenient(bytes);
  });
}

// Linear: a run of fixed-width escapes, or a single fixed-width escape.
const PCT_RE = /(?:%[0-9a-fA-F]{2})+|%[uU][0-9a-fA-F]{4}/g;
const PCT_PLUS_RE = /(?:%[0-9a-fA-F]{2})+|%[uU][0-9a-fA-F]{4}|\+/g;

const NAMED_ENTITIES: Record<string, string> = {
  lt: '<', gt: '>', quot: '"', apos: "'", amp: '&', colon: ':', lpar: '(', rpar: ')',
  tab: '\t', newline: '\n', sol: '/', bsol: '\\', period: '.', equals: '=', grave: '`',
  nbsp: ' ', semi: ';', comma: ',', excl: '!', num: '#', lsqb: '[', rsqb: ']',
  lbrack: '[', rbrack: ']', lcub: '{', rcub: '}', lbrace: '{', rbrace: '}', plus: '+',
  quest: '?', percnt: '%', ast: '*', verbar: '|', dollar: '$', lowbar: '_', hyphen: '-',
  dash: '-', vert: '|', commat: '@', apostrophe: "'",
};

// Linear: each alternative is a bounded run of one character class.
const ENTITY_RE = /&(?:#[xX]([0-9a-fA-F]{1,8})|#([0-9]{1,10})|([a-zA-Z]{2,10}));?/g;

function codePointToString(cp: number): string {
  if (!Number.isFinite(cp) || cp < 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return '\ufffd';
  return String.fromCodePoint(cp);
}

/** Decodes HTML character references the way a browser would (semicolon optional). */
export function htmlEntityDecode(s: string): string {
  if (s.indexOf('&') === -1) return s;
  return s.replace(ENTITY_RE, (m, hex: string | undefined, dec: string | undefined, name: string | undefined) => {
    if (hex !== undefined) return codePointToString(parseInt(hex, 16));
    if (dec !== undefined) return codePointToString(parseInt(dec, 10));
    if (name !== undefined) {
      const v = NAMED_ENTITIES[name.toLowerCase()];
      if (v !== undefined) return v;
    }
    return m;
  });
}

const JS_ESCAPE_RE = /\\(?:u\{([0-9a-fA-F]{1,6})\}|u([0-9a-fA-F]{4})|x([0-9a-fA-F]{2}))/g;

const JS_HEX_RUN_RE = /(?:\\x[0-9a-fA-F]{2})+/g;

/**
 * Decodes JavaScript/JSON style \uXXXX, \u{X}, \xXX escapes. With `utf8`, runs of \xXX are read as UTF-8 bytes
 * (as a C or Python string literal would be) instead of one character each.
 */
export function jsUnescape(s: string, utf8 = false): string {
  if (s.indexOf('\\') === -1) return s;
  if (utf8) {
    s = s.replace(JS_HEX_RUN_RE, (m) => {
      const bytes = new Uint8Array(m.length / 4);
      for (let j = 0; j < bytes.length; j++) bytes[j] = parseInt(m.slice(j * 4 + 2, j * 4 + 4), 16);
      return decodeUtf8Lenient(bytes);
    });
  }
  return s.replace(JS_ESCAPE_RE, (_m, brace: string | undefined, u4: string | undefined, x2: string | undefined) =>
    codePointToString(parseInt(brace ?? u4 ?? x2 ?? '', 16)),
  );
}

const UTF7_RE = /\+([A-Za-z0-9+/]{2,64})-?/g;
const B64_VALUES = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/**
 * Decodes UTF-7 shifted sequences (+ADw- is '<'): old browsers sniffed UTF-7 and attackers still try it.
 * Only sequences that decode to printable ASCII are replaced (base64 is case-sensitive: decode before lowercasing).
 */
export function utf7Decode(s: string): string {
  if (s.indexOf('+') === -1) return s;
  return s.replace(UTF7_RE, (m, b64: string) => {
    const decode = (text: string): string | null => {
      let bits = 0;
      let acc = 0;
      let out = '';
      for (const ch of text) {
        const v = B64_VALUES.indexOf(ch);
        if (v === -1) return null;
        acc = (acc << 6) | v;
        bits += 6;
        if (bits >= 16) {
          bits -= 16;
          out += String.fromCharCode((acc >> bits) & 0xffff);
        }
      }
      return out.length > 0 && /^[\x09\x0a\x0d\x20-\x7e]+$/.test(out) ? out : null;
    };
    return decode(b64) ?? m;
  });
}

const NON_ASCII_RE = /[^\x00-\x7f]/;

/**
 * Folds Unicode look-alikes that some back ends map to ASCII (fullwidth
 * characters, the two-dot leader, division slash...). Only runs on non-ASCII input.
 */
export function foldUnicode(s: string): string {
  if (!NON_ASCII_RE.test(s)) return s;
  let t: string;
  try {
    t = s.normalize('NFKC');
  } catch {
    t = s;
  }
  return t
    .replaceAll('\u2215', '/')
    .replaceAll('\u2044', '/')
    .replaceAll('\u29f5', '\\')
    .replaceAll('\u2216', '\\')
    .replaceAll('\ufe68', '\\');
}

/**
 * The normalised layers of a value: raw, then repeatedly percent-decoded
 * (up to 4 passes, catching double, triple... encoding), each Unicode-folded.
 * '+' is decoded as a space in the first pass when `plusAsSpace`.
 */
export function decodeLayers(raw: string, plusAsSpace: boolean): string[] {
  // most values have nothing to decode: one layer, no work
  if (raw.indexOf('%') === -1 && (!plusAsSpace || raw.indexOf('+') === -1) && !NON_ASCII_RE.test(raw)) return [raw];
  const layers: string[] = [];
  const add = (v: string): void => {
    const f = foldUnicode(v);
    if (!layers.includes(f)) layers.push(f);
    if (f !== v && !layers.includes(v)) layers.push(v);
  };
  add(raw);
  let cur = percentDecode(raw, plusAsSpace);
  add(cur);
  for (let pass = 0; pass < 3 && cur.indexOf('%') !== -1; pass++) {
    const next = percentDecode(cur, false);
    if (next === cur) break;
    cur = next;
    add(cur);
  }
  return layers;
}
