/**
 * Configuration of the operator, parsed once at start from flags and environment. This is the only operator
 * module that reads `process.env`; everything else receives an OperatorConfig.
 */
import { hostname } from 'node:os';
import { parseArgs } from 'node:util';
import { ConfigError, bool, int } from '../../lib/process/config-values.ts';
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

export const USAGE = `Usage: operator [options]
  --kubeconfig <path>          kubeconfig (default: in-cluster, else $KUBECONFIG)   env KUBECONFIG
  --watch-namespace <ns>       watch one namespace (default: all)                    env PALISADE_WATCH_NAMESPACE
  --namespace <ns>             operator namespace: Lease, ConfigMaps                 env POD_NAMESPACE (default palisade-system)
  --identity <id>              replica identity (default: pod name / hostname)      env POD_NAME
  --host <addr>                listen address (default 0.0.0.0)                      env PALISADE_HOST
  --grpc-port <n>              snapshot distribution gRPC (default 9002)            env PALISADE_GRPC_PORT
  --http-port <n>              /metrics /healthz /readyz (default 8080)              env PALISADE_HTTP_PORT
  --leader-elect <bool>        elect a leader through a Lease (default true)        env PALISADE_LEADER_ELECT
  --lease-name <name>          Lease name (default palisade-operator)               env PALISADE_LEASE_NAME
  --lease-duration <dur>       e.g. 15s (default 15s)                                env PALISADE_LEASE_DURATION
  --renew-deadline <dur>       default 10s                                           env PALISADE_RENEW_DEADLINE
  --retry-period <dur>         default 2s                                            env PALISADE_RETRY_PERIOD
  --snapshot-configmap <name>  ConfigMap with the current snapshot (default palisade-snapshot; "" = off)  env PALISADE_SNAPSHOT_CONFIGMAP
  --api-key-label <label>      label of API-key Secrets (default palisade.dev/api-key)   env PALISADE_API_KEY_LABEL
  --challenge-key-label <label>  label of challenge-key Secrets (default palisade.dev/challenge-key)   env PALISADE_CHALLENGE_KEY_LABEL
  --gzip-above-bytes <n>       compress larger snapshots (default 262144)            env PALISADE_GZIP_ABOVE_BYTES
  --report-interval <dur>      distribution report refresh (default 10s)             env PALISADE_REPORT_INTERVAL
  --enforced-grace <dur>       keep Enforced=True after a leader change (default 10s)   env PALISADE_ENFORCED_GRACE
  --workers <n>                parallel reconciles (default 4)                       env PALISADE_WORKERS
  --log-level <level>          pino level (default info)                             env PALISADE_LOG_LEVEL
  --tls-cert <file>            serve the snapshot stream over TLS (PEM certificate)  env PALISADE_TLS_CERT
  --tls-key <file>             ... and its private key (PEM)                         env PALISADE_TLS_KEY
  --tls-client-ca <file>       require authz-server client certificates from this CA  env PALISADE_TLS_CLIENT_CA
  --istio-provider <name>      create Istio AuthorizationPolicies (CUSTOM, this MeshConfig provider) for policies
                               with spec.workloadSelector                            env PALISADE_ISTIO_PROVIDER
  --istio-resync <dur>         full resync of those AuthorizationPolicies (default 30s)  env PALISADE_ISTIO_RESYNC
`;

