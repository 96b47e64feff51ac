/**
 * The whole challenge flow over real gRPC with Envoy-shaped CheckRequests: an API client is challenged, solves
 * with the repository's client helper, presents the solution and then the pass it earned; a browser navigation
 * gets the interstitial, answers on the verification path and comes back with a pass cookie; passes are refused
 * from another network, with another user-agent, after their lifetime, or under another policy's keys; a deny
 * stays a deny with a pass; exempt paths and Monitor mode keep the header-only behaviour; metrics count it all.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { challengeOf, powSolver, solveChallenge } from '../../clients/palisade-challenge.js';
import { bindingOf } from '../../authz-server/src/challenge/binding.ts';
import { keyringFromFile } from '../../authz-server/src/challenge/keyring.ts';
import { issuePass } from '../../authz-server/src/challenge/tokens.ts';
import type { CheckResponse } from '../../authz-server/src/envoy/protos.ts';
import type { AuthzServer } from '../../authz-server/src/app/server.ts';
import { authzClient, envoyRequest, headerOf, type AuthzClient, type RequestShape } from '../support/envoy.ts';
import { captureLogger, policyDoc, startTestServer, writePolicyDir } from '../support/policies.ts';

const CURL = 'curl/8.5.0';
const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:131.0) Gecko/20100101 Firefox/131.0';
const SERVER_KEY = 'server-wide-key-0123456789-0123456789-0123456789';

const BOT = { mode: 'Enforce', challengeScore: 40, denyScore: 90 };
const CHALLENGE = { difficulty: { min: 8, max: 12 }, passLifetime: '1h', passScoreCredit: 30, exemptPaths: ['/webhooks/**'] };

/** The challenge a denied CheckResponse carries in its www-authenticate header (as a client reads it). */
function challengeIn(res: CheckResponse) {
  const value = headerOf(res.denied_response?.headers, 'www-authenticate') ?? null;
  return challengeOf({ status: res.denied_response?.status.code ?? 0, headers: { get: (n: string) => (n === 'www-authenticate' ? value : null) } });
}

const reason = (res: CheckResponse) => (res.status.code === 0 ? 'allow' : headerOf(res.denied_response?.headers, 'x-palisade-reason'));

