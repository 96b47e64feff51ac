/**
 * Every row of the verdict table (docs/contract.md), over real gRPC on loopback, with Envoy-shaped CheckRequests.
 */
import { describe, expect, it } from 'vitest';
import { authzClient, envoyRequest, headerOf, spiffe } from '../support/envoy.ts';
import { policyDoc, sha256, startTestServer, testIssuer, type TestIssuer } from '../support/policies.ts';
import { useAuthz } from '../support/authz-fixture.ts';
import { DECISION_FLUSH_MS } from '../../authz-server/src/telemetry/decision-log.ts';

const FRONTEND = spiffe('shop', 'frontend');
const API_KEY = 'mobile-key-0123456789';
const PARTNER_KEY = 'pk_live_7Hq2xVbN4mT9sLr3';

function spec(issuer: TestIssuer, extra: Record<string, unknown> = {}) {
  return {
    hosts: ['orders.shop.svc.cluster.local', 'api.example.com'],
    identity: {
      requireMTLS: true,
      allowedPrincipals: [FRONTEND, 'spiffe://cluster.local/ns/*/sa/checkout'],
      deniedPrincipals: ['spiffe://cluster.local/ns/shop/sa/checkout'],
    },
    authentication: {
      required: true,
      apiKeys: { keys: [{ consumer: 'mobile-app', sha256: sha256(API_KEY) }] },
      jwt: { issuer: issuer.issuer, audiences: ['orders'], jwks: issuer.jwks },
    },
    rules: [
      { methods: ['GET', 'HEAD'], paths: ['/orders', '/orders/*', '/search'] },
      { methods: ['POST'], paths: ['/login', '/orders'], consumers: ['mobile-app'] },
      { methods: ['DELETE'], paths: ['/orders/*'], claims: { role: 'admin' } },
    ],
    rateLimits: [{ name: 'login-per-ip', methods: ['POST'], paths: ['/login'], key: ['clientIP'], requests: 2, period: '1m' }],
    inspection: { sqlInjection: true, xss: true, pathTraversal: true },
    // Header-only challenges keep the other rows about their own stage; the challenge row has its own host.
    bot: { mode: 'Enforce', denyScore: 60, challengeScore: 40, challenge: { action: 'Header' } },
    ...extra,
  };
}

