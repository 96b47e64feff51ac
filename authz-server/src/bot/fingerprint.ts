/**
 * What identifies a client beyond its address, from what Envoy passes in the CheckRequest: a client fingerprint
 * (user agent without its version numbers, language and encoding preferences, which of the headers browsers always
 * send are present, and the TLS JA3/JA4 fingerprints when the proxy adds them as headers), the address a client is
 * counted under (an IPv6 client under its /64, which one household or device gets) and its network (/24, /48).
 */
import { hash } from 'node:crypto';
import { networkOf } from '../challenge/binding.ts';
import { COMPACT_JWS, credentialOf } from '../pipeline/stages/authentication.ts';

/**
 * Headers whose presence (not value) is part of the fingerprint: browsers send these on every request whatever
 * its type, HTTP libraries that put on a browser's user agent usually do not. Headers that change with the
 * request (referer, origin, content-type, sec-fetch-user, upgrade-insecure-requests) are left out so that one
 * browser keeps one fingerprint across navigations and API calls.
 */
const PRESENCE_HEADERS = ['accept', 'accept-language', 'accept-encoding', 'sec-ch-ua', 'sec-ch-ua-mobile', 'sec-ch-ua-platform', 'sec-fetch-mode', 'sec-fetch-site', 'sec-fetch-dest', 'dnt', 'priority'] as const;

/** Default headers that carry TLS client fingerprints when the proxy adds them (Envoy request_headers_to_add). */
export const DEFAULT_TLS_FINGERPRINT_HEADERS: readonly string[] = Object.freeze(['x-ja4', 'x-ja3', 'x-ja4-fingerprint', 'x-ja3-fingerprint']);

/**
 * The client fingerprint: a short digest (22 base64url characters of SHA-256, part of store keys) that is equal
 * for requests from the same kind of client and differs between a browser and a script wearing the browser's
 * user agent.
 */
export function clientFingerprint(headers: ReadonlyMap<string, string>, tlsHeaders: readonly string[] = DEFAULT_TLS_FINGERPRINT_HEADERS): string {
  const ua = headers.get('user-agent') ?? '';
  const rest = `${headers.get('accept-language') ?? ''}\u0000${headers.get('accept-encoding') ?? ''}\u0000${presenceBits(headers)}\u0000${tlsOf(headers, tlsHeaders)}`;
  return digest(fingerprints, `${ua}\u0000${rest}`, () => `${withoutVersions(ua)}\u0000${rest}`, 22);
}

/** Digests most recently computed from each input, per digest kind (clients of one kind send the same headers). */
const fingerprints = new Map<string, string>();
const classes = new Map<string, string>();
/** Most inputs remembered per kind (and client IPs, see addressing). */
export const DIGEST_MEMO = 4096;
/** The longest input remembered: a longer one (headers a client can make as long as the proxy allows) is digested every time. */
const DIGEST_MEMO_INPUT_CHARS = 512;

/** The first `chars` base64url characters of the SHA-256 of `digested()`, remembered by `input` (what it is computed from). */
function digest(memo: Map<string, string>, input: string, digested: () => string, chars: number): string {
  return memoised(memo, input, DIGEST_MEMO_INPUT_CHARS, () => hash('sha256', digested(), 'base64url').slice(0, chars));
}

/**
 * `make()` remembered by `key`, at most DIGEST_MEMO values per memo (oldest forgotten first); a key longer than
 * `maxKey` is computed every time. What is remembered here (digests, a regular expression over the user agent, an IP
 * parsed twice) costs several times a lookup, and the same string objects each time make the maps keyed by them cheap.
 */
export function memoised<V>(memo: Map<string, V>, key: string, maxKey: number, make: () => V): V {
  let v = memo.get(key);
  if (v !== undefined) return v;
  v = make();
  if (key.length <= maxKey) {
    if (memo.size >= DIGEST_MEMO) memo.delete(memo.keys().next().value as string);
    memo.set(key, v);
  }
  return v;
}

/** A version number in a user agent: 131, 131.0.6778.85, 17_6. */
const VERSION = /\d+(?:[._]\d+)*/g;

