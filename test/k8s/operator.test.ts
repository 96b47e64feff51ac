/**
 * The operator against the real kube-apiserver (test/controlplane), with an in-process authz-server connected
 * over real gRPC: policies applied with kubectl are enforced within a bounded time; status, Events, the
 * snapshot ConfigMap, Secret rotation, a replica that NACKs, and operator / authz-server restarts.
 */
import * as grpc from '@grpc/grpc-js';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { snapshotDistribution, type StreamRequestMsg, type StreamResponseMsg } from '../../lib/distribution/protos.ts';
import type { AuthzServer } from '../../authz-server/src/app/server.ts';
import type { Operator } from '../../operator/src/operator.ts';
import { bindingOf } from '../../authz-server/src/challenge/binding.ts';
import { issuePass } from '../../authz-server/src/challenge/tokens.ts';
import { authzClient, type AuthzClient } from '../support/envoy.ts';
import { captureLogger, startTestServer } from '../support/policies.ts';
import {
  apply,
  condition,
  eventsFor,
  getJson,
  getPolicy,
  kubectlOk,
  policy,
  startOperatorWithAuthz,
  startTestOperator,
  waitForCondition,
} from '../support/kube.ts';
import { verdictOf, waitFor } from '../support/verdict.ts';

const cp = inject('palisadeControlPlane');
const KC = cp.kubeconfigPath;

/** Measured latencies (ms), printed at the end: from starting `kubectl apply` / from kubectl returning. */
const latencies: Array<{ what: string; fromApplyStart: number; fromApiWrite: number }> = [];

async function counter(op: Operator, name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = await op.registry.getSingleMetric(name)?.get();
  return (m?.values ?? []).filter((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val)).reduce((a, v) => a + v.value, 0);
}

