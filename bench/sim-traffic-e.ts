/**
 * Traffic model E: "Forkly", a food-delivery marketplace on one host (https://forkly.example), written
 * independently of the other models. Every parameter is drawn per seed; people are seeded apart from the
 * attack, so one seed gives the same people in every scenario (burst-cold drops the warm-up part of them).
 *
 * THE SITE
 *   Web: server-rendered SEO pages (/, /delivery/{city}, /delivery/{city}/{cuisine}, /r/{city}/{slug},
 *   /search?q=, /promo/{slug}, /group/{code}) with hashed static assets under /static/, images under /img/,
 *   and a React checkout calling /api/web/... with fetch (cart, availability, address autocomplete, quote,
 *   promo, orders, order-status polling, login). The site sets the `forkly_sid` cookie on the first response.
 *   App: /api/v2/... with x-api-key sim-mobile-app-key-0001 (one key for every install), Bearer token
 *   (x-session-token on Android builds < 5.11) for signed-in users, x-device-id, images via the OS loader.
 *   Partner (POS integration "TillBridge"): /api/partner/v1/... with x-api-key sim-partner-key-0002.
 *   Restaurant tablets and couriers use the web app: /api/orders?restaurant=..., /api/courier/...
 *
 * THE PEOPLE (kind 'person'; arrivals are Poisson, their rate follows a lunch ramp lo..hi x, lo 0.55-0.75,
 * hi 1.35-1.9, a sigmoid centred 20-60 % into the measured window)
 *   web visitors   5-8 sessions/min; 40-60 % on phones (home Wi-Fi or carrier NAT), search/direct/social/
 *                  referral/e-mail landings, 35-55 % return with a cookie (10-20 % of those expired -> 401
 *                  and a new cookie), 3-8 % block cookies; pages + assets + lazy images, 304s on revalidation,
 *                  ~2.5 % stale search links -> 404, checkout with login, autocomplete typing, order tracking.
 *   app users      10-15 sessions/min (55 % iOS); Wi-Fi (home IPv4 or IPv6) or cellular (3-8 CGNAT IPv4s
 *                  per carrier shared by everyone, or a per-device IPv6 /64), 20-35 % switch network
 *                  mid-session; reachability HEADs, token refresh 401s, search-as-you-type with rare 429s.
 *   offices        2-6 office NATs at lunch, 6-25 colleagues each on one managed browser build, group orders.
 *   tablets        10-25 restaurant tablets behind the restaurant's router, polling every 5-15 s all run long,
 *                  HEAD /api/ping every 30 s, accept/ready POSTs, rare session expiry and re-login.
 *   couriers       8-20 couriers' phones on the courier dashboard, polling jobs and posting locations.
 *   partner POS    2 cloud servers: pending-order polling every 30 s, order acks (bursty at lunch),
 *                  menu sync of 20-60 restaurants every 2-6 min (mostly 304), availability PATCHes.
 *   crawlers/noise Googlebot (66.249.64-79.x) 6-20/min, bingbot (157.55.39/40.77.167/207.46.13) 2-8/min,
 *                  link previews (Slack, Facebook, WhatsApp, iMessage, Discord, Twitter), UptimeRobot HEAD / (3 probe regions),
 *                  Pingdom GET /healthz, link checkers (HEAD).
 *
 * THE SCENARIOS (on top of the people; attackers are kind 'bot', campaign visitors kind 'campaign')
 *   people               nothing else.
 *   campaign             e-mail and/or push promo: arrivals to /promo/{slug} (web) or the app deep link rise
 *                        to 5-20x the normal session rate within 1-4 min, decay over 3-8 min, window 12-20 min
 *                        (the peak is scaled down when the campaign would bring more than ~1800 visitors);
 *                        55-85 % first-time visitors, 30-60 % bounce; mail link scanners pre-fetch 2-6 %.
 *   burst-cold/-warm     one client, 150-3000 req/min (steady, waves or ramp) for 3-12 min, from the first
 *                        20 s (cold, no warm-up) or 2-8 min into the measured window; an HTTP library, headless
 *                        Chrome, a dressed Chrome or the app's UA+key; menus, pages, search or availability.
 *   residential-proxy    1000-5000 addresses (0-20 % carrier NAT, 0-15 % IPv6), 1-3 requests each over 8-18
 *                        min, restaurant pages and/or menu JSON, browser header sets (full, no fetch metadata,
 *                        mismatched client hints or a library), rotating or single UA, cookies never returned.
 *   credential-stuffing  200-900 addresses, 1-8 login POSTs each over 10-18 min on the web, the app's login
 *                        (with the app key, copied or stale app UA) or both; 0.3-2 % succeed, the rest 401.
 *   token-abuse          the app key (menu scraping or promo-code enumeration) or the partner key (menu or
 *                        order scraping) from 20-300 addresses, 2-30 req/min each for part of a 10-18 min window.
 *   crawler              1-6 GET-only crawlers with browser UAs (rendering with assets, or HTML only), 1-6
 *                        addresses each, 3-60 pages/min over 10-20 min, some fetch robots.txt, some keep cookies.
 *   distributed-surge    200-1500 addresses, 1-8 hits each within 2-8 min on one route: promo redemption,
 *                        signup (web or app), or address autocomplete.
 *   low-and-slow         2-6 addresses, one request every 5-60 s (+-50 %) from the window's start to the end:
 *                        path probing (404/403) and/or order-id enumeration (403/404), fresh or no session.
 */
import type { Scenario, ScenarioName, SimEvent } from './sim-traffic.ts';

/** Name of the web session cookie Forkly sets on the first response. */
export const SESSION_COOKIE_E = 'forkly_sid';
/** The site's origin, as sent in Referer and Origin headers. */
export const SITE_ORIGIN_E = 'https://forkly.example';

const ORIGIN = SITE_ORIGIN_E;
const APP_KEY = 'sim-mobile-app-key-0001';
const PARTNER_KEY = 'sim-partner-key-0002';
const SEC = 1000;
const MIN = 60 * SEC;
const EPOCH = 1_741_951_800; // a Friday, 11:30 UTC: the run's start in the partner's `since` parameters
type H = Record<string, string>;
type Kind = SimEvent['kind'];
type W<T> = ReadonlyArray<readonly [T, number]>;

// ---- randomness -------------------------------------------------------------------------------------------

