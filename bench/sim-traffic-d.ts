/**
 * Traffic model D: "Tallyboard" (tallyboard.io), a B2B analytics-dashboard SaaS on one host. Written without
 * looking at the detectors; every number is drawn per seed from a seeded PRNG (mulberry32).
 *
 * Site: a public marketing site (/, /pricing, /features/*, /integrations/*, /customers, /compare/*), a blog with
 * an RSS feed, docs (/docs/<section>/<page>, JSON docs search), a public template gallery (/templates/*, JSON
 * listing), and the product: a single-page app under /app (one HTML shell, hashed bundles from /_app/, then
 * fetch() to /api/v2 with `sec-fetch-mode: cors`, a long-poll on /api/v2/live every ~25 s, beacons to /api/v2/t,
 * a service worker, speculation-rule prefetches on the marketing site). Session cookie: `__Host-tb_sid`, set on
 * a browser's first response. Mobile app: /api/v1/mobile/* with `x-api-key` (all installs share one key);
 * the partner: /api/v1/* with its own key in `x-api-key`, the header the policy names (hourly sync, a daily batch
 * export, a customer's CI job).
 *
 * People (kind 'person', ~100-400 concurrent sessions, arrivals from 40 min before the run opens): app users
 * (mostly behind corporate egresses, some sharing Zscaler-like proxy addresses, fleets with one managed
 * Edge/Chrome build; SSO logins; expired sessions -> 401 -> login, typos; 403 on admin pages; 404 on deleted
 * dashboards; 304 revalidations; second tabs; exports polled every 2 s), wallboards and forgotten tabs that
 * poll through the whole run, marketing visitors (search/social referers, prefetch, cookie blockers, a11y users
 * with slow pacing, typo'd URLs), docs readers (developers, university NATs, Firefox/Linux), password resets
 * finished on a phone, mobile-app users on carrier CGNAT (a few IPv4 addresses shared by many phones) or an
 * IPv6 /64 per device (switching family mid-session), VPN users on data-centre exits. Old Safari (<16.4) sends
 * no fetch metadata; Firefox sends `te: trailers`. Infrastructure that is not an attack: Googlebot, bingbot,
 * UptimeRobot (HEAD), Pingdom, a customer's Datadog synthetic browser test, Feedly/Inoreader/NetNewsWire/
 * Miniflux on the RSS feed (mostly 304), chat link previews (Slackbot, Teams, Discord, LinkedIn, and WhatsApp /
 * iMessage fetched from the sharer's own phone). 50 % of seeds: an outage of 1-4 min (503) with reloads
 * (`cache-control: max-age=0`) and SPA retries with backoff. 50 % of seeds: the proxy adds `x-ja4`.
 *
 * Attacks (kind 'bot'), ranges drawn per seed:
 *   burst-cold/-warm     one client, 300-3000 req/min for 0.75-4 min; cold starts at 5 s-2 min of a 0-warm-up run,
 *                        warm 0.5-12 min after the warm-up; UA: a tool (python/go/curl/scrapy/aiohttp/httpx), a
 *                        "copy as cURL" Chrome header set (static, TLS imitated or not), or headless Chrome
 *                        rendering pages; targets: pages, the public JSON API, or report ids with its own trial
 *                        account's cookie; data-centre (70 %) or home address.
 *   residential-proxy    1500-5000 addresses (10-30 % IPv6) over 6-15 min, 1-5 requests each, a pool of 3-8
 *                        Chrome UAs (maybe stale), static header order (python dict or Chrome-like), sec-ch-ua
 *                        missing on 0-60 %, cookies dropped or kept per sticky session; TLS imitated or not.
 *   credential-stuffing  300-3000 addresses over 8-18 min, 1-4 logins each via JSON, form POST or the mobile login
 *                        with the app key; 0.3-2 % valid (200/302), 2-10 % 429; 20-80 % GET the login page
 *                        first; 10-40 % "careful" (page + assets, keep cookie, 4-15 s pauses).
 *   token-abuse          the app key or the partner key from 20-300 addresses over 8-18 min, 5-80 requests each,
 *                        the legitimate client's UA and headers copied (50 %) or a scripting UA; enumeration.
 *   crawler              2-6 data-centre addresses, 10-80 pages/min in total for 10-19 min, GET only, browser
 *                        UAs; each address renders (headless, visible or stealth) or fetches documents only.
 *   distributed-surge    200-1500 addresses, 2-8 requests each within a 2-6 min surge on 1-2 routes (template
 *                        search, docs search, password reset, signup, webinar page); HTTP lib or browser headers.
 *   low-and-slow         2-6 addresses for the whole window, one request every 5-60 s (mean per address):
 *                        probes (.env, .git, wp-login, actuator...), id enumeration; fresh or no session.
 *   campaign ('campaign', not an attack): 400-2500 first-time visitors in a newsletter (decaying clicks, mail
 *                        apps, Gmail custom tabs, link scanners) or a social ad (FB/IG/LinkedIn in-app browsers,
 *                        fbclid, facebookexternalhit); landing /lp/<name>?utm_*; 15-35 % bounce; some sign up.
 */
import type { Scenario, ScenarioName, SimEvent } from './sim-traffic.ts';

export const SESSION_COOKIE_D = '__Host-tb_sid';

const SEC = 1000, MIN = 60_000;
/** The site's own origin, in its pages' Referer and Origin headers. */
export const SITE_ORIGIN_D = 'https://tallyboard.io';
const ORIGIN = SITE_ORIGIN_D;
const APP_KEY = 'sim-mobile-app-key-0001', PARTNER_KEY = 'sim-partner-key-0002';
type Kind = SimEvent['kind'];
type H = Record<string, string>;
type P = Record<string, string | number | boolean>;

// ---- randomness -------------------------------------------------------------------------------------------
function hash(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}
function rng(seed: number) {
  let s = seed >>> 0;
  const f = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    f,
    u: (a: number, b: number) => a + (b - a) * f(),
    i: (a: number, b: number) => a + Math.floor((b - a + 1) * f()),
    p: (x: number) => f() < x,
    exp: (mean: number) => -mean * Math.log(1 - f()),
    pick: <T>(a: readonly T[]): T => a[Math.floor(f() * a.length)]!,
    w<T>(items: readonly (readonly [T, number])[]): T {
      let x = f() * items.reduce((s2, it) => s2 + it[1], 0);
      for (const it of items) if ((x -= it[1]) < 0) return it[0];
      return items[items.length - 1]![0];
    },
  };
}
type R = ReturnType<typeof rng>;
const hx = (n: number, len: number) => { let o = ''; let h = n >>> 0; while (o.length < len) { h = hash(o + h); o += h.toString(16).padStart(8, '0'); } return o.slice(0, len); };

// ---- run state (reset per generateScenarioD call) --------------------------------------------------------
let EV: SimEvent[] = [];
let END = 0, NID = 0, ACT = 0, OUT_A = -1, OUT_B = -1;
let JA4_ON = false;
const sidv = () => hx(hash('sid' + ++NID), 32);
const U = (p: string) => ORIGIN + p;

// ---- content ----------------------------------------------------------------------------------------------
const W = ['revenue', 'churn', 'cohort', 'pipeline', 'forecast', 'okr', 'latency', 'funnel', 'retention', 'usage', 'billing', 'sla', 'inventory', 'support', 'growth', 'cashflow', 'nps', 'uptime', 'hiring', 'marketing'];
const BLOG = Array.from({ length: 60 }, (_, k) => `/blog/${W[k % 20]}-${W[(k * 7 + 3) % 20]}-${['guide', 'playbook', 'explained', 'in-practice', 'checklist', 'deep-dive'][k % 6]}`);
const DOCS_S = ['getting-started', 'dashboards', 'widgets', 'data-sources', 'sql', 'alerts', 'api', 'sdk', 'sso', 'admin', 'billing'];
const DOCS = DOCS_S.flatMap((s, i) => Array.from({ length: 6 + ((i * 5) % 9) }, (_, k) => `/docs/${s}/${W[(i * 3 + k * 5) % 20]}${k ? '-' + ['setup', 'queries', 'limits', 'faq', 'examples', 'reference', 'migration'][k % 7] : ''}`));
const TPL = Array.from({ length: 150 }, (_, k) => `/templates/${W[k % 20]}-${['board', 'tracker', 'report', 'monitor', 'overview'][k % 5]}-${Math.floor(k / 20) + 1}`);
const MKT = ['/', '/pricing', '/features/dashboards', '/features/alerts', '/features/sql-editor', '/features/embedding', '/integrations', '/integrations/postgres', '/integrations/snowflake', '/integrations/stripe', '/integrations/hubspot', '/customers', '/security', '/about', '/careers', '/changelog', '/templates', '/blog', '/contact-sales', '/compare/looker', '/compare/metabase', '/docs'];
const TYPO = ['/pricng', '/feautres/dashboards', '/docs/api/authentification', '/blog/revenue-churn-guid', '/Pricing', '/docs/getting_started', '/integrations/snowflak', '/templates/revenue-board-9', '/careers/senior-engineer-2021'];
const A = { css: '/_app/immutable/main.7c1e4f2a.css', rt: '/_app/immutable/runtime.2b91d0e3.js', mk: '/_app/immutable/site.e83a51c9.js', vend: '/_app/immutable/vendor.93bd17f0.js', app: '/_app/immutable/app.5f0c2a7d.js', f1: '/_app/fonts/inter-var.4d2c9a.woff2', f2: '/_app/fonts/jbmono.1a7e03.woff2', logo: '/_app/img/logo.svg', fav: '/favicon.ico' };

function ctOf(p: string): string | undefined {
  const q = p.split('?')[0]!;
  const ext = q.slice(q.lastIndexOf('.') + 1);
  const m: Record<string, string> = { css: 'text/css', js: 'application/javascript', woff2: 'font/woff2', webp: 'image/webp', svg: 'image/svg+xml', png: 'image/png', ico: 'image/x-icon', txt: 'text/plain', webmanifest: 'application/manifest+json', php: 'text/html', zip: 'application/zip' };
  if (q.endsWith('rss.xml')) return 'application/rss+xml';
  if (ext === 'xml') return 'application/xml';
  if (ext === 'json' && !q.startsWith('/api/')) return 'application/json';
  return m[ext];
}

// ---- browsers and clients ---------------------------------------------------------------------------------
type Fam = 'cr' | 'ff' | 'sf';
type Dest = 'doc' | 'xhr' | 'script' | 'style' | 'img' | 'font' | 'sw' | 'beacon' | 'manifest';
interface Br { fam: Fam; ua: string; ch: string; mob: boolean; plat: string; lang: string; meta: boolean; zstd: boolean; prio: boolean; ja4: string; extra: H }
interface C { id: string; kind: Kind; ip: string; ja4: string; b: Br | null; h: H; jar: string[]; sid: string; keep: boolean; cached: boolean; auth: boolean; sso?: boolean; roam?: () => string }
interface RO { dest?: Dest; ref?: string; site?: string; user?: boolean; ct?: string; inm?: boolean; pf?: boolean; reload?: boolean; acc?: string; hx?: H; rt?: string; noSet?: boolean }

