import { describe, expect, it } from 'vitest';
import { DeferredCounters } from '../bot/deferred.ts';
import { MemoryCounterStore } from '../store/memory-store.ts';
import { JOURNEY_KNOBS, JourneyModel, judgeJourney, parseModel, stepId, type JourneyPlan } from './journeys.ts';

const knobs = { ...JOURNEY_KNOBS, minTransitions: 3, minSessions: 5 };

function harness() {
  const store = new MemoryCounterStore({ sweepIntervalMs: 0 });
  const deferred = new DeferredCounters({ store, flushIntervalMs: 0 });
  const model = new JourneyModel({ store, deferred, clock: Date.now, runtime: () => null, knobs, refreshIntervalMs: 0 });
  /** One Check of a session: plan, the store round trip, judge, and learning when unflagged. */
  const step = async (session: string, s: string, learn = true) => {
    const plan: JourneyPlan = model.plan('shop/api', session, s);
    const r = await store.evaluate({ rateLimits: [], counters: plan.counters, distinct: [], sequences: plan.sequences });
    const judged = model.judge(plan, r.sequences[0], r.counters[0]);
    if (learn && judged) model.learn(judged.observation);
    return judged;
  };
  return { store, deferred, model, step };
}

describe('judgeJourney', () => {
  const prereq = (sessions: number, visited: number, visitedNow = false) => ({ step: 'GET /cart', sessions, visited, visitedNow });
  it('fires on a first arrival without a prerequisite nearly everyone takes, scaled by that share', () => {
    expect(judgeJourney('POST /orders', true, [prereq(100, 99)], knobs)).toEqual({
      name: 'journey-skip',
      score: 40,
      detail: 'POST /orders without GET /cart before it in this session (99% of 100 sessions took it first)',
    });
    expect(judgeJourney('POST /orders', true, [prereq(100, 90)], knobs)?.score).toBe(25);
  });
  it('stays silent when the step was taken, is no prerequisite, lacks evidence, or is not a first arrival', () => {
    expect(judgeJourney('POST /orders', true, [prereq(100, 99, true)], knobs)).toBeNull();
    expect(judgeJourney('POST /orders', true, [prereq(100, 80)], knobs)).toBeNull();
    expect(judgeJourney('POST /orders', true, [prereq(4, 4)], knobs)).toBeNull();
    expect(judgeJourney('POST /orders', false, [prereq(100, 99)], knobs)).toBeNull();
  });
});

describe('parseModel', () => {
  it('candidates are the most common predecessors with enough transitions; journeys sorted by count', () => {
    const f = (record: string, n: number, v?: number): Array<[string, number]> => [[record, 1], [`${record}\tn`, n], ...(v === undefined ? [] : ([[`${record}\tv`, v]] as Array<[string, number]>))];
    const m = parseModel(
      [
        ...f('t GET /cart > POST /orders', 9),
        ...f('t GET /products > POST /orders', 4),
        ...f('t GET /x > POST /orders', 2),
        ...f('t (start) > POST /orders', 50),
        ...f('t POST /orders > POST /orders', 50),
        ...f('p POST /orders < GET /cart', 40, 39),
        ...f('g (start) > GET /cart > POST /orders', 7),
        ...f('g GET /a > GET /b > GET /c > GET /d', 9),
        ['\t#', 9],
      ],
      knobs,
    );
    expect(m.prerequisites.get('POST /orders')).toEqual([
      { step: 'GET /cart', sessions: 40, visited: 39 },
      { step: 'GET /products', sessions: 0, visited: 0 },
    ]);
    expect(m.journeys).toEqual([
      { steps: ['GET /a', 'GET /b', 'GET /c', 'GET /d'], count: 9 },
      { steps: ['(start)', 'GET /cart', 'POST /orders'], count: 7 },
    ]);
  });
});

describe('JourneyModel', () => {
  it('step ids are exact integers, equal for equal steps', () => {
    expect(Number.isSafeInteger(stepId('GET /cart'))).toBe(true);
    expect(stepId('GET /cart')).toBe(stepId('GET /cart'));
    expect(stepId('GET /cart')).not.toBe(stepId('GET /carts'));
  });

  it('learns transitions and prerequisites from sessions, shares them through the store, and flags a skipped step', async () => {
    const { deferred, model, step } = harness();
    // People: products, cart, then order; some look at a product again, repeats collapse.
    for (let i = 0; i < 12; i++) {
      const s = `person-${i}`;
      for (const st of ['GET /products', 'GET /products/{id}', 'GET /products/{id}', 'GET /cart', 'POST /orders']) await step(s, st);
    }
    await deferred.flush();
    await model.refreshAll(); // no runtime: nothing to refresh
    await model.refresh('shop/api');
    // The model now names GET /cart as POST /orders' prerequisite; these sessions also count its share.
    for (let i = 12; i < 20; i++) {
      const s = `person-${i}`;
      for (const st of ['GET /products', 'GET /cart', 'POST /orders']) expect((await step(s, st))?.signal).toBeNull();
    }
    await deferred.flush();
    await model.refresh('shop/api');

    const bot = await step('bot-1', 'POST /orders', false);
    expect(bot?.signal).toMatchObject({ name: 'journey-skip', score: 40 });
    expect(bot?.signal?.detail).toBe('POST /orders without GET /cart before it in this session (100% of 8 sessions took it first)');
    expect(bot?.observation).toMatchObject({ step: 'POST /orders', previous: [], firstArrival: true, prerequisites: [{ step: 'GET /cart', visited: false }] });
    // A second order in the same session is not a first arrival.
    expect((await step('bot-1', 'POST /orders', false))?.signal).toBeNull();

    const journeys = await model.journeys('shop/api');
    expect(journeys.slice(0, 2)).toEqual([
      { steps: ['(start)', 'GET /products', 'GET /products/{id}', 'GET /cart'], count: 12 },
      { steps: ['GET /products', 'GET /products/{id}', 'GET /cart', 'POST /orders'], count: 12 },
    ]);
    expect(journeys).toContainEqual({ steps: ['(start)', 'GET /products', 'GET /cart', 'POST /orders'], count: 8 });
    expect(journeys.every((j) => j.steps.length === 4)).toBe(true);
  });

  it('flagged requests teach nothing', () => {
    const { deferred, model } = harness();
    const observation = { policyId: 'p', step: 'GET /a', previous: [], truncated: false, pushed: true, firstArrival: true, prerequisites: [] };
    const base = { policy: null, consumer: null, principal: '', trace: [], rateLimit: null, journey: observation };
    model.onDecision({ ...base, kind: 'deny', bot: null, denial: { reason: 'bot', detail: '' } });
    model.onDecision({ ...base, kind: 'allow', policy: {} as never, bot: { score: 60, verdict: 'challenge', signals: [] }, wouldDeny: null, stripHeaders: [] });
    model.onDecision({ ...base, kind: 'allow', policy: {} as never, bot: null, wouldDeny: { reason: 'validation', detail: '' }, stripHeaders: [] });
    expect(deferred.pendingKeys).toBe(0);
    model.onDecision({ ...base, kind: 'allow', policy: {} as never, bot: { score: 0, verdict: 'allow', signals: [] }, wouldDeny: null, stripHeaders: [] });
    expect(deferred.pendingKeys).toBe(1); // the transition (start) > GET /a; too short for a journey window
  });
});
