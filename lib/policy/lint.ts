/**
 * Warnings about policies that compile but may not do what their author expects. Today: a rate-limit key part
 * that can be absent for requests the policy admits, while the limit does not say what happens then (absent
 * parts share one bucket: every anonymous caller, or every caller without the header, draws from one budget);
 * API keys read from the authorization header without a scheme (the key would have to include "Bearer ").
 */
import type { PolicyInput } from './compile.ts';
import type { PolicySpec } from './schema.ts';

/** One warning, located like a compiler violation. */
export interface LintWarning {
  policy: string;
  field: string;
  message: string;
}

/** Whether every admitted request is known to carry the key part (else it can be absent). */
function alwaysPresent(part: string, spec: PolicySpec): boolean {
  const rules = spec.rules;
  const everyRule = (pred: (r: NonNullable<PolicySpec['rules']>[number]) => boolean) => rules !== undefined && rules.length > 0 && rules.every(pred);
  if (part === 'clientIP') return true;
  if (part === 'principal') return spec.identity?.requireMTLS === true || everyRule((r) => r.principals !== undefined && r.principals.length > 0);
  if (part === 'consumer') return spec.authentication?.required === true || everyRule((r) => r.consumers !== undefined && r.consumers.length > 0);
  if (part.startsWith('claim:')) {
    const name = part.slice('claim:'.length);
    return spec.authentication?.required === true && everyRule((r) => r.claims?.[name] !== undefined);
  }
  // header:<name> and session come from the client and can always be left out
  return false;
}

/** Warnings for one policy. */
export function lintPolicy(doc: PolicyInput): LintWarning[] {
  const id = `${doc.metadata.namespace ?? 'default'}/${doc.metadata.name}`;
  const out: LintWarning[] = [];
  (doc.spec.rateLimits ?? []).forEach((rl, i) => {
    if (rl.whenKeyPartMissing !== undefined) return;
    rl.key.forEach((part, j) => {
      if (alwaysPresent(part, doc.spec)) return;
      out.push({
        policy: id,
        field: `spec.rateLimits[${i}].key[${j}]`,
        message: `"${part}" can be absent for requests the policy admits; those requests all share one "${rl.name}" bucket. Say so with whenKeyPartMissing: Share, or exempt them with whenKeyPartMissing: Skip`,
      });
    });
  });
  const keys = doc.spec.authentication?.apiKeys;
  if (keys && keys.scheme === undefined && keys.header?.toLowerCase() === 'authorization') {
    out.push({
      policy: id,
      field: 'spec.authentication.apiKeys.header',
      message: 'the key is the whole authorization value, scheme included ("Bearer <key>" hashes as such); if clients send "Bearer <key>", set scheme: Bearer',
    });
  }
  return out;
}
