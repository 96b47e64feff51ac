import { describe, expect, it } from 'vitest';
import { lintPolicy } from './lint.ts';

const doc = (spec: Record<string, unknown>) => ({ metadata: { name: 'p', namespace: 'ns' }, spec: { hosts: ['a.example.com'], ...spec } }) as never;
const limit = (key: string[], extra: Record<string, unknown> = {}) => ({ rateLimits: [{ name: 'l', key, requests: 1, period: '1s', ...extra }] });

describe('lintPolicy: rate-limit key parts that can be absent', () => {
  it('warns for parts anonymous or header-less callers lack, naming the field and both choices', () => {
    const w = lintPolicy(doc(limit(['clientIP', 'header:x-user', 'consumer', 'principal', 'session'])));
    expect(w.map((x) => x.field)).toEqual(['spec.rateLimits[0].key[1]', 'spec.rateLimits[0].key[2]', 'spec.rateLimits[0].key[3]', 'spec.rateLimits[0].key[4]']);
    expect(w[0]?.message).toMatch(/"header:x-user" can be absent .* share one "l" bucket\. Say so with whenKeyPartMissing: Share, or exempt them with whenKeyPartMissing: Skip/);
  });

  it('is quiet when the policy guarantees the part, or the limit made its choice', () => {
    expect(lintPolicy(doc({ ...limit(['consumer']), authentication: { required: true, apiKeys: {} } }))).toEqual([]);
    expect(lintPolicy(doc({ ...limit(['principal']), identity: { requireMTLS: true } }))).toEqual([]);
    expect(lintPolicy(doc({ ...limit(['consumer']), rules: [{ consumers: ['a'] }, { consumers: ['b'] }] }))).toEqual([]);
    expect(lintPolicy(doc(limit(['header:x-user'], { whenKeyPartMissing: 'Share' })))).toEqual([]);
    expect(lintPolicy(doc(limit(['header:x-user'], { whenKeyPartMissing: 'Skip' })))).toEqual([]);
    // one rule without consumers admits anonymous callers
    expect(lintPolicy(doc({ ...limit(['consumer']), rules: [{ consumers: ['a'] }, { methods: ['GET'] }] }))).toHaveLength(1);
  });
});

describe('lintPolicy: API keys in the authorization header', () => {
  it('warns when the whole authorization value would be the key, and not once a scheme is set', () => {
    const w = lintPolicy(doc({ authentication: { apiKeys: { header: 'Authorization' } } }));
    expect(w).toEqual([expect.objectContaining({ field: 'spec.authentication.apiKeys.header', message: expect.stringMatching(/set scheme: Bearer/) })]);
    expect(lintPolicy(doc({ authentication: { apiKeys: { header: 'authorization', scheme: 'Bearer' } } }))).toEqual([]);
    expect(lintPolicy(doc({ authentication: { apiKeys: { scheme: 'Bearer' } } }))).toEqual([]);
    expect(lintPolicy(doc({ authentication: { apiKeys: { header: 'x-api-key' } } }))).toEqual([]);
  });
});
