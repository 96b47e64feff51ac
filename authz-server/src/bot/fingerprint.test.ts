import { describe, expect, it } from 'vitest';
import { networkOf } from '../challenge/binding.ts';
import { DIGEST_MEMO, browserUserAgent, claimsBrowser, isPageLoad, isSubresource, typedPageLoad, clientAddress, clientClass, clientFingerprint, clientKind, clientNetwork, carriesOwnCredential, ownCredential } from './fingerprint.ts';

const CHROME = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';
const browser = (extra: Record<string, string>) =>
  new Map(
    Object.entries({
      'user-agent': CHROME,
      'accept-language': 'en-GB,en;q=0.9',
      'accept-encoding': 'gzip, deflate, br, zstd',
      'sec-ch-ua': '"Chromium";v="131"',
      'sec-ch-ua-mobile': '?0',
      'sec-ch-ua-platform': '"Windows"',
      'sec-fetch-site': 'same-origin',
      ...extra,
    }),
  );

describe('client fingerprint', () => {
  it('one browser keeps one fingerprint across a navigation and its API calls', () => {
    const page = browser({ accept: 'text/html', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document', 'upgrade-insecure-requests': '1', cookie: 'session=a' });
    const api = browser({ accept: 'application/json', 'sec-fetch-mode': 'cors', 'sec-fetch-dest': 'empty', referer: 'https://shop/x' });
    expect(clientFingerprint(page)).toBe(clientFingerprint(api));
  });

  it('a script wearing the browser user agent, another language, or another TLS stack differs', () => {
    const real = browser({ accept: 'text/html', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' });
    const dressed = new Map(Object.entries({ 'user-agent': CHROME, accept: 'text/html', 'accept-language': 'en-GB,en;q=0.9' }));
    expect(clientFingerprint(dressed)).not.toBe(clientFingerprint(real));
    expect(clientFingerprint(browser({ 'accept-language': 'de-DE' }))).not.toBe(clientFingerprint(browser({})));
    expect(clientFingerprint(browser({ 'x-ja4': 't13d1516h2_a' }))).not.toBe(clientFingerprint(browser({ 'x-ja4': 't13d1812h1_b' })));
    // Only the configured TLS headers count.
    expect(clientFingerprint(browser({ 'x-tls': 'a' }), ['x-tls'])).not.toBe(clientFingerprint(browser({ 'x-tls': 'b' }), ['x-tls']));
    expect(clientFingerprint(browser({ 'x-tls': 'a' }))).toBe(clientFingerprint(browser({ 'x-tls': 'b' })));
  });

  it('remembered fingerprints and classes are those computed; only the user agent loses its version numbers', () => {
    const ja3 = (v: string) => browser({ 'x-ja3': v });
    // Twice each (the second from memory), and TLS fingerprints made of digits stay apart.
    for (let i = 0; i < 2; i++) {
      expect(clientFingerprint(ja3('771,4865-4866,0-23'))).not.toBe(clientFingerprint(ja3('771,4865-4867,0-23')));
      expect(clientClass(ja3('771,4865-4866,0-23'))).not.toBe(clientClass(ja3('771,4865-4867,0-23')));
      expect(clientFingerprint(browser({ 'accept-language': 'en;q=0.9' }))).not.toBe(clientFingerprint(browser({ 'accept-language': 'en;q=0.8' })));
    }
    // Past the memo: forgotten and computed again, the same.
    const first = clientFingerprint(ja3('1'));
    for (let i = 0; i <= DIGEST_MEMO; i++) clientFingerprint(ja3(`x${i}`));
    expect(clientFingerprint(ja3('1'))).toBe(first);
  });

  it('version numbers do not split a fingerprint: a crowd giving each address its own build stays one kind', () => {
    const build = (ua: string) => browser({ 'user-agent': ua });
    expect(clientFingerprint(build(CHROME.replace('131.0.0.0', '131.4.6778.85')))).toBe(clientFingerprint(build(CHROME)));
    expect(clientFingerprint(build(CHROME.replace('131.0.0.0', '129.0.0.0')))).toBe(clientFingerprint(build(CHROME)));
    expect(clientFingerprint(build(CHROME.replace('Chrome/', 'HeadlessChrome/')))).not.toBe(clientFingerprint(build(CHROME)));
    expect(clientFingerprint(build(CHROME.replace('Windows NT 10.0; Win64; x64', 'X11; Linux x86_64')))).not.toBe(clientFingerprint(build(CHROME)));
  });

  it('client class: one for a browser family whatever its version and language; another header set or TLS stack is another class', () => {
    const real = browser({ accept: 'text/html', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document' });
    expect(clientClass(real)).toBe(clientClass(browser({ accept: 'text/html', 'sec-fetch-mode': 'navigate', 'sec-fetch-dest': 'document', 'user-agent': CHROME.replace('131', '130'), 'accept-language': 'de-DE' })));
    expect(clientClass(real)).not.toBe(clientClass(new Map(Object.entries({ 'user-agent': CHROME, accept: 'text/html', 'accept-language': 'en-GB' }))));
    expect(clientClass(browser({ 'x-ja4': 't13d1516h2_a' }))).not.toBe(clientClass(browser({ 'x-ja4': 't13d1812h1_b' })));
    const firefox = new Map([...real].map(([k, v]) => [k, k === 'user-agent' ? 'Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0' : v]));
    expect(clientClass(firefox)).not.toBe(clientClass(real));
  });

  it('client kind: the user agent product and header set, whatever its versions and header values', () => {
    const app = (ua: string) => new Map([['user-agent', ua]]);
    expect(clientKind(app('ShopApp/4.2.1 (Android 14) okhttp/4.12.0'))).toBe(clientKind(app('ShopApp/4.2.9 (Android 12) okhttp/4.12.0')));
    const full = (ua: string, lang: string) => new Map([['user-agent', ua], ['accept', 'application/json'], ['accept-language', lang], ['accept-encoding', 'gzip']]);
    expect(clientKind(full('ShopApp/4.2.1 (Android 14) okhttp/4.12.0', 'en-GB'))).toBe(clientKind(full('ShopApp/4.2.7 (Android 13) okhttp/4.12.0', 'de-DE')));
    // The app's key and user agent copied, not the headers its HTTP stack always sends.
    expect(clientKind(new Map([['user-agent', 'ShopApp/4.2.7 (Android 14) okhttp/4.12.0'], ['accept', 'application/json']]))).not.toBe(clientKind(full('ShopApp/4.2.7 (Android 14) okhttp/4.12.0', 'en-GB')));
    expect(clientKind(app('ShopApp/4.2.1'))).not.toBe(clientKind(app('python-requests/2.32.3')));
    expect(clientKind(app('ShopApp/4.2.1'))).not.toBe(clientKind(new Map([['user-agent', 'ShopApp/4.2.1'], ['x-ja4', 'x']])));
    // A signed-in user's own credential beside the shared key: another kind (whoever the user), the same fingerprint.
    const signedIn = (user: string) => new Map([...full('ShopApp/4.2.1', 'en-GB'), ['authorization', `Bearer ${user}`]]);
    expect(clientKind(signedIn('a'))).toBe(clientKind(signedIn('b')));
    expect(clientKind(signedIn('a'))).not.toBe(clientKind(full('ShopApp/4.2.1', 'en-GB')));
    expect(clientFingerprint(signedIn('a'))).toBe(clientFingerprint(full('ShopApp/4.2.1', 'en-GB')));
    // Whichever header the app keeps its users' sessions in: a custom one, a cookie.
    const withHeader = (name: string) => new Map([...full('ShopApp/4.2.1', 'en-GB'), ['x-api-key', 'shared'], [name, 'own-value']]);
    for (const name of ['x-shop-session', 'x-session-id', 'x-auth-token', 'x-access-token', 'x-csrf-token', 'cookie', 'x-user-jwt', 'x_sid']) {
      expect(carriesOwnCredential(withHeader(name)), name).toBe(true);
      expect(clientKind(withHeader(name)), name).toBe(clientKind(signedIn('a')));
    }
    // Names that only contain the words are no credentials; nor is the shared key or a device id.
    for (const name of ['x-tokenizer', 'x-authority-zone', 'x-device-id', 'x-request-id', 'x-sessionless']) {
      expect(carriesOwnCredential(withHeader(name)), name).toBe(false);
      expect(clientKind(withHeader(name)), name).toBe(clientKind(new Map([...full('ShopApp/4.2.1', 'en-GB'), ['x-api-key', 'other']])));
    }
    // A crowd naming extra headers at random stays in one cell: names other than credentials' make no kind.
    const kinds = new Set(Array.from({ length: 50 }, (_, i) => clientKind(withHeader(`x-r${i.toString(36)}q${(i * 7919).toString(36)}`))));
    expect(kinds.size).toBe(1);
    expect(claimsBrowser(app(CHROME))).toBe(true);
    expect(claimsBrowser(app('curl/8.5.0'))).toBe(false);
  });

  it("a user's own credential: the authorization, else a header named as a session; never the policy's key header, a cookie or a token-named header", () => {
    const h = (o: Record<string, string>) => new Map(Object.entries({ 'user-agent': 'ShopApp/4.2.1', 'x-api-key': 'k-1', ...o }));
    expect(ownCredential(h({ authorization: 'Bearer eyJ.user-1' }), 'x-api-key')).toEqual({ header: 'authorization', value: 'bearer eyJ.user-1' });
    expect(ownCredential(h({ 'x-session-token': 's-9' }), 'x-api-key')).toEqual({ header: 'x-session-token', value: 's-9' });
    expect(ownCredential(h({ 'x-myapp-sid': 'abc' }), null)).toEqual({ header: 'x-myapp-sid', value: 'abc' });
    // Both: the authorization is the one counted.
    expect(ownCredential(h({ 'x-session-token': 's-9', authorization: 'Bearer b' }), null)).toEqual({ header: 'authorization', value: 'bearer b' });
    // As the upstream reads it: the scheme in any case, spaces or a tab after it; a JWT by its signed part (its
    // signature's last base64url character has unused bits); a bare token as it is.
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.c2lnbmF0dXJlLW9mLXRoaXJ0eS10d28tYnl0ZXMtLS0tLS0tLS0';
    for (const v of [`Bearer ${jwt}`, `BEARER\t${jwt}`, `  bearer   ${jwt.slice(0, -1)}B `]) expect(ownCredential(h({ authorization: v }), null)!.value, v).toBe('bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0');
    expect(ownCredential(h({ authorization: `Token ${jwt}x.y` }), null)!.value).toBe(`token ${jwt}x.y`);
    expect(ownCredential(h({ authorization: 'opaque-token-1' }), null)!.value).toBe('opaque-token-1');
    expect(ownCredential(h({ 'x-session-token': ' s-9 ' }), null)!.value).toBe('s-9');
    // The policy reads its API keys from the authorization: that is the app's key, shared by every install.
    expect(ownCredential(h({ authorization: 'Bearer shared-key' }), 'authorization')).toBeNull();
    expect(ownCredential(h({ authorization: 'Bearer shared-key', 'x-session-id': 'u-1' }), 'authorization')).toEqual({ header: 'x-session-id', value: 'u-1' });
    // A session header the policy reads keys from is the key.
    expect(ownCredential(h({ 'x-session-key': 'k' }), 'x-session-key')).toBeNull();
    // Constants an app may ship to every install, cookies, empty values: none.
    for (const o of [{ 'x-app-token': 'c' }, { 'x-auth-token': 'c' }, { cookie: 'session=1' }, { authorization: '' }, { authorization: '  ' }, { 'x-session-id': ' ' }, { 'x-sessionless': '1' }, {}] as Array<Record<string, string>>) expect(ownCredential(h(o), 'x-api-key'), JSON.stringify(o)).toBeNull();
  });

  it('takes a user agent that names itself in the crawlers\' way for no browser, Internet Explorer and Konqueror for browsers', () => {
    const ua = (s: string) => new Map([['user-agent', s]]);
    expect(claimsBrowser(ua('Mozilla/5.0 (compatible; SiteStatusMonitor/2.0)'))).toBe(false);
    expect(claimsBrowser(ua('Mozilla/5.0+(compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)'))).toBe(false);
    expect(claimsBrowser(ua('Mozilla/5.0 (compatible; MSIE 10.0; Windows NT 6.2; Trident/6.0)'))).toBe(true);
    expect(claimsBrowser(ua('Mozilla/5.0 (compatible; Konqueror/4.5; Linux) KHTML/4.5.4 (like Gecko)'))).toBe(true);
    // Anything after the parenthesis is a browser's product list: no declared agent.
    expect(claimsBrowser(ua('Mozilla/5.0 (compatible; X/1.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36'))).toBe(true);
    expect(browserUserAgent('Mozilla/5.0 (compatible; SiteStatusMonitor/2.0)')).toBe(false);
    expect(browserUserAgent(CHROME)).toBe(true);
  });
});

describe('addresses and networks', () => {
  it('remembered addresses and networks are those computed, also once forgotten; a non-IP has no network', () => {
    const ips = ['203.0.113.7', '::ffff:203.0.113.7', '2001:db8:1:2:aaaa::1', 'not-an-ip', '10.0.0.256'];
    const expected = ips.map((ip) => [networkOf(ip, { ipv4: 32, ipv6: 64 }) || ip, networkOf(ip, { ipv4: 24, ipv6: 48 })]);
    for (let round = 0; round < 3; round++) {
      expect(ips.map((ip) => [clientAddress(ip, ''), clientNetwork(ip)])).toEqual(expected);
      for (let i = 0; i <= DIGEST_MEMO; i++) clientAddress(`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`, '');
    }
    expect(clientNetwork('')).toBe('');
  });

  it('IPv4: itself and its /24', () => {
    expect(clientAddress('203.0.113.7', '')).toBe('203.0.113.7/32');
    expect(clientNetwork('203.0.113.7')).toBe('203.0.113.0/24');
    expect(clientAddress('::ffff:203.0.113.7', '')).toBe('203.0.113.7/32');
    expect(clientNetwork('::ffff:203.0.113.7')).toBe('203.0.113.0/24');
  });

  it('IPv6: counted under its /64 (any address of it is the same client), network /48', () => {
    expect(clientAddress('2001:db8:1:2:aaaa::1', '')).toBe('2001:db8:1:2::/64');
    expect(clientAddress('2001:db8:1:2:ffff:ffff:ffff:ffff', '')).toBe('2001:db8:1:2::/64');
    expect(clientAddress('2001:db8:1:3::1', '')).not.toBe(clientAddress('2001:db8:1:2::1', ''));
    expect(clientNetwork('2001:db8:1:2::1')).toBe('2001:db8:1::/48');
    expect(clientNetwork('2001:db8:1:ffff::1')).toBe('2001:db8:1::/48');
    expect(clientAddress('fe80::1%eth0', '')).toBe('fe80::/64');
  });

  it('without an address: the SPIFFE principal, else "-"; no network', () => {
    expect(clientAddress('', 'spiffe://cluster.local/ns/a/sa/b')).toBe('spiffe:spiffe://cluster.local/ns/a/sa/b');
    expect(clientAddress('', '')).toBe('-');
    expect(clientNetwork('')).toBe('');
  });
});

describe('typedPageLoad', () => {
  const h = (o: Record<string, string>) => new Map(Object.entries(o));
  it('is a navigation no page sent, unless it is a reload; without fetch metadata it is not', () => {
    expect(typedPageLoad(h({ 'sec-fetch-site': 'none' }))).toBe(true);
    expect(typedPageLoad(h({ 'sec-fetch-site': 'none', 'cache-control': 'max-age=0' }))).toBe(false);
    expect(typedPageLoad(h({ 'sec-fetch-site': 'none', 'cache-control': 'no-cache' }))).toBe(false);
    expect(typedPageLoad(h({ 'sec-fetch-site': 'same-origin' }))).toBe(false);
    expect(typedPageLoad(h({ 'sec-fetch-site': 'cross-site' }))).toBe(false);
    expect(typedPageLoad(h({}))).toBe(false);
  });
});

describe('isPageLoad', () => {
  const h = (o: Record<string, string>) => new Map(Object.entries(o));
  it('is a GET for a document that asks for HTML, by fetch metadata first, else by asking for HTML', () => {
    expect(isPageLoad('GET', h({ 'sec-fetch-dest': 'document', 'sec-fetch-mode': 'navigate', accept: 'text/html' }))).toBe(true);
    expect(isPageLoad('GET', h({ 'sec-fetch-mode': 'navigate', accept: 'text/html,*/*;q=0.8' }))).toBe(true);
    // Every browser's navigation asks for HTML: a claimed one that asks for JSON (or for nothing) is no page load, and
    // its answer teaches the route nothing (the feed learns from page loads' answers only): a route that negotiates
    // answers it with data, which would teach a page route that it serves data.
    expect(isPageLoad('GET', h({ 'sec-fetch-dest': 'document', 'sec-fetch-mode': 'navigate', accept: 'application/json' }))).toBe(false);
    expect(isPageLoad('GET', h({ 'sec-fetch-mode': 'navigate' }))).toBe(false);
    expect(isPageLoad('GET', h({ accept: 'text/html,application/xhtml+xml,*/*;q=0.8' }))).toBe(true);
    // A page's API call and its images are not page loads, whatever they accept.
    expect(isPageLoad('GET', h({ 'sec-fetch-dest': 'empty', 'sec-fetch-mode': 'cors', accept: 'text/html' }))).toBe(false);
    expect(isPageLoad('GET', h({ 'sec-fetch-dest': 'image', accept: 'image/avif,*/*' }))).toBe(false);
    expect(isPageLoad('GET', h({ accept: 'application/json' }))).toBe(false);
    expect(isPageLoad('POST', h({ 'sec-fetch-dest': 'document' }))).toBe(false);
    expect(isPageLoad('HEAD', h({ accept: 'text/html' }))).toBe(false);
  });
});

describe('isSubresource', () => {
  const h = (o: Record<string, string>) => new Map(Object.entries(o));
  it("is a file of the kind a browser's fetch metadata names: a page's image, script, style sheet, font or media", () => {
    const files = { image: '/img/dest/york-480.webp?v=2', script: '/static/app.7328.js', style: '/static/main.css', font: '/static/fonts/inter-var.woff2', video: '/media/intro.mp4' };
    for (const [dest, path] of Object.entries(files)) expect(isSubresource(h({ 'sec-fetch-dest': dest }), path)).toBe(true);
    // A client sets the header: an API route or a page claimed as an image is none, nor a file of another kind.
    expect(isSubresource(h({ 'sec-fetch-dest': 'image' }), '/api/v1/fares?from=york')).toBe(false);
    expect(isSubresource(h({ 'sec-fetch-dest': 'image' }), '/journeys/york.leeds')).toBe(false);
    expect(isSubresource(h({ 'sec-fetch-dest': 'image' }), '/static/app.js')).toBe(false);
    expect(isSubresource(h({ 'sec-fetch-dest': 'image' }), '/img.png/fares')).toBe(false);
    // A page's API call, a document, a worker, or no fetch metadata: none.
    for (const dest of ['empty', 'document', 'iframe', 'worker']) expect(isSubresource(h({ 'sec-fetch-dest': dest }), '/img/a.png')).toBe(false);
    expect(isSubresource(h({ accept: 'image/webp,*/*' }), '/img/a.png')).toBe(false);
  });
});
