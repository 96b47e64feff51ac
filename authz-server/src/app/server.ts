/**
 * Composition root of the authz-server: builds the store, snapshot holder, policy source, gRPC services and
 * HTTP port from an AuthzConfig, and knows how to drain and stop them.
 */
import * as grpc from '@grpc/grpc-js';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { HealthImplementation } from 'grpc-health-check';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import type { Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DeferredCounters } from '../bot/deferred.ts';
import { BotFeed } from '../bot/feed.ts';
import { accessLogHandler, checkHandler, type AccessLogMessage } from '../grpc/check-service.ts';
import { ApiInventory } from '../discovery/inventory.ts';
import type { AuthzConfig } from './config.ts';
import { envoyServices } from '../envoy/protos.ts';
import { FileSource } from '../sources/file-source.ts';
import { createHttpServer } from '../../../lib/process/http-server.ts';
import { redactUrl } from '../../../lib/process/logging.ts';
import { createAuthzMetrics } from '../telemetry/metrics.ts';
import { OperatorSource } from '../sources/operator-source.ts';
import { SnapshotFileSource } from '../sources/snapshot-file-source.ts';
import type { PipelineDeps } from '../pipeline/pipeline.ts';
import { SnapshotHolder } from '../sources/snapshot-holder.ts';
import { channelCredentials, serverCredentials } from '../../../lib/process/tls.ts';
import type { CounterStore } from '../store/counter-store.ts';
import { MemoryCounterStore } from '../store/memory-store.ts';
import { OverLimitCache } from '../store/over-limit-cache.ts';
import { RedisCounterStore } from '../store/redis-store.ts';

/** A running authz-server. */
export interface AuthzServer {
  grpcPort: number;
  httpPort: number;
  holder: SnapshotHolder;
  registry: Registry;
  store: CounterStore;
  /** Reloads standalone policy files, or the snapshot file, now (tests, SIGHUP). */
  reload(): Promise<boolean>;
  /** Stops accepting, waits for in-flight Checks up to the grace period, closes everything. */
  stop(): Promise<void>;
  /** API discovery: the endpoints this replica has seen (also at HTTP /inventory). */
  inventory: ApiInventory;
  /** Writes the off-path counters (access-log errors, new sessions, discovery) to the store now. */
  flushDeferred(): Promise<void>;
}

/** Optional injections (tests). */
export interface AuthzServerOverrides {
  registry?: Registry;
  store?: CounterStore;
  clock?: () => number;
  onAccessLog?: (msg: AccessLogMessage) => void;
  /** Period of the off-path counter flush (default 1000 ms); 0 = only flushDeferred() and stop() flush. */
  deferredFlushMs?: number;
}

/**
 * Wraps Check's request deserializer so that bytes which are not a CheckRequest reach the handler as an empty
 * request (denied as `no-policy`) instead of failing the RPC, which Envoy would treat as "authz unavailable".
 */
function tolerantDeserializer(service: grpc.ServiceDefinition): grpc.ServiceDefinition {
  const out: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const [name, def] of Object.entries(service)) {
    const decode = def.requestDeserialize;
    out[name] = {
      ...def,
      requestDeserialize: (bytes: Buffer) => {
        try {
          return decode(bytes);
        } catch {
          return { malformed: true };
        }
      },
    };
  }
  return out as grpc.ServiceDefinition;
}

function listen(server: HttpServer, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}

function bindGrpc(server: grpc.Server, address: string, credentials: grpc.ServerCredentials): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(address, credentials, (err, port) => (err ? reject(err) : resolve(port)));
  });
}

function createStore(config: AuthzConfig, logger: Logger, registry: Registry): CounterStore {
  if (config.redisClusterNodes) {
    logger.info({ nodes: config.redisClusterNodes }, 'counter store: Redis Cluster');
    const nodes = config.redisClusterNodes.map((n) => {
      const [host = '127.0.0.1', port = '6379'] = n.split(':');
      return { host, port: Number(port) };
    });
    return new RedisCounterStore({ url: '', cluster: { nodes }, timeoutMs: config.storeTimeoutMs, logger, registry });
  }
  if (config.redisUrl) {
    logger.info({ url: redactUrl(config.redisUrl) }, 'counter store: Redis');
    return new RedisCounterStore({ url: config.redisUrl, timeoutMs: config.storeTimeoutMs, logger, registry });
  }
  logger.info('counter store: in-memory (this process only; pass --redis to share limits between replicas)');
  return new MemoryCounterStore();
}

/**
 * One throw-away round trip before the server reports ready: connects, loads the Lua script and warms the JIT,
 * so the first burst of Checks after a deploy does not run into the store timeout. Gives up (with a warning)
 * after `deadlineMs`: an unreachable store is the failurePolicy's business, not a reason to stay unready.
 */