function hash32(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** mulberry32, seeded by hashing labels. */
class Prng {
  #s: number;
  constructor(seed: number) {
    this.#s = seed >>> 0;
  }
  static of(...k: (string | number)[]): Prng {
    return new Prng(hash32(k.join('|')));
  }
  next(): number {
    let t = (this.#s = (this.#s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  fork(): Prng {
    return new Prng(hash32(`f${Math.floor(this.next() * 4294967296)}`));
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  uni(lo: number, hi: number): number {
    return lo + this.next() * (hi - lo);
  }
  logUni(lo: number, hi: number): number {
    return Math.exp(this.uni(Math.log(lo), Math.log(hi)));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)] as T;
  }
  w<T>(xs: W<T>): T {
    let tot = 0;
    for (const x of xs) tot += x[1];
    let u = this.next() * tot;
    for (const [v, wt] of xs) if ((u -= wt) < 0) return v;
    return xs[xs.length - 1]![0];
  }
  exp(mean: number): number {
    return -Math.log(1 - this.next()) * mean;
  }
  /** Extra steps with the given mean (geometric). */
  geo(mean: number): number {
    let k = 0;
    while (k < 40 && !this.chance(1 / (1 + mean))) k++;
    return k;
  }
  hex(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += '0123456789abcdef'[Math.floor(this.next() * 16)];
    return s;
  }
}

const uuid = (r: Prng) => `${r.hex(8)}-${r.hex(4)}-4${r.hex(3)}-${r.pick(['8', '9', 'a', 'b'])}${r.hex(3)}-${r.hex(12)}`;
const b64 = (r: Prng, n: number) => {
  const a = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  let s = '';
  for (let i = 0; i < n; i++) s += a[Math.floor(r.next() * 64)];
  return s;
};
const jwt = (r: Prng) => `eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.${b64(r, 92)}.${b64(r, 43)}`;
const q = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');

/** Poisson arrivals with a time-varying rate (per minute), by thinning. */
function arrivals(r: Prng, rate: (t: number) => number, max: number, t0: number, t1: number): number[] {
  const out: number[] = [];
  for (let t = t0 + r.exp(MIN / max); t < t1; t += r.exp(MIN / max)) if (r.next() * max < rate(t)) out.push(t);
  return out;
}

// ---- catalogue (the same for every seed) ------------------------------------------------------------------

const CITY_W: W<string> = [['london', 30], ['manchester', 10], ['birmingham', 8], ['leeds', 5], ['glasgow', 5], ['bristol', 5], ['liverpool', 4], ['edinburgh', 4], ['dublin', 7], ['amsterdam', 8], ['rotterdam', 3], ['berlin', 7], ['hamburg', 3], ['cologne', 2]];
const CITY_LL: Record<string, [number, number]> = { london: [51.5074, -0.1278], manchester: [53.4808, -2.2426], birmingham: [52.4862, -1.8904], leeds: [53.8008, -1.5491], glasgow: [55.8642, -4.2518], bristol: [51.4545, -2.5879], liverpool: [53.4084, -2.9916], edinburgh: [55.9533, -3.1883], dublin: [53.3498, -6.2603], amsterdam: [52.3676, 4.9041], rotterdam: [51.9244, 4.4777], berlin: [52.52, 13.405], hamburg: [53.5511, 9.9937], cologne: [50.9375, 6.9603] };
const CUISINES = ['pizza', 'sushi', 'thai', 'indian', 'burgers', 'vegan', 'chinese', 'mexican', 'kebab', 'italian', 'korean', 'breakfast', 'poke', 'vietnamese'];
const WORDS = ['pizza', 'sushi', 'pad thai', 'burger', 'ramen', 'curry', 'vegan', 'kebab', 'tacos', 'poke', 'dumplings', 'fried chicken', 'salad', 'bubble tea', 'pho', 'falafel'];
const STREETS = ['high street', 'station road', 'church lane', 'victoria road', 'king street', 'queens road', 'park avenue', 'mill lane', 'prinsengracht', 'hauptstrasse', 'oxford road', 'deansgate', 'leith walk'];
const NAME_A = ['golden', 'little', 'happy', 'royal', 'urban', 'green', 'red', 'lucky', 'spicy', 'smoky', 'jade', 'silver', 'wild', 'corner'];
const NAME_B = ['wok', 'slice', 'grill', 'kitchen', 'garden', 'bowl', 'house', 'spoon', 'oven', 'tandoor', 'taqueria', 'noodle-bar', 'bistro', 'canteen'];
const AREAS = ['soho', 'camden', 'hackney', 'brixton', 'centre', 'north', 'south', 'east', 'west', 'old-town', 'riverside', 'station', 'market'];

interface Rest { id: number; city: string; cuisine: string; slug: string; dishes: number }
const RESTS: Rest[] = [];
const BY_CITY = new Map<string, Rest[]>();
const REST_IDS = new Set<number>();
{
  const r = Prng.of('E', 'catalogue');
  const used = new Set<string>();
  let id = 20_000;
  for (let i = 0; i < 1800; i++) {
    id += r.int(1, 3);
    const city = r.w(CITY_W);
    let slug = `${r.pick(NAME_A)}-${r.pick(NAME_B)}-${r.pick(AREAS)}`;
    while (used.has(city + slug)) slug += `-${r.int(2, 9)}`;
    used.add(city + slug);
    const x: Rest = { id, city, cuisine: r.pick(CUISINES), slug, dishes: r.int(15, 60) };
    RESTS.push(x);
    REST_IDS.add(id);
    if (!BY_CITY.has(city)) BY_CITY.set(city, []);
    BY_CITY.get(city)!.push(x);
  }
}
const restPath = (x: Rest) => `/r/${x.city}/${x.slug}`;
function pickRest(r: Prng, city: string): Rest {
  const xs = BY_CITY.get(city) ?? RESTS;
  return xs[Math.floor(xs.length * r.next() ** 2.2)]!;
}

// ---- networks ---------------------------------------------------------------------------------------------

const RES4 = [2, 5, 24, 31, 37, 46, 62, 73, 77, 78, 79, 80, 81, 82, 84, 86, 87, 88, 89, 90, 94, 95, 109, 145, 176, 178, 185, 188, 212, 213, 217];
const HOME6 = ['2a00:23c6', '2a02:c7c', '2a01:4b00', '2003:e8', '2a02:8108', '2001:1c00', '2a02:a45f', '2a0a:ef40'];
const DC4: ReadonlyArray<[number, number, number]> = [[3, 64, 127], [18, 130, 220], [34, 64, 159], [35, 184, 247], [52, 0, 95], [54, 144, 255], [5, 9, 9], [88, 99, 99], [95, 217, 217], [116, 202, 203], [51, 15, 91], [159, 89, 89], [167, 99, 99], [138, 68, 68], [45, 76, 77]];
const DC6 = ['2600:1f18', '2a01:4f8', '2001:41d0', '2604:a880', '2a05:d018'];
const h16 = (r: Prng) => r.int(0, 0xffff).toString(16);
const resV4 = (r: Prng) => `${r.pick(RES4)}.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(1, 254)}`;
const v6net = (r: Prng, pre: string) => `${pre}:${h16(r)}:${h16(r)}`;
const v6addr = (r: Prng, net: string) => `${net}:${h16(r)}:${h16(r)}:${h16(r)}:${h16(r)}`;
function dcV4(r: Prng): string {
  const [a, lo, hi] = r.pick(DC4);
  return `${a}.${r.int(lo, hi)}.${r.int(0, 255)}.${r.int(1, 254)}`;
}
const homeIp = (r: Prng) => (r.chance(0.72) ? resV4(r) : v6addr(r, v6net(r, r.pick(HOME6))));

interface Carrier { v4: string[]; v6: string; w: number }
interface Nets { carriers: Carrier[] }
function drawNets(seed: number): Nets {
  const r = Prng.of('E', 'nets', seed);
  const base: ReadonlyArray<[string, string, number]> = [['31.94', '2a01:4c8', 30], ['92.40', '2a02:c78', 18], ['82.132', '2a01:4c9', 20], ['80.187', '2a01:598', 12], ['109.40', '2a02:3037', 8], ['37.228', '2a01:bc80', 6], ['77.63', '2a02:a46', 6]];
  return { carriers: base.map(([p4, v6, w]) => ({ v6, w, v4: Array.from({ length: r.int(3, 8) }, () => `${p4}.${r.int(0, 255)}.${r.int(1, 254)}`) })) };
}
/** A phone's address on cellular: one of its carrier's few NAT addresses, or its own IPv6 /64. */
function cellIp(r: Prng, N: Nets): string {
  const c = r.w(N.carriers.map((x) => [x, x.w] as const));
  return r.chance(0.55) ? r.pick(c.v4) : v6addr(r, v6net(r, c.v6));
}

// ---- browsers ---------------------------------------------------------------------------------------------

type Fam = 'chrome' | 'firefox' | 'safari' | 'lib';
interface Br { ua: string; fam: Fam; mobile: boolean; platform: string; ch: string; enc: string }
const CH131 = '"Google Chrome";v="131", "Chromium";v="131", "Not_A Brand";v="24"';
const CH130 = '"Chromium";v="130", "Google Chrome";v="130", "Not?A_Brand";v="99"';
const EDGE131 = '"Microsoft Edge";v="131", "Chromium";v="131", "Not_A Brand";v="24"';
const STALE_CH = '"Chromium";v="116", "Not)A;Brand";v="24", "Google Chrome";v="116"';
const ZSTD = 'gzip, deflate, br, zstd';
const BRE = 'gzip, deflate, br';
const WIN = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko)';
const cr = (ua: string, ch: string, platform: string, mobile = false): Br => ({ ua, fam: 'chrome', mobile, platform, ch, enc: ZSTD });
const sf = (ua: string, mobile: boolean): Br => ({ ua, fam: 'safari', mobile, platform: '', ch: '', enc: BRE });
const ff = (ua: string, mobile = false): Br => ({ ua, fam: 'firefox', mobile, platform: '', ch: '', enc: ZSTD });
const DESKTOP: W<Br> = [
  [cr(`${WIN} Chrome/131.0.0.0 Safari/537.36`, CH131, '"Windows"'), 30],
  [cr(`${WIN} Chrome/130.0.0.0 Safari/537.36`, CH130, '"Windows"'), 8],
  [cr('Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36', CH131, '"macOS"'), 12],
  [cr(`${WIN} Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0`, EDGE131, '"Windows"'), 10],
  [sf('Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15', false), 9],
  [sf('Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Safari/605.1.15', false), 5],
  [ff('Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0'), 6],
  [ff('Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0'), 2],
  [cr('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36', CH131, '"Linux"'), 2],
];
const MOBILE: W<Br> = [
  [sf('Mozilla/5.0 (iPhone; CPU iPhone OS 18_1_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1.1 Mobile/15E148 Safari/604.1', true), 28],
  [sf('Mozilla/5.0 (iPhone; CPU iPhone OS 17_6_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1', true), 14],
  [sf('Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/131.0.6778.73 Mobile/15E148 Safari/604.1', true), 5],
  [cr('Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36', CH131, '"Android"', true), 30],
  [cr('Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Mobile Safari/537.36', CH130, '"Android"', true), 8],
  [{ ua: 'Mozilla/5.0 (Linux; Android 14; SAMSUNG SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36', fam: 'chrome', mobile: true, platform: '"Android"', ch: '"Chromium";v="122", "Not(A:Brand";v="24", "Samsung Internet";v="26.0"', enc: BRE }, 10],
  [ff('Mozilla/5.0 (Android 14; Mobile; rv:132.0) Gecko/132.0 Firefox/132.0', true), 2],
];
const TABLET: W<Br> = [
  [sf('Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15', false), 55],
  [cr('Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36', CH131, '"Android"'), 35],
  [{ ua: 'Mozilla/5.0 (Linux; Android 9; KFTRWI) AppleWebKit/537.36 (KHTML, like Gecko) Silk/130.3.1 like Chrome/130.0.6723.102 Safari/537.36', fam: 'chrome', mobile: false, platform: '"Android"', ch: '', enc: ZSTD }, 10],
];
const HEADLESS = cr('Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36', '"Chromium";v="131", "Not_A Brand";v="24"', '"Linux"');
const LIB_UAS = ['python-requests/2.32.3', 'python-httpx/0.27.2', 'Go-http-client/2.0', 'axios/1.7.7', 'node', 'curl/8.9.1', 'okhttp/4.12.0', 'Java/17.0.12', 'Scrapy/2.11.2 (+https://scrapy.org)', 'aiohttp/3.10.10'];
const libBr = (ua: string): Br => ({ ua, fam: 'lib', mobile: false, platform: '', ch: '', enc: ua.startsWith('Go') || ua.startsWith('okhttp') ? 'gzip' : ua.startsWith('curl') ? '' : 'gzip, deflate' });

const LANG_TAGS: W<string[]> = [[['en-GB', 'en'], 40], [['en-GB', 'en-US', 'en'], 10], [['en-US', 'en'], 8], [['en-IE', 'en-GB', 'en'], 5], [['nl-NL', 'nl', 'en-US', 'en'], 10], [['de-DE', 'de', 'en-US', 'en'], 12], [['pl-PL', 'pl', 'en'], 4], [['es-ES', 'es', 'en'], 3], [['it-IT', 'it', 'en'], 3], [['fr-FR', 'fr', 'en'], 3], [['pt-BR', 'pt', 'en'], 2]];
function langFor(r: Prng, fam: Fam): string {
  const tags = r.w(LANG_TAGS);
  if (fam === 'firefox') return tags.map((t, i) => (i ? `${t};q=${['0.8', '0.5', '0.3'][i - 1] ?? '0.2'}` : t)).join(',');
  if (fam === 'safari') return tags.slice(0, 2).map((t, i) => (i ? `${t};q=0.9` : t)).join(',');
  return tags.map((t, i) => (i ? `${t};q=${(1 - i / 10).toFixed(1)}` : t)).join(',');
}

type Dest = 'document' | 'style' | 'script' | 'image' | 'font' | 'manifest' | 'empty';
type Site = 'none' | 'same-origin' | 'cross-site';
const MODE: Record<Dest, string> = { document: 'navigate', style: 'no-cors', script: 'no-cors', image: 'no-cors', font: 'cors', manifest: 'cors', empty: 'cors' };
function acceptFor(f: Fam, d: Dest): string {
  if (f === 'lib') return '*/*';
  if (d === 'document') return f === 'chrome' ? 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7' : 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
  if (d === 'image') return f === 'chrome' ? 'image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8' : f === 'firefox' ? 'image/avif,image/webp,image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5' : 'image/webp,image/avif,image/jxl,image/heic,image/heic-sequence,video/*;q=0.8,image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5';
  if (d === 'style') return 'text/css,*/*;q=0.1';
  if (d === 'empty') return 'application/json';
  return '*/*';
}
const STATIC: ReadonlyArray<[string, Dest, string]> = [['/static/css/app.5e2d9f10.css', 'style', 'text/css'], ['/static/js/vendor.91bd0c44.js', 'script', 'application/javascript'], ['/static/js/app.7f3c2a1e.js', 'script', 'application/javascript'], ['/static/fonts/inter-var.3c1e77.woff2', 'font', 'font/woff2']];

// ---- clients ----------------------------------------------------------------------------------------------

/** Collects events; people are generated on a nominal timeline and shifted (burst-cold has no warm-up). */
class Out {
  readonly ev: SimEvent[];
  readonly endMs: number;
  readonly shift: number;
  constructor(ev: SimEvent[], endMs: number, shift: number) {
    this.ev = ev;
    this.endMs = endMs;
    this.shift = shift;
  }
  add(at: number, actor: string, kind: Kind, method: string, path: string, ip: string, headers: H, code: number, ct?: string): void {
    const a = Math.floor(at - this.shift);
    if (!(a >= 0 && a < this.endMs)) return;
    const e: SimEvent = { at: a, seq: 0, actor, kind, method, path, ip, headers, code };
    if (ct) e.contentType = ct;
    this.ev.push(e);
  }
}

interface Flags { meta: boolean; hints: 'match' | 'none' | 'mismatch'; cookies: boolean; assets: boolean }
const HUMAN: Flags = { meta: true, hints: 'match', cookies: true, assets: true };
type Api = [string, string, number];
interface NavOpts { code?: number; imgs?: string[]; apis?: Api[]; user?: boolean }

/** A browser (or something dressed as one): its headers, cookie jar, cache and current page. */
class Web {
  page: string | null = null;
  revalidate = false;
  readonly seen = new Set<string>();
  readonly o: Out;
  readonly r: Prng;
  readonly actor: string;
  readonly kind: Kind;
  readonly b: Br;
  readonly lang: string;
  readonly ip: (t: number) => string;
  readonly f: Flags;
  cookie: string;
  cold: boolean;
  constructor(o: Out, r: Prng, actor: string, kind: Kind, b: Br, lang: string, ip: (t: number) => string, f: Flags = HUMAN, cookie = '', cold = true) {
    this.o = o;
    this.r = r;
    this.actor = actor;
    this.kind = kind;
    this.b = b;
    this.lang = lang;
    this.ip = ip;
    this.f = f;
    this.cookie = cookie;
    this.cold = cold;
  }

