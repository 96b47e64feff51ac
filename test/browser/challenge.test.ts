/**
 * The challenge end to end in a real headless Chromium: browser → test Envoy front (applies CheckResponses as the
 * ext_authz filter does) → real upstream, with the real authz-server answering the front's Checks over gRPC. The
 * browser is challenged, solves in its Web Workers, reaches the upstream, and later requests pass without a new
 * challenge; a plain HTTP client is stopped; the browser's pass cookie replayed from another client address is
 * refused (and still works from the browser's own); the client helper solves API challenges from Node and from a
 * page script; without JavaScript or with cookies blocked the page says so.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import * as http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthzServer } from '../../authz-server/src/app/server.ts';
import { palisadeFetch } from '../../clients/palisade-challenge.js';
import { launchChromium, launchChromiumProfile } from '../support/browser.ts';
import { startEnvoyFront, type EnvoyFront } from '../support/envoy-front.ts';
import { captureLogger, policyDoc, startTestServer, writePolicyDir } from '../support/policies.ts';

/** The upstream application: HTML pages and a JSON endpoint; records what reached it. */
async function upstreamApp(): Promise<{ port: number; seen: Array<{ url: string; headers: http.IncomingHttpHeaders }>; close(): Promise<void> }> {
  const seen: Array<{ url: string; headers: http.IncomingHttpHeaders }> = [];
  const helper = await readFile(new URL('../../clients/palisade-challenge.js', import.meta.url), 'utf8');
  const server = http.createServer((req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    if (req.url === '/static/palisade-challenge.js') {
      res.setHeader('content-type', 'text/javascript');
      res.end(helper);
      return;
    }
    if (req.url?.startsWith('/api/')) {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ ok: true, url: req.url }));
      return;
    }
    res.setHeader('content-type', 'text/html; charset=utf-8');
    res.end(`<!doctype html><html lang="en"><head><title>Upstream</title></head><body><h1>Upstream page</h1><p id="url">${req.url}</p></body></html>`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: (server.address() as AddressInfo).port, seen, close: () => new Promise((r) => server.close(() => r())) };
}

/** A plain HTTP request to the front from a chosen local address (127.0.0.0/8 is all loopback on Linux). */
function rawGet(url: string, headers: Record<string, string>, localAddress = '127.0.0.1'): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers, localAddress }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
  });
}

