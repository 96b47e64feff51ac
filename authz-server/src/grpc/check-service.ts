/**
 * The gRPC handlers on the ext_authz port: Authorization/Check and AccessLogService/StreamAccessLogs. The Check
 * handler never throws and never answers with an RPC error: Envoy treats RPC errors as "authz unavailable"
 * (status_on_error / failure_mode_allow), which is not a decision Palisade wants to hand over.
 */
import { status as grpcStatus } from '@grpc/grpc-js';
import type * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { CheckRequest, CheckResponse } from '../envoy/protos.ts';
import type { AuthzMetrics } from '../telemetry/metrics.ts';
import { evaluateRequest, type PipelineDeps } from '../pipeline/pipeline.ts';
import type { Denial, Outcome } from '../pipeline/outcome.ts';
import type { ClientAddressTrust } from '../pipeline/client-address.ts';
import type { RuntimePolicy } from '../pipeline/runtime.ts';
import { toRequestContext, type RequestContext, type RequestLimits } from '../pipeline/request.ts';
import type { SnapshotHolder } from '../sources/snapshot-holder.ts';
import { internalErrorResponse, toCheckResponse } from '../pipeline/response.ts';
import { verdictLabel, type DecisionLog } from '../telemetry/decision-log.ts';
import { rawCodecs } from '../../../lib/process/proto-services.ts';

/**
 * Wraps Check's request deserializer so that bytes which are not a CheckRequest reach the handler as an empty
 * request (denied as `no-policy`) instead of failing the RPC, which Envoy would treat as "authz unavailable".
 */
export function tolerantDeserializer(service: grpc.ServiceDefinition): grpc.ServiceDefinition {
  const out: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const [name, def] of Object.entries(service)) out[name] = { ...def, requestDeserialize: tolerant(def.requestDeserialize) };
  return out as grpc.ServiceDefinition;
}

/** `decode`, with bytes it cannot decode turned into the malformed marker instead of an exception. */
function tolerant<T>(decode: (bytes: Buffer) => T): (bytes: Buffer) => T {
  return (bytes) => {
    try {
      return decode(bytes);
    } catch {
      return { malformed: true } as T;
    }
  };
}

/**
 * Check's codecs for the HTTP/2 path (check-stream.ts): protobufjs's own decode and encode, without the plain-object
 * copies grpc-js's path makes (`toObject` of every decoded field, `fromObject` before encoding). toRequestContext
 * reads only the fields it knows and takes unset ones either way; response.ts builds every field in its wire type.
 * Bytes that are not a CheckRequest decode to the tolerant deserializer's malformed marker.
 */
export function checkStreamCodec(service: grpc.ServiceDefinition): { decode(bytes: Buffer): CheckRequest; encode(response: CheckResponse): Buffer } {
  const codecs = rawCodecs(service['Check'] as grpc.MethodDefinition<object, object> | undefined);
  if (!codecs) throw new Error('no codecs for Check: the service was not built by loadProtoServices');
  const { request, response } = codecs;
  return { decode: tolerant((bytes) => request.decode(bytes) as CheckRequest), encode: (res) => response.encode(res) };
}

/** Everything the Check handler depends on. */
export interface CheckServiceDeps {
  holder: SnapshotHolder;
  pipeline: PipelineDeps;
  limits: RequestLimits;
  /** Whose forwarded client address is believed (default: nobody). */
  trust?: ClientAddressTrust;
  logger: Logger;
  metrics: AuthzMetrics;
  decisionLog: DecisionLog;
  /**
   * Called with every decision after the response is built (bot feed: own denials and new sessions; API
   * discovery). Must not throw or block; errors are logged and ignored. The server passes one that queues its
   * calls until the turn's answers are written (app/after-answers.ts).
   */
  onDecision?: (req: RequestContext, outcome: Outcome) => void;
}

