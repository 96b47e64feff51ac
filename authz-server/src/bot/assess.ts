/**
 * Combines bot signals into a score (0..100) and a verdict by the policy's thresholds. Allow-listed principals
 * and CIDRs score 0.
 */
import { isIP } from 'node:net';
import type { BotAssessment, BotSignal } from '../pipeline/outcome.ts';
import type { RequestContext } from '../pipeline/request.ts';
import type { RuntimePolicy } from '../pipeline/runtime.ts';
import { requestTells } from './tells.ts';

/** True when the client is on the policy's bot allow-list. */
export function botAllowListed(policy: RuntimePolicy, req: RequestContext): string | null {
  const { allowPrincipals, allowCidrs } = policy.bot;
  if (req.principal !== '' && allowPrincipals.some((m) => m.re.test(req.principal))) return 'principal allow-listed';
  const family = isIP(req.clientIp);
  if (family !== 0 && allowCidrs.check(req.clientIp, family === 4 ? 'ipv4' : 'ipv6')) return 'client IP allow-listed';
  return null;
}

/** Scores a request from its signals; `extra` are behavioural signals computed from store counters. */
export function assessBot(policy: RuntimePolicy, req: RequestContext, extra: BotSignal[] = []): BotAssessment {
  const signals = [...requestTells(req.headers), ...extra];
  const score = Math.min(100, signals.reduce((s, x) => s + x.score, 0));
  const verdict = score >= policy.bot.denyScore ? 'deny' : score >= policy.bot.challengeScore ? 'challenge' : 'allow';
  return { score, verdict, signals };
}
