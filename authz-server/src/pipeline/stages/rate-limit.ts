/**
 * Rate limits. The Check's store work (these limits and the bot counters) goes to the rate limiter in one call,
 * which is one store round trip at most; the bot stage reads its counters from the same result.
 */
import { planRateLimits } from '../rate-limit.ts';
import { deny, pass, skip, type Stage } from '../stage.ts';
import { planBotWork, planJourneyWork } from './bot.ts';

export const rateLimitStage: Stage = {
  name: 'rate-limit',
  async run(ev) {
    const limits = planRateLimits(ev.policy, ev.req, ev.consumer, ev.claims);
    const bot = planBotWork(ev);
    const journey = bot && !bot.allowListed ? planJourneyWork(ev) : null;
    const botCounters = bot?.plan.counters ?? [];
    const counters = journey ? [...botCounters, ...journey.counters] : botCounters;
    const r = await ev.limiter.doLimit(ev.policy, { limits, counters, distinct: bot?.plan.distinct ?? [], sequences: journey?.sequences ?? [] }, ev.now);
    const judged = r.kind === 'judged' && r.via !== 'over-limit cache';
    if (bot) ev.botWork = { ...bot, results: judged ? { counters: r.counters.slice(0, botCounters.length), distinct: r.distinct } : { counters: [], distinct: [] } };
    if (journey) ev.journeyWork = { plan: journey, sequence: judged ? r.sequences[0] : undefined, counts: judged ? r.counters[botCounters.length] : undefined };
    if (r.kind === 'unavailable') {
      // Only work that could deny may turn a store outage into a denial: bot scoring in Monitor mode cannot.
      if (limits.length > 0 || ev.policy.bot.mode === 'Enforce') return deny(r.denial);
      return skip(`${r.denial.detail}: bot Monitor scores without behaviour signals`);
    }
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