/**
 * A user agent without its version numbers: a crowd that gives each address a build of its own (Chrome/131.0.6778.85,
 * /131.0.6778.86, ...) would otherwise be a fingerprint per address, too thin for any crowd evidence, while people's
 * browsers of one kind share one whatever their updates.
 */
function withoutVersions(ua: string): string {
  return ua.replace(VERSION, '#');
}

/** Which of PRESENCE_HEADERS a request carries, as a short string. */
function presenceBits(headers: ReadonlyMap<string, string>): string {
  let bits = 0;
  for (let i = 0; i < PRESENCE_HEADERS.length; i++) if (headers.has(PRESENCE_HEADERS[i]!)) bits |= 1 << i;
  return bits.toString(36);
}

/** The TLS fingerprint headers' values, in a fixed order. */
function tlsOf(headers: ReadonlyMap<string, string>, tlsHeaders: readonly string[]): string {
  let tls = '';
  for (const h of tlsHeaders) {
    const v = headers.get(h);
    if (v !== undefined && v !== '') tls += `${h}=${v}\u0001`;
  }
  return tls;
}

/** The user agent's product name (`ShopApp`, `python-requests`, `Mozilla`). */
function productOf(headers: ReadonlyMap<string, string>): string {
  return /^[^\s/;(]*/.exec((headers.get('user-agent') ?? '').trim())?.[0] ?? '';
}

/**
 * A header name with a session, token, auth, JWT or SID part (`x-session-token`, `x-auth-token`, `x-myapp-session`,
 * `x-csrf-token`): a credential of the client's own, as `authorization` and `cookie` are.
 */
const CREDENTIAL_HEADER = /(?:^|[-_])(?:session|sess|sid|token|auth|jwt|bearer)(?:[-_]|$)/;

/**
 * Whether a request carries a credential of its own beside whatever key it shares: an `authorization` header, a
 * cookie, or a header named as one (CREDENTIAL_HEADER).
 */
export function carriesOwnCredential(headers: ReadonlyMap<string, string>): boolean {
  if (headers.has('authorization') || headers.has('cookie')) return true;
  for (const name of headers.keys()) if (CREDENTIAL_HEADER.test(name)) return true;
  return false;
}

/** A header named as a session (`x-session-token`, `x-myapp-sid`): a value of one user's, never an app's. */
const SESSION_HEADER = /(?:^|[-_])(?:session|sess|sid)(?:[-_]|$)/;

/**
 * An `authorization` value as its upstream reads it: the scheme in lower case, then the credential (RFC 9110: the scheme
 * is case-insensitive, spaces or a tab may follow it); of a compact JWS only its signed part, since its signature
 * spelled otherwise in base64url (the last character's unused bits) decodes to the same bytes and verifies alike.
 */
function readAuthorization(value: string): string {
  const v = value.trim();
  const space = v.search(/[ \t]/);
  const scheme = space > 0 ? v.slice(0, space).toLowerCase() : '';
  const credential = scheme === '' ? v : credentialOf(v, scheme)!;
  const signed = COMPACT_JWS.test(credential) ? credential.slice(0, credential.lastIndexOf('.')) : credential;
  return scheme === '' ? signed : `${scheme} ${signed}`;
}

/**
 * The credential a request carries as one user's own (the header it came in and its value as the upstream reads it:
 * readAuthorization, a session header's trimmed), or null without one: its
 * `authorization` (unless that is where the policy reads its API keys, `keyHeader`), else the first header named as
 * a session (SESSION_HEADER). Cookies are the session detectors' concern, and a header named only as a token or
 * auth (`x-app-token`) is as often a constant an app ships to every install as a user's.
 */
export function ownCredential(headers: ReadonlyMap<string, string>, keyHeader: string | null): { header: string; value: string } | null {
  const auth = headers.get('authorization');
  if (auth !== undefined && auth.trim() !== '' && keyHeader !== 'authorization') return { header: 'authorization', value: readAuthorization(auth) };
  for (const [name, value] of headers) if (value.trim() !== '' && name !== keyHeader && SESSION_HEADER.test(name)) return { header: name, value: value.trim() };
  return null;
}

/**
 * A coarse client kind: the user agent's product name (`ShopApp`, `python-requests`, `Mozilla`), which of the
 * usual headers are present, whether the request carries a credential of its own (an `authorization` header, a
 * cookie, or a header named as a session or token: see carriesOwnCredential), and the TLS fingerprint headers. An
 * app's users share one kind whatever their app and OS versions (one HTTP stack sends one header set); a script that
 * copies the app's key and user agent but not the exact set of headers its stack sends is a kind of its own.
 * Signed-in users of an app that shares one key send their own credential beside it, in whatever header the app
 * chose, which a crowd copying the key has not got: a crowd of either kind surges its own cell and leaves the
 * other's users alone. Only one bit is taken from the header names, so a crowd naming headers at random cannot
 * spread itself over cells; one that forges a credential joins the signed-in users' cell, as it would without the
 * bit, and meets the upstream's refusals.
 */
export function clientKind(headers: ReadonlyMap<string, string>, tlsHeaders: readonly string[] = DEFAULT_TLS_FINGERPRINT_HEADERS): string {
  return `${productOf(headers)}\u0000${presenceBits(headers)}${carriesOwnCredential(headers) ? '+a' : ''}\u0000${tlsOf(headers, tlsHeaders)}`;
}

/** Browser engines a `Mozilla/` user agent names, most specific first. */
const BROWSER_FAMILIES = ['Edg/', 'Firefox/', 'Chrome/', 'Safari/'] as const;

/**
 * The client's class: what a whole population of one kind of client shares, whatever their versions and
 * languages: the browser family (or the user agent's product), which of the always-sent headers are present, and
 * the TLS fingerprint. People spread over a handful of classes; a crowd of scripts wearing browsers' user agents
 * lands in a class of its own as soon as its header set or its TLS handshake gives it away. Short digest.
 */
export function clientClass(headers: ReadonlyMap<string, string>, tlsHeaders: readonly string[] = DEFAULT_TLS_FINGERPRINT_HEADERS): string {
  const ua = headers.get('user-agent') ?? '';
  const family = ua.startsWith('Mozilla/') ? (BROWSER_FAMILIES.find((f) => ua.includes(f)) ?? 'Mozilla') : productOf(headers);
  const input = `${family}\u0000${presenceBits(headers)}\u0000${tlsOf(headers, tlsHeaders)}`;
  return digest(classes, input, () => input, 16);
}

/**
 * `Mozilla/5.0 (compatible; Name/2.0; +https://...)` and nothing after it: the convention by which crawlers, monitors
 * and link checkers name themselves. Internet Explorer wrote its own user agent that way too, naming MSIE or Trident.
 */
const DECLARED_AGENT = /^Mozilla\/[\d.]+[ +]\(compatible;(?![^)]*\b(?:MSIE|Trident)\b)[^)]*\)$/;