async function warmUpStore(store: CounterStore, logger: Logger, deadlineMs: number): Promise<void> {
  if (store.kind === 'memory') return;
  const batch = { rateLimits: [], counters: [{ keys: ['pal:{warm-up}:ct:start:0'], incr: 0, ttlMs: 1000 }], distinct: [] };
  const until = Date.now() + deadlineMs;
  for (let i = 0; ; i++) {
    try {
      for (let j = 0; j < 20; j++) await store.evaluate(batch);
      return;
    } catch (err) {
      if (Date.now() >= until) {
        logger.warn({ err: (err as Error).message }, 'counter store not reachable at start; serving anyway (failurePolicy applies)');
        return;
      }
      await new Promise((r) => setTimeout(r, Math.min(500, 50 * 2 ** i)));
    }
  }
}

/** Starts an authz-server. Rejects (after cleaning up) if the first policy load fails or a port is taken. */
export async function startAuthzServer(config: AuthzConfig, logger: Logger, overrides: AuthzServerOverrides = {}): Promise<AuthzServer> {
  const registry = overrides.registry ?? new Registry();
  let holder: SnapshotHolder | undefined;
  const metrics = createAuthzMetrics(registry, () => holder?.current()?.loadedAt ?? null);
  holder = new SnapshotHolder(logger.child({ component: 'snapshot' }), metrics);
  const store = overrides.store ?? createStore(config, logger.child({ component: 'store' }), registry);
  const clock = overrides.clock ?? Date.now;
  const pipeline: PipelineDeps = {
    store,
    fallback: new MemoryCounterStore(),
    overLimit: new OverLimitCache(),
    clock,
    onStoreError: (err, policy, failOpen) => {
      metrics.storeFailures.inc({ policy, failure_policy: failOpen ? 'FailOpen' : 'FailClosed' });
      logger.debug({ err: err.message, policy }, 'counter store unavailable for a check');
    },
  };

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
  // the operator's stream. Without a usable file the server starts unready and waits for the operator.
  // The file is watched and re-read when the kubelet updates the mount; while the operator stream is up, the
  // stream is authoritative.
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
  const botFeed = new BotFeed({ deferred, clock, runtime: () => holder.current() });
  const inventory = new ApiInventory({ deferred, clock, runtime: () => holder.current(), registry });

  const { authorization, accessLog } = envoyServices();
  const grpcServer = new grpc.Server({ 'grpc.max_receive_message_length': 8 * 1024 * 1024 });
  const health = new HealthImplementation({ '': 'NOT_SERVING', 'envoy.service.auth.v3.Authorization': 'NOT_SERVING' });
  health.addToServer(grpcServer);
  grpcServer.addService(tolerantDeserializer(authorization.service), {
    Check: checkHandler({
      holder,
      pipeline,
      limits: { maxHeaderBytes: config.maxHeaderBytes, maxHeaderCount: config.maxHeaderCount },
      logger,
      metrics,
      decisionLog: config.decisionLog,
      onDecision: (req, outcome) => {
        botFeed.onDecision(req, outcome);
        inventory.onDecision(req, outcome);
      },
    }),
  });
  grpcServer.addService(accessLog.service, {
    StreamAccessLogs: accessLogHandler({
      logger,
      metrics,
      onEntry: (msg) => {
        botFeed.ingest(msg);
        overrides.onAccessLog?.(msg);
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
    json: { '/inventory': () => inventory.report() },
  });

  let grpcPort: number;
  let httpPort: number;
  try {
    grpcPort = await bindGrpc(grpcServer, `${config.host.includes(':') ? `[${config.host}]` : config.host}:${config.grpcPort}`, await serverCredentials(config.tls, config.tlsRefreshMs));
    httpPort = await listen(http, config.host, config.httpPort);
  } catch (err) {
    grpcServer.forceShutdown();
    http.close();
    fileSource?.close();
    snapshotFile?.close();
    deferred.close();
    await store.close();
    throw err;
  }
  await warmUpStore(store, logger, 3000);
  warmedUp = true;
  markServing = () => {
    if (draining || !holder.current()) return;
    health.setStatus('', 'SERVING');
    health.setStatus('envoy.service.auth.v3.Authorization', 'SERVING');
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
      onApplied: () => markServing(),
    });
    operatorSource.start();
  }
  logger.info({ grpcPort, httpPort, policies: config.policies, store: store.kind }, 'authz-server listening');

  return {
    grpcPort,
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
    flushDeferred: () => deferred.flush(),
    async stop() {
      draining = true;
      health.setStatus('', 'NOT_SERVING');
      health.setStatus('envoy.service.auth.v3.Authorization', 'NOT_SERVING');
      fileSource?.close();
      snapshotFile?.close();
      operatorSource?.close();
      await new Promise<void>((resolve) => {
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
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      });
      deferred.close();
      await deferred.flush();
      await store.close();
      await pipeline.fallback.close();
      logger.info('authz-server stopped');
    },
  };
}
