/**
 * Traffic model B: an independently written traffic generator for the bot simulator.
 *
 * The site
 * --------
 * "Encore", a concert/theatre ticketing site on one host. Its URL space:
 *   pages      /  /events/{city}?when=..&genre=..&page=N  /e/{artist}-{city}-{id}  /e/{slug}/tickets (seat map)
 *              /artists/{slug}  /venues/{slug}  /search?q=..  /cart  /checkout  /orders/{id}/confirmation
 *              /account/signin  /account/register  /account/forgot  /account/tickets|orders|settings
 *              /help/{slug}  /lp/{campaign}  (campaign landing pages)
 *   web API    /api/v2/...  (JSON, called by the pages with fetch: me, events, availability, seatmap,
 *              similar, suggest, search, cart, cart/holds, orders, consent, collect (analytics beacon) ...)
 *   app API    the same /api/v2 plus auth/token, auth/refresh, app/config, feed, devices, me/tickets/{id}/pass;
 *              every app install sends the shared key 'sim-mobile-app-key-0001'
 *   partner    /api/partner/v1/events?updated_since=..&page=N, /api/partner/v1/inventory/{id}, POST /api/partner/v1/orders
 *              with the key 'sim-partner-key-0002'
 *   assets     /assets/*.{js,css,woff2} (content-hashed), /img/ev/{id}/{w}.webp, /favicon.ico
 * Cookies: enc_sid (session, set on the first response), enc_consent, _ga (set by page script after consent),
 * enc_auth (after sign-in). The web sign-in form posts to /account/signin: 302 on success, 401 on failure.
 * Event ids are sparse (one id in 2-6 exists), so id enumeration meets many 404s. A few events are "hot"
 * (on sale now). The catalogue, asset hashes and names are drawn per seed.
 *
 * People (every scenario; kind 'person')
 * ------
 * - Browser visitors arrive as a non-homogeneous Poisson process (10-18 sessions/min on average, modulated by a
 *   slow wave, a trend and a few gaussian bumps). Each visitor has a browser build (Chrome/Edge/Firefox/Safari on
 *   desktop; Safari iOS, Chrome Android, Samsung Internet, Chrome iOS, Firefox Android on mobile) with the
 *   header set that build really sends: sec-fetch-* per request destination (navigation, fetch, image, script,
 *   style, font, beacon, form post), sec-ch-ua* on Chromium only, engine-specific accept / accept-language /
 *   priority formats, and a TLS fingerprint (x-ja4, only when the seed's proxy passes one).
 * - Networks: home broadband (own IPv4 or IPv6, households of several devices on one address), office NATs
 *   (many colleagues on one address with one managed browser build), mobile carrier CGNAT (a small pool of
 *   public addresses shared by many phones, occasionally hopping inside the pool), carrier IPv6, privacy relays
 *   for some Safari users, and consumer VPN exits shared by a few people.
 * - Sessions enter from direct visits, search engines, social links, referrals and newsletters, then walk a
 *   page graph (home, listings, event, seat map, cart, checkout, artist, venue, search, account, help) with
 *   lognormal think times; ~35-45% bounce. Every page brings its document request, first-visit core assets,
 *   a route chunk, lazy images, its JSON calls, an analytics beacon, a consent call on first visit; search boxes
 *   fire suggest calls while typing; seat maps poll availability; listings get filter changes and sometimes
 *   open several events in new tabs. Back navigations are sometimes served from the back/forward cache.
 * - Returning visitors carry an old cookie (sometimes expired and replaced), a warm asset cache, sometimes a
 *   remembered sign-in. Some people block cookies (no cookie ever comes back). Some visit a second time.
 * - Checkout needs an account: sign-in (password typos give 401s, then success; some give up and reset the
 *   password) or registration (validation error then success); payments are sometimes declined (402).
 * - 404s: stale event links from search engines, mistyped URLs, apple-touch-icon probes from iOS.
 * - The web API's /api/v2/me answers 401 to anonymous visitors on some seeds (a common design) and 200 on others.
 * - Mobile app users (3-8 sessions/min): Android (okhttp) and iOS (CFNetwork) installs of two or three app
 *   versions, each on its own address or carrier NAT, JSON only, shared app key, bearer token when signed in,
 *   token refresh, app-login typos, HEAD revalidation of the remote config, ticket passes and cached images,
 *   background refreshes between sessions.
 * - The partner integration: one or two cloud servers with a server-side HTTP client, either a steady trickle of
 *   inventory lookups or a periodic batch sync (HEAD check, paginated pulls, inventory sweep, a few orders).
 *
 * Scenarios (attack traffic is kind 'bot'; it starts 2-6 minutes into the measured window unless noted)
 * ---------
 * - people: nothing else.
 * - campaign: a marketing push (email blast, paid social or an influencer post) bringing 5-20x the usual
 *   arrival rate of first-time visitors (kind 'campaign') to one landing URL with utm parameters and click ids,
 *   mostly on phones (many through social in-app browsers and carrier NATs); 45-75% bounce, the rest browse on.
 * - burst-cold / burst-warm: one client, 300-3000 requests/min for 3-10 minutes (cold: no warm-up, starting
 *   20-120 s into the run). Even seeds: an HTTP library user agent; odd seeds: a real Chrome user agent with
 *   full per-request browser headers or one copied header set. Cookies kept or not; catalogue API sweep, event
 *   page scrape, suggest-endpoint enumeration or a mix, following the catalogue or enumerating ids.
 * - residential-proxy: a price scraper through 1500-5000 residential addresses (some on mobile carriers shared
 *   with people, some IPv6), 1-3 requests each (an event page, then its availability call or a second page),
 *   consistent browser headers per address, no cookie ever returned.
 * - credential-stuffing: 200-800 addresses (residential proxies and hosting), 1-8 form posts each to
 *   /account/signin, browser headers, sometimes loading the sign-in page first; 0.3-2% succeed (302).
 * - token-abuse: the app key or the partner key used from 30-300 addresses, each active for a few minutes,
 *   sweeping availability/inventory (some holding seats), with an HTTP library user agent or a copy of the
 *   real client's user agent and headers.
 * - crawler: 1-3 GET-only crawlers with browser user agents walking the site's link graph breadth-first at
 *   20-300 pages/min, plain HTTP fetchers or headless browsers (assets and page API calls too).
 * - distributed-surge: 300-1500 addresses each hitting one route (a hot event's availability API, search, the
 *   event page or the home page) 2-8 times within a few seconds to half a minute, over 2-8 minutes.
 * - low-and-slow: 2-6 addresses over the whole measured window, one request every 5-30 s each, no or throwaway
 *   sessions, probing config/admin paths, id ranges and private API routes (mostly 404/401).
 *
 * Event budget: a run stays under ~60k events. A campaign whose drawn rate would bring more visitors than the
 * budget allows ends earlier (its window shrinks; the multiplier is kept), a burst shortens to at most ~26k
 * requests, and token abuse slows its per-address pace to stay under ~14k requests.
 *
 * The same seed always gives the same output. The people (and the site) depend only on the seed and the
 * warm-up/measured lengths, so every scenario of one seed shares the same population.
 */
import type { Scenario, ScenarioName, SimEvent } from './sim-traffic.ts';

type Kind = SimEvent['kind'];
type Ev = SimEvent & { contentType?: string };
type Headers = Record<string, string>;
type Params = Record<string, string | number | boolean>;

const SEC = 1000;
const MIN = 60 * SEC;
/** The site's own origin, in its pages' Referer and Origin headers. */
export const SITE_ORIGIN_B = 'https://www.encore-tickets.example';
const ORIGIN = SITE_ORIGIN_B;
const APP_KEY = 'sim-mobile-app-key-0001';
const PARTNER_KEY = 'sim-partner-key-0002';
/** The site's session cookie (a policy for this site names it in `bot.sessionCookie`). */
export const SESSION_COOKIE_B = 'enc_sid';
const C_SID = SESSION_COOKIE_B;
const C_CONSENT = 'enc_consent';
const C_AUTH = 'enc_auth';

const CT = {
  html: 'text/html; charset=utf-8',
  json: 'application/json',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  webp: 'image/webp',
  ico: 'image/x-icon',
  woff2: 'font/woff2',
  pkpass: 'application/vnd.apple.pkpass',
  text: 'text/plain; charset=utf-8',
  xml: 'application/xml',
} as const;

// ───────────────────────────── seeded PRNG ─────────────────────────────

