import { MIN } from '../bench/sim-traffic.ts';
import { SCENARIOS, runScenario } from '../bench/simulator.ts';
for (const seed of [1, 2, 3, 4]) {
  const line: string[] = [];
  for (const s of SCENARIOS) {
    const r = await runScenario(s, seed, { warmupMs: 15 * MIN, measuredMs: 10 * MIN, inProcess: true });
    line.push(`${s}:${(r.requestRecall * 100).toFixed(0)}/${(r.clientRecall * 100).toFixed(0)}/fp${(r.peopleFpRate * 100).toFixed(2)}/pf${(r.peopleFlaggedShare * 100).toFixed(1)}(${r.people})`);
  }
  console.log(seed, line.join(' '));
}
