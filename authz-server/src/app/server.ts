/**
 * Composition root of the authz-server: builds the store, snapshot holder, policy source, gRPC services and
 * HTTP port from an AuthzConfig, and knows how to drain and stop them.
 */
import type { RouteShapes } from '../bot/route-shapes.ts';
import type { ClaimAnswers } from '../bot/claim-answers.ts';
import * as grpc from '@grpc/grpc-js';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { HealthImplementation } from 'grpc-health-check';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { DeferredCounters } from '../bot/deferred.ts';
import { BaselineBook } from '../bot/baseline.ts';
import { BotFeed } from '../bot/feed.ts';
import { accessLogHandler, check, checkHandler, checkStreamCodec, tolerantDeserializer, type AccessLogMessage, type CheckServiceDeps } from '../grpc/check-service.ts';
import { routeCheckStreams } from '../grpc/check-stream.ts';
import { listenCheckPort, type CheckPort } from '../grpc/check-port.ts';
import { ApiInventory } from '../discovery/inventory.ts';
import { inventoryToOpenApi, observedPolicies } from '../discovery/openapi-out.ts';
import { JourneyModel } from '../journeys/journeys.ts';
import type { AuthzConfig } from './config.ts';
import { collectStartupGarbage } from './startup-gc.ts';
import { afterAnswers } from './after-answers.ts';
import { ephemeralKeyring, keyringFrom, keyringFromFile, type Keyring } from '../challenge/keyring.ts';
import { envoyServices, type CheckRequest } from '../envoy/protos.ts';
import { FileSource } from '../sources/file-source.ts';
import { bindGrpc } from '../../../lib/process/grpc-bind.ts';
import { HttpError, createHttpServer, listenHttp } from '../../../lib/process/http-server.ts';
import { createAuthzMetrics } from '../telemetry/metrics.ts';
import { DecisionLog } from '../telemetry/decision-log.ts';
import { AccessLogPresence } from '../telemetry/access-log-presence.ts';
import { OperatorSource } from '../sources/operator-source.ts';
import { SnapshotFileSource } from '../sources/snapshot-file-source.ts';
import type { PipelineDeps } from '../pipeline/pipeline.ts';
import { RateLimiter } from '../pipeline/rate-limiter.ts';
import { clientAddressTrust } from '../pipeline/client-address.ts';
import { globToRegex } from '../../../lib/policy/patterns.ts';
import { SnapshotHolder } from '../sources/snapshot-holder.ts';
import { channelCredentials, serverCredentials } from '../../../lib/process/tls.ts';
import type { CounterStore } from '../store/counter-store.ts';
import { MemoryCounterStore } from '../store/memory-store.ts';
import { createStore, warmUpStore } from '../store/store-factory.ts';

/** The ext_authz service name, for gRPC health. */
const AUTHORIZATION_SERVICE = 'envoy.service.auth.v3.Authorization';

/** A running authz-server. */
export interface AuthzServer {
  grpcPort: number;
  /** The Check port's bound port; null when off. */
  checkPort: number | null;
  httpPort: number;
  holder: SnapshotHolder;
  registry: Registry;
  store: CounterStore;
  /** Reloads standalone policy files, or the snapshot file, now (tests, SIGHUP). */
  reload(): Promise<boolean>;
  /** Stops accepting, waits for in-flight Checks up to the grace period, closes everything. */
  stop(): Promise<void>;
  /** API discovery: the endpoints of every policy, all replicas (also at HTTP /inventory). */
  inventory: ApiInventory;
  /** Usage journeys: the shared transition model. */
  journeys: JourneyModel;
  /** The route shapes (slug positions) the bot detectors learned on this replica. */
  botRoutes: RouteShapes;
  /** The routes whose file claims the upstream answered with data, as this replica learned them (claim-answers.ts). */
  botFileClaims: ClaimAnswers;
  /** The routes whose navigations the upstream answered with data, as this replica learned them (claim-answers.ts). */
  botNavigationClaims: ClaimAnswers;
  /**
   * Writes the off-path counters (access-log errors, new sessions, learning, discovery) to the store now, then
   * refreshes the bot baselines if `learning.refreshMs` has passed on the clock (as the timers would).
   */
  flushDeferred(): Promise<void>;
  /** Hands the decision lines held back (up to 20 ms for denials, 50 ms for allows) to the log destination now. */
  flushDecisionLog(): void;
}

