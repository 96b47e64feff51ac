/**
 * Traffic model C: a compact, independently designed traffic generator for the bot simulator.
 *
 * Site: "Railline", a rail and coach ticket site on one host.
 *   pages   /  /journeys/{from}-{to}?date=..&pax=N  /stations/{slug}  /deals  /deals/{slug}  /search?q=..
 *           /account/login (GET form, POST: 302 on success, 401 on failure)  /account/bookings  /booking/{ref}
 *           /help/{topic}  /lp/{campaign}?utm_*  (landing pages); stale links and typos answer 404.
 *   web API /api/v1/... JSON called by the pages (session, fares, departures, suggest, deals, me/bookings) and a
 *           telemetry beacon POST /api/v1/t (204).
 *   app API the same /api/v1 plus app/config, app/feed, auth/token, auth/refresh; every install sends the shared key
 *           'sim-mobile-app-key-0001'. Partner: /api/partner/v1/timetable?since=..&page=N, /api/partner/v1/fares/{route}
 *           with 'sim-partner-key-0002' from one or two server addresses.
 *   assets  /static/*.{js,css,woff2} (content-hashed), /img/dest/{slug}-{w}.webp, /favicon.ico.
 *   Cookie: rl_sid (set on the first response), rl_consent + _ga after consent, rl_auth after sign-in.
 *
 * People (kind 'person', all scenarios): browser sessions arrive as a Poisson process whose rate (drawn per seed)
 * follows a slow wave. A session walks the page graph with lognormal think times; each page brings its document,
 * first-visit assets (cached afterwards, also for many returning visitors), images, JSON calls and a beacon.
 * Clients are real browser builds (Chrome/Edge/Firefox/Safari desktop, Safari iOS, Chrome/Samsung Android) with
 * their own header sets (sec-fetch-* per destination, sec-ch-ua on Chromium, accept per request type). Networks:
 * own home address (IPv4 or IPv6), households (several devices on one address), office NATs (colleagues with the
 * same managed browser build), carrier CGNAT pools (many phones on few addresses). Some visitors return with an old
 * cookie, a few block cookies, some sign in (typos give 401 then success), a few follow dead links. HEAD comes from
 * service-worker asset revalidation, office suites probing mailed links and an uptime monitor. Mobile app users
 * (shared key, JSON only) and the partner integration (steady or periodic batches) run throughout.
 * When the seed says the edge proxy passes a TLS fingerprint, every request carries x-ja4 matching the real TLS
 * stack of the client (a tool wearing a browser UA keeps its own stack unless it imitates one).
 *
 * Attacks (kind 'bot', one actor per attacking client or per address): see generateScenarioC; every range is drawn
 * per seed and reported in params. The generator is open loop and deterministic per (scenario, seed).
 */
import type { Scenario, ScenarioName, SimEvent } from './sim-traffic.ts';

type Kind = SimEvent['kind'];
export const SESSION_COOKIE_C = 'rl_sid';
const APP_KEY = 'sim-mobile-app-key-0001';
const PARTNER_KEY = 'sim-partner-key-0002';
const MIN = 60_000;

// ---------- PRNG ----------
interface Rng { f(): number; u(a: number, b: number): number; i(a: number, b: number): number; c(p: number): boolean; pick<T>(a: readonly T[]): T; exp(mean: number): number; logn(median: number, sigma: number): number; hex(n: number): string }
function rng(seed: number): Rng {
  let a = (seed >>> 0) ^ 0x9e3779b9;
  const f = (): number => { a = (a + 0x6d2b79f5) | 0; let t = Math.imul(a ^ (a >>> 15), 1 | a); t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t; return ((t ^ (t >>> 14)) >>> 0) / 4294967296; };
  const r: Rng = {
    f, u: (x, y) => x + (y - x) * f(), i: (x, y) => x + Math.floor(f() * (y - x + 1)), c: (p) => f() < p,
    pick: (arr) => arr[Math.floor(f() * arr.length)]!,
    exp: (m) => -m * Math.log(1 - f()),
    logn: (m, s) => { const g = Math.sqrt(-2 * Math.log(1 - f())) * Math.cos(2 * Math.PI * f()); return m * Math.exp(s * g); },
    hex: (n) => { let s = ''; for (let k = 0; k < n; k++) s += Math.floor(f() * 16).toString(16); return s; },
  };
  return r;
}
function hashStr(s: string): number { let h = 2166136261; for (let k = 0; k < s.length; k++) h = Math.imul(h ^ s.charCodeAt(k), 16777619); return h >>> 0; }

// ---------- Site catalogue ----------
const STATIONS = ['london-kings-cross', 'london-euston', 'manchester-piccadilly', 'leeds', 'york', 'edinburgh', 'glasgow-central', 'birmingham-new-street', 'bristol-temple-meads', 'cardiff-central', 'liverpool-lime-street', 'newcastle', 'sheffield', 'nottingham', 'oxford', 'cambridge', 'brighton', 'reading', 'bath-spa', 'exeter-st-davids', 'plymouth', 'norwich', 'aberdeen', 'inverness', 'durham', 'lancaster', 'preston', 'crewe', 'derby', 'leicester'] as const;
const DEALS = ['railcard-savings', 'group-travel', 'weekend-breaks', 'advance-fares', 'coach-deals', 'student-offers', 'family-days-out', 'first-class-upgrade'];
const HELP = ['refunds', 'delays-compensation', 'eticket', 'railcards', 'luggage', 'accessibility', 'contact', 'change-booking'];
const DEAD = ['/offers/summer-2023', '/stations/londn-euston', '/journeys/leeds-yrok', '/deals/black-friday-2022', '/help/covid-travel', '/timetables.pdf', '/m/home', '/apple-touch-icon-precomposed.png'];
const QUERIES = ['edinburgh', 'york', 'refund', 'railcard', 'cheap tickets london', 'bike', 'manchester airport', 'oxford', 'delay repay', 'sleeper'];

