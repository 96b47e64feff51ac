import { describe, expect, it } from 'vitest';
import type { Condition } from '../../lib/policy/schema.ts';
import {
  acceptedCondition,
  desiredStatus,
  enforcedCondition,
  enforcingReplicas,
  setConditions,
  statusMergePatch,
  statusUpToDate,
  statusView,
  transitionEvents,
  type ReplicaState,
  type VersionLookup,
} from './status.ts';

const T0 = new Date('2026-01-01T00:00:00.123Z');
const T1 = new Date('2026-01-01T00:05:00Z');

const versions: Record<string, Record<string, number>> = {
  v1: { 'shop/orders': 1 },
  v2: { 'shop/orders': 2, 'shop/cart': 1 },
  v3: { 'shop/cart': 1 },
};
const lookup: VersionLookup = (v) => {
  const m = versions[v];
  return m ? new Map(Object.entries(m)) : undefined;
};
const replica = (pod: string, acked: string | null, nack: ReplicaState['nack'] = null): ReplicaState => ({ nodeId: `${pod}-id`, pod, ackedVersion: acked, nack });

describe('Accepted', () => {
  it('is True/Compiled without a violation', () => {
    expect(acceptedCondition(undefined, 3)).toMatchObject({ type: 'Accepted', status: 'True', reason: 'Compiled', observedGeneration: 3 });
  });
  it('carries the compiler reason and field', () => {
    const c = acceptedCondition({ policy: 'shop/b', reason: 'Conflict', field: 'spec.hosts', message: 'host(s) a.example.com already claimed by older policy shop/a', included: false }, 2);
    expect(c).toEqual({
      type: 'Accepted',
      status: 'False',
      reason: 'Conflict',
      observedGeneration: 2,
      message: 'spec.hosts: host(s) a.example.com already claimed by older policy shop/a. The policy is not part of the snapshot.',
    });
    const s = acceptedCondition({ policy: 'shop/b', reason: 'SecretNotFound', message: 'no Secret matches; only inline keys are active', included: true }, 1);
    expect(s.status).toBe('False');
    expect(s.reason).toBe('SecretNotFound');
    expect(s.message).toBe('no Secret matches; only inline keys are active.');
  });
});

describe('Enforced', () => {
  it('NotAccepted when the policy is not in the snapshot', () => {
    expect(enforcedCondition('shop/orders', 1, null, [replica('a', 'v1')], lookup).reason).toBe('NotAccepted');
  });
  it('NoReplicas without connected replicas', () => {
    expect(enforcedCondition('shop/orders', 1, 1, [], lookup)).toMatchObject({ status: 'False', reason: 'NoReplicas' });
  });
  it('True when every replica ACKed a version with this generation or newer', () => {
    expect(enforcedCondition('shop/orders', 1, 1, [replica('a', 'v1'), replica('b', 'v2')], lookup)).toMatchObject({ status: 'True', reason: 'Acknowledged' });
  });
  it('Pending while a replica lags, or acked a version without the policy, or an unknown version', () => {
    expect(enforcedCondition('shop/orders', 2, 2, [replica('a', 'v1'), replica('b', 'v2')], lookup).reason).toBe('Pending');
    expect(enforcedCondition('shop/orders', 1, 1, [replica('a', 'v3')], lookup).reason).toBe('Pending');
    expect(enforcedCondition('shop/orders', 1, 1, [replica('a', 'v9')], lookup).reason).toBe('Pending');
    expect(enforcedCondition('shop/orders', 1, 1, [replica('a', null)], lookup).reason).toBe('Pending');
  });
  it('Rejected when a replica NACKed the version holding this generation', () => {
    const c = enforcedCondition('shop/orders', 2, 2, [replica('b', 'v2'), replica('a', 'v1', { version: 'v2', error: 'bad regex' })], lookup);
    expect(c).toMatchObject({ status: 'False', reason: 'Rejected' });
    expect(c.message).toContain('authz-server a rejected');
    expect(c.message).toContain('bad regex');
    // a NACK of a version that does not hold this generation does not matter
    expect(enforcedCondition('shop/cart', 1, 1, [replica('a', 'v3', { version: 'v1', error: 'x' })], lookup).reason).toBe('Acknowledged');
  });
  it('measures a refused generation against the last accepted one in force', () => {
    expect(enforcedCondition('shop/orders', 3, 1, [replica('a', 'v1')], lookup)).toMatchObject({
      status: 'True',
      reason: 'Acknowledged',
      message: 'Every connected authz-server replica enforces generation 1 (the last accepted one; generation 3 is refused).',
    });
    expect(enforcingReplicas(1, 'shop/orders', [replica('a', 'v1'), replica('b', null)], lookup)).toBe('1/2');
    expect(enforcingReplicas(null, 'shop/orders', [replica('a', 'v1')], lookup)).toBeNull();
  });
  it('does not mention volatile counts or versions (no status churn on scale-out)', () => {
    const one = enforcedCondition('shop/orders', 1, 1, [replica('a', 'v1')], lookup);
    const three = enforcedCondition('shop/orders', 1, 1, [replica('a', 'v1'), replica('b', 'v2'), replica('c', 'v2')], lookup);
    expect(three).toEqual(one);
  });
});

