/**
 * Leader election with a coordination.k8s.io/v1 Lease, following client-go's leaderelection package:
 *  - a candidate takes the Lease when it is free or its holder has not renewed it for leaseDuration, measured on
 *    the local clock from when this candidate last saw the record change (no cross-node clock comparison);
 *  - every write is an optimistic-concurrency update (resourceVersion), so two candidates cannot both win;
 *  - the leader renews every retryPeriod and steps down when it could not renew for renewDeadline (or sees
 *    another holder), before any other candidate may consider the Lease expired;
 *  - on a clean stop the leader releases the Lease so a successor takes over at once.
 */
import { V1MicroTime, type CoordinationV1Api, type V1Lease } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { apiErrorCode, describeApiError } from './kube.ts';

export interface LeaderElectorOptions {
  api: CoordinationV1Api;
  namespace: string;
  name: string;
  identity: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  logger: Logger;
  onStartedLeading: () => void;
  onStoppedLeading: () => void;
  now?: () => number;
}

type Attempt = 'acquired' | 'renewed' | 'held-by-other' | 'failed';

/** Rejects when `p` takes longer than `ms` (the request itself is abandoned, not aborted). */
function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

export class LeaderElector {
  readonly #options: LeaderElectorOptions;
  readonly #logger: Logger;
  readonly #now: () => number;
  #leader = false;
  #stopped = false;
  #timer: NodeJS.Timeout | undefined;
  #lastRenew = 0;
  #observed: { key: string; at: number } | null = null;
  #loop: Promise<void> | null = null;
  #wake: (() => void) | null = null;

  constructor(options: LeaderElectorOptions) {
    this.#options = options;
    this.#logger = options.logger.child({ component: 'leader-election', lease: `${options.namespace}/${options.name}`, identity: options.identity });
    this.#now = options.now ?? Date.now;
  }

  isLeader(): boolean {
    return this.#leader;
  }

  start(): void {
    if (this.#loop) return;
    this.#loop = this.#run();
  }

  /** Stops campaigning; a leader releases the Lease first. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#wake?.();
    await this.#loop;
    if (this.#leader) {
      await this.#release();
      this.#setLeader(false);
    }
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      const result = await this.#tryAcquireOrRenew();
      if (this.#stopped) break;
      if (result === 'acquired' || result === 'renewed') {
        this.#lastRenew = this.#now();
        if (!this.#leader) this.#setLeader(true);
      } else if (this.#leader) {
        if (result === 'held-by-other') {
          this.#logger.warn('another replica holds the Lease; stepping down');
          this.#setLeader(false);
        } else if (this.#now() - this.#lastRenew > this.#options.renewDeadlineMs) {
          this.#logger.error({ renewDeadlineMs: this.#options.renewDeadlineMs }, 'could not renew the Lease in time; stepping down');
          this.#setLeader(false);
        }
      }
      const jitter = this.#leader ? 1 : 1 + Math.random() * 0.2;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        this.#timer = setTimeout(resolve, this.#options.retryPeriodMs * jitter);
        this.#timer.unref();
      });
      this.#wake = null;
    }
  }

  #setLeader(v: boolean): void {
    if (this.#leader === v) return;
    this.#leader = v;
    if (v) {
      this.#logger.info('became leader');
      this.#options.onStartedLeading();
    } else {
      this.#logger.info('no longer leader');
      this.#options.onStoppedLeading();
    }
  }

  #record(now: number, lease: V1Lease | null): V1Lease {
    const spec = lease?.spec ?? {};
    const renewing = spec.holderIdentity === this.#options.identity;
    const micro = new V1MicroTime(now);
    return {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: this.#options.name, namespace: this.#options.namespace, ...(lease?.metadata?.resourceVersion ? { resourceVersion: lease.metadata.resourceVersion } : {}) },
      spec: {
        holderIdentity: this.#options.identity,
        leaseDurationSeconds: Math.ceil(this.#options.leaseDurationMs / 1000),
        acquireTime: renewing && spec.acquireTime ? spec.acquireTime : micro,
        renewTime: micro,
        leaseTransitions: renewing ? (spec.leaseTransitions ?? 0) : (spec.leaseTransitions ?? -1) + 1,
      },
    };
  }

  async #tryAcquireOrRenew(): Promise<Attempt> {
    const { namespace, name } = this.#options;
    const ms = Math.max(500, Math.floor(this.#options.renewDeadlineMs / 2));
    const api = {
      readNamespacedLease: (p: { name: string; namespace: string }) => withTimeout(this.#options.api.readNamespacedLease(p), ms, 'reading the Lease'),
      createNamespacedLease: (p: { namespace: string; body: V1Lease }) => withTimeout(this.#options.api.createNamespacedLease(p), ms, 'creating the Lease'),
      replaceNamespacedLease: (p: { name: string; namespace: string; body: V1Lease }) =>
        withTimeout(this.#options.api.replaceNamespacedLease(p), ms, 'updating the Lease'),
    };
    const now = this.#now();
    let lease: V1Lease;
    try {
      lease = await api.readNamespacedLease({ name, namespace });
    } catch (err) {
      if (apiErrorCode(err) !== 404) {
        this.#logger.warn({ err: describeApiError(err) }, 'cannot read the Lease');
        return 'failed';
      }
      try {
        await api.createNamespacedLease({ namespace, body: this.#record(now, null) });
        this.#observed = null;
        return 'acquired';
      } catch (createErr) {
        if (apiErrorCode(createErr) !== 409) this.#logger.warn({ err: describeApiError(createErr) }, 'cannot create the Lease');
        return 'failed';
      }
    }
    const spec = lease.spec ?? {};
    const holder = spec.holderIdentity ?? '';
    const key = `${holder}|${String(spec.renewTime ?? '')}|${spec.leaseTransitions ?? 0}`;
    if (!this.#observed || this.#observed.key !== key) this.#observed = { key, at: now };
    const durationMs = (spec.leaseDurationSeconds ?? Math.ceil(this.#options.leaseDurationMs / 1000)) * 1000;
    if (holder !== '' && holder !== this.#options.identity && now < this.#observed.at + durationMs) return 'held-by-other';
    const renewing = holder === this.#options.identity;
    try {
      await api.replaceNamespacedLease({ name, namespace, body: this.#record(now, lease) });
    } catch (err) {
      if (apiErrorCode(err) !== 409) this.#logger.warn({ err: describeApiError(err) }, 'cannot update the Lease');
      return 'failed';
    }
    if (!renewing) this.#logger.info({ previous: holder || null }, 'took over the Lease');
    return renewing ? 'renewed' : 'acquired';
  }

  async #release(): Promise<void> {
    const { api, namespace, name } = this.#options;
    try {
      const lease = await api.readNamespacedLease({ name, namespace });
      if (lease.spec?.holderIdentity !== this.#options.identity) return;
      const body = this.#record(this.#now(), lease);
      body.spec = { ...body.spec, holderIdentity: '', leaseDurationSeconds: 1, leaseTransitions: lease.spec?.leaseTransitions ?? 0 };
      await api.replaceNamespacedLease({ name, namespace, body });
      this.#logger.info('released the Lease');
    } catch (err) {
      this.#logger.warn({ err: describeApiError(err) }, 'could not release the Lease (the next leader waits for it to expire)');
    }
  }
}