// ---------- Clients ----------
interface Browser { fam: 'chrome' | 'edge' | 'firefox' | 'safari' | 'samsung' | 'headless'; mobile: boolean; ua: string; ch: string | null; plat: string; lang: string; ja4: string }
const JA4 = {
  chrome: 't13d1516h2_8daaf6152771_02713d6af862', firefox: 't13d1715h2_5b57614c22b0_3d5424432f57', safari: 't13d2014h2_a09f3c656075_14788d8d241b',
  python: 't13d1812h1_85036bcba153_b26ce05bbdd6', go: 't13d1311h2_f57a46bbacb6_e7c285222651', curl: 't13d3112h2_e8f1e7e78f70_6bebaf5329ac',
  java: 't13d4512h1_c866b44c5a26_2c5b8f2f8c2b', okhttp: 't13d1713h2_5b57614c22b0_eeeea6562960', node: 't13d5212h1_b262b3658495_8e6e362c5eac',
};
const GREASE: Record<number, string> = { 128: '"Not;A=Brand";v="24"', 129: '"Not=A?Brand";v="8"', 130: '"Not?A_Brand";v="99"', 131: '"Not_A Brand";v="24"', 132: '"Not A(Brand";v="8"' };
const LANGS = ['en-GB,en;q=0.9', 'en-GB,en-US;q=0.9,en;q=0.8', 'en-US,en;q=0.9', 'en-GB,en;q=0.9,fr;q=0.8', 'pl-PL,pl;q=0.9,en-US;q=0.8,en;q=0.7', 'de-DE,de;q=0.9,en;q=0.8'];

function browser(r: Rng, want?: { fam?: Browser['fam']; mobile?: boolean }): Browser {
  const mobile = want?.mobile ?? r.c(0.55);
  const fam = want?.fam ?? (mobile ? r.pick(['safari', 'safari', 'chrome', 'chrome', 'samsung'] as const) : r.pick(['chrome', 'chrome', 'chrome', 'edge', 'firefox', 'safari'] as const));
  let lang = r.pick(LANGS);
  const v = r.i(128, 132);
  const ch = (brand: string, bv: number): string => `"${brand}";v="${bv}", "Chromium";v="${v}", ${GREASE[v]}`;
  const sv = r.pick(['17.6', '18.1', '18.2', '18.3']);
  switch (fam) {
    case 'firefox': { const fv = r.i(130, 134); lang = lang.replace(/q=0\.9/, 'q=0.5');
      return { fam, mobile, lang, ch: null, plat: '', ja4: JA4.firefox, ua: mobile ? `Mozilla/5.0 (Android 14; Mobile; rv:${fv}.0) Gecko/${fv}.0 Firefox/${fv}.0` : r.c(0.7) ? `Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:${fv}.0) Gecko/20100101 Firefox/${fv}.0` : `Mozilla/5.0 (X11; Linux x86_64; rv:${fv}.0) Gecko/20100101 Firefox/${fv}.0` }; }
    case 'safari':
      return { fam, mobile, lang: lang.split(',').slice(0, 2).join(','), ch: null, plat: '', ja4: JA4.safari, ua: mobile ? `Mozilla/5.0 (iPhone; CPU iPhone OS ${sv.replace('.', '_')} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/${sv} Mobile/15E148 Safari/604.1` : `Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/${sv} Safari/605.1.15` };
    case 'samsung':
      return { fam, mobile: true, lang, ch: `"Samsung Internet";v="26.0", "Chromium";v="122", "Not(A:Brand";v="24"`, plat: '"Android"', ja4: JA4.chrome, ua: 'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36' };
    case 'edge':
      return { fam, mobile: false, lang, ch: ch('Microsoft Edge', v), plat: '"Windows"', ja4: JA4.chrome, ua: `Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${v}.0.0.0 Safari/537.36 Edg/${v}.0.0.0` };
    case 'headless':
      return { fam, mobile: false, lang: 'en-US,en;q=0.9', ch: `"Chromium";v="${v}", ${GREASE[v]}`, plat: '"Linux"', ja4: JA4.chrome, ua: `Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/${v}.0.0.0 Safari/537.36` };
    default: {
      if (mobile) return { fam: 'chrome', mobile, lang, ch: ch('Google Chrome', v), plat: '"Android"', ja4: JA4.chrome, ua: `Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${v}.0.0.0 Mobile Safari/537.36` };
      const mac = r.c(0.3);
      return { fam: 'chrome', mobile, lang, ch: ch('Google Chrome', v), plat: mac ? '"macOS"' : '"Windows"', ja4: JA4.chrome, ua: mac ? `Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${v}.0.0.0 Safari/537.36` : `Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${v}.0.0.0 Safari/537.36` };
    }
  }
}

type Dest = 'document' | 'form' | 'empty' | 'beacon' | 'script' | 'style' | 'image' | 'font';
/** The site's own origin, in its pages' Referer and Origin headers. */
export const SITE_ORIGIN_C = 'https://www.railline.example';
const ORIGIN = SITE_ORIGIN_C;
function bHeaders(b: Browser, dest: Dest, site: string, ref: string | null, cookie: string | null): Record<string, string> {
  const chromium = b.ch !== null, ff = b.fam === 'firefox';
  const h: Record<string, string> = {};
  if (chromium) { h['sec-ch-ua'] = b.ch!; h['sec-ch-ua-mobile'] = b.mobile ? '?1' : '?0'; h['sec-ch-ua-platform'] = b.plat; }
  if (dest === 'document' || dest === 'form') {
    if (dest === 'form') { h['cache-control'] = 'max-age=0'; h['content-type'] = 'application/x-www-form-urlencoded'; h['origin'] = ORIGIN; }
    h['upgrade-insecure-requests'] = '1';
    h['accept'] = chromium ? 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7' : 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
    h['sec-fetch-site'] = site; h['sec-fetch-mode'] = 'navigate'; if (site !== 'same-origin' || dest === 'form' || chromium) h['sec-fetch-user'] = '?1'; h['sec-fetch-dest'] = 'document';
    h['priority'] = 'u=0, i';
  } else if (dest === 'empty' || dest === 'beacon') {
    h['accept'] = dest === 'beacon' ? '*/*' : 'application/json, text/plain, */*';
    if (dest === 'beacon') { h['content-type'] = 'text/plain;charset=UTF-8'; h['origin'] = ORIGIN; }
    h['sec-fetch-site'] = 'same-origin'; h['sec-fetch-mode'] = dest === 'beacon' ? 'no-cors' : 'cors'; h['sec-fetch-dest'] = 'empty';
    h['priority'] = ff ? 'u=4' : 'u=1, i';
  } else {
    h['accept'] = dest === 'style' ? 'text/css,*/*;q=0.1' : dest === 'image' ? (chromium ? 'image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8' : ff ? 'image/avif,image/webp,image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5' : 'image/webp,image/avif,image/jxl,image/heic,image/heic-sequence,video/*;q=0.8,image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5') : '*/*';
    h['sec-fetch-site'] = 'same-origin'; h['sec-fetch-mode'] = dest === 'font' ? 'cors' : 'no-cors'; h['sec-fetch-dest'] = dest;
    h['priority'] = dest === 'image' ? 'i' : dest === 'style' ? 'u=0' : 'u=1';
  }
  h['user-agent'] = b.ua;
  h['accept-encoding'] = b.fam === 'safari' ? 'gzip, deflate, br' : 'gzip, deflate, br, zstd';
  h['accept-language'] = b.lang;
  if (ref) h['referer'] = ref;
  if (cookie) h['cookie'] = cookie;
  return h;
}