/** Optional injections (tests). */
export interface AuthzServerOverrides {
  registry?: Registry;
  store?: CounterStore;
  clock?: () => number;
  onAccessLog?: (msg: AccessLogMessage) => void;
  /**
   * Period of the off-path counter flush (default 1000 ms); 0 = only flushDeferred() and stop() flush, and the
   * journey model is refreshed only by `journeys.refreshAll()` and the bot baselines only by flushDeferred().
   */
  deferredFlushMs?: number;
}

/**
 * The server-wide challenge keyring: from --challenge-key-file, else the key the cluster primary shares with its
 * workers, else a random key (passes then hold only until a restart, and only on this replica).
 */
async function serverKeyring(config: AuthzConfig, logger: Logger): Promise<Keyring> {
  if (config.challengeKeyFile) return keyringFromFile(await readFile(config.challengeKeyFile, 'utf8'), config.challengeKeyFile);
  if (config.challengeSharedKey) return keyringFrom([Buffer.from(config.challengeSharedKey, 'hex')], { ephemeral: true });
  logger.warn('no --challenge-key-file: challenges and passes of policies without bot.challenge.keySecret are signed with a random key; passes do not survive a restart and are not accepted by other replicas');
  return ephemeralKeyring();
}

/** Starts an authz-server. Rejects (after cleaning up) if the first policy load fails or a port is taken. */
export async function startAuthzServer(config: AuthzConfig, logger: Logger, overrides: AuthzServerOverrides = {}): Promise<AuthzServer> {
  const registry = overrides.registry ?? new Registry();
  let holder: SnapshotHolder | undefined;
  const metrics = createAuthzMetrics(registry, () => holder?.current()?.loadedAt ?? null, { gcMetrics: config.gcMetrics });
  holder = new SnapshotHolder(logger.child({ component: 'snapshot' }), metrics, { challengeKeyring: await serverKeyring(config, logger) });
  const store = overrides.store ?? (await createStore(config, logger.child({ component: 'store' }), registry));
  const clock = overrides.clock ?? Date.now;
  const limiter = new RateLimiter({
    store,
    fallback: new MemoryCounterStore(),
    onStoreError: (err, policy, failOpen) => {
      metrics.storeFailures.inc({ policy, failure_policy: failOpen ? 'FailOpen' : 'FailClosed' });
      logger.debug({ err: err.message, policy }, 'counter store unavailable for a check');
    },
  });
  // What the bot detectors learn about each policy's population, read off the Check path (learning.refreshMs),
  // and the crowd counters the Checks read, kept locally and synced with the store every second.
  const botBaselines = new BaselineBook({
    store,
    clock,
    policies: () => [...(holder.current()?.policies.values() ?? [])].filter((p) => p.bot.mode !== 'Off').map((p) => p.id),
    refreshIntervalMs: overrides.deferredFlushMs === 0 ? 0 : undefined,
    logger: logger.child({ component: 'bot' }),
  });

  let fileSource: FileSource | null = null;
  if (config.policies.length > 0) {
    fileSource = new FileSource(config.policies, holder, logger, { debounceMs: config.reloadDebounceMs });
    if (!(await fileSource.reload())) {
      await store.close();
      throw new Error(`policy files are invalid (see the log above): ${config.policies.join(', ')}`);
    }
    fileSource.watch();
  }

  // In-cluster: start from the last known snapshot (the operator's ConfigMap, mounted into the pod), then follow
  // the operator's stream. Without a usable file the server starts unready and waits for the operator. The file
  // is watched and re-read when the kubelet updates the mount; while the operator stream is up, it is authoritative.
  const inCluster = config.policies.length === 0 && (config.operator !== null || config.snapshotFile !== null);
  let operatorSource: OperatorSource | null = null;
  let snapshotFile: SnapshotFileSource | null = null;
  let markServing = () => {};
  if (inCluster && config.snapshotFile) {
    snapshotFile = new SnapshotFileSource(config.snapshotFile, holder, logger, {
      debounceMs: config.reloadDebounceMs,
      superseded: () => operatorSource?.connected ?? false,
      onApplied: () => markServing(),
    });
    const loaded = await snapshotFile.load();
    if (!loaded.ok && !config.operator) {
      await store.close();
      throw new Error(`snapshot file is unusable and no --operator is given: ${loaded.error}`);
    }
    snapshotFile.watch();
  }

  // Bot detectors' and API discovery's off-path counters (access-log errors, own denials, new sessions,
  // endpoint counts): batched writes to the same store, never on a Check's round trip.
  const deferred = new DeferredCounters({ store, flushIntervalMs: overrides.deferredFlushMs ?? 1000, logger: logger.child({ component: 'bot' }) });
  botBaselines.pending = (counter, parts, bucket) => deferred.pendingOf(counter, parts, bucket);
  // Checks are remembered for their access-log entries only while an access log arrives.
  const accessLogPresence = new AccessLogPresence({ clock });
  const remembering = () => accessLogPresence.active();
  const botFeed = new BotFeed({ deferred, clock, runtime: () => holder.current(), remembering, routes: botBaselines.routes, unanswered: botBaselines.unanswered, attackedForms: botBaselines.attackedForms, probes: botBaselines.probes, fileClaims: botBaselines.fileClaims, navigationClaims: botBaselines.navigationClaims });
  const journeys = new JourneyModel({ store, deferred, clock, runtime: () => holder.current(), ...(overrides.deferredFlushMs === 0 ? { refreshIntervalMs: 0 } : {}) });
  const inventory = new ApiInventory({ deferred, store, clock, runtime: () => holder.current(), registry, journeys: (id) => journeys.journeys(id), remembering });
  const pipeline: PipelineDeps = { limiter, clock, botBaselines, journeys };

  const { authorization, accessLog } = envoyServices();
  const maxReceiveBytes = 8 * 1024 * 1024;
  const grpcServer = new grpc.Server({ 'grpc.max_receive_message_length': maxReceiveBytes });
  const health = new HealthImplementation({ '': 'NOT_SERVING', [AUTHORIZATION_SERVICE]: 'NOT_SERVING' });
  let serving = false;
  const setServing = (on: boolean) => {
    serving = on;
    for (const service of ['', AUTHORIZATION_SERVICE]) health.setStatus(service, on ? 'SERVING' : 'NOT_SERVING');
  };
  health.addToServer(grpcServer);
  const decisionLog = new DecisionLog(logger, config.decisionLog);
  const hooks = afterAnswers(
    (req, outcome) => {
      botFeed.onDecision(req, outcome);
      inventory.onDecision(req, outcome);
      journeys.onDecision(outcome);
    },
    (err, req) => logger.warn({ err, requestId: req.requestId }, 'decision hook failed'),
  );
  const checkDeps: CheckServiceDeps = {
    holder,
    pipeline,
    limits: { maxHeaderBytes: config.maxHeaderBytes, maxHeaderCount: config.maxHeaderCount },
    trust: clientAddressTrust(config.clientAddress.trustedProxies, config.clientAddress.header, config.clientAddress.hops),
    logger,
    metrics,
    decisionLog,
    onDecision: hooks,
  };
  const checkService = tolerantDeserializer(authorization.service);
  grpcServer.addService(checkService, { Check: checkHandler(checkDeps) });
  grpcServer.addService(accessLog.service, {
    StreamAccessLogs: accessLogHandler({
      logger,
      metrics,
      principals: config.accessLogPrincipals.map((p) => new RegExp(globToRegex(p))),
      onEntry: (msg) => {
        if (accessLogPresence.heard()) logger.info('access log heard: allowed Checks are remembered for their entries from now on (until 10 minutes after the last)');
        overrides.onAccessLog?.(msg);
        botFeed.ingest(msg);
        // The inventory ties every allowed Check's entry (the bot feed only those of policies scoring bots):
        // what it cannot tie to a Check matched nothing.
        return inventory.ingest(msg);
      },
    }),
  });

  let draining = false;
  let warmedUp = false;
  const http = createHttpServer({
    registry,
    ready: () => {
      if (draining) return { ready: false, reason: 'draining' };
      if (!warmedUp) return { ready: false, reason: 'warming up the counter store' };
      const rt = holder.current();
      return rt ? { ready: true, reason: `snapshot ${rt.version}` } : { ready: false, reason: 'no snapshot loaded yet' };
    },
    json: {
      '/inventory': () => inventory.report(),
      '/inventory/openapi': async (query) => {
        const report = await inventory.report();
        const observed = observedPolicies(report);
        const policy = query.get('policy') ?? (observed.length === 1 ? observed[0] : undefined);
        if (policy === undefined) throw new HttpError(400, `name the policy: ?policy=<namespace/name> (observed: ${observed.join(', ') || 'none'})`);
        return inventoryToOpenApi(report, policy);
      },
    },
  });

  let grpcPort: number;
  let httpPort: number;
  let checkPort: CheckPort | null = null;
  try {
    grpcPort = await bindGrpc(grpcServer, config.host, config.grpcPort, await serverCredentials(config.tls, config.tlsRefreshMs));
    // One handler for Check off grpc-js's streams and on the Check port: the same codecs, the same pipeline.
    const checkStreamHandler = { ...checkStreamCodec(authorization.service), answer: (req: CheckRequest) => check(checkDeps, req), maxReceiveBytes };
    if (config.checkTransport === 'http2') routeCheckStreams(grpcServer, checkStreamHandler);
    if (config.checkPort !== null) {
      checkPort = await listenCheckPort({
        host: config.host,
        port: config.checkPort,
        tls: config.tls,
        tlsRefreshMs: config.tlsRefreshMs,
        handler: checkStreamHandler,
        health: (service) => (service === '' || service === AUTHORIZATION_SERVICE ? (serving ? 1 : 2) : null),
        logger,
      });
    }
    httpPort = await listenHttp(http, config.host, config.httpPort);
  } catch (err) {
    grpcServer.forceShutdown();
    void checkPort?.close(0);
    decisionLog.close();
    http.close();
    fileSource?.close();
    snapshotFile?.close();
    deferred.close();
    botBaselines.close();
    await store.close();
    throw err;
  }
  await warmUpStore(store, logger, 3000);
  // The baselines of the policies loaded at start are read before the first SERVING: the first Checks are judged
  // by what the replicas learned rather than by priors, and the start-up collection takes what the read allocated.
  await botBaselines.prime();
  warmedUp = true;
  markServing = () => {
    if (draining || holder.current() === null) return;
    collectStartupGarbage(logger);
    setServing(true);
  };
  markServing();
  if (inCluster && config.operator) {
    operatorSource = new OperatorSource({
      address: config.operator,
      holder,
      logger,
      nodeId: `${hostname()}-${randomUUID().slice(0, 8)}`,
      podName: hostname(),
      registry,
      credentials: channelCredentials(config.operatorTls, config.tlsRefreshMs),
      maxBackoffMs: config.operatorReconnectMaxMs,
      onApplied: () => markServing(),
    });
    operatorSource.start();
  }
  logger.info({ grpcPort, checkPort: checkPort?.port ?? null, httpPort, policies: config.policies, store: store.kind }, 'authz-server listening');

  return {
    grpcPort,
    checkPort: checkPort?.port ?? null,
    httpPort,
    holder,
    registry,
    store,
    async reload() {
      if (fileSource) return fileSource.reload();
      if (snapshotFile) return (await snapshotFile.load()).ok;
      return false;
    },
    inventory,
    journeys,
    botRoutes: botBaselines.routes,
    botFileClaims: botBaselines.fileClaims,
    botNavigationClaims: botBaselines.navigationClaims,
    async flushDeferred() {
      await deferred.flush();
      await botBaselines.refresh();
    },
    flushDecisionLog() {
      decisionLog.flush();
    },
    async stop() {
      draining = true;
      setServing(false);
      fileSource?.close();
      snapshotFile?.close();
      operatorSource?.close();
      const grpcDrained = new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          logger.warn({ graceMs: config.shutdownGraceMs }, 'grace period over; cancelling remaining calls');
          grpcServer.forceShutdown();
          resolve();
        }, config.shutdownGraceMs);
        timer.unref();
        grpcServer.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
      await Promise.all([grpcDrained, checkPort?.close(config.shutdownGraceMs)]);
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      });
      // What the last Checks taught goes out with the off-path counters' last flush.
      hooks.flush();
      deferred.close();
      botBaselines.close();
      journeys.close();
      await deferred.flush();
      // The crowd counts this replica made since the last sync (population counters) are written too.
      await botBaselines.syncPopulation();
      await store.close();
      await limiter.close();
      decisionLog.close();
      logger.info('authz-server stopped');
    },
  };
}
