/**
 * The test control plane itself (test/controlplane): a real kube-apiserver + etcd, driven with kubectl.
 */
import { execFile, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { issueUserKubeconfig } from '../controlplane/control-plane.ts';

const cp = inject('palisadeControlPlane');

interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs kubectl with the given kubeconfig (default: admin); never throws, returns the exit code and output. */
function kubectl(args: string[], opts: { kubeconfig?: string; input?: string } = {}): Promise<KubectlResult> {
  return new Promise((resolve) => {
    const child = execFile(
      'kubectl',
      ['--kubeconfig', opts.kubeconfig ?? cp.kubeconfigPath, ...args],
      { encoding: 'utf8', timeout: 90_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    child.stdin?.end(opts.input ?? '');
  });
}

/** kubectl that must succeed; returns stdout. */
async function kubectlOk(args: string[], opts: { kubeconfig?: string; input?: string } = {}): Promise<string> {
  const r = await kubectl(args, opts);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (exit ${r.code}): ${r.stderr}`);
  return r.stdout;
}

/** Retries `fn` until it returns true (RBAC changes reach the authorizer's cache asynchronously). */
async function eventually(what: string, fn: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await fn()) return;
    await sleep(250);
  }
  throw new Error(`timed out waiting for: ${what}`);
}

function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

beforeAll(() => {
  const r = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new Error(`kubectl is not installed (or not on PATH): ${r.error?.message ?? r.stderr}. The k8s tests drive the API server with it.`);
  }
});

describe('test control plane', () => {
  it('exposes the admin kubeconfig through inject() and KUBECONFIG_PALISADE_TEST', () => {
    expect(cp.kubeconfigPath).toMatch(/admin\.kubeconfig$/);
    expect(cp.server).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(cp.caPem).toContain('BEGIN CERTIFICATE');
    expect(process.env.KUBECONFIG_PALISADE_TEST).toBe(cp.kubeconfigPath);
  });

  it('creates a namespace and reads it back', async () => {
    const ns = uniqueName('palisade-ns');
    await kubectlOk(['create', 'namespace', ns]);
    const got = JSON.parse(await kubectlOk(['get', 'namespace', ns, '-o', 'json'])) as {
      kind: string;
      metadata: { name: string; uid: string };
      status: { phase: string };
    };
    expect(got.kind).toBe('Namespace');
    expect(got.metadata.name).toBe(ns);
    expect(got.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(got.status.phase).toBe('Active');
  });

  it('reports the built version on /version', async () => {
    const version = JSON.parse(await kubectlOk(['get', '--raw', '/version'])) as {
      gitVersion: string;
      major: string;
      minor: string;
    };
    expect(version.gitVersion).toBe(cp.k8sVersion);
    const [, minor] = /^v1\.(\d+)\./.exec(cp.k8sVersion) ?? [];
    expect(version.major).toBe('1');
    expect(version.minor).toBe(minor);
  });

  it('enforces RBAC: a plain user is forbidden until a RoleBinding grants access', async () => {
    const ns = uniqueName('palisade-rbac');
    await kubectlOk(['create', 'namespace', ns]);
    await kubectlOk(['-n', ns, 'create', 'secret', 'generic', 'top-secret', '--from-literal=k=v']);
    const alice = await issueUserKubeconfig(cp, 'alice', []);

    const denied = await kubectl(['-n', ns, 'get', 'secrets', '-o', 'name'], { kubeconfig: alice });
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toMatch(/Forbidden/);
    expect(denied.stderr).toContain('User "alice" cannot list resource "secrets"');

    await kubectlOk(['-n', ns, 'create', 'role', 'secret-reader', '--verb=get,list', '--resource=secrets']);
    await kubectlOk(['-n', ns, 'create', 'rolebinding', 'alice-reads-secrets', '--role=secret-reader', '--user=alice']);

    let allowed: KubectlResult | undefined;
    await eventually('alice may list secrets', async () => {
      allowed = await kubectl(['-n', ns, 'get', 'secrets', '-o', 'name'], { kubeconfig: alice });
      return allowed.code === 0;
    });
    expect(allowed?.stdout.trim()).toBe('secret/top-secret');

    // The binding is namespaced: other namespaces and cluster-scoped resources stay forbidden.
    const otherNs = await kubectl(['-n', 'default', 'get', 'secrets'], { kubeconfig: alice });
    expect(otherNs.stderr).toMatch(/Forbidden/);
    const clusterScoped = await kubectl(['get', 'namespaces'], { kubeconfig: alice });
    expect(clusterScoped.stderr).toMatch(/Forbidden/);
  });

  it('enforces RBAC for groups: a ClusterRoleBinding to a group grants its members', async () => {
    const group = uniqueName('palisade-readers');
    const bob = await issueUserKubeconfig(cp, 'bob', [group]);
    const carol = await issueUserKubeconfig(cp, 'carol', []);

    const before = await kubectl(['get', 'namespaces', '-o', 'name'], { kubeconfig: bob });
    expect(before.stderr).toContain('User "bob" cannot list resource "namespaces"');

    const role = uniqueName('ns-lister');
    await kubectlOk(['create', 'clusterrole', role, '--verb=get,list', '--resource=namespaces']);
    await kubectlOk(['create', 'clusterrolebinding', role, `--clusterrole=${role}`, `--group=${group}`]);

    await eventually('bob (in the group) may list namespaces', async () => {
      const r = await kubectl(['get', 'namespaces', '-o', 'name'], { kubeconfig: bob });
      return r.code === 0 && r.stdout.includes('namespace/default');
    });
    const whoami = JSON.parse(await kubectlOk(['auth', 'whoami', '-o', 'json'], { kubeconfig: bob })) as {
      status: { userInfo: { username: string; groups: string[] } };
    };
    expect(whoami.status.userInfo.username).toBe('bob');
    expect(whoami.status.userInfo.groups).toEqual(expect.arrayContaining([group, 'system:authenticated']));

    const outsider = await kubectl(['get', 'namespaces'], { kubeconfig: carol });
    expect(outsider.code).not.toBe(0);
    expect(outsider.stderr).toMatch(/Forbidden/);
  });

  it('serves CustomResourceDefinitions: apply, wait for Established, create and read a custom resource', async () => {
    const plural = `widgets${randomUUID().slice(0, 6)}`;
    const crdName = `${plural}.test.palisade.dev`;
    const crd = {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: { name: crdName },
      spec: {
        group: 'test.palisade.dev',
        scope: 'Namespaced',
        names: { plural, singular: plural.replace(/s(?=[^s]*$)/, ''), kind: 'Widget' + plural.slice(7), listKind: 'Widget' + plural.slice(7) + 'List' },
        versions: [
          {
            name: 'v1',
            served: true,
            storage: true,
            schema: {
              openAPIV3Schema: {
                type: 'object',
                properties: {
                  spec: {
                    type: 'object',
                    required: ['size'],
                    properties: { size: { type: 'integer', minimum: 1 } },
                  },
                },
              },
            },
          },
        ],
      },
    };
    await kubectlOk(['apply', '-f', '-'], { input: JSON.stringify(crd) });
    await kubectlOk(['wait', '--for=condition=Established', `crd/${crdName}`, '--timeout=60s']);

    const ns = uniqueName('palisade-crd');
    await kubectlOk(['create', 'namespace', ns]);
    const kind = crd.spec.names.kind;
    const widget = { apiVersion: 'test.palisade.dev/v1', kind, metadata: { name: 'w1', namespace: ns }, spec: { size: 3 } };
    // The new resource reaches kubectl's discovery shortly after Established; retry the first apply.
    await eventually('the custom resource can be applied', async () => {
      const r = await kubectl(['apply', '-f', '-'], { input: JSON.stringify(widget) });
      return r.code === 0;
    });
    const got = JSON.parse(await kubectlOk(['-n', ns, 'get', `${plural}.test.palisade.dev`, 'w1', '-o', 'json'])) as {
      spec: { size: number };
    };
    expect(got.spec.size).toBe(3);

    // The structural schema is enforced.
    const bad = await kubectl(['apply', '-f', '-'], {
      input: JSON.stringify({ ...widget, metadata: { name: 'w2', namespace: ns }, spec: { size: 0 } }),
    });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/spec\.size/);
  });
});
