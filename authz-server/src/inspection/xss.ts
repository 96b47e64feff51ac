// XSS detection: linear regexes over the decoded value, its HTML-entity-decoded
// form and its JS-unescaped form. Rules target executable constructs (script
// tags, event handlers, javascript: URLs, JS sinks), not HTML in general, so
// markdown and harmless inline HTML pass.

import { htmlEntityDecode, jsUnescape, utf7Decode } from './decode.ts';
import { firstRegexMatch, type DetectOptions, type Match, type RegexRule } from './detector.ts';

// Event handler names recognised outside a tag (inside a tag any on*= counts).
const EVENTS = [
  'abort', 'activate', 'afterprint', 'afterscriptexecute', 'animationcancel', 'animationend', 'animationiteration',
  'animationstart', 'auxclick', 'beforeactivate', 'beforecopy', 'beforecut', 'beforedeactivate', 'beforeinput',
  'beforepaste', 'beforeprint', 'beforescriptexecute', 'beforetoggle', 'beforeunload', 'begin', 'blur', 'bounce',
  'cancel', 'canplay', 'canplaythrough', 'change', 'click', 'close', 'contextmenu', 'copy', 'cuechange', 'cut',
  'dblclick', 'drag', 'dragend', 'dragenter', 'dragleave', 'dragover', 'dragstart', 'drop', 'durationchange',
  'emptied', 'end', 'ended', 'error', 'finish', 'focus', 'focusin', 'focusout', 'formdata', 'fullscreenchange',
  'hashchange', 'input', 'invalid', 'keydown', 'keypress', 'keyup', 'load', 'loadeddata', 'loadedmetadata',
  'loadend', 'loadstart', 'message', 'mousedown', 'mouseenter', 'mouseleave', 'mousemove', 'mouseout', 'mouseover',
  'mouseup', 'mousewheel', 'offline', 'online', 'pagehide', 'pageshow', 'paste', 'pause', 'play', 'playing',
  'pointercancel', 'pointerdown', 'pointerenter', 'pointerleave', 'pointermove', 'pointerout', 'pointerover',
  'pointerrawupdate', 'pointerup', 'popstate', 'progress', 'ratechange', 'readystatechange', 'repeat', 'reset',
  'resize', 'scroll', 'scrollend', 'search', 'securitypolicyviolation', 'seeked', 'seeking', 'select',
  'selectionchange', 'selectstart', 'show', 'start', 'stalled', 'storage', 'submit', 'suspend', 'timeupdate',
  'toggle', 'touchcancel', 'touchend', 'touchmove', 'touchstart', 'transitioncancel', 'transitionend',
  'transitionrun', 'transitionstart', 'unhandledrejection', 'unload', 'volumechange', 'waiting', 'wheel',
  'webkitanimationend', 'webkitanimationiteration', 'webkitanimationstart', 'webkittransitionend',
  'contentvisibilityautostatechange', 'pagereveal', 'pageswap',
].sort((a, b) => b.length - a.length);

