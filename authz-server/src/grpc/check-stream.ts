/**
 * Authorization/Check answered straight off the HTTP/2 streams of the gRPC port, without grpc-js's generic call
 * machinery (interceptor chain, metadata objects, call and stream wrappers per RPC). grpc-js still owns the port:
 * listening, TLS and certificate reloads, sessions, keepalive, draining on shutdown, the health service, the
 * access log service and anything else; only streams whose `:path` is Check are taken out before grpc-js sees them.
 * Measured on the same machine at the same rate, grpc-js's generic path cost ~40 µs more CPU per call and promoted
 * about three times as much garbage to V8's old generation as this one (bench/RESULTS.md).
 *
 * What this path keeps from grpc-js, byte for byte where a client can see it: the content-type check (415), the
 * 5-byte gRPC message framing, compressed messages (gzip, deflate), the receive size limit (RESOURCE_EXHAUSTED),
 * `grpc-timeout` deadlines (DEADLINE_EXCEEDED), the unary one-message rule (UNIMPLEMENTED), the response headers
 * and trailers, and trailers-only error responses. Message bytes are decoded and encoded from Envoy's official
 * protos by the handler's codecs (check-service.ts: protobufjs's own, equivalent to grpc-js's for what is read and
 * built; bytes that are not a message become the tolerant deserializer's malformed marker).
 */
import type * as grpc from '@grpc/grpc-js';
import type { IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import { CHECK_PATH, inflateMessage, NO_MESSAGE, SECOND_MESSAGE, Status, timeoutMs, type CheckStreamHandler } from './unary.ts';

export { CHECK_PATH, type CheckStreamHandler } from './unary.ts';

const OK_TRAILERS = { 'grpc-status': '0', 'grpc-message': 'OK' } as const;
const WAIT_FOR_TRAILERS = { waitForTrailers: true } as const;
const END_STREAM = { endStream: true } as const;

/**
 * The state of one Check call. Node keeps a finished HTTP/2 stream, and everything it references, alive until the
 * next mark-compact (its native handle's weak reference holds it through young-generation GCs), so a call keeps
 * its own state in this one small object, reached from shared listener functions, instead of a set of closures,
 * and drops what it no longer needs as soon as it can.
 */
interface Call {
  h: CheckStreamHandler<unknown, unknown>;
  encoding: string;
  settled: boolean;
  timer: NodeJS.Timeout | undefined;
  chunks: Buffer[];
  received: number;
  /** Bytes of the one framed message (5 + its declared size), -1 until its header has arrived. */
  expected: number;
}

const CALL = Symbol('palisade.check-call');
type CheckStream = ServerHttp2Stream & { [CALL]?: Call };

/** Marks the call decided and drops what it held. */
function release(call: Call): void {
  call.settled = true;
  clearTimeout(call.timer);
  call.timer = undefined;
  call.chunks = [];
}

/** Marks the call decided; true when the stream can still be answered. */
function settle(stream: CheckStream, call: Call): boolean {
  if (call.settled) return false;
  release(call);
  return !stream.destroyed && !stream.closed;
}

/** A trailers-only gRPC error answer. */
function status(stream: CheckStream, code: number, details: string): void {
  const call = stream[CALL];
  if (call && settle(stream, call)) stream.respond({ ':status': 200, 'content-type': 'application/grpc+proto', 'grpc-status': String(code), 'grpc-message': encodeURI(details) }, END_STREAM);
}

let headersSecond = -1;
let responseHeaders: readonly string[] = [];

/**
 * The response headers as a raw array, shared by every call in the same second: node stores raw headers as given
 * (an object would be copied and the copy kept per stream), and finds the date already there.
 */
function currentResponseHeaders(): string[] {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== headersSecond) {
    headersSecond = second;
    responseHeaders = Object.freeze([':status', '200', 'content-type', 'application/grpc+proto', 'grpc-accept-encoding', 'identity,deflate,gzip', 'grpc-encoding', 'identity', 'date', new Date(second * 1000).toUTCString()]);
  }
  return responseHeaders as string[];
}

function answer(stream: CheckStream, message: Buffer): void {
  const call = stream[CALL] as Call;
  const h = call.h;
  void h.answer(h.decode(message)).then((res) => {
    if (call.settled || stream.destroyed || stream.closed) return;
    let body: Buffer;
    try {
      body = h.encode(res);
    } catch {
      status(stream, Status.INTERNAL, 'Error serializing response');
      return;
    }
    settle(stream, call);
    const frame = Buffer.allocUnsafe(body.length + 5);
    frame[0] = 0;
    frame.writeUInt32BE(body.length, 1);
    body.copy(frame, 5);
    // on, not once: each emits only once, and once() allocates a wrapper per call.
    stream.on('wantTrailers', onWantTrailers);
    stream.respond(currentResponseHeaders(), WAIT_FOR_TRAILERS);
    stream.end(frame);
  });
}

function onWantTrailers(this: CheckStream): void {
  this.sendTrailers(OK_TRAILERS);
}

function onClose(this: CheckStream): void {
  const call = this[CALL];
  if (call) release(call);
}

