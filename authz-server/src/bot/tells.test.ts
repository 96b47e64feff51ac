import { describe, expect, it } from 'vitest';
import { requestTells } from './tells.ts';

const tells = (headers: Record<string, string>) => requestTells(new Map(Object.entries(headers))).map((t) => t.name);

describe('request tells', () => {
  it("names HTTP libraries' default user agents as automation, not an app's own or its HTTP stack's", () => {
    for (const ua of ['python-requests/2.32.3', 'Java-http-client/21.0.5', 'Java/17.0.9', 'axios/1.7.9', 'node', 'node-fetch/1.0 (+https://github.com/bitinn/node-fetch)', 'undici', 'Go-http-client/2.0', 'Apache-HttpClient/4.5.14 (Java/17.0.10)']) {
      expect(tells({ 'user-agent': ua, accept: '*/*' }), ua).toContain('ua-automation');
    }
    for (const ua of ['ShopApp/4.2.1 (Android 14) okhttp/4.12.0', 'okhttp/4.12.0', 'Railline/5.12.0 (iPhone; iOS 18.1; Scale/3.00)', 'nodejs-app/2.0', 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0']) {
      expect(tells({ 'user-agent': ua, accept: '*/*', 'accept-language': 'en' }), ua).toEqual([]);
    }
  });

  it('names a headless Chromium by its client hints when its user agent was set to a desktop Chrome\'s', () => {
    const chrome = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 Safari/537.36';
    const base = { 'user-agent': chrome, accept: 'text/html', 'accept-language': 'en-US' };
    expect(tells({ ...base, 'sec-ch-ua': '"HeadlessChrome";v="128", "Chromium";v="128", "Not;A=Brand";v="24"' })).toEqual(['headless-hidden']);
    expect(requestTells(new Map(Object.entries({ ...base, 'sec-ch-ua': '"HeadlessChrome";v="128"' })))[0]?.score).toBeGreaterThanOrEqual(50);
    // A person's Chrome, Edge or Brave names no headless brand.
    for (const ch of ['"Chromium";v="131", "Not_A Brand";v="24", "Google Chrome";v="131"', '"Microsoft Edge";v="131", "Chromium";v="131", "Not_A Brand";v="24"', '"Brave";v="131", "Chromium";v="131", "Not_A Brand";v="24"']) {
      expect(tells({ ...base, 'sec-ch-ua': ch }), ch).toEqual([]);
    }
    expect(requestTells(new Map(Object.entries({ ...base, 'sec-ch-ua': '"HeadlessChrome";v="128"' })), undefined, true).map((t) => t.name)).toEqual([]);
  });

  it('holds a headless browser that says so at the challenge (it can answer one), an HTTP library under it', () => {
    const score = (ua: string, authenticated = false) => requestTells(new Map(Object.entries({ 'user-agent': ua, accept: 'text/html', 'accept-language': 'en-US' })), undefined, authenticated).reduce((s, t) => s + t.score, 0);
    const challenge = 50;
    for (const ua of ['Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36', 'Mozilla/5.0 (Unknown; Linux x86_64) AppleWebKit/538.1 (KHTML, like Gecko) PhantomJS/2.1.1 Safari/538.1']) {
      expect(score(ua), ua).toBeGreaterThanOrEqual(challenge);
      expect(requestTells(new Map([['user-agent', ua]]))[0]?.name).toBe('ua-automation');
      // A key's program is not held for its user agent, a headless one neither.
      expect(score(ua, true), ua).toBe(0);
    }
    for (const ua of ['python-requests/2.32.3', 'curl/8.5.0', 'Go-http-client/2.0']) expect(score(ua), ua).toBeLessThan(challenge);
  });

  it('holds a missing language against a browser, not against a client that names itself the crawlers\' way', () => {
    expect(tells({ 'user-agent': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36', accept: 'text/html' })).toEqual(['browser-without-accept-language']);
    expect(tells({ 'user-agent': 'Mozilla/5.0 (compatible; SiteStatusMonitor/2.0)', accept: '*/*' })).toEqual([]);
    expect(tells({ 'user-agent': 'Mozilla/5.0 (compatible; SiteStatusMonitor/2.0)' })).toEqual(['accept-missing']);
  });

  it('does not hold an HTTP library against a request with a valid credential: an API key is issued to a program', () => {
    const h = new Map(Object.entries({ 'user-agent': 'python-requests/2.32.3', accept: '*/*' }));
    expect(requestTells(h, undefined, false).map((t) => t.name)).toEqual(['ua-automation']);
    expect(requestTells(h, undefined, true).map((t) => t.name)).toEqual([]);
    // The other tells stay: a client with a key still says what it accepts.
    expect(requestTells(new Map([['user-agent', 'curl/8.5.0']]), undefined, true).map((t) => t.name)).toEqual(['accept-missing']);
  });
});
