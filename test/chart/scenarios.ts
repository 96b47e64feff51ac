/**
 * Value scenarios for the chart tests. Together they set every leaf of values.yaml to a non-default value (a test
 * checks that), so `helm template`, the schema and the server-side dry-run see every documented option.
 */
export interface Scenario {
  name: string;
  /** What the scenario shows, for test names. */
  about: string;
  values: Record<string, unknown>;
  /** Namespaces (besides the release namespace) that must exist before a dry-run apply. */
  namespaces?: string[];
}

const DIGEST = `sha256:${'ab'.repeat(32)}`;

/** Where the hardened scenario schedules both workloads: dedicated Linux platform nodes, at system priority. */
const PLATFORM_NODES = {
  nodeSelector: { 'kubernetes.io/os': 'linux' },
  tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'platform', effect: 'NoSchedule' }],
  priorityClassName: 'system-cluster-critical',
};

export const SCENARIOS: Scenario[] = [
  { name: 'defaults', about: 'values.yaml as shipped', values: {} },
  {
    name: 'production-cert-manager',
    about: 'cert-manager TLS with a self-signed CA and client certificates, Prometheus Operator objects, external Redis from a Secret, tuned operator and authz',
    values: {
      tls: { enabled: true, requireClientCert: true, certManager: { enabled: true, duration: '720h', renewBefore: '240h' } },
      metrics: {
        serviceMonitor: { enabled: true, interval: '30s', scrapeTimeout: '5s', labels: { release: 'kube-prometheus-stack' } },
        prometheusRule: { enabled: true, labels: { release: 'kube-prometheus-stack' }, latencyP99Seconds: 0.025, unavailableRatio: 0.05 },
        dashboards: { namespace: 'monitoring', labels: { grafana_dashboard: '1', team: 'platform' }, annotations: { grafana_folder: 'Palisade' } },
      },
      redis: { mode: 'external', external: { existingSecret: { name: 'palisade-redis-url', key: 'redis-url' } } },
      operator: {
        replicas: 3,
        leaderElection: { leaseDuration: '20s', renewDeadline: '15s', retryPeriod: '3s' },
        apiKeyLabel: 'example.com/api-key',
        logLevel: 'debug',
        grpcPort: 19002,
        httpPort: 18080,
        podDisruptionBudget: { minAvailable: 2 },
      },
      authz: {
        logLevel: 'warn',
        decisionLog: 'all',
        storeTimeoutMs: 25,
        shutdownGraceMs: 20000,
        terminationGracePeriodSeconds: 45,
        grpcPort: 19001,
        checkPort: 19003,
        httpPort: 19090,
        autoscaling: {
          minReplicas: 3,
          maxReplicas: 20,
          targetCPUUtilizationPercentage: 60,
          behavior: { scaleDown: { stabilizationWindowSeconds: 300 } },
        },
        podDisruptionBudget: { minAvailable: '50%' },
        antiAffinity: 'hard',
        topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway' }],
        service: { type: 'LoadBalancer', annotations: { 'service.beta.kubernetes.io/aws-load-balancer-internal': 'true' } },
        clientAddress: { trustedProxies: ['10.0.0.0/8', 'spiffe://cluster.local/ns/istio-system/sa/istio-ingressgateway-service-account'], header: 'x-envoy-external-address', xffTrustedHops: 1 },
        accessLogPrincipals: ['spiffe://cluster.local/ns/*/sa/*'],
      },
    },
    namespaces: ['monitoring'],
  },
  {
    name: 'istio-user-tls',
    about: 'Istio integration (conditional RBAC), TLS from user Secrets, external Redis URL, fixed replicas, custom NetworkPolicy peers',
    values: {
      istio: { enabled: true, providerName: 'palisade-ext-authz' },
      tls: { enabled: true, authz: { existingSecret: 'authz-tls' }, operator: { existingSecret: 'operator-tls' } },
      redis: { mode: 'external', external: { url: 'rediss://redis.example.com:6380/1' } },
      authz: { replicas: 4, autoscaling: { enabled: false } },
      networkPolicy: {
        authz: {
          grpcFrom: [{ namespaceSelector: { matchLabels: { 'istio-injection': 'enabled' } } }],
          metricsFrom: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
        },
        operator: { metricsFrom: [{ ipBlock: { cidr: '10.0.0.0/8' } }] },
      },
    },
  },
  {
    name: 'single-namespace-minimal',
    about: 'one watched namespace (Role instead of ClusterRole), one operator without leader election, in-memory counters, no NetworkPolicy/PDB/dashboards, own ServiceAccounts, names, images and pod settings',
    values: {
      nameOverride: 'guard',
      fullnameOverride: 'edge-guard',
      commonLabels: { 'example.com/team': 'platform' },
      image: { registry: 'registry.example.com/security', tag: '0.1.0-rc1', pullPolicy: 'Always' },
      imagePullSecrets: [{ name: 'regcred' }],
      podSecurityContext: { runAsNonRoot: true, runAsUser: 2000, runAsGroup: 2000, fsGroup: 2000, seccompProfile: { type: 'Localhost', localhostProfile: 'profiles/palisade.json' } },
      containerSecurityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: false, capabilities: { drop: ['ALL', 'NET_RAW'] } },
      snapshot: { configMapName: 'edge-guard-last-snapshot' },
      redis: { mode: 'none' },
      networkPolicy: { enabled: false },
      metrics: { dashboards: { enabled: false } },
      operator: {
        replicas: 1,
        watchNamespace: 'team-a',
        leaderElection: { enabled: false },
        image: { repository: 'palisade/operator', tag: '0.1.0-rc2', digest: DIGEST },
        resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '1', memory: '256Mi' } },
        podDisruptionBudget: { enabled: false },
        serviceAccount: { create: false, name: 'team-a-operator', annotations: { 'example.com/owner': 'platform' } },
        extraArgs: ['--workers=2'],
        extraEnv: [{ name: 'PALISADE_REPORT_INTERVAL', value: '5s' }],
        podAnnotations: { 'example.com/scrape': 'true' },
        podLabels: { 'example.com/tier': 'control' },
        affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'kubernetes.io/arch', operator: 'In', values: ['amd64', 'arm64'] }] }] } } },
        ...PLATFORM_NODES,
      },
      authz: {
        image: { repository: 'palisade/authz', tag: '0.1.0-rc3', digest: DIGEST },
        challengeKey: { existingSecret: 'edge-guard-challenge', key: 'signing-keys' },
        resources: { requests: { cpu: '500m', memory: '256Mi' }, limits: { cpu: '2', memory: '1Gi' } },
        podDisruptionBudget: { enabled: false },
        antiAffinity: 'none',
        serviceAccount: { create: false, name: 'team-a-authz', annotations: { 'example.com/owner': 'platform' } },
        extraArgs: ['--max-header-bytes=65536'],
        extraEnv: [{ name: 'PALISADE_HOST', value: '0.0.0.0' }],
        semiSpaceMiB: 8,
        podAnnotations: { 'sidecar.istio.io/inject': 'false' },
        podLabels: { 'example.com/tier': 'data' },
        affinity: { podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 50, podAffinityTerm: { topologyKey: 'topology.kubernetes.io/zone', labelSelector: { matchLabels: { 'app.kubernetes.io/component': 'authz' } } } }] } },
        ...PLATFORM_NODES,
      },
    },
    namespaces: ['team-a'],
  },
  {
    name: 'internal-redis-tuned',
    about: 'the internal Redis without a password and with its own image, memory and scheduling; cert-manager with a ClusterIssuer',
    values: {
      redis: {
        mode: 'internal',
        internal: {
          image: { repository: 'mirror.example.com/library/redis', tag: '7.4.2-alpine' },
          auth: false,
          maxmemory: '512mb',
          resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '768Mi' } },
          nodeSelector: { 'kubernetes.io/os': 'linux' },
          tolerations: [{ key: 'dedicated', operator: 'Exists', effect: 'NoSchedule' }],
        },
      },
      tls: { enabled: true, certManager: { enabled: true, issuerRef: { name: 'corp-ca', kind: 'ClusterIssuer', group: 'cert-manager.io' } } },
      authz: { challengeKey: { existingSecret: 'corp-challenge-key' } },
    },
  },
];

/** Scenarios by name. */
export function scenario(name: string): Scenario {
  const s = SCENARIOS.find((x) => x.name === name);
  if (!s) throw new Error(`no scenario ${name}`);
  return s;
}