  headers(dest: Dest, site: Site, referer: string | null, user: boolean, extra?: H): H {
    const b = this.b, f = this.f, h: H = {};
    if (f.hints === 'match' && b.ch) {
      h['sec-ch-ua'] = b.ch;
      h['sec-ch-ua-mobile'] = b.mobile ? '?1' : '?0';
      h['sec-ch-ua-platform'] = b.platform;
    } else if (f.hints === 'mismatch') {
      h['sec-ch-ua'] = b.ch ? STALE_CH : CH131;
      h['sec-ch-ua-mobile'] = '?0';
      h['sec-ch-ua-platform'] = '"Windows"';
    }
    if (dest === 'document' && b.fam !== 'lib') h['upgrade-insecure-requests'] = '1';
    h['user-agent'] = b.ua;
    h['accept'] = acceptFor(b.fam, dest);
    if (f.meta) {
      h['sec-fetch-site'] = site;
      h['sec-fetch-mode'] = MODE[dest];
      if (user && dest === 'document') h['sec-fetch-user'] = '?1';
      h['sec-fetch-dest'] = dest;
    }
    if (referer) h['referer'] = referer;
    if (b.enc) h['accept-encoding'] = b.enc;
    if (this.lang) h['accept-language'] = this.lang;
    if (f.cookies && this.cookie) h['cookie'] = this.cookie;
    if (extra) Object.assign(h, extra);
    return h;
  }
  req(t: number, method: string, path: string, dest: Dest, site: Site, referer: string | null, code: number, ct?: string, extra?: H, user = false): void {
    this.o.add(t, this.actor, this.kind, method, path, this.ip(t), this.headers(dest, site, referer, user, extra), code, ct);
  }
  /** The response set the session cookie (kept only by clients that keep cookies). */
  gotCookie(): void {
    if (this.f.cookies && !this.cookie.includes(`${SESSION_COOKIE_E}=`)) this.cookie = `${SESSION_COOKIE_E}=${this.r.hex(32)}${this.cookie ? '; ' + this.cookie : ''}`;
  }
  renewCookie(): void {
    this.cookie = this.cookie.replace(new RegExp(`${SESSION_COOKIE_E}=[0-9a-f]+`), `${SESSION_COOKIE_E}=${this.r.hex(32)}`);
  }
  nav(t: number, path: string, site: Site, referer: string | null, n: NavOpts = {}): number {
    const r = this.r, code = n.code ?? 200;
    this.req(t, 'GET', path, 'document', site, referer, code, 'text/html', undefined, n.user ?? true);
    this.gotCookie();
    this.page = ORIGIN + path;
    let end = t + r.uni(150, 600);
    if (!this.f.assets) return end;
    if (this.cold) {
      this.cold = false;
      let tt = t + r.uni(60, 250);
      for (const [p, d, ct] of STATIC) this.req((tt += r.uni(2, 40)), 'GET', p, d, 'same-origin', this.page, 200, ct);
      this.req(tt + r.uni(200, 900), 'GET', '/favicon.ico', 'image', 'same-origin', this.page, 200, 'image/x-icon');
      if (this.b.fam === 'chrome') this.req(tt + r.uni(300, 1200), 'GET', '/manifest.webmanifest', 'manifest', 'same-origin', null, 200, 'application/manifest+json');
      end = Math.max(end, tt + 400);
    }
    for (const img of n.imgs ?? []) {
      if (this.seen.has(img)) continue;
      this.seen.add(img);
      const ti = t + r.uni(250, 1800) + (r.chance(0.3) ? r.uni(2, 15) * SEC : 0);
      if (this.revalidate && r.chance(0.4)) this.req(ti, 'GET', img, 'image', 'same-origin', this.page, 304, 'image/webp', { 'if-none-match': `"${r.hex(16)}"` });
      else this.req(ti, 'GET', img, 'image', 'same-origin', this.page, r.chance(0.004) ? 404 : 200, 'image/webp');
    }
    let ta = t + r.uni(300, 1200);
    for (const [m, p, c] of n.apis ?? []) {
      this.api(ta, m, p, c);
      ta += r.uni(20, 300);
    }
    return Math.max(end, ta);
  }
  api(t: number, method: string, path: string, code: number, extra?: H): void {
    const x: H = {};
    if (method !== 'GET' && method !== 'HEAD') {
      x['origin'] = ORIGIN;
      x['content-type'] = 'application/json';
    }
    this.req(t, method, path, 'empty', 'same-origin', this.page, code, method === 'HEAD' ? undefined : 'application/json', extra ? Object.assign(x, extra) : x);
  }
}

interface Device { os: 'ios' | 'android'; ver: string; ua: string; imgUa: string; lang: string; devId: string; token: string | null; legacy: boolean }
const APP_VERS: W<string> = [['5.12.1', 55], ['5.12.0', 15], ['5.11.3', 18], ['5.10.2', 8], ['5.9.0', 4]];
const IOS: ReadonlyArray<[string, string, number]> = [['18.1.1', 'CFNetwork/1568.200.51 Darwin/24.1.0', 30], ['18.1', 'CFNetwork/1568.200.51 Darwin/24.1.0', 20], ['17.6.1', 'CFNetwork/1498.700.2 Darwin/23.6.0', 25], ['17.5', 'CFNetwork/1496.0.7 Darwin/23.5.0', 15], ['16.7.10', 'CFNetwork/1410.1 Darwin/22.6.0', 10]];
const ANDROID: W<[string, string]> = [[['14', 'SM-S911B'], 20], [['14', 'Pixel 8'], 12], [['13', 'SM-A536B'], 20], [['14', 'SM-A546B'], 15], [['12', 'Redmi Note 11'], 10], [['13', 'CPH2451'], 8], [['15', 'Pixel 9'], 6], [['11', 'moto g(30)'], 9]];
function makeDevice(r: Prng, signedIn: boolean, ver?: string): Device {
  const v = ver ?? r.w(APP_VERS);
  const build = 2400 + Number(v.split('.')[1]) * 10 + Number(v.split('.')[2]);
  const tags = r.w(LANG_TAGS);
  if (r.chance(0.55)) {
    const [osv, cfn] = r.w(IOS.map(([a, b, w]) => [[a, b], w] as const));
    return { os: 'ios', ver: v, ua: `Forkly/${v} (iPhone; iOS ${osv}; Scale/${r.chance(0.85) ? '3.00' : '2.00'})`, imgUa: `Forkly/${build} ${cfn}`, lang: tags.slice(0, 2).map((t, i) => (i ? `${t};q=0.9` : t)).join(', '), devId: uuid(r).toUpperCase(), token: signedIn ? jwt(r) : null, legacy: false };
  }
  const [av, model] = r.w(ANDROID);
  const ua = `Forkly/${v} (Linux; Android ${av}; ${model}) okhttp/${Number(v.split('.')[1]) >= 11 ? '4.12.0' : '4.10.0'}`;
  return { os: 'android', ver: v, ua, imgUa: ua, lang: tags[0]!, devId: r.hex(16), token: signedIn ? jwt(r) : null, legacy: Number(v.split('.')[1]) < 11 };
}

/** The mobile app: every call carries the shared app key. */
class App {
  readonly o: Out;
  readonly actor: string;
  readonly kind: Kind;
  readonly d: Device;
  readonly ip: (t: number) => string;
  constructor(o: Out, actor: string, kind: Kind, d: Device, ip: (t: number) => string) {
    this.o = o;
    this.actor = actor;
    this.kind = kind;
    this.d = d;
    this.ip = ip;
  }
  call(t: number, method: string, path: string, code: number, body = false): void {
    const d = this.d;
    const h: H = d.os === 'ios'
      ? { accept: 'application/json', 'x-api-key': APP_KEY, 'x-device-id': d.devId, 'x-app-version': d.ver, 'accept-language': d.lang, 'user-agent': d.ua, 'accept-encoding': 'gzip, deflate, br' }
      : { 'x-api-key': APP_KEY, 'x-device-id': d.devId, 'x-app-version': d.ver, accept: 'application/json', 'accept-language': d.lang, 'user-agent': d.ua, 'accept-encoding': 'gzip' };
    if (d.token) h[d.legacy ? 'x-session-token' : 'authorization'] = d.legacy ? d.token : `Bearer ${d.token}`;
    if (body) h['content-type'] = 'application/json; charset=utf-8';
    this.o.add(t, this.actor, this.kind, method, path, this.ip(t), h, code, method === 'HEAD' ? undefined : 'application/json');
  }
  img(t: number, path: string): void {
    const d = this.d;
    const h: H = { accept: d.os === 'ios' ? 'image/webp,image/avif,image/*;q=0.8,*/*;q=0.5' : 'image/webp,image/*;q=0.8', 'user-agent': d.imgUa, 'accept-encoding': d.os === 'ios' ? 'gzip, deflate, br' : 'gzip' };
    if (d.os === 'ios') h['accept-language'] = d.lang;
    this.o.add(t, this.actor, this.kind, 'GET', path, this.ip(t), h, 200, 'image/webp');
  }
}

// ---- people -----------------------------------------------------------------------------------------------

interface PP {
  webRate: number; appRate: number; lo: number; hi: number; c: number; w: number; mobileWeb: number; returning: number;
  block: number; stale: number; think: number; orderWeb: number; orderApp: number; switchNet: number; tablets: number;
  couriers: number; offices: number; googleRate: number; bingRate: number; previewRate: number; partnerRests: number;
  syncMin: number; posOrders: number; checkRate: number;
}
function drawPP(seed: number, warm: number, measured: number): PP {
  const r = Prng.of('E', 'people-params', seed);
  return {
    webRate: r.uni(5, 8), appRate: r.uni(10, 15), lo: r.uni(0.55, 0.75), hi: r.uni(1.35, 1.9), c: warm + measured * r.uni(0.2, 0.6),
    w: r.uni(3, 7) * MIN, mobileWeb: r.uni(0.4, 0.6), returning: r.uni(0.35, 0.55), block: r.uni(0.03, 0.08), stale: r.uni(0.1, 0.2),
    think: r.uni(12, 25) * SEC, orderWeb: r.uni(0.3, 0.5), orderApp: r.uni(0.3, 0.5), switchNet: r.uni(0.2, 0.35), tablets: r.int(10, 25),
    couriers: r.int(8, 20), offices: r.int(2, 6), googleRate: r.uni(6, 20), bingRate: r.uni(2, 8), previewRate: r.uni(0.3, 1.5),
    partnerRests: r.int(20, 60), syncMin: r.uni(2, 6), posOrders: r.uni(2, 6), checkRate: r.uni(1, 4),
  };
}
const lunch = (P: PP, t: number) => P.lo + (P.hi - P.lo) / (1 + Math.exp(-(t - P.c) / P.w));

