import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { buildRuntime, type RuntimePolicy } from '../pipeline/runtime.ts';
import { toRequestContext } from '../pipeline/request.ts';
import { compile } from '../../../lib/policy/compile.ts';
import { parsePolicyText } from '../../../lib/policy/load.ts';
import { MemoryCounterStore } from '../store/memory-store.ts';
import { hashTagOf } from '../store/keys.ts';
import { behaviourSignals, browsersKeepSessions, judgeErrors, judgeMethods, judgeSessions, judgeSurge, judgeUsage, planBotCounters, policyCeilings, SESSION_NEW } from './behaviour.ts';
import { DEFAULT_BOT_KNOBS } from './knobs.ts';

function policy(spec: Record<string, unknown>): RuntimePolicy {
  const doc = { apiVersion: 'palisade.dev/v1alpha1', kind: 'ApiProtectionPolicy', metadata: { name: 'p', namespace: 'ns', creationTimestamp: '2026-01-01T00:00:00Z' }, spec };
  const loaded = parsePolicyText(stringify(doc, { version: '1.1' }), 'test.yaml');
  const { snapshot } = compile(loaded.documents, [], new Date('2026-01-01T00:00:00Z'));
  const p = buildRuntime(snapshot).policies.get('ns/p');
  if (!p) throw new Error('policy did not compile');
  return p;
}

function request(shape: { ip?: string; method?: string; path?: string; session?: string }) {
  const headers: Record<string, string> = { ':authority': 'api.test', ':method': shape.method ?? 'GET', ':path': shape.path ?? '/products/1', 'user-agent': 'Mozilla/5.0', accept: '*/*', 'accept-language': 'en' };
  if (shape.session) headers['cookie'] = `session=${shape.session}`;
  return toRequestContext({ attributes: { source: { address: { socket_address: { address: shape.ip ?? '198.51.100.1', port_value: 1 } } }, request: { http: { headers } } } });
}

const BASE = { hosts: ['api.test'], bot: { mode: 'Enforce' } };