/** Challenge metrics of one decision: passes checked, solutions redeemed, challenges issued. */
function recordChallenge(metrics: AuthzMetrics, policy: string, outcome: Outcome): void {
  const note = outcome.challenge;
  if (!note) return;
  if (note.pass) metrics.challengePasses.inc({ policy, result: note.pass === 'accepted' ? 'accepted' : 'refused', reason: note.pass === 'accepted' ? 'none' : note.pass });
  const s = note.solution;
  if (s?.ok) {
    metrics.challengesSolved.inc({ policy, kind: s.kind });
    if (s.solveMs !== null) metrics.challengeSolveSeconds.observe({ policy }, s.solveMs / 1000);
  } else if (s) metrics.challengesFailed.inc({ policy, kind: s.kind, reason: s.reason });
  if (note.issued && outcome.kind === 'deny') metrics.challengesIssued.inc({ policy, kind: note.issued.kind });
}

/** Rate-limit, bot and challenge metrics of one decision (no per-client labels: distinct clients are counted in a window). */
function recordDetail(metrics: AuthzMetrics, req: RequestContext, outcome: Outcome): void {
  const policy = outcome.policy?.id ?? '';
  if (outcome.bot) metrics.botScore.observe({ policy }, outcome.bot.score);
  recordChallenge(metrics, policy, outcome);
  const denial = outcome.kind === 'deny' ? outcome.denial : outcome.wouldDeny;
  if (denial?.uninspectedBody) metrics.uninspectedBodies.inc({ policy, action: 'deny' });
  else if (outcome.kind === 'allow' && outcome.bodyUninspected) metrics.uninspectedBodies.inc({ policy, action: 'flag' });
  if (denial?.reason === 'rate-limit') {
    metrics.rateLimited.inc({ policy, limit: denial.rateLimit?.name ?? '' });
    metrics.rateLimitedClients.add(policy, outcome.consumer ? `c:${outcome.consumer}` : req.principal ? `p:${req.principal}` : `ip:${req.clientIp}`);
  }
}

/** Evaluates one CheckRequest to a CheckResponse; resolves, never rejects. */
export async function check(deps: CheckServiceDeps, request: CheckRequest | null | undefined): Promise<CheckResponse> {
  const started = process.hrtime.bigint();
  let req: RequestContext | undefined;
  deps.metrics.inflight.inc();
  try {
    req = toRequestContext(request, deps.limits, deps.trust);
    const runtime = deps.holder.current();
    const outcome = await evaluateRequest(runtime, req, deps.pipeline);
    const response = toCheckResponse(outcome, req.requestId);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const verdict = verdictLabel(outcome);
    const reason = outcome.kind === 'deny' ? outcome.denial.reason : (outcome.wouldDeny?.reason ?? 'none');
    deps.metrics.decisions.inc({ policy: outcome.policy?.id ?? '', verdict, reason });
    if (reason === 'no-policy') {
      deps.metrics.noPolicyHosts.learn(runtime);
      deps.metrics.noPolicyDenials.inc({ host: deps.metrics.noPolicyHosts.label(req.host) });
    }
    deps.metrics.decisionSeconds.observe({ verdict }, seconds);
    recordDetail(deps.metrics, req, outcome);
    deps.decisionLog.write(req, outcome, seconds);
    if (deps.onDecision) {
      try {
        deps.onDecision(req, outcome);
      } catch (err) {
        deps.logger.warn({ err, requestId: req.requestId }, 'decision hook failed');
      }
    }
    return response;
  } catch (err) {
    // A Monitor-mode policy never denies, not even when evaluating it failed: the request goes on, flagged.
    const policy = req ? deps.holder.current()?.select(req.host, req.destination).policy : null;
    if (req && policy?.monitor) {
      deps.logger.error({ err, requestId: req.requestId, policy: policy.id }, 'check failed internally; Monitor mode: allowing');
      deps.metrics.decisions.inc({ policy: policy.id, verdict: 'monitor', reason: 'unavailable' });
      return monitorFallbackResponse(policy, req);
    }
    deps.logger.error({ err, requestId: req?.requestId }, 'check failed internally; answering 503');
    deps.metrics.decisions.inc({ policy: '', verdict: 'deny', reason: 'unavailable' });
    return internalErrorResponse(req?.requestId ?? '');
  } finally {
    deps.metrics.inflight.dec();
  }
}

