/**
 * Kubernetes Events (events.k8s.io/v1) about policies, for `kubectl describe` and `kubectl events`. Identical
 * events for one object are not repeated within the dedup window. Recording never throws: Events are
 * best-effort, a failure is logged and counted.
 */
import { V1MicroTime, type EventsV1Api } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { API_VERSION, KIND } from '../../lib/policy/schema.ts';
import { describeApiError } from './kube.ts';
import type { OperatorMetrics } from './metrics.ts';
import type { PolicyEvent } from './status.ts';

const REPORTING_CONTROLLER = 'palisade.dev/operator';

/** The object an Event is about: a policy unless `kind` says otherwise. */
export interface EventTarget {
  name: string;
  namespace: string;
  apiVersion?: string;
  kind?: string;
  uid?: string;
  resourceVersion?: string;
}

export class EventRecorder {
  readonly #api: EventsV1Api;
  readonly #identity: string;
  readonly #logger: Logger;
  readonly #metrics: OperatorMetrics | undefined;
  readonly #windowMs: number;
  readonly #recent = new Map<string, number>();
  #seq = 0;

  constructor(api: EventsV1Api, identity: string, logger: Logger, metrics?: OperatorMetrics, dedupWindowMs = 5 * 60_000) {
    this.#api = api;
    this.#identity = identity;
    this.#logger = logger.child({ component: 'events' });
    this.#metrics = metrics;
    this.#windowMs = dedupWindowMs;
  }

  async record(target: EventTarget, ev: PolicyEvent): Promise<void> {
    const now = Date.now();
    const key = `${target.uid ?? `${target.namespace}/${target.name}`}|${ev.type}|${ev.reason}|${ev.note}`;
    const last = this.#recent.get(key);
    if (last !== undefined && now - last < this.#windowMs) return;
    this.#recent.set(key, now);
    if (this.#recent.size > 2000) {
      for (const [k, t] of this.#recent) if (now - t >= this.#windowMs) this.#recent.delete(k);
    }
    try {
      await this.#api.createNamespacedEvent({
        namespace: target.namespace,
        body: {
          apiVersion: 'events.k8s.io/v1',
          kind: 'Event',
          // named like client-go's recorder: <object>.<unique hex>
          metadata: { name: `${target.name}.${(BigInt(now) * 1_000_000n + BigInt(++this.#seq)).toString(16)}`, namespace: target.namespace },
          eventTime: new V1MicroTime(now),
          reportingController: REPORTING_CONTROLLER,
          reportingInstance: this.#identity.slice(0, 128),
          action: ev.action,
          reason: ev.reason,
          type: ev.type,
          note: ev.note.slice(0, 1000),
          regarding: {
            apiVersion: target.apiVersion ?? API_VERSION,
            kind: target.kind ?? KIND,
            name: target.name,
            namespace: target.namespace,
            ...(target.uid ? { uid: target.uid } : {}),
            ...(target.resourceVersion ? { resourceVersion: target.resourceVersion } : {}),
          },
        },
      });
      this.#metrics?.events.inc({ type: ev.type, reason: ev.reason });
      this.#logger.info({ policy: `${target.namespace}/${target.name}`, type: ev.type, reason: ev.reason, note: ev.note }, 'event');
    } catch (err) {
      this.#recent.delete(key);
      this.#logger.warn({ policy: `${target.namespace}/${target.name}`, reason: ev.reason, err: describeApiError(err) }, 'could not record an event');
    }
  }
}
