/**
 * Configuration of the authz-server, parsed once at start from flags and environment. This is the only module
 * that reads `process.env`; everything else receives an AuthzConfig.
 */
import { parseArgs } from 'node:util';
import { ConfigError, int } from '../../../lib/process/config-values.ts';
import { DEFAULT_TLS_REFRESH_MS, type ClientTlsFiles, type ServerTlsFiles } from '../../../lib/process/tls.ts';

export { ConfigError };

/** How much of the decision stream is logged. */
export type DecisionLogMode = 'all' | 'deny' | 'off';

/** How Check calls are served: straight off the HTTP/2 stream (default) or through grpc-js's generic call path. */
export type CheckTransport = 'http2' | 'grpc-js';

export interface AuthzConfig {
  /** Policy files or directories (standalone mode), hot-reloaded. */
  policies: string[];
  /** Redis URL; null = in-memory store. */
  redisUrl: string | null;
  /** Redis Cluster seed nodes ("host:port,host:port"); used instead of redisUrl when set. */
  redisClusterNodes: string[] | null;
  /** Operator snapshot stream address (in-cluster mode). */
  operator: string | null;
  /** Last known snapshot file to start from while the operator is away. */
  snapshotFile: string | null;
  host: string;
  grpcPort: number;
  httpPort: number;
  /** Upper bound a Check waits on the store before failurePolicy applies. */
  storeTimeoutMs: number;
  logLevel: string;
  decisionLog: DecisionLogMode;
  maxHeaderBytes: number;
  maxHeaderCount: number;
  /** How long SIGTERM waits for in-flight Checks before forcing shutdown. */
  shutdownGraceMs: number;
  reloadDebounceMs: number;
  /** TLS on the gRPC port (null = plaintext, e.g. under an Istio sidecar). */
  tls: ServerTlsFiles | null;
  /** TLS towards the operator (null = plaintext); presents `tls`'s certificate as client certificate. */
  operatorTls: ClientTlsFiles | null;
  /** How often TLS files are re-read (renewed certificates are served without a restart). */
  tlsRefreshMs: number;
  /** Processes serving the gRPC and HTTP ports (node:cluster; 1 = no cluster). */
  workers: number;
  checkTransport: CheckTransport;
}

/** Help text for --help and config errors. */
export const USAGE = `Usage: authz-server [options]
  --policies <file|dir>     ApiProtectionPolicy YAML (repeatable; hot reload)   env PALISADE_POLICIES (comma-separated)
  --redis <url>             shared counter store, e.g. redis://redis:6379         env PALISADE_REDIS_URL
  --redis-cluster <nodes>   Redis Cluster seeds host:port,host:port               env PALISADE_REDIS_CLUSTER
  --operator <host:port>    receive snapshots from the operator                   env PALISADE_OPERATOR
  --snapshot-file <path>    last known snapshot to start from                     env PALISADE_SNAPSHOT_FILE
  --host <addr>             listen address (default 0.0.0.0)                      env PALISADE_HOST
  --grpc-port <n>           ext_authz + access log gRPC port (default 9001)       env PALISADE_GRPC_PORT
  --http-port <n>           /metrics /healthz /readyz (default 9090)              env PALISADE_HTTP_PORT
  --store-timeout-ms <n>    max wait on the store per Check (default 50)          env PALISADE_STORE_TIMEOUT_MS
  --log-level <level>       pino level (default info)                             env PALISADE_LOG_LEVEL
  --decision-log <mode>     all | deny | off (default all)                        env PALISADE_DECISION_LOG
  --max-header-bytes <n>    refuse larger header sets (default 98304)             env PALISADE_MAX_HEADER_BYTES
  --shutdown-grace-ms <n>   drain time on SIGTERM (default 10000)                 env PALISADE_SHUTDOWN_GRACE_MS
  --tls-cert <file>         serve gRPC over TLS with this certificate (PEM)       env PALISADE_TLS_CERT
  --tls-key <file>          ... and this private key (PEM)                        env PALISADE_TLS_KEY
  --tls-client-ca <file>    require client certificates signed by this CA (mTLS)  env PALISADE_TLS_CLIENT_CA
  --operator-ca <file>      connect to the operator over TLS, verified with this CA  env PALISADE_OPERATOR_CA
  --workers <n>             worker processes sharing the ports (node:cluster;     env PALISADE_WORKERS
                            default 1); counters need --redis to be shared
  --check-transport <t>     http2 (default: Check served off the HTTP/2 stream)   env PALISADE_CHECK_TRANSPORT
                            or grpc-js (its generic call path; slower fallback)
`;

