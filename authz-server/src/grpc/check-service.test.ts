import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { compile, type PolicyInput } from '../../../lib/policy/compile.ts';
import { createLogger } from '../../../lib/process/logging.ts';
import { envoyRequest, headerOf } from '../../../test/support/envoy.ts';
import { RateLimiter } from '../pipeline/rate-limiter.ts';
import { SnapshotHolder } from '../sources/snapshot-holder.ts';
import type { CounterStore } from '../store/counter-store.ts';
import { DecisionLog } from '../telemetry/decision-log.ts';
import { createAuthzMetrics } from '../telemetry/metrics.ts';
import { check, type CheckServiceDeps } from './check-service.ts';

/** A store whose every call fails with something that is not a store outage: evaluation itself breaks. */
const broken: CounterStore = {
  kind: 'memory',
  evaluate: () => Promise.reject(new TypeError('a bug')),
  isHealthy: () => true,
  close: () => Promise.resolve(),
};

function deps(mode: 'Enforce' | 'Monitor'): CheckServiceDeps {
  const doc = {
    metadata: { name: 'p', namespace: 'shop' },
    spec: { hosts: ['p.example'], mode, failurePolicy: 'FailOpen', authentication: { apiKeys: { keys: [] } }, rateLimits: [{ name: 'l', key: ['clientIP'], requests: 1, period: '1m' }] },
  } as PolicyInput;
  const logger = createLogger('silent', 'test');
  const metrics = createAuthzMetrics(new Registry(), () => null);
  const holder = new SnapshotHolder(logger, metrics);
  holder.apply(compile([doc], [], new Date()).snapshot, 'test');
  return {
    holder,
    pipeline: { limiter: new RateLimiter({ store: broken, fallback: broken }), clock: Date.now },
    limits: { maxHeaderBytes: 65536, maxHeaderCount: 100 },
    logger,
    metrics,
    decisionLog: new DecisionLog(logger, 'off'),
  };
}

describe('a Check whose evaluation fails internally', () => {
  it('is 503 under an Enforce policy', async () => {
    const res = await check(deps('Enforce'), envoyRequest({ host: 'p.example' }));
    expect(res.denied_response?.status.code).toBe(503);
  });

  it('is allowed, flagged would-deny unavailable, under a Monitor policy (credentials still stripped)', async () => {
    const res = await check(deps('Monitor'), envoyRequest({ host: 'p.example' }));
    expect(res.status.code).toBe(0);
    expect(headerOf(res.ok_response?.headers, 'x-palisade-would-deny')).toBe('unavailable');
    expect(res.ok_response?.headers_to_remove).toContain('x-api-key');
  });
});
