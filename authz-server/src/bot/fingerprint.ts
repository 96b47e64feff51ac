/**
 * What identifies a client beyond its address, from what Envoy passes in the CheckRequest: a client fingerprint
 * (user agent, language and encoding preferences, which of the headers browsers always send are present, and
 * the TLS JA3/JA4 fingerprints when the proxy adds them as headers), the address a client is counted under
 * (an IPv6 client under its /64, which one household or device gets) and its network (/24, /48).
 */
import { isIP } from 'node:net';

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
 * The client fingerprint: a string (hashed into store keys by the caller) that is equal for requests from the
 * same kind of client and differs between a browser and a script wearing the browser's user agent.
 */
export function clientFingerprint(headers: ReadonlyMap<string, string>, tlsHeaders: readonly string[] = DEFAULT_TLS_FINGERPRINT_HEADERS): string {
  let bits = 0;
  for (let i = 0; i < PRESENCE_HEADERS.length; i++) if (headers.has(PRESENCE_HEADERS[i]!)) bits |= 1 << i;
  let tls = '';
  for (const h of tlsHeaders) {
    const v = headers.get(h);
    if (v !== undefined && v !== '') tls += `${h}=${v}\u0001`;
  }
  return `${headers.get('user-agent') ?? ''}\u0000${headers.get('accept-language') ?? ''}\u0000${headers.get('accept-encoding') ?? ''}\u0000${bits.toString(36)}\u0000${tls}`;
}

/**
 * A coarse client kind: the user agent's product name (`ShopApp`, `python-requests`, `Mozilla`) and the TLS
 * fingerprint headers. An app's users share one kind whatever their app and OS versions.
 */
export function clientKind(headers: ReadonlyMap<string, string>, tlsHeaders: readonly string[] = DEFAULT_TLS_FINGERPRINT_HEADERS): string {
  const ua = (headers.get('user-agent') ?? '').trim();
  const product = /^[^\s/;(]*/.exec(ua)?.[0] ?? '';
  let tls = '';
  for (const h of tlsHeaders) {
    const v = headers.get(h);
    if (v !== undefined && v !== '') tls += `${h}=${v}\u0001`;
  }
  return `${product}\u0000${tls}`;
}

/** A `Mozilla/` user agent: the client claims to be a browser (and so to keep the site's cookies). */
export function claimsBrowser(headers: ReadonlyMap<string, string>): boolean {
  return (headers.get('user-agent') ?? '').startsWith('Mozilla/');
}

/** The 8 hextets of an IPv6 address (embedded IPv4 included), or null when it is not one. */
export function ipv6Hextets(ip: string): number[] | null {
  if (isIP(ip) !== 6) return null;
  let s = ip;
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  let tail: number[] = [];
  const lastColon = s.lastIndexOf(':');
  if (s.includes('.', lastColon)) {
    const v4 = s.slice(lastColon + 1).split('.').map(Number);
    tail = [((v4[0] ?? 0) << 8) | (v4[1] ?? 0), ((v4[2] ?? 0) << 8) | (v4[3] ?? 0)];
    s = `${s.slice(0, lastColon + 1)}0:0`;
  }
  const [head, rest] = s.includes('::') ? s.split('::') : [s, undefined];
  const parse = (part: string | undefined) => (part ? part.split(':').filter((x) => x !== '').map((h) => parseInt(h, 16)) : []);
  const a = parse(head);
  const b = parse(rest);
  const fill = rest === undefined ? [] : new Array<number>(8 - a.length - b.length).fill(0);
  const all = [...a, ...fill, ...b];
  if (tail.length === 2) all.splice(6, 2, tail[0]!, tail[1]!);
  return all.length === 8 ? all : null;
}

function hexPrefix(hextets: number[], count: number): string {
  return hextets
    .slice(0, count)
    .map((h) => h.toString(16))
    .join(':');
}

/** An IPv4 address written as IPv4-mapped IPv6 (`::ffff:1.2.3.4`) is that IPv4 address. */
function unmapped(ip: string): string {
  return ip.startsWith('::ffff:') && isIP(ip.slice(7)) === 4 ? ip.slice(7) : ip;
}

/**
 * The address a client is counted under: an IPv4 address itself, an IPv6 address's /64 (a client can use any
 * address of its /64), or `spiffe:<principal>` / `-` without an address.
 */
export function clientAddress(clientIp: string, principal: string): string {
  const ip = unmapped(clientIp);
  if (ip !== '') {
    const h = ipv6Hextets(ip);
    return h ? `${hexPrefix(h, 4)}::/64` : ip;
  }
  return principal !== '' ? `spiffe:${principal}` : '-';
}

/** The network of a client: its IPv4 /24 or IPv6 /48; '' without an address. */
export function clientNetwork(clientIp: string): string {
  const ip = unmapped(clientIp);
  if (isIP(ip) === 4) return `${ip.slice(0, ip.lastIndexOf('.'))}.0/24`;
  const h = ipv6Hextets(ip);
  return h ? `${hexPrefix(h, 3)}::/48` : '';
}