const JA4: Record<string, string> = {
  chrome: 't13d1516h2_8daaf6152771_d8a2da3f94cd', chromeOld: 't13d1516h2_8daaf6152771_02713d6af862', firefox: 't13d1717h2_5b57614c22b0_3cbfd9057e0d',
  safari: 't13d2014h2_a09f3c656075_e42f34c56612', okhttp: 't13d1613h2_46e7e9700bed_eca864cca44a', python: 't13d1812h1_85036bcba153_375ca2c5e164',
  go: 't13d1312h2_f57a46bbacb6_e7c285222651', curl: 't13d3112h2_e8f1e7e78f70_6bebaf5329ac', java: 't13d4406h2_c3d8b1b9a2d4_8b5e7fa1d2f0',
  node: 't13d5911h1_a33745022dd6_1f22a2ca17c4', cfnet: 't13d2013h2_a09f3c656075_7f0f34a4126d',
};
const GREASE: Record<number, string> = { 131: '"Not_A Brand";v="24"', 130: '"Not?A_Brand";v="99"', 129: '"Not=A?Brand";v="8"', 128: '"Not;A=Brand";v="24"', 127: '"Not)A;Brand";v="99"', 126: '"Not/A)Brand";v="8"', 124: '"Not-A.Brand";v="99"', 122: '"Not(A:Brand";v="24"', 120: '"Not_A Brand";v="8"', 116: '"Not)A;Brand";v="24"', 109: '"Not_A Brand";v="99"' };
const OSUA: Record<string, string> = { win: 'Windows NT 10.0; Win64; x64', mac: 'Macintosh; Intel Mac OS X 10_15_7', linux: 'X11; Linux x86_64', android: 'Linux; Android 10; K', cros: 'X11; CrOS x86_64 14541.0.0' };
const PLAT: Record<string, string> = { win: '"Windows"', mac: '"macOS"', linux: '"Linux"', android: '"Android"', cros: '"Chrome OS"' };
const NAV_CR = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7';
const NAV_FF = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
const ACC: Record<Fam, [string, string]> = {
  cr: [NAV_CR, 'image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8'],
  ff: [NAV_FF, 'image/avif,image/webp,image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5'],
  sf: [NAV_FF, 'image/webp,image/avif,image/jxl,image/heic,image/heic-sequence,video/*;q=0.8,image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5'],
};
const MODE: Record<Dest, [string, string]> = { doc: ['navigate', 'document'], xhr: ['cors', 'empty'], script: ['no-cors', 'script'], style: ['no-cors', 'style'], img: ['no-cors', 'image'], font: ['cors', 'font'], sw: ['same-origin', 'serviceworker'], beacon: ['no-cors', 'empty'], manifest: ['cors', 'manifest'] };
const PRIO_CR: Record<Dest, string> = { doc: 'u=0, i', xhr: 'u=1, i', script: 'u=1', style: 'u=0', img: 'u=1, i', font: 'u=0', sw: 'u=1', beacon: 'u=4, i', manifest: 'u=4' };
const PRIO_FF: Record<Dest, string> = { doc: 'u=0, i', xhr: 'u=4', script: 'u=2', style: 'u=2', img: 'u=5, i', font: 'u=3', sw: 'u=4', beacon: 'u=6', manifest: 'u=4' };

function lang(fam: Fam, tag: string) {
  const base = tag.split('-')[0]!;
  if (fam === 'ff') return base === 'en' ? `${tag},en;q=0.5` : `${tag},${base};q=0.8,en-US;q=0.5,en;q=0.3`;
  return base === 'en' ? `${tag},en;q=0.9` : `${tag},${base};q=0.9,en-US;q=0.8,en;q=0.7`;
}
const pickLang = (r: R) => r.w([['en-US', 45], ['en-GB', 14], ['de-DE', 10], ['fr-FR', 6], ['nl-NL', 5], ['es-ES', 4], ['pt-BR', 4], ['sv-SE', 3], ['en-IN', 4], ['ja-JP', 2], ['en-AU', 3]] as const);
function chUa(brand: string, v: number) {
  const parts = [`"Chromium";v="${v}"`, GREASE[v] ?? '"Not_A Brand";v="8"'];
  if (brand) parts.push(`"${brand}";v="${v}"`);
  for (let k = 0; k < v % 3; k++) parts.push(parts.shift()!);
  return parts.join(', ');
}
function chromium(v: number, os: string, brand: string, tag: string): Br {
  const mob = os === 'android', head = brand === 'HeadlessChrome';
  let ua = `Mozilla/5.0 (${OSUA[os]}) AppleWebKit/537.36 (KHTML, like Gecko) ${head ? 'HeadlessChrome' : 'Chrome'}/${v}.0.0.0 ${mob ? 'Mobile ' : ''}Safari/537.36`;
  if (brand === 'Microsoft Edge') ua += mob ? ` EdgA/${v}.0.0.0` : ` Edg/${v}.0.0.0`;
  const extra: H = brand === 'Brave' ? { 'sec-gpc': '1' } : {};
  return { fam: 'cr', ua, ch: chUa(brand, v), mob, plat: PLAT[os]!, lang: tag ? lang('cr', tag) : '', meta: true, zstd: v >= 123, prio: v >= 124, ja4: v >= 124 ? JA4.chrome! : JA4.chromeOld!, extra };
}
function firefox(v: number, os: string, tag: string): Br {
  const o = os === 'win' ? 'Windows NT 10.0; Win64; x64' : os === 'mac' ? 'Macintosh; Intel Mac OS X 10.15' : os === 'android' ? 'Android 14; Mobile' : 'X11; Ubuntu; Linux x86_64';
  return { fam: 'ff', ua: `Mozilla/5.0 (${o}; rv:${v}.0) Gecko/${os === 'android' ? v + '.0' : '20100101'} Firefox/${v}.0`, ch: '', mob: os === 'android', plat: '', lang: lang('ff', tag), meta: true, zstd: v >= 126, prio: v >= 128, ja4: JA4.firefox!, extra: {} };
}
function safari(v: string, os: 'mac' | 'ios', tag: string, ua?: string): Br {
  const vv = parseFloat(v), iv = v.replace('.', '_');
  ua ??= os === 'mac' ? `Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/${v} Safari/605.1.15`
    : `Mozilla/5.0 (iPhone; CPU iPhone OS ${iv} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/${v} Mobile/15E148 Safari/604.1`;
  return { fam: 'sf', ua, ch: '', mob: os === 'ios', plat: '', lang: lang('sf', tag), meta: vv >= 16.4, zstd: false, prio: vv >= 18, ja4: JA4.safari!, extra: {} };
}
const CV = [[131, 45], [130, 30], [129, 10], [128, 6], [127, 3], [126, 2], [124, 2], [120, 1], [116, 1]] as const;
function randBr(r: R, mobile: boolean, dev = false): Br {
  const t = pickLang(r), v = r.w(CV);
  if (mobile) return r.w<() => Br>([
    [() => safari(r.pick(['18.1', '18.0', '17.6', '17.5', '17.4']), 'ios', t), 46], [() => safari(r.pick(['16.1', '15.7', '16.3']), 'ios', t), 4],
    [() => chromium(v, 'android', 'Google Chrome', t), 34], [() => firefox(132, 'android', t), 2], [() => chromium(v, 'android', 'Microsoft Edge', t), 2],
    [() => { const b = chromium(122, 'android', '', t); b.ua = 'Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S921B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36'; b.ch = '"Chromium";v="122", "Not(A:Brand";v="24", "Samsung Internet";v="26.0"'; return b; }, 9],
    [() => safari('18.1', 'ios', t, `Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/${v}.0.6778.73 Mobile/15E148 Safari/604.1`), 3],
  ])();
  return r.w<() => Br>([
    [() => chromium(v, r.w([['win', 6], ['mac', 3], ['linux', dev ? 2 : 0.3], ['cros', 0.3]]), 'Google Chrome', t), 55],
    [() => chromium(v, r.p(0.9) ? 'win' : 'mac', 'Microsoft Edge', t), 14],
    [() => firefox(r.w([[133, 5], [132, 3], [128, 1.5], [115, 0.7]]), r.w([['win', 4], ['mac', 2], ['linux', dev ? 5 : 1]]), t), dev ? 22 : 9],
    [() => safari(r.w([['18.1', 5], ['18.0', 2], ['17.6', 3], ['17.4', 1], ['16.1', 0.6], ['15.6', 0.5]]), 'mac', t), 14],
    [() => chromium(v, r.p(0.7) ? 'mac' : 'win', 'Brave', t), 3],
    [() => chromium(r.pick([109, 116, 120]), 'win', 'Google Chrome', t), 2],
  ])();
}

const cookie = (c: C) => (c.keep ? [...c.jar, ...(c.sid ? [`${SESSION_COOKIE_D}=${c.sid}`] : [])].join('; ') : '');
function bh(c: C, method: string, path: string, o: RO): H {
  const b = c.b!, d = o.dest ?? 'xhr', nav = d === 'doc', h: H = {};
  const put = (k: string, v: string | undefined) => { if (v) h[k] = v; };
  const acc = nav ? ACC[b.fam][0] : d === 'img' ? ACC[b.fam][1] : d === 'style' ? 'text/css,*/*;q=0.1' : d === 'xhr' ? (o.acc ?? 'application/json') : '*/*';
  const [mode, dst] = MODE[d], site = o.site ?? 'same-origin', ck = cookie(c);
  const org = (method !== 'GET' && method !== 'HEAD') || d === 'font' || d === 'manifest' ? ORIGIN : undefined;
  const inm = o.inm ? `W/"${hx(hash(path), 16)}"` : undefined, enc = b.zstd ? 'gzip, deflate, br, zstd' : 'gzip, deflate, br';
  const meta = (order: string[]) => { if (!b.meta) return; for (const k of order) put(`sec-fetch-${k}`, k === 'site' ? site : k === 'mode' ? mode : k === 'dest' ? dst : nav && o.user && !o.pf ? '?1' : undefined); };
  if (b.fam === 'cr') {
    if (nav) {
      put('sec-ch-ua', b.ch); if (b.ch) { put('sec-ch-ua-mobile', b.mob ? '?1' : '?0'); put('sec-ch-ua-platform', b.plat); }
      if (o.reload) put('cache-control', 'max-age=0');
      put('upgrade-insecure-requests', '1'); put('user-agent', b.ua); put('accept', acc); if (o.pf) put('sec-purpose', 'prefetch');
    } else {
      if (b.ch) put('sec-ch-ua-platform', b.plat);
      put('user-agent', b.ua); put('accept', acc); put('sec-ch-ua', b.ch); put('content-type', o.ct);
      if (b.ch) put('sec-ch-ua-mobile', b.mob ? '?1' : '?0');
      if (d === 'sw') put('service-worker', 'script');
    }
    for (const k in o.hx) put(k, o.hx[k]);
    put('origin', org); meta(['site', 'mode', 'user', 'dest']); put('referer', o.ref);
    put('accept-encoding', enc); put('accept-language', b.lang); put('cookie', ck); put('if-none-match', inm);
    if (b.prio) put('priority', PRIO_CR[d]);
  } else if (b.fam === 'ff') {
    put('user-agent', b.ua); put('accept', acc); put('accept-language', b.lang); put('accept-encoding', enc);
    put('content-type', o.ct); for (const k in o.hx) put(k, o.hx[k]);
    put('origin', org); put('referer', o.ref); if (nav) put('upgrade-insecure-requests', '1'); put('cookie', ck);
    meta(['dest', 'mode', 'site', 'user']); put('if-none-match', inm); if (o.reload) put('cache-control', 'max-age=0');
    if (b.prio) put('priority', PRIO_FF[d]); put('te', 'trailers');
  } else {
    put('content-type', o.ct); put('accept', acc); if (b.meta) put('sec-fetch-site', site); put('origin', org); put('cookie', ck);
    if (b.meta) put('sec-fetch-dest', dst); put('accept-language', b.lang); if (b.meta) put('sec-fetch-mode', mode);
    for (const k in o.hx) put(k, o.hx[k]);
    put('user-agent', b.ua); put('referer', o.ref); put('if-none-match', inm); put('accept-encoding', enc);
    if (b.prio && nav) put('priority', 'u=0, i');
  }
  for (const k in b.extra) put(k, b.extra[k]);
  return h;
}