describe('judges (pure)', () => {
  const k = DEFAULT_BOT_KNOBS;
  const none = { ip: null, token: null };
  it('usage: population threshold clamped to floor..ceiling; policy limit caps it', () => {
    const pop = { populationRate: 300, populationClients: 100 };
    expect(judgeUsage({ ipRate: 100, ...pop, ceilings: none })).toEqual([]);
    const [s] = judgeUsage({ ipRate: 130, ...pop, ceilings: none });
    expect(s?.name).toBe('usage-ip');
    expect(s?.score).toBe(k.usage.score + 1);
    expect(s?.detail).toContain('threshold 120');
    // Small population: the ceiling rules.
    expect(judgeUsage({ ipRate: 500, populationRate: 500, populationClients: 3, ceilings: none })).toEqual([]);
    expect(judgeUsage({ ipRate: 700, populationRate: 700, populationClients: 3, ceilings: none }).map((x) => x.name)).toEqual(['usage-ip']);
    // A policy-wide per-IP limit of 60/min caps the threshold at 48.
    const [p] = judgeUsage({ ipRate: 50, ...pop, ceilings: { ip: 48, token: null } });
    expect(p?.detail).toContain('policy per-IP limit');
  });

  it('usage per token is normalised by the IPs using it (a shared app key is not extreme)', () => {
    const pop = { populationRate: 3000, populationClients: 1000, ceilings: none };
    expect(judgeUsage({ ipRate: 3, ...pop, tokenRate: 5000, tokenClients: 900 })).toEqual([]);
    expect(judgeUsage({ ipRate: 3, ...pop, tokenRate: 500, tokenClients: 1 }).map((s) => s.name)).toEqual(['usage-token']);
    // Unless the policy limits the consumer as a whole.
    expect(judgeUsage({ ipRate: 3, ...pop, tokenRate: 5000, tokenClients: 900, ceilings: { ip: null, token: 4000 } }).map((s) => s.name)).toEqual(['usage-token']);
  });

  it('errors need minErrors and a ratio', () => {
    expect(judgeErrors('error-rate-ip', 4, 4)).toBeNull();
    expect(judgeErrors('error-rate-ip', 5, 200)).toBeNull();
    const s = judgeErrors('error-rate-ip', 10, 20);
    expect(s?.score).toBe(Math.round(k.errors.score + ((k.errors.maxScore - k.errors.score) * (0.5 - k.errors.ratio)) / (k.errors.fullRatio - k.errors.ratio)));
    expect(s?.detail).toContain('10 client errors in 20 requests (50%)');
    // Errors counted off-path can outrun the requests seen: the ratio is capped at 100%.
    expect(judgeErrors('error-rate-token', 12, 3)?.score).toBe(k.errors.maxScore);
  });

  it('sessions: only a new session scores, by the share of new sessions of the client / route', () => {
    const fresh = { ipRequests: 10, ipNew: 9, routeRequests: 40, routeNew: 39, warm: true, route: 'POST /login' };
    expect(judgeSessions({ sessionCount: 2, ...fresh })).toEqual([]);
    const s = judgeSessions({ sessionCount: 1, ...fresh });
    expect(s.map((x) => x.name)).toEqual([SESSION_NEW, 'fresh-sessions-ip', 'fresh-sessions-route']);
    expect(s[0]?.score).toBe(0);
    expect(s.find((x) => x.name === 'fresh-sessions-ip')?.score).toBe(k.sessions.maxScore);
    expect(s.find((x) => x.name === 'fresh-sessions-route')?.score).toBe(k.sessions.routeMaxScore);
    expect(judgeSessions({ sessionCount: 1, ipRequests: 30, ipNew: 3, routeRequests: 40, routeNew: 4, warm: true, route: 'GET /' }).map((x) => x.name)).toEqual([SESSION_NEW]);
    // Cold start: every session is new, the route share is not judged until the policy has history.
    expect(judgeSessions({ ...fresh, sessionCount: 1, warm: false }).map((x) => x.name)).toEqual([SESSION_NEW, 'fresh-sessions-ip']);
    // Too few requests to judge.
    expect(judgeSessions({ sessionCount: 1, ipRequests: 3, ipNew: 2, routeRequests: 5, routeNew: 4, warm: true, route: 'x' }).map((x) => x.name)).toEqual([SESSION_NEW]);
  });

  it('surge: recent peak against the median of older buckets; only clients concentrated on the route score', () => {
    const routeClients = [90, 40, 6, 5, 7, 5, 6, 4, 5, 6, 5, 7, 6];
    const populationRequests = routeClients.map(() => 500);
    const s = judgeSurge({ routeClients, populationRequests, clientRouteRequests: 3, clientRequests: 3, route: 'GET /search' });
    expect(s?.name).toBe('route-ip-surge');
    expect(s?.detail).toContain('90 distinct clients/min on GET /search vs baseline 6 (15.0x)');
    expect(s?.score).toBe(k.surge.maxScore);
    expect(judgeSurge({ routeClients, populationRequests, clientRouteRequests: 1, clientRequests: 10, route: 'GET /search' })).toBeNull();
    expect(judgeSurge({ routeClients, populationRequests, clientRouteRequests: 1, clientRequests: 1, route: 'GET /search' })).toBeNull();
    expect(judgeSurge({ routeClients: [30, 30, 25, 28, 30, 26, 30, 30, 29, 30, 31, 30, 30], populationRequests, clientRouteRequests: 3, clientRequests: 3, route: 'x' })).toBeNull();
    expect(judgeSurge({ routeClients: [15, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], populationRequests, clientRouteRequests: 3, clientRequests: 3, route: 'x' })).toBeNull();
    // A route that was quiet while the policy was busy has a real baseline of 0: 40 clients is a surge.
    expect(judgeSurge({ routeClients: [40, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], populationRequests, clientRouteRequests: 3, clientRequests: 3, route: 'x' })?.score).toBe(43); // 8x the floor baseline of 5
    // Right after a cold start there is no history at all: no judgement.
    expect(judgeSurge({ routeClients: [90, 40, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], populationRequests: [500, 500, 500, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], clientRouteRequests: 3, clientRequests: 3, route: 'x' })).toBeNull();
  });

  it('browsers keep sessions: the cleaner of the current and previous long bucket decides', () => {
    expect(browsersKeepSessions([400, 400], [380, 370])).toBe(true);
    expect(browsersKeepSessions([900, 400], [100, 380])).toBe(true); // a cookieless burst in the current bucket
    expect(browsersKeepSessions([900, 400], [100, 60])).toBe(false);
    expect(browsersKeepSessions([40, 0], [40, 0])).toBe(false); // too few to tell
  });

  it('HEAD ratio: fires only when so few HEADs are improbable for the population', () => {
    const pop = { populationGetPost: 9000, populationHead: 1000 };
    expect(judgeMethods({ getPost: 30, head: 3, ...pop })).toBeNull();
    expect(judgeMethods({ getPost: 30, head: 0, ...pop })).toBeNull(); // expected 3.3: P(0) = 3.6%
    const s = judgeMethods({ getPost: 200, head: 0, ...pop });
    expect(s?.name).toBe('head-ratio');
    expect(s?.score).toBe(k.methods.maxScore);
    expect(judgeMethods({ getPost: 200, head: 0, populationGetPost: 10000, populationHead: 10 })).toBeNull();
  });
});