type PageKind = 'home' | 'city' | 'cuisine' | 'rest' | 'search' | 'promo' | 'other';
interface Page { kind: PageKind; path: string; city: string; rest?: Rest; code?: number; site?: Site; referer?: string | null }
const page = {
  home: (city: string): Page => ({ kind: 'home', path: '/', city }),
  city: (city: string): Page => ({ kind: 'city', path: `/delivery/${city}`, city }),
  cuisine: (r: Prng, city: string): Page => ({ kind: 'cuisine', path: `/delivery/${city}/${r.pick(CUISINES)}`, city }),
  rest: (r: Prng, city: string): Page => {
    const x = pickRest(r, city);
    return { kind: 'rest', path: restPath(x), city, rest: x };
  },
  search: (r: Prng, city: string): Page => ({ kind: 'search', path: `/search?q=${q(r.pick(WORDS))}&city=${city}`, city }),
};
function pageImgs(r: Prng, p: Page): string[] {
  if (p.kind === 'home') return ['/img/ui/hero.webp?w=1280', ...Array.from({ length: 3 }, () => `/img/city/${r.w(CITY_W)}.webp?w=480`)];
  if (p.kind === 'rest' && p.rest) {
    const x = p.rest;
    return [`/img/r/${x.id}/cover.webp?w=1280`, ...Array.from({ length: r.int(2, 7) }, () => `/img/d/${x.id * 100 + r.int(0, x.dishes - 1)}.webp?w=320`)];
  }
  if (p.kind === 'other') return [];
  return Array.from({ length: r.int(3, 8) }, () => `/img/r/${pickRest(r, p.city).id}/cover.webp?w=480`);
}
function pageApis(r: Prng, p: Page, w: Web): Api[] {
  const a: Api[] = [];
  if (p.kind === 'rest' && p.rest) a.push(['GET', `/api/web/restaurants/${p.rest.id}/availability?slot=asap`, 200]);
  if (p.kind === 'rest' && w.f.cookies && w.cookie && r.chance(0.6)) a.push(['GET', '/api/web/cart', 200]);
  return a;
}
function drawLanding(r: Prng, city: string, signed: boolean): Page {
  const src = r.w([['search', 46], ['direct', 28], ['social', 8], ['referral', 6], ['email', 5], ['ad', 7]]);
  if (src === 'search' || src === 'ad') {
    const ref = r.w([['https://www.google.com/', 78], ['https://www.bing.com/', 12], ['https://duckduckgo.com/', 7], ['https://www.ecosia.org/', 3]]);
    const p = r.w([['rest', 55], ['city', 25], ['cuisine', 20]]) === 'rest' ? page.rest(r, city) : r.chance(0.55) ? page.city(city) : page.cuisine(r, city);
    if (src === 'ad') return { ...page.city(city), path: `/delivery/${city}?gclid=${b64(r, 40)}`, site: 'cross-site', referer: 'https://www.google.com/' };
    if (r.chance(0.025)) return { kind: 'other', path: `/r/${city}/${r.pick(NAME_A)}-${r.pick(NAME_B)}-closed`, city, code: 404, site: 'cross-site', referer: ref };
    return { ...p, site: 'cross-site', referer: ref };
  }
  if (src === 'direct') {
    const x = r.w([['home', 70], ['orders', signed ? 10 : 0], ['rest', 20]]);
    const p = x === 'home' ? page.home(city) : x === 'rest' ? page.rest(r, city) : { kind: 'other' as const, path: '/account/orders', city };
    return { ...p, site: 'none', referer: null };
  }
  if (src === 'email') return { ...page.rest(r, city), path: `${page.rest(r, city).path}?utm_source=newsletter&utm_medium=email`, site: r.chance(0.6) ? 'none' : 'cross-site', referer: null };
  const ref = src === 'social' ? r.pick(['https://l.instagram.com/', 'https://www.tiktok.com/', 'https://t.co/', 'https://l.facebook.com/']) : r.pick(['https://www.timeout.com/', 'https://www.reddit.com/', 'https://www.theinfatuation.com/']);
  return { ...page.rest(r, city), site: 'cross-site', referer: ref };
}
function nextPage(r: Prng, cur: Page, city: string): Page {
  const k = cur.kind;
  const x = k === 'home' ? r.w([['city', 60], ['search', 40]]) : k === 'rest' ? r.w([['rest', 45], ['city', 25], ['search', 20], ['home', 10]]) : r.w([['rest', 75], ['cuisine', 15], ['search', 10]]);
  if (x === 'rest') return r.chance(0.003) ? { kind: 'other', path: `/r/${city}/${r.pick(NAME_A)}-grill-old`, city, code: 404 } : page.rest(r, city);
  if (x === 'city') return page.city(city);
  if (x === 'cuisine') return page.cuisine(r, city);
  if (x === 'home') return page.home(city);
  return page.search(r, city);
}

interface WebOver { b?: Br; lang?: string; ip?: (t: number) => string; landing?: Page; state?: 'new' | 'ret' | 'block'; bounce?: number; orderP?: number; city?: string; promo?: string }

/** One browser visit: landing, pages with their assets and API calls, maybe a checkout and order tracking. */
function webSession(o: Out, r: Prng, id: string, kind: Kind, t0: number, P: PP, N: Nets, ov: WebOver = {}): void {
  const mobile = ov.b ? ov.b.mobile : r.chance(P.mobileWeb);
  const b = ov.b ?? r.w(mobile ? MOBILE : DESKTOP);
  const lang = ov.lang ?? langFor(r, b.fam);
  let ip = ov.ip;
  if (!ip) {
    const a = mobile && r.chance(0.45) ? cellIp(r, N) : homeIp(r);
    ip = () => a;
  }
  const st = ov.state ?? (r.chance(P.block) ? 'block' : r.chance(P.returning) ? 'ret' : 'new');
  const cookie = st === 'ret' ? `${SESSION_COOKIE_E}=${r.hex(32)}; fk_consent=all; _ga=GA1.1.${r.int(1e8, 2e9)}.${r.int(1.69e9, 1.73e9)}` : '';
  const w = new Web(o, r, id, kind, b, lang, ip, st === 'block' ? { ...HUMAN, cookies: false } : HUMAN, cookie, st !== 'ret' || r.chance(0.25));
  w.revalidate = st === 'ret';
  let signed = st === 'ret' && r.chance(0.6);
  const stale = st === 'ret' && r.chance(P.stale);
  const city = ov.city ?? r.w(CITY_W);
  const land = ov.landing ?? drawLanding(r, city, signed);
  const apis = pageApis(r, land, w);
  if (st === 'ret') apis.unshift(['GET', '/api/web/me', stale || !signed ? 401 : 200]);
  if (ov.promo) apis.unshift(['GET', `/api/web/promos/${ov.promo}`, 200]);
  let t = w.nav(t0, land.path, land.site ?? 'none', land.referer ?? null, { code: land.code, imgs: pageImgs(r, land), apis });
  if (stale) {
    w.renewCookie();
    signed = false;
  }
  if (st === 'new' && r.chance(0.7)) w.cookie += `; fk_consent=${r.pick(['all', 'essential'])}`;
  let cur = land;
  if (land.code === 404) {
    t += r.uni(3, 10) * SEC;
    cur = page.city(city);
    t = w.nav(t, cur.path, 'same-origin', w.page, { imgs: pageImgs(r, cur) });
  }
  if (r.chance(ov.bounce ?? 0.3)) return;
  const pages = 1 + r.geo(2.5);
  let carted = 0;
  for (let i = 0; i < pages; i++) {
    t += 2 * SEC + r.exp(P.think);
    if (cur.kind === 'rest' && r.chance(0.5)) {
      for (let k = r.int(1, 3); k > 0; k--) {
        w.api(t, 'POST', '/api/web/cart/items', w.f.cookies ? 200 : 401);
        t += r.uni(2, 12) * SEC;
        carted++;
      }
    }
    if (carted && r.chance(ov.orderP ?? P.orderWeb)) return webCheckout(w, r, t, signed);
    if (signed && r.chance(0.05)) {
      t = w.nav(t, '/account/orders', 'same-origin', w.page, { apis: [['GET', '/api/web/orders?page=1', 200]] });
      continue;
    }
    const next = nextPage(r, cur, city);
    t = w.nav(t, next.path, 'same-origin', w.page, { code: next.code, imgs: pageImgs(r, next), apis: pageApis(r, next, w) });
    if (next.code !== 404) cur = next;
  }
}

function webCheckout(w: Web, r: Prng, t: number, signed: boolean): void {
  t = w.nav(t, '/checkout', 'same-origin', w.page, { apis: [['GET', '/api/web/cart', w.f.cookies ? 200 : 401]] });
  if (!w.f.cookies) return;
  if (!signed) {
    t = w.nav(t + r.uni(1, 4) * SEC, '/login?next=%2Fcheckout', 'same-origin', w.page);
    t += r.uni(8, 30) * SEC;
    if (r.chance(0.12)) {
      w.api(t, 'POST', '/api/web/auth/login', 401);
      t += r.uni(5, 20) * SEC;
    }
    w.api(t, 'POST', '/api/web/auth/login', 200);
    w.renewCookie();
    t = w.nav(t + r.uni(200, 800), '/checkout', 'same-origin', `${ORIGIN}/login?next=%2Fcheckout`, { user: false, apis: [['GET', '/api/web/cart', 200]] });
  }
  t += r.uni(3, 10) * SEC;
  if (r.chance(0.5)) {
    const street = r.pick(STREETS);
    for (let k = 3, n = r.int(3, 8); k < 3 + n && k <= street.length; k++) {
      w.api(t, 'GET', `/api/web/addresses/autocomplete?q=${q(street.slice(0, k))}`, 200);
      t += r.uni(150, 500);
    }
  }
  w.api((t += r.uni(2, 8) * SEC), 'POST', '/api/web/checkout/quote', 200);
  if (r.chance(0.25)) w.api((t += r.uni(5, 20) * SEC), 'POST', '/api/web/promo/validate', r.chance(0.3) ? 404 : 200);
  const ok = !r.chance(0.03);
  w.api((t += r.uni(10, 60) * SEC), 'POST', '/api/web/orders', ok ? 201 : 402);
  if (!ok) return;
  const oid = r.int(7_400_000, 7_499_999);
  w.page = `${ORIGIN}/orders/${oid}`; // client-side route
  const stay = r.uni(1, 12) * MIN, per = r.uni(15, 30) * SEC;
  for (let tt = t + per; tt < t + stay; tt += per * r.uni(0.95, 1.05)) w.api(tt, 'GET', `/api/web/orders/${oid}/status`, 200);
}

/** One app session: config, profile, feed or deep link, browsing, maybe an order and its tracking. */
function appSession(o: Out, r: Prng, id: string, kind: Kind, t0: number, P: PP, N: Nets, deep?: { slug: string; bounce: number }): void {
  const d = makeDevice(r, r.chance(deep ? 0.88 : 0.8));
  const city = r.w(CITY_W);
  const [la, ln] = CITY_LL[city]!;
  const ll = `lat=${(la + r.uni(-0.05, 0.05)).toFixed(4)}&lng=${(ln + r.uni(-0.08, 0.08)).toFixed(4)}`;
  const wifiFirst = r.chance(0.55);
  const ipA = wifiFirst ? homeIp(r) : cellIp(r, N), ipB = wifiFirst ? cellIp(r, N) : homeIp(r);
  const sw = r.chance(P.switchNet) ? t0 + r.uni(15 * SEC, 6 * MIN) : Infinity;
  const a = new App(o, id, kind, d, (t) => (t >= sw ? ipB : ipA));
  const imgs = (t: number, paths: string[]) => paths.forEach((p) => a.img(t + r.uni(100, 2500), p));
  const covers = (n: number) => Array.from({ length: n }, () => `/img/r/${pickRest(r, city).id}/cover.webp?w=750`);
  let t = t0;
  if (r.chance(0.75)) a.call((t += r.uni(0, 100)), 'HEAD', '/api/v2/health', 200);
  a.call((t += r.uni(40, 250)), 'GET', `/api/v2/config?platform=${d.os}&v=${d.ver}`, 200);
  if (d.token) {
    if (r.chance(0.06)) {
      a.call((t += r.uni(80, 300)), 'GET', '/api/v2/me', 401);
      a.call((t += r.uni(80, 300)), 'POST', '/api/v2/auth/refresh', 200, true);
      d.token = jwt(r);
    }
    a.call((t += r.uni(80, 300)), 'GET', '/api/v2/me', 200);
  }
  const finish = (tEnd: number) => {
    for (let te = t0 + r.uni(10, 30) * SEC; te < tEnd; te += r.uni(20, 40) * SEC) a.call(te, 'POST', '/api/v2/events', 202, true);
    if (sw < tEnd) a.call(sw + r.uni(200, 1500), 'HEAD', '/api/v2/health', 200);
  };
  const track = (oid: number, dur: number) => {
    for (let tt = t + r.uni(5, 15) * SEC, per = r.uni(10, 20) * SEC, e = t + dur, k = 0; tt < e; tt += per * r.uni(0.9, 1.1), k++) {
      a.call(tt, 'GET', `/api/v2/orders/${oid}/status`, 200);
      if (k % 8 === 7) a.call(tt + r.uni(50, 500), 'HEAD', '/api/v2/health', 200); // reachability while tracking
    }
    t += dur;
  };
  if (deep) {
    a.call((t += r.uni(100, 400)), 'GET', `/api/v2/promos/${deep.slug}`, 200);
    a.call((t += r.uni(100, 400)), 'GET', `/api/v2/promos/${deep.slug}/restaurants?${ll}`, 200);
    imgs(t, ['/img/promo/' + deep.slug + '.webp?w=1125', ...covers(r.int(3, 8))]);
    if (r.chance(deep.bounce)) return finish(t + r.uni(5, 40) * SEC);
  } else {
    a.call((t += r.uni(100, 400)), 'GET', `/api/v2/feed?${ll}`, 200);
    imgs(t, covers(r.int(4, 10)));
    if (d.token && r.chance(0.2)) {
      a.call((t += r.uni(1, 5) * SEC), 'GET', '/api/v2/orders/active', 200);
      track(r.int(7_400_000, 7_499_999), r.uni(1, 6) * MIN);
      return finish(t);
    }
  }
  let carted = 0;
  for (let i = 0, n = 1 + r.geo(3.5); i < n; i++) {
    t += SEC + r.exp(P.think * 0.7);
    const act = r.w([['rest', 60], ['search', 25], ['list', 15]]);
    if (act === 'rest') {
      const x = pickRest(r, city);
      a.call(t, 'GET', `/api/v2/restaurants/${x.id}`, 200);
      a.call((t += r.uni(30, 200)), 'GET', `/api/v2/restaurants/${x.id}/menu`, 200);
      imgs(t, [`/img/r/${x.id}/cover.webp?w=1125`, ...Array.from({ length: r.int(3, 9) }, () => `/img/d/${x.id * 100 + r.int(0, x.dishes - 1)}.webp?w=480`)]);
      if (r.chance(0.45)) {
        a.call((t += r.uni(5, 30) * SEC), 'POST', '/api/v2/cart/items', 200, true);
        carted++;
      }
    } else if (act === 'search') {
      const word = r.pick(WORDS);
      for (let k = 2, m = Math.min(word.length, r.int(3, 6)); k <= m; k++) a.call((t += r.uni(200, 600)), 'GET', `/api/v2/search?q=${q(word.slice(0, k))}&${ll}`, r.chance(0.02) ? 429 : 200);
      imgs(t, covers(r.int(3, 6)));
    } else {
      a.call(t, 'GET', `/api/v2/restaurants?${ll}&cuisine=${r.pick(CUISINES)}&page=${r.int(1, 3)}`, 200);
      imgs(t, covers(r.int(3, 8)));
    }
    if (carted && r.chance(P.orderApp)) {
      if (!d.token) {
        if (r.chance(0.1)) a.call((t += r.uni(10, 30) * SEC), 'POST', '/api/v2/auth/login', 401, true);
        a.call((t += r.uni(10, 30) * SEC), 'POST', '/api/v2/auth/login', 200, true);
        d.token = jwt(r);
      }
      a.call((t += r.uni(1, 3) * SEC), 'GET', '/api/v2/cart', 200);
      a.call((t += r.uni(2, 10) * SEC), 'POST', '/api/v2/checkout/quote', 200, true);
      if (r.chance(0.2)) a.call((t += r.uni(5, 20) * SEC), 'POST', '/api/v2/promo/validate', r.chance(0.3) ? 404 : 200, true);
      a.call((t += r.uni(10, 50) * SEC), 'POST', '/api/v2/orders', 201, true);
      track(r.int(7_400_000, 7_499_999), r.uni(1, 8) * MIN);
      break;
    }
  }
  finish(t);
}

