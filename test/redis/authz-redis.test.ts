/**
 * Rate limits end to end: two real authz-server processes sharing one real redis-server, many concurrent
 * Envoy-shaped Checks, and Redis killed and restarted under load.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authzClient, envoyRequest, headerOf, type AuthzClient } from '../support/envoy.ts';
import { policyDoc, writePolicyDir } from '../support/policies.ts';
import { freePort, startRedis, type RedisServerHandle } from '../support/redis-server.ts';

const root = join(import.meta.dirname, '..', '..');

interface Proc {
  child: ChildProcess;
  client: AuthzClient;
  httpPort: number;
  stdout: () => string;
}

/**
 * Starts one authz-server; again on other ports when one it was given was taken before it could listen (a free port
 * is only free until someone else's socket, a connection's source port too, takes it).
 */
async function startProcess(policies: string, redisUrl: string): Promise<Proc> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(policies, redisUrl);
    } catch (err) {
      if (attempt >= 3 || !String(err).includes('EADDRINUSE')) throw err;
    }
  }
}

async function startOnce(policies: string, redisUrl: string): Promise<Proc> {
  const grpcPort = await freePort();
  const httpPort = await freePort();
  const child = spawn(
    process.execPath,
    ['authz-server/src/app/main.ts', '--policies', policies, '--redis', redisUrl, '--host', '127.0.0.1', '--grpc-port', String(grpcPort), '--check-port', '0', '--http-port', String(httpPort), '--decision-log', 'off', '--store-timeout-ms', '50'],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout?.on('data', (d) => (out += String(d)));
  child.stderr?.on('data', (d) => (out += String(d)));
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`authz-server exited: ${out}`);
    if (Date.now() > deadline) throw new Error(`authz-server not ready: ${out}`);
    if (await fetch(`http://127.0.0.1:${httpPort}/readyz`).then((r) => r.ok, () => false)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, client: authzClient(grpcPort), httpPort, stdout: () => out };
}

async function stopProcess(p: Proc | undefined): Promise<void> {
  if (!p) return;
  p.client.close();
  if (p.child.exitCode === null) {
    const exited = new Promise((r) => p.child.once('exit', r));
    p.child.kill('SIGTERM');
    await exited;
  }
}

describe('two authz-server processes sharing one Redis', () => {
  let redis: RedisServerHandle;
  let a: Proc;
  let b: Proc;
  let dir: Awaited<ReturnType<typeof writePolicyDir>>;

  beforeAll(async () => {
    redis = await startRedis();
    dir = await writePolicyDir([
      policyDoc('shared', {
        hosts: ['shared.example.com'],
        rateLimits: [{ name: 'per-tenant', key: ['header:x-tenant'], requests: 40, period: '1h', burst: 10 }],
      }),
      policyDoc('closed', { hosts: ['closed.example.com'], failurePolicy: 'FailClosed', rateLimits: [{ name: 'ip', key: ['clientIP'], requests: 1000, period: '1s' }] }),
      policyDoc('open', { hosts: ['open.example.com'], failurePolicy: 'FailOpen', rateLimits: [{ name: 'ip', key: ['clientIP'], requests: 3, period: '1h' }] }),
    ]);
    [a, b] = await Promise.all([startProcess(dir.dir, redis.url), startProcess(dir.dir, redis.url)]);
  });

  afterAll(async () => {
    await Promise.all([stopProcess(a), stopProcess(b)]);
    await redis?.stop();
    await dir?.cleanup();
  });

  it('allows exactly requests + burst across both processes under concurrency', async () => {
    const tenant = 'tenant-exact';
    const total = 400;
    const results = await Promise.all(
      Array.from({ length: total }, (_, i) => (i % 2 ? a : b).client.check(envoyRequest({ host: 'shared.example.com', headers: { 'x-tenant': tenant } }))),
    );
    const allowed = results.filter((r) => r.status.code === 0).length;
    const limited = results.filter((r) => r.status.code === 8);
    expect(allowed).toBe(50);
    expect(limited).toHaveLength(total - 50);
    expect(headerOf(limited[0]?.denied_response?.headers, 'ratelimit-limit')).toBe('50'); // requests 40 + burst 10: the bucket's capacity
    // Another tenant is untouched.
    expect((await a.client.check(envoyRequest({ host: 'shared.example.com', headers: { 'x-tenant': 'other' } }))).status.code).toBe(0);
  });

  it('Redis killed mid-load: FailClosed answers 503 fast, FailOpen keeps a local limit, both recover after restart', async () => {
    const closed = () => a.client.check(envoyRequest({ host: 'closed.example.com', sourceIp: '192.0.2.10' }));
    const open = () => b.client.check(envoyRequest({ host: 'open.example.com', sourceIp: '192.0.2.20' }));
    expect((await closed()).status.code).toBe(0);

    const load = Promise.all(Array.from({ length: 200 }, () => closed().then((r) => r.status.code)));
    await redis.kill();
    const codes = await load;
    expect(codes.every((c) => c === 0 || c === 14)).toBe(true);

    const started = Date.now();
    const down = await closed();
    expect(down.status.code).toBe(14);
    expect(headerOf(down.denied_response?.headers, 'x-palisade-reason')).toBe('unavailable');
    expect(Date.now() - started).toBeLessThan(1000);

    // FailOpen: allowed through the local limiter, which still enforces 3/hour for this client.
    const openCodes: number[] = [];
    for (let i = 0; i < 5; i++) openCodes.push((await open()).status.code);
    expect(openCodes).toEqual([0, 0, 0, 8, 8]);

    await redis.restart();
    const deadline = Date.now() + 10_000;
    let recovered = false;
    while (Date.now() < deadline) {
      if ((await closed()).status.code === 0) {
        recovered = true;
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(recovered).toBe(true);
    expect(a.child.exitCode).toBeNull();
    expect(b.child.exitCode).toBeNull();
    const metrics = await (await fetch(`http://127.0.0.1:${a.httpPort}/metrics`)).text();
    expect(metrics).toMatch(/palisade_store_failures_total\{policy="shop\/closed",failure_policy="FailClosed"\} [1-9]/);
    expect(metrics).toMatch(/palisade_store_up\{store="redis"\} 1/);
  });
});
