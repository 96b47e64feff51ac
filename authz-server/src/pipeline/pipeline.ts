/**
 * The per-request pipeline: identity -> authentication -> rules -> inspection -> rate limits -> bot ->
 * decision. The first deny wins; in Monitor mode nothing is denied and the first would-be denial is carried to
 * the upstream. Rate limits (and bot counters) cost at most one store round trip, zero when a key is already
 * known to be over its limit.
 */
import { assessBot, botAllowListed } from '../bot/assess.ts';
import { EMPTY_BOT_PLAN, behaviourSignals, planBotCounters } from '../bot/behaviour.ts';
import type { CounterBatch, CounterBatchResult, CounterStore } from '../store/counter-store.ts';
import { StoreUnavailableError, isEmptyBatch } from '../store/counter-store.ts';
import type { OverLimitCache } from '../store/over-limit-cache.ts';
import type { Denial, Outcome, StageName } from './outcome.ts';
import { judgeRateLimits, planRateLimits } from './rate-limit.ts';
import type { RequestContext } from './request.ts';
import type { Runtime } from './runtime.ts';
import { authenticationStage, identityStage, inspectionStage, rulesStage, type Evaluation } from './stages.ts';

/** What the pipeline needs from the outside world. */
export interface PipelineDeps {
  /** The shared store (Redis or memory). */
  store: CounterStore;
  /** Per-process limiter used under FailOpen while the shared store is down. */
  fallback: CounterStore;
  overLimit: OverLimitCache;
  clock: () => number;
  /** Called once per store failure, for metrics and logs. */
  onStoreError?: (err: Error, policyId: string, failOpen: boolean) => void;
}

type StageVerdict = { stop: Outcome } | { stop: null };

function base(ev: Evaluation) {
  return { policy: ev.policy, consumer: ev.consumer, principal: ev.req.principal, trace: ev.trace, bot: null, rateLimit: null };
}

/**
 * Records a denial. In Enforce mode it ends the pipeline; in Monitor mode it is remembered as the would-be
 * reason and evaluation goes on.
 */
function deny(ev: Evaluation, state: { wouldDeny: Denial | null }, stage: StageName, denial: Denial): StageVerdict {
  if (ev.policy.monitor) {
    ev.trace.push({ stage, result: 'would-deny', detail: denial.detail });
    state.wouldDeny ??= denial;
    return { stop: null };
  }
  ev.trace.push({ stage, result: 'deny', detail: denial.detail });
  return { stop: { ...base(ev), kind: 'deny', denial } };
}

