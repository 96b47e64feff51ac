/**
 * The one shape every pipeline stage has: it reads (and may enrich) the Evaluation and returns a StageResult
 * carrying its own trace line. The chain in pipeline.ts applies Enforce/Monitor uniformly, so no stage knows
 * about the policy's mode.
 */
import type { JWTPayload } from 'jose';
import type { BaselineBook } from '../bot/baseline.ts';
import type { BotPlan } from '../bot/behaviour.ts';
import type { ChallengeNote } from '../challenge/flow.ts';
import type { JourneyModel, JourneyObservation, JourneyPlan } from '../journeys/journeys.ts';
import type { CounterBatchResult, SequenceResult } from '../store/counter-store.ts';
import type { BotAssessment, Denial, RateLimitInfo, StageName, TraceEntry } from './outcome.ts';
import type { RateLimiter } from './rate-limiter.ts';
import type { RequestContext } from './request.ts';
import type { RuntimePolicy } from './runtime.ts';

/** Per-request state threaded through the stages. Stages add what later stages and the decision need. */
export interface Evaluation {
  readonly req: RequestContext;
  readonly policy: RuntimePolicy;
  readonly limiter: RateLimiter;
  /** What the bot detectors learned about each policy's population (priors without one). */
  readonly botBaselines: BaselineBook | null;
  /** Clock reading taken once per Check (ms). */
  readonly now: number;
  consumer: string | null;
  claims: JWTPayload | null;
  /** Credential headers that must not reach the upstream. */
  stripHeaders: string[];
  trace: TraceEntry[];
  rateLimit: RateLimitInfo | null;
  bot: BotAssessment | null;
  /** Why part of the body was not inspected, when the policy lets it through flagged (oversizedBody: Flag). */
  bodyUninspected: string | null;
  /** The bot counters planned for the Check's one store round trip, and their results once it ran. */
  botWork: { allowListed: string | null; plan: BotPlan; results: Pick<CounterBatchResult, 'counters' | 'distinct'> } | null;
  /** What the challenge flow did on this request. */
  challenge?: ChallengeNote;
  /** Usage journeys (null: not tracked, as in the offline CLI). */
  readonly journeys: JourneyModel | null;
  /** The journey ops planned for the same round trip, and their results once it ran. */
  journeyWork: { plan: JourneyPlan; sequence: SequenceResult | undefined; counts: number[] | undefined } | null;
  /** What the bot stage concluded about the session's journey. */
  journey: JourneyObservation | null;
}

/**
 * What a stage concluded. `deny` ends the chain in Enforce mode and becomes `would-deny` in Monitor mode;
 * `would-deny` is a stage's own dry run (bot Monitor mode) and never ends the chain.
 */
export type StageResult =
  | { result: 'pass'; detail: string }
  | { result: 'skip'; detail: string }
  | { result: 'deny'; denial: Denial }
  | { result: 'would-deny'; denial: Denial };

/** One step of the chain. */
export interface Stage {
  readonly name: StageName;
  run(ev: Evaluation): StageResult | Promise<StageResult>;
}

/** Shorthands for stage results. */
export const pass = (detail: string): StageResult => ({ result: 'pass', detail });
export const skip = (detail: string): StageResult => ({ result: 'skip', detail });
export const deny = (denial: Denial): StageResult => ({ result: 'deny', denial });