describe('challenge in a real browser', () => {
  let server: AuthzServer;
  let upstream: Awaited<ReturnType<typeof upstreamApp>>;
  let front: EnvoyFront;
  let browser: Browser;
  let policies: Awaited<ReturnType<typeof writePolicyDir>>;
  const log = captureLogger();

  // Chromium also asks for /favicon.ico on its own; only the requests the test makes count.
  const reasons = () => front.exchanges.filter((e) => e.request.attributes?.request?.http?.path !== '/favicon.ico').map((e) => (e.response?.status.code === 0 ? 'allow' : (e.response?.denied_response?.headers.find((h) => h.header.key === 'x-palisade-reason')?.header.value ?? `error ${e.error}`)));
  const metric = async (name: string, labels: Record<string, string>) => {
    const m = (await server.registry.getMetricsAsJSON()).find((x) => x.name === name);
    return m?.values.find((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val))?.value ?? 0;
  };

  beforeAll(async () => {
    policies = await writePolicyDir([
      policyDoc('site', {
        hosts: ['127.0.0.1'],
        // Headless Chromium announces itself (HeadlessChrome in its user-agent): a challenge-level score here.
        // The single-page application's own files are exempt: only its API calls are challenged.
        // Every test opens fresh browser contexts from the one loopback address; their new sessions add up across
        // the tests to a deny-level fresh-session signal, which is behavioural scoring's business, not the
        // challenge flow's under test here.
        bot: { mode: 'Enforce', challengeScore: 30, denyScore: 95, ignoreSignals: ['fresh'], challenge: { difficulty: { min: 12, max: 12 }, passScoreCredit: 60, exemptPaths: ['/static/**'] } },
      }),
    ]);
    server = await startTestServer(['--policies', policies.dir], log.logger);
    upstream = await upstreamApp();
    front = await startEnvoyFront({ authzPort: server.grpcPort, upstream: { host: '127.0.0.1', port: upstream.port } });
    browser = await launchChromium();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await front?.close();
    await upstream?.close();
    await server?.stop();
    await policies?.cleanup();
  });

  /** A fresh browser context and page that records its errors (a CSP violation shows up here). */
  async function freshPage(opts: { javaScriptEnabled?: boolean } = {}): Promise<{ page: Page; errors: string[]; close(): Promise<void> }> {
    const context = await browser.newContext(opts);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => {
      if (m.type() === 'error' && !/status of 401/.test(m.text())) errors.push(m.text());
    });
    return { page, errors, close: () => context.close() };
  }

  it('the browser is challenged, solves, reaches the upstream, and later requests pass without a new challenge', async () => {
    const { page, errors, close } = await freshPage();
    try {
      const start = reasons().length;
      const reachedBefore = upstream.seen.filter((r) => r.url !== '/favicon.ico').length;
      await page.goto(`${front.url}/articles/1?lang=en`);
      await page.waitForURL(`${front.url}/articles/1?lang=en`, { waitUntil: 'load' });
      await page.waitForSelector('h1:text("Upstream page")', { timeout: 20_000 });
      expect(await page.textContent('#url')).toBe('/articles/1?lang=en');
      // Precondition on bot scoring: the first navigation must have been challenged.
      expect(reasons().slice(start), 'headless Chromium should score a challenge; did bot scoring change?').toEqual(['challenge', 'challenge-passed', 'allow']);
      expect(upstream.seen.filter((r) => r.url !== '/favicon.ico').length).toBe(reachedBefore + 1);
      expect(upstream.seen.find((r) => r.url === '/articles/1?lang=en')!.headers['x-palisade-bot-verdict']).toBe('allow');
      const cookies = await page.context().cookies();
      expect(cookies.find((c) => c.name === 'palisade-pass')).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });

      // Later navigations and the page's own API calls: straight through, no new challenge.
      const later = reasons().length;
      const next = await page.goto(`${front.url}/articles/2`);
      expect(next?.status()).toBe(200);
      const api = await page.evaluate(async () => (await fetch('/api/items', { headers: { accept: 'application/json' } })).status);
      expect(api).toBe(200);
      expect(reasons().slice(later)).toEqual(['allow', 'allow']);
      expect(errors).toEqual([]);
      expect(front.violations).toEqual([]);
      expect(await metric('palisade_challenges_solved_total', { policy: 'shop/site', kind: 'html' })).toBeGreaterThanOrEqual(1);
      expect(await metric('palisade_challenge_passes_total', { policy: 'shop/site', result: 'accepted' })).toBeGreaterThanOrEqual(3);
    } finally {
      await close();
    }
  }, 90_000);

  it('a plain HTTP client is stopped; the pass cookie works only from the client network it was earned on', async () => {
    const { page, close } = await freshPage();
    try {
      await page.goto(`${front.url}/account`);
      await page.waitForSelector('h1:text("Upstream page")', { timeout: 20_000 });
      const pass = (await page.context().cookies()).find((c) => c.name === 'palisade-pass')!;
      const ua = await page.evaluate(() => navigator.userAgent);
      const reached = upstream.seen.length;

      const curl = await rawGet(`${front.url}/account`, { 'user-agent': 'curl/8.5.0', accept: '*/*' });
      expect(curl.status).toBe(401);
      expect(curl.headers['www-authenticate']).toMatch(/^PalisadePoW /);
      expect(JSON.parse(curl.body)).toMatchObject({ error: 'challenge' });

      const asBrowser = { 'user-agent': ua, accept: 'text/html', 'accept-language': 'en-US', cookie: `palisade-pass=${pass.value}` };
      const replayed = await rawGet(`${front.url}/account`, asBrowser, '127.0.5.9');
      expect(replayed.status).toBe(401);
      expect(replayed.body).toContain('Checking that you are a visitor');
      expect(upstream.seen.length).toBe(reached);
      expect(await metric('palisade_challenge_passes_total', { policy: 'shop/site', result: 'refused', reason: 'network' })).toBe(1);

      // The same cookie from the network it was earned on passes: the refusal is the network's, not the cookie's.
      const home = await rawGet(`${front.url}/account`, asBrowser, '127.0.0.1');
      expect(home.status).toBe(200);
      expect(upstream.seen.length).toBe(reached + 1);
    } finally {
      await close();
    }
  }, 90_000);

  it('the client helper solves API challenges from Node and from a single-page application, then rides on its pass', async () => {
    // Node: a client that the bot score challenges.
    const calls: number[] = [];
    const nodeFetch = palisadeFetch(async (input, init) => {
      const r = await fetch(input, { ...init, headers: { ...Object.fromEntries(new Headers(init?.headers)), 'user-agent': 'python-requests/2.32', accept: 'application/json' } });
      calls.push(r.status);
      return r;
    });
    const first = await nodeFetch(`${front.url}/api/orders`);
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ ok: true, url: '/api/orders' });
    expect(calls).toEqual([401, 200]);
    expect(nodeFetch.pass()).toMatch(/^v1\./);
    expect((await nodeFetch(`${front.url}/api/orders/2`)).status).toBe(200);
    expect(calls).toEqual([401, 200, 200]);

    // A page script (the SPA) loads the helper from its own exempt static path and calls its API.
    const { page, errors, close } = await freshPage();
    const from = front.exchanges.length;
    try {
      await page.goto(`${front.url}/static/app.html`);
      // A string, so that the test runner does not rewrite the page's own dynamic import.
      const result = await page.evaluate(`(async () => {
        const m = await import('/static/palisade-challenge.js');
        const api = m.palisadeFetch(fetch);
        const a = await api('/api/items', { headers: { accept: 'application/json' } });
        const b = await api('/api/items/2', { headers: { accept: 'application/json' } });
        return { a: a.status, b: b.status, pass: api.pass() !== null, body: await b.json() };
      })()`);
      expect(result).toEqual({ a: 200, b: 200, pass: true, body: { ok: true, url: '/api/items/2' } });
      expect(errors).toEqual([]);
      const spa = front.exchanges.slice(from).filter((e) => e.request.attributes?.request?.http?.path?.startsWith('/api/items'));
      expect(spa.map((e) => e.response?.status.code)).toEqual([16, 0, 0]);
    } finally {
      await close();
    }
  }, 90_000);

  it('without JavaScript, or with cookies blocked, the page says so', async () => {
    const noJs = await freshPage({ javaScriptEnabled: false });
    try {
      const res = await noJs.page.goto(`${front.url}/nojs`);
      expect(res?.status()).toBe(401);
      // Selector engines need JavaScript in the page; the DOM and layout are read through the protocol instead.
      const shown = await noJs.page.evaluate<{ text: string; height: number } | null>(
        `(() => { const p = document.querySelector('noscript p'); return p ? { text: p.textContent, height: p.getBoundingClientRect().height } : null; })()`,
      );
      expect(shown?.text).toContain('This check needs JavaScript');
      expect(shown?.height).toBeGreaterThan(0);
    } finally {
      await noJs.close();
    }

    // A profile that blocks cookies, as a visitor's browser setting does (it still reports cookies as enabled).
    const profile = await mkdtemp(join(tmpdir(), 'palisade-chromium-'));
    await mkdir(join(profile, 'Default'));
    await writeFile(join(profile, 'Default', 'Preferences'), JSON.stringify({ profile: { default_content_setting_values: { cookies: 2 } } }));
    const blocked = await launchChromiumProfile(profile);
    try {
      const page = await blocked.newPage();
      await page.goto(`${front.url}/nocookies`);
      await page.waitForSelector('text=This check needs cookies', { timeout: 20_000 });
      expect(await page.isVisible('#working')).toBe(false);
      expect(upstream.seen.some((r) => r.url === '/nocookies')).toBe(false);
    } finally {
      await blocked.close();
      await rm(profile, { recursive: true, force: true });
    }
  }, 90_000);
});
