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

function list(items: Iterable<string>): string {
  const all = [...items];
  return `[${all.slice(0, 3).join(', ')}${all.length > 3 ? `, +${all.length - 3}` : ''}]`;
}

/**
 * What keeps a rule from matching this request, field by field (empty: it matches); all fields must match. A
 * field that names an identity (principals, consumers, claims) never matches a request without that identity,
 * whatever its pattern: `principals: ["*"]` means "any mTLS peer", not "anyone", and `claims: {}` means "any
 * verified JWT".
 */
function ruleMisses(r: RuntimeRule, ev: Evaluation): string[] {
  const { req } = ev;
  const misses: string[] = [];
  if (r.methods && !r.methods.has(req.method)) misses.push(`method ${req.method} not in ${list(r.methods)}`);
  if (r.paths && !anyMatch(r.paths, req.path)) misses.push(`path ${req.path} matches none of ${list(r.paths.map((m) => m.pattern))}`);
  if (r.principals && req.principal === '') misses.push('principal required, the request has none (plaintext)');
  else if (r.principals && !anyMatch(r.principals, req.principal)) misses.push(`principal ${req.principal} matches none of ${list(r.principals.map((m) => m.pattern))}`);
  if (r.consumers && (ev.consumer === null || ev.consumer === '' || !r.consumers.has(ev.consumer))) misses.push(`consumer ${ev.consumer || '(none)'} not in ${list(r.consumers)}`);
  if (r.claims && ev.claims === null) misses.push('claims required, the request has no verified JWT');
  else if (r.claims) for (const [k, v] of r.claims) if (!claimMatches(ev.claims, k, v)) misses.push(`claim ${k} is not ${JSON.stringify(v)}`);
  return misses;
}

/**
 * The access stage. A denial names the rule that came closest (fewest failing fields, the first on a tie) and
 * what it failed on, so `palisade check` and the decision log say what to change.
 */
export const rulesStage: Stage = {
  name: 'rules',
  run(ev) {
    const rules = ev.policy.rules;
    if (rules === null) return skip('no rules');
    let closest: { i: number; misses: string[] } | null = null;
    for (let i = 0; i < rules.length; i++) {
      const misses = ruleMisses(rules[i] as RuntimeRule, ev);
      if (misses.length === 0) return pass(`rule ${i} matches`);
      if (closest === null || misses.length < closest.misses.length) closest = { i, misses };
    }
    const why = closest ? `; closest is rule ${closest.i}: ${closest.misses.join('; ')}` : ' (the policy has an empty rule list)';
    return deny({ reason: 'access', detail: `no rule matches ${ev.req.method} ${ev.req.path}${why}` });
  },
};
