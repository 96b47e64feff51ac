/**
 * The transport's floor measures what it claims to: bench/bare-server.ts, started as `npm run bench:profile --
 * --bare` starts it, answers an Envoy Check over real gRPC with OK and spends the CPU it is told to on its
 * JavaScript thread, which the schedstat reading sees.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mainThreadSchedstat, startBareServer, type BenchServer } from '../../bench/harness.ts';
import { authzClient, envoyRequest, type AuthzClient } from '../support/envoy.ts';

describe('bench/bare-server.ts', () => {
  let server: BenchServer;
  let client: AuthzClient;
  const dir = mkdtempSync(join(tmpdir(), 'palisade-bare-'));

  beforeAll(async () => {
    server = await startBareServer({ spinUs: 2000, stdoutFile: join(dir, 'bare.log') });
    client = authzClient(server.grpcPort);
  });
  afterAll(async () => {
    client?.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers a Check with OK after spinning the given CPU time on its main thread', async () => {
    const before = mainThreadSchedstat(server.pid);
    expect(before).not.toBeNull();
    const res = await client.check(envoyRequest({ path: '/orders' }));
    expect(res.status?.code ?? 0).toBe(0);
    for (let i = 0; i < 9; i++) await client.check(envoyRequest({ path: '/orders' }));
    const after = mainThreadSchedstat(server.pid);
    // Ten calls of 2 ms each: at least 20 ms on the thread that answers them.
    expect((after!.runNs - before!.runNs) / 1e6).toBeGreaterThanOrEqual(20);
    // Its output (a GC trace when asked for one) goes where bench:profile reads it.
    expect(readFileSync(join(dir, 'bare.log'), 'utf8')).toContain('listening');
  });
});
