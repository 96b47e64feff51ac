/**
 * The server side of one HTTP/2 connection (RFC 9113) for the Check port: framing, settings, both directions of
 * flow control, HPACK, stream states and the connection's errors, with no per-stream objects beyond one small
 * H2Stream. What a request means is left to an H2App (check-port.ts serves gRPC over it).
 *
 * Limits against a hostile or broken peer: header blocks and header lists are bounded (a CONTINUATION flood ends
 * the connection), concurrent streams are capped and a stream the peer resets keeps its slot until the application
 * is done with it (so rapid resets cannot pile up work), a peer that does not read what it is sent is dropped, and
 * every protocol violation ends the stream or the connection with the code RFC 9113 names.
 */
import type { Duplex } from 'node:stream';
import { HpackDecoder, HpackError } from './hpack.ts';

/** HTTP/2 error codes (RFC 9113 section 7). */
export const H2Error = {
  NO_ERROR: 0,
  PROTOCOL_ERROR: 1,
  INTERNAL_ERROR: 2,
  FLOW_CONTROL_ERROR: 3,
  STREAM_CLOSED: 5,
  FRAME_SIZE_ERROR: 6,
  REFUSED_STREAM: 7,
  CANCEL: 8,
  COMPRESSION_ERROR: 9,
  ENHANCE_YOUR_CALM: 11,
} as const;

const Frame = { DATA: 0, HEADERS: 1, PRIORITY: 2, RST_STREAM: 3, SETTINGS: 4, PUSH_PROMISE: 5, PING: 6, GOAWAY: 7, WINDOW_UPDATE: 8, CONTINUATION: 9 } as const;
const Flag = { END_STREAM: 0x1, ACK: 0x1, END_HEADERS: 0x4, PADDED: 0x8, PRIORITY: 0x20 } as const;

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
const MAX_WINDOW = 0x7fffffff;
const DEFAULT_WINDOW = 65_535;
/** The largest frame we accept (our SETTINGS_MAX_FRAME_SIZE stays at the protocol's default). */
const MAX_FRAME = 16_384;

/** What the server advertises and enforces. */
export interface H2Limits {
  /** SETTINGS_MAX_CONCURRENT_STREAMS; streams the application has not finished with count too. */
  maxConcurrentStreams: number;
  /** SETTINGS_MAX_HEADER_LIST_SIZE (RFC 9113 size: names + values + 32 per field). */
  maxHeaderListSize: number;
  /** SETTINGS_INITIAL_WINDOW_SIZE: what a peer may send on one stream before it is told it may send more. */
  streamWindow: number;
  /** The connection's receive window, replenished as frames are read. */
  connectionWindow: number;
  /** Bytes written but not yet taken by the peer beyond which the connection is dropped. */
  maxUnreadBytes: number;
}

/** Defaults: node's HTTP/2 header list limit, gRPC-sized windows. */
export const DEFAULT_H2_LIMITS: H2Limits = {
  maxConcurrentStreams: 1000,
  maxHeaderListSize: 65_536,
  streamWindow: 1 << 20,
  connectionWindow: 16 << 20,
  maxUnreadBytes: 16 << 20,
};

/** What a request means: called in order per stream; none may throw. */
export interface H2App {
  /** A request's headers arrived (`stream.headers`). */
  open(stream: H2Stream): void;
  /** Request body bytes; `chunk` is valid only during the call. */
  data(stream: H2Stream, chunk: Buffer): void;
  /** The peer finished its side of the stream. */
  end(stream: H2Stream): void;
  /** The stream was reset by the peer or lost with its connection before it was answered. */
  closed(stream: H2Stream): void;
}

/** Request headers: lowercase names; repeated fields joined (cookies with "; ", others with ", "). */
export type H2Headers = Record<string, string>;

/**
 * Header objects: nothing is inherited (a field named `constructor` or `__proto__` is just a field), yet they stay
 * V8 fast-mode objects sharing hidden classes when peers send the same fields in the same order, unlike
 * `Object.create(null)` objects, which start as dictionaries.
 */
const Fields = function (this: H2Headers) {} as unknown as new () => H2Headers;
Fields.prototype = Object.create(null) as object;

