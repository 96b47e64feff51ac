import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile } from './compile.ts';
import { configMapsFrom } from './configmaps.ts';
import { parsePolicyText } from './load.ts';
import { secretsFrom } from './secrets.ts';

const dir = join(import.meta.dirname, 'testdata/compile');
const NOW = new Date('2026-11-01T12:00:00Z');

function load(file: string) {
  const loaded = parsePolicyText(readFileSync(join(dir, file), 'utf8'), file);
  expect(loaded.errors).toEqual([]);
  return { policies: loaded.documents, secrets: secretsFrom(loaded.others), configMaps: configMapsFrom(loaded.others) };
}

describe('compile golden files', () => {
  const cases = readdirSync(dir).filter((f) => f.endsWith('.in.yaml')).sort();
  it('has cases', () => expect(cases.length).toBeGreaterThanOrEqual(5));
  for (const file of cases) {
    it(file, async () => {
      const { policies, secrets, configMaps } = load(file);
      const result = compile(policies, secrets, NOW, { configMaps });
      await expect(`${JSON.stringify(result, null, 2)}\n`).toMatchFileSnapshot(join(dir, file.replace('.in.yaml', '.out.json')));
    });
  }
});

describe('compile properties', () => {
  it('is deterministic: input order does not change the snapshot', () => {
    const { policies, secrets } = load('conflict.in.yaml');
    const a = compile(policies, secrets, NOW);
    const b = compile([...policies].reverse(), [...secrets].reverse(), NOW);
    expect(b).toEqual(a);
  });

  it('versions by content only, not by compile time', () => {
    const { policies, secrets } = load('full-example.in.yaml');
    const a = compile(policies, secrets, NOW);
    const b = compile(policies, secrets, new Date('2030-01-01T00:00:00Z'));
    expect(b.snapshot.version).toBe(a.snapshot.version);
    expect(b.snapshot.compiledAt).not.toBe(a.snapshot.compiledAt);
  });

  it('changes the version when a Secret rotates', () => {
    const { policies, secrets } = load('full-example.in.yaml');
    const before = compile(policies, secrets, NOW);
    const rotated = secrets.map((s) => (s.name === 'partner-a' ? { ...s, data: { ...s.data, key: 'rotated' } } : s));
    const after = compile(policies, rotated, NOW);
    expect(after.snapshot.version).not.toBe(before.snapshot.version);
  });

  it('never puts a plaintext key into the snapshot', () => {
    const { policies, secrets } = load('full-example.in.yaml');
    const text = JSON.stringify(compile(policies, secrets, NOW));
    for (const s of secrets) expect(text).not.toContain(s.data['key']);
  });

  it('challenge keys: never the Secret data itself, derived per policy, and a rotation changes the version', () => {
    const { policies, secrets } = load('challenge.in.yaml');
    const before = compile(policies, secrets, NOW);
    const text = JSON.stringify(before);
    const secret = secrets.find((s) => s.name === 'challenge-keys')!;
    for (const k of ['current', 'previous']) expect(text).not.toContain(secret.data[k]);
    const site = before.snapshot.policies.find((p) => p.id === 'web/site')!;
    expect(site.challenge.keys).toHaveLength(2);
    const renamed = policies.map((p) => (p.metadata.name === 'site' ? { ...p, metadata: { ...p.metadata, name: 'site2' } } : p));
    expect(compile(renamed, secrets, NOW).snapshot.policies.find((p) => p.id === 'web/site2')!.challenge.keys).not.toEqual(site.challenge.keys);
    const rotated = secrets.map((s) => (s === secret ? { ...s, data: { current: 'an0ther-k3y-0123456789-0123456789-01', previous: s.data['current']! } } : s));
    const after = compile(policies, rotated, NOW);
    expect(after.snapshot.version).not.toBe(before.snapshot.version);
    // The old current key is now the previous one: passes it signed still verify.
    expect(after.snapshot.policies.find((p) => p.id === 'web/site')!.challenge.keys![1]).toBe(site.challenge.keys![0]);
  });

  it('the older policy keeps a contested host', () => {
    const { policies, secrets } = load('conflict.in.yaml');
    const { snapshot, violations } = compile(policies, secrets, NOW);
    expect(snapshot.hosts.exact['api.example.com']).toBe('team-a/older');
    expect(violations).toEqual([expect.objectContaining({ policy: 'team-b/newer', reason: 'Conflict', included: false })]);
  });
});

