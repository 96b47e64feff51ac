/**
 * Configuration of the authz-server, parsed once at start from flags and environment. This is the only module
 * that reads `process.env`; everything else receives an AuthzConfig.
 */
import { ConfigError } from '../../../lib/process/config-values.ts';
import { parseFlags, usage, type FlagSpec } from '../../../lib/process/flags.ts';
import { DEFAULT_TLS_REFRESH_MS, type ClientTlsFiles, type ServerTlsFiles } from '../../../lib/process/tls.ts';
import { clientAddressTrust } from '../pipeline/client-address.ts';

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
  /** The Check port (check-port.ts); null = off. */
  checkPort: number | null;
  /** Export the GC duration histogram (costs garbage per collection). */
  gcMetrics: boolean;
  httpPort: number;
  /** Upper bound a Check waits on the store before failurePolicy applies. */
  storeTimeoutMs: number;
  storeMergeWindowMs: number;
  storeMergeFullAt: number;
  logLevel: string;
  decisionLog: DecisionLogMode;
  maxHeaderBytes: number;
  maxHeaderCount: number;
  /** How long SIGTERM waits for in-flight Checks before forcing shutdown. */
  shutdownGraceMs: number;
  reloadDebounceMs: number;
  /** TLS on the gRPC port (null = plaintext, e.g. under an Istio sidecar). */
  tls: ServerTlsFiles | null;
  /** Cap of the reconnect backoff towards the operator. */
  operatorReconnectMaxMs: number;
  /** TLS towards the operator (null = plaintext); presents `tls`'s certificate as client certificate. */
  operatorTls: ClientTlsFiles | null;
  /** How often TLS files are re-read (renewed certificates are served without a restart). */
  tlsRefreshMs: number;
  /** Processes serving the gRPC and HTTP ports (node:cluster; 1 = no cluster). */
  workers: number;
  /** Nice value for V8's garbage-collection helper threads (gc-threads.ts); 0 leaves them alone. */
  gcThreadNice: number;
  checkTransport: CheckTransport;
  /** File with the server-wide challenge signing key(s), one per line, the first signs; null = a random key. */
  challengeKeyFile: string | null;
  /**
   * A random server-wide key the cluster primary hands to its workers when there is no key file, so that every
   * worker accepts the others' passes (internal: set through the environment by the primary only).
   */
  challengeSharedKey: string | null;
  /** Whose forwarded client address is believed (client-address.ts). */
  clientAddress: { trustedProxies: string[]; header: string; hops: number };
  /** SPIFFE globs of the Envoys allowed to send access logs (empty = any peer; entries still must match a Check). */
  accessLogPrincipals: string[];
}

/** Environment variable through which the cluster primary hands its random challenge key to the workers. */
export const SHARED_CHALLENGE_KEY_ENV = 'PALISADE_INTERNAL_CHALLENGE_KEY';

