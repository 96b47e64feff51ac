/**
 * Palisade's path semantics checked against the real upstreams: every evasive path goes, byte for byte, to nginx,
 * Tomcat, Go net/http and Express, and to Palisade over gRPC (an Envoy-shaped Check). Whatever route an upstream
 * serves, Palisade's verdict must hold for it: a path that reaches the protected /admin route is never allowed,
 * and a POST that reaches /login is counted by the limit on /login. Each upstream is checked with every
 * pathMatching setting the README recommends for it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthzServer } from '../../authz-server/src/app/server.ts';
import { authzClient, envoyRequest, headerOf, type AuthzClient } from '../support/envoy.ts';
import { captureLogger, policyDoc, startTestServer, writePolicyDir } from '../support/policies.ts';
import { ROUTES, UPSTREAMS, reach, startUpstream, type Reached, type Upstream, type UpstreamKind } from './servers.ts';

/** pathMatching profiles, each on its own host. */
const PROFILES = {
  default: {},
  unescape: { escapedSlashes: 'Unescape' },
  keep: { escapedSlashes: 'Keep' },
  'case-insensitive': { caseSensitive: false },
  'case-insensitive-keep': { caseSensitive: false, escapedSlashes: 'Keep' },
} as const;
type Profile = keyof typeof PROFILES;

/** The settings the README recommends per upstream. */
const RECOMMENDED: Record<UpstreamKind, Profile[]> = {
  nginx: ['default', 'unescape'],
  tomcat: ['default', 'unescape', 'keep'],
  go: ['default', 'keep'],
  express: ['case-insensitive', 'case-insensitive-keep'],
};

const GET_PATHS = [
  '/admin', '/admin/', '/ADMIN', '/Admin/x', '/public/x', '/docs/a/b', '/%61dmin', '//admin', '/admin;x', '/admin;/x',
  '/public/../admin', '/public/./../admin', '/public/%2e%2e/admin', '/public/%2E%2E/admin', '/public/.%2e/admin',
  '/public/..%2Fadmin', '/public/..%2fadmin', '/public/%2e%2e%2fadmin', '/public/..%5Cadmin', '/public\\..\\admin',
  '/docs/..;/admin', '/docs/..;x=1/admin', '/docs/x/../../admin', '/public;x/../admin', '/public//..//admin',
  '/admin/../public/x', '/admin/..%2Fpublic/x', '/admin%2F..%2Fpublic%2Fx', '/admin%2Fx', '/public/%252e%252e/admin',
  '/public/x%00/../../admin', '/public/%zz/../../admin',
];
const POST_PATHS = ['/login', '/login;jsessionid=x', '/login;', '/LOGIN', '/Login', '/%6cogin', '//login', '/login/', '/public/../login', '/x/..;/login', '/login%2F', '/login%3B'];

const rules = [{ methods: ['GET'], paths: ['/public/*'] }, { paths: ['/docs/**'] }, { methods: ['POST'], paths: ['/login'] }];
const rateLimits = [{ name: 'login', methods: ['POST'], paths: ['/login'], key: ['clientIP'], requests: 1_000_000, period: '1m' }];

