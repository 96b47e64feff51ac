/**
 * The Check port: Authorization/Check (and grpc.health.v1.Health/Check) served by Palisade's own HTTP/2 server
 * (h2/connection.ts) instead of node:http2 and grpc-js. A Check then costs one small stream object and the bytes it
 * needs, not node's per-stream objects, which live until a mark-compact (bench/RESULTS.md has the measurements).
 * The gRPC port keeps serving everything, Check included, through grpc-js.
 *
 * What a client sees is what grpc-js answers on the gRPC port, byte for byte in the message and the status: the
 * content-type check (415), 5-byte message framing, gzip and deflate messages, the receive size limit
 * (RESOURCE_EXHAUSTED), `grpc-timeout` deadlines (DEADLINE_EXCEEDED), the unary one-message rule (UNIMPLEMENTED),
 * trailers-only errors, and UNIMPLEMENTED for every other method. Beyond grpc-js: a call whose request has not
 * ended within `receiveLimitMs` of its HEADERS (default 10 s, whatever `grpc-timeout` it claims) is answered
 * DEADLINE_EXCEEDED and its bytes go back to the budget, so that a client trickling requests cannot hold the
 * budget shared by every call (Envoy sends a CheckRequest whole, in the frames that open its stream).
 */
import net from 'node:net';
import tls from 'node:tls';
import type { Logger } from 'pino';
import { readServerTlsFiles, type ServerTlsContents, type ServerTlsFiles } from '../../../lib/process/tls.ts';
import { DEFAULT_H2_LIMITS, H2Connection, type H2App, type H2Limits, type H2Stream } from './h2/connection.ts';
import { encodeFields } from './h2/hpack.ts';
import { CHECK_PATH, inflateMessage, NO_MESSAGE, SECOND_MESSAGE, Status, timeoutMs, type CheckStreamHandler } from './unary.ts';

/** The health method answered on the Check port. */
export const HEALTH_CHECK_PATH = '/grpc.health.v1.Health/Check';

const OK_HEADERS = encodeFields([
  [':status', '200'],
  ['content-type', 'application/grpc+proto'],
  ['grpc-accept-encoding', 'identity,deflate,gzip'],
  ['grpc-encoding', 'identity'],
]);
const OK_TRAILERS = encodeFields([
  ['grpc-status', '0'],
  ['grpc-message', 'OK'],
]);
const UNSUPPORTED_MEDIA_TYPE = encodeFields([
  [':status', '415'],
  ['content-type', 'text/plain'],
]);
const UNSUPPORTED_MEDIA_TYPE_BODY = Buffer.from('This port speaks gRPC only (application/grpc).\n');

/** A trailers-only gRPC error (details as grpc-js sends them: percent-encoded, bounded). */
function errorBlock(code: number, details: string): Buffer {
  return encodeFields([
    [':status', '200'],
    ['content-type', 'application/grpc+proto'],
    ['grpc-status', String(code)],
    ['grpc-message', encodeURI(details.slice(0, 1024))],
  ]);
}

/** Request bytes held by the calls of one Check port, against a bound. */
interface Budget {
  held: number;
  readonly max: number;
}

/** One call's state, kept in its stream's `app` slot. */
interface Call {
  /** What to answer, or why the call is refused once its request has ended. */
  kind: 'check' | 'health' | 'not-grpc' | 'unimplemented';
  encoding: string;
  timer: NodeJS.Timeout | undefined;
  /** Copies of the request's DATA, in order; concatenated once the request ends. */
  chunks: Buffer[];
  /** Bytes received so far (the 5-byte prefix included). */
  received: number;
  /** 5 + the declared message size, once the prefix has arrived; -1 before. */
  expected: number;
  /** Bytes of `chunks` counted in the budget. */
  held: number;
  budget: Budget;
  /** Handed to the handler (or to decompression): its answer will finish the stream. */
  dispatched: boolean;
  /** Receive sweeps this call has been seen in before its request ended. */
  sweeps: number;
}

/** Gives the call's buffered bytes back to the budget and drops them. */
function releaseBytes(call: Call): void {
  call.budget.held -= call.held;
  call.held = 0;
  call.chunks = [];
}

