import { describe, expect, it } from 'vitest';
import { compile } from '../../../lib/policy/compile.ts';
import { MISSING_PART, judgeRateLimits, planRateLimits } from './rate-limit.ts';
import { toRequestContext } from './request.ts';
import { buildRuntime } from './runtime.ts';
import { hashKeyParts } from '../store/keys.ts';

function policyWith(whenKeyPartMissing?: 'Share' | 'Skip') {
  const spec = { hosts: ['a.example.com'], rateLimits: [{ name: 'per-user', key: ['header:x-user'], requests: 5, period: '1m', ...(whenKeyPartMissing ? { whenKeyPartMissing } : {}) }] };
  const { snapshot } = compile([{ metadata: { name: 'p', namespace: 'ns' }, spec } as never], [], new Date(0));
  const p = buildRuntime(snapshot).policies.get('ns/p');
  if (!p) throw new Error('policy did not compile');
  return p;
}

const request = (headers: Record<string, string>) =>
  toRequestContext({ attributes: { request: { http: { headers: { ':authority': 'a.example.com', ':method': 'GET', ':path': '/', ...headers } } } } });

describe('planRateLimits: a key part the request lacks', () => {
  it('shares one bucket by default (and with Share)', () => {
    for (const p of [policyWith(), policyWith('Share')]) {
      const [a] = planRateLimits(p, request({}), null, null);
      const [b] = planRateLimits(p, request({}), null, null);
      expect(a?.op.key).toBe(b?.op.key);
      expect(a?.op.key.endsWith(hashKeyParts([MISSING_PART]))).toBe(true);
    }
  });

  it('does not apply the limit with Skip; requests with the part are limited as usual', () => {
    const p = policyWith('Skip');
    expect(planRateLimits(p, request({}), null, null)).toEqual([]);
    expect(planRateLimits(p, request({ 'x-user': 'alice' }), null, null)).toHaveLength(1);
    // a literal "-" is a value like any other, not a missing part
    expect(planRateLimits(p, request({ 'x-user': MISSING_PART }), null, null)).toHaveLength(1);
  });
});

describe('judgeRateLimits headers', () => {
  it('ratelimit-limit is the capacity (requests + burst), so remaining never exceeds it', () => {
    const limit = { name: 'per-ip', methods: null, paths: null, key: [], requests: 20, periodMs: 1000, burst: 40, skipWhenKeyPartMissing: false };
    const planned = [{ limit, op: { key: 'k', requests: 20, periodMs: 1000, burst: 40 } }];
    // a fresh bucket: the store reports requests as its limit and the whole capacity as remaining
    const { info } = judgeRateLimits(planned, [{ allowed: true, limit: 20, remaining: 59, resetMs: 50, retryAfterMs: 0 }]);
    expect(info).toMatchObject({ limit: 60, remaining: 59 });
    expect(info!.remaining).toBeLessThanOrEqual(info!.limit);
  });
});
