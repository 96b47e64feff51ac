/**
 * Pure status computation for ApiProtectionPolicy: the `Accepted` and `Enforced` conditions (metav1.Condition
 * semantics: lastTransitionTime moves only when the status flips), the diff that decides whether a /status PATCH
 * is needed, and the Events a transition deserves. Messages avoid volatile details (snapshot versions, replica
 * counts) so that a change elsewhere in the cluster does not rewrite every policy's status.
 */
import { canonicalJson } from '../../lib/policy/canonical-json.ts';
import type { Condition, PolicyStatus } from '../../lib/policy/schema.ts';
import type { Violation } from '../../lib/policy/snapshot.ts';

export const ACCEPTED = 'Accepted';
export const ENFORCED = 'Enforced';

/** A condition before lastTransitionTime is decided. */
export interface DesiredCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  observedGeneration: number;
}

/** One authz-server replica as the operators see it. */
export interface ReplicaState {
  /** Unique per authz-server process. */
  nodeId: string;
  pod: string;
  /** Last version it ACKed (null: none yet). */
  ackedVersion: string | null;
  /** Its last NACK, cleared by a later ACK. */
  nack: { version: string; error: string } | null;
}

/** policy id -> generation for a snapshot version the operator has compiled (undefined: unknown version). */
export type VersionLookup = (version: string) => ReadonlyMap<string, number> | undefined;

/** The Accepted condition from the compiler's verdict on one policy. */
export function acceptedCondition(violation: Violation | undefined, generation: number): DesiredCondition {
  if (!violation) {
    return { type: ACCEPTED, status: 'True', reason: 'Compiled', message: 'The policy is valid and compiled into the snapshot.', observedGeneration: generation };
  }
  const where = violation.field ? `${violation.field}: ` : '';
  const text = /[.!?]$/.test(violation.message) ? violation.message : `${violation.message}.`;
  const suffix = violation.included ? '' : ' The policy is not part of the snapshot.';
  return { type: ACCEPTED, status: 'False', reason: violation.reason, message: `${where}${text}${suffix}`, observedGeneration: generation };
}

/**
 * The Enforced condition: True once every connected replica has ACKed a snapshot version that holds this
 * generation of the policy (or a newer one).
 */
export function enforcedCondition(
  policyId: string,
  generation: number,
  included: boolean,
  replicas: readonly ReplicaState[],
  lookup: VersionLookup,
): DesiredCondition {
  const base = { type: ENFORCED, observedGeneration: generation };
  if (!included) {
    return { ...base, status: 'False', reason: 'NotAccepted', message: 'The policy is not part of the snapshot (see the Accepted condition).' };
  }
  if (replicas.length === 0) {
    return { ...base, status: 'False', reason: 'NoReplicas', message: 'No authz-server replica is connected to the operator.' };
  }
  const holds = (version: string | null | undefined) => {
    if (!version) return false;
    const g = lookup(version)?.get(policyId);
    return g !== undefined && g >= generation;
  };
  const rejected = [...replicas]
    .sort((a, b) => a.pod.localeCompare(b.pod) || a.nodeId.localeCompare(b.nodeId))
    .find((r) => !holds(r.ackedVersion) && r.nack !== null && holds(r.nack.version));
  if (rejected?.nack) {
    return {
      ...base,
      status: 'False',
      reason: 'Rejected',
      message: `authz-server ${rejected.pod} rejected the snapshot holding generation ${generation}: ${rejected.nack.error}`,
    };
  }
  if (replicas.every((r) => holds(r.ackedVersion))) {
    return { ...base, status: 'True', reason: 'Acknowledged', message: `Every connected authz-server replica enforces generation ${generation}.` };
  }
  return { ...base, status: 'False', reason: 'Pending', message: `Waiting for every connected authz-server replica to acknowledge generation ${generation}.` };
}

/**
 * Merges desired conditions into existing ones like apimachinery's meta.SetStatusCondition: lastTransitionTime
 * is kept unless the status changes; conditions of other types (other controllers) are kept after ours.
 */
export function setConditions(existing: readonly Condition[] | undefined, desired: readonly DesiredCondition[], now: Date): Condition[] {
  const old = new Map((existing ?? []).map((c) => [c.type, c]));
  const ours = desired.map((d): Condition => {
    const prev = old.get(d.type);
    const lastTransitionTime = prev && prev.status === d.status && prev.lastTransitionTime ? prev.lastTransitionTime : rfc3339(now);
    return { type: d.type, status: d.status, reason: d.reason, message: d.message, observedGeneration: d.observedGeneration, lastTransitionTime };
  });
  const types = new Set(desired.map((d) => d.type));
  return [...ours, ...(existing ?? []).filter((c) => !types.has(c.type))];
}

/** metav1.Time has second precision. */
export function rfc3339(d: Date): string {
  return `${d.toISOString().slice(0, 19)}Z`;
}

/** The part of the status this operator owns. */
export interface OwnedStatus {
  observedGeneration: number;
  conditions: Condition[];
}

/** Computes the new status of one policy. */
export function desiredStatus(existing: PolicyStatus | undefined, generation: number, conditions: readonly DesiredCondition[], now: Date): OwnedStatus {
  return { observedGeneration: generation, conditions: setConditions(existing?.conditions, conditions, now) };
}

/** True when the status on the server already says what `next` says (no PATCH needed). */
export function statusUpToDate(existing: PolicyStatus | undefined, next: OwnedStatus): boolean {
  if (!existing) return false;
  const norm = (cs: readonly Condition[] | undefined) => (cs ?? []).map((c) => ({ ...c, message: c.message ?? '' }));
  return existing.observedGeneration === next.observedGeneration && canonicalJson(norm(existing.conditions)) === canonicalJson(norm(next.conditions));
}

/** JSON merge patch for the /status subresource (conditions are replaced as a whole list). */
export function statusMergePatch(next: OwnedStatus): { status: OwnedStatus } {
  return { status: next };
}

/** An Event worth telling users about. */
export interface PolicyEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  action: string;
  note: string;
}

/** Events for condition transitions: Accepted flips (and reason changes), NACKs, and enforcement reached. */
export function transitionEvents(before: readonly Condition[] | undefined, after: readonly Condition[]): PolicyEvent[] {
  const prev = new Map((before ?? []).map((c) => [c.type, c]));
  const events: PolicyEvent[] = [];
  const acc = after.find((c) => c.type === ACCEPTED);
  const accPrev = prev.get(ACCEPTED);
  if (acc && (!accPrev || accPrev.status !== acc.status || accPrev.reason !== acc.reason)) {
    events.push(
      acc.status === 'True'
        ? { type: 'Normal', reason: 'Accepted', action: 'Compile', note: `Generation ${acc.observedGeneration ?? '?'} compiled into the snapshot.` }
        : { type: 'Warning', reason: acc.reason, action: 'Compile', note: acc.message ?? acc.reason },
    );
  }
  const enf = after.find((c) => c.type === ENFORCED);
  const enfPrev = prev.get(ENFORCED);
  if (enf && enf.reason === 'Rejected' && (enfPrev?.reason !== 'Rejected' || enfPrev.message !== enf.message)) {
    events.push({ type: 'Warning', reason: 'SnapshotRejected', action: 'Distribute', note: enf.message ?? 'rejected' });
  }
  if (enf && enf.status === 'True' && (enfPrev?.status !== 'True' || enfPrev.observedGeneration !== enf.observedGeneration)) {
    events.push({ type: 'Normal', reason: 'Enforced', action: 'Distribute', note: enf.message ?? 'enforced' });
  }
  return events;
}
