import { describe, expect, it } from 'vitest';
import { compile, type PolicyInput } from '../../../lib/policy/compile.ts';
import { envoyRequest, spiffe, type RequestShape } from '../../../test/support/envoy.ts';
import { StoreUnavailableError, type CounterBatch, type CounterBatchResult, type CounterStore } from '../store/counter-store.ts';
import { MemoryCounterStore } from '../store/memory-store.ts';
import { evaluateRequest, STAGES, type PipelineDeps } from './pipeline.ts';
import { RateLimiter } from './rate-limiter.ts';
import { toRequestContext } from './request.ts';
import { buildRuntime } from './runtime.ts';

const FRONTEND = spiffe('shop', 'frontend');

function policy(spec: Record<string, unknown>, name = 'orders'): PolicyInput {
  return {
    metadata: { name, namespace: 'shop', creationTimestamp: '2026-01-01T00:00:00Z' },
    spec: { hosts: ['orders.shop'], ...spec },
  } as PolicyInput;
}

function runtimeOf(spec: Record<string, unknown>) {
  const { snapshot, violations } = compile([policy(spec)], [], new Date('2026-01-01T00:00:00Z'));
  expect(violations).toEqual([]);
  return buildRuntime(snapshot);
}

/** A store adapter counting round trips; `down` makes it fail the way an unreachable Redis does. */
class CountingStore implements CounterStore {
  readonly kind = 'memory' as const;
  calls = 0;
  down = false;
  readonly #inner = new MemoryCounterStore();
  async evaluate(batch: CounterBatch): Promise<CounterBatchResult> {
    this.calls++;
    if (this.down) throw new StoreUnavailableError('connection refused');
    return this.#inner.evaluate(batch);
  }
  isHealthy(): boolean {
    return !this.down;
  }
  close(): Promise<void> {
    return this.#inner.close();
  }
}

function harness(spec: Record<string, unknown>) {
  const runtime = runtimeOf(spec);
  const store = new CountingStore();
  const storeErrors: string[] = [];
  const deps: PipelineDeps = {
    limiter: new RateLimiter({ store, fallback: new MemoryCounterStore(), onStoreError: (e, id, failOpen) => storeErrors.push(`${id} ${failOpen} ${e.message}`) }),
    clock: () => 1_000_000,
  };
  const check = (shape: RequestShape = {}) => evaluateRequest(runtime, toRequestContext(envoyRequest({ host: 'orders.shop', principal: FRONTEND, ...shape })), deps);
  return { store, storeErrors, check };
}

const LIMIT = { rateLimits: [{ name: 'per-principal', key: ['principal'], requests: 2, period: '1m' }] };

describe('pipeline chain', () => {
  it('runs the stages in the documented order, each recording its own trace line', async () => {
    expect(STAGES.map((s) => s.name)).toEqual(['inspection', 'path', 'challenge', 'identity', 'authentication', 'rules', 'validation', 'inspection', 'rate-limit', 'bot', 'challenge']);
    const { check } = harness({ ...LIMIT, rules: [{ methods: ['GET'], paths: ['/orders'] }], inspection: { sqlInjection: true } });
    const o = await check();
    expect(o.kind).toBe('allow');
    expect(o.trace.map((t) => `${t.stage}:${t.result}`)).toEqual([
      'policy:pass', 'inspection:pass', 'path:pass', 'challenge:skip', 'identity:pass', 'authentication:pass', 'rules:pass', 'validation:skip', 'inspection:pass', 'rate-limit:pass', 'bot:skip', 'challenge:skip',
    ]);
  });

  it('stages that answer at once and stages that await mix in order; a stage that throws rejects the evaluation, never throws out of it', async () => {
    const runtime = runtimeOf({});
    const deps: PipelineDeps = { limiter: new RateLimiter({ store: new MemoryCounterStore(), fallback: new MemoryCounterStore() }), clock: () => 1_000_000 };
    const req = toRequestContext(envoyRequest({ host: 'orders.shop', principal: FRONTEND }));
    const o = await evaluateRequest(runtime, req, deps, [
      { name: 'path', run: () => ({ result: 'pass', detail: 'at once' }) },
      { name: 'rules', run: async () => ({ result: 'pass', detail: 'awaited' }) },
      { name: 'bot', run: () => ({ result: 'skip', detail: 'at once again' }) },
    ]);
    expect(o.trace.map((t) => `${t.stage}:${t.detail}`)).toEqual(['policy:' + o.trace[0]!.detail, 'path:at once', 'rules:awaited', 'bot:at once again']);
    let evaluation: Promise<unknown> | undefined;
    expect(() => {
      evaluation = evaluateRequest(runtime, req, deps, [{ name: 'rules', run: () => { throw new TypeError('a bug'); } }]);
    }).not.toThrow();
    await expect(evaluation).rejects.toThrow('a bug');
  });

  it('Enforce stops at the first deny; later stages do not run', async () => {
    const { check, store } = harness({ ...LIMIT, identity: { requireMTLS: true } });
    const o = await check({ principal: '' });
    expect(o.kind === 'deny' && o.denial.reason).toBe('identity');
    expect(o.trace.at(-1)).toMatchObject({ stage: 'identity', result: 'deny' });
    expect(store.calls).toBe(0);
  });

  it('Monitor never denies: every failing stage is a would-deny, the first one is carried upstream', async () => {
    const { check } = harness({ ...LIMIT, mode: 'Monitor', identity: { requireMTLS: true }, rules: [{ methods: ['POST'] }], inspection: { sqlInjection: true } });
    const o = await check({ principal: '', path: "/orders?id=1'%20OR%20'1'='1" });
    expect(o.kind).toBe('allow');
    if (o.kind !== 'allow') return;
    expect(o.wouldDeny?.reason).toBe('identity');
    expect(o.trace.filter((t) => t.result === 'would-deny').map((t) => t.stage)).toEqual(['identity', 'rules', 'inspection']);
  });

  it('an over-limit key is denied from the local cache without a store round trip', async () => {
    const { check, store } = harness(LIMIT);
    expect((await check()).kind).toBe('allow');
    expect((await check()).kind).toBe('allow');
    const third = await check();
    expect(third.kind === 'deny' && third.denial.reason).toBe('rate-limit');
    expect(store.calls).toBe(3);
    const fourth = await check();
    expect(fourth.kind === 'deny' && fourth.denial.detail).toBe('limit per-principal exceeded (cached)');
    expect(fourth.rateLimit).toMatchObject({ name: 'per-principal', remaining: 0 });
    expect(store.calls).toBe(3);
  });

  it('FailClosed answers unavailable while the store is down, and reports the failure once per Check', async () => {
    const { check, store, storeErrors } = harness(LIMIT);
    store.down = true;
    const o = await check();
    expect(o.kind === 'deny' && o.denial.reason).toBe('unavailable');
    expect(storeErrors).toEqual(['shop/orders false connection refused']);
  });

  it('FailOpen falls back to the per-process limiter, which still limits', async () => {
    const { check, store, storeErrors } = harness({ ...LIMIT, failurePolicy: 'FailOpen' });
    store.down = true;
    const verdicts = [];
    for (let i = 0; i < 3; i++) verdicts.push(await check());
    expect(verdicts.map((o) => o.kind)).toEqual(['allow', 'allow', 'deny']);
    expect(verdicts[0]?.trace.find((t) => t.stage === 'rate-limit')?.detail).toContain('store down, FailOpen');
    expect(storeErrors).toHaveLength(3);
    const fourth = await check();
    expect(fourth.kind === 'deny' && fourth.denial.detail).toContain('(cached)');
    expect(storeErrors).toHaveLength(3);
  });

  it('rate limits and bot counters share one round trip', async () => {
    const { check, store } = harness({ ...LIMIT, bot: { mode: 'Monitor' } });
    const o = await check();
    expect(o.kind).toBe('allow');
    expect(o.bot).not.toBeNull();
    expect(store.calls).toBe(1);
  });
});

