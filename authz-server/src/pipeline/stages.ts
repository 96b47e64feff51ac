/**
 * The request-local stages: identity, authentication, rules and inspection. Each reads the Evaluation and
 * returns a Denial or null; none does store I/O (rate limits and bot counters share one store round trip in
 * pipeline.ts).
 */
import { createHash } from 'node:crypto';
import { errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import { inspectRequest } from '../inspection/inspect.ts';
import type { Denial, TraceEntry } from './outcome.ts';
import type { RequestContext } from './request.ts';
import type { Matcher, RuntimePolicy, RuntimeRule } from './runtime.ts';

/** Mutable per-request state threaded through the stages. */
export interface Evaluation {
  req: RequestContext;
  policy: RuntimePolicy;
  consumer: string | null;
  claims: JWTPayload | null;
  /** Credential headers that must not reach the upstream. */
  stripHeaders: string[];
  trace: TraceEntry[];
}

/** Clock skew tolerated on exp/nbf/iat, seconds. */
export const JWT_CLOCK_TOLERANCE_S = 30;

function anyMatch(list: Matcher[], value: string): Matcher | undefined {
  return list.find((m) => m.re.test(value));
}

/** mTLS identity: principal required, deny list, allow list (deny wins). */
export function identityStage(ev: Evaluation): Denial | null {
  const { requireMTLS, allowed, denied } = ev.policy.identity;
  const principal = ev.req.principal;
  if (principal === '') {
    if (requireMTLS) return { reason: 'identity', detail: 'mTLS required: no peer principal' };
    if (allowed.length > 0) return { reason: 'identity', detail: 'allowedPrincipals set: no peer principal' };
    return null;
  }
  const deniedBy = anyMatch(denied, principal);
  if (deniedBy) return { reason: 'identity', detail: `principal denied by ${deniedBy.pattern}` };
  if (allowed.length > 0 && !anyMatch(allowed, principal)) return { reason: 'identity', detail: 'principal not in allowedPrincipals' };
  return null;
}

function challenges(policy: RuntimePolicy, jwtError?: string): string {
  const out: string[] = [];
  if (policy.jwt) out.push(`Bearer realm="${policy.jwt.realm}"${jwtError ? `, error="invalid_token"` : ''}`);
  if (policy.apiKeys) out.push(`ApiKey header="${policy.apiKeys.header}"`);
  if (out.length === 0) out.push(`Bearer realm="${policy.source.hosts[0] ?? policy.id}"`);
  return out.join(', ');
}

function authFailure(policy: RuntimePolicy, detail: string, jwtError?: string): Denial {
  return { reason: 'authentication', detail, wwwAuthenticate: challenges(policy, jwtError) };
}

function jwtErrorCode(err: unknown): string {
  if (err instanceof joseErrors.JWTExpired) return 'expired';
  if (err instanceof joseErrors.JWTClaimValidationFailed) return `claim ${err.claim} ${err.reason}`;
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'bad signature';
  if (err instanceof joseErrors.JWKSNoMatchingKey) return 'no matching key';
  if (err instanceof joseErrors.JWKSTimeout) return 'jwks timeout';
  if (err instanceof joseErrors.JOSEError) return err.code;
  return 'malformed';
}

/**
 * API keys (by SHA-256) and JWT (jose). A credential that is present but wrong is always a 401, even when
 * authentication is not required; Basic credentials are refused unless rejectBasicAuth is false.
 */
export async function authenticationStage(ev: Evaluation): Promise<Denial | null> {
  const p = ev.policy;
  const authorization = ev.req.headers.get('authorization') ?? '';
  const space = authorization.indexOf(' ');
  const scheme = (space > 0 ? authorization.slice(0, space) : authorization).toLowerCase();
  if (scheme === 'basic' && p.rejectBasicAuth) return authFailure(p, 'basic auth rejected');

  if (p.apiKeys) {
    const key = ev.req.headers.get(p.apiKeys.header);
    if (key !== undefined) {
      ev.stripHeaders.push(p.apiKeys.header);
      const consumer = p.apiKeys.byHash.get(createHash('sha256').update(key, 'utf8').digest('hex'));
      if (consumer === undefined) return authFailure(p, 'invalid api key');
      ev.consumer = consumer;
      return null;
    }
  }
  if (p.jwt && scheme === 'bearer') {
    const token = authorization.slice(space + 1).trim();
    try {
      const { payload } = await jwtVerify(token, p.jwt.keys, {
        issuer: p.jwt.issuer,
        ...(p.jwt.audiences.length > 0 ? { audience: p.jwt.audiences } : {}),
        clockTolerance: JWT_CLOCK_TOLERANCE_S,
      });
      ev.claims = payload;
      ev.consumer = typeof payload.sub === 'string' ? payload.sub : null;
      return null;
    } catch (err) {
      return authFailure(p, `invalid jwt: ${jwtErrorCode(err)}`, 'invalid_token');
    }
  }
  if (p.required) return authFailure(p, 'credential missing');
  return null;
}

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

/** Access rules: when present, one must match. Returns the index of the matching rule in the trace. */
export function rulesStage(ev: Evaluation): Denial | null {
  const rules = ev.policy.rules;
  if (rules === null) return null;
  const i = rules.findIndex((r) => ruleMatches(r, ev));
  if (i < 0) return { reason: 'access', detail: `no rule matches ${ev.req.method} ${ev.req.path}` };
  ev.trace.push({ stage: 'rules', result: 'pass', detail: `rule ${i} matches` });
  return null;
}

/** Malicious-input inspection of path, query, headers and body. */
export function inspectionStage(ev: Evaluation): Denial | null {
  const p = ev.policy;
  if (!p.anyInspection) return null;
  const finding = inspectRequest(
    {
      path: ev.req.rawPath,
      headers: ev.req.headers,
      ...(ev.req.body !== undefined ? { body: ev.req.body } : {}),
      ...(ev.req.headers.has('content-type') ? { contentType: ev.req.headers.get('content-type') as string } : {}),
    },
    p.inspection,
  );
  if (!finding) return null;
  return { reason: 'inspection', detail: `${finding.kind} in ${finding.location} (${finding.rule})` };
}
