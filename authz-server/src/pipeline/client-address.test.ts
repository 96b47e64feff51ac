import { describe, expect, it } from 'vitest';
import { TRUST_NOBODY, bareAddress, clientAddress, clientAddressTrust } from './client-address.ts';

const headers = (h: Record<string, string>) => new Map(Object.entries(h));
const GATEWAY = 'spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account';

describe('client address', () => {
  it('trusts nobody by default: forwarded headers from any peer are ignored', () => {
    const h = headers({ 'x-forwarded-for': '203.0.113.7', 'x-envoy-external-address': '203.0.113.8' });
    expect(clientAddress(TRUST_NOBODY, '10.1.2.3', GATEWAY, h)).toEqual({ ip: '10.1.2.3', source: 'peer' });
  });

  it('reads x-forwarded-for from a trusted peer, right to left, skipping trusted hops', () => {
    const xff = headers({ 'x-forwarded-for': '198.51.100.66, 203.0.113.7, 10.0.0.9' });
    expect(clientAddress(clientAddressTrust(['10.0.0.0/8']), '10.1.2.3', '', xff)).toEqual({ ip: '10.0.0.9', source: 'header' });
    expect(clientAddress(clientAddressTrust(['10.0.0.0/8'], 'x-forwarded-for', 1), '10.1.2.3', '', xff).ip).toBe('203.0.113.7');
    expect(clientAddress(clientAddressTrust(['10.0.0.0/8'], 'x-forwarded-for', 2), '10.1.2.3', '', xff).ip).toBe('198.51.100.66');
    // Fewer entries than hops: the chain is not what the configuration says; the peer counts (as in Envoy).
    expect(clientAddress(clientAddressTrust(['10.0.0.0/8'], 'x-forwarded-for', 3), '10.1.2.3', '', xff)).toEqual({ ip: '10.1.2.3', source: 'peer' });
    // A peer outside the CIDRs is not trusted.
    expect(clientAddress(clientAddressTrust(['10.0.0.0/8']), '192.0.2.1', '', xff).ip).toBe('192.0.2.1');
  });

  it('trusts a gateway by its SPIFFE principal', () => {
    const trust = clientAddressTrust(['spiffe://cluster.local/ns/istio-system/sa/*']);
    const h = headers({ 'x-forwarded-for': '203.0.113.7' });
    expect(clientAddress(trust, '10.1.2.3', GATEWAY, h).ip).toBe('203.0.113.7');
    expect(clientAddress(trust, '10.1.2.3', 'spiffe://cluster.local/ns/shop/sa/frontend', h).ip).toBe('10.1.2.3');
    expect(clientAddress(trust, '10.1.2.3', '', h).ip).toBe('10.1.2.3');
  });

  it('reads another header when configured, and ignores values that are not addresses', () => {
    const trust = clientAddressTrust(['10.0.0.0/8'], 'x-envoy-external-address');
    expect(clientAddress(trust, '10.1.2.3', '', headers({ 'x-envoy-external-address': '203.0.113.8', 'x-forwarded-for': '1.1.1.1' })).ip).toBe('203.0.113.8');
    expect(clientAddress(trust, '10.1.2.3', '', headers({ 'x-envoy-external-address': 'unknown' })).ip).toBe('10.1.2.3');
    expect(clientAddress(trust, '10.1.2.3', '', headers({})).ip).toBe('10.1.2.3');
  });

  it.each([
    [' 203.0.113.7:4711 ', '203.0.113.7'],
    ['[2001:db8::1]:443', '2001:db8::1'],
    ['2001:db8::1', '2001:db8::1'],
    ['example.com', ''],
  ])('bare address of %j is %j', (value, bare) => expect(bareAddress(value)).toBe(bare));

  it('refuses configuration it cannot honour', () => {
    expect(() => clientAddressTrust(['10.0.0.0/33'])).toThrow(/neither a CIDR nor a spiffe/);
    expect(() => clientAddressTrust(['gateway'])).toThrow(/neither a CIDR/);
    expect(() => clientAddressTrust([], 'X-Forwarded-For')).toThrow(/lowercase header/);
    expect(() => clientAddressTrust([], 'x-forwarded-for', -1)).toThrow(/whole number/);
    expect(clientAddressTrust(['10.1.2.3', '2001:db8::/32']).none).toBe(false);
  });
});
