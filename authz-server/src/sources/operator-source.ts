/**
 * In-cluster mode: snapshots from the operator over palisade.v1alpha1.SnapshotDistribution/Stream (the last
 * known snapshot from a file, the operator's ConfigMap mounted into the pod, is snapshot-file-source.ts).
 *
 * Every snapshot is validated (integrity hash, structure, content-hash version, then the runtime build in
 * SnapshotHolder.apply) before it replaces the one in force; the operator gets an ACK or a NACK with the error,
 * and a refused snapshot never displaces the last good one. Lost streams are re-established with capped
 * exponential backoff and jitter.
 */
import { Backoff } from '../../../lib/process/backoff.ts';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { operatorStreamMetrics, type OperatorStreamMetrics } from '../telemetry/metrics.ts';
import { decodeSnapshot } from '../../../lib/distribution/codec.ts';
import {
  MAX_SNAPSHOT_MESSAGE_BYTES,
  snapshotDistribution,
  type StreamRequestMsg,
  type StreamResponseMsg,
} from '../../../lib/distribution/protos.ts';
import type { SnapshotHolder } from './snapshot-holder.ts';

export interface OperatorSourceOptions {
  /** host:port of the operator's snapshot service. */
  address: string;
  holder: SnapshotHolder;
  logger: Logger;
  /** Unique per process. */
  nodeId: string;
  /** For the operator's status messages and logs. */
  podName: string;
  /** First reconnect delay (default 250 ms); doubles per failed attempt up to maxBackoffMs (default 5 s). */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  random?: () => number;
  registry?: Registry;
  /** Called after a snapshot from the operator is in force. */
  onApplied?: () => void;
  /** Channel credentials (default plaintext; TLS with `channelCredentials()` from tls.ts). */
  credentials?: grpc.ChannelCredentials;
}

type Stream = grpc.ClientDuplexStream<StreamRequestMsg, StreamResponseMsg>;

export class OperatorSource {
  readonly #opts: Required<Omit<OperatorSourceOptions, 'registry' | 'onApplied'>> & Pick<OperatorSourceOptions, 'onApplied'>;
  readonly #logger: Logger;
  readonly #metrics: OperatorStreamMetrics | null;
  #client: grpc.Client | null = null;
  #stream: Stream | null = null;
  readonly #backoff: Backoff;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  #connected = false;

  constructor(options: OperatorSourceOptions) {
    this.#opts = {
      initialBackoffMs: 250,
      maxBackoffMs: 5_000,
      random: Math.random,
      credentials: grpc.credentials.createInsecure(),
      ...options,
    };
    this.#backoff = new Backoff({ initialMs: this.#opts.initialBackoffMs, maxMs: this.#opts.maxBackoffMs, random: this.#opts.random });
    this.#logger = options.logger.child({ component: 'operator-source', operator: options.address });
    this.#metrics = options.registry ? operatorStreamMetrics(options.registry) : null;
  }

  /** True while a stream is established and has delivered at least one snapshot. */
  get connected(): boolean {
    return this.#connected;
  }

  /** Opens the stream (and keeps re-opening it until close()). */
  start(): void {
    if (this.#closed || this.#client) return;
    const Ctor = snapshotDistribution();
    this.#client = new Ctor(this.#opts.address, this.#opts.credentials, {
      'grpc.max_receive_message_length': MAX_SNAPSHOT_MESSAGE_BYTES,
      'grpc.keepalive_time_ms': 20_000,
      'grpc.keepalive_timeout_ms': 10_000,
      'grpc.keepalive_permit_without_calls': 1,
      // our own backoff governs stream retries; keep the channel's reconnects quick
      'grpc.initial_reconnect_backoff_ms': 200,
      'grpc.max_reconnect_backoff_ms': 2_000,
    });
    this.#open();
  }

  /** Stops the stream and reconnects for good. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#stream?.cancel();
    this.#stream = null;
    this.#client?.close();
    this.#client = null;
    this.#setConnected(false);
  }

  #setConnected(v: boolean): void {
    this.#connected = v;
    this.#metrics?.connected.set(v ? 1 : 0);
  }

  #open(): void {
    const client = this.#client;
    if (this.#closed || !client) return;
    const stream = (client as unknown as { Stream(): Stream }).Stream();
    this.#stream = stream;
    let ended = false;
    const onEnd = (why: string) => {
      if (ended) return;
      ended = true;
      if (this.#stream === stream) this.#stream = null;
      const wasConnected = this.#connected;
      this.#setConnected(false);
      if (this.#closed) return;
      const delay = this.#backoff.next();
      const level = wasConnected ? 'warn' : 'info';
      this.#logger[level]({ why, retryInMs: delay, attempt: this.#backoff.attempt, enforcing: this.#opts.holder.current()?.version ?? null }, 'snapshot stream down; keeping the snapshot in force and reconnecting');
      this.#timer = setTimeout(() => this.#open(), delay);
      this.#timer.unref();
    };
    stream.on('data', (resp: StreamResponseMsg) => this.#onResponse(stream, resp));
    stream.on('error', (err: grpc.ServiceError) => onEnd(`${grpc.status[err.code] ?? err.code}: ${err.details || err.message}`));
    stream.on('end', () => onEnd('stream ended by the operator'));
    stream.on('close', () => onEnd('stream closed'));
    stream.write({
      subscribe: { node_id: this.#opts.nodeId, pod_name: this.#opts.podName, current_version: this.#opts.holder.current()?.version ?? '' },
    });
  }

  #onResponse(stream: Stream, resp: StreamResponseMsg): void {
    const version = resp.snapshot?.version ?? '';
    const decoded = decodeSnapshot(resp.snapshot);
    let error: string | null = null;
    if (!decoded.ok) {
      error = decoded.error;
      this.#opts.holder.reportLoadError();
      this.#logger.error({ version, err: error, keeping: this.#opts.holder.current()?.version ?? null }, 'snapshot from the operator is invalid; keeping the last good one');
    } else {
      const applied = this.#opts.holder.apply(decoded.snapshot, `operator:${this.#opts.address}`);
      if (!applied.ok) error = applied.error;
    }
    // The stream works: the next outage starts its backoff from the beginning.
    this.#backoff.reset();
    if (!this.#connected) {
      this.#setConnected(true);
      this.#logger.info({ version }, 'snapshot stream established');
    }
    if (error === null) {
      stream.write({ ack: { version, nonce: resp.nonce } });
      this.#metrics?.snapshots.inc({ result: 'ack' });
      this.#opts.onApplied?.();
    } else {
      stream.write({ nack: { version, nonce: resp.nonce, error_detail: error.slice(0, 4096) } });
      this.#metrics?.snapshots.inc({ result: 'nack' });
    }
  }
}
