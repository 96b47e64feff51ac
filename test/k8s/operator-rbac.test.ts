/**
 * The operator with least privilege: a user bound only to operator/rbac.yaml's ClusterRole (and its Role in the
 * operator namespace), not system:masters, runs the operator cluster-wide and everything works: informers,
 * status, Events, the Lease, the snapshot ConfigMap and the distribution reports.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import type { AuthzServer } from '../../authz-server/src/app/server.ts';
import type { Operator } from '../../operator/src/operator.ts';
import { issueUserKubeconfig } from '../controlplane/control-plane.ts';
import { authzClient, type AuthzClient } from '../support/envoy.ts';
import { captureLogger, startTestServer } from '../support/policies.ts';
import {
  REPO_ROOT,
  apply,
  condition,
  createNamespace,
  eventsFor,
  getJson,
  installCrd,
  kubectl,
  policy,
  startTestOperator,
  uniqueName,
  waitForCondition,
} from '../support/kube.ts';
import { verdictOf, waitFor } from '../support/verdict.ts';

const cp = inject('palisadeControlPlane');
const KC = cp.kubeconfigPath;

interface Obj {
  kind: string;
  metadata: { name: string; namespace?: string };
  [k: string]: unknown;
}

describe('operator RBAC: only operator/rbac.yaml', () => {
  const log = captureLogger('info');
  let opNs: string;
  let appNs: string;
  let userKc: string;
  let operator: Operator | undefined;
  let authz: AuthzServer | undefined;
  let client: AuthzClient | undefined;
  const user = uniqueName('palisade-operator-user');

  beforeAll(async () => {
    await installCrd(KC);
    opNs = await createNamespace(KC, 'pal-rbac-op');
    appNs = await createNamespace(KC, 'pal-rbac-app');
    const docs = parseAllDocuments(await readFile(join(REPO_ROOT, 'operator/rbac.yaml'), 'utf8')).map((d) => d.toJS() as Obj);
    const clusterRole = docs.find((d) => d.kind === 'ClusterRole');
    const role = docs.find((d) => d.kind === 'Role');
    if (!clusterRole || !role) throw new Error('operator/rbac.yaml must define a ClusterRole and a Role');
    const crName = uniqueName('palisade-operator');
    await apply(KC, [
      { ...clusterRole, metadata: { name: crName } },
      { ...role, metadata: { name: 'palisade-operator', namespace: opNs } },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: crName },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: crName },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }],
      },
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'palisade-operator', namespace: opNs },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'palisade-operator' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }],
      },
    ]);
    userKc = await issueUserKubeconfig(cp, user, []);
    await waitFor('the bindings to reach the authorizer', async () => (await kubectl(userKc, ['auth', 'can-i', 'create', 'configmaps', '-n', opNs])).stdout.trim(), (v) => v === 'yes');
  });

  afterAll(async () => {
    client?.close();
    await authz?.stop();
    await operator?.stop();
    const problems = log.lines.filter((l) => l['level'] === 'warn' || l['level'] === 'error');
    if (problems.length > 0) console.log(`warnings logged:\n${problems.map((l) => JSON.stringify(l)).join('\n')}`);
  });

  it('the user is not an administrator', async () => {
    const who = JSON.parse((await kubectl(userKc, ['auth', 'whoami', '-o', 'json'])).stdout) as { status: { userInfo: { username: string; groups?: string[] } } };
    expect(who.status.userInfo.username).toBe(user);
    expect(who.status.userInfo.groups ?? []).not.toContain('system:masters');
    const canI = async (...args: string[]) => (await kubectl(userKc, ['auth', 'can-i', ...args])).stdout.trim();
    expect(await canI('*', '*')).toBe('no');
    expect(await canI('get', 'secrets', '-n', appNs)).toBe('no');
    expect(await canI('list', 'secrets', '-n', appNs)).toBe('yes');
    expect(await canI('update', 'apiprotectionpolicies.palisade.dev', '-n', appNs)).toBe('no');
    expect(await canI('patch', 'apiprotectionpolicies.palisade.dev', '--subresource=status', '-n', appNs)).toBe('yes');
    expect(await canI('create', 'configmaps', '-n', appNs)).toBe('no');
    expect(await canI('update', 'leases.coordination.k8s.io/other-lease', '-n', opNs)).toBe('no');
  });

  it('runs cluster-wide with leader election and does all its work', async () => {
    operator = await startTestOperator({ kubeconfig: userKc, namespace: opNs, watchNamespace: null, identity: 'rbac-operator', logger: log.logger, args: ['--leader-elect', 'true'] });
    await waitFor('leadership', () => operator!.isLeader(), Boolean, 10_000);
    authz = await startTestServer(['--operator', `127.0.0.1:${operator.grpcPort}`], log.logger);
    client = authzClient(authz.grpcPort);
    const host = `${uniqueName('rbac')}.example.com`;
    await apply(KC, [
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'client', namespace: appNs, labels: { 'palisade.dev/api-key': 'rbac' } }, stringData: { key: 'rbac-key' } },
      policy('rbac', appNs, { hosts: [host], authentication: { required: true, apiKeys: { secretSelector: { matchLabels: { 'palisade.dev/api-key': 'rbac' } } } } }),
    ]);
    await waitFor('enforced', () => verdictOf(client!, { host, headers: { 'x-api-key': 'rbac-key' } }), (v) => v === 'allow');
    expect(await verdictOf(client, { host })).toBe('authentication');
    const p = await waitForCondition(KC, appNs, 'rbac', 'Enforced', 'True', 'Acknowledged');
    expect(condition(p, 'Accepted')).toMatchObject({ status: 'True', reason: 'Compiled' });
    await waitFor('Events', () => eventsFor(KC, appNs, 'rbac'), (es) => es.some((e) => e.reason === 'Enforced'));

    const lease = await getJson<{ spec: { holderIdentity: string } }>(KC, ['-n', opNs, 'lease', 'palisade-operator']);
    expect(lease.spec.holderIdentity).toBe('rbac-operator');
    const cms = await getJson<{ items: Array<{ metadata: { name: string } }> }>(KC, ['-n', opNs, 'configmaps']);
    const names = cms.items.map((i) => i.metadata.name);
    expect(names).toContain('palisade-snapshot');
    expect(names.some((n) => n.startsWith('palisade-distribution-'))).toBe(true);

    // What the lines say (message and error), not their timestamps, hashes or durations, which can read 403.
    const forbidden = log.lines.filter((l) => /forbidden|\b403\b/i.test(`${String(l['msg'])} ${JSON.stringify(l['err'] ?? '')}`));
    expect(forbidden).toEqual([]);
  });

  it('cleans up after itself on stop (releases the Lease, deletes its report)', async () => {
    await operator!.stop();
    operator = undefined;
    const lease = await getJson<{ spec: { holderIdentity?: string } }>(KC, ['-n', opNs, 'lease', 'palisade-operator']);
    expect(lease.spec.holderIdentity ?? '').toBe('');
    const cms = await getJson<{ items: Array<{ metadata: { name: string } }> }>(KC, ['-n', opNs, 'configmaps']);
    expect(cms.items.map((i) => i.metadata.name).filter((n) => n.startsWith('palisade-distribution-'))).toEqual([]);
    expect(log.lines.filter((l) => l['level'] === 'warn' && String(l['msg']).startsWith('could not'))).toEqual([]);
  });
});