// tools that do not pretend to be browsers
const TOOLS: { ua: string; ja4: string; h: Record<string, string> }[] = [
  { ua: 'python-requests/2.32.3', ja4: JA4.python, h: { 'accept-encoding': 'gzip, deflate', accept: '*/*', connection: 'keep-alive' } },
  { ua: 'python-requests/2.31.0', ja4: JA4.python, h: { 'accept-encoding': 'gzip, deflate', accept: '*/*', connection: 'keep-alive' } },
  { ua: 'Go-http-client/2.0', ja4: JA4.go, h: { 'accept-encoding': 'gzip' } },
  { ua: 'curl/8.5.0', ja4: JA4.curl, h: { accept: '*/*' } },
  { ua: 'Java/17.0.9', ja4: JA4.java, h: { accept: 'text/html, image/gif, image/jpeg, *; q=.2, */*; q=.2' } },
  { ua: 'axios/1.7.7', ja4: JA4.node, h: { accept: 'application/json, text/plain, */*', 'accept-encoding': 'gzip, compress, deflate, br' } },
  { ua: 'Python/3.11 aiohttp/3.9.5', ja4: JA4.python, h: { accept: '*/*', 'accept-encoding': 'gzip, deflate' } },
  { ua: 'okhttp/4.12.0', ja4: JA4.okhttp, h: { 'accept-encoding': 'gzip' } },
];
function toolHeaders(t: (typeof TOOLS)[number], extra?: Record<string, string>): Record<string, string> { return { 'user-agent': t.ua, ...t.h, ...extra }; }

// ---------- Addresses ----------
const RES4 = ['81', '86', '92', '109', '5', '31', '77', '82', '90', '176', '188', '2', '37', '78', '84', '94', '151', '212'];
const DC4 = ['34', '35', '3', '18', '52', '54', '104', '138.68', '159.89', '167.172', '45.76', '95.216', '65.108', '51.15', '143.198', '185.220'];
function octets(r: Rng, pre: string): string { const p = pre.split('.'); while (p.length < 4) p.push(String(r.i(p.length === 3 ? 2 : 0, 254))); return p.join('.'); }
function resIp(r: Rng): string { return r.c(0.25) ? `2a0${r.i(0, 2)}:${r.hex(3)}:${r.hex(4)}:${r.hex(4)}:${r.hex(4)}:${r.hex(4)}:${r.hex(4)}:${r.hex(4)}` : octets(r, r.pick(RES4)); }
function dcIp(r: Rng): string { return octets(r, r.pick(DC4)); }

// ---------- Emission ----------
interface Ctx { ev: SimEvent[]; end: number; ja4: boolean; r: Rng; headP: number; capBot: number; bots: number }
function push(c: Ctx, at: number, actor: string, kind: Kind, method: string, path: string, ip: string, headers: Record<string, string>, code: number, ja4: string, ct?: string): void {
  if (at < 0 || at >= c.end) return;
  if (kind === 'bot') { if (c.bots >= c.capBot) return; c.bots++; }
  if (c.ja4) headers['x-ja4'] = ja4;
  const e: SimEvent = { at: Math.round(at), seq: c.ev.length, actor, kind, method, path, ip, headers, code };
  if (ct) e.contentType = ct;
  c.ev.push(e);
}

// ---------- Browser sessions ----------
interface Sess { actor: string; kind: Kind; b: Browser; ip: string; pool: string[] | null; cookie: string | null; blocks: boolean; sid: string; consent: boolean; cached: boolean; logged: boolean; ref: string | null; assets: string }
type PageT = 'home' | 'journey' | 'station' | 'deals' | 'deal' | 'search' | 'login' | 'bookings' | 'booking' | 'help' | 'dead' | 'lp';

function sreq(c: Ctx, s: Sess, at: number, method: string, path: string, dest: Dest, code: number, site = 'same-origin', ct?: string): void {
  let m = method;
  if (m === 'GET' && (dest === 'image' || dest === 'script' || dest === 'style') && c.r.c(c.headP)) m = 'HEAD';
  if (s.pool && c.r.c(0.01)) s.ip = c.r.pick(s.pool);
  push(c, at, s.actor, s.kind, m, path, s.ip, bHeaders(s.b, dest, site, s.ref, s.blocks ? null : s.cookie), code, s.b.ja4, ct);
}

