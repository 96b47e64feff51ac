/**
 * The evasions an attacker tried against Palisade, each replayed over real gRPC with Envoy-shaped CheckRequests:
 * encodings the upstream decodes, identity-less requests passing identity rules, client addresses from headers
 * anyone can set, forged access logs, Monitor mode denying while Redis is down, bodies skipped by their label or
 * their size, and a Host header moving a request under another workload's policy. (Standalone file handling is
 * test/authz/policy-files.test.ts; what the real upstreams route is test/upstreams/routing.test.ts.)
 */
import * as grpc from '@grpc/grpc-js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { envoyServices } from '../../authz-server/src/envoy/protos.ts';
import { RedisCounterStore } from '../../authz-server/src/store/redis-store.ts';
import { accessLogEntry, sendAccessLogs } from '../support/access-log.ts';
import { makeCa, makeCert } from '../support/certs.ts';
import { authzClient, envoyRequest, headerOf, spiffe, type RequestShape } from '../support/envoy.ts';
import { captureLogger, policyDoc, startTestServer, testIssuer, writePolicyDir } from '../support/policies.ts';
import { verdictOf } from '../support/verdict.ts';

const log = captureLogger('warn');

/** A server on its own policies; closed after the file's tests. */
async function serverWith(docs: unknown[], args: string[] = [], overrides: Parameters<typeof startTestServer>[2] = {}) {
  const dir = await writePolicyDir(docs);
  const server = await startTestServer(['--policies', dir.dir, ...args], log.logger, overrides);
  const client = authzClient(server.grpcPort);
  return {
    server,
    client,
    verdict: (shape: RequestShape) => verdictOf(client, shape),
    async close() {
      client.close();
      await server.stop();
      await dir.cleanup();
    },
  };
}
type Served = Awaited<ReturnType<typeof serverWith>>;

describe('1. paths are judged as the upstream routes them, or refused', () => {
  let s: Served;
  let options: Served;
  const rules = [{ methods: ['GET'], paths: ['/public/*'] }, { paths: ['/docs/**'] }, { methods: ['POST'], paths: ['/login'] }];
  const limit = [{ name: 'login', methods: ['POST'], paths: ['/login'], key: ['clientIP'], requests: 1, period: '1m' }];
  beforeAll(async () => {
    s = await serverWith([policyDoc('paths', { hosts: ['paths.example'], rules, rateLimits: limit })]);
  });
  afterAll(() => s?.close());

  it.each(['/public/..%2Fadmin', '/public/%2e%2e%2fadmin', '/docs/..;/admin', '/public/%2e%2e/admin', '/public/..%5Cadmin', '/docs/x/../../admin'])(
    '%s (nginx or Tomcat route it to /admin) is refused',
    async (path) => {
      expect(await s.verdict({ host: 'paths.example', path })).toBe('inspection');
    },
  );

  it('plain paths, decoded unreserved characters and ;parameters still pass', async () => {
    for (const path of ['/public/x', '/docs/a/b', '/%70ublic/x', '/public/x;jsessionid=1', '/docs//a']) {
      expect(await s.verdict({ host: 'paths.example', path })).toBe('allow');
    }
  });

  it('POST /login;jsessionid=x is /login to Tomcat: it does not escape the limit on /login', async () => {
    const login = (path: string) => s.verdict({ host: 'paths.example', method: 'POST', path, sourceIp: '192.0.2.10' });
    expect(await login('/login')).toBe('allow');
    expect(await login('/login;jsessionid=x')).toBe('rate-limit');
    expect(await login('/login;')).toBe('rate-limit');
  });

  describe('pathMatching', () => {
    beforeAll(async () => {
      options = await serverWith([
        policyDoc('express', { hosts: ['express.example'], rules, rateLimits: limit, pathMatching: { caseSensitive: false, escapedSlashes: 'Keep' } }),
        policyDoc('nginx', { hosts: ['nginx.example'], rules, pathMatching: { escapedSlashes: 'Unescape' } }),
      ]);
    });
    afterAll(() => options?.close());

    it('a case-insensitive upstream (Express): /LOGIN counts against the limit on /login', async () => {
      const login = (path: string) => options.verdict({ host: 'express.example', method: 'POST', path, sourceIp: '192.0.2.11' });
      expect(await login('/Login')).toBe('allow');
      expect(await login('/LOGIN')).toBe('rate-limit');
    });

    it('escapedSlashes: Unescape reads %2F as "/" (nginx), Keep as part of a segment (Go, Express)', async () => {
      expect(await options.verdict({ host: 'nginx.example', path: '/public%2Fx' })).toBe('allow');
      expect(await options.verdict({ host: 'nginx.example', path: '/admin%2Fx' })).toBe('access');
      expect(await options.verdict({ host: 'nginx.example', path: '/public/..%2Fadmin' })).toBe('inspection');
      expect(await options.verdict({ host: 'express.example', path: '/public/a%2Fb' })).toBe('allow');
    });
  });
});

