/**
 * The generated CRD on the real API server: `kubectl apply -f crds/` is accepted, and invalid policies are
 * rejected at admission by the structural schema and the CEL rules, with messages that name the field.
 */
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { stringify as stringify12 } from 'yaml';
import { compile } from '../../lib/policy/compile.ts';
import { API_KEY_SCHEME_NOT_BASIC } from '../../lib/policy/schema.ts';
import { parsePolicyText } from '../../lib/policy/load.ts';
import { createNamespace, installCrd, kubectl, kubectlOk, policy } from '../support/kube.ts';

/** kubectl reads YAML 1.1, where an unquoted Off is a boolean: write what kubectl reads. */
const stringify = (v: unknown) => stringify12(v, { version: '1.1' });

const cp = inject('palisadeControlPlane');
const KC = cp.kubeconfigPath;

describe('ApiProtectionPolicy CRD', () => {
  let ns: string;

  beforeAll(async () => {
    await installCrd(KC);
    ns = await createNamespace(KC, 'pal-crd');
  });

  it('is Established with the short name, the status subresource and the printer columns', async () => {
    const crd = JSON.parse(await kubectlOk(KC, ['get', 'crd', 'apiprotectionpolicies.palisade.dev', '-o', 'json'])) as {
      spec: { names: { shortNames: string[] }; versions: Array<{ subresources: object; additionalPrinterColumns: Array<{ name: string }> }> };
    };
    expect(crd.spec.names.shortNames).toEqual(['apipol']);
    expect(crd.spec.versions[0]?.subresources).toEqual({ status: {} });
    expect(crd.spec.versions[0]?.additionalPrinterColumns.map((c) => c.name)).toEqual(['Hosts', 'Mode', 'Accepted', 'Reason', 'Enforced', 'Replicas', 'Generation', 'Observed', 'In-Force', 'Age']);
    // applying again is a no-op
    expect(await kubectlOk(KC, ['apply', '-f', 'crds/'])).toMatch(/unchanged|configured/);
  });

  it('accepts a full policy and fills in the defaults', async () => {
    await kubectlOk(KC, ['apply', '-f', '-'], stringify(policy('full', ns, {
      hosts: ['full.example.com', '*.example.org'],
      identity: { requireMTLS: true, allowedPrincipals: ['spiffe://cluster.local/ns/*/sa/frontend'] },
      authentication: { required: true, apiKeys: { keys: [{ consumer: 'app', sha256: 'a'.repeat(64) }] } },
      rules: [{ methods: ['GET'], paths: ['/orders/**'] }],
      rateLimits: [{ name: 'per-ip', key: ['clientIP'], requests: 10, period: '1m' }],
      inspection: { sqlInjection: true },
      bot: { mode: 'Off' },
    })));
    const got = JSON.parse(await kubectlOk(KC, ['-n', ns, 'get', 'apipol', 'full', '-o', 'json'])) as { spec: Record<string, unknown> };
    expect(got.spec).toMatchObject({ mode: 'Enforce', failurePolicy: 'FailClosed', bot: { mode: 'Off', denyScore: 80, challengeScore: 50 } });
  });

  const cases: Array<[string, Record<string, unknown>, RegExp]> = [
    ['no hosts', { hosts: [] }, /spec\.hosts: Invalid value: \d+: spec\.hosts in body should have at least 1 items/],
    ['a bad host', { hosts: ['Not_A_Host'] }, /spec\.hosts\[0\]: Invalid value: "Not_A_Host": spec\.hosts\[0\] in body should match/],
    ['an unknown mode', { hosts: ['a.example.com'], mode: 'Block' }, /spec\.mode: Unsupported value: "Block": supported values: "Enforce", "Monitor"/],
    ['challengeScore above denyScore (CEL)', { hosts: ['a.example.com'], bot: { denyScore: 40, challengeScore: 60 } }, /spec\.bot\.challengeScore: Invalid value: "object": challengeScore must not exceed denyScore \(defaults: challengeScore 50, denyScore 80\)/],
    ['challenge difficulty.min above max (CEL)', { hosts: ['a.example.com'], bot: { challenge: { difficulty: { min: 20, max: 10 } } } }, /spec\.bot\.challenge\.difficulty: Invalid value: "object": difficulty\.min must not exceed difficulty\.max/],
    ['a challenge difficulty above 32 bits', { hosts: ['a.example.com'], bot: { challenge: { difficulty: { max: 40 } } } }, /spec\.bot\.challenge\.difficulty\.max: Invalid value: 40: spec\.bot\.challenge\.difficulty\.max in body should be less than or equal to 32/],
    ['an unknown challenge action', { hosts: ['a.example.com'], bot: { challenge: { action: 'Block' } } }, /spec\.bot\.challenge\.action: Unsupported value: "Block": supported values: "Challenge", "Header"/],
    [
      'both jwks and jwksUri (CEL)',
      { hosts: ['a.example.com'], authentication: { jwt: { issuer: 'https://i', jwks: { keys: [] }, jwksUri: 'https://i/jwks' } } },
      /spec\.authentication\.jwt: Invalid value: "object": set exactly one of jwks or jwksUri/,
    ],
    [
      'two rate limits with one name',
      { hosts: ['a.example.com'], rateLimits: [{ name: 'x', key: ['clientIP'], requests: 1, period: '1s' }, { name: 'x', key: ['principal'], requests: 1, period: '1s' }] },
      /spec\.rateLimits\[1\]: Duplicate value: map\[string\]interface \{\}\{"name":"x"\}/,
    ],
    ['a bad period', { hosts: ['a.example.com'], rateLimits: [{ name: 'x', key: ['clientIP'], requests: 1, period: '5 minutes' }] }, /spec\.rateLimits\[0\]\.period: Invalid value: "5 minutes"/],
    ['an API key that is not a sha256', { hosts: ['a.example.com'], authentication: { apiKeys: { keys: [{ consumer: 'c', sha256: 'plaintext-key' }] } } }, /spec\.authentication\.apiKeys\.keys\[0\]\.sha256: Invalid value: "plaintext-key"/],
    ['an unknown field', { hosts: ['a.example.com'], bogus: true }, /unknown field "spec\.bogus"/],
  ];

  it('rejects an unquoted `mode: Off` (YAML 1.1 reads a boolean), naming the field: quote "Off" in manifests', async () => {
    const text = `apiVersion: palisade.dev/v1alpha1\nkind: ApiProtectionPolicy\nmetadata: { name: unquoted, namespace: ${ns} }\nspec:\n  hosts: [a.example.com]\n  bot:\n    mode: Off\n`;
    const r = await kubectl(KC, ['apply', '-f', '-'], text);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/spec\.bot\.mode: Unsupported value: false: supported values: "Enforce", "Monitor", "Off"/);
  });

  for (const [what, spec, message] of cases) {
    it(`rejects ${what} with a clear message`, async () => {
      const r = await kubectl(KC, ['apply', '-f', '-'], stringify(policy('invalid', ns, spec)));
      expect(r.code, r.stdout).not.toBe(0);
      expect(r.stderr).toMatch(message);
    });
  }

  /**
   * What `palisade validate` says of a document: the loader's schema errors, else the compiler's refusal, as
   * `field: message` lines (empty = valid).
   */
  function validateVerdict(text: string): string[] {
    const loaded = parsePolicyText(text, 'p.yaml');
    const schema = loaded.errors.flatMap((e) => e.errors.map((f) => `${f.path}: ${f.message}`));
    if (schema.length > 0) return schema;
    return compile(loaded.documents, [], new Date()).violations.filter((v) => !v.included).map((v) => `${v.field ?? ''}: ${v.message}`);
  }

  const jwt = { issuer: 'https://issuer.example.com', jwksUri: 'https://issuer.example.com/jwks' };
  const agreement: Array<[string, Record<string, unknown>, string | null]> = [
    ['"**" in the middle of a rule path', { rules: [{ paths: ['/a/**/b'] }] }, '"**" is only allowed as the last segment'],
    ['"**" in the middle of a rate-limit path', { rateLimits: [{ name: 'x', key: ['clientIP'], requests: 1, period: '1s', paths: ['/**/x'] }] }, '"**" is only allowed as the last segment'],
    ['a partial-segment "*"', { rules: [{ paths: ['/orders*'] }] }, '"*" must be a whole segment'],
    ['"***"', { rules: [{ paths: ['/a/***'] }] }, '"*" must be a whole segment'],
    ['an empty segment', { rules: [{ paths: ['/a//b'] }] }, 'empty segment ("//")'],
    ['a bad CIDR', { bot: { allow: { cidrs: ['300.1.2.3/8'] } } }, 'invalid CIDR "300.1.2.3/8"'],
    ['a CIDR prefix too long', { bot: { allow: { cidrs: ['10.0.0.0/33'] } } }, 'invalid CIDR "10.0.0.0/33"'],
    ['challengeScore above the default denyScore', { bot: { challengeScore: 90 } }, 'challengeScore must not exceed denyScore (defaults: challengeScore 50, denyScore 80)'],
    ['claims without jwt', { rules: [{ claims: { scope: 'orders' } }] }, 'claims can only match a verified JWT: set spec.authentication.jwt'],
    ['a claim: key without jwt', { rateLimits: [{ name: 'x', key: ['claim:sub'], requests: 1, period: '1s' }] }, '"claim:" key parts need spec.authentication.jwt'],
    ['both jwks and jwksUri', { authentication: { jwt: { ...jwt, jwks: { keys: [] } } } }, 'set exactly one of jwks or jwksUri'],
    ['an API-key scheme of Basic', { authentication: { apiKeys: { scheme: 'BASIC' } } }, API_KEY_SCHEME_NOT_BASIC],
    // and what both accept
    ['valid paths', { rules: [{ paths: ['/', '/a/', '/a/*/b', '/a/**', '/**', '/a/**/'] }] }, null],
    ['claims with jwt', { authentication: { jwt }, rules: [{ claims: { scope: 'orders' } }], rateLimits: [{ name: 'x', key: ['claim:sub'], requests: 1, period: '1s' }] }, null],
    ['scores in order', { bot: { challengeScore: 70, denyScore: 90 }, allow: undefined }, null],
    ['API keys after a Bearer scheme', { authentication: { apiKeys: { scheme: 'Bearer' } } }, null],
  ];

  for (const [what, extra, message] of agreement) {
    it(`palisade validate and the API server agree on ${what}${message ? ', with the compiler\'s message' : ''}`, async () => {
      const spec = Object.fromEntries(Object.entries({ hosts: ['agree.example.com'], ...extra }).filter(([, v]) => v !== undefined));
      const text = stringify(policy('agree', ns, spec));
      const local = validateVerdict(text);
      const r = await kubectl(KC, ['apply', '--dry-run=server', '-f', '-'], text);
      if (message === null) {
        expect(local).toEqual([]);
        expect(r.code, r.stderr).toBe(0);
        return;
      }
      expect(local.join('\n')).toContain(message);
      expect(r.code, r.stdout).not.toBe(0);
      expect(r.stderr).toContain(message);
    });
  }

  it('palisade validate and the API server agree on an unquoted `mode: Off`: both refuse it', async () => {
    const text = `apiVersion: palisade.dev/v1alpha1\nkind: ApiProtectionPolicy\nmetadata: { name: unquoted, namespace: ${ns} }\nspec:\n  hosts: [a.example.com]\n  bot:\n    mode: Off\n`;
    expect(validateVerdict(text).join('\n')).toMatch(/spec\.bot\.mode: must be one of "Enforce", "Monitor", "Off" \(got false: YAML 1\.1/);
    expect((await kubectl(KC, ['apply', '--dry-run=server', '-f', '-'], text)).code).not.toBe(0);
  });
});