function pagePath(r: Rng, t: PageT): { path: string; api: string[]; imgs: number; code: number } {
  const a = r.pick(STATIONS), b = r.pick(STATIONS), d = `2026-12-${String(r.i(5, 28)).padStart(2, '0')}`;
  switch (t) {
    case 'home': return { path: '/', api: ['/api/v1/deals/featured', '/api/v1/stations/popular'], imgs: 4, code: 200 };
    case 'journey': return { path: `/journeys/${a}-${b}?date=${d}&pax=${r.i(1, 4)}${r.c(0.3) ? '&railcard=1626' : ''}`, api: [`/api/v1/fares?from=${a}&to=${b}&date=${d}`, `/api/v1/disruptions?station=${a}`], imgs: 1, code: 200 };
    case 'station': return { path: `/stations/${a}`, api: [`/api/v1/stations/${a}/departures?limit=20`], imgs: 2, code: 200 };
    case 'deals': return { path: '/deals', api: ['/api/v1/deals?page=1'], imgs: 6, code: 200 };
    case 'deal': return { path: `/deals/${r.pick(DEALS)}`, api: ['/api/v1/deals/featured'], imgs: 3, code: 200 };
    case 'search': return { path: `/search?q=${encodeURIComponent(r.pick(QUERIES)).replace(/%20/g, '+')}`, api: [], imgs: 2, code: 200 };
    case 'login': return { path: '/account/login', api: [], imgs: 0, code: 200 };
    case 'bookings': return { path: '/account/bookings', api: ['/api/v1/me/bookings'], imgs: 0, code: 200 };
    case 'booking': return { path: `/booking/RL${r.hex(6).toUpperCase()}`, api: [], imgs: 1, code: 200 };
    case 'help': return { path: `/help/${r.pick(HELP)}`, api: [], imgs: 1, code: 200 };
    case 'dead': return { path: r.pick(DEAD), api: [], imgs: 0, code: 404 };
    default: return { path: '/', api: [], imgs: 0, code: 200 };
  }
}

/** One page view: document, assets (first view unless cached), images, JSON calls, beacon. */
function view(c: Ctx, s: Sess, t: number, p: { path: string; api: string[]; imgs: number; code: number }, site: string, first: boolean): void {
  const r = c.r;
  sreq(c, s, t, 'GET', p.path, 'document', p.code, site);
  if (!s.blocks && !s.cookie) s.cookie = `${SESSION_COOKIE_C}=${s.sid}`;
  s.ref = ORIGIN + p.path; // subresources and the next navigation refer to this page
  const base = t + r.u(60, 400);
  if (first && !s.cached) {
    for (const a of [`/static/app.${s.assets}.js`, `/static/vendor.${s.assets.slice(0, 6)}.js`]) sreq(c, s, base + r.u(0, 80), 'GET', a, 'script', 200, 'same-origin', 'application/javascript');
    sreq(c, s, base + r.u(0, 60), 'GET', `/static/main.${s.assets.slice(2)}.css`, 'style', 200, 'same-origin', 'text/css');
    sreq(c, s, base + r.u(100, 300), 'GET', '/static/fonts/inter-var.woff2', 'font', 200, 'same-origin', 'font/woff2');
    sreq(c, s, base + r.u(200, 600), 'GET', '/favicon.ico', 'image', 200, 'same-origin', 'image/x-icon');
    if (!s.blocks) sreq(c, s, base + r.u(200, 500), 'GET', '/api/v1/session', 'empty', 200);
  } else if (r.c(0.25)) sreq(c, s, base, 'GET', `/static/chunk-${r.hex(8)}.js`, 'script', 200, 'same-origin', 'application/javascript');
  if (p.code !== 200) return;
  for (const a of p.api) sreq(c, s, base + r.u(150, 900), 'GET', a, 'empty', 200);
  for (let k = 0; k < p.imgs; k++) if (first || r.c(0.5)) sreq(c, s, base + r.u(200, 2500), 'GET', `/img/dest/${r.pick(STATIONS)}-${s.b.mobile ? 480 : 960}.webp`, 'image', 200, 'same-origin', 'image/webp');
  if (first && !s.blocks && !s.consent && r.c(0.7)) { s.consent = true; s.cookie += `; rl_consent=1; _ga=GA1.1.${r.i(1e8, 2e9)}.${1764800000 + r.i(0, 90000)}`; }
  if (s.consent) sreq(c, s, t + r.u(1000, 4000), 'POST', '/api/v1/t', 'beacon', 204, 'same-origin', 'text/plain');
}

function browse(c: Ctx, s: Sess, t0: number, entry: PageT | { path: string; api: string[]; imgs: number; code: number }, entrySite: string, pages: number, think: number): void {
  const r = c.r;
  let t = t0, first = true;
  let cur = typeof entry === 'string' ? pagePath(r, entry) : entry;
  let site = entrySite;
  for (let n = 0; n < pages && t < c.end; n++) {
    view(c, s, t, cur, site, first);
    first = false; site = 'same-origin';
    t += Math.min(300_000, r.logn(think, 0.9)) + 800;
    // typing in the search box fires suggest calls
    const next: PageT = r.pick(['journey', 'journey', 'journey', 'station', 'deals', 'deal', 'search', 'home', 'help', 'login', 'booking', 'dead'] as const);
    if (next === 'dead' && r.c(0.7)) continue;
    if (next === 'search' || (next === 'journey' && r.c(0.4))) { const q = r.pick(STATIONS); for (let k = 2; k <= Math.min(q.length, r.i(3, 6)); k++) sreq(c, s, t - 1500 + k * r.u(120, 300), 'GET', `/api/v1/stations/suggest?q=${q.slice(0, k)}`, 'empty', 200); }
    if (next === 'login' && !s.blocks && !s.logged) { t = login(c, s, t); cur = pagePath(r, 'bookings'); continue; }
    cur = pagePath(r, next === 'login' ? 'help' : next);
  }
}

function login(c: Ctx, s: Sess, t: number): number {
  const r = c.r;
  view(c, s, t, pagePath(r, 'login'), 'same-origin', false);
  t += r.u(6000, 25000);
  const typos = r.c(0.2) ? r.i(1, 2) : 0;
  for (let k = 0; k < typos; k++) { sreq(c, s, t, 'POST', '/account/login', 'form', 401); s.ref = ORIGIN + '/account/login'; t += r.u(4000, 15000); }
  if (r.c(0.04)) { sreq(c, s, t, 'POST', '/account/login', 'form', 401); return t + r.u(5000, 20000); } // gives up (forgot password)
  sreq(c, s, t, 'POST', '/account/login', 'form', 302);
  s.cookie += `; rl_auth=${r.hex(24)}`; s.logged = true; s.ref = ORIGIN + '/account/login';
  return t + r.u(300, 900);
}

// ---------- People ----------
interface Office { ip: string; b: Browser }
interface Carrier { pool: string[] }
interface World { offices: Office[]; carriers: Carrier[]; homes: { ip: string; devs: Browser[] }[]; rate: number; think: number; assets: string; params: Record<string, number | string | boolean> }

