/**
 * What a challenge and a pass are bound to: the policy, the client's network (its address truncated to a
 * configurable prefix, so a pass survives the address changes inside one network but not a move to another) and a
 * hash of its user-agent.
 */
import { hash } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';

/** Prefix lengths that define "the same network". */
export interface NetworkPrefixes {
  ipv4: number;
  ipv6: number;
}

/** The usual defaults: a /24 (one home or office NAT) and a /64 (one IPv6 subnet). */
const DEFAULT_PREFIXES: NetworkPrefixes = { ipv4: 24, ipv6: 64 };

/** The facts a token is bound to. */
export interface Binding {
  policyId: string;
  /** Network in CIDR notation, e.g. "10.1.2.0/24"; "" when the client address is unknown. */
  network: string;
  /** base64url of the first 16 bytes of SHA-256(user-agent). */
  userAgent: string;
}

function ipv4Bytes(ip: string): number[] {
  return ip.split('.').map(Number);
}

function ipv6Bytes(ip: string): number[] {
  let text = ip;
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  let tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.', lastColon)) {
    tail = ipv4Bytes(text.slice(lastColon + 1));
    text = `${text.slice(0, lastColon + 1)}0:0`;
  }
  const [head, rest] = text.includes('::') ? (text.split('::') as [string, string]) : [text, null];
  const words = (s: string) => (s === '' ? [] : s.split(':').map((w) => parseInt(w, 16)));
  const h = words(head);
  const r = rest === null ? [] : words(rest);
  const all = rest === null ? h : [...h, ...new Array<number>(8 - h.length - r.length).fill(0), ...r];
  const bytes = all.flatMap((w) => [w >> 8, w & 0xff]);
  if (tail.length === 4) bytes.splice(12, 4, ...tail);
  return bytes;
}

function masked(bytes: number[], prefix: number): number[] {
  return bytes.map((b, i) => {
    const keep = Math.max(0, Math.min(8, prefix - i * 8));
    return keep === 8 ? b : b & ((0xff << (8 - keep)) & 0xff);
  });
}

function formatIpv6(bytes: number[]): string {
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push((bytes[i]! << 8) | bytes[i + 1]!);
  // The longest run of zero words (two or more) becomes "::" (RFC 5952).
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

/**
 * The client's network: the address truncated to the prefix of its family, in CIDR notation. IPv4-mapped IPv6
 * addresses count as IPv4. "" for anything that is not an IP address.
 */
export function networkOf(ip: string, prefixes: NetworkPrefixes = DEFAULT_PREFIXES): string {
  if (isIPv4(ip)) return `${masked(ipv4Bytes(ip), prefixes.ipv4).join('.')}/${prefixes.ipv4}`;
  if (!isIPv6(ip)) return '';
  const bytes = ipv6Bytes(ip);
  const mapped = bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
  if (mapped) return networkOf(bytes.slice(12).join('.'), prefixes);
  return `${formatIpv6(masked(bytes, prefixes.ipv6))}/${prefixes.ipv6}`;
}

/** Hash of a user-agent string as stored in tokens. */
export function userAgentHash(userAgent: string): string {
  return hash('sha256', userAgent, 'buffer').subarray(0, 16).toString('base64url');
}

/** The binding of a request. */
export function bindingOf(policyId: string, clientIp: string, userAgent: string, prefixes: NetworkPrefixes): Binding {
  return { policyId, network: networkOf(clientIp, prefixes), userAgent: userAgentHash(userAgent) };
}
