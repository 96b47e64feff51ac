/**
 * What the pipeline decides: a discriminated union that one table (check/response.ts) maps to Envoy's
 * CheckResponse. Stages never build responses themselves.
 */
import type { ChallengeNote, ChallengeReply } from '../challenge/flow.ts';
import type { JourneyObservation } from '../journeys/journeys.ts';
import type { RuntimePolicy } from './runtime.ts';

/** The `x-palisade-reason` values of the verdict table. */
export type DenyReason =
  | 'no-policy'
  | 'identity'
  | 'authentication'
  | 'access'
  | 'validation'
  | 'inspection'
  | 'rate-limit'
  | 'bot'
  | 'challenge'
  | 'challenge-passed'
  | 'challenge-failed'
  | 'unavailable';

/** Pipeline stages in evaluation order. */
export type StageName = 'policy' | 'path' | 'identity' | 'authentication' | 'rules' | 'validation' | 'inspection' | 'rate-limit' | 'bot' | 'challenge';

/** Rate-limit state reported to the client (the most restrictive matching limit). */
export interface RateLimitInfo {
  name: string;
  limit: number;
  remaining: number;
  resetSeconds: number;
  retryAfterSeconds: number;
}

/** One detector's contribution to the bot score. */
export interface BotSignal {
  name: string;
  score: number;
  detail: string;
  /** The evidence family (the score counts the strongest signal of each behavioural family). */
  family?: string;
  /** What the detector measured, and the threshold it was judged against (same unit). */
  value?: number;
  threshold?: number;
}

export interface BotAssessment {
  score: number;
  verdict: 'allow' | 'challenge' | 'deny';
  signals: BotSignal[];
}

/** Why a request is (or would be) denied. */
export interface Denial {
  reason: DenyReason;
  /** Short machine-friendly detail for logs and `palisade check` (never a credential). */
  detail: string;
  wwwAuthenticate?: string;
  rateLimit?: RateLimitInfo;
  /** Inspection denials: the rule that matched, where, and the matched fragment (escaped, credentials redacted). */
  inspection?: { kind: string; rule: string; location: string; sample: string };
  /** The challenge flow's own reply (interstitial, JSON challenge, redirect): headers and body. */
  reply?: ChallengeReply;
  /** Set when the denial is for a body not inspected whole: why. */
  uninspectedBody?: string;
}

/** One line of the explanation `palisade check` prints and the debug log carries. */
export interface TraceEntry {
  stage: StageName;
  result: 'pass' | 'deny' | 'would-deny' | 'skip';
  detail: string;
}

interface Common {
  policy: RuntimePolicy | null;
  consumer: string | null;
  principal: string;
  trace: TraceEntry[];
  bot: BotAssessment | null;
  rateLimit: RateLimitInfo | null;
  /** What the challenge flow did (passes checked, solutions redeemed, challenges issued). */
  challenge?: ChallengeNote;
  /** The session's journey step, when journeys are tracked for the request (the model learns from it). */
  journey?: JourneyObservation | null;
}

/** The pipeline's result. */
export type Outcome =
  | (Common & {
      kind: 'allow';
      policy: RuntimePolicy;
      wouldDeny: Denial | null;
      stripHeaders: string[];
      /** Why part of the body was not inspected, when the policy lets such bodies through flagged. */
      bodyUninspected?: string | null;
    })
  | (Common & { kind: 'deny'; denial: Denial });
