/**
 * The snapshot stream between the operator's SnapshotServer and the authz-server's OperatorSource over real
 * gRPC on loopback (no Kubernetes needed): apply + ACK, NACK keeps the last good snapshot, reconnect after the
 * operator goes away, and booting from the snapshot file.
 */
import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { snapshotBytes } from '../../lib/distribution/codec.ts';
import { canonicalJson } from '../../lib/policy/canonical-json.ts';
import { compile, snapshotVersion } from '../../lib/policy/compile.ts';
import type { Snapshot } from '../../lib/policy/snapshot.ts';
import type { AuthzServer } from '../../authz-server/src/app/server.ts';
import { SnapshotServer } from '../../operator/src/snapshot-server.ts';
import { authzClient, type AuthzClient } from '../support/envoy.ts';
import { captureLogger, policyDoc, startTestServer } from '../support/policies.ts';
import { verdictOf, waitFor } from '../support/verdict.ts';
import { freePort } from '../support/ports.ts';

const NOW = new Date('2026-01-01T00:00:00Z');
const HOST = 'orders.shop.svc.cluster.local';

function snapshotWith(spec: Record<string, unknown>, generation = 1): Snapshot {
  const doc = policyDoc('orders', { hosts: [HOST], ...spec }) as { metadata: Record<string, unknown> };
  doc.metadata['generation'] = generation;
  const { snapshot, violations } = compile([doc as never], [], NOW);
  expect(violations).toEqual([]);
  return snapshot;
}

/** A snapshot that passes the codec's checks but cannot be built into a runtime (invalid regex). */
function unbuildable(base: Snapshot): Snapshot {
  const s = JSON.parse(canonicalJson(base)) as Snapshot;
  s.policies[0]!.rules = [{ methods: null, paths: [{ pattern: '/x', regex: '(' }], principals: null, consumers: null, claims: null }];
  s.policies[0]!.generation = 99;
  s.version = snapshotVersion(s.policies, s.hosts);
  return s;
}

const allowAll = snapshotWith({});
const rulesGetOnly = snapshotWith({ rules: [{ methods: ['GET'] }] }, 2);

describe('snapshot stream (operator SnapshotServer <-> authz-server OperatorSource)', () => {
  const log = captureLogger('debug');
  let op: SnapshotServer;
  let opPort: number;
  let authz: AuthzServer | undefined;
  let client: AuthzClient | undefined;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'palisade-stream-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function startOperator(port = 0): Promise<void> {
    op = new SnapshotServer({ logger: log.logger });
    opPort = await op.listen(`127.0.0.1:${port}`);
  }

  afterEach(async () => {
    client?.close();
    await authz?.stop();
    await op?.close();
    authz = undefined;
    client = undefined;
  });

  it('waits unready for the first snapshot, applies it and ACKs; later versions follow', async () => {
    await startOperator();
    authz = await startTestServer(['--operator', `127.0.0.1:${opPort}`], log.logger);
    client = authzClient(authz.grpcPort);
    const ready = async () => (await fetch(`http://127.0.0.1:${authz!.httpPort}/readyz`)).status;
    expect(await ready()).toBe(503);
    await waitFor('the subscription', () => op.replicas().length, (n) => n === 1);

    op.publish(allowAll);
    await waitFor('ACK of v1', () => op.replicas()[0]?.ackedVersion, (v) => v === allowAll.version);
    expect(await ready()).toBe(200);
    expect(await verdictOf(client, { host: HOST, method: 'POST' })).toBe('allow');

    op.publish(rulesGetOnly);
    await waitFor('ACK of v2', () => op.replicas()[0]?.ackedVersion, (v) => v === rulesGetOnly.version);
    expect(await verdictOf(client, { host: HOST, method: 'POST' })).toBe('access');
    expect(await verdictOf(client, { host: HOST, method: 'GET' })).toBe('allow');
  });

  it('NACKs a snapshot it cannot build and keeps enforcing the last good one', async () => {
    await startOperator();
    authz = await startTestServer(['--operator', `127.0.0.1:${opPort}`], log.logger);
    client = authzClient(authz.grpcPort);
    op.publish(rulesGetOnly);
    await waitFor('ACK', () => op.replicas()[0]?.ackedVersion, (v) => v === rulesGetOnly.version);

    const bad = unbuildable(rulesGetOnly);
    op.publish(bad);
    const { value } = await waitFor('NACK', () => op.replicas()[0]?.nack, (n) => n !== null && n !== undefined);
    expect(value).toMatchObject({ version: bad.version, error: expect.stringMatching(/invalid regex/) });
    expect(op.replicas()[0]?.ackedVersion).toBe(rulesGetOnly.version);
    expect(authz.holder.current()?.version).toBe(rulesGetOnly.version);
    expect(await verdictOf(client, { host: HOST, method: 'POST' })).toBe('access');

    // a good version afterwards clears the NACK
    op.publish(allowAll);
    await waitFor('ACK after NACK', () => op.replicas()[0], (r) => r?.ackedVersion === allowAll.version && r.nack === null);
  });

  it('keeps enforcing while the operator is away and reconnects when it is back', async () => {
    const port = await freePort();
    await startOperator(port);
    authz = await startTestServer(['--operator', `127.0.0.1:${port}`], log.logger);
    client = authzClient(authz.grpcPort);
    op.publish(rulesGetOnly);
    await waitFor('ACK', () => op.replicas()[0]?.ackedVersion, (v) => v === rulesGetOnly.version);

    await op.close();
    await waitFor('stream down', () => log.lines.some((l) => l['msg'] === 'snapshot stream down; keeping the snapshot in force and reconnecting'), Boolean);
    expect(await verdictOf(client, { host: HOST, method: 'POST' })).toBe('access');
    expect((await fetch(`http://127.0.0.1:${authz.httpPort}/readyz`)).status).toBe(200);

    await startOperator(port);
    op.publish(allowAll);
    const { ms } = await waitFor('reconnect and ACK', () => op.replicas()[0]?.ackedVersion, (v) => v === allowAll.version, 20_000);
    expect(ms).toBeLessThan(20_000);
    expect(await verdictOf(client, { host: HOST, method: 'POST' })).toBe('allow');
  });

  it('boots from the snapshot file (plain or gzip) while the operator is unreachable', async () => {
    const deadPort = await freePort();
    for (const gzip of [false, true]) {
      const file = join(dir, `snapshot-${gzip}.json`);
      await writeFile(file, snapshotBytes(rulesGetOnly, gzip ? 0 : 1 << 30).bytes);
      const server = await startTestServer(['--operator', `127.0.0.1:${deadPort}`, '--snapshot-file', file], log.logger);
      const c = authzClient(server.grpcPort);
      try {
        expect(server.holder.current()?.version).toBe(rulesGetOnly.version);
        expect((await fetch(`http://127.0.0.1:${server.httpPort}/readyz`)).status).toBe(200);
        expect(await verdictOf(c, { host: HOST, method: 'POST' })).toBe('access');
      } finally {
        c.close();
        await server.stop();
      }
    }
  });

  it('refuses a corrupt snapshot file and, without --operator, refuses to start', async () => {
    const file = join(dir, 'corrupt.json');
    const bytes = Buffer.from(canonicalJson({ ...rulesGetOnly, version: 'sha256:00000000000000000000000000000000' }));
    await writeFile(file, bytes);
    await expect(startTestServer(['--snapshot-file', file], log.logger)).rejects.toThrow(/does not match its content/);
  });
});