/**
 * A user agent that claims to be a browser: a `Mozilla/` one, unless it is a declared agent's (see DECLARED_AGENT).
 * A client that names itself is no browser that was expected to keep the site's cookies or send a language; saying
 * so gains it nothing it could not have by any other non-browser user agent.
 */
export function browserUserAgent(ua: string): boolean {
  return ua.startsWith('Mozilla/') && !DECLARED_AGENT.test(ua);
}

/** A browser user agent (browserUserAgent): the client claims to be a browser (and so to keep the site's cookies). */
export function claimsBrowser(headers: ReadonlyMap<string, string>): boolean {
  return browserUserAgent(headers.get('user-agent') ?? '');
}

/**
 * A page load: a GET for a document that asks for HTML. Browsers say so in their fetch metadata
 * (`sec-fetch-dest: document`, or `sec-fetch-mode: navigate`), and every browser's navigation asks for HTML; a client
 * without fetch metadata, by asking for HTML alone. A page's own API calls and subresources are not page loads, nor is
 * a claimed navigation that asks for something else: on a route that negotiates it would be answered with data, so a
 * crowd could claim page loads there while teaching the route (bot feed) that its navigations are answered with data.
 */
export function isPageLoad(method: string, headers: ReadonlyMap<string, string>): boolean {
  if (method !== 'GET' || !(headers.get('accept') ?? '').includes('text/html')) return false;
  const dest = headers.get('sec-fetch-dest');
  if (dest !== undefined) return dest === 'document';
  const mode = headers.get('sec-fetch-mode');
  if (mode !== undefined) return mode === 'navigate';
  return true;
}

