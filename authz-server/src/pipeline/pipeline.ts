/**
 * The per-request pipeline: an ordered chain of stages of one shape (stage.ts), then the decision. The chain
 * applies the policy's mode in one place: in Enforce mode the first deny ends it; in Monitor mode a deny is
 * recorded as the would-be reason and evaluation goes on, so nothing is denied. Store work (rate limits and bot
 * counters) costs at most one round trip, zero when a key is already known to be over its limit.
 */
import type { BaselineBook } from '../bot/baseline.ts';
import type { JourneyModel } from '../journeys/journeys.ts';
import type { Denial, Outcome } from './outcome.ts';
import type { RateLimiter } from './rate-limiter.ts';
import type { RequestContext } from './request.ts';
import type { Runtime } from './runtime.ts';
import type { Evaluation, Stage } from './stage.ts';
import { authenticationStage } from './stages/authentication.ts';
import { botStage } from './stages/bot.ts';
import { challengeStage, challengeVerifyStage } from './stages/challenge.ts';
import { identityStage } from './stages/identity.ts';
import { pathStage } from './stages/path.ts';
import { inspectionStage, requestSizeStage } from './stages/inspection.ts';
import { rateLimitStage } from './stages/rate-limit.ts';
import { rulesStage } from './stages/rules.ts';
import { validationStage } from './stages/validation.ts';

/** What the pipeline needs from the outside world. */
export interface PipelineDeps {
  limiter: RateLimiter;
  clock: () => number;
  /** The bot detectors' learned baselines (absent: priors only, e.g. `palisade check`). */
  botBaselines?: BaselineBook;
  /** Usage journeys (shared model); absent: not tracked. */
  journeys?: JourneyModel;
}

/** The stages in evaluation order. */
export const STAGES: readonly Stage[] = [
  requestSizeStage,
  pathStage,
  challengeVerifyStage,
  identityStage,
  authenticationStage,
  rulesStage,
  validationStage,
  inspectionStage,
  rateLimitStage,
  botStage,
  challengeStage,
];

function noPolicy(runtime: Runtime | null, req: RequestContext, why: string): Outcome {
  const detail = req.malformed ? 'malformed CheckRequest' : req.host === '' ? 'request has no :authority' : why;
  if (!runtime) {
    // Nothing to judge by yet (no snapshot since start): that is an outage of Palisade, not a verdict on the request.
    return {
      kind: 'deny',
      policy: null,
      consumer: null,
      principal: req.principal,
      trace: [{ stage: 'policy', result: 'deny', detail: 'no snapshot loaded' }],
      bot: null,
      rateLimit: null,
      denial: { reason: 'unavailable', detail: 'no policy snapshot loaded yet' },
    };
  }
  return {
    kind: 'deny',
    policy: null,
    consumer: null,
    principal: req.principal,
    trace: [{ stage: 'policy', result: 'deny', detail: why }],
    bot: null,
    rateLimit: null,
    denial: { reason: 'no-policy', detail },
  };
}

/**
 * Evaluates one request against the current runtime through `stages`. Never throws for a request's content. The
 * policy is the one bound to the receiving workload when Envoy reports it, else the Host's (Runtime.select).
 */
export async function evaluateRequest(runtime: Runtime | null, req: RequestContext, deps: PipelineDeps, stages: readonly Stage[] = STAGES): Promise<Outcome> {
  const selected = runtime ? runtime.select(req.host, req.destination) : { policy: null, detail: 'no snapshot loaded' };
  const policy = selected.policy;
  if (!policy) return noPolicy(runtime, req, selected.detail);
  const ev: Evaluation = {
    req,
    policy,
    limiter: deps.limiter,
    botBaselines: deps.botBaselines ?? null,
    now: deps.clock(),
    consumer: null,
    claims: null,
    stripHeaders: [],
    trace: [{ stage: 'policy', result: 'pass', detail: selected.detail }],
    rateLimit: null,
    bot: null,
    bodyUninspected: null,
    botWork: null,
    journeys: deps.journeys ?? null,
    journeyWork: null,
    journey: null,
  };
  let wouldDeny: Denial | null = null;
  for (let i = 0; i < stages.length; i++) {
    const stage = stages[i]!;
    // Most stages answer at once: awaiting only a promise spares the others a microtask turn and its allocations.
    const ran = stage.run(ev);
    const r = ran instanceof Promise ? await ran : ran;
    if (r.result === 'pass' || r.result === 'skip') {
      ev.trace.push({ stage: stage.name, result: r.result, detail: r.detail });
      continue;
    }
    if (r.result === 'deny' && !policy.monitor) {
      ev.trace.push({ stage: stage.name, result: 'deny', detail: r.denial.detail });
      const { consumer, trace, bot, rateLimit, challenge, journey } = ev;
      return { kind: 'deny', policy, consumer, principal: req.principal, trace, bot, rateLimit, challenge, journey, denial: r.denial };
    }
    ev.trace.push({ stage: stage.name, result: 'would-deny', detail: r.denial.detail });
    wouldDeny ??= r.denial;
  }
  const { consumer, trace, bot, rateLimit, stripHeaders, bodyUninspected, challenge, journey } = ev;
  return { kind: 'allow', policy, consumer, principal: req.principal, trace, bot, rateLimit, challenge, journey, wouldDeny, stripHeaders, bodyUninspected };
}
