/**
 * Envoy's official v3 protos, loaded from the copies that ship inside `@grpc/grpc-js-xds` (never hand-copied),
 * plus TypeScript shapes for the fields Palisade reads and writes. Field names are the proto names
 * (`keepCase: true`), so objects look like Envoy's own JSON/YAML.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

const require = createRequire(import.meta.url);
const xdsRoot = dirname(require.resolve('@grpc/grpc-js-xds/package.json'));

/** Include paths for Envoy's protos and their dependencies. */
export const ENVOY_PROTO_INCLUDE_DIRS = ['envoy-api', 'googleapis', 'xds', 'protoc-gen-validate'].map((d) => join(xdsRoot, 'deps', d));

/** Options shared by every loader in the project: proto field names, enums as numbers, longs as strings. */
const PROTO_LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: String,
  enums: Number,
  defaults: false,
  oneofs: true,
  includeDirs: ENVOY_PROTO_INCLUDE_DIRS,
};

/** Loads the given Envoy proto files into a gRPC package definition. */
export function loadEnvoyProtos(files: string[]): grpc.GrpcObject {
  return grpc.loadPackageDefinition(protoLoader.loadSync(files, PROTO_LOADER_OPTIONS));
}

function lookup(root: grpc.GrpcObject, path: string): grpc.ServiceClientConstructor {
  let node: unknown = root;
  for (const part of path.split('.')) node = (node as Record<string, unknown>)[part];
  if (typeof node !== 'function' || !('service' in node)) throw new Error(`service ${path} not found in the loaded protos`);
  return node as grpc.ServiceClientConstructor;
}

let cached: { authorization: grpc.ServiceClientConstructor; accessLog: grpc.ServiceClientConstructor } | undefined;

/** The two Envoy services served on the gRPC port. Loaded once per process. */
export function envoyServices(): { authorization: grpc.ServiceClientConstructor; accessLog: grpc.ServiceClientConstructor } {
  if (!cached) {
    const root = loadEnvoyProtos(['envoy/service/auth/v3/external_auth.proto', 'envoy/service/accesslog/v3/als.proto']);
    cached = {
      authorization: lookup(root, 'envoy.service.auth.v3.Authorization'),
      accessLog: lookup(root, 'envoy.service.accesslog.v3.AccessLogService'),
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