/** Every authz-server flag: parseArgs options, `--help` and the README's table come from here. */
export const FLAGS = [
  { name: 'policies', type: 'list', default: [], env: 'PALISADE_POLICIES', arg: '<file|dir>', group: 'Policies', defaultText: '', help: 'standalone mode: ApiProtectionPolicy YAML files or directories (repeatable or comma-separated); hot reload, a bad file keeps the last good snapshot; SIGHUP reloads' },
  { name: 'operator', type: 'string', default: null, env: 'PALISADE_OPERATOR', arg: '<host:port>', group: 'Policies', help: "in-cluster mode: receive snapshots from the operator's stream" },
  { name: 'operator-reconnect-max', type: 'duration', default: 5_000, env: 'PALISADE_OPERATOR_RECONNECT_MAX', min: 250, max: 300_000, group: 'Policies', help: 'cap of the capped exponential backoff (250ms doubling, with jitter) between reconnects to the operator' },
  { name: 'snapshot-file', type: 'string', default: null, env: 'PALISADE_SNAPSHOT_FILE', arg: '<path>', group: 'Policies', help: 'last known snapshot to start from while the operator is away' },
  { name: 'redis', type: 'string', default: null, env: 'PALISADE_REDIS_URL', arg: '<url>', group: 'Counter store', defaultText: 'in-memory', help: 'shared counter store, e.g. redis://redis:6379' },
  { name: 'redis-cluster', type: 'list', default: null, env: 'PALISADE_REDIS_CLUSTER', arg: '<h:p,...>', group: 'Counter store', help: 'Redis Cluster seed nodes (instead of --redis)' },
  { name: 'store-timeout-ms', type: 'int', default: 50, env: 'PALISADE_STORE_TIMEOUT_MS', min: 1, max: 60_000, group: 'Counter store', help: 'the longest a Check waits on the store before the failurePolicy applies' },
  { name: 'store-merge-window-ms', type: 'int', default: 1, env: 'PALISADE_STORE_MERGE_WINDOW_MS', min: 0, max: 10, group: 'Counter store', help: 'under load (the last Redis call served two Checks or more), how long the next call waits for more Checks to merge; 0 merges only the Checks of one event-loop turn' },
  { name: 'store-merge-full-at', type: 'int', default: 6, env: 'PALISADE_STORE_MERGE_FULL_AT', min: 2, max: 64, group: 'Counter store', help: 'how many Checks waiting for a merged Redis call end its wait at once, before the merge window is out' },
  { name: 'host', type: 'string', default: '0.0.0.0', env: 'PALISADE_HOST', arg: '<addr>', group: 'Serving', help: 'listen address of both ports' },
  { name: 'grpc-port', type: 'int', default: 9001, env: 'PALISADE_GRPC_PORT', min: 0, max: 65535, group: 'Serving', help: 'ext_authz, access log and health gRPC port' },
  { name: 'check-port', type: 'int', default: 9003, env: 'PALISADE_CHECK_PORT', min: -1, max: 65535, group: 'Serving', help: "Authorization/Check (and Health/Check) on Palisade's own HTTP/2 server: less CPU and a shorter tail than the gRPC port; 0 = a free port, -1 = off" },
  { name: 'http-port', type: 'int', default: 9090, env: 'PALISADE_HTTP_PORT', min: 0, max: 65535, group: 'Serving', help: '/metrics /healthz /readyz /inventory' },
  { name: 'max-header-bytes', type: 'int', default: 96 * 1024, env: 'PALISADE_MAX_HEADER_BYTES', min: 1024, max: 16 * 1024 * 1024, group: 'Serving', help: 'larger header sets are refused (`inspection`)' },
  { name: 'shutdown-grace-ms', type: 'int', default: 10_000, env: 'PALISADE_SHUTDOWN_GRACE_MS', min: 0, max: 600_000, group: 'Serving', help: 'SIGTERM drains in-flight Checks this long' },
  { name: 'workers', type: 'int', default: 1, env: 'PALISADE_WORKERS', min: 1, max: 64, group: 'Serving', help: 'node:cluster worker processes sharing the gRPC and HTTP ports; rate-limit counters are shared only with --redis; /metrics answers for one worker' },
  { name: 'gc-metrics', type: 'bool', default: false, env: 'PALISADE_GC_METRICS', group: 'Serving', help: "export palisade_authz_nodejs_gc_duration_seconds; its gc PerformanceObserver makes Node build an object per collection (about 70 a second under load): 2.7 % more CPU per Check at 3540 rps (bench/RESULTS.md)" },
  { name: 'gc-thread-nice', type: 'int', default: 10, env: 'PALISADE_GC_THREAD_NICE', min: 0, max: 19, group: 'Serving', help: "nice value of V8's garbage-collection helper threads (Linux): they use spare CPU instead of competing with the thread that answers Checks; 0 leaves them at the process's priority" },
  { name: 'check-transport', type: 'string', default: 'http2', env: 'PALISADE_CHECK_TRANSPORT', choices: ['http2', 'grpc-js'], group: 'Serving', help: "how Check is served: straight off the HTTP/2 stream, or through grpc-js's generic call path (slower; a fallback). Health and the access log service are grpc-js either way" },
  { name: 'tls-cert', type: 'string', default: null, env: 'PALISADE_TLS_CERT', arg: '<file>', group: 'TLS', defaultText: 'plaintext', help: 'serve gRPC over TLS with this certificate (PEM); files re-read every minute, so renewals need no restart' },
  { name: 'tls-key', type: 'string', default: null, env: 'PALISADE_TLS_KEY', arg: '<file>', group: 'TLS', help: 'private key of --tls-cert (PEM)' },
  { name: 'tls-client-ca', type: 'string', default: null, env: 'PALISADE_TLS_CLIENT_CA', arg: '<file>', group: 'TLS', help: 'require client certificates signed by this CA (mTLS)' },
  { name: 'operator-ca', type: 'string', default: null, env: 'PALISADE_OPERATOR_CA', arg: '<file>', group: 'TLS', defaultText: 'plaintext', help: 'connect to the operator over TLS, verified with this CA; presents --tls-cert as client certificate' },
  { name: 'trusted-proxies', type: 'list', default: [], env: 'PALISADE_TRUSTED_PROXIES', arg: '<cidr|spiffe,...>', group: 'Trust', defaultText: 'none', help: 'peers whose forwarded client address is believed: CIDRs and/or SPIFFE principal globs of gateways; from any other peer the client is the TCP peer' },
  { name: 'client-ip-header', type: 'string', default: 'x-forwarded-for', env: 'PALISADE_CLIENT_IP_HEADER', arg: '<name>', group: 'Trust', help: 'header a trusted proxy puts the client address in (x-forwarded-for is read right to left)' },
  { name: 'xff-trusted-hops', type: 'int', default: 0, env: 'PALISADE_XFF_TRUSTED_HOPS', min: 0, max: 16, group: 'Trust', help: 'trusted proxies in front of the trusted peer that appended to x-forwarded-for, as Envoy\'s xff_num_trusted_hops' },
  { name: 'access-log-principals', type: 'list', default: [], env: 'PALISADE_ACCESS_LOG_PRINCIPALS', arg: '<spiffe,...>', group: 'Trust', defaultText: 'any peer', help: 'accept access logs only from mTLS peers (--tls-client-ca) whose certificate URI SAN matches one of these SPIFFE globs' },
  { name: 'log-level', type: 'string', default: 'info', env: 'PALISADE_LOG_LEVEL', arg: '<level>', choices: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], group: 'Logging', help: 'pino log level' },
  { name: 'decision-log', type: 'string', default: 'deny', env: 'PALISADE_DECISION_LOG', choices: ['all', 'deny', 'off'], group: 'Logging', help: 'one JSON line per decision: every decision (about 4 % more CPU per Check, measured side by side), denials only, or none' },
  { name: 'challenge-key-file', type: 'string', default: null, env: 'PALISADE_CHALLENGE_KEY_FILE', arg: '<file>', group: 'Challenges', defaultText: 'a random key', help: 'server-wide challenge signing key(s), one per line, the first signs, at least 32 characters each; read at start. Without it each start draws a random key (shared by --workers): passes then do not survive a restart nor hold on other replicas, so give every replica the same file' },
] as const satisfies readonly FlagSpec[];

