/**
 * The Helm chart on the real test API server (test/controlplane): the rendered chart of every scenario (together
 * every documented option) passes a server-side-apply dry run, with the Palisade CRD and the third-party CRDs
 * (Prometheus Operator, cert-manager) applied for real first; and `helm install` / `upgrade` / `uninstall` of
 * the chart for real.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { CHART_DIR, helmBin, render, tool } from '../chart/chart.ts';
import { SCENARIOS } from '../chart/scenarios.ts';

const cp = inject('palisadeControlPlane');

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function exec(bin: string, args: string[], input?: string): Promise<Result> {
  return new Promise((resolve) => {
    const child = execFile(bin, args, { encoding: 'utf8', timeout: 180_000, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, KUBECONFIG: cp.kubeconfigPath } }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
    child.stdin?.end(input ?? '');
  });
}

const kubectl = (args: string[], input?: string) => exec('kubectl', ['--kubeconfig', cp.kubeconfigPath, ...args], input);

async function kubectlOk(args: string[], input?: string): Promise<string> {
  const r = await kubectl(args, input);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (exit ${r.code}):\n${r.stderr}`);
  return r.stdout;
}

const helm = (args: string[]) => exec(helmBin(), ['--kubeconfig', cp.kubeconfigPath, ...args]);

async function ensureNamespace(ns: string): Promise<void> {
  await kubectlOk(['apply', '--server-side', '--field-manager=palisade-chart-test', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }));
}

beforeAll(async () => {
  helmBin();
  // CRDs for real: Palisade's (from the chart, the same file as crds/) and the third-party ones the optional
  // objects need, exactly as their projects release them.
  const crdFiles = [join(CHART_DIR, 'crds/palisade.dev_apiprotectionpolicies.yaml'), ...tool('crds')];
  await kubectlOk(['apply', '--server-side', '--force-conflicts', '--field-manager=palisade-chart-test', ...crdFiles.flatMap((f) => ['-f', f])]);
  await kubectlOk(['wait', '--for=condition=Established', '--timeout=60s', 'crd/apiprotectionpolicies.palisade.dev', 'crd/servicemonitors.monitoring.coreos.com', 'crd/prometheusrules.monitoring.coreos.com', 'crd/certificates.cert-manager.io', 'crd/issuers.cert-manager.io', 'crd/clusterissuers.cert-manager.io']);
}, 30 * 60_000);

describe('chart on the real API server', () => {
  it.each(SCENARIOS.map((s) => [s.name, s] as const))('server-side apply dry run accepts every object: %s', async (_name, s) => {
    const ns = `chart-${randomUUID().slice(0, 8)}`;
    await ensureNamespace(ns);
    for (const extra of s.namespaces ?? []) await ensureNamespace(extra);
    const rendered = render(s.values, { namespace: ns, release: `dry-${ns.slice(6)}` });
    const r = await kubectl(['apply', '--server-side', '--dry-run=server', '--field-manager=helm', '-o', 'name', '-f', '-'], rendered.yaml);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // Every rendered object came back from the API server's dry run.
    const applied = r.stdout.trim().split('\n').sort();
    expect(applied).toHaveLength(rendered.objects.length);
    for (const o of rendered.objects) {
      const group = o.apiVersion.includes('/') ? `.${o.apiVersion.split('/')[0]}` : '';
      expect(applied).toContain(`${o.kind.toLowerCase()}${group}/${o.metadata.name}`);
    }
  });

  it('the API server refuses what the chart must never render (the dry run is a real check)', async () => {
    const ns = `chart-${randomUUID().slice(0, 8)}`;
    await ensureNamespace(ns);
    const broken = render({}, { namespace: ns }).yaml.replace('minAvailable: 1', 'minAvailable: -1');
    const r = await kubectl(['apply', '--server-side', '--dry-run=server', '-f', '-'], broken);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/minAvailable/);
  });

  it('helm install, upgrade (the internal Redis password survives) and uninstall, for real', async () => {
    const ns = `chart-${randomUUID().slice(0, 8)}`;
    const release = `pal-${ns.slice(6)}`;
    const install = await helm(['install', release, CHART_DIR, '--namespace', ns, '--create-namespace', '--set', 'metrics.serviceMonitor.enabled=true,metrics.prometheusRule.enabled=true']);
    expect(install.stderr).toBe('');
    expect(install.code).toBe(0);
    expect(install.stdout).toContain('STATUS: deployed');
    // NOTES.txt
    expect(install.stdout).toContain(`${release}-palisade-authz.${ns}.svc.cluster.local:9003   (envoy.service.auth.v3.Authorization/Check)`);
    expect(install.stdout).toContain(`${release}-palisade-authz.${ns}.svc.cluster.local:9001   (envoy.service.accesslog.v3.AccessLogService`);
    expect(install.stdout).toContain('Palisade / Overview');

    const objects = await kubectlOk(['-n', ns, 'get', 'deploy,svc,sa,role,rolebinding,hpa,pdb,networkpolicy,configmap,secret,servicemonitor,prometheusrule', '-o', 'name']);
    for (const want of [
      `deployment.apps/${release}-palisade-operator`,
      `deployment.apps/${release}-palisade-authz`,
      `deployment.apps/${release}-palisade-redis`,
      `service/${release}-palisade-authz`,
      `horizontalpodautoscaler.autoscaling/${release}-palisade-authz`,
      `poddisruptionbudget.policy/${release}-palisade-authz`,
      `networkpolicy.networking.k8s.io/${release}-palisade-operator`,
      `configmap/${release}-palisade-dashboard-overview`,
      `servicemonitor.monitoring.coreos.com/${release}-palisade-authz`,
      `prometheusrule.monitoring.coreos.com/${release}-palisade`,
    ]) {
      expect(objects).toContain(want);
    }
    const password = async () => kubectlOk(['-n', ns, 'get', 'secret', `${release}-palisade-redis`, '-o', 'jsonpath={.data.password}']);
    const before = await password();
    expect(Buffer.from(before, 'base64').toString()).toMatch(/^[A-Za-z0-9]{32}$/);

    const upgrade = await helm(['upgrade', release, CHART_DIR, '--namespace', ns, '--set', 'istio.enabled=true,authz.autoscaling.enabled=false,authz.replicas=3']);
    expect(upgrade.stderr).toBe('');
    expect(upgrade.code).toBe(0);
    expect(upgrade.stdout).toContain('envoyExtAuthzGrpc');
    expect(await password()).toBe(before); // lookup keeps it: authz-servers and Redis agree after the upgrade
    expect(await kubectlOk(['get', 'clusterrole', `${release}-palisade-operator`, '-o', 'jsonpath={.rules[*].apiGroups}'])).toContain('security.istio.io');
    expect((await kubectl(['-n', ns, 'get', 'hpa', `${release}-palisade-authz`])).code).not.toBe(0);

    const uninstall = await helm(['uninstall', release, '--namespace', ns]);
    expect(uninstall.code).toBe(0);
    expect((await kubectl(['get', 'clusterrole', `${release}-palisade-operator`])).code).not.toBe(0);
    // The Redis password Secret is kept on purpose (helm.sh/resource-policy: keep); the CRD too (Helm never deletes crds/).
    expect(await password()).toBe(before);
    await kubectlOk(['get', 'crd', 'apiprotectionpolicies.palisade.dev']);
  });

  it('helm install --dry-run=server shows the in-memory warning in NOTES', async () => {
    const r = await helm(['install', 'notes', CHART_DIR, '--namespace', 'default', '--dry-run=server', '--set', 'redis.mode=none']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('WARNING: redis.mode=none');
  });
});