describe('challenge flow over gRPC', () => {
  let server: AuthzServer;
  let client: AuthzClient;
  let policies: Awaited<ReturnType<typeof writePolicyDir>>;
  let keyDir: string;
  const log = captureLogger();

  beforeAll(async () => {
    keyDir = await mkdtemp(join(tmpdir(), 'palisade-challenge-key-'));
    await writeFile(join(keyDir, 'key'), `${SERVER_KEY}\n`);
    policies = await writePolicyDir([
      policyDoc('api', { hosts: ['api.example.com'], bot: { ...BOT, challenge: CHALLENGE } }, 'web'),
      policyDoc('own-keys', { hosts: ['own.example.com'], bot: { ...BOT, challenge: { ...CHALLENGE, keySecret: 'challenge-keys' } } }, 'web'),
      policyDoc('monitor', { hosts: ['monitor.example.com'], mode: 'Monitor', bot: { ...BOT, challenge: CHALLENGE } }, 'web'),
      policyDoc('strict', { hosts: ['strict.example.com'], bot: { mode: 'Enforce', challengeScore: 20, denyScore: 55, challenge: CHALLENGE } }, 'web'),
      policyDoc('header-only', { hosts: ['header.example.com'], bot: { ...BOT, challenge: { ...CHALLENGE, action: 'Header' } } }, 'web'),
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'challenge-keys', namespace: 'web' }, stringData: { current: 'policy-own-key-0123456789-0123456789-0123' } },
    ]);
    server = await startTestServer(['--policies', policies.dir, '--challenge-key-file', join(keyDir, 'key')], log.logger);
    client = authzClient(server.grpcPort);
  });

  afterAll(async () => {
    client?.close();
    await server?.stop();
    await policies?.cleanup();
    await rm(keyDir, { recursive: true, force: true });
  });

  /** A request from one client; each test uses its own network so behaviour counters stay out of the way. */
  const shape = (net: string, extra: RequestShape = {}): RequestShape => ({
    host: 'api.example.com',
    path: '/orders/1',
    sourceIp: `${net}.7`,
    ...extra,
    headers: { 'user-agent': CURL, accept: 'application/json', ...extra.headers },
  });
  const check = (s: RequestShape) => client.check(envoyRequest(s));

  const metric = async (name: string, labels: Record<string, string>) => {
    const m = (await server.registry.getMetricsAsJSON()).find((x) => x.name === name);
    const v = m?.values.find((x) => Object.entries(labels).every(([k, val]) => x.labels[k] === val));
    return v?.value ?? 0;
  };

  it('an API client is challenged, solves with the client helper, and is allowed with a lower score and a pass', async () => {
    const first = await check(shape('198.51.100'));
    expect(reason(first)).toBe('challenge');
    expect(first.denied_response?.status.code).toBe(401);
    const ch = challengeIn(first)!;
    expect(ch.difficulty).toBeGreaterThanOrEqual(8);
    expect(JSON.parse(first.denied_response!.body).challenge).toMatchObject({ token: ch.token, seed: ch.seed, difficulty: ch.difficulty });

    const solution = await solveChallenge(ch);
    const answered = await check(shape('198.51.100', { headers: { 'x-palisade-solution': solution.header } }));
    expect(reason(answered)).toBe('allow');
    const pass = headerOf(answered.ok_response?.response_headers_to_add, 'x-palisade-pass')!;
    expect(pass).toMatch(/^v1\./);
    expect(answered.ok_response?.headers_to_remove).toEqual(expect.arrayContaining(['x-palisade-solution', 'x-palisade-pass']));
    const score = Number(headerOf(answered.ok_response?.headers, 'x-palisade-bot-score'));
    expect(score).toBeLessThan(40);
    expect(headerOf(answered.ok_response?.headers, 'x-palisade-bot-verdict')).toBe('allow');

    // Later requests present the pass, from anywhere in the same /24, and are not challenged again.
    for (const ip of ['198.51.100.7', '198.51.100.200']) {
      const later = await check(shape('198.51.100', { sourceIp: ip, headers: { 'x-palisade-pass': pass } }));
      expect(reason(later)).toBe('allow');
      expect(headerOf(later.ok_response?.response_headers_to_add, 'x-palisade-pass')).toBeUndefined();
    }
    expect(await metric('palisade_challenges_issued_total', { policy: 'web/api', kind: 'api' })).toBeGreaterThanOrEqual(1);
    expect(await metric('palisade_challenges_solved_total', { policy: 'web/api', kind: 'api' })).toBe(1);
    expect(await metric('palisade_challenge_passes_total', { policy: 'web/api', result: 'accepted' })).toBeGreaterThanOrEqual(2);
  });

  it('a pass is refused from another network, with another user-agent, and a solution that does not solve is refused', async () => {
    const first = await check(shape('203.0.113'));
    const solution = await solveChallenge(challengeIn(first)!);
    const answered = await check(shape('203.0.113', { headers: { 'x-palisade-solution': solution.header } }));
    const pass = headerOf(answered.ok_response?.response_headers_to_add, 'x-palisade-pass')!;

    const elsewhere = await check(shape('192.0.2', { headers: { 'x-palisade-pass': pass } }));
    expect(reason(elsewhere)).toBe('challenge');
    const otherUa = await check(shape('203.0.113', { headers: { 'x-palisade-pass': pass, 'user-agent': 'Wget/1.21' } }));
    expect(reason(otherUa)).toBe('challenge');
    // The same solution replayed from another network: its challenge was bound to the first one.
    const replayed = await check(shape('192.0.2', { headers: { 'x-palisade-solution': solution.header } }));
    expect(reason(replayed)).toBe('challenge');

    const ch = challengeIn(await check(shape('203.0.113')))!;
    const { solve } = powSolver();
    let wrong = 0;
    while (solve(ch.seed, ch.difficulty, wrong, 1, 1).nonce !== null) wrong++;
    expect(reason(await check(shape('203.0.113', { headers: { 'x-palisade-solution': `${wrong}:${ch.token}` } })))).toBe('challenge');

    expect(await metric('palisade_challenge_passes_total', { policy: 'web/api', result: 'refused', reason: 'network' })).toBe(1);
    expect(await metric('palisade_challenge_passes_total', { policy: 'web/api', result: 'refused', reason: 'user-agent' })).toBe(1);
    expect(await metric('palisade_challenges_failed_total', { policy: 'web/api', kind: 'api', reason: 'network' })).toBe(1);
    expect(await metric('palisade_challenges_failed_total', { policy: 'web/api', kind: 'api', reason: 'solution' })).toBe(1);
  });

  it('an expired pass and a pass under another policy key are refused; a deny stays a deny with a valid pass', async () => {
    const keyring = keyringFromFile(SERVER_KEY, 'key');
    const binding = bindingOf('web/api', '192.0.2.50', CURL, { ipv4: 24, ipv6: 64 });
    const now = Math.floor(Date.now() / 1000);
    const expired = issuePass(keyring, binding, 8, now - 7200, 3600);
    expect(reason(await check(shape('192.0.2', { sourceIp: '192.0.2.50', headers: { 'x-palisade-pass': expired } })))).toBe('challenge');
    expect(await metric('palisade_challenge_passes_total', { policy: 'web/api', result: 'refused', reason: 'expired' })).toBe(1);

    // A pass minted with the server-wide key is refused by a policy that signs with its own Secret's key.
    const ownBinding = bindingOf('web/own-keys', '192.0.2.50', CURL, { ipv4: 24, ipv6: 64 });
    const foreign = issuePass(keyring, ownBinding, 8, now, 3600);
    expect(reason(await check(shape('192.0.2', { host: 'own.example.com', sourceIp: '192.0.2.50', headers: { 'x-palisade-pass': foreign } })))).toBe('challenge');
    expect(await metric('palisade_challenge_passes_total', { policy: 'web/own-keys', result: 'refused', reason: 'signature' })).toBe(1);

    // python-requests without accept scores a deny under the strict policy. A valid pass for it changes nothing;
    // with accept it scores a challenge, which the same kind of pass turns into an allow.
    const denyUa = 'python-requests/2.32';
    const strictPass = issuePass(keyring, bindingOf('web/strict', '192.0.2.51', denyUa, { ipv4: 24, ipv6: 64 }), 8, now, 3600);
    const strict = (accept: string) => check(shape('192.0.2', { host: 'strict.example.com', sourceIp: '192.0.2.51', headers: { 'user-agent': denyUa, accept, 'x-palisade-pass': strictPass } }));
    expect(reason(await strict(''))).toBe('bot');
    expect(reason(await strict('application/json'))).toBe('allow');
  });

  it('difficulty rises with the score', async () => {
    const low = challengeIn(await check(shape('10.20.30')))!;
    const high = challengeIn(await check(shape('10.20.31', { headers: { accept: '' } })))!;
    expect(low.difficulty).toBe(8);
    expect(high.difficulty).toBeGreaterThan(low.difficulty);
    expect(high.difficulty).toBeLessThanOrEqual(12);
  });

  it('a browser navigation gets the interstitial, verifies on the reserved path, and returns with a pass cookie', async () => {
    const nav = (extra: RequestShape) => shape('100.64.1', { path: '/shop?page=2', ...extra, headers: { 'user-agent': FIREFOX, accept: 'text/html,application/xhtml+xml', ...extra.headers } });
    // Firefox without accept-language scores as a browser without it: a challenge-level score here.
    const page = await check(nav({ headers: { 'accept-language': '', 'user-agent': `${FIREFOX} HeadlessChrome` } }));
    expect(reason(page)).toBe('challenge');
    const headers = page.denied_response!.headers;
    expect(headerOf(headers, 'content-type')).toBe('text/html; charset=utf-8');
    expect(headerOf(headers, 'content-security-policy')).toMatch(/script-src 'nonce-[A-Za-z0-9+/=]+'; style-src 'nonce-/);
    expect(headerOf(headers, 'set-cookie')).toMatch(/^palisade-cookie-check=1; Path=\/; Max-Age=600; HttpOnly; SameSite=Lax$/);
    expect(page.denied_response!.body).toContain('<noscript>');
    expect(page.denied_response!.body).toContain('"to":"/shop?page=2"');
    const ua = `${FIREFOX} HeadlessChrome`;
    const ch = challengeIn(page)!;
    const nonce = (await solveChallenge(ch)).nonce;
    const verify = (query: string, cookie = 'palisade-cookie-check=1') =>
      check(nav({ path: `/.palisade/challenge/verify?${query}`, headers: { 'user-agent': ua, 'accept-language': '', cookie } }));
    const q = (to: string) => new URLSearchParams({ t: ch.token, n: nonce, ms: '123', to }).toString();

    const cookiesOff = await verify(q('/shop?page=2'), '');
    expect(reason(cookiesOff)).toBe('challenge-failed');
    expect(cookiesOff.denied_response?.body).toContain('cookies');

    const open = await verify(q('//evil.example/'));
    expect(reason(open)).toBe('challenge-passed');
    expect(headerOf(open.denied_response?.headers, 'location')).toBe('/');

    const ok = await verify(q('/shop?page=2'));
    expect(reason(ok)).toBe('challenge-passed');
    expect(ok.denied_response?.status.code).toBe(303);
    expect(headerOf(ok.denied_response?.headers, 'location')).toBe('/shop?page=2');
    const setCookie = headerOf(ok.denied_response?.headers, 'set-cookie')!;
    expect(setCookie).toMatch(/^palisade-pass=v1\.[^;]+; Path=\/; Max-Age=3600; HttpOnly; SameSite=Lax$/);
    const cookie = setCookie.split(';')[0]!;

    const back = await check(nav({ headers: { 'user-agent': ua, 'accept-language': '', cookie: `session=abc; ${cookie}` } }));
    expect(reason(back)).toBe('allow');
    expect(await metric('palisade_challenges_solved_total', { policy: 'web/api', kind: 'html' })).toBe(2);
    expect(await metric('palisade_challenges_failed_total', { policy: 'web/api', kind: 'html', reason: 'cookies-off' })).toBe(1);
    const solve = (await server.registry.getMetricsAsJSON()).find((m) => m.name === 'palisade_challenge_solve_seconds');
    expect(solve?.values.find((v) => (v as { metricName?: string }).metricName === 'palisade_challenge_solve_seconds_count')?.value).toBe(2);

    // A tampered or missing solution on the verification path is a plain failure page, never a redirect loop.
    const bad = await verify(new URLSearchParams({ t: ch.token, n: 'x', to: '/shop' }).toString());
    expect(reason(bad)).toBe('challenge-failed');
    expect(bad.denied_response?.status.code).toBe(403);
    expect(bad.denied_response?.body).toContain('href="/shop"');
  });

  it('exempt paths and methods and the Header action keep the header-only behaviour; Monitor mode never challenges', async () => {
    const allowedWith = async (s: RequestShape, verdict: string) => {
      const res = await check(s);
      expect(reason(res)).toBe('allow');
      expect(headerOf(res.ok_response?.headers, 'x-palisade-bot-verdict')).toBe(verdict);
    };
    await allowedWith(shape('100.64.2', { path: '/webhooks/github' }), 'challenge');
    await allowedWith(shape('100.64.2', { method: 'OPTIONS' }), 'challenge');
    await allowedWith(shape('100.64.2', { host: 'header.example.com' }), 'challenge');
    await allowedWith(shape('100.64.2', { host: 'monitor.example.com' }), 'allow');
    // In Monitor mode the verification path is an ordinary path.
    expect(reason(await check(shape('100.64.2', { host: 'monitor.example.com', path: '/.palisade/challenge/verify?t=x' })))).toBe('allow');
  });
});
