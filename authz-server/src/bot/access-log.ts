/**
 * Reading Envoy's gRPC access log (`envoy.service.accesslog.v3.StreamAccessLogsMessage`), pure: the fields the
 * bot detectors need from each HTTP entry. Field names are the proto names (the loader keeps case); enums arrive
 * as numbers, wrappers as `{ value }`.
 */

/** envoy.config.core.v3.Address (subset). */
interface Address {
  socket_address?: { address?: string; port_value?: number };
}

/** envoy.data.accesslog.v3.HTTPAccessLogEntry (the subset read here). */
export interface HttpAccessLogEntry {
  common_properties?: {
    downstream_remote_address?: Address;
    downstream_direct_remote_address?: Address;
    tls_properties?: { peer_certificate_properties?: { subject_alt_name?: Array<{ uri?: string; dns?: string }> } };
    response_flags?: { unauthorized_details?: { reason?: number } | null };
  };
  request?: {
    /** envoy.config.core.v3.RequestMethod enum (GET = 1). */
    request_method?: number | string;
    authority?: string;
    path?: string;
    request_id?: string;
    request_headers?: Record<string, string>;
  };
  response?: { response_code?: { value?: number }; response_code_details?: string };
}

/** envoy.service.accesslog.v3.StreamAccessLogsMessage (the subset read here). */
export interface StreamAccessLogsMessage {
  identifier?: { log_name?: string };
  http_logs?: { log_entry?: HttpAccessLogEntry[] };
}

/** What one access log entry tells the detectors. */
export interface AccessLogEvent {
  /** HTTP status sent downstream; 0 when Envoy sent none (reset before a response). */
  code: number;
  /** :authority as logged (port included when the client sent one). */
  authority: string;
  /** Request method name ('' when not logged). */
  method: string;
  /** :path as logged, query included ('' when not logged). */
  path: string;
  requestId: string;
  /**
   * The client as the Check saw it: x-envoy-external-address when logged (additional_request_headers_to_log),
   * else the direct downstream peer, else the downstream remote address; "" when none.
   */
  clientIp: string;
  /** Peer SPIFFE URI from tls_properties, "" when the downstream was not mTLS. */
  principal: string;
  /** x-palisade-consumer as set by Palisade on the request, when logged ("" otherwise). */
  consumer: string;
  /**
   * The response was an ext_authz denial (UAEX): Palisade's own decision, counted when it was made, so the
   * access log entry must not count it again.
   */
  ownDenial: boolean;
}

const METHOD_NAMES = ['', 'GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'];

function methodName(m: number | string | undefined): string {
  if (typeof m === 'string') return /^\d+$/.test(m) ? (METHOD_NAMES[Number(m)] ?? '') : m === 'METHOD_UNSPECIFIED' ? '' : m;
  return METHOD_NAMES[m ?? 0] ?? '';
}

function address(a: Address | undefined): string {
  return a?.socket_address?.address ?? '';
}

/** Reads one entry. */
export function accessLogEvent(entry: HttpAccessLogEntry): AccessLogEvent {
  const common = entry.common_properties ?? {};
  const headers = entry.request?.request_headers ?? {};
  const external = (headers['x-envoy-external-address'] ?? '').trim();
  const details = entry.response?.response_code_details ?? '';
  const sans = common.tls_properties?.peer_certificate_properties?.subject_alt_name ?? [];
  return {
    code: entry.response?.response_code?.value ?? 0,
    authority: entry.request?.authority ?? '',
    method: methodName(entry.request?.request_method),
    path: entry.request?.path ?? '',
    requestId: entry.request?.request_id ?? '',
    clientIp: external || address(common.downstream_direct_remote_address) || address(common.downstream_remote_address),
    principal: sans.find((s) => typeof s.uri === 'string' && s.uri !== '')?.uri ?? '',
    consumer: (headers['x-palisade-consumer'] ?? '').trim(),
    ownDenial: (common.response_flags?.unauthorized_details !== undefined && common.response_flags.unauthorized_details !== null) || details.startsWith('ext_authz'),
  };
}

/** All HTTP entries of one stream message (TCP entries carry no response codes and are ignored). */
export function accessLogEvents(msg: StreamAccessLogsMessage): AccessLogEvent[] {
  return (msg.http_logs?.log_entry ?? []).map(accessLogEvent);
}