describe('inspection stage settings from the policy', () => {
  const SQLI = '/reports/q?q=1%27%20OR%201%3D1--';

  it('denies with the rule, the location and the matched fragment in the decision', async () => {
    const { check } = harness({ inspection: { sqlInjection: true } });
    const o = await check({ path: SQLI });
    expect(o.kind).toBe('deny');
    if (o.kind !== 'deny') return;
    expect(o.denial.inspection).toEqual({ kind: 'sqlInjection', rule: 'sqli.tautology', location: 'query:q', sample: "1' OR 1=1--" });
    expect(o.denial.detail).toBe("sqlInjection in query:q (sqli.tautology): 1' OR 1=1--");
  });

  it('withholds the matched fragment of a credential-named parameter', async () => {
    const { check } = harness({ inspection: { sqlInjection: true } });
    const o = await check({ path: '/login?password=%27%20OR%201%3D1--' });
    expect(o.kind === 'deny' && o.denial.inspection?.sample).toBe('[redacted 10 chars]');
  });

  it('applies an exclusion only on its paths, locations and rules', async () => {
    const { check } = harness({
      inspection: { sqlInjection: true, xss: true, exclusions: [{ rules: ['sqli'], paths: ['/reports/**'], locations: ['query:q'] }] },
    });
    expect((await check({ path: SQLI })).kind).toBe('allow');
    expect((await check({ path: '/orders?q=1%27%20OR%201%3D1--' })).kind).toBe('deny');
    expect((await check({ path: '/reports/q?other=1%27%20OR%201%3D1--' })).kind).toBe('deny');
    const xss = await check({ path: '/reports/q?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E' });
    expect(xss.kind === 'deny' && xss.denial.inspection?.rule).toBe('xss.script-tag');
  });

  it('Strict paranoia also reports lone suspicious tokens that ApiTolerant lets through', async () => {
    const path = '/search?q=concat(first_name%2C%20last_name)';
    expect((await harness({ inspection: { sqlInjection: true } }).check({ path })).kind).toBe('allow');
    const strict = await harness({ inspection: { sqlInjection: true, paranoia: 'Strict' } }).check({ path });
    expect(strict.kind === 'deny' && strict.denial.inspection?.rule).toBe('sqli.function-call');
  });

  it('command injection is a kind of its own, off unless enabled', async () => {
    const path = '/ping?host=127.0.0.1%3Bcat%20%2Fetc%2Fpasswd';
    const withoutCmdi = await harness({ inspection: { sqlInjection: true, xss: true } }).check({ path });
    expect(withoutCmdi.kind).toBe('allow');
    const o = await harness({ inspection: { commandInjection: true } }).check({ path });
    expect(o.kind === 'deny' && o.denial.inspection?.kind).toBe('commandInjection');
  });
});
