/**
 * The bot detectors against simulated traffic (bench/simulator.ts): the real authz-server over gRPC, Envoy-shaped
 * Checks and access logs, simulated time, fixed seeds. Floors per scenario, and a false-positive rate on
 * legitimate users below 1%. Flagged = challenge or deny.
 */
import { describe, expect, it } from 'vitest';
import { renderConfusion, runScenario, scenarioEvents, type ScenarioName, type ScenarioResult } from '../../bench/simulator.ts';

const FLOORS: Record<ScenarioName, { precision: number; recall: number }> = {
  legitimate: { precision: 1, recall: 1 },
  'credential-stuffing': { precision: 0.95, recall: 0.85 },
  scraper: { precision: 0.95, recall: 0.95 },
  botnet: { precision: 0.95, recall: 0.75 },
  'low-and-slow': { precision: 0.9, recall: 0.8 },
};

const results: ScenarioResult[] = [];

describe('bot detection on simulated traffic (seed 1)', () => {
  it('generates the same traffic for the same seed, different traffic for another', () => {
    const a = scenarioEvents('botnet', 1);
    expect(scenarioEvents('botnet', 1)).toEqual(a);
    expect(scenarioEvents('botnet', 2)).not.toEqual(a);
    expect(a.some((e) => e.bot) && a.some((e) => !e.bot)).toBe(true);
  });

  for (const scenario of Object.keys(FLOORS) as ScenarioName[]) {
    it(`${scenario}: precision and recall floors, false positives below 1%`, { timeout: 240_000 }, async () => {
      const r = await runScenario(scenario, 1);
      results.push(r);
      expect(r.humans).toBeGreaterThan(2000);
      expect(r.fpRate).toBeLessThan(0.01);
      if (scenario === 'legitimate') {
        expect(r.bots).toBe(0);
        return;
      }
      expect(r.bots).toBeGreaterThan(300);
      expect(r.precision).toBeGreaterThanOrEqual(FLOORS[scenario].precision);
      expect(r.recall).toBeGreaterThanOrEqual(FLOORS[scenario].recall);
    });
  }

  it('prints the confusion matrices', () => {
    if (results.length > 0) process.stdout.write(`\n${renderConfusion(results)}\n`);
    const humans = results.reduce((s, r) => s + r.humans, 0);
    const fp = results.reduce((s, r) => s + r.fp, 0);
    expect(humans === 0 || fp / humans < 0.01).toBe(true);
  });
});