function emit(at: number, c: C, method: string, path: string, h: H, code: number, rt?: string) {
  if (!(at >= 0 && at < END)) return;
  if (JA4_ON && c.ja4) h['x-ja4'] = c.ja4;
  const e: SimEvent = { at: Math.floor(at), seq: 0, actor: c.id, kind: c.kind, method, path, ip: c.ip, headers: h, code };
  if (rt) e.contentType = rt;
  EV.push(e);
}
const down = (at: number, path: string) => at >= OUT_A && at < OUT_B && !path.startsWith('/_app') && !path.startsWith('/media') && hash(path + Math.floor(at)) % 10 < 9;
/** One request from any client: browser header logic for browsers, the fixed header set (+extras) for tools. */
function rq(c: C, at: number, method: string, path: string, code: number, o: RO = {}): number {
  if (down(at, path)) code = r503(path);
  let h: H;
  if (c.b) h = bh(c, method, path, o);
  else { h = { ...c.h, ...o.hx }; if (o.ct) h['content-type'] = o.ct; const ck = cookie(c); if (ck) h['cookie'] = ck; }
  emit(at, c, method, path, h, code, o.rt ?? (o.dest === 'doc' && path.startsWith('/api/') ? 'text/html' : ctOf(path)));
  if (c.keep && !c.sid && code < 500 && !o.noSet) c.sid = sidv();
  return code;
}
const r503 = (p: string) => (p.startsWith('/api/') ? 503 : 502);
function mk(kind: Kind, ip: string, b: Br | null, o: Partial<C> = {}): C {
  return { id: `${kind === 'person' ? 'p' : kind === 'bot' ? 'b' : 'c'}${++ACT}`, kind, ip, ja4: b?.ja4 ?? '', b, h: {}, jar: [], sid: '', keep: true, cached: false, auth: false, ...o };
}
function tool(name: string): { h: H; ja4: string } {
  const t: Record<string, [H, string]> = {
    python: [{ 'user-agent': 'python-requests/2.32.3', 'accept-encoding': 'gzip, deflate', accept: '*/*' }, 'python'],
    go: [{ 'user-agent': 'Go-http-client/2.0', 'accept-encoding': 'gzip' }, 'go'],
    curl: [{ 'user-agent': 'curl/8.5.0', accept: '*/*' }, 'curl'],
    scrapy: [{ accept: NAV_FF, 'accept-language': 'en', 'user-agent': 'Scrapy/2.11.2 (+https://scrapy.org)', 'accept-encoding': 'gzip, deflate, br' }, 'python'],
    aiohttp: [{ 'user-agent': 'Python/3.12 aiohttp/3.9.5', accept: '*/*', 'accept-encoding': 'gzip, deflate' }, 'python'],
    httpx: [{ accept: '*/*', 'accept-encoding': 'gzip, deflate', 'user-agent': 'python-httpx/0.27.2' }, 'python'],
    axios: [{ accept: 'application/json, text/plain, */*', 'user-agent': 'axios/1.7.7', 'accept-encoding': 'gzip, compress, deflate, br' }, 'node'],
    node: [{ accept: '*/*', 'accept-language': '*', 'sec-fetch-mode': 'cors', 'user-agent': 'node', 'accept-encoding': 'gzip, deflate' }, 'node'],
    java: [{ 'user-agent': 'Java-http-client/17.0.12' }, 'java'],
  };
  const [h, j] = t[name]!;
  return { h, ja4: JA4[j]! };
}

// ---- addresses --------------------------------------------------------------------------------------------
const v4 = (r: R, p: string) => { const s = p.split('.'); while (s.length < 4) s.push(String(s.length === 3 ? r.i(1, 254) : r.i(0, 255))); return s.join('.'); };
const v6 = (r: R, p: string) => { const s = p.split(':'); while (s.length < 8) s.push(r.i(0, 0xffff).toString(16)); return s.join(':'); };
const RES4 = ['73', '98', '24', '71', '76', '99', '107', '108', '72', '67', '86', '81', '79', '87', '91', '90', '92', '84', '178', '188', '151', '82', '2.2', '109', '94', '62', '80', '176', '77', '213', '121', '180'];
const RES6 = ['2601', '2600:1700', '2603:6000', '2a02:8109', '2003:e8', '2a01:cb00', '2a00:23c5', '2a02:a46b', '2001:1c00', '2a01:e0a'];
const DC = ['3', '18', '34', '35', '52', '54', '13', '20', '40', '4', '65.108', '95.216', '135.181', '5.161', '49.12', '51.38', '51.75', '54.36', '141.94', '57.128', '64.227', '137.184', '159.89', '167.99', '142.93', '172.104', '45.79', '45.32', '149.28', '45.76'];
const resIp = (r: R, v6p = 0.22) => (r.p(v6p) ? v6(r, r.pick(RES6)) : v4(r, r.pick(RES4)));
const dcIp = (r: R) => v4(r, r.pick(DC));
interface Corp { ips: string[]; br: Br; sso: boolean }
interface Nets { cgnat: string[]; corps: Corp[]; unis: string[][]; vpn: string[] }
function mkNets(r: R): Nets {
  const zs = Array.from({ length: 4 }, () => v4(r, r.pick(['165.225', '136.226', '147.161'])));
  const corps = Array.from({ length: r.i(8, 16) }, () => {
    const z = r.p(0.3), os = r.p(0.8) ? 'win' : 'mac';
    const br = r.p(0.6) ? chromium(r.pick([130, 131]), 'win', 'Microsoft Edge', r.pick(['en-US', 'en-GB', 'de-DE'])) : chromium(r.pick([129, 130, 131]), os, 'Google Chrome', r.pick(['en-US', 'en-GB', 'nl-NL', 'fr-FR']));
    return { ips: z ? [r.pick(zs), r.pick(zs)] : Array.from({ length: r.i(1, 3) }, () => v4(r, r.pick(['12', '63', '204', '195', '212', '193', '217', '38', '208']))), br, sso: r.p(0.5) };
  });
  return { cgnat: Array.from({ length: r.i(16, 40) }, () => v4(r, r.pick(['172.56', '172.58', '174.205', '174.240', '166.205', '107.77', '31.94', '92.40', '80.187']))),
    corps, unis: Array.from({ length: 3 }, () => { const b = r.pick(['128.2', '129.67', '130.88', '131.111', '141.20', '155.198']); return Array.from({ length: r.i(3, 8) }, () => v4(r, `${b}.${r.i(0, 3)}`)); }),
    vpn: Array.from({ length: r.i(8, 20) }, () => v4(r, r.pick(['185.203', '37.120', '89.187', '193.138', '146.70', '104.28', '185.159', '198.44']))) };
}
function person(r: R, N: Nets, kind: Kind, o: { mobile?: boolean; corp?: number; dev?: boolean } = {}): C {
  const mobile = o.mobile ?? r.p(0.33);
  const where = mobile ? r.w([['mob', 0.6], ['home', 0.35], ['vpn', 0.05]] as const) : r.w([['home', 0.5], ['corp', o.corp ?? 0.15], ['uni', o.dev ? 0.12 : 0.04], ['vpn', 0.06]] as const);
  let b = randBr(r, mobile, o.dev), ip: string, roam: (() => string) | undefined;
  if (where === 'mob') {
    const pfx = v6(r, r.pick(['2607:fb90', '2600:1012', '2a01:598', '2a00:1e88'])).split(':').slice(0, 4).join(':');
    const six = () => v6(r, pfx);
    roam = () => (r.p(0.6) ? six() : r.pick(N.cgnat));
    ip = roam();
  } else if (where === 'corp') { const co = r.pick(N.corps); ip = r.pick(co.ips); if (r.p(0.75)) b = co.br; }
  else if (where === 'uni') ip = r.pick(r.pick(N.unis));
  else if (where === 'vpn') ip = r.pick(N.vpn);
  else ip = resIp(r);
  const c = mk(kind, ip, b, { roam });
  if (r.p(0.5)) c.jar.push(`_ga=GA1.1.${r.i(1e8, 2e9)}.${r.i(1.6e9, 1.73e9)}`);
  return c;
}

// ---- page and app building blocks -------------------------------------------------------------------------
function nav(c: C, r: R, t: number, path: string, code: number, o: RO): number {
  for (let k = 0; ; k++) {
    const got = rq(c, t, 'GET', path, code, { ...o, dest: 'doc', reload: k > 0 || o.reload });
    if (got < 500 || k >= 5 || r.p(0.2)) return t + r.u(90, 700);
    t += r.u(1500, 9000);
  }
}
/** SPA fetch with the app's retry (1, 2, 4 s backoff on 5xx). Returns [time when answered, code]. */
function api(c: C, r: R, t: number, method: string, path: string, code: number, o: RO = {}, tries = 3): [number, number] {
  const hx2 = { 'x-tb-client': 'web/2024.11.4', ...(method !== 'GET' ? { 'x-csrf-token': hx(hash(c.sid), 24) } : {}), ...o.hx };
  for (let k = 0; ; k++) {
    const got = rq(c, t, method, path, code, { ...o, dest: 'xhr', hx: hx2, ct: method === 'GET' ? undefined : o.ct ?? 'application/json' });
    if (got < 500 || k >= tries) return [t + r.u(40, 450), got];
    t += 1000 * 2 ** k + r.u(0, 300);
  }
}
function assets(c: C, r: R, t: number, ref: string, app: boolean) {
  const list = app ? [A.css, A.rt, A.vend, A.app, A.f1, A.f2, A.logo, A.fav] : [A.css, A.rt, A.mk, A.f1, A.logo, A.fav, '/site.webmanifest'];
  for (const p of list) {
    const dest: Dest = p.endsWith('.css') ? 'style' : p.endsWith('.js') ? 'script' : p.endsWith('.woff2') ? 'font' : p.endsWith('webmanifest') ? 'manifest' : 'img';
    rq(c, t + r.u(5, dest === 'img' ? 900 : 250), 'GET', p, 200, { dest, ref });
  }
  c.cached = true;
}
function pubPage(c: C, r: R, t: number, path: string, o: { ref?: string; site?: string; pf?: boolean }): number {
  const bad = TYPO.includes(path);
  const tt = o.pf ? t + r.u(20, 80) : nav(c, r, t, path, bad ? 404 : c.cached && path.startsWith('/docs') && r.p(0.15) ? 304 : 200, { ref: o.ref, site: o.site ?? 'same-origin', user: true, inm: c.cached && path.startsWith('/docs') });
  const ref = U(path);
  if (!c.cached || r.p(0.03)) assets(c, r, tt, ref, false);
  const n = bad ? 0 : path.startsWith('/docs') ? r.i(0, 2) : r.i(1, 6);
  for (let k = 0; k < n; k++) rq(c, tt + (k > 2 ? r.u(2000, 25000) : r.u(60, 1200)), 'GET', `/media/${hx(hash(path) + k, 10)}.webp?w=${r.pick([640, 960, 1280])}`, 200, { dest: 'img', ref });
  if (path.startsWith('/docs/') && r.p(0.3)) {
    const q = r.pick(W), s = tt + r.u(3000, 30000);
    for (let k = 2; k <= Math.min(q.length, r.i(3, 7)); k++) rq(c, s + k * r.u(120, 400), 'GET', `/api/docs/search?q=${q.slice(0, k)}`, 200, { dest: 'xhr', ref, acc: '*/*' });
  }
  if (path.startsWith('/templates') && !bad) rq(c, tt + r.u(100, 600), 'GET', `/api/v2/public/templates?category=${r.pick(W)}&page=1`, 200, { dest: 'xhr', ref, acc: '*/*' });
  if (r.p(0.4)) rq(c, tt + r.u(2000, 40000), 'POST', '/api/v2/t', 204, { dest: 'beacon', ref, ct: 'text/plain;charset=UTF-8' });
  return tt;
}
function nextPub(r: R, cur: string): string {
  if (cur.startsWith('/docs')) return r.p(0.8) ? r.pick(DOCS) : r.pick(['/', '/pricing', '/changelog', '/login']);
  if (cur.startsWith('/blog')) return r.p(0.5) ? r.pick(BLOG) : r.pick(MKT);
  if (cur.startsWith('/templates/')) return r.p(0.7) ? r.pick(TPL) : '/signup';
  return r.w([[r.pick(MKT), 6], ['/pricing', 3], [r.pick(BLOG), 2], [r.pick(DOCS), 2], ['/signup', 0.8], ['/login', 1.2], [r.pick(TPL), 1.5], [r.pick(TYPO), 0.2]]);
}
/** Public-site visit: landing page then pages; may end in login/signup (then the app). */
function pubSession(c: C, r: R, N: Nets, t: number, land: string, o: { ref?: string; site?: string; pages: number; think: number }) {
  let cur = land, ref = o.ref, site = o.site ?? 'none', pf = false;
  for (let k = 0; k < o.pages; k++) {
    if (c.roam && r.p(0.08)) c.ip = c.roam();
    if (cur === '/login') return loginFlow(c, r, N, t, ref, site);
    if (cur === '/signup') return signupFlow(c, r, t, ref, site);
    t = pubPage(c, r, t, cur, { ref, site, pf });
    const think = r.exp(o.think) + 2 * SEC, nxt = nextPub(r, cur);
    pf = c.b?.fam === 'cr' && o.think < 60 * SEC && r.p(0.3) && !nxt.startsWith('/log') && !nxt.startsWith('/sig');
    if (pf) rq(c, t + think * r.u(0.5, 0.95), 'GET', nxt, 200, { dest: 'doc', pf: true, ref: U(cur) });
    else if (c.b?.fam === 'cr' && r.p(0.1)) rq(c, t + r.u(1000, 9000), 'GET', nextPub(r, cur), 200, { dest: 'doc', pf: true, ref: U(cur) });
    ref = U(cur); site = 'same-origin'; cur = nxt; t += think;
  }
}
function loginFlow(c: C, r: R, N: Nets, t: number, ref: string | undefined, site: string) {
  t = nav(c, r, t, '/login', 200, { ref, site, user: true });
  if (!c.cached) assets(c, r, t, U('/login'), false);
  t += r.u(6, 25) * SEC;
  if (r.p(0.06)) return resetFlow(c, r, N, t);
  for (let k = 0; k < 4; k++) {
    const ok = r.p(k === 0 ? 0.8 : 0.6);
    api(c, r, t, 'POST', '/api/v2/auth/login', ok ? 200 : k >= 2 && r.p(0.3) ? 429 : 401, { ref: U('/login') });
    if (ok) { c.sid = sidv(); c.auth = true; return appSession(c, r, t + r.u(300, 900), r.exp(12 * MIN) + MIN, 'active', r.i(1, 4000), '/app'); }
    t += r.u(4, 20) * SEC;
  }
}
function resetFlow(c: C, r: R, N: Nets, t: number) {
  t = nav(c, r, t, '/forgot-password', 200, { ref: U('/login'), user: true });
  api(c, r, t + r.u(8, 30) * SEC, 'POST', '/api/v2/auth/password-reset', 202, { ref: U('/forgot-password') });
  const ph = r.p(0.5) ? person(r, N, c.kind, { mobile: true }) : c, tok = hx(hash(c.id + t), 40);
  let tt = nav(ph, r, t + r.u(0.5, 6) * MIN, `/reset-password?token=${tok}`, 200, { site: 'none', user: true });
  if (!ph.cached) assets(ph, r, tt, U('/reset-password'), false);
  tt += r.u(10, 40) * SEC;
  if (r.p(0.2)) { api(ph, r, tt, 'POST', '/api/v2/auth/password-reset/confirm', 422, { ref: U('/reset-password') }); tt += r.u(8, 20) * SEC; }
  api(ph, r, tt, 'POST', '/api/v2/auth/password-reset/confirm', 200, { ref: U('/reset-password') });
  ph.sid = sidv(); ph.auth = true;
  appSession(ph, r, tt + SEC, r.exp(4 * MIN) + MIN, 'active', r.i(1, 4000), '/app');
}
function signupFlow(c: C, r: R, t: number, ref: string | undefined, site: string) {
  t = nav(c, r, t, '/signup', 200, { ref, site, user: true });
  if (!c.cached) assets(c, r, t, U('/signup'), false);
  t += r.u(20, 90) * SEC;
  if (r.p(0.35)) return;
  const [t2, code] = api(c, r, t, 'POST', '/api/v2/auth/signup', r.w([[201, 8], [409, 1], [422, 1]]), { ref: U('/signup') });
  if (code !== 201) return;
  c.sid = sidv(); c.auth = true; const ws = r.i(4000, 9000);
  t = nav(c, r, t2 + r.u(200, 800), '/app/onboarding', 200, { ref: U('/signup') });
  assets(c, r, t, U('/app/onboarding'), true);
  for (const [m, p, cd] of [['GET', '/api/v2/me', 200], ['POST', '/api/v2/workspaces', 201], ['GET', '/api/v2/integrations/catalog', 200], ['POST', '/api/v2/data-sources/test', r.p(0.4) ? 422 : 200], ['POST', '/api/v2/data-sources', 201]] as const) {
    t = api(c, r, t + r.u(2, 40) * SEC, m, p, cd, { ref: U('/app/onboarding') })[0];
  }
  appSession(c, r, t, r.exp(6 * MIN) + MIN, 'active', ws, `/app/w/${ws}/d/${r.i(1, 3)}`);
}