describe('2. identity-requiring rule fields never match a request without that identity', () => {
  let s: Served;
  beforeAll(async () => {
    const issuer = await testIssuer();
    s = await serverWith([
      policyDoc('mtls-only', { hosts: ['mtls.example'], rules: [{ principals: ['*'] }, { principals: ['spiffe://cluster.local/ns/*/sa/*'], paths: ['/x'] }] }),
      policyDoc('jwt-only', { hosts: ['jwt.example'], authentication: { jwt: { issuer: issuer.issuer, audiences: ['orders'], jwks: issuer.jwks } }, rules: [{ claims: {} }] }),
    ]);
  });
  afterAll(() => s?.close());

  it('principals: ["*"] means any mTLS peer, not a plaintext caller', async () => {
    expect(await s.verdict({ host: 'mtls.example', path: '/x' })).toBe('access');
    expect(await s.verdict({ host: 'mtls.example', path: '/x', principal: spiffe('shop', 'frontend') })).toBe('allow');
  });

  it('claims: {} means any verified token, not an anonymous caller', async () => {
    expect(await s.verdict({ host: 'jwt.example' })).toBe('access');
  });
});

describe('3. the client address comes from the TCP peer unless a trusted proxy forwards it', () => {
  const limited = (extra: Record<string, unknown> = {}) =>
    policyDoc('ip', {
      hosts: ['ip.example'],
      rateLimits: [{ name: 'per-ip', key: ['clientIP'], requests: 2, period: '1m' }],
      bot: { mode: 'Enforce', denyScore: 60, challengeScore: 40, allow: { cidrs: ['203.0.113.0/24'] } },
      ...extra,
    });
  const BOT = { 'user-agent': 'python-requests/2.32', accept: '' };

  it('behind a sidecar, a client rotating x-envoy-external-address / x-forwarded-for stays one client', async () => {
    const s = await serverWith([limited()]);
    try {
      const req = (n: number) => s.verdict({ host: 'ip.example', sourceIp: '10.1.2.3', headers: { 'x-envoy-external-address': `198.51.100.${n}`, 'x-forwarded-for': `198.51.100.${n}` } });
      expect(await req(1)).toBe('allow');
      expect(await req(2)).toBe('allow');
      expect(await req(3)).toBe('rate-limit');
      // An address inside bot.allow.cidrs, claimed by the client, does not zero its bot score.
      expect(await s.verdict({ host: 'ip.example', sourceIp: '10.9.8.7', headers: { ...BOT, 'x-envoy-external-address': '203.0.113.5', 'x-forwarded-for': '203.0.113.5' } })).toBe('bot');
    } finally {
      await s.close();
    }
  });

  it("a search engine's user agent spares it bot scoring only from the ranges its owner publishes", async () => {
    const googlebot = { 'user-agent': 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', accept: '' };
    const bingbot = { 'user-agent': 'Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm) Chrome/116.0.1938.76 Safari/537.36', accept: '' };
    const off = policyDoc('ip-off', {
      hosts: ['off.example'],
      bot: { mode: 'Enforce', denyScore: 60, challengeScore: 40, allow: { searchCrawlers: false } },
    });
    const s = await serverWith([limited(), off]);
    try {
      expect(await s.verdict({ host: 'ip.example', sourceIp: '66.249.66.1', headers: googlebot })).toBe('allow');
      expect(await s.verdict({ host: 'ip.example', sourceIp: '2001:4860:4801:10::1', headers: googlebot })).toBe('allow');
      expect(await s.verdict({ host: 'ip.example', sourceIp: '157.55.39.77', headers: bingbot })).toBe('allow');
      // The name from anywhere else, from the other owner's ranges, or forwarded by a peer nobody trusts: scored.
      expect(await s.verdict({ host: 'ip.example', sourceIp: '198.51.100.30', headers: googlebot })).toBe('bot');
      expect(await s.verdict({ host: 'ip.example', sourceIp: '157.55.39.78', headers: googlebot })).toBe('bot');
      expect(await s.verdict({ host: 'ip.example', sourceIp: '10.9.8.6', headers: { ...googlebot, 'x-envoy-external-address': '66.249.66.2', 'x-forwarded-for': '66.249.66.2' } })).toBe('bot');
      // A verified crawler is spared the bot score, not the rate limits.
      expect(await s.verdict({ host: 'ip.example', sourceIp: '66.249.66.1', headers: googlebot })).toBe('allow');
      expect(await s.verdict({ host: 'ip.example', sourceIp: '66.249.66.1', headers: googlebot })).toBe('rate-limit');
      // searchCrawlers: false scores it as any client.
      expect(await s.verdict({ host: 'off.example', sourceIp: '66.249.66.3', headers: googlebot })).toBe('bot');
    } finally {
      await s.close();
    }
  });

  it('from a trusted gateway (CIDR or SPIFFE principal) the forwarded address counts, with trusted hops', async () => {
    const gateway = spiffe('istio-system', 'istio-ingressgateway-service-account');
    const s = await serverWith([limited()], ['--trusted-proxies', '10.0.0.0/8,spiffe://cluster.local/ns/istio-system/sa/*', '--xff-trusted-hops', '1']);
    try {
      // Gateway pod (trusted) behind a cloud load balancer (one trusted hop): the client is second from the right.
      const via = (client: string, shape: RequestShape) => s.verdict({ host: 'ip.example', ...shape, headers: { 'x-forwarded-for': `6.6.6.6, ${client}, 10.0.0.1`, ...shape.headers } });
      for (let n = 1; n <= 4; n++) expect(await via(`198.51.100.${n}`, { sourceIp: '10.1.2.3' })).toBe('allow');
      expect(await via('198.51.100.9', { sourceIp: '192.0.2.99', principal: gateway })).toBe('allow');
      expect(await via('198.51.100.9', { sourceIp: '192.0.2.99', principal: gateway })).toBe('allow');
      expect(await via('198.51.100.9', { sourceIp: '192.0.2.99', principal: gateway })).toBe('rate-limit');
      // The same header from an untrusted peer is the peer's word only.
      expect(await via('198.51.100.20', { sourceIp: '192.0.2.50' })).toBe('allow');
      expect(await via('198.51.100.21', { sourceIp: '192.0.2.50' })).toBe('allow');
      expect(await via('198.51.100.22', { sourceIp: '192.0.2.50' })).toBe('rate-limit');
      // An allow-listed client address forwarded by the trusted gateway is allow-listed.
      expect(await s.verdict({ host: 'ip.example', sourceIp: '10.1.2.3', headers: { ...BOT, 'x-forwarded-for': '203.0.113.5, 10.0.0.1' } })).toBe('allow');
    } finally {
      await s.close();
    }
  });
});

describe('4. access logs cannot be forged', () => {
  const policy = policyDoc('bots', { hosts: ['bots.example'], bot: { mode: 'Enforce', denyScore: 60, challengeScore: 40 } });

  it("fifty fake 404s for a victim's address change nothing and are counted as ignored", async () => {
    const s = await serverWith([policy], [], { deferredFlushMs: 0 });
    try {
      const victim = '198.51.100.77';
      // A browser-like victim that a few error signals would push over the deny score.
      const shape = { host: 'bots.example', sourceIp: victim, headers: { 'user-agent': 'Mozilla/5.0', 'accept-language': '' } };
      expect(await s.verdict(shape)).toBe('allow');
      const fakes = Array.from({ length: 50 }, (_, i) =>
        accessLogEntry({ host: 'bots.example', path: `/x/${i}`, code: 404, requestId: `forged-${i}`, sourceIp: victim, requestHeaders: { 'x-envoy-external-address': victim } }),
      );
      await sendAccessLogs(s.server.grpcPort, fakes);
      await s.server.flushDeferred();
      const res = await s.client.check(envoyRequest(shape));
      expect(res.status.code).toBe(0);
      expect(headerOf(res.ok_response?.headers, 'x-palisade-bot-signals') ?? '').not.toContain('errors-');
      expect(await s.server.registry.getSingleMetricAsString('palisade_access_log_entries_ignored_total')).toContain('reason="unmatched"} 50');
    } finally {
      await s.close();
    }
  });

  describe('with --access-log-principals, only allowed Envoys are heard at all', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'palisade-als-'));
      makeCa(dir, 'ca');
      makeCert(dir, 'ca', 'server', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
      makeCert(dir, 'ca', 'envoy', `subjectAltName=URI:${spiffe('shop', 'orders')}\nextendedKeyUsage=clientAuth\n`);
      makeCert(dir, 'ca', 'workload', `subjectAltName=URI:${spiffe('shop', 'attacker')}\nextendedKeyUsage=clientAuth\n`);
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    function send(port: number, cert: string): Promise<grpc.ServiceError | null> {
      const { accessLog } = envoyServices();
      const creds = grpc.credentials.createSsl(readFileSync(join(dir, 'ca.crt')), readFileSync(join(dir, `${cert}.key`)), readFileSync(join(dir, `${cert}.crt`)));
      const client = new accessLog(`localhost:${port}`, creds);
      return new Promise((resolve) => {
        const stream = (client as unknown as { StreamAccessLogs(cb: (err: grpc.ServiceError | null) => void): grpc.ClientWritableStream<unknown> }).StreamAccessLogs((err) => {
          client.close();
          resolve(err);
        });
        stream.write({ identifier: { log_name: 'palisade' }, http_logs: { log_entry: Array.from({ length: 5 }, (_, i) => accessLogEntry({ host: 'bots.example', path: '/', code: 404, requestId: `x-${i}`, sourceIp: '10.0.0.1' })) } });
        stream.end();
      });
    }

    it('a workload certificate from the mesh CA is refused; the Envoy identity is accepted', async () => {
      const tls = ['--tls-cert', join(dir, 'server.crt'), '--tls-key', join(dir, 'server.key'), '--tls-client-ca', join(dir, 'ca.crt')];
      const s = await serverWith([policy], [...tls, '--access-log-principals', 'spiffe://cluster.local/ns/shop/sa/orders']);
      try {
        const refused = await send(s.server.grpcPort, 'workload');
        expect(refused?.code).toBe(grpc.status.PERMISSION_DENIED);
        expect(await send(s.server.grpcPort, 'envoy')).toBeNull();
        const ignored = await s.server.registry.getSingleMetricAsString('palisade_access_log_entries_ignored_total');
        expect(ignored).toContain('reason="unauthenticated"} 5');
      } finally {
        await s.close();
      }
    });
  });
});

