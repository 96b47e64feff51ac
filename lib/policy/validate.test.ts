import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CRD_PATH, renderCrdYaml } from './crd-gen.ts';
import { parsePolicyText } from './load.ts';
import { globToRegex, parseDurationMs, pathPatternToRegex } from './patterns.ts';

const header = 'apiVersion: palisade.dev/v1alpha1\nkind: ApiProtectionPolicy\nmetadata: { name: p }\n';

function errorsOf(spec: string): string[] {
  const r = parsePolicyText(`${header}spec: ${spec}\n`, 'p.yaml');
  return r.errors.flatMap((e) => e.errors.map((f) => `${f.path}: ${f.message}`));
}

describe('document validation', () => {
  it('accepts a minimal policy', () => {
    expect(errorsOf('{ hosts: [a.local] }')).toEqual([]);
  });

  it('names the field path of a bad value', () => {
    const errs = errorsOf('{ hosts: [a.local], rateLimits: [{ name: x, key: [clientIP], requests: 1, period: 5 minutes }] }');
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatch(/^spec\.rateLimits\[0\]\.period: "5 minutes" does not match/);
  });

  it('rejects unknown fields and wrong enums', () => {
    expect(errorsOf('{ hosts: [a.local], hostz: [] }')).toEqual(['spec.hostz: unknown field']);
    expect(errorsOf('{ hosts: [a.local], mode: Block }')).toEqual(['spec.mode: must be one of "Enforce", "Monitor"']);
  });

  it('reads YAML 1.1 as kubectl does: an unquoted Off is refused with a hint, a quoted one passes', () => {
    expect(errorsOf('{ hosts: [a.local], bot: { mode: Off } }')).toEqual([
      'spec.bot.mode: must be one of "Enforce", "Monitor", "Off" (got false: YAML 1.1, as kubectl reads it, turns an unquoted Off, On, Yes or No into a boolean; quote it)',
    ]);
    expect(errorsOf('{ hosts: [a.local], bot: { mode: "Off" } }')).toEqual([]);
  });

  it('rejects plaintext-looking API keys', () => {
    const errs = errorsOf('{ hosts: [a.local], authentication: { apiKeys: { keys: [{ consumer: c, sha256: secret123 }] } } }');
    expect(errs[0]).toMatch(/^spec\.authentication\.apiKeys\.keys\[0\]\.sha256: "secret123" does not match/);
  });

  it('reports malformed YAML with the file and keeps other documents', () => {
    const r = parsePolicyText(`${header}spec: { hosts: [a.local] }\n---\nkind: [unclosed\n`, 'bad.yaml');
    expect(r.documents).toHaveLength(1);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatchObject({ file: 'bad.yaml', index: 1 });
    expect(r.errors[0]?.errors[0]?.path).toBe('(yaml)');
  });

  it('reads kind: List and leaves other kinds aside', () => {
    const text = `kind: List\napiVersion: v1\nitems:\n  - { apiVersion: palisade.dev/v1alpha1, kind: ApiProtectionPolicy, metadata: { name: a }, spec: { hosts: [a.local] } }\n  - { apiVersion: v1, kind: Secret, metadata: { name: s } }\n`;
    const r = parsePolicyText(text, 'list.yaml');
    expect(r.documents.map((d) => d.metadata.name)).toEqual(['a']);
    expect(r.others.map((o) => o.value['kind'])).toEqual(['Secret']);
  });

  it('refuses an empty file, an unknown kind and a wrong apiVersion instead of skipping them', () => {
    const problems = (text: string) => parsePolicyText(text, 'f.yaml').errors.flatMap((e) => e.errors.map((f) => `${f.path}: ${f.message}`));
    expect(problems('')).toEqual([expect.stringMatching(/^\(file\): no documents: an empty file is refused/)]);
    expect(problems('# only a comment\n---\n')).toEqual([expect.stringMatching(/no documents/)]);
    expect(problems(`${header.replace('ApiProtectionPolicy', 'ApiProtectionPolicys')}spec: { hosts: [a.local] }\n`)).toEqual([
      'kind: unknown kind "ApiProtectionPolicys": expected ApiProtectionPolicy (palisade.dev/v1alpha1) or Secret (v1) or ConfigMap (v1)',
    ]);
    expect(problems(`${header.replace('palisade.dev/', 'palisade.io/')}spec: { hosts: [a.local] }\n`)).toEqual([
      'apiVersion: "palisade.io/v1alpha1" is not palisade.dev/v1alpha1 (the apiVersion of ApiProtectionPolicy)',
    ]);
    expect(problems('apiVersion: apps/v1\nkind: Deployment\nmetadata: { name: c }\n')).toEqual([expect.stringMatching(/^kind: unknown kind "Deployment"/)]);
    expect(problems('apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n')).toEqual(['metadata.name: a ConfigMap needs a name']);
    expect(problems('apiVersion: v1\nkind: Secret\nmetadata: {}\n')).toEqual(['metadata.name: a Secret needs a name']);
    expect(problems('kind: List\napiVersion: v1\n')).toEqual(['items: a List needs an items array']);
  });
});

describe('patterns', () => {
  it('path patterns: * is one segment, ** any rest, trailing slash tolerated', () => {
    const re = (p: string) => new RegExp(pathPatternToRegex(p));
    expect(re('/orders/*').test('/orders/42')).toBe(true);
    expect(re('/orders/*').test('/orders/42/')).toBe(true);
    expect(re('/orders/*').test('/orders/42/items')).toBe(false);
    expect(re('/orders/*').test('/orders/')).toBe(false);
    expect(re('/static/**').test('/static')).toBe(true);
    expect(re('/static/**').test('/static/a/b.css')).toBe(true);
    expect(re('/static/**').test('/staticx')).toBe(false);
    expect(re('/a.b').test('/aXb')).toBe(false);
    expect(() => pathPatternToRegex('/a/*.json')).toThrow(/whole segment/);
  });

  it('principal globs: * never crosses a slash', () => {
    const re = new RegExp(globToRegex('spiffe://cluster.local/ns/*/sa/checkout'));
    expect(re.test('spiffe://cluster.local/ns/shop/sa/checkout')).toBe(true);
    expect(re.test('spiffe://cluster.local/ns/a/b/sa/checkout')).toBe(false);
  });

  it('durations', () => {
    expect(parseDurationMs('90s')).toBe(90_000);
    expect(parseDurationMs('2m')).toBe(120_000);
    expect(parseDurationMs('1h')).toBe(3_600_000);
    expect(() => parseDurationMs('1d')).toThrow(/invalid duration/);
  });
});

describe('CRD', () => {
  it('the committed CRD is generated from the current schema (run npm run gen:crd)', () => {
    expect(readFileSync(CRD_PATH, 'utf8')).toBe(renderCrdYaml());
  });

  it('is structural: no anyOf/const/patternProperties left', () => {
    const text = readFileSync(CRD_PATH, 'utf8');
    expect(text).not.toMatch(/anyOf|const:|patternProperties|\$id/);
    const crd = parse(text.replace(/^#.*\n/, ''));
    expect(crd.spec.versions[0].schema.openAPIV3Schema.properties.spec.required).toEqual(['hosts']);
  });
});
