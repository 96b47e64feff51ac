import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { gzipSync } from 'node:zlib';
import { pino } from 'pino';
import type { Snapshot } from '../../lib/policy/snapshot.ts';
import { ACCEPTED_KEY, CONFIGMAP_KEY, Controller, SNAPSHOT_KEY, compileFromCache, statusKey, type PolicyObject } from './controller.ts';
import { VersionHistory } from './distribution.ts';
import type { EventTarget } from './events.ts';
import { MAX_CONFIGMAP_PAYLOAD_BYTES, SnapshotTooLargeError, snapshotConfigMap } from './snapshot-configmap.ts';
import { statusView, type OwnedStatus, type PolicyEvent, type ReplicaState } from './status.ts';

const NOW = new Date('2026-05-01T10:00:00Z');

function pol(name: string, spec: Record<string, unknown>, extra: { generation?: number; created?: string; status?: PolicyObject['status'] } = {}): PolicyObject {
  return {
    apiVersion: 'palisade.dev/v1alpha1',
    kind: 'ApiProtectionPolicy',
    metadata: { name, namespace: 'shop', uid: `uid-${name}`, generation: extra.generation ?? 1, resourceVersion: '1', creationTimestamp: extra.created ?? '2026-01-01T00:00:00Z' },
    spec,
    ...(extra.status ? { status: extra.status } : {}),
  };
}

/** A controller over in-memory caches, recording what it writes. */
function harness(initial: PolicyObject[], opts: { leader?: boolean; replicas?: ReplicaState[]; graceUntil?: number } = {}) {
  const policies = new Map(initial.map((p) => [`${p.metadata?.namespace}/${p.metadata?.name}`, p]));
  const queued: string[] = [];
  const published: Snapshot[] = [];
  const statusWrites: Array<{ target: EventTarget; status: OwnedStatus }> = [];
  const events: Array<{ target: EventTarget; ev: PolicyEvent }> = [];
  const history = new VersionHistory();
  const state = { leader: opts.leader ?? true, replicas: opts.replicas ?? [], graceUntil: opts.graceUntil ?? 0 };
  const controller = new Controller({
    policies: { list: () => [...policies.values()], get: (name, ns) => policies.get(`${ns}/${name}`) },
    secrets: { list: () => [] },
    publisher: {
      publish: (s) => {
        published.push(s);
        history.record(s);
      },
      lookup: history.lookup,
    },
    replicas: () => state.replicas,
    statusWriter: {
      write: async (target, status) => {
        statusWrites.push({ target, status });
        // what the informer would then deliver
        const key = `${target.namespace}/${target.name}`;
        const cur = policies.get(key);
        if (cur) policies.set(key, { ...cur, metadata: { ...cur.metadata, resourceVersion: String(Number(cur.metadata?.resourceVersion ?? 0) + 1) }, status: statusView(status) });
        return 'ok';
      },
    },
    configMapWriter: { write: async () => {} },
    events: {
      record: async (target, ev) => {
        events.push({ target, ev });
      },
    },
    enqueue: (k) => queued.push(k),
    isLeader: () => state.leader,
    enforcedGraceUntil: () => state.graceUntil,
    logger: pino({ level: 'silent' }),
    now: () => NOW,
  });
  /** Runs queued keys until the queue is empty (deduplicated, like the work queue). */
  async function drain(): Promise<void> {
    while (queued.length > 0) {
      const key = queued.shift() as string;
      if (queued.includes(key)) continue;
      await controller.handle(key);
    }
  }
  return { controller, policies, queued, published, statusWrites, events, state, drain, history };
}

