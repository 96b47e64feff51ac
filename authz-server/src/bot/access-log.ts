/**
 * Reading Envoy's gRPC access log (`envoy.service.accesslog.v3.StreamAccessLogsMessage`), pure: what the bot
 * detectors take from each HTTP entry. Only the response code, the request id that ties the entry to the Check
 * Palisade answered, whether the response was Palisade's own denial, and the response's content type when the
 * proxy logs it (`additional_response_headers_to_log: [content-type]`) are read: everything else in an entry
 * (addresses, request headers, :authority) is the sender's word, and the Check already knows who the client was.
 * The content type is the upstream's word about its route, which a client cannot choose for a route that serves
 * one type (it can only for a route that negotiates by the request's accept header).
 * Field names are the proto names (the loader keeps case); wrappers arrive as `{ value }`.
 */

/** envoy.data.accesslog.v3.HTTPAccessLogEntry (the subset read here). */
export interface HttpAccessLogEntry {
  common_properties?: {
    response_flags?: { unauthorized_details?: { reason?: number } | null };
  };
  request?: { request_id?: string };
  response?: { response_code?: { value?: number }; response_code_details?: string; response_headers?: Record<string, string> };
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
  /**
   * What the response carried, by its content type: `page` (HTML), `data` (JSON, protobuf, gRPC, an event stream: what
   * an API answers), `file` (an image, a script, a style sheet, a font, media: a page's files), `other` (a file a link
   * opens, plain text, XML: either), or null when the entry logs no content type.
   */
  served: ServedKind | null;
}

/** What a response carried (see AccessLogEvent.served). */
export type ServedKind = 'page' | 'data' | 'file' | 'other';

/** Media types a browser shows as a page. */
const PAGE_TYPES = new Set(['text/html', 'application/xhtml+xml']);

/** Media types an API answers with; a navigation never shows one as a page (`application/*+json` too). */
const DATA_TYPES = new Set(['application/json', 'application/x-ndjson', 'application/ndjson', 'application/jsonl', 'application/x-protobuf', 'application/protobuf', 'application/x-google-protobuf', 'application/grpc', 'application/grpc-web', 'application/grpc-web-text', 'text/event-stream']);

/** Media types of a page's files that are not under image/, font/, audio/ or video/. */
const FILE_TYPES = new Set(['text/css', 'text/javascript', 'application/javascript', 'application/x-javascript', 'application/ecmascript', 'text/ecmascript', 'text/vtt', 'application/font-woff', 'application/font-woff2', 'application/x-font-ttf', 'application/x-font-otf', 'application/vnd.ms-fontobject']);

/** Classifies a Content-Type header value (see AccessLogEvent.served); null for an empty one. */
export function servedKind(contentType: string): ServedKind | null {
  const semi = contentType.indexOf(';');
  const type = (semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
  if (type === '') return null;
  if (PAGE_TYPES.has(type)) return 'page';
  if (DATA_TYPES.has(type) || type.endsWith('+json') || type.startsWith('application/grpc+') || type.startsWith('application/grpc-web+')) return 'data';
  if (FILE_TYPES.has(type) || type.startsWith('image/') || type.startsWith('font/') || type.startsWith('audio/') || type.startsWith('video/')) return 'file';
  return 'other';
}

function contentTypeOf(headers: Record<string, string> | undefined): string {
  if (!headers) return '';
  const exact = headers['content-type'];
  if (exact !== undefined) return exact;
  for (const k of Object.keys(headers)) if (k.toLowerCase() === 'content-type') return headers[k] ?? '';
  return '';
}

/** Reads one entry. */
export function accessLogEvent(entry: HttpAccessLogEntry): AccessLogEvent {
  const flags = entry.common_properties?.response_flags;
  const details = entry.response?.response_code_details ?? '';
  return {
    code: entry.response?.response_code?.value ?? 0,
    requestId: entry.request?.request_id ?? '',
    ownDenial: (flags?.unauthorized_details !== undefined && flags.unauthorized_details !== null) || details.startsWith('ext_authz'),
    served: servedKind(contentTypeOf(entry.response?.response_headers)),
  };
}

/** All HTTP entries of one stream message (TCP entries carry no response codes and are ignored). */
export function accessLogEvents(msg: StreamAccessLogsMessage): AccessLogEvent[] {
  return (msg.http_logs?.log_entry ?? []).map(accessLogEvent);
}
