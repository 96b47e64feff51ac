/**
 * Traffic models of the bot-detection simulator (simulator.ts runs them): people, with their own surges, and
 * the attacks, every parameter drawn per seed from a seeded PRNG (the same seed gives the same traffic).
 *
 * People: browser visitors on residential addresses, behind office NATs (colleagues share one address and
 * often one browser build) and behind a mobile carrier's NAT (a few addresses for many phones); journeys of
 * pages with think times and the page's API calls, cookies returned after the first response (some people
 * come back with a cookie from an earlier visit, a few block cookies), HEAD cache checks, 404s, failed logins;
 * the shop's mobile app on one shared API key; a partner integration on its own key.
 *
 * Scenarios (each on top of the people):
 *   people               nothing else
 *   campaign             a marketing spike: many first-time visitors on one landing page, most browse on
 *   burst-cold           one address, hundreds to thousands of requests a minute, right after a cold start
 *   burst-warm           the same on a server that has learned its population
 *   residential-proxy    thousands of addresses, 1-3 requests each, browser headers, cookies never returned
 *   credential-stuffing  hundreds of addresses, a few POST /login each, browser headers, 401s
 *   token-abuse          one API token (the partner's or the app's) used from many addresses
 *   crawler              GET-only crawlers with browser user agents
 *   distributed-surge    hundreds of addresses hammering one route a few times each
 *   low-and-slow         a few addresses, one request every 8-30 s, fresh or no session, many 404s
 * The two burst scenarios alternate between an automation user agent (even seeds) and a real Chrome (odd).
 */

export const SCENARIOS = [
  'people',
  'campaign',
  'burst-cold',
  'burst-warm',
  'residential-proxy',
  'credential-stuffing',
  'token-abuse',
  'crawler',
  'distributed-surge',
  'low-and-slow',
] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

export const HOST = 'shop.example.com';
export const APP_KEY = 'sim-mobile-app-key-0001';
export const PARTNER_KEY = 'sim-partner-key-0002';
export const MIN = 60_000;
const CATALOG = 800;

// ---- deterministic randomness ----------------------------------------------------------------------------

