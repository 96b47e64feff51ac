/**
 * Kubernetes plumbing for the operator: API clients from a kubeconfig, patch content types, error codes, and
 * informers that restart themselves (client-node's ListWatch stops on a watch or list error).
 */
import { Backoff } from '../../lib/process/backoff.ts';
import {
  CoordinationV1Api,
  CoreV1Api,
  CustomObjectsApi,
  EventsV1Api,
  KubeConfig,
  PatchStrategy,
  makeInformer,
  setHeaderOptions,
  type Informer as K8sInformer,
  type KubernetesListObject,
  type KubernetesObject,
  type ObjectCache,
} from '@kubernetes/client-node';
import type { Logger } from 'pino';

export interface KubeClients {
  kc: KubeConfig;
  custom: CustomObjectsApi;
  core: CoreV1Api;
  coordination: CoordinationV1Api;
  events: EventsV1Api;
}

/** Loads a kubeconfig file, or the in-cluster service account / $KUBECONFIG defaults when `path` is null. */
export function loadKubeConfig(path: string | null): KubeConfig {
  const kc = new KubeConfig();
  if (path) kc.loadFromFile(path);
  else kc.loadFromDefault();
  if (!kc.getCurrentCluster()) throw new Error('no Kubernetes cluster configured (kubeconfig has no current cluster)');
  return kc;
}

export function kubeClients(kc: KubeConfig): KubeClients {
  return {
    kc,
    custom: kc.makeApiClient(CustomObjectsApi),
    core: kc.makeApiClient(CoreV1Api),
    coordination: kc.makeApiClient(CoordinationV1Api),
    events: kc.makeApiClient(EventsV1Api),
  };
}

/** Request options selecting a JSON merge patch (RFC 7386). */
export const MERGE_PATCH = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
/** Request options selecting server-side apply. */
export const APPLY_PATCH = setHeaderOptions('Content-Type', PatchStrategy.ServerSideApply);

/** The field manager the operator writes with. */
export const FIELD_MANAGER = 'palisade-operator';

/** HTTP status of a failed API call (ApiException.code, or a watch error's statusCode), if any. */
export function apiErrorCode(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { code?: unknown; statusCode?: unknown };
  if (typeof e.code === 'number') return e.code;
  if (typeof e.statusCode === 'number') return e.statusCode;
  return undefined;
}

/** A short, log-friendly description of a failed API call (status code and the API server's message). */
export function describeApiError(err: unknown): string {
  const code = apiErrorCode(err);
  const body = (err as { body?: unknown }).body;
  let message = (err as Error).message ?? String(err);
  if (typeof body === 'string') {
    try {
      const parsed = JSON.parse(body) as { message?: string };
      if (parsed.message) message = parsed.message;
    } catch {
      /* not JSON */
    }
  } else if (body && typeof body === 'object' && typeof (body as { message?: unknown }).message === 'string') {
    message = (body as { message: string }).message;
  }
  return code === undefined ? message : `${code}: ${message}`;
}

export type InformerEvent = 'add' | 'update' | 'delete';

export interface ResilientInformerOptions<T extends KubernetesObject> {
  name: string;
  kc: KubeConfig;
  /** Watch path, e.g. /api/v1/secrets. */
  path: string;
  list: () => Promise<KubernetesListObject<T>>;
  labelSelector?: string;
  logger: Logger;
  onEvent: (event: InformerEvent, obj: T) => void;
  /** Restart delay after an error: doubles from 500 ms up to this (default 30 s). */
  maxBackoffMs?: number;
}

/**
 * An informer (list + watch + cache) that keeps itself running: after a list or watch error it restarts with
 * exponential backoff and jitter, resuming from the last resourceVersion (or relisting after 410 Gone).
 */
export class ResilientInformer<T extends KubernetesObject> {
  readonly #inf: K8sInformer<T> & ObjectCache<T>;
  readonly #logger: Logger;
  #errors = 0;
  readonly #backoff: Backoff;
  #stopped = false;
  #synced = false;
  #timer: NodeJS.Timeout | undefined;
  #resolveSynced!: () => void;
  readonly #syncedPromise: Promise<void>;

  constructor(opts: ResilientInformerOptions<T>) {
    this.#backoff = new Backoff({ initialMs: 500, maxMs: opts.maxBackoffMs ?? 30_000 });
    this.#logger = opts.logger.child({ informer: opts.name });
    this.#inf = makeInformer<T>(opts.kc, opts.path, opts.list, opts.labelSelector);
    this.#syncedPromise = new Promise((resolve) => {
      this.#resolveSynced = resolve;
    });
    this.#inf.on('add', (o) => opts.onEvent('add', o));
    this.#inf.on('update', (o) => opts.onEvent('update', o));
    this.#inf.on('delete', (o) => opts.onEvent('delete', o));
    this.#inf.on('error', (err: unknown) => this.#onError(err));
  }

  /** True once the first list succeeded. */
  get synced(): boolean {
    return this.#synced;
  }

  /** Starts list+watch; resolves once the cache holds a full list (retrying errors meanwhile). */
  start(): Promise<void> {
    void this.#run();
    return this.#syncedPromise;
  }

  list(): readonly T[] {
    return this.#inf.list();
  }

  get(name: string, namespace?: string): T | undefined {
    return this.#inf.get(name, namespace);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#inf.stop();
  }

  async #run(): Promise<void> {
    if (this.#stopped) return;
    const errorsBefore = this.#errors;
    try {
      await this.#inf.start();
    } catch (err) {
      this.#onError(err);
      return;
    }
    if (this.#errors !== errorsBefore || this.#stopped) return;
    this.#backoff.reset();
    if (!this.#synced) {
      this.#synced = true;
      this.#logger.info({ objects: this.#inf.list().length }, 'informer synced');
      this.#resolveSynced();
    }
  }

  #onError(err: unknown): void {
    this.#errors++;
    if (this.#stopped) return;
    const delay = this.#backoff.next();
    this.#logger.warn({ err: describeApiError(err), retryInMs: delay }, 'list/watch failed; restarting');
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#run(), delay);
    this.#timer.unref();
  }
}