// All regexes run on lowercased text and are linear: single lazy gaps bounded by
// a negated class or a fixed length, no nested quantifiers.
const RULES: readonly RegexRule[] = [
  { rule: 'xss.script-tag', re: /<\s*(?:[a-z]{1,10}\s*:\s*)?\/?\s*script(?![\w-])/, any: ['<'] },
  {
    rule: 'xss.dangerous-tag',
    re: /<\s*(?:[a-z]{1,10}:)?(?:iframe|frame|frameset|object|embed|applet|base|isindex|link|vmlframe|animate|set|handler|listener|layer|ilayer|bgsound|xml)[\s/][^<>]*?\b(?:src|srcdoc|data|href|code|codebase|classid|action|formaction|archive|attributename|values|to|from)[\s/]*=|<\s*meta[\s/]|<\s*style[\s>/]|<\s*noscript\b|<\s*(?:input|form|button|textarea|keygen|isindex)\b[^<>]*?\b(?:pattern|action|formaction|autofocus|value|name|type)\s*=|<\s*\??\s*import(?:\s*|\b[^<>]*?\b)implementation|<\s*[a-z][^<>]*?\bdata(?:src|fld|formatas)\s*=|<\s*(?:[a-z]{0,10}:)?vmlframe\b/,
    any: ['<'],
  },
  // inside a tag: <img src=x onerror=...>, <svg/onload=...>
  { rule: 'xss.event-handler', re: /<(?:[a-z!?/][^<>]*?[\s/"'`]|\/)on[a-z]{3,40}\s*=/, any: ['<'] },
  // outside a tag (attribute break-out or reflection into an attribute): " onfocus=alert(1), "onzoom=
  {
    rule: 'xss.event-handler',
    re: new RegExp(
      `(?:^|[\\s/"'\`;])on(?:${EVENTS.join('|')})\\s*=\\s*["'\`]?\\s*(?:javascript:|[a-z_$][\\w$]*\\s*[(\`=[.])|(?:^|\\s)on(?:${EVENTS.join('|')})\\s*=\\s*$|["'\`]\\s*on[a-z]{3,40}\\s*=|(?:^|\\s)on[a-z]{3,40}\\s*=\\s*$`,
    ),
    any: ['on'],
  },
  { rule: 'xss.event-handler', re: /["'`\s/](?:formaction|srcdoc|xlink:href)\s*=/, any: ['formaction', 'srcdoc', 'xlink'] },
  {
    rule: 'xss.js-uri',
    re: /(?:javascript|vbscript|livescript|mocha):\s*(?:[^\s]{0,80}?[(`=[]|\/\/|\\|(?:document|window|location|top|self|parent|this)\b)|\b(?:href|src|action|formaction|data|xlink:href|background|dynsrc|lowsrc)\s*=\s*["'`]?\s*(?:javascript|vbscript|livescript):|\burl\s*\(\s*["']?\s*(?:javascript|vbscript)\b/,
    any: ['script', 'mocha'],
  },
  {
    rule: 'xss.data-uri',
    re: /\bdata:\s*(?:text\/(?:html|javascript|ecmascript|xml)|application\/(?:x?html|xhtml\+xml|javascript|ecmascript)|image\/svg\+xml)|\bdata:[^,<>]{0,60},\s*<\s*[a-z]/,
    any: ['data:'],
  },
  {
    rule: 'xss.js-sink',
    re: /\b(?:alert|prompt|confirm)\s*(?:\(\s*(?:[\d'"`/)[]|document\b|window\b|this\b|top\b|self\b|parent\b|origin\b|location\b|string\.)|`[^`\s]{0,40}`)/,
    any: ['alert', 'prompt', 'confirm'],
  },
  {
    rule: 'xss.js-sink',
    re: /(?<![.\w$])eval\s*\(\s*(?:['"`]|atob\b|unescape\b|decodeuri(?:component)?\b|string\s*\.|location\b|name\b|document\b|window\b|top\b|this\b|self\b)/,
    any: ['eval'],
  },
  {
    rule: 'xss.js-sink',
    re: /document\s*\.\s*(?:cookie|domain|write(?:ln)?\s*\()|\b(?:window|document|top|self)\s*\.\s*location\b|\bdocument\s*\.\s*(?:body|head|documentelement)\s*\.\s*(?:appendchild|insertbefore|insertadjacenthtml)\s*\(|\bdocument\s*\.\s*createelement\s*\(\s*['"`]?\s*(?:script|iframe|img|svg|h1|a|object|embed)|\bdocument\s*\.\s*queryselector(?:all)?\s*\([^()]{0,80}\)\s*\.\s*(?:textcontent|innerhtml|outerhtml|innertext|src|href|setattribute)\b/,
    any: ['document', 'location'],
  },
  { rule: 'xss.js-sink', re: /\.\s*(?:inner|outer)html\s*=/, any: ['html'] },
  {
    rule: 'xss.js-sink',
    re: /\bstring\s*\.\s*fromcharcode\s*\(|\bconstructor\s*\.\s*constructor\s*\(|\bconstructor\s*\(\s*['"`]|\bnew\s+function\s*\(/,
    any: ['fromcharcode', 'constructor', 'function'],
  },
  { rule: 'xss.js-sink', re: /\b(?:settimeout|setinterval)\s*\(\s*(?:['"`]|name\b|code\b|location\b|document\b|atob\b|unescape\b|decodeuri)/, any: ['settimeout', 'setinterval'] },
  { rule: 'xss.js-sink', re: /\bimport\s*\(\s*['"`](?:https?:|data:|\/\/)/, any: ['import'] },
  { rule: 'xss.js-sink', re: /\(?\s*\b(?:top|self|window|parent|globalthis|frames|document)\s*\)?\s*\[\s*['"`]/, any: ['['] },
  { rule: 'xss.js-sink', re: /\.\s*(?:call|apply|bind)\s*`|\$\{\s*(?:alert|prompt|confirm|eval|navigation|location|document|top|self)\b/, any: ['`', '${'] },
  { rule: 'xss.css-expression', re: /\bstyle\s*=[^<>]{0,200}?(?:expression\s*\(|-moz-binding|behaviou?r\s*:)|-moz-binding\s*:|\bexpression\s*\(\s*(?:alert|eval|document|window|write)/, any: ['expression', 'binding', 'behavio'] },
  { rule: 'xss.xml-injection', re: /<\s*[a-z][\w.-]*(?::[\w.-]+)?[\s/][^<>]*?\b(?:xmlns(?::[\w.-]+)?|xsi:schemalocation)\s*=|<\s*xi:include\b/, any: ['xmlns', 'xsi:', 'xi:'] },
  { rule: 'xss.xml-injection', re: /<?!\s*entity\s+%?\s*[\w.-]+\s+(?:system|public)\b/, any: ['entity'] },
  { rule: 'xss.ssi', re: /<!--\s*#\s*(?:exec|include|echo|set|config|printenv|fsize|flastmod)\b/, any: ['<!--'] },
  { rule: 'xss.jsfuck', re: /!!?\s*\[\s*\]|\[\s*\+\s*!?\s*\+?\s*\[\s*\]\s*\]|\(\s*!\s*\[\s*\]\s*\+\s*\[\s*\]\s*\)/, any: ['[]', '[ '] },
];

/** Strict paranoia only. */
const STRICT_RULES: readonly RegexRule[] = [
  { rule: 'xss.event-handler', re: /(?:^|[\s/"'`;])on[a-z]{3,40}\s*=/ },
  { rule: 'xss.html-tag', re: /<\s*(?:a|img|svg|math|form|input|button|textarea|select|video|audio|source|body|html|details|marquee|noscript|template|xss)\b[^<>]*?(?:\b[a-z-]+\s*=|>|$)/ },
  { rule: 'xss.js-sink', re: /\b(?:atob|btoa|eval|fetch)\s*\(|\bdocument\s*\.\s*(?:queryselector|getelementby|body|createelement)|-->|<!--|<!\[cdata\[/ },
];

// Tag names spelt with spaces between the letters (< f o r m): old parsers and some filters join them.
const SPACED_TAG_RE = /<\s*((?:[a-z]\s+){2,9}[a-z])\b/g;
const TAGS = new Set(['form', 'dialog', 'script', 'iframe', 'frame', 'img', 'svg', 'object', 'embed', 'applet', 'style', 'link', 'meta', 'base', 'input', 'button', 'video', 'audio', 'math', 'body', 'marquee', 'details', 'template', 'isindex', 'textarea', 'select', 'keygen', 'frameset', 'xss']);

function spacedTag(text: string, opts: DetectOptions): Match | null {
  if (opts.skip !== null && opts.skip('xss.html-tag')) return null;
  for (const m of text.matchAll(SPACED_TAG_RE)) {
    if (TAGS.has((m[1] as string).replace(/\s+/g, ''))) return { rule: 'xss.html-tag', fragment: text.slice(m.index) };
  }
  return null;
}

const CONTROL_RE = /[\u0000-\u0008\u000a-\u000d\u000e-\u001f\t]/g;
const QUICK_RE = /[<>:(`=&\\[+!]|document|window|location|self|cookie/;
const SCHEME_RE = /(?:java|vb|live)script:/;
const JS_COMMENT_RE = /\/\*[^*]{0,200}\*\//g;

function check(text: string, opts: DetectOptions): Match | null {
  return firstRegexMatch(text, RULES, opts) ?? (opts.strict ? firstRegexMatch(text, STRICT_RULES, opts) : null);
}

/** A script scheme that only appears once entities or control characters are removed is obfuscated on purpose. */
function obfuscatedScheme(raw: string, decoded: string, opts: DetectOptions): Match | null {
  if (opts.skip !== null && opts.skip('xss.js-uri')) return null;
  if (SCHEME_RE.test(raw)) return null;
  const m = SCHEME_RE.exec(decoded);
  return m === null ? null : { rule: 'xss.js-uri', fragment: decoded.slice(m.index) };
}

/** Adds `decoded` when a decoding of `from` changed it, then its HTML-entity decoding when that changes it again. */
function addDecoded(variants: string[], from: string, decoded: string): void {
  if (decoded === from) return;
  variants.push(decoded);
  const entities = htmlEntityDecode(decoded);
  if (entities !== decoded) variants.push(entities);
}

/** Detects XSS in one decoded value. */
export function detectXss(value: string, opts: DetectOptions): Match | null {
  const withoutNul = value.indexOf('\u0000') === -1 ? value : value.replaceAll('\u0000', '');
  const lowered = withoutNul.toLowerCase();
  if (!QUICK_RE.test(lowered)) return null;
  const variants: string[] = [lowered];
  if (lowered.indexOf('&') !== -1) addDecoded(variants, lowered, htmlEntityDecode(lowered));
  if (lowered.indexOf('\\') !== -1) {
    const jsUnescaped = jsUnescape(lowered);
    addDecoded(variants, lowered, jsUnescaped);
    if (/\\x[89a-f]/.test(lowered)) {
      const highBytesUnescaped = jsUnescape(lowered, true);
      if (highBytesUnescaped !== jsUnescaped) variants.push(highBytesUnescaped);
    }
  }
  if (value.indexOf('+A') !== -1) {
    const utf7Decoded = utf7Decode(value).toLowerCase();
    if (utf7Decoded !== lowered) variants.push(utf7Decoded);
  }
  const decodedCount = variants.length;
  for (let i = 0; i < decodedCount; i++) {
    const variant = variants[i] as string;
    // US-ASCII with the high bit set (\xbcscript\xbe): some back ends strip the eighth bit
    if (/[\u00bc\u00be]/.test(variant)) {
      const stripped = variant.replace(/[\u0080-\u00ff]/g, (char) => String.fromCharCode(char.charCodeAt(0) & 0x7f));
      // text never spells a tag with the eighth bit set: that is an evasion whatever the tag
      const tag = /<\/?[a-z][^<>]{0,40}>/.exec(stripped);
      if (tag !== null && (opts.skip === null || !opts.skip('xss.malformed-encoding'))) return { rule: 'xss.malformed-encoding', fragment: stripped.slice(tag.index) };
    }
    if (variant.indexOf('/*') !== -1) variants.push(variant.replace(JS_COMMENT_RE, ''));
  }
  for (let i = variants.length - 1; i >= 0; i--) {
    const variant = variants[i] as string;
    const lower = variant === lowered ? variant : variant.toLowerCase();
    const match = check(lower, opts) ?? (lower.indexOf('<') !== -1 ? spacedTag(lower, opts) : null);
    if (match !== null) return match;
    // Browsers drop tabs/newlines inside URL schemes ("java\tscript:").
    if (/[\t\n\r\u0001-\u001f]/.test(lower)) {
      const compact = lower.replace(CONTROL_RE, '');
      const compactMatch = check(compact, opts) ?? obfuscatedScheme(lowered, compact, opts);
      if (compactMatch !== null) return compactMatch;
    }
    if (i > 0) {
      const schemeMatch = obfuscatedScheme(lowered, lower, opts);
      if (schemeMatch !== null) return schemeMatch;
    }
  }
  return null;
}
