/**
 * The transport's floor, for `npm run bench:profile -- --bare <µs>`: a `node:http2` server that answers every gRPC
 * call with a constant OK (an empty message, `grpc-status: 0`) after spinning `<µs>` of CPU on its JavaScript
 * thread, started with the authz-server's Node flags and with its GC helper threads niced as the authz-server does.
 * Spinning allocates nothing, so the server shows what a given amount of per-Check CPU costs the tail without
 * Palisade's allocation and garbage collection.
 *
 *   node <AUTHZ_NODE_FLAGS> bench/bare-server.ts <port> <spin µs>
 */
import http2 from 'node:http2';
import { lowerGcThreadPriority } from '../authz-server/src/app/gc-threads.ts';

const port = Number(process.argv[2]);
const spinNs = BigInt(Math.round(Number(process.argv[3] ?? 0) * 1000));
if (!Number.isInteger(port) || port <= 0) throw new Error('usage: bare-server.ts <port> <spin µs>');

const EMPTY_MESSAGE = Buffer.from([0, 0, 0, 0, 0]);
const server = http2.createServer();
server.on('stream', (stream) => {
  stream.on('data', () => {});
  stream.on('end', () => {
    if (spinNs > 0n) {
      const until = process.hrtime.bigint() + spinNs;
      while (process.hrtime.bigint() < until);
    }
    stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
    stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
    stream.end(EMPTY_MESSAGE);
  });
});
server.listen(port, '127.0.0.1', () => {
  // V8 starts its helper threads with the isolate; they exist by now.
  lowerGcThreadPriority(10);
  process.stdout.write('listening\n');
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
