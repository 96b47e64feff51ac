import { collectDefaultMetrics, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { registerProcessMetrics } from './process-metrics.ts';

const names = async (r: Registry) => (await r.getMetricsAsJSON()).map((m) => `${m.name} ${m.type}`).sort();

describe('registerProcessMetrics', () => {
  it("with gcDurations, registers exactly the metrics prom-client's defaults register", async () => {
    const ours = new Registry();
    registerProcessMetrics(ours, 'x_', { gcDurations: true });
    const theirs = new Registry();
    collectDefaultMetrics({ register: theirs, prefix: 'x_' });
    expect(await names(ours)).toEqual(await names(theirs));
  });

  it('without, the same but the GC histogram', async () => {
    const ours = new Registry();
    registerProcessMetrics(ours, 'y_', { gcDurations: false });
    const theirs = new Registry();
    collectDefaultMetrics({ register: theirs, prefix: 'y_' });
    expect(await names(ours)).toEqual((await names(theirs)).filter((n) => !n.startsWith('y_nodejs_gc_duration_seconds ')));
    expect((await names(theirs)).some((n) => n.startsWith('y_nodejs_gc_duration_seconds '))).toBe(true);
  });
});
