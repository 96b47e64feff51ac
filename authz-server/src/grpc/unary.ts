/**
 * What both of Check's HTTP/2 paths (check-stream.ts on grpc-js's port, check-port.ts on the Check port) share of
 * gRPC's unary protocol: the method's path, the status codes they answer with, `grpc-timeout` parsing and message
 * decompression with grpc-js's limits and messages.
 */
import { gunzip, inflate } from 'node:zlib';

/** The Check method's HTTP/2 path. */
export const CHECK_PATH = '/envoy.service.auth.v3.Authorization/Check';

/** gRPC status codes these paths answer with. */
export const Status = { INTERNAL: 13, DEADLINE_EXCEEDED: 4, RESOURCE_EXHAUSTED: 8, UNIMPLEMENTED: 12, NOT_FOUND: 5 } as const;

const DEADLINE = /(\d{1,8})\s*([HMSmun])/;
const UNIT_MS: Record<string, number> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000001 };

/** The milliseconds of a `grpc-timeout` value, or null when it is not one (grpc-js answers INTERNAL then). */
export function timeoutMs(value: string): number | null {
  const m = DEADLINE.exec(value);
  return m ? (Number(m[1]) * (UNIT_MS[m[2] as string] as number)) | 0 : null;
}

/** How one Check is decoded, answered and encoded. */
export interface CheckStreamHandler<Req, Res> {
  /** Bytes -> request; must not throw (the tolerant deserializer). */
  decode(bytes: Buffer): Req;
  /** Resolves with the response; must not reject (check() never does). */
  answer(request: Req): Promise<Res>;
  encode(response: Res): Buffer;
  /** Largest accepted message (grpc.max_receive_message_length). */
  maxReceiveBytes: number;
}

/** Decompresses a gzip or deflate message, rejecting with a gRPC code and grpc-js's message. */
export function inflateMessage(encoding: string, bytes: Buffer, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const done = (err: Error | null, out: Buffer) => {
      if (err) reject(Object.assign(new Error('Failed to decompress message'), { code: Status.INTERNAL }));
      else if (out.length > max) reject(Object.assign(new Error(`Received message that decompresses to a size larger than ${max}`), { code: Status.RESOURCE_EXHAUSTED }));
      else resolve(out);
    };
    // maxOutputLength stops zlib early (with an error) instead of inflating a bomb to the end.
    if (encoding === 'gzip') gunzip(bytes, { maxOutputLength: max + 1 }, done);
    else inflate(bytes, { maxOutputLength: max + 1 }, done);
  });
}

/** grpc-js's messages for a unary call with too few or too many request messages. */
export const NO_MESSAGE = `Received no request message for server streaming method ${CHECK_PATH}`;
export const SECOND_MESSAGE = `Received a second request message for server streaming method ${CHECK_PATH}`;