/** A misbehaving authz-server replica speaking the real protocol: subscribes and NACKs every snapshot. */
function nackingReplica(port: number, pod: string): { close(): void } {
  const Ctor = snapshotDistribution();
  const client = new Ctor(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const call = (client as unknown as { Stream(): grpc.ClientDuplexStream<StreamRequestMsg, StreamResponseMsg> }).Stream();
  call.on('data', (r: StreamResponseMsg) => call.write({ nack: { version: r.snapshot?.version ?? '', nonce: r.nonce, error_detail: 'test replica refuses every snapshot' } }));
  call.on('error', () => {});
  call.write({ subscribe: { node_id: `${pod}-node`, pod_name: pod, current_version: '' } });
  return {
    close() {
      call.cancel();
      client.close();
    },
  };
}

describe('operator on a real API server', () => {
  const log = captureLogger('info');
  let opNs: string;
  let appNs: string;
  let operator: Operator;
  let authz: AuthzServer;
  let client: AuthzClient;
  let dir: string;

  /** Applies docs and waits until `check` sees the intended verdict; records the latency. */
  async function applyAndWait(what: string, docs: unknown[], probe: () => Promise<string>, want: string): Promise<void> {
    const t0 = performance.now();
    await apply(KC, docs);
    const t1 = performance.now();
    await waitFor(`${what}: verdict ${want}`, probe, (v) => v === want, 10_000, 5);
    const t2 = performance.now();
    latencies.push({ what, fromApplyStart: Math.round(t2 - t0), fromApiWrite: Math.round(t2 - t1) });
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'palisade-k8s-'));
    ({ opNs, appNs, operator, authz, client } = await startOperatorWithAuthz(KC, 'pal-app', log.logger));
  });

  afterAll(async () => {
    client?.close();
    await authz?.stop();
    const hist = (await operator?.registry.getSingleMetric('palisade_operator_reconcile_duration_seconds')?.get())?.values ?? [];
    const stat = (kind: string, suffix: string) => hist.find((v) => (v as { metricName?: string }).metricName?.endsWith(suffix) && v.labels['kind'] === kind)?.value ?? 0;
    const means = ['snapshot', 'status', 'configmap'].map((k) => `${k} ${((stat(k, '_sum') / Math.max(1, stat(k, '_count'))) * 1000).toFixed(1)} ms (n=${stat(k, '_count')})`);
    console.log(`mean reconcile duration (last operator instance): ${means.join(', ')}`);
    await operator?.stop();
    await rm(dir, { recursive: true, force: true });
    console.log(`apply-to-enforced latencies (ms):\n${latencies.map((l) => `  ${l.what}: ${l.fromApplyStart} from kubectl start, ${l.fromApiWrite} from kubectl return`).join('\n')}`);
    const problems = log.lines.filter((l) => l['level'] === 'warn' || l['level'] === 'error');
    if (problems.length > 0) console.log(`warnings logged:\n${problems.map((l) => JSON.stringify(l)).join('\n')}`);
  });

  it('enforces a policy applied with kubectl, then reports Accepted and Enforced, with Events', async () => {
    const host = 'orders.example.com';
    expect(await verdictOf(client, { host })).toBe('no-policy');
    await applyAndWait(
      'create',
      [policy('orders', appNs, { hosts: [host], rules: [{ methods: ['GET'], paths: ['/orders/**'] }] })],
      () => verdictOf(client, { host, path: '/orders/1' }),
      'allow',
    );
    expect(await verdictOf(client, { host, method: 'POST', path: '/orders/1' })).toBe('access');

    const p = await waitForCondition(KC, appNs, 'orders', 'Enforced', 'True', 'Acknowledged');
    expect(condition(p, 'Accepted')).toMatchObject({ status: 'True', reason: 'Compiled', observedGeneration: 1 });
    expect(p.status?.observedGeneration).toBe(1);
    const { value: events } = await waitFor('Events', () => eventsFor(KC, appNs, 'orders'), (es) => es.some((e) => e.reason === 'Enforced'));
    expect(events.map((e) => e.reason)).toEqual(expect.arrayContaining(['Accepted', 'Enforced']));
    expect(events.every((e) => e.reportingController === 'palisade.dev/operator' && e.regarding?.kind === 'ApiProtectionPolicy')).toBe(true);

    const table = await kubectlOk(KC, ['-n', appNs, 'get', 'apipol', 'orders']);
    expect(table).toMatch(/orders\s+\["orders.example.com"\]\s+Enforce\s+True\s+True/);
  });

  it('follows updates; lastTransitionTime stays while the status does not flip; no PATCH without a change', async () => {
    const host = 'orders.example.com';
    const before = await waitForCondition(KC, appNs, 'orders', 'Enforced', 'True');
    await applyAndWait(
      'update',
      [policy('orders', appNs, { hosts: [host], rules: [{ methods: ['GET', 'POST'], paths: ['/orders/**'] }] })],
      () => verdictOf(client, { host, method: 'POST', path: '/orders/1' }),
      'allow',
    );
    const after = await waitForCondition(KC, appNs, 'orders', 'Enforced', 'True', 'Acknowledged');
    expect(after.metadata.generation).toBe(2);
    expect(after.status?.observedGeneration).toBe(2);
    expect(condition(after, 'Accepted')?.observedGeneration).toBe(2);
    expect(condition(after, 'Accepted')?.lastTransitionTime).toBe(condition(before, 'Accepted')?.lastTransitionTime);

    // a metadata-only change looks at this policy's status, does not recompile, and writes nothing
    const patches = await counter(operator, 'palisade_operator_status_patches_total');
    const runs = async () => {
      const m = await operator.registry.getSingleMetric('palisade_operator_reconcile_duration_seconds')?.get();
      const count = (kind: string) => m?.values.find((v) => (v as { metricName?: string }).metricName?.endsWith('_count') && v.labels['kind'] === kind)?.value ?? 0;
      return { snapshot: count('snapshot'), status: count('status') };
    };
    const runsBefore = await runs();
    await kubectlOk(KC, ['-n', appNs, 'label', 'apipol', 'orders', 'touched=yes']);
    const { value: runsAfter } = await waitFor('a status reconcile after the label change', runs, (r) => r.status > runsBefore.status);
    const again = await getPolicy(KC, appNs, 'orders');
    expect(again.metadata.generation).toBe(2);
    expect(runsAfter.snapshot).toBe(runsBefore.snapshot);
    expect(await counter(operator, 'palisade_operator_status_patches_total')).toBe(patches);
    expect(again.status).toEqual(after.status);
  });

  it('marks a new spec the compiler refuses as Accepted=False InvalidSpec (with the field), and recovers', async () => {
    // admitted by the CRD (no CEL rule can compare list items at this size), refused by the compiler
    const host = 'invalid.example.com';
    const keys = (second: string) => [{ consumer: 'a', sha256: 'a'.repeat(64) }, { consumer: second, sha256: 'a'.repeat(64) }];
    await apply(KC, [policy('broken', appNs, { hosts: [host], authentication: { apiKeys: { keys: keys('b') } } })]);
    const p = await waitForCondition(KC, appNs, 'broken', 'Accepted', 'False', 'InvalidSpec');
    expect(condition(p, 'Accepted')?.message).toContain('spec.authentication.apiKeys.keys[1]: one key is claimed by consumers "a" and "b"');
    expect(condition(p, 'Enforced')).toMatchObject({ status: 'False', reason: 'NotAccepted' });
    // never accepted, so nothing to fall back on: its host answers no-policy (fail closed)
    expect(await verdictOf(client, { host })).toBe('no-policy');
    const { value: events } = await waitFor('InvalidSpec event', () => eventsFor(KC, appNs, 'broken'), (es) => es.some((e) => e.reason === 'InvalidSpec'));
    expect(events.find((e) => e.reason === 'InvalidSpec')).toMatchObject({ type: 'Warning', note: expect.stringContaining('one key is claimed') });

    await applyAndWait('fix invalid spec', [policy('broken', appNs, { hosts: [host], authentication: { apiKeys: { keys: keys('a') } } })], () => verdictOf(client, { host }), 'allow');
    await waitForCondition(KC, appNs, 'broken', 'Accepted', 'True', 'Compiled');
    await waitForCondition(KC, appNs, 'broken', 'Enforced', 'True', 'Acknowledged');
  });

  it('resolves host conflicts: the newer policy is Accepted=False Conflict until the older one goes', async () => {
    const shared = 'shared.example.com';
    await apply(KC, [policy('older', appNs, { hosts: [shared], rules: [{ methods: ['GET'] }] })]);
    const older = await waitForCondition(KC, appNs, 'older', 'Accepted', 'True');
    // creationTimestamp has one-second precision (ties are broken by namespace/name): create the newer one later
    const created = Date.parse((older.metadata as { creationTimestamp?: string }).creationTimestamp ?? '');
    await waitFor('the next second', () => Date.now(), (now) => now >= created + 1000, 3_000);
    await apply(KC, [policy('newer', appNs, { hosts: [shared, 'newer-only.example.com'] })]);
    const newer = await waitForCondition(KC, appNs, 'newer', 'Accepted', 'False', 'Conflict');
    expect(condition(newer, 'Accepted')?.message).toContain(`are owned by ${appNs}/older (Enforce), which keeps them`);
    expect(condition(await getPolicy(KC, appNs, 'older'), 'Accepted')?.status).toBe('True');
    expect(await verdictOf(client, { host: shared, method: 'POST' })).toBe('access');
    expect(await verdictOf(client, { host: 'newer-only.example.com' })).toBe('no-policy');
    await waitFor('Conflict event', () => eventsFor(KC, appNs, 'newer'), (es) => es.some((e) => e.reason === 'Conflict' && e.type === 'Warning'));

    await kubectlOk(KC, ['-n', appNs, 'delete', 'apipol', 'older', '--wait=true']);
    await waitForCondition(KC, appNs, 'newer', 'Accepted', 'True', 'Compiled');
    await waitFor('newer enforced', () => verdictOf(client, { host: shared, method: 'POST' }), (v) => v === 'allow');
    expect(await verdictOf(client, { host: 'newer-only.example.com' })).toBe('allow');
  });

  it('rotates API keys from Secrets without restarting the authz-server', async () => {
    const host = 'keys.example.com';
    const holderBefore = authz.holder;
    await apply(KC, [
      policy('keys', appNs, { hosts: [host], authentication: { required: true, apiKeys: { secretSelector: { matchLabels: { 'palisade.dev/api-key': 'keys' } } } } }),
    ]);
    const p = await waitForCondition(KC, appNs, 'keys', 'Accepted', 'False', 'SecretNotFound');
    expect(condition(p, 'Accepted')?.message).toContain('only inline keys are active');
    await waitForCondition(KC, appNs, 'keys', 'Enforced', 'True');
    expect(await verdictOf(client, { host, headers: { 'x-api-key': 'key-one' } })).toBe('authentication');

    const secret = (key: string) => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'mobile-app', namespace: appNs, labels: { 'palisade.dev/api-key': 'keys' } },
      stringData: { key, consumer: 'mobile-app' },
    });
    await applyAndWait('secret create', [secret('key-one')], () => verdictOf(client, { host, headers: { 'x-api-key': 'key-one' } }), 'allow');
    await waitForCondition(KC, appNs, 'keys', 'Accepted', 'True', 'Compiled');

    await applyAndWait('secret rotation', [secret('key-two')], () => verdictOf(client, { host, headers: { 'x-api-key': 'key-two' } }), 'allow');
    expect(await verdictOf(client, { host, headers: { 'x-api-key': 'key-one' } })).toBe('authentication');
    expect(authz.holder).toBe(holderBefore);

    // Secrets without the palisade.dev/api-key label are not even seen
    await apply(KC, [{ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'unlabelled', namespace: appNs }, stringData: { key: 'key-three' } }]);
    expect(await verdictOf(client, { host, headers: { 'x-api-key': 'key-three' } })).toBe('authentication');
  });

  it('signs challenges with the labelled key Secret of bot.challenge.keySecret and follows its rotation', async () => {
    const host = 'challenge.example.com';
    const id = `${appNs}/site`;
    await apply(KC, [policy('site', appNs, { hosts: [host], bot: { mode: 'Enforce', challengeScore: 20, denyScore: 90, challenge: { difficulty: { min: 4, max: 4 }, keySecret: 'site-keys' } } })]);
    const p = await waitForCondition(KC, appNs, 'site', 'Accepted', 'False', 'SecretNotFound');
    expect(condition(p, 'Accepted')?.message).toContain(`challenge key Secret ${appNs}/site-keys not found`);
    const curl = (pass?: string) => verdictOf(client, { host, sourceIp: '192.0.2.9', headers: { 'user-agent': 'curl/8.5.0', ...(pass ? { 'x-palisade-pass': pass } : {}) } });
    expect(await curl()).toBe('challenge');

    const keys = (current: string, previous?: string) => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'site-keys', namespace: appNs, labels: { 'palisade.dev/challenge-key': '' } },
      // An empty previous (kubectl apply would keep a previous that is merely left out).
      stringData: { current, previous: previous ?? '' },
    });
    const K1 = 'first-challenge-key-0123456789-0123456789';
    const K2 = 'second-challenge-key-0123456789-0123456789';
    const keyringOf = () => authz.holder.current()?.policies.get(id)?.challenge?.keyring;
    const passFrom = (keyring: NonNullable<ReturnType<typeof keyringOf>>) =>
      issuePass(keyring, bindingOf(id, '192.0.2.9', 'curl/8.5.0', { ipv4: 24, ipv6: 64 }), 4, Math.floor(Date.now() / 1000), 3600);
    const serverWide = passFrom(keyringOf()!);

    await apply(KC, [keys(K1)]);
    await waitForCondition(KC, appNs, 'site', 'Accepted', 'True', 'Compiled');
    await waitFor('the Secret key signs', () => authz.holder.current()?.policies.get(id)?.source.challenge.keySource, (s) => s === `secret:${appNs}/site-keys`);
    const first = passFrom(keyringOf()!);
    expect(await curl(first)).toBe('allow');
    expect(await curl(serverWide)).toBe('challenge');

    // Rotation: the new key signs, passes of the previous one still hold; once it is dropped they do not.
    await applyAndWait('challenge key rotation', [keys(K2, K1)], async () => (keyringOf()?.keyIds.length === 2 ? 'rotated' : 'waiting'), 'rotated');
    expect(await curl(first)).toBe('allow');
    await applyAndWait('previous challenge key dropped', [keys(K2)], async () => (keyringOf()?.keyIds.length === 1 ? 'dropped' : 'waiting'), 'dropped');
    expect(await curl(first)).toBe('challenge');
    expect(await curl(passFrom(keyringOf()!))).toBe('allow');

    // A Secret without the label is never read: renaming keySecret to it falls back to the server-wide key.
    await apply(KC, [{ ...keys(K1), metadata: { name: 'unlabelled-keys', namespace: appNs } }]);
    await apply(KC, [policy('site', appNs, { hosts: [host], bot: { mode: 'Enforce', challengeScore: 20, denyScore: 90, challenge: { difficulty: { min: 4, max: 4 }, keySecret: 'unlabelled-keys' } } })]);
    await waitForCondition(KC, appNs, 'site', 'Accepted', 'False', 'SecretNotFound');
  });

  it('validates against an OpenAPI description from a labelled ConfigMap, follows its edits, and takes one inline', async () => {
    const host = 'described.example.com';
    const description = (paths: string[]) => JSON.stringify({ openapi: '3.1.0', info: { title: 'Orders', version: '1' }, paths: Object.fromEntries(paths.map((p) => [p, { get: { responses: {} } }])) });
    const configMap = (text: string, labels: Record<string, string> = { 'palisade.dev/openapi': 'orders' }) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'orders-api', namespace: appNs, labels },
      data: { 'openapi.json': text },
    });
    // Unlabelled, the ConfigMap is not seen: the policy is refused (fail closed) and says why.
    await apply(KC, [configMap(description(['/orders']), {}), policy('described', appNs, { hosts: [host], openapi: { configMapRef: { name: 'orders-api', key: 'openapi.json' } } })]);
    const refused = await waitForCondition(KC, appNs, 'described', 'Accepted', 'False', 'InvalidSpec');
    expect(condition(refused, 'Accepted')?.message).toContain(`ConfigMap ${appNs}/orders-api not found (it needs the label palisade.dev/openapi)`);

    await applyAndWait('labelled ConfigMap', [configMap(description(['/orders']))], () => verdictOf(client, { host, path: '/orders' }), 'allow');
    await waitForCondition(KC, appNs, 'described', 'Accepted', 'True', 'Compiled');
    expect(await verdictOf(client, { host, path: '/admin' })).toBe('validation');
    await applyAndWait('ConfigMap edit', [configMap(description(['/orders', '/admin']))], () => verdictOf(client, { host, path: '/admin' }), 'allow');

    const inline = JSON.parse(description(['/inline'])) as Record<string, unknown>;
    await applyAndWait('inline description', [policy('described', appNs, { hosts: [host], openapi: { inline } })], () => verdictOf(client, { host, path: '/inline' }), 'allow');
    expect(await verdictOf(client, { host, path: '/orders' })).toBe('validation');
  });

  it('stops enforcing a deleted policy', async () => {
    const host = 'deleted.example.com';
    await applyAndWait('create (for delete)', [policy('doomed', appNs, { hosts: [host] })], () => verdictOf(client, { host }), 'allow');
    const t0 = performance.now();
    await kubectlOk(KC, ['-n', appNs, 'delete', 'apipol', 'doomed']);
    const t1 = performance.now();
    await waitFor('deleted policy gone', () => verdictOf(client, { host }), (v) => v === 'no-policy', 10_000, 5);
    latencies.push({ what: 'delete', fromApplyStart: Math.round(performance.now() - t0), fromApiWrite: Math.round(performance.now() - t1) });
  });

  it('reports a replica that NACKs as Enforced=False Rejected with a Warning Event, and recovers when it leaves', async () => {
    const replica = nackingReplica(operator.grpcPort, 'broken-authz-0');
    try {
      const p = await waitForCondition(KC, appNs, 'orders', 'Enforced', 'False', 'Rejected');
      expect(condition(p, 'Enforced')?.message).toContain('authz-server broken-authz-0 rejected the snapshot');
      expect(condition(p, 'Enforced')?.message).toContain('test replica refuses every snapshot');
      await waitFor('SnapshotRejected event', () => eventsFor(KC, appNs, 'orders'), (es) => es.some((e) => e.reason === 'SnapshotRejected' && e.type === 'Warning'));
      expect(await counter(operator, 'palisade_operator_snapshot_acks_total', { result: 'nack' })).toBeGreaterThan(0);
      // the healthy authz-server is unaffected
      expect(await verdictOf(client, { host: 'orders.example.com', path: '/orders/1' })).toBe('allow');
    } finally {
      replica.close();
    }
    await waitForCondition(KC, appNs, 'orders', 'Enforced', 'True', 'Acknowledged');
  });

  it('writes the snapshot ConfigMap and exports metrics', async () => {
    const cm = await getJson<{ data?: Record<string, string>; metadata: { annotations: Record<string, string> } }>(KC, ['-n', opNs, 'configmap', 'palisade-snapshot']);
    const version = operator.snapshotServer.current?.version;
    expect(cm.metadata.annotations['palisade.dev/snapshot-version']).toBe(version);
    expect(JSON.parse(cm.data?.['snapshot.json'] ?? '{}')).toMatchObject({ version });
    const text = await (await fetch(`http://127.0.0.1:${operator.httpPort}/metrics`)).text();
    for (const name of [
      'palisade_operator_reconcile_duration_seconds_bucket',
      'palisade_operator_reconcile_errors_total',
      'palisade_operator_queue_depth',
      'palisade_operator_connected_replicas 1',
      `palisade_operator_snapshot_info{version="${version}"} 1`,
      'palisade_operator_leader 1',
    ]) {
      expect(text).toContain(name);
    }
    expect((await fetch(`http://127.0.0.1:${operator.httpPort}/readyz`)).status).toBe(200);
  });

  it('operator restart: the authz-server keeps enforcing, reconnects, and Enforced does not flap', async () => {
    const host = 'orders.example.com';
    const before = await waitForCondition(KC, appNs, 'orders', 'Enforced', 'True');
    const port = operator.grpcPort;
    await operator.stop();
    await waitFor('the authz-server to notice', () => log.lines.some((l) => l['msg'] === 'snapshot stream down; keeping the snapshot in force and reconnecting'), Boolean);
    expect(await verdictOf(client, { host, method: 'POST', path: '/orders/1' })).toBe('allow');
    expect(await verdictOf(client, { host, method: 'DELETE', path: '/orders/1' })).toBe('access');
    expect((await fetch(`http://127.0.0.1:${authz.httpPort}/readyz`)).status).toBe(200);

    // same address: the running authz-server reconnects by itself (this one also gzips every snapshot)
    operator = await startTestOperator({ kubeconfig: KC, namespace: opNs, watchNamespace: appNs, logger: log.logger, args: ['--grpc-port', String(port), '--gzip-above-bytes', '0'] });
    await waitFor('the authz-server to reconnect and ACK', () => operator.replicas(), (r) => r.length === 1 && r[0]?.ackedVersion === operator.snapshotServer.current?.version, 20_000);
    const same = await waitForCondition(KC, appNs, 'orders', 'Enforced', 'True', 'Acknowledged');
    expect(condition(same, 'Enforced')?.lastTransitionTime).toBe(condition(before, 'Enforced')?.lastTransitionTime);

    await applyAndWait(
      'update after operator restart',
      [policy('orders', appNs, { hosts: [host], rules: [{ methods: ['GET', 'POST', 'DELETE'], paths: ['/orders/**'] }] })],
      () => verdictOf(client, { host, method: 'DELETE', path: '/orders/1' }),
      'allow',
    );
    const after = await waitForCondition(KC, appNs, 'orders', 'Enforced', 'True', 'Acknowledged');
    expect(after.metadata.generation).toBe(before.metadata.generation + 1);
  });

  it('authz-server restart boots from the ConfigMap content (gzip) while no operator is reachable', async () => {
    const host = 'orders.example.com';
    const version = operator.snapshotServer.current?.version;
    const { value: cm } = await waitFor(
      'gzip ConfigMap',
      () => getJson<{ data?: Record<string, string>; binaryData?: Record<string, string>; metadata: { annotations: Record<string, string> } }>(KC, ['-n', opNs, 'configmap', 'palisade-snapshot']),
      (c) => c.metadata.annotations['palisade.dev/snapshot-version'] === version && c.binaryData?.['snapshot.json'] !== undefined,
    );
    expect(cm.data?.['snapshot.json']).toBeUndefined();
    expect(cm.metadata.annotations['palisade.dev/encoding']).toBe('json+gzip');
    // what the kubelet writes into the pod's volume for a binaryData key: the decoded bytes
    const file = join(dir, 'snapshot.json');
    await writeFile(file, Buffer.from(cm.binaryData?.['snapshot.json'] ?? '', 'base64'));
    await operator.stop();

    const restarted = await startTestServer(['--operator', '127.0.0.1:1', '--snapshot-file', file], log.logger);
    const c = authzClient(restarted.grpcPort);
    try {
      expect(restarted.holder.current()?.version).toBe(version);
      expect((await fetch(`http://127.0.0.1:${restarted.httpPort}/readyz`)).status).toBe(200);
      expect(await verdictOf(c, { host, method: 'DELETE', path: '/orders/1' })).toBe('allow');
      expect(await verdictOf(c, { host, method: 'PUT', path: '/orders/1' })).toBe('access');
      expect(await verdictOf(c, { host: 'unknown.example.com' })).toBe('no-policy');
    } finally {
      c.close();
      await restarted.stop();
    }
  });
});