/** sfc32 seeded through splitmix32: small, fast, good enough for traffic. */
export class Rng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;
  constructor(seed: number) {
    let s = seed >>> 0;
    const mix = () => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.#a = mix();
    this.#b = mix();
    this.#c = mix();
    this.#d = mix();
    for (let i = 0; i < 12; i++) this.next();
  }
  next(): number {
    const t = (((this.#a + this.#b) >>> 0) + this.#d) >>> 0;
    this.#d = (this.#d + 1) >>> 0;
    this.#a = this.#b ^ (this.#b >>> 9);
    this.#b = (this.#c + (this.#c << 3)) >>> 0;
    this.#c = ((this.#c << 21) | (this.#c >>> 11)) >>> 0;
    this.#c = (this.#c + t) >>> 0;
    return t / 4294967296;
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  uniform(lo: number, hi: number): number {
    return lo + this.next() * (hi - lo);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.next() * xs.length)] as T;
  }
  exp(mean: number): number {
    return -Math.log(1 - this.next()) * mean;
  }
  hex(n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += '0123456789abcdef'[Math.floor(this.next() * 16)];
    return s;
  }
}

// ---- clients ----------------------------------------------------------------------------------------------

/** A browser build: its user agent and the headers it always sends. */
interface Browser {
  ua: string;
  chromium: boolean;
  mobile: boolean;
  platform: string;
}

const BROWSERS: readonly Browser[] = [
  { ua: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36', chromium: true, mobile: false, platform: '"Windows"' },
  { ua: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36', chromium: true, mobile: false, platform: '"Windows"' },
  { ua: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36', chromium: true, mobile: false, platform: '"macOS"' },
  { ua: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Safari/605.1.15', chromium: false, mobile: false, platform: '' },
  { ua: 'Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0', chromium: false, mobile: false, platform: '' },
  { ua: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0', chromium: false, mobile: false, platform: '' },
  { ua: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0', chromium: true, mobile: false, platform: '"Windows"' },
];
const MOBILE_BROWSERS: readonly Browser[] = [
  { ua: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1', chromium: false, mobile: true, platform: '' },
  { ua: 'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1', chromium: false, mobile: true, platform: '' },
  { ua: 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36', chromium: true, mobile: true, platform: '"Android"' },
  { ua: 'Mozilla/5.0 (Linux; Android 13; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Mobile Safari/537.36', chromium: true, mobile: true, platform: '"Android"' },
];
const AUTOMATION_UAS = ['python-requests/2.32.3', 'Go-http-client/2.0', 'curl/8.5.0', 'aiohttp/3.10.5', 'Scrapy/2.11.2 (+https://scrapy.org)', 'Java/17.0.2'];
const LANGS = ['en-GB,en;q=0.9', 'en-US,en;q=0.9', 'de-DE,de;q=0.9,en;q=0.8', 'fr-FR,fr;q=0.9', 'es-ES,es;q=0.9,en;q=0.7', 'nl-NL,nl;q=0.9,en;q=0.8', 'it-IT,it;q=0.9'];
const WORDS = ['shoes', 'jacket', 'lamp', 'desk', 'socks', 'kettle', 'phone case', 'backpack', 'mug', 'charger', 'scarf', 'chair'];
const HTML_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8';
const CATEGORIES = ['home', 'garden', 'kitchen', 'outdoor', 'office', 'kids', 'sale'];

type RequestKind = 'navigate' | 'api' | 'head';

/** The headers a browser sends for one kind of request. */
function browserHeaders(b: Browser, lang: string, kind: RequestKind): Record<string, string> {
  const h: Record<string, string> = { 'user-agent': b.ua, 'accept-language': lang, 'accept-encoding': b.chromium ? 'gzip, deflate, br, zstd' : 'gzip, deflate, br' };
  if (b.chromium) {
    h['sec-ch-ua'] = '"Chromium";v="131", "Not_A Brand";v="24"';
    h['sec-ch-ua-mobile'] = b.mobile ? '?1' : '?0';
    h['sec-ch-ua-platform'] = b.platform;
  }
  if (kind === 'navigate') {
    h['accept'] = HTML_ACCEPT;
    h['sec-fetch-mode'] = 'navigate';
    h['sec-fetch-dest'] = 'document';
    h['sec-fetch-site'] = 'same-origin';
    h['upgrade-insecure-requests'] = '1';
  } else if (kind === 'api') {
    h['accept'] = 'application/json';
    h['sec-fetch-mode'] = 'cors';
    h['sec-fetch-dest'] = 'empty';
    h['sec-fetch-site'] = 'same-origin';
  } else {
    h['accept'] = 'image/avif,image/webp,*/*';
    h['sec-fetch-mode'] = 'no-cors';
    h['sec-fetch-dest'] = 'image';
    h['sec-fetch-site'] = 'same-origin';
  }
  return h;
}

/** Headers of an HTTP library dressed as a browser: the user agent and a few accept headers, no sec-* ones. */
function dressedHeaders(rng: Rng, ua: string, kind: RequestKind, lang: string | null): Record<string, string> {
  const h: Record<string, string> = { 'user-agent': ua, accept: kind === 'navigate' ? HTML_ACCEPT : 'application/json' };
  if (lang) h['accept-language'] = lang;
  if (rng.chance(0.6)) h['accept-encoding'] = 'gzip, deflate, br';
  return h;
}

// ---- events -----------------------------------------------------------------------------------------------

/** Who sent a request: a person (part of the normal population), a campaign visitor, or a bot. */
export type ActorKind = 'person' | 'campaign' | 'bot';

/** One simulated request, in simulated time (ms from the start of the run). */
export interface SimEvent {
  at: number;
  seq: number;
  actor: string;
  kind: ActorKind;
  method: string;
  path: string;
  ip: string;
  headers: Record<string, string>;
  /** What the upstream answers when Palisade allows the request. */
  code: number;
  /** The content type of that answer, where the model says (else JSON under /api/, pages elsewhere). */
  contentType?: string;
}

/** A generated run: its events and when each part happens. */
export interface Scenario {
  name: ScenarioName;
  seed: number;
  events: SimEvent[];
  /** People-only time before the measured window (the server learns its population); 0 = cold start. */
  warmupMs: number;
  /** End of the run. */
  endMs: number;
  /** The attack (or campaign), absolute times in the run; null for `people`. */
  attackStartMs: number | null;
  attackEndMs: number | null;
  /** The drawn parameters, for the report. */
  params: Record<string, string | number | boolean>;
}

interface Builder {
  rng: Rng;
  events: SimEvent[];
  endMs: number;
  /** The proxy passes the TLS client fingerprint (JA4) as a header. */
  tls: boolean;
  /** Bots that send a browser's headers also imitate its TLS handshake. */
  impersonate: boolean;
  /** Traffic variants beyond the drawn parameters (see TRAFFIC_VARIANTS). */
  variants: ReadonlySet<TrafficVariant>;
}

/**
 * Variants of the traffic models, to check that the detectors do not fit the drawn parameters:
 *   exact-mimicry  token abusers copy the app's whole header set (user agent versions, language, encoding);
 *                  residential proxies and surges always wear the people's own browsers and languages
 *   slow-crowds    residential proxies and surges spread over twice the addresses at half the pace each
 *   spread-builds  residential proxies and surges wear the people's browsers and languages, each address with a
 *                  build number of its own in its user agent: every client fingerprint is the crowd's only one
 *   junk-tokens    the same with a made-up word instead of a build number (`Windows NT 10.0; Win64; x64; qzfhtw`):
 *                  no version to strip, still one client fingerprint per address
 *   static-pages   the people's pages bring no API calls (a server-rendered site): only their own API steps, HEADs
 *                  and form posts are not page loads (changes the people, not the attacks)
 *   diluted-failures  credential stuffers load the login page 1-4 times (200) before every try, so that the
 *                  path's failing share falls while their tries fail as before
 *   heavy-decoys   the same with 5-8 page loads before every try: each stuffer's session then fails less often than
 *                  one request in five, where a session stops counting as a failing one (a person's line)
 *   decoy-logins   credential stuffers log into an account of their own (a success, 200) after every one to three
 *                  failed tries, so that no session's writes mostly fail (combine with heavy-decoys for page loads too)
 *   ramped-crowds  token abusers' addresses join ever faster instead of at an even pace (the crowd grows
 *                  steadily from one address), so that what the token learns early could carry what comes later
 *   gentle-rates   bursts at 60-150 requests a minute (300-1500 of them), crawlers at 15-40 pages a minute each
 *   returning-proxies  each residential-proxy address returns one session cookie on its requests after the first
 *   thin-stuffing  four times the stuffing addresses, one or two tries each
 *   thin-token-crowds  four times the token's addresses, each at a tenth of the rate
 *   returning-surges  each address of a distributed surge returns one session cookie after its first request
 *   plain-headers  every request, people's and bots', without fetch metadata or client hints and with `accept: *\/*`
 *                  (nothing tells a page load from an API call; changes the people too)
 *   navigate-landings  each address of a distributed surge sends its first request with a page load's headers
 *                  (fetch metadata of a navigation, `accept: text/html...`), whatever the route (with returning-surges:
 *                  a crowd that keeps its cookie and dresses its landing as a browser's visit)
 *   double-landings  each address of a distributed surge sends its first two requests without the cookie (with
 *                  returning-surges: a crowd that lands twice before it keeps the cookie, as a person who blocks
 *                  cookies lands with every request)
 *   untyped-responses  the proxy logs no response content type (no additional_response_headers_to_log), so that
 *                  whether a route serves pages is learned from people's requests alone (changes no request)
 *   no-access-log  the proxy sends no access log at all (changes no request): no response code or content type
 *                  reaches the detectors, only the Checks
 *   rotating-network  bursts send every request from an address of their own block, drawn at random: an IPv4 /24 or
 *                  an IPv6 /48 (a /64 of it per request, as a host given a /48 can): no address holds more than a few
 *                  requests, whatever the burst's size
 *   shifting-fingerprints  bursts send every request with a language list of their own, and an x-ja4 header of their
 *                  own where the proxy passes none (automation bursts also pick their user agent per request): a
 *                  source (address + fingerprint) never holds more than a request or two, whatever the burst's size
 *   navigate-all   each address of a distributed surge sends every request with a page load's headers, its returns
 *                  with the cookie included (with returning-surges: a crowd that teaches an API route that people's
 *                  sessions load pages there, so that its dressed landings pass as page loads)
 *   early-attack   the attack starts in the first 30 s of the measured window instead of minutes into it (with
 *                  `--warmup-min 0`: an attack that is there from the server's first seconds, with the people)
 *   page-first-proxies  each residential-proxy address loads a page first, then makes its other requests as that
 *                  page's API calls (availability, recommendations) within seconds, never with a cookie: a person who
 *                  blocks cookies does the same, so that the calls count as repeat landings of one address
 *   dressed-calls  each address of a distributed surge on an API route, and each residential-proxy address's calls
 *                  after its page (page-first-proxies), sends its calls as a page's images (an image's fetch metadata, a
 *                  `.png` file name: `/api/availability.png?sku=`, `/api/products/17.png`), which its upstream routes to
 *                  the resource and answers with data, as one that routes a file extension to the resource without it,
 *                  or a path parameter that takes any word, does (other routes: unchanged)
 *   ramped-surges  the distributed surge's crowd is there from the server's first second, its addresses arriving
 *                  ever faster (doubling every 45-90 minutes) up to the attack's own pace when it starts: a crowd that
 *                  teaches its route's learned rate as it grows, never a significant surge over the last hours (run
 *                  with a long `--warmup-min`)
 *   headless-crawlers  crawlers render each page in a real browser: every page brings what a person's page brings
 *                  (its API calls, drawn as the people's are, and now and then an image's HEAD), with the page's
 *                  own fetch metadata
 */
export const TRAFFIC_VARIANTS = ['rotating-network', 'shifting-fingerprints', 'exact-mimicry', 'slow-crowds', 'spread-builds', 'junk-tokens', 'static-pages', 'diluted-failures', 'heavy-decoys', 'decoy-logins', 'ramped-crowds', 'gentle-rates', 'returning-proxies', 'thin-stuffing', 'thin-token-crowds', 'returning-surges', 'plain-headers', 'navigate-landings', 'double-landings', 'navigate-all', 'untyped-responses', 'no-access-log', 'early-attack', 'headless-crawlers', 'page-first-proxies', 'dressed-calls', 'ramped-surges'] as const;
export type TrafficVariant = (typeof TRAFFIC_VARIANTS)[number];

/** Representative JA4 fingerprints of client stacks (what the proxy would pass as x-ja4). */
const JA4 = {
  chrome: 't13d1516h2_8daaf6152771_02713d6af862',
  firefox: 't13d1715h2_5b57614c22b0_5c2c66f702b0',
  safari: 't13d2014h2_a09f3c656075_14788d8d241b',
  okhttp: 't13d1812h2_e8a523a41297_e5627efa2ab1',
  java: 't13d3113h2_e8f1e7e78f70_b26ce05bbdd6',
  python: 't13d1812h1_85036bcba153_b26ce05bbdd6',
  go: 't13d1310h2_e8a523a41297_45f260be83e2',
  curl: 't13d3112h2_e8f1e7e78f70_6bebaf5329ac',
};

function ja4Of(e: Omit<SimEvent, 'seq'>, impersonate: boolean): string {
  const ua = e.headers['user-agent'] ?? '';
  if (ua.includes('okhttp')) return JA4.okhttp;
  if (ua.startsWith('AcmeCatalogSync') || ua.startsWith('Java')) return JA4.java;
  if (ua.startsWith('Go-http')) return JA4.go;
  if (ua.startsWith('curl')) return JA4.curl;
  if (!ua.startsWith('Mozilla/')) return JA4.python;
  // A browser's own handshake: people, and bots driving a real browser or imitating its handshake.
  if ((e.kind !== 'bot' || impersonate) && 'sec-fetch-mode' in e.headers) return ua.includes('Firefox') ? JA4.firefox : ua.includes('Chrome') ? JA4.chrome : JA4.safari;
  return [JA4.python, JA4.go, JA4.curl][e.actor.length % 3]!;
}

function emit(b: Builder, e: Omit<SimEvent, 'seq'>): void {
  if (!(e.at >= 0 && e.at < b.endMs)) return;
  // Where the proxy passes the handshake's JA4 it replaces any the client sent; elsewhere a client's own reaches the
  // detectors (shifting-fingerprints).
  let headers = b.tls ? { ...e.headers, 'x-ja4': ja4Of(e, b.impersonate) } : e.headers;
  if (b.variants.has('plain-headers')) headers = plainHeaders(headers);
  b.events.push({ ...e, headers, seq: b.events.length });
}

/**
 * A request's headers without fetch metadata or client hints, and with `accept: *\/*` where a browser would send one
 * (variant plain-headers): what a traffic model written with an HTTP library and a browser's user agent sends.
 */
function plainHeaders(h: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (!k.startsWith('sec-fetch-') && !k.startsWith('sec-ch-ua') && k !== 'upgrade-insecure-requests') out[k] = v;
  if ('accept' in out) out['accept'] = '*/*';
  return out;
}

/** The browser with a build number of its own (variant spread-builds): one client fingerprint per address. */
function ownBuild(rng: Rng, b: Browser): Browser {
  return { ...b, ua: b.ua.replace(/(Chrome|Firefox|Version)\/(\d+)\.[\d.]+/, (_m, name: string, major: string) => `${name}/${major}.${rng.int(0, 9)}.${rng.int(1000, 9999)}.${rng.int(10, 250)}`) };
}

/** The browser with a made-up word in its user agent's comment (variant junk-tokens): one fingerprint per address. */
function ownJunk(rng: Rng, b: Browser): Browser {
  const word = Array.from({ length: rng.int(4, 9) }, () => String.fromCharCode(97 + rng.int(0, 25))).join('');
  return { ...b, ua: b.ua.replace(/\(([^)]*)\)/, (_m, inner: string) => `(${inner}; ${word})`) };
}

/** Variants under which residential proxies and surges wear the people's own browsers and languages. */
function wearsPeoples(b: Builder): boolean {
  return b.variants.has('exact-mimicry') || b.variants.has('spread-builds') || b.variants.has('junk-tokens');
}

/** The user agent a crowd address wears under the spreading variants. */
function spread(rng: Rng, b: Builder, worn: Browser): Browser {
  return b.variants.has('spread-builds') ? ownBuild(rng, worn) : b.variants.has('junk-tokens') ? ownJunk(rng, worn) : worn;
}

function residentialIp(rng: Rng): string {
  return `${rng.pick([31, 46, 78, 81, 86, 92, 109, 151, 176, 188, 212, 217])}.${rng.int(0, 255)}.${rng.int(0, 255)}.${rng.int(1, 254)}`;
}

function productId(rng: Rng): number {
  // Popular products first (a rough Zipf).
  return Math.min(CATALOG, 1 + Math.floor(rng.exp(70)));
}

/** The population of one run: who shares what address. */
interface Population {
  arrivalsPerMin: number;
  appPerMin: number;
  offices: Array<{ ips: string[]; browser: Browser; lang: string }>;
  carrier: string[];
  officeShare: number;
  mobileShare: number;
  blockerShare: number;
  revisitShare: number;
  thinkMs: number;
  spaShare: number;
  missingShare: number;
  loginFailShare: number;
  headShare: number;
}

function drawPopulation(rng: Rng): Population {
  const carrier = Array.from({ length: rng.int(2, 6) }, () => `100.${rng.int(64, 127)}.${rng.int(0, 255)}.${rng.int(1, 254)}`);
  const offices = Array.from({ length: rng.int(2, 5) }, () => ({
    ips: Array.from({ length: rng.int(1, 2) }, () => `${rng.pick([62, 80, 145, 194])}.${rng.int(0, 255)}.${rng.int(0, 255)}.${rng.int(1, 254)}`),
    browser: rng.pick(BROWSERS),
    lang: rng.pick(LANGS),
  }));
  return {
    arrivalsPerMin: rng.uniform(6, 18),
    appPerMin: rng.uniform(1, 4),
    offices,
    carrier,
    officeShare: rng.uniform(0.08, 0.2),
    mobileShare: rng.uniform(0.15, 0.35),
    blockerShare: rng.uniform(0, 0.01),
    revisitShare: rng.uniform(0.15, 0.35),
    thinkMs: rng.uniform(7000, 20000),
    spaShare: rng.uniform(0.2, 0.6),
    missingShare: rng.uniform(0.01, 0.04),
    loginFailShare: rng.uniform(0.08, 0.2),
    headShare: rng.uniform(0.03, 0.08),
  };
}

/** A person in a browser: a journey of pages (and their API calls), sometimes a login, sometimes a later visit. */
/**
 * What a rendered page loads right after it, drawn as the people's pages do: its API calls (on the share of pages
 * that make them), and now and then an image's HEAD, each with its delay after the page.
 */
function pageSubrequests(rng: Rng, pop: Population): { afterMs: number; method: string; path: string; kind: RequestKind }[] {
  const subs: { afterMs: number; method: string; path: string; kind: RequestKind }[] = [];
  if (rng.chance(pop.spaShare)) {
    for (let n = rng.int(1, 4); n > 0; n--) {
      const afterMs = rng.int(80, 900);
      const r = rng.next();
      subs.push({ afterMs, method: 'GET', path: r < 0.5 ? `/api/availability?sku=${productId(rng)}` : r < 0.8 ? `/api/recommendations?for=${productId(rng)}` : '/api/cart', kind: 'api' });
    }
  }
  if (rng.chance(pop.headShare * 3)) {
    const afterMs = rng.int(50, 400);
    subs.push({ afterMs, method: 'HEAD', path: `/products/${productId(rng)}/image`, kind: 'head' });
  }
  return subs;
}

function browserVisitor(b: Builder, pop: Population, actor: string, kind: ActorKind, arrival: number, landing?: { path: string; bounce: number }): void {
  const { rng } = b;
  let ip: string;
  let browser: Browser;
  let lang = rng.pick(LANGS);
  const where = rng.next();
  if (where < pop.officeShare) {
    const office = rng.pick(pop.offices);
    ip = rng.pick(office.ips);
    browser = rng.chance(0.7) ? office.browser : rng.pick(BROWSERS);
    if (rng.chance(0.7)) lang = office.lang;
  } else if (where < pop.officeShare + pop.mobileShare) {
    ip = rng.pick(pop.carrier);
    browser = rng.pick(MOBILE_BROWSERS);
  } else {
    ip = residentialIp(rng);
    browser = rng.chance(0.25) ? rng.pick(MOBILE_BROWSERS) : rng.pick(BROWSERS);
  }
  const mobileCarrier = where >= pop.officeShare && where < pop.officeShare + pop.mobileShare;
  const blocksCookies = rng.chance(pop.blockerShare);
  // Some people come back with the cookie of an earlier visit (never seen by this server).
  const session = `s${rng.hex(24)}`;
  let cookie = !blocksCookies && !landing && rng.chance(pop.revisitShare);
  let t = arrival;
  let loggedIn = false;
  // Variant static-pages: the pages' own API calls are drawn as usual (the rest of the run stays the same) but not sent.
  const staticPages = b.variants.has('static-pages');
  let pageCall = false;
  const req = (method: string, path: string, code: number, reqKind: RequestKind, extra: Record<string, string> = {}) => {
    if (pageCall && staticPages) return;
    const headers = { ...browserHeaders(browser, lang, reqKind), ...extra };
    if (cookie) headers['cookie'] = `session=${session}; consent=1`;
    emit(b, { at: t, actor, kind, method, path, ip, headers, code });
    cookie = !blocksCookies;
  };
  const think = () => {
    t += Math.max(700, rng.exp(pop.thinkMs));
    if (mobileCarrier && rng.chance(0.05)) ip = rng.pick(pop.carrier);
  };
  const page = (path: string, code = 200) => {
    req('GET', path, code, 'navigate');
    const base = t;
    let after = 0;
    for (const sub of pageSubrequests(rng, pop)) {
      t = base + sub.afterMs;
      pageCall = sub.kind === 'api';
      req(sub.method, sub.path, 200, sub.kind);
      // The image's HEAD moves the visit's clock on; the calls do not.
      if (sub.kind === 'head') after = sub.afterMs;
    }
    pageCall = false;
    t = base + after;
  };
  const step = () => {
    const r = rng.next();
    if (r < 0.34) {
      const missing = rng.chance(pop.missingShare);
      page(missing ? `/products/${rng.int(CATALOG + 1, 9000)}` : `/products/${productId(rng)}`, missing ? 404 : 200);
    } else if (r < 0.48) page(`/products?category=${rng.pick(CATEGORIES)}&page=${rng.int(1, 8)}`);
    else if (r < 0.58) page(`/search?q=${encodeURIComponent(rng.pick(WORDS))}`);
    else if (r < 0.66) req('GET', `/api/availability?sku=${productId(rng)}`, 200, 'api');
    else if (r < 0.72) req('GET', '/cart', 200, 'navigate');
    else if (r < 0.8) req('POST', '/cart/items', 201, 'api', { 'content-type': 'application/json', origin: `https://${HOST}` });
    else if (r < 0.88 && !loggedIn) {
      page('/login');
      think();
      while (rng.chance(pop.loginFailShare)) {
        req('POST', '/login', 401, 'navigate', { 'content-type': 'application/x-www-form-urlencoded', origin: `https://${HOST}` });
        think();
      }
      req('POST', '/login', 200, 'navigate', { 'content-type': 'application/x-www-form-urlencoded', origin: `https://${HOST}` });
      loggedIn = true;
    } else page(loggedIn ? '/account/orders' : '/');
  };
  if (landing) {
    page(landing.path);
    if (rng.chance(landing.bounce)) return;
  } else page(rng.pick(['/', '/', '/products', `/products/${productId(rng)}`, `/search?q=${encodeURIComponent(rng.pick(WORDS))}`, `/products?category=${rng.pick(CATEGORIES)}`]));
  const steps = rng.chance(0.15) ? 0 : rng.int(2, 14);
  for (let i = 0; i < steps; i++) {
    think();
    step();
  }
  if (rng.chance(0.3)) {
    t += rng.uniform(2 * MIN, 25 * MIN);
    const more = rng.int(1, 6);
    for (let i = 0; i < more; i++) {
      step();
      think();
    }
  }
}

/** The shop's mobile app: shared API key, no cookies, JSON only, a few HEAD cache checks. */
function appUser(b: Builder, pop: Population, actor: string, arrival: number): void {
  const { rng } = b;
  const ip = rng.chance(0.5) ? rng.pick(pop.carrier) : residentialIp(rng);
  const headers = { 'user-agent': `ShopApp/4.2.${rng.int(0, 9)} (Android ${rng.int(12, 15)}) okhttp/4.12.0`, accept: 'application/json', 'accept-language': rng.pick(LANGS), 'accept-encoding': 'gzip', 'x-api-key': APP_KEY };
  let t = arrival;
  const calls = rng.int(3, 30);
  for (let i = 0; i < calls; i++) {
    const r = rng.next();
    const id = productId(rng);
    if (r < pop.headShare) emit(b, { at: t, actor, kind: 'person', method: 'HEAD', path: `/api/products/${id}`, ip, headers, code: 200 });
    else if (r < 0.72) emit(b, { at: t, actor, kind: 'person', method: 'GET', path: `/api/products/${rng.chance(0.02) ? rng.int(CATALOG + 1, 9000) : id}`, ip, headers, code: rng.chance(0.02) ? 404 : 200 });
    else emit(b, { at: t, actor, kind: 'person', method: 'GET', path: `/api/availability?sku=${id}`, ip, headers, code: 200 });
    t += Math.max(300, rng.exp(5000));
  }
}

/** The partner's integration: its own key, one or two server addresses, a steady trickle all along. */
function partner(b: Builder, ips: string[]): void {
  const { rng } = b;
  const headers = { 'user-agent': 'AcmeCatalogSync/3.4 (+ops@acme.example)', accept: 'application/json', 'x-api-key': PARTNER_KEY };
  for (let t = rng.uniform(0, 20_000); t < b.endMs; t += rng.uniform(4000, 25_000)) {
    emit(b, { at: t, actor: 'partner', kind: 'person', method: 'GET', path: `/api/products/${productId(rng)}`, ip: rng.pick(ips), headers, code: 200 });
  }
}

function people(b: Builder, pop: Population, partnerIps: string[]): void {
  let n = 0;
  const { rng } = b;
  for (let t = rng.exp(MIN / pop.arrivalsPerMin); t < b.endMs; t += rng.exp(MIN / pop.arrivalsPerMin)) browserVisitor(b, pop, `person-${n++}`, 'person', t);
  for (let t = rng.exp(MIN / pop.appPerMin); t < b.endMs; t += rng.exp(MIN / pop.appPerMin)) appUser(b, pop, `app-${n++}`, t);
  partner(b, partnerIps);
}

// ---- attacks ----------------------------------------------------------------------------------------------

type Params = Record<string, string | number | boolean>;

function campaign(b: Builder, pop: Population, start: number, end: number, p: Params): void {
  const { rng } = b;
  const factor = rng.uniform(5, 20);
  const bounce = rng.uniform(0.3, 0.6);
  const slug = rng.pick(['spring-sale', 'black-friday', 'new-collection', 'free-shipping']);
  Object.assign(p, { campaignFactor: Number(factor.toFixed(1)), bounce: Number(bounce.toFixed(2)), landing: `/promo/${slug}` });
  let n = 0;
  const rate = pop.arrivalsPerMin * factor;
  for (let t = start + rng.exp(MIN / rate); t < end; t += rng.exp(MIN / rate)) {
    browserVisitor(b, pop, `campaign-${n++}`, 'campaign', t, { path: `/promo/${slug}?utm_source=${rng.pick(['newsletter', 'ads', 'social'])}&utm_campaign=${slug}`, bounce });
  }
}

function burst(b: Builder, start: number, p: Params, chrome: boolean): number {
  const { rng } = b;
  const ip = rng.chance(0.5) ? residentialIp(rng) : `${rng.pick([34, 35, 52, 104, 138, 167])}.${rng.int(0, 255)}.${rng.int(0, 255)}.${rng.int(1, 254)}`;
  const gentle = b.variants.has('gentle-rates');
  const perMin = gentle ? rng.uniform(60, 150) : rng.uniform(150, 3000);
  const total = gentle ? rng.int(300, 1500) : rng.int(300, 4000);
  const keeps = chrome && rng.chance(0.5);
  Object.assign(p, { userAgent: chrome ? 'Chrome' : 'automation', perMin: Math.round(perMin), requests: total, keepsCookie: keeps });
  const browser = BROWSERS[0]!;
  const ua = rng.pick(AUTOMATION_UAS);
  const lang = rng.pick(LANGS);
  const session = `s${rng.hex(24)}`;
  const shifting = b.variants.has('shifting-fingerprints');
  const rotating = b.variants.has('rotating-network');
  // Drawn only with the variant, so that the other runs' draws stay as they were.
  const v6 = rotating && rng.chance(0.5);
  const block = v6 ? `2001:db8:${rng.hex(4)}` : ip.slice(0, ip.lastIndexOf('.'));
  if (rotating) Object.assign(p, { rotating: v6 ? '/48' : '/24' });
  let t = start;
  for (let i = 0; i < total; i++) {
    const r = rng.next();
    const kind: RequestKind = r < 0.6 ? 'navigate' : 'api';
    const path = r < 0.45 ? `/products/${rng.int(1, CATALOG)}` : r < 0.6 ? `/products?category=${rng.pick(CATEGORIES)}&page=${rng.int(1, 40)}` : `/api/products/${rng.int(1, CATALOG)}`;
    const headers = chrome ? browserHeaders(browser, lang, kind) : { 'user-agent': shifting ? rng.pick(AUTOMATION_UAS) : ua, accept: rng.chance(0.5) ? '*/*' : 'application/json', 'accept-encoding': 'gzip, deflate' };
    if (shifting) {
      // A language list and a TLS fingerprint of its own with every request: no two requests share a source.
      headers['accept-language'] = `${rng.pick(['en', 'de', 'fr', 'es', 'it', 'nl', 'pt', 'pl', 'sv', 'ja'])}-${rng.hex(2).toUpperCase()},${rng.pick(['en', 'de', 'fr'])};q=0.${rng.int(1, 9)}`;
      headers['x-ja4'] = `t13d${rng.int(10, 40)}${rng.int(10, 20)}h2_${rng.hex(12)}_${rng.hex(12)}`;
    }
    if (keeps && i > 0) headers['cookie'] = `session=${session}`;
    const from = !rotating ? ip : v6 ? `${block}:${rng.hex(4)}::${rng.hex(4)}` : `${block}.${rng.int(1, 254)}`;
    emit(b, { at: t, actor: 'burst', kind: 'bot', method: 'GET', path, ip: from, headers, code: 200 });
    t += rng.exp(MIN / perMin);
  }
  return t;
}

function residentialProxy(b: Builder, start: number, end: number, p: Params): void {
  const { rng } = b;
  const slow = b.variants.has('slow-crowds') ? 2 : 1;
  const ips = rng.int(1000, 4000) * slow;
  const drawn = rng.pick(['people', 'narrow', 'dressed'] as const);
  const mimicry = wearsPeoples(b) ? 'people' : drawn;
  Object.assign(p, { addresses: ips, mimicry });
  const narrow = [rng.pick(BROWSERS), rng.pick(BROWSERS)];
  const narrowLang = rng.pick(LANGS);
  const returning = b.variants.has('returning-proxies');
  const pageFirst = b.variants.has('page-first-proxies');
  const dressedCalls = b.variants.has('dressed-calls');
  for (let i = 0; i < ips; i++) {
    const ip = residentialIp(rng);
    let t = rng.uniform(start, end);
    const n = rng.int(1, 3);
    const worn = mimicry === 'people' ? (rng.chance(0.3) ? rng.pick(MOBILE_BROWSERS) : rng.pick(BROWSERS)) : rng.pick(narrow);
    const browser = spread(rng, b, worn);
    const lang = mimicry === 'people' ? rng.pick(LANGS) : narrowLang;
    for (let k = 0; k < n; k++) {
      const r = rng.next();
      const api = pageFirst && k > 0;
      const path = api ? (r < 0.6 ? `/api/availability${dressedCalls ? '.png' : ''}?sku=${productId(rng)}` : `/api/recommendations${dressedCalls ? '.png' : ''}?for=${productId(rng)}`) : r < 0.75 ? `/products/${rng.int(1, CATALOG)}` : r < 0.9 ? `/products?category=${rng.pick(CATEGORIES)}&page=${rng.int(1, 40)}` : `/search?q=${encodeURIComponent(rng.pick(WORDS))}`;
      const kind = api ? 'api' : 'navigate';
      let headers = mimicry === 'dressed' ? dressedHeaders(rng, browser.ua, kind, lang) : browserHeaders(browser, lang, kind);
      if (api && dressedCalls) headers = browserHeaders(browser, lang, 'head');
      if (returning && k > 0) headers['cookie'] = `session=s${((i + 1) * 2654435761 >>> 0).toString(16).padStart(24, '0')}`;
      emit(b, { at: t, actor: `proxy-${i}`, kind: 'bot', method: 'GET', path, ip, headers, code: 200 });
      t += api ? rng.uniform(300, 3000) : rng.uniform(2000, 60_000) * slow;
    }
  }
}

function credentialStuffing(b: Builder, start: number, end: number, p: Params): void {
  const { rng } = b;
  const thin = b.variants.has('thin-stuffing');
  const ips = rng.int(100, 600) * (thin ? 4 : 1);
  const cookies = rng.pick(['none', 'fresh-each-try', 'kept-per-address'] as const);
  const getFirst = rng.uniform(0, 0.6);
  const decoys: readonly [number, number] | null = b.variants.has('heavy-decoys') ? [5, 8] : b.variants.has('diluted-failures') ? [1, 4] : null;
  const ownLogins = b.variants.has('decoy-logins');
  Object.assign(p, { addresses: ips, cookies, getLoginFirst: Number(getFirst.toFixed(2)) });
  for (let i = 0; i < ips; i++) {
    const ip = `${rng.pick([45, 91, 185, 193, 194])}.${rng.int(0, 255)}.${rng.int(0, 255)}.${rng.int(1, 254)}`;
    const browser = rng.pick(BROWSERS);
    const lang = rng.pick(LANGS);
    const automation = rng.chance(0.1);
    let t = rng.uniform(start, end - MIN);
    const drawnTries = rng.int(2, 12);
    const tries = thin ? 1 + (drawnTries % 2) : drawnTries;
    const kept = `s${rng.hex(24)}`;
    const headers = () => {
      const h = automation ? { 'user-agent': rng.pick(AUTOMATION_UAS), accept: '*/*' } : browserHeaders(browser, lang, 'navigate');
      if (cookies === 'fresh-each-try') h['cookie'] = `session=s${rng.hex(24)}`;
      if (cookies === 'kept-per-address') h['cookie'] = `session=${kept}`;
      return h as Record<string, string>;
    };
    const form = () => ({ ...headers(), 'content-type': 'application/x-www-form-urlencoded' });
    if (rng.chance(getFirst)) {
      emit(b, { at: t, actor: `stuffer-${i}`, kind: 'bot', method: 'GET', path: '/login', ip, headers: headers(), code: 200 });
      t += rng.uniform(500, 3000);
    }
    // Drawn only under decoy-logins, so that the other variants draw the same traffic as before.
    let failuresLeft = ownLogins ? rng.int(1, 3) : 0;
    for (let k = 0; k < tries && t < end; k++) {
      if (decoys) {
        for (let d = rng.int(decoys[0], decoys[1]); d > 0 && t < end; d--) {
          emit(b, { at: t, actor: `stuffer-${i}`, kind: 'bot', method: 'GET', path: '/login', ip, headers: headers(), code: 200 });
          t += rng.uniform(300, 2000);
        }
      }
      // Headers before the outcome: the order of draws that all variants share.
      const tryHeaders = form();
      const code = rng.chance(0.02) ? 200 : 401;
      emit(b, { at: t, actor: `stuffer-${i}`, kind: 'bot', method: 'POST', path: '/login', ip, headers: tryHeaders, code });
      t += rng.uniform(3000, 60_000);
      if (ownLogins && code === 401 && --failuresLeft <= 0 && t < end) {
        emit(b, { at: t, actor: `stuffer-${i}`, kind: 'bot', method: 'POST', path: '/login', ip, headers: form(), code: 200 });
        t += rng.uniform(1000, 10_000);
        failuresLeft = rng.int(1, 3);
      }
    }
  }
}

function tokenAbuse(b: Builder, start: number, end: number, p: Params): void {
  const { rng } = b;
  const ofApp = rng.chance(0.4);
  const thin = b.variants.has('thin-token-crowds');
  const ips = rng.int(20, 300) * (thin ? 4 : 1);
  const perMin = rng.uniform(2, 30) / (thin ? 10 : 1);
  const ua = rng.chance(0.5) ? (ofApp ? `ShopApp/4.2.7 (Android 14) okhttp/4.12.0` : 'AcmeCatalogSync/3.4 (+ops@acme.example)') : rng.pick(AUTOMATION_UAS);
  const exact = b.variants.has('exact-mimicry') && ua.startsWith('ShopApp');
  const ramped = b.variants.has('ramped-crowds');
  Object.assign(p, { token: ofApp ? 'app' : 'partner', addresses: ips, perAddressPerMin: Number(perMin.toFixed(1)), userAgent: ua.split(' ')[0]! });
  for (let i = 0; i < ips; i++) {
    const ip = rng.chance(0.3) ? residentialIp(rng) : `${rng.pick([23, 34, 45, 64, 104, 172])}.${rng.int(0, 255)}.${rng.int(0, 255)}.${rng.int(1, 254)}`;
    const headers: Record<string, string> = exact
      ? { 'user-agent': `ShopApp/4.2.${i % 10} (Android ${12 + (i % 4)}) okhttp/4.12.0`, accept: 'application/json', 'accept-language': LANGS[i % LANGS.length]!, 'accept-encoding': 'gzip', 'x-api-key': APP_KEY }
      : { 'user-agent': ua, accept: 'application/json', 'x-api-key': ofApp ? APP_KEY : PARTNER_KEY };
    const span = Math.max(0, end - 2 * MIN - start);
    const drawn = rng.uniform(start, Math.max(start, end - 2 * MIN));
    // A density rising linearly from the start: the first addresses alone for a while, most of them at the end.
    const from = ramped ? start + Math.sqrt((drawn - start) / Math.max(1, span)) * span : drawn;
    const until = rng.uniform(from + MIN, end);
    for (let t = from; t < until; t += rng.exp(MIN / perMin)) {
      emit(b, { at: t, actor: `token-${i}`, kind: 'bot', method: 'GET', path: `/api/products/${rng.int(1, CATALOG)}`, ip, headers, code: 200 });
    }
  }
}

function crawler(b: Builder, start: number, end: number, p: Params, pop: Population): void {
  const { rng } = b;
  const headless = b.variants.has('headless-crawlers');
  const crawlers = rng.int(1, 3);
  // A crawler fetches pages as fast as it dares; a slow one is the low-and-slow scenario.
  const perMin = b.variants.has('gentle-rates') ? rng.uniform(15, 40) : rng.uniform(40, 300);
  const keeps = rng.chance(0.5);
  const dressed = rng.chance(0.5);
  Object.assign(p, { crawlers, perMin: Math.round(perMin), keepsCookie: keeps, headers: dressed ? 'dressed' : 'browser' });
  for (let c = 0; c < crawlers; c++) {
    const ip = rng.chance(0.5) ? residentialIp(rng) : `${rng.pick([34, 52, 104, 138])}.${rng.int(0, 255)}.${rng.int(0, 255)}.${rng.int(1, 254)}`;
    const browser = rng.pick(BROWSERS);
    const lang = rng.pick(LANGS);
    const session = `s${rng.hex(24)}`;
    let id = rng.int(1, 50);
    let first = true;
    for (let t = start + rng.uniform(0, 20_000); t < end; t += rng.exp(MIN / perMin)) {
      const listing = rng.chance(0.15);
      const path = listing ? `/products?category=${rng.pick(CATEGORIES)}&page=${rng.int(1, 40)}` : `/products/${id++}`;
      const headers = dressed ? dressedHeaders(rng, browser.ua, 'navigate', lang) : browserHeaders(browser, lang, 'navigate');
      if (keeps && !first) headers['cookie'] = `session=${session}`;
      first = false;
      emit(b, { at: t, actor: `crawler-${c}`, kind: 'bot', method: 'GET', path, ip, headers, code: !listing && id > CATALOG ? 404 : 200 });
      if (headless) {
        // What the page loads once rendered, as a person's page does.
        for (const sub of pageSubrequests(rng, pop)) {
          const h = dressed ? dressedHeaders(rng, browser.ua, sub.kind, lang) : browserHeaders(browser, lang, sub.kind);
          if (keeps) h['cookie'] = `session=${session}`;
          emit(b, { at: t + sub.afterMs, actor: `crawler-${c}`, kind: 'bot', method: sub.method, path: sub.path, ip, headers: h, code: 200 });
        }
      }
    }
  }
}

function distributedSurge(b: Builder, start: number, end: number, p: Params): void {
  const { rng } = b;
  const slow = b.variants.has('slow-crowds') ? 2 : 1;
  const ips = rng.int(200, 1500) * slow;
  const route = rng.pick(['availability', 'search', 'product', 'api-product'] as const);
  const drawnCookies = rng.chance(0.7) ? 'none' : 'random';
  const cookies = b.variants.has('returning-surges') ? 'kept' : drawnCookies;
  const navigateLandings = b.variants.has('navigate-landings');
  const doubleLandings = b.variants.has('double-landings');
  const navigateAll = b.variants.has('navigate-all');
  const dressedCalls = b.variants.has('dressed-calls') && (route === 'availability' || route === 'api-product');
  const noLang = wearsPeoples(b) ? (rng.next(), 0) : rng.uniform(0, 0.4);
  Object.assign(p, { addresses: ips, route, cookies, withoutAcceptLanguage: Number(noLang.toFixed(2)) });
  // Address i's requests, its first at `from` (a random time in the attack when null).
  const address = (i: number, from: number | null) => {
    const ip = `${rng.pick([24, 49, 73, 98, 177, 187, 190, 201])}.${rng.int(0, 255)}.${rng.int(0, 255)}.${rng.int(1, 254)}`;
    const worn = rng.chance(0.3) ? rng.pick(MOBILE_BROWSERS) : rng.pick(BROWSERS);
    const browser = spread(rng, b, worn);
    const lang = rng.chance(noLang) ? null : rng.pick(LANGS);
    let t = from ?? rng.uniform(start, end - 30_000);
    const n = rng.int(1, 8);
    for (let k = 0; k < n && t < end; k++) {
      let path = route === 'availability' ? `/api/availability?sku=${rng.int(1, CATALOG)}` : route === 'search' ? `/search?q=${encodeURIComponent(rng.pick(WORDS))}` : route === 'product' ? `/products/${rng.int(1, CATALOG)}` : `/api/products/${rng.int(1, CATALOG)}`;
      const kind: RequestKind = (route === 'availability' || route === 'api-product') && !(navigateLandings && k === 0) && !navigateAll ? 'api' : 'navigate';
      let headers = lang ? browserHeaders(browser, lang, kind) : dressedHeaders(rng, browser.ua, kind, null);
      if (dressedCalls) {
        // An image's fetch metadata, and the file name the upstream routes to the resource without it.
        headers = browserHeaders(browser, lang ?? LANGS[0]!, 'head');
        path = path.replace(/^\/api\/availability\?/, '/api/availability.png?').replace(/^(\/api\/products\/\d+)$/, '$1.png');
      }
      if (cookies === 'random') headers['cookie'] = `session=s${rng.hex(24)}`;
      if (cookies === 'kept' && k > (doubleLandings ? 1 : 0)) headers['cookie'] = `session=s${((i + 1) * 2246822519 >>> 0).toString(16).padStart(24, '0')}`;
      emit(b, { at: t, actor: `surge-${i}`, kind: 'bot', method: 'GET', path, ip, headers, code: 200 });
      t += rng.uniform(3000, 40_000) * slow;
    }
  };
  for (let i = 0; i < ips; i++) address(i, null);
  if (b.variants.has('ramped-surges') && start > 0) {
    // Addresses arrive ever faster from the first second on, doubling every `doubling` ms, up to the attack's own
    // pace at its start: every minute only a little more than the minutes the route's learned rate holds.
    const doubling = rng.uniform(45, 90) * MIN;
    const pace = ips / Math.max(MIN, end - 30_000 - start);
    const floor = 2 ** (-start / doubling);
    const ramp = Math.round((pace * doubling * (1 - floor)) / Math.LN2);
    Object.assign(p, { rampDoublingMin: Math.round(doubling / MIN), rampAddresses: ramp });
    for (let i = 0; i < ramp; i++) address(ips + i, start + doubling * Math.log2(1 - rng.next() * (1 - floor)));
  }
}

function lowAndSlow(b: Builder, start: number, end: number, p: Params): void {
  const { rng } = b;
  const ips = rng.int(3, 10);
  const gap: [number, number] = [rng.uniform(8000, 15_000), rng.uniform(18_000, 30_000)];
  const missing = rng.uniform(0.1, 0.35);
  const cookies = rng.chance(0.5) ? 'none' : 'fresh-each-request';
  Object.assign(p, { addresses: ips, gapSeconds: `${Math.round(gap[0] / 1000)}-${Math.round(gap[1] / 1000)}`, missingShare: Number(missing.toFixed(2)), cookies });
  for (let i = 0; i < ips; i++) {
    const ip = `198.18.${rng.int(0, 255)}.${rng.int(1, 254)}`;
    const browser = rng.pick(BROWSERS);
    const lang = rng.pick(LANGS);
    for (let t = start + rng.uniform(0, 30_000); t < end; t += rng.uniform(gap[0], gap[1])) {
      const gone = rng.chance(missing);
      const headers = browserHeaders(browser, lang, 'navigate');
      if (cookies === 'fresh-each-request') headers['cookie'] = `session=s${rng.hex(24)}`;
      emit(b, { at: t, actor: `slow-${i}`, kind: 'bot', method: 'GET', path: `/products/${gone ? rng.int(CATALOG + 1, 9000) : rng.int(1, CATALOG)}`, ip, headers, code: gone ? 404 : 200 });
    }
  }
}

/** Scenarios that run between a start and an end: how long they last (minutes), and what they send. */
const WINDOWED: Partial<Record<ScenarioName, { minutes: [number, number]; run: (b: Builder, start: number, end: number, p: Params, pop: Population) => void }>> = {
  campaign: { minutes: [8, 14], run: (b, s, e, p, pop) => campaign(b, pop, s, e, p) },
  'residential-proxy': { minutes: [5, 12], run: residentialProxy },
  'credential-stuffing': { minutes: [6, 12], run: credentialStuffing },
  'token-abuse': { minutes: [5, 10], run: tokenAbuse },
  crawler: { minutes: [8, 15], run: crawler },
  'distributed-surge': { minutes: [3, 8], run: distributedSurge },
};

/** All events of a scenario for a seed, in time order, with its timing and drawn parameters. */
export function generateScenario(name: ScenarioName, seed: number, opts: { measuredMs?: number; warmupMs?: number; variants?: readonly TrafficVariant[] } = {}): Scenario {
  const rng = new Rng(seed * 7919 + SCENARIOS.indexOf(name));
  const cold = name === 'burst-cold';
  const warmupMs = cold ? 0 : (opts.warmupMs ?? 30 * MIN);
  const measuredMs = opts.measuredMs ?? 20 * MIN;
  const endMs = warmupMs + measuredMs;
  const b: Builder = { rng, events: [], endMs, tls: false, impersonate: false, variants: new Set(opts.variants ?? []) };
  const pop = drawPopulation(rng);
  b.tls = rng.chance(0.5);
  b.impersonate = rng.chance(0.5);
  const partnerIps = Array.from({ length: rng.int(1, 2) }, () => `203.0.113.${rng.int(1, 254)}`);
  people(b, pop, partnerIps);
  const params: Params = { arrivalsPerMin: Number(pop.arrivalsPerMin.toFixed(1)), ja4: b.tls ? (b.impersonate ? 'passed, imitated by bots' : 'passed') : 'absent' };
  let start: number | null = null;
  let end: number | null = null;
  const windowed = WINDOWED[name];
  // When the attack starts, between `from` and `to` into the measured window (one draw either way).
  const startAt = (from: number, to: number) => warmupMs + (b.variants.has('early-attack') ? rng.uniform(0, 0.5 * MIN) : rng.uniform(from, to));
  if (windowed) {
    // Starts 2-5 minutes into the measured window and lasts as long as its kind does.
    start = startAt(2 * MIN, 5 * MIN);
    end = Math.min(endMs, start + rng.uniform(windowed.minutes[0] * MIN, windowed.minutes[1] * MIN));
    windowed.run(b, start, end, params, pop);
  } else if (name === 'burst-cold' || name === 'burst-warm') {
    start = cold ? startAt(0.3 * MIN, 2 * MIN) : startAt(2 * MIN, 8 * MIN);
    end = Math.min(endMs, burst(b, start, params, seed % 2 === 1));
  } else if (name === 'low-and-slow') {
    start = startAt(0, 2 * MIN);
    end = endMs;
    lowAndSlow(b, start, end, params);
  }
  const events = b.events.sort((x, y) => x.at - y.at || x.seq - y.seq);
  return { name, seed, events, warmupMs, endMs, attackStartMs: start, attackEndMs: end, params };
}