describe('a refused generation never turns protection off', () => {
  const meta = (name: string, generation: number, created: string, uid = `uid-${name}`) => ({ name, namespace: 'shop', generation, creationTimestamp: created, uid });
  const orders = (generation: number, spec: Record<string, unknown>) => ({ metadata: meta('orders', generation, '2026-01-01T00:00:00Z'), spec: { hosts: ['orders.example.com'], ...spec } }) as never;
  const canary = { metadata: meta('canary', 1, '2026-02-01T00:00:00Z'), spec: { hosts: ['orders.example.com'], mode: 'Monitor' } } as never;
  const good = orders(1, { inspection: { sqlInjection: true } });
  const bad = orders(2, { rules: [{ paths: ['/a/**/b'] }] });

  it('keeps the last accepted generation in force, compiled with the current Secrets, and says so', () => {
    const first = compile([good], [], NOW);
    expect(first.accepted).toEqual(['shop/orders']);
    const { snapshot, violations, accepted } = compile([bad], [], NOW, { lastAccepted: new Map([['shop/orders', good]]) });
    expect(accepted).toEqual([]);
    expect(snapshot.policies).toHaveLength(1);
    expect(snapshot.policies[0]).toMatchObject({ id: 'shop/orders', generation: 1, inspection: { sqlInjection: true } });
    expect(snapshot.hosts.exact['orders.example.com']).toBe('shop/orders');
    expect(violations).toEqual([
      expect.objectContaining({ policy: 'shop/orders', reason: 'InvalidSpec', field: 'spec.rules[0].paths[0]', included: true, enforcedGeneration: 1, message: expect.stringMatching(/Generation 1 stays in force$/) }),
    ]);
  });

  it('a Monitor canary never takes the hosts of an Enforce policy that became invalid', () => {
    // with a fallback: the old generation keeps the host
    const withFallback = compile([bad, canary], [], NOW, { lastAccepted: new Map([['shop/orders', good]]) });
    expect(withFallback.snapshot.hosts.exact['orders.example.com']).toBe('shop/orders');
    expect(withFallback.violations.find((v) => v.policy === 'shop/canary')).toMatchObject({
      reason: 'Conflict',
      included: false,
      message: expect.stringContaining('shop/orders (Enforce)'),
    });
    expect(withFallback.conflicts).toEqual([{ owner: 'shop/orders', claimant: 'shop/canary', hosts: ['orders.example.com'] }]);
    // without one (never accepted since the operator started): the host stays reserved and answers no-policy
    const without = compile([bad, canary], [], NOW);
    expect(without.snapshot.hosts.exact['orders.example.com']).toBeUndefined();
    expect(without.snapshot.policies.map((p) => p.id)).toEqual([]);
    expect(without.violations.map((v) => [v.policy, v.reason])).toEqual([
      ['shop/canary', 'Conflict'],
      ['shop/orders', 'InvalidSpec'],
    ]);
  });

  it('Enforce claims before Monitor whatever the ages, so recreating the Enforce policy does not hand its hosts to the canary', () => {
    const recreated = { metadata: meta('orders', 1, '2026-03-01T00:00:00Z', 'uid-new'), spec: { hosts: ['orders.example.com'] } } as never;
    const { snapshot } = compile([recreated, canary], [], NOW);
    expect(snapshot.hosts.exact['orders.example.com']).toBe('shop/orders');
  });

  it('an edit that claims a taken host keeps the previous generation; a recreated policy does not inherit a fallback', () => {
    const other = { metadata: meta('other', 1, '2025-12-01T00:00:00Z'), spec: { hosts: ['pay.example.com'] } } as never;
    const grabbing = orders(2, { hosts: ['orders.example.com', 'pay.example.com'] });
    const r = compile([other, grabbing], [], NOW, { lastAccepted: new Map([['shop/orders', good]]) });
    expect(r.snapshot.hosts.exact['orders.example.com']).toBe('shop/orders');
    expect(r.violations).toEqual([expect.objectContaining({ policy: 'shop/orders', reason: 'Conflict', included: true, enforcedGeneration: 1 })]);
    const reborn = { metadata: meta('orders', 2, '2026-05-01T00:00:00Z', 'uid-other'), spec: { hosts: ['orders.example.com'], rules: [{ paths: ['/a/**/b'] }] } } as never;
    expect(compile([reborn], [], NOW, { lastAccepted: new Map([['shop/orders', good]]) }).snapshot.policies).toEqual([]);
  });

  it('policies refused by the schema keep their fallback and their hosts', () => {
    const refused = { metadata: meta('orders', 3, '2026-01-01T00:00:00Z'), hosts: ['orders.example.com'], mode: 'Enforce' as const, field: 'spec.mode', message: 'must be one of "Enforce", "Monitor"' };
    const r = compile([canary], [], NOW, { refused: [refused], lastAccepted: new Map([['shop/orders', good]]) });
    expect(r.snapshot.hosts.exact['orders.example.com']).toBe('shop/orders');
    expect(r.violations.find((v) => v.policy === 'shop/orders')).toMatchObject({ reason: 'InvalidSpec', field: 'spec.mode', included: true, enforcedGeneration: 1 });
    const none = compile([canary], [], NOW, { refused: [refused] });
    expect(none.snapshot.hosts.exact['orders.example.com']).toBeUndefined();
  });

  it('refuses an API-key scheme of Basic, in any case', () => {
    for (const scheme of ['Basic', 'basic', 'BASIC']) {
      const r = compile([orders(1, { authentication: { apiKeys: { scheme, keys: [] } } })], [], NOW);
      expect(r.violations).toEqual([expect.objectContaining({ reason: 'InvalidSpec', field: 'spec.authentication.apiKeys.scheme', message: expect.stringMatching(/not an API key/) })]);
    }
  });

  it('refuses claims without a JWT to verify them', () => {
    const r = compile([orders(1, { rules: [{ claims: { scope: 'read' } }] })], [], NOW);
    expect(r.violations).toEqual([expect.objectContaining({ reason: 'InvalidSpec', field: 'spec.rules[0].claims', message: expect.stringMatching(/spec.authentication.jwt/) })]);
  });
});