function frameHeader(out: Buffer, at: number, length: number, type: number, flags: number, id: number): void {
  out[at] = length >>> 16;
  out[at + 1] = (length >>> 8) & 0xff;
  out[at + 2] = length & 0xff;
  out[at + 3] = type;
  out[at + 4] = flags;
  out.writeUInt32BE(id, at + 5);
}

function frame(type: number, flags: number, id: number, payload: Buffer | null): Buffer {
  const n = payload ? payload.length : 0;
  const out = Buffer.allocUnsafe(9 + n);
  frameHeader(out, 0, n, type, flags, id);
  if (payload) payload.copy(out, 9);
  return out;
}

function u32(n: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(n >>> 0, 0);
  return b;
}

const SETTINGS_ACK = frame(Frame.SETTINGS, Flag.ACK, 0, null);

/** A connection-level failure: GOAWAY with `code`. */
class ConnectionError extends Error {
  readonly code: number;
  constructor(code: number, message: string) {
    super(message);
    this.code = code;
  }
}

/** One request stream. The application answers through it and may keep its own state in `app`. */
export class H2Stream {
  /** The request's headers; valid from `open`. */
  headers: H2Headers = {};
  /** The application's own state for this stream. */
  app: unknown = undefined;
  /** The peer has ended its side. */
  remoteClosed = false;
  /** The stream can no longer be answered (answered, reset, or its connection is gone). */
  closed = false;
  /** The application has answered or given up; the stream's concurrency slot is free once closed too. */
  finished = false;
  sendWindow: number;
  /** Received bytes not yet returned to the peer's window. */
  unacked = 0;
  /** The request's content-length (-1 without one) and the body bytes received so far. */
  contentLength = -1;
  received = 0;
  /** The stream's concurrency slot has been given back. */
  slotFreed = false;
  /** Body and trailers waiting for flow-control window. */
  pendingBody: Buffer | null = null;
  pendingTrailers: Buffer | null = null;

  readonly id: number;
  readonly connection: H2Connection;

  constructor(id: number, connection: H2Connection, sendWindow: number) {
    this.id = id;
    this.connection = connection;
    this.sendWindow = sendWindow;
  }

  /**
   * Answers: a HEADERS frame with `headerBlock`, then `body` as DATA (when not null), then `trailerBlock` as the
   * closing HEADERS frame (or, when null, END_STREAM on the first frame that can carry it). Blocks are HPACK as
   * encodeFields builds them. A stream that was reset or lost is left alone. Marks the stream finished.
   */
  answer(headerBlock: Buffer, body: Buffer | null, trailerBlock: Buffer | null): void {
    this.connection.answer(this, headerBlock, body, trailerBlock);
  }

  /**
   * Answers with one gRPC message: `headerBlock`, then `message` behind gRPC's 5-byte prefix, then `trailerBlock`.
   * When flow control lets it all go at once (the usual case) the three frames are built in one buffer.
   */
  answerMessage(headerBlock: Buffer, message: Buffer, trailerBlock: Buffer): void {
    this.connection.answerMessage(this, headerBlock, message, trailerBlock);
  }

  /** Gives up on the stream: marks it finished, and resets it with CANCEL if it is still open. */
  done(): void {
    this.connection.resetStream(this, H2Error.CANCEL);
  }
}

/** The server side of one HTTP/2 connection over `socket` (plaintext, or TLS that negotiated h2). */
export class H2Connection {
  readonly #socket: Duplex;
  readonly #app: H2App;
  readonly #limits: H2Limits;
  readonly #decoder = new HpackDecoder();
  readonly #streams = new Map<number, H2Stream>();
  /** Streams this side reset recently, whose in-flight frames are dropped quietly. */
  readonly #resetByUs = new Set<number>();
  #leftover: Buffer | null = null;
  #prefaceDone = false;
  #settingsSeen = false;
  #lastStreamId = 0;
  /** Streams counted against the concurrency cap: open, or closed while the application is still busy. */
  #busy = 0;
  #headerBlock: { id: number; endStream: boolean; selfDependent: boolean; fragments: Buffer[]; size: number } | null = null;
  #peerInitialWindow = DEFAULT_WINDOW;
  #peerMaxFrame = MAX_FRAME;
  #sendWindow = DEFAULT_WINDOW;
  #recvUnacked = 0;
  #blocked: H2Stream[] = [];
  #out: Buffer[] = [];
  #flushQueued = false;
  #goingAway = false;
  #dead = false;
  readonly #flush = () => this.#doFlush();

