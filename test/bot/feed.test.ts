/**
 * The error detectors' inputs over the real gRPC port: Envoy's access log stream (404s, 401/403 from the
 * upstream, counted for the client and token of the Check they match) and the server's own authentication denials.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessLogEntry, sendAccessLogs } from '../support/access-log.ts';
import { authzClient, envoyRequest, headerOf, type AuthzClient } from '../support/envoy.ts';
import { captureLogger, policyDoc, sha256, startTestServer, writePolicyDir } from '../support/policies.ts';
import type { AuthzServer } from '../../authz-server/src/app/server.ts';
import { PrefixCache, routeParts } from '../../authz-server/src/bot/windows.ts';

const KEY = 'feed-test-key-0001';

describe('bot feed: access log and own denials feed the error detectors', () => {
  let server: AuthzServer;
  let client: AuthzClient;
  let dir: Awaited<ReturnType<typeof writePolicyDir>>;
  const log = captureLogger();

  beforeAll(async () => {
    dir = await writePolicyDir([
      policyDoc('api', {
        hosts: ['api.example.com'],
        authentication: { required: false, apiKeys: { keys: [{ consumer: 'partner', sha256: sha256(KEY) }] } },
        bot: { mode: 'Monitor', denyScore: 80, challengeScore: 50 },
      }),
      policyDoc('private', { hosts: ['private.example.com'], authentication: { required: true, apiKeys: { keys: [{ consumer: 'partner', sha256: sha256(KEY) }] } }, bot: { mode: 'Monitor' } }),
      policyDoc('off', { hosts: ['off.example.com'] }),
    ]);
    server = await startTestServer(['--policies', dir.dir, '--decision-log', 'off'], log.logger, { deferredFlushMs: 0 });
    client = authzClient(server.grpcPort);
    // Envoy's access log already streams: Checks are remembered for their entries only once it is heard.
    await sendAccessLogs(server.grpcPort, []);
  });
  afterAll(async () => {
    client?.close();
    await server?.stop();
    await dir?.cleanup();
  });

  const signals = async (shape: Parameters<typeof envoyRequest>[0]) => {
    const res = await client.check(envoyRequest(shape));
    expect(res.status.code).toBe(0);
    return headerOf(res.ok_response?.headers, 'x-palisade-bot-signals') ?? '';
  };

  it('404s from the access log, tied to the Check by x-request-id, count per client IP', async () => {
    const ip = '198.51.100.10';
    const entries = [];
    for (let i = 0; i < 12; i++) {
      const requestId = `r-404-${i}`;
      await client.check(envoyRequest({ host: 'api.example.com', path: `/products/${i}`, sourceIp: ip, requestId }));
      entries.push(accessLogEntry({ host: 'api.example.com', path: `/products/${i}`, code: i % 4 === 0 ? 200 : 404, requestId, sourceIp: '10.0.0.99' }));
    }
    expect(await signals({ host: 'api.example.com', sourceIp: ip })).not.toContain('errors-address');
    await sendAccessLogs(server.grpcPort, entries);
    await server.flushDeferred();
    const s = await signals({ host: 'api.example.com', sourceIp: ip });
    expect(s).toMatch(/errors-address\+\d+/);
    expect(s).not.toContain('errors-token');
  });

  it('a process that has not heard an access log remembers no Check: entries of the first flush match nothing, later ones do', async () => {
    const quiet = captureLogger();
    const fresh = await startTestServer(['--policies', dir.dir, '--decision-log', 'off'], quiet.logger, { deferredFlushMs: 0 });
    const c = authzClient(fresh.grpcPort);
    try {
      const ignored = async () => Number((await fresh.registry.getSingleMetricAsString('palisade_access_log_entries_ignored_total')).match(/reason="unmatched"} (\d+)/)?.[1] ?? 0);
      const round = async (tag: string) => {
        const entries = [];
        for (let i = 0; i < 5; i++) {
          const requestId = `r-${tag}-${i}`;
          await c.check(envoyRequest({ host: 'api.example.com', path: `/p/${i}`, sourceIp: '198.51.100.20', requestId }));
          entries.push(accessLogEntry({ host: 'api.example.com', path: `/p/${i}`, code: 404, requestId, sourceIp: '198.51.100.20' }));
        }
        return entries;
      };
      await sendAccessLogs(fresh.grpcPort, await round('before'));
      expect(await ignored()).toBe(5);
      expect(quiet.lines.some((l) => String(l['msg']).startsWith('access log heard'))).toBe(true);
      await sendAccessLogs(fresh.grpcPort, await round('after'));
      expect(await ignored()).toBe(5);
    } finally {
      c.close();
      await fresh.stop();
    }
  });

  it("a correlated entry counts for the Check's client and token, whatever the entry claims, and only once", async () => {
    const ip = '198.51.100.11';
    const entries = [];
    for (let i = 0; i < 8; i++) {
      const requestId = `r-403-${i}`;
      await client.check(envoyRequest({ host: 'api.example.com', path: `/orders/${i}`, sourceIp: ip, requestId, headers: { 'x-api-key': KEY } }));
      // The entry names another client and no token: the Check's word wins.
      entries.push(accessLogEntry({ host: 'elsewhere.example.com', path: `/orders/${i}`, code: 403, requestId, sourceIp: '203.0.113.99' }));
    }
    await sendAccessLogs(server.grpcPort, [...entries, ...entries]);
    await server.flushDeferred();
    // The address's errors (a request without the token), and the token's from an address with none of its own
    // (one signal per family counts, so each is looked at alone).
    expect(await signals({ host: 'api.example.com', sourceIp: ip })).toContain('errors-address');
    const fromElsewhere = await signals({ host: 'api.example.com', sourceIp: '198.51.100.111', headers: { 'x-api-key': KEY } });
    expect(fromElsewhere).toContain('errors-token');
    expect(fromElsewhere).not.toContain('errors-address');
    expect(await signals({ host: 'api.example.com', sourceIp: '203.0.113.99' })).not.toContain('errors-');
    // The replayed half matched nothing: counted as ignored.
    const metrics = await server.registry.getSingleMetricAsString('palisade_access_log_entries_ignored_total');
    expect(metrics).toMatch(/reason="unmatched"} ([1-9]\d*)/);
  });

  it('ext_authz denials (UAEX) in the access log are not counted twice; other hosts and bot Off are ignored', async () => {
    const ip = '198.51.100.12';
    const entries = [
      ...Array.from({ length: 10 }, () => accessLogEntry({ host: 'api.example.com', path: '/x', code: 403, sourceIp: ip, extAuthzDenied: true })),
      ...Array.from({ length: 10 }, () => accessLogEntry({ host: 'off.example.com', path: '/x', code: 404, sourceIp: ip })),
      ...Array.from({ length: 10 }, () => accessLogEntry({ host: 'nowhere.example.com', path: '/x', code: 404, sourceIp: ip })),
    ];
    await sendAccessLogs(server.grpcPort, entries);
    await server.flushDeferred();
    expect(await signals({ host: 'api.example.com', sourceIp: ip })).not.toContain('errors-');
  });

  it('route shapes learn a slug position from paths the upstream answered, never from made-up words it answered with 404', async () => {
    const policyId = [...server.holder.current()!.policies.keys()].find((id) => id.endsWith('api'))!;
    const browser = { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0', accept: 'text/html,application/xhtml+xml', 'accept-language': 'en-GB,en;q=0.5', 'accept-encoding': 'gzip, deflate, br' };
    const round = async (parent: string, code: number) => {
      const entries = [];
      for (let i = 0; i < 40; i++) {
        const requestId = `r-shape-${parent}-${i}`;
        const path = `/${parent}/show-${String.fromCharCode(97 + (i % 26))}${String.fromCharCode(97 + Math.floor(i / 26))}`;
        const res = await client.check(envoyRequest({ host: 'api.example.com', path, sourceIp: `${code === 404 ? 45 : 46}.${i + 1}.7.9`, requestId, headers: browser }));
        // People, one on each network: no crowd of this test's own making.
        expect(headerOf(res.ok_response?.headers, 'x-palisade-bot-score')).toBe('0');
        entries.push(accessLogEntry({ host: 'api.example.com', path, code, requestId, sourceIp: '10.0.0.99' }));
      }
      await sendAccessLogs(server.grpcPort, entries);
    };
    await round('made-up', 404);
    expect(server.botRoutes.wideParents(policyId)).toEqual([]);
    await round('shows', 200);
    expect(server.botRoutes.wideParents(policyId)).toEqual(['api.example.com\u0000/shows']);
    expect(server.botRoutes.template(policyId, 'api.example.com', '/shows/never-seen')).toBe('/shows/{slug}');
    expect(server.botRoutes.template(policyId, 'api.example.com', '/made-up/never-seen')).toBe('/made-up/never-seen');
  });

  it("a route whose file claims or navigations the upstream answered with data (the stream's content types) takes no more such claims", async () => {
    const policyId = [...server.holder.current()!.policies.keys()].find((id) => id.endsWith('api'))!;
    const script = { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0', accept: '*/*', 'sec-fetch-dest': 'script', 'sec-fetch-mode': 'no-cors', 'sec-fetch-site': 'same-origin', referer: 'https://api.example.com/' };
    const code = (path: string) => new PrefixCache(policyId).code(routeParts('api.example.com', 'GET', server.botRoutes.template(policyId, 'api.example.com', path)));
    const honoured = (path: string) => server.botFileClaims.honoured(policyId, code(path), Date.now());
    const answer = async (path: string, answers: [number, string][]) => {
      const entries = [];
      for (const [i, [status, type]] of answers.entries()) {
        const requestId = `r-file-${path}-${i}-${status}`;
        await client.check(envoyRequest({ host: 'api.example.com', path, sourceIp: '198.51.100.60', requestId, headers: script }));
        entries.push(accessLogEntry({ host: 'api.example.com', path, code: status, requestId, sourceIp: '10.0.0.99', responseHeaders: { 'content-type': type } }));
      }
      await sendAccessLogs(server.grpcPort, entries);
    };
    // Refused and missing answers teach nothing; a script answered as one keeps its route's claims.
    await answer('/api/search.js?q=a', [[404, 'application/json'], [403, 'application/json']]);
    await answer('/static/app.js', [[200, 'text/javascript'], [200, 'text/javascript']]);
    expect(honoured('/api/search.js')).toBe(true);
    await answer('/api/search.js?q=b', [[200, 'application/json'], [200, 'application/json; charset=utf-8']]);
    await expect.poll(() => honoured('/api/search.js')).toBe(false);
    expect(honoured('/static/app.js')).toBe(true);
    // Navigations likewise, by pages against data.
    const navigate = { ...script, accept: 'text/html,application/xhtml+xml', 'sec-fetch-dest': 'document', 'sec-fetch-mode': 'navigate' };
    const entries = [];
    for (let i = 0; i < 2; i++) {
      const requestId = `r-nav-${i}`;
      await client.check(envoyRequest({ host: 'api.example.com', path: '/api/orders', sourceIp: '198.51.100.61', requestId, headers: navigate }));
      entries.push(accessLogEntry({ host: 'api.example.com', path: '/api/orders', code: 200, requestId, sourceIp: '10.0.0.99', responseHeaders: { 'content-type': 'application/json' } }));
    }
    await sendAccessLogs(server.grpcPort, entries);
    await expect.poll(() => server.botNavigationClaims.honoured(policyId, code('/api/orders'), Date.now())).toBe(false);
  });

  it("the server's own authentication denials count as errors of the client", async () => {
    const ip = '198.51.100.13';
    for (let i = 0; i < 6; i++) {
      const res = await client.check(envoyRequest({ host: 'private.example.com', sourceIp: ip, headers: { 'x-api-key': `guess-${i}` } }));
      expect(res.status.code).toBe(16);
    }
    await server.flushDeferred();
    const res = await client.check(envoyRequest({ host: 'private.example.com', sourceIp: ip, headers: { 'x-api-key': KEY } }));
    expect(res.status.code).toBe(0);
    expect(headerOf(res.ok_response?.headers, 'x-palisade-bot-signals')).toMatch(/errors-address\+\d+/);
  });

  it("a scanner's target answered 404 makes a probe of its address's next requests, and of the next request for it from anywhere, however it is spelled", async () => {
    const scanner = '198.51.100.14';
    await client.check(envoyRequest({ host: 'api.example.com', path: '/.git/config', sourceIp: scanner, requestId: 'r-probe-1' }));
    expect(await signals({ host: 'api.example.com', path: '/products/1', sourceIp: scanner })).not.toContain('probes');
    // The entry names another client and path: only the Check it is tied to counts.
    await sendAccessLogs(server.grpcPort, [accessLogEntry({ host: 'api.example.com', path: '/robots.txt', code: 404, requestId: 'r-probe-1', sourceIp: '10.0.0.99' })]);
    await server.flushDeferred();
    expect(await signals({ host: 'api.example.com', path: '/products/1', sourceIp: scanner })).toMatch(/probes\+55/);
    expect(await signals({ host: 'api.example.com', path: '/products/1', sourceIp: '198.51.100.15' })).not.toContain('probes');
    // Escaped, with a path parameter, an empty segment: the file the upstream would serve.
    expect(await signals({ host: 'api.example.com', path: '//%2Egit;v=1/config', sourceIp: '198.51.100.16' })).toMatch(/probes\+55/);
  });
});