describe('verdict table over gRPC', () => {
  let issuer: TestIssuer;
  const fx = useAuthz(async () => {
    issuer = await testIssuer();
    return [
      policyDoc('orders', spec(issuer)),
      policyDoc('orders-monitor', { ...spec(issuer), hosts: ['monitor.example.com'], mode: 'Monitor' }),
      policyDoc('orders-challenge', { ...spec(issuer), hosts: ['challenge.example.com'], bot: { mode: 'Enforce', denyScore: 60, challengeScore: 40 } }),
      // API keys sent as "Authorization: Bearer <key>", alone and beside the JWT on the same header.
      policyDoc('bearer-keys', { hosts: ['bearer.example.com'], authentication: { required: true, apiKeys: { scheme: 'Bearer', keys: [{ consumer: 'partner', sha256: sha256(PARTNER_KEY) }] } } }),
      policyDoc('bearer-both', {
        hosts: ['both.example.com'],
        authentication: { required: true, apiKeys: { scheme: 'Bearer', keys: [{ consumer: 'partner', sha256: sha256(PARTNER_KEY) }] }, jwt: { issuer: issuer.issuer, audiences: ['orders'], jwks: issuer.jwks } },
      }),
      // A dead Redis port: a real RedisCounterStore that cannot connect.
      policyDoc('closed', { hosts: ['closed.example.com'], failurePolicy: 'FailClosed', rateLimits: [{ name: 'any', key: ['clientIP'], requests: 100, period: '1s' }] }),
      policyDoc('open', { hosts: ['open.example.com'], failurePolicy: 'FailOpen', rateLimits: [{ name: 'any', key: ['clientIP'], requests: 1, period: '1m' }] }),
    ];
  }, ['--decision-log', 'all']);

  /** A request that passes identity and authentication; tests vary one thing. */
  const ok = (shape: Parameters<typeof envoyRequest>[0] = {}) =>
    envoyRequest({ principal: FRONTEND, ...shape, headers: { 'x-api-key': API_KEY, ...shape.headers } });

  it('allows a valid request and sets upstream headers, dropping the API key', async () => {
    const res = await fx.client.check(ok({ path: '/orders/42' }));
    expect(res.status.code).toBe(0);
    expect(res.http_response).toBe('ok_response');
    const headers = res.ok_response?.headers;
    expect(headerOf(headers, 'x-palisade-consumer')).toBe('mobile-app');
    expect(headerOf(headers, 'x-palisade-principal')).toBe(FRONTEND);
    expect(headerOf(headers, 'x-palisade-bot-verdict')).toBe('allow');
    expect(Number(headerOf(headers, 'x-palisade-bot-score'))).toBeLessThan(40);
    expect(res.ok_response?.headers_to_remove).toContain('x-api-key');
    expect(res.ok_response?.headers_to_remove).toContain('x-palisade-would-deny');
    for (const h of headers ?? []) expect(h.append?.value).toBe(false);
  });

  async function expectDenied(req: ReturnType<typeof envoyRequest>, grpcCode: number, http: number, reason: string) {
    const res = await fx.client.check(req);
    expect(res.status.code).toBe(grpcCode);
    expect(res.http_response).toBe('denied_response');
    expect(res.denied_response?.status.code).toBe(http);
    expect(headerOf(res.denied_response?.headers, 'x-palisade-reason')).toBe(reason);
    const requestId = req.attributes?.request?.http?.headers?.['x-request-id'];
    expect(JSON.parse(res.denied_response?.body ?? '')).toEqual({ error: reason, requestId });
    return res;
  }

  it('no policy for the host -> 403 no-policy', async () => {
    await expectDenied(ok({ host: 'unknown.example.com' }), 7, 403, 'no-policy');
  });

  it('host matching strips the port and ignores case', async () => {
    const res = await fx.client.check(ok({ host: 'Orders.Shop.svc.cluster.local:8080', path: '/orders' }));
    expect(res.status.code).toBe(0);
  });

  it('mTLS missing -> 403 identity', async () => {
    const req = envoyRequest({ headers: { 'x-api-key': API_KEY } });
    await expectDenied(req, 7, 403, 'identity');
  });

  it('principal not allowed, or denied (deny wins over allow) -> 403 identity', async () => {
    await expectDenied(ok({ principal: spiffe('shop', 'intruder') }), 7, 403, 'identity');
    // checkout in ns shop matches the allow glob AND the deny list: deny wins.
    await expectDenied(ok({ principal: spiffe('shop', 'checkout') }), 7, 403, 'identity');
    expect((await fx.client.check(ok({ principal: spiffe('billing', 'checkout') }))).status.code).toBe(0);
  });

  it('credential missing -> 401 authentication with www-authenticate', async () => {
    const res = await expectDenied(envoyRequest({ principal: FRONTEND }), 16, 401, 'authentication');
    const challenge = headerOf(res.denied_response?.headers, 'www-authenticate') ?? '';
    expect(challenge).toContain('Bearer realm=');
    expect(challenge).toContain('ApiKey header="x-api-key"');
  });

  it('invalid API key -> 401', async () => {
    await expectDenied(envoyRequest({ principal: FRONTEND, headers: { 'x-api-key': 'wrong' } }), 16, 401, 'authentication');
  });

  it('Basic credentials are rejected even with a valid API key', async () => {
    const basic = `Basic ${Buffer.from('user:pass').toString('base64')}`;
    await expectDenied(ok({ headers: { authorization: basic } }), 16, 401, 'authentication');
  });

  it('JWT: valid token allows with sub as consumer; expired, wrong audience, wrong issuer, tampered -> 401', async () => {
    const good = await issuer.sign({ sub: 'user-7', role: 'admin' });
    const res = await fx.client.check(envoyRequest({ principal: FRONTEND, method: 'DELETE', path: '/orders/9', headers: { authorization: `Bearer ${good}` } }));
    expect(res.status.code).toBe(0);
    expect(headerOf(res.ok_response?.headers, 'x-palisade-consumer')).toBe('user-7');

    const expired = await issuer.sign({ sub: 'u' }, { expiresIn: Math.floor(Date.now() / 1000) - 120 });
    const wrongAud = await issuer.sign({ sub: 'u' }, { audience: 'billing' });
    const wrongIss = await issuer.sign({ sub: 'u' }, { issuer: 'https://evil.test' });
    const tampered = `${good.slice(0, -4)}AAAA`;
    for (const token of [expired, wrongAud, wrongIss, tampered, 'not-a-jwt']) {
      await expectDenied(envoyRequest({ principal: FRONTEND, headers: { authorization: `Bearer ${token}` } }), 16, 401, 'authentication');
    }
  });

  describe('API keys after a scheme (apiKeys.scheme: Bearer)', () => {
    const bearer = (host: string, authorization: string) => envoyRequest({ host, headers: { authorization } });

    it('reads the key after the scheme, in any case and spacing, and removes the header upstream', async () => {
      for (const value of [`Bearer ${PARTNER_KEY}`, `bearer ${PARTNER_KEY}`, `BEARER   ${PARTNER_KEY}  `, `Bearer\t${PARTNER_KEY}`]) {
        const res = await fx.client.check(bearer('bearer.example.com', value));
        expect(res.status.code, value).toBe(0);
        expect(headerOf(res.ok_response?.headers, 'x-palisade-consumer')).toBe('partner');
        expect(res.ok_response?.headers_to_remove).toContain('authorization');
      }
    });

    it('a wrong or empty key is a 401 with a Bearer challenge; another scheme or header is no credential; Basic is refused', async () => {
      for (const value of ['Bearer wrong-key', 'Bearer ', 'Bearer', `Bearer ${PARTNER_KEY}x`, `Bearer x${PARTNER_KEY}`]) {
        const res = await expectDenied(bearer('bearer.example.com', value), 16, 401, 'authentication');
        expect(headerOf(res.denied_response?.headers, 'www-authenticate')).toBe('Bearer realm="bearer.example.com"');
      }
      // the whole value is not the key, nor is the key in the default header
      await expectDenied(bearer('bearer.example.com', PARTNER_KEY), 16, 401, 'authentication');
      await expectDenied(bearer('bearer.example.com', `Token ${PARTNER_KEY}`), 16, 401, 'authentication');
      // the scheme is a whole word: the key glued to it is no credential
      await expectDenied(bearer('bearer.example.com', `Bearer${PARTNER_KEY}`), 16, 401, 'authentication');
      await expectDenied(envoyRequest({ host: 'bearer.example.com', headers: { 'x-api-key': PARTNER_KEY } }), 16, 401, 'authentication');
      await expectDenied(bearer('bearer.example.com', `Basic ${Buffer.from(`partner:${PARTNER_KEY}`).toString('base64')}`), 16, 401, 'authentication');
    });

    it('beside a JWT on the same header: a known key is the key, a JWT is verified as one, anything else is refused', async () => {
      const byKey = await fx.client.check(bearer('both.example.com', `Bearer ${PARTNER_KEY}`));
      expect(headerOf(byKey.ok_response?.headers, 'x-palisade-consumer')).toBe('partner');
      expect(byKey.ok_response?.headers_to_remove).toContain('authorization');

      const token = await issuer.sign({ sub: 'user-3' });
      const byJwt = await fx.client.check(bearer('both.example.com', `Bearer ${token}`));
      expect(headerOf(byJwt.ok_response?.headers, 'x-palisade-consumer')).toBe('user-3');
      // the JWT goes on to the upstream, as on a policy without API keys
      expect(byJwt.ok_response?.headers_to_remove ?? []).not.toContain('authorization');

      const tampered = await expectDenied(bearer('both.example.com', `Bearer ${token.slice(0, -4)}AAAA`), 16, 401, 'authentication');
      expect(headerOf(tampered.denied_response?.headers, 'www-authenticate')).toBe('Bearer realm="both.example.com", error="invalid_token"');
      const wrongKey = await expectDenied(bearer('both.example.com', 'Bearer wrong-key'), 16, 401, 'authentication');
      expect(headerOf(wrongKey.denied_response?.headers, 'www-authenticate')).toBe('Bearer realm="both.example.com"');
    });
  });

  it('no rule matches -> 403 access (method, path, consumer and claim conditions)', async () => {
    await expectDenied(ok({ method: 'PUT', path: '/orders/1' }), 7, 403, 'access');
    await expectDenied(ok({ path: '/admin' }), 7, 403, 'access');
    const user = await issuer.sign({ sub: 'user-8', role: 'viewer' });
    await expectDenied(envoyRequest({ principal: FRONTEND, method: 'DELETE', path: '/orders/9', headers: { authorization: `Bearer ${user}` } }), 7, 403, 'access');
    await expectDenied(envoyRequest({ principal: FRONTEND, method: 'POST', path: '/orders', headers: { authorization: `Bearer ${user}` } }), 7, 403, 'access');
  });

  it('malicious input -> 403 inspection (query, header, body)', async () => {
    await expectDenied(ok({ path: "/search?q=1%27%20OR%201%3D1--" }), 7, 403, 'inspection');
    await expectDenied(ok({ path: '/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E' }), 7, 403, 'inspection');
    await expectDenied(ok({ path: '/orders/..%2F..%2Fetc%2Fpasswd' }), 7, 403, 'inspection');
    await expectDenied(ok({ method: 'POST', path: '/orders', headers: { 'content-type': 'application/json' }, body: '{"note":"1 UNION SELECT password FROM users"}' }), 7, 403, 'inspection');
  });

  it('rate limited -> 429 with retry-after and ratelimit headers; allowed responses carry ratelimit headers', async () => {
    const login = () => ok({ method: 'POST', path: '/login', sourceIp: '198.51.100.7' });
    const first = await fx.client.check(login());
    expect(first.status.code).toBe(0);
    expect(headerOf(first.ok_response?.response_headers_to_add, 'ratelimit-limit')).toBe('2');
    expect(headerOf(first.ok_response?.response_headers_to_add, 'ratelimit-remaining')).toBe('1');
    expect((await fx.client.check(login())).status.code).toBe(0);
    const res = await expectDenied(login(), 8, 429, 'rate-limit');
    const h = res.denied_response?.headers;
    expect(Number(headerOf(h, 'retry-after'))).toBeGreaterThanOrEqual(1);
    expect(headerOf(h, 'ratelimit-limit')).toBe('2');
    expect(headerOf(h, 'ratelimit-remaining')).toBe('0');
    expect(Number(headerOf(h, 'ratelimit-reset'))).toBeGreaterThan(0);
    // Another client IP has its own bucket.
    expect((await fx.client.check(ok({ method: 'POST', path: '/login', sourceIp: '198.51.100.8' }))).status.code).toBe(0);
  });

  it('the client IP is the TCP peer: forwarded-address headers from an untrusted peer do not open new buckets', async () => {
    const login = (n: number) => ok({ method: 'POST', path: '/login', sourceIp: '10.0.0.1', headers: { 'x-envoy-external-address': `203.0.113.${n}`, 'x-forwarded-for': `198.51.100.${n}` } });
    await fx.client.check(login(1));
    await fx.client.check(login(2));
    await expectDenied(login(3), 8, 429, 'rate-limit');
  });

  it('bot deny -> 403 bot; with challenge action Header a challenge-level score is allowed with verdict challenge', async () => {
    // With the app's key an HTTP library's user agent tells nothing (a key is issued to a program); with a JWT that
    // names no subject (no consumer) it does: 45 + 15 for no accept header. No user agent alone reaches the challenge.
    const anonymous = await issuer.sign({ role: 'reader' });
    const bot = envoyRequest({ principal: FRONTEND, headers: { authorization: `Bearer ${anonymous}`, 'user-agent': 'python-requests/2.32', accept: '' } });
    await expectDenied(bot, 7, 403, 'bot');
    const res = await fx.client.check(ok({ headers: { 'user-agent': '' } }));
    expect(res.status.code).toBe(0);
    expect(headerOf(res.ok_response?.headers, 'x-palisade-bot-verdict')).toBe('challenge');
  });

  it('challenge -> 401 challenge with a PalisadePoW www-authenticate and the puzzle in the JSON body', async () => {
    const req = ok({ host: 'challenge.example.com', sourceIp: '198.51.100.20', headers: { 'user-agent': '' } });
    const res = await fx.client.check(req);
    expect(res.status.code).toBe(16);
    expect(res.denied_response?.status.code).toBe(401);
    expect(headerOf(res.denied_response?.headers, 'x-palisade-reason')).toBe('challenge');
    expect(headerOf(res.denied_response?.headers, 'www-authenticate')).toMatch(/^PalisadePoW realm="palisade", algorithm="sha256-leading-zero-bits", difficulty="\d+", seed="[0-9a-f]{64}", token="v1\./);
    const body = JSON.parse(res.denied_response?.body ?? '');
    expect(body).toMatchObject({ error: 'challenge', requestId: req.attributes?.request?.http?.headers?.['x-request-id'], challenge: { algorithm: 'sha256-leading-zero-bits', solutionHeader: 'x-palisade-solution', passHeader: 'x-palisade-pass' } });
    for (const h of res.denied_response?.headers ?? []) expect(h.append.value).toBe(false);
  });

  it('store down with FailClosed -> 503 unavailable; FailOpen -> allowed by the local limiter', async () => {
    // This server runs the in-memory store; the dead-Redis behaviour is covered in test/redis. Here the policy
    // path is exercised through a server whose store is a Redis that is not there.
    const { RedisCounterStore } = await import('../../authz-server/src/store/redis-store.ts');
    const { Registry } = await import('prom-client');
    const store = new RedisCounterStore({ url: 'redis://127.0.0.1:1', timeoutMs: 50, logger: fx.log.logger, registry: new Registry() });
    const down = await startTestServer(['--policies', fx.policies.dir], fx.log.logger, { store });
    const c = authzClient(down.grpcPort);
    try {
      const started = Date.now();
      const res = await c.check(envoyRequest({ host: 'closed.example.com', requestId: 'r-1' }));
      expect(res.status.code).toBe(14);
      expect(res.denied_response?.status.code).toBe(503);
      expect(headerOf(res.denied_response?.headers, 'x-palisade-reason')).toBe('unavailable');
      expect(JSON.parse(res.denied_response?.body ?? '{}')).toEqual({ error: 'unavailable', requestId: 'r-1' });
      expect(Date.now() - started).toBeLessThan(1000);
      const open = () => c.check(envoyRequest({ host: 'open.example.com', sourceIp: '192.0.2.1' }));
      expect((await open()).status.code).toBe(0);
      // The local fallback limiter still enforces 1/minute: an outage is not a free-for-all.
      expect((await open()).status.code).toBe(8);
    } finally {
      c.close();
      await down.stop();
    }
  });

  it('Monitor mode never denies and sends the would-be reason upstream', async () => {
    const cases: Array<[ReturnType<typeof envoyRequest>, string]> = [
      [envoyRequest({ host: 'monitor.example.com', headers: { 'x-api-key': API_KEY } }), 'identity'],
      [envoyRequest({ host: 'monitor.example.com', principal: FRONTEND }), 'authentication'],
      [envoyRequest({ host: 'monitor.example.com', principal: FRONTEND, path: '/admin', headers: { 'x-api-key': API_KEY } }), 'access'],
      [envoyRequest({ host: 'monitor.example.com', principal: FRONTEND, path: '/search?q=%27%20or%201=1--', headers: { 'x-api-key': API_KEY } }), 'inspection'],
    ];
    for (const [req, reason] of cases) {
      const res = await fx.client.check(req);
      expect(res.status.code).toBe(0);
      expect(headerOf(res.ok_response?.headers, 'x-palisade-would-deny')).toBe(reason);
    }
  });

  it('header_map (encode_raw_headers) is read like the headers map', async () => {
    const res = await fx.client.check(ok({ path: '/orders/1', rawHeaders: true }));
    expect(res.status.code).toBe(0);
    expect(headerOf(res.ok_response?.headers, 'x-palisade-consumer')).toBe('mobile-app');
  });

  it('a forged x-palisade-consumer from the client is removed upstream', async () => {
    const user = await issuer.sign({ role: 'admin' }); // no sub: anonymous consumer
    // From an address of its own: the earlier rows' refusals are that address's client errors, which bot scoring weighs.
    const res = await fx.client.check(envoyRequest({ principal: FRONTEND, sourceIp: '10.9.8.7', method: 'DELETE', path: '/orders/1', headers: { authorization: `Bearer ${user}`, 'x-palisade-consumer': 'admin' } }));
    expect(res.status.code).toBe(0);
    expect(headerOf(res.ok_response?.headers, 'x-palisade-consumer')).toBeUndefined();
    expect(res.ok_response?.headers_to_remove).toContain('x-palisade-consumer');
  });

  it('logs one JSON decision line per Check without credentials', async () => {
    // Allow lines are held back for up to DECISION_FLUSH_MS: let the earlier tests' lines out first.
    const settle = () => new Promise((r) => setTimeout(r, DECISION_FLUSH_MS + 50));
    await settle();
    const before = fx.log.lines.filter((l) => l['msg'] === 'decision').length;
    await fx.client.check(ok({ path: '/orders/77?token=supersecret', requestId: 'log-check-1' }));
    await settle();
    const lines = fx.log.lines.filter((l) => l['msg'] === 'decision');
    expect(lines.length).toBe(before + 1);
    const line = lines.find((l) => l['requestId'] === 'log-check-1');
    expect(line).toMatchObject({ host: 'orders.shop.svc.cluster.local', method: 'GET', path: '/orders/77', verdict: 'allow', policy: 'shop/orders', consumer: 'mobile-app', principal: FRONTEND });
    expect(typeof line?.['latencyMs']).toBe('number');
    expect(fx.log.text()).not.toContain(API_KEY);
    expect(fx.log.text()).not.toContain('supersecret');
  });
});
