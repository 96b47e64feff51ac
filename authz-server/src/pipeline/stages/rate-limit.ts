/**
 * Rate limits. The Check's store work (these limits and the bot counters) goes to the rate limiter in one call,
 * which is one store round trip at most; the bot stage reads its counters from the same result.
 */
import { planRateLimits } from '../rate-limit.ts';
import { deny, pass, skip, type Stage } from '../stage.ts';
import { planBotWork } from './bot.ts';

export const rateLimitStage: Stage = {
  name: 'rate-limit',
  async run(ev) {
    const limits = planRateLimits(ev.policy, ev.req, ev.consumer, ev.claims);
    const bot = planBotWork(ev);
    const r = await ev.limiter.doLimit(ev.policy, { limits, counters: bot?.plan.counters ?? [], distinct: bot?.plan.distinct ?? [] }, ev.now);
    if (bot) ev.botWork = { ...bot, results: r.kind === 'judged' ? r : { counters: [], distinct: [] } };
    if (r.kind === 'unavailable') return deny(r.denial);
    ev.rateLimit = r.info;
    if (r.denial) {
      ev.rateLimit = r.denial.rateLimit ?? r.info;
      return deny(r.denial);
    }
    const via = r.via === 'store' || r.via === 'nothing to do' ? '' : ` (${r.via})`;
    if (r.info) return pass(`${r.info.name}: ${r.info.remaining} left${via}`);
    return skip(`no matching limit${via}`);
  },
};
