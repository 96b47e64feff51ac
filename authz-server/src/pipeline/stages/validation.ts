/**
 * Positive validation: a policy with an OpenAPI description accepts only the operations it declares, with the
 * parameters and bodies it declares (openapi/validator.ts). The description has its own mode: in its Monitor mode
 * a failure is only a would-deny, like the bot section's.
 */
import { deny, pass, skip, type Stage } from '../stage.ts';

/** The validation stage (see the module comment). */
export const validationStage: Stage = {
  name: 'validation',
  run(ev) {
    const api = ev.policy.api;
    if (!api) return skip('no OpenAPI description');
    const result = api.validator.validate(ev.req);
    if (result.ok) return pass(`${ev.req.method} ${result.template}${result.operationId ? ` (${result.operationId})` : ''}`);
    const denial = { reason: 'validation' as const, detail: result.detail };
    return api.mode === 'Enforce' ? deny(denial) : { result: 'would-deny', denial };
  },
};
