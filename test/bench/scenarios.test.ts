/**
 * The benchmark measures what it claims to: every `npm run bench` scenario's requests, sent over real gRPC to an
 * authz-server on bench/policies (with a real redis-server where the scenario uses Redis), get the verdict the
 * scenario is named after. A policy or request edit that made the bench time denials would fail here.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { RATELIMIT_CONFIG } from '../../bench/peers.ts';
import { scenarios, type Scenario } from '../../bench/scenarios.ts';
import type { AuthzServer } from '../../authz-server/src/app/server.ts';
import type { CheckRequest, CheckResponse } from '../../authz-server/src/envoy/protos.ts';
import { authzClient, headerOf, type AuthzClient } from '../support/envoy.ts';
import { captureLogger, startTestServer } from '../support/policies.ts';
import { startRedis, type RedisServerHandle } from '../support/redis-server.ts';

const all = scenarios();
const byName = (name: string): Scenario => {
  const s = all.find((x) => x.name === name);
  if (!s) throw new Error(`bench scenario ${name} is gone`);
  return s;
};

describe('bench scenarios against bench/policies', () => {
  let redis: RedisServerHandle;
  let memoryServer: AuthzServer;
  let redisServer: AuthzServer;
  let memoryClient: AuthzClient;
  let redisClient: AuthzClient;
  const log = captureLogger();

  beforeAll(async () => {
    redis = await startRedis();
    const policies = all[0]?.policies ?? '';
    memoryServer = await startTestServer(['--policies', policies], log.logger);
    // The verdicts are under test here, not the store deadline: a loaded CI machine must not turn them into 503s.
    redisServer = await startTestServer(['--policies', policies, '--redis', redis.url, '--store-timeout-ms', '2000'], log.logger);
    memoryClient = authzClient(memoryServer.grpcPort);
    redisClient = authzClient(redisServer.grpcPort);
  }, 30_000);

  afterAll(async () => {
    memoryClient?.close();
    redisClient?.close();
    await memoryServer?.stop();
    await redisServer?.stop();
    await redis?.stop();
  });

  const send = (s: Scenario, req: unknown): Promise<CheckResponse> => (s.redis ? redisClient : memoryClient).check(req as CheckRequest);

  it('covers the scenarios the issue names, the peers run the two they can express', () => {
    expect(all.map((s) => s.name)).toEqual([
      'api-key + rules',
      'mTLS principal + rules',
      'api-key + rules + 2 limits, memory',
      'api-key + rules + 2 limits, Redis',
      'api-key + rules + 2 limits + bot scoring, Redis',
      'over-limit flood, Redis',
    ]);
    expect(all.filter((s) => s.peers).map((s) => s.name)).toEqual(['api-key + rules', 'mTLS principal + rules']);
  });

  it.each(all.filter((s) => !s.name.includes('flood')).map((s) => [s.name, s] as const))('%s: every request is allowed (twice round)', async (_name, s) => {
    for (let round = 0; round < 2; round++) {
      for (const req of s.requests) {
        const res = await send(s, req);
        expect(res.status?.code ?? 0, JSON.stringify(res).slice(0, 300)).toBe(0);
        expect(res.ok_response).toBeDefined();
      }
    }
  });

  it('rate-limit scenarios carry ratelimit headers on allow; the bot scenario is scored', async () => {
    const limits = byName('api-key + rules + 2 limits, Redis');
    const limited = await send(limits, limits.requests[0]);
    expect(headerOf(limited.ok_response?.response_headers_to_add, 'ratelimit-limit')).toBeDefined();
    const bot = byName('api-key + rules + 2 limits + bot scoring, Redis');
    const scored = await send(bot, bot.requests[0]);
    expect(scored.status?.code ?? 0).toBe(0);
    expect(Number(headerOf(scored.ok_response?.headers, 'x-palisade-bot-score'))).toBeGreaterThanOrEqual(0);
    const plain = byName('api-key + rules');
    const unscored = await send(plain, plain.requests[0]);
    expect(headerOf(unscored.ok_response?.headers, 'x-palisade-bot-score')).toBeUndefined();
  });

  it('envoyproxy/ratelimit gets the same two limits and keys as Palisade in the Redis-limit scenario', () => {
    const s = byName('api-key + rules + 2 limits, Redis');
    const rl = (s.ratelimit ?? []) as Array<{ domain: string; descriptors: Array<{ entries: Array<{ key: string; value: string }> }> }>;
    expect(rl).toHaveLength(s.requests.length);
    s.requests.forEach((r, i) => {
      const ip = (r as CheckRequest).attributes?.source?.address?.socket_address?.address;
      expect(rl[i]).toEqual({ domain: 'bench', descriptors: [{ entries: [{ key: 'consumer', value: 'bench-client' }] }, { entries: [{ key: 'remote_address', value: ip }] }] });
    });
    const limits = parseAllDocuments(readFileSync(join(s.policies, 'bench.yaml'), 'utf8'))
      .map((d) => d.toJS() as { metadata: { name: string }; spec: { rateLimits?: Array<{ key: string[]; requests: number; period: string }> } })
      .find((d) => d.metadata.name === 'limits')?.spec.rateLimits;
    expect(limits?.map((l) => [l.key, l.requests, l.period])).toEqual([
      [['consumer'], 1_000_000, '1s'],
      [['clientIP'], 1_000_000, '1s'],
    ]);
    const config = parse(RATELIMIT_CONFIG) as { domain: string; descriptors: Array<{ key: string; value?: string; rate_limit: { unit: string; requests_per_unit: number } }> };
    expect(config.domain).toBe('bench');
    expect(config.descriptors).toEqual([
      { key: 'consumer', rate_limit: { unit: 'second', requests_per_unit: 1_000_000 } },
      { key: 'remote_address', rate_limit: { unit: 'second', requests_per_unit: 1_000_000 } },
    ]);
  });

  it('over-limit flood: after each tenant\'s first request, 429 rate-limit', async () => {
    const s = byName('over-limit flood, Redis');
    for (const req of s.requests) await send(s, req);
    for (const req of s.requests) {
      const res = await send(s, req);
      expect(res.denied_response?.status?.code).toBe(429);
      expect(headerOf(res.denied_response?.headers, 'x-palisade-reason')).toBe('rate-limit');
    }
  });
});
