/**
 * Envoy's gRPC access log client side (`envoy.service.accesslog.v3.AccessLogService/StreamAccessLogs`), for
 * tests and the simulator: HTTP entries shaped like the ones Envoy's HTTP gRPC access logger sends.
 */
import * as grpc from '@grpc/grpc-js';
import { envoyServices } from '../../authz-server/src/envoy/protos.ts';
import type { HttpAccessLogEntry } from '../../authz-server/src/bot/access-log.ts';

const METHODS: Record<string, number> = { GET: 1, HEAD: 2, POST: 3, PUT: 4, DELETE: 5, CONNECT: 6, OPTIONS: 7, TRACE: 8, PATCH: 9 };

/** What a test varies in an access log entry. */
export interface EntryShape {
  host: string;
  method?: string;
  path: string;
  code: number;
  requestId?: string;
  /** Downstream peer (TCP) address. */
  sourceIp: string;
  /** SPIFFE URI of an mTLS downstream. */
  principal?: string;
  /** Request headers logged through additional_request_headers_to_log. */
  requestHeaders?: Record<string, string>;
  /** The response was an ext_authz denial (response flag UAEX). */
  extAuthzDenied?: boolean;
  /** Response headers logged through additional_response_headers_to_log. */
  responseHeaders?: Record<string, string>;
}

/** One HTTPAccessLogEntry (proto field names, as Envoy sends them). */
export function accessLogEntry(s: EntryShape): HttpAccessLogEntry & Record<string, unknown> {
  const addr = { socket_address: { address: s.sourceIp, port_value: 40000 } };
  return {
    common_properties: {
      downstream_remote_address: addr,
      downstream_direct_remote_address: addr,
      ...(s.principal ? { tls_properties: { peer_certificate_properties: { subject_alt_name: [{ uri: s.principal }] } } } : {}),
      ...(s.extAuthzDenied ? { response_flags: { unauthorized_details: { reason: 1 } } } : {}),
    },
    protocol_version: 2,
    request: {
      request_method: METHODS[s.method ?? 'GET'] ?? 0,
      scheme: 'http',
      authority: s.host,
      path: s.path,
      ...(s.requestId ? { request_id: s.requestId } : {}),
      ...(s.requestHeaders ? { request_headers: s.requestHeaders } : {}),
    },
    response: { response_code: { value: s.code }, ...(s.extAuthzDenied ? { response_code_details: 'ext_authz_denied' } : {}), ...(s.responseHeaders ? { response_headers: s.responseHeaders } : {}) },
  } as HttpAccessLogEntry & Record<string, unknown>;
}

/**
 * Opens one StreamAccessLogs stream, sends the entries in messages of `perMessage` (identifier in the first
 * only, as Envoy does), closes it and resolves once the server has answered (it answers after reading them all).
 */
export function sendAccessLogs(port: number, entries: HttpAccessLogEntry[], perMessage = 100): Promise<void> {
  const { accessLog } = envoyServices();
  const client = new accessLog(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  return new Promise<void>((resolve, reject) => {
    const stream = (client as unknown as { StreamAccessLogs(cb: (err: grpc.ServiceError | null) => void): grpc.ClientWritableStream<unknown> }).StreamAccessLogs((err) => {
      client.close();
      if (err) reject(err);
      else resolve();
    });
    for (let i = 0; i < Math.max(1, entries.length); i += perMessage) {
      stream.write({
        ...(i === 0 ? { identifier: { node: { id: 'sidecar~10.0.0.1~orders-abc.shop~shop.svc.cluster.local', cluster: 'orders.shop' }, log_name: 'palisade' } } : {}),
        http_logs: { log_entry: entries.slice(i, i + perMessage) },
      });
    }
    stream.end();
  });
}
