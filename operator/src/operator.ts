/**
 * Composition root of the operator: Kubernetes clients, informers, work queue, controller, snapshot stream
 * server, leader election, distribution reports, HTTP probes and metrics. `startOperator` returns once the ports
 * are bound; caches sync and leadership is campaigned for in the background (/readyz says when it is ready).
 */
import type { KubernetesListObject, KubernetesObject, V1ConfigMap, V1Secret } from '@kubernetes/client-node';
import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { createHttpServer } from '../../lib/process/http-server.ts';
import { GROUP, OPENAPI_CONFIGMAP_LABEL, PLURAL, VERSION } from '../../lib/policy/schema.ts';
import type { OperatorConfig } from './config.ts';
import { CONFIGMAP_KEY, Controller, SNAPSHOT_KEY, type PolicyObject } from './controller.ts';
import { REPORT_LABEL, ReportWriter, mergeReplicas, parseReport, type DistributionReport } from './distribution.ts';
import { EventRecorder } from './events.ts';
import { ResilientInformer, describeApiError, kubeClients, loadKubeConfig, type KubeClients } from './kube.ts';
import { LeaderElector } from './leader-election.ts';
import { createOperatorMetrics } from './metrics.ts';
import { SnapshotServer } from './snapshot-server.ts';
import { serverCredentials } from '../../lib/process/tls.ts';
import { IstioSync, type PolicyLike } from './istio.ts';
import { SnapshotConfigMapWriter } from './snapshot-configmap.ts';
import { SnapshotPublisher } from './publisher.ts';
import { AcceptedStore } from './accepted-store.ts';
import { StatusWriter } from './status-writer.ts';
import type { ReplicaState } from './status.ts';
import { WorkQueue } from './work-queue.ts';

export interface Operator {
  grpcPort: number;
  httpPort: number;
  registry: Registry;
  controller: Controller;
  snapshotServer: SnapshotServer;
  isLeader(): boolean;
  /** Resolves once every informer cache is synced and the first snapshot is compiled. */
  ready(): Promise<void>;
  /** Aggregated authz-server replicas (own streams + other operator replicas' reports). */
  replicas(): ReplicaState[];
  stop(): Promise<void>;
}

export interface OperatorOverrides {
  registry?: Registry;
  clients?: KubeClients;
}

function listen(server: HttpServer, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}