function cyrb128(str: string): [number, number, number, number] {
  let h1 = 1779033703, h2 = 3144134277, h3 = 1013904242, h4 = 2773480762;
  for (let i = 0; i < str.length; i++) {
    const k = str.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4; h2 ^= h1; h3 ^= h1; h4 ^= h1;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

function sfc32(a: number, b: number, c: number, d: number): () => number {
  return () => {
    a >>>= 0; b >>>= 0; c >>>= 0; d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
}

const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const B64URL = ALNUM + '-_';

class Rng {
  private f: () => number;
  constructor(label: string) {
    const h = cyrb128(label);
    this.f = sfc32(h[0], h[1], h[2], h[3]);
    for (let i = 0; i < 16; i++) this.f();
  }
  u(): number { return this.f(); }
  range(a: number, b: number): number { return a + (b - a) * this.f(); }
  int(a: number, b: number): number { return a + Math.floor((b - a + 1) * this.f()); }
  chance(p: number): boolean { return this.f() < p; }
  pick<T>(a: readonly T[]): T {
    if (a.length === 0) throw new Error('pick from an empty list');
    return a[Math.floor(this.f() * a.length)] as T;
  }
  weighted<T>(a: readonly (readonly [T, number])[]): T {
    let tot = 0;
    for (const x of a) tot += x[1];
    let r = this.f() * tot;
    for (const x of a) { r -= x[1]; if (r < 0) return x[0]; }
    return a[a.length - 1]![0];
  }
  exp(mean: number): number { return -Math.log(1 - this.f()) * mean; }
  normal(): number {
    const u1 = 1 - this.f();
    const u2 = this.f();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }
  logn(median: number, sigma: number): number { return median * Math.exp(sigma * this.normal()); }
  logUniform(a: number, b: number): number { return Math.exp(this.range(Math.log(a), Math.log(b))); }
  str(n: number, alphabet: string): string {
    let s = '';
    for (let i = 0; i < n; i++) s += alphabet[Math.floor(this.f() * alphabet.length)];
    return s;
  }
  hex(n: number): string { return this.str(n, '0123456789abcdef'); }
  digits(n: number): string { return String(this.int(1, 9)) + this.str(n - 1, '0123456789'); }
  shuffle<T>(a: T[]): T[] {
    for (let i = a.length - 1; i > 0; i--) {
      const j = Math.floor(this.f() * (i + 1));
      const x = a[i] as T; a[i] = a[j] as T; a[j] = x;
    }
    return a;
  }
  fork(label: string): Rng { return new Rng(`${label}#${Math.floor(this.f() * 4294967296)}`); }
}

const clamp = (x: number, a: number, b: number): number => Math.max(a, Math.min(b, x));
const round2 = (x: number): number => Math.round(x * 100) / 100;

// ───────────────────────────── the site ─────────────────────────────

interface Item { id: number; slug: string; city: string; artist: string; venue: string; genre: string }
interface Venue { slug: string; city: string }
type PageType = 'home' | 'listing' | 'event' | 'tickets' | 'artist' | 'venue' | 'search' | 'cart' | 'checkout'
  | 'signin' | 'register' | 'forgot' | 'account' | 'help' | 'confirmation' | 'lp' | 'notfound' | 'info';
interface Page { type: PageType; path: string; code: number; ev?: Item; city?: string; q?: string; slug?: string }

interface Site {
  cities: string[];
  cityW: number[];
  events: Item[];
  cum: number[];
  dead: Item[];
  artists: string[];
  venues: Venue[];
  genres: string[];
  help: string[];
  terms: string[];
  hot: Item[];
  byArtist: Map<string, Item[]>;
  byVenue: Map<string, Item[]>;
  ids: Set<number>;
  idMin: number;
  idMax: number;
  hash: { app: string; vendor: string; css: string; font: string; chunk: Record<string, string> };
  wallStart: number;
}

const ADJ = ['velvet', 'neon', 'paper', 'silver', 'midnight', 'northern', 'glass', 'hollow', 'golden', 'electric', 'wild',
  'broken', 'lunar', 'quiet', 'crimson', 'static', 'copper', 'polar', 'saint', 'echo', 'amber', 'tidal', 'iron', 'violet'];
const NOUN = ['harbour', 'owls', 'tapes', 'lanterns', 'foxes', 'parade', 'theory', 'signals', 'rivers', 'pilots', 'season',
  'machines', 'orchard', 'dynasty', 'sirens', 'atlas', 'chorus', 'ghosts', 'tides', 'kites', 'comets', 'wolves'];
const FIRST = ['mira', 'jonah', 'ada', 'leon', 'sofia', 'theo', 'nina', 'felix', 'isla', 'ravi', 'maya', 'oskar', 'lena', 'tomas', 'ines', 'kofi'];
const LAST = ['kessler', 'reyes', 'whitlock', 'brandt', 'marin', 'lindqvist', 'okafor', 'aubry', 'mccrae', 'chandra', 'novak', 'haddad', 'brennan', 'sato'];
const SHOWS = ['swan-lake', 'the-nutcracker', 'hamlet', 'late-night-comedy-club', 'jazz-brunch', 'the-lion-king', 'symphony-no-9', 'drag-bingo', 'open-air-cinema'];
const CITIES = ['london', 'manchester', 'glasgow', 'bristol', 'birmingham', 'leeds', 'dublin', 'amsterdam', 'berlin', 'paris', 'brighton', 'cardiff'];
const VENUE_WORDS = ['academy', 'royal-hall', 'roundhouse', 'warehouse', 'arena', 'electric-ballroom', 'apollo', 'corn-exchange',
  'opera-house', 'the-crypt', 'riverside-studios', 'tivoli', 'paradiso', 'palladium', 'jazz-cellar', 'playhouse', 'brewery', 'depot'];
const GENRES = ['rock', 'pop', 'indie', 'electronic', 'jazz', 'classical', 'comedy', 'theatre', 'hip-hop', 'folk', 'metal', 'family'];
const HELP = ['refunds', 'ticket-transfer', 'mobile-tickets', 'accessibility', 'contact-us', 'event-cancelled', 'delivery-options',
  'resale', 'gift-cards', 'payment-failed', 'age-restrictions', 'seating-plans'];
const INFO = ['/about', '/gift-cards', '/privacy', '/terms', '/careers', '/sell-tickets', '/press'];

function buildSite(rng: Rng): Site {
  const cities = rng.shuffle(CITIES.slice()).slice(0, rng.int(7, 10));
  const cityW = cities.map((_, i) => 1 / Math.pow(i + 1, 0.9));
  const artists: string[] = [];
  const seenA = new Set<string>();
  const nArtists = rng.int(140, 260);
  while (artists.length < nArtists) {
    const r = rng.u();
    let a: string;
    if (r < 0.5) a = `${rng.chance(0.35) ? 'the-' : ''}${rng.pick(ADJ)}-${rng.pick(NOUN)}`;
    else if (r < 0.9) a = `${rng.pick(FIRST)}-${rng.pick(LAST)}`;
    else a = rng.pick(SHOWS);
    if (!seenA.has(a)) { seenA.add(a); artists.push(a); }
  }
  const venues: Venue[] = [];
  for (const c of cities) {
    const vs = rng.shuffle(VENUE_WORDS.slice()).slice(0, rng.int(4, 8));
    for (const v of vs) venues.push({ slug: `${c}-${v}`, city: c });
  }
  const idMin = rng.int(31000, 52000);
  const nEvents = rng.int(450, 900);
  const density = rng.range(0.17, 0.5);
  const ids = new Set<number>();
  const events: Item[] = [];
  const dead: Item[] = [];
  let id = idMin;
  const artistGenre = new Map<string, string>();
  for (const a of artists) artistGenre.set(a, rng.pick(GENRES));
  const mk = (eid: number): Item => {
    const artist = rng.pick(artists);
    const city = cities[Math.min(cities.length - 1, Math.floor(Math.pow(rng.u(), 1.6) * cities.length))]!;
    const vs = venues.filter((v) => v.city === city);
    const venue = rng.pick(vs).slug;
    return { id: eid, slug: `${artist}-${city}-${eid}`, city, artist, venue, genre: artistGenre.get(artist) ?? 'pop' };
  };
  for (let i = 0; i < nEvents; i++) {
    id += 1 + Math.floor(rng.exp(1 / density - 1));
    ids.add(id);
    events.push(mk(id));
  }
  // events that ended or were removed: old ids, answer 404 now (still linked from search engines)
  for (let i = 0; i < 60; i++) dead.push(mk(rng.int(idMin - 9000, idMin - 1)));
  const idMax = id;
  rng.shuffle(events);
  const cum: number[] = [];
  let acc = 0;
  for (let i = 0; i < events.length; i++) { acc += 1 / Math.pow(i + 1, 0.95); cum.push(acc); }
  const hot = events.slice(0, 3);
  const terms: string[] = [];
  for (let i = 0; i < 40; i++) {
    const a = rng.pick(artists).split('-').filter((w) => w !== 'the');
    terms.push(rng.chance(0.6) ? a.join(' ') : (a[0] ?? 'live'));
  }
  terms.push('comedy', 'jazz', 'festival', 'tonight', 'theatre', 'christmas', 'kids', 'taylr swfit', 'standup', 'opera');
  const byArtist = new Map<string, Item[]>();
  const byVenue = new Map<string, Item[]>();
  for (const e of events) {
    byArtist.set(e.artist, [...(byArtist.get(e.artist) ?? []), e]);
    byVenue.set(e.venue, [...(byVenue.get(e.venue) ?? []), e]);
  }
  const h = (n: number): string => rng.hex(n);
  return {
    cities, cityW, events, cum, dead, artists, venues, genres: GENRES, help: HELP, terms, hot, byArtist, byVenue, ids, idMin, idMax,
    hash: {
      app: h(8), vendor: h(8), css: h(8), font: h(8),
      chunk: { home: h(8), listing: h(8), event: h(8), tickets: h(8), artist: h(8), venue: h(8), search: h(8), cart: h(8),
        checkout: h(8), account: h(8), signin: h(8), help: h(8), lp: h(8), confirmation: h(8), register: h(8) },
    },
    wallStart: Date.UTC(2025, rng.int(2, 10), rng.int(1, 27), rng.int(8, 20), rng.int(0, 59)),
  };
}

function pickEvent(rng: Rng, s: Site): Item {
  const r = rng.u() * s.cum[s.cum.length - 1]!;
  let lo = 0, hi = s.cum.length - 1;
  while (lo < hi) { const m = (lo + hi) >> 1; if (s.cum[m]! < r) lo = m + 1; else hi = m; }
  return s.events[lo]!;
}
function pickCity(rng: Rng, s: Site): string { return rng.weighted(s.cities.map((c, i) => [c, s.cityW[i]!] as const)); }
const q = (s: string): string => encodeURIComponent(s).replace(/%20/g, '+');

function pHome(): Page { return { type: 'home', path: '/', code: 200 }; }
function pEvent(ev: Item): Page { return { type: 'event', path: `/e/${ev.slug}`, code: 200, ev }; }
function pDead(ev: Item): Page { return { type: 'notfound', path: `/e/${ev.slug}`, code: 404 }; }
function pTickets(ev: Item): Page { return { type: 'tickets', path: `/e/${ev.slug}/tickets`, code: 200, ev }; }
function pArtist(a: string): Page { return { type: 'artist', path: `/artists/${a}`, code: 200, slug: a }; }
function pVenue(v: string): Page { return { type: 'venue', path: `/venues/${v}`, code: 200, slug: v }; }
function pListing(rng: Rng, s: Site, city: string, pageNo = 1): Page {
  const qs: string[] = [];
  if (rng.chance(0.35)) qs.push(`when=${rng.pick(['today', 'this-weekend', 'next-7-days', 'this-month'])}`);
  if (rng.chance(0.3)) qs.push(`genre=${rng.pick(s.genres)}`);
  if (pageNo > 1) qs.push(`page=${pageNo}`);
  return { type: 'listing', path: `/events/${city}${qs.length ? '?' + qs.join('&') : ''}`, code: 200, city };
}
function pSearch(term: string): Page { return { type: 'search', path: `/search?q=${q(term)}`, code: 200, q: term }; }
function pHelp(slug: string): Page { return { type: 'help', path: `/help/${slug}`, code: 200, slug }; }
function pTypo(rng: Rng, s: Site): Page {
  const ev = pickEvent(rng, s);
  const c = rng.pick(s.cities);
  const paths = [`/evnts/${c}`, `/event/${ev.id}`, `/e/${ev.slug.slice(0, -2)}`, `/artist/${ev.artist}`, `/tickets/${ev.id}`,
    `/events/${c}/${ev.artist}`, `/${c}`, '/account/login', `/e/${ev.slug}/tickets/seat`, '/help/refund', '/giftcards'];
  return { type: 'notfound', path: rng.pick(paths), code: 404 };
}

// ───────────────────────────── clients and headers ─────────────────────────────

type Engine = 'blink' | 'gecko' | 'webkit';
type Os = 'win' | 'mac' | 'linux' | 'android' | 'ios';
type Fam = 'chrome' | 'edge' | 'firefox' | 'safari' | 'samsung' | 'crios' | 'ig' | 'fb' | 'tiktok' | 'headless';
interface Browser {
  fam: Fam; os: Os; engine: Engine; mobile: boolean; ua: string; chUa?: string; platform?: string;
  lang: string; ja4: string; xrw?: string;
}

/** TLS fingerprints (JA4) of the client stacks in this model. */
const JA4 = {
  chrome: 't13d1516h2_8daaf6152771_d8a2da3f94cd',
  chromeOld: 't13d1516h2_8daaf6152771_02713d6af862',
  firefox: 't13d1717h2_5b57614c22b0_3cbfd9057e0d',
  safari: 't13d2014h2_a09f3c656075_e42f34c56612',
  okhttp: 't13d1613h2_46e7e9700bed_45f260be83e2',
  python: 't13d311000_e8f1e7e78f70_6bebaf5329ac',
  httpx: 't13d311100_e8f1e7e78f70_0f3b2bcde21d',
  go: 't13d1312h2_f57a46bbacb6_e7c285222651',
  go11: 't13d1312h1_f57a46bbacb6_e7c285222651',
  curl: 't13d3113h2_e8f1e7e78f70_ce5650b735ce',
  node: 't13d5911h2_a33745022dd6_1f22a2ca17c4',
  java: 't13d4412h2_9ec8f5ac3c5a_2b9f8f6f38d5',
  apacheJava: 't13d4412h1_9ec8f5ac3c5a_b54b0d6c0e72',
} as const;

const GREASE = ['"Not)A;Brand";v="8"', '"Not_A Brand";v="24"', '"Not A(Brand";v="8"', '"Not(A:Brand";v="99"',
  '"Not:A-Brand";v="24"', '"Not-A.Brand";v="8"', '"Not.A/Brand";v="99"', '"Not/A)Brand";v="24"'];
const PERMS: number[][] = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];
function chUa(major: number, brand: string | null, brandVersion?: string): string {
  const parts = [GREASE[major % GREASE.length]!, `"Chromium";v="${major}"`, brand ? `"${brand}";v="${brandVersion ?? major}"` : ''];
  const perm = PERMS[major % PERMS.length]!;
  return perm.map((i) => parts[i]!).filter((x) => x).join(', ');
}

const LOCALES: readonly (readonly [string, number])[] = [
  ['en-GB', 45], ['en-US', 12], ['de-DE', 13], ['nl-NL', 8], ['fr-FR', 8], ['pl-PL', 5], ['es-ES', 5], ['it-IT', 4]];
function langFor(engine: Engine, loc: string, rng: Rng): string {
  const base = loc.split('-')[0]!;
  if (engine === 'gecko') {
    if (loc === 'en-GB') return 'en-GB,en;q=0.5';
    if (loc === 'en-US') return 'en-US,en;q=0.5';
    return rng.chance(0.6) ? `${base},en-US;q=0.7,en;q=0.3` : `${loc},${base};q=0.8,en-US;q=0.5,en;q=0.3`;
  }
  if (engine === 'webkit') return loc.startsWith('en') ? `${loc},en;q=0.9` : `${loc},${base};q=0.9`;
  if (loc === 'en-GB') return rng.chance(0.7) ? 'en-GB,en-US;q=0.9,en;q=0.8' : 'en-GB,en;q=0.9';
  if (loc === 'en-US') return 'en-US,en;q=0.9';
  return rng.chance(0.7) ? `${loc},${base};q=0.9,en-US;q=0.8,en;q=0.7` : `${loc},${base};q=0.9`;
}

interface Versions { chrome: number; firefox: number; ios: [number, number]; samsung: number }

function chromeMajor(rng: Rng, v: Versions): number {
  return v.chrome - rng.weighted([[0, 62], [1, 24], [2, 7], [rng.int(3, 14), 7]] as const);
}
function iosVer(rng: Rng, v: Versions): [number, number] {
  const r = rng.u();
  if (r < 0.55) return v.ios;
  if (r < 0.8) return [v.ios[0], Math.max(0, v.ios[1] - 1)];
  if (r < 0.92) return [v.ios[0], Math.max(0, v.ios[1] - 2)];
  return [v.ios[0] - 1, rng.int(5, 7)];
}

function makeBrowser(rng: Rng, v: Versions, fam: Fam, os: Os, loc: string, major?: number): Browser {
  const mobile = os === 'android' || os === 'ios';
  let engine: Engine = 'blink';
  let ua = '';
  let ch: string | undefined;
  let platform: string | undefined;
  let ja4: string = JA4.chrome;
  let xrw: string | undefined;
  const osPart = os === 'win' ? 'Windows NT 10.0; Win64; x64' : os === 'mac' ? 'Macintosh; Intel Mac OS X 10_15_7' : 'X11; Linux x86_64';
  const plat = os === 'win' ? '"Windows"' : os === 'mac' ? '"macOS"' : os === 'android' ? '"Android"' : '"Linux"';
  const [iv, im] = iosVer(rng, v);
  const iosStr = `${iv}_${im}`;
  const iPhone = `Mozilla/5.0 (iPhone; CPU iPhone OS ${iosStr} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko)`;
  const m = major ?? chromeMajor(rng, v);
  switch (fam) {
    case 'chrome':
    case 'edge':
    case 'headless':
      if (os === 'android') {
        ua = `Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${m}.0.0.0 Mobile Safari/537.36`;
      } else if (fam === 'headless') {
        ua = `Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/${m}.0.0.0 Safari/537.36`;
      } else {
        ua = `Mozilla/5.0 (${osPart}) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${m}.0.0.0 Safari/537.36${fam === 'edge' ? ` Edg/${m}.0.0.0` : ''}`;
      }
      ch = chUa(m, fam === 'edge' ? 'Microsoft Edge' : fam === 'headless' ? 'HeadlessChrome' : 'Google Chrome');
      platform = fam === 'headless' ? '"Linux"' : plat;
      ja4 = m >= 124 ? JA4.chrome : JA4.chromeOld;
      break;
    case 'samsung': {
      const cm = v.samsung === 28 ? v.chrome - 6 : v.chrome - 8;
      ua = `Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/${v.samsung}.0 Chrome/${cm}.0.0.0 Mobile Safari/537.36`;
      ch = chUa(cm, 'Samsung Internet', `${v.samsung}.0`);
      platform = '"Android"';
      ja4 = JA4.chromeOld;
      break;
    }
    case 'firefox': {
      engine = 'gecko';
      const fm = rng.chance(0.08) ? 128 : v.firefox - rng.weighted([[0, 70], [1, 22], [2, 8]] as const);
      if (os === 'android') ua = `Mozilla/5.0 (Android ${rng.pick(['13', '14', '15'])}; Mobile; rv:${fm}.0) Gecko/${fm}.0 Firefox/${fm}.0`;
      else {
        const fos = os === 'win' ? 'Windows NT 10.0; Win64; x64' : os === 'mac' ? 'Macintosh; Intel Mac OS X 10.15' : rng.pick(['X11; Linux x86_64', 'X11; Ubuntu; Linux x86_64']);
        ua = `Mozilla/5.0 (${fos}; rv:${fm}.0) Gecko/20100101 Firefox/${fm}.0`;
      }
      ja4 = JA4.firefox;
      break;
    }
    case 'safari':
      engine = 'webkit';
      ja4 = JA4.safari;
      if (os === 'ios') ua = `${iPhone} Version/${iv}.${im} Mobile/15E148 Safari/604.1`;
      else ua = `Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/${iv}.${im} Safari/605.1.15`;
      break;
    case 'crios':
      engine = 'webkit';
      ja4 = JA4.safari;
      ua = `${iPhone} CriOS/${m}.0.${rng.int(6900, 7300)}.${rng.int(40, 160)} Mobile/15E148 Safari/604.1`;
      break;
    case 'ig':
    case 'fb':
    case 'tiktok':
      if (os === 'ios') {
        engine = 'webkit';
        ja4 = JA4.safari;
        const dev = rng.pick(['iPhone14,5', 'iPhone14,7', 'iPhone15,2', 'iPhone15,4', 'iPhone16,1', 'iPhone17,3', 'iPhone13,2']);
        const lc = loc.replace('-', '_');
        if (fam === 'ig') ua = `${iPhone} Mobile/15E148 Instagram ${rng.int(360, 385)}.0.0.${rng.int(10, 40)}.${rng.int(70, 120)} (${dev}; iOS ${iosStr}; ${lc}; ${loc}; scale=3.00; 1170x2532; ${rng.digits(9)})`;
        else if (fam === 'fb') ua = `${iPhone} Mobile/15E148 [FBAN/FBIOS;FBAV/${rng.int(490, 515)}.0.0.${rng.int(30, 60)}.${rng.int(100, 120)};FBBV/${rng.digits(9)};FBDV/${dev};FBMD/iPhone;FBSN/iOS;FBSV/${iv}.${im};FBSS/3;FBID/phone;FBLC/${lc};FBOP/5;FBRV/0]`;
        else ua = `${iPhone} Mobile/15E148 musical_ly_${rng.int(37, 40)}.${rng.int(0, 9)}.0 JsSdk/2.0 NetType/${rng.pick(['WIFI', '4G', '5G'])} Channel/App Store ByteLocale/${loc.split('-')[0]} Region/${loc.split('-')[1]} isDarkMode/${rng.int(0, 1)} WKWebView/1`;
      } else {
        const cm = chromeMajor(rng, v);
        const model = rng.pick(['SM-S918B', 'SM-A546B', 'SM-G991B', 'Pixel 7', 'Pixel 8a', 'M2101K20G', 'CPH2451', 'SM-A155F']);
        const av = rng.pick(['13', '14', '14', '15']);
        const base = `Mozilla/5.0 (Linux; Android ${av}; ${model} Build/${rng.pick(['UP1A', 'AP2A', 'TP1A', 'UQ1A'])}.${rng.digits(6)}.${rng.digits(3)}; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/${cm}.0.${rng.int(6900, 7300)}.${rng.int(40, 160)} Mobile Safari/537.36`;
        if (fam === 'ig') { ua = `${base} Instagram ${rng.int(360, 385)}.0.0.${rng.int(10, 50)}.${rng.int(70, 120)} Android (${av === '13' ? 33 : av === '14' ? 34 : 35}/${av}; 420dpi; 1080x2340; ${model}; ${loc.replace('-', '_')}; ${rng.digits(9)})`; xrw = 'com.instagram.android'; }
        else if (fam === 'fb') { ua = `${base} [FB_IAB/FB4A;FBAV/${rng.int(490, 515)}.0.0.${rng.int(30, 60)}.${rng.int(100, 120)};]`; xrw = 'com.facebook.katana'; }
        else { ua = `${base} trill_${rng.int(370, 400)}0${rng.int(10, 99)} JsSdk/1.0 NetType/${rng.pick(['WIFI', '4G', '5G'])} Channel/googleplay AppName/musical_ly app_version/${rng.int(37, 40)}.${rng.int(0, 9)}.${rng.int(0, 5)} ByteLocale/${loc.split('-')[0]} Region/${loc.split('-')[1]} BytedanceWebview/d8a21c6`; xrw = 'com.zhiliaoapp.musically'; }
        ch = chUa(cm, 'Android WebView');
        platform = '"Android"';
        ja4 = JA4.chrome;
      }
      break;
  }
  return { fam, os, engine, mobile, ua, chUa: ch, platform, lang: langFor(engine, loc, rng), ja4, xrw };
}

function randomDesktop(rng: Rng, v: Versions, loc: string): Browser {
  const k = rng.weighted([['chrome-win', 40], ['chrome-mac', 12], ['edge-win', 12], ['firefox-win', 7], ['firefox-mac', 2],
    ['firefox-linux', 2], ['safari-mac', 14], ['chrome-linux', 2]] as const);
  const [fam, os] = k.split('-') as [Fam, Os];
  return makeBrowser(rng, v, fam, os, loc);
}
function randomMobile(rng: Rng, v: Versions, loc: string): Browser {
  const k = rng.weighted([['safari-ios', 46], ['chrome-android', 34], ['samsung-android', 8], ['crios-ios', 7], ['firefox-android', 2],
    ['ig-ios', 1.5], ['ig-android', 1.5]] as const);
  const [fam, os] = k.split('-') as [Fam, Os];
  return makeBrowser(rng, v, fam, os, loc);
}

type Dest = 'document' | 'form' | 'xhr' | 'image' | 'script' | 'style' | 'font' | 'beacon';
type FetchSite = 'none' | 'same-origin' | 'same-site' | 'cross-site';
interface HOpts {
  site?: FetchSite; referer?: string; cookie?: string; user?: boolean; post?: boolean; reload?: boolean;
  accept?: string; csrf?: string; priority?: string; inm?: string;
}

const BLINK_NAV = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7';
const OTHER_NAV = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
const IMG_ACCEPT: Record<Engine, string> = {
  blink: 'image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8',
  gecko: 'image/avif,image/webp,image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5',
  webkit: 'image/webp,image/avif,image/jxl,image/heic,image/heic-sequence,video/*;q=0.8,image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5',
};
const PRIO: Record<Engine, Record<Dest, string>> = {
  blink: { document: 'u=0, i', form: 'u=0, i', xhr: 'u=1, i', image: 'i', script: 'u=1', style: 'u=0', font: 'u=0', beacon: 'u=4, i' },
  gecko: { document: 'u=0, i', form: 'u=0, i', xhr: 'u=4', image: 'u=5, i', script: 'u=2', style: 'u=2', font: 'u=3', beacon: 'u=4' },
  webkit: { document: 'u=0, i', form: 'u=0, i', xhr: 'u=3, i', image: 'u=5, i', script: 'u=2', style: 'u=1', font: 'u=1', beacon: 'u=3, i' },
};

/** The header set a real browser build sends for one request of the given destination. */
function browserHeaders(b: Browser, dest: Dest, o: HOpts, ja4On: boolean): Headers {
  const h: Headers = {};
  const nav = dest === 'document' || dest === 'form';
  const post = dest === 'form' || dest === 'beacon' || !!o.post;
  const site = o.site ?? 'same-origin';
  if (b.engine === 'blink' && b.chUa) {
    h['sec-ch-ua'] = b.chUa;
    h['sec-ch-ua-mobile'] = b.mobile ? '?1' : '?0';
    h['sec-ch-ua-platform'] = b.platform ?? '"Windows"';
  }
  if (nav && (o.reload || dest === 'form')) h['cache-control'] = 'max-age=0';
  if (post || dest === 'font') h['origin'] = ORIGIN;
  if (dest === 'form') h['content-type'] = 'application/x-www-form-urlencoded';
  else if (dest === 'beacon') h['content-type'] = 'text/plain;charset=UTF-8';
  else if (dest === 'xhr' && post) h['content-type'] = 'application/json';
  if (dest === 'xhr' && post && o.csrf) h['x-csrf-token'] = o.csrf;
  if (nav && b.engine !== 'webkit') h['upgrade-insecure-requests'] = '1';
  h['user-agent'] = b.ua;
  let accept: string;
  switch (dest) {
    case 'document': case 'form': accept = b.engine === 'blink' ? BLINK_NAV : OTHER_NAV; break;
    case 'xhr': accept = o.accept ?? 'application/json'; break;
    case 'image': accept = IMG_ACCEPT[b.engine]; break;
    case 'style': accept = 'text/css,*/*;q=0.1'; break;
    case 'font': accept = b.engine === 'gecko' ? 'application/font-woff2;q=1.0,application/font-woff;q=0.9,*/*;q=0.8' : '*/*'; break;
    default: accept = '*/*';
  }
  h['accept'] = accept;
  if (nav && b.xrw) h['x-requested-with'] = b.xrw;
  h['sec-fetch-site'] = nav ? site : 'same-origin';
  h['sec-fetch-mode'] = nav ? 'navigate' : dest === 'xhr' || dest === 'font' ? 'cors' : 'no-cors';
  if (nav && o.user !== false && b.engine !== 'webkit') h['sec-fetch-user'] = '?1';
  h['sec-fetch-dest'] = nav ? 'document' : dest === 'xhr' || dest === 'beacon' ? 'empty' : dest;
  if (o.referer) h['referer'] = o.referer;
  h['accept-encoding'] = b.engine === 'webkit' ? 'gzip, deflate, br' : 'gzip, deflate, br, zstd';
  h['accept-language'] = b.lang;
  if (o.cookie) h['cookie'] = o.cookie;
  if (o.inm) h['if-none-match'] = o.inm;
  h['priority'] = o.priority ?? PRIO[b.engine][dest];
  if (ja4On) h['x-ja4'] = b.ja4;
  return h;
}

interface Tool { name: string; ua: string; h: Headers; ja4: string }
const TOOLS: Tool[] = [
  { name: 'python-requests', ua: 'python-requests/2.32.3', h: { 'accept-encoding': 'gzip, deflate', accept: '*/*' }, ja4: JA4.python },
  { name: 'python-requests-old', ua: 'python-requests/2.28.1', h: { 'accept-encoding': 'gzip, deflate', accept: '*/*' }, ja4: JA4.python },
  { name: 'aiohttp', ua: 'Python/3.11 aiohttp/3.9.5', h: { accept: '*/*', 'accept-encoding': 'gzip, deflate' }, ja4: JA4.python },
  { name: 'httpx', ua: 'python-httpx/0.27.2', h: { accept: '*/*', 'accept-encoding': 'gzip, deflate' }, ja4: JA4.httpx },
  { name: 'go2', ua: 'Go-http-client/2.0', h: { 'accept-encoding': 'gzip' }, ja4: JA4.go },
  { name: 'go11', ua: 'Go-http-client/1.1', h: { 'accept-encoding': 'gzip' }, ja4: JA4.go11 },
  { name: 'curl', ua: 'curl/8.5.0', h: { accept: '*/*' }, ja4: JA4.curl },
  { name: 'node', ua: 'node', h: { accept: '*/*', 'accept-language': '*', 'sec-fetch-mode': 'cors', 'accept-encoding': 'gzip, deflate' }, ja4: JA4.node },
  { name: 'axios', ua: 'axios/1.7.9', h: { accept: 'application/json, text/plain, */*', 'accept-encoding': 'gzip, compress, deflate, br' }, ja4: JA4.node },
  { name: 'java', ua: 'Java-http-client/21.0.5', h: {}, ja4: JA4.java },
  { name: 'scrapy', ua: 'Scrapy/2.11.2 (+https://scrapy.org)', h: { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', 'accept-language': 'en', 'accept-encoding': 'gzip, deflate, br' }, ja4: JA4.python },
];
function toolHeaders(t: Tool, extra: Headers, ja4On: boolean, ja4?: string): Headers {
  const h: Headers = { 'user-agent': t.ua, ...t.h, ...extra };
  if (ja4On) h['x-ja4'] = ja4 ?? t.ja4;
  return h;
}

// ───────────────────────────── addresses ─────────────────────────────

const RESI_A = [2, 5, 31, 37, 46, 62, 77, 78, 79, 80, 81, 82, 83, 84, 85, 86, 87, 88, 89, 90, 91, 92, 93, 94, 95, 109, 151, 176, 178, 188, 212, 213, 217];
const RESI6 = ['2a02:810d', '2a02:8109', '2003:e5', '2003:c2', '2a01:cb1c', '2a01:e0a', '2001:4c4e', '2a00:23c5', '2a00:23c7', '2a02:c7c', '2a0a:ef40', '2a02:a45f'];
const CLOUD = ['3.248', '3.250', '18.195', '34.89', '34.141', '35.204', '52.16', '52.57', '54.74', '13.38', '20.54', '20.79', '40.74',
  '51.89', '95.216', '159.89', '167.99', '188.166', '142.93', '65.21', '116.203', '5.161', '138.68', '45.77', '64.227', '139.59', '157.245', '128.199'];
const VPN = ['185.213', '193.27', '146.70', '89.187', '185.159', '37.19', '194.127', '212.102'];
const RELAY = ['172.224', '172.225', '172.226', '104.28', '146.75'];
const CARRIERS6 = ['2a01:598', '2a02:3030', '2a00:1fa0', '2a01:4c8', '2a02:c7f'];

class Ips {
  used = new Set<string>();
  v4(rng: Rng, prefix: string): string {
    for (;;) {
      const parts = prefix.split('.').length;
      let ip = prefix;
      for (let i = parts; i < 4; i++) ip += '.' + (i === 3 ? rng.int(1, 254) : rng.int(0, 255));
      if (!this.used.has(ip)) { this.used.add(ip); return ip; }
    }
  }
  v4Any(rng: Rng): string {
    for (;;) {
      const a = rng.int(1, 223);
      if (a === 10 || a === 127 || a === 100 || a === 169 || a === 172 || a === 192 || a === 198 || a === 0) continue;
      return this.v4(rng, `${a}.${rng.int(0, 255)}`);
    }
  }
  v6(rng: Rng, prefix: string): string {
    const n = prefix.split(':').length;
    let ip = prefix;
    for (let i = n; i < 8; i++) ip += ':' + rng.int(i < 4 ? 0 : 1, 0xffff).toString(16);
    this.used.add(ip);
    return ip;
  }
}

interface Net { pool: string[]; cur: string; hop: number }
const fixedNet = (ip: string): Net => ({ pool: [ip], cur: ip, hop: 0 });
function hop(rng: Rng, n: Net): void { if (n.hop > 0 && n.pool.length > 1 && rng.chance(n.hop)) n.cur = rng.pick(n.pool); }

interface Carrier { v4: string[]; v6: string | null; w: number }
interface Office { ip: string; b: Browser; w: number; loc: string }

interface Pop {
  v: Versions;
  isps: string[];
  carriers: Carrier[];
  offices: Office[];
  vpn: string[];
  relay: string[];
  households: string[];
  officeShare: number;
  mobileShare: number;
  cookieBlock: number;
  returning: number;
  meAnon401: boolean;
  browserRate: number;
  appRate: number;
}

interface Gen {
  name: ScenarioName;
  seed: number;
  endMs: number;
  warmupMs: number;
  events: Ev[];
  site: Site;
  pop: Pop;
  ips: Ips;
  ja4On: boolean;
  params: Params;
  nextId: Map<string, number>;
  stats: { sessions: number; campaignVisitors: number; appSessions: number };
}

function newId(g: Gen, prefix: string): string {
  const n = (g.nextId.get(prefix) ?? 0) + 1;
  g.nextId.set(prefix, n);
  return `${prefix}-${n}`;
}

function emit(g: Gen, at: number, actor: string, kind: Kind, method: string, path: string, ip: string, headers: Headers, code: number, ct?: string): void {
  if (!(at >= 0) || at >= g.endMs) return;
  const e: Ev = { at: Math.round(at), seq: g.events.length, actor, kind, method, path, ip, headers, code };
  if (ct) e.contentType = ct;
  g.events.push(e);
}

function buildPop(g: Gen, rng: Rng): Pop {
  const chrome = rng.int(134, 139);
  const v: Versions = { chrome, firefox: rng.int(136, 141), ios: [18, rng.int(3, 6)], samsung: rng.pick([27, 28]) };
  const ips = g.ips;
  const isps = rng.shuffle(RESI_A.slice()).slice(0, rng.int(18, 28)).map((a) => `${a}.${rng.int(0, 255)}`);
  const carriers: Carrier[] = [];
  const nc = rng.int(3, 4);
  for (let i = 0; i < nc; i++) {
    const pre = `${rng.pick(RESI_A)}.${rng.int(0, 255)}`;
    const pool: string[] = [];
    const n = rng.int(4, 20);
    for (let j = 0; j < n; j++) pool.push(ips.v4(rng, pre));
    carriers.push({ v4: pool, v6: rng.chance(0.5) ? `${rng.pick(CARRIERS6)}:${rng.int(0x1000, 0xffff).toString(16)}` : null, w: rng.range(0.5, 1.5) });
  }
  const offices: Office[] = [];
  const no = rng.int(3, 8);
  for (let i = 0; i < no; i++) {
    const loc = rng.weighted(LOCALES);
    const fam = rng.chance(0.6) ? 'chrome' : 'edge';
    const b = makeBrowser(rng, v, fam, 'win', loc, chrome - rng.int(0, 2));
    offices.push({ ip: ips.v4(rng, `${rng.pick(RESI_A)}.${rng.int(0, 255)}`), b, w: rng.logn(1, 0.7), loc });
  }
  const vpn: string[] = [];
  for (let i = 0; i < rng.int(3, 6); i++) vpn.push(ips.v4(rng, rng.pick(VPN)));
  const relay: string[] = [];
  for (let i = 0; i < rng.int(20, 60); i++) relay.push(ips.v4(rng, rng.pick(RELAY)));
  return {
    v, isps, carriers, offices, vpn, relay, households: [],
    officeShare: rng.range(0.12, 0.3),
    mobileShare: rng.range(0.48, 0.64),
    cookieBlock: rng.range(0.02, 0.06),
    returning: rng.range(0.25, 0.42),
    meAnon401: rng.chance(0.5),
    browserRate: rng.range(10, 18),
    appRate: rng.range(3, 8),
  };
}

function cellNet(g: Gen, rng: Rng): Net {
  const c = rng.weighted(g.pop.carriers.map((x) => [x, x.w] as const));
  if (c.v6 && rng.chance(0.6)) return fixedNet(g.ips.v6(rng, `${c.v6}:${rng.int(0, 0xffff).toString(16)}`));
  const pool = c.v4;
  return { pool, cur: rng.pick(pool), hop: 0.08 };
}
function homeNet(g: Gen, rng: Rng): Net {
  const pop = g.pop;
  if (pop.households.length > 5 && rng.chance(0.14)) return fixedNet(rng.pick(pop.households));
  const ip = rng.chance(0.22) ? g.ips.v6(rng, `${rng.pick(RESI6)}:${rng.int(0, 0xffff).toString(16)}`) : g.ips.v4(rng, rng.pick(pop.isps));
  pop.households.push(ip);
  return fixedNet(ip);
}

// ───────────────────────────── browser visitors ─────────────────────────────

interface Person {
  id: string; kind: Kind; b: Browser; net: Net;
  keeps: boolean; sid?: string; consent?: string; ga?: string; auth?: string;
  hasAccount: boolean; typo: boolean; pwManager: boolean; buyer: boolean; blocksBeacons: boolean;
  cache: Set<string>; city: string; seenFirst: boolean; csrf: string;
}

function newPerson(g: Gen, rng: Rng, kind: Kind, o: { mobile: number; inApp?: number; inAppFam?: Fam; returning: number }): Person {
  const pop = g.pop;
  const loc = rng.weighted(LOCALES);
  const mobile = rng.chance(o.mobile);
  let b: Browser;
  let net: Net;
  if (!mobile && kind === 'person' && rng.chance(pop.officeShare)) {
    const off = rng.weighted(pop.offices.map((x) => [x, x.w] as const));
    b = off.b;
    net = fixedNet(off.ip);
  } else {
    if (mobile && o.inApp && rng.chance(o.inApp)) b = makeBrowser(rng, pop.v, o.inAppFam ?? rng.weighted([['ig', 5], ['fb', 3], ['tiktok', 2]] as const), rng.chance(0.55) ? 'ios' : 'android', loc);
    else b = mobile ? randomMobile(rng, pop.v, loc) : randomDesktop(rng, pop.v, loc);
    const r = rng.u();
    if (b.fam === 'safari' && r < 0.12) net = fixedNet(rng.pick(pop.relay));
    else if (r < 0.025) net = fixedNet(rng.pick(pop.vpn));
    else if (mobile && r < 0.6) net = cellNet(g, rng);
    else net = homeNet(g, rng);
  }
  const keeps = b.fam === 'ig' || b.fam === 'fb' || b.fam === 'tiktok' || !rng.chance(pop.cookieBlock);
  const returning = keeps && rng.chance(o.returning);
  const hasAccount = rng.chance(returning ? 0.65 : 0.4);
  const p: Person = {
    id: newId(g, kind === 'campaign' ? 'cmp' : 'web'), kind, b, net, keeps, hasAccount,
    typo: rng.chance(0.18), pwManager: rng.chance(0.45), buyer: keeps && rng.chance(0.16), blocksBeacons: rng.chance(0.15),
    cache: new Set(), city: pickCity(rng, g.site), seenFirst: false, csrf: rng.str(32, B64URL),
  };
  if (returning) {
    p.sid = rng.str(32, B64URL);
    p.consent = rng.chance(0.7) ? 'v2.all' : 'v2.essential';
    if (p.consent === 'v2.all') p.ga = `GA1.1.${rng.digits(10)}.${Math.floor(g.site.wallStart / 1000) - rng.int(86400, 86400 * 400)}`;
    if (hasAccount && rng.chance(0.45)) p.auth = rng.str(43, B64URL);
    if (rng.chance(0.6)) { p.cache.add('core'); p.cache.add('favicon'); }
    if (rng.chance(0.2)) p.seenFirst = true; // the old session id expired: replaced on the first response
  }
  return p;
}

function cookieOf(p: Person): string | undefined {
  if (!p.keeps) return undefined;
  const parts: string[] = [];
  if (p.sid) parts.push(`${C_SID}=${p.sid}`);
  if (p.consent) parts.push(`${C_CONSENT}=${p.consent}`);
  if (p.ga) parts.push(`_ga=${p.ga}`);
  if (p.auth) parts.push(`${C_AUTH}=${p.auth}`);
  return parts.length ? parts.join('; ') : undefined;
}
function afterResponse(p: Person, rng: Rng): void {
  if (!p.keeps) return;
  if (!p.sid || p.seenFirst) { p.sid = rng.str(32, B64URL); p.seenFirst = false; }
}

function preq(g: Gen, p: Person, at: number, method: string, path: string, dest: Dest, o: HOpts, code: number, ct?: string): void {
  const h = browserHeaders(p.b, dest, { ...o, cookie: cookieOf(p) }, g.ja4On);
  emit(g, at, p.id, p.kind, method, path, p.net.cur, h, code, ct);
}

interface Nav { site: FetchSite; referer?: string; user: boolean; reload?: boolean; method?: string }

const DWELL: Record<PageType, number> = {
  home: 14e3, listing: 22e3, event: 32e3, tickets: 50e3, artist: 20e3, venue: 18e3, search: 12e3, cart: 25e3,
  checkout: 70e3, signin: 14e3, register: 60e3, forgot: 20e3, account: 30e3, help: 40e3, confirmation: 30e3,
  lp: 22e3, notfound: 6e3, info: 25e3,
};
function dwell(rng: Rng, t: PageType): number { return clamp(rng.logn(DWELL[t], 0.85), 1500, 9 * MIN); }

function imgPath(ev: Item, w: number): string { return `/img/ev/${ev.id}/${w}.webp`; }

/** One page load: the document and everything the page pulls in. Returns the time the document arrived. */
function loadPage(g: Gen, rng: Rng, p: Person, t: number, page: Page, nav: Nav): number {
  const s = g.site;
  const method = nav.method ?? 'GET';
  preq(g, p, t, method, page.path, method === 'POST' ? 'form' : 'document',
    { site: nav.site, referer: nav.referer, user: nav.user, reload: nav.reload }, page.code, CT.html);
  const ttfb = rng.logn(method === 'POST' ? 260 : 160, 0.5);
  const at = t + ttfb;
  afterResponse(p, rng);
  if (page.code >= 300 && page.code < 400) return at;
  const ref = ORIGIN + page.path;
  const sub = (dt: number, path: string, dest: Dest, code: number, ct?: string, o: HOpts = {}): void =>
    preq(g, p, at + dt, 'GET', path, dest, { referer: ref, ...o }, code, ct);
  let d = rng.range(20, 90);
  if (!p.cache.has('core')) {
    sub(d, `/assets/app.${s.hash.css}.css`, 'style', 200, CT.css);
    sub(d + rng.range(1, 15), `/assets/vendor.${s.hash.vendor}.js`, 'script', 200, CT.js);
    sub(d + rng.range(2, 20), `/assets/app.${s.hash.app}.js`, 'script', 200, CT.js);
    d += rng.range(80, 300);
    sub(d, `/assets/fonts/inter-var.${s.hash.font}.woff2`, 'font', 200, CT.woff2);
    p.cache.add('core');
  } else if (nav.reload) {
    sub(d, `/assets/app.${s.hash.css}.css`, 'style', 304, CT.css, { inm: `"${s.hash.css}"` });
    sub(d + rng.range(1, 15), `/assets/app.${s.hash.app}.js`, 'script', 304, CT.js, { inm: `"${s.hash.app}"` });
  }
  const chunkKey = `chunk:${page.type}`;
  const chunk = s.hash.chunk[page.type];
  if (chunk && !p.cache.has(chunkKey)) { sub(d + rng.range(30, 200), `/assets/chunks/${page.type}.${chunk}.js`, 'script', 200, CT.js); p.cache.add(chunkKey); }
  if (!p.cache.has('favicon') && p.b.fam !== 'ig' && p.b.fam !== 'fb' && p.b.fam !== 'tiktok') {
    sub(d + rng.range(300, 1200), '/favicon.ico', 'image', 200, CT.ico, { priority: p.b.engine === 'blink' ? 'u=1, i' : undefined });
    p.cache.add('favicon');
  }
  if (p.b.os === 'ios' && p.b.fam === 'safari' && rng.chance(0.03)) sub(d + rng.range(500, 3000), rng.pick(['/apple-touch-icon.png', '/apple-touch-icon-precomposed.png']), 'image', 404, CT.html);
  // page data and images
  const api = (dt: number, path: string, code = 200): void => sub(d + dt, path, 'xhr', code, CT.json);
  const imgs = (dt: number, evs: Item[], w: number): void => { let x = dt; for (const e of evs) { sub(d + x, imgPath(e, w), 'image', 200, CT.webp); x += rng.range(5, 120); } };
  const w = p.b.mobile ? 480 : 320;
  if (!p.cache.has('me')) {
    api(rng.range(60, 300), '/api/v2/me', p.auth ? 200 : g.pop.meAnon401 ? 401 : 200);
    p.cache.add('me');
  }
  const some = (n: number): Item[] => { const r: Item[] = []; for (let i = 0; i < n; i++) r.push(pickEvent(rng, s)); return r; };
  switch (page.type) {
    case 'home':
      api(rng.range(80, 400), `/api/v2/recommendations?slot=home&city=${p.city}`);
      imgs(rng.range(300, 900), some(rng.int(1, 4)), w);
      break;
    case 'lp':
      api(rng.range(80, 400), `/api/v2/lp/${page.slug}/events`);
      if (page.ev) imgs(rng.range(200, 600), [page.ev], p.b.mobile ? 720 : 1280);
      imgs(rng.range(600, 1500), some(rng.int(2, 4)), w);
      break;
    case 'listing': {
      const pn = /page=(\d+)/.exec(page.path)?.[1] ?? '1';
      api(rng.range(80, 400), `/api/v2/events?city=${page.city ?? p.city}&page=${pn}&size=24`);
      imgs(rng.range(400, 1100), some(rng.int(1, 5)), w);
      break;
    }
    case 'event':
      if (page.ev) {
        api(rng.range(80, 350), `/api/v2/events/${page.ev.id}/availability`);
        api(rng.range(300, 900), `/api/v2/events/${page.ev.id}/similar?limit=6`);
        imgs(rng.range(150, 500), [page.ev], p.b.mobile ? 720 : 1280);
        if (rng.chance(0.3)) imgs(rng.range(2000, 9000), some(rng.int(1, 3)), w);
      }
      break;
    case 'tickets':
      if (page.ev) {
        api(rng.range(80, 300), `/api/v2/events/${page.ev.id}/seatmap`);
        api(rng.range(100, 400), `/api/v2/events/${page.ev.id}/availability`);
      }
      break;
    case 'artist':
      api(rng.range(80, 400), `/api/v2/artists/${page.slug}/events`);
      imgs(rng.range(200, 700), some(rng.int(1, 3)), w);
      break;
    case 'venue':
      api(rng.range(80, 400), `/api/v2/venues/${page.slug}/events?from=today`);
      imgs(rng.range(300, 800), some(rng.int(1, 3)), w);
      break;
    case 'search':
      api(rng.range(80, 400), `/api/v2/search?q=${q(page.q ?? '')}&page=1`);
      imgs(rng.range(400, 1000), some(rng.int(0, 3)), w);
      break;
    case 'cart': api(rng.range(60, 300), '/api/v2/cart'); break;
    case 'checkout':
      api(rng.range(60, 300), '/api/v2/cart');
      api(rng.range(100, 500), '/api/v2/payment/methods');
      break;
    case 'account':
      api(rng.range(80, 400), page.path.includes('orders') ? '/api/v2/me/orders' : page.path.includes('settings') ? '/api/v2/me/settings' : '/api/v2/me/tickets', p.auth ? 200 : 401);
      break;
    case 'help': if (rng.chance(0.6)) api(rng.range(200, 900), `/api/v2/help/related?article=${page.slug}`); break;
    case 'confirmation': api(rng.range(80, 400), page.path.replace('/orders/', '/api/v2/orders/').replace('/confirmation', '')); break;
    case 'notfound': if (rng.chance(0.5)) api(rng.range(100, 500), '/api/v2/recommendations?slot=404'); break;
    default: break;
  }
  // consent banner on a first visit; then the analytics beacon
  if (!p.consent && rng.chance(p.keeps ? 0.8 : 0.4)) {
    const at2 = rng.range(2500, 20000);
    preq(g, p, at + at2, 'POST', '/api/v2/consent', 'xhr', { referer: ref, post: true, csrf: p.csrf }, 204);
    if (p.keeps) {
      p.consent = rng.chance(0.7) ? 'v2.all' : 'v2.essential';
      if (p.consent === 'v2.all') p.ga = `GA1.1.${rng.digits(10)}.${Math.floor((g.site.wallStart + t) / 1000)}`;
    }
  }
  if (p.consent === 'v2.all' && !p.blocksBeacons) preq(g, p, at + rng.range(600, 3000), 'POST', '/api/v2/collect', 'beacon', { referer: ref }, 204);
  return at;
}

/** Signs in from the sign-in page (arrived at by a redirect or a click). Returns the time and whether it worked. */
function signIn(g: Gen, rng: Rng, p: Person, t: number, next: string, referer: string | undefined, viaRedirect: boolean): { t: number; ok: boolean } {
  const sp = `/account/signin?next=${encodeURIComponent(next)}`;
  const sref = ORIGIN + sp;
  t = loadPage(g, rng, p, t, { type: 'signin', path: sp, code: 200 }, { site: 'same-origin', referer, user: !viaRedirect });
  if (!p.hasAccount) {
    if (rng.chance(0.3)) return { t: t + dwell(rng, 'signin'), ok: false };
    t += rng.range(2000, 8000);
    t = loadPage(g, rng, p, t, { type: 'register', path: `/account/register?next=${encodeURIComponent(next)}`, code: 200 }, { site: 'same-origin', referer: sref, user: true });
    const rref = `${ORIGIN}/account/register?next=${encodeURIComponent(next)}`;
    t += dwell(rng, 'register');
    if (rng.chance(0.12)) {
      preq(g, p, t, 'POST', '/account/register', 'form', { site: 'same-origin', referer: rref }, 422, CT.html);
      t += rng.logn(15000, 0.6);
    }
    preq(g, p, t, 'POST', '/account/register', 'form', { site: 'same-origin', referer: rref }, 302, CT.html);
    p.hasAccount = true;
    p.auth = rng.str(43, B64URL);
    t += rng.logn(300, 0.4);
    return { t, ok: true };
  }
  t += p.pwManager ? rng.range(2000, 7000) : rng.logn(14000, 0.5);
  const fails = p.typo ? (rng.chance(0.75) ? 1 : rng.int(2, 3)) : rng.chance(0.03) ? 1 : 0;
  for (let i = 0; i < fails; i++) {
    loadPage(g, rng, p, t, { type: 'signin', path: '/account/signin', code: 401 }, { site: 'same-origin', referer: sref, user: true, method: 'POST' });
    t += rng.logn(9000, 0.5);
  }
  if (fails >= 2 && rng.chance(0.35)) {
    t = loadPage(g, rng, p, t, { type: 'forgot', path: '/account/forgot', code: 200 }, { site: 'same-origin', referer: ORIGIN + '/account/signin', user: true });
    t += rng.logn(12000, 0.5);
    loadPage(g, rng, p, t, { type: 'forgot', path: '/account/forgot', code: 200 }, { site: 'same-origin', referer: ORIGIN + '/account/forgot', user: true, method: 'POST' });
    return { t: t + dwell(rng, 'forgot'), ok: false };
  }
  preq(g, p, t, 'POST', '/account/signin', 'form', { site: 'same-origin', referer: sref }, 302, CT.html);
  if (p.keeps) p.auth = rng.str(43, B64URL);
  p.cache.delete('me');
  t += rng.logn(320, 0.4);
  return { t, ok: p.keeps };
}

/** Navigates to a page, following the site's redirects (sign-in walls). */
function go(g: Gen, rng: Rng, p: Person, t: number, page: Page, nav: Nav): { t: number; page: Page; ok: boolean } {
  const needsAuth = page.type === 'checkout' || page.type === 'account';
  if (needsAuth && !p.auth) {
    preq(g, p, t, 'GET', page.path, 'document', { site: nav.site, referer: nav.referer, user: nav.user }, 302, CT.html);
    afterResponse(p, rng);
    t += rng.logn(150, 0.4);
    const r = signIn(g, rng, p, t, page.path, nav.referer, true);
    if (!r.ok) return { t: r.t, page, ok: false };
    t = loadPage(g, rng, p, r.t, page, { site: 'same-origin', referer: `${ORIGIN}/account/signin?next=${encodeURIComponent(page.path)}`, user: true });
    return { t, page, ok: true };
  }
  return { t: loadPage(g, rng, p, t, page, nav), page, ok: true };
}

function typeSuggest(g: Gen, rng: Rng, p: Person, tNav: number, term: string, ref: string): void {
  const n = clamp(Math.round(term.length / rng.range(2, 4)), 1, 6);
  let at = tNav - rng.range(400, 1500);
  const stops: number[] = [];
  for (let i = n; i >= 1; i--) stops.push(Math.max(1, Math.round((term.length * i) / n)));
  for (const k of stops) {
    preq(g, p, at, 'GET', `/api/v2/suggest?q=${q(term.slice(0, k))}`, 'xhr', { referer: ref }, 200, CT.json);
    at -= rng.range(250, 900);
  }
}

function nextPage(g: Gen, rng: Rng, p: Person, cur: Page, depth: number): Page | null {
  const s = g.site;
  const tired = Math.min(0.3, depth * 0.025);
  const ev = cur.ev ?? pickEvent(rng, s);
  const choice = ((): string => {
    switch (cur.type) {
      case 'home': return rng.weighted([['listing', 32], ['event', 24], ['search', 18], ['artist', 5], ['account', p.hasAccount ? 8 : 1], ['help', 3], ['info', 2], ['typo', 1], ['exit', 10 + 100 * tired]]);
      case 'lp': return rng.weighted([['event-lp', 45], ['listing', 15], ['home', 10], ['search', 5], ['exit', 25]]);
      case 'listing': return rng.weighted([['event', 50], ['listing-next', 14], ['listing', 6], ['search', 7], ['home', 3], ['exit', 18 + 100 * tired]]);
      case 'event': return rng.weighted([['tickets', p.buyer ? 55 : 22], ['artist', 9], ['venue', 5], ['event', 14], ['listing', 8], ['search', 4], ['exit', 28 + 100 * tired]]);
      case 'tickets': return rng.weighted([['cart', p.buyer ? 70 : 30], ['event', 15], ['exit', 35 + 100 * tired]]);
      case 'cart': return rng.weighted([['checkout', p.buyer ? 80 : 40], ['event', 10], ['exit', 25]]);
      case 'search': return rng.weighted([['event', 45], ['artist', 15], ['search', 15], ['listing', 5], ['exit', 20 + 100 * tired]]);
      case 'artist': return rng.weighted([['event', 55], ['venue', 5], ['search', 5], ['exit', 35 + 100 * tired]]);
      case 'venue': return rng.weighted([['event', 50], ['listing', 10], ['exit', 40 + 100 * tired]]);
      case 'account': return rng.weighted([['account', 30], ['event', 10], ['home', 10], ['help', 5], ['exit', 45]]);
      case 'help': return rng.weighted([['help', 30], ['home', 5], ['exit', 65]]);
      case 'confirmation': return rng.weighted([['account', 30], ['exit', 70]]);
      case 'info': return rng.weighted([['home', 30], ['info', 10], ['exit', 60]]);
      case 'notfound': return rng.weighted([['home', 45], ['search', 25], ['exit', 30]]);
      default: return 'exit';
    }
  })();
  switch (choice) {
    case 'home': return pHome();
    case 'listing': return pListing(rng, s, cur.city ?? p.city);
    case 'listing-next': {
      const pn = Number(/page=(\d+)/.exec(cur.path)?.[1] ?? '1') + 1;
      return pListing(rng, s, cur.city ?? p.city, pn);
    }
    case 'event': {
      if (cur.type === 'tickets' || cur.type === 'cart') return pEvent(ev);
      const own = cur.type === 'artist' ? s.byArtist.get(cur.slug ?? '') : cur.type === 'venue' ? s.byVenue.get(cur.slug ?? '') : undefined;
      return pEvent(own && own.length ? rng.pick(own) : pickEvent(rng, s));
    }
    case 'event-lp': return pEvent(ev);
    case 'tickets': return pTickets(ev);
    case 'cart': return { type: 'cart', path: '/cart', code: 200 };
    case 'checkout': return { type: 'checkout', path: '/checkout', code: 200 };
    case 'artist': return pArtist(cur.ev?.artist ?? rng.pick(s.artists));
    case 'venue': return pVenue(cur.ev?.venue ?? rng.pick(s.venues).slug);
    case 'search': return pSearch(rng.pick(s.terms));
    case 'account': return { type: 'account', path: rng.pick(['/account/tickets', '/account/orders', '/account/tickets', '/account/settings']), code: 200 };
    case 'help': return pHelp(rng.pick(s.help));
    case 'info': return { type: 'info', path: rng.pick(INFO), code: 200 };
    case 'typo': return pTypo(rng, s);
    default: return null;
  }
}

interface Entry { page: Page; site: FetchSite; referer?: string; bounce: number; maxPages?: number }

/** A browsing session. Returns the time of its last request. */
function browserSession(g: Gen, rng: Rng, p: Person, t0: number, entry: Entry): number {
  const s = g.site;
  let t = t0;
  let page = entry.page;
  let nav: Nav = { site: entry.site, referer: entry.referer, user: entry.site !== 'none' };
  let depth = 0;
  const maxPages = entry.maxPages ?? 40;
  let prev: Page | null = null;
  if (p.kind === 'person') g.stats.sessions++;
  while (t < g.endMs) {
    hop(rng, p.net);
    const r = go(g, rng, p, t, page, nav);
    t = r.t;
    if (!r.ok) break;
    depth++;
    const ref = ORIGIN + page.path;
    let stay = dwell(rng, page.type);
    let forced: Page | null = null;
    // in-page activity
    if (page.type === 'listing' && rng.chance(0.35)) {
      let at = t + rng.range(3000, 12000);
      for (let i = rng.int(1, 3); i > 0; i--) {
        const qs = `city=${page.city ?? p.city}&genre=${rng.pick(s.genres)}&when=${rng.pick(['today', 'this-weekend', 'next-7-days'])}&page=1&size=24`;
        preq(g, p, at, 'GET', `/api/v2/events?${qs}`, 'xhr', { referer: ref }, 200, CT.json);
        at += rng.range(3000, 15000);
      }
      stay = Math.max(stay, at - t);
    }
    if (page.type === 'listing' && !p.b.mobile && rng.chance(0.12)) {
      // opens a few events in background tabs, reads them one by one
      const n = rng.int(2, 4);
      let at = t + rng.range(4000, 15000);
      for (let i = 0; i < n; i++) {
        loadPage(g, rng, p, at, pEvent(pickEvent(rng, s)), { site: 'same-origin', referer: ref, user: true });
        at += rng.range(600, 4000);
      }
      stay = Math.max(stay, at - t) + n * dwell(rng, 'event') * 0.6;
    }
    if (page.type === 'tickets' && page.ev) {
      const every = rng.range(12000, 20000);
      for (let x = every; x < stay && x < 6 * MIN; x += every) preq(g, p, t + x, 'GET', `/api/v2/events/${page.ev.id}/availability`, 'xhr', { referer: ref }, 200, CT.json);
      if (p.buyer || rng.chance(0.3)) {
        let at = t + stay * rng.range(0.6, 0.95);
        const taken = rng.chance(0.12);
        preq(g, p, at, 'POST', '/api/v2/cart/holds', 'xhr', { referer: ref, post: true, csrf: p.csrf }, taken ? 409 : 201, CT.json);
        if (taken) { at += rng.range(4000, 15000); preq(g, p, at, 'POST', '/api/v2/cart/holds', 'xhr', { referer: ref, post: true, csrf: p.csrf }, 201, CT.json); }
        stay = at - t + rng.range(800, 3000);
        if (p.keeps) forced = { type: 'cart', path: '/cart', code: 200 };
      }
    }
    if (page.type === 'event' && page.ev && rng.chance(0.03)) preq(g, p, t + stay * 0.7, 'POST', `/api/v2/events/${page.ev.id}/alerts`, 'xhr', { referer: ref, post: true, csrf: p.csrf }, p.auth ? 201 : 401, CT.json);
    if (page.type === 'checkout') {
      let at = t + stay;
      let paid = false;
      for (let tries = 0; tries < 3; tries++) {
        const declined = rng.chance(0.12);
        preq(g, p, at, 'POST', '/api/v2/orders', 'xhr', { referer: ref, post: true, csrf: p.csrf }, declined ? 402 : 201, CT.json);
        at += rng.range(1500, 4000);
        if (!declined) { paid = true; break; }
        if (rng.chance(0.35)) break;
        at += rng.logn(30000, 0.5);
      }
      stay = at - t;
      forced = paid ? { type: 'confirmation', path: `/orders/${rng.str(10, '0123456789ABCDEFGHJKLMNPQRSTUVWXYZ')}/confirmation`, code: 200 } : null;
      if (!paid) { t += stay; break; }
    }
    if (depth === 1 && rng.chance(entry.bounce)) { t += Math.min(stay, 2000); break; }
    if (depth >= maxPages) break;
    const nxt = forced ?? nextPage(g, rng, p, page, depth);
    if (!nxt) { t += Math.min(stay, 3000); break; }
    t += stay;
    if (rng.chance(0.03)) { // reload
      loadPage(g, rng, p, t, page, { site: 'same-origin', referer: nav.referer, user: false, reload: true });
      t += dwell(rng, page.type) * 0.5;
    }
    if (nxt.type === 'search') typeSuggest(g, rng, p, t, nxt.q ?? '', ref);
    // back navigation served from the back/forward cache: no request at all
    if (prev && nxt.type === prev.type && nxt.type === 'listing' && rng.chance(0.4)) {
      t += dwell(rng, 'listing') * 0.5;
      const tmp: Page = page; page = prev; prev = tmp;
      nav = { site: 'same-origin', referer: ref, user: true };
      continue;
    }
    prev = page;
    nav = { site: 'same-origin', referer: ref, user: true };
    page = nxt;
  }
  return t;
}

function peopleEntry(g: Gen, rng: Rng, p: Person, returning: boolean): Entry {
  const s = g.site;
  const src = rng.weighted([['direct', returning ? 45 : 20], ['search', 38], ['social', 10], ['referral', 6], ['email', 5]] as const);
  const ev = pickEvent(rng, s);
  let page: Page;
  let referer: string | undefined;
  switch (src) {
    case 'direct': {
      const k = rng.weighted([['home', 60], ['account', p.auth ? 12 : 1], ['event', 12], ['listing', 12], ['help', 3]] as const);
      page = k === 'home' ? pHome() : k === 'event' ? pEvent(ev) : k === 'listing' ? pListing(rng, s, p.city) : k === 'help' ? pHelp(rng.pick(s.help))
        : { type: 'account', path: rng.pick(['/account/tickets', '/account/orders']), code: 200 };
      break;
    }
    case 'search': {
      const k = rng.weighted([['event', 48], ['artist', 18], ['listing', 14], ['home', 10], ['venue', 5], ['dead', 3], ['help', 2]] as const);
      page = k === 'event' ? pEvent(ev) : k === 'artist' ? pArtist(ev.artist) : k === 'listing' ? pListing(rng, s, p.city)
        : k === 'home' ? pHome() : k === 'venue' ? pVenue(ev.venue) : k === 'dead' ? pDead(rng.pick(s.dead)) : pHelp(rng.pick(s.help));
      referer = rng.weighted([['https://www.google.com/', 85], ['https://www.bing.com/', 8], ['https://duckduckgo.com/', 5], ['https://www.ecosia.org/', 2]] as const);
      break;
    }
    case 'social':
      page = rng.chance(0.8) ? pEvent(ev) : pArtist(ev.artist);
      referer = rng.chance(0.25) ? undefined : rng.pick(['https://l.facebook.com/', 'https://t.co/', 'https://www.instagram.com/', 'https://www.reddit.com/', 'https://l.instagram.com/']);
      if (rng.chance(0.4)) page = { ...page, path: `${page.path}?fbclid=${rng.str(60, B64URL)}` };
      break;
    case 'referral':
      page = pEvent(ev);
      referer = `https://www.${ev.venue}.example/`;
      break;
    default:
      page = rng.chance(0.7) ? pEvent(ev) : pHome();
      page = { ...page, path: `${page.path}${page.path.includes('?') ? '&' : '?'}utm_source=newsletter&utm_medium=email&utm_campaign=weekly-${rng.int(10, 52)}` };
      referer = rng.chance(0.3) ? rng.pick(['https://mail.google.com/', 'https://outlook.live.com/']) : undefined;
  }
  return { page, site: referer ? 'cross-site' : 'none', referer, bounce: src === 'search' ? 0.45 : 0.35 };
}

/** Arrival-rate multiplier over the run: a slow wave, a trend and a few bumps. */
function makeRateShape(rng: Rng, endMs: number): { f: (t: number) => number; max: number; desc: string } {
  const amp = rng.range(0.1, 0.35);
  const period = rng.range(20, 70) * MIN;
  const phase = rng.range(0, 2 * Math.PI);
  const trend = rng.range(-0.25, 0.25);
  const bumps: { at: number; w: number; h: number }[] = [];
  for (let i = rng.int(1, 3); i > 0; i--) bumps.push({ at: rng.range(0, endMs), w: rng.range(2, 6) * MIN, h: rng.range(0.15, 0.6) });
  const f = (t: number): number => {
    let v = 1 + amp * Math.sin((2 * Math.PI * t) / period + phase) + trend * (t / endMs - 0.5);
    for (const b of bumps) v += b.h * Math.exp(-0.5 * ((t - b.at) / b.w) ** 2);
    return Math.max(0.2, v);
  };
  let max = 0.2;
  for (let t = 0; t <= endMs; t += 10 * SEC) max = Math.max(max, f(t));
  return { f, max: max * 1.02, desc: `amp=${round2(amp)} period=${Math.round(period / MIN)}m trend=${round2(trend)} bumps=${bumps.length}` };
}

function* arrivals(rng: Rng, ratePerMin: number, shape: { f: (t: number) => number; max: number }, from: number, to: number): Generator<number> {
  let t = from;
  const lmax = (ratePerMin * shape.max) / MIN;
  for (;;) {
    t += rng.exp(1 / lmax);
    if (t >= to) return;
    if (rng.u() * shape.max < shape.f(t)) yield t;
  }
}

function people(g: Gen, rng: Rng): void {
  const pop = g.pop;
  const shape = makeRateShape(rng.fork('shape'), g.endMs);
  g.params.peopleRateShape = shape.desc;
  // sessions already in progress at t=0 start slightly before the run (their early requests are dropped)
  for (const t of arrivals(rng, pop.browserRate, shape, -4 * MIN, g.endMs)) {
    const r = rng.fork('p');
    const p = newPerson(g, r, 'person', { mobile: pop.mobileShare, returning: pop.returning });
    const returning = !!p.sid;
    const end = browserSession(g, r, p, t, peopleEntry(g, r, p, returning));
    if (r.chance(0.1)) {
      const back = end + r.range(3, 25) * MIN;
      if (back < g.endMs) {
        p.cache.delete('me');
        browserSession(g, r, p, back, { page: r.chance(0.6) ? pHome() : pEvent(pickEvent(r, g.site)), site: 'none', bounce: 0.3 });
      }
    }
  }
  apps(g, rng.fork('apps'), shape);
  partner(g, rng.fork('partner'));
}

// ───────────────────────────── mobile app ─────────────────────────────

interface AppUser {
  id: string; os: 'android' | 'ios'; ver: string; ua: string; ja4: string; lang: string; net: Net;
  bearer?: string; refresh: string | null; install: string; cookie?: string; tickets: string[]; typo: boolean; city: string; warm: boolean;
}

const APP_VERSIONS: readonly (readonly [[string, string, string], number])[] = [
  [['5.14.2', '51402', '4.12.0'], 68], [['5.13.0', '51300', '4.12.0'], 20], [['5.9.4', '50904', '4.10.0'], 12]];
const IOS_STACK: readonly (readonly [string, string])[] = [
  ['3826.500.131', '24.5.0'], ['3826.400.120', '24.4.0'], ['1568.300.101', '23.6.0'], ['3826.500.111', '24.5.0']];

function newAppUser(g: Gen, rng: Rng): AppUser {
  const os = rng.chance(0.55) ? 'ios' : 'android';
  const [ver, build, okv] = rng.weighted(APP_VERSIONS);
  const st = rng.pick(IOS_STACK);
  const ua = os === 'android' ? `okhttp/${okv}` : `Encore/${build} CFNetwork/${st[0]} Darwin/${st[1]}`;
  const r = rng.u();
  const net = r < 0.58 ? cellNet(g, rng) : r < 0.97 ? homeNet(g, rng) : fixedNet(rng.pick(g.pop.vpn));
  const loggedIn = rng.chance(0.72);
  const nt = loggedIn ? rng.weighted([[0, 40], [1, 25], [2, 20], [4, 15]] as const) : 0;
  const tickets: string[] = [];
  for (let i = 0; i < nt; i++) tickets.push(rng.str(12, '0123456789ABCDEFGHJKLMNPQRSTUVWXYZ'));
  return {
    id: newId(g, 'app'), os, ver, ua, ja4: os === 'android' ? JA4.okhttp : JA4.safari, lang: rng.weighted(LOCALES), net,
    bearer: loggedIn ? `eyJhbGciOiJSUzI1NiJ9.${rng.str(120, B64URL)}.${rng.str(43, B64URL)}` : undefined,
    refresh: loggedIn ? rng.str(40, B64URL) : null, install: `${rng.hex(8)}-${rng.hex(4)}-4${rng.hex(3)}-${rng.hex(4)}-${rng.hex(12)}`,
    tickets, typo: rng.chance(0.15), city: pickCity(rng, g.site), warm: rng.chance(0.65),
  };
}

function appHeaders(g: Gen, u: AppUser, api: boolean, post: boolean): Headers {
  const h: Headers = {};
  if (u.os === 'android') {
    if (api) {
      h['x-api-key'] = APP_KEY;
      h['x-app-version'] = u.ver;
      h['x-platform'] = 'android';
      h['x-install-id'] = u.install;
      h['accept-language'] = u.lang;
      if (u.bearer) h['authorization'] = `Bearer ${u.bearer}`;
      h['accept'] = 'application/json';
      if (post) h['content-type'] = 'application/json; charset=utf-8';
    }
    h['accept-encoding'] = 'gzip';
    h['user-agent'] = u.ua;
  } else {
    h['accept'] = api ? 'application/json' : 'image/*,*/*;q=0.8';
    if (api) {
      h['x-api-key'] = APP_KEY;
      h['x-app-version'] = u.ver;
      h['x-platform'] = 'ios';
      h['x-install-id'] = u.install;
      if (u.bearer) h['authorization'] = `Bearer ${u.bearer}`;
      if (post) h['content-type'] = 'application/json';
    }
    h['accept-language'] = u.lang.startsWith('en') ? `${u.lang},en;q=0.9` : `${u.lang},${u.lang.split('-')[0]};q=0.9`;
    h['accept-encoding'] = 'gzip, deflate, br';
    h['user-agent'] = u.ua;
    if (u.cookie) h['cookie'] = u.cookie;
  }
  if (g.ja4On) h['x-ja4'] = u.ja4;
  return h;
}

function areq(g: Gen, rng: Rng, u: AppUser, at: number, method: string, path: string, code: number, ct?: string): void {
  const api = path.startsWith('/api/');
  emit(g, at, u.id, 'person', method, path, u.net.cur, appHeaders(g, u, api, method === 'POST' || method === 'PUT'), code, ct ?? (api ? CT.json : CT.webp));
  if (u.os === 'ios' && api && !u.cookie) u.cookie = `${C_SID}=${rng.str(32, B64URL)}`; // URLSession keeps cookies by default
}

function appSession(g: Gen, rng: Rng, u: AppUser, t0: number, shortOnly: boolean): number {
  const s = g.site;
  let t = t0;
  hop(rng, u.net);
  g.stats.appSessions++;
  areq(g, rng, u, t, 'HEAD', '/api/v2/app/config', 200);
  if (rng.chance(0.08)) areq(g, rng, u, t + rng.range(150, 400), 'GET', '/api/v2/app/config', 200);
  t += rng.range(200, 600);
  if (u.bearer && rng.chance(0.3)) { areq(g, rng, u, t, 'POST', '/api/v2/auth/refresh', 200); t += rng.range(150, 500); }
  if (u.bearer) areq(g, rng, u, t, 'GET', '/api/v2/me', 200);
  if (shortOnly) {
    areq(g, rng, u, t + rng.range(50, 300), 'GET', '/api/v2/me/tickets', 200);
    return t + 1000;
  }
  areq(g, rng, u, t + rng.range(20, 200), 'GET', `/api/v2/feed?city=${u.city}`, 200);
  let at = t + rng.range(300, 900);
  for (let i = rng.int(2, 6); i > 0; i--) {
    areq(g, rng, u, at, u.warm && rng.chance(0.45) ? 'HEAD' : 'GET', imgPath(pickEvent(rng, s), 480), 200);
    at += rng.range(20, 200);
  }
  if (rng.chance(0.25)) areq(g, rng, u, at + rng.range(500, 3000), 'POST', '/api/v2/devices', 204);
  t = at;
  const screens = rng.int(1, 9);
  for (let i = 0; i < screens && t < g.endMs; i++) {
    t += clamp(rng.logn(9000, 0.9), 800, 4 * MIN);
    hop(rng, u.net);
    const k = rng.weighted([['event', 45], ['search', 15], ['tickets', u.tickets.length ? 20 : 3], ['listing', 15], ['login', u.bearer ? 0 : 4], ['buy', 3]] as const);
    if (k === 'event') {
      const ev = pickEvent(rng, s);
      areq(g, rng, u, t, 'GET', `/api/v2/events/${ev.id}`, 200);
      areq(g, rng, u, t + rng.range(10, 120), 'GET', `/api/v2/events/${ev.id}/availability`, 200);
      areq(g, rng, u, t + rng.range(80, 400), u.warm && rng.chance(0.25) ? 'HEAD' : 'GET', imgPath(ev, 720), 200);
    } else if (k === 'search') {
      const term = rng.pick(s.terms);
      let x = t;
      for (let j = 1; j <= Math.min(4, term.length); j++) { areq(g, rng, u, x, 'GET', `/api/v2/suggest?q=${q(term.slice(0, j + 1))}`, 200); x += rng.range(300, 900); }
      areq(g, rng, u, x + rng.range(500, 2000), 'GET', `/api/v2/search?q=${q(term)}&page=1`, 200);
    } else if (k === 'tickets') {
      areq(g, rng, u, t, 'GET', '/api/v2/me/tickets', u.bearer ? 200 : 401);
      let x = t + rng.range(100, 400);
      for (const tk of u.tickets) {
        areq(g, rng, u, x, 'HEAD', `/api/v2/me/tickets/${tk}/pass`, 200, u.os === 'ios' ? CT.pkpass : CT.json);
        if (rng.chance(0.12)) areq(g, rng, u, x + rng.range(100, 300), 'GET', `/api/v2/me/tickets/${tk}/pass`, 200, u.os === 'ios' ? CT.pkpass : CT.json);
        x += rng.range(50, 250);
      }
    } else if (k === 'listing') {
      const c = rng.chance(0.7) ? u.city : pickCity(rng, s);
      for (let pn = 1; pn <= rng.int(1, 3); pn++) areq(g, rng, u, t + (pn - 1) * rng.range(2000, 8000), 'GET', `/api/v2/events?city=${c}&page=${pn}&size=20`, 200);
    } else if (k === 'login') {
      let x = t + rng.logn(12000, 0.5);
      if (u.typo) { areq(g, rng, u, x, 'POST', '/api/v2/auth/token', 401); x += rng.logn(8000, 0.5); }
      areq(g, rng, u, x, 'POST', '/api/v2/auth/token', 200);
      u.bearer = `eyJhbGciOiJSUzI1NiJ9.${rng.str(120, B64URL)}.${rng.str(43, B64URL)}`;
      areq(g, rng, u, x + rng.range(100, 400), 'GET', '/api/v2/me', 200);
      t = x;
    } else if (u.bearer) {
      const ev = pickEvent(rng, s);
      areq(g, rng, u, t, 'GET', `/api/v2/events/${ev.id}/seatmap`, 200);
      const taken = rng.chance(0.1);
      areq(g, rng, u, t + rng.logn(20000, 0.6), 'POST', '/api/v2/cart/holds', taken ? 409 : 201);
      if (!taken) areq(g, rng, u, t + rng.logn(60000, 0.5), 'POST', '/api/v2/orders', rng.chance(0.9) ? 201 : 402);
      t += 60000;
    }
  }
  return t;
}

function apps(g: Gen, rng: Rng, shape: { f: (t: number) => number; max: number }): void {
  for (const t of arrivals(rng, g.pop.appRate, shape, -2 * MIN, g.endMs)) {
    const r = rng.fork('a');
    const u = newAppUser(g, r);
    const end = appSession(g, r, u, t, false);
    if (r.chance(0.15)) appSession(g, r, u, end + r.range(2, 20) * MIN, false);
  }
  // installs refreshing tickets in the background between sessions
  const nbg = Math.round(g.pop.appRate * rng.range(4, 8) * (g.endMs / (20 * MIN)));
  for (let i = 0; i < nbg; i++) {
    const r = rng.fork('bg');
    const u = newAppUser(g, r);
    if (!u.bearer) continue;
    let t = r.range(0, 15 * MIN);
    while (t < g.endMs) { appSession(g, r, u, t, true); t += r.range(14, 30) * MIN; }
  }
}

// ───────────────────────────── partner integration ─────────────────────────────

function partner(g: Gen, rng: Rng): void {
  const s = g.site;
  const ua = rng.weighted([['Apache-HttpClient/4.5.14 (Java/17.0.11)', 35], ['python-requests/2.31.0', 25], ['Go-http-client/2.0', 20], ['StagebridgeSync/3.4.1 (+ops)', 20]] as const);
  const ja4 = ua.startsWith('Apache') ? JA4.apacheJava : ua.startsWith('python') ? JA4.python : JA4.go;
  const nServers = rng.int(1, 2);
  const cloud = rng.pick(CLOUD);
  const servers: string[] = [];
  for (let i = 0; i < nServers; i++) servers.push(g.ips.v4(rng, cloud));
  const mode = rng.chance(0.5) ? 'trickle' : 'batch';
  g.params.partnerMode = mode;
  g.params.partnerUa = ua;
  g.params.partnerServers = nServers;
  const hdr = (post: boolean, ims?: string): Headers => {
    const h: Headers = { 'x-api-key': PARTNER_KEY, accept: 'application/json', 'user-agent': ua };
    if (ua.startsWith('Apache')) h['accept-encoding'] = 'gzip,deflate';
    else if (ua.startsWith('python')) h['accept-encoding'] = 'gzip, deflate';
    else h['accept-encoding'] = 'gzip';
    if (post) h['content-type'] = 'application/json';
    if (ims) h['if-modified-since'] = ims;
    if (g.ja4On) h['x-ja4'] = ja4;
    return h;
  };
  const iso = (t: number): string => new Date(s.wallStart + t).toISOString().replace(/\.\d+Z$/, 'Z');
  const http = (t: number): string => new Date(s.wallStart + t).toUTCString();
  const inv = (): { path: string; code: number } => {
    if (rng.chance(0.03)) { const d = rng.pick(s.dead); return { path: `/api/partner/v1/inventory/${d.id}`, code: 404 }; }
    return { path: `/api/partner/v1/inventory/${pickEvent(rng, s).id}`, code: 200 };
  };
  if (mode === 'trickle') {
    const mean = rng.range(3, 15) * SEC;
    g.params.partnerEveryS = round2(mean / SEC);
    let t = rng.range(0, mean);
    let last = -5 * MIN;
    while (t < g.endMs) {
      const ip = rng.pick(servers);
      const actor = `partner-${servers.indexOf(ip) + 1}`;
      const r = rng.u();
      if (r < 0.08) {
        const cond = rng.chance(0.5);
        emit(g, t, actor, 'person', 'GET', `/api/partner/v1/events?updated_since=${encodeURIComponent(iso(last))}&page=1`, ip, hdr(false, cond ? http(last) : undefined), cond && rng.chance(0.5) ? 304 : 200, CT.json);
        last = t;
      } else if (r < 0.1) {
        emit(g, t, actor, 'person', 'POST', '/api/partner/v1/orders', ip, hdr(true), rng.chance(0.9) ? 201 : 409, CT.json);
      } else {
        const x = inv();
        emit(g, t, actor, 'person', 'GET', x.path, ip, hdr(false), x.code, CT.json);
      }
      t += Math.max(200, rng.exp(mean));
    }
  } else {
    const period = rng.pick([5, 10, 15]) * MIN;
    g.params.partnerPeriodMin = period / MIN;
    let t = rng.range(0, period);
    let last = t - period;
    while (t < g.endMs) {
      const ip = rng.pick(servers);
      const actor = `partner-${servers.indexOf(ip) + 1}`;
      let at = t + rng.range(0, 4000);
      const since = encodeURIComponent(iso(last));
      emit(g, at, actor, 'person', 'HEAD', `/api/partner/v1/events?updated_since=${since}`, ip, hdr(false), 200, CT.json);
      at += rng.range(100, 400);
      const pages = rng.int(6, 40);
      for (let pn = 1; pn <= pages; pn++) {
        emit(g, at, actor, 'person', 'GET', `/api/partner/v1/events?updated_since=${since}&page=${pn}&per_page=100`, ip, hdr(false), 200, CT.json);
        at += rng.range(120, 700);
      }
      for (let i = rng.int(10, 60); i > 0; i--) {
        const x = inv();
        emit(g, at, actor, 'person', 'GET', x.path, ip, hdr(false), x.code, CT.json);
        at += rng.range(60, 400);
      }
      for (let i = rng.int(0, 3); i > 0; i--) { emit(g, at, actor, 'person', 'POST', '/api/partner/v1/orders', ip, hdr(true), rng.chance(0.9) ? 201 : 409, CT.json); at += rng.range(200, 900); }
      last = t;
      t += period + rng.range(-20, 20) * SEC;
    }
  }
}

// ───────────────────────────── campaign ─────────────────────────────

function campaign(g: Gen, rng: Rng): [number, number] {
  const s = g.site;
  const start = g.warmupMs + rng.range(2, 5) * MIN;
  let end = Math.min(start + rng.range(8, 15) * MIN, g.endMs - MIN);
  const channel = rng.weighted([['email', 35], ['social', 45], ['influencer', 20]] as const);
  const mult = rng.range(5, 20);
  const peak = mult * g.pop.browserRate;
  const tau = (channel === 'email' ? rng.range(3, 6) : channel === 'influencer' ? rng.range(1.5, 3) : rng.range(8, 20)) * MIN;
  const rise = (channel === 'social' ? rng.range(1, 3) : rng.range(0.3, 1)) * MIN;
  const shapeF = (t: number): number => {
    const x = t - start;
    if (x < 0 || t > end) return 0;
    if (x < rise) return x / rise;
    return Math.max(0.12, Math.exp(-(x - rise) / tau));
  };
  // keep the run within its event budget: a campaign that would bring too many visitors ends earlier
  const maxVisitors = Math.max(500, (57000 - g.events.length) / 19);
  const expected = (): number => { let x = 0; for (let t = start; t < end; t += 5 * SEC) x += (peak * shapeF(t)) / 12; return x; };
  while (end > start + 4 * MIN && expected() > maxVisitors) end -= 30 * SEC;
  const ev = s.hot[1] ?? pickEvent(rng, s);
  const slug = `${rng.pick(['summer', 'autumn', 'spring', 'winter', 'weekend', 'last-chance'])}-${rng.pick(['live', 'sessions', 'open-air', 'presale', 'festival'])}-${rng.int(24, 26)}`;
  const toLp = rng.chance(0.6);
  const bounce = rng.range(0.45, 0.75);
  const mobile = channel === 'email' ? rng.range(0.5, 0.65) : rng.range(0.78, 0.9);
  const inApp = channel === 'email' ? 0 : rng.range(0.35, 0.7);
  const src = channel === 'email' ? 'newsletter' : channel === 'influencer' ? rng.pick(['tiktok', 'instagram']) : rng.pick(['instagram', 'facebook', 'tiktok']);
  const medium = channel === 'email' ? 'email' : channel === 'influencer' ? 'influencer' : 'paid_social';
  let n = 0;
  const cap = Math.round(maxVisitors * 1.15);
  for (const t of arrivals(rng, peak, { f: shapeF, max: 1 }, start, end)) {
    if (n >= cap) break;
    n++;
    const r = rng.fork('c');
    const p = newPerson(g, r, 'campaign', { mobile, inApp, inAppFam: src === 'tiktok' ? 'tiktok' : src === 'facebook' ? 'fb' : 'ig', returning: 0 });
    if (channel !== 'email' && r.chance(0.3)) p.net = cellNet(g, r);
    let qs = `utm_source=${src}&utm_medium=${medium}&utm_campaign=${slug}&utm_content=${r.pick(['v1', 'v2', 'carousel', 'story', 'hero'])}`;
    if (src === 'facebook' || src === 'instagram') qs += `&fbclid=${r.str(r.int(55, 70), B64URL)}`;
    else if (src === 'tiktok') qs += `&ttclid=${r.str(40, B64URL)}`;
    else qs += `&eid=${r.hex(10)}`;
    const base = toLp ? `/lp/${slug}` : `/e/${ev.slug}`;
    const page: Page = toLp ? { type: 'lp', path: `${base}?${qs}`, code: 200, ev, slug } : { type: 'event', path: `${base}?${qs}`, code: 200, ev };
    let referer: string | undefined;
    if (channel === 'email') referer = r.chance(0.3) ? r.pick(['https://mail.google.com/', 'https://outlook.live.com/']) : undefined;
    else if (p.b.fam === 'ig' || p.b.fam === 'fb' || p.b.fam === 'tiktok') referer = r.chance(0.5) ? undefined : p.b.fam === 'ig' ? 'https://l.instagram.com/' : p.b.fam === 'fb' ? 'https://m.facebook.com/' : 'https://www.tiktok.com/';
    else referer = src === 'instagram' ? 'https://l.instagram.com/' : src === 'facebook' ? 'https://l.facebook.com/' : 'https://www.tiktok.com/';
    browserSession(g, r, p, t, { page, site: referer ? 'cross-site' : 'none', referer, bounce, maxPages: r.int(2, 8) });
  }
  g.stats.campaignVisitors = n;
  Object.assign(g.params, { campaignChannel: channel, campaignSource: src, campaignMultiplier: round2(mult), campaignPeakPerMin: Math.round(peak),
    campaignBounce: round2(bounce), campaignLanding: toLp ? `/lp/${slug}` : `/e/${ev.slug}`, campaignMobileShare: round2(mobile), campaignInAppShare: round2(inApp), campaignVisitors: n, campaignMinutes: round2((end - start) / MIN) });
  return [start, end];
}

// ───────────────────────────── attackers ─────────────────────────────

function attackWindow(g: Gen, rng: Rng, minDur = 5, maxDur = 12): [number, number] {
  const s = g.warmupMs + rng.range(2, 6) * MIN;
  return [s, Math.min(s + rng.range(minDur, maxDur) * MIN, g.endMs - 15 * SEC)];
}

/** A browser identity a bot claims: a plausible current browser, possibly a few versions old. */
function botBrowser(g: Gen, rng: Rng, mobileShare = 0.2): Browser {
  const v = g.pop.v;
  const loc = rng.weighted([['en-US', 50], ['en-GB', 40], ['de-DE', 10]] as const);
  if (rng.chance(mobileShare)) {
    const k = rng.weighted([['safari-ios', 50], ['chrome-android', 40], ['crios-ios', 5], ['samsung-android', 5]] as const);
    const [fam, os] = k.split('-') as [Fam, Os];
    return makeBrowser(rng, v, fam, os, loc);
  }
  const k = rng.weighted([['chrome-win', 50], ['chrome-mac', 18], ['edge-win', 10], ['firefox-win', 8], ['safari-mac', 10], ['chrome-linux', 4]] as const);
  const [fam, os] = k.split('-') as [Fam, Os];
  return makeBrowser(rng, v, fam, os, loc, v.chrome - rng.weighted([[0, 40], [1, 25], [2, 15], [rng.int(3, 8), 20]] as const));
}
function forgeJa4(b: Browser, imitate: boolean, tool: Tool): Browser { return imitate ? b : { ...b, ja4: tool.ja4 }; }

type Fidelity = 'full' | 'copied' | 'partial';
function botHeaders(g: Gen, b: Browser, fid: Fidelity, dest: Dest, o: HOpts): Headers {
  if (fid === 'full') return browserHeaders(b, dest, o, g.ja4On);
  if (fid === 'copied') {
    // one header set copied from the browser's developer tools and replayed for every request
    if (dest === 'form') return browserHeaders(b, 'form', { site: 'same-origin', referer: o.referer, cookie: o.cookie }, g.ja4On);
    return browserHeaders(b, 'document', { site: 'none', cookie: o.cookie }, g.ja4On);
  }
  const h: Headers = {
    'user-agent': b.ua,
    accept: dest === 'xhr' ? 'application/json, text/plain, */*' : OTHER_NAV,
    'accept-language': shortLang(b.lang),
    'accept-encoding': 'gzip, deflate, br',
  };
  if (dest === 'form') h['content-type'] = 'application/x-www-form-urlencoded';
  if (o.referer) h['referer'] = o.referer;
  if (o.cookie) h['cookie'] = o.cookie;
  if (g.ja4On) h['x-ja4'] = b.ja4;
  return h;
}
function shortLang(lang: string): string { return lang.split(',')[0] === 'en-GB' ? 'en-GB,en;q=0.9' : 'en-US,en;q=0.9'; }

function residentialIp(g: Gen, rng: Rng, mobileShare: number, v6Share: number): string {
  const r = rng.u();
  if (r < mobileShare) return rng.pick(rng.pick(g.pop.carriers).v4);
  if (r < mobileShare + v6Share) return g.ips.v6(rng, `${rng.pick(RESI6)}:${rng.int(0, 0xffff).toString(16)}`);
  if (rng.chance(0.35)) return g.ips.v4(rng, rng.pick(g.pop.isps));
  return g.ips.v4(rng, `${rng.pick(RESI_A)}.${rng.int(0, 255)}`);
}
function datacenterIp(g: Gen, rng: Rng): string { return g.ips.v4(rng, rng.pick(CLOUD)); }

function burst(g: Gen, rng: Rng, cold: boolean): [number, number] {
  const s = g.site;
  const start = cold ? rng.range(20, 120) * SEC : g.warmupMs + rng.range(2, 6) * MIN;
  const rate = rng.logUniform(300, 3000);
  const durWanted = rng.range(3, 10) * MIN;
  const dur = Math.min(durWanted, (26000 / rate) * MIN);
  const end = Math.min(start + dur, g.endMs - 5 * SEC);
  const uaMode = g.seed % 2 === 0 ? 'automation' : 'chrome';
  const keep = rng.chance(0.5);
  const dc = rng.chance(0.7);
  const ip = dc ? datacenterIp(g, rng) : residentialIp(g, rng, 0, 0.1);
  const tool = rng.pick(TOOLS.filter((t) => t.name !== 'scrapy'));
  const target = uaMode === 'automation'
    ? rng.weighted([['catalogue-api', 45], ['event-pages', 25], ['suggest', 15], ['mixed', 15]] as const)
    : rng.weighted([['event-pages', 45], ['mixed', 30], ['catalogue-api', 15], ['suggest', 10]] as const);
  const order = rng.chance(0.4) ? 'enumerate' : 'catalogue';
  const fid: Fidelity = rng.chance(0.6) ? 'full' : 'copied';
  const imitate = rng.chance(0.5);
  const b = forgeJa4(makeBrowser(rng, g.pop.v, 'chrome', rng.chance(0.7) ? 'win' : 'linux', 'en-US', g.pop.v.chrome), imitate, rng.pick(TOOLS));
  const concurrency = rng.int(1, 8);
  const clicks = rng.chance(0.5);   // page loads look like link clicks (referer, same-origin) or like typed addresses
  const byId = new Map<number, Item>();
  for (const e of s.events) byId.set(e.id, e);
  let sid: string | undefined = keep && fid === 'copied' && uaMode === 'chrome' ? rng.str(32, B64URL) : undefined;
  const actor = 'bot-burst';
  let t = start;
  let i = 0;
  let enumId = s.idMin + rng.int(0, 2000);
  let lastPage = `${ORIGIN}/`;
  const suggestAlpha = 'abcdefghijklmnopqrstuvwxyz';
  const mean = MIN / rate;
  while (t < end) {
    const kind = target === 'mixed' ? rng.pick(['catalogue-api', 'event-pages', 'suggest'] as const) : target;
    let path: string;
    let code = 200;
    let dest: Dest = 'xhr';
    if (kind === 'suggest') {
      path = `/api/v2/suggest?q=${suggestAlpha[Math.floor(i / 26) % 26]}${suggestAlpha[i % 26]}`;
    } else {
      let id: number;
      let slug: string;
      if (order === 'enumerate') { id = enumId++; const hit = byId.get(id); slug = hit ? hit.slug : `event-${id}`; code = s.ids.has(id) ? 200 : 404; }
      else { const e = s.events[i % s.events.length]!; id = e.id; slug = e.slug; }
      if (kind === 'event-pages') { path = `/e/${slug}`; dest = 'document'; }
      else if (i % 25 === 0) { path = `/api/v2/events?city=${s.cities[(i / 25) % s.cities.length | 0]}&page=${1 + ((i / 250) | 0)}&size=24`; code = 200; }
      else path = rng.chance(0.5) ? `/api/v2/events/${id}` : `/api/v2/events/${id}/availability`;
    }
    let h: Headers;
    const cookie = sid ? `${C_SID}=${sid}` : undefined;
    if (uaMode === 'automation') h = toolHeaders(tool, { ...(dest === 'xhr' ? { accept: 'application/json' } : {}), ...(cookie ? { cookie } : {}) }, g.ja4On);
    else if (dest === 'document') h = botHeaders(g, b, fid, dest, { site: clicks ? 'same-origin' : 'none', referer: clicks ? lastPage : undefined, cookie, user: clicks });
    else h = botHeaders(g, b, fid, dest, { referer: lastPage, cookie });
    emit(g, t, actor, 'bot', 'GET', path, ip, h, code, dest === 'document' ? CT.html : CT.json);
    if (dest === 'document') lastPage = ORIGIN + path;
    if (keep && !sid) sid = rng.str(32, B64URL);
    i++;
    // several workers in parallel: gaps are short with a little jitter, and the client stalls now and then
    t += rng.exp(mean) * rng.range(0.6, 1.4);
    if (i % concurrency === 0 && rng.chance(0.004)) t += rng.range(1, 8) * SEC;
  }
  Object.assign(g.params, { burstRatePerMin: Math.round(rate), burstMinutes: round2((end - start) / MIN), burstUserAgent: uaMode === 'automation' ? tool.ua : b.ua,
    burstHeaders: uaMode === 'automation' ? 'library' : fid, burstJa4: uaMode === 'automation' ? 'library' : imitate ? 'browser' : 'library',
    burstCookies: keep, burstIp: dc ? 'datacenter' : 'residential', burstTarget: target, burstOrder: order, burstRequests: i });
  return [start, end];
}

function residentialProxy(g: Gen, rng: Rng): [number, number] {
  const s = g.site;
  const [start, end] = attackWindow(g, rng);
  const nIps = rng.int(1500, 5000);
  const mobileShare = rng.range(0, 0.15);
  const v6Share = rng.range(0, 0.1);
  const fid: Fidelity = rng.chance(0.7) ? 'full' : 'partial';
  const imitate = rng.chance(0.65);
  const tool = rng.pick(TOOLS);
  const apiFollow = rng.range(0.3, 0.9);
  const googleRef = rng.range(0, 0.4);
  const sweep = rng.chance(0.5);
  const ipActor = new Map<string, string>();
  let n = 0;
  let k = 0;
  for (let i = 0; i < nIps; i++) {
    const ip = residentialIp(g, rng, mobileShare, v6Share);
    let actor = ipActor.get(ip);
    if (!actor) { actor = `rp-${ipActor.size + 1}`; ipActor.set(ip, actor); }
    const b = forgeJa4(botBrowser(g, rng, 0.25), imitate, tool);
    const x = rng.u();
    let t = start + (end - start) * (x < 0.05 ? x * 4 : x);   // a short ramp, then steady
    const reqs = rng.weighted([[1, 45], [2, 35], [3, 20]] as const);
    let ev = sweep ? s.events[k++ % s.events.length]! : pickEvent(rng, s);
    let ref: string | undefined = rng.chance(googleRef) ? 'https://www.google.com/' : undefined;
    for (let j = 0; j < reqs; j++) {
      if (j > 0 && rng.chance(apiFollow)) {
        emit(g, t, actor, 'bot', 'GET', `/api/v2/events/${ev.id}/availability`, ip, botHeaders(g, b, fid, 'xhr', { referer: ORIGIN + `/e/${ev.slug}` }), 200, CT.json);
      } else {
        if (j > 0) { ref = ORIGIN + `/e/${ev.slug}`; ev = sweep ? s.events[k++ % s.events.length]! : pickEvent(rng, s); }
        emit(g, t, actor, 'bot', 'GET', `/e/${ev.slug}`, ip, botHeaders(g, b, fid, 'document', { site: ref ? (ref.startsWith(ORIGIN) ? 'same-origin' : 'cross-site') : 'none', referer: ref, user: true }), 200, CT.html);
      }
      n++;
      t += rng.range(300, 4000);
    }
  }
  Object.assign(g.params, { proxyIps: ipActor.size, proxyRequests: n, proxyMobileShare: round2(mobileShare), proxyV6Share: round2(v6Share), proxyHeaders: fid,
    proxyJa4: imitate ? 'browser' : tool.name, proxyApiFollow: round2(apiFollow), proxySweep: sweep });
  return [start, end];
}

function credentialStuffing(g: Gen, rng: Rng): [number, number] {
  const [start, end] = attackWindow(g, rng);
  const nIps = rng.int(200, 800);
  const loadFirst = rng.range(0.1, 0.8);
  const success = rng.range(0.003, 0.02);
  const resi = rng.range(0.3, 1);
  const fid: Fidelity = rng.weighted([['full', 50], ['copied', 25], ['partial', 25]] as const);
  const imitate = rng.chance(0.5);
  const tool = rng.pick(TOOLS);
  const keepCookie = rng.chance(0.6);
  let posts = 0, ok = 0;
  for (let i = 0; i < nIps; i++) {
    const ip = rng.chance(resi) ? residentialIp(g, rng, 0.05, 0.05) : datacenterIp(g, rng);
    const actor = `cs-${i + 1}`;
    const b = forgeJa4(botBrowser(g, rng, 0.15), imitate, tool);
    let t = rng.range(start, end - 20 * SEC);
    let cookie: string | undefined;
    const spath = '/account/signin';
    if (rng.chance(loadFirst)) {
      emit(g, t, actor, 'bot', 'GET', spath, ip, botHeaders(g, b, fid, 'document', { site: 'none', user: true }), 200, CT.html);
      if (keepCookie) cookie = `${C_SID}=${rng.str(32, B64URL)}`;
      t += rng.range(800, 6000);
    }
    const attempts = Math.min(8, 1 + Math.floor(rng.exp(2)));
    const gap = rng.range(3, 40) * SEC;
    for (let j = 0; j < attempts && t < end; j++) {
      const hit = rng.chance(success);
      emit(g, t, actor, 'bot', 'POST', spath, ip, botHeaders(g, b, fid, 'form', { site: 'same-origin', referer: ORIGIN + spath, cookie }), hit ? 302 : 401, CT.html);
      posts++;
      if (hit) {
        ok++;
        if (rng.chance(0.5)) emit(g, t + rng.range(200, 900), actor, 'bot', 'GET', '/account/tickets', ip, botHeaders(g, b, fid, 'document', { site: 'same-origin', referer: ORIGIN + spath, cookie: `${cookie ? cookie + '; ' : ''}${C_AUTH}=${rng.str(43, B64URL)}` }), 200, CT.html);
      }
      t += gap * rng.range(0.5, 1.5);
    }
  }
  Object.assign(g.params, { stuffingIps: nIps, stuffingPosts: posts, stuffingSuccesses: ok, stuffingSuccessRate: round2(success * 100) + '%', stuffingLoadPageFirst: round2(loadFirst),
    stuffingResidentialShare: round2(resi), stuffingHeaders: fid, stuffingJa4: imitate ? 'browser' : tool.name, stuffingKeepsCookie: keepCookie });
  return [start, end];
}

function tokenAbuse(g: Gen, rng: Rng): [number, number] {
  const s = g.site;
  const [start, end] = attackWindow(g, rng);
  const key = rng.chance(0.5) ? 'app' : 'partner';
  const nIps = rng.int(30, 300);
  const uaMode = rng.chance(0.5) ? 'automation' : 'copy';
  const tool = rng.pick(TOOLS.filter((t) => t.name !== 'scrapy'));
  const realStack = rng.chance(0.3);
  const resi = rng.chance(0.5);
  const fixedInstall = rng.chance(0.5) ? `${rng.hex(8)}-${rng.hex(4)}-4${rng.hex(3)}-${rng.hex(4)}-${rng.hex(12)}` : null;
  const partnerUa = String(g.params.partnerUa ?? 'Apache-HttpClient/4.5.14 (Java/17.0.11)');
  const scalper = key === 'app' && rng.chance(0.4);
  const budget = 14000;
  // each address is active about three minutes; slow the per-address pace if the total would exceed the budget
  const perIpMean = Math.max(rng.range(1.5, 8) * SEC, (nIps * 3 * MIN) / (budget * 0.9));
  let n = 0;
  let enumId = s.idMin + rng.int(0, 500);
  for (let i = 0; i < nIps; i++) {
    const ip = resi ? residentialIp(g, rng, 0.05, 0.05) : datacenterIp(g, rng);
    const actor = `ta-${i + 1}`;
    const active = rng.range(1, 5) * MIN;
    let t = rng.range(start, Math.max(start + 1, end - active * 0.5));
    const stop = Math.min(end, t + active);
    const install = fixedInstall ?? `${rng.hex(8)}-${rng.hex(4)}-4${rng.hex(3)}-${rng.hex(4)}-${rng.hex(12)}`;
    while (t < stop && n < budget) {
      let path: string;
      let method = 'GET';
      let code = 200;
      const r = rng.u();
      if (key === 'app') {
        if (scalper && r < 0.25) { method = 'POST'; path = '/api/v2/cart/holds'; code = rng.chance(0.3) ? 409 : 201; }
        else if (r < 0.35) path = `/api/v2/events?city=${rng.pick(s.cities)}&page=${rng.int(1, 12)}&size=100`;
        else if (r < 0.6) { const id = enumId++; path = `/api/v2/events/${id}/availability`; code = s.ids.has(id) ? 200 : 404; }
        else path = `/api/v2/events/${(rng.chance(0.5) ? rng.pick(s.hot) : pickEvent(rng, s)).id}/availability`;
      } else {
        if (r < 0.3) path = `/api/partner/v1/events?updated_since=${encodeURIComponent(new Date(s.wallStart - 86400000).toISOString().replace(/\.\d+Z$/, 'Z'))}&page=${rng.int(1, 60)}&per_page=100`;
        else if (r < 0.65) { const id = enumId++; path = `/api/partner/v1/inventory/${id}`; code = s.ids.has(id) ? 200 : 404; }
        else path = `/api/partner/v1/inventory/${pickEvent(rng, s).id}`;
      }
      let h: Headers;
      const post = method === 'POST';
      if (uaMode === 'automation') {
        h = toolHeaders(tool, { accept: 'application/json', 'x-api-key': key === 'app' ? APP_KEY : PARTNER_KEY, ...(post ? { 'content-type': 'application/json' } : {}) }, g.ja4On);
      } else if (key === 'app') {
        h = { 'x-api-key': APP_KEY, 'x-app-version': '5.14.2', 'x-platform': 'android', 'x-install-id': install, 'accept-language': 'en-GB', accept: 'application/json' };
        if (post) h['content-type'] = 'application/json; charset=utf-8';
        h['accept-encoding'] = 'gzip';
        h['user-agent'] = 'okhttp/4.12.0';
        if (g.ja4On) h['x-ja4'] = realStack ? JA4.okhttp : tool.ja4;
      } else {
        h = { 'x-api-key': PARTNER_KEY, accept: 'application/json', 'user-agent': partnerUa, 'accept-encoding': 'gzip,deflate' };
        if (post) h['content-type'] = 'application/json';
        if (g.ja4On) h['x-ja4'] = realStack ? (partnerUa.startsWith('Apache') ? JA4.apacheJava : partnerUa.startsWith('python') ? JA4.python : JA4.go) : tool.ja4;
      }
      emit(g, t, actor, 'bot', method, path, ip, h, code, CT.json);
      n++;
      t += Math.max(150, rng.exp(perIpMean));
    }
  }
  Object.assign(g.params, { tokenKey: key, tokenIps: nIps, tokenRequests: n, tokenUserAgent: uaMode === 'automation' ? tool.ua : key === 'app' ? 'okhttp/4.12.0 (copied)' : `${partnerUa} (copied)`,
    tokenJa4: uaMode === 'copy' && realStack ? 'real client stack' : tool.name, tokenIpKind: resi ? 'residential' : 'datacenter', tokenPerIpMeanS: round2(perIpMean / SEC),
    tokenScalper: scalper, tokenInstallId: key === 'app' && uaMode === 'copy' ? (fixedInstall ? 'fixed' : 'random') : 'none' });
  return [start, end];
}

function crawler(g: Gen, rng: Rng): [number, number] {
  const s = g.site;
  const [start, end] = attackWindow(g, rng);
  const nc = rng.int(1, 3);
  const desc: string[] = [];
  for (let c = 0; c < nc; c++) {
    const actor = `crawler-${c + 1}`;
    const headless = rng.chance(0.4);
    const rate = rng.logUniform(20, 300);
    const keep = rng.chance(0.5);
    const chain = rng.chance(0.6);
    const robots = rng.chance(0.3);
    const facets = rng.chance(0.5);
    const ip = rng.chance(0.6) ? datacenterIp(g, rng) : residentialIp(g, rng, 0, 0.1);
    const b0 = headless ? makeBrowser(rng, g.pop.v, rng.chance(0.5) ? 'chrome' : 'headless', 'linux', 'en-US', g.pop.v.chrome - rng.int(0, 2)) : botBrowser(g, rng, 0.1);
    const imitate = headless || rng.chance(0.5);
    const tool = rng.pick(TOOLS);
    const b = forgeJa4(b0, imitate, tool);
    let sid: string | undefined;
    const seen = new Set<string>();
    const frontier: { path: string; code: number; from?: string; ev?: Item; type: PageType; city?: string; slug?: string }[] = [{ path: '/', code: 200, type: 'home' }];
    const push = (x: { path: string; code: number; ev?: Item; type: PageType; city?: string; slug?: string }, from: string): void => {
      if (seen.has(x.path)) return; seen.add(x.path); frontier.push({ ...x, from });
    };
    seen.add('/');
    let t = start + rng.range(0, 60) * SEC;
    const stop = end - rng.range(0, 60) * SEC;
    let pages = 0;
    const cached = new Set<string>();
    if (robots) { emit(g, t, actor, 'bot', 'GET', '/robots.txt', ip, browserHeaders(b, 'document', { site: 'none' }, g.ja4On), 200, CT.text); t += rng.range(200, 1500); }
    while (t < stop && frontier.length > 0 && pages < 9000) {
      const cur = frontier.shift()!;
      const cookie = sid ? `${C_SID}=${sid}` : undefined;
      const ref = chain && cur.from ? ORIGIN + cur.from : undefined;
      emit(g, t, actor, 'bot', 'GET', cur.path, ip, browserHeaders(b, 'document', { site: ref ? 'same-origin' : 'none', referer: ref, cookie, user: !!ref }, g.ja4On), cur.code, CT.html);
      pages++;
      if (keep && !sid) sid = rng.str(32, B64URL);
      if (headless && cur.code === 200) {
        const pref = ORIGIN + cur.path;
        const sub = (dt: number, path: string, dest: Dest, ct: string): void => emit(g, t + dt, actor, 'bot', 'GET', path, ip, browserHeaders(b, dest, { referer: pref, cookie: sid ? `${C_SID}=${sid}` : undefined }, g.ja4On), 200, ct);
        if (!cached.has('core')) { cached.add('core'); sub(40, `/assets/app.${s.hash.css}.css`, 'style', CT.css); sub(45, `/assets/vendor.${s.hash.vendor}.js`, 'script', CT.js); sub(50, `/assets/app.${s.hash.app}.js`, 'script', CT.js); }
        if (cur.type === 'event' && cur.ev) sub(rng.range(100, 300), `/api/v2/events/${cur.ev.id}/availability`, 'xhr', CT.json);
        else if (cur.type === 'listing') sub(rng.range(100, 300), `/api/v2/events?city=${cur.city}&page=1&size=24`, 'xhr', CT.json);
        else if (cur.type === 'artist') sub(rng.range(100, 300), `/api/v2/artists/${cur.slug}/events`, 'xhr', CT.json);
      }
      // discover links
      if (cur.code === 200) {
        if (cur.type === 'home') {
          for (const c2 of s.cities) push({ path: `/events/${c2}`, code: 200, type: 'listing', city: c2 }, cur.path);
          for (let i = 0; i < 8; i++) { const e = pickEvent(rng, s); push({ path: `/e/${e.slug}`, code: 200, ev: e, type: 'event' }, cur.path); }
          for (const x of INFO) push({ path: x, code: 200, type: 'info' }, cur.path);
          for (const h of s.help.slice(0, 4)) push({ path: `/help/${h}`, code: 200, type: 'help' }, cur.path);
        } else if (cur.type === 'listing') {
          const city = cur.city ?? s.cities[0]!;
          const inCity = s.events.filter((e) => e.city === city);
          const pn = Number(/page=(\d+)/.exec(cur.path)?.[1] ?? '1');
          for (const e of inCity.slice((pn - 1) * 24, pn * 24)) push({ path: `/e/${e.slug}`, code: 200, ev: e, type: 'event' }, cur.path);
          if (pn * 24 < inCity.length) push({ path: `/events/${city}?page=${pn + 1}`, code: 200, type: 'listing', city }, cur.path);
          if (facets && pn === 1 && !cur.path.includes('?')) {
            for (const gn of s.genres) push({ path: `/events/${city}?genre=${gn}`, code: 200, type: 'listing', city }, cur.path);
            for (const w of ['today', 'this-weekend', 'next-7-days', 'this-month']) push({ path: `/events/${city}?when=${w}`, code: 200, type: 'listing', city }, cur.path);
          }
        } else if (cur.type === 'event' && cur.ev) {
          push({ path: `/artists/${cur.ev.artist}`, code: 200, type: 'artist', slug: cur.ev.artist }, cur.path);
          push({ path: `/venues/${cur.ev.venue}`, code: 200, type: 'venue', slug: cur.ev.venue }, cur.path);
          if (rng.chance(0.03)) { const d = rng.pick(s.dead); push({ path: `/e/${d.slug}`, code: 404, type: 'notfound' }, cur.path); }
        } else if (cur.type === 'artist' || cur.type === 'venue') {
          const evs = s.events.filter((e) => (cur.type === 'artist' ? e.artist : e.venue) === cur.slug).slice(0, 10);
          for (const e of evs) push({ path: `/e/${e.slug}`, code: 200, ev: e, type: 'event' }, cur.path);
        }
      }
      t += Math.max(120, rng.exp(MIN / rate) * rng.range(0.7, 1.3));
    }
    desc.push(`${actor}: ${headless ? 'headless' : 'http'} ${Math.round(rate)}/min pages=${pages} cookies=${keep} referer=${chain} robots=${robots} facets=${facets} ja4=${imitate ? 'browser' : tool.name} ua=${b.ua}`);
  }
  Object.assign(g.params, { crawlers: nc, crawlerDetail: desc.join(' | ') });
  return [start, end];
}

function distributedSurge(g: Gen, rng: Rng): [number, number] {
  const s = g.site;
  const start = g.warmupMs + rng.range(2, 6) * MIN;
  const end = Math.min(start + rng.range(2, 8) * MIN, g.endMs - 15 * SEC);
  const nIps = rng.int(300, 1500);
  const hot = rng.pick(s.hot);
  const route = rng.weighted([['availability-api', 35], ['search-api', 20], ['event-page', 30], ['home-page', 15]] as const);
  const term = rng.pick(s.terms);
  const basePath = route === 'availability-api' ? `/api/v2/events/${hot.id}/availability` : route === 'search-api' ? `/api/v2/search?q=${q(term)}&page=1`
    : route === 'event-page' ? `/e/${hot.slug}` : '/';
  const api = route.endsWith('api');
  const uaMix = rng.weighted([['automation', 35], ['browser-rotation', 35], ['mixed', 30]] as const);
  const buster = rng.chance(0.4);
  const tools = rng.shuffle(TOOLS.slice()).slice(0, rng.int(1, 3));
  const dcShare = rng.range(0.1, 0.6);
  let n = 0;
  for (let i = 0; i < nIps; i++) {
    const ip = rng.chance(dcShare) ? datacenterIp(g, rng) : rng.chance(0.6) ? g.ips.v4Any(rng) : residentialIp(g, rng, 0.02, 0.08);
    const actor = `surge-${i + 1}`;
    const x = rng.u();
    let t = start + (end - start) * (x < 0.15 ? x * 2 : x);
    const reqs = rng.int(2, 8);
    const spread = rng.range(3, 30) * SEC;
    const asBrowser = uaMix === 'browser-rotation' || (uaMix === 'mixed' && rng.chance(0.5));
    const b = asBrowser ? forgeJa4(botBrowser(g, rng, 0.3), rng.chance(0.4), rng.pick(tools)) : null;
    const tool = rng.pick(tools);
    for (let j = 0; j < reqs; j++) {
      const path = buster ? `${basePath}${basePath.includes('?') ? '&' : '?'}${rng.pick(['_', 'cb', 'v'])}=${rng.digits(rng.int(6, 13))}` : basePath;
      const h = b ? botHeaders(g, b, rng.chance(0.5) ? 'full' : 'partial', api ? 'xhr' : 'document', { site: 'none', user: true, referer: api ? ORIGIN + `/e/${hot.slug}` : undefined })
        : toolHeaders(tool, api ? { accept: 'application/json' } : {}, g.ja4On);
      emit(g, t, actor, 'bot', 'GET', path, ip, h, 200, api ? CT.json : CT.html);
      n++;
      t += (spread / reqs) * rng.range(0.3, 1.7);
    }
  }
  Object.assign(g.params, { surgeIps: nIps, surgeRequests: n, surgeRoute: basePath, surgeUa: uaMix, surgeTools: tools.map((t) => t.name).join(','), surgeCacheBuster: buster,
    surgeDatacenterShare: round2(dcShare), surgeMinutes: round2((end - start) / MIN) });
  return [start, end];
}

const PROBES: readonly (readonly [string, number])[] = [
  ['/.env', 404], ['/.env.production', 404], ['/.git/config', 404], ['/.git/HEAD', 404], ['/wp-login.php', 404], ['/wp-admin/', 404],
  ['/xmlrpc.php', 404], ['/phpmyadmin/', 404], ['/admin', 404], ['/admin/login', 404], ['/administrator/', 404], ['/api/v1/users', 404],
  ['/api/v2/users', 404], ['/api/v2/admin/users', 403], ['/api/v2/internal/health', 404], ['/actuator/health', 404], ['/actuator/env', 404],
  ['/server-status', 404], ['/config.json', 404], ['/backup.zip', 404], ['/db.sql', 404], ['/.DS_Store', 404], ['/swagger.json', 404],
  ['/api/v2/openapi.json', 404], ['/graphql', 404], ['/console', 404], ['/debug/pprof/', 404], ['/.aws/credentials', 404],
  ['/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php', 404], ['/cgi-bin/luci', 404], ['/sitemap.xml', 200], ['/robots.txt', 200],
  ['/api/v2/events?size=10000', 400], ['/e/..%2f..%2fetc%2fpasswd', 400], ['/account/signin?next=%2F%2Fevil.example', 200],
  ['/api/v2/me/tickets', 401], ['/api/v2/me/orders', 401], ['/api/v2/cart', 200], ['/assets/app.js.map', 404], ['/checkout', 302],
  ['/tickets/export.csv', 404], ['/api/partner/v1/events', 401], ['/api/v2/app/config', 401], ['/.well-known/security.txt', 404],
  ['/static/../package.json', 400], ['/api/v2/debug', 404], ['/test', 404], ['/old', 404], ['/staging', 404], ['/api/v2/orders', 401],
];

function lowAndSlow(g: Gen, rng: Rng): [number, number] {
  const s = g.site;
  const start = g.warmupMs + rng.range(0, 60) * SEC;
  const end = g.endMs;
  const n = rng.int(2, 6);
  const uaMode = rng.weighted([['browser-rotating', 40], ['browser-fixed', 35], ['automation', 25]] as const);
  const session = rng.chance(0.5) ? 'none' : 'throwaway';
  const tool = rng.pick(TOOLS);
  const uas: Browser[] = [];
  for (let i = 0; i < 8; i++) uas.push(botBrowser(g, rng, 0.2));
  const dc = rng.chance(0.5);
  let total = 0;
  const intervals: number[] = [];
  for (let i = 0; i < n; i++) {
    const ip = dc ? datacenterIp(g, rng) : residentialIp(g, rng, 0, 0.1);
    const actor = `slow-${i + 1}`;
    const every = rng.range(5, 30) * SEC;
    intervals.push(Math.round(every / SEC));
    const fixed = rng.pick(uas);
    const probes = rng.shuffle(PROBES.slice());
    let pi = 0;
    let enumId = s.idMin + rng.int(0, 3000);
    let sid: string | undefined;
    let sidLeft = 0;
    let t = start + rng.range(0, every);
    while (t < end) {
      const r = rng.u();
      let path: string;
      let code: number;
      let method = 'GET';
      if (r < 0.55) { const p = probes[pi++ % probes.length]!; path = p[0]; code = p[1]; }
      else if (r < 0.8) { const id = enumId++; const hit = s.ids.has(id); path = rng.chance(0.5) ? `/api/v2/events/${id}` : `/e/event-${id}`; code = hit && path.startsWith('/api') ? 200 : 404; }
      else if (r < 0.9) { path = `/api/v2/orders/${rng.str(10, '0123456789ABCDEFGHJKLMNPQRSTUVWXYZ')}`; code = 401; }
      else { const e = pickEvent(rng, s); path = rng.chance(0.5) ? `/e/${e.slug}` : `/events/${e.city}`; code = 200; }
      const m = rng.u();
      if (m < 0.08) method = 'HEAD';
      else if (m < 0.12) { method = 'POST'; path = rng.pick(['/account/signin', '/api/v2/auth/token', '/api/v2/orders', '/graphql']); code = path === '/graphql' ? 404 : 401; }
      else if (m < 0.14) { method = 'OPTIONS'; code = 204; }
      if (session === 'throwaway' && sidLeft <= 0) { sid = undefined; sidLeft = rng.int(2, 6); }
      const cookie = session === 'throwaway' && sid ? `${C_SID}=${sid}` : undefined;
      let h: Headers;
      if (uaMode === 'automation') h = toolHeaders(tool, cookie ? { cookie } : {}, g.ja4On);
      else {
        const b = uaMode === 'browser-rotating' ? rng.pick(uas) : fixed;
        h = botHeaders(g, b, 'partial', method === 'POST' ? 'form' : 'document', { cookie });
      }
      emit(g, t, actor, 'bot', method, path, ip, h, code, code === 204 ? undefined : path.startsWith('/api/') ? CT.json : path.endsWith('.txt') ? CT.text : path.endsWith('.xml') ? CT.xml : CT.html);
      total++;
      if (session === 'throwaway') { if (!sid) sid = rng.str(32, B64URL); sidLeft--; }
      t += every * rng.range(0.5, 1.5);
    }
  }
  Object.assign(g.params, { slowIps: n, slowIntervalsS: intervals.join(','), slowUa: uaMode === 'automation' ? tool.ua : uaMode, slowSession: session,
    slowIpKind: dc ? 'datacenter' : 'residential', slowRequests: total });
  return [start, end];
}

// ───────────────────────────── entry point ─────────────────────────────

export function generateScenarioB(name: ScenarioName, seed: number, opts?: { measuredMs?: number; warmupMs?: number }): Scenario {
  const measuredMs = opts?.measuredMs ?? 20 * MIN;
  const warmupMs = name === 'burst-cold' ? 0 : (opts?.warmupMs ?? 30 * MIN);
  const endMs = warmupMs + measuredMs;
  const world = new Rng(`traffic-b/world/${seed}`);
  const g: Gen = {
    name, seed, endMs, warmupMs, events: [], site: buildSite(world.fork('site')), pop: undefined as unknown as Pop, ips: new Ips(),
    ja4On: world.chance(0.5), params: { model: 'B', site: 'encore-tickets' }, nextId: new Map(), stats: { sessions: 0, campaignVisitors: 0, appSessions: 0 },
  };
  g.pop = buildPop(g, world.fork('pop'));
  const pop = g.pop;
  Object.assign(g.params, {
    ja4Passed: g.ja4On, chromeMajor: pop.v.chrome, browserSessionsPerMin: round2(pop.browserRate), appSessionsPerMin: round2(pop.appRate),
    mobileShare: round2(pop.mobileShare), officeShareOfDesktop: round2(pop.officeShare), offices: pop.offices.length, carriers: pop.carriers.length,
    carrierNatAddresses: pop.carriers.reduce((a, c) => a + c.v4.length, 0), cookieBlockers: round2(pop.cookieBlock), returningShare: round2(pop.returning),
    meAnonymous401: pop.meAnon401, catalogueEvents: g.site.events.length,
  });
  people(g, new Rng(`traffic-b/people/${seed}/${warmupMs}/${measuredMs}`));
  const nPeopleEvents = g.events.length;
  const arng = new Rng(`traffic-b/attack/${name}/${seed}`);
  let win: [number, number] | null = null;
  switch (name) {
    case 'people': break;
    case 'campaign': win = campaign(g, arng); break;
    case 'burst-cold': win = burst(g, arng, true); break;
    case 'burst-warm': win = burst(g, arng, false); break;
    case 'residential-proxy': win = residentialProxy(g, arng); break;
    case 'credential-stuffing': win = credentialStuffing(g, arng); break;
    case 'token-abuse': win = tokenAbuse(g, arng); break;
    case 'crawler': win = crawler(g, arng); break;
    case 'distributed-surge': win = distributedSurge(g, arng); break;
    case 'low-and-slow': win = lowAndSlow(g, arng); break;
  }
  const events = g.events.slice().sort((a, b) => a.at - b.at || a.seq - b.seq);
  let heads = 0, benign = 0;
  const actors = new Set<string>();
  for (const e of events) {
    if (e.kind === 'bot') continue;
    benign++;
    if (e.method === 'HEAD') heads++;
    if (e.kind === 'person' && e.at >= warmupMs) actors.add(e.actor);
  }
  Object.assign(g.params, {
    peopleSessions: g.stats.sessions, appSessions: g.stats.appSessions, peopleEvents: nPeopleEvents, headShareNonBot: round2((100 * heads) / Math.max(1, benign)) + '%',
    peopleActorsMeasured: actors.size, scenarioEvents: g.events.length - nPeopleEvents,
  });
  return {
    name, seed, events, warmupMs, endMs,
    attackStartMs: win ? Math.round(win[0]) : null,
    attackEndMs: win ? Math.round(win[1]) : null,
    params: g.params,
  };
}
