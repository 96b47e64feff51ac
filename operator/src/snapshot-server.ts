/**
 * The operator side of palisade.v1alpha1.SnapshotDistribution: every operator replica (leader or not) serves the
 * snapshot it compiled to the authz-servers connected to it, pushes each new version, and records their
 * ACK/NACKs. ACK state feeds the `Enforced` condition (see distribution.ts).
 */
import { randomBytes } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { encodeSnapshot } from '../../lib/distribution/codec.ts';
import {
  MAX_SNAPSHOT_MESSAGE_BYTES,
  snapshotDistribution,
  type SnapshotMsg,
  type StreamRequestMsg,
  type StreamResponseMsg,
} from '../../lib/distribution/protos.ts';
import type { Snapshot } from '../../lib/policy/snapshot.ts';
import type { ReplicaState } from './status.ts';

type Call = grpc.ServerDuplexStream<StreamRequestMsg, StreamResponseMsg>;

interface Subscriber {
  call: Call;
  nodeId: string;
  pod: string;
  peer: string;
  sentVersion: string | null;
  sentNonce: string | null;
  ackedVersion: string | null;
  nack: { version: string; error: string } | null;
}

export interface SnapshotServerOptions {
  logger: Logger;
  gzipAboveBytes?: number;
  /** Called after any change of the replica set or their ACK state. */
  onChange?: () => void;
  onAck?: (result: 'ack' | 'nack' | 'stale') => void;
}

export class SnapshotServer {
  readonly #logger: Logger;
  readonly #gzipAboveBytes: number | undefined;
  readonly #onChange: () => void;
  readonly #onAck: (result: 'ack' | 'nack' | 'stale') => void;
  readonly #subscribers = new Map<Call, Subscriber>();
  readonly #noncePrefix = randomBytes(4).toString('hex');
  #nonceCounter = 0;
  #current: { snapshot: Snapshot; msg: SnapshotMsg } | null = null;
  #grpc: grpc.Server | null = null;
  #closed = false;

  constructor(options: SnapshotServerOptions) {
    this.#logger = options.logger.child({ component: 'snapshot-server' });
    this.#gzipAboveBytes = options.gzipAboveBytes;
    this.#onChange = options.onChange ?? (() => {});
    this.#onAck = options.onAck ?? (() => {});
  }

  /** The snapshot being served, or null before the first one. */
  get current(): Snapshot | null {
    return this.#current?.snapshot ?? null;
  }

  /** Encoded body size of the current snapshot. */
  get currentBytes(): number {
    return this.#current?.msg.body.length ?? 0;
  }

