/**
 * The Check port's own HTTP/2 server against what a hostile or merely unusual peer does: h2spec (the HTTP/2 and
 * HPACK conformance suite, built from the Go module proxy) in strict mode over plaintext and TLS, nghttp2's h2load
 * (Debian's nghttp2-client; nghttp2 was Envoy's HTTP/2 codec for years) with many streams per connection, and the limits
 * that keep one connection from taking the server down (concurrent streams held by rapid resets, a CONTINUATION
 * flood, a peer that never reads, a peer that stalls its window).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import type { AuthzServer } from '../../authz-server/src/app/server.ts';
import { encodeFields } from '../../authz-server/src/grpc/h2/hpack.ts';
import { listenCheckPort } from '../../authz-server/src/grpc/check-port.ts';
import { CHECK_PATH } from '../../authz-server/src/grpc/unary.ts';
import { envoyServices, type CheckRequest, type CheckResponse } from '../../authz-server/src/envoy/protos.ts';
import { SlowStore } from '../support/slow-store.ts';
import { tool } from '../chart/chart.ts';
import { makeCa, makeCert } from '../support/certs.ts';
import { envoyRequest } from '../support/envoy.ts';
import { captureLogger, policyDoc, startTestServer, writePolicyDir } from '../support/policies.ts';

const run = promisify(execFile);

const log = captureLogger('warn');

/** h2spec's summary: "N tests, P passed, S skipped, F failed". */
async function h2spec(port: number, extra: string[]): Promise<{ tests: number; passed: number; failed: number; output: string }> {
  const [bin] = tool('h2spec');
  if (!bin) throw new Error('tools.sh printed no h2spec path');
  const { stdout } = await run(bin, ['-h', '127.0.0.1', '-p', String(port), '-o', '5', '-S', ...extra], { timeout: 120_000, maxBuffer: 16 << 20 }).catch((err: { stdout?: string }) => ({ stdout: err.stdout ?? '' }));
  const m = /(\d+) tests, (\d+) passed, (\d+) skipped, (\d+) failed/.exec(stdout);
  if (!m) throw new Error(`h2spec printed no summary:\n${stdout}`);
  return { tests: Number(m[1]), passed: Number(m[2]), failed: Number(m[4]), output: stdout };
}

function frame(type: number, flags: number, id: number, payload: Buffer = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(id, 5);
  return Buffer.concat([head, payload]);
}

const PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
const { authorization } = envoyServices();
const method = authorization.service['Check'] as grpc.MethodDefinition<CheckRequest, CheckResponse>;
const checkBody = (host: string) => {
  const msg = (method.requestSerialize as (r: CheckRequest) => Buffer)(envoyRequest({ host }));
  const out = Buffer.alloc(5 + msg.length);
  out.writeUInt32BE(msg.length, 1);
  msg.copy(out, 5);
  return out;
};
const REQUEST_HEADERS = encodeFields([
  [':method', 'POST'],
  [':scheme', 'http'],
  [':path', CHECK_PATH],
  [':authority', 'authz'],
  ['content-type', 'application/grpc'],
  ['te', 'trailers'],
]);

