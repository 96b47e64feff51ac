/**
 * `npm run bench:ab`: two authz-server configurations measured side by side: both processes run at the same time,
 * each driven by its own ghz at the same fixed rate, so both see the same neighbours (on a shared machine the
 * CPU per call of consecutive runs moved by +-20 %; the difference between simultaneous ones is what is left).
 * Repeats alternate which configuration starts its load first.
 *
 *   npm run bench:ab -- --a="--decision-log off" --b="" --rate 1500 --repeats 5
 *   npm run bench:ab -- --a-flags="--max-semi-space-size=8" --b-flags="" --scenario Redis
 *   npm run bench:ab -- --a-root=/tmp/main-checkout --b="" (A runs that checkout's own build: two commits)
 *
 * Besides the peak RSS under load it reports each process's RSS 5 s after it answered /readyz (idle, no Check
 * served yet).
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { startRedis } from '../test/support/redis-server.ts';
import { CHECK_CALL, OUT_DIR, fixedRate, loadLine, procStats, runGhz, spread, startBenchServer, type Sample } from './harness.ts';
import { scenarios } from './scenarios.ts';

const words = (s: string) => s.split(' ').filter(Boolean);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      a: { type: 'string', default: '' },
      b: { type: 'string', default: '' },
      'a-flags': { type: 'string', default: '' },
      'b-flags': { type: 'string', default: '' },
      'a-root': { type: 'string', default: '' },
      'b-root': { type: 'string', default: '' },
      scenario: { type: 'string', default: 'api-key + rules' },
      rate: { type: 'string', default: '1500' },
      duration: { type: 'string', default: '10' },
      repeats: { type: 'string', default: '5' },
    },
  });
  const scenario = scenarios().find((s) => s.name === values.scenario) ?? scenarios().find((s) => s.name.includes(values.scenario));
  if (!scenario) throw new Error(`no scenario matches ${values.scenario}`);
  const redis = scenario.redis ? await startRedis() : null;
  const variants = (['a', 'b'] as const).map((k) => ({ name: k.toUpperCase(), args: words(values[k]), flags: words(values[`${k}-flags`]), root: values[`${k}-root`] }));
  const servers = await Promise.all(
    variants.map((v) =>
      startBenchServer({ args: ['--policies', scenario.policies, ...(redis ? ['--redis', redis.url] : []), ...v.args], nodeFlags: v.flags, stdoutFile: join(OUT_DIR, `ab-${v.name}.stdout.log`), ...(v.root ? { root: v.root } : {}) }),
    ),
  );
  await sleep(5000);
  const idleRss = servers.map((s) => procStats(s.pid).rssMiB);
  const samples: Sample[][] = [[], []];
  const call = { ...CHECK_CALL, requests: scenario.requests };
  const loadBefore = loadLine();
  try {
    await Promise.all(servers.map((s, i) => runGhz({ port: s.grpcPort, pid: s.pid, call, load: { name: 'warm-up', args: ['--concurrency', '16', '--total', '3000'] }, redis: null, label: `ab-${i}` })));
    for (let r = 0; r < Number(values.repeats); r++) {
      const order = r % 2 === 0 ? [0, 1] : [1, 0];
      const runs = order.map((i) => runGhz({ port: (servers[i] as (typeof servers)[number]).grpcPort, pid: (servers[i] as (typeof servers)[number]).pid, call, load: fixedRate(Number(values.rate), Number(values.duration)), redis: null, label: `ab-${i}` }));
      const res = await Promise.all(runs);
      order.forEach((i, j) => samples[i]?.push(res[j] as Sample));
      process.stderr.write(`repeat ${r + 1}: ${order.map((i, j) => `${variants[i]?.name} ${(res[j] as Sample).cpuUsPerCall.toFixed(1)} µs/call`).join(', ')}\n`);
    }
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    await redis?.stop();
  }
  const f = (n: number) => n.toFixed(1);
  const lines = variants.map((v, i) => {
    const s = samples[i] as Sample[];
    const c = spread(s.map((x) => x.cpuUsPerCall));
    const p99 = spread(s.map((x) => x.p99));
    const p999 = spread(s.map((x) => x.p999));
    const rss = Math.max(...s.map((x) => x.rssMiB));
    return `| ${v.name} | \`${[...(v.root ? [v.root] : []), ...v.flags, ...v.args].join(' ') || '(defaults)'}\` | ${f(c.median)} (${f(c.min)}-${f(c.max)}) | ${p99.median.toFixed(2)} | ${p999.median.toFixed(2)} | ${(idleRss[i] as number).toFixed(1)} | ${rss.toFixed(1)} |`;
  });
  const diffs = (samples[0] as Sample[]).map((a, i) => ((samples[1] as Sample[])[i] as Sample).cpuUsPerCall - a.cpuUsPerCall);
  const d = spread(diffs);
  process.stdout.write(
    [
      `${scenario.name}, both at ${values.rate} rps at the same time, ${values.repeats} x ${values.duration} s; load average before ${loadBefore}, after ${loadLine()}`,
      '',
      '| | configuration | CPU µs/call median (min-max) | p99 ms | p99.9 ms | idle RSS MiB | peak RSS MiB |',
      '|---|---|---:|---:|---:|---:|---:|',
      ...lines,
      '',
      `B - A, CPU per call, per simultaneous repeat: median ${f(d.median)} µs (${f(d.min)} .. ${f(d.max)}) = ${f((d.median / spread((samples[0] as Sample[]).map((x) => x.cpuUsPerCall)).median) * 100)} % of A`,
      '',
    ].join('\n'),
  );
}

if (import.meta.main) await main();