describe('evasive paths: what the real upstreams route, and Palisade’s verdict', () => {
  const upstreams = new Map<UpstreamKind, Upstream>();
  let server: AuthzServer;
  let client: AuthzClient;
  let policies: Awaited<ReturnType<typeof writePolicyDir>>;

  beforeAll(async () => {
    policies = await writePolicyDir(Object.entries(PROFILES).map(([name, pathMatching]) => policyDoc(name, { hosts: [`${name}.upstream.test`], rules, rateLimits, pathMatching })));
    server = await startTestServer(['--policies', policies.dir, '--decision-log', 'off'], captureLogger('warn').logger);
    client = authzClient(server.grpcPort);
    for (const kind of UPSTREAMS) upstreams.set(kind, await startUpstream(kind));
  }, 300_000);

  afterAll(async () => {
    client?.close();
    await server?.stop();
    await policies?.cleanup();
    for (const u of upstreams.values()) await u.stop();
  });

  const route = (kind: UpstreamKind, method: string, path: string) => reach((upstreams.get(kind) as Upstream).port, method, path);
  const show = (r: Reached) => ('route' in r ? r.route : 'redirect' in r ? `redirect ${r.redirect}` : `refused ${r.refused}`);

  async function palisade(profile: Profile, method: string, path: string) {
    const res = await client.check(envoyRequest({ host: `${profile}.upstream.test`, method, path, sourceIp: '192.0.2.1' }));
    if (res.status.code !== 0) return { verdict: headerOf(res.denied_response?.headers, 'x-palisade-reason') ?? 'deny', limited: true };
    return { verdict: 'allow', limited: headerOf(res.ok_response?.response_headers_to_add, 'ratelimit-limit') !== undefined };
  }

  it('the evasions are real: each upstream routes these paths where a naive reading would not', async () => {
    expect(await route('nginx', 'GET', '/public/..%2Fadmin')).toEqual({ route: 'admin' });
    expect(await route('nginx', 'GET', '/public/%2e%2e%2fadmin')).toEqual({ route: 'admin' });
    expect(await route('tomcat', 'GET', '/docs/..;/admin')).toEqual({ route: 'admin' });
    expect(await route('tomcat', 'POST', '/login;jsessionid=x')).toEqual({ route: 'login' });
    expect(await route('tomcat', 'GET', '/public/..%2Fadmin')).toEqual({ refused: 400 });
    expect(await route('go', 'GET', '/public/%2e%2e/admin')).toEqual({ route: 'public' });
    expect(await route('go', 'GET', '/public/../admin')).toMatchObject({ redirect: '/admin' });
    expect(await route('express', 'GET', '/admin/../public/x')).toEqual({ route: 'admin' });
    expect(await route('express', 'GET', '/ADMIN')).toEqual({ route: 'admin' });
    expect(await route('nginx', 'GET', '/admin/../public/x')).toEqual({ route: 'public' });
  });

  it("the README's table (Security model) is what the upstreams do and what Palisade decides", async () => {
    const r = (route: (typeof ROUTES)[number]): Reached => ({ route });
    const table: Array<[string, Record<UpstreamKind, Reached>, string]> = [
      ['/public/..%2Fadmin', { nginx: r('admin'), tomcat: { refused: 400 }, go: r('public'), express: r('public') }, 'inspection'],
      ['/public/%2e%2e/admin', { nginx: r('admin'), tomcat: r('admin'), go: r('public'), express: r('public') }, 'inspection'],
      ['/docs/..;/admin', { nginx: r('docs'), tomcat: r('admin'), go: r('docs'), express: r('docs') }, 'inspection'],
      ['/admin/../public/x', { nginx: r('public'), tomcat: r('public'), go: { redirect: '/public/x' }, express: r('admin') }, 'inspection'],
      ['/login;jsessionid=x', { nginx: r('none'), tomcat: r('login'), go: r('none'), express: r('none') }, 'access'],
      ['/%61dmin', { nginx: r('admin'), tomcat: r('admin'), go: r('admin'), express: r('none') }, 'access'],
      ['//admin', { nginx: r('admin'), tomcat: r('admin'), go: { redirect: '/admin' }, express: r('none') }, 'access'],
      ['/ADMIN', { nginx: r('none'), tomcat: r('none'), go: r('none'), express: r('admin') }, 'access'],
      ['/admin%2Fx', { nginx: r('admin'), tomcat: { refused: 400 }, go: r('none'), express: r('none') }, 'inspection'],
    ];
    for (const [path, routes, verdict] of table) {
      for (const kind of UPSTREAMS) expect(`${kind} GET ${path}: ${show(await route(kind, 'GET', path))}`).toBe(`${kind} GET ${path}: ${show(routes[kind])}`);
      expect(`Palisade GET ${path}: ${(await palisade('default', 'GET', path)).verdict}`).toBe(`Palisade GET ${path}: ${verdict}`);
    }
  });

  for (const kind of UPSTREAMS) {
    it(`${kind}: no path reaches /admin through Palisade, and every POST that reaches /login is limited`, async () => {
      const violations: string[] = [];
      for (const profile of RECOMMENDED[kind]) {
        for (const [method, paths] of [['GET', GET_PATHS], ['POST', POST_PATHS]] as const) {
          for (const path of paths) {
            const reached = await route(kind, method, path);
            const p = await palisade(profile, method, path);
            const where = `${kind} ${show(reached)} <- ${method} ${path} (pathMatching ${profile}): Palisade ${p.verdict}`;
            if ('route' in reached && reached.route === 'admin' && p.verdict === 'allow') violations.push(`${where}, but /admin is protected`);
            if ('route' in reached && reached.route === 'login' && method === 'POST' && p.verdict === 'allow' && !p.limited) violations.push(`${where}, not counted by the limit on /login`);
          }
        }
      }
      expect(violations).toEqual([]);
    });
  }

  it('plain requests to the allowed routes are allowed under every profile', async () => {
    for (const profile of Object.keys(PROFILES) as Profile[]) {
      for (const [method, path] of [['GET', '/public/x'], ['GET', '/docs/a/b'], ['POST', '/login'], ['GET', '/public/x;jsessionid=1']] as const) {
        expect(`${profile} ${method} ${path}: ${(await palisade(profile, method, path)).verdict}`).toBe(`${profile} ${method} ${path}: allow`);
      }
    }
  });

  it('the settings matter: Keep is wrong for nginx, which decodes %2F into a separator', async () => {
    expect(await route('nginx', 'GET', '/public/..%2Fadmin')).toEqual({ route: 'admin' });
    expect((await palisade('keep', 'GET', '/public/..%2Fadmin')).verdict).toBe('allow');
    expect((await palisade('default', 'GET', '/public/..%2Fadmin')).verdict).toBe('inspection');
  });
});