describe('5. Monitor mode never denies, store failure included', () => {
  it('a policy whose only store use is bot scoring in Monitor mode answers while Redis is down', async () => {
    const store = new RedisCounterStore({ url: 'redis://127.0.0.1:1', timeoutMs: 50, logger: log.logger, registry: new Registry() });
    const s = await serverWith(
      [
        policyDoc('watch', { hosts: ['watch.example'], failurePolicy: 'FailClosed', bot: { mode: 'Monitor' } }),
        policyDoc('monitor', { hosts: ['monitor.example'], mode: 'Monitor', failurePolicy: 'FailClosed', rateLimits: [{ name: 'l', key: ['clientIP'], requests: 5, period: '1m' }] }),
        policyDoc('limited', { hosts: ['limited.example'], failurePolicy: 'FailClosed', rateLimits: [{ name: 'l', key: ['clientIP'], requests: 5, period: '1m' }] }),
      ],
      [],
      { store },
    );
    try {
      const res = await s.client.check(envoyRequest({ host: 'watch.example' }));
      expect(res.status.code).toBe(0);
      expect(headerOf(res.ok_response?.headers, 'x-palisade-bot-score')).toBeDefined();
      const monitor = await s.client.check(envoyRequest({ host: 'monitor.example' }));
      expect(monitor.status.code).toBe(0);
      expect(headerOf(monitor.ok_response?.headers, 'x-palisade-would-deny')).toBe('unavailable');
      // An enforced rate limit still follows its failurePolicy.
      expect(await s.verdict({ host: 'limited.example' })).toBe('unavailable');
    } finally {
      await s.close();
    }
  });
});

