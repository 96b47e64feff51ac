/**
 * Rate-limit planning and judging. Planning is pure: which limits match, their keys, the store ops. Judging
 * turns store results into a Denial or the headers of the most restrictive limit.
 */
import { rateLimitKey } from '../store/keys.ts';
import type { RateLimitOp, RateLimitResult } from '../store/counter-store.ts';
import type { Denial, RateLimitInfo } from './outcome.ts';
import { cookieValue, type RequestContext } from './request.ts';
import type { RuntimePolicy, RuntimeRateLimit } from './runtime.ts';
import type { JWTPayload } from 'jose';

/** Placeholder for a key part the request does not carry: such requests share one bucket (unless the limit skips them). */
export const MISSING_PART = '-';

/** The session id of a request, by the policy's bot/session setting. */
export function sessionOf(policy: RuntimePolicy, req: RequestContext): string {
  const s = policy.bot.session;
  return 'header' in s ? (req.headers.get(s.header) ?? '') : cookieValue(req.headers, s.cookie);
}

function present(value: string | null | undefined): value is string {
  return value !== undefined && value !== null && value !== '';
}

function matches(rl: RuntimeRateLimit, req: RequestContext): boolean {
  if (rl.methods && !rl.methods.has(req.method)) return false;
  if (rl.paths && !rl.paths.some((m) => m.re.test(req.path))) return false;
  return true;
}

/** A planned limit: the op for the store plus what is needed to explain it. */
export interface PlannedLimit {
  limit: RuntimeRateLimit;
  op: RateLimitOp;
}

/** Which limits apply to this request, with their store keys. */
export function planRateLimits(policy: RuntimePolicy, req: RequestContext, consumer: string | null, claims: JWTPayload | null): PlannedLimit[] {
  const planned: PlannedLimit[] = [];
  for (const rl of policy.rateLimits) {
    if (!matches(rl, req)) continue;
    let missing = false;
    const part = (value: string | null | undefined): string => {
      if (present(value)) return value;
      missing = true;
      return MISSING_PART;
    };
    const parts = rl.key.map((k) => {
      switch (k.kind) {
        case 'clientIP':
          return part(req.clientIp);
        case 'principal':
          return part(req.principal);
        case 'consumer':
          return part(consumer);
        case 'session':
          return part(sessionOf(policy, req));
        case 'header':
          return part(req.headers.get(k.name));
        case 'claim': {
          const v = claims?.[k.name];
          return part(v === undefined ? undefined : typeof v === 'string' ? v : JSON.stringify(v));
        }
      }
    });
    if (missing && rl.skipWhenKeyPartMissing) continue;
    planned.push({
      limit: rl,
      op: { key: rateLimitKey(policy.id, rl.name, parts), requests: rl.requests, periodMs: rl.periodMs, burst: rl.burst },
    });
  }
  return planned;
}

/** `limit` is the bucket's capacity (requests + burst), so `remaining` never exceeds it. */
function info(rl: RuntimeRateLimit, r: RateLimitResult): RateLimitInfo {
  const capacity = rl.requests + rl.burst;
  return {
    name: rl.name,
    limit: capacity,
    remaining: Math.min(capacity, Math.max(0, r.remaining)),
    resetSeconds: Math.ceil(r.resetMs / 1000),
    retryAfterSeconds: Math.max(1, Math.ceil(r.retryAfterMs / 1000)),
  };
}

/** Turns results (index-aligned with `planned`) into a Denial for the first exceeded limit, or the tightest info. */
export function judgeRateLimits(planned: PlannedLimit[], results: RateLimitResult[]): { denial: Denial | null; info: RateLimitInfo | null } {
  let tightest: RateLimitInfo | null = null;
  for (let i = 0; i < planned.length; i++) {
    const r = results[i];
    const p = planned[i];
    if (!r || !p) continue;
    const inf = info(p.limit, r);
    if (!r.allowed) return { denial: { reason: 'rate-limit', detail: `limit ${p.limit.name} exceeded`, rateLimit: inf }, info: inf };
    if (tightest === null || inf.remaining < tightest.remaining) tightest = inf;
  }
  return { denial: null, info: tightest };
}
