import { describe, expect, it } from 'vitest';
import { authorizationPolicyName, desiredAuthorizationPolicies } from './istio.ts';

describe('desiredAuthorizationPolicies', () => {
  const p = (name: string, namespace: string, matchLabels?: Record<string, string>, uid = `uid-${name}`) => ({
    metadata: { name, namespace, uid },
    spec: matchLabels ? { workloadSelector: { matchLabels } } : {},
  });

  it('one CUSTOM AuthorizationPolicy per policy with a workload selector, in its namespace, sorted', () => {
    const out = desiredAuthorizationPolicies([p('orders', 'shop', { app: 'orders' }), p('open', 'shop'), p('auth', 'id', { app: 'auth', tier: 'api' })], 'palisade');
    expect(out.map((a) => `${a.metadata.namespace}/${a.metadata.name}`)).toEqual(['id/palisade-auth', 'shop/palisade-orders']);
    expect(out[1]).toEqual({
      apiVersion: 'security.istio.io/v1',
      kind: 'AuthorizationPolicy',
      metadata: {
        name: 'palisade-orders',
        namespace: 'shop',
        labels: { 'app.kubernetes.io/managed-by': 'palisade-operator', 'palisade.dev/policy': 'orders' },
        ownerReferences: [{ apiVersion: 'palisade.dev/v1alpha1', kind: 'ApiProtectionPolicy', name: 'orders', uid: 'uid-orders', controller: true }],
      },
      spec: { selector: { matchLabels: { app: 'orders' } }, action: 'CUSTOM', provider: { name: 'palisade' }, rules: [{}] },
    });
  });

  it('skips empty selectors and incomplete objects', () => {
    expect(desiredAuthorizationPolicies([p('a', 'ns', {}), { metadata: { name: 'b' }, spec: { workloadSelector: { matchLabels: { app: 'b' } } } }], 'x')).toEqual([]);
  });

  it('keeps names within 253 characters and label values within 63', () => {
    const long = 'a'.repeat(250);
    expect(authorizationPolicyName(long)).toHaveLength(253);
    expect(authorizationPolicyName(long)).not.toBe(authorizationPolicyName(`${'a'.repeat(249)}b`));
    const [ap] = desiredAuthorizationPolicies([p(long, 'ns', { app: 'x' })], 'x');
    expect(ap?.metadata.labels['palisade.dev/policy']).toHaveLength(63);
  });
});