describe('6. bodies are inspected by content, and a body not inspected whole is never let through silently', () => {
  let s: Served;
  let uploads: Served | undefined;
  const SQLI = '{"note":"1 UNION SELECT password FROM users"}';
  beforeAll(async () => {
    s = await serverWith([policyDoc('strict', { hosts: ['strict.example'], inspection: { sqlInjection: true, xss: true } })]);
  });
  afterAll(async () => {
    await s?.close();
    await uploads?.close();
  });

  const post = (host: string, body: string | Uint8Array, headers: Record<string, string>) =>
    (host === 'uploads.example' && uploads ? uploads : s).client.check(envoyRequest({ host, method: 'POST', path: '/api', ...(typeof body === 'string' ? { body } : { rawBody: body }), headers: { 'content-length': String(Buffer.byteLength(body)), ...headers } }));
  const reason = (res: Awaited<ReturnType<typeof post>>) => (res.status.code === 0 ? 'allow' : headerOf(res.denied_response?.headers, 'x-palisade-reason'));

  it.each(['application/octet-stream', 'image/png', 'application/x-protobuf', ''])('JSON with SQL injection labelled %j is inspected', async (type) => {
    expect(reason(await post('strict.example', SQLI, type ? { 'content-type': type } : {}))).toBe('inspection');
  });

  it('a gzip-encoded body is inspected decoded; a form labelled as JSON is inspected as a form too', async () => {
    expect(reason(await post('strict.example', gzipSync(SQLI), { 'content-type': 'application/json', 'content-encoding': 'gzip' }))).toBe('inspection');
    expect(reason(await post('strict.example', "a=1&q=1' UNION SELECT password FROM users--", { 'content-type': 'image/png' }))).toBe('inspection');
  });

  it('a real PNG is binary by content and label: not scanned, allowed', async () => {
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from("' OR 1=1 -- <script>")]);
    expect(reason(await post('strict.example', png, { 'content-type': 'image/png' }))).toBe('allow');
  });

  it('past 64 KiB: denied by default, or allowed flagged with oversizedBody: Flag', async () => {
    const big = `{"pad":"${'a'.repeat(70 * 1024)}","note":"1 UNION SELECT password FROM users"}`;
    const denied = await post('strict.example', big, { 'content-type': 'application/json' });
    expect(reason(denied)).toBe('inspection');
    // Envoy cut the body (max_request_bytes with allow_partial_message): the rest was never seen.
    const cut = await post('strict.example', '{"note":"hello"}', { 'content-type': 'application/json', 'x-envoy-auth-partial-body': 'true', 'content-length': '900000' });
    expect(reason(cut)).toBe('inspection');
  });

  it('oversizedBody: Flag lets such a body through, flagged upstream and counted', async () => {
    uploads = await serverWith([policyDoc('uploads', { hosts: ['uploads.example'], inspection: { sqlInjection: true, oversizedBody: 'Flag' } })]);
    const big = `{"pad":"${'a'.repeat(70 * 1024)}","note":"1 UNION SELECT password FROM users"}`;
    const flagged = await post('uploads.example', big, { 'content-type': 'application/json' });
    expect(reason(flagged)).toBe('allow');
    expect(headerOf(flagged.ok_response?.headers, 'x-palisade-body-inspected')).toBe('partial');
    expect(await uploads.server.registry.getSingleMetricAsString('palisade_uninspected_bodies_total')).toMatch(/action="flag",policy="shop\/uploads"} 1|policy="shop\/uploads",action="flag"} 1/);
    // A client cannot forge the flag header upstream.
    const clean = await post('uploads.example', '{"a":1}', { 'content-type': 'application/json', 'x-palisade-body-inspected': 'full' });
    expect(clean.ok_response?.headers_to_remove).toContain('x-palisade-body-inspected');
  });
});

