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

  it('the older policy keeps a contested host', () => {
    const { policies, secrets } = load('conflict.in.yaml');
    const { snapshot, violations } = compile(policies, secrets, NOW);
    expect(snapshot.hosts.exact['api.example.com']).toBe('team-a/older');
    expect(violations).toEqual([expect.objectContaining({ policy: 'team-b/newer', reason: 'Conflict', included: false })]);
  });
});