/** Health's answer per service: SERVING (1), NOT_SERVING (2), or null for a service this port does not know. */
export type HealthOf = (service: string) => 1 | 2 | null;

/** The gRPC application on one Check-port connection. */
class GrpcApp<Req, Res> implements H2App {
  readonly #h: CheckStreamHandler<Req, Res>;
  readonly #health: HealthOf;
  readonly #budget: Budget;

  constructor(handler: CheckStreamHandler<Req, Res>, health: HealthOf, maxBufferedBytes: number) {
    this.#h = handler;
    this.#health = health;
    this.#budget = { held: 0, max: maxBufferedBytes };
  }

  open(s: H2Stream): void {
    const headers = s.headers;
    const contentType = headers['content-type'];
    const path = headers[':path'];
    // Refusals are answered when the request ends, as an HTTP/2 server answers any request; a refused stream's
    // body is dropped as it arrives.
    const kind = contentType === undefined || !contentType.startsWith('application/grpc') ? 'not-grpc' : path === CHECK_PATH ? 'check' : path === HEALTH_CHECK_PATH ? 'health' : 'unimplemented';
    const call: Call = { kind, encoding: headers['grpc-encoding'] ?? 'identity', timer: undefined, chunks: [], received: 0, expected: -1, held: 0, budget: this.#budget, dispatched: false, sweeps: 0 };
    s.app = call;
    const timeout = headers['grpc-timeout'];
    if (timeout !== undefined) {
      const ms = timeoutMs(timeout);
      if (ms === null) return fail(s, Status.INTERNAL, `Invalid grpc-timeout value "${timeout}"`);
      call.timer = setTimeout(fail, ms, s, Status.DEADLINE_EXCEEDED, 'Deadline exceeded');
    }
  }

  data(s: H2Stream, chunk: Buffer): void {
    const call = s.app as Call | undefined;
    if (!call || s.finished) return;
    if (call.kind === 'not-grpc' || call.kind === 'unimplemented') {
      call.received += chunk.length;
      if (call.received > this.#h.maxReceiveBytes) this.#refuse(s, call);
      return;
    }
    // Memory is bounded by what is held, not by what a client declares: a declared size is only checked.
    if (this.#budget.held + chunk.length > this.#budget.max) return fail(s, Status.RESOURCE_EXHAUSTED, 'Too many request bytes in flight on this server');
    const copy = Buffer.from(chunk);
    call.chunks.push(copy);
    call.received += copy.length;
    call.held += copy.length;
    this.#budget.held += copy.length;
    if (call.expected < 0 && call.received >= 5) {
      const head = call.chunks.length === 1 ? copy : Buffer.concat(call.chunks);
      const size = head.readUInt32BE(1);
      if (size > this.#h.maxReceiveBytes) return fail(s, Status.RESOURCE_EXHAUSTED, `Received message larger than max (${size} vs ${this.#h.maxReceiveBytes})`);
      call.expected = 5 + size;
    }
    // Bytes past the one message are a second message, answered at once as grpc-js does.
    if (call.expected >= 0 && call.received > call.expected) fail(s, Status.UNIMPLEMENTED, SECOND_MESSAGE);
  }

  end(s: H2Stream): void {
    const call = s.app as Call | undefined;
    if (!call || s.finished || call.dispatched) return;
    if (call.kind === 'not-grpc' || call.kind === 'unimplemented') return this.#refuse(s, call);
    if (call.expected < 0 || call.received < call.expected) return fail(s, Status.UNIMPLEMENTED, NO_MESSAGE);
    const message = call.chunks.length === 1 ? (call.chunks[0] as Buffer) : Buffer.concat(call.chunks);
    releaseBytes(call);
    call.dispatched = true;
    const body = message.subarray(5);
    const encoding = message[0] === 1 ? call.encoding : 'identity';
    if (encoding === 'identity') return this.#answer(s, call, body);
    if (encoding !== 'gzip' && encoding !== 'deflate') return fail(s, Status.UNIMPLEMENTED, `Received message compressed with unsupported encoding "${encoding}"`);
    inflateMessage(encoding, body, this.#h.maxReceiveBytes).then(
      (plain) => this.#answer(s, call, plain),
      (err: Error & { code: number }) => fail(s, err.code, err.message),
    );
  }

  /**
   * One receive sweep over a stream: a call still receiving its request after `limit` sweeps is answered
   * DEADLINE_EXCEEDED (a refused one, as it would be at its end). No clock is read per call.
   */
  sweep(s: H2Stream, limit: number): void {
    const call = s.app as Call | undefined;
    if (!call || call.dispatched || s.finished || ++call.sweeps <= limit) return;
    if (call.kind === 'not-grpc' || call.kind === 'unimplemented') return this.#refuse(s, call);
    fail(s, Status.DEADLINE_EXCEEDED, 'Request message not received in time');
  }

  closed(s: H2Stream): void {
    const call = s.app as Call | undefined;
    if (call) {
      clearTimeout(call.timer);
      releaseBytes(call);
    }
    // A dispatched call finishes the stream when its answer comes; anything else is given up now.
    if (!call?.dispatched) s.done();
  }

  #refuse(s: H2Stream, call: Call): void {
    if (call.kind === 'not-grpc') {
      clearTimeout(call.timer);
      s.answer(UNSUPPORTED_MEDIA_TYPE, UNSUPPORTED_MEDIA_TYPE_BODY, null);
    } else fail(s, Status.UNIMPLEMENTED, `The server does not implement the method ${s.headers[':path']}`);
  }

  #answer(s: H2Stream, call: Call, body: Buffer): void {
    if (s.finished) return;
    if (call.kind === 'health') return this.#answerHealth(s, call, body);
    const h = this.#h;
    void h.answer(h.decode(body)).then((res) => {
      clearTimeout(call.timer);
      if (s.finished) return;
      if (s.closed) return s.done();
      let encoded: Buffer;
      try {
        encoded = h.encode(res);
      } catch {
        return fail(s, Status.INTERNAL, 'Error serializing response');
      }
      s.answerMessage(OK_HEADERS, encoded, OK_TRAILERS);
    });
  }

  #answerHealth(s: H2Stream, call: Call, body: Buffer): void {
    clearTimeout(call.timer);
    const service = healthService(body);
    const status = service === null ? null : this.#health(service);
    if (status === null) return fail(s, Status.NOT_FOUND, 'NOT_FOUND');
    s.answerMessage(OK_HEADERS, Buffer.from([0x08, status]), OK_TRAILERS);
  }
}

/** Answers a call with a trailers-only gRPC error (no-op once the stream is finished). */
function fail(s: H2Stream, code: number, details: string): void {
  const call = s.app as Call | undefined;
  if (call) {
    clearTimeout(call.timer);
    releaseBytes(call);
  }
  if (s.finished) return;
  if (s.closed) return s.done();
  s.answer(errorBlock(code, details), null, null);
}

/** The `service` of a grpc.health.v1.HealthCheckRequest, or null when the bytes are not one. */
function healthService(bytes: Buffer): string | null {
  let service = '';
  let p = 0;
  while (p < bytes.length) {
    const tag = bytes[p++] as number;
    if (tag !== 0x0a) return null;
    let len = 0;
    let shift = 0;
    for (;;) {
      if (p >= bytes.length || shift > 21) return null;
      const b = bytes[p++] as number;
      len |= (b & 0x7f) << shift;
      shift += 7;
      if (!(b & 0x80)) break;
    }
    if (p + len > bytes.length) return null;
    service = bytes.toString('utf8', p, p + len);
    p += len;
  }
  return service;
}

/** How the Check port listens. */
export interface CheckPortOptions<Req, Res> {
  host: string;
  /** 0 = any free port. */
  port: number;
  /** Plaintext when null; else TLS (mutual with `clientCa`), files re-read every `tlsRefreshMs`. */
  tls: ServerTlsFiles | null;
  tlsRefreshMs: number;
  handler: CheckStreamHandler<Req, Res>;
  health: HealthOf;
  logger: Logger;
  limits?: Partial<H2Limits>;
  /** Request bytes all calls may hold at once; a call that would pass it is answered RESOURCE_EXHAUSTED. */
  maxBufferedBytes?: number;
  /** How long a call may take to send its request (default 10 s); checked by a sweep every quarter of it. */
  receiveLimitMs?: number;
}

/** Default time a call may take to send its request. */
export const DEFAULT_RECEIVE_LIMIT_MS = 10_000;

/** Receive sweeps per receive limit: a slow call is answered between 1 and 1.25 limits after it opened. */
const RECEIVE_SWEEPS = 4;

/** Default bound on request bytes held at once: a thousand Checks with Envoy's default 64 KiB body each. */
export const DEFAULT_MAX_BUFFERED_BYTES = 64 << 20;

/** A listening Check port. */
export interface CheckPort {
  port: number;
  /** Stops accepting, sends GOAWAY and waits for answered streams, dropping what is left after `graceMs`. */
  close(graceMs: number): Promise<void>;
}

/** Node's TLS context options from the files' contents. */
function secureContext(c: ServerTlsContents): tls.SecureContextOptions {
  return { cert: c.cert, key: c.key, ...(c.clientCa ? { ca: c.clientCa } : {}) };
}

function sameContents(a: ServerTlsContents, b: ServerTlsContents): boolean {
  return a.cert.equals(b.cert) && a.key.equals(b.key) && (a.clientCa === null ? b.clientCa === null : b.clientCa !== null && a.clientCa.equals(b.clientCa));
}

/** Listens on the Check port; rejects when the port cannot be bound or a TLS file cannot be read. */
export async function listenCheckPort<Req, Res>(opts: CheckPortOptions<Req, Res>): Promise<CheckPort> {
  const limits: H2Limits = { ...DEFAULT_H2_LIMITS, ...opts.limits };
  const app = new GrpcApp(opts.handler, opts.health, opts.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES);
  const connections = new Set<H2Connection>();
  const accept = (socket: net.Socket) => {
    socket.setNoDelay(true);
    const c = new H2Connection(socket, app, limits);
    connections.add(c);
    socket.on('close', () => connections.delete(c));
  };
  let server: net.Server;
  let refresh: NodeJS.Timeout | undefined;
  if (opts.tls) {
    const files = opts.tls;
    let current = await readServerTlsFiles(files);
    const requireClientCert = files.clientCa !== null;
    const tlsServer = tls.createServer({ ...secureContext(current), ALPNProtocols: ['h2'], requestCert: requireClientCert, rejectUnauthorized: requireClientCert }, accept);
    // A failed handshake is the client's problem; it must not take the server down.
    tlsServer.on('tlsClientError', () => {});
    refresh = setInterval(() => {
      readServerTlsFiles(files).then(
        (next) => {
          if (sameContents(next, current)) return;
          try {
            tlsServer.setSecureContext(secureContext(next));
            current = next;
            opts.logger.info('Check port: TLS certificate files changed; new connections use them');
          } catch (err) {
            opts.logger.warn({ err: (err as Error).message }, 'Check port: new TLS files rejected; keeping the previous certificate');
          }
        },
        (err: Error) => opts.logger.warn({ err: err.message }, 'Check port: TLS files unreadable; keeping the previous certificate'),
      );
    }, opts.tlsRefreshMs);
    refresh.unref();
    server = tlsServer;
  } else server = net.createServer(accept);
  server.on('error', (err) => opts.logger.error({ err: err.message }, 'Check port server error'));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as net.AddressInfo).port;
  const receiveSweep = setInterval(() => {
    for (const c of connections) for (const s of c.streams()) app.sweep(s, RECEIVE_SWEEPS);
  }, (opts.receiveLimitMs ?? DEFAULT_RECEIVE_LIMIT_MS) / RECEIVE_SWEEPS);
  receiveSweep.unref();
  return {
    port,
    async close(graceMs) {
      clearInterval(refresh);
      clearInterval(receiveSweep);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const c of connections) c.goAway();
      const deadline = Date.now() + graceMs;
      while (connections.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      for (const c of connections) c.destroy();
      await closed;
    },
  };
}
