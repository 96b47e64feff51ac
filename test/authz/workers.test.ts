/**
 * `--workers N` (node:cluster): N processes answer Check on one port, SIGTERM drains them all and exits 0, a
 * dead worker is replaced.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../authz-server/src/app/config.ts';
import { challengeOf, powSolver } from '../../clients/palisade-challenge.js';
import { authzClient, envoyRequest } from '../support/envoy.ts';
import { spawnAuthzServer } from '../support/authz-process.ts';

const root = join(import.meta.dirname, '..', '..');

describe('--workers', () => {
  it('parses and validates', () => {
    expect(parseConfig(['--policies', 'x'], {}).workers).toBe(1);
    expect(parseConfig(['--policies', 'x', '--workers', '2'], {}).workers).toBe(2);
    expect(parseConfig(['--policies', 'x'], { PALISADE_WORKERS: '3' }).workers).toBe(3);
    expect(() => parseConfig(['--policies', 'x', '--workers', '0'], {})).toThrow(/--workers must be an integer/);
  });

  it('two workers share the gRPC port, a killed worker is replaced, SIGTERM exits 0', async () => {
    const proc = await spawnAuthzServer(['--policies', 'examples/policies', '--workers', '2', '--decision-log', 'off']);
    const { child, grpcPort, exited } = proc;
    // Worker pids from /proc (pino buffers stdout, so log lines arrive late).
    const workerPids = () => readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    const waitFor = async (pred: () => boolean | Promise<boolean>, what: string) => {
      const deadline = Date.now() + 20_000;
      while (!(await pred())) {
        if (Date.now() > deadline) throw new Error(`${what}: ${proc.stdout().slice(-2000)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    try {
      await waitFor(() => workerPids().length === 2, 'two workers did not start');
      const check = async () => {
        const c = authzClient(grpcPort);
        try {
          return (await c.check(envoyRequest({ host: 'catalog.example.com', path: '/products/1' }))).status.code ?? 0;
        } finally {
          c.close();
        }
      };
      await waitFor(async () => (await check().catch(() => -1)) === 0, 'not answering');
      for (let i = 0; i < 6; i++) expect(await check()).toBe(0);

      // Without a key file the workers share one random challenge key: a pass earned through one connection
      // (one worker) holds on every other connection (either worker).
      const curl = { host: 'catalog.example.com', path: '/products/1', sourceIp: '198.51.100.4', headers: { 'user-agent': 'curl/8.5.0', accept: '' } };
      const c = authzClient(grpcPort);
      const challenged = await c.check(envoyRequest(curl));
      c.close();
      const auth = challenged.denied_response?.headers.find((h) => h.header.key === 'www-authenticate')?.header.value ?? null;
      const ch = challengeOf({ status: challenged.denied_response?.status.code ?? 0, headers: { get: () => auth } });
      expect(ch, 'curl without accept should be challenged by the catalog example').not.toBeNull();
      const nonce = powSolver().solve(ch!.seed, ch!.difficulty, 0, 1, 1 << 26).nonce!;
      const answer = async (headers: Record<string, string>) => {
        const conn = authzClient(grpcPort);
        try {
          return await conn.check(envoyRequest({ ...curl, headers: { ...curl.headers, ...headers } }));
        } finally {
          conn.close();
        }
      };
      const solved = await answer({ 'x-palisade-solution': `${nonce}:${ch!.token}` });
      expect(solved.status.code).toBe(0);
      const pass = solved.ok_response?.response_headers_to_add.find((h) => h.header.key === 'x-palisade-pass')?.header.value ?? '';
      for (let i = 0; i < 6; i++) expect((await answer({ 'x-palisade-pass': pass })).status.code).toBe(0);
      // Both workers listening before one is killed: with port 0 the primary hands out the port of the first worker's
      // listen, and a worker still starting when the only one listening dies would be given a new port.
      const listening = () => proc.stdout().split('\n').filter((l) => l.includes('"authz-server listening"')).map((l) => (JSON.parse(l) as { grpcPort: number }).grpcPort);
      await waitFor(() => listening().length >= 2, 'the second worker is not listening');
      expect(listening()).toEqual([grpcPort, grpcPort]);
      const [first, second] = workerPids();
      process.kill(first as number, 'SIGKILL');
      await waitFor(() => workerPids().length === 2 && !workerPids().includes(first as number), 'killed worker was not replaced');
      expect(workerPids()).toContain(second);
      await waitFor(async () => (await check().catch(() => -1)) === 0, 'not answering after the restart');
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
