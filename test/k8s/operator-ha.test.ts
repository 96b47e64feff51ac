/**
 * Leader election between two operator processes on the real API server: one leader (the Lease holder) writes
 * status, both serve snapshots; the leader learns the ACKs of authz-servers connected to the other replica from
 * its distribution report; when the leader dies, the other takes over within the Lease duration.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { AuthzServer } from '../../authz-server/src/app/server.ts';
import { authzClient, type AuthzClient } from '../support/envoy.ts';
import { captureLogger, startTestServer } from '../support/policies.ts';
import {
  apply,
  createNamespace,
  getJson,
  installCrd,
  policy,
  spawnOperator,
  waitForCondition,
  type OperatorProcess,
} from '../support/kube.ts';
import { verdictOf, waitFor } from '../support/verdict.ts';

const cp = inject('palisadeControlPlane');
const KC = cp.kubeconfigPath;

interface LeaseView {
  spec: { holderIdentity?: string; leaseTransitions?: number };
}

const statusWrites = (p: OperatorProcess) => p.lines.filter((l) => l['msg'] === 'status updated').length;
const becameLeader = (p: OperatorProcess) => p.lines.some((l) => l['msg'] === 'became leader');

describe('operator leader election (two processes)', () => {
  const log = captureLogger('info');
  let opNs: string;
  let appNs: string;
  let a: OperatorProcess;
  let b: OperatorProcess;
  let c: OperatorProcess | undefined;
  let authz: AuthzServer;
  let client: AuthzClient;
  const host = 'ha.example.com';

  const holder = async () => (await getJson<LeaseView>(KC, ['-n', opNs, 'lease', 'palisade-operator'])).spec.holderIdentity ?? '';

  beforeAll(async () => {
    await installCrd(KC);
    opNs = await createNamespace(KC, 'pal-ha-op');
    appNs = await createNamespace(KC, 'pal-ha-app');
    [a, b] = await Promise.all([
      spawnOperator({ kubeconfig: KC, namespace: opNs, watchNamespace: appNs, identity: 'operator-a' }),
      spawnOperator({ kubeconfig: KC, namespace: opNs, watchNamespace: appNs, identity: 'operator-b' }),
    ]);
  });

  afterAll(async () => {
    client?.close();
    await authz?.stop();
    await Promise.all([a?.kill(), b?.kill(), c?.kill()]);
  });

  it('elects exactly one leader; only it writes status, while the follower serves snapshots too', async () => {
    await waitFor('a leader', () => [a, b].filter(becameLeader).length, (n) => n === 1, 15_000);
    const leader = becameLeader(a) ? a : b;
    const follower = leader === a ? b : a;
    expect(await holder()).toBe(leader.identity);

    // the authz-server talks to the follower; the leader learns its ACKs from the follower's report
    authz = await startTestServer(['--operator', `127.0.0.1:${follower.grpcPort}`], log.logger);
    client = authzClient(authz.grpcPort);
    await apply(KC, [policy('ha', appNs, { hosts: [host], rules: [{ methods: ['GET'] }] })]);
    await waitFor('enforced through the follower', () => verdictOf(client, { host }), (v) => v === 'allow');
    await waitForCondition(KC, appNs, 'ha', 'Enforced', 'True', 'Acknowledged');
    expect(statusWrites(leader)).toBeGreaterThan(0);
    expect(statusWrites(follower)).toBe(0);
    expect(follower.lines.some((l) => l['msg'] === 'snapshot published')).toBe(true);
    expect(follower.lines.some((l) => l['msg'] === 'snapshot ConfigMap updated')).toBe(false);
    expect(await holder()).toBe(leader.identity);
  });

  it('fails over when the leader crashes: the follower takes the Lease and writes status', async () => {
    const leader = becameLeader(a) ? a : b;
    const follower = leader === a ? b : a;
    const t0 = performance.now();
    await leader.kill();
    const { ms } = await waitFor('the follower to take over', () => holder(), (h) => h === follower.identity, 15_000, 50);
    console.log(`leader failover after SIGKILL: ${Math.round(performance.now() - t0)} ms (lease duration 3s)`);
    expect(ms).toBeLessThan(6_000);
    await waitFor('follower log: became leader', () => becameLeader(follower), Boolean);

    await apply(KC, [policy('ha', appNs, { hosts: [host], rules: [{ methods: ['GET', 'POST'] }] })]);
    await waitFor('update enforced', () => verdictOf(client, { host, method: 'POST' }), (v) => v === 'allow');
    const p = await waitForCondition(KC, appNs, 'ha', 'Enforced', 'True', 'Acknowledged');
    expect(p.status?.observedGeneration).toBe(2);
    expect(statusWrites(follower)).toBeGreaterThan(0);
  });

  it('hands over at once on a graceful stop (the leader releases the Lease)', async () => {
    const leader = a.exited ? b : a;
    c = await spawnOperator({ kubeconfig: KC, namespace: opNs, watchNamespace: appNs, identity: 'operator-c' });
    await waitFor('c to sync', () => c!.lines.some((l) => l['msg'] === 'caches synced; first snapshot compiled'), Boolean);
    expect(await holder()).toBe(leader.identity);
    const t0 = performance.now();
    await leader.stop();
    expect(leader.lines.some((l) => l['msg'] === 'released the Lease')).toBe(true);
    await waitFor('c to take over', () => holder(), (h) => h === 'operator-c', 10_000, 50);
    const handover = performance.now() - t0;
    console.log(`leader handover after SIGTERM: ${Math.round(handover)} ms`);
    expect(handover).toBeLessThan(3_000);
    // the authz-server lost its operator (no Service in front of them here) and keeps enforcing
    expect(await verdictOf(client, { host, method: 'POST' })).toBe('allow');
  });
});
