import { describe, expect, it } from 'vitest';
import { clientAddressTrust } from './client-address.ts';
import { cookieValue, normalizeHost, toRequestContext } from './request.ts';

describe('normalizeHost', () => {
  it.each([
    ['api.example.com', 'api.example.com'],
    ['API.Example.com:8443', 'api.example.com'],
    ['api.example.com.', 'api.example.com'],
    ['[::1]:9000', '[::1]'],
    ['10.0.0.1:80', '10.0.0.1'],
    ['', ''],
  ])('%s -> %s', (input, expected) => expect(normalizeHost(input)).toBe(expected));
});

describe('toRequestContext', () => {
  const http = { headers: { ':authority': 'a.test:80', ':method': 'post', ':path': '/x/../login?u=1', 'x-request-id': 'rid', 'x-envoy-external-address': '203.0.113.9' } };
  const source = { address: { socket_address: { address: '10.0.0.5' } }, principal: 'spiffe://td/ns/a/sa/b' };
  it('reads Envoy attributes; the client is the TCP peer unless the peer is a trusted proxy', () => {
    const ctx = toRequestContext({ attributes: { source, destination: { principal: 'spiffe://td/ns/a/sa/api', labels: { app: 'api' } }, request: { http } } });
    expect(ctx).toMatchObject({ requestId: 'rid', host: 'a.test', method: 'POST', path: '/login', query: 'u=1', clientIp: '10.0.0.5', principal: 'spiffe://td/ns/a/sa/b', oversize: null, malformed: false });
    expect(ctx.pathForms.kept.problem).toMatch(/dot segment/);
    expect(ctx.destination).toEqual({ principal: 'spiffe://td/ns/a/sa/api', labels: new Map([['app', 'api']]) });
    const trusted = toRequestContext({ attributes: { source, request: { http } } }, undefined, clientAddressTrust(['10.0.0.0/8'], 'x-envoy-external-address'));
    expect(trusted.clientIp).toBe('203.0.113.9');
  });

  it('joins repeated header_map entries with "," and decodes raw_value', () => {
    const ctx = toRequestContext({
      attributes: { request: { http: { header_map: { headers: [{ key: 'X-A', raw_value: Buffer.from('1') }, { key: 'x-a', value: '2' }, { key: ':authority', value: 'h' }] } } } },
    });
    expect(ctx.headers.get('x-a')).toBe('1,2');
    expect(ctx.host).toBe('h');
  });

  it('tolerates nothing at all', () => {
    expect(toRequestContext(undefined)).toMatchObject({ host: '', method: '', path: '/', clientIp: '', principal: '', destination: { principal: '', labels: new Map() } });
  });

  it('flags oversized header sets', () => {
    const ctx = toRequestContext({ attributes: { request: { http: { headers: { big: 'x'.repeat(200) } } } } }, { maxHeaderBytes: 100, maxHeaderCount: 10 });
    expect(ctx.oversize).toMatch(/header bytes/);
  });

  it('reads cookies', () => {
    expect(cookieValue(new Map([['cookie', 'a=1; session=abc ; b=2']]), 'session')).toBe('abc');
    expect(cookieValue(new Map(), 'session')).toBe('');
  });
});
