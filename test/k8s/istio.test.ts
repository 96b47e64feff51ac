/**
 * Istio integration on the real API server: the operator (a real process, authenticated as the chart's
 * ServiceAccount with the chart's RBAC for istio.enabled=true) manages an Istio AuthorizationPolicy (action CUSTOM,
 * the Palisade provider) for every ApiProtectionPolicy with spec.workloadSelector, validated by Istio's own CRD
 * (from istio.io/api). Istio is installed after the operator started, as happens in real clusters.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { issueUserKubeconfig } from '../controlplane/control-plane.ts';
import { CHART_DIR, ROOT, render, run, tool } from '../chart/chart.ts';
import { freePort } from '../support/ports.ts';

const cp = inject('palisadeControlPlane');
const KC = cp.kubeconfigPath;
const PROVIDER = 'palisade-ext-authz';
const AP_CRD = 'authorizationpolicies.security.istio.io';

function kubectl(args: string[], input?: string): { code: number; stdout: string; stderr: string } {
  return run('kubectl', ['--kubeconfig', KC, ...args], input);
}
function kubectlOk(args: string[], input?: string): string {
  const r = kubectl(args, input);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}
const apply = (objects: unknown[]) =>
  kubectlOk(['apply', '--server-side', '--force-conflicts', '--field-manager=palisade-istio-test', '-f', '-'], objects.map((o) => stringify(o)).join('---\n'));

async function until<T>(what: string, fn: () => T | undefined | null | false, timeoutMs = 20_000, explain: () => string = () => ''): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${explain()}`);
    await sleep(200);
  }
}

interface AP {
  metadata: { name: string; labels: Record<string, string>; ownerReferences?: Array<{ uid: string; kind: string; name: string }> };
  spec: { selector: { matchLabels: Record<string, string> }; action: string; provider: { name: string }; rules: unknown[] };
}

describe('Istio AuthorizationPolicies from workloadSelector', () => {
  const suffix = randomUUID().slice(0, 6);
  const opNs = `istio-op-${suffix}`;
  const appNs = `istio-app-${suffix}`;
  const sa = 'pal-palisade-operator';
  let operator: ChildProcess | undefined;
  let output = '';
  const explain = () => output.slice(-4000);

  const policy = (name: string, extra: Record<string, unknown> = {}) => ({
    apiVersion: 'palisade.dev/v1alpha1',
    kind: 'ApiProtectionPolicy',
    metadata: { name, namespace: appNs },
    spec: { hosts: [`${name}.${appNs}.svc.cluster.local`], ...extra },
  });
  const getAp = (name: string): AP | null => {
    const r = kubectl(['-n', appNs, 'get', 'authorizationpolicies.security.istio.io', name, '-o', 'json']);
    return r.code === 0 ? (JSON.parse(r.stdout) as AP) : null;
  };

  beforeAll(async () => {
    kubectlOk(['apply', '--server-side', '--force-conflicts', '--field-manager=palisade-istio-test', '-f', join(CHART_DIR, 'crds/palisade.dev_apiprotectionpolicies.yaml')]);
    kubectlOk(['wait', '--for=condition=Established', '--timeout=60s', 'crd/apiprotectionpolicies.palisade.dev']);
    // Istio is not installed yet.
    kubectlOk(['delete', 'crd', AP_CRD, '--ignore-not-found', '--wait=true']);
    kubectlOk(['create', 'namespace', opNs]);
    kubectlOk(['create', 'namespace', appNs]);
    // The chart's RBAC with istio.enabled, watching appNs, bound to the identity the operator authenticates as.
    const rbac = render({ istio: { enabled: true, providerName: PROVIDER }, operator: { watchNamespace: appNs } }, { namespace: opNs, release: 'pal' }).objects.filter(
      (o) => ['ServiceAccount', 'Role', 'RoleBinding'].includes(o.kind) && o.metadata.name.startsWith(sa),
    );
    apply(rbac);
    const kubeconfig = await issueUserKubeconfig(cp, `system:serviceaccount:${opNs}:${sa}`, ['system:serviceaccounts', `system:serviceaccounts:${opNs}`]);
    const [grpcPort, httpPort] = [await freePort(), await freePort()];
    operator = spawn(
      process.execPath,
      [
        'operator/src/main.ts', '--kubeconfig', kubeconfig, '--namespace', opNs, '--watch-namespace', appNs, '--identity', 'op-istio', '--host', '127.0.0.1',
        '--grpc-port', String(grpcPort), '--http-port', String(httpPort), '--lease-name', sa, '--snapshot-configmap', 'pal-palisade-snapshot',
        '--istio-provider', PROVIDER, '--istio-resync', '2s',
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    operator.stdout?.on('data', (d) => (output += String(d)));
    operator.stderr?.on('data', (d) => (output += String(d)));
    const ready = () => fetch(`http://127.0.0.1:${httpPort}/readyz`).then((r) => r.ok, () => false);
    const deadline = Date.now() + 60_000;
    while (!(await ready())) {
      if (Date.now() > deadline || operator.exitCode !== null) throw new Error(`operator not ready:\n${explain()}`);
      await sleep(200);
    }
  }, 120_000);

  afterAll(async () => {
    if (operator && operator.exitCode === null) {
      const exited = new Promise((r) => operator?.once('exit', r));
      operator.kill('SIGTERM');
      await exited;
    }
  });

  it('without Istio the operator runs and says why it creates nothing', async () => {
    apply([policy('orders', { workloadSelector: { matchLabels: { app: 'orders' } } })]);
    await until('the "not served" log line', () => output.includes('AuthorizationPolicy is not served'), 20_000, explain);
    expect(operator?.exitCode).toBeNull();
  });

  it('once Istio\'s CRD exists, a CUSTOM AuthorizationPolicy selects the workload, owned by the policy', async () => {
    const gen = readFileSync(tool('istio-crds')[0] ?? '', 'utf8');
    const crd = parseAllDocuments(gen).map((d) => d.toJS() as { metadata?: { name?: string } } | null).find((d) => d?.metadata?.name === AP_CRD);
    expect(crd).toBeTruthy();
    apply([crd]);
    kubectlOk(['wait', '--for=condition=Established', '--timeout=60s', `crd/${AP_CRD}`]);
    const ap = await until('AuthorizationPolicy palisade-orders', () => getAp('palisade-orders'), 30_000, explain);
    expect(ap.spec).toEqual({ selector: { matchLabels: { app: 'orders' } }, action: 'CUSTOM', provider: { name: PROVIDER }, rules: [{}] });
    expect(ap.metadata.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'palisade-operator', 'palisade.dev/policy': 'orders' });
    const uid = kubectlOk(['-n', appNs, 'get', 'apipol', 'orders', '-o', 'jsonpath={.metadata.uid}']);
    expect(ap.metadata.ownerReferences).toEqual([expect.objectContaining({ kind: 'ApiProtectionPolicy', name: 'orders', uid })]);
  });

  it('follows selector changes, ignores policies without a selector, and deletes what is no longer wanted', async () => {
    apply([policy('orders', { workloadSelector: { matchLabels: { app: 'orders', version: 'v2' } } }), policy('catalog')]);
    await until('the new selector', () => getAp('palisade-orders')?.spec.selector.matchLabels['version'] === 'v2', 20_000, explain);
    expect(getAp('palisade-catalog')).toBeNull();

    apply([policy('catalog', { workloadSelector: { matchLabels: { app: 'catalog' } } })]);
    await until('palisade-catalog', () => getAp('palisade-catalog'), 20_000, explain);
    // Server-side apply by the same manager without the field removes it: the AuthorizationPolicy goes.
    apply([policy('catalog')]);
    await until('palisade-catalog to be deleted', () => getAp('palisade-catalog') === null, 20_000, explain);

    kubectlOk(['-n', appNs, 'delete', 'apipol', 'orders', '--wait=true']);
    await until('palisade-orders to be deleted with its policy', () => getAp('palisade-orders') === null, 20_000, explain);
  });

  it('repairs an AuthorizationPolicy edited by hand at the next resync', async () => {
    apply([policy('payments', { workloadSelector: { matchLabels: { app: 'payments' } } })]);
    await until('palisade-payments', () => getAp('palisade-payments'), 20_000, explain);
    const edited = JSON.parse(
      kubectlOk(['-n', appNs, 'patch', 'authorizationpolicies.security.istio.io', 'palisade-payments', '--type=merge', '-o', 'json', '-p', '{"spec":{"provider":{"name":"someone-else"}}}']),
    ) as { metadata: { generation: number }; spec: { provider: { name: string } } };
    expect(edited.spec.provider.name).toBe('someone-else');
    await until('the provider to be restored after the edit', () => {
      const ap = getAp('palisade-payments') as (AP & { metadata: { generation: number } }) | null;
      return ap !== null && ap.metadata.generation > edited.metadata.generation && ap.spec.provider.name === PROVIDER;
    }, 20_000, explain);
  });

  it('the CRD refuses an empty workloadSelector with its reason', () => {
    const r = kubectl(['apply', '--server-side', '--field-manager=palisade-istio-test', '-f', '-'], stringify(policy('empty', { workloadSelector: { matchLabels: {} } })));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('spec.workloadSelector.matchLabels: Invalid value');
    expect(r.stderr).toContain('needs at least one label');
  });

  it('without istio.enabled the chart grants nothing on security.istio.io', () => {
    const plain = render({ operator: { watchNamespace: appNs } }, { namespace: opNs, release: 'pal' }).get('Role', '-watch');
    expect(JSON.stringify(plain['rules'])).not.toContain('security.istio.io');
    const asOperator = ['--as', `system:serviceaccount:${opNs}:${sa}`];
    expect(kubectl(['auth', 'can-i', 'patch', 'authorizationpolicies.security.istio.io', '-n', appNs, ...asOperator]).stdout.trim()).toBe('yes');
    expect(kubectl(['auth', 'can-i', 'patch', 'authorizationpolicies.security.istio.io', '-n', 'default', ...asOperator]).stdout.trim()).toBe('no');
  });
});