  /** Starts serving on `address` (host:port); resolves with the bound port. TLS with `serverCredentials()` (tls.ts). */
  async listen(address: string, credentials: grpc.ServerCredentials = grpc.ServerCredentials.createInsecure()): Promise<number> {
    const server = new grpc.Server({
      'grpc.max_send_message_length': MAX_SNAPSHOT_MESSAGE_BYTES,
      'grpc.max_receive_message_length': 1024 * 1024,
      'grpc.keepalive_time_ms': 20_000,
      'grpc.keepalive_timeout_ms': 10_000,
    });
    server.addService(snapshotDistribution().service, { Stream: (call: Call) => this.#stream(call) });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(address, credentials, (err, p) => (err ? reject(err) : resolve(p))),
    );
    this.#grpc = server;
    return port;
  }

  /** Makes `snapshot` the current version and pushes it to every subscriber that does not have it. */
  publish(snapshot: Snapshot): void {
    if (this.#current?.snapshot.version === snapshot.version) return;
    this.#current = { snapshot, msg: encodeSnapshot(snapshot, this.#gzipAboveBytes) };
    for (const sub of this.#subscribers.values()) this.#send(sub);
  }

  /** The authz-servers connected to this replica and their ACK state (one entry per node id, newest stream). */
  replicas(): ReplicaState[] {
    const byNode = new Map<string, ReplicaState>();
    for (const s of this.#subscribers.values()) {
      byNode.set(s.nodeId, { nodeId: s.nodeId, pod: s.pod, ackedVersion: s.ackedVersion, nack: s.nack });
    }
    return [...byNode.values()];
  }

  /** Ends every stream (clients reconnect, possibly to another replica) and stops the server. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const sub of this.#subscribers.values()) {
      sub.call.emit('error', { code: grpc.status.UNAVAILABLE, details: 'operator replica shutting down' });
    }
    this.#subscribers.clear();
    const server = this.#grpc;
    this.#grpc = null;
    if (!server) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        server.forceShutdown();
        resolve();
      }, 2_000);
      timer.unref();
      server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  #send(sub: Subscriber): void {
    const cur = this.#current;
    if (!cur || sub.sentVersion === cur.snapshot.version) return;
    const nonce = `${this.#noncePrefix}-${++this.#nonceCounter}`;
    sub.sentVersion = cur.snapshot.version;
    sub.sentNonce = nonce;
    sub.call.write({ nonce, snapshot: cur.msg });
    this.#logger.debug({ pod: sub.pod, node: sub.nodeId, version: cur.snapshot.version, nonce }, 'snapshot pushed');
  }

  #stream(call: Call): void {
    if (this.#closed) {
      call.emit('error', { code: grpc.status.UNAVAILABLE, details: 'operator replica shutting down' });
      return;
    }
    const peer = call.getPeer();
    let sub: Subscriber | null = null;
    const fail = (code: grpc.status, details: string) => {
      this.#logger.warn({ peer, details }, 'closing snapshot stream');
      call.emit('error', { code, details });
    };
    call.on('data', (req: StreamRequestMsg) => {
      const kind = req.request ?? (req.subscribe ? 'subscribe' : req.ack ? 'ack' : req.nack ? 'nack' : undefined);
      if (kind === 'subscribe' && req.subscribe) {
        if (sub) return fail(grpc.status.INVALID_ARGUMENT, 'subscribe sent twice on one stream');
        const nodeId = req.subscribe.node_id.trim();
        if (!nodeId) return fail(grpc.status.INVALID_ARGUMENT, 'subscribe.node_id is required');
        sub = {
          call,
          nodeId,
          pod: req.subscribe.pod_name || nodeId,
          peer,
          sentVersion: null,
          sentNonce: null,
          ackedVersion: null,
          nack: null,
        };
        this.#subscribers.set(call, sub);
        this.#logger.info({ pod: sub.pod, node: nodeId, peer, currentVersion: req.subscribe.current_version || null }, 'authz-server subscribed');
        this.#send(sub);
        this.#onChange();
        return;
      }
      if (!sub) return fail(grpc.status.FAILED_PRECONDITION, 'the first request must be subscribe');
      if (kind === 'ack' && req.ack) {
        if (req.ack.nonce !== sub.sentNonce) return this.#onAck('stale');
        sub.ackedVersion = req.ack.version;
        sub.nack = null;
        this.#onAck('ack');
        this.#logger.debug({ pod: sub.pod, version: req.ack.version }, 'snapshot acknowledged');
        this.#onChange();
        return;
      }
      if (kind === 'nack' && req.nack) {
        if (req.nack.nonce !== sub.sentNonce) return this.#onAck('stale');
        sub.nack = { version: req.nack.version, error: req.nack.error_detail || 'no detail' };
        this.#onAck('nack');
        this.#logger.warn({ pod: sub.pod, version: req.nack.version, error: sub.nack.error }, 'authz-server rejected the snapshot');
        this.#onChange();
        return;
      }
      return fail(grpc.status.INVALID_ARGUMENT, 'empty request');
    });
    const drop = (why: string) => {
      const s = this.#subscribers.get(call);
      if (!s) return;
      this.#subscribers.delete(call);
      this.#logger.info({ pod: s.pod, node: s.nodeId, why }, 'authz-server disconnected');
      this.#onChange();
    };
    call.on('end', () => {
      drop('end');
      call.end();
    });
    call.on('cancelled', () => drop('cancelled'));
    call.on('error', (err) => drop(`error: ${err.message}`));
    call.on('close', () => drop('close'));
  }
}
