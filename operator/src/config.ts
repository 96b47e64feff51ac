/**
 * Configuration of the operator, parsed once at start from flags and environment. This is the only operator
 * module that reads `process.env`; everything else receives an OperatorConfig.
 */
import { hostname } from 'node:os';
import { ConfigError } from '../../lib/process/config-values.ts';
import { parseFlags, usage, type FlagSpec } from '../../lib/process/flags.ts';
import type { ServerTlsFiles } from '../../lib/process/tls.ts';

export { ConfigError };

export interface OperatorConfig {
  /** Kubeconfig file; null = in-cluster service account, else the usual defaults ($KUBECONFIG, ~/.kube/config). */
  kubeconfig: string | null;
  /** Only watch policies and Secrets in this namespace; null = all namespaces. */
  watchNamespace: string | null;
  /** The operator's own namespace: Lease, snapshot ConfigMap, distribution reports. */
  namespace: string;
  /** This replica's identity (Lease holder, Event reporting instance); defaults to the pod name. */
  identity: string;
  host: string;
  /** Snapshot distribution gRPC port (default 9002). */
  grpcPort: number;
  /** /metrics /healthz /readyz (default 8080). */
  httpPort: number;
  leaderElect: boolean;
  leaseName: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
  /** ConfigMap (in `namespace`) that receives the current snapshot; empty string disables it. */
  snapshotConfigMap: string;
  /** ConfigMap (in `namespace`) keeping each policy's last accepted generation across restarts; "" = memory only. */
  acceptedConfigMap: string;
  /** Label every API-key Secret carries (any value); only those Secrets are watched. */
  apiKeyLabel: string;
  /** Label every challenge-key Secret (`bot.challenge.keySecret`) carries (any value); only those are watched. */
  challengeKeyLabel: string;
  /** Snapshot bodies above this size are gzip-compressed (stream and ConfigMap). */
  gzipAboveBytes: number;
  /** How often each replica refreshes its distribution report (ACK state of its authz-server streams). */
  reportIntervalMs: number;
  /** After gaining leadership, how long Enforced=True is kept while authz-servers reconnect. */
  enforcedGraceMs: number;
  /** Parallel reconciles (different keys). */
  workers: number;
  logLevel: string;
  /** TLS on the snapshot gRPC port (null = plaintext); `clientCa` set = authz-servers must present a certificate. */
  tls: ServerTlsFiles | null;
  /** Istio extension provider name: manage AuthorizationPolicies (action CUSTOM) for policies with a workloadSelector. */
  istioProvider: string | null;
  /** Full resync period of the Istio AuthorizationPolicies. */
  istioResyncMs: number;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Every operator flag: parseArgs options, `--help` and the README's table come from here. */
export const FLAGS = [
  { name: 'kubeconfig', type: 'string', default: null, env: 'KUBECONFIG', arg: '<path>', group: 'Kubernetes', defaultText: 'in-cluster, else ~/.kube/config', help: 'kubeconfig file' },
  { name: 'watch-namespace', type: 'string', default: null, env: 'PALISADE_WATCH_NAMESPACE', arg: '<ns>', group: 'Kubernetes', defaultText: 'all namespaces', help: 'watch policies and Secrets in this namespace only' },
  { name: 'namespace', type: 'string', default: 'palisade-system', env: 'POD_NAMESPACE', arg: '<ns>', group: 'Kubernetes', help: "the operator's namespace: Lease, snapshot ConfigMap, distribution reports" },
  { name: 'identity', type: 'string', default: null, env: 'POD_NAME', arg: '<id>', group: 'Kubernetes', defaultText: 'hostname-pid', help: 'replica identity: Lease holder, Event reporting instance' },
  { name: 'api-key-label', type: 'string', default: 'palisade.dev/api-key', env: 'PALISADE_API_KEY_LABEL', arg: '<label>', group: 'Kubernetes', help: 'label every API-key Secret carries (any value); only those Secrets are read' },
  { name: 'challenge-key-label', type: 'string', default: 'palisade.dev/challenge-key', env: 'PALISADE_CHALLENGE_KEY_LABEL', arg: '<label>', group: 'Kubernetes', help: 'label every Secret named by a bot.challenge.keySecret carries (any value); only those Secrets are read' },
  { name: 'workers', type: 'int', default: 4, env: 'PALISADE_WORKERS', min: 1, max: 64, group: 'Kubernetes', help: 'parallel reconciles of different keys' },
  { name: 'host', type: 'string', default: '0.0.0.0', env: 'PALISADE_HOST', arg: '<addr>', group: 'Serving', help: 'listen address of both ports' },
  { name: 'grpc-port', type: 'int', default: 9002, env: 'PALISADE_GRPC_PORT', min: 0, max: 65535, group: 'Serving', help: 'snapshot distribution gRPC port' },
  { name: 'http-port', type: 'int', default: 8080, env: 'PALISADE_HTTP_PORT', min: 0, max: 65535, group: 'Serving', help: '/metrics /healthz /readyz' },
  { name: 'tls-cert', type: 'string', default: null, env: 'PALISADE_TLS_CERT', arg: '<file>', group: 'Serving', defaultText: 'plaintext', help: 'serve the snapshot stream over TLS with this certificate (PEM)' },
  { name: 'tls-key', type: 'string', default: null, env: 'PALISADE_TLS_KEY', arg: '<file>', group: 'Serving', help: 'private key of --tls-cert (PEM)' },
  { name: 'tls-client-ca', type: 'string', default: null, env: 'PALISADE_TLS_CLIENT_CA', arg: '<file>', group: 'Serving', help: 'require authz-server client certificates signed by this CA (mTLS)' },
  { name: 'gzip-above-bytes', type: 'int', default: 256 * 1024, env: 'PALISADE_GZIP_ABOVE_BYTES', min: 0, max: 64 * 1024 * 1024, group: 'Serving', help: 'gzip snapshot bodies above this size (stream and ConfigMap)' },
  { name: 'snapshot-configmap', type: 'string', default: 'palisade-snapshot', env: 'PALISADE_SNAPSHOT_CONFIGMAP', arg: '<name>', group: 'Serving', help: 'ConfigMap the leader writes the current snapshot to ("" = off)' },
  { name: 'accepted-configmap', type: 'string', default: 'palisade-accepted', env: 'PALISADE_ACCEPTED_CONFIGMAP', arg: '<name>', group: 'Serving', help: 'ConfigMap keeping the last accepted generation of each policy across restarts ("" = memory only)' },
  { name: 'report-interval', type: 'duration', default: 10_000, env: 'PALISADE_REPORT_INTERVAL', min: 100, group: 'Serving', help: "how often each replica publishes its authz-server streams' ACK state" },
  { name: 'leader-elect', type: 'bool', default: true, env: 'PALISADE_LEADER_ELECT', group: 'Leader election', help: 'elect a leader through a Lease (only the leader writes status, Events, the ConfigMap)' },
  { name: 'lease-name', type: 'string', default: 'palisade-operator', env: 'PALISADE_LEASE_NAME', arg: '<name>', group: 'Leader election', help: 'Lease name' },
  { name: 'lease-duration', type: 'duration', default: 8_000, env: 'PALISADE_LEASE_DURATION', min: 1000, group: 'Leader election', help: 'how long a Lease is valid without renewal' },
  { name: 'renew-deadline', type: 'duration', default: 5_000, env: 'PALISADE_RENEW_DEADLINE', group: 'Leader election', help: 'the leader steps down when it cannot renew within this' },
  { name: 'retry-period', type: 'duration', default: 1_000, env: 'PALISADE_RETRY_PERIOD', group: 'Leader election', help: 'interval between Lease renewals and acquisition attempts' },
  { name: 'enforced-grace', type: 'duration', default: 10_000, env: 'PALISADE_ENFORCED_GRACE', group: 'Leader election', help: 'after a leader change, keep Enforced=True this long while authz-servers reconnect' },
  { name: 'istio-provider', type: 'string', default: null, env: 'PALISADE_ISTIO_PROVIDER', arg: '<name>', group: 'Istio', defaultText: 'off', help: 'manage Istio AuthorizationPolicies (action CUSTOM, this MeshConfig provider) for policies with spec.workloadSelector' },
  { name: 'istio-resync', type: 'duration', default: 30_000, env: 'PALISADE_ISTIO_RESYNC', min: 1000, group: 'Istio', help: 'full resync of those AuthorizationPolicies (repairs hand edits)' },
  { name: 'log-level', type: 'string', default: 'info', env: 'PALISADE_LOG_LEVEL', arg: '<level>', choices: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], group: 'Logging', help: 'pino log level' },
] as const satisfies readonly FlagSpec[];