function world(r: Rng): World {
  const offices: Office[] = [];
  for (let k = r.i(3, 8); k > 0; k--) offices.push({ ip: dcIp(r).replace(/^\d+/, String(r.pick([62, 80, 195, 213, 193]))), b: browser(r, { fam: r.pick(['chrome', 'edge'] as const), mobile: false }) });
  const carriers: Carrier[] = [];
  for (let k = r.i(2, 4); k > 0; k--) { const pre = `${r.pick([82, 92, 176, 31, 148])}.${r.i(0, 254)}.${r.i(0, 254)}`; const pool: string[] = []; for (let j = r.i(3, 12); j > 0; j--) pool.push(`${pre}.${r.i(1, 254)}`); carriers.push({ pool }); }
  const rate = r.u(9, 20), think = r.u(8000, 16000);
  return { offices, carriers, homes: [], rate, think, assets: r.hex(10), params: { peopleRatePerMin: +rate.toFixed(1), thinkMedianS: +(think / 1000).toFixed(1), offices: offices.length, carriers: carriers.length } };
}

function newSess(c: Ctx, w: World, actor: string, kind: Kind, forceNew: boolean): Sess {
  const r = c.r;
  let b: Browser, ip: string, pool: string[] | null = null;
  const x = r.f();
  if (!forceNew && x < 0.18) { const o = r.pick(w.offices); b = o.b; ip = o.ip; }
  else if (x < 0.5) { const car = r.pick(w.carriers); pool = car.pool; ip = r.pick(pool); b = browser(r, { mobile: true }); }
  else if (!forceNew && x < 0.65 && w.homes.length > 5) { const h = r.pick(w.homes); ip = h.ip; b = r.pick(h.devs); if (r.c(0.3)) { b = browser(r); h.devs.push(b); } }
  else { ip = resIp(r); b = browser(r); if (w.homes.length < 400) w.homes.push({ ip, devs: [b] }); }
  const ret = !forceNew && r.c(0.3), blocks = r.c(0.04);
  return { actor, kind, b, ip, pool, blocks, sid: r.hex(32), consent: ret && r.c(0.7), cached: ret && r.c(0.5), logged: false, ref: null, assets: w.assets,
    cookie: ret && !blocks ? `${SESSION_COOKIE_C}=${r.hex(32)}${r.c(0.7) ? `; rl_consent=1; _ga=GA1.1.${r.i(1e8, 2e9)}.${1760000000 + r.i(0, 4e6)}` : ''}` : null };
}

function people(c: Ctx, w: World): void {
  const r = c.r, phase = r.u(0, 6.28), per = r.u(15, 40) * MIN, amp = r.u(0.1, 0.35);
  let n = 0;
  for (let t = r.exp(MIN / w.rate); t < c.end; t += r.exp(MIN / (w.rate * (1 + amp))) ) {
    if (!r.c((1 + amp * Math.sin(phase + (2 * Math.PI * t) / per)) / (1 + amp))) continue;
    n++;
    if (r.c(0.14)) { app(c, `app-${n}`, t, w); continue; }
    const s = newSess(c, w, `p${n}`, 'person', false);
    const src = r.f();
    const entry: PageT = src < 0.35 ? 'home' : src < 0.7 ? 'journey' : src < 0.8 ? 'station' : src < 0.9 ? 'deal' : src < 0.97 ? 'help' : 'dead';
    const site = src < 0.35 && s.cookie ? 'none' : 'cross-site';
    s.ref = site === 'cross-site' ? r.pick(['https://www.google.com/', 'https://www.google.co.uk/', 'https://www.bing.com/', 'https://duckduckgo.com/']) : null;
    if (entry === 'deal' && r.c(0.3)) { s.ref = null; push(c, t - r.u(300, 900), s.actor, 'person', 'HEAD', pagePath(r, 'deal').path, s.ip, { 'user-agent': 'Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17928; Pro)', accept: '*/*' }, 200, s.b.ja4); }
    const pages = r.c(0.38) ? 1 : 1 + Math.min(14, Math.floor(r.exp(4)));
    browse(c, s, t, entry, site, pages, w.think);
  }
  // uptime monitor (two probe locations) and the partner integration
  const mon = [dcIp(r), dcIp(r)];
  for (let t = r.u(0, MIN); t < c.end; t += MIN) mon.forEach((ip, k) => push(c, t + k * 20_000, `monitor-${k}`, 'person', k ? 'GET' : 'HEAD', k ? '/healthz' : '/', ip, { 'user-agent': 'Mozilla/5.0 (compatible; SiteStatusMonitor/2.0)', accept: '*/*', 'accept-encoding': 'gzip' }, 200, JA4.go));
  partner(c, w);
}

