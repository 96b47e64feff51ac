import { readFileSync } from 'node:fs';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createOperatorMetrics } from './metrics.ts';

/** Metric names in the README's operator metrics table (the one after "## Operator"). */
function readmeMetricNames(): string[] {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const start = readme.indexOf('\n## Operator\n');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 5));
  return [...section.matchAll(/^\| (`palisade_operator_[^|]+)\|/gm)].flatMap((m) => [...(m[1] ?? '').matchAll(/`(palisade_operator_[a-z_]+)`/g)].map((n) => n[1] ?? ''));
}

describe('operator metrics', () => {
  it('the README operator metrics table lists exactly the metrics defined in metrics.ts', async () => {
    const registry = new Registry();
    createOperatorMetrics(registry, () => 0);
    const all = (await registry.getMetricsAsJSON()).map((m) => m.name);
    // Node's default process metrics carry the prefix too; they are the table's `palisade_operator_*` row
    const ours = all.filter((n) => !/^palisade_operator_(process|nodejs)_/.test(n));
    const documented = readmeMetricNames();
    expect(documented.length).toBeGreaterThan(15);
    expect([...new Set(documented)].sort()).toEqual([...new Set(ours)].sort());
  });
});
