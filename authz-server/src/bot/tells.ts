/**
 * Request-level bot tells: what a single request reveals about its client without any history. Each tell is a
 * detector with a score contribution and an explanation.
 */
import type { BotSignal } from '../pipeline/outcome.ts';

/** User agents of automation tools and crawlers (SDK names used by real apps, like okhttp, are not here). */
const AUTOMATION_UA =
  /\b(curl|wget|python-requests|python-urllib|aiohttp|httpx|go-http-client|scrapy|libwww-perl|java\/|apache-httpclient|headlesschrome|phantomjs|selenium|puppeteer|playwright|httpclient|masscan|nikto|sqlmap|zgrab|nuclei|[a-z]*bot|crawler|spider)\b/i;

/** Contributions of each tell, exported for documentation and tuning tests. */
export const TELL_SCORES = {
  uaMissing: 40,
  uaAutomation: 45,
  acceptMissing: 15,
  browserWithoutAcceptLanguage: 20,
} as const;

/** Scores the request's own headers. */
export function requestTells(headers: Map<string, string>): BotSignal[] {
  const signals: BotSignal[] = [];
  const ua = headers.get('user-agent') ?? '';
  if (ua.trim() === '') signals.push({ name: 'ua-missing', score: TELL_SCORES.uaMissing, detail: 'no user-agent' });
  else {
    const m = AUTOMATION_UA.exec(ua);
    if (m) signals.push({ name: 'ua-automation', score: TELL_SCORES.uaAutomation, detail: `user-agent names ${m[1]}` });
    else if (ua.startsWith('Mozilla/') && !headers.has('accept-language')) {
      signals.push({ name: 'browser-without-accept-language', score: TELL_SCORES.browserWithoutAcceptLanguage, detail: 'browser user-agent without accept-language' });
    }
  }
  if (!headers.has('accept')) signals.push({ name: 'accept-missing', score: TELL_SCORES.acceptMissing, detail: 'no accept header' });
  return signals;
}