function app(c: Ctx, actor: string, t0: number, w: World): void {
  const r = c.r, ios = r.c(0.55), ver = r.pick(['5.12.0', '5.12.1', '5.11.3']);
  const ua = ios ? `Railline/${ver} (iPhone; iOS ${r.pick(['17.6', '18.1', '18.2'])}; Scale/3.00)` : `Railline/${ver} (Android ${r.i(11, 15)}; ${r.pick(['Pixel 7', 'SM-S911B', 'SM-A546B', 'moto g84'])}) okhttp/4.12.0`;
  const car = r.c(0.6) ? r.pick(w.carriers).pool : null;
  const ip = car ? r.pick(car) : resIp(r);
  const token = r.c(0.6) ? `Bearer ey${r.hex(40)}` : null;
  const h = (): Record<string, string> => { const x: Record<string, string> = { 'user-agent': ua, accept: 'application/json', 'accept-encoding': ios ? 'gzip, deflate, br' : 'gzip', 'accept-language': ios ? 'en-GB;q=1.0' : 'en-GB', 'x-api-key': APP_KEY, 'x-app-version': ver }; if (token) x['authorization'] = token; return x; };
  const ja = ios ? JA4.safari : JA4.okhttp;
  const go = (t: number, m: string, p: string, code = 200): void => push(c, t, actor, 'person', m, p, ip, h(), code, ja);
  let t = t0;
  go(t, 'GET', '/api/v1/app/config'); go(t + r.u(100, 400), 'GET', '/api/v1/app/feed');
  if (token && r.c(0.2)) go(t + r.u(200, 600), 'POST', '/api/v1/auth/refresh');
  if (!token && r.c(0.08)) { const bad = r.c(0.2); go(t + r.u(8000, 20000), 'POST', '/api/v1/auth/token', bad ? 401 : 200); if (bad) go(t + r.u(25000, 40000), 'POST', '/api/v1/auth/token'); }
  for (let k = r.i(1, 10); k > 0 && t < c.end; k--) {
    t += r.logn(9000, 0.8);
    const a = r.pick(STATIONS), b = r.pick(STATIONS);
    const x = r.f();
    if (x < 0.5) { go(t, 'GET', `/api/v1/fares?from=${a}&to=${b}&date=2026-12-${r.i(10, 28)}`); if (r.c(0.4)) go(t + r.u(200, 700), 'GET', `/api/v1/disruptions?station=${a}`); }
    else if (x < 0.75) go(t, 'GET', `/api/v1/stations/${a}/departures?limit=20`);
    else if (token) { go(t, 'GET', '/api/v1/me/bookings'); if (r.c(0.5)) go(t + r.u(2000, 6000), 'GET', `/api/v1/me/tickets/RL${r.hex(6).toUpperCase()}/pass`); }
    else go(t, 'GET', '/api/v1/deals/featured');
  }
}

function partner(c: Ctx, w: World): void {
  const r = c.r, ips = r.c(0.5) ? [dcIp(r)] : [dcIp(r), dcIp(r)], periodic = r.c(0.5);
  const ua = r.pick(['Apache-HttpClient/4.5.14 (Java/17.0.10)', 'TravelAgg-Sync/3.4', 'Go-http-client/1.1']);
  const ja = ua.startsWith('Go') ? JA4.go : JA4.java;
  const hdr = (): Record<string, string> => ({ 'user-agent': ua, accept: 'application/json', 'accept-encoding': 'gzip,deflate', 'x-api-key': PARTNER_KEY });
  w.params['partner'] = periodic ? 'periodic' : 'steady'; w.params['partnerIps'] = ips.length;
  if (periodic) {
    const every = r.pick([5, 10, 15]) * MIN, pages = r.i(15, 60);
    for (let t = r.u(0, every); t < c.end; t += every) { let u = t; for (let p = 1; p <= pages; p++) { u += r.u(150, 600); push(c, u, `partner-${p % ips.length}`, 'person', 'GET', `/api/partner/v1/timetable?since=${Math.floor((t - every) / 1000)}&page=${p}`, ips[p % ips.length]!, hdr(), 200, ja); } }
  } else {
    const gap = r.u(10_000, 45_000);
    for (let t = r.u(0, gap), k = 0; t < c.end; t += gap * r.u(0.9, 1.1), k++) push(c, t, `partner-${k % ips.length}`, 'person', 'GET', `/api/partner/v1/fares/${r.pick(STATIONS)}-${r.pick(STATIONS)}?date=2026-12-${r.i(10, 28)}`, ips[k % ips.length]!, hdr(), r.c(0.03) ? 404 : 200, ja);
  }
}

// ---------- Attacks ----------
/** A bot's header source: a tool, or a browser header set (the stack imitated or not). */
interface BotId { b: Browser | null; tool: (typeof TOOLS)[number]; ja4: string }
function botId(r: Rng, useBrowser: boolean, imitate: boolean, fam?: Browser['fam']): BotId {
  const tool = r.pick(TOOLS.slice(0, 7));
  if (!useBrowser) return { b: null, tool, ja4: tool.ja4 };
  const b = browser(r, fam ? { fam, mobile: false } : { mobile: r.c(0.3) });
  return { b, tool, ja4: imitate ? b.ja4 : tool.ja4 };
}
function botHdr(id: BotId, dest: Dest, site: string, ref: string | null, cookie: string | null, extra?: Record<string, string>): Record<string, string> {
  const h = id.b ? bHeaders(id.b, dest, site, ref, cookie) : toolHeaders(id.tool, cookie ? { cookie } : undefined);
  return extra ? { ...h, ...extra } : h;
}
function fareUrl(r: Rng): string { return `/api/v1/fares?from=${r.pick(STATIONS)}&to=${r.pick(STATIONS)}&date=2026-12-${String(r.i(5, 31)).padStart(2, '0')}`; }

