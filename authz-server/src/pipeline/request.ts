/**
 * Turns an Envoy CheckRequest into the normalised request every stage works on. Pure; tolerant of missing
 * attributes (they become empty strings, which the stages deny on) and of both header encodings Envoy uses
 * (`headers` map, or `header_map` with encode_raw_headers).
 */
import type { CheckRequest, HeaderValue } from '../envoy/protos.ts';
import { TRUST_NOBODY, clientAddress, type ClientAddressTrust } from './client-address.ts';
import { readPath, type PathForms } from './path.ts';
import type { Destination } from './runtime.ts';

/** Limits on what a single request may carry before it is refused outright. */
export interface RequestLimits {
  /** Sum of header name and value lengths. */
  maxHeaderBytes: number;
  maxHeaderCount: number;
}

/** Default limits: Envoy's own default max_request_headers_kb is 60. */
const DEFAULT_REQUEST_LIMITS: RequestLimits = { maxHeaderBytes: 96 * 1024, maxHeaderCount: 200 };

/** The request as the pipeline sees it. */
export interface RequestContext {
  /** x-request-id (Envoy's http.id is a stream id, not the request id). */
  requestId: string;
  /** :authority, lowercase, port and trailing dot stripped. */
  host: string;
  method: string;
  /** :path exactly as received, query included. */
  rawPath: string;
  /**
   * Path without query as the policy in force reads it for matching (path.ts). Before a policy is chosen it is
   * the "kept" reading; the pipeline's path stage sets the reading of the policy's pathMatching.
   */
  path: string;
  /** The readings of the path a policy chooses from, and why a reading must be refused. */
  pathForms: PathForms;
  /** Query string without the "?". */
  query: string;
  /** Lowercase header names; repeated headers joined by ",". */
  headers: Map<string, string>;
  /** The TCP peer, or the address a trusted proxy forwarded (client-address.ts). */
  clientIp: string;
  /** mTLS peer principal (SPIFFE URI under Istio), "" for plaintext peers. */
  principal: string;
  /** The workload receiving the request, as far as Envoy reports it. */
  destination: Destination;
  body: string | Uint8Array | undefined;
  /** Set when the request exceeds RequestLimits: the pipeline refuses it before anything else. */
  oversize: string | null;
  /** The bytes received were not a CheckRequest at all. */
  malformed: boolean;
}

/** Strips the port (IPv6-aware), a trailing dot, and lowercases. */
export function normalizeHost(authority: string): string {
  let host = authority.trim().toLowerCase();
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    host = end > 0 ? host.slice(0, end + 1) : host;
  } else {
    const colon = host.lastIndexOf(':');
    if (colon >= 0 && host.indexOf(':') === colon && /^\d*$/.test(host.slice(colon + 1))) host = host.slice(0, colon);
  }
  return host.endsWith('.') ? host.slice(0, -1) : host;
}

function headersOf(http: NonNullable<NonNullable<NonNullable<CheckRequest['attributes']>['request']>['http']>): Map<string, string> {
  const map = new Map<string, string>();
  const list: HeaderValue[] | undefined = http.header_map?.headers;
  if (list && list.length > 0) {
    for (const h of list) {
      if (!h.key) continue;
      const key = h.key.toLowerCase();
      const value = h.value !== undefined && h.value !== '' ? h.value : h.raw_value ? Buffer.from(h.raw_value).toString('utf8') : '';
      const prior = map.get(key);
      map.set(key, prior === undefined ? value : `${prior},${value}`);
    }
    return map;
  }
  for (const [k, v] of Object.entries(http.headers ?? {})) map.set(k.toLowerCase(), String(v));
  return map;
}

function measure(headers: Map<string, string>, limits: RequestLimits): string | null {
  if (headers.size > limits.maxHeaderCount) return `${headers.size} headers (limit ${limits.maxHeaderCount})`;
  let bytes = 0;
  for (const [k, v] of headers) bytes += k.length + v.length;
  return bytes > limits.maxHeaderBytes ? `${bytes} header bytes (limit ${limits.maxHeaderBytes})` : null;
}

function labelsOf(labels: unknown): Map<string, string> {
  const out = new Map<string, string>();
  if (typeof labels !== 'object' || labels === null) return out;
  for (const [k, v] of Object.entries(labels)) if (typeof v === 'string') out.set(k, v);
  return out;
}

/**
 * Builds the RequestContext; never throws. `trust` says whose forwarded client address is believed (default:
 * nobody, the TCP peer is the client).
 */
export function toRequestContext(
  req: CheckRequest | null | undefined,
  limits: RequestLimits = DEFAULT_REQUEST_LIMITS,
  trust: ClientAddressTrust = TRUST_NOBODY,
): RequestContext {
  const attrs = req?.attributes ?? {};
  const http = attrs.request?.http ?? {};
  const headers = headersOf(http);
  const rawPath = headers.get(':path') ?? http.path ?? '';
  const q = rawPath.indexOf('?');
  const pathForms = readPath(q >= 0 ? rawPath.slice(0, q) : rawPath);
  const peer = attrs.source?.address?.socket_address?.address ?? '';
  const principal = attrs.source?.principal ?? '';
  return {
    requestId: headers.get('x-request-id') ?? '',
    host: normalizeHost(headers.get(':authority') ?? http.host ?? headers.get('host') ?? ''),
    method: (headers.get(':method') ?? http.method ?? '').toUpperCase(),
    rawPath,
    path: pathForms.kept.path,
    pathForms,
    query: q >= 0 ? rawPath.slice(q + 1) : (http.query ?? ''),
    headers,
    clientIp: clientAddress(trust, peer, principal, headers).ip,
    principal,
    destination: { principal: attrs.destination?.principal ?? '', labels: labelsOf(attrs.destination?.labels) },
    body: http.raw_body && http.raw_body.length > 0 ? http.raw_body : http.body || undefined,
    oversize: measure(headers, limits),
    malformed: req !== null && req !== undefined && (req as { malformed?: unknown }).malformed === true,
  };
}

/** Cookie pairs are split on `;` and on the `,` some proxies join repeated cookie headers with. */
const COOKIE_SEPARATORS = /[;,]/;

/** Reads a cookie value from the cookie header ("" when absent). */
export function cookieValue(headers: Map<string, string>, name: string): string {
  const cookie = headers.get('cookie');
  if (!cookie) return '';
  for (const part of cookie.split(COOKIE_SEPARATORS)) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return '';
}

/** The names of the cookies in a cookie header, in order (split as cookieValue splits it). */
export function cookieNames(header: string): string[] {
  const names: string[] = [];
  for (const part of header.split(COOKIE_SEPARATORS)) {
    const eq = part.indexOf('=');
    if (eq > 0) names.push(part.slice(0, eq).trim());
  }
  return names;
}
