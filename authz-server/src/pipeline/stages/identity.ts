/** mTLS identity: principal required, deny list, allow list (deny wins). */
import { deny, pass, type Stage } from '../stage.ts';
import { anyMatch } from '../runtime.ts';

export const identityStage: Stage = {
  name: 'identity',
  run(ev) {
    const { requireMTLS, allowed, denied } = ev.policy.identity;
    const principal = ev.req.principal;
    if (principal === '') {
      if (requireMTLS) return deny({ reason: 'identity', detail: 'mTLS required: no peer principal' });
      if (allowed.length > 0) return deny({ reason: 'identity', detail: 'allowedPrincipals set: no peer principal' });
      return pass('no principal required');
    }
    const deniedBy = anyMatch(denied, principal);
    if (deniedBy) return deny({ reason: 'identity', detail: `principal denied by ${deniedBy.pattern}` });
    if (allowed.length > 0 && !anyMatch(allowed, principal)) return deny({ reason: 'identity', detail: 'principal not in allowedPrincipals' });
    return pass(principal);
  },
};
