/** The `palisade` CLI as users run it (a real process). */
import { spawn, spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { captureLogger, policyDoc, startTestServer, writePolicyDir } from '../support/policies.ts';

const root = join(import.meta.dirname, '..', '..');

function palisade(...args: string[]) {
  const r = spawnSync(process.execPath, ['authz-server/src/cli/palisade.ts', ...args], { cwd: root, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('palisade validate', () => {
  it('accepts the examples', () => {
    const r = palisade('validate', 'examples/policies');
    expect(r.code).toBe(0);
    expect(r.out).toContain('ok: shop/orders');
    expect(r.out).toMatch(/valid: 2 policies, snapshot sha256:/);
  });

  it('names file, document and field path of every problem and exits 1', async () => {
    const dir = await writePolicyDir([
      policyDoc('bad', { hosts: ['ok.local'], rateLimits: [{ name: 'x', key: ['ip'], requests: 0, period: '1d' }] }),
      policyDoc('dup', { hosts: ['ok.local'] }),
    ]);
    const r = palisade('validate', dir.dir);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/policies\.yaml#0 \(bad\): spec\.rateLimits\[0\]\.key\[0\]: "ip" does not match/);
    expect(r.err).toMatch(/spec\.rateLimits\[0\]\.requests: /);
    expect(r.err).toMatch(/spec\.rateLimits\[0\]\.period: "1d" does not match/);
    await dir.cleanup();
  });

  it.each([
    ['an empty file', '', /empty\.yaml#0: \(file\): no documents/],
    ['a misspelt kind', 'apiVersion: palisade.dev/v1alpha1\nkind: ApiProtectionPolicys\nmetadata: { name: a }\nspec: { hosts: [a.local] }\n', /kind: unknown kind "ApiProtectionPolicys"/],
    ['a wrong API group', 'apiVersion: palisade.io/v1alpha1\nkind: ApiProtectionPolicy\nmetadata: { name: a }\nspec: { hosts: [a.local] }\n', /apiVersion: "palisade\.io\/v1alpha1" is not palisade\.dev\/v1alpha1/],
  ])('refuses %s next to a valid policy: exit 1, not "valid"', async (_what, text, message) => {
    const dir = await writePolicyDir([policyDoc('good', { hosts: ['good.local'] })]);
    await writeFile(join(dir.dir, 'empty.yaml'), text);
    const r = palisade('validate', dir.dir);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(message);
    expect(r.out).not.toMatch(/^valid/m);
    await dir.cleanup();
  });
});

describe('palisade validate warnings', () => {
  it('warns (exit 0) when a rate-limit key part can be absent and the limit does not say what then', async () => {
    const dir = await writePolicyDir([policyDoc('limits', { hosts: ['ok.local'], rateLimits: [{ name: 'per-user', key: ['header:x-user'], requests: 10, period: '1m' }] })]);
    const r = palisade('validate', dir.dir);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/warning: shop\/limits: at spec\.rateLimits\[0\]\.key\[0\]: "header:x-user" can be absent .*whenKeyPartMissing: Skip/);
    await dir.cleanup();
  });
});

/** The CLI as a child process without blocking this one (an in-process server must keep answering). */
function palisadeAsync(...args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['authz-server/src/cli/palisade.ts', ...args], { cwd: root });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

describe('palisade --help', () => {
  it('documents every field of the short request form', () => {
    const r = palisade('--help');
    expect(r.code).toBe(0);
    for (const k of ['host', 'method', 'path', 'headers', 'principal', 'sourceIp', 'body']) expect(r.out).toMatch(new RegExp(`^    ${k} `, 'm'));
    expect(r.out).toContain('--server <host:port>');
    expect(palisade('check', '--help').code).toBe(0);
  });
});

describe('palisade check --server (a live authz-server)', () => {
  it('gives the verdict the offline check gives, over real gRPC', async () => {
    const log = captureLogger();
    const server = await startTestServer(['--policies', 'examples/policies'], log.logger);
    try {
      const requests = [
        { host: 'api.example.com', path: '/orders/42', principal: 'spiffe://cluster.local/ns/shop/sa/frontend', headers: { 'x-api-key': 'demo-mobile-key', accept: 'application/json', 'user-agent': 'Mozilla/5.0', 'accept-language': 'en' } },
        { host: 'api.example.com', path: '/orders/42' },
        { host: 'nobody.example.com' },
      ];
      for (const req of requests) {
        const offline = palisade('check', '--policies', 'examples/policies', '--request', JSON.stringify(req), '--json');
        const live = await palisadeAsync('check', '--server', `127.0.0.1:${server.grpcPort}`, '--request', JSON.stringify(req), '--json');
        expect(live.code, live.err).toBe(offline.code);
        expect(JSON.parse(live.out).reason).toBe(JSON.parse(offline.out).reason);
      }
      const text = await palisadeAsync('check', '--server', `127.0.0.1:${server.grpcPort}`, '--request', JSON.stringify({ host: 'api.example.com', path: '/orders/42' }));
      expect(text.out).toMatch(/^verdict: DENY identity \(HTTP 403\)/);
      expect(text.out).toContain('x-palisade-reason: identity');
    } finally {
      await server.stop();
    }
  });

  it('says which server could not be reached, exit 2', async () => {
    const r = await palisadeAsync('check', '--server', '127.0.0.1:1', '--request', '{"host":"a"}');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^error: 127\.0\.0\.1:1: /);
  });
});

describe('palisade check', () => {
  it('refuses unknown keys in the short form, naming them, exit 2', () => {
    const r = palisade('check', '--policies', 'examples/policies', '--request', JSON.stringify({ host: 'api.example.com', header: { 'x-api-key': 'k' } }));
    expect(r.code).toBe(2);
    expect(r.err).toContain('error: --request: unknown key(s) "header"; the short form takes host, method, path, headers, principal, sourceIp, body');
  });

  const allowed = JSON.stringify({
    host: 'api.example.com',
    method: 'GET',
    path: '/orders/42',
    principal: 'spiffe://cluster.local/ns/shop/sa/frontend',
    headers: { 'x-api-key': 'demo-mobile-key', accept: 'application/json', 'user-agent': 'Mozilla/5.0', 'accept-language': 'en' },
  });

  it('prints ALLOW with each stage explained, exit 0', () => {
    const r = palisade('check', '--policies', 'examples/policies', '--request', allowed);
    expect(r.code).toBe(0);
    expect(r.out).toContain('verdict: ALLOW');
    expect(r.out).toMatch(/identity\s+pass\s+spiffe:\/\/cluster\.local\/ns\/shop\/sa\/frontend/);
    expect(r.out).toMatch(/authentication\s+pass\s+consumer mobile-app/);
    expect(r.out).not.toContain('demo-mobile-key');
  });

  it('prints the deny reason and the stage that denied, exit 1', () => {
    const req = JSON.stringify({ host: 'api.example.com', path: '/orders', principal: 'spiffe://cluster.local/ns/shop/sa/frontend', headers: { authorization: 'Basic dTpw' } });
    const r = palisade('check', '--policies', 'examples/policies', '--request', req, '--json');
    expect(r.code).toBe(1);
    const out = JSON.parse(r.out);
    expect(out).toMatchObject({ verdict: 'deny', reason: 'authentication', policy: 'shop/orders' });
    expect(out.trace.at(-1)).toEqual({ stage: 'authentication', result: 'deny', detail: 'basic auth rejected' });
    expect(out.response.denied_response.status.code).toBe(401);
  });

  it('an access denial names the rule that came closest and what it failed on', () => {
    const req = JSON.stringify({ host: 'api.example.com', method: 'DELETE', path: '/orders/42', principal: 'spiffe://cluster.local/ns/shop/sa/frontend', headers: { 'x-api-key': 'demo-mobile-key' } });
    const r = palisade('check', '--policies', 'examples/policies', '--request', req);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/rules\s+deny\s+no rule matches DELETE \/orders\/42; closest is rule 0: method DELETE not in \[GET, HEAD\]$/m);
  });

  it('rejects a request that is not JSON with exit 2', () => {
    const r = palisade('check', '--policies', 'examples/policies', '--request', '{nope');
    expect(r.code).toBe(2);
    expect(r.err).toContain('--request');
  });
});

describe('palisade inventory', () => {
  it('prints a saved inventory, or OpenAPI 3.1 of one policy as YAML; refuses an unknown policy', async () => {
    const { mkdtemp, writeFile, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const dir = await mkdtemp(join(tmpdir(), 'palisade-inv-'));
    const endpoint = {
      policy: 'shop/orders', host: 'api.example.com', method: 'GET', template: '/orders/{id}', count: 4, firstSeen: null, lastSeen: null,
      responses: { '2xx': 4, '3xx': 0, '4xx': 0, '5xx': 0 }, consumers: 2, coveredByRule: true, declared: true, shadow: false, zombie: false,
    };
    const file = join(dir, 'inventory.json');
    await writeFile(file, JSON.stringify({ generatedAt: '2026-03-01T00:00:00.000Z', shadow: 0, zombie: 0, policies: [], endpoints: [endpoint] }));
    try {
      const plain = palisade('inventory', '--file', file);
      expect(plain.code).toBe(0);
      expect(JSON.parse(plain.out).endpoints).toEqual([endpoint]);
      const yaml = palisade('inventory', '--file', file, '--openapi', '--yaml');
      expect(yaml.code).toBe(0);
      expect(yaml.out).toContain('openapi: 3.1.0');
      expect(yaml.out).toContain('/orders/{id}:');
      expect(yaml.out).toContain('x-palisade-requests: 4');
      const other = palisade('inventory', '--file', file, '--openapi', '--policy', 'shop/nope');
      expect(other.code).toBe(2);
      expect(other.err).toContain('name one of the observed policies: shop/orders');
      expect(palisade('inventory', '--file', join(dir, 'missing.json')).code).toBe(2);
      expect(palisade('inventory').code).toBe(2);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
