/**
 * The one table that maps pipeline outcomes to Envoy CheckResponses. Every header option sets `append`
 * explicitly (Envoy versions differ on the default); every response carries an explicit status code (an empty
 * message would decode as OK).
 */
import { RpcCode, type CheckResponse, type HeaderValueOption } from '../envoy/protos.ts';
import type { BotSignal, DenyReason, Outcome, RateLimitInfo } from './outcome.ts';

/** gRPC code, HTTP status and message per deny reason: the verdict table of docs/contract.md. */
export const VERDICT_TABLE: Readonly<Record<DenyReason, { grpc: number; http: number; message: string }>> = {
  'no-policy': { grpc: RpcCode.PERMISSION_DENIED, http: 403, message: 'no policy for host' },
  identity: { grpc: RpcCode.PERMISSION_DENIED, http: 403, message: 'peer identity not allowed' },
  authentication: { grpc: RpcCode.UNAUTHENTICATED, http: 401, message: 'authentication required' },
  access: { grpc: RpcCode.PERMISSION_DENIED, http: 403, message: 'no access rule matches' },
  inspection: { grpc: RpcCode.PERMISSION_DENIED, http: 403, message: 'malicious input' },
  'rate-limit': { grpc: RpcCode.RESOURCE_EXHAUSTED, http: 429, message: 'rate limited' },
  bot: { grpc: RpcCode.PERMISSION_DENIED, http: 403, message: 'automated client' },
  unavailable: { grpc: RpcCode.UNAVAILABLE, http: 503, message: 'policy store unavailable' },
};

/** Upstream/downstream header names Palisade sets. */
export const HEADER = {
  reason: 'x-palisade-reason',
  consumer: 'x-palisade-consumer',
  principal: 'x-palisade-principal',
  botScore: 'x-palisade-bot-score',
  botVerdict: 'x-palisade-bot-verdict',
  /**
   * Detectors that contributed to the bot score, comma-separated `name+score`, followed by `(value/threshold)`
   * when the detector measured one (details in the decision log).
   */
  botSignals: 'x-palisade-bot-signals',
  wouldDeny: 'x-palisade-would-deny',
} as const;

const UPSTREAM_HEADERS = [HEADER.consumer, HEADER.principal, HEADER.botScore, HEADER.botVerdict, HEADER.botSignals, HEADER.wouldDeny];

/** One signal in `x-palisade-bot-signals`: `name+score`, then `(value/threshold)` when it measured something. */
export function botSignalHeader(s: BotSignal): string {
  const fmt = (x: number) => String(Math.round(x * 100) / 100);
  return s.value !== undefined && s.threshold !== undefined ? `${s.name}+${s.score}(${fmt(s.value)}/${fmt(s.threshold)})` : `${s.name}+${s.score}`;
}

function header(key: string, value: string): HeaderValueOption {
  return { header: { key, value }, append: { value: false } };
}

function rateLimitHeaders(rl: RateLimitInfo, denied: boolean): HeaderValueOption[] {
  const out = [
    header('ratelimit-limit', String(rl.limit)),
    header('ratelimit-remaining', String(rl.remaining)),
    header('ratelimit-reset', String(rl.resetSeconds)),
  ];
  if (denied) out.push(header('retry-after', String(rl.retryAfterSeconds)));
  return out;
}

/** Builds the CheckResponse for an outcome. `requestId` goes into denied bodies. */
export function toCheckResponse(outcome: Outcome, requestId: string): CheckResponse {
  if (outcome.kind === 'deny') {
    const row = VERDICT_TABLE[outcome.denial.reason];
    const headers = [header(HEADER.reason, outcome.denial.reason), header('content-type', 'application/json')];
    if (outcome.denial.wwwAuthenticate) headers.push(header('www-authenticate', outcome.denial.wwwAuthenticate));
    if (outcome.denial.rateLimit) headers.push(...rateLimitHeaders(outcome.denial.rateLimit, true));
    return {
      status: { code: row.grpc, message: row.message },
      denied_response: {
        status: { code: row.http },
        headers,
        body: JSON.stringify({ error: outcome.denial.reason, requestId }),
      },
    };
  }
  const set = new Map<string, string>();
  if (outcome.consumer) set.set(HEADER.consumer, outcome.consumer);
  if (outcome.principal) set.set(HEADER.principal, outcome.principal);
  if (outcome.bot) {
    set.set(HEADER.botScore, String(outcome.bot.score));
    set.set(HEADER.botVerdict, outcome.bot.verdict === 'allow' ? 'allow' : 'challenge');
    const fired = outcome.bot.signals.filter((s) => s.score > 0);
    if (fired.length > 0) set.set(HEADER.botSignals, fired.map(botSignalHeader).join(','));
  }
  if (outcome.wouldDeny) set.set(HEADER.wouldDeny, outcome.wouldDeny.reason);
  // Whatever Palisade does not set itself must not arrive from the client either (no forged consumers).
  const forged = UPSTREAM_HEADERS.filter((h) => !set.has(h));
  return {
    status: { code: RpcCode.OK },
    ok_response: {
      headers: [...set].map(([k, v]) => header(k, v)),
      headers_to_remove: [...outcome.stripHeaders, ...forged],
      response_headers_to_add: outcome.rateLimit ? rateLimitHeaders(outcome.rateLimit, false) : [],
    },
  };
}

/** The response for a request the server could not evaluate at all (an internal error): fail closed, 503. */
export function internalErrorResponse(requestId: string): CheckResponse {
  return {
    status: { code: RpcCode.UNAVAILABLE, message: 'internal error' },
    denied_response: {
      status: { code: 503 },
      headers: [header(HEADER.reason, 'unavailable'), header('content-type', 'application/json')],
      body: JSON.stringify({ error: 'unavailable', requestId }),
    },
  };
}
