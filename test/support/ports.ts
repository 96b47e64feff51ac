/**
 * Free loopback ports for servers started by tests and benchmarks.
 *
 * Ports are drawn at random outside the kernel's ephemeral range: a port found free there can only be taken by
 * another caller of this function before the server binds it, never by an outgoing connection's local port or
 * another process's bind(0), which are what busy parallel test runs produce by the thousand.
 */
import { readFileSync } from 'node:fs';
import * as net from 'node:net';

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** The ports this machine's kernel does not hand out on its own: [first, last]. */
export function quietPortRange(rangeFile = '/proc/sys/net/ipv4/ip_local_port_range'): [number, number] {
  let lo = 32768;
  let hi = 60999;
  try {
    const [a, b] = readFileSync(rangeFile, 'utf8').trim().split(/\s+/).map(Number);
    if (Number.isInteger(a) && Number.isInteger(b)) [lo, hi] = [a as number, b as number];
  } catch {
    // not Linux: the defaults
  }
  if (lo - 1 - 15_000 >= 2000) return [15_000, lo - 1];
  if (65_535 - (hi + 1) >= 2000) return [hi + 1, 65_535];
  return [1024, 65_535];
}

const handedOut = new Set<number>();

/** A free port; with `plus` also requires port+plus to be free (the cluster bus uses port + 10000). */
export async function freePort(plus?: number): Promise<number> {
  const [first, last] = quietPortRange();
  for (let i = 0; i < 200; i++) {
    const port = first + Math.floor(Math.random() * (last - first + 1));
    if (handedOut.has(port)) continue;
    if (plus !== undefined && port + plus > 65_535) continue;
    if (!(await portFree(port))) continue;
    if (plus !== undefined && !(await portFree(port + plus))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error(`no free port found in ${first}-${last}`);
}