function attack(c: Ctx, name: ScenarioName, W: number, M: number, w: World, P: Record<string, number | string | boolean>): [number, number] | null {
  const r = c.r, end = W + M;
  let start = W + M * r.u(0.1, 0.25);
  let dur = M * r.u(0.3, 0.55);
  const imitate = r.c(0.5);
  switch (name) {
    case 'people': return null;
    case 'campaign': {
      const mult = r.u(5, 20), slug = r.pick(['winter-sale', 'xmas-getaways', 'railcard-50', 'ski-trains']), bounce = r.u(0.55, 0.8);
      const src = r.pick(['facebook', 'instagram', 'newsletter', 'tiktok', 'x']);
      const ref = src === 'facebook' ? 'https://l.facebook.com/' : src === 'instagram' ? 'https://l.instagram.com/' : src === 'tiktok' ? 'https://www.tiktok.com/' : src === 'x' ? 'https://t.co/' : null;
      Object.assign(P, { campaignMult: +mult.toFixed(1), source: src, bounce: +bounce.toFixed(2) });
      let n = 0;
      for (let t = start + r.exp(MIN / (w.rate * mult)); t < start + dur; t += r.exp(MIN / (w.rate * mult))) {
        if (c.ev.length > 56_000) { P['campaignTruncated'] = true; break; } // event budget
        const s = newSess(c, w, `c${++n}`, 'campaign', true);
        if (src !== 'newsletter' && r.c(0.6) && !s.b.mobile) s.b = browser(r, { mobile: true });
        s.ref = ref ?? (r.c(0.3) ? 'https://mail.google.com/' : null);
        const path = `/lp/${slug}?utm_source=${src}&utm_medium=${src === 'newsletter' ? 'email' : 'paid_social'}&utm_campaign=${slug}-dec${src === 'facebook' ? `&fbclid=IwAR${r.hex(20)}` : ''}`;
        browse(c, s, t, { path, api: ['/api/v1/deals/featured', `/api/v1/campaigns/${slug}`], imgs: 5, code: 200 }, s.ref ? 'cross-site' : 'none', r.c(bounce) ? 1 : r.i(2, 6), w.think);
      }
      P['campaignVisitors'] = n; break;
    }
    case 'burst-cold': case 'burst-warm': {
      if (name === 'burst-cold') start = r.u(10_000, 2 * MIN);
      dur = Math.min(end - start, M * r.u(0.15, 0.4));
      const rpm = r.u(250, 2500), asBrowser = r.c(0.5), keep = r.c(0.5);
      const id = botId(r, asBrowser, imitate, asBrowser ? 'chrome' : undefined), ip = r.c(0.7) ? dcIp(r) : resIp(r);
      const mode = r.pick(['fares', 'pages', 'mixed']);
      Object.assign(P, { rpm: Math.round(rpm), ua: id.b ? 'chrome' : id.tool.ua, keepsCookie: keep, imitatesTls: asBrowser && imitate, target: mode });
      let cookie: string | null = null, ref: string | null = null;
      for (let t = start; t < start + dur; t += r.exp(MIN / rpm)) {
        const api = mode === 'fares' || (mode === 'mixed' && r.c(0.5));
        const p = api ? fareUrl(r) : pagePath(r, r.pick(['journey', 'station', 'deal'] as const)).path;
        push(c, t, 'burst', 'bot', 'GET', p, ip, botHdr(id, api ? 'empty' : 'document', ref ? 'same-origin' : 'none', ref, cookie), r.c(0.02) ? 404 : 200, id.ja4);
        if (keep && !cookie) cookie = `${SESSION_COOKIE_C}=${r.hex(32)}`;
        if (id.b && !api) ref = ORIGIN + p;
      }
      break;
    }
    case 'residential-proxy': {
      const nIps = r.i(1500, 6000), uas = Array.from({ length: r.i(3, 8) }, () => botId(r, true, imitate));
      const api = r.c(0.4);
      Object.assign(P, { ips: nIps, uaPool: uas.length, imitatesTls: imitate, target: api ? 'fares-api' : 'journey-pages' });
      for (let k = 0; k < nIps; k++) {
        const ip = resIp(r), id = r.pick(uas); let t = start + r.u(0, dur);
        for (let j = r.i(1, 3); j > 0; j--) { const p = api ? fareUrl(r) : pagePath(r, 'journey').path; push(c, t, `rp-${k}`, 'bot', 'GET', p, ip, botHdr(id, api ? 'empty' : 'document', api ? 'same-origin' : r.pick(['none', 'cross-site']), api ? ORIGIN + '/' : r.c(0.5) ? 'https://www.google.com/' : null, null), 200, id.ja4); t += r.u(800, 20_000); }
      }
      break;
    }
    case 'credential-stuffing': {
      const nIps = r.i(150, 600), pre = r.u(0.2, 0.8), uas = Array.from({ length: r.i(2, 6) }, () => botId(r, true, imitate)), resi = r.c(0.6);
      Object.assign(P, { ips: nIps, loadsLoginPage: +pre.toFixed(2), uaPool: uas.length, residential: resi, imitatesTls: imitate });
      for (let k = 0; k < nIps; k++) {
        const ip = resi ? resIp(r) : dcIp(r), id = r.pick(uas); let t = start + r.u(0, dur), cookie: string | null = null;
        if (r.c(pre)) { push(c, t, `cs-${k}`, 'bot', 'GET', '/account/login', ip, botHdr(id, 'document', 'none', null, null), 200, id.ja4); cookie = `${SESSION_COOKIE_C}=${r.hex(32)}`; t += r.u(500, 4000); }
        for (let j = r.i(1, 6); j > 0; j--) { push(c, t, `cs-${k}`, 'bot', 'POST', '/account/login', ip, botHdr(id, 'form', 'same-origin', ORIGIN + '/account/login', cookie), r.c(0.012) ? 302 : 401, id.ja4); t += r.u(1500, 25_000); }
      }
      break;
    }
    case 'token-abuse': {
      const partnerKey = r.c(0.4), nIps = r.i(30, 400), rpm = r.u(100, 1000), copyUa = r.c(0.5), resi = r.c(0.5);
      const appUa = `Railline/5.12.0 (Android 14; Pixel 7) okhttp/4.12.0`;
      const tool = r.pick(TOOLS.slice(0, 7)), ips = Array.from({ length: nIps }, () => (resi ? resIp(r) : dcIp(r)));
      Object.assign(P, { key: partnerKey ? 'partner' : 'app', ips: nIps, rpm: Math.round(rpm), copiesUa: copyUa, residential: resi });
      for (let t = start; t < start + dur; t += r.exp(MIN / rpm)) {
        const k = r.i(0, nIps - 1);
        const h: Record<string, string> = copyUa ? (partnerKey ? { 'user-agent': 'Apache-HttpClient/4.5.14 (Java/17.0.10)', accept: 'application/json', 'accept-encoding': 'gzip,deflate' } : { 'user-agent': appUa, accept: 'application/json', 'accept-encoding': 'gzip', 'accept-language': 'en-GB', 'x-app-version': '5.12.0' }) : toolHeaders(tool);
        h['x-api-key'] = partnerKey ? PARTNER_KEY : APP_KEY;
        const p = partnerKey ? `/api/partner/v1/fares/${r.pick(STATIONS)}-${r.pick(STATIONS)}?date=2026-12-${r.i(10, 28)}` : r.c(0.8) ? fareUrl(r) : `/api/v1/stations/${r.pick(STATIONS)}/departures?limit=50`;
        push(c, t, `tok-${k}`, 'bot', 'GET', p, ips[k]!, h, 200, copyUa ? (partnerKey ? JA4.java : JA4.okhttp) : tool.ja4);
      }
      break;
    }
    case 'crawler': {
      const n = r.i(1, 3); P['crawlers'] = n;
      for (let k = 0; k < n; k++) {
        const ppm = r.u(20, 300), keep = r.c(0.5), id = botId(r, true, imitate), ip = r.c(0.6) ? dcIp(r) : resIp(r);
        const s0 = start + r.u(0, MIN), d = dur * r.u(0.6, 1.3);
        P[`crawler${k}`] = `${Math.round(ppm)}ppm cookie=${keep} ${id.b!.fam}`;
        let cookie: string | null = null, ref: string | null = null;
        const seen = new Set<string>();
        for (let t = s0; t < Math.min(end, s0 + d); t += r.u(0.3, 1.7) * (MIN / ppm)) {
          let p = r.c(0.06) ? r.pick(DEAD) : pagePath(r, r.pick(['journey', 'station', 'station', 'deal', 'help', 'deals', 'home', 'booking'] as const)).path;
          if (p.startsWith('/booking/')) p = `/stations/${r.pick(STATIONS)}`;
          if (seen.has(p)) p = pagePath(r, 'journey').path; seen.add(p);
          push(c, t, `crawler-${k}`, 'bot', 'GET', p, ip, botHdr(id, 'document', ref ? 'same-origin' : 'none', ref, cookie), p.startsWith('/offers') || DEAD.includes(p) ? 404 : 200, id.ja4);
          if (keep && !cookie) cookie = `${SESSION_COOKIE_C}=${r.hex(32)}`;
          ref = ORIGIN + p;
        }
      }
      break;
    }
    case 'distributed-surge': {
      const nIps = r.i(300, 1500), per = r.u(2, 8), route = r.pick(['/search?q=edinburgh', '/api/v1/fares?from=london-kings-cross&to=edinburgh&date=2026-12-24', '/account/login', '/']);
      dur = M * r.u(0.1, 0.3);
      const pool = Array.from({ length: r.i(1, 5) }, () => botId(r, r.c(0.6), imitate)), resi = r.c(0.5);
      Object.assign(P, { ips: nIps, perIp: +per.toFixed(1), route, residential: resi });
      for (let k = 0; k < nIps; k++) {
        const ip = resi ? resIp(r) : dcIp(r), id = r.pick(pool); let t = start + r.u(0, dur);
        for (let j = Math.max(1, Math.round(r.logn(per, 0.5))); j > 0; j--) { push(c, t, `ds-${k}`, 'bot', 'GET', route, ip, botHdr(id, route.startsWith('/api') ? 'empty' : 'document', 'none', null, null), 200, id.ja4); t += r.u(100, 3000); }
      }
      break;
    }
    case 'low-and-slow': {
      start = W; dur = M;
      const n = r.i(2, 5), gapMax = r.u(8_000, 30_000);
      const probes = ['/.env', '/.git/config', '/wp-login.php', '/admin', '/admin/login', '/phpmyadmin/', '/backup.zip', '/api/v1/users', '/api/v1/admin/bookings', '/server-status', '/config.json', '/.aws/credentials', '/actuator/health', '/api/v1/debug', '/console', '/xmlrpc.php', '/graphql', '/api/v2/users', '/robots.txt', '/sitemap.xml', '/api/v1/me/bookings', '/account/bookings'];
      Object.assign(P, { ips: n, gapMaxS: Math.round(gapMax / 1000) });
      for (let k = 0; k < n; k++) {
        const ip = r.c(0.5) ? dcIp(r) : resIp(r), id = botId(r, r.c(0.6), imitate);
        for (let t = start + r.u(0, gapMax); t < end; t += r.u(gapMax / 4, gapMax)) {
          const x = r.f();
          const p = x < 0.55 ? r.pick(probes) : x < 0.8 ? `/booking/RL${r.hex(6).toUpperCase()}` : x < 0.9 ? `/api/v1/bookings/RL${r.hex(6).toUpperCase()}` : pagePath(r, 'station').path;
          const code = p === '/robots.txt' || p === '/sitemap.xml' || p.startsWith('/stations') ? 200 : p.includes('bookings') || p.startsWith('/admin') ? 401 : p.startsWith('/booking/') ? (r.c(0.05) ? 200 : 404) : 404;
          push(c, t, `slow-${k}`, 'bot', 'GET', p, ip, botHdr(id, p.startsWith('/api') ? 'empty' : 'document', 'none', null, r.c(0.3) ? `${SESSION_COOKIE_C}=${r.hex(32)}` : null), code, id.ja4);
        }
      }
      break;
    }
  }
  return [start, Math.min(end, start + dur)];
}

