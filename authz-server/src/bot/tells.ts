/**
 * Request-level bot tells: what a single request reveals about its client without any history. Each tell is a
 * signal of the `tells` family (their points add up).
 */
import type { ScoredSignal } from './behaviour.ts';
import { browserUserAgent } from './fingerprint.ts';
import { DEFAULT_BOT_KNOBS, type BotKnobs } from './knobs.ts';

/**
 * User agents of automation tools and crawlers: HTTP libraries' own defaults (a JDK's `Java-http-client`, Node's `node`
 * from its built-in fetch, axios, node-fetch, undici) and scanners. SDK names used by real apps, like okhttp, are not
 * here: an app that sets no user agent of its own sends its HTTP stack's.
 */
const AUTOMATION_UA =
  /\b(curl|wget|python-requests|python-urllib|python-httpx|aiohttp|httpx|go-http-client|scrapy|libwww-perl|java\/|java-http-client|apache-httpclient|axios|node-fetch|undici|^node$|headlesschrome|phantomjs|selenium|puppeteer|playwright|httpclient|masscan|nikto|sqlmap|zgrab|nuclei|[a-z]*bot|crawler|spider)\b/i;

/**
 * Of AUTOMATION_UA, the browsers run by programs: they render pages and run their scripts, so a challenge costs them
 * a proof of work where it would stop an HTTP library outright (`ua-automation` at `tells.uaHeadless`, worth a
 * challenge on its own, where other automation names score `tells.uaAutomation`, under it).
 */
const HEADLESS_BROWSER = /^(?:headlesschrome|phantomjs)$/i;

/** The user agent names an HTTP library, an automation tool or a crawler (or there is none): a program that says so. */
export function automationUserAgent(ua: string): boolean {
  return ua.trim() === '' || AUTOMATION_UA.test(ua);
}

/**
 * A headless Chromium names itself in its client hints' brand list (`"HeadlessChrome";v="131"`) even when its user
 * agent was set to a desktop Chrome's: no browser a person runs sends that brand, and a client that hides what its
 * user agent would have said is no honest script (`headless-hidden`, worth a challenge on its own).
 */
const HEADLESS_BRAND = /"headlesschrome"/i;

/**
 * Scores the request's own headers. `authenticated`: the request carries a valid credential (an API key, a JWT): its
 * client being a program is what the credential was issued for, so an automation user agent tells nothing there;
 * whether the key is abused is for the token's own signals (its new addresses, its pairs' volume, its errors).
 */
export function requestTells(headers: ReadonlyMap<string, string>, knobs: BotKnobs = DEFAULT_BOT_KNOBS, authenticated = false): ScoredSignal[] {
  const t = knobs.tells;
  const signals: ScoredSignal[] = [];
  const tell = (name: string, score: number, detail: string) => signals.push({ name, family: 'tells', score, detail });
  const ua = headers.get('user-agent') ?? '';
  if (ua.trim() === '') tell('ua-missing', t.uaMissing, 'no user-agent');
  else {
    const m = AUTOMATION_UA.exec(ua);
    if (m) {
      const headless = HEADLESS_BROWSER.test(m[1]!);
      if (!authenticated) tell('ua-automation', headless ? t.uaHeadless : t.uaAutomation, `user-agent names ${m[1]}${headless ? ': a headless browser, which can answer a challenge' : ''}`);
    } else if (HEADLESS_BRAND.test(headers.get('sec-ch-ua') ?? '')) {
      if (!authenticated) tell('headless-hidden', t.headlessHidden, 'sec-ch-ua names HeadlessChrome, the user-agent a browser: a headless browser made to pass for one');
    }
    else if (browserUserAgent(ua) && !headers.has('accept-language')) tell('browser-without-accept-language', t.browserWithoutAcceptLanguage, 'browser user-agent without accept-language');
  }
  if (!headers.has('accept')) tell('accept-missing', t.acceptMissing, 'no accept header');
  return signals;
}