/** The SPA: a document load, bundles (cached or not), bootstrap calls, a long-poll loop per tab, in-app views. */
function appBoot(c: C, r: R, t: number, route: string, ws: number, o: RO): number {
  if (c.roam && r.p(0.1)) c.ip = c.roam();
  t = nav(c, r, t, route, 200, { ...o, hx: r.p(0.25) ? { 'service-worker-navigation-preload': 'true' } : undefined });
  const ref = U(route);
  if (!c.cached || r.p(0.12)) assets(c, r, t, ref, true);
  if (r.p(0.3)) rq(c, t + r.u(500, 3000), 'GET', '/sw.js', r.p(0.8) ? 304 : 200, { dest: 'sw', ref, rt: 'application/javascript' });
  t += r.u(150, 900);
  let [t2, code] = api(c, r, t, 'GET', '/api/v2/me', c.auth ? 200 : 401, { ref });
  if (code === 401) {
    api(c, r, t2 + r.u(100, 300), 'GET', '/api/v2/auth/providers', 200, { ref: U('/login') });
    t2 += r.u(5, 30) * SEC;
    if (c.sso || r.p(0.1)) {
      nav(c, r, t2, `/api/v2/auth/sso/start?domain=${hx(ws, 6)}.com`, 302, { ref: U('/login'), user: true });
      t2 = nav(c, r, t2 + r.u(2, 9) * SEC, `/api/v2/auth/sso/callback?code=${hx(hash(c.id + t2), 32)}&state=${hx(t2, 16)}`, 302, { ref: 'https://login.microsoftonline.com/', site: 'cross-site' });
    } else {
      while (r.p(0.2)) { api(c, r, t2, 'POST', '/api/v2/auth/login', 401, { ref: U('/login') }); t2 += r.u(4, 15) * SEC; }
      api(c, r, t2, 'POST', '/api/v2/auth/login', 200, { ref: U('/login') });
    }
    c.sid = sidv(); c.auth = true;
    t2 = api(c, r, t2 + r.u(200, 800), 'GET', '/api/v2/me', 200, { ref })[0];
  }
  for (const p of [`/api/v2/workspaces/${ws}/bootstrap`, '/api/v2/notifications?unread=1', `/api/v2/workspaces/${ws}/dashboards?limit=50`]) api(c, r, t2 + r.u(0, 40), 'GET', p, 200, { ref });
  return t2 + r.u(200, 700);
}
function poll(c: C, r: R, t: number, end: number, route: () => string) {
  let cur = r.i(1e6, 9e6), fails = 0;
  while (t < end) {
    const data = r.p(0.25), [, code] = api(c, r, t, 'GET', `/api/v2/live?cursor=${cur}`, data ? 200 : 204, { ref: U(route()) }, 0);
    if (data) cur += r.i(1, 5);
    fails = code >= 500 ? fails + 1 : 0;
    t += fails ? Math.min(30, 2 ** fails) * r.u(0.8, 1.2) * SEC : data ? r.u(0.2, 20) * SEC : r.u(25, 25.4) * SEC;
  }
}
function widgets(c: C, r: R, t: number, d: number, ref: string, n: number, inm = false) {
  for (let k = 0; k < n; k++) {
    const rev = inm && r.p(0.5);
    api(c, r, t + r.u(0, 60) + (k > 6 ? r.u(100, 800) : 0), 'GET', `/api/v2/widgets/${d * 20 + k}/data?range=${r.pick(['24h', '7d', '30d'])}`, rev ? 304 : r.p(0.002) ? 504 : 200, { ref, inm: rev }, 1);
  }
}
function appView(c: C, r: R, t: number, ws: number, s: { route: string }): number {
  const v = r.w([['dash', 40], ['reports', 12], ['report', 12], ['alerts', 6], ['search', 8], ['edit', 8], ['export', 3], ['members', 3], ['sources', 4], ['gone', 1.5], ['reload', 2]] as const);
  const d = r.i(1, 60), b = `/api/v2/workspaces/${ws}`;
  const go = (route: string) => { s.route = route; return U(route); };
  if (v === 'reload') return appBoot(c, r, t, s.route, ws, { reload: true });
  if (v === 'dash' || v === 'gone' || v === 'edit') {
    const ref = go(`/app/w/${ws}/d/${d}`), rev = r.p(0.3);
    const [t2, code] = api(c, r, t, 'GET', `/api/v2/dashboards/${d}`, v === 'gone' ? 404 : rev ? 304 : 200, { ref, inm: rev });
    if (code === 404) return t2;
    widgets(c, r, t2, d, ref, r.i(4, 14));
    if (v === 'edit') {
      let te = t2 + r.u(10, 90) * SEC;
      for (let k = r.i(1, 5); k > 0; k--, te += r.u(3, 40) * SEC) {
        const [m, p, cd] = r.pick([['PATCH', `/api/v2/dashboards/${d}`, r.p(0.05) ? 409 : 200], ['POST', `/api/v2/dashboards/${d}/widgets`, 201], ['DELETE', `/api/v2/widgets/${d * 20 + r.i(0, 9)}`, 204], ['POST', '/api/v2/query/preview', r.p(0.1) ? 400 : 200]] as const);
        api(c, r, te, m, p, cd, { ref });
      }
      return te;
    }
    return t2;
  }
  if (v === 'reports') return api(c, r, t, 'GET', `/api/v2/reports?page=${r.i(1, 3)}&sort=-updated`, 200, { ref: go(`/app/w/${ws}/reports`) })[0];
  if (v === 'report') { const id = r.i(100, 9999), ref = go(`/app/w/${ws}/reports/${id}`); api(c, r, t, 'GET', `/api/v2/reports/${id}/runs?limit=20`, 200, { ref }); return api(c, r, t, 'GET', `/api/v2/reports/${id}`, 200, { ref })[0]; }
  if (v === 'alerts') { const ref = go(`/app/w/${ws}/alerts`), t2 = api(c, r, t, 'GET', `${b}/alerts`, 200, { ref })[0]; if (r.p(0.3)) api(c, r, t2 + r.u(3, 20) * SEC, 'PATCH', `/api/v2/alerts/${r.i(1, 300)}`, 200, { ref }); return t2; }
  if (v === 'members') return api(c, r, t, 'GET', `${b}/members`, r.p(0.4) ? 403 : 200, { ref: go(`/app/w/${ws}/settings/members`) })[0];
  if (v === 'sources') return api(c, r, t, 'GET', `${b}/data-sources`, 200, { ref: go(`/app/w/${ws}/sources`) })[0];
  if (v === 'search') {
    const q = r.pick(W), ref = U(s.route);
    for (let k = 2; k <= Math.min(q.length, r.i(3, 8)); k++) api(c, r, t + k * r.u(250, 600), 'GET', `/api/v2/search?q=${q.slice(0, k)}`, 200, { ref });
    return t + 4 * SEC;
  }
  const ref = U(s.route), id = r.i(1e5, 9e5);
  let [te] = api(c, r, t, 'POST', '/api/v2/exports', 202, { ref });
  if (r.p(0.15)) api(c, r, t + r.u(150, 400), 'POST', '/api/v2/exports', 202, { ref }); // double click
  for (let k = r.i(2, 8); k > 0; k--) te = api(c, r, te + 2 * SEC, 'GET', `/api/v2/exports/${id}`, 200, { ref })[0];
  return api(c, r, te, 'GET', `/api/v2/exports/${id}/download`, 302, { ref })[0];
}
function appSession(c: C, r: R, t: number, dur: number, mode: 'active' | 'idle' | 'wall', ws: number, route: string, slow = 1) {
  const end = t + dur, s = { route };
  t = appBoot(c, r, t, route, ws, { site: r.w([['none', 6], ['same-origin', 3], ['cross-site', 1]]), user: true });
  poll(c, r, t + r.u(200, 900), end, () => s.route);
  for (let rf = t + r.u(10, 15) * MIN; rf < end; rf += 15 * MIN) { api(c, r, rf, 'POST', '/api/v2/auth/refresh', 200, { ref: U(s.route) }); c.sid = sidv(); }
  if (mode === 'wall') {
    let reload = t + r.u(30, 60) * MIN;
    const d = Number(route.split('/')[5]) || 1, n = r.i(6, 12);
    for (let x = t + 60 * SEC; x < end; x += r.u(59.5, 61) * SEC) {
      if (x > reload) { appBoot(c, r, x, route, ws, { reload: true }); reload = x + r.u(30, 60) * MIN; }
      widgets(c, r, x, d, U(route), n, true);
    }
    return;
  }
  if (mode === 'idle') {
    for (let x = t + r.u(1, 5) * MIN; x < end; x += r.u(1, 5) * MIN) api(c, r, x, 'GET', '/api/v2/notifications/count', 200, { ref: U(s.route) });
    return;
  }
  if (r.p(0.2)) { const t2 = t + r.u(1, 10) * MIN, tab = { route: `/app/w/${ws}/reports/${r.i(100, 9999)}` }; if (t2 < end) { appBoot(c, r, t2, tab.route, ws, { ref: U(s.route), user: true }); poll(c, r, t2 + SEC, end, () => tab.route); } }
  let n = 0;
  while ((t += (r.exp(40 * SEC) + 3 * SEC) * slow) < end) {
    t = appView(c, r, t, ws, s);
    if (++n % 4 === 0) rq(c, t + r.u(1, 5) * SEC, 'POST', '/api/v2/t', 204, { dest: 'beacon', ref: U(s.route), ct: 'text/plain;charset=UTF-8' });
    if (r.p(0.01)) { api(c, r, t + SEC, 'GET', '/api/v2/me', 401, { ref: U(s.route) }); c.auth = false; t = appBoot(c, r, t + 2 * SEC, s.route, ws, {}); }
  }
  rq(c, end, 'POST', '/api/v2/t', 204, { dest: 'beacon', ref: U(s.route), ct: 'text/plain;charset=UTF-8' });
}

