import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile } from './compile.ts';
import { parsePolicyText } from './load.ts';
import { secretsFrom } from './secrets.ts';

const dir = join(import.meta.dirname, 'testdata/compile');
const NOW = new Date('2026-11-01T12:00:00Z');

function load(file: string) {
  const loaded = parsePolicyText(readFileSync(join(dir, file), 'utf8'), file);
  expect(loaded.errors).toEqual([]);
  return { policies: loaded.documents, secrets: secretsFrom(loaded.others) };
}

describe('compile golden files', () => {
  const cases = readdirSync(dir).filter((f) => f.endsWith('.in.yaml')).sort();
  it('has cases', () => expect(cases.length).toBeGreaterThanOrEqual(5));
  for (const file of cases) {
    it(file, async () => {
      const { policies, secrets } = load(file);
      const result = compile(policies, secrets, NOW);
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