describe('setConditions / status diff', () => {
  const accepted = acceptedCondition(undefined, 1);
  const enforced = enforcedCondition('shop/orders', 1, 1, [replica('a', 'v1')], lookup);

  it('sets lastTransitionTime on first write (second precision)', () => {
    const cs = setConditions(undefined, [accepted, enforced], T0);
    expect(cs.map((c) => c.lastTransitionTime)).toEqual(['2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z']);
  });

  it('keeps lastTransitionTime when the status does not change, even if reason/message/generation do', () => {
    const first = setConditions(undefined, [accepted], T0);
    const next = setConditions(first, [{ ...accepted, observedGeneration: 2, message: 'other' }], T1);
    expect(next[0]).toMatchObject({ lastTransitionTime: '2026-01-01T00:00:00Z', observedGeneration: 2, message: 'other' });
    const flipped = setConditions(next, [{ ...accepted, status: 'False', reason: 'InvalidSpec' }], T1);
    expect(flipped[0]?.lastTransitionTime).toBe('2026-01-01T00:05:00Z');
  });

  it('keeps conditions of other types', () => {
    const foreign: Condition = { type: 'Ready', status: 'True', reason: 'X', lastTransitionTime: '2025-01-01T00:00:00Z' };
    const cs = setConditions([foreign], [accepted], T0);
    expect(cs.map((c) => c.type)).toEqual(['Accepted', 'Ready']);
  });

  it('reports up to date only when generation and conditions are equal', () => {
    const status = desiredStatus(undefined, 1, [accepted, enforced], T0);
    expect(statusUpToDate(undefined, status)).toBe(false);
    expect(statusUpToDate(statusView(status), status)).toBe(true);
    const again = desiredStatus(statusView(status), 1, [accepted, enforced], T1);
    expect(statusUpToDate(statusView(status), again)).toBe(true);
    const bumped = desiredStatus(statusView(status), 2, [{ ...accepted, observedGeneration: 2 }, { ...enforced, observedGeneration: 2 }], T1);
    expect(statusUpToDate(statusView(status), bumped)).toBe(false);
    expect(statusMergePatch(bumped)).toEqual({ status: bumped });
  });
});

describe('transition events', () => {
  const at = (c: ReturnType<typeof acceptedCondition>[]): Condition[] => setConditions(undefined, c, T0);
  it('emits on Accepted flips and reason changes, not on repeats', () => {
    const ok = at([acceptedCondition(undefined, 1)]);
    const conflict = at([acceptedCondition({ policy: 'p', reason: 'Conflict', message: 'taken', included: false }, 1)]);
    const invalid = at([acceptedCondition({ policy: 'p', reason: 'InvalidSpec', message: 'bad', included: false }, 1)]);
    expect(transitionEvents(undefined, ok)).toEqual([expect.objectContaining({ type: 'Normal', reason: 'Accepted' })]);
    expect(transitionEvents(ok, conflict)).toEqual([expect.objectContaining({ type: 'Warning', reason: 'Conflict', note: 'taken. The policy is not part of the snapshot.' })]);
    expect(transitionEvents(conflict, invalid)).toEqual([expect.objectContaining({ type: 'Warning', reason: 'InvalidSpec' })]);
    expect(transitionEvents(conflict, conflict)).toEqual([]);
    const otherConflict = at([acceptedCondition({ policy: 'p', reason: 'Conflict', message: 'taken by another', included: false }, 1)]);
    expect(transitionEvents(conflict, otherConflict)).toEqual([expect.objectContaining({ type: 'Warning', reason: 'Conflict' })]);
    expect(transitionEvents(invalid, ok)).toEqual([expect.objectContaining({ type: 'Normal', reason: 'Recovered', note: expect.stringContaining('it was InvalidSpec') })]);
  });
  it('emits SnapshotRejected on a NACK and Enforced when enforcement is reached', () => {
    const pending = at([enforcedCondition('shop/orders', 2, 2, [replica('a', 'v1')], lookup)]);
    const rejected = at([enforcedCondition('shop/orders', 2, 2, [replica('a', 'v1', { version: 'v2', error: 'boom' })], lookup)]);
    const enforced = at([enforcedCondition('shop/orders', 2, 2, [replica('a', 'v2')], lookup)]);
    expect(transitionEvents(pending, rejected)).toEqual([expect.objectContaining({ type: 'Warning', reason: 'SnapshotRejected' })]);
    expect(transitionEvents(rejected, rejected)).toEqual([]);
    expect(transitionEvents(rejected, enforced)).toEqual([expect.objectContaining({ type: 'Normal', reason: 'Enforced' })]);
    expect(transitionEvents(enforced, enforced)).toEqual([]);
  });
});
