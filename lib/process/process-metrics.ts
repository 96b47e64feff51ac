/**
 * Node's process metrics, as prom-client's collectDefaultMetrics registers them, with its garbage-collection
 * histogram (`<prefix>nodejs_gc_duration_seconds`) optional. That histogram is fed by a `gc` PerformanceObserver,
 * which makes Node build a PerformanceEntry (with deprecation wrappers) for every collection, about 70 a second
 * under load: in the authz-server, 2.7 % more CPU per Check at 3540 Checks a second (bench/RESULTS.md). V8's
 * GCProfiler is no substitute: it keeps about 6 KiB of native memory per collection, and more on every restart.
 */
import { createRequire } from 'node:module';
import { collectDefaultMetrics, type Registry } from 'prom-client';

const require = createRequire(import.meta.url);

type Collector = (registry: Registry, config: { prefix: string; eventLoopMonitoringPrecision: number }) => void;

/**
 * Registers Node's process metrics on `registry` with `prefix`: every default collector prom-client has (by its own
 * list, so that new ones are not missed), the GC histogram only with `gcDurations`.
 */
export function registerProcessMetrics(registry: Registry, prefix: string, opts: { gcDurations: boolean }): void {
  const names = (collectDefaultMetrics as unknown as { metricsList: string[] }).metricsList;
  if (!Array.isArray(names) || !names.includes('gc')) throw new Error("prom-client's default metrics list changed (collectDefaultMetrics.metricsList); update lib/process/process-metrics.ts");
  const config = { prefix, eventLoopMonitoringPrecision: 10 };
  for (const name of names) {
    if (name === 'gc' && !opts.gcDurations) continue;
    (require(`prom-client/lib/metrics/${name}`) as Collector)(registry, config);
  }
}
