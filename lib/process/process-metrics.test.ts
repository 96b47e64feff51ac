import { collectDefaultMetrics, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { registerProcessMetrics } from './process-metrics.ts';

describe('registerProcessMetrics', () => {
  it("registers exactly the metrics prom-client's defaults register, GC time included", async () => {
    const ours = new Registry();
    const stop = registerProcessMetrics(ours, 'x_');
    const theirs = new Registry();
    collectDefaultMetrics({ register: theirs, prefix: 'x_' });
    const names = async (r: Registry) => (await r.getMetricsAsJSON()).map((m) => `${m.name} ${m.type}`).sort();
    expect(await names(ours)).toEqual(await names(theirs));
    stop();
  });

  it('counts the collections that happen, by kind, when scraped', async () => {
    const registry = new Registry();
    const stop = registerProcessMetrics(registry, 'y_');
    let keep: object[] = [];
    for (let i = 0; i < 3e6; i++) {
      keep.push({ i });
      if (keep.length > 5e4) keep = [];
    }
    const gc = (await registry.getMetricsAsJSON()).find((m) => m.name === 'y_nodejs_gc_duration_seconds');
    const minor = gc?.values.find((v) => (v as { metricName?: string }).metricName === 'y_nodejs_gc_duration_seconds_count' && v.labels.kind === 'minor');
    expect(minor?.value).toBeGreaterThan(0);
    stop();
  });
});
