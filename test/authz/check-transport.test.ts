/**
 * Check served off the HTTP/2 stream (the gRPC port's default) and on the Check port (Palisade's own HTTP/2 server)
 * answers exactly as grpc-js's generic path does (`--check-transport grpc-js`), seen from node's HTTP/2 client:
 * same response headers, message bytes and trailers for allowed, denied and garbage requests, and the same gRPC
 * errors for the protocol's edge cases (content type, compression, size limit, message count, deadlines). Health
 * and the access log service keep being served by grpc-js on the gRPC port; the Check port answers Health/Check
 * and UNIMPLEMENTED for everything else.
 */
import * as grpc from '@grpc/grpc-js';
import http2 from 'node:http2';
import { gzipSync } from 'node:zlib';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthzServer } from '../../authz-server/src/app/server.ts';
import { CHECK_PATH } from '../../authz-server/src/grpc/check-stream.ts';
import { envoyServices, type CheckRequest, type CheckResponse } from '../../authz-server/src/envoy/protos.ts';
import { SlowStore } from '../support/slow-store.ts';
import { envoyRequest } from '../support/envoy.ts';
import { captureLogger, policyDoc, sha256, startTestServer, writePolicyDir } from '../support/policies.ts';

const { authorization } = envoyServices();
const method = authorization.service['Check'] as grpc.MethodDefinition<CheckRequest, CheckResponse>;

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  trailers: Record<string, string>;
}

/** One Check over a fresh HTTP/2 connection, with full control of headers and the bytes sent. */
function rawCall(port: number, headers: Record<string, string>, chunks: Buffer[]): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on('error', reject);
    const req = session.request({ ':method': 'POST', ':path': CHECK_PATH, 'content-type': 'application/grpc', te: 'trailers', ...headers });
    const out: RawAnswer = { status: 0, headers: {}, body: Buffer.alloc(0), trailers: {} };
    const pick = (h: http2.IncomingHttpHeaders) =>
      Object.fromEntries(Object.entries(h).filter(([k]) => k !== 'date' && k !== ':status').map(([k, v]) => [k, String(v)]));
    req.on('response', (h) => {
      out.status = Number(h[':status']);
      out.headers = pick(h);
    });
    const data: Buffer[] = [];
    req.on('data', (d: Buffer) => data.push(d));
    req.on('trailers', (t) => (out.trailers = pick(t)));
    req.on('error', reject);
    req.on('close', () => {
      out.body = Buffer.concat(data);
      session.close();
      resolve(out);
    });
    for (const c of chunks) req.write(c);
    req.end();
  });
}

function frame(message: Buffer, compressed = false): Buffer {
  const head = Buffer.alloc(5);
  head[0] = compressed ? 1 : 0;
  head.writeUInt32BE(message.length, 1);
  return Buffer.concat([head, message]);
}

const encode = (req: CheckRequest): Buffer => (method.requestSerialize as (r: CheckRequest) => Buffer)(req);


