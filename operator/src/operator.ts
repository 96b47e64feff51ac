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
import { GROUP, PLURAL, VERSION } from '../../lib/policy/schema.ts';
import type { OperatorConfig } from './config.ts';
import { CONFIGMAP_KEY, Controller, SNAPSHOT_KEY, type PolicyObject } from './controller.ts';
import { REPORT_LABEL, ReportWriter, VersionHistory, mergeReplicas, parseReport, type DistributionReport } from './distribution.ts';
import { EventRecorder } from './events.ts';
import { MERGE_PATCH, FIELD_MANAGER, ResilientInformer, apiErrorCode, describeApiError, kubeClients, loadKubeConfig, type KubeClients } from './kube.ts';
import { LeaderElector } from './leader-election.ts';
import { createOperatorMetrics } from './metrics.ts';
import { SnapshotServer } from './snapshot-server.ts';
import { serverCredentials } from '../../lib/process/tls.ts';
import { IstioSync, type PolicyLike } from './istio.ts';
import { SnapshotTooLargeError, writeSnapshotConfigMap } from './snapshot-configmap.ts';
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
  const history = new VersionHistory();
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
  const secrets = new ResilientInformer<V1Secret>({
    name: 'api-key-secrets',
    kc,
    path: `/api/v1${nsPath}/secrets`,
    labelSelector: config.apiKeyLabel,
    list: () =>
      config.watchNamespace
        ? core.listNamespacedSecret({ namespace: config.watchNamespace, labelSelector: config.apiKeyLabel })
        : core.listSecretForAllNamespaces({ labelSelector: config.apiKeyLabel }),
    logger: log,
    onEvent: () => controller?.onSecretEvent(),
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
    publish: (snapshot) => {
      server.publish(snapshot);
      history.record(snapshot);
      metrics.snapshotsPublished.inc();
      metrics.snapshotInfo.reset();
      metrics.snapshotInfo.set({ version: snapshot.version }, 1);
      metrics.snapshotPolicies.set(snapshot.policies.length);
      metrics.snapshotBytes.set(server.currentBytes);
    },
    lookup: history.lookup,
    replicas,
    writeStatus: async (target, status) => {
      try {
        await custom.patchNamespacedCustomObjectStatus(
          { group: GROUP, version: VERSION, plural: PLURAL, namespace: target.namespace, name: target.name, body: { status }, fieldManager: FIELD_MANAGER },
          MERGE_PATCH,
        );
        return 'ok';
      } catch (err) {
        if (apiErrorCode(err) === 404) return 'gone';
        throw err;
      }
    },
    writeConfigMap: async (snapshot) => {
      if (!config.snapshotConfigMap) return;
      try {
        await writeSnapshotConfigMap(core, config.snapshotConfigMap, config.namespace, snapshot, config.gzipAboveBytes);
        log.info({ configMap: `${config.namespace}/${config.snapshotConfigMap}`, version: snapshot.version }, 'snapshot ConfigMap updated');
      } catch (err) {
        if (err instanceof SnapshotTooLargeError) {
          log.error({ err: err.message }, 'snapshot ConfigMap not updated; authz-servers restarted without an operator will use an older snapshot');
          return;
        }
        throw err;
      }
    },
    recordEvent: (target, ev) => events.record(target, ev),
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
      if (stopped) return { ready: false, reason: 'stopping' };
      if (!synced) return { ready: false, reason: 'informer caches not synced yet' };
      const cur = server.current;
      return cur ? { ready: true, reason: `serving snapshot ${cur.version}${leader ? ' (leader)' : ''}` } : { ready: false, reason: 'no snapshot compiled yet' };
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
    await Promise.all([policies.start(), secrets.start(), reportInformer.start()]);
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
      await Promise.all([policies.stop(), secrets.stop(), reportInformer.stop()]);
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