/** The `--help` text. */
export const USAGE = usage('authz-server', FLAGS);

/** Parses argv (without node and script) and an environment. Throws ConfigError with a clear message. */
export function parseConfig(argv: string[], env: Record<string, string | undefined> = process.env): AuthzConfig {
  const v = parseFlags(FLAGS, argv, env);
  const { operator } = v;
  const snapshotFile = v['snapshot-file'];
  // `npm start` names the example policies this way, so that `npm start -- --policies X` enforces X alone.
  const fallback = (env['PALISADE_DEFAULT_POLICIES'] ?? '').split(',').filter(Boolean);
  const policies = v.policies.length === 0 && !operator && !snapshotFile ? fallback : v.policies;
  if (policies.length === 0 && !operator && !snapshotFile) {
    throw new ConfigError('nothing to enforce: give --policies <file|dir>, --operator <addr> or --snapshot-file <path>');
  }
  if (policies.length > 0 && operator) throw new ConfigError('--policies and --operator are exclusive (standalone or in-cluster)');
  const tlsCert = v['tls-cert'] ?? '';
  const tlsKey = v['tls-key'] ?? '';
  const clientCa = v['tls-client-ca'] ?? '';
  const operatorCa = v['operator-ca'] ?? '';
  if ((tlsCert === '') !== (tlsKey === '')) throw new ConfigError('--tls-cert and --tls-key go together');
  if (clientCa && !tlsCert) throw new ConfigError('--tls-client-ca needs --tls-cert and --tls-key (client certificates are only asked for over TLS)');
  if (operatorCa && !operator) throw new ConfigError('--operator-ca needs --operator');
  const clientAddress = { trustedProxies: v['trusted-proxies'], header: v['client-ip-header'].toLowerCase(), hops: v['xff-trusted-hops'] };
  try {
    clientAddressTrust(clientAddress.trustedProxies, clientAddress.header, clientAddress.hops);
  } catch (err) {
    throw new ConfigError(`--trusted-proxies / --client-ip-header: ${(err as Error).message}`);
  }
  const accessLogPrincipals = v['access-log-principals'];
  if (accessLogPrincipals.length > 0 && !clientCa) {
    throw new ConfigError('--access-log-principals needs --tls-client-ca (the principal is read from the verified client certificate)');
  }
  const badPrincipal = accessLogPrincipals.find((p) => !p.startsWith('spiffe://'));
  if (badPrincipal !== undefined) throw new ConfigError(`--access-log-principals: ${JSON.stringify(badPrincipal)} is not a spiffe:// principal`);
  const cluster = v['redis-cluster'];
  return {
    policies,
    redisUrl: v.redis,
    redisClusterNodes: cluster && cluster.length > 0 ? cluster : null,
    operator,
    snapshotFile,
    host: v.host,
    grpcPort: v['grpc-port'],
    checkPort: v['check-port'] < 0 ? null : v['check-port'],
    gcMetrics: v['gc-metrics'],
    httpPort: v['http-port'],
    storeTimeoutMs: v['store-timeout-ms'],
    storeMergeWindowMs: v['store-merge-window-ms'],
    storeMergeFullAt: v['store-merge-full-at'],
    logLevel: v['log-level'],
    decisionLog: v['decision-log'] as DecisionLogMode,
    maxHeaderBytes: v['max-header-bytes'],
    maxHeaderCount: 200,
    shutdownGraceMs: v['shutdown-grace-ms'],
    reloadDebounceMs: 200,
    tls: tlsCert ? { cert: tlsCert, key: tlsKey, clientCa: clientCa || null } : null,
    operatorReconnectMaxMs: v['operator-reconnect-max'],
    operatorTls: operatorCa ? { ca: operatorCa, cert: tlsCert || null, key: tlsKey || null } : null,
    tlsRefreshMs: DEFAULT_TLS_REFRESH_MS,
    workers: v.workers,
    gcThreadNice: v['gc-thread-nice'],
    checkTransport: v['check-transport'] as CheckTransport,
    challengeKeyFile: v['challenge-key-file'],
    challengeSharedKey: env[SHARED_CHALLENGE_KEY_ENV] ?? null,
    clientAddress,
    accessLogPrincipals,
  };
}
