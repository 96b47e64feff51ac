/**
 * Node's process metrics, as prom-client's collectDefaultMetrics registers them, except that garbage-collection
 * time comes from V8's GC profiler, read every few seconds, instead of a `gc` PerformanceObserver. Such an observer
 * makes Node build a PerformanceEntry (with deprecation wrappers) for every collection, about 70 a second under
 * load, and that garbage outlived young-generation collections: at 3370 Checks a second it was half of what reached
 * the old generation and doubled the mark-compacts (bench/RESULTS.md). The metric keeps its name, labels and buckets.
 */
import { createRequire } from 'node:module';
import { GCProfiler } from 'node:v8';
import { collectDefaultMetrics, Histogram, type Registry } from 'prom-client';

const require = createRequire(import.meta.url);

type Collector = (registry: Registry, config: { prefix: string; eventLoopMonitoringPrecision: number }) => void;

/** prom-client's default collectors other than `gc`, by their own list, so that new ones are not missed. */
function defaultCollectorsButGc(): Collector[] {
  const names = (collectDefaultMetrics as unknown as { metricsList: string[] }).metricsList;
  if (!Array.isArray(names) || !names.includes('gc')) throw new Error("prom-client's default metrics list changed (collectDefaultMetrics.metricsList); update lib/process/process-metrics.ts");
  return names.filter((n) => n !== 'gc').map((n) => require(`prom-client/lib/metrics/${n}`) as Collector);
}

/** V8's GC types, as the `kind` label prom-client gives them. */
const KIND: Record<string, string> = {
  Scavenge: 'minor',
  MinorMarkSweep: 'minor',
  MarkSweepCompact: 'major',
  IncrementalMarking: 'incremental',
  ProcessWeakCallbacks: 'weakcb',
};

/** How often the GC profiler is read (it buffers every collection until read; small reads leave short-lived garbage). */
const DRAIN_MS = 1000;

/**
 * Registers Node's process metrics on `registry` with `prefix` (`<prefix>nodejs_gc_duration_seconds` among them).
 * Returns a function that stops the GC profiler.
 */
export function registerProcessMetrics(registry: Registry, prefix: string): () => void {
  const config = { prefix, eventLoopMonitoringPrecision: 10 };
  for (const collect of defaultCollectorsButGc()) collect(registry, config);
  const profiler = new GCProfiler();
  const drain = () => {
    const { statistics } = profiler.stop() ?? { statistics: [] };
    profiler.start();
    for (const s of statistics) histogram.observe({ kind: KIND[s.gcType] ?? s.gcType }, s.cost / 1e6);
  };
  const histogram = new Histogram({
    name: `${prefix}nodejs_gc_duration_seconds`,
    help: 'Garbage collection duration by kind, one of major, minor, incremental or weakcb.',
    labelNames: ['kind'],
    buckets: [0.001, 0.01, 0.1, 1, 2, 5],
    registers: [registry],
    collect: drain,
  });
  profiler.start();
  const timer = setInterval(drain, DRAIN_MS);
  timer.unref();
  return () => {
    clearInterval(timer);
    profiler.stop();
  };
}