/** The `--help` text. */
export const USAGE = usage('operator', FLAGS);

/** Parses argv (without node and script) and an environment. Throws ConfigError with a clear message. */
export function parseConfig(argv: string[], env: Record<string, string | undefined> = process.env): OperatorConfig {
  const v = parseFlags(FLAGS, argv, env);
  const namespace = v.namespace;
  if (!DNS_LABEL.test(namespace)) throw new ConfigError(`--namespace must be a namespace name, got ${JSON.stringify(namespace)}`);
  const watchNamespace = v['watch-namespace'] || null;
  if (watchNamespace !== null && !DNS_LABEL.test(watchNamespace)) {
    throw new ConfigError(`--watch-namespace must be a namespace name, got ${JSON.stringify(watchNamespace)}`);
  }
  const leaseDurationMs = v['lease-duration'];
  const renewDeadlineMs = v['renew-deadline'];
  const retryPeriodMs = v['retry-period'];
  if (!(renewDeadlineMs < leaseDurationMs)) throw new ConfigError('--renew-deadline must be shorter than --lease-duration');
  if (!(retryPeriodMs > 0 && retryPeriodMs < renewDeadlineMs)) throw new ConfigError('--retry-period must be positive and shorter than --renew-deadline');
  const tlsCert = v['tls-cert'] ?? '';
  const tlsKey = v['tls-key'] ?? '';
  const tlsClientCa = v['tls-client-ca'] ?? '';
  if ((tlsCert === '') !== (tlsKey === '')) throw new ConfigError('--tls-cert and --tls-key go together');
  if (tlsClientCa && !tlsCert) throw new ConfigError('--tls-client-ca needs --tls-cert and --tls-key');
  const istioProvider = v['istio-provider'] ?? '';
  if (istioProvider && !/^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(istioProvider)) {
    throw new ConfigError(`--istio-provider must be a MeshConfig extension provider name, got ${JSON.stringify(istioProvider)}`);
  }
  const identity = v.identity ?? `${hostname()}-${process.pid}`;
  if (identity === '') throw new ConfigError('--identity must not be empty');
  return {
    kubeconfig: v.kubeconfig || null,
    watchNamespace,
    namespace,
    identity,
    host: v.host,
    grpcPort: v['grpc-port'],
    httpPort: v['http-port'],
    leaderElect: v['leader-elect'],
    leaseName: v['lease-name'],
    leaseDurationMs,
    renewDeadlineMs,
    retryPeriodMs,
    snapshotConfigMap: v['snapshot-configmap'],
    acceptedConfigMap: v['accepted-configmap'],
    apiKeyLabel: v['api-key-label'],
    challengeKeyLabel: v['challenge-key-label'],
    gzipAboveBytes: v['gzip-above-bytes'],
    reportIntervalMs: v['report-interval'],
    enforcedGraceMs: v['enforced-grace'],
    workers: v.workers,
    logLevel: v['log-level'],
    tls: tlsCert ? { cert: tlsCert, key: tlsKey, clientCa: tlsClientCa || null } : null,
    istioProvider: istioProvider || null,
    istioResyncMs: v['istio-resync'],
  };
}