// ---- other clients of the people's population -------------------------------------------------------------
function mobileApp(r: R, N: Nets, t: number) {
  const ios = r.p(0.6), c = person(r, N, 'person', { mobile: true });
  const dev = hx(hash(c.id), 32), tok = hx(hash(c.id + 'tok'), 40);
  c.b = null; c.keep = false; c.ja4 = ios ? JA4.cfnet! : JA4.okhttp!;
  c.h = ios ? { accept: 'application/json', 'x-api-key': APP_KEY, 'x-tb-device': dev, 'x-tb-session': tok, 'accept-language': 'en-GB;q=1.0, de-GB;q=0.9', 'user-agent': `Tallyboard/5.14.${r.i(0, 2)} (io.tallyboard.app; build:${r.i(5140, 5142)}; iOS 18.${r.i(0, 1)}.0) Alamofire/5.9.1`, 'accept-encoding': 'br;q=1.0, gzip;q=0.9, deflate;q=0.8' }
    : { 'x-api-key': APP_KEY, 'x-tb-device': dev, 'x-tb-session': tok, accept: 'application/json', 'accept-encoding': 'gzip', 'user-agent': `Tallyboard-Android/5.13.${r.i(1, 3)} (${r.pick(['Pixel 8', 'SM-S921B', 'SM-A546B', 'moto g84'])}; Android ${r.i(13, 15)}) okhttp/4.12.0` };
  const go = (x: number, m: string, p: string, code: number, ct?: string) => { if (c.roam && r.p(0.1)) c.ip = c.roam(); return rq(c, x, m, p, code, { ct, rt: p.endsWith('.png') ? 'image/png' : undefined }); };
  if (r.p(0.3)) { go(t, 'GET', `/api/v1/mobile/feed?since=${Math.floor(t / 1000)}`, 200); return; } // background refresh
  if (go(t, 'GET', '/api/v1/mobile/bootstrap', r.p(0.05) ? 401 : 200) === 401) { t += r.u(8, 30) * SEC; go(t, 'POST', '/api/v1/mobile/auth/login', 200, 'application/json'); go(t + 400, 'GET', '/api/v1/mobile/bootstrap', 200); }
  go(t + r.u(100, 400), 'GET', '/api/v1/mobile/feed?limit=20', 200);
  if (r.p(0.1)) go(t + r.u(1, 3) * SEC, 'POST', '/api/v1/mobile/devices/push-token', 204, 'application/json');
  for (let k = r.i(0, 6); k > 0; k--) {
    t += r.exp(20 * SEC) + 2 * SEC; const d = r.i(1, 60);
    go(t, 'GET', `/api/v1/mobile/dashboards/${d}`, 200);
    for (let w = r.i(2, 6); w > 0; w--) go(t + r.u(100, 800), 'GET', `/api/v1/mobile/widgets/${d * 20 + w}/snapshot.png?scale=3`, 200);
  }
}
function bots(r: R, N: Nets) {
  const every = (t0: number, gap: () => number, f: (t: number) => void) => { for (let t = t0; t < END; t += gap()) f(t); };
  const g = mk('person', v4(r, '66.249.66'), null, { keep: false, ja4: JA4.go! });
  const gua = ['Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)', 'Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.69 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)'];
  every(r.u(0, 30) * SEC, () => r.exp(35 * SEC) + SEC, t => {
    g.ip = v4(r, r.pick(['66.249.66', '66.249.68', '66.249.79'])); const p = r.w([[r.pick(DOCS), 3], [r.pick(BLOG), 3], [r.pick(TPL), 2], [r.pick(MKT), 2], ['/robots.txt', 0.2], ['/sitemap.xml', 0.2], [A.css, 0.3], [A.mk, 0.3]]);
    g.h = { accept: NAV_FF, from: 'googlebot(at)googlebot.com', 'user-agent': r.pick(gua), 'accept-encoding': 'gzip, deflate, br', ...(r.p(0.3) ? { 'if-modified-since': 'Tue, 12 Nov 2024 09:14:02 GMT' } : {}) };
    rq(g, t, 'GET', p, g.h['if-modified-since'] ? 304 : 200);
  });
  const bing = mk('person', '', null, { keep: false, ja4: JA4.java! });
  bing.h = { 'user-agent': 'Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm) Chrome/116.0.1938.76 Safari/537.36', accept: '*/*', 'accept-encoding': 'gzip, deflate', 'cache-control': 'no-cache' };
  every(r.u(0, 60) * SEC, () => r.exp(80 * SEC) + SEC, t => { bing.ip = v4(r, r.pick(['40.77.167', '157.55.39', '207.46.13'])); rq(bing, t, 'GET', r.pick([...DOCS, ...BLOG, ...MKT, '/robots.txt']), 200); });
  const ur = mk('person', '', null, { keep: false, ja4: JA4.go!, h: { 'user-agent': 'Mozilla/5.0+(compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)', accept: '*/*', 'accept-encoding': 'gzip, deflate' } });
  const urIps = Array.from({ length: 6 }, () => v4(r, r.pick(['216.144.250', '69.162.124', '63.143.42'])));
  every(r.u(0, 60) * SEC, () => 60 * SEC, t => { ur.ip = r.pick(urIps); rq(ur, t, 'HEAD', '/', 200); });
  const pd = mk('person', '', null, { keep: false, ja4: JA4.java!, h: { 'user-agent': 'Pingdom.com_bot_version_1.4_(http://www.pingdom.com/)', accept: '*/*' } });
  every(r.u(0, 60) * SEC, () => 60 * SEC, t => { pd.ip = v4(r, r.pick(['5.172.196', '185.180.12', '178.255.153'])); rq(pd, t, 'GET', '/api/v2/health', 200); });
  const dd = mk('person', dcIp(r), chromium(126, 'linux', 'Google Chrome', 'en-US'));
  dd.b!.ua += ' DatadogSynthetics';
  every(r.u(0, 300) * SEC, () => 5 * MIN, t => {
    dd.sid = ''; dd.cached = false; dd.auth = false; dd.ip = v4(r, r.pick(['3.18', '34.204', '54.219']));
    const t2 = nav(dd, r, t, '/login', 200, { site: 'none' }); assets(dd, r, t2, U('/login'), false);
    api(dd, r, t2 + 2 * SEC, 'POST', '/api/v2/auth/login', 200, { ref: U('/login') }); dd.sid = sidv(); dd.auth = true;
    appBoot(dd, r, t2 + 3 * SEC, '/app', 77, { ref: U('/login') });
  });
  const feeds: [string, string, string][] = [
    ['Feedly/1.0 (+http://www.feedly.com/fetcher.html; 23 subscribers; like FeedFetcher-Google)', dcIp(r), 'python'], ['Mozilla/5.0 (compatible; Inoreader/1.0; +http://www.inoreader.com/feed-fetcher; 6 subscribers; )', v4(r, '173.212.2'), 'go'],
    ['NetNewsWire (RSS Reader; https://netnewswire.com/)', resIp(r), 'cfnet'], ['Mozilla/5.0 (compatible; Miniflux/2.2.3; +https://miniflux.app)', resIp(r, 0.5), 'go']];
  for (const [ua, ip, j] of feeds) {
    const f = mk('person', ip, null, { keep: false, ja4: JA4[j]!, h: { 'user-agent': ua, accept: 'application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.8', 'accept-encoding': 'gzip', 'if-none-match': '"rss-7f3a91"' } });
    every(r.u(-30, 0) * MIN, () => r.u(10, 40) * MIN, t => rq(f, t, 'GET', '/blog/rss.xml', r.p(0.9) ? 304 : 200));
  }
  // shared links: a preview fetch (by the chat service or the sharer's phone), then a few colleagues click
  every(r.u(0, 2) * MIN, () => r.exp(2 * MIN), t => {
    const link = r.pick([...BLOG, ...DOCS, ...TPL, '/pricing', '/changelog']);
    const kind = r.w([['slack', 4], ['teams', 3], ['whatsapp', 1.5], ['imessage', 1], ['discord', 0.8], ['linkedin', 0.8]] as const);
    const sharer = person(r, N, 'person', { mobile: kind === 'whatsapp' || kind === 'imessage' });
    const ua: Record<string, [string, string, string]> = {
      slack: ['Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)', dcIp(r), 'go'], teams: ['Mozilla/5.0 (Windows NT 6.1; WOW64) SkypeUriPreview Preview/0.5 skype-url-preview@microsoft.com', v4(r, r.pick(['52.112', '52.114'])), 'java'],
      whatsapp: [`WhatsApp/2.24.${r.i(18, 23)}.${r.i(70, 90)} ${r.p(0.5) ? 'A' : 'i'}`, sharer.ip, 'okhttp'], imessage: ['Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_1) AppleWebKit/601.2.4 (KHTML, like Gecko) Version/9.0.1 Safari/601.2.4 facebookexternalhit/1.1 Facebot Twitterbot/1.0', sharer.ip, 'cfnet'],
      discord: ['Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)', v4(r, '35.227'), 'go'], linkedin: ['LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)', v4(r, '108.174'), 'java'] };
    const [u, ip, j] = ua[kind]!;
    const pv = mk('person', ip, null, { keep: false, ja4: JA4[j]!, h: { 'user-agent': u, accept: '*/*', 'accept-encoding': 'gzip, deflate' } });
    rq(pv, t, 'GET', link, 200); rq(pv, t + r.u(300, 1500), 'GET', `/media/og/${hx(hash(link), 10)}.png`, 200);
    for (let k = r.i(0, 3); k > 0; k--) pubSession(person(r, N, 'person', { corp: 0.4 }), r, N, t + r.exp(3 * MIN), link, { pages: r.i(1, 3), think: 40 * SEC, site: kind === 'slack' || kind === 'teams' ? 'none' : 'cross-site' });
  });
}
function partner(r: R, P: P) {
  const lib = r.pick(['python', 'go'] as const), base = tool(lib);
  const ua = lib === 'python' ? 'AcmeBI-Connector/3.4.1 python-requests/2.31.0' : 'acmebi-sync/2.8.0 (+https://acmebi.example/bot)';
  const ips = [v4(r, r.pick(['3.120', '18.194', '52.59'])), v4(r, r.pick(['3.120', '18.194', '52.59']))];
  const c = mk('person', ips[0]!, null, { keep: false, ja4: base.ja4, h: { ...base.h, 'user-agent': ua, 'x-api-key': PARTNER_KEY } });
  for (let t = r.u(-60, 0) * MIN; t < END; t += r.u(4.5, 5.5) * MIN) {
    c.ip = r.pick(ips); rq(c, t, 'GET', `/api/v1/accounts/${r.i(100, 140)}/dashboards?updated_since=${Math.floor(t / 1000) - 300}`, 200);
    for (let k = r.i(0, 6); k > 0; k--) rq(c, t + k * r.u(150, 600), 'GET', `/api/v1/dashboards/${r.i(1, 4000)}`, 200);
  }
  const bt = r.u(-5 * MIN, END), n = r.i(200, 800), dur = r.u(40, 120) * SEC;
  P.partnerBatchAt = Math.round(bt); P.partnerBatchReqs = n;
  for (let k = 0; k < n; k++) { c.ip = ips[k % 2]!; const x = bt + (k / n) * dur + r.u(0, 400), lim = r.p(0.03); rq(c, x, 'GET', k < 20 ? `/api/v1/exports/reports?page=${k + 1}&per_page=100` : `/api/v1/reports/${r.i(1, 9999)}/rows?cursor=${hx(k, 12)}`, lim ? 429 : 200); if (lim) rq(c, x + r.u(1000, 2000), 'GET', `/api/v1/reports/${r.i(1, 9999)}/rows?cursor=${hx(k, 12)}`, 200); }
  const ci = tool(r.pick(['node', 'axios'] as const));
  for (let t = r.u(-20, 5) * MIN; t < END; t += r.u(10, 25) * MIN) {
    const cc = mk('person', v4(r, r.pick(['20.55', '4.227', '52.238', '172.215', '20.171'])), null, { keep: false, ja4: ci.ja4, h: { ...ci.h, 'x-api-key': PARTNER_KEY } });
    let x = t;
    for (let k = r.i(15, 60); k > 0; k--, x += r.u(200, 1500)) {
      const [m, p, code] = r.pick([['GET', `/api/v1/dashboards/${r.i(1, 50)}`, 200], ['POST', '/api/v1/dashboards', 201], ['DELETE', `/api/v1/dashboards/${r.i(9000, 9999)}`, 204], ['GET', '/api/v1/dashboards/does-not-exist', 404], ['GET', '/api/v1/metrics?from=now-1h', 200]] as const);
      rq(cc, x, m, p, code, { ct: m === 'POST' ? 'application/json' : undefined });
    }
  }
}
function people(r: R, P: P) {
  const N = mkNets(r), sc = r.u(0.7, 1.3), T0 = -40 * MIN;
  P.peopleScale = Math.round(sc * 100) / 100;
  const arrivals = (perMin: number, f: (t: number) => void) => { for (let t = T0 + r.exp(MIN / perMin); t < END; t += r.exp(MIN / perMin)) f(t); };
  arrivals(5 * sc, t => { // app users
    const c = person(r, N, 'person', { corp: 0.55, mobile: r.p(0.08) });
    c.sso = N.corps.some(co => co.sso && co.ips.includes(c.ip));
    const incog = r.p(0.04);
    c.auth = !incog && r.p(0.93); c.sid = c.auth ? sidv() : ''; c.cached = !incog && r.p(0.85); c.jar.push('tb_consent=essential');
    const ws = r.i(1, 4000);
    appSession(c, r, t, r.exp(14 * MIN) + MIN, 'active', ws, r.pick(['/app', `/app/w/${ws}/d/${r.i(1, 60)}`, `/app/w/${ws}/reports`, `/app/w/${ws}/alerts`]), r.p(0.03) ? 3 : 1);
  });
  arrivals(11 * sc, t => { // marketing / blog / template visitors
    const c = person(r, N, 'person'), ret = r.p(0.25);
    if (r.p(0.03)) c.keep = false;
    if (ret) { c.sid = sidv(); c.cached = r.p(0.7); c.jar.push('tb_consent=all'); }
    const src = r.w([['google', 5], ['direct', 2], ['bing', 0.7], ['ddg', 0.4], ['linkedin', 0.6], ['hn', 0.3], ['x', 0.3]] as const);
    const ref = { google: 'https://www.google.com/', direct: undefined, bing: 'https://www.bing.com/', ddg: 'https://duckduckgo.com/', linkedin: 'https://www.linkedin.com/', hn: 'https://news.ycombinator.com/', x: 'https://t.co/' }[src];
    const land = src === 'direct' ? r.pick(['/', '/pricing', '/login', '/login', '/changelog']) : r.w([[r.pick(BLOG), 4], [r.pick(MKT), 3], [r.pick(TPL), 2], ['/', 2], [r.pick(TYPO), 0.1]]);
    pubSession(c, r, N, t, land, { ref, site: ref ? 'cross-site' : 'none', pages: r.p(0.35) ? 1 : r.i(2, 9), think: (r.p(0.03) ? 120 : 35) * SEC });
  });
  arrivals(5 * sc, t => { // docs readers (developers)
    const c = person(r, N, 'person', { mobile: r.p(0.1), corp: 0.3, dev: true });
    if (r.p(0.4)) { c.sid = sidv(); c.cached = true; }
    pubSession(c, r, N, t, r.pick(DOCS), { ref: r.p(0.6) ? 'https://www.google.com/' : undefined, site: 'cross-site', pages: r.i(1, 14), think: 70 * SEC });
    if (r.p(0.05)) rq(c, t + r.u(10, 60) * SEC, 'GET', '/docs/openapi.json', 200, { dest: 'xhr', acc: '*/*', ref: U('/docs/api/okr') });
  });
  arrivals(4 * sc, t => mobileApp(r, N, t));
  for (let k = r.i(3, 10); k > 0; k--) { // wallboards: kiosk browsers showing one dashboard for hours
    const co = r.pick(N.corps), ws = r.i(1, 4000), c = mk('person', r.pick(co.ips), r.p(0.5) ? chromium(r.pick([126, 129, 130]), 'linux', r.p(0.5) ? 'Chromium' : 'Google Chrome', 'en-US') : co.br, { sid: sidv(), cached: true, auth: true });
    appSession(c, r, T0 - r.u(0, 60) * MIN, 10 * 60 * MIN, 'wall', ws, `/app/w/${ws}/d/${r.i(1, 60)}?tv=1`);
  }
  for (let k = r.i(8, 30); k > 0; k--) { // forgotten background tabs
    const c = person(r, N, 'person', { corp: 0.6, mobile: false }), ws = r.i(1, 4000);
    c.sid = sidv(); c.cached = true; c.auth = true;
    appSession(c, r, T0 - r.u(0, 120) * MIN, 10 * 60 * MIN, 'idle', ws, `/app/w/${ws}/d/${r.i(1, 60)}`);
  }
  bots(r, N); partner(r, P);
  return N;
}

