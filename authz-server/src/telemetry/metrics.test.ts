import { readFileSync } from 'node:fs';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createAuthzMetrics, discoveryMetrics, operatorStreamMetrics, storeMetrics } from './metrics.ts';

function readmeMetricNames(): string[] {
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
  const section = readme.slice(readme.indexOf('\n## Metrics\n'), readme.indexOf('\n## ', readme.indexOf('\n## Metrics\n') + 5));
  return [...section.matchAll(/^\| (`palisade_[^|]+)\|/gm)].flatMap((m) => [...(m[1] ?? '').matchAll(/`(palisade_[a-z_]+)`/g)].map((n) => n[1] ?? ''));
}

describe('metrics', () => {
  it('the README metrics table lists exactly the metrics defined here', async () => {
    const registry = new Registry();
    createAuthzMetrics(registry, () => null);
    storeMetrics(registry);
    operatorStreamMetrics(registry);
    discoveryMetrics(registry, 200, '(other)', () => Promise.resolve([]));
    const defined = (await registry.getMetricsAsJSON()).map((m) => m.name).filter((n) => !n.startsWith('palisade_authz_'));
    const documented = readmeMetricNames();
    expect(documented.length).toBeGreaterThan(10);
    expect([...new Set(documented)].sort()).toEqual([...new Set(defined)].sort());
  });

  it('parts that exist more than once per registry share their metrics instead of registering twice', () => {
    const registry = new Registry();
    expect(storeMetrics(registry).up).toBe(storeMetrics(registry).up);
    expect(operatorStreamMetrics(registry).snapshots).toBe(operatorStreamMetrics(registry).snapshots);
  });
});
