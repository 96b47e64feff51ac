import { describe, expect, it } from 'vitest';
import { compile, type PolicyInput } from '../../../lib/policy/compile.ts';
import { buildRuntime, spiffeNamespace } from './runtime.ts';

const doc = (name: string, spec: Record<string, unknown>, namespace = 'shop') => ({ metadata: { name, namespace }, spec }) as PolicyInput;
const ORDERS = 'spiffe://cluster.local/ns/shop/sa/orders';

const runtime = buildRuntime(
  compile(
    [
      doc('orders', { hosts: ['orders.example'], destinationPrincipals: [ORDERS] }),
      doc('orders-admin', { hosts: ['admin.orders.example'], destinationPrincipals: ['spiffe://cluster.local/ns/shop/sa/orders*'] }),
      doc('billing', { hosts: ['billing.example'], workloadSelector: { matchLabels: { app: 'billing' } } }),
      doc('public', { hosts: ['*.example'] }),
    ],
    [],
    new Date(),
  ).snapshot,
);
const none = new Map<string, string>();
const pick = (host: string, principal: string, labels: Map<string, string> = none) => runtime.select(host, { principal, labels }).policy?.id ?? null;

describe('Runtime.select', () => {
  it('without a known destination, the Host decides', () => {
    expect(pick('orders.example', '')).toBe('shop/orders');
    expect(pick('www.example', '')).toBe('shop/public');
    expect(pick('nowhere.test', '')).toBeNull();
  });

  it('a Host among the policies bound to the destination keeps its policy', () => {
    expect(pick('orders.example', ORDERS)).toBe('shop/orders');
    expect(pick('admin.orders.example', ORDERS)).toBe('shop/orders-admin');
  });

  it('a Host of another policy cannot move the request: one bound policy judges it, several refuse it', () => {
    expect(pick('www.example', 'spiffe://cluster.local/ns/shop/sa/orders-cart')).toBe('shop/orders-admin');
    expect(pick('www.example', ORDERS)).toBeNull();
    expect(runtime.select('www.example', { principal: ORDERS, labels: none }).detail).toMatch(/not served by a policy bound to .*shop\/orders, shop\/orders-admin/);
  });

  it('labels bind only within the policy namespace, known from the destination principal', () => {
    const billing = new Map([['app', 'billing']]);
    expect(pick('www.example', 'spiffe://cluster.local/ns/shop/sa/billing', billing)).toBe('shop/billing');
    expect(pick('www.example', 'spiffe://cluster.local/ns/other/sa/billing', billing)).toBe('shop/public');
    expect(pick('www.example', '', billing)).toBe('shop/public');
  });

  it('reads the namespace of Istio SPIFFE principals only', () => {
    expect(spiffeNamespace(ORDERS)).toBe('shop');
    expect(spiffeNamespace('spiffe://td/workload/x')).toBeNull();
  });
});