describe('compileFromCache', () => {
  it('reports structurally invalid objects as InvalidSpec with the field, and compiles the rest', () => {
    const state = compileFromCache([pol('good', { hosts: ['a.example.com'] }), pol('bad', { hosts: ['b.example.com'], mode: 'Block' })], [], NOW);
    expect([...state.included]).toEqual(['shop/good']);
    expect(state.violations.get('shop/bad')).toMatchObject({ reason: 'InvalidSpec', field: 'spec.mode', included: false });
    expect(state.generations.get('shop/bad')).toBe(1);
  });

  it('reads Secrets as the typed client delivers them (no kind, Date timestamps)', () => {
    const secret = { metadata: { name: 's', namespace: 'shop', labels: { 'palisade.dev/api-key': 'x' }, creationTimestamp: new Date() }, data: { key: Buffer.from('k1').toString('base64') } };
    const p = pol('keys', { hosts: ['k.example.com'], authentication: { apiKeys: { secretSelector: { matchLabels: { 'palisade.dev/api-key': 'x' } } } } });
    const state = compileFromCache([p], [secret], NOW);
    expect(state.violations.size).toBe(0);
    expect(state.snapshot.policies[0]?.authentication.apiKeys?.keys[0]?.source).toBe('secret:shop/s');
  });

  it('reads OpenAPI descriptions from ConfigMaps as the typed client delivers them (gzip in binaryData)', () => {
    const description = JSON.stringify({ openapi: '3.1.0', info: { title: 'Orders', version: '1' }, paths: { '/orders': { get: { responses: {} } } } });
    const cm = { metadata: { name: 'orders-api', namespace: 'shop', labels: { 'palisade.dev/openapi': 'orders' } }, binaryData: { 'openapi.json': gzipSync(description).toString('base64') } };
    const p = pol('api', { hosts: ['api.example.com'], openapi: { configMapRef: { name: 'orders-api', key: 'openapi.json' } } });
    const state = compileFromCache([p], [], NOW, new Map(), [cm]);
    expect(state.violations.size).toBe(0);
    expect(state.snapshot.policies[0]?.api).toMatchObject({ source: 'configmap:shop/orders-api/openapi.json', title: 'Orders', operations: [{ method: 'GET', path: '/orders' }] });
    const missing = compileFromCache([p], [], NOW);
    expect(missing.violations.get('shop/api')).toMatchObject({ reason: 'InvalidSpec', field: 'spec.openapi.configMapRef', included: false });
  });
});