/** Evaluates one request against the current runtime. Never throws. */
export async function evaluateRequest(runtime: Runtime | null, req: RequestContext, deps: PipelineDeps): Promise<Outcome> {
  const policy = runtime?.policyFor(req.host);
  if (!policy) {
    return {
      kind: 'deny',
      policy: null,
      consumer: null,
      principal: req.principal,
      trace: [{ stage: 'policy', result: 'deny', detail: runtime ? `no policy for host "${req.host}"` : 'no snapshot loaded' }],
      bot: null,
      rateLimit: null,
      denial: { reason: 'no-policy', detail: req.malformed ? 'malformed CheckRequest' : req.host === '' ? 'request has no :authority' : `no policy for host ${req.host}` },
    };
  }
  const ev: Evaluation = { req, policy, consumer: null, claims: null, stripHeaders: [], trace: [{ stage: 'policy', result: 'pass', detail: policy.id }] };
  const state: { wouldDeny: Denial | null } = { wouldDeny: null };
  let v: StageVerdict;

  if (req.oversize) {
    v = deny(ev, state, 'inspection', { reason: 'inspection', detail: `oversized request: ${req.oversize}` });
    if (v.stop) return v.stop;
  }

  const identity = identityStage(ev);
  if (identity) {
    if ((v = deny(ev, state, 'identity', identity)).stop) return v.stop;
  } else ev.trace.push({ stage: 'identity', result: 'pass', detail: req.principal || 'no principal required' });

  const authn = await authenticationStage(ev);
  if (authn) {
    if ((v = deny(ev, state, 'authentication', authn)).stop) return v.stop;
  } else ev.trace.push({ stage: 'authentication', result: 'pass', detail: ev.consumer ? `consumer ${ev.consumer}` : 'anonymous' });

  const rules = rulesStage(ev);
  if (rules) {
    if ((v = deny(ev, state, 'rules', rules)).stop) return v.stop;
  } else if (policy.rules === null) ev.trace.push({ stage: 'rules', result: 'skip', detail: 'no rules' });

  if (!req.oversize) {
    const finding = inspectionStage(ev);
    if (finding) {
      if ((v = deny(ev, state, 'inspection', finding)).stop) return v.stop;
    } else ev.trace.push({ stage: 'inspection', result: policy.anyInspection ? 'pass' : 'skip', detail: policy.anyInspection ? 'clean' : 'off' });
  }

  const now = deps.clock();
  const planned = planRateLimits(policy, req, ev.consumer, ev.claims);
  const allowListed = policy.bot.mode === 'Off' ? null : botAllowListed(policy, req);
  const botPlan = policy.bot.mode === 'Off' || allowListed ? EMPTY_BOT_PLAN : planBotCounters(policy, req, ev.consumer, now);
  const batch: CounterBatch = { rateLimits: planned.map((p) => p.op), counters: botPlan.counters, distinct: botPlan.distinct };
  let result: CounterBatchResult = { rateLimits: [], counters: [], distinct: [], nowMs: now };
  let rateLimit = null;

  // A key already known to be over its limit is denied without a store round trip.
  const blocked = planned.find((p) => deps.overLimit.blockedFor(p.op.key, now) > 0);
  let rlDenial: Denial | null = null;
  if (blocked) {
    const retry = Math.max(1, Math.ceil(deps.overLimit.blockedFor(blocked.op.key, now) / 1000));
    rlDenial = {
      reason: 'rate-limit',
      detail: `limit ${blocked.limit.name} exceeded (cached)`,
      rateLimit: { name: blocked.limit.name, limit: blocked.limit.requests, remaining: 0, resetSeconds: retry, retryAfterSeconds: retry },
    };
  } else if (!isEmptyBatch(batch)) {
    try {
      result = await deps.store.evaluate(batch);
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      deps.onStoreError?.(e, policy.id, policy.failOpen);
      if (!policy.failOpen) {
        const d: Denial = { reason: 'unavailable', detail: `counter store unavailable: ${e instanceof StoreUnavailableError ? e.message : 'error'}` };
        if ((v = deny(ev, state, 'rate-limit', d)).stop) return v.stop;
      } else {
        result = await deps.fallback.evaluate(batch);
        ev.trace.push({ stage: 'rate-limit', result: 'pass', detail: 'store down: FailOpen, local limiter used' });
      }
    }
    const judged = judgeRateLimits(planned, result.rateLimits);
    rateLimit = judged.info;
    rlDenial = judged.denial;
    result.rateLimits.forEach((r, i) => {
      const key = planned[i]?.op.key;
      if (key && !r.allowed && r.retryAfterMs > 0) deps.overLimit.block(key, now + r.retryAfterMs);
    });
  }
  if (rlDenial) {
    if ((v = deny(ev, state, 'rate-limit', rlDenial)).stop) return { ...v.stop, rateLimit: rlDenial.rateLimit ?? null };
  } else if (rateLimit) ev.trace.push({ stage: 'rate-limit', result: 'pass', detail: `${rateLimit.name}: ${rateLimit.remaining} left` });
  else if (planned.length === 0) ev.trace.push({ stage: 'rate-limit', result: 'skip', detail: 'no matching limit' });

  let bot = null;
  if (policy.bot.mode === 'Off') ev.trace.push({ stage: 'bot', result: 'skip', detail: 'bot mode Off' });
  else if (allowListed) {
    bot = { score: 0, verdict: 'allow' as const, signals: [] };
    ev.trace.push({ stage: 'bot', result: 'pass', detail: allowListed });
  } else {
    bot = assessBot(policy, req, behaviourSignals(botPlan, result.counters, result.distinct));
    const explain = `score ${bot.score} (${bot.signals.map((s) => `${s.name}+${s.score}`).join(', ') || 'no signals'})`;
    if (bot.verdict === 'deny' && policy.bot.mode === 'Enforce') {
      if ((v = deny(ev, state, 'bot', { reason: 'bot', detail: explain })).stop) return { ...v.stop, bot, rateLimit };
    } else if (bot.verdict === 'deny') {
      ev.trace.push({ stage: 'bot', result: 'would-deny', detail: `${explain}; bot mode Monitor` });
      state.wouldDeny ??= { reason: 'bot', detail: explain };
    } else ev.trace.push({ stage: 'bot', result: 'pass', detail: `${bot.verdict}: ${explain}` });
  }

  return {
    kind: 'allow',
    policy,
    consumer: ev.consumer,
    principal: req.principal,
    trace: ev.trace,
    bot,
    rateLimit,
    wouldDeny: state.wouldDeny,
    stripHeaders: ev.stripHeaders,
  };
}