describe('7. the receiving workload, not the Host header, picks the policy when the binding is known', () => {
  const catalog = policyDoc('catalog', { hosts: ['catalog.example.com'] });

  it('workloadSelector binds by the destination labels, within the policy namespace', async () => {
    const s = await serverWith([policyDoc('billing', { hosts: ['billing.shop.svc.cluster.local'], workloadSelector: { matchLabels: { app: 'billing' } }, rules: [{ paths: ['/invoices'] }] }), catalog]);
    try {
      const billing = { destinationPrincipal: spiffe('shop', 'billing'), destinationLabels: { app: 'billing', version: 'v2' } };
      expect(await s.verdict({ host: 'catalog.example.com', path: '/admin', ...billing })).toBe('access');
      expect(await s.verdict({ host: 'catalog.example.com', path: '/invoices', ...billing })).toBe('allow');
      // Same labels in another namespace: not this policy's workload.
      expect(await s.verdict({ host: 'catalog.example.com', path: '/admin', destinationPrincipal: spiffe('other', 'billing'), destinationLabels: { app: 'billing' } })).toBe('allow');
    } finally {
      await s.close();
    }
  });

  it("with destinationPrincipals, a request reaching the orders workload with the catalog's Host is judged by the orders policy", async () => {
    const s = await serverWith([
      policyDoc('orders', { hosts: ['orders.shop.svc.cluster.local'], destinationPrincipals: [spiffe('shop', 'orders')], identity: { requireMTLS: true }, rules: [{ paths: ['/orders'] }] }),
      catalog,
    ]);
    try {
      expect(await s.verdict({ host: 'catalog.example.com', path: '/admin' })).toBe('identity');
      expect(await s.verdict({ host: 'catalog.example.com', path: '/admin', principal: spiffe('shop', 'frontend') })).toBe('access');
      expect(await s.verdict({ host: 'orders.shop.svc.cluster.local', path: '/orders', principal: spiffe('shop', 'frontend') })).toBe('allow');
      // The catalog workload itself is not bound: the Host decides there.
      expect(await s.verdict({ host: 'catalog.example.com', path: '/admin', destinationPrincipal: spiffe('shop', 'catalog') })).toBe('allow');
    } finally {
      await s.close();
    }
  });
});