/** The allow response of a Monitor-mode policy whose evaluation failed: would-deny `unavailable`, credentials stripped. */
function monitorFallbackResponse(policy: RuntimePolicy, req: RequestContext): CheckResponse {
  const wouldDeny: Denial = { reason: 'unavailable', detail: 'internal error' };
  const stripHeaders = policy.apiKeys ? [policy.apiKeys.header] : [];
  const outcome: Outcome = { kind: 'allow', policy, consumer: null, principal: req.principal, trace: [], bot: null, rateLimit: null, wouldDeny, stripHeaders };
  return toCheckResponse(outcome, req.requestId);
}

/** The grpc-js unary handler for Authorization/Check. */
export function checkHandler(deps: CheckServiceDeps): grpc.handleUnaryCall<CheckRequest, CheckResponse> {
  return (call, callback) => {
    void check(deps, call.request).then((res) => callback(null, res));
  };
}

/** Minimal shape of an envoy.service.accesslog.v3.StreamAccessLogsMessage that Palisade reads. */
export interface AccessLogMessage {
  identifier?: { log_name?: string };
  http_logs?: { log_entry?: Array<{ response?: { response_code?: { value?: number } } }> };
}

/** What the access log handler depends on. */
export interface AccessLogDeps {
  logger: Logger;
  metrics: AuthzMetrics;
  /** SPIFFE globs (as regexes) of the Envoys allowed to send access logs; empty = any peer. */
  principals: readonly RegExp[];
  /** Consumes an accepted message; reports how many entries matched no Check this process answered. */
  onEntry?: (msg: AccessLogMessage) => { unmatched: number } | void;
}

/** The URI SANs of the verified client certificate of a call ([] on plaintext or without a client certificate). */
function peerUris(call: { getAuthContext?: () => { sslPeerCertificate?: { subjectaltname?: string } } | null }): string[] {
  const san = call.getAuthContext?.()?.sslPeerCertificate?.subjectaltname ?? '';
  return san
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.startsWith('URI:'))
    .map((s) => s.slice(4));
}

/**
 * AccessLogService/StreamAccessLogs: response codes for the bot detectors. With `principals`, only an Envoy whose
 * verified client certificate carries a matching SPIFFE URI is heard; anyone else's stream is answered
 * PERMISSION_DENIED and its entries are counted as ignored. Accepted entries still count only when they match a
 * Check this process answered (bot/feed.ts). The stream is answered with an empty response when Envoy closes it.
 */
export function accessLogHandler(deps: AccessLogDeps): grpc.handleClientStreamingCall<AccessLogMessage, Record<string, never>> {
  return (call, callback) => {
    const uris = deps.principals.length > 0 ? peerUris(call as never) : [];
    const refused = deps.principals.length > 0 && !uris.some((u) => deps.principals.some((re) => re.test(u)));
    let answered = false;
    const answer = (err: Partial<grpc.StatusObject> | null) => {
      if (answered) return;
      answered = true;
      callback(err, err ? undefined : {});
    };
    call.on('data', (msg: AccessLogMessage) => {
      const entries = msg.http_logs?.log_entry ?? [];
      if (refused) {
        deps.metrics.accessLogIgnored.inc({ reason: 'unauthenticated' }, entries.length);
        if (!answered) deps.logger.warn({ peer: call.getPeer(), uris }, 'access log refused: the peer is not an allowed Envoy (--access-log-principals)');
        answer({ code: grpcStatus.PERMISSION_DENIED, details: 'access logs are accepted only from allowed Envoys (--access-log-principals)' });
        return;
      }
      for (const entry of entries) {
        const code = entry.response?.response_code?.value ?? 0;
        deps.metrics.accessLogEntries.inc({ code_class: code === 0 ? 'none' : `${Math.floor(code / 100)}xx` });
      }
      const unmatched = deps.onEntry?.(msg)?.unmatched ?? 0;
      if (unmatched > 0) deps.metrics.accessLogIgnored.inc({ reason: 'unmatched' }, unmatched);
    });
    call.on('error', (err) => deps.logger.debug({ err: err.message }, 'access log stream error'));
    call.on('end', () => answer(refused ? { code: grpcStatus.PERMISSION_DENIED, details: 'access logs are accepted only from allowed Envoys (--access-log-principals)' } : null));
  };
}
