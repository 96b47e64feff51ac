/** Access rules: when a policy has rules, one must match (all of its fields). */
import type { JWTPayload } from 'jose';
import { anyMatch, type RuntimeRule } from '../runtime.ts';
import { deny, pass, skip, type Evaluation, type Stage } from '../stage.ts';

function claimMatches(claims: JWTPayload | null, name: string, expected: string): boolean {
  const v = claims?.[name];
  if (Array.isArray(v)) return v.some((x) => String(x) === expected);
  if (typeof v === 'string') return v === expected || v.split(' ').includes(expected);
  return v !== undefined && v !== null && String(v) === expected;
}

function ruleMatches(r: RuntimeRule, ev: Evaluation): boolean {
  const { req } = ev;
  if (r.methods && !r.methods.has(req.method)) return false;
  if (r.paths && !anyMatch(r.paths, req.path)) return false;
  if (r.principals && !anyMatch(r.principals, req.principal)) return false;
  if (r.consumers && (ev.consumer === null || !r.consumers.has(ev.consumer))) return false;
  if (r.claims && !r.claims.every(([k, v]) => claimMatches(ev.claims, k, v))) return false;
  return true;
}

export const rulesStage: Stage = {
  name: 'rules',
  run(ev) {
    const rules = ev.policy.rules;
    if (rules === null) return skip('no rules');
    const i = rules.findIndex((r) => ruleMatches(r, ev));
    if (i < 0) return deny({ reason: 'access', detail: `no rule matches ${ev.req.method} ${ev.req.path}` });
    return pass(`rule ${i} matches`);
  },
};
