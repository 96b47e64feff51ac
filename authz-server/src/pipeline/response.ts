/**
 * The one table that maps pipeline outcomes to Envoy CheckResponses. Every header option sets `append`
 * explicitly (Envoy versions differ on the default); every response carries an explicit status code (an empty
 * message would decode as OK).
 */
import { PASS_HEADER, SOLUTION_HEADER } from '../challenge/flow.ts';
import { RpcCode, type CheckResponse, type HeaderValueOption } from '../envoy/protos.ts';
import type { BotSignal, DenyReason, Outcome, RateLimitInfo } from './outcome.ts';

/** gRPC code, HTTP status and message per deny reason: the verdict table of docs/contract.md. */
export const VERDICT_TABLE: Readonly<Record<DenyReason, { grpc: number; http: number; message: string }>> = {
  'no-policy': { grpc: RpcCode.PERMISSION_DENIED, http: 403, message: 'no policy for host' },
  identity: { grpc: RpcCode.PERMISSION_DENIED, http: 403, message: 'peer identity not allowed' },
  authentication: { grpc: RpcCode.UNAUTHENTICATED, http: 401, message: 'authentication required' },
  access: { grpc: RpcCode.PERMISSION_DENIED, http: 403, message: 'no access rule matches' },
  validation: { grpc: RpcCode.INVALID_ARGUMENT, http: 400, message: 'request does not match the API description' },
  inspection: { grpc: RpcCode.PERMISSION_DENIED, http: 403, message: 'malicious input' },
  'rate-limit': { grpc: RpcCode.RESOURCE_EXHAUSTED, http: 429, message: 'rate limited' },
  bot: { grpc: RpcCode.PERMISSION_DENIED, http: 403, message: 'automated client' },
  challenge: { grpc: RpcCode.UNAUTHENTICATED, http: 401, message: 'proof of work required' },
  'challenge-passed': { grpc: RpcCode.UNAUTHENTICATED, http: 303, message: 'proof of work accepted, pass issued' },
  'challenge-failed': { grpc: RpcCode.PERMISSION_DENIED, http: 403, message: 'proof of work refused' },
  unavailable: { grpc: RpcCode.UNAVAILABLE, http: 503, message: 'counter store or policy snapshot unavailable' },
};

/** Upstream/downstream header names Palisade sets. */
const HEADER = {
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
  /** `partial` when the policy's oversizedBody is Flag and part of the body was not inspected. */
  bodyInspected: 'x-palisade-body-inspected',
} as const;

const UPSTREAM_HEADERS = [HEADER.consumer, HEADER.principal, HEADER.botScore, HEADER.botVerdict, HEADER.botSignals, HEADER.wouldDeny, HEADER.bodyInspected];

/** Challenge credentials: consumed by Palisade, never forwarded. */
const CHALLENGE_HEADERS = [SOLUTION_HEADER, PASS_HEADER];

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
    const { denial } = outcome;
    const row = VERDICT_TABLE[denial.reason];
    const headers = [header(HEADER.reason, denial.reason)];
    // The challenge flow brings its own headers and body (an HTML page, a JSON challenge, a redirect).
    if (denial.reply) headers.push(...denial.reply.headers.map(([k, v]) => header(k, v)));
    else headers.push(header('content-type', 'application/json'));
    if (denial.wwwAuthenticate) headers.push(header('www-authenticate', denial.wwwAuthenticate));
    if (denial.rateLimit) headers.push(...rateLimitHeaders(denial.rateLimit, true));
    return {
      status: { code: row.grpc, message: row.message },
      denied_response: {
        status: { code: row.http },
        headers,
        body: denial.reply ? denial.reply.body : JSON.stringify({ error: denial.reason, requestId }),
      },
    };
  }
  const set = new Map<string, string>();
  if (outcome.consumer) set.set(HEADER.consumer, outcome.consumer);
  if (outcome.principal) set.set(HEADER.principal, outcome.principal);
  if (outcome.bot) {
    set.set(HEADER.botScore, String(outcome.bot.score));
    // Only an enforcing bot section asks the upstream to challenge; in Monitor mode the verdict stays in the logs.
    const enforcing = outcome.policy !== null && !outcome.policy.monitor && outcome.policy.bot.mode === 'Enforce';
    set.set(HEADER.botVerdict, enforcing && outcome.bot.verdict !== 'allow' ? 'challenge' : 'allow');
    const fired = outcome.bot.signals.filter((s) => s.score > 0);
    if (fired.length > 0) set.set(HEADER.botSignals, fired.map(botSignalHeader).join(','));
  }
  if (outcome.wouldDeny) set.set(HEADER.wouldDeny, outcome.wouldDeny.reason);
  if (outcome.bodyUninspected) set.set(HEADER.bodyInspected, 'partial');
  // Whatever Palisade does not set itself must not arrive from the client either (no forged consumers).
  const forged = UPSTREAM_HEADERS.filter((h) => !set.has(h));
  const toClient = outcome.rateLimit ? rateLimitHeaders(outcome.rateLimit, false) : [];
  if (outcome.challenge?.newPass) toClient.push(header(PASS_HEADER, outcome.challenge.newPass));
  return {
    status: { code: RpcCode.OK },
    ok_response: {
      headers: [...set].map(([k, v]) => header(k, v)),
      headers_to_remove: [...outcome.stripHeaders, ...forged, ...CHALLENGE_HEADERS],
      response_headers_to_add: toClient,
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
