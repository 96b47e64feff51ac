/** Free loopback ports for servers started by tests and benchmarks. */
import * as net from 'node:net';

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** A free port; with `plus` also requires port+plus to be free (the cluster bus uses port + 10000). */
export async function freePort(plus?: number): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = net.createServer();
      srv.once('error', reject);
      srv.listen(0, '127.0.0.1', () => {
        const p = (srv.address() as net.AddressInfo).port;
        srv.close(() => resolve(p));
      });
    });
    if (plus === undefined) return port;
    if (port + plus <= 65535 && (await portFree(port + plus))) return port;
  }
  throw new Error('no free port found');
}

