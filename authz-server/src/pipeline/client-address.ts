/**
 * Whose word decides the client address. A header such as `x-forwarded-for` or `x-envoy-external-address` is
 * whatever the previous hop says, and behind an Istio sidecar the previous hop may be the client itself: a client
 * that sets the header freely would rotate through per-IP limits and bot counters, or claim an allow-listed
 * address. So the header is believed only when the TCP peer is a configured trusted proxy (an address in a CIDR,
 * or an mTLS peer whose SPIFFE principal matches), and then read the way Envoy's `xff_num_trusted_hops` reads
 * `x-forwarded-for`: the client is the address `hops` entries left of the rightmost one (the rightmost is what
 * the trusted peer appended). Otherwise, and whenever the header does not hold a usable address, the client is
 * the TCP peer Envoy reports (`source.address`).
 */
import { BlockList, isIP } from 'node:net';
import { globToRegex } from '../../../lib/policy/patterns.ts';

/** Who is trusted to say where a request came from. */
export interface ClientAddressTrust {
  /** Peers by address. */
  cidrs: BlockList;
  /** Peers by mTLS principal (SPIFFE globs, "*" within a segment). */
  principals: RegExp[];
  /** Lowercase header carrying the client address; `x-forwarded-for` is read right to left with `hops`. */
  header: string;
  /** Trusted proxies between the client and the trusted peer that appended to x-forwarded-for. */
  hops: number;
  /** True when no proxy is trusted (the TCP peer is always the client). */
  none: boolean;
}

/** The default: nobody is trusted, the client is the TCP peer. */
export const TRUST_NOBODY: ClientAddressTrust = { cidrs: new BlockList(), principals: [], header: 'x-forwarded-for', hops: 0, none: true };

/** Where the client address came from. */
type ClientAddressSource = 'peer' | 'header';

/** Strips a port and IPv6 brackets ("1.2.3.4:80", "[::1]:80", "[::1]"); "" when not an IP address. */
export function bareAddress(value: string): string {
  let v = value.trim();
  if (v.startsWith('[')) {
    const end = v.indexOf(']');
    v = end > 0 ? v.slice(1, end) : v;
  } else if (v.indexOf(':') === v.lastIndexOf(':') && v.includes('.')) {
    v = v.split(':')[0] ?? '';
  }
  return isIP(v) === 0 ? '' : v;
}

/**
 * Builds the trust configuration. `proxies` mixes CIDRs (an address with or without /bits) and SPIFFE principal
 * globs (`spiffe://...`). Throws with the offending entry.
 */
export function clientAddressTrust(proxies: readonly string[], header = 'x-forwarded-for', hops = 0): ClientAddressTrust {
  const cidrs = new BlockList();
  const principals: RegExp[] = [];
  for (const raw of proxies) {
    const entry = raw.trim();
    if (entry.startsWith('spiffe://')) {
      principals.push(new RegExp(globToRegex(entry)));
      continue;
    }
    const [addr = '', bits, extra] = entry.split('/');
    const family = isIP(addr);
    const max = family === 4 ? 32 : 128;
    const n = bits === undefined ? max : Number(bits);
    if (family === 0 || extra !== undefined || !Number.isInteger(n) || n < 0 || n > max || (bits !== undefined && !/^\d+$/.test(bits))) {
      throw new Error(`trusted proxy ${JSON.stringify(raw)} is neither a CIDR nor a spiffe:// principal`);
    }
    cidrs.addSubnet(addr, n, family === 4 ? 'ipv4' : 'ipv6');
  }
  if (!/^[a-z0-9][-a-z0-9_.]*$/.test(header)) throw new Error(`client address header ${JSON.stringify(header)} is not a lowercase header name`);
  if (!Number.isInteger(hops) || hops < 0) throw new Error(`trusted hops must be a whole number, got ${hops}`);
  return { cidrs, principals, header, hops, none: proxies.length === 0 };
}

/** True when the peer (TCP address, mTLS principal) is a trusted proxy. */
function trustedPeer(trust: ClientAddressTrust, peer: string, principal: string): boolean {
  if (trust.none) return false;
  if (principal !== '' && trust.principals.some((re) => re.test(principal))) return true;
  const addr = bareAddress(peer);
  const family = isIP(addr);
  return family !== 0 && trust.cidrs.check(addr, family === 4 ? 'ipv4' : 'ipv6');
}

/** The client address of a request, and whether it came from the TCP peer or the trusted header. */
export function clientAddress(
  trust: ClientAddressTrust,
  peer: string,
  principal: string,
  headers: ReadonlyMap<string, string>,
): { ip: string; source: ClientAddressSource } {
  const fromPeer = { ip: bareAddress(peer) || peer, source: 'peer' as const };
  if (!trustedPeer(trust, peer, principal)) return fromPeer;
  const value = headers.get(trust.header);
  if (value === undefined) return fromPeer;
  const entries = value.split(',');
  // Repeated headers arrive joined by ","; single-address headers are read from the right, like x-forwarded-for.
  const hops = trust.header === 'x-forwarded-for' ? trust.hops : 0;
  const entry = entries[entries.length - 1 - hops];
  const ip = entry === undefined ? '' : bareAddress(entry);
  return ip === '' ? fromPeer : { ip, source: 'header' };
}