/** Parses argv (without node and script) and an environment. Throws ConfigError with a clear message. */
export function parseConfig(argv: string[], env: Record<string, string | undefined> = process.env): AuthzConfig {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        policies: { type: 'string', multiple: true },
        redis: { type: 'string' },
        'redis-cluster': { type: 'string' },
        operator: { type: 'string' },
        'snapshot-file': { type: 'string' },
        host: { type: 'string' },
        'grpc-port': { type: 'string' },
        'http-port': { type: 'string' },
        'store-timeout-ms': { type: 'string' },
        'log-level': { type: 'string' },
        'decision-log': { type: 'string' },
        'max-header-bytes': { type: 'string' },
        'shutdown-grace-ms': { type: 'string' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        'tls-client-ca': { type: 'string' },
        'operator-ca': { type: 'string' },
        workers: { type: 'string' },
        'check-transport': { type: 'string' },
        help: { type: 'boolean' },
      },
    }));
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  if (values.help) throw new ConfigError('help');
  const policies = values.policies ?? (env['PALISADE_POLICIES'] ? env['PALISADE_POLICIES'].split(',').filter(Boolean) : []);
  const operator = values.operator ?? env['PALISADE_OPERATOR'] ?? null;
  const clusterRaw = values['redis-cluster'] ?? env['PALISADE_REDIS_CLUSTER'];
  const decisionLog = values['decision-log'] ?? env['PALISADE_DECISION_LOG'] ?? 'all';
  if (decisionLog !== 'all' && decisionLog !== 'deny' && decisionLog !== 'off') {
    throw new ConfigError(`--decision-log must be all, deny or off, got ${JSON.stringify(decisionLog)}`);
  }
  const checkTransport = values['check-transport'] ?? env['PALISADE_CHECK_TRANSPORT'] ?? 'http2';
  if (checkTransport !== 'http2' && checkTransport !== 'grpc-js') {
    throw new ConfigError(`--check-transport must be http2 or grpc-js, got ${JSON.stringify(checkTransport)}`);
  }
  const snapshotFile = values['snapshot-file'] ?? env['PALISADE_SNAPSHOT_FILE'] ?? null;
  if (policies.length === 0 && !operator && !snapshotFile) {
    throw new ConfigError('nothing to enforce: give --policies <file|dir>, --operator <addr> or --snapshot-file <path>');
  }
  if (policies.length > 0 && operator) throw new ConfigError('--policies and --operator are exclusive (standalone or in-cluster)');
  const tlsCert = values['tls-cert'] ?? env['PALISADE_TLS_CERT'] ?? '';
  const tlsKey = values['tls-key'] ?? env['PALISADE_TLS_KEY'] ?? '';
  const clientCa = values['tls-client-ca'] ?? env['PALISADE_TLS_CLIENT_CA'] ?? '';
  const operatorCa = values['operator-ca'] ?? env['PALISADE_OPERATOR_CA'] ?? '';
  if ((tlsCert === '') !== (tlsKey === '')) throw new ConfigError('--tls-cert and --tls-key go together');
  if (clientCa && !tlsCert) throw new ConfigError('--tls-client-ca needs --tls-cert and --tls-key (client certificates are only asked for over TLS)');
  if (operatorCa && !operator) throw new ConfigError('--operator-ca needs --operator');
  return {
    policies,
    redisUrl: values.redis ?? env['PALISADE_REDIS_URL'] ?? null,
    redisClusterNodes: clusterRaw ? clusterRaw.split(',').map((s) => s.trim()).filter(Boolean) : null,
    operator,
    snapshotFile,
    host: values.host ?? env['PALISADE_HOST'] ?? '0.0.0.0',
    grpcPort: int('--grpc-port', values['grpc-port'] ?? env['PALISADE_GRPC_PORT'], 9001, 0, 65535),
    httpPort: int('--http-port', values['http-port'] ?? env['PALISADE_HTTP_PORT'], 9090, 0, 65535),
    storeTimeoutMs: int('--store-timeout-ms', values['store-timeout-ms'] ?? env['PALISADE_STORE_TIMEOUT_MS'], 50, 1, 60_000),
    logLevel: values['log-level'] ?? env['PALISADE_LOG_LEVEL'] ?? 'info',
    decisionLog,
    maxHeaderBytes: int('--max-header-bytes', values['max-header-bytes'] ?? env['PALISADE_MAX_HEADER_BYTES'], 96 * 1024, 1024, 16 * 1024 * 1024),
    maxHeaderCount: 200,
    shutdownGraceMs: int('--shutdown-grace-ms', values['shutdown-grace-ms'] ?? env['PALISADE_SHUTDOWN_GRACE_MS'], 10_000, 0, 600_000),
    reloadDebounceMs: 200,
    tls: tlsCert ? { cert: tlsCert, key: tlsKey, clientCa: clientCa || null } : null,
    operatorTls: operatorCa ? { ca: operatorCa, cert: tlsCert || null, key: tlsKey || null } : null,
    tlsRefreshMs: DEFAULT_TLS_REFRESH_MS,
    workers: int('--workers', values.workers ?? env['PALISADE_WORKERS'], 1, 1, 64),
    checkTransport,
  };
}