function tablet(o: Out, r: Prng, id: string, P: PP, end: number): void {
  const rest = RESTS[r.int(0, 600)]!;
  const addr = r.chance(0.8) ? resV4(r) : v6addr(r, v6net(r, r.pick(HOME6)));
  const b = r.w(TABLET);
  const w = new Web(o, r, id, 'person', b, langFor(r, b.fam), () => addr, HUMAN, `${SESSION_COOKIE_E}=${r.hex(32)}; fk_device=tab-${r.hex(8)}`, false);
  w.page = `${ORIGIN}/partner/tablet`;
  const per = r.uni(5, 15) * SEC, rate = r.uni(0.05, 0.35);
  let t = -r.uni(0, per), ping = t + r.uni(0, 60) * SEC, order = t + r.exp(MIN / rate);
  let expire = r.chance(0.12) ? r.uni(0, end) : Infinity;
  while (t < end) {
    if (t >= expire) {
      w.api(t, 'GET', `/api/orders?restaurant=${rest.id}&status=open`, 401);
      t = w.nav(t + r.uni(1, 4) * SEC, '/partner/login', 'same-origin', w.page, { user: false });
      w.api((t += r.uni(10, 40) * SEC), 'POST', '/api/web/auth/login', 200);
      w.renewCookie();
      t = w.nav(t + r.uni(200, 600), '/partner/tablet', 'same-origin', `${ORIGIN}/partner/login`, { user: false, apis: [['GET', `/api/orders?restaurant=${rest.id}&status=open`, 200]] });
      expire = Infinity;
    }
    w.api(t, 'GET', `/api/orders?restaurant=${rest.id}&status=open`, 200);
    if (t >= ping) {
      w.req(t + r.uni(10, 500), 'HEAD', '/api/ping', 'empty', 'same-origin', w.page, 204, undefined, { accept: '*/*' });
      ping += 30 * SEC;
    }
    while (order <= t) {
      const oid = r.int(7_400_000, 7_499_999);
      w.api(t + r.uni(3, 60) * SEC, 'POST', `/api/orders/${oid}/accept`, 200);
      w.api(t + r.uni(8, 25) * MIN, 'POST', `/api/orders/${oid}/ready`, 200);
      order += r.exp(MIN / (rate * lunch(P, t)));
    }
    t += per * r.uni(0.9, 1.1) + (r.chance(0.01) ? r.uni(30, 180) * SEC : 0);
  }
}

function courier(o: Out, r: Prng, id: string, N: Nets, end: number): void {
  const b = r.chance(0.7) ? MOBILE[3]![0] : MOBILE[0]![0];
  const start = r.uni(-40 * MIN, end - 10 * MIN), stop = start + r.uni(25, 90) * MIN;
  const segs: [number, string][] = [];
  for (let s = start; s < stop; s += r.uni(5, 20) * MIN) segs.push([s, cellIp(r, N)]);
  const ip = (t: number) => {
    let a = segs[0]![1];
    for (const [s, x] of segs) if (s <= t) a = x;
    return a;
  };
  const w = new Web(o, r, id, 'person', b, langFor(r, b.fam), ip, HUMAN, `${SESSION_COOKIE_E}=${r.hex(32)}; fk_consent=all`, false);
  let t = w.nav(start, '/courier', 'none', null, { apis: [['GET', '/api/courier/me', 200]] });
  const poll = r.uni(10, 20) * SEC, locPer = r.uni(15, 30) * SEC;
  let loc = t, job: number | null = null, jobAt = 0, stage = 0;
  while (t < stop) {
    w.api(t, 'GET', '/api/courier/jobs?status=available', 200);
    if (t >= loc) {
      w.api(t + r.uni(50, 2000), 'POST', '/api/courier/location', 204);
      loc += locPer * r.uni(0.9, 1.1);
    }
    if (job === null && r.chance(0.03)) {
      job = r.int(900_000, 999_999);
      w.api(t + r.uni(2, 15) * SEC, 'POST', `/api/courier/jobs/${job}/accept`, r.chance(0.1) ? 409 : 200);
      jobAt = t + r.uni(5, 15) * MIN;
      stage = 0;
    } else if (job !== null && t >= jobAt) {
      w.api(t, 'POST', `/api/courier/jobs/${job}/${stage === 0 ? 'pickup' : 'delivered'}`, 200);
      if (stage++ === 0) jobAt = t + r.uni(6, 20) * MIN;
      else job = null;
    }
    t += poll * r.uni(0.9, 1.1);
  }
}

function partnerPos(o: Out, r: Prng, P: PP, end: number): void {
  const ips = [dcV4(r), dcV4(r)];
  const send = (t: number, i: number, method: string, path: string, code: number, extra: H = {}) => {
    const h: H = { 'x-api-key': PARTNER_KEY, accept: 'application/json', 'x-request-id': uuid(r), 'user-agent': 'TillBridge-Connector/4.2.0 (Java/17.0.10; +https://tillbridge.example)', 'accept-encoding': 'gzip,deflate', ...extra };
    if (method === 'POST' || method === 'PUT' || method === 'PATCH') h['content-type'] = 'application/json';
    o.add(t, `pk${i + 1}`, 'person', method, path, ips[i]!, h, code, code === 204 || code === 304 ? undefined : 'application/json');
  };
  for (let t = -r.uni(0, 30) * SEC; t < end; t += 30 * SEC * r.uni(0.97, 1.03)) send(t, 0, 'GET', `/api/partner/v1/orders?status=pending&since=${EPOCH + Math.floor(t / SEC) - 60}`, 200);
  const ack = (t: number) => {
    const oid = r.int(7_400_000, 7_499_999), i = r.int(0, 1);
    send(t, i, 'POST', `/api/partner/v1/orders/${oid}/ack`, 204);
    send(t + r.uni(5, 20) * MIN, i, 'POST', `/api/partner/v1/orders/${oid}/status`, 204);
  };
  for (const t of arrivals(r, (t) => P.posOrders * lunch(P, t), P.posOrders * P.hi, -25 * MIN, end)) ack(t);
  for (const t of arrivals(r, (t) => 0.15 * Math.max(0, lunch(P, t) - 1), 0.15 * P.hi, 0, end)) for (let k = r.int(5, 15); k > 0; k--) ack(t + r.uni(0, 20) * SEC);
  const rids = Array.from({ length: P.partnerRests }, (_, i) => RESTS[(i * 29) % RESTS.length]!.id);
  for (let t = -r.uni(0, P.syncMin) * MIN; t < end; t += P.syncMin * MIN * r.uni(0.95, 1.05)) {
    let tt = t;
    for (const rid of rids) {
      const changed = r.chance(0.12);
      send((tt += r.uni(80, 400)), 1, 'GET', `/api/partner/v1/restaurants/${rid}/menu`, changed ? 200 : 304, { 'if-none-match': `W/"${r.hex(12)}"` });
      if (changed && r.chance(0.5)) send((tt += r.uni(100, 600)), 1, 'PUT', `/api/partner/v1/restaurants/${rid}/menu`, 200);
    }
  }
  for (const t of arrivals(r, () => 1, 1, 0, end)) send(t, r.int(0, 1), 'PATCH', `/api/partner/v1/items/${r.pick(rids) * 100 + r.int(0, 14)}/availability`, 204);
}

