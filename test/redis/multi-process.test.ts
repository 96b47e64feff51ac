/**
 * GCRA exactness across OS processes: two child processes (each its own RedisCounterStore and connection) plus this
 * one, each with many evaluate() calls in flight, share one key on one Redis. The total allowed is exactly the
 * capacity (requests + burst) within a window much shorter than the emission interval; never more.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rateLimitKey } from '../../authz-server/src/store/keys.ts';
import { RedisCounterStore } from '../../authz-server/src/store/redis-store.ts';
import { startRedis, type RedisServerHandle } from '../support/redis-server.ts';
import type { WorkerReport, WorkerSpec } from '../support/redis-gcra-worker.ts';

const NODE = fileURLToPath(new URL('../../node_modules/.bin/node', import.meta.url));
const WORKER = fileURLToPath(new URL('../support/redis-gcra-worker.ts', import.meta.url));

function runWorker(spec: WorkerSpec): Promise<WorkerReport> {
  return new Promise((resolve, reject) => {
    execFile(NODE, [WORKER, JSON.stringify(spec)], { timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) return reject(new Error(`worker failed: ${err.message}\n${stderr}`));
      try {
        resolve(JSON.parse(stdout.trim().split('\n').pop() ?? '') as WorkerReport);
      } catch {
        reject(new Error(`worker printed no report:\n${stdout}\n${stderr}`));
      }
    });
  });
}

let server: RedisServerHandle;
beforeAll(async () => {
  server = await startRedis();
});
afterAll(async () => {
  await server?.stop();
});

describe('GCRA exactness across processes', () => {
  it('2 child processes + this one, 50 calls in flight each: total allowed == requests + burst, never more', async () => {
    const key = rateLimitKey(`mp-${randomUUID().slice(0, 8)}`, 'shared', ['203.0.113.9']);
    // T = 60 s: nothing refills during the test, so the exact answer is the capacity.
    const limit = { requests: 100, periodMs: 6_000_000, burst: 37 };
    const startAt = Date.now() + 1500; // both children connected by then
    const spec: WorkerSpec = { url: server.url, key, ...limit, calls: 400, concurrency: 50, startAt };
    const children = [runWorker(spec), runWorker(spec)];

    const store = new RedisCounterStore({ url: server.url, timeoutMs: 1000, logger: { info: () => {}, warn: () => {} }, registry: new Registry() });
    let local = 0;
    let localErrors = 0;
    try {
      await sleep(Math.max(0, startAt - Date.now()));
      let issued = 0;
      await Promise.all(
        Array.from({ length: 50 }, async () => {
          while (issued < 400) {
            issued++;
            try {
              const r = await store.evaluate({ rateLimits: [{ key, ...limit }], counters: [], distinct: [] });
              if (r.rateLimits[0]?.allowed) local++;
            } catch {
              localErrors++;
            }
          }
        }),
      );
    } finally {
      await store.close();
    }
    const reports = await Promise.all(children);
    const errors = localErrors + reports.reduce((n, r) => n + r.errors, 0);
    const allowed = local + reports.reduce((n, r) => n + r.allowed, 0);
    const total = 400 * 3;
    expect(errors).toBe(0);
    expect(reports.every((r) => r.allowed + r.denied === 400)).toBe(true);
    expect(allowed).toBe(limit.requests + limit.burst);
    console.log(`multi-process: ${total} calls, allowed ${allowed} (children ${reports.map((r) => r.allowed).join(' + ')}, here ${local})`);
  });

  it('across processes with refill: allowed <= capacity + floor(elapsed / T), and >= capacity', async () => {
    const key = rateLimitKey(`mp-${randomUUID().slice(0, 8)}`, 'refill', []);
    const limit = { requests: 20, periodMs: 2000, burst: 5 }; // T = 100 ms, capacity 25
    const startAt = Date.now() + 1500;
    const spec: WorkerSpec = { url: server.url, key, ...limit, calls: 5000, concurrency: 20, startAt };
    const reports = await Promise.all([runWorker(spec), runWorker(spec)]);
    const allowed = reports.reduce((n, r) => n + r.allowed, 0);
    const first = Math.min(...reports.map((r) => r.firstMs));
    const last = Math.max(...reports.map((r) => r.lastMs));
    const bound = 25 + Math.floor((last - first) / 100);
    expect(reports.every((r) => r.errors === 0)).toBe(true);
    expect(allowed).toBeGreaterThanOrEqual(25);
    expect(allowed).toBeLessThanOrEqual(bound);
    console.log(`multi-process refill: allowed ${allowed} over ${(last - first).toFixed(0)} ms (bound ${bound})`);
  });
});