// ---- attacks -------------------------------------------------------------------------------------------------
function burst(r: R, P: P, start: number): [number, number] {
  const dur = r.u(0.75, 4) * MIN, rate = r.i(300, 3000), ua = r.pick(['tool', 'chrome', 'headless'] as const), tgt = r.pick(['pages', 'api', 'account'] as const);
  const dc = r.p(0.7), ip = dc ? dcIp(r) : resIp(r, 0.15);
  let c: C;
  if (ua === 'tool') { const tn = r.pick(tgt === 'pages' ? ['python', 'scrapy', 'go', 'curl', 'aiohttp'] : ['python', 'go', 'httpx', 'axios', 'curl']); const tl = tool(tn); c = mk('bot', ip, null, { ja4: tl.ja4, h: tl.h, keep: tgt === 'account' || r.p(0.3) }); P.tool = tn; }
  else {
    const b = ua === 'headless' ? chromium(r.pick([129, 131]), 'linux', 'HeadlessChrome', r.p(0.5) ? 'en-US' : '') : chromium(r.pick([124, 130, 131]), r.pick(['win', 'mac']), 'Google Chrome', 'en-US');
    c = mk('bot', ip, b, { keep: ua === 'headless' || r.p(0.5) });
    if (ua === 'chrome') { const imit = r.p(0.5); c.ja4 = imit ? JA4.chrome! : JA4.python!; P.tlsImitated = imit; const st = bh(c, 'GET', '/', { dest: 'doc', site: 'none', user: true }); delete st['cookie']; c.b = null; c.h = st; }
  }
  if (tgt === 'account') { c.sid = sidv(); c.keep = true; }
  Object.assign(P, { ua, target: tgt, ratePerMin: rate, durationS: Math.round(dur / SEC), dataCentre: dc });
  let n = 0, t = start;
  const end = start + dur, headless = ua === 'headless';
  while ((t += r.exp(MIN / rate)) < end && n < 38000) {
    let p: string, code = 200, dest: Dest = 'doc';
    if (tgt === 'pages') { p = r.w([[TPL[n % TPL.length]!, 3], [DOCS[n % DOCS.length]!, 3], [BLOG[n % BLOG.length]!, 2], [`/templates?page=${(n % 40) + 1}`, 1], [`/blog?page=${(n % 12) + 1}`, 0.5]]); if (r.p(0.01)) code = 404; }
    else if (tgt === 'api') { dest = 'xhr'; p = r.p(0.6) ? `/api/v2/public/templates?page=${(n % 400) + 1}&per_page=50` : `/api/docs/search?q=${r.pick(W)}${r.pick(['', 's', ' api', ' sql'])}`; }
    else { dest = 'xhr'; const id = 100 + n; p = r.p(0.8) ? `/api/v2/reports/${id}` : `/api/v2/dashboards/${id % 5000}/export?format=csv`; code = r.w([[403, 6], [404, 3], [200, 1]]); }
    rq(c, t, 'GET', p.replace(/ /g, '%20'), code, { dest, site: 'same-origin', ref: headless ? U('/templates') : undefined, acc: '*/*' }); n++;
    if (headless && dest === 'doc') {
      if (!c.cached) assets(c, r, t, U(p), false);
      for (let k = r.i(1, 4); k > 0; k--, n++) rq(c, t + r.u(50, 500), 'GET', `/media/${hx(hash(p) + k, 10)}.webp?w=960`, 200, { dest: 'img', ref: U(p) });
    }
  }
  return [start, end];
}
function resProxy(r: R, P: P, W0: number): [number, number] {
  const start = W0 + r.u(1, 6) * MIN, dur = r.u(6, 15) * MIN, nIp = r.i(1500, 5000), p6 = r.u(0.1, 0.3);
  const v = r.w([[131, 2], [130, 1], [124, 1], [120, 1], [116, 1]]), noCh = r.p(0.4) ? 0 : r.u(0.1, 0.6), sticky = r.p(0.5), imit = r.p(0.4), order = r.pick(['dict', 'chrome'] as const);
  const tgt = r.pick(['templates', 'docs', 'pricing-intel', 'blog'] as const), zstd = r.p(0.5);
  const uas = Array.from({ length: r.i(3, 8) }, () => chromium(v - r.i(0, 2), r.pick(['win', 'win', 'mac', 'android']), 'Google Chrome', 'en-US'));
  Object.assign(P, { addresses: nIp, ipv6Share: Math.round(p6 * 100) / 100, chromeVersion: v, missingChUaShare: Math.round(noCh * 100) / 100, stickyCookies: sticky, tlsImitated: imit, headerOrder: order, target: tgt, uaPool: uas.length });
  const paths = tgt === 'templates' ? TPL : tgt === 'docs' ? DOCS : tgt === 'blog' ? BLOG : ['/pricing', '/compare/looker', '/compare/metabase', '/customers', '/integrations', '/features/embedding'];
  let n = 0;
  for (let k = 0; k < nIp && n < 38000; k++) {
    const b = r.pick(uas), ch = !r.p(noCh), c = mk('bot', resIp(r, p6), null, { keep: sticky, ja4: imit ? JA4.chrome! : r.pick([JA4.go!, JA4.python!]) });
    const hdr = (p: string, ref?: string): H => {
      const h: H = order === 'dict' ? { 'user-agent': b.ua, accept: NAV_CR, 'accept-language': 'en-US,en;q=0.9', 'accept-encoding': zstd ? 'gzip, deflate, br, zstd' : 'gzip, deflate, br' } : {};
      if (ch) Object.assign(h, { 'sec-ch-ua': b.ch, 'sec-ch-ua-mobile': b.mob ? '?1' : '?0', 'sec-ch-ua-platform': b.plat });
      if (order === 'chrome') Object.assign(h, { 'upgrade-insecure-requests': '1', 'user-agent': b.ua, accept: NAV_CR });
      Object.assign(h, { 'sec-fetch-site': ref ? 'same-origin' : 'none', 'sec-fetch-mode': 'navigate', 'sec-fetch-user': '?1', 'sec-fetch-dest': 'document' });
      if (ref) h['referer'] = ref;
      if (order === 'chrome') Object.assign(h, { 'accept-encoding': zstd ? 'gzip, deflate, br, zstd' : 'gzip, deflate, br', 'accept-language': 'en-US,en;q=0.9' });
      return h; };
    let t = start + r.u(0, dur), prev: string | undefined;
    for (let j = r.w([[1, 4], [2, 3], [3, 2], [4, 1], [5, 0.6]]); j > 0 && t < start + dur; j--, n++) {
      const p = paths === TPL || paths === DOCS || paths === BLOG ? paths[(k * 3 + j) % paths.length]! : r.pick(paths);
      c.h = hdr(p, prev && r.p(0.5) ? U(prev) : undefined);
      rq(c, t, 'GET', p, r.p(0.01) ? 404 : 200); prev = p; t += r.u(1, 20) * SEC;
    }
  }
  return [start, start + dur];
}
function credStuff(r: R, P: P, W0: number): [number, number] {
  const start = W0 + r.u(1, 5) * MIN, dur = r.u(8, 15) * MIN, nIp = r.i(300, 3000), mode = r.w([['json', 5], ['form', 3], ['mobile', 2]] as const);
  const valid = r.u(0.003, 0.02), lim = r.u(0.02, 0.1), getFirst = r.u(0.2, 0.8), careful = r.u(0.1, 0.4), uaMode = r.pick(['rotate', 'single', 'tool'] as const), dc = r.u(0, 0.5);
  const single = chromium(r.pick([122, 126, 131]), 'win', 'Google Chrome', 'en-US'), tl = tool(r.pick(['python', 'go', 'java']));
  Object.assign(P, { addresses: nIp, mode, validRate: Math.round(valid * 1000) / 1000, limiter429: Math.round(lim * 100) / 100, getFirstShare: Math.round(getFirst * 100) / 100, carefulShare: Math.round(careful * 100) / 100, uaMode, dataCentreShare: Math.round(dc * 100) / 100 });
  let n = 0;
  for (let k = 0; k < nIp && n < 38000; k++) {
    const ip = r.p(dc) ? dcIp(r) : resIp(r, 0.1), cf = r.p(careful);
    let c: C;
    if (mode === 'mobile') c = mk('bot', ip, null, { keep: false, ja4: r.p(0.5) ? JA4.okhttp! : tl.ja4, h: { 'x-api-key': APP_KEY, 'x-tb-device': hx(k + 77, 32), accept: 'application/json', 'accept-encoding': 'gzip', 'user-agent': r.p(0.6) ? 'Tallyboard-Android/5.13.2 (Pixel 8; Android 15) okhttp/4.12.0' : 'okhttp/4.9.3' } });
    else if (uaMode === 'tool' && !cf) c = mk('bot', ip, null, { ja4: tl.ja4, h: { ...tl.h, 'accept-language': 'en-US,en;q=0.9' }, keep: r.p(0.5) });
    else c = mk('bot', ip, uaMode === 'single' ? single : randBr(r, r.p(0.2)), { keep: cf || r.p(0.5) });
    let t = start + r.u(0, dur);
    if (mode !== 'mobile' && (cf || r.p(getFirst))) { t = nav(c, r, t, '/login', 200, { site: 'none', user: true }); n++; if (cf) { assets(c, r, t, U('/login'), false); n += 7; } t += cf ? r.u(4, 15) * SEC : r.u(0.3, 2) * SEC; }
    for (let j = r.i(1, cf ? 2 : 4); j > 0; j--, n++) {
      const code = r.p(valid) ? (mode === 'form' ? 302 : 200) : r.p(lim) ? 429 : 401;
      if (mode === 'form') rq(c, t, 'POST', '/login', code, { dest: 'doc', ct: 'application/x-www-form-urlencoded', ref: U('/login'), user: true, rt: 'text/html' });
      else if (mode === 'json' && c.b) api(c, r, t, 'POST', '/api/v2/auth/login', code, { ref: U('/login') });
      else rq(c, t, 'POST', mode === 'mobile' ? '/api/v1/mobile/auth/login' : '/api/v2/auth/login', code, { ct: 'application/json' });
      t += cf ? r.u(5, 25) * SEC : r.u(0.2, 4) * SEC;
    }
  }
  return [start, start + dur];
}
function tokenAbuse(r: R, P: P, W0: number): [number, number] {
  const start = W0 + r.u(1, 5) * MIN, dur = r.u(8, 15) * MIN, key = r.pick(['app', 'partner'] as const), nIp = r.i(20, 300), copy = r.p(0.5), src = r.pick(['dc', 'residential', 'mixed'] as const);
  const tn = r.pick(['python', 'go', 'axios', 'curl', 'httpx']), tl = tool(tn), per = r.i(5, 80);
  Object.assign(P, { key, addresses: nIp, copiedClientUa: copy, tool: copy ? 'copied' : tn, source: src, maxPerAddress: per });
  let n = 0;
  for (let k = 0; k < nIp && n < 38000; k++) {
    const ip = src === 'dc' || (src === 'mixed' && r.p(0.5)) ? dcIp(r) : resIp(r, 0.15);
    const h: H = key === 'app'
      ? copy ? { 'x-api-key': APP_KEY, 'x-tb-device': hx(k, 32), 'x-tb-session': hx(k + 9, 40), accept: 'application/json', 'accept-encoding': 'gzip', 'user-agent': 'Tallyboard-Android/5.13.2 (Pixel 8; Android 15) okhttp/4.12.0' } : { ...tl.h, 'x-api-key': APP_KEY }
      : copy ? { ...tool('python').h, 'user-agent': 'AcmeBI-Connector/3.4.1 python-requests/2.31.0', 'x-api-key': PARTNER_KEY } : { ...tl.h, 'x-api-key': PARTNER_KEY };
    const c = mk('bot', ip, null, { keep: false, h, ja4: copy ? (key === 'app' ? JA4.okhttp! : JA4.python!) : tl.ja4 });
    let t = start + r.u(0, dur * 0.6);
    for (let j = r.i(3, per); j > 0 && t < start + dur; j--, n++, t += r.exp(dur / per / 2)) {
      if (key === 'app') { const [m, p, code] = r.w([[['GET', `/api/v1/mobile/templates?page=${r.i(1, 300)}`, 200], 4], [['GET', `/api/v1/mobile/search?q=${r.pick(W)}`, 200], 3], [['GET', `/api/v1/mobile/dashboards/${r.i(1, 99999)}`, 403], 2], [['POST', '/api/v1/mobile/auth/login', 401], 2]] as const); rq(c, t, m, p, code, { ct: m === 'POST' ? 'application/json' : undefined }); }
      else { const acc = r.i(1, 2000); rq(c, t, 'GET', r.p(0.7) ? `/api/v1/accounts/${acc}/reports?page=${r.i(1, 20)}` : `/api/v1/reports/${r.i(1, 99999)}/rows`, acc <= 140 && acc >= 100 ? 200 : r.p(0.8) ? 403 : 404); }
    }
  }
  return [start, start + dur];
}
function crawler(r: R, P: P, W0: number): [number, number] {
  const start = W0 + r.u(0.5, 3) * MIN, end = Math.min(END, start + r.u(10, 19) * MIN), nIp = r.i(2, 6), rate = r.u(10, 80);
  const render = r.u(0, 1), style = r.pick(['visible', 'stealth', 'leaky'] as const), fresh = r.p(0.5), robots = r.p(0.3);
  Object.assign(P, { addresses: nIp, pagesPerMin: Math.round(rate), renderShare: Math.round(render * 100) / 100, headless: style, freshContextPerPage: fresh, fetchesRobots: robots });
  const all = [...MKT, ...BLOG, ...TPL, ...DOCS, ...Array.from({ length: 8 }, (_, k) => `/templates?page=${k + 1}`), '/login', '/signup', '/app'];
  const cs = Array.from({ length: nIp }, (_, k) => {
    const rend = r.p(render), v = r.pick([128, 130, 131]);
    const b = rend && style === 'visible' ? chromium(v, 'linux', 'HeadlessChrome', 'en-US') : chromium(v, r.pick(['win', 'linux', 'mac']), 'Google Chrome', 'en-US');
    if (rend && style === 'leaky') b.ch = chUa('HeadlessChrome', v);
    const c = mk('bot', dcIp(r), b);
    if (robots) rq(c, start + r.u(0, 10) * SEC, 'GET', '/robots.txt', 200, { dest: 'doc', site: 'none' });
    return { c, rend, i: k * 97 };
  });
  let n = 0;
  for (let t = start + r.u(2, 12) * SEC; t < end && n < 38000; t += r.exp(MIN / rate)) {
    const w = r.pick(cs), c = w.c, p = all[w.i++ % all.length]!;
    if (fresh && w.rend) { c.sid = ''; c.cached = false; }
    const code = p === '/app' ? 302 : 200;
    const tt = nav(c, r, t, p, code, { site: w.rend && !fresh ? 'same-origin' : 'none', ref: w.rend && !fresh ? U(all[(w.i + all.length - 2) % all.length]!) : undefined }); n++;
    if (!w.rend || code !== 200) continue;
    if (!c.cached) { assets(c, r, tt, U(p), false); n += 7; }
    for (let k = r.i(1, 5); k > 0; k--, n++) rq(c, tt + r.u(40, 900), 'GET', `/media/${hx(hash(p) + k, 10)}.webp?w=1280`, 200, { dest: 'img', ref: U(p) });
    if (p.startsWith('/templates')) { rq(c, tt + r.u(100, 400), 'GET', `/api/v2/public/templates?category=${r.pick(W)}&page=1`, 200, { dest: 'xhr', ref: U(p), acc: '*/*' }); n++; }
  }
  return [start, end];
}
function surge(r: R, P: P, W0: number): [number, number] {
  const start = W0 + r.u(2, 10) * MIN, dur = r.u(2, 6) * MIN, nIp = r.i(200, 1500), style = r.pick(['lib', 'browser'] as const);
  const routes = ['tplsearch', 'docsearch', 'pwreset', 'signup', 'webinar'] as const, r1 = r.pick(routes), r2 = r.p(0.4) ? r.pick(routes) : r1;
  const tl = tool(r.pick(['go', 'python', 'curl']));
  Object.assign(P, { addresses: nIp, durationS: Math.round(dur / SEC), routes: r1 === r2 ? r1 : `${r1}+${r2}`, style });
  let n = 0;
  for (let k = 0; k < nIp && n < 38000; k++) {
    const c = style === 'lib' ? mk('bot', r.p(0.3) ? dcIp(r) : resIp(r, 0.05), null, { keep: false, h: tl.h, ja4: tl.ja4 }) : mk('bot', resIp(r, 0.1), randBr(r, r.p(0.4)), { keep: r.p(0.3) });
    for (let j = r.i(2, 8), t = start + r.u(0, dur); j > 0; j--, n++, t += r.u(0.5, 20) * SEC) {
      const rt = r.p(0.5) ? r1 : r2, q = r.pick(W) + (r.p(0.5) ? '' : ` ${r.pick(W)}`);
      const lim = r.p(0.05) ? 429 : 0;
      if (rt === 'tplsearch') rq(c, t, 'GET', `/api/v2/public/templates/search?q=${q.replace(' ', '+')}&sort=popular`, lim || 200, { dest: 'xhr', acc: '*/*', site: 'same-origin' });
      else if (rt === 'docsearch') rq(c, t, 'GET', `/docs/search?q=${q.replace(' ', '+')}`, lim || 200, { dest: 'doc', site: 'none' });
      else if (rt === 'pwreset') rq(c, t, 'POST', '/api/v2/auth/password-reset', lim || 202, { dest: 'xhr', ct: 'application/json', ref: U('/forgot-password') });
      else if (rt === 'signup') rq(c, t, 'POST', '/api/v2/auth/signup', lim || r.w([[201, 3], [422, 2], [409, 1]]), { dest: 'xhr', ct: 'application/json', ref: U('/signup') });
      else rq(c, t, 'GET', '/events/launch-week-2024', lim || 200, { dest: 'doc', site: 'none', user: true });
    }
  }
  return [start, start + dur];
}
function lowSlow(r: R, P: P, W0: number): [number, number] {
  const nIp = r.i(2, 6), start = W0 + r.u(0, 1) * MIN;
  const probes = ['/.env', '/.git/config', '/wp-login.php', '/wp-admin/', '/xmlrpc.php', '/phpmyadmin/', '/server-status', '/actuator/env', '/actuator/health', '/config.json', '/backup.zip', '/.DS_Store', '/api/v2/admin/users', '/admin', '/graphql', '/api/swagger.json', '/.well-known/security.txt', '/debug/pprof/', '/api/v1/accounts/1/reports', '/app/../../etc/passwd', '/api/v2/users?limit=1000', '/cgi-bin/luci'];
  const codeOf = (p: string) => (p.startsWith('/api/v1') ? 401 : p.startsWith('/api/v2/admin') || p === '/admin' ? 403 : p === '/api/v2/users?limit=1000' ? 401 : p.includes('security.txt') || p === '/actuator/health' ? 200 : 404);
  const means: number[] = [];
  for (let k = 0; k < nIp; k++) {
    const mean = r.u(5, 60) * SEC, fresh = r.p(0.5), ui = r.i(0, 3); means.push(Math.round(mean / SEC));
    const ip = r.p(0.6) ? dcIp(r) : r.p(0.3) ? v4(r, r.pick(['185.220.101', '45.141.215'])) : resIp(r);
    const c = ui < 2 ? mk('bot', ip, ui === 0 ? chromium(r.pick([120, 131]), 'win', 'Google Chrome', 'en-US') : firefox(115, 'linux', 'en-US'), { keep: fresh })
      : mk('bot', ip, null, { ...(() => { const tl = tool(r.pick(['python', 'go', 'curl'])); return { h: tl.h, ja4: tl.ja4 }; })(), keep: fresh });
    let pi = r.i(0, probes.length - 1), id = r.i(1, 500);
    for (let t = start + r.u(0, mean); t < END; t += Math.max(5 * SEC, r.u(0.3, 1.7) * mean)) {
      if (fresh && r.p(0.05)) c.sid = '';
      const e = r.w([['probe', 4], ['report', 3], ['ws', 2], ['page', 1]] as const);
      if (e === 'probe') { const p = probes[pi++ % probes.length]!; rq(c, t, 'GET', p, codeOf(p), { dest: 'doc', site: 'none' }); }
      else if (e === 'report') rq(c, t, 'GET', `/api/v2/reports/${id++}`, c.sid ? r.w([[403, 5], [404, 3]]) : 401, { dest: 'xhr', acc: '*/*' });
      else if (e === 'ws') rq(c, t, 'GET', `/api/v2/workspaces/${id * 7}/members`, c.sid ? 403 : 401, { dest: 'xhr', acc: '*/*' });
      else rq(c, t, 'GET', r.pick(['/', '/login', '/pricing', '/docs/api/okr']), 200, { dest: 'doc', site: 'none' });
    }
  }
  Object.assign(P, { addresses: nIp, meanIntervalsS: means.join('/') });
  return [start, END];
}
function campaign(r: R, P: P, W0: number, N: Nets): [number, number] {
  const type = r.pick(['newsletter', 'social-ad', 'linkedin-ad'] as const), n = r.i(400, 2500), start = W0 + r.u(1, 6) * MIN;
  const tau = r.u(2, 6) * MIN, adDur = r.u(8, 14) * MIN, bounce = r.u(0.15, 0.35), name = r.pick(['q4-forecasting', 'sql-alerts-launch', 'board-reporting-kit', 'black-friday-ops']);
  const end = Math.min(END, type === 'newsletter' ? start + 3 * tau : start + adDur);
  Object.assign(P, { type, visitors: n, campaign: name, bounceRate: Math.round(bounce * 100) / 100, windowS: Math.round((end - start) / SEC) });
  const src = type === 'newsletter' ? 'utm_source=newsletter&utm_medium=email' : type === 'social-ad' ? `utm_source=${r.pick(['facebook', 'instagram'])}&utm_medium=paid_social` : 'utm_source=linkedin&utm_medium=paid_social';
  const land = `/lp/${name}?${src}&utm_campaign=${name}&utm_content=${r.pick(['hero', 'cta-a', 'cta-b'])}`;
  const preview = (t: number, ua: string, ip: string, j: string) => { const c = mk('campaign', ip, null, { keep: false, ja4: JA4[j]!, h: { 'user-agent': ua, accept: '*/*', 'accept-encoding': 'gzip, deflate' } }); rq(c, t, 'GET', land, 200); };
  if (type !== 'newsletter') for (let k = r.i(3, 12); k > 0; k--) preview(start + r.u(-60, 600) * SEC, type === 'linkedin-ad' ? 'LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)' : 'facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)', r.p(0.4) ? v6(r, '2a03:2880:f0' + r.i(10, 99)) : v4(r, r.pick(['69.171', '173.252', '66.220'])), 'java');
  for (let k = 0; k < n; k++) {
    const t = type === 'newsletter' ? start + Math.min(r.exp(tau), 3 * tau) : start + r.u(0, adDur);
    if (t >= END) continue;
    if (type === 'newsletter' && r.p(0.06)) { // a recipient's mail security gateway checks the link first, sometimes rendering it
      const sc = mk('campaign', v4(r, r.pick(['40.94', '52.100', '104.47', '148.163', '67.231'])), chromium(r.pick([109, 120, 126]), 'win', 'Google Chrome', 'en-US'), { keep: false });
      const tt = nav(sc, r, start + r.u(1, 90) * SEC, `${land}&utm_term=${hx(k, 8)}`, 200, { site: 'none' }); if (r.p(0.4)) assets(sc, r, tt, U(land), false);
      continue;
    }
    const mob = r.p(type === 'newsletter' ? 0.55 : 0.8), c = person(r, N, 'campaign', { mobile: mob, corp: 0.2 });
    let ref: string | undefined, site = 'none', url = land;
    if (type === 'newsletter') { if (!mob && r.p(0.4)) { ref = 'https://mail.google.com/'; site = 'cross-site'; } else if (mob && c.b?.fam === 'cr' && r.p(0.5)) { ref = 'android-app://com.google.android.gm/'; site = 'cross-site'; } url += `&mc_eid=${hx(k, 10)}`; }
    else {
      const fb = type === 'social-ad', ios = c.b?.fam === 'sf' || !c.b?.mob;
      if (mob && r.p(0.75)) {
        const v = 131, b = ios ? safari('18.1', 'ios', 'en-US') : chromium(v, 'android', '', 'en-US');
        const app = fb ? (r.p(0.6) ? 'FB' : 'IG') : 'LI';
        b.ua = ios ? (app === 'FB' ? `${b.ua.replace(/ Version.*$/, ' Mobile/15E148')} [FBAN/FBIOS;FBAV/${r.i(480, 490)}.0.0.${r.i(30, 60)}.${r.i(100, 120)};FBBV/${r.i(6e8, 7e8)};FBDV/iPhone15,2;FBMD/iPhone;FBSN/iOS;FBSV/18.1;FBSS/3;FBCR/;FBID/phone;FBLC/en_US;FBOP/80]` : app === 'IG' ? `${b.ua.replace(/ Version.*$/, ' Mobile/15E148')} Instagram 357.0.0.25.101 (iPhone15,2; iOS 18_1; en_US; en; scale=3.00; 1179x2556; 6580)` : `${b.ua.replace(/ Version.*$/, ' Mobile/15E148')} [LinkedInApp]/9.30.1500`)
          : `Mozilla/5.0 (Linux; Android 14; SM-S918B Build/UP1A.231005.007; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/${v}.0.6778.39 Mobile Safari/537.36 ${app === 'FB' ? '[FB_IAB/FB4A;FBAV/489.0.0.66.81;]' : app === 'IG' ? 'Instagram 357.0.0.25.101 Android (34/14; 480dpi; 1080x2340; samsung; SM-S918B; dm3q; qcom; en_US; 650271238)' : '[LinkedInApp]/4.1.1015'}`;
        if (!ios) { b.ch = `"Android WebView";v="${v}", "Chromium";v="${v}", "Not_A Brand";v="24"`; if (app !== 'LI') b.extra = { 'x-requested-with': app === 'FB' ? 'com.facebook.katana' : 'com.instagram.android' }; }
        c.b = b; c.ja4 = b.ja4;
      }
      ref = fb ? r.pick(['https://m.facebook.com/', 'https://l.facebook.com/', 'https://l.instagram.com/']) : 'https://www.linkedin.com/'; site = 'cross-site';
      url += fb ? `&fbclid=IwAR${hx(k * 13, 40)}` : `&li_fat_id=${hx(k * 17, 32)}`;
    }
    if (r.p(bounce)) { const tt = nav(c, r, t, url, 200, { ref, site, user: true }); assets(c, r, tt, U(url), false); continue; }
    pubSession(c, r, N, t, url, { ref, site, pages: r.i(2, 7), think: 30 * SEC });
    if (r.p(0.06)) signupFlow(c, r, t + r.u(1, 6) * MIN, U(url), 'same-origin');
  }
  return [start, end];
}