function crawlersAndNoise(o: Out, r: Prng, P: PP, N: Nets, end: number): void {
  const gIps = Array.from({ length: r.int(4, 10) }, () => `66.249.${r.int(64, 79)}.${r.int(1, 254)}`);
  const bIps = Array.from({ length: r.int(3, 8) }, () => r.pick(['157.55.39', '40.77.167', '207.46.13']) + `.${r.int(1, 254)}`);
  const G_MOB = 'Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.69 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';
  const G_DESK = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';
  const crawlPath = (): [string, number, string] => {
    const u = r.next();
    if (u < 0.02) return ['/robots.txt', 200, 'text/plain'];
    if (u < 0.05) return [`/sitemaps/restaurants-${r.int(1, 9)}.xml`, 200, 'application/xml'];
    const p = u < 0.75 ? restPath(RESTS[r.int(0, RESTS.length - 1)]!) : u < 0.88 ? `/delivery/${r.w(CITY_W)}` : `/delivery/${r.w(CITY_W)}/${r.pick(CUISINES)}`;
    const c = r.next();
    return c < 0.04 ? [p + '-old', 404, 'text/html'] : c < 0.07 ? [p.replace('/r/', '/restaurant/'), 301, 'text/html'] : [p, 200, 'text/html'];
  };
  for (const t of arrivals(r, () => P.googleRate, P.googleRate, 0, end)) {
    const [p, code, ct] = crawlPath(), mob = r.chance(0.75), ims = code === 200 && r.chance(0.1);
    const h: H = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', from: 'googlebot(at)googlebot.com', 'user-agent': mob ? G_MOB : G_DESK, 'accept-encoding': 'gzip, deflate, br' };
    if (ims) h['if-modified-since'] = 'Thu, 13 Mar 2025 09:12:44 GMT';
    o.add(t, 'pg1', 'person', 'GET', p, r.pick(gIps), h, ims ? 304 : code, ct);
    if (mob && code === 200 && r.chance(0.08)) for (const [sp, , sct] of STATIC) o.add(t + r.uni(1, 20) * MIN, 'pg1', 'person', 'GET', sp, r.pick(gIps), { accept: '*/*', 'user-agent': G_MOB, 'accept-encoding': 'gzip, deflate, br' }, 200, sct);
  }
  for (const t of arrivals(r, () => P.googleRate / 5, P.googleRate / 5, 0, end)) {
    const x = RESTS[r.int(0, RESTS.length - 1)]!;
    o.add(t, 'pg2', 'person', 'GET', `/img/r/${x.id}/cover.webp?w=1280`, r.pick(gIps), { accept: '*/*', 'user-agent': 'Googlebot-Image/1.0', 'accept-encoding': 'gzip, deflate, br' }, 200, 'image/webp');
  }
  for (const t of arrivals(r, () => P.bingRate, P.bingRate, 0, end)) {
    const [p, code, ct] = crawlPath();
    const ua = r.chance(0.6) ? 'Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm) Chrome/131.0.0.0 Safari/537.36' : 'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)';
    o.add(t, 'pg3', 'person', 'GET', p, r.pick(bIps), { 'cache-control': 'no-cache', accept: '*/*', 'accept-encoding': 'gzip, deflate', 'user-agent': ua }, code, ct);
  }
  // link previews: the page someone just shared, fetched by the messenger's servers (or the sender's phone)
  const PREV: ReadonlyArray<[string, () => string, boolean]> = [
    ['Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)', () => `54.${r.int(144, 255)}.${r.int(0, 255)}.${r.int(1, 254)}`, true],
    ['facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)', () => `${r.pick(['31.13.115', '69.171.249', '173.252.83'])}.${r.int(1, 254)}`, true],
    ['WhatsApp/2.24.22.79 A', () => cellIp(r, N), false],
    ['Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_1) AppleWebKit/601.2.4 (KHTML, like Gecko) Version/9.0.1 Safari/601.2.4 facebookexternalhit/1.1 Facebot Twitterbot/1.0', () => homeIp(r), false],
    ['Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)', () => `35.${r.int(190, 240)}.${r.int(0, 255)}.${r.int(1, 254)}`, true],
    ['Twitterbot/1.0', () => `199.16.157.${r.int(1, 254)}`, true],
  ];
  let k = 0;
  for (const t of arrivals(r, () => P.previewRate, P.previewRate, 0, end)) {
    const [ua, ipf, img] = r.pick(PREV), x = RESTS[r.int(0, 400)]!, ip = ipf(), id = `pl${++k}`;
    o.add(t, id, 'person', 'GET', restPath(x), ip, { 'user-agent': ua, accept: '*/*', 'accept-encoding': 'gzip, deflate' }, 200, 'text/html');
    if (img) o.add(t + r.uni(300, 1500), id, 'person', 'GET', `/img/r/${x.id}/cover.webp?w=1280`, ip, { 'user-agent': ua, accept: '*/*', 'accept-encoding': 'gzip, deflate' }, 200, 'image/webp');
  }
  const ur = Array.from({ length: 6 }, () => `${r.pick(['216.144.248', '69.162.124', '208.115.199'])}.${r.int(16, 30)}`);
  for (let t = r.uni(0, 20) * SEC; t < end; t += 20 * SEC + r.uni(-1, 1) * SEC) o.add(t, 'pu1', 'person', 'HEAD', '/', r.pick(ur), { 'user-agent': 'Mozilla/5.0+(compatible; UptimeRobot/2.0; http://www.uptimerobot.com/)', accept: '*/*', 'accept-encoding': 'gzip, deflate', 'cache-control': 'no-cache' }, 200);
  const pd = Array.from({ length: 4 }, () => `${r.pick(['178.255.152', '185.180.12', '5.172.196'])}.${r.int(2, 250)}`);
  for (let t = r.uni(0, 60) * SEC; t < end; t += 60 * SEC) o.add(t, 'pu2', 'person', 'GET', '/healthz', r.pick(pd), { 'user-agent': 'Pingdom.com_bot_version_1.4_(http://www.pingdom.com/)', accept: '*/*' }, 200, 'text/plain');
  // link checkers: an SEO tool and browser extensions, HEAD on pages
  for (const t of arrivals(r, () => P.checkRate, P.checkRate, 0, end)) {
    const seo = r.chance(0.5), x = RESTS[r.int(0, RESTS.length - 1)]!;
    const h: H = seo ? { 'user-agent': 'Mozilla/5.0 (compatible; SiteCheckerBotCrawler/1.0; +https://sitechecker.pro)', accept: '*/*', 'accept-encoding': 'gzip' } : { 'user-agent': DESKTOP[0]![0].ua, accept: '*/*', 'sec-fetch-site': 'cross-site', 'sec-fetch-mode': 'no-cors', 'sec-fetch-dest': 'empty', 'accept-encoding': ZSTD, 'accept-language': 'en-GB,en;q=0.9' };
    const code = r.chance(0.08) ? 404 : r.chance(0.05) ? 301 : 200;
    o.add(t, seo ? 'pc1' : `pc${++k + 1}`, 'person', 'HEAD', code === 404 ? restPath(x) + '-old' : restPath(x), seo ? '138.201.' + r.int(0, 255) + '.' + r.int(1, 254) : resV4(r), h, code);
  }
}

/** Everyone who is not a bot or a campaign visitor, over the nominal run [0, end). */
function genPeople(o: Out, seed: number, P: PP, N: Nets, end: number): void {
  const rw = Prng.of('E', 'people', 'web', seed);
  let i = 0;
  for (const t of arrivals(rw, (t) => P.webRate * lunch(P, t), P.webRate * P.hi, -10 * MIN, end)) webSession(o, rw.fork(), `pw${++i}`, 'person', t, P, N);
  const ra = Prng.of('E', 'people', 'app', seed);
  i = 0;
  for (const t of arrivals(ra, (t) => P.appRate * lunch(P, t), P.appRate * P.hi, -10 * MIN, end)) appSession(o, ra.fork(), `pa${++i}`, 'person', t, P, N);
  const rf = Prng.of('E', 'people', 'offices', seed);
  for (let k = 1; k <= P.offices; k++) {
    const addr = `${rf.pick([193, 195, 212, 213, 62, 80])}.${rf.int(0, 255)}.${rf.int(0, 255)}.${rf.int(1, 254)}`;
    const b = rf.w<Br>([[DESKTOP[3]![0], 45], [DESKTOP[0]![0], 35], [DESKTOP[1]![0], 20]]), lang = langFor(rf, b.fam), city = rf.w(CITY_W);
    const x = pickRest(rf, city), code = rf.hex(6).toUpperCase();
    for (let j = 1, n = rf.int(6, 25); j <= n; j++) {
      const t = P.c + (rf.next() + rf.next() - 1) * 12 * MIN;
      const landing: Page = rf.chance(0.7) ? { kind: 'rest', path: `/group/${code}`, city, rest: x, site: 'none', referer: null } : { ...page.home(city), site: 'none', referer: null };
      webSession(o, rf.fork(), `po${k}_${j}`, 'person', t, P, N, { b, lang, ip: () => addr, landing, state: rf.chance(0.8) ? 'ret' : 'new', bounce: 0.1, orderP: 0.8, city });
    }
  }
  const rt = Prng.of('E', 'people', 'tablets', seed);
  for (let k = 1; k <= P.tablets; k++) tablet(o, rt.fork(), `pt${k}`, P, end);
  const rc = Prng.of('E', 'people', 'couriers', seed);
  for (let k = 1; k <= P.couriers; k++) courier(o, rc.fork(), `pr${k}`, N, end);
  partnerPos(o, Prng.of('E', 'people', 'partner', seed), P, end);
  crawlersAndNoise(o, Prng.of('E', 'people', 'noise', seed), P, N, end);
}

// ---- campaign and attacks ---------------------------------------------------------------------------------

interface Atk { start: number; end: number; params: Record<string, string | number | boolean> }
type Disguise = 'full' | 'no-meta' | 'mismatch' | 'library' | 'headless';

/** A bot's HTTP client dressed to its disguise. */
function botClient(o: Out, r: Prng, id: string, d: Disguise, ip: (t: number) => string, cookies: boolean, b?: Br, assets = false): Web {
  if (d === 'library') return new Web(o, r, id, 'bot', libBr(b?.ua ?? r.pick(LIB_UAS)), r.chance(0.5) ? '' : 'en-US,en;q=0.9', ip, { meta: false, hints: 'none', cookies, assets: false });
  const br = d === 'headless' ? HEADLESS : (b ?? r.w(r.chance(0.75) ? DESKTOP : MOBILE));
  const f: Flags = d === 'no-meta' ? { meta: false, hints: 'none', cookies, assets } : d === 'mismatch' ? { meta: r.chance(0.5), hints: 'mismatch', cookies, assets } : { meta: true, hints: 'match', cookies, assets };
  return new Web(o, r, id, 'bot', br, langFor(r, br.fam), ip, f);
}
const addrOf = (r: Prng, N: Nets, res: number, cell: number): string => {
  const u = r.next();
  return u < cell ? cellIp(r, N) : u < cell + res ? (r.chance(0.9) ? resV4(r) : v6addr(r, v6net(r, r.pick(HOME6)))) : dcV4(r);
};
const atkWindow = (r: Prng, warm: number, end: number, lo: number, hi: number, d0: number, d1: number): [number, number] => {
  const s = warm + r.uni(lo, hi) * MIN;
  return [s, Math.min(end - 1, s + r.uni(d0, d1) * MIN)];
};

function campaign(o: Out, r: Prng, P: PP, N: Nets, warm: number, end: number): Atk {
  const channel = r.w([['email', 40], ['push', 35], ['both', 25]]);
  const slug = r.pick(['lunch-50', 'friday-feast', 'free-delivery-week', 'sushi-saturday', 'new-in-town', 'half-price-pizza']);
  const drawn = r.uni(5, 20);
  let mult = drawn;
  const rise = r.uni(1, 4) * MIN, decay = r.uni(3, 8) * MIN, newShare = r.uni(0.55, 0.85), bounce = r.uni(0.3, 0.6), scan = r.uni(0.02, 0.06);
  const [start, stop] = atkWindow(r, warm, end, 1, 6, 12, 20);
  const shape = (t: number) => (t < start || t >= stop ? 0 : t < start + rise ? (t - start) / rise : Math.exp(-(t - start - rise) / decay));
  const base = P.webRate + P.appRate;
  let expected = 0;
  for (let t = start; t < stop; t += 10 * SEC) expected += ((mult - 1) * base * lunch(P, t) * shape(t)) / 6;
  if (expected > 1800) mult = 1 + ((mult - 1) * 1800) / expected; // keeps the run within ~120k events
  const rate = (t: number) => (mult - 1) * base * lunch(P, t) * shape(t);
  let i = 0;
  for (const t of arrivals(r, rate, (mult - 1) * base * P.hi, start, stop)) {
    const rr = r.fork(), id = `c${++i}`;
    const web = channel === 'email' || (channel === 'both' && rr.chance(0.5));
    if (!web) {
      appSession(o, rr, id, 'campaign', t, P, N, { slug, bounce });
      continue;
    }
    const city = rr.w(CITY_W), path = `/promo/${slug}?utm_source=newsletter&utm_medium=email&utm_campaign=${slug}`;
    if (rr.chance(scan)) {
      const sb = DESKTOP[0]![0];
      o.add(t - rr.uni(2, 60) * SEC, `${id}s`, 'campaign', 'GET', path, `40.94.${rr.int(0, 255)}.${rr.int(1, 254)}`, { 'user-agent': sb.ua, accept: acceptFor('chrome', 'document'), 'accept-encoding': 'gzip, deflate', 'accept-language': 'en-US' }, 200, 'text/html');
    }
    const ref = rr.w<string | null>([[null, 60], ['https://mail.google.com/', 25], ['https://outlook.live.com/', 15]]);
    const landing: Page = { kind: 'promo', path, city, site: ref ? 'cross-site' : 'none', referer: ref };
    const mobile = rr.chance(0.7);
    webSession(o, rr, id, 'campaign', t, P, N, { b: rr.w(mobile ? MOBILE : DESKTOP), landing, city, promo: slug, bounce, state: rr.chance(newShare) ? 'new' : 'ret' });
  }
  return { start, end: stop, params: { channel, slug, multiplierDrawn: +drawn.toFixed(1), multiplier: +mult.toFixed(1), riseMin: +(rise / MIN).toFixed(1), decayMin: +(decay / MIN).toFixed(1), newShare: +newShare.toFixed(2), bounce: +bounce.toFixed(2), visitors: i } };
}

