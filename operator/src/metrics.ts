/** The operator's Prometheus metrics, registered on an injected registry (one per process; tests make their own). */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { registerProcessMetrics } from '../../lib/process/process-metrics.ts';

export interface OperatorMetrics {
  reconcileSeconds: Histogram<'kind'>;
  reconcileErrors: Counter<'kind'>;
  queueDepth: Gauge;
  connectedReplicas: Gauge;
  knownReplicas: Gauge;
  snapshotInfo: Gauge<'version'>;
  snapshotPolicies: Gauge;
  snapshotBytes: Gauge;
  snapshotsPublished: Counter;
  acks: Counter<'result'>;
  statusPatches: Counter<'result'>;
  events: Counter<'type' | 'reason'>;
  leader: Gauge;
  policyAccepted: Gauge<'namespace' | 'policy'>;
  policyEnforced: Gauge<'namespace' | 'policy'>;
  policyGeneration: Gauge<'namespace' | 'policy'>;
  policyEnforcedGeneration: Gauge<'namespace' | 'policy'>;
  policyConflict: Gauge<'namespace' | 'policy'>;
}

/** Registers the metrics (and Node's default process metrics) on `registry`. */
export function createOperatorMetrics(registry: Registry, queueDepth: () => number): OperatorMetrics {
  registerProcessMetrics(registry, 'palisade_operator_', { gcDurations: true });
  const registers = [registry];
  const policyLabels = ['namespace', 'policy'] as const;
  return {
    reconcileSeconds: new Histogram({
      name: 'palisade_operator_reconcile_duration_seconds',
      help: 'Reconcile duration by kind (snapshot: gather+compile+publish; status: one policy; configmap).',
      labelNames: ['kind'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    reconcileErrors: new Counter({ name: 'palisade_operator_reconcile_errors_total', help: 'Failed reconciles by kind (retried with backoff).', labelNames: ['kind'], registers }),
    queueDepth: new Gauge({
      name: 'palisade_operator_queue_depth',
      help: 'Keys waiting in the work queue.',
      registers,
      collect() {
        this.set(queueDepth());
      },
    }),
    connectedReplicas: new Gauge({ name: 'palisade_operator_connected_replicas', help: 'authz-server streams connected to this operator replica.', registers }),
    knownReplicas: new Gauge({ name: 'palisade_operator_known_replicas', help: 'authz-server replicas connected to any operator replica (leader view).', registers }),
    snapshotInfo: new Gauge({ name: 'palisade_operator_snapshot_info', help: 'The snapshot version served (value 1).', labelNames: ['version'], registers }),
    snapshotPolicies: new Gauge({ name: 'palisade_operator_snapshot_policies', help: 'Policies in the served snapshot.', registers }),
    snapshotBytes: new Gauge({ name: 'palisade_operator_snapshot_bytes', help: 'Encoded size of the served snapshot body.', registers }),
    snapshotsPublished: new Counter({ name: 'palisade_operator_snapshots_published_total', help: 'New snapshot versions published.', registers }),
    acks: new Counter({ name: 'palisade_operator_snapshot_acks_total', help: 'ACKs and NACKs received from authz-servers.', labelNames: ['result'], registers }),
    statusPatches: new Counter({ name: 'palisade_operator_status_patches_total', help: 'Status PATCHes by result.', labelNames: ['result'], registers }),
    events: new Counter({ name: 'palisade_operator_events_total', help: 'Kubernetes Events emitted.', labelNames: ['type', 'reason'], registers }),
    leader: new Gauge({ name: 'palisade_operator_leader', help: '1 while this replica holds the leader Lease.', registers }),
    policyAccepted: new Gauge({ name: 'palisade_operator_policy_accepted', help: '1 when the current generation of the policy is accepted as it is (Accepted=True).', labelNames: policyLabels, registers }),
    policyEnforced: new Gauge({ name: 'palisade_operator_policy_enforced', help: 'Leader only: 1 when every connected authz-server enforces the generation in force (Enforced=True).', labelNames: policyLabels, registers }),
    policyGeneration: new Gauge({ name: 'palisade_operator_policy_generation', help: 'metadata.generation of the policy.', labelNames: policyLabels, registers }),
    policyEnforcedGeneration: new Gauge({ name: 'palisade_operator_policy_enforced_generation', help: 'Generation in the served snapshot (0: none; behind the generation: a refused edit).', labelNames: policyLabels, registers }),
    policyConflict: new Gauge({ name: 'palisade_operator_policy_conflict', help: '1 while the policy claims a host another policy also claims (both are marked).', labelNames: policyLabels, registers }),
  };
}
