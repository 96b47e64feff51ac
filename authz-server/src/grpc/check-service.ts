/**
 * The gRPC handlers on the ext_authz port: Authorization/Check and AccessLogService/StreamAccessLogs. The Check
 * handler never throws and never answers with an RPC error: Envoy treats RPC errors as "authz unavailable"
 * (status_on_error / failure_mode_allow), which is not a decision Palisade wants to hand over.
 */
import type * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { CheckRequest, CheckResponse } from '../envoy/protos.ts';
import type { AuthzMetrics } from '../telemetry/metrics.ts';
import type { DecisionLogMode } from '../app/config.ts';
import { evaluateRequest, type PipelineDeps } from '../pipeline/pipeline.ts';
import type { Outcome } from '../pipeline/outcome.ts';
import { toRequestContext, type RequestContext, type RequestLimits } from '../pipeline/request.ts';
import type { SnapshotHolder } from '../sources/snapshot-holder.ts';
import { internalErrorResponse, toCheckResponse } from '../pipeline/response.ts';

/**
 * Wraps Check's request deserializer so that bytes which are not a CheckRequest reach the handler as an empty
 * request (denied as `no-policy`) instead of failing the RPC, which Envoy would treat as "authz unavailable".
 */
export function tolerantDeserializer(service: grpc.ServiceDefinition): grpc.ServiceDefinition {
  const out: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const [name, def] of Object.entries(service)) {
    const decode = def.requestDeserialize;
    out[name] = {
      ...def,
      requestDeserialize: (bytes: Buffer) => {
        try {
          return decode(bytes);
        } catch {
          return { malformed: true };
        }
      },
    };
  }
  return out as grpc.ServiceDefinition;
}

/** Everything the Check handler depends on. */
export interface CheckServiceDeps {
  holder: SnapshotHolder;
  pipeline: PipelineDeps;
  limits: RequestLimits;
  logger: Logger;
  metrics: AuthzMetrics;
  decisionLog: DecisionLogMode;
  /**
   * Called with every decision after the response is built (bot feed: own denials and new sessions; API
   * discovery). Must not throw or block; errors are logged and ignored.
   */
  onDecision?: (req: RequestContext, outcome: Outcome) => void;
}

function verdictLabel(o: Outcome): string {
  if (o.kind === 'deny') return 'deny';
  return o.wouldDeny ? 'monitor' : 'allow';
}

function logDecision(deps: CheckServiceDeps, req: RequestContext, outcome: Outcome, seconds: number): void {
  if (deps.decisionLog === 'off' || (deps.decisionLog === 'deny' && outcome.kind === 'allow')) return;
  const reason = outcome.kind === 'deny' ? outcome.denial.reason : (outcome.wouldDeny?.reason ?? null);
  const detail = outcome.kind === 'deny' ? outcome.denial.detail : (outcome.wouldDeny?.detail ?? null);
  deps.logger.info(
    {
      requestId: req.requestId,
      host: req.host,
      method: req.method,
      path: req.path,
      clientIp: req.clientIp,
      principal: req.principal || null,
      consumer: outcome.consumer,
      verdict: verdictLabel(outcome),
      reason,
      detail,
      policy: outcome.policy?.id ?? null,
      bot: outcome.bot
        ? {
            score: outcome.bot.score,
            verdict: outcome.bot.verdict,
            signals: outcome.bot.signals.filter((s) => s.score > 0).map((s) => ({ name: s.name, score: s.score, value: s.value, threshold: s.threshold, detail: s.detail })),
          }
        : undefined,
      latencyMs: Math.round(seconds * 1e6) / 1e3,
    },
    'decision',
  );
}

/** Rate-limit and bot metrics of one decision (no per-client labels: distinct clients are counted in a window). */
function recordDetail(metrics: AuthzMetrics, req: RequestContext, outcome: Outcome): void {
  const policy = outcome.policy?.id ?? '';
  if (outcome.bot) metrics.botScore.observe({ policy }, outcome.bot.score);
  const denial = outcome.kind === 'deny' ? outcome.denial : outcome.wouldDeny;
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
    req = toRequestContext(request, deps.limits);
    const outcome = await evaluateRequest(deps.holder.current(), req, deps.pipeline);
    const response = toCheckResponse(outcome, req.requestId);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const verdict = verdictLabel(outcome);
    const reason = outcome.kind === 'deny' ? outcome.denial.reason : (outcome.wouldDeny?.reason ?? 'none');
    deps.metrics.decisions.inc({ policy: outcome.policy?.id ?? '', verdict, reason });
    deps.metrics.decisionSeconds.observe({ verdict }, seconds);
    recordDetail(deps.metrics, req, outcome);
    logDecision(deps, req, outcome, seconds);
    if (deps.onDecision) {
      try {
        deps.onDecision(req, outcome);
      } catch (err) {
        deps.logger.warn({ err, requestId: req.requestId }, 'decision hook failed');
      }
    }
    return response;
  } catch (err) {
    deps.logger.error({ err, requestId: req?.requestId }, 'check failed internally; answering 503');
    deps.metrics.decisions.inc({ policy: '', verdict: 'deny', reason: 'unavailable' });
    return internalErrorResponse(req?.requestId ?? '');
  } finally {
    deps.metrics.inflight.dec();
  }
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

/**
 * AccessLogService/StreamAccessLogs: counts response codes (the bot detectors consume them). The
 * stream is answered with an empty response when Envoy closes it.
 */
export function accessLogHandler(deps: { logger: Logger; metrics: AuthzMetrics; onEntry?: (msg: AccessLogMessage) => void }): grpc.handleClientStreamingCall<AccessLogMessage, Record<string, never>> {
  return (call, callback) => {
    call.on('data', (msg: AccessLogMessage) => {
      for (const entry of msg.http_logs?.log_entry ?? []) {
        const code = entry.response?.response_code?.value ?? 0;
        deps.metrics.accessLogEntries.inc({ code_class: code === 0 ? 'none' : `${Math.floor(code / 100)}xx` });
      }
      deps.onEntry?.(msg);
    });
    call.on('error', (err) => deps.logger.debug({ err: err.message }, 'access log stream error'));
    call.on('end', () => callback(null, {}));
  };
}