function burst(o: Out, r: Prng, cold: boolean, warm: number, end: number): Atk {
  const rpm = Math.round(r.logUni(150, 3000));
  const client = r.w([['library', 30], ['headless', 20], ['chrome', 35], ['app', 15]]);
  const target = client === 'app' ? r.w([['app-menu', 60], ['app-search', 40]]) : r.w([['menu-api', 35], ['pages', 30], ['search-api', 20], ['availability', 15]]);
  const durMin = Math.min(r.uni(3, 12), 36000 / rpm);
  const start = cold ? r.uni(0, 20) * SEC : warm + r.uni(2, 8) * MIN, stop = Math.min(end - 1, start + durMin * MIN);
  const pattern = r.w([['steady', 50], ['waves', 30], ['ramp', 20]]);
  const cookies = r.chance(0.5), enumerate = r.chance(0.3);
  const ipKind = r.w([['datacenter', 55], ['residential', 30], ['ipv6', 15]]);
  const addr = ipKind === 'datacenter' ? dcV4(r) : ipKind === 'residential' ? resV4(r) : v6addr(r, v6net(r, r.pick(DC6)));
  const ip = () => addr;
  const app = client === 'app' ? new App(o, 'b1', 'bot', makeDevice(r, r.chance(0.5)), ip) : null;
  const web = client === 'app' ? null : botClient(o, r, 'b1', client === 'library' ? 'library' : client === 'headless' ? 'headless' : 'full', ip, cookies, client === 'chrome' ? DESKTOP[0]![0] : undefined);
  const city = r.w(CITY_W), [la, ln] = CITY_LL[city]!;
  let t = start, i = r.int(0, RESTS.length - 1), id = RESTS[i]!.id, waveEnd = start + r.uni(15, 60) * SEC, n = 0;
  while (t < stop) {
    let code = 200;
    if (enumerate) code = REST_IDS.has(++id) ? 200 : 404;
    else id = RESTS[++i % RESTS.length]!.id;
    const x = RESTS[i % RESTS.length]!;
    const word = q(r.pick(WORDS)), pg = r.int(1, 20);
    if (app) {
      if (target === 'app-menu') app.call(t, 'GET', `/api/v2/restaurants/${id}/menu`, code);
      else app.call(t, 'GET', `/api/v2/search?q=${word}&lat=${la.toFixed(4)}&lng=${ln.toFixed(4)}&page=${pg}`, 200);
    } else if (web) {
      if (target === 'pages') {
        web.req(t, 'GET', restPath(x), 'document', web.page ? 'same-origin' : 'none', web.page, 200, 'text/html', undefined, true);
        web.gotCookie();
        web.page = ORIGIN + `/delivery/${x.city}`;
      } else {
        if (!web.page) web.page = `${ORIGIN}/delivery/${city}`;
        const p = target === 'menu-api' ? `/api/web/restaurants/${id}/menu` : target === 'availability' ? `/api/web/restaurants/${id}/availability?slot=asap` : `/api/web/search?q=${word}&city=${city}&page=${pg}`;
        web.api(t, 'GET', p, target === 'search-api' ? 200 : code);
        if (n === 0) web.gotCookie();
      }
    }
    n++;
    const f = pattern === 'ramp' ? 0.4 + (1.2 * (t - start)) / (stop - start) : pattern === 'waves' ? 1.5 : 1;
    t += r.exp(60000 / rpm / f);
    if (pattern === 'waves' && t > waveEnd) {
      t = waveEnd + r.uni(5, 30) * SEC;
      waveEnd = t + r.uni(15, 60) * SEC;
    }
  }
  return { start, end: stop, params: { rpm, client, target, pattern, ipKind, cookies, enumerate, durMin: +durMin.toFixed(1), requests: n } };
}

function residentialProxy(o: Out, r: Prng, N: Nets, warm: number, end: number): Atk {
  const n = r.int(1000, 5000);
  const [start, stop] = atkWindow(r, warm, end, 1, 5, 8, 18);
  const target = r.w([['pages', 40], ['menu-api', 35], ['mixed', 25]]);
  const disguise = r.w<Disguise>([['full', 45], ['no-meta', 25], ['mismatch', 20], ['library', 10]]);
  const uaMode = r.w([['rotate', 65], ['single', 35]]), single = r.w(DESKTOP);
  const cell = r.uni(0, 0.2), v6 = r.uni(0, 0.15), p2 = r.uni(0.2, 0.6), p3 = r.uni(0.1, 0.4);
  const refMode = r.w([['none', 40], ['google', 30], ['same', 30]]);
  let idx = r.int(0, RESTS.length - 1);
  for (let i = 1; i <= n; i++) {
    const rr = r.fork();
    const addr = rr.chance(cell) ? cellIp(rr, N) : rr.chance(v6) ? v6addr(rr, v6net(rr, rr.pick(HOME6))) : resV4(rr);
    const w = botClient(o, rr, `b${i}`, disguise, () => addr, false, uaMode === 'single' ? single : undefined);
    let t = start + rr.next() * (stop - start);
    for (let k = 1 + (rr.chance(p2) ? 1 + (rr.chance(p3) ? 1 : 0) : 0); k > 0; k--) {
      const x = RESTS[idx++ % RESTS.length]!;
      if (target === 'pages' || (target === 'mixed' && rr.chance(0.5))) {
        const ref = refMode === 'google' ? 'https://www.google.com/' : refMode === 'same' ? `${ORIGIN}/delivery/${x.city}` : null;
        w.req(t, 'GET', restPath(x), 'document', ref === null ? 'none' : ref.startsWith(ORIGIN) ? 'same-origin' : 'cross-site', ref, 200, 'text/html', undefined, true);
      } else w.req(t, 'GET', `/api/web/restaurants/${x.id}/menu`, 'empty', 'same-origin', ORIGIN + restPath(x), 200, 'application/json');
      t += rr.uni(1, 20) * SEC;
    }
  }
  return { start, end: stop, params: { addresses: n, target, disguise, uaMode, refMode, cellShare: +cell.toFixed(2), v6Share: +v6.toFixed(2), p2: +p2.toFixed(2), p3: +p3.toFixed(2) } };
}

function credentialStuffing(o: Out, r: Prng, N: Nets, warm: number, end: number): Atk {
  const n = r.int(200, 900);
  const [start, stop] = atkWindow(r, warm, end, 1, 5, 10, 18);
  const channel = r.w([['web', 40], ['app', 30], ['both', 30]]);
  const succ = r.uni(0.003, 0.02), mean = r.uni(1.5, 4), prefetch = r.uni(0, 0.7);
  const disguise = r.w<Disguise>([['full', 55], ['no-meta', 25], ['mismatch', 20]]);
  const appVer = r.w([['current', 60], ['stale', 40]]), devMode = r.w([['per-attempt', 40], ['per-address', 60]]);
  const res = r.uni(0.5, 0.85), cell = r.uni(0, 0.2);
  let attempts = 0, ok = 0;
  for (let i = 1; i <= n; i++) {
    const rr = r.fork(), addr = addrOf(rr, N, res, cell), ip = () => addr;
    const ch = channel === 'both' ? (rr.chance(0.5) ? 'web' : 'app') : channel;
    let t = start + rr.next() * (stop - start);
    const k = Math.min(8, 1 + rr.geo(mean - 1));
    if (ch === 'web') {
      const w = botClient(o, rr, `b${i}`, disguise, ip, true);
      if (rr.chance(prefetch)) t = w.nav(t, '/login', 'none', null) + rr.uni(1, 6) * SEC;
      else w.page = `${ORIGIN}/login`;
      for (let j = 0; j < k; j++, attempts++) {
        const win = rr.chance(succ);
        w.api(t, 'POST', '/api/web/auth/login', win ? 200 : 401);
        if (win) {
          ok++;
          w.api(t + rr.uni(300, 2000), 'GET', '/api/web/me', 200);
        }
        t += rr.uni(2, 40) * SEC;
      }
    } else {
      const a = new App(o, `b${i}`, 'bot', makeDevice(rr, false, appVer === 'stale' ? '5.8.0' : '5.12.1'), ip);
      for (let j = 0; j < k; j++, attempts++) {
        if (devMode === 'per-attempt') a.d.devId = a.d.os === 'ios' ? uuid(rr).toUpperCase() : rr.hex(16);
        const win = rr.chance(succ);
        a.call(t, 'POST', '/api/v2/auth/login', win ? 200 : 401, true);
        if (win) {
          ok++;
          a.d.token = jwt(rr);
          a.call(t + rr.uni(300, 2000), 'GET', '/api/v2/me', 200);
          a.d.token = null;
        }
        t += rr.uni(2, 40) * SEC;
      }
    }
  }
  return { start, end: stop, params: { addresses: n, channel, disguise, appVer, devMode, successRate: +succ.toFixed(3), attemptsMean: +mean.toFixed(1), loginPagePrefetch: +prefetch.toFixed(2), attempts, successes: ok } };
}

function tokenAbuse(o: Out, r: Prng, N: Nets, P: PP, warm: number, end: number): Atk {
  const key = r.chance(0.55) ? 'app' : 'partner';
  const goal = key === 'app' ? r.w([['menu-scrape', 55], ['promo-enum', 45]]) : r.w([['menu-scrape', 70], ['order-scrape', 30]]);
  const n = r.int(20, 300);
  const [start, stop] = atkWindow(r, warm, end, 1, 5, 10, 18);
  const durMin = (stop - start) / MIN;
  const rpm = Math.min(r.logUni(2, 30), 30000 / (n * durMin * 0.6));
  const ua = r.w([['copy', 55], ['library', 45]]), tokens = key === 'app' ? r.w([['none', 40], ['few', 35], ['per-address', 25]]) : 'none';
  const dc = r.uni(0.2, 0.9), cell = r.uni(0, 0.2);
  const few = Array.from({ length: r.int(3, 10) }, () => jwt(r));
  const owned = new Set(Array.from({ length: P.partnerRests }, (_, i) => RESTS[(i * 29) % RESTS.length]!.id));
  const lib = r.pick(LIB_UAS);
  let idx = r.int(0, RESTS.length - 1), oid = r.int(7_400_000, 7_480_000), reqs = 0;
  for (let i = 1; i <= n; i++) {
    const rr = r.fork(), addr = addrOf(rr, N, 1 - dc - cell, cell);
    const dev = makeDevice(rr, false);
    const token = tokens === 'few' ? rr.pick(few) : tokens === 'per-address' ? jwt(rr) : null;
    const a0 = start + rr.uni(0, 0.5) * (stop - start), a1 = a0 + rr.uni(0.3, 1) * (stop - a0), myRate = rpm * rr.uni(0.6, 1.4);
    const send = (t: number, method: string, path: string, code: number) => {
      reqs++;
      if (key === 'app' && ua === 'copy') {
        dev.token = token;
        new App(o, `b${i}`, 'bot', dev, () => addr).call(t, method, path, code, method === 'POST');
        return;
      }
      const h: H = key === 'partner' && ua === 'copy'
        ? { 'x-api-key': PARTNER_KEY, accept: 'application/json', 'x-request-id': uuid(rr), 'user-agent': 'TillBridge-Connector/4.2.0 (Java/17.0.10; +https://tillbridge.example)', 'accept-encoding': 'gzip,deflate' }
        : { 'user-agent': lib, accept: 'application/json', 'accept-encoding': 'gzip, deflate', 'x-api-key': key === 'app' ? APP_KEY : PARTNER_KEY };
      if (token) h['authorization'] = `Bearer ${token}`;
      if (method === 'POST') h['content-type'] = 'application/json';
      o.add(t, `b${i}`, 'bot', method, path, addr, h, code, 'application/json');
    };
    for (let t = a0 + rr.exp(MIN / myRate); t < a1; t += rr.exp(MIN / myRate)) {
      const x = RESTS[idx++ % RESTS.length]!;
      if (key === 'app' && goal === 'promo-enum') send(t, 'POST', '/api/v2/promo/validate', rr.chance(0.01) ? 200 : rr.chance(0.03) ? 410 : 404);
      else if (key === 'app') send(t, 'GET', rr.chance(0.1) ? `/api/v2/restaurants?city=${x.city}&page=${rr.int(1, 40)}` : `/api/v2/restaurants/${x.id}/menu`, 200);
      else if (goal === 'menu-scrape') send(t, 'GET', `/api/partner/v1/restaurants/${x.id}/menu`, owned.has(x.id) ? 200 : 403);
      else send(t, 'GET', rr.chance(0.2) ? `/api/partner/v1/orders?status=completed&page=${rr.int(1, 200)}` : `/api/partner/v1/orders/${++oid}`, rr.chance(0.85) ? 200 : 404);
    }
  }
  return { start, end: stop, params: { key, goal, addresses: n, rpmPerAddress: +rpm.toFixed(1), ua, tokens, dcShare: +dc.toFixed(2), cellShare: +cell.toFixed(2), requests: reqs } };
}

