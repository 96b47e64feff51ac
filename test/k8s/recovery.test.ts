/**
 * Recovery times on the real API server, with operator child processes at their default leader-election
 * timings: status writes resume promptly after an operator restart (graceful: the old one releases the Lease;
 * crash: the Lease expires), and an authz-server reconnects within its bounded backoff once the operator is
 * back. The measured times are printed.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { AuthzServer } from '../../authz-server/src/app/server.ts';
import { authzClient, type AuthzClient } from '../support/envoy.ts';
import { captureLogger, startTestServer } from '../support/policies.ts';
import { apply, createNamespace, installCrd, policy, spawnOperator, waitForCondition, type OperatorProcess } from '../support/kube.ts';
import { verdictOf, waitFor } from '../support/verdict.ts';

const cp = inject('palisadeControlPlane');
const KC = cp.kubeconfigPath;
/** The operator's defaults (spawnOperator's short test timings overridden). */
const DEFAULT_TIMINGS = ['--lease-duration', '8s', '--renew-deadline', '5s', '--retry-period', '1s', '--enforced-grace', '10s'];

describe('recovery after an operator restart', () => {
  const log = captureLogger('info');
  let opNs: string;
  let appNs: string;
  let op: OperatorProcess;
  let authz: AuthzServer;
  let client: AuthzClient;
  let grpcPort = 0;
  const timings: string[] = [];
  const host = 'recover.example.com';

  const spawn = (identity: string) =>
    spawnOperator({ kubeconfig: KC, namespace: opNs, watchNamespace: appNs, identity, args: [...DEFAULT_TIMINGS, ...(grpcPort ? ['--grpc-port', String(grpcPort)] : [])] });

  /** A new generation written while no operator leads, then a new operator: ms from its spawn to that status. */
  async function restartAndTimeStatus(stop: () => Promise<void>, identity: string, methods: string[]): Promise<{ fromSpawn: number; fromListening: number }> {
    await stop();
    const p = await apply(KC, [policy('recover', appNs, { hosts: [host], rules: [{ methods }] })]);
    expect(p).toContain('configured');
    const t0 = performance.now();
    op = await spawn(identity);
    const t1 = performance.now();
    await waitForCondition(KC, appNs, 'recover', 'Accepted', 'True', 'Compiled', 30_000);
    const t2 = performance.now();
    return { fromSpawn: Math.round(t2 - t0), fromListening: Math.round(t2 - t1) };
  }

  beforeAll(async () => {
    await installCrd(KC);
    opNs = await createNamespace(KC, 'pal-rec-op');
    appNs = await createNamespace(KC, 'pal-rec');
    op = await spawn('operator-1');
    grpcPort = op.grpcPort;
    authz = await startTestServer(['--operator', `127.0.0.1:${grpcPort}`], log.logger);
    client = authzClient(authz.grpcPort);
    await apply(KC, [policy('recover', appNs, { hosts: [host], rules: [{ methods: ['GET'] }] })]);
    await waitForCondition(KC, appNs, 'recover', 'Enforced', 'True', 'Acknowledged', 30_000);
  });

  afterAll(async () => {
    client?.close();
    await authz?.stop();
    await op?.kill();
    console.log(`recovery timings (default leader-election timings, 2-core machine shared with other work):\n${timings.map((t) => `  ${t}`).join('\n')}`);
  });

  it('graceful restart: the Lease is released, the new operator writes status at once', async () => {
    const { fromSpawn, fromListening } = await restartAndTimeStatus(() => op.stop(), 'operator-2', ['GET', 'POST']);
    timings.push(`operator restart (SIGTERM, new replica) -> status written: ${fromListening} ms after it listened, ${fromSpawn} ms from spawning the process`);
    expect(fromListening).toBeLessThan(5_000);
  });

  it('crash: status resumes once the Lease expires', async () => {
    const { fromSpawn, fromListening } = await restartAndTimeStatus(() => op.kill(), 'operator-3', ['GET', 'POST', 'PUT']);
    timings.push(`operator crash (SIGKILL, new replica) -> status written: ${fromListening} ms after it listened, ${fromSpawn} ms from spawning the process (Lease 8s)`);
    expect(fromListening).toBeLessThan(15_000);
  });

  it('operator back -> the authz-server reconnects within its backoff cap, enforcing all along', async () => {
    await op.stop();
    // long enough for the reconnect backoff to reach its cap (250 ms doubling to 5 s)
    await waitFor('the authz-server to retry a few times', () => log.lines.filter((l) => l['msg'] === 'snapshot stream down; keeping the snapshot in force and reconnecting').length, (n) => n >= 6, 30_000, 100);
    expect(await verdictOf(client, { host, method: 'PUT' })).toBe('allow');
    const t0 = performance.now();
    op = await spawn('operator-4');
    const tListening = performance.now();
    const established = log.lines.filter((l) => l['msg'] === 'snapshot stream established').length;
    await waitFor('the authz-server to reconnect', () => log.lines.filter((l) => l['msg'] === 'snapshot stream established').length, (n) => n > established, 15_000, 20);
    const ms = Math.round(performance.now() - tListening);
    timings.push(`operator back -> authz-server reconnected: ${ms} ms after the operator listened (${Math.round(tListening - t0)} ms process start; backoff cap 5s)`);
    expect(ms).toBeLessThan(6_000);
    await waitForCondition(KC, appNs, 'recover', 'Enforced', 'True', 'Acknowledged', 20_000);
  });
});