describe('Controller', () => {
  it('publishes only new versions and enqueues status for policies that need it (leader only)', async () => {
    const h = harness([pol('a', { hosts: ['a.example.com'] })]);
    await h.controller.handle(SNAPSHOT_KEY);
    expect(h.published).toHaveLength(1);
    expect(h.queued).toEqual([CONFIGMAP_KEY, ACCEPTED_KEY, statusKey('shop', 'a')]);
    h.queued.length = 0;
    await h.controller.handle(SNAPSHOT_KEY);
    expect(h.published).toHaveLength(1);

    const follower = harness([pol('a', { hosts: ['a.example.com'] })], { leader: false });
    await follower.controller.handle(SNAPSHOT_KEY);
    expect(follower.published).toHaveLength(1);
    expect(follower.queued).toEqual([]);
    await follower.controller.handle(statusKey('shop', 'a'));
    expect(follower.statusWrites).toEqual([]);
  });

  it('writes status once per change, with Events for transitions', async () => {
    const h = harness([pol('a', { hosts: ['a.example.com'] })]);
    h.queued.push(SNAPSHOT_KEY);
    await h.drain();
    expect(h.statusWrites).toHaveLength(1);
    expect(h.statusWrites[0]?.status.conditions.map((c) => `${c.type}=${c.status}/${c.reason}`)).toEqual(['Accepted=True/Compiled', 'Enforced=False/NoReplicas']);
    expect(h.events.map((e) => e.ev.reason)).toEqual(['Accepted']);

    // nothing changed: no write
    h.queued.push(SNAPSHOT_KEY, statusKey('shop', 'a'));
    await h.drain();
    expect(h.statusWrites).toHaveLength(1);

    // a replica ACKs the version: Enforced flips, one write, one Event
    h.state.replicas = [{ nodeId: 'n1', pod: 'authz-0', ackedVersion: h.published[0]?.version ?? '', nack: null }];
    h.controller.onDistributionChange();
    await h.drain();
    expect(h.statusWrites).toHaveLength(2);
    expect(h.statusWrites[1]?.status.conditions[1]).toMatchObject({ type: 'Enforced', status: 'True', reason: 'Acknowledged' });
    expect(h.events.map((e) => e.ev.reason)).toEqual(['Accepted', 'Enforced']);
  });

  it('marks the newer of two policies claiming a host as Conflict', async () => {
    const h = harness([
      pol('old', { hosts: ['x.example.com'] }, { created: '2026-01-01T00:00:00Z' }),
      pol('new', { hosts: ['x.example.com'] }, { created: '2026-01-02T00:00:00Z' }),
    ]);
    h.queued.push(SNAPSHOT_KEY);
    await h.drain();
    const byName = new Map(h.statusWrites.map((w) => [w.target.name, w.status.conditions[0]]));
    expect(byName.get('old')).toMatchObject({ status: 'True', reason: 'Compiled' });
    expect(byName.get('new')).toMatchObject({ status: 'False', reason: 'Conflict' });
    expect(h.events.find((e) => e.target.name === 'new')?.ev).toMatchObject({ type: 'Warning', reason: 'Conflict' });
  });

  it('keeps the last accepted generation in force when a new one is refused, and remembers it for the store', async () => {
    const keys = (second: string) => ({ hosts: ['a.example.com'], authentication: { apiKeys: { keys: [{ consumer: 'x', sha256: 'a'.repeat(64) }, { consumer: second, sha256: 'a'.repeat(64) }] } } });
    const h = harness([pol('a', keys('x'))]);
    h.queued.push(SNAPSHOT_KEY);
    await h.drain();
    expect(h.controller.lastAccepted.get('shop/a')?.metadata.generation).toBe(1);
    h.policies.set('shop/a', pol('a', keys('y'), { generation: 2, status: h.policies.get('shop/a')?.status }));
    h.queued.push(SNAPSHOT_KEY);
    await h.drain();
    expect(h.published.at(-1)?.policies.map((p) => [p.id, p.generation])).toEqual([['shop/a', 1]]);
    expect(h.controller.lastAccepted.get('shop/a')?.metadata.generation).toBe(1);
    const last = h.statusWrites.at(-1)?.status;
    expect(last).toMatchObject({ observedGeneration: 2, enforcedGeneration: 1 });
    expect(last?.conditions[0]).toMatchObject({ type: 'Accepted', status: 'False', reason: 'InvalidSpec', message: expect.stringContaining('Generation 1 stays in force') });
    expect(h.events.at(-1)?.ev).toMatchObject({ type: 'Warning', reason: 'InvalidSpec' });

    // seeded from the store after a restart: a fresh controller enforces generation 1 from its first compile
    const fresh = harness([pol('a', keys('y'), { generation: 2 })]);
    fresh.controller.seedAccepted(h.controller.lastAccepted);
    await fresh.controller.handle(SNAPSHOT_KEY);
    expect(fresh.published[0]?.policies.map((p) => p.generation)).toEqual([1]);
  });

  it('leaves status alone while the cache holds a generation the last compile has not seen', async () => {
    const h = harness([pol('a', { hosts: ['a.example.com'] })]);
    await h.controller.handle(SNAPSHOT_KEY);
    h.policies.set('shop/a', pol('a', { hosts: ['a.example.com', 'b.example.com'] }, { generation: 2 }));
    await h.controller.handle(statusKey('shop', 'a'));
    expect(h.statusWrites).toEqual([]);
  });

  it('recompiles on spec changes but not on status-only updates', async () => {
    const h = harness([pol('a', { hosts: ['a.example.com'] })]);
    await h.controller.handle(SNAPSHOT_KEY);
    h.queued.length = 0;
    h.controller.onPolicyEvent(pol('a', { hosts: ['a.example.com'] }), 'update');
    expect(h.queued).toEqual([statusKey('shop', 'a')]);
    h.queued.length = 0;
    h.controller.onPolicyEvent(pol('a', { hosts: ['z.example.com'] }, { generation: 2 }), 'update');
    h.controller.onPolicyEvent(pol('b', { hosts: ['b.example.com'] }), 'add');
    expect(h.queued).toEqual([SNAPSHOT_KEY, statusKey('shop', 'a'), SNAPSHOT_KEY, statusKey('shop', 'b')]);
  });

  it('keeps Enforced=True during the grace period after a leader change while replicas reconnect', async () => {
    const enforced = {
      observedGeneration: 1,
      enforcedGeneration: 1,
      enforcingReplicas: '1/1',
      conditions: [
        { type: 'Accepted', status: 'True' as const, reason: 'Compiled', message: 'The policy is valid and compiled into the snapshot.', observedGeneration: 1, lastTransitionTime: '2026-01-01T00:00:00Z' },
        { type: 'Enforced', status: 'True' as const, reason: 'Acknowledged', message: 'Every connected authz-server replica enforces generation 1.', observedGeneration: 1, lastTransitionTime: '2026-01-01T00:00:00Z' },
      ],
    };
    const h = harness([pol('a', { hosts: ['a.example.com'] }, { status: enforced })], { graceUntil: NOW.getTime() + 5_000 });
    await h.controller.handle(SNAPSHOT_KEY);
    const result = await h.controller.handle(statusKey('shop', 'a'));
    expect(h.statusWrites).toEqual([]);
    expect(result).toEqual({ requeueAfterMs: 5_050 });
    h.state.graceUntil = 0;
    await h.controller.handle(statusKey('shop', 'a'));
    expect(h.statusWrites[0]?.status.conditions[1]).toMatchObject({ status: 'False', reason: 'NoReplicas' });
  });
});