describe('Check over the HTTP/2 stream vs grpc-js', () => {
  const log = captureLogger('warn');
  let dir: Awaited<ReturnType<typeof writePolicyDir>>;
  let fast: AuthzServer;
  let generic: AuthzServer;
  const accessLogs: unknown[] = [];

  beforeAll(async () => {
    dir = await writePolicyDir([
      policyDoc('keys', {
        hosts: ['orders.shop.svc.cluster.local'],
        authentication: { required: true, apiKeys: { keys: [{ consumer: 'c1', sha256: sha256('k1') }] } },
        rules: [{ methods: ['GET'], paths: ['/orders'] }],
      }),
      policyDoc('slow', { hosts: ['slow.test'], failurePolicy: 'FailClosed', rateLimits: [{ name: 'per-ip', key: ['clientIP'], requests: 1000, period: '1s' }] }),
    ]);
    const args = ['--policies', dir.dir, '--decision-log', 'off', '--store-timeout-ms', '5000'];
    fast = await startTestServer(args, log.logger, { store: new SlowStore(400), onAccessLog: (m) => accessLogs.push(m) });
    generic = await startTestServer([...args, '--check-transport', 'grpc-js'], log.logger, { store: new SlowStore(400) });
  });
  afterAll(async () => {
    await fast?.stop();
    await generic?.stop();
    await dir?.cleanup();
  });

  /** The stream path's and grpc-js's answers; the Check port's must equal the stream path's. */
  const both = async (headers: Record<string, string>, chunks: Buffer[]): Promise<[RawAnswer, RawAnswer]> => {
    const viaStream = await rawCall(fast.grpcPort, headers, chunks);
    const viaCheckPort = await rawCall(fast.checkPort as number, headers, chunks);
    // Not gRPC: an HTTP 415 on both; the Check port says why in a short text body.
    if (viaStream.status === 415) expect([viaCheckPort.status, viaCheckPort.body.toString()]).toEqual([415, 'This port speaks gRPC only (application/grpc).\n']);
    else expect(viaCheckPort, `Check port, ${JSON.stringify(headers)}`).toEqual(viaStream);
    return [viaStream, await rawCall(generic.grpcPort, headers, chunks)];
  };

  it('same headers, bytes and trailers for allowed, denied, unauthenticated and undecodable requests', async () => {
    const requests = [
      encode(envoyRequest({ headers: { 'x-api-key': 'k1' }, requestId: 'r-allow' })),
      encode(envoyRequest({ headers: { 'x-api-key': 'k1' }, path: '/admin', requestId: 'r-deny' })),
      encode(envoyRequest({ headers: { 'x-api-key': 'nope' }, requestId: 'r-401' })),
      encode(envoyRequest({ host: 'unknown.test', requestId: 'r-nopolicy' })),
      Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]),
      Buffer.alloc(0),
    ];
    const verdicts: number[] = [];
    for (const bytes of requests) {
      const [a, b] = await both({}, [frame(bytes)]);
      expect(a).toEqual(b);
      expect(a.status).toBe(200);
      expect(a.headers['content-type']).toBe('application/grpc+proto');
      expect(a.trailers).toEqual({ 'grpc-status': '0', 'grpc-message': 'OK' });
      verdicts.push((method.responseDeserialize(a.body.subarray(5)) as CheckResponse).status.code);
    }
    expect(verdicts).toEqual([0, 7, 16, 7, 7, 7]);
  });

  it('a message split over several DATA frames, and a gzip-compressed one, get the same answer', async () => {
    const bytes = frame(encode(envoyRequest({ headers: { 'x-api-key': 'k1' }, requestId: 'r-split' })));
    const [whole] = await both({}, [bytes]);
    const [split, splitGeneric] = await both({}, [bytes.subarray(0, 3), bytes.subarray(3, 40), bytes.subarray(40)]);
    expect(split).toEqual(whole);
    expect(splitGeneric).toEqual(whole);
    const gz = await both({ 'grpc-encoding': 'gzip' }, [frame(gzipSync(encode(envoyRequest({ headers: { 'x-api-key': 'k1' }, requestId: 'r-split' }))), true)]);
    expect(gz[0]).toEqual(whole);
    expect(gz[1]).toEqual(whole);
  });

  it('same gRPC errors for the protocol edge cases', async () => {
    const ok = frame(encode(envoyRequest({ headers: { 'x-api-key': 'k1' } })));
    const cases: Array<{ headers: Record<string, string>; chunks: Buffer[]; code: string }> = [
      { headers: { 'grpc-encoding': 'br' }, chunks: [frame(Buffer.from('xx'), true)], code: '12' },
      { headers: { 'grpc-encoding': 'gzip' }, chunks: [frame(Buffer.from('not gzip'), true)], code: '13' },
      { headers: {}, chunks: [ok, ok], code: '12' },
      { headers: {}, chunks: [], code: '12' },
      { headers: {}, chunks: [ok.subarray(0, 10)], code: '12' },
      { headers: {}, chunks: [Buffer.from([0, 0, 0x90, 0, 0])], code: '8' },
      { headers: { 'grpc-timeout': 'soon' }, chunks: [ok], code: '13' },
    ];
    for (const c of cases) {
      const [a, b] = await both(c.headers, c.chunks);
      expect(a, JSON.stringify(c.headers)).toEqual(b);
      expect(a.headers['grpc-status'] ?? a.trailers['grpc-status']).toBe(c.code);
    }
    const [a, b] = await both({ 'content-type': 'text/plain' }, [ok]);
    expect(a).toEqual(b);
    expect(a.status).toBe(415);
  });

  it('a client that keeps sending past its declared message is answered at once, not buffered until it ends', async () => {
    const head = frame(encode(envoyRequest({ headers: { 'x-api-key': 'k1' } })));
    for (const port of [fast.grpcPort, fast.checkPort as number]) {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    try {
      const req = session.request({ ':method': 'POST', ':path': CHECK_PATH, 'content-type': 'application/grpc', te: 'trailers' });
      req.on('error', () => {});
      const answered = new Promise<string>((resolve) => req.on('response', (h) => resolve(String(h['grpc-status']))));
      req.write(head);
      // a megabyte after the message, and the stream never ended
      for (let i = 0; i < 16; i++) req.write(Buffer.alloc(64 * 1024, 1));
      const code = await Promise.race([answered, sleep(3000).then(() => 'no answer while the client kept the stream open')]);
      expect(code, `port ${port}`).toBe('12');
      req.close();
    } finally {
      session.close();
    }
    }
  });

  it('a Check slower than its grpc-timeout ends with DEADLINE_EXCEEDED at the deadline, on both', async () => {
    const slow = frame(encode(envoyRequest({ host: 'slow.test' })));
    for (const port of [fast.grpcPort, fast.checkPort as number, generic.grpcPort]) {
      const t0 = performance.now();
      const a = await rawCall(port, { 'grpc-timeout': '100m' }, [slow]);
      const took = performance.now() - t0;
      expect(a.headers['grpc-status']).toBe('4');
      expect(a.headers['grpc-message']).toBe('Deadline%20exceeded');
      expect(took).toBeLessThan(380);
    }
    // Without a deadline (or a longer one) the same Check is answered once the store replies.
    const [a, b] = await both({ 'grpc-timeout': '5S' }, [slow]);
    expect(a).toEqual(b);
    expect(a.trailers['grpc-status']).toBe('0');
  });

  it('health and the access log service are still grpc-js on the same port', async () => {
    const { service } = await import('grpc-health-check');
    const Health = grpc.makeGenericClientConstructor(service, 'Health');
    const health = new Health(`127.0.0.1:${fast.grpcPort}`, grpc.credentials.createInsecure()) as unknown as {
      check(req: { service: string }, cb: (err: Error | null, res: { status: string | number }) => void): void;
      close(): void;
    };
    const res = await new Promise<{ status: string | number }>((resolve, reject) => health.check({ service: 'envoy.service.auth.v3.Authorization' }, (e, r) => (e ? reject(e) : resolve(r))));
    expect([1, 'SERVING']).toContain(res.status);
    health.close();
    const checkPortHealth = new Health(`127.0.0.1:${fast.checkPort}`, grpc.credentials.createInsecure()) as unknown as typeof health;
    for (const name of ['', 'envoy.service.auth.v3.Authorization']) {
      const r = await new Promise<{ status: string | number }>((resolve, reject) => checkPortHealth.check({ service: name }, (e, x) => (e ? reject(e) : resolve(x))));
      expect([1, 'SERVING']).toContain(r.status);
    }
    const missing = await new Promise<Error & { code?: number }>((resolve) => checkPortHealth.check({ service: 'no.such.Service' }, (e) => resolve(e as Error)));
    expect(missing.code).toBe(grpc.status.NOT_FOUND);
    checkPortHealth.close();
    const { accessLog } = envoyServices();
    const als = new accessLog(`127.0.0.1:${fast.grpcPort}`, grpc.credentials.createInsecure()) as unknown as grpc.Client & {
      StreamAccessLogs(cb: (err: Error | null) => void): grpc.ClientWritableStream<unknown>;
    };
    await new Promise<void>((resolve, reject) => {
      const call = als.StreamAccessLogs((err) => (err ? reject(err) : resolve()));
      call.write({ identifier: { log_name: 'test' }, http_logs: { log_entry: [{ response: { response_code: { value: 503 } } }] } });
      call.end();
    });
    als.close();
    expect(accessLogs).toHaveLength(1);
    for (const port of [fast.grpcPort, fast.checkPort as number]) {
      const unknown = await rawCall(port, { ':path': '/no.Such/Method' }, []);
      expect(unknown.headers['grpc-status']).toBe('12');
    }
    const alsOnCheckPort = await rawCall(fast.checkPort as number, { ':path': '/envoy.service.accesslog.v3.AccessLogService/StreamAccessLogs' }, []);
    expect(alsOnCheckPort.headers['grpc-status']).toBe('12');
  });
});
