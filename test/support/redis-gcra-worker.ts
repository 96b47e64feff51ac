/**
 * A separate OS process hammering one GCRA key through its own RedisCounterStore (for the multi-process
 * exactness test). Usage: node redis-gcra-worker.ts '<json WorkerSpec>'; prints one JSON WorkerReport line.
 */
import { Registry } from 'prom-client';
import { RedisCounterStore } from '../../authz-server/src/store/redis-store.ts';

export interface WorkerSpec {
  url: string;
  key: string;
  requests: number;
  periodMs: number;
  burst: number;
  /** Total evaluate() calls. */
  calls: number;
  /** Calls in flight at once. */
  concurrency: number;
  /** Epoch ms to start at (so that several processes start together). */
  startAt: number;
}

export interface WorkerReport {
  allowed: number;
  denied: number;
  errors: number;
  firstMs: number;
  lastMs: number;
}

const spec = JSON.parse(process.argv[2] ?? '{}') as WorkerSpec;
const logger = { info: () => {}, warn: (o: unknown, m?: string) => void process.stderr.write(`${m} ${JSON.stringify(o)}\n`) };
const store = new RedisCounterStore({ url: spec.url, timeoutMs: 1000, logger, registry: new Registry() });

const deadline = Date.now() + 10_000;
while (!store.isHealthy()) {
  if (Date.now() > deadline) throw new Error('worker: store never became healthy');
  await new Promise((r) => setTimeout(r, 10));
}
await new Promise((r) => setTimeout(r, Math.max(0, spec.startAt - Date.now())));

const report: WorkerReport = { allowed: 0, denied: 0, errors: 0, firstMs: Infinity, lastMs: 0 };
let issued = 0;
const op = { key: spec.key, requests: spec.requests, periodMs: spec.periodMs, burst: spec.burst };
async function lane(): Promise<void> {
  while (issued < spec.calls) {
    issued++;
    try {
      const r = await store.evaluate({ rateLimits: [op], counters: [], distinct: [] });
      if (r.rateLimits[0]?.allowed) {
        report.allowed++;
        report.firstMs = Math.min(report.firstMs, r.nowMs);
        report.lastMs = Math.max(report.lastMs, r.nowMs);
      } else report.denied++;
    } catch {
      report.errors++;
    }
  }
}
await Promise.all(Array.from({ length: spec.concurrency }, lane));
await store.close();
process.stdout.write(`${JSON.stringify(report)}\n`);