export async function startOperator(config: OperatorConfig, logger: Logger, overrides: OperatorOverrides = {}): Promise<Operator> {
  const clients = overrides.clients ?? kubeClients(loadKubeConfig(config.kubeconfig));
  const { kc, custom, core } = clients;
  const registry = overrides.registry ?? new Registry();
  const log = logger.child({ identity: config.identity });

  let controller: Controller | undefined;
  const queue = new WorkQueue<string>({
    concurrency: config.workers,
    onError: (key, err, failures, retryInMs) => log.warn({ key, err: describeApiError(err), failures, retryInMs }, 'reconcile failed; retrying'),
  });
  const metrics = createOperatorMetrics(registry, () => queue.length);
  let leader = !config.leaderElect;
  let graceUntil = 0;
  let stopped = false;

  // distribution: own streams + reports of the other replicas
  const reports = new Map<string, DistributionReport>();
  const replicas = (): ReplicaState[] => {
    const merged = mergeReplicas(server.replicas(), [...reports.values()], config.identity, Date.now(), 3 * config.reportIntervalMs);
    metrics.knownReplicas.set(merged.length);
    return merged;
  };
  let reportWriter: ReportWriter | undefined;
  const server = new SnapshotServer({
    logger: log,
    gzipAboveBytes: config.gzipAboveBytes,
    onChange: () => {
      metrics.connectedReplicas.set(server.replicas().length);
      reportWriter?.changed();
      controller?.onDistributionChange();
    },
    onAck: (result) => metrics.acks.inc({ result }),
  });
  const publisher = new SnapshotPublisher(server, metrics);
  const acceptedStore = new AcceptedStore({ core, name: config.acceptedConfigMap, namespace: config.namespace, logger: log });
  reportWriter = new ReportWriter({ core, namespace: config.namespace, identity: config.identity, intervalMs: config.reportIntervalMs, source: () => server.replicas(), logger: log });

  // informers (they only enqueue keys)
  const nsPath = config.watchNamespace ? `/namespaces/${config.watchNamespace}` : '';
  const policies = new ResilientInformer<KubernetesObject>({
    name: 'apiprotectionpolicies',
    kc,
    path: `/apis/${GROUP}/${VERSION}${nsPath}/${PLURAL}`,
    list: async () =>
      (config.watchNamespace
        ? await custom.listNamespacedCustomObject({ group: GROUP, version: VERSION, namespace: config.watchNamespace, plural: PLURAL })
        : await custom.listClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL })) as KubernetesListObject<KubernetesObject>,
    logger: log,
    onEvent: (event, obj) => controller?.onPolicyEvent(obj as PolicyObject, event),
  });
  // Two label-selected Secret informers (a selector cannot say "this label or that one"): API keys, and the
  // signing keys of bot.challenge.keySecret. Secrets with neither label are never read.
  const secretInformer = (name: string, labelSelector: string) =>
    new ResilientInformer<V1Secret>({
      name,
      kc,
      path: `/api/v1${nsPath}/secrets`,
      labelSelector,
      list: () =>
        config.watchNamespace
          ? core.listNamespacedSecret({ namespace: config.watchNamespace, labelSelector })
          : core.listSecretForAllNamespaces({ labelSelector }),
      logger: log,
      onEvent: () => controller?.onSecretEvent(),
    });
  const apiKeySecrets = secretInformer('api-key-secrets', config.apiKeyLabel);
  const challengeKeySecrets = secretInformer('challenge-key-secrets', config.challengeKeyLabel);
  const secrets = {
    list: () => {
      const byName = new Map<string, V1Secret>();
      for (const s of [...apiKeySecrets.list(), ...challengeKeySecrets.list()]) byName.set(`${s.metadata?.namespace}/${s.metadata?.name}`, s);
      return [...byName.values()];
    },
  };
  const openapiConfigMaps = new ResilientInformer<V1ConfigMap>({
    name: 'openapi-configmaps',
    kc,
    path: `/api/v1${nsPath}/configmaps`,
    labelSelector: OPENAPI_CONFIGMAP_LABEL,
    list: () =>
      config.watchNamespace
        ? core.listNamespacedConfigMap({ namespace: config.watchNamespace, labelSelector: OPENAPI_CONFIGMAP_LABEL })
        : core.listConfigMapForAllNamespaces({ labelSelector: OPENAPI_CONFIGMAP_LABEL }),
    logger: log,
    onEvent: () => controller?.onConfigMapEvent(),
  });
  const reportInformer = new ResilientInformer<V1ConfigMap>({
    name: 'distribution-reports',
    kc,
    path: `/api/v1/namespaces/${config.namespace}/configmaps`,
    labelSelector: REPORT_LABEL,
    list: () => core.listNamespacedConfigMap({ namespace: config.namespace, labelSelector: REPORT_LABEL }),
    logger: log,
    onEvent: (event, cm) => {
      const name = cm.metadata?.name ?? '';
      const report = event === 'delete' ? null : parseReport(cm);
      if (report) reports.set(name, report);
      else reports.delete(name);
      controller?.onDistributionChange();
    },
  });

  const events = new EventRecorder(clients.events, config.identity, log, metrics);
  const istio = config.istioProvider
    ? new IstioSync({
        custom,
        provider: config.istioProvider,
        watchNamespace: config.watchNamespace,
        policies: () => policies.list() as unknown as PolicyLike[],
        isLeader: () => leader,
        logger: log,
        resyncMs: config.istioResyncMs,
        onSynced: (seconds) => metrics.reconcileSeconds.observe({ kind: 'istio' }, seconds),
        onError: () => metrics.reconcileErrors.inc({ kind: 'istio' }),
      })
    : null;
  controller = new Controller({
    // custom objects arrive as raw JSON (string timestamps), which is what PolicyObject describes
    policies: {
      list: () => policies.list() as unknown as PolicyObject[],
      get: (name, namespace) => policies.get(name, namespace) as unknown as PolicyObject | undefined,
    },
    secrets,
    configMaps: openapiConfigMaps,
    publisher,
    replicas,
    statusWriter: new StatusWriter(custom),
    acceptedStore,
    configMapWriter: new SnapshotConfigMapWriter({ core, name: config.snapshotConfigMap, namespace: config.namespace, gzipAboveBytes: config.gzipAboveBytes, logger: log }),
    events,
    enqueue: (key) => queue.add(key),
    isLeader: () => leader,
    enforcedGraceUntil: () => graceUntil,
    metrics,
    logger: log,
  });

  const elector = config.leaderElect
    ? new LeaderElector({
        api: clients.coordination,
        namespace: config.namespace,
        name: config.leaseName,
        identity: config.identity,
        leaseDurationMs: config.leaseDurationMs,
        renewDeadlineMs: config.renewDeadlineMs,
        retryPeriodMs: config.retryPeriodMs,
        logger: log,
        onStartedLeading: () => {
          leader = true;
          graceUntil = Date.now() + config.enforcedGraceMs;
          metrics.leader.set(1);
          controller?.onLeadership();
        },
        onStoppedLeading: () => {
          leader = false;
          metrics.leader.set(0);
        },
      })
    : null;
  metrics.leader.set(leader ? 1 : 0);

  let synced = false;
  const http = createHttpServer({
    registry,
    ready: () => {
      const snapshot = server.current;
      const notReady = stopped ? 'stopping' : !synced ? 'informer caches not synced yet' : !snapshot ? 'no snapshot compiled yet' : null;
      return notReady !== null || !snapshot ? { ready: false, reason: notReady ?? '' } : { ready: true, reason: `serving snapshot ${snapshot.version}${leader ? ' (leader)' : ''}` };
    },
  });
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  let grpcPort: number;
  let httpPort: number;
  try {
    grpcPort = await server.listen(`${host}:${config.grpcPort}`, await serverCredentials(config.tls));
    httpPort = await listen(http, config.host, config.httpPort);
  } catch (err) {
    await server.close();
    http.close();
    throw err;
  }
  log.info({ grpcPort, httpPort, watchNamespace: config.watchNamespace ?? '(all)', namespace: config.namespace, leaderElect: config.leaderElect }, 'operator listening');

  // Informers first; the queue starts once the caches hold a full list, so the first snapshot is never partial.
  const readyPromise = (async () => {
    await Promise.all([policies.start(), apiKeySecrets.start(), challengeKeySecrets.start(), openapiConfigMaps.start(), reportInformer.start()]);
    // before the first compile: a policy refused right now still has its last accepted generation to fall back on
    controller.seedAccepted(await acceptedStore.load());
    if (stopped) return;
    synced = true;
    queue.add(SNAPSHOT_KEY);
    queue.start((key) => controller.handle(key));
    await queue.idle();
    log.info({ version: server.current?.version ?? null }, 'caches synced; first snapshot compiled');
    istio?.start();
  })();
  reportWriter.start();
  if (elector) elector.start();
  else {
    graceUntil = Date.now() + config.enforcedGraceMs;
    controller.onLeadership();
  }

  return {
    grpcPort,
    httpPort,
    registry,
    controller,
    snapshotServer: server,
    isLeader: () => leader,
    ready: () => readyPromise,
    replicas,
    async stop() {
      if (stopped) return;
      stopped = true;
      log.info('operator stopping');
      // finish in-flight reconciles (no new writes start: handlers check leadership) before releasing the Lease
      leader = false;
      await queue.shutdown();
      await elector?.stop();
      await reportWriter.stop();
      await Promise.all([policies.stop(), apiKeySecrets.stop(), challengeKeySecrets.stop(), openapiConfigMaps.stop(), reportInformer.stop()]);
      await istio?.close();
      await server.close();
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      });
      log.info('operator stopped');
    },
  };
}

export { CONFIGMAP_KEY };
