/**
 * The challenge stages. The verification stage runs first: the reserved verification path is answered inside
 * Check (a redirect with a pass cookie, or a short failure page) whatever the other stages would say, since it
 * reaches no upstream and grants nothing but a lower bot score. The challenge stage runs after the bot stage and
 * turns a `challenge` verdict into a proof-of-work challenge, unless the request presents a valid pass (or an API
 * solution), which lowers the score by the policy's credit instead. A deny verdict was already final in the bot
 * stage: a pass never excuses it.
 */
import { challengeFor, isExempt, isVerifyPath, presentedCredentials, requestBinding, verifyBrowserSolution } from '../../challenge/flow.ts';
import { deny, pass, skip, type Stage } from '../stage.ts';

export const challengeVerifyStage: Stage = {
  name: 'challenge',
  run(ev) {
    const cfg = ev.policy.challenge;
    if (!cfg || !isVerifyPath(ev.req)) return skip(cfg ? 'not the verification path' : ev.policy.challengeOff);
    const r = verifyBrowserSolution(cfg, requestBinding(cfg, ev.policy.id, ev.req), ev.req, ev.now);
    ev.challenge = r.note;
    const s = r.note.solution;
    if (r.ok && s?.ok) return deny({ reason: 'challenge-passed', detail: `solved ${s.difficulty} bits${s.solveMs === null ? '' : ` in ${s.solveMs} ms`}; pass issued`, reply: r.reply });
    return deny({ reason: 'challenge-failed', detail: `verification refused: ${s && !s.ok ? s.reason : 'unknown'}`, reply: r.reply });
  },
};

export const challengeStage: Stage = {
  name: 'challenge',
  run(ev) {
    const bot = ev.bot;
    if (!bot || bot.verdict !== 'challenge') return skip(bot ? `bot verdict ${bot.verdict}` : 'no bot verdict');
    const cfg = ev.policy.challenge;
    if (!cfg) return skip(ev.policy.challengeOff);
    if (isExempt(cfg, ev.req)) return skip('header only: exempt method or path');
    const binding = requestBinding(cfg, ev.policy.id, ev.req);
    const presented = presentedCredentials(cfg, binding, ev.req, ev.now);
    ev.challenge = presented.note;
    const thresholds = ev.policy.bot;
    let score = bot.score;
    if (presented.valid) {
      score = Math.max(0, bot.score - cfg.passScoreCredit);
      const verdict = score >= thresholds.challengeScore ? 'challenge' : 'allow';
      const how = presented.note.solution ? 'solution accepted, pass issued' : 'pass accepted';
      ev.bot = { score, verdict, signals: [...bot.signals, { name: 'challenge-pass', score: -cfg.passScoreCredit, detail: how }] };
      if (verdict === 'allow') return pass(`${how}: score ${bot.score} - ${cfg.passScoreCredit} = ${score}`);
    }
    const { reply, issued } = challengeFor(cfg, binding, ev.req, score, thresholds, ev.req.requestId, ev.now);
    ev.challenge = { ...ev.challenge, issued };
    const refused = presented.note.pass && presented.note.pass !== 'accepted' ? `; pass refused (${presented.note.pass})` : '';
    const failed = presented.note.solution && !presented.note.solution.ok ? `; solution refused (${presented.note.solution.reason})` : '';
    return deny({ reason: 'challenge', detail: `score ${score}: ${issued.kind} challenge of ${issued.difficulty} bits${refused}${failed}`, reply });
  },
};
