/**
 * The chart's operator RBAC is operator/rbac.yaml's (the file the operator's RBAC integration test binds): same
 * rules, same bindings. Rendered as release "palisade" in palisade-system, the names match too.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { ROOT, helmBin, render, type K8sObject } from './chart.ts';

const ISTIO_RULE = { apiGroups: ['security.istio.io'], resources: ['authorizationpolicies'], verbs: ['list', 'create', 'patch', 'delete'] };

function reference(): K8sObject[] {
  return parseAllDocuments(readFileSync(join(ROOT, 'operator/rbac.yaml'), 'utf8'))
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}

function one(objects: K8sObject[], kind: string): K8sObject {
  const found = objects.filter((o) => o.kind === kind);
  expect(found.map((o) => o.metadata.name), kind).toHaveLength(1);
  return found[0] as K8sObject;
}

const asRelease = { fullnameOverride: 'palisade' };

beforeAll(() => {
  helmBin();
}, 30 * 60_000);

describe('operator RBAC: chart = operator/rbac.yaml', () => {
  it.each(['ClusterRole', 'Role'])('%s rules are identical', (kind) => {
    const chart = render(asRelease, { namespace: 'palisade-system' }).objects.filter((o) => o.metadata.name === 'palisade-operator');
    const ref = reference();
    expect(one(chart, kind)['rules']).toEqual(one(ref, kind)['rules']);
    expect(one(chart, kind).metadata.namespace).toEqual(one(ref, kind).metadata.namespace);
  });

  it.each(['ClusterRoleBinding', 'RoleBinding'])('%s binds the same role to the same ServiceAccount', (kind) => {
    const chart = render(asRelease, { namespace: 'palisade-system' }).objects.filter((o) => o.metadata.name === 'palisade-operator');
    const ref = reference();
    expect(one(chart, kind)['roleRef']).toEqual(one(ref, kind)['roleRef']);
    expect(one(chart, kind)['subjects']).toEqual(one(ref, kind)['subjects']);
  });

  it('the ServiceAccount is the one the bindings name', () => {
    const sa = render(asRelease, { namespace: 'palisade-system' }).get('ServiceAccount', '-operator');
    const ref = one(reference(), 'ServiceAccount');
    expect({ name: sa.metadata.name, namespace: sa.metadata.namespace }).toEqual({ name: ref.metadata.name, namespace: ref.metadata.namespace });
  });

  it('istio.enabled adds exactly the security.istio.io rule, and nothing else does', () => {
    const ref = one(reference(), 'ClusterRole')['rules'] as unknown[];
    const withIstio = render({ ...asRelease, istio: { enabled: true } }, { namespace: 'palisade-system' }).get('ClusterRole')['rules'];
    expect(withIstio).toEqual([...ref, ISTIO_RULE]);
    expect(JSON.stringify(render(asRelease).get('ClusterRole'))).not.toContain('security.istio.io');
  });

  it('operator.watchNamespace moves the cluster-wide rules into a Role in that namespace, unchanged', () => {
    const r = render({ ...asRelease, operator: { watchNamespace: 'team-a' } }, { namespace: 'palisade-system' });
    expect(r.find('ClusterRole')).toBeUndefined();
    const watch = r.get('Role', '-watch');
    expect(watch.metadata.namespace).toBe('team-a');
    expect(watch['rules']).toEqual(one(reference(), 'ClusterRole')['rules']);
  });

  it('the Lease rule names the lease the operator is started with', () => {
    const r = render({ fullnameOverride: 'edge' });
    const role = r.get('Role', 'edge-operator');
    const leaseRule = (role['rules'] as Array<{ resources: string[]; resourceNames?: string[] }>).find((x) => x.resources.includes('leases') && x.resourceNames);
    const args = ((r.get('Deployment', 'edge-operator')['spec'] as any).template.spec.containers[0].args as string[]);
    expect(args).toContain(`--lease-name=${leaseRule?.resourceNames?.[0]}`);
  });
});
