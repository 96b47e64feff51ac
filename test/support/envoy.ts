/**
 * Test helpers that speak Envoy's exact ext_authz protocol: a gRPC client built from Envoy's official protos and
 * CheckRequests shaped like the ones Envoy and Istio sidecars send.
 */
import * as grpc from '@grpc/grpc-js';
import { randomUUID } from 'node:crypto';
import { envoyServices, type CheckRequest, type CheckResponse } from '../../authz-server/src/envoy/protos.ts';
import type { RequestShapeBase } from '../../authz-server/src/envoy/request-shape.ts';

/** A connected ext_authz client. */
export interface AuthzClient {
  check(req: CheckRequest, deadlineMs?: number): Promise<CheckResponse>;
  close(): void;
  raw: grpc.Client;
}

/** Connects to an authz-server's gRPC port on loopback. */
export function authzClient(port: number): AuthzClient {
  const { authorization } = envoyServices();
  const client = new authorization(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  return {
    raw: client,
    close: () => client.close(),
    check(req, deadlineMs = 5000) {
      return new Promise((resolve, reject) => {
        (client as unknown as { Check: (r: CheckRequest, o: grpc.CallOptions, cb: (e: grpc.ServiceError | null, r: CheckResponse) => void) => void }).Check(
          req,
          { deadline: Date.now() + deadlineMs },
          (err, res) => (err ? reject(err) : resolve(res)),
        );
      });
    },
  };
}

/** What a test varies in an Envoy-shaped request. */
export interface RequestShape extends RequestShapeBase {
  /** The body as bytes (Envoy's with_request_body.pack_as_bytes); wins over `body`. */
  rawBody?: Uint8Array;
  /** The receiving workload's principal as Envoy reports it; default the orders workload, "" for none. */
  destinationPrincipal?: string;
  /** The receiving workload's labels (Envoy's bootstrap_metadata_labels_key). */
  destinationLabels?: Record<string, string>;
  /** Send headers in header_map (encode_raw_headers) instead of the headers map. */
  rawHeaders?: boolean;
  requestId?: string;
}

/** Istio's SPIFFE principal for a service account. */
export function spiffe(ns: string, sa: string): string {
  return `spiffe://cluster.local/ns/${ns}/sa/${sa}`;
}

/**
 * Builds a CheckRequest the way Envoy does: lowercase pseudo-headers, x-request-id, x-forwarded-for, the
 * sidecar's source address and principal, http.id as Envoy's stream id.
 */
export function envoyRequest(shape: RequestShape = {}): CheckRequest {
  const host = shape.host ?? 'orders.shop.svc.cluster.local';
  const method = shape.method ?? 'GET';
  const path = shape.path ?? '/orders';
  const sourceIp = shape.sourceIp ?? '10.1.2.3';
  const headers: Record<string, string> = {
    ':authority': host,
    ':method': method,
    ':path': path,
    ':scheme': 'http',
    'x-request-id': shape.requestId ?? randomUUID(),
    'x-forwarded-for': sourceIp,
    'x-forwarded-proto': 'http',
    'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36',
    accept: 'application/json',
    'accept-language': 'en-GB,en;q=0.9',
    ...shape.headers,
  };
  for (const [k, v] of Object.entries(headers)) if (v === '') delete headers[k];
  const http: NonNullable<NonNullable<NonNullable<CheckRequest['attributes']>['request']>['http']> = {
    id: String(Math.floor(Math.random() * 2 ** 53)),
    method,
    path,
    host,
    scheme: 'http',
    protocol: 'HTTP/1.1',
    ...(shape.body !== undefined && shape.rawBody === undefined ? { body: shape.body, size: String(Buffer.byteLength(shape.body)) } : {}),
    ...(shape.rawBody !== undefined ? { raw_body: shape.rawBody, size: String(shape.rawBody.length) } : {}),
  };
  if (shape.rawHeaders) http.header_map = { headers: Object.entries(headers).map(([key, value]) => ({ key, raw_value: Buffer.from(value) })) };
  else http.headers = headers;
  return {
    attributes: {
      source: {
        address: { socket_address: { address: sourceIp, port_value: 40000 + Math.floor(Math.random() * 20000) } },
        ...(shape.principal ? { principal: shape.principal } : {}),
      },
      destination: {
        address: { socket_address: { address: '10.9.9.9', port_value: 8080 } },
        ...((shape.destinationPrincipal ?? spiffe('shop', 'orders')) !== '' ? { principal: shape.destinationPrincipal ?? spiffe('shop', 'orders') } : {}),
        ...(shape.destinationLabels ? { labels: shape.destinationLabels } : {}),
      },
      request: { http },
    },
  };
}

/** Reads a header from a denied or ok response. */
export function headerOf(list: Array<{ header: { key: string; value: string } }> | undefined, key: string): string | undefined {
  return list?.find((h) => h.header.key === key)?.header.value;
}
