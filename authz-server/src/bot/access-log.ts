/**
 * Reading Envoy's gRPC access log (`envoy.service.accesslog.v3.StreamAccessLogsMessage`), pure: what the bot
 * detectors take from each HTTP entry. Only the response code, the request id that ties the entry to the Check
 * Palisade answered, and whether the response was Palisade's own denial are read: everything else in an entry
 * (addresses, headers, :authority) is the sender's word, and the Check already knows who the client was.
 * Field names are the proto names (the loader keeps case); wrappers arrive as `{ value }`.
 */

/** envoy.data.accesslog.v3.HTTPAccessLogEntry (the subset read here). */
export interface HttpAccessLogEntry {
  common_properties?: {
    response_flags?: { unauthorized_details?: { reason?: number } | null };
  };
  request?: { request_id?: string };
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
  /** x-request-id of the request: the key to the Check that allowed it. */
  requestId: string;
  /**
   * The response was an ext_authz denial (UAEX): Palisade's own decision, counted when it was made, so the
   * access log entry must not count it again.
   */
  ownDenial: boolean;
}

/** Reads one entry. */
export function accessLogEvent(entry: HttpAccessLogEntry): AccessLogEvent {
  const flags = entry.common_properties?.response_flags;
  const details = entry.response?.response_code_details ?? '';
  return {
    code: entry.response?.response_code?.value ?? 0,
    requestId: entry.request?.request_id ?? '',
    ownDenial: (flags?.unauthorized_details !== undefined && flags.unauthorized_details !== null) || details.startsWith('ext_authz'),
  };
}

/** All HTTP entries of one stream message (TCP entries carry no response codes and are ignored). */
export function accessLogEvents(msg: StreamAccessLogsMessage): AccessLogEvent[] {
  return (msg.http_logs?.log_entry ?? []).map(accessLogEvent);
}