export function generateScenarioC(name: ScenarioName, seed: number, opts?: { measuredMs?: number; warmupMs?: number }): Scenario {
  const M = opts?.measuredMs ?? 20 * MIN;
  const W = name === 'burst-cold' ? 0 : (opts?.warmupMs ?? 30 * MIN);
  const end = W + M;
  const site = rng(seed * 7919 + 17);
  const w = world(site);
  const ja4 = site.c(0.5), headP = site.u(0.09, 0.15);
  // people depend on the seed only (same population across scenarios); attacks on scenario and seed
  const c: Ctx = { ev: [], end, ja4, r: rng(seed * 31 + 5), headP, capBot: 36_000, bots: 0 };
  // people start before the warm-up so the run opens with sessions in progress
  const pc: Ctx = { ...c, end };
  people(pc, w);
  c.ev = pc.ev;
  c.r = rng(hashStr(name) ^ (seed * 2654435761));
  const P: Record<string, string | number | boolean> = { ...w.params, proxyJa4: ja4, headShare: +headP.toFixed(3) };
  let win = attack(c, name, W, M, w, P);
  if (win && name !== 'campaign' && name !== 'low-and-slow') { // report the window the attack's requests really span
    let lo = Infinity, hi = -Infinity;
    for (const e of c.ev) if (e.kind === 'bot') { lo = Math.min(lo, e.at); hi = Math.max(hi, e.at + 1); }
    if (hi > lo) win = [lo, hi];
  }
  const events = c.ev.sort((a, b) => a.at - b.at || a.seq - b.seq);
  events.forEach((e, k) => { e.seq = k; });
  P['botEvents'] = c.bots;
  return { name, seed, events, warmupMs: W, endMs: end, attackStartMs: win ? Math.round(win[0]) : null, attackEndMs: win ? Math.round(win[1]) : null, params: P };
}
