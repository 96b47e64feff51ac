/**
 * Bot verdict from request tells and the behavioural counters read in the Check's one store round trip. The
 * bot section has its own mode: in bot Monitor mode a deny verdict is only a would-deny.
 */
import { assessBot, botAllowListed } from '../../bot/assess.ts';
import { EMPTY_BOT_PLAN, behaviourSignals, planBotCounters, type BotPlan } from '../../bot/behaviour.ts';
import { deny, pass, skip, type Evaluation, type Stage } from '../stage.ts';

/** The bot counters this Check contributes to the store round trip; null when bot scoring is off. */
export function planBotWork(ev: Evaluation): { allowListed: string | null; plan: BotPlan } | null {
  if (ev.policy.bot.mode === 'Off') return null;
  const allowListed = botAllowListed(ev.policy, ev.req);
  return { allowListed, plan: allowListed ? EMPTY_BOT_PLAN : planBotCounters(ev.policy, ev.req, ev.consumer, ev.now) };
}

export const botStage: Stage = {
  name: 'bot',
  run(ev) {
    const work = ev.botWork ?? planBotWork(ev);
    if (work === null) return skip('bot mode Off');
    if (work.allowListed) {
      ev.bot = { score: 0, verdict: 'allow', signals: [] };
      return pass(work.allowListed);
    }
    const results = ev.botWork?.results ?? { counters: [], distinct: [] };
    const bot = assessBot(ev.policy, ev.req, behaviourSignals(work.plan, results.counters, results.distinct));
    ev.bot = bot;
    const explain = `score ${bot.score} (${bot.signals.map((s) => `${s.name}+${s.score}`).join(', ') || 'no signals'})`;
    if (bot.verdict !== 'deny') return pass(`${bot.verdict}: ${explain}`);
    const denial = { reason: 'bot' as const, detail: explain };
    return ev.policy.bot.mode === 'Enforce' ? deny(denial) : { result: 'would-deny', denial };
  },
};