/** Parses "500ms", "15s", "2m" (a bare number is milliseconds). */
export function parseDuration(name: string, raw: string | undefined, fallbackMs: number): number {
  if (raw === undefined || raw === '') return fallbackMs;
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(raw.trim());
  if (!m) throw new ConfigError(`${name} must be a duration like 500ms, 15s or 2m, got ${JSON.stringify(raw)}`);
  const n = Number(m[1]);
  const unit = m[2] ?? 'ms';
  return Math.round(unit === 'm' ? n * 60_000 : unit === 's' ? n * 1000 : n);
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Parses argv (without node and script) and an environment. Throws ConfigError with a clear message. */
export function parseConfig(argv: string[], env: Record<string, string | undefined> = process.env): OperatorConfig {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        kubeconfig: { type: 'string' },
        'watch-namespace': { type: 'string' },
        namespace: { type: 'string' },
        identity: { type: 'string' },
        host: { type: 'string' },
        'grpc-port': { type: 'string' },
        'http-port': { type: 'string' },
        'leader-elect': { type: 'string' },
        'lease-name': { type: 'string' },
        'lease-duration': { type: 'string' },
        'renew-deadline': { type: 'string' },
        'retry-period': { type: 'string' },
        'snapshot-configmap': { type: 'string' },
        'api-key-label': { type: 'string' },
        'challenge-key-label': { type: 'string' },
        'gzip-above-bytes': { type: 'string' },
        'report-interval': { type: 'string' },
        'enforced-grace': { type: 'string' },
        workers: { type: 'string' },
        'log-level': { type: 'string' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        'tls-client-ca': { type: 'string' },
        'istio-provider': { type: 'string' },
        'istio-resync': { type: 'string' },
        help: { type: 'boolean' },
      },
    }));
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  if (values.help) throw new ConfigError('help');
  const namespace = values.namespace ?? env['POD_NAMESPACE'] ?? 'palisade-system';
  if (!DNS_LABEL.test(namespace)) throw new ConfigError(`--namespace must be a namespace name, got ${JSON.stringify(namespace)}`);
  const watchNamespace = values['watch-namespace'] ?? env['PALISADE_WATCH_NAMESPACE'] ?? null;
  if (watchNamespace !== null && watchNamespace !== '' && !DNS_LABEL.test(watchNamespace)) {
    throw new ConfigError(`--watch-namespace must be a namespace name, got ${JSON.stringify(watchNamespace)}`);
  }
  const leaseDurationMs = parseDuration('--lease-duration', values['lease-duration'] ?? env['PALISADE_LEASE_DURATION'], 15_000);
  const renewDeadlineMs = parseDuration('--renew-deadline', values['renew-deadline'] ?? env['PALISADE_RENEW_DEADLINE'], 10_000);
  const retryPeriodMs = parseDuration('--retry-period', values['retry-period'] ?? env['PALISADE_RETRY_PERIOD'], 2_000);
  if (leaseDurationMs < 1000) throw new ConfigError('--lease-duration must be at least 1s');
  if (!(renewDeadlineMs < leaseDurationMs)) throw new ConfigError('--renew-deadline must be shorter than --lease-duration');
  if (!(retryPeriodMs > 0 && retryPeriodMs < renewDeadlineMs)) throw new ConfigError('--retry-period must be positive and shorter than --renew-deadline');
  const tlsCert = values['tls-cert'] ?? env['PALISADE_TLS_CERT'] ?? '';
  const tlsKey = values['tls-key'] ?? env['PALISADE_TLS_KEY'] ?? '';
  const tlsClientCa = values['tls-client-ca'] ?? env['PALISADE_TLS_CLIENT_CA'] ?? '';
  if ((tlsCert === '') !== (tlsKey === '')) throw new ConfigError('--tls-cert and --tls-key go together');
  if (tlsClientCa && !tlsCert) throw new ConfigError('--tls-client-ca needs --tls-cert and --tls-key');
  const istioProvider = values['istio-provider'] ?? env['PALISADE_ISTIO_PROVIDER'] ?? '';
  if (istioProvider && !/^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(istioProvider)) {
    throw new ConfigError(`--istio-provider must be a MeshConfig extension provider name, got ${JSON.stringify(istioProvider)}`);
  }
  const identity = values.identity ?? env['POD_NAME'] ?? `${hostname()}-${process.pid}`;
  if (identity === '') throw new ConfigError('--identity must not be empty');
  return {
    kubeconfig: values.kubeconfig ?? env['KUBECONFIG'] ?? null,
    watchNamespace: watchNamespace === '' ? null : watchNamespace,
    namespace,
    identity,
    host: values.host ?? env['PALISADE_HOST'] ?? '0.0.0.0',
    grpcPort: int('--grpc-port', values['grpc-port'] ?? env['PALISADE_GRPC_PORT'], 9002, 0, 65535),
    httpPort: int('--http-port', values['http-port'] ?? env['PALISADE_HTTP_PORT'], 8080, 0, 65535),
    leaderElect: bool('--leader-elect', values['leader-elect'] ?? env['PALISADE_LEADER_ELECT'], true),
    leaseName: values['lease-name'] ?? env['PALISADE_LEASE_NAME'] ?? 'palisade-operator',
    leaseDurationMs,
    renewDeadlineMs,
    retryPeriodMs,
    snapshotConfigMap: values['snapshot-configmap'] ?? env['PALISADE_SNAPSHOT_CONFIGMAP'] ?? 'palisade-snapshot',
    apiKeyLabel: values['api-key-label'] ?? env['PALISADE_API_KEY_LABEL'] ?? 'palisade.dev/api-key',
    challengeKeyLabel: values['challenge-key-label'] ?? env['PALISADE_CHALLENGE_KEY_LABEL'] ?? 'palisade.dev/challenge-key',
    gzipAboveBytes: int('--gzip-above-bytes', values['gzip-above-bytes'] ?? env['PALISADE_GZIP_ABOVE_BYTES'], 256 * 1024, 0, 64 * 1024 * 1024),
    reportIntervalMs: parseDuration('--report-interval', values['report-interval'] ?? env['PALISADE_REPORT_INTERVAL'], 10_000),
    enforcedGraceMs: parseDuration('--enforced-grace', values['enforced-grace'] ?? env['PALISADE_ENFORCED_GRACE'], 10_000),
    workers: int('--workers', values.workers ?? env['PALISADE_WORKERS'], 4, 1, 64),
    logLevel: values['log-level'] ?? env['PALISADE_LOG_LEVEL'] ?? 'info',
    tls: tlsCert ? { cert: tlsCert, key: tlsKey, clientCa: tlsClientCa || null } : null,
    istioProvider: istioProvider || null,
    istioResyncMs: parseDuration('--istio-resync', values['istio-resync'] ?? env['PALISADE_ISTIO_RESYNC'], 30_000),
  };
}