  /** The streams this connection still tracks (open, or closed with an answer still to send). */
  streams(): IterableIterator<H2Stream> {
    return this.#streams.values();
  }

  constructor(socket: Duplex, app: H2App, limits: H2Limits = DEFAULT_H2_LIMITS) {
    this.#socket = socket;
    this.#app = app;
    this.#limits = limits;
    const settings = Buffer.allocUnsafe(18);
    settings.writeUInt16BE(0x3, 0);
    settings.writeUInt32BE(limits.maxConcurrentStreams, 2);
    settings.writeUInt16BE(0x4, 6);
    settings.writeUInt32BE(limits.streamWindow, 8);
    settings.writeUInt16BE(0x6, 12);
    settings.writeUInt32BE(limits.maxHeaderListSize, 14);
    this.#write(frame(Frame.SETTINGS, 0, 0, settings));
    if (limits.connectionWindow > DEFAULT_WINDOW) this.#write(frame(Frame.WINDOW_UPDATE, 0, 0, u32(limits.connectionWindow - DEFAULT_WINDOW)));
    socket.on('data', (chunk: Buffer) => this.#receive(chunk));
    socket.on('close', () => this.#lost());
    socket.on('error', () => this.#lost());
  }

  /** Starts a graceful close: GOAWAY(NO_ERROR), no new streams; the socket ends once every stream is answered. */
  goAway(): void {
    if (this.#goingAway || this.#dead) return;
    this.#goingAway = true;
    this.#sendGoAway(H2Error.NO_ERROR, '');
    this.#endIfIdle();
  }

  /** Drops the connection at once. */
  destroy(): void {
    this.#socket.destroy();
    this.#lost();
  }

  #receive(chunk: Buffer): void {
    if (this.#dead) return;
    let buf = this.#leftover ? Buffer.concat([this.#leftover, chunk]) : chunk;
    this.#leftover = null;
    let off = 0;
    try {
      if (!this.#prefaceDone) {
        const n = Math.min(buf.length, PREFACE.length);
        if (buf.compare(PREFACE, 0, n, 0, n) !== 0) throw new ConnectionError(H2Error.PROTOCOL_ERROR, 'invalid connection preface');
        if (buf.length < PREFACE.length) {
          this.#leftover = buf;
          return;
        }
        this.#prefaceDone = true;
        off = PREFACE.length;
      }
      while (buf.length - off >= 9) {
        const length = (buf[off]! << 16) | (buf[off + 1]! << 8) | buf[off + 2]!;
        const type = buf[off + 3]!;
        if (length > MAX_FRAME) throw new ConnectionError(H2Error.FRAME_SIZE_ERROR, `frame of ${length} bytes exceeds ${MAX_FRAME}`);
        if (buf.length - off < 9 + length) break;
        const flags = buf[off + 4]!;
        const id = buf.readUInt32BE(off + 5) & MAX_WINDOW;
        const p = off + 9;
        off = p + length;
        this.#frame(type, flags, id, buf, p, length);
        if (this.#dead) return;
      }
    } catch (err) {
      if (err instanceof ConnectionError) this.#fail(err.code, err.message);
      else if (err instanceof HpackError) this.#fail(H2Error.COMPRESSION_ERROR, err.message);
      else this.#fail(H2Error.INTERNAL_ERROR, 'internal error');
      return;
    }
    if (off < buf.length) this.#leftover = off === 0 ? buf : buf.subarray(off);
    this.#returnConnectionWindow();
  }

  #frame(type: number, flags: number, id: number, buf: Buffer, p: number, length: number): void {
    if (!this.#settingsSeen) {
      if (type !== Frame.SETTINGS || flags & Flag.ACK) throw new ConnectionError(H2Error.PROTOCOL_ERROR, 'the first frame must be SETTINGS');
      this.#settingsSeen = true;
    }
    if (this.#headerBlock && type !== Frame.CONTINUATION) throw new ConnectionError(H2Error.PROTOCOL_ERROR, 'header block interrupted');
    switch (type) {
      case Frame.DATA:
        return this.#onData(flags, id, buf, p, length);
      case Frame.HEADERS:
        return this.#onHeaders(flags, id, buf, p, length);
      case Frame.PRIORITY:
        if (id === 0) throw new ConnectionError(H2Error.PROTOCOL_ERROR, 'PRIORITY on stream 0');
        if (length !== 5) return this.#streamError(id, H2Error.FRAME_SIZE_ERROR);
        if ((buf.readUInt32BE(p) & MAX_WINDOW) === id) return this.#streamError(id, H2Error.PROTOCOL_ERROR);
        return;
      case Frame.RST_STREAM:
        return this.#onReset(id, length);
      case Frame.SETTINGS:
        return this.#onSettings(flags, id, buf, p, length);
      case Frame.PUSH_PROMISE:
        throw new ConnectionError(H2Error.PROTOCOL_ERROR, 'a client cannot push');
      case Frame.PING:
        if (id !== 0) throw new ConnectionError(H2Error.PROTOCOL_ERROR, 'PING on a stream');
        if (length !== 8) throw new ConnectionError(H2Error.FRAME_SIZE_ERROR, 'PING of the wrong size');
        if (!(flags & Flag.ACK)) this.#write(frame(Frame.PING, Flag.ACK, 0, buf.subarray(p, p + 8)));
        return;
      case Frame.GOAWAY:
        if (id !== 0) throw new ConnectionError(H2Error.PROTOCOL_ERROR, 'GOAWAY on a stream');
        if (length < 8) throw new ConnectionError(H2Error.FRAME_SIZE_ERROR, 'GOAWAY too short');
        this.#goingAway = true;
        this.#endIfIdle();
        return;
      case Frame.WINDOW_UPDATE:
        return this.#onWindowUpdate(id, buf, p, length);
      case Frame.CONTINUATION:
        return this.#onContinuation(flags, id, buf, p, length);
      default:
        // Unknown frame types are ignored (RFC 9113 section 4.1).
        return;
    }
  }

  /** Content bounds of the frame being read, padding stripped (set by #unpad). */
  #start = 0;
  #end = 0;

  /** Strips padding: sets [#start, #end) to the frame's content past `extra` leading bytes. */
  #unpad(flags: number, buf: Buffer, p: number, length: number, extra: number): void {
    if (!(flags & Flag.PADDED)) {
      if (length < extra) throw new ConnectionError(H2Error.FRAME_SIZE_ERROR, 'frame too short');
      this.#start = p + extra;
      this.#end = p + length;
      return;
    }
    if (length < 1 + extra) throw new ConnectionError(H2Error.FRAME_SIZE_ERROR, 'frame too short');
    const pad = buf[p]!;
    if (pad > length - 1 - extra) throw new ConnectionError(H2Error.PROTOCOL_ERROR, 'padding exceeds the frame');
    this.#start = p + 1 + extra;
    this.#end = p + length - pad;
  }

  #onData(flags: number, id: number, buf: Buffer, p: number, length: number): void {
    if (id === 0) throw new ConnectionError(H2Error.PROTOCOL_ERROR, 'DATA on stream 0');
    // The whole frame, padding included, counts against the connection's window.
    this.#recvUnacked += length;
    if (this.#recvUnacked > this.#limits.connectionWindow) throw new ConnectionError(H2Error.FLOW_CONTROL_ERROR, 'connection window exceeded');
    this.#unpad(flags, buf, p, length, 0);
    const start = this.#start;
    const end = this.#end;
    const s = this.#streams.get(id);
    if (!s || s.remoteClosed) {
      if (id > this.#lastStreamId) throw new ConnectionError(H2Error.PROTOCOL_ERROR, 'DATA on an idle stream');
      if (!this.#resetByUs.has(id)) this.#streamError(id, H2Error.STREAM_CLOSED);
      return;
    }
    s.unacked += length;
    if (s.unacked > this.#limits.streamWindow) return this.#streamError(id, H2Error.FLOW_CONTROL_ERROR);
    s.received += end - start;
    // A body that disagrees with its content-length is malformed (RFC 9113 section 8.1.1).
    if (s.contentLength >= 0 && (s.received > s.contentLength || (flags & Flag.END_STREAM && s.received !== s.contentLength))) return this.#streamError(id, H2Error.PROTOCOL_ERROR);
    if (end > start && !s.closed) this.#app.data(s, buf.subarray(start, end));
    if (flags & Flag.END_STREAM) {
      s.remoteClosed = true;
      if (!s.closed) this.#app.end(s);
      this.#closeIfDone(s);
    } else if (s.unacked >= this.#limits.streamWindow / 2 && !s.closed) {
      this.#write(frame(Frame.WINDOW_UPDATE, 0, id, u32(s.unacked)));
      s.unacked = 0;
    }
  }

  #returnConnectionWindow(): void {
    if (this.#recvUnacked >= this.#limits.connectionWindow / 4) {
      this.#write(frame(Frame.WINDOW_UPDATE, 0, 0, u32(this.#recvUnacked)));
      this.#recvUnacked = 0;
    }
  }

  #onHeaders(flags: number, id: number, buf: Buffer, p: number, length: number): void {
    if (id === 0 || id % 2 === 0) throw new ConnectionError(H2Error.PROTOCOL_ERROR, `HEADERS on stream ${id}`);
    this.#unpad(flags, buf, p, length, flags & Flag.PRIORITY ? 5 : 0);
    const fragment = buf.subarray(this.#start, this.#end);
    // A stream depending on itself is a stream error, but its block must still be decoded.
    const selfDependent = (flags & Flag.PRIORITY) !== 0 && (buf.readUInt32BE(this.#start - 5) & MAX_WINDOW) === id;
    const endStream = (flags & Flag.END_STREAM) !== 0;
    if (flags & Flag.END_HEADERS) this.#headersDone(id, endStream, fragment, selfDependent);
    // Copied: the socket's buffer is not kept across reads.
    else this.#headerBlock = { id, endStream, selfDependent, fragments: [Buffer.from(fragment)], size: fragment.length };
  }

  #onContinuation(flags: number, id: number, buf: Buffer, p: number, length: number): void {
    const block = this.#headerBlock;
    if (!block || block.id !== id) throw new ConnectionError(H2Error.PROTOCOL_ERROR, 'unexpected CONTINUATION');
    this.#headerBlock = null;
    block.fragments.push(Buffer.from(buf.subarray(p, p + length)));
    block.size += length;
    if (block.size > this.#limits.maxHeaderListSize + MAX_FRAME) throw new ConnectionError(H2Error.ENHANCE_YOUR_CALM, 'header block too large');
    if (flags & Flag.END_HEADERS) this.#headersDone(id, block.endStream, Buffer.concat(block.fragments), block.selfDependent);
    else this.#headerBlock = block;
  }

  // What the header block being decoded has shown so far (reset per block; read by #field).
  #fields: H2Headers = new Fields();
  #malformed = false;
  #listSize = 0;
  #regularSeen = false;
  #pseudo = 0;
  readonly #field = (name: string, value: string, valid: boolean): void => {
    this.#listSize += name.length + value.length + 32;
    if (!valid) this.#malformed = true;
    if (name.charCodeAt(0) === 0x3a) {
      const bit = PSEUDO[name];
      if (bit === undefined || this.#regularSeen || this.#pseudo & bit) this.#malformed = true;
      else this.#pseudo |= bit;
    } else {
      this.#regularSeen = true;
      if (CONNECTION_SPECIFIC.has(name) || (name === 'te' && value !== 'trailers')) this.#malformed = true;
    }
    const prior = this.#fields[name];
    this.#fields[name] = prior === undefined ? value : `${prior}${name === 'cookie' ? '; ' : ', '}${value}`;
  };

  #headersDone(id: number, endStream: boolean, block: Buffer, selfDependent: boolean): void {
    const headers = new Fields();
    this.#fields = headers;
    this.#malformed = selfDependent;
    this.#listSize = 0;
    this.#regularSeen = false;
    this.#pseudo = 0;
    // Decoded whatever happens next: the table must follow every block the peer sent.
    this.#decoder.decode(block, this.#field);
    const malformed = this.#malformed;
    const listSize = this.#listSize;
    const pseudo = this.#pseudo;
    const existing = this.#streams.get(id);
    if (existing) {
      // A second HEADERS on an open stream is the request's trailers, which must end it.
      if (existing.remoteClosed) return this.#streamError(id, H2Error.STREAM_CLOSED);
      if (!endStream || pseudo !== 0 || malformed) return this.#streamError(id, H2Error.PROTOCOL_ERROR);
      if (existing.contentLength >= 0 && existing.received !== existing.contentLength) return this.#streamError(id, H2Error.PROTOCOL_ERROR);
      existing.remoteClosed = true;
      if (!existing.closed) this.#app.end(existing);
      return this.#closeIfDone(existing);
    }
    if (id <= this.#lastStreamId) {
      if (this.#resetByUs.has(id)) return;
      throw new ConnectionError(H2Error.STREAM_CLOSED, `HEADERS on closed stream ${id}`);
    }
    this.#lastStreamId = id;
    if (this.#goingAway) return this.#streamError(id, H2Error.REFUSED_STREAM);
    if (this.#busy >= this.#limits.maxConcurrentStreams) return this.#streamError(id, H2Error.REFUSED_STREAM);
    if (malformed || (pseudo & REQUIRED) !== REQUIRED || headers[':path'] === '' || listSize > this.#limits.maxHeaderListSize) {
      return this.#streamError(id, H2Error.PROTOCOL_ERROR);
    }
    const contentLength = headers['content-length'];
    if (contentLength !== undefined && !/^\d{1,15}$/.test(contentLength)) return this.#streamError(id, H2Error.PROTOCOL_ERROR);
    if (endStream && contentLength !== undefined && contentLength !== '0') return this.#streamError(id, H2Error.PROTOCOL_ERROR);
    const s = new H2Stream(id, this, this.#peerInitialWindow);
    s.headers = headers;
    if (contentLength !== undefined) s.contentLength = Number(contentLength);
    s.remoteClosed = endStream;
    this.#streams.set(id, s);
    this.#busy++;
    this.#app.open(s);
    if (endStream && !s.closed) this.#app.end(s);
    this.#closeIfDone(s);
  }

  #onReset(id: number, length: number): void {
    if (id === 0) throw new ConnectionError(H2Error.PROTOCOL_ERROR, 'RST_STREAM on stream 0');
    if (length !== 4) throw new ConnectionError(H2Error.FRAME_SIZE_ERROR, 'RST_STREAM of the wrong size');
    if (id > this.#lastStreamId) throw new ConnectionError(H2Error.PROTOCOL_ERROR, 'RST_STREAM on an idle stream');
    const s = this.#streams.get(id);
    if (s) this.#drop(s);
  }

  #onSettings(flags: number, id: number, buf: Buffer, p: number, length: number): void {
    if (id !== 0) throw new ConnectionError(H2Error.PROTOCOL_ERROR, 'SETTINGS on a stream');
    if (flags & Flag.ACK) {
      if (length !== 0) throw new ConnectionError(H2Error.FRAME_SIZE_ERROR, 'SETTINGS ACK with a payload');
      return;
    }
    if (length % 6 !== 0) throw new ConnectionError(H2Error.FRAME_SIZE_ERROR, 'SETTINGS of the wrong size');
    for (let q = p; q < p + length; q += 6) {
      const key = buf.readUInt16BE(q);
      const value = buf.readUInt32BE(q + 2);
      if (key === 0x2 && value > 1) throw new ConnectionError(H2Error.PROTOCOL_ERROR, 'SETTINGS_ENABLE_PUSH must be 0 or 1');
      if (key === 0x4) {
        if (value > MAX_WINDOW) throw new ConnectionError(H2Error.FLOW_CONTROL_ERROR, 'SETTINGS_INITIAL_WINDOW_SIZE too large');
        const delta = value - this.#peerInitialWindow;
        this.#peerInitialWindow = value;
        for (const s of this.#streams.values()) {
          s.sendWindow += delta;
          if (s.sendWindow > MAX_WINDOW) throw new ConnectionError(H2Error.FLOW_CONTROL_ERROR, 'stream window overflow');
        }
      }
      if (key === 0x5) {
        if (value < MAX_FRAME || value > 0xffffff) throw new ConnectionError(H2Error.PROTOCOL_ERROR, 'SETTINGS_MAX_FRAME_SIZE out of range');
        this.#peerMaxFrame = value;
      }
    }
    this.#write(SETTINGS_ACK);
    this.#drain();
  }

  #onWindowUpdate(id: number, buf: Buffer, p: number, length: number): void {
    if (length !== 4) throw new ConnectionError(H2Error.FRAME_SIZE_ERROR, 'WINDOW_UPDATE of the wrong size');
    const increment = buf.readUInt32BE(p) & MAX_WINDOW;
    if (id === 0) {
      if (increment === 0) throw new ConnectionError(H2Error.PROTOCOL_ERROR, 'WINDOW_UPDATE of 0');
      this.#sendWindow += increment;
      if (this.#sendWindow > MAX_WINDOW) throw new ConnectionError(H2Error.FLOW_CONTROL_ERROR, 'connection window overflow');
      this.#drain();
      return;
    }
    if (id > this.#lastStreamId) throw new ConnectionError(H2Error.PROTOCOL_ERROR, 'WINDOW_UPDATE on an idle stream');
    const s = this.#streams.get(id);
    if (increment === 0) return this.#streamError(id, H2Error.PROTOCOL_ERROR);
    if (!s) return;
    s.sendWindow += increment;
    if (s.sendWindow > MAX_WINDOW) return this.#streamError(id, H2Error.FLOW_CONTROL_ERROR);
    this.#drain();
  }

  /** Implements H2Stream.answer. */
  answer(s: H2Stream, headerBlock: Buffer, body: Buffer | null, trailerBlock: Buffer | null): void {
    if (s.finished) return;
    s.finished = true;
    if (s.closed || this.#dead) {
      this.#release(s);
      return;
    }
    s.closed = true;
    const noBody = body === null || body.length === 0;
    this.#write(frame(Frame.HEADERS, Flag.END_HEADERS | (noBody && trailerBlock === null ? Flag.END_STREAM : 0), s.id, headerBlock));
    if (noBody && trailerBlock === null) return this.#sent(s);
    s.pendingBody = noBody ? null : body;
    s.pendingTrailers = trailerBlock;
    if (!this.#push(s)) this.#blocked.push(s);
  }

  /** Implements H2Stream.answerMessage. */
  answerMessage(s: H2Stream, headerBlock: Buffer, message: Buffer, trailerBlock: Buffer): void {
    const dataLength = 5 + message.length;
    if (s.finished || s.closed || this.#dead || dataLength > s.sendWindow || dataLength > this.#sendWindow || dataLength > this.#peerMaxFrame) {
      const body = Buffer.allocUnsafe(dataLength);
      body[0] = 0;
      body.writeUInt32BE(message.length, 1);
      message.copy(body, 5);
      return this.answer(s, headerBlock, body, trailerBlock);
    }
    s.finished = true;
    s.closed = true;
    const out = Buffer.allocUnsafe(27 + headerBlock.length + dataLength + trailerBlock.length);
    frameHeader(out, 0, headerBlock.length, Frame.HEADERS, Flag.END_HEADERS, s.id);
    let o = 9 + headerBlock.copy(out, 9);
    frameHeader(out, o, dataLength, Frame.DATA, 0, s.id);
    out[o + 9] = 0;
    out.writeUInt32BE(message.length, o + 10);
    o += 14 + message.copy(out, o + 14);
    frameHeader(out, o, trailerBlock.length, Frame.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, s.id);
    trailerBlock.copy(out, o + 9);
    s.sendWindow -= dataLength;
    this.#sendWindow -= dataLength;
    this.#write(out);
    this.#sent(s);
  }

  /** Sends what flow control allows of a stream's pending body, then its trailers; true when all is sent. */
  #push(s: H2Stream): boolean {
    let body = s.pendingBody;
    while (body !== null && body.length > 0) {
      const n = Math.min(body.length, s.sendWindow, this.#sendWindow, this.#peerMaxFrame);
      if (n <= 0) return false;
      const last = n === body.length;
      this.#write(frame(Frame.DATA, last && s.pendingTrailers === null ? Flag.END_STREAM : 0, s.id, body.subarray(0, n)));
      s.sendWindow -= n;
      this.#sendWindow -= n;
      body = last ? null : body.subarray(n);
      s.pendingBody = body;
    }
    if (s.pendingTrailers !== null) this.#write(frame(Frame.HEADERS, Flag.END_HEADERS | Flag.END_STREAM, s.id, s.pendingTrailers));
    s.pendingTrailers = null;
    this.#sent(s);
    return true;
  }

  #drain(): void {
    if (this.#blocked.length === 0) return;
    const blocked = this.#blocked;
    this.#blocked = [];
    for (const s of blocked) if (!this.#push(s)) this.#blocked.push(s);
  }

  #unblock(s: H2Stream): void {
    if (s.pendingBody === null && s.pendingTrailers === null) return;
    s.pendingBody = null;
    s.pendingTrailers = null;
    const i = this.#blocked.indexOf(s);
    if (i >= 0) this.#blocked.splice(i, 1);
  }

  /** Our side of the stream is done: forget it, and stop a peer that is still sending. */
  #sent(s: H2Stream): void {
    if (!s.remoteClosed) {
      this.#write(frame(Frame.RST_STREAM, 0, s.id, u32(H2Error.NO_ERROR)));
      this.#rememberReset(s.id);
    }
    this.#streams.delete(s.id);
    this.#release(s);
  }

  /** Implements H2Stream.reset. */
  resetStream(s: H2Stream, code: number): void {
    s.finished = true;
    if (!s.closed && !this.#dead) {
      s.closed = true;
      this.#write(frame(Frame.RST_STREAM, 0, s.id, u32(code)));
      this.#rememberReset(s.id);
    }
    this.#unblock(s);
    this.#streams.delete(s.id);
    this.#release(s);
  }

  /** A stream that is answered and ended on both sides leaves the map. */
  #closeIfDone(s: H2Stream): void {
    if (s.closed && s.remoteClosed && s.pendingBody === null && s.pendingTrailers === null) this.#streams.delete(s.id);
  }

  /** Frees the stream's concurrency slot once it is both finished by the application and closed. */
  #release(s: H2Stream): void {
    if (!s.finished || !s.closed || s.slotFreed) return;
    s.slotFreed = true;
    this.#busy--;
    this.#endIfIdle();
  }

  #rememberReset(id: number): void {
    this.#resetByUs.add(id);
    if (this.#resetByUs.size > 256) {
      const oldest = this.#resetByUs.values().next().value as number;
      this.#resetByUs.delete(oldest);
    }
  }

  /** Forgets a stream that ends without an answer from us (reset, stream error, lost connection). */
  #drop(s: H2Stream): void {
    this.#streams.delete(s.id);
    this.#unblock(s);
    if (!s.closed) {
      s.closed = true;
      this.#app.closed(s);
    }
    this.#release(s);
  }

  #streamError(id: number, code: number): void {
    const s = this.#streams.get(id);
    if (s) this.#drop(s);
    this.#write(frame(Frame.RST_STREAM, 0, id, u32(code)));
    this.#rememberReset(id);
  }

  #sendGoAway(code: number, debug: string): void {
    const payload = Buffer.allocUnsafe(8 + Buffer.byteLength(debug));
    payload.writeUInt32BE(this.#lastStreamId, 0);
    payload.writeUInt32BE(code, 4);
    payload.write(debug, 8, 'latin1');
    this.#write(frame(Frame.GOAWAY, 0, 0, payload));
  }

  #fail(code: number, message: string): void {
    if (this.#dead) return;
    this.#sendGoAway(code, message);
    this.#doFlush();
    this.#lost();
    this.#endSocket();
  }

  /** Ends our side of the socket; a peer that never closes its side is not waited for. */
  #endSocket(): void {
    this.#socket.end();
    setTimeout(() => this.#socket.destroy(), 1000).unref();
  }

  #endIfIdle(): void {
    if (this.#goingAway && this.#busy === 0 && !this.#dead) {
      this.#doFlush();
      this.#dead = true;
      this.#endSocket();
    }
  }

  /** The connection is gone: every stream not yet answered is closed for the application. */
  #lost(): void {
    if (this.#dead && this.#streams.size === 0) return;
    this.#dead = true;
    for (const s of [...this.#streams.values()]) this.#drop(s);
  }

  #write(b: Buffer): void {
    if (this.#dead) return;
    this.#out.push(b);
    if (!this.#flushQueued) {
      this.#flushQueued = true;
      // After the current turn's microtasks: answers resolved together leave in one write.
      process.nextTick(this.#flush);
    }
  }

  #doFlush(): void {
    this.#flushQueued = false;
    const out = this.#out;
    if (out.length === 0) return;
    this.#out = [];
    if (this.#socket.destroyed || !this.#socket.writable) return;
    this.#socket.write(out.length === 1 ? (out[0] as Buffer) : Buffer.concat(out));
    if (this.#socket.writableLength > this.#limits.maxUnreadBytes) this.destroy();
  }
}


const PSEUDO: Record<string, number> = Object.assign(Object.create(null) as Record<string, number>, { ':method': 1, ':scheme': 2, ':path': 4, ':authority': 8 });
const REQUIRED = 1 | 2 | 4;
const CONNECTION_SPECIFIC = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade']);
