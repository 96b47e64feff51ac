// XSS detection: linear regexes over the decoded value, its HTML-entity-decoded
// form and its JS-unescaped form. Rules target executable constructs (script
// tags, event handlers, javascript: URLs, JS sinks), not HTML in general, so
// markdown and harmless inline HTML pass.

import { htmlEntityDecode, jsUnescape } from './decode.ts';

export interface XssMatch {
  rule: string;
  fragment: string;
}

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

interface Rule {
  rule: string;
  re: RegExp;
}

// All regexes run on lowercased text and are linear: single lazy gaps bounded by
// a negated class or a fixed length, no nested quantifiers.
const RULES: Rule[] = [
  { rule: 'xss.script-tag', re: /<\s*\/?\s*script(?![\w-])/ },
  {
    rule: 'xss.dangerous-tag',
    re: /<\s*(?:iframe|frame|frameset|object|embed|applet|base|isindex)[\s/][^<>]*?\b(?:src|srcdoc|data|href|code|codebase|classid|action|formaction|archive)\s*=|<\s*meta[\s/][^<>]*?http-equiv/,
  },
  // inside a tag: <img src=x onerror=...>, <svg/onload=...>
  { rule: 'xss.event-handler', re: /<[a-z!?/][^<>]*?[\s/"'`]on[a-z]{3,40}\s*=/ },
  // outside a tag (attribute break-out or reflection into an attribute): " onfocus=alert(1)
  {
    rule: 'xss.event-handler',
    re: new RegExp(
      `(?:^|[\\s/"'\`;])on(?:${EVENTS.join('|')})\\s*=\\s*["'\`]?\\s*(?:javascript:|[a-z_$][\\w$]*\\s*[(\`=[.])`,
    ),
  },
  {
    rule: 'xss.js-uri',
    re: /(?:javascript|vbscript|livescript|mocha):\s*(?:[^\s]{0,80}?[(`=[]|\/\/|(?:document|window|location|top|self|parent|this)\b)/,
  },
  {
    rule: 'xss.data-uri',
    re: /\bdata:\s*(?:text\/(?:html|javascript|ecmascript|xml)|application\/(?:x?html|xhtml\+xml|javascript|ecmascript))/,
  },
  {
    rule: 'xss.js-sink',
    re: /\b(?:alert|prompt|confirm)\s*(?:\(\s*(?:[\d'"`/)[]|document\b|window\b|this\b|top\b|self\b|parent\b|origin\b|location\b|string\.)|`[^`\s]{0,40}`)|(?<![.\w$])eval\s*\(\s*(?:['"`]|atob\b|unescape\b|decodeuri(?:component)?\b|string\s*\.|location\b|name\b|document\b|window\b|top\b|this\b|self\b)|document\s*\.\s*(?:cookie|domain|write(?:ln)?\s*\()|\b(?:window|document|top|self)\s*\.\s*location\s*(?:\.\s*href\s*)?=|\.\s*(?:inner|outer)html\s*=|\bstring\s*\.\s*fromcharcode\s*\(|\bconstructor\s*\.\s*constructor\s*\(|\bconstructor\s*\(\s*['"`]|\b(?:settimeout|setinterval)\s*\(\s*['"`]|\bnew\s+function\s*\(\s*['"`]|\bimport\s*\(\s*['"`](?:https?:|data:|\/\/)|\b(?:top|self|window|parent|globalthis|frames)\[\s*['"`]/,
  },
  { rule: 'xss.css-expression', re: /\bstyle\s*=[^<>]{0,200}?(?:expression\s*\(|-moz-binding|behavior\s*:)/ },
];

const CONTROL_RE = /[\u0000-\u0008\u000a-\u000d\u000e-\u001f\t]/g;
const QUICK_RE = /[<>:(`=&\\]/;

function check(text: string): XssMatch | null {
  for (const r of RULES) {
    const m = r.re.exec(text);
    if (m !== null) return { rule: r.rule, fragment: text.slice(m.index) };
  }
  return null;
}

/** Detects XSS in one decoded value. */
export function detectXss(value: string): XssMatch | null {
  if (!QUICK_RE.test(value)) return null;
  let x = value.indexOf('\u0000') === -1 ? value : value.replaceAll('\u0000', '');
  x = x.toLowerCase();
  const variants: string[] = [x];
  if (x.indexOf('&') !== -1) {
    const e1 = htmlEntityDecode(x);
    if (e1 !== x) {
      variants.push(e1);
      const e2 = htmlEntityDecode(e1);
      if (e2 !== e1) variants.push(e2);
    }
  }
  if (x.indexOf('\\') !== -1) {
    const j = jsUnescape(x);
    if (j !== x) {
      variants.push(j);
      const je = htmlEntityDecode(j);
      if (je !== j) variants.push(je);
    }
  }
  for (let i = variants.length - 1; i >= 0; i--) {
    const v = variants[i] as string;
    const lower = v === x ? v : v.toLowerCase();
    const m = check(lower);
    if (m !== null) return m;
    // Browsers drop tabs/newlines inside URL schemes ("java\tscript:").
    if (/[\t\n\r\u0001-\u001f]/.test(lower)) {
      const compact = lower.replace(CONTROL_RE, '');
      const c = check(compact);
      if (c !== null) return c;
    }
  }
  return null;
}
