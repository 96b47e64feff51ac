/**
 * The path the policy's rules and rate limits match: the reading of the request path that the policy's upstream
 * has (pathMatching, see path.ts), or a refusal when the path is one upstreams disagree on. Every later stage,
 * the decision log, the bot detectors and API discovery read this same path.
 */
import { pathFor } from '../path.ts';
import { deny, pass, type Stage } from '../stage.ts';

export const pathStage: Stage = {
  name: 'path',
  run(ev) {
    const reading = pathFor(ev.req.pathForms, ev.policy.pathMatching.escapedSlashes);
    // Set even when refused: in Monitor mode the request is still evaluated, on the reading shown in the log.
    ev.req.path = reading.path;
    if (reading.problem) return deny({ reason: 'inspection', detail: `ambiguous path: ${reading.problem}` });
    return pass(reading.path);
  },
};
