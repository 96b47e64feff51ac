/**
 * Palisade's snapshot distribution protocol (protos/palisade/v1alpha1/snapshot.proto), loaded at runtime with
 * protobufjs as @grpc/proto-loader would (lib/process/proto-services.ts), plus the TypeScript shapes of its
 * messages as the loader produces them (proto field names, enums as strings, int64 as strings, defaults filled
 * in).
 */
import { fileURLToPath } from 'node:url';
import type * as grpc from '@grpc/grpc-js';
import { loadProtoServices } from '../process/proto-services.ts';

/** Directory holding the project's own .proto files. */
const PROTOS_DIR = fileURLToPath(new URL('../../protos', import.meta.url));

export type BodyEncoding = 'JSON' | 'JSON_GZIP';

export interface PolicyGenerationMsg {
  id: string;
  /** int64 as a decimal string (loader option `longs: String`); numbers are accepted when sending. */
  generation: string | number;
}

export interface SnapshotMsg {
  version: string;
  compiled_at: string;
  policies: PolicyGenerationMsg[];
  encoding: BodyEncoding | 'BODY_ENCODING_UNSPECIFIED';
  body: Buffer;
  body_sha256: string;
}

export interface SubscribeMsg {
  node_id: string;
  pod_name: string;
  current_version: string;
}

export interface AckMsg {
  version: string;
  nonce: string;
}

export interface NackMsg {
  version: string;
  nonce: string;
  error_detail: string;
}

/** Client -> server. Exactly one of the three is set (`request` names it). */
export interface StreamRequestMsg {
  request?: 'subscribe' | 'ack' | 'nack';
  subscribe?: SubscribeMsg | null;
  ack?: AckMsg | null;
  nack?: NackMsg | null;
}

/** Server -> client. */
export interface StreamResponseMsg {
  nonce: string;
  snapshot: SnapshotMsg | null;
}

const SNAPSHOT_SERVICE = 'palisade.v1alpha1.SnapshotDistribution';

/** gRPC message size limit on both ends of the stream (snapshots carry every API-key hash). */
export const MAX_SNAPSHOT_MESSAGE_BYTES = 64 * 1024 * 1024;

let cached: grpc.ServiceClientConstructor | undefined;

/** The SnapshotDistribution client constructor; `.service` is the definition servers add. Loaded once. */
export function snapshotDistribution(): grpc.ServiceClientConstructor {
  if (!cached) {
    cached = loadProtoServices(['palisade/v1alpha1/snapshot.proto'], [PROTOS_DIR], { longs: String, enums: String, defaults: true, oneofs: true }).get(SNAPSHOT_SERVICE);
    if (!cached) throw new Error(`${SNAPSHOT_SERVICE} not found in ${PROTOS_DIR}`);
  }
  return cached;
}
