/**
 * Decision hooks run after the answers: the hooks of the Checks decided in one event-loop turn (the bot feed's
 * learning, API discovery, journeys) run together in a later turn (setImmediate), once those Checks' responses have
 * been written. Their work is then no part of any Check's latency; none of it is needed for the answer (what they
 * learn reaches the store on the off-path flush, and an access-log entry of a Check cannot arrive before Envoy has
 * the Check's answer).
 */
import type { Outcome } from '../pipeline/outcome.ts';
import type { RequestContext } from '../pipeline/request.ts';

/** A decision hook that queues its calls (see the module comment); `flush` runs the queued ones now. */
export interface AfterAnswers {
  (req: RequestContext, outcome: Outcome): void;
  /** Runs every queued call now (shutdown, before the off-path counters' last flush). */
  flush(): void;
  /** Calls queued and not yet run. */
  readonly pending: number;
}

/**
 * Wraps `hook` so that calling it queues the call for a later turn; once `maxHeld` calls are queued they run at
 * once. A call that throws is reported to `onError` and does not stop the others.
 */
export function afterAnswers(hook: (req: RequestContext, outcome: Outcome) => void, onError: (err: unknown, req: RequestContext) => void, maxHeld = 8): AfterAnswers {
  // Flat pairs (request, outcome): one array per turn, not an object per Check.
  let queue: Array<RequestContext | Outcome> = [];
  let scheduled = false;
  const run = () => {
    const calls = queue;
    queue = [];
    for (let i = 0; i < calls.length; i += 2) {
      const req = calls[i] as RequestContext;
      try {
        hook(req, calls[i + 1] as Outcome);
      } catch (err) {
        onError(err, req);
      }
    }
  };
  const later = () => {
    scheduled = false;
    run();
  };
  const queued = ((req: RequestContext, outcome: Outcome) => {
    queue.push(req, outcome);
    // A saturated process decides many Checks in a turn; the outcomes it holds would survive every young-generation
    // collection until the turn ends. Past maxHeld they are worked off at once.
    if (queue.length >= 2 * maxHeld) return run();
    // One turn's callback at most: what the cap or flush ran leaves it pending for what is queued after.
    if (!scheduled) {
      scheduled = true;
      setImmediate(later);
    }
  }) as AfterAnswers;
  Object.defineProperties(queued, {
    flush: { value: run },
    pending: { get: () => queue.length / 2 },
  });
  return queued;
}