export function generateScenarioD(name: ScenarioName, seed: number, opts: { measuredMs?: number; warmupMs?: number } = {}): Scenario {
  const measured = opts.measuredMs ?? 20 * MIN, warm = opts.warmupMs ?? (name === 'burst-cold' ? 0 : 30 * MIN);
  EV = []; END = warm + measured; NID = 0; ACT = 0;
  const pr = rng(hash(`model-d/people/${seed}`));
  JA4_ON = pr.p(0.5);
  const outage = pr.p(0.5);
  OUT_A = outage ? pr.u(0.1, 0.9) * END : -1; OUT_B = outage ? OUT_A + pr.u(1, 4) * MIN : -1;
  const params: P = { site: 'tallyboard.io B2B analytics SaaS', ja4: JA4_ON, outage: outage ? `${Math.round(OUT_A / SEC)}s+${Math.round((OUT_B - OUT_A) / SEC)}s` : 'none' };
  const N = people(pr, params);
  const nPeople = EV.length;
  const r = rng(hash(`model-d/${name}/${seed}`));
  let win: [number, number] | null = null;
  switch (name) {
    case 'people': break;
    case 'campaign': win = campaign(r, params, warm, N); break;
    case 'burst-cold': win = burst(r, params, warm + r.u(5, 120) * SEC); break;
    case 'burst-warm': win = burst(r, params, warm + r.u(0.5, Math.max(1, Math.min(12, measured / MIN - 5))) * MIN); break;
    case 'residential-proxy': win = resProxy(r, params, warm); break;
    case 'credential-stuffing': win = credStuff(r, params, warm); break;
    case 'token-abuse': win = tokenAbuse(r, params, warm); break;
    case 'crawler': win = crawler(r, params, warm); break;
    case 'distributed-surge': win = surge(r, params, warm); break;
    case 'low-and-slow': win = lowSlow(r, params, warm); break;
  }
  params.peopleEvents = nPeople; params.otherEvents = EV.length - nPeople;
  const events = EV.sort((a, b) => a.at - b.at);
  events.forEach((e, i) => { e.seq = i; });
  EV = [];
  return { name, seed, events, warmupMs: warm, endMs: END, attackStartMs: win ? Math.round(win[0]) : null, attackEndMs: win ? Math.round(Math.min(win[1], END)) : null, params };
}