function crawler(o: Out, r: Prng, N: Nets, warm: number, end: number): Atk {
  const n = r.int(1, 6);
  const [start, stop] = atkWindow(r, warm, end, 1, 5, 10, 20);
  const desc: string[] = [];
  for (let c = 1; c <= n; c++) {
    const cr2 = r.fork(), render = cr2.chance(0.4);
    const d: Disguise = render ? (cr2.chance(0.4) ? 'headless' : 'full') : cr2.w<Disguise>([['full', 50], ['no-meta', 30], ['mismatch', 20]]);
    const pool = Array.from({ length: cr2.chance(0.6) ? 1 : cr2.int(2, 6) }, () => (cr2.chance(0.6) ? dcV4(cr2) : resV4(cr2)));
    const ppm = render ? cr2.uni(3, 15) : cr2.uni(8, 60), cookies = cr2.chance(0.5), steady = cr2.chance(0.5);
    let req = 0;
    const w = botClient(o, cr2, `b${c}`, d, () => pool[Math.floor(req / 20) % pool.length]!, cookies, cr2.w(DESKTOP), render);
    let t = start + cr2.uni(0, 0.3) * (stop - start);
    const t1 = stop - cr2.uni(0, 0.2) * (stop - start);
    if (cr2.chance(0.5)) w.req(t, 'GET', '/robots.txt', 'document', 'none', null, 200, 'text/plain');
    const cities = [...CITY_W.map((x) => x[0])].sort(() => cr2.next() - 0.5);
    let ci = 0, ri = 0, city = cities[0]!, prev: string | null = null;
    while ((t += steady ? (MIN / ppm) * cr2.uni(0.85, 1.15) : cr2.exp(MIN / ppm) + 200) < t1) {
      const list = BY_CITY.get(city)!;
      let p: Page;
      if (ri === 0) p = page.city(city);
      else if (ri % 15 === 0) p = { kind: 'cuisine', path: `/delivery/${city}/${CUISINES[(ri / 15) % CUISINES.length]}`, city };
      else p = { kind: 'rest', path: restPath(list[ri % list.length]!), city, rest: list[ri % list.length]! };
      if (++ri > list.length) {
        ri = 0;
        city = cities[++ci % cities.length]!;
      }
      req++;
      if (render) t = w.nav(t, p.path, prev ? 'same-origin' : 'none', prev, { imgs: pageImgs(cr2, p), apis: pageApis(cr2, p, w), user: false });
      else {
        w.req(t, 'GET', p.path, 'document', prev ? 'same-origin' : 'none', prev, cr2.chance(0.01) ? 404 : 200, 'text/html', undefined, true);
        w.gotCookie();
      }
      prev = ORIGIN + p.path;
    }
    desc.push(`${render ? 'render' : 'html'}/${d}/${pool.length}ip/${ppm.toFixed(0)}ppm/${cookies ? 'cookies' : 'nocookies'}`);
  }
  return { start, end: stop, params: { crawlers: n, kinds: desc.join(' ') } };
}

function distributedSurge(o: Out, r: Prng, N: Nets, warm: number, end: number): Atk {
  const target = r.w([['promo-redeem', 40], ['signup', 30], ['autocomplete', 30]]);
  const channel = target === 'autocomplete' ? 'web' : r.w([['web', 60], ['app', 40]]);
  const n = r.int(200, 1500), mean = r.uni(1.5, 4), preload = r.uni(0, 0.7);
  const [start, stop] = atkWindow(r, warm, end, 2, 8, 2, 8);
  const disguise = r.w<Disguise>([['full', 55], ['no-meta', 25], ['mismatch', 20]]);
  const res = r.uni(0.4, 0.8), cell = r.uni(0.05, 0.3);
  const slug = r.pick(['WELCOME10', 'FREEDEL', 'LUNCH20']);
  let hits = 0;
  for (let i = 1; i <= n; i++) {
    const rr = r.fork(), addr = addrOf(rr, N, res, cell), ip = () => addr;
    let t = start + ((rr.next() + rr.next()) / 2) * (stop - start);
    const k = Math.min(8, 1 + rr.geo(mean - 1));
    const codeOf = (j: number) => (target === 'promo-redeem' ? (j === 0 ? (rr.chance(0.8) ? 200 : 422) : 409) : target === 'signup' ? rr.w([[201, 60], [409, 20], [422, 20]]) : 200);
    if (channel === 'app') {
      const a = new App(o, `b${i}`, 'bot', makeDevice(rr, target === 'promo-redeem'), ip);
      for (let j = 0; j < k; j++, hits++, t += rr.uni(0.5, 15) * SEC) a.call(t, 'POST', target === 'signup' ? '/api/v2/auth/signup' : '/api/v2/promo/redeem', codeOf(j), true);
      continue;
    }
    const w = botClient(o, rr, `b${i}`, disguise, ip, true);
    const pagePath = target === 'signup' ? '/signup' : target === 'promo-redeem' ? `/promo/${slug.toLowerCase()}` : '/checkout';
    if (rr.chance(preload)) t = w.nav(t, pagePath, 'none', null) + rr.uni(1, 5) * SEC;
    else w.page = ORIGIN + pagePath;
    for (let j = 0; j < k; j++, hits++, t += rr.uni(0.5, 15) * SEC) {
      if (target === 'autocomplete') w.api(t, 'GET', `/api/web/addresses/autocomplete?q=${q(rr.pick(STREETS).slice(0, rr.int(3, 9)))}`, 200);
      else w.api(t, 'POST', target === 'signup' ? '/api/web/auth/signup' : '/api/web/promo/redeem', codeOf(j));
    }
  }
  return { start, end: stop, params: { target, channel, addresses: n, hitsMean: +mean.toFixed(1), pagePreload: +preload.toFixed(2), disguise, resShare: +res.toFixed(2), cellShare: +cell.toFixed(2), hits } };
}

const PROBES: ReadonlyArray<[string, number]> = [['/.env', 404], ['/.git/config', 404], ['/wp-login.php', 404], ['/wp-admin/', 404], ['/admin', 403], ['/admin/login', 404], ['/api/v2/admin/users', 403], ['/api/internal/metrics', 403], ['/actuator/env', 404], ['/server-status', 403], ['/backup.zip', 404], ['/config.json', 404], ['/api/v2/orders/export', 403], ['/graphql', 404], ['/api/web/users/1', 403], ['/.DS_Store', 404], ['/phpinfo.php', 404], ['/api/swagger.json', 404], ['/api/v2/debug/vars', 404], ['/api/web/orders?all=true', 403], ['/robots.txt', 200], ['/sitemap.xml', 200], ['/', 200]];

function lowAndSlow(o: Out, r: Prng, N: Nets, warm: number, end: number): Atk {
  const n = r.int(2, 6), task = r.w([['probe', 35], ['order-enum', 35], ['mixed', 30]]);
  const start = warm + r.uni(0, 2) * MIN, stop = end - 1;
  const gaps: string[] = [];
  for (let i = 1; i <= n; i++) {
    const rr = r.fork(), addr = addrOf(rr, N, 0.5, 0.15), ip = () => addr;
    const gap = rr.uni(5, 60) * SEC, d = rr.w<Disguise | 'app'>([['full', 35], ['no-meta', 20], ['library', 20], ['app', 25]]);
    const session = rr.w([['none', 50], ['fresh', 50]]);
    gaps.push(`${(gap / SEC).toFixed(0)}s/${d}/${session}`);
    const w = d === 'app' ? null : botClient(o, rr, `b${i}`, d, ip, session === 'fresh');
    const a = d === 'app' ? new App(o, `b${i}`, 'bot', makeDevice(rr, session === 'fresh'), ip) : null;
    let oid = rr.int(7_400_000, 7_490_000), k = 0;
    for (let t = start + rr.uni(0, gap); t < stop; t += gap * rr.uni(0.5, 1.5), k++) {
      if (w && session === 'fresh' && k % rr.int(5, 20) === 0) w.cookie = '';
      const enumNow = task === 'order-enum' || (task === 'mixed' && rr.chance(0.5));
      const code = rr.chance(0.8) ? 403 : 404;
      oid += rr.chance(0.8) ? 1 : rr.int(2, 50);
      if (a) a.call(t, 'GET', enumNow ? `/api/v2/orders/${oid}` : rr.pick(['/api/v2/admin/users', '/api/v2/debug/vars', '/api/v2/orders/export', '/api/v2/internal/flags', '/api/v1/restaurants']), enumNow ? code : rr.chance(0.5) ? 403 : 404);
      else if (w && enumNow) {
        if (!w.page) w.page = `${ORIGIN}/orders/${oid - 1}`;
        w.api(t, 'GET', `/api/web/orders/${oid}/status`, code);
      } else if (w) {
        const [p, c] = rr.pick(PROBES);
        w.req(t, 'GET', p, 'document', 'none', null, c, c === 200 ? 'text/html' : undefined, undefined, true);
        w.gotCookie();
      }
    }
  }
  return { start, end: stop, params: { addresses: n, task, clients: gaps.join(' ') } };
}

// ---- entry point ------------------------------------------------------------------------------------------

/**
 * Generates one run of traffic model E (the Forkly food-delivery marketplace): the people of `seed` plus the
 * scenario's attack or campaign, sorted by time with `seq` set. Deterministic in (name, seed, opts).
 * @param name    the scenario (see SCENARIOS in sim-traffic.ts)
 * @param seed    any integer; people depend only on it (and the window lengths), the attack on (name, seed)
 * @param opts    measuredMs (default 20 min) and warmupMs (default 30 min; always 0 for 'burst-cold')
 */
export function generateScenarioE(name: ScenarioName, seed: number, opts: { measuredMs?: number; warmupMs?: number } = {}): Scenario {
  const measured = opts.measuredMs ?? 20 * MIN;
  const nominalWarm = opts.warmupMs ?? 30 * MIN;
  const warm = name === 'burst-cold' ? 0 : nominalWarm;
  const endMs = warm + measured;
  const events: SimEvent[] = [];
  const P = drawPP(seed, nominalWarm, measured);
  const N = drawNets(seed);
  genPeople(new Out(events, endMs, nominalWarm - warm), seed, P, N, nominalWarm + measured);
  const o = new Out(events, endMs, 0);
  const r = Prng.of('E', name, seed, 'attack');
  let atk: Atk | null = null;
  switch (name) {
    case 'people': break;
    case 'campaign': atk = campaign(o, r, P, N, warm, endMs); break;
    case 'burst-cold': atk = burst(o, r, true, warm, endMs); break;
    case 'burst-warm': atk = burst(o, r, false, warm, endMs); break;
    case 'residential-proxy': atk = residentialProxy(o, r, N, warm, endMs); break;
    case 'credential-stuffing': atk = credentialStuffing(o, r, N, warm, endMs); break;
    case 'token-abuse': atk = tokenAbuse(o, r, N, P, warm, endMs); break;
    case 'crawler': atk = crawler(o, r, N, warm, endMs); break;
    case 'distributed-surge': atk = distributedSurge(o, r, N, warm, endMs); break;
    case 'low-and-slow': atk = lowAndSlow(o, r, N, warm, endMs); break;
  }
  events.sort((a, b) => a.at - b.at);
  events.forEach((e, i) => (e.seq = i));
  const params: Record<string, string | number | boolean> = { model: 'E', site: 'forkly', webRate: +P.webRate.toFixed(1), appRate: +P.appRate.toFixed(1), lunchLo: +P.lo.toFixed(2), lunchHi: +P.hi.toFixed(2), tablets: P.tablets, couriers: P.couriers, offices: P.offices };
  if (atk) for (const [k, v] of Object.entries(atk.params)) params[k] = v;
  return { name, seed, events, warmupMs: warm, endMs, attackStartMs: atk ? Math.floor(atk.start) : null, attackEndMs: atk ? Math.floor(atk.end) : null, params };
}
