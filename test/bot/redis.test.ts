/**
 * Bot scoring against a real redis-server: a Check with bot detectors, a rate limit and API discovery still
 * costs exactly ONE Redis round trip (the server's own INFO commandstats), every key of the batch is in the
 * policy's hash-tag slot, and the off-path writes (errors, new sessions, discovery) are batched per flush, the
 * population counters' increments per sync.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authzClient, envoyRequest, headerOf, type AuthzClient } from '../support/envoy.ts';
import { captureLogger, policyDoc, sha256, startTestServer, writePolicyDir } from '../support/policies.ts';
import { commandCalls, startRedis, type RedisServerHandle } from '../support/redis-server.ts';
import type { AuthzServer } from '../../authz-server/src/app/server.ts';
import { MIN } from '../../bench/sim-traffic.ts';
import { runScenario, type ScenarioResult } from '../../bench/simulator.ts';

const KEY = 'redis-bot-key-0001';

describe('bot scoring on Redis', () => {
  let redis: RedisServerHandle;
  let server: AuthzServer;
  let client: AuthzClient;
  let dir: Awaited<ReturnType<typeof writePolicyDir>>;
  const log = captureLogger();

  const scripts = async () => {
    const c = commandCalls(await redis.info('commandstats'));
    return (c['evalsha'] ?? 0) + (c['eval'] ?? 0);
  };

  beforeAll(async () => {
    redis = await startRedis();
    dir = await writePolicyDir([
      policyDoc('api', {
        hosts: ['api.example.com'],
        authentication: { required: true, apiKeys: { keys: [{ consumer: 'partner', sha256: sha256(KEY) }] } },
        rateLimits: [{ name: 'per-ip', key: ['clientIP'], requests: 1000, period: '1s' }],
        bot: { mode: 'Enforce' },
      }),
    ]);
    server = await startTestServer(['--policies', dir.dir, '--redis', redis.url, '--decision-log', 'off'], log.logger, { deferredFlushMs: 0 });
    client = authzClient(server.grpcPort);
    // Connected and the script loaded before counting.
    await client.check(envoyRequest({ host: 'api.example.com', headers: { 'x-api-key': KEY } }));
    await server.flushDeferred();
  });
  afterAll(async () => {
    client?.close();
    await server?.stop();
    await redis?.stop();
    await dir?.cleanup();
  });

  it('one script call per Check, whatever the detectors need; off-path writes are one call per flush', async () => {
    const before = await scripts();
    const n = 50;
    for (let i = 0; i < n; i++) {
      const res = await client.check(
        envoyRequest({ host: 'api.example.com', path: `/orders/${i}`, sourceIp: `198.51.100.${i % 5}`, headers: { 'x-api-key': KEY, cookie: `session=s-${i % 7}` } }),
      );
      expect(res.status.code).toBe(0);
    }
    expect((await scripts()) - before).toBe(n);
    const beforeFlush = await scripts();
    await server.flushDeferred();
    // The off-path writes, and the population counters' sync (the crowds' counts of these Checks, read back).
    expect((await scripts()) - beforeFlush).toBe(2);
    const keys = (await redis.command('KEYS', 'pal:*')) as string[];
    expect(keys.length).toBeGreaterThan(20);
    expect(keys.every((k) => k.startsWith('pal:{shop/api}:'))).toBe(true);
    for (const k of keys.slice(0, 20)) expect(Number(await redis.command('PTTL', k))).toBeGreaterThan(0);
  });

  it('detectors read what the feed wrote: own 401s raise the error rate of the client', async () => {
    const ip = '203.0.113.77';
    for (let i = 0; i < 8; i++) expect((await client.check(envoyRequest({ host: 'api.example.com', sourceIp: ip, headers: { 'x-api-key': `guess-${i}` } }))).status.code).toBe(16);
    await server.flushDeferred();
    const res = await client.check(envoyRequest({ host: 'api.example.com', sourceIp: ip, headers: { 'x-api-key': KEY } }));
    expect(headerOf(res.ok_response?.headers, 'x-palisade-bot-signals')).toMatch(/errors-address\+\d+/);
  });

  it('the detectors decide on Redis exactly as on the memory store (simulated traffic, one scenario)', { timeout: 180_000 }, async () => {
    const opts = { warmupMs: 10 * MIN, measuredMs: 6 * MIN, inProcess: true };
    const memory = await runScenario('distributed-surge', 2, opts);
    const onRedis = await runScenario('distributed-surge', 2, { ...opts, store: 'redis', redis });
    const decisions = (r: ScenarioResult) => [r.requests, r.botFlagged, r.peopleFlagged, r.firstFlagSeconds, r.tpSignals, r.fpSignals];
    expect(memory.botRequests).toBeGreaterThan(100);
    expect(decisions(onRedis)).toEqual(decisions(memory));
  });
});
