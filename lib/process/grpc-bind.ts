/** Binding a gRPC server to a host and port (IPv6 hosts bracketed), as a promise. */
import type * as grpc from '@grpc/grpc-js';

/** Binds `server` on host:port (0 = any free port) and resolves with the bound port. */
export function bindGrpc(server: grpc.Server, host: string, port: number, credentials: grpc.ServerCredentials): Promise<number> {
  const address = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  return new Promise((resolve, reject) => {
    server.bindAsync(address, credentials, (err, bound) => (err ? reject(err) : resolve(bound)));
  });
}