/** A raw HTTP/2 client connection: what it receives, frame by frame. */
class RawPeer {
  readonly socket: net.Socket;
  readonly frames: Array<{ type: number; flags: number; id: number; payload: Buffer }> = [];
  closed = false;
  #buf = Buffer.alloc(0);
  constructor(port: number, opts: { read?: boolean } = {}) {
    this.socket = net.connect(port, '127.0.0.1');
    this.socket.on('data', (d: Buffer) => {
      this.#buf = Buffer.concat([this.#buf, d]);
      while (this.#buf.length >= 9) {
        const len = this.#buf.readUIntBE(0, 3);
        if (this.#buf.length < 9 + len) break;
        this.frames.push({ type: this.#buf[3]!, flags: this.#buf[4]!, id: this.#buf.readUInt32BE(5), payload: this.#buf.subarray(9, 9 + len) });
        this.#buf = this.#buf.subarray(9 + len);
      }
    });
    if (opts.read === false) this.socket.pause();
    this.socket.on('close', () => (this.closed = true));
    this.socket.on('error', () => {});
    this.socket.write(Buffer.concat([PREFACE, frame(4, 0, 0)]));
  }
  send(...frames: Buffer[]): void {
    this.socket.write(Buffer.concat(frames));
  }
  goaway(): { code: number } | null {
    const g = this.frames.find((f) => f.type === 7);
    return g ? { code: g.payload.readUInt32BE(4) } : null;
  }
  resets(code: number): number {
    return this.frames.filter((f) => f.type === 3 && f.payload.readUInt32BE(0) === code).length;
  }
  /** Streams answered with a complete gRPC response (trailers with END_STREAM). */
  answered(): number {
    return this.frames.filter((f) => f.type === 1 && f.flags & 1).length;
  }
  close(): void {
    this.socket.destroy();
  }
}

async function until(cond: () => boolean, ms = 5000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!cond() && Date.now() < deadline) await sleep(10);
  return cond();
}

/** A Check port whose handler echoes the request message, with 256 KiB for all calls' request bytes. */
function echoPort(opts: { receiveLimitMs?: number; answerAfterMs?: number }) {
  const { answerAfterMs = 0, ...rest } = opts;
  return listenCheckPort<Buffer, Buffer>({
    host: '127.0.0.1',
    port: 0,
    tls: null,
    tlsRefreshMs: 60_000,
    handler: { decode: (b) => b, answer: async (b) => (answerAfterMs > 0 ? sleep(answerAfterMs).then(() => b) : b), encode: (b) => b, maxReceiveBytes: 8 << 20 },
    health: () => 1,
    logger: log.logger,
    maxBufferedBytes: 256 * 1024,
    ...rest,
  });
}

describe('the Check port as an HTTP/2 server', () => {
  let dir: Awaited<ReturnType<typeof writePolicyDir>>;
  let plain: AuthzServer;
  let secure: AuthzServer;
  let certs: string;

  beforeAll(async () => {
    certs = mkdtempSync(join(tmpdir(), 'palisade-h2-'));
    makeCa(certs, 'ca');
    makeCert(certs, 'ca', 'server', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
    dir = await writePolicyDir([
      policyDoc('open', { hosts: ['open.test'] }),
      policyDoc('limited', { hosts: ['limited.test'], failurePolicy: 'FailClosed', rateLimits: [{ name: 'per-ip', key: ['clientIP'], requests: 100_000, period: '1s' }] }),
    ]);
    plain = await startTestServer(['--policies', dir.dir, '--decision-log', 'off'], log.logger);
    secure = await startTestServer(['--policies', dir.dir, '--decision-log', 'off', '--tls-cert', join(certs, 'server.crt'), '--tls-key', join(certs, 'server.key')], log.logger);
  });
  afterAll(async () => {
    await plain?.stop();
    await secure?.stop();
    await dir?.cleanup();
    rmSync(certs, { recursive: true, force: true });
  });

  it('passes h2spec (HTTP/2, HPACK and generic suites, strict) over plaintext', async () => {
    const r = await h2spec(plain.checkPort as number, []);
    expect(r.failed, r.output.split('\n').filter((l) => l.includes('×')).join('\n')).toBe(0);
    expect(r.tests).toBeGreaterThanOrEqual(140);
    expect(r.passed).toBe(r.tests);
  });

  it('passes h2spec over TLS (ALPN h2)', async () => {
    const r = await h2spec(secure.checkPort as number, ['-t', '-k']);
    expect(r.failed, r.output.split('\n').filter((l) => l.includes('×')).join('\n')).toBe(0);
    expect(r.passed).toBe(r.tests);
    expect(r.tests).toBeGreaterThanOrEqual(140);
  });

  it("nghttp2's client (h2load): 4000 Checks over 4 connections, 32 streams in flight on each, all answered OK", async () => {
    const h2load = 'h2load';
    const body = join(certs, 'check.bin');
    writeFileSync(body, checkBody('open.test'));
    const { stdout } = await run(h2load, ['-n', '4000', '-c', '4', '-m', '32', '-H', 'content-type: application/grpc', '-H', 'te: trailers', '-H', 'grpc-timeout: 5S', '-d', body, `http://127.0.0.1:${plain.checkPort}${CHECK_PATH}`], { timeout: 60_000 }).catch((err: Error & { code?: string }) => {
      throw new Error(err.code === 'ENOENT' ? 'h2load not found: install Debian\'s nghttp2-client (.ci/run does)' : err.message);
    });
    expect(stdout).toMatch(/requests: 4000 total, 4000 started, 4000 done, 4000 succeeded, 0 failed, 0 errored, 0 timeout/);
    expect(stdout).toMatch(/status codes: 4000 2xx/);
    // A gRPC error is an HTTP 200 too, but without a message: every answer carried one (DATA bytes received).
    const data = Number(/\((\d+)\) data/.exec(stdout)?.[1] ?? 0);
    expect(data).toBeGreaterThanOrEqual(4000 * 10);
  });

  it('rapid resets cannot hold more than the stream limit: streams reset while answering keep their slot', async () => {
    // A store that answers after 300 ms: every Check is still being answered when its stream is reset.
    const slow = await startTestServer(['--policies', dir.dir, '--decision-log', 'off', '--store-timeout-ms', '5000'], log.logger, { store: new SlowStore(300) });
    const peer = new RawPeer(slow.checkPort as number);
    // 1200 streams opened and reset at once, past the advertised limit of 1000.
    const burst: Buffer[] = [];
    for (let i = 0; i < 1200; i++) {
      const id = 1 + 2 * i;
      burst.push(frame(1, 4, id, REQUEST_HEADERS), frame(0, 1, id, checkBody('limited.test')), frame(3, 0, id, Buffer.from([0, 0, 0, 8])));
    }
    peer.send(...burst);
    expect(await until(() => peer.resets(7) >= 200)).toBe(true);
    expect(peer.resets(7)).toBe(200);
    // The connection stays usable: once the reset work is done a new stream is answered.
    await sleep(400);
    const id = 1 + 2 * 1200;
    const before = peer.answered();
    peer.send(frame(1, 4, id, REQUEST_HEADERS), frame(0, 1, id, checkBody('limited.test')));
    expect(await until(() => peer.answered() > before)).toBe(true);
    expect(peer.goaway()).toBeNull();
    peer.close();
    await slow.stop();
  });

  it('a stream depending on itself is refused, also when its header block continues in CONTINUATION frames', async () => {
    const peer = new RawPeer(plain.checkPort as number);
    const priority = (id: number) => Buffer.from([0, 0, 0, id, 16]);
    const half = Math.floor(REQUEST_HEADERS.length / 2);
    // HEADERS with PRIORITY (0x20) naming the stream itself: whole, and split over a CONTINUATION.
    peer.send(frame(1, 0x20 | 0x4 | 0x1, 1, Buffer.concat([priority(1), REQUEST_HEADERS])));
    peer.send(frame(1, 0x20 | 0x1, 3, Buffer.concat([priority(3), REQUEST_HEADERS.subarray(0, half)])), frame(9, 0x4, 3, REQUEST_HEADERS.subarray(half)));
    const reset = (id: number) => peer.frames.find((f) => f.type === 3 && f.id === id);
    expect(await until(() => reset(1) !== undefined && reset(3) !== undefined)).toBe(true);
    expect([reset(1)?.payload.readUInt32BE(0), reset(3)?.payload.readUInt32BE(0)]).toEqual([1, 1]);
    // The connection and its HPACK state survive: the next stream is answered.
    peer.send(frame(1, 4, 5, REQUEST_HEADERS), frame(0, 1, 5, checkBody('open.test')));
    expect(await until(() => peer.answered() === 1)).toBe(true);
    peer.close();
  });

  it('a CONTINUATION flood ends the connection once the block passes the header list limit', async () => {
    const peer = new RawPeer(plain.checkPort as number);
    const junk = Buffer.alloc(16_000, 0x61);
    peer.send(frame(1, 0, 1, REQUEST_HEADERS));
    for (let i = 0; i < 10 && !peer.closed; i++) {
      peer.send(frame(9, 0, 1, junk));
      await sleep(5);
    }
    expect(await until(() => peer.goaway() !== null)).toBe(true);
    expect(peer.goaway()?.code).toBe(11);
    expect(await until(() => peer.closed)).toBe(true);
  });

  it('a peer that never reads is dropped once its unread answers pass the limit', async () => {
    const peer = new RawPeer(plain.checkPort as number, { read: false });
    // PINGs cost the server a write each; a peer that reads none of them is cut off, not buffered forever.
    const ping = frame(6, 0, 0, Buffer.alloc(8));
    const batch = Buffer.concat(Array.from({ length: 4096 }, () => ping));
    let sent = 0;
    while (!peer.closed && sent < 64 << 20) {
      if (!peer.socket.write(batch)) await new Promise((r) => setTimeout(r, 5));
      sent += batch.length;
    }
    expect(await until(() => peer.closed, 10_000)).toBe(true);
  });

  it('an answer larger than the peer\'s window waits for WINDOW_UPDATE instead of overrunning it', async () => {
    const peer = new RawPeer(plain.checkPort as number);
    // A 10-byte initial window: the Check response (tens of bytes) cannot be sent whole.
    const settings = Buffer.alloc(6);
    settings.writeUInt16BE(4, 0);
    settings.writeUInt32BE(10, 2);
    peer.send(frame(4, 0, 0, settings), frame(1, 4, 1, REQUEST_HEADERS), frame(0, 1, 1, checkBody('open.test')));
    await until(() => peer.frames.some((f) => f.type === 0 && f.id === 1));
    await sleep(100);
    const data = () => peer.frames.filter((f) => f.type === 0 && f.id === 1).reduce((n, f) => n + f.payload.length, 0);
    expect(data()).toBe(10);
    expect(peer.answered()).toBe(0);
    const inc = Buffer.alloc(4);
    inc.writeUInt32BE(1 << 16, 0);
    peer.send(frame(8, 0, 1, inc));
    expect(await until(() => peer.answered() === 1)).toBe(true);
    expect(data()).toBeGreaterThan(10);
    peer.close();
  });

  it('a call that does not finish sending its request in time is answered DEADLINE_EXCEEDED and gives its bytes back', async () => {
    const port = await echoPort({ receiveLimitMs: 400 });
    try {
      const peer = new RawPeer(port.port);
      const status = (id: number) => peer.frames.find((f) => f.type === 1 && f.id === id && f.flags & 1);
      // A trickler holding 200 KiB of a 200 KiB + 1 message, claiming a deadline of a day; and a non-gRPC request
      // that never ends.
      const chunk = Buffer.alloc(16_000, 1);
      const held = [frame(0, 0, 1, Buffer.from([0, 0, 0x03, 0x20, 0x01]))];
      for (let i = 0; i < 12; i++) held.push(frame(0, 0, 1, chunk));
      const dayLong = encodeFields([[':method', 'POST'], [':scheme', 'http'], [':path', CHECK_PATH], [':authority', 'authz'], ['content-type', 'application/grpc'], ['te', 'trailers'], ['grpc-timeout', '24H']]);
      const notGrpc = encodeFields([[':method', 'POST'], [':scheme', 'http'], [':path', '/upload'], [':authority', 'authz'], ['content-type', 'text/plain']]);
      peer.send(frame(1, 4, 1, dayLong), ...held, frame(1, 4, 3, notGrpc), frame(0, 0, 3, Buffer.from('partial')));
      await sleep(150);
      // Within the limit nothing is answered, and the budget is taken: a second call of 96 000 bytes is refused.
      expect(status(1)).toBeUndefined();
      const message = (id: number) => [frame(0, 0, id, Buffer.from([0, 0, 0x01, 0x77, 0x00])), ...Array.from({ length: 6 }, (_, i) => frame(0, i === 5 ? 1 : 0, id, chunk))];
      peer.send(frame(1, 4, 5, REQUEST_HEADERS), ...message(5));
      expect(await until(() => status(5) !== undefined)).toBe(true);
      expect(status(5)!.payload.includes(Buffer.from([0x01, 0x38]))).toBe(true); // "8": RESOURCE_EXHAUSTED
      // Past the limit the trickler is answered DEADLINE_EXCEEDED (its day-long deadline notwithstanding), the
      // non-gRPC request 415, and the bytes are back: the same call now goes through.
      expect(await until(() => status(1) !== undefined, 2000)).toBe(true);
      expect(status(1)!.payload.includes(Buffer.from([0x01, 0x34]))).toBe(true); // "4": DEADLINE_EXCEEDED
      expect(await until(() => peer.frames.some((f) => f.type === 1 && f.id === 3), 2000)).toBe(true);
      expect(peer.frames.find((f) => f.type === 1 && f.id === 3)!.payload.includes(Buffer.from('415'))).toBe(true);
      peer.send(frame(1, 4, 7, REQUEST_HEADERS), ...message(7));
      expect(await until(() => peer.frames.some((f) => f.type === 0 && f.id === 7))).toBe(true);
      expect(peer.goaway()).toBeNull();
      peer.close();
    } finally {
      await port.close(1000);
    }
  });

  it('the receive limit leaves alone a call whose request arrived and whose answer takes longer (a slow store)', async () => {
    const port = await echoPort({ receiveLimitMs: 200, answerAfterMs: 900 });
    try {
      const peer = new RawPeer(port.port);
      const message = Buffer.concat([Buffer.from([0, 0, 0, 0, 3]), Buffer.from('abc')]);
      peer.send(frame(1, 4, 1, REQUEST_HEADERS), frame(0, 1, 1, message));
      expect(await until(() => peer.frames.some((f) => f.type === 1 && f.id === 1 && f.flags & 1), 3000)).toBe(true);
      expect(peer.frames.find((f) => f.type === 0 && f.id === 1)?.payload.subarray(5).toString()).toBe('abc');
      expect(peer.frames.find((f) => f.type === 1 && f.id === 1 && f.flags & 1)!.payload.includes(Buffer.from([0x01, 0x30]))).toBe(true); // "0": OK
      peer.close();
    } finally {
      await port.close(1000);
    }
  });

  it('memory follows the bytes received, not the sizes declared, and all calls together stay within a bound', async () => {
    const port = await echoPort({});
    try {
      const peer = new RawPeer(port.port);
      // 900 streams each declaring an 8 MiB message and sending only its 5-byte prefix.
      const before = process.memoryUsage().arrayBuffers;
      const declared = Buffer.from([0, 0, 0x80, 0, 0]);
      const opens: Buffer[] = [];
      for (let i = 0; i < 900; i++) opens.push(frame(1, 4, 1 + 2 * i, REQUEST_HEADERS), frame(0, 0, 1 + 2 * i, declared));
      peer.send(...opens);
      await sleep(300);
      expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(32 << 20);
      expect(peer.goaway()).toBeNull();
      // Real bytes count: two streams sending 200 KiB each pass the 256 KiB bound; the second is refused with
      // RESOURCE_EXHAUSTED, the first completes once its stream ends.
      const a = 1 + 2 * 900;
      const b = a + 2;
      const chunk = Buffer.alloc(16_000, 1);
      const message = (id: number, n: number, end: boolean) => {
        const frames = [frame(0, 0, id, Buffer.from([0, 0, 0x03, 0x20, 0x00]))];
        for (let i = 0; i < n; i++) frames.push(frame(0, end && i === n - 1 ? 1 : 0, id, i === n - 1 ? chunk.subarray(0, 204_800 - 16_000 * (n - 1)) : chunk));
        return frames;
      };
      peer.send(frame(1, 4, a, REQUEST_HEADERS), ...message(a, 13, false));
      await sleep(100);
      peer.send(frame(1, 4, b, REQUEST_HEADERS), ...message(b, 13, true));
      const status = (id: number) => peer.frames.find((f) => f.type === 1 && f.id === id && f.flags & 1);
      expect(await until(() => status(b) !== undefined)).toBe(true);
      expect(status(b)?.payload.toString('latin1')).toContain('grpc-status');
      expect(status(b)?.payload.includes(Buffer.from([0x01, 0x38]))).toBe(true); // "8": RESOURCE_EXHAUSTED
      peer.send(frame(0, 1, a, Buffer.alloc(0)));
      expect(await until(() => peer.frames.some((f) => f.type === 0 && f.id === a))).toBe(true);
      peer.close();
    } finally {
      await port.close(1000);
    }
  });
});
