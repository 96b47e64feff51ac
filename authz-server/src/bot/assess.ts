/**
 * Combines bot signals into a score (0..100) and a verdict by the policy's thresholds: the sum of the signals'
 * points (behavioural families already reduced to their strongest signal, tells added up), capped at 100.
 * Allow-listed principals and CIDRs, and verified search engines' crawlers, score 0.
 */
import { isIP } from 'node:net';
import type { BotAssessment, BotSignal } from '../pipeline/outcome.ts';
import type { RequestContext } from '../pipeline/request.ts';
import type { RuntimePolicy } from '../pipeline/runtime.ts';
import type { BotObservations } from './behaviour.ts';
import { DEFAULT_BOT_KNOBS, type BotKnobs } from './knobs.ts';
import { verifiedSearchCrawler } from './search-crawlers.ts';
import { requestTells } from './tells.ts';

/** An assessment with what the feed learns from it after the decision (never logged or sent). */
export type JudgedAssessment = BotAssessment & { observations?: BotObservations | null };

/**
 * Why the client is left out of bot scoring (the policy's bot allow-list, or a search engine's crawler verified by
 * its address: search-crawlers.ts), or null.
 */
export function botAllowListed(policy: RuntimePolicy, req: RequestContext): string | null {
  const { allowPrincipals, allowCidrs } = policy.bot;
  if (req.principal !== '' && allowPrincipals.some((m) => m.re.test(req.principal))) return 'principal allow-listed';
  if (policy.bot.allow.cidrs.length > 0) {
    const family = isIP(req.clientIp);
    if (family !== 0 && allowCidrs.check(req.clientIp, family === 4 ? 'ipv4' : 'ipv6')) return 'client IP allow-listed';
  }
  if (policy.bot.allow.searchCrawlers) {
    const crawler = verifiedSearchCrawler(req.headers.get('user-agent') ?? '', req.clientIp);
    if (crawler !== null) return `${crawler} from its published ranges`;
  }
  return null;
}

/** Scores a request from its tells and `extra` (behavioural) signals. */
export function assessBot(policy: RuntimePolicy, req: RequestContext, extra: BotSignal[] = [], knobs: BotKnobs = DEFAULT_BOT_KNOBS, observations: BotObservations | null = null): JudgedAssessment {
  const ignore = policy.bot.ignoreSignals;
  const tells = requestTells(req.headers, knobs, observations?.subject.token != null).filter((s) => !ignore.includes(s.name) && !ignore.includes(s.family));
  const signals: BotSignal[] = [...tells, ...extra];
  const score = Math.min(100, signals.reduce((s, x) => s + x.score, 0));
  const verdict = score >= policy.bot.denyScore ? 'deny' : score >= policy.bot.challengeScore ? 'challenge' : 'allow';
  const out: JudgedAssessment = { score, verdict, signals };
  // Not enumerable: never serialised into logs or responses with the assessment.
  if (observations) Object.defineProperty(out, 'observations', { value: observations, enumerable: false });
  return out;
}