describe('snapshot ConfigMap', () => {
  const snapshot = compileFromCache([pol('a', { hosts: ['a.example.com'] })], [], NOW).snapshot;
  it('keeps small snapshots as plain JSON in data', () => {
    const cm = snapshotConfigMap('palisade-snapshot', 'palisade', snapshot, 1 << 20);
    expect(JSON.parse(cm.data?.['snapshot.json'] ?? '')).toMatchObject({ version: snapshot.version });
    expect(cm.binaryData).toBeUndefined();
    expect(cm.metadata?.annotations?.['palisade.dev/snapshot-version']).toBe(snapshot.version);
  });
  it('gzips large ones into binaryData', () => {
    const cm = snapshotConfigMap('palisade-snapshot', 'palisade', snapshot, 0);
    expect(cm.data).toBeUndefined();
    const raw = gunzipSync(Buffer.from(cm.binaryData?.['snapshot.json'] ?? '', 'base64')).toString();
    expect(JSON.parse(raw)).toMatchObject({ version: snapshot.version });
    expect(cm.metadata?.annotations?.['palisade.dev/encoding']).toBe('json+gzip');
  });
  it('refuses what a ConfigMap cannot hold', () => {
    const keys = Array.from({ length: 9_000 }, (_, i) => ({ consumer: `c${i}`, sha256: i.toString(16).padStart(64, '0') }));
    const big = compileFromCache(
      ['a', 'b'].map((n) => pol(n, { hosts: [`${n}.example.com`], authentication: { apiKeys: { keys } } })),
      [],
      NOW,
    ).snapshot;
    expect(big.policies).toHaveLength(2);
    expect(() => snapshotConfigMap('s', 'n', big, 1 << 30)).toThrow(SnapshotTooLargeError);
    expect(() => snapshotConfigMap('s', 'n', big, 1 << 30)).toThrow(String(MAX_CONFIGMAP_PAYLOAD_BYTES));
    // compressed, the same snapshot fits
    expect(snapshotConfigMap('s', 'n', big, 0).binaryData).toBeDefined();
  });
});
