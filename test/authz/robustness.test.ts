/**
 * Bad input and operations: garbage bytes, missing attributes, oversized headers, invalid UTF-8, hot reload with
 * a broken file, health/readiness/metrics, and a real process draining on SIGTERM.
 */
import * as grpc from '@grpc/grpc-js';
import { spawn } from 'node:child_process';
import { getPriority } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { authzClient, envoyRequest, headerOf } from '../support/envoy.ts';
import { captureLogger, policyDoc, startTestServer, writePolicyDir } from '../support/policies.ts';
import { openAuthz, useAuthz } from '../support/authz-fixture.ts';
import type { CheckResponse } from '../../authz-server/src/envoy/protos.ts';
import { envoyServices } from '../../authz-server/src/envoy/protos.ts';
import { freePort } from '../support/ports.ts';
import { spawnAuthzServer } from '../support/authz-process.ts';
import { threadsOf } from '../support/threads.ts';
import { AUTHZ_ENV, AUTHZ_NODE_FLAGS } from '../../authz-server/src/app/node-flags.ts';

const root = join(import.meta.dirname, '..', '..');

function rawCheck(port: number, bytes: Buffer): Promise<CheckResponse> {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const { authorization } = envoyServices();
  const decode = authorization.service['Check']?.responseDeserialize as (b: Buffer) => CheckResponse;
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      '/envoy.service.auth.v3.Authorization/Check',
      (b: Buffer) => b,
      decode,
      bytes,
      { deadline: Date.now() + 5000 },
      (err, res) => {
        client.close();
        if (err) reject(err);
        else resolve(res as CheckResponse);
      },
    );
  });
}

describe('bad input never crashes the server and gets a clear deny', () => {
  const fx = useAuthz(() => [policyDoc('open', { hosts: ['orders.shop.svc.cluster.local'], inspection: { pathTraversal: true, sqlInjection: true, xss: true } })]);

  it('garbage bytes -> denied CheckResponse (no RPC error)', async () => {
    for (const bytes of [Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]), Buffer.from('this is not protobuf at all \u0000\u0001'), Buffer.alloc(0)]) {
      const res = await rawCheck(fx.server.grpcPort, bytes);
      expect(res.status.code).toBe(7);
      expect(headerOf(res.denied_response?.headers, 'x-palisade-reason')).toBe('no-policy');
    }
    expect((await fx.client.check(envoyRequest())).status.code).toBe(0);
  });

  it('missing attributes -> 403 no-policy', async () => {
    for (const req of [{}, { attributes: {} }, { attributes: { request: {} } }, { attributes: { request: { http: {} } } }]) {
      const res = await fx.client.check(req);
      expect(res.status.code).toBe(7);
      expect(res.denied_response?.status.code).toBe(403);
    }
  });

  it('1 MB of headers -> 403 inspection (oversized), server keeps serving', async () => {
    const res = await fx.client.check(envoyRequest({ headers: { 'x-big': 'a'.repeat(1024 * 1024) } }));
    expect(res.status.code).toBe(7);
    expect(headerOf(res.denied_response?.headers, 'x-palisade-reason')).toBe('inspection');
    const many = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`x-h-${i}`, 'v']));
    expect((await fx.client.check(envoyRequest({ headers: many }))).status.code).toBe(7);
    expect((await fx.client.check(envoyRequest())).status.code).toBe(0);
  });

  it('invalid UTF-8 in the path (raw header bytes) -> a decision, not a crash', async () => {
    const req = envoyRequest({ rawHeaders: true, path: '/orders/x' });
    const list = req.attributes?.request?.http?.header_map?.headers ?? [];
    const path = list.find((h) => h.key === ':path');
    if (!path) throw new Error('no :path header');
    path.raw_value = Buffer.from([0x2f, 0x6f, 0xc3, 0x28, 0xa0, 0xa1, 0xff, 0x2f, 0x2e, 0x2e, 0x2f]);
    const res = await fx.client.check(req);
    expect([0, 7]).toContain(res.status.code);
    expect(res.http_response).toBeDefined();
    // Lone surrogates in a proto string field are encoded by protobufjs as replacement characters.
    const res2 = await fx.client.check(envoyRequest({ path: '/orders/\uD800\uDFFF\uD800' }));
    expect(res2.http_response).toBeDefined();
  });

  it('answers the gRPC health service (SERVING for "" and for Authorization)', async () => {
    const { service } = await import('grpc-health-check');
    const Health = grpc.makeGenericClientConstructor(service, 'Health');
    const health = new Health(`127.0.0.1:${fx.server.grpcPort}`, grpc.credentials.createInsecure()) as unknown as {
      check(req: { service: string }, cb: (err: Error | null, res: { status: string | number }) => void): void;
      close(): void;
    };
    for (const name of ['', 'envoy.service.auth.v3.Authorization']) {
      const res = await new Promise<{ status: string | number }>((resolve, reject) => health.check({ service: name }, (e, r) => (e ? reject(e) : resolve(r))));
      expect([1, 'SERVING']).toContain(res.status);
    }
    health.close();
  });

  it('serves /healthz, /readyz and /metrics with decision counters', async () => {
    expect((await fx.client.check(envoyRequest())).status.code).toBe(0);
    expect((await fx.client.check(envoyRequest({ host: 'elsewhere.test' }))).status.code).toBe(7);
    const base = `http://127.0.0.1:${fx.server.httpPort}`;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.text()).toContain('snapshot sha256:');
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/palisade_decisions_total\{policy="shop\/open",verdict="allow",reason="none"\} [1-9]/);
    expect(metrics).toMatch(/palisade_decisions_total\{policy="",verdict="deny",reason="no-policy"\} [1-9]/);
    // labelled by host, with a bounded label set: hosts never configured read "other"
    expect(metrics).toMatch(/palisade_no_policy_denials_total\{host="other"\} [1-9]/);
    expect(metrics).toContain('palisade_decision_duration_seconds_bucket');
    expect(metrics).toMatch(/palisade_snapshot_info\{version="sha256:[0-9a-f]+"\} 1/);
    expect(metrics).toMatch(/palisade_snapshot_age_seconds \d/);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
  });
});

