/**
 * Envoy's official v3 protos, loaded from the copies that ship inside `@grpc/grpc-js-xds` (never hand-copied),
 * plus TypeScript shapes for the fields Palisade reads and writes. Field names are the proto names
 * (`keepCase: true`), so objects look like Envoy's own JSON/YAML.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import { loadProtoServices } from '../../../lib/process/proto-services.ts';

const require = createRequire(import.meta.url);
const xdsRoot = dirname(require.resolve('@grpc/grpc-js-xds/package.json'));

/** Include paths for Envoy's protos and their dependencies. */
export const ENVOY_PROTO_INCLUDE_DIRS = ['envoy-api', 'googleapis', 'xds', 'protoc-gen-validate'].map((d) => join(xdsRoot, 'deps', d));

/**
 * Loads the given Envoy proto files; returns a client constructor per service they declare, keyed by full name.
 * Messages decode with proto field names, enums as numbers, longs as strings, no defaults, oneof names set.
 */
export function loadEnvoyProtos(files: string[]): Map<string, grpc.ServiceClientConstructor> {
  return loadProtoServices(files, ENVOY_PROTO_INCLUDE_DIRS, { longs: String, enums: Number, defaults: false, oneofs: true });
}

function lookup(services: Map<string, grpc.ServiceClientConstructor>, name: string): grpc.ServiceClientConstructor {
  const service = services.get(name);
  if (!service) throw new Error(`service ${name} not found in the loaded protos`);
  return service;
}

let cached: { authorization: grpc.ServiceClientConstructor; accessLog: grpc.ServiceClientConstructor } | undefined;

/** The two Envoy services served on the gRPC port. Loaded once per process. */
export function envoyServices(): { authorization: grpc.ServiceClientConstructor; accessLog: grpc.ServiceClientConstructor } {
  if (!cached) {
    const services = loadEnvoyProtos(['envoy/service/auth/v3/external_auth.proto', 'envoy/service/accesslog/v3/als.proto']);
    cached = {
      authorization: lookup(services, 'envoy.service.auth.v3.Authorization'),
      accessLog: lookup(services, 'envoy.service.accesslog.v3.AccessLogService'),
    };
  }
  return cached;
}

/** google.rpc.Code values used in CheckResponse.status. */
export const RpcCode = {
  OK: 0,
  INVALID_ARGUMENT: 3,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  UNAVAILABLE: 14,
  UNAUTHENTICATED: 16,
} as const;

/** envoy.config.core.v3.SocketAddress (subset). */
export interface SocketAddress {
  address?: string;
  port_value?: number;
}

/** envoy.config.core.v3.HeaderValue. */
export interface HeaderValue {
  key?: string;
  value?: string;
  raw_value?: Buffer | Uint8Array;
}

/** envoy.service.auth.v3.AttributeContext.Peer (subset). */
export interface Peer {
  address?: { socket_address?: SocketAddress; address?: string };
  service?: string;
  /** Pod labels of the peer (destination: Envoy's bootstrap_metadata_labels_key). */
  labels?: Record<string, string>;
  principal?: string;
  certificate?: string;
}

/** envoy.service.auth.v3.AttributeContext.HttpRequest. */
export interface HttpRequest {
  id?: string;
  method?: string;
  headers?: Record<string, string>;
  header_map?: { headers?: HeaderValue[] };
  path?: string;
  host?: string;
  scheme?: string;
  query?: string;
  fragment?: string;
  size?: string | number;
  protocol?: string;
  body?: string;
  raw_body?: Buffer | Uint8Array;
}

/** envoy.service.auth.v3.CheckRequest (subset). */
export interface CheckRequest {
  attributes?: {
    source?: Peer;
    destination?: Peer;
    request?: { http?: HttpRequest };
    context_extensions?: Record<string, string>;
    tls_session?: { sni?: string };
  };
}

/** envoy.config.core.v3.HeaderValueOption; `append` is always set explicitly. */
export interface HeaderValueOption {
  header: { key: string; value: string };
  append: { value: boolean };
}

/** envoy.service.auth.v3.CheckResponse. */
export interface CheckResponse {
  status: { code: number; message?: string };
  denied_response?: {
    status: { code: number };
    headers: HeaderValueOption[];
    body: string;
  };
  ok_response?: {
    headers: HeaderValueOption[];
    headers_to_remove: string[];
    response_headers_to_add: HeaderValueOption[];
  };
  http_response?: 'denied_response' | 'ok_response';
}
