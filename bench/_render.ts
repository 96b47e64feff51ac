import { readFileSync } from 'node:fs';
import { SCENARIOS, renderTable, type ScenarioResult } from './simulator.ts';
const all: ScenarioResult[] = [];
for (const [file, label] of process.argv.slice(2).map((a) => a.split('='))) {
  for (const r of JSON.parse(readFileSync(file!, 'utf8')) as ScenarioResult[]) all.push(label ? { ...r, store: label } : r);
}
all.sort((a, b) => SCENARIOS.indexOf(a.scenario) - SCENARIOS.indexOf(b.scenario));
process.stdout.write(renderTable(all) + '\n');
