/**
 * What the pipeline decides: a discriminated union that one table (check/response.ts) maps to Envoy's
 * CheckResponse. Stages never build responses themselves.
 */
import type { RuntimePolicy } from './runtime.ts';

/** The `x-palisade-reason` values of the verdict table. */
export type DenyReason = 'no-policy' | 'identity' | 'authentication' | 'access' | 'inspection' | 'rate-limit' | 'bot' | 'unavailable';

/** Pipeline stages in evaluation order. */
export type StageName = 'policy' | 'identity' | 'authentication' | 'rules' | 'inspection' | 'rate-limit' | 'bot';

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
}

/** The pipeline's result. */
export type Outcome =
  | (Common & { kind: 'allow'; policy: RuntimePolicy; wouldDeny: Denial | null; stripHeaders: string[] })
  | (Common & { kind: 'deny'; denial: Denial });