function onData(this: CheckStream, chunk: Buffer): void {
  const call = this[CALL] as Call;
  if (call.settled) return;
  const first = call.received < 5;
  call.chunks.push(chunk);
  call.received += chunk.length;
  if (first && call.received >= 5) {
    const head = call.chunks.length === 1 ? chunk : Buffer.concat(call.chunks);
    const size = head.readUInt32BE(1);
    if (size > call.h.maxReceiveBytes) {
      status(this, Status.RESOURCE_EXHAUSTED, `Received message larger than max (${size} vs ${call.h.maxReceiveBytes})`);
      return;
    }
    call.expected = 5 + size;
  }
  // Bytes past the one message are a second message: answered at once, so a client that keeps sending after a
  // small declared size is never buffered up to the end of its stream.
  if (call.expected >= 0 && call.received > call.expected) status(this, Status.UNIMPLEMENTED, SECOND_MESSAGE);
}

function onEnd(this: CheckStream): void {
  const call = this[CALL] as Call;
  if (call.settled) return;
  const buf = call.chunks.length === 1 ? (call.chunks[0] as Buffer) : Buffer.concat(call.chunks);
  call.chunks = [];
  const size = buf.length >= 5 ? buf.readUInt32BE(1) : -1;
  if (size < 0 || buf.length < 5 + size) {
    status(this, Status.UNIMPLEMENTED, NO_MESSAGE);
    return;
  }
  const message = buf.subarray(5);
  const encoding = buf[0] === 1 ? call.encoding : 'identity';
  if (encoding === 'identity') answer(this, message);
  else if (encoding !== 'gzip' && encoding !== 'deflate') status(this, Status.UNIMPLEMENTED, `Received message compressed with unsupported encoding "${encoding}"`);
  else
    inflateMessage(encoding, message, call.h.maxReceiveBytes).then(
      (plain) => answer(this, plain),
      (err: Error & { code: number }) => status(this, err.code, err.message),
    );
}

/** Serves one Check stream. Exported for tests; routeCheckStreams wires it to the server. */
export function serveCheckStream<Req, Res>(stream: ServerHttp2Stream, headers: IncomingHttpHeaders, h: CheckStreamHandler<Req, Res>): void {
  // Errors on the stream (a reset, the session torn down) are followed by 'close', which is all that matters here.
  stream.on('error', noop);
  const contentType = headers['content-type'];
  if (typeof contentType !== 'string' || !contentType.startsWith('application/grpc')) {
    stream.respond({ ':status': 415 }, END_STREAM);
    return;
  }
  const s = stream as CheckStream;
  const call: Call = { h: h as CheckStreamHandler<unknown, unknown>, encoding: String(headers['grpc-encoding'] ?? 'identity'), settled: false, timer: undefined, chunks: [], received: 0, expected: -1 };
  s[CALL] = call;
  s.on('close', onClose);
  const timeout = headers['grpc-timeout'];
  if (typeof timeout === 'string') {
    const ms = timeoutMs(timeout);
    if (ms === null) {
      process.nextTick(() => status(s, Status.INTERNAL, `Invalid grpc-timeout value "${timeout}"`));
      return;
    }
    call.timer = setTimeout(status, ms, s, Status.DEADLINE_EXCEEDED, 'Deadline exceeded');
  }
  // A Check is one small message, normally one DATA frame: kept as is, concatenated only when split.
  s.on('data', onData);
  s.on('end', onEnd);
}

function noop(): void {}

type StreamListener = (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, flags: number, rawHeaders: string[]) => void;

interface ListeningHttp2Server {
  listeners(event: 'stream'): StreamListener[];
  removeAllListeners(event: 'stream'): void;
  on(event: 'stream', listener: StreamListener): void;
}

/**
 * Takes Check streams out of every HTTP/2 server `server` listens with (call after binding) and serves them with
 * `handler`; every other stream goes to grpc-js's own listeners unchanged. grpc-js has no public hook for this, so
 * it reads the server's HTTP/2 servers from its (TypeScript-private) `http2Servers` map and throws at start-up,
 * never silently, if a grpc-js update removed it.
 */
export function routeCheckStreams<Req, Res>(server: grpc.Server, handler: CheckStreamHandler<Req, Res>): void {
  const servers = (server as unknown as { http2Servers?: unknown }).http2Servers;
  if (!(servers instanceof Map) || servers.size === 0) {
    throw new Error('cannot serve Check off grpc-js: its Server no longer exposes its HTTP/2 servers (http2Servers); run with --check-transport grpc-js');
  }
  for (const http2Server of servers.keys() as Iterable<ListeningHttp2Server>) {
    const grpcListeners = http2Server.listeners('stream');
    http2Server.removeAllListeners('stream');
    http2Server.on('stream', function (this: unknown, stream, headers, flags, rawHeaders) {
      if (headers[':path'] === CHECK_PATH) {
        serveCheckStream(stream, headers, handler);
        return;
      }
      for (const l of grpcListeners) l.call(this, stream, headers, flags, rawHeaders);
    });
  }
}
