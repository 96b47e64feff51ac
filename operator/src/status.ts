/**
 * Pure status computation for ApiProtectionPolicy: the `Accepted` and `Enforced` conditions (metav1.Condition
 * semantics: lastTransitionTime moves only when the status flips), the diff that decides whether a /status PATCH
 * is needed, and the Events a transition deserves. Messages avoid volatile details (snapshot versions, replica
 * counts) so that a change elsewhere in the cluster does not rewrite every policy's status.
 */
import { canonicalJson } from '../../lib/policy/canonical-json.ts';
import type { Condition, PolicyStatus } from '../../lib/policy/schema.ts';
import type { Violation } from '../../lib/policy/snapshot.ts';
import { compareText } from '../../lib/ordering.ts';

const ACCEPTED = 'Accepted';
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

function holdsGeneration(policyId: string, generation: number, lookup: VersionLookup) {
  return (version: string | null | undefined): boolean => {
    if (!version) return false;
    const g = lookup(version)?.get(policyId);
    return g !== undefined && g >= generation;
  };
}

/**
 * The Enforced condition: True once every connected replica has ACKed a snapshot version that holds the
 * generation in force (`inForce`: the current generation, or the last accepted one while the current is
 * refused; null when the policy is not in the snapshot).
 */
export function enforcedCondition(
  policyId: string,
  generation: number,
  inForce: number | null,
  replicas: readonly ReplicaState[],
  lookup: VersionLookup,
): DesiredCondition {
  const base = { type: ENFORCED, observedGeneration: generation };
  if (inForce === null) {
    return { ...base, status: 'False', reason: 'NotAccepted', message: 'The policy is not part of the snapshot (see the Accepted condition).' };
  }
  if (replicas.length === 0) {
    return { ...base, status: 'False', reason: 'NoReplicas', message: 'No authz-server replica is connected to the operator.' };
  }
  const holds = holdsGeneration(policyId, inForce, lookup);
  const which = inForce === generation ? `generation ${generation}` : `generation ${inForce} (the last accepted one; generation ${generation} is refused)`;
  const rejected = [...replicas]
    .sort((a, b) => compareText(a.pod, b.pod) || compareText(a.nodeId, b.nodeId))
    .find((r) => !holds(r.ackedVersion) && r.nack !== null && holds(r.nack.version));
  if (rejected?.nack) {
    return {
      ...base,
      status: 'False',
      reason: 'Rejected',
      message: `authz-server ${rejected.pod} rejected the snapshot holding ${which}: ${rejected.nack.error}`,
    };
  }
  if (replicas.every((r) => holds(r.ackedVersion))) {
    return { ...base, status: 'True', reason: 'Acknowledged', message: `Every connected authz-server replica enforces ${which}.` };
  }
  return { ...base, status: 'False', reason: 'Pending', message: `Waiting for every connected authz-server replica to acknowledge ${which}.` };
}

/** "enforcing/connected" replicas for the generation in force (null when the policy is not in the snapshot). */
export function enforcingReplicas(inForce: number | null, policyId: string, replicas: readonly ReplicaState[], lookup: VersionLookup): string | null {
  if (inForce === null) return null;
  const holds = holdsGeneration(policyId, inForce, lookup);
  return `${replicas.filter((r) => holds(r.ackedVersion)).length}/${replicas.length}`;
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
function rfc3339(d: Date): string {
  return `${d.toISOString().slice(0, 19)}Z`;
}

/** The part of the status this operator owns. null fields are removed by the merge patch. */
export interface OwnedStatus {
  observedGeneration: number;
  /** The generation the authz-servers are given (the last accepted one while the current is refused). */
  enforcedGeneration: number | null;
  /** "enforcing/connected" authz-server replicas for that generation. */
  enforcingReplicas: string | null;
  conditions: Condition[];
}

/** Computes the new status of one policy. */
export function desiredStatus(
  existing: PolicyStatus | undefined,
  generation: number,
  conditions: readonly DesiredCondition[],
  now: Date,
  extra: { enforcedGeneration: number | null; enforcingReplicas: string | null } = { enforcedGeneration: null, enforcingReplicas: null },
): OwnedStatus {
  return { observedGeneration: generation, ...extra, conditions: setConditions(existing?.conditions, conditions, now) };
}

/** True when the status on the server already says what `next` says (no PATCH needed). */
export function statusUpToDate(existing: PolicyStatus | undefined, next: OwnedStatus): boolean {
  if (!existing) return false;
  const norm = (cs: readonly Condition[] | undefined) => (cs ?? []).map((c) => ({ ...c, message: c.message ?? '' }));
  return (
    existing.observedGeneration === next.observedGeneration &&
    (existing.enforcedGeneration ?? null) === next.enforcedGeneration &&
    (existing.enforcingReplicas ?? null) === next.enforcingReplicas &&
    canonicalJson(norm(existing.conditions)) === canonicalJson(norm(next.conditions))
  );
}

/** The status as the API server stores it after the merge patch (null fields removed). */
export function statusView(next: OwnedStatus): PolicyStatus {
  return Object.fromEntries(Object.entries(next).filter(([, v]) => v !== null)) as PolicyStatus;
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
  const refusedAgain = acc?.status === 'False' && accPrev?.status === 'False' && (accPrev.message ?? '') !== (acc.message ?? '');
  if (acc && (!accPrev || accPrev.status !== acc.status || accPrev.reason !== acc.reason || refusedAgain)) {
    const generation = acc.observedGeneration ?? '?';
    events.push(
      acc.status === 'True'
        ? accPrev?.status === 'False'
          ? { type: 'Normal', reason: 'Recovered', action: 'Compile', note: `Generation ${generation} is accepted and enforced again (it was ${accPrev.reason}).` }
          : { type: 'Normal', reason: 'Accepted', action: 'Compile', note: `Generation ${generation} compiled into the snapshot.` }
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