describe('hot reload', () => {
  it('applies a changed file, keeps the last good snapshot on a broken one and says why', async () => {
    const { server, client, policies: dir, log, close } = await openAuthz([policyDoc('a', { hosts: ['a.example.com'] })]);
    const waitFor = async (pred: () => Promise<boolean>) => {
      const deadline = Date.now() + 5000;
      while (Date.now() < deadline) {
        if (await pred()) return;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error('condition not met within 5 s');
    };
    try {
      expect((await client.check(envoyRequest({ host: 'a.example.com' }))).status.code).toBe(0);
      await dir.rewrite([policyDoc('a', { hosts: ['a.example.com'], mode: 'Enforce', rules: [{ paths: ['/only'] }] })]);
      await waitFor(async () => (await client.check(envoyRequest({ host: 'a.example.com', path: '/orders' }))).status.code === 7);
      const goodVersion = server.holder.current()?.version;

      await dir.rewrite('apiVersion: palisade.dev/v1alpha1\nkind: ApiProtectionPolicy\nmetadata: { name: a }\nspec: { hosts: [a.example.com], mode: Sometimes }\n');
      await waitFor(async () => log.lines.some((l) => String(l['msg']).startsWith('policy files rejected')));
      const rejected = log.lines.find((l) => String(l['msg']).startsWith('policy files rejected'));
      expect(JSON.stringify(rejected?.['problems'])).toContain('spec.mode: must be one of');
      expect(server.holder.current()?.version).toBe(goodVersion);
      expect((await client.check(envoyRequest({ host: 'a.example.com', path: '/only' }))).status.code).toBe(0);

      await dir.rewrite('spec: [unclosed');
      await waitFor(async () => log.lines.filter((l) => String(l['msg']).startsWith('policy files rejected')).length >= 2);
      expect(server.holder.current()?.version).toBe(goodVersion);
    } finally {
      await close();
    }
  });

  it('refuses to start on invalid files with a clear error', async () => {
    const log = captureLogger();
    const dir = await writePolicyDir('kind: ApiProtectionPolicy\napiVersion: palisade.dev/v1alpha1\nmetadata: { name: x }\nspec: { hosts: [] }\n' as unknown as unknown[]);
    await expect(startTestServer(['--policies', dir.dir], log.logger)).rejects.toThrow(/policy files are invalid/);
    expect(log.text()).toContain('spec.hosts');
    await dir.cleanup();
  });
});

describe('the real process', () => {
  it('npm start equivalent serves the examples, and SIGTERM drains then exits 0', async () => {
    const proc = await spawnAuthzServer(['--policies', 'examples/policies']);
    const { child, grpcPort, httpPort, exited } = proc;
    try {
      const deadline = Date.now() + 15_000;
      for (;;) {
        if (Date.now() > deadline) throw new Error(`not ready: ${proc.stdout()}`);
        const ok = await fetch(`http://127.0.0.1:${httpPort}/readyz`).then((r) => r.ok, () => false);
        if (ok) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      const client = authzClient(grpcPort);
      const res = await client.check(envoyRequest({ host: 'catalog.example.com', path: '/products/1' }));
      expect(res.status.code).toBe(0);
      client.close();
      // The garbage-collection helpers run at the default --gc-thread-nice, the thread answering Checks does not.
      const threads = threadsOf(child.pid as number);
      const helpers = threads.filter((t) => t.name === 'V8Worker');
      expect(helpers.length).toBeGreaterThan(0);
      // (A test run started at a higher nice value leaves every thread there.)
      const inherited = getPriority();
      expect(helpers.every((t) => t.nice === Math.max(10, inherited))).toBe(true);
      expect(threads.find((t) => t.tid === child.pid)?.nice).toBe(inherited);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(proc.stdout()).toContain('"msg":"authz-server stopped"');
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('with the image\'s flags, drops the code only start-up ran before it first reports SERVING, then answers Checks', async () => {
    const proc = await spawnAuthzServer(['--policies', 'examples/policies', '--log-level', 'debug'], { nodeFlags: AUTHZ_NODE_FLAGS, env: { ...process.env, ...AUTHZ_ENV } });
    const { child, grpcPort, httpPort } = proc;
    try {
      const deadline = Date.now() + 15_000;
      while (!(await fetch(`http://127.0.0.1:${httpPort}/readyz`).then((r) => r.ok, () => false))) {
        if (Date.now() > deadline) throw new Error(`not ready: ${proc.stdout()}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const line = proc.stdout().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l['msg'] === 'start-up garbage collected');
      expect(line?.['flushedStartupCode']).toBe(true);
      const [before, after] = line?.['bytecode'] as [number, number];
      // Loading the protos, the policy files and the schemas leaves over a MiB of bytecode that no Check runs.
      expect(before).toBeGreaterThan(1_000_000);
      expect(after).toBeLessThan(before / 2);
      const client = authzClient(grpcPort);
      const res = await client.check(envoyRequest({ host: 'catalog.example.com', path: '/products/1' }));
      expect(res.status.code).toBe(0);
      client.close();
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('exits 2 with usage on bad flags', async () => {
    const child = spawn(process.execPath, ['authz-server/src/app/main.ts', '--grpc-port', 'abc', '--policies', 'examples/policies'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += String(d)));
    const code = await new Promise((r) => child.once('exit', r));
    expect(code).toBe(2);
    expect(stderr).toContain('--grpc-port must be an integer');
  });
});

describe('without any snapshot', () => {
  it('answers 503 unavailable (an outage of Palisade), not 403 no-policy, and is not ready', async () => {
    const log = captureLogger();
    // an operator address nobody listens on, and no snapshot file: nothing to enforce yet
    const server = await startTestServer(['--operator', `127.0.0.1:${await freePort()}`], log.logger);
    const client = authzClient(server.grpcPort);
    try {
      const res = await client.check(envoyRequest({ host: 'orders.shop.svc.cluster.local' }));
      expect(res.status.code).toBe(14);
      expect(res.denied_response?.status?.code).toBe(503);
      expect(headerOf(res.denied_response?.headers, 'x-palisade-reason')).toBe('unavailable');
      expect((await fetch(`http://127.0.0.1:${server.httpPort}/readyz`)).status).toBe(503);
      const metrics = await (await fetch(`http://127.0.0.1:${server.httpPort}/metrics`)).text();
      expect(metrics).toMatch(/palisade_decisions_total\{policy="",verdict="deny",reason="unavailable"\} 1/);
      expect(metrics).not.toContain('palisade_no_policy_denials_total{');
    } finally {
      client.close();
      await server.stop();
    }
  });
});
