/**
 * Behavioural bot detectors (SPEC.md "Bot signals"): planning is pure and yields counter/HyperLogLog ops that
 * join the Check's single store batch; judging turns the batch results into signals.
 */
import type { CounterBatchResult, CounterOp, DistinctOp } from '../store/counter-store.ts';
import type { BotSignal } from '../pipeline/outcome.ts';
import type { RequestContext } from '../pipeline/request.ts';
import type { RuntimePolicy } from '../pipeline/runtime.ts';

/** The store ops one Check needs for its behavioural detectors, and what to remember to judge them. */
export interface BotPlan {
  counters: CounterOp[];
  distinct: DistinctOp[];
}

/** No behavioural ops (bot mode Off, or allow-listed). */
export const EMPTY_BOT_PLAN: BotPlan = { counters: [], distinct: [] };

/** Plans the behavioural counters of one request. */
export function planBotCounters(_policy: RuntimePolicy, _req: RequestContext, _consumer: string | null, _nowMs: number): BotPlan {
  return EMPTY_BOT_PLAN;
}

/**
 * Turns the results of the planned ops into signals. `counters`/`distinct` are the slices of the batch result
 * that belong to this plan (index-aligned with plan.counters / plan.distinct).
 */
export function behaviourSignals(_plan: BotPlan, _counters: CounterBatchResult['counters'], _distinct: CounterBatchResult['distinct']): BotSignal[] {
  return [];
}