/**
 * A page load typed in: the browser says no page sent it (`sec-fetch-site: none`: an address typed, a bookmark, a
 * link from another application) and it is no reload (a reload asks caches to revalidate: `cache-control: max-age=0`
 * or `no-cache`). A client without fetch metadata says nothing either way: false.
 */
export function typedPageLoad(headers: ReadonlyMap<string, string>): boolean {
  if (headers.get('sec-fetch-site') !== 'none') return false;
  const cache = headers.get('cache-control');
  return cache === undefined || !/max-age=0|no-cache/i.test(cache);
}

const MEDIA = ['mp3', 'mp4', 'm4a', 'ogg', 'webm', 'vtt'];
/** File extensions a page's subresource of each fetch destination has. */
const SUBRESOURCE_FILES: ReadonlyMap<string, ReadonlySet<string>> = new Map([
  ['image', new Set(['png', 'jpg', 'jpeg', 'gif', 'webp', 'avif', 'svg', 'ico', 'bmp'])],
  ['script', new Set(['js', 'mjs'])],
  ['style', new Set(['css'])],
  ['font', new Set(['woff', 'woff2', 'ttf', 'otf', 'eot'])],
  ['audio', new Set(MEDIA)],
  ['video', new Set(MEDIA)],
  ['track', new Set(MEDIA)],
]);

/**
 * A page's subresource: the browser's fetch metadata (`sec-fetch-dest`) names an image, a script, a style sheet, a
 * font or media, and the path is a file of that kind (`/img/a.webp`, `/static/app.js`). Both, because a client sets
 * the header: an API route claimed as an image does not serve a file named like one.
 */
export function isSubresource(headers: ReadonlyMap<string, string>, path: string): boolean {
  const dest = headers.get('sec-fetch-dest');
  const files = dest === undefined ? undefined : SUBRESOURCE_FILES.get(dest);
  if (!files) return false;
  const end = path.search(/[?#]/);
  const file = end < 0 ? path : path.slice(0, end);
  const dot = file.lastIndexOf('.');
  return dot > file.lastIndexOf('/') && files.has(file.slice(dot + 1).toLowerCase());
}

/** One client: an IPv4 address, an IPv6 /64 (a client can use any address of its /64). */
const CLIENT = { ipv4: 32, ipv6: 64 };
/** One network: an IPv4 /24, an IPv6 /48. */
const NETWORK = { ipv4: 24, ipv6: 48 };

/**
 * The address a client is counted under (see CLIENT, CIDR notation; IPv4-mapped IPv6 counts as IPv4), or
 * `spiffe:<principal>` / `-` without an address.
 */
export function clientAddress(clientIp: string, principal: string): string {
  if (clientIp !== '') return addressing(clientIp).address;
  return principal !== '' ? `spiffe:${principal}` : '-';
}

/** The network of a client (see NETWORK); '' without an address. */
export function clientNetwork(clientIp: string): string {
  return clientIp === '' ? '' : addressing(clientIp).network;
}

/** Address and network of recent client IPs (DIGEST_MEMO at most, oldest forgotten first). */
const addressings = new Map<string, { address: string; network: string }>();

/** A client IP's address and network, parsed once while the client is recent (both are parts of several keys per Check). */
function addressing(clientIp: string): { address: string; network: string } {
  // A textual IP is at most 45 characters (plus an IPv6 zone); anything longer is not remembered.
  return memoised(addressings, clientIp, 64, () => ({ address: networkOf(clientIp, CLIENT) || clientIp, network: networkOf(clientIp, NETWORK) }));
}
