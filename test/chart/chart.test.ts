/**
 * The Helm chart without a cluster: helm lint, helm template for every scenario (together: every documented
 * option), what each option renders to, the shipped CRD and dashboards, and values.schema.json's refusals.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CHART_DIR, NAMESPACE, ROOT, container, defaultValues, helm, helmBin, leafPaths, podSpec, render, tryRender, type K8sObject } from './chart.ts';
import { SCENARIOS, scenario } from './scenarios.ts';

beforeAll(() => {
  helmBin(); // provisions helm (go install) on the first run; later runs find it in the cache
}, 30 * 60_000);

const args = (d: K8sObject, name: string) => container(d, name).args;

describe('helm lint', () => {
  it.each(SCENARIOS.map((s) => [s.name, s] as const))('passes --strict with %s', (_name, s) => {
    const dir = mkdtempSync(join(tmpdir(), 'palisade-lint-'));
    try {
      writeFileSync(join(dir, 'values.yaml'), JSON.stringify(s.values));
      const r = helm(['lint', '--strict', CHART_DIR, '--namespace', NAMESPACE, '-f', join(dir, 'values.yaml')]);
      expect(r.stderr + r.stdout).toContain('1 chart(s) linted, 0 chart(s) failed');
      expect(r.code).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});


describe('helm template', () => {
  it('every documented option (each leaf of values.yaml) is set by some scenario', () => {
    const documented = leafPaths(defaultValues());
    const set = new Set(SCENARIOS.flatMap((s) => leafPaths(s.values)));
    const covered = (p: string) => set.has(p) || [...set].some((q) => q.startsWith(`${p}.`));
    expect(documented.filter((p) => !covered(p))).toEqual([]);
    expect(documented.length).toBeGreaterThan(100);
  });

  it.each(SCENARIOS.map((s) => [s.name, s] as const))('renders %s', (_name, s) => {
    const r = render(s.values);
    expect(r.objects.length).toBeGreaterThan(5);
    for (const o of r.objects) {
      expect(o.metadata.name.length, `${o.kind}/${o.metadata.name}`).toBeLessThanOrEqual(63);
      expect(o.metadata.labels?.['app.kubernetes.io/part-of'], `${o.kind}/${o.metadata.name}`).toBe('palisade');
    }
    // Names are unique per kind and namespace.
    const keys = r.objects.map((o) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it("authz.semiSpaceMiB runs the image's entrypoint with that semi-space; unset, the image's entrypoint runs", () => {
    const dockerfile = readFileSync(join(ROOT, 'authz-server/Dockerfile'), 'utf8');
    const entrypoint = JSON.parse(/^ENTRYPOINT (\[.*\])$/m.exec(dockerfile)![1]!) as string[];
    expect(entrypoint).toContain('--max-semi-space-size=2');
    expect(container(render().get('Deployment', '-authz'), 'authz-server')['command']).toBeUndefined();
    const command = container(render({ authz: { semiSpaceMiB: 8 } }).get('Deployment', '-authz'), 'authz-server')['command'];
    expect(command).toEqual(entrypoint.map((a) => (a === '--max-semi-space-size=2' ? '--max-semi-space-size=8' : a)));
  });

  it('defaults: 2 operator replicas with leader election and probes on :8080; authz with HPA, PDB, anti-affinity, probes on :9090, snapshot ConfigMap, --operator', () => {
    const r = render();
    const op = r.get('Deployment', '-operator');
    expect((op['spec'] as { replicas: number }).replicas).toBe(2);
    const opc = container(op, 'operator');
    expect(opc.args).toEqual(expect.arrayContaining(['--leader-elect=true', '--lease-name=pal-palisade-operator', '--grpc-port=9002', '--http-port=8080', '--snapshot-configmap=pal-palisade-snapshot']));
    expect(opc['livenessProbe']).toMatchObject({ httpGet: { path: '/healthz', port: 'http-metrics' } });
    expect(opc['readinessProbe']).toMatchObject({ httpGet: { path: '/readyz', port: 'http-metrics' } });
    expect(opc['ports']).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'http-metrics', containerPort: 8080 }), expect.objectContaining({ name: 'grpc', containerPort: 9002 })]));

    const authz = r.get('Deployment', '-authz');
    expect((authz['spec'] as { replicas?: number }).replicas).toBeUndefined(); // the HPA owns it
    const ac = container(authz, 'authz-server');
    expect(ac.args).toEqual(expect.arrayContaining(['--operator=pal-palisade-operator.palisade-system.svc:9002', '--snapshot-file=/var/run/palisade/snapshot/snapshot.json']));
    expect(ac['livenessProbe']).toMatchObject({ httpGet: { path: '/healthz', port: 'http-metrics' } });
    expect(ac['readinessProbe']).toMatchObject({ httpGet: { path: '/readyz', port: 'http-metrics' } });
    expect(ac['ports']).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'http-metrics', containerPort: 9090 }), expect.objectContaining({ name: 'grpc', containerPort: 9001 }), expect.objectContaining({ name: 'grpc-check', containerPort: 9003 })]));
    expect(ac.args).toContain('--check-port=9003');
    const spec = podSpec(authz);
    expect(spec['automountServiceAccountToken']).toBe(false);
    expect(spec['volumes']).toEqual(expect.arrayContaining([{ name: 'snapshot', configMap: { name: 'pal-palisade-snapshot', optional: true } }]));
    expect(ac.volumeMounts).toEqual(expect.arrayContaining([{ name: 'snapshot', mountPath: '/var/run/palisade/snapshot', readOnly: true }]));
    // One generated challenge key for every replica (a pass earned through one holds on the others), kept on uninstall.
    const key = r.get('Secret', '-challenge-key');
    expect(key.metadata.annotations?.['helm.sh/resource-policy']).toBe('keep');
    expect(Buffer.from(String((key['data'] as Record<string, string>)['keys']), 'base64').toString()).toMatch(/^[A-Za-z0-9]{48}$/);
    expect(ac.args).toContain('--challenge-key-file=/etc/palisade/challenge/keys');
    expect(spec['volumes']).toContainEqual({ name: 'challenge-key', secret: { secretName: 'pal-palisade-challenge-key', items: [{ key: 'keys', path: 'keys' }] } });
    expect(ac.volumeMounts).toContainEqual({ name: 'challenge-key', mountPath: '/etc/palisade/challenge', readOnly: true });
    expect(JSON.stringify(spec['affinity'])).toContain('preferredDuringSchedulingIgnoredDuringExecution');
    expect(r.get('HorizontalPodAutoscaler')['spec']).toMatchObject({ minReplicas: 2, maxReplicas: 10, scaleTargetRef: { kind: 'Deployment', name: 'pal-palisade-authz' } });
    expect(r.all('PodDisruptionBudget').map((p) => p.metadata.name).sort()).toEqual(['pal-palisade-authz', 'pal-palisade-operator']);

    // Non-root, read-only, no privilege escalation everywhere.
    for (const d of r.all('Deployment')) {
      const ps = podSpec(d);
      expect((ps['securityContext'] as { runAsNonRoot: boolean }).runAsNonRoot, d.metadata.name).toBe(true);
      for (const c of ps['containers'] as Array<{ securityContext: Record<string, unknown> }>) {
        expect(c.securityContext, d.metadata.name).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
      }
    }
  });

  it('defaults: Services with appProtocol grpc on 9001 and 9003 (authz) and 9002 (operator)', () => {
    const r = render();
    const port = (svc: K8sObject, name: string) => (svc['spec'] as { ports: Array<Record<string, unknown>> }).ports.find((p) => p['name'] === name);
    expect(port(r.get('Service', '-authz'), 'grpc')).toMatchObject({ port: 9001, appProtocol: 'grpc', targetPort: 'grpc' });
    expect(port(r.get('Service', '-authz'), 'grpc-check')).toMatchObject({ port: 9003, appProtocol: 'grpc', targetPort: 'grpc-check' });
    expect(port(r.get('Service', '-authz'), 'http-metrics')).toMatchObject({ port: 9090 });
    expect(port(r.get('Service', '-operator'), 'grpc')).toMatchObject({ port: 9002, appProtocol: 'grpc' });
    expect(port(r.get('Service', '-operator'), 'http-metrics')).toMatchObject({ port: 8080 });
  });

  it('defaults: the internal Redis with a generated password, reached through PALISADE_REDIS_URL', () => {
    const r = render();
    const secret = r.get('Secret', '-redis');
    const password = Buffer.from((secret['data'] as { password: string }).password, 'base64').toString();
    expect(password).toMatch(/^[A-Za-z0-9]{32}$/);
    const env = container(r.get('Deployment', '-authz'), 'authz-server').env ?? [];
    expect(env).toEqual(expect.arrayContaining([{ name: 'PALISADE_REDIS_URL', value: 'redis://:$(REDIS_PASSWORD)@pal-palisade-redis.palisade-system.svc:6379/0' }]));
    expect(env.findIndex((e) => e.name === 'REDIS_PASSWORD')).toBeLessThan(env.findIndex((e) => e.name === 'PALISADE_REDIS_URL'));
    expect(args(r.get('Deployment', '-redis'), 'redis')).toEqual(expect.arrayContaining(['--requirepass', '$(REDIS_PASSWORD)', '--maxmemory-policy', 'volatile-ttl']));
  });

  it('defaults: least-privilege RBAC; no istio rule; the authz-server has no RBAC at all', () => {
    const r = render();
    const rules = r.get('ClusterRole')['rules'] as Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }>;
    expect(rules.flatMap((x) => x.apiGroups)).not.toContain('security.istio.io');
    for (const rule of rules) {
      expect(rule.verbs).not.toContain('*');
      expect(rule.resources).not.toContain('*');
      if (rule.resources.includes('secrets')) expect(rule.verbs.sort()).toEqual(['list', 'watch']);
    }
    const bound = [...r.all('ClusterRoleBinding'), ...r.all('RoleBinding')].flatMap((b) => (b['subjects'] as Array<{ name: string }>).map((s) => s.name));
    expect(new Set(bound)).toEqual(new Set(['pal-palisade-operator']));
    expect(r.get('ServiceAccount', '-authz')['automountServiceAccountToken']).toBe(false);
  });

  it('defaults: NetworkPolicies: operator gRPC only from authz pods, Redis only from authz pods', () => {
    const r = render();
    const np = r.get('NetworkPolicy', '-operator')['spec'] as { ingress: Array<{ ports: Array<{ port: string }>; from?: unknown[] }> };
    const grpcRule = np.ingress.find((i) => i.ports.some((p) => p.port === 'grpc'));
    expect(grpcRule?.from).toEqual([{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'palisade', 'app.kubernetes.io/instance': 'pal', 'app.kubernetes.io/component': 'authz' } } }]);
    const redis = r.get('NetworkPolicy', '-redis')['spec'] as { ingress: Array<{ from: unknown[] }> };
    expect(redis.ingress[0]?.from).toEqual(grpcRule?.from);
  });

  it('defaults: Grafana dashboards as ConfigMaps labelled grafana_dashboard: "1", byte-identical to dashboards/*.json', () => {
    const r = render();
    for (const name of ['overview', 'operator']) {
      const cm = r.get('ConfigMap', `-dashboard-${name}`);
      expect(cm.metadata.labels?.['grafana_dashboard']).toBe('1');
      const data = (cm['data'] as Record<string, string>)[`palisade-${name}.json`];
      expect(data).toBe(readFileSync(join(CHART_DIR, 'dashboards', `${name}.json`), 'utf8').trimEnd());
      expect(JSON.parse(data ?? '').uid).toBe(`palisade-${name}`);
    }
    expect(r.find('ServiceMonitor')).toBeUndefined();
    expect(r.find('PrometheusRule')).toBeUndefined();
    expect(r.find('Certificate')).toBeUndefined();
  });

  it('production-cert-manager: Certificates from a self-signed CA, TLS flags and mounts, ServiceMonitors, PrometheusRule, Redis URL from the Secret', () => {
    const r = render(scenario('production-cert-manager').values);
    expect(r.all('Issuer').map((i) => i.metadata.name).sort()).toEqual(['pal-palisade-ca', 'pal-palisade-selfsigned']);
    const certs = r.all('Certificate');
    expect(certs.map((c) => c.metadata.name).sort()).toEqual(['pal-palisade-authz-tls', 'pal-palisade-ca', 'pal-palisade-operator-tls']);
    expect(r.get('Certificate', '-authz-tls')['spec']).toMatchObject({
      secretName: 'pal-palisade-authz-tls',
      duration: '720h',
      renewBefore: '240h',
      dnsNames: expect.arrayContaining(['pal-palisade-authz.palisade-system.svc', 'pal-palisade-authz.palisade-system.svc.cluster.local']),
      issuerRef: { name: 'pal-palisade-ca', kind: 'Issuer' },
    });
    const authz = r.get('Deployment', '-authz');
    expect(args(authz, 'authz-server')).toEqual(
      expect.arrayContaining(['--tls-cert=/etc/palisade/tls/tls.crt', '--tls-key=/etc/palisade/tls/tls.key', '--tls-client-ca=/etc/palisade/tls/ca.crt', '--operator-ca=/etc/palisade/tls/ca.crt', '--operator=pal-palisade-operator.palisade-system.svc:19002', '--grpc-port=19001', '--check-port=19003', '--http-port=19090', '--decision-log=all', '--store-timeout-ms=25', '--shutdown-grace-ms=20000']),
    );
    expect(podSpec(authz)['volumes']).toEqual(expect.arrayContaining([{ name: 'tls', secret: { secretName: 'pal-palisade-authz-tls' } }]));
    expect(podSpec(authz)['terminationGracePeriodSeconds']).toBe(45);
    expect(JSON.stringify(podSpec(authz)['affinity'])).toContain('requiredDuringSchedulingIgnoredDuringExecution');
    expect(podSpec(authz)['topologySpreadConstraints']).toEqual([
      { maxSkew: 1, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: { 'app.kubernetes.io/name': 'palisade', 'app.kubernetes.io/instance': 'pal', 'app.kubernetes.io/component': 'authz' } } },
    ]);
    const op = r.get('Deployment', '-operator');
    expect(args(op, 'operator')).toEqual(expect.arrayContaining(['--tls-cert=/etc/palisade/tls/tls.crt', '--tls-client-ca=/etc/palisade/tls/ca.crt', '--lease-duration=20s', '--renew-deadline=15s', '--retry-period=3s', '--api-key-label=example.com/api-key', '--log-level=debug']));
    expect((op['spec'] as { replicas: number }).replicas).toBe(3);
    expect(container(authz, 'authz-server').env).toEqual(expect.arrayContaining([{ name: 'PALISADE_REDIS_URL', valueFrom: { secretKeyRef: { name: 'palisade-redis-url', key: 'redis-url' } } }]));
    expect(r.find('Deployment', '-redis')).toBeUndefined();
    const sms = r.all('ServiceMonitor');
    expect(sms).toHaveLength(2);
    for (const sm of sms) {
      expect(sm.metadata.labels?.['release']).toBe('kube-prometheus-stack');
      expect(sm['spec']).toMatchObject({ endpoints: [{ port: 'http-metrics', interval: '30s', scrapeTimeout: '5s' }] });
    }
    const rule = r.get('PrometheusRule');
    expect(JSON.stringify(rule['spec'])).toContain('> 0.025');
    expect(r.get('ConfigMap', '-dashboard-overview').metadata).toMatchObject({ namespace: 'monitoring', annotations: { grafana_folder: 'Palisade' }, labels: { team: 'platform' } });
    expect(r.get('HorizontalPodAutoscaler')['spec']).toMatchObject({ minReplicas: 3, maxReplicas: 20, behavior: { scaleDown: { stabilizationWindowSeconds: 300 } } });
    expect(r.get('PodDisruptionBudget', '-authz')['spec']).toMatchObject({ minAvailable: '50%' });
    expect(r.get('Service', '-authz')['spec']).toMatchObject({ type: 'LoadBalancer' });
  });

  it('istio-user-tls: the security.istio.io rule only with istio.enabled, user TLS Secrets, fixed replicas', () => {
    const r = render(scenario('istio-user-tls').values);
    const rules = r.get('ClusterRole')['rules'] as Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }>;
    expect(rules).toContainEqual({ apiGroups: ['security.istio.io'], resources: ['authorizationpolicies'], verbs: ['list', 'create', 'patch', 'delete'] });
    expect(args(r.get('Deployment', '-operator'), 'operator')).toContain('--istio-provider=palisade-ext-authz');
    expect(podSpec(r.get('Deployment', '-authz'))['volumes']).toEqual(expect.arrayContaining([{ name: 'tls', secret: { secretName: 'authz-tls' } }]));
    expect(podSpec(r.get('Deployment', '-operator'))['volumes']).toEqual(expect.arrayContaining([{ name: 'tls', secret: { secretName: 'operator-tls' } }]));
    expect(args(r.get('Deployment', '-authz'), 'authz-server')).not.toContain('--tls-client-ca=/etc/palisade/tls/ca.crt');
    expect(r.find('Certificate')).toBeUndefined();
    expect((r.get('Deployment', '-authz')['spec'] as { replicas: number }).replicas).toBe(4);
    expect(r.find('HorizontalPodAutoscaler')).toBeUndefined();
    expect(container(r.get('Deployment', '-authz'), 'authz-server').env).toEqual(expect.arrayContaining([{ name: 'PALISADE_REDIS_URL', value: 'rediss://redis.example.com:6380/1' }]));
    const np = r.get('NetworkPolicy', '-authz')['spec'] as { ingress: Array<{ from?: unknown[] }> };
    expect(np.ingress[0]?.from).toEqual([{ namespaceSelector: { matchLabels: { 'istio-injection': 'enabled' } } }]);
    // Both ports Envoy calls (Check on grpc-check, access logs on grpc) take the same sources.
    expect((np.ingress[0] as { ports?: unknown[] }).ports).toEqual([
      { port: 'grpc', protocol: 'TCP' },
      { port: 'grpc-check', protocol: 'TCP' },
    ]);
  });

  it('single-namespace-minimal: a Role in the watched namespace, no leader election, no Redis, no optional objects, overrides everywhere', () => {
    const r = render(scenario('single-namespace-minimal').values);
    expect(r.find('ClusterRole')).toBeUndefined();
    expect(r.find('ClusterRoleBinding')).toBeUndefined();
    const watchRole = r.get('Role', '-watch');
    expect(watchRole.metadata.namespace).toBe('team-a');
    const op = r.get('Deployment', 'edge-guard-operator');
    expect(args(op, 'operator')).toEqual(expect.arrayContaining(['--watch-namespace=team-a', '--leader-elect=false', '--snapshot-configmap=edge-guard-last-snapshot', '--workers=2']));
    expect(args(op, 'operator').some((a) => a.startsWith('--lease-name'))).toBe(false);
    expect(container(op, 'operator')['image']).toBe(`registry.example.com/security/palisade/operator@sha256:${'ab'.repeat(32)}`);
    expect(container(op, 'operator')['imagePullPolicy']).toBe('Always');
    expect(podSpec(op)['serviceAccountName']).toBe('team-a-operator');
    expect(podSpec(op)['imagePullSecrets']).toEqual([{ name: 'regcred' }]);
    expect(podSpec(op)['priorityClassName']).toBe('system-cluster-critical');
    expect(r.find('ServiceAccount')).toBeUndefined();
    expect(r.find('NetworkPolicy')).toBeUndefined();
    expect(r.find('PodDisruptionBudget')).toBeUndefined();
    expect(r.find('ConfigMap')).toBeUndefined();
    expect(r.find('Secret')).toBeUndefined();
    const authz = r.get('Deployment', 'edge-guard-authz');
    expect(container(authz, 'authz-server').env?.some((e) => e.name === 'PALISADE_REDIS_URL')).toBe(false);
    expect(podSpec(authz)['affinity']).toMatchObject({ podAntiAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 50 }] } });
    expect(authz.metadata.labels?.['example.com/team']).toBe('platform');
    expect(podSpec(authz)['securityContext']).toMatchObject({ runAsUser: 2000, seccompProfile: { type: 'Localhost' } });
    // The operator's own challenge-key Secret, given: mounted, not rendered.
    expect(args(authz, 'authz-server')).toContain('--challenge-key-file=/etc/palisade/challenge/signing-keys');
    expect(podSpec(authz)['volumes']).toContainEqual({ name: 'challenge-key', secret: { secretName: 'edge-guard-challenge', items: [{ key: 'signing-keys', path: 'signing-keys' }] } });
  });

  it('internal-redis-tuned: no password, own image and memory; Certificates signed by the given ClusterIssuer', () => {
    const r = render(scenario('internal-redis-tuned').values);
    expect(r.find('Secret')).toBeUndefined();
    const redis = r.get('Deployment', '-redis');
    expect(container(redis, 'redis')['image']).toBe('mirror.example.com/library/redis:7.4.2-alpine');
    expect(args(redis, 'redis')).toEqual(expect.arrayContaining(['--maxmemory', '512mb']));
    expect(args(redis, 'redis')).not.toContain('--requirepass');
    expect(container(r.get('Deployment', '-authz'), 'authz-server').env).toEqual(expect.arrayContaining([{ name: 'PALISADE_REDIS_URL', value: 'redis://pal-palisade-redis.palisade-system.svc:6379/0' }]));
    expect(r.find('Issuer')).toBeUndefined();
    for (const c of r.all('Certificate')) expect(c['spec']).toMatchObject({ issuerRef: { name: 'corp-ca', kind: 'ClusterIssuer' } });
  });
});

describe('CRDs', () => {
  it('charts/palisade/crds/ ships the generated CRD byte for byte (cp crds/*.yaml charts/palisade/crds/ after npm run gen:crd)', () => {
    const name = 'palisade.dev_apiprotectionpolicies.yaml';
    expect(readFileSync(join(CHART_DIR, 'crds', name), 'utf8')).toBe(readFileSync(join(ROOT, 'crds', name), 'utf8'));
  });

  it('are installed by helm from crds/ (--include-crds renders them first) and are not templated', () => {
    const out = helm(['template', 'pal', CHART_DIR, '--include-crds']).stdout;
    expect(out.indexOf('kind: CustomResourceDefinition')).toBeGreaterThanOrEqual(0);
    expect(out.indexOf('kind: CustomResourceDefinition')).toBeLessThan(out.indexOf('kind: Deployment'));
    expect(render().find('CustomResourceDefinition')).toBeUndefined();
  });
});

describe('values.schema.json refuses bad values with the offending key', () => {
  const cases: Array<[string, Record<string, unknown>, string[]]> = [
    ['a typo in a key', { authz: { replicaz: 3 } }, ["at '/authz': additional properties 'replicaz' not allowed"]],
    ['an unknown top-level key', { redsi: { mode: 'internal' } }, ["additional properties 'redsi' not allowed"]],
    ['an unknown redis mode', { redis: { mode: 'cluster' } }, ["at '/redis/mode': value must be one of 'none', 'internal', 'external'"]],
    ['zero operator replicas', { operator: { replicas: 0 } }, ["at '/operator/replicas': minimum: got 0, want 1"]],
    ['a string where a number belongs', { authz: { storeTimeoutMs: '50ms' } }, ["at '/authz/storeTimeoutMs': got string, want integer"]],
    ['a port out of range', { authz: { grpcPort: 70000 } }, ["at '/authz/grpcPort': maximum: got 70,000, want 65,535"]],
    ['credentials in the external Redis URL', { redis: { mode: 'external', external: { url: 'redis://:hunter2@redis:6379' } } }, ["at '/redis/external/url'", 'does not match pattern']],
    ['a bad anti-affinity', { authz: { antiAffinity: 'strict' } }, ["at '/authz/antiAffinity': value must be one of 'soft', 'hard', 'none'"]],
    ['a semi-space of 0 MiB', { authz: { semiSpaceMiB: 0 } }, ["at '/authz/semiSpaceMiB': minimum: got 0, want 1"]],
    ['a bad decision log mode', { authz: { decisionLog: 'verbose' } }, ["at '/authz/decisionLog': value must be one of 'all', 'deny', 'off'"]],
    ['a bad lease duration', { operator: { leaderElection: { leaseDuration: '15 seconds' } } }, ["at '/operator/leaderElection/leaseDuration'", 'does not match pattern']],
    ['a bad digest', { authz: { image: { digest: 'latest' } } }, ["at '/authz/image/digest'"]],
    ['a bad issuer kind', { tls: { certManager: { issuerRef: { kind: 'Vault' } } } }, ["at '/tls/certManager/issuerRef/kind': value must be one of 'Issuer', 'ClusterIssuer'"]],
    ['a bad watch namespace', { operator: { watchNamespace: 'Team_A' } }, ["at '/operator/watchNamespace'"]],
    ['a bad NetworkPolicy peer', { networkPolicy: { authz: { grpcFrom: [{ namespaceSelectr: {} }] } } }, ["at '/networkPolicy/authz/grpcFrom/0': additional properties 'namespaceSelectr' not allowed"]],
    ['a ratio above 1', { metrics: { prometheusRule: { unavailableRatio: 5 } } }, ["at '/metrics/prometheusRule/unavailableRatio': maximum: got 5, want 1"]],
    ['a bad CPU target', { authz: { autoscaling: { targetCPUUtilizationPercentage: 0 } } }, ["at '/authz/autoscaling/targetCPUUtilizationPercentage': minimum: got 0, want 1"]],
    ['a bad resource quantity', { authz: { resources: { requests: { cpu: 'lots' } } } }, ["at '/authz/resources/requests/cpu'"]],
  ];
  it.each(cases)('%s', (_what, values, messages) => {
    const r = tryRender(values);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("values don't meet the specifications of the schema(s)");
    for (const m of messages) expect(r.stderr).toContain(m);
  });

  const crossField: Array<[string, Record<string, unknown>, string]> = [
    ['TLS without cert-manager and without Secrets', { tls: { enabled: true } }, 'tls.enabled without tls.certManager.enabled needs tls.authz.existingSecret and tls.operator.existingSecret'],
    ['external Redis without a URL', { redis: { mode: 'external' } }, 'redis.mode=external needs redis.external.url or redis.external.existingSecret.name'],
    ['both a URL and a Secret', { redis: { mode: 'external', external: { url: 'redis://r:6379', existingSecret: { name: 's' } } } }, 'redis.external.url and redis.external.existingSecret.name are exclusive'],
    ['two operators without leader election', { operator: { leaderElection: { enabled: false } } }, 'operator.replicas > 1 needs operator.leaderElection.enabled=true'],
    ['min above max replicas', { authz: { autoscaling: { minReplicas: 5, maxReplicas: 3 } } }, 'authz.autoscaling.minReplicas must not exceed authz.autoscaling.maxReplicas'],
    ['access log principals without client certificates', { authz: { accessLogPrincipals: ['spiffe://cluster.local/ns/a/sa/b'] } }, 'authz.accessLogPrincipals needs tls.enabled=true and tls.requireClientCert=true'],
  ];
  it.each(crossField)('%s (a rule across keys, from the templates)', (_what, values, message) => {
    const r = tryRender(values);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(message);
  });

  it('values.yaml itself satisfies the schema, which forbids unknown keys at the top level', () => {
    expect(tryRender({}).code).toBe(0);
    const schema = JSON.parse(readFileSync(join(CHART_DIR, 'values.schema.json'), 'utf8')) as { additionalProperties: boolean };
    expect(schema.additionalProperties).toBe(false);
    expect(parse(readFileSync(join(CHART_DIR, 'values.yaml'), 'utf8'))).toBeTruthy();
  });
});
