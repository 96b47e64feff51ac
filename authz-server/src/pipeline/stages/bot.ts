/**
 * Bot verdict from request tells and the behavioural counters read in the Check's one store round trip. The
 * bot section has its own mode: in bot Monitor mode a deny verdict is only a would-deny.
 */
import { assessBot, botAllowListed } from '../../bot/assess.ts';
import { EMPTY_BOT_PLAN, addPendingCounts, judgeBehaviour, planBotCounters, type BotPlan } from '../../bot/behaviour.ts';
import { DEFAULT_BOT_KNOBS } from '../../bot/knobs.ts';
import { endpointOf } from '../../discovery/endpoint.ts';
import type { JourneyPlan } from '../../journeys/journeys.ts';
import { sessionOf } from '../rate-limit.ts';
import type { BotSignal } from '../outcome.ts';
import { deny, pass, skip, type Evaluation, type Stage } from '../stage.ts';

/** The bot counters this Check contributes to the store round trip; null when bot scoring is off. */
export function planBotWork(ev: Evaluation): { allowListed: string | null; plan: BotPlan } | null {
  if (ev.policy.bot.mode === 'Off') return null;
  const allowListed = botAllowListed(ev.policy, ev.req);
  if (allowListed) return { allowListed, plan: EMPTY_BOT_PLAN };
  const book = ev.botBaselines;
  return { allowListed, plan: planBotCounters(ev.policy, ev.req, ev.consumer, ev.now, book?.knobs ?? DEFAULT_BOT_KNOBS, book?.get(ev.policy.id), book?.known, book?.population, book?.routes, book?.unanswered, book?.attackedForms, book?.probes, book?.fileClaims, book?.navigationClaims) };
}

/** The journey ops this Check adds to the same round trip: with bot scoring on, for requests with a session. */
export function planJourneyWork(ev: Evaluation): JourneyPlan | null {
  if (!ev.journeys) return null;
  const session = sessionOf(ev.policy, ev.req);
  if (session === '') return null;
  const e = endpointOf(ev.policy, ev.req.method, ev.req.path);
  return ev.journeys.plan(ev.policy.id, session, `${e.method} ${e.template}`);
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
    const session = ev.policy.bot.session;
    if ('cookie' in session && ev.botBaselines) {
      // The plan read the session cookie already: on a cookie policy it plans a 'session' exactly when one came.
      const hasSession = work.plan.ctx ? work.plan.ctx.planned === 'session' : sessionOf(ev.policy, ev.req) !== '';
      ev.botBaselines.cookieWatch.observe(ev.policy.id, session.cookie, ev.req.headers.get('cookie') ?? '', hasSession);
    }
    const results = ev.botWork?.results ?? { counters: [], distinct: [] };
    const pending = ev.botBaselines?.pending;
    if (pending) addPendingCounts(work.plan, results.counters, pending);
    const judged = judgeBehaviour(work.plan, results.counters, results.distinct);
    const signals: BotSignal[] = [...judged.signals];
    // ---- usage journeys (journeys/journeys.ts): one more signal from the same round trip ----
    const journey = ev.journeyWork ? ev.journeys?.judge(ev.journeyWork.plan, ev.journeyWork.sequence, ev.journeyWork.counts) : null;
    if (journey?.signal && !ev.policy.bot.ignoreSignals.includes(journey.signal.name)) signals.push(journey.signal);
    ev.journey = journey?.observation ?? null;
    // ----
    const bot = assessBot(ev.policy, ev.req, signals, work.plan.ctx?.knobs ?? DEFAULT_BOT_KNOBS, judged.observations);
    ev.bot = bot;
    const fired = bot.signals.filter((s) => s.score > 0);
    const explain = `score ${bot.score} (${fired.map((s) => `${s.name}+${s.score}`).join(', ') || 'no signals'})`;
    if (bot.verdict !== 'deny') return pass(`${bot.verdict}: ${explain}`);
    const denial = { reason: 'bot' as const, detail: explain };
    return ev.policy.bot.mode === 'Enforce' ? deny(denial) : { result: 'would-deny', denial };
  },
};
