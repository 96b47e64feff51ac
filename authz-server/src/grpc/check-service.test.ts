import type * as grpc from '@grpc/grpc-js';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { compile, type PolicyInput } from '../../../lib/policy/compile.ts';
import { createLogger } from '../../../lib/process/logging.ts';
import { envoyRequest, headerOf, type RequestShape } from '../../../test/support/envoy.ts';
import { RateLimiter } from '../pipeline/rate-limiter.ts';
import { SnapshotHolder } from '../sources/snapshot-holder.ts';
import type { CounterStore } from '../store/counter-store.ts';
import { DecisionLog } from '../telemetry/decision-log.ts';
import { createAuthzMetrics } from '../telemetry/metrics.ts';
import { envoyServices, type CheckRequest, type CheckResponse } from '../envoy/protos.ts';
import type { DenyReason, Outcome } from '../pipeline/outcome.ts';
import { toRequestContext } from '../pipeline/request.ts';
import { VERDICT_TABLE, internalErrorResponse, toCheckResponse } from '../pipeline/response.ts';
import { check, checkStreamCodec, tolerantDeserializer, type CheckServiceDeps } from './check-service.ts';

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

describe('the HTTP/2 path codecs (checkStreamCodec)', () => {
  const { authorization } = envoyServices();
  const method = authorization.service['Check'] as grpc.MethodDefinition<CheckRequest, CheckResponse>;
  const codec = checkStreamCodec(authorization.service);
  const policy = { monitor: false, bot: { mode: 'Enforce' } } as never;
  const base = { policy: null, consumer: null, principal: '', trace: [], bot: null, rateLimit: null };
  const rateLimit = { name: 'l', limit: 10, remaining: 0, resetSeconds: 3, retryAfterSeconds: 2 };

  it("encodes every kind of response exactly as grpc-js's serializer does", () => {
    const responses: CheckResponse[] = [
      ...(Object.keys(VERDICT_TABLE) as DenyReason[]).map((reason) => toCheckResponse({ ...base, kind: 'deny', rateLimit, denial: { reason, detail: 'd', ...(reason === 'rate-limit' ? { rateLimit } : {}), ...(reason === 'authentication' ? { wwwAuthenticate: 'Bearer' } : {}) } } as Outcome, 'rid')),
      toCheckResponse({ ...base, kind: 'deny', denial: { reason: 'challenge', detail: 'd', reply: { headers: [['content-type', 'text/html'], ['cache-control', 'no-store']], body: '<html>é</html>' } } } as Outcome, 'rid'),
      toCheckResponse({ ...base, kind: 'allow', wouldDeny: null, stripHeaders: [] } as unknown as Outcome, 'rid'),
      toCheckResponse(
        {
          ...base,
          kind: 'allow',
          policy,
          consumer: 'shop/app',
          principal: 'spiffe://cluster.local/ns/a/sa/b',
          bot: { score: 55, verdict: 'challenge', signals: [{ name: 'few-head', score: 30, value: 0, threshold: 1.5 }] },
          rateLimit: { ...rateLimit, remaining: 7 },
          wouldDeny: { reason: 'inspection', detail: 'd' },
          bodyUninspected: true,
          stripHeaders: ['x-api-key', 'authorization'],
          challenge: { newPass: 'pass-token' },
        } as unknown as Outcome,
        'rid',
      ),
      internalErrorResponse('rid'),
    ];
    for (const res of responses) expect(Buffer.from(codec.encode(res)).equals(method.responseSerialize(res))).toBe(true);
  });

  it("decodes requests to the same RequestContext as grpc-js's deserializer", () => {
    const shapes: RequestShape[] = [
      {},
      { rawHeaders: true, headers: { cookie: 'a=1; b=2', 'x-api-key': 'k' } },
      { method: 'POST', path: '/orders?x=1%2F', body: '{"a":1}', principal: 'spiffe://cluster.local/ns/a/sa/b' },
      { rawBody: Buffer.from([0, 1, 2, 255]), destinationLabels: { app: 'orders', version: 'v2' }, destinationPrincipal: '' },
      { host: 'Orders.Example.COM:8443', headers: { ':authority': '' } },
    ];
    const bytes = [...shapes.map((s) => method.requestSerialize(envoyRequest({ ...s, requestId: 'rid' }))), method.requestSerialize({} as CheckRequest)];
    for (const b of bytes) expect(toRequestContext(codec.decode(b))).toEqual(toRequestContext(method.requestDeserialize(b)));
  });

  it('reads hostile header names and values exactly as the grpc-js path does (nothing gained by choosing the path)', () => {
    const hostile: CheckRequest[] = [
      // The headers map with names that are Object.prototype's own (JSON.parse makes `__proto__` an own key).
      envoyRequest({ requestId: 'rid', headers: JSON.parse('{"__proto__":"x","constructor":"c","hasOwnProperty":"h","toString":"t"}') as Record<string, string> }),
      // header_map with repeated names, an empty name, a value only in raw_value (invalid UTF-8), both value and raw_value.
      {
        attributes: {
          request: {
            http: {
              header_map: {
                headers: [
                  { key: ':authority', value: 'orders.example' },
                  { key: ':path', raw_value: Buffer.from('/a%2e%2e/\xff') },
                  { key: 'x-dup', value: 'one' },
                  { key: 'X-Dup', value: 'two' },
                  { key: '', value: 'nameless' },
                  { key: 'x-bin', raw_value: Buffer.from([0xff, 0xfe, 0x3c]) },
                  { key: 'x-both', value: 'v', raw_value: Buffer.from('raw') },
                  { key: '__proto__', value: 'p' },
                ],
              },
            },
          },
        },
      } as CheckRequest,
    ];
    const seen = hostile.map((r) => {
      const b = method.requestSerialize(r);
      const ctx = toRequestContext(codec.decode(b));
      expect(ctx).toEqual(toRequestContext(method.requestDeserialize(b)));
      return ctx.headers;
    });
    // No name hides a header from the stages: `__proto__` is a header like any other, in both encodings.
    expect(seen[0]?.get('__proto__')).toBe('x');
    expect(seen[0]?.get('constructor')).toBe('c');
    expect(seen[1]?.get('__proto__')).toBe('p');
    expect(seen[1]?.get('x-dup')).toBe('one,two');
  });

  it('turns bytes that are not a CheckRequest into the malformed marker, as the tolerant deserializer does', () => {
    const junk = Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01]);
    const tolerant = tolerantDeserializer(authorization.service)['Check'] as grpc.MethodDefinition<CheckRequest, CheckResponse>;
    expect(toRequestContext(codec.decode(junk))).toEqual(toRequestContext(tolerant.requestDeserialize(junk)));
    expect(toRequestContext(codec.decode(junk)).malformed).toBe(true);
  });
});