describe('plan -> store -> judge', () => {
  it('plans under the policy hash tag and reads back aligned slots', async () => {
    let now = 1_800_000_000_000;
    const store = new MemoryCounterStore({ clock: () => now, sweepIntervalMs: 0 });
    const p = policy(BASE);
    const req = request({ session: 's-1' });
    const plan = planBotCounters(p, req, 'scraper', now);
    const keys = [...plan.counters.flatMap((c) => c.keys), ...plan.distinct.flatMap((d) => [d.key, ...d.countKeys])];
    expect(new Set(keys.map(hashTagOf))).toEqual(new Set(['ns/p']));
    let signals = behaviourSignals(plan, (await store.evaluate({ rateLimits: [], counters: plan.counters, distinct: plan.distinct })).counters, []);
    expect(signals.map((s) => s.name)).toContain(SESSION_NEW);
    // The same token hammering from one IP crosses the usage ceiling within the bucket.
    for (let i = 0; i < 700; i++) {
      now += 50;
      const pl = planBotCounters(p, request({ path: `/products/${i}` }), 'scraper', now);
      const r = await store.evaluate({ rateLimits: [], counters: pl.counters, distinct: pl.distinct });
      signals = behaviourSignals(pl, r.counters, r.distinct);
    }
    expect(signals.map((s) => s.name)).toEqual(expect.arrayContaining(['usage-ip', 'usage-token']));
    await store.close();
  });

  it('derives ceilings from policy-wide limits keyed by clientIP / consumer only', () => {
    const p = policy({ ...BASE, rateLimits: [
      { name: 'ip', key: ['clientIP'], requests: 60, period: '1m' },
      { name: 'login', key: ['clientIP'], methods: ['POST'], paths: ['/login'], requests: 5, period: '1m' },
      { name: 'c', key: ['consumer'], requests: 10, period: '1s' },
    ] });
    expect(policyCeilings(p)).toEqual({ ip: 48, token: 480 });
    expect(policyCeilings(policy(BASE))).toEqual({ ip: null, token: null });
  });

  it('plans no session or token ops for a request without them', () => {
    const plan = planBotCounters(policy(BASE), request({}), null, 0);
    expect(plan.ctx?.c.session).toBe(-1);
    expect(plan.ctx?.c.usageToken).toBe(-1);
    expect(plan.ctx?.d.tokenClients).toBe(-1);
  });
});
