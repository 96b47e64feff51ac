/**
 * `npm run bench:profile`: one scenario at one fixed rate against the compiled authz-server, with V8's GC trace
 * (`--trace-gc-nvp`) and optionally a CPU profile, summarised: scavenges and mark-compacts (count, pauses, what was
 * promoted, the mark-compact phases), old-generation size and limit, and the functions and packages the CPU went
 * to. This is how the changes recorded in bench/RESULTS.md were found and checked.
 *
 *   npm run bench:profile -- --scenario api-key --rate 3200 --duration 15
 *   npm run bench:profile -- --cpu-prof --node-flags="--max-semi-space-size=4" --server-args="--decision-log deny"
 *   npm run bench:profile -- --scenario Redis --rate 3370 --bare 100   # the transport's floor, 100 µs spun per call
 *
 * Each run line also gives the CPU time of the server's JavaScript thread per Check, and how long per Check it
 * waited runnable for a CPU (Linux schedstat): on a machine whose cores the load generator shares, the second is part
 * of the tail. `--bare <µs>` measures bench/bare-server.ts instead of the authz-server (same flags, same calls).
 */
import { readFileSync, readdirSync, rmSync, mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { scenarioNamed } from './scenarios.ts';
import { CHECK_CALL, OUT_DIR, ROOT, fixedRate, loadLine, runGhz, spread, startBareServer, startBenchServer, type Sample } from './harness.ts';
import { startRedis } from '../test/support/redis-server.ts';

/** One GC event from `--trace-gc-nvp`. */
export interface GcEvent {
  kind: 'scavenge' | 'mark-compact' | 'other';
  pauseMs: number;
  promotedBytes: number;
  /** Mark-compact phases (ms) on the main thread. */
  phases: Record<string, number>;
  oldGenLimitBytes: number;
  endObjectBytes: number;
}

const PHASES = ['mark', 'clear', 'sweep', 'evacuate', 'finish', 'heap.external.epilogue', 'heap.external_weak_global_handles', 'clear.weak_global_handles', 'clear.external_string_table', 'clear.string_forwarding_table'];

/** Parses the `--trace-gc-nvp` lines out of mixed output. */
export function parseGcTrace(text: string): GcEvent[] {
  const events: GcEvent[] = [];
  for (const line of text.split('\n')) {
    if (!line.includes(' pause=') || !line.includes(' gc=')) continue;
    const kv = new Map<string, string>();
    for (const m of line.matchAll(/([A-Za-z_.]+)=([^\s]+)/g)) kv.set(m[1] as string, m[2] as string);
    const gc = kv.get('gc');
    const num = (k: string) => Number(kv.get(k) ?? 0);
    events.push({
      kind: gc === 's' ? 'scavenge' : gc === 'mc' || gc === 'ms' || gc === 'mmc' ? 'mark-compact' : 'other',
      pauseMs: num('pause'),
      promotedBytes: num('promoted'),
      phases: Object.fromEntries(PHASES.filter((p) => kv.has(p)).map((p) => [p, num(p)])),
      oldGenLimitBytes: num('old_gen_allocation_limit'),
      endObjectBytes: num('end_object_size'),
    });
  }
  return events;
}

/** A short report of GC events over `seconds` of load. */
export function summariseGc(events: GcEvent[], seconds: number): string {
  const mib = (b: number) => (b / 2 ** 20).toFixed(1);
  const lines: string[] = [];
  for (const kind of ['scavenge', 'mark-compact'] as const) {
    const ev = events.filter((e) => e.kind === kind);
    if (ev.length === 0) {
      lines.push(`${kind}: none`);
      continue;
    }
    const pauses = spread(ev.map((e) => e.pauseMs));
    const total = ev.reduce((s, e) => s + e.pauseMs, 0);
    let line = `${kind}: ${ev.length} (${(ev.length / seconds).toFixed(2)}/s), pause median ${pauses.median.toFixed(2)} ms, max ${pauses.max.toFixed(2)} ms, total ${total.toFixed(0)} ms (${((total / (seconds * 1000)) * 100).toFixed(1)} % of wall time)`;
    if (kind === 'scavenge') {
      const promoted = ev.reduce((s, e) => s + e.promotedBytes, 0);
      line += `; promoted ${mib(promoted)} MiB (${mib(promoted / seconds)} MiB/s, ${(promoted / ev.length / 1024).toFixed(0)} KiB per scavenge)`;
    } else {
      const phase = (p: string) => spread(ev.map((e) => e.phases[p] ?? 0)).median.toFixed(2);
      line += `; median phases: ${PHASES.filter((p) => ev.some((e) => p in e.phases)).map((p) => `${p} ${phase(p)}`).join(', ')}`;
      line += `; old generation after ${spread(ev.map((e) => e.endObjectBytes)).median > 0 ? mib(spread(ev.map((e) => e.endObjectBytes)).median) : '-'} MiB, limit ${mib(spread(ev.map((e) => e.oldGenLimitBytes)).median)} MiB`;
    }
    lines.push(line);
  }
  return lines.join('\n');
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

/** Self-time shares of a `.cpuprofile`: top functions, and totals by package / source folder. */
export function summariseCpuProfile(path: string, top = 25): string {
  const prof = JSON.parse(readFileSync(path, 'utf8')) as { nodes: ProfileNode[]; samples: number[] };
  const hits = new Map<number, number>();
  for (const s of prof.samples) hits.set(s, (hits.get(s) ?? 0) + 1);
  const byNode = new Map(prof.nodes.map((n) => [n.id, n]));
  const idle = prof.nodes.filter((n) => n.callFrame.functionName === '(idle)').reduce((s, n) => s + (hits.get(n.id) ?? 0), 0);
  const busy = prof.samples.length - idle;
  const fn = new Map<string, number>();
  const group = new Map<string, number>();
  const groupOf = (url: string, name: string): string => {
    if (name === '(garbage collector)') return 'garbage collector';
    if (name === '(program)') return '(program: native, not attributed)';
    if (!url) return `native/builtin: ${name || '(anonymous)'}`;
    const nm = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(url);
    if (nm) return nm[1] as string;
    if (url.startsWith('node:')) return `node: ${url.slice(5).split('/')[0]}`;
    const rel = relative(ROOT, url.replace(/^file:\/\//, ''));
    return rel.split('/').slice(0, rel.startsWith('dist/') ? 5 : 4).join('/');
  };
  for (const [id, h] of hits) {
    const n = byNode.get(id);
    if (!n || n.callFrame.functionName === '(idle)') continue;
    const url = n.callFrame.url;
    const key = `${n.callFrame.functionName || '(anonymous)'} ${url ? `${url.replace(/^.*node_modules\//, '').replace(`file://${ROOT}/`, '')}:${n.callFrame.lineNumber + 1}` : ''}`;
    fn.set(key, (fn.get(key) ?? 0) + h);
    const g = groupOf(url, n.callFrame.functionName);
    group.set(g, (group.get(g) ?? 0) + h);
  }
  const pct = (h: number) => `${((h / Math.max(1, busy)) * 100).toFixed(1)} %`;
  const sorted = (m: Map<string, number>, n: number) => [...m].sort((a, b) => b[1] - a[1]).slice(0, n);
  return [
    `CPU profile: ${prof.samples.length} samples, ${pct(busy)} busy of busy (idle ${((idle / prof.samples.length) * 100).toFixed(1)} % of all samples)`,
    'by package / folder (self time, share of busy samples):',
    ...sorted(group, 18).map(([k, h]) => `  ${pct(h).padStart(7)}  ${k}`),
    `top ${top} functions (self time):`,
    ...sorted(fn, top).map(([k, h]) => `  ${pct(h).padStart(7)}  ${k}`),
  ].join('\n');
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      scenario: { type: 'string', default: 'api-key + rules' },
      rate: { type: 'string', default: '3200' },
      duration: { type: 'string', default: '15' },
      repeats: { type: 'string', default: '1' },
      'cpu-prof': { type: 'boolean', default: false },
      'node-flags': { type: 'string', default: '' },
      'server-args': { type: 'string', default: '' },
      bare: { type: 'string' },
    },
  });
  const scenario = scenarioNamed(values.scenario);
  const rate = Number(values.rate);
  const seconds = Number(values.duration);
  const profDir = join(OUT_DIR, 'cpuprofile');
  rmSync(profDir, { recursive: true, force: true });
  mkdirSync(profDir, { recursive: true });
  const nodeFlags = ['--trace-gc-nvp', ...values['node-flags'].split(' ').filter(Boolean), ...(values['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : [])];
  const bare = values.bare === undefined ? null : Number(values.bare);
  if (bare !== null && !(bare >= 0)) throw new Error(`--bare takes the µs to spin per call, got ${values.bare}`);
  const redis = scenario.redis && bare === null ? await startRedis() : null;
  const stdoutFile = join(OUT_DIR, 'profile.stdout.log');
  rmSync(stdoutFile, { force: true });
  const server = bare !== null ? await startBareServer({ spinUs: bare, stdoutFile, nodeFlags }) : await startBenchServer({ env: Object.fromEntries((process.env.SERVER_ENV ?? "").split(" ").filter(Boolean).map((kv) => kv.split("="))), args: ['--policies', scenario.policies, ...(redis ? ['--redis', redis.url] : []), ...values['server-args'].split(' ').filter(Boolean)], stdoutFile, nodeFlags });
  const samples: Sample[] = [];
  const loadBefore = loadLine();
  let gcText = '';
  try {
    const call = { ...CHECK_CALL, requests: scenario.requests };
    await runGhz({ port: server.checkPort, pid: server.pid, call, load: { name: 'warm-up', args: ['--concurrency', '16', '--total', '3000'] }, redis, label: 'profile' });
    for (let i = 0; i < Number(values.repeats); i++) {
      const offset = readFileSync(stdoutFile, 'utf8').length;
      samples.push(await runGhz({ port: server.checkPort, pid: server.pid, call, load: fixedRate(rate, seconds), redis, label: 'profile' }));
      gcText += readFileSync(stdoutFile, 'utf8').slice(offset);
    }
  } finally {
    await server.stop();
    await redis?.stop();
  }
  const f = (n: number | null, d = 2) => (n === null || Number.isNaN(n) ? '-' : n.toFixed(d));
  const out = [
    `${bare !== null ? `bare node:http2 server, ${bare} µs spun per call, the calls of ` : ''}${scenario.name}, fixed ${rate} rps x ${seconds} s x ${samples.length}, node flags: ${nodeFlags.filter((x) => !x.startsWith('--cpu-prof')).join(' ')}, server args: ${values['server-args'] || '(defaults)'}`,
    `load average before ${loadBefore}, after ${loadLine()}`,
    ...samples.map(
      (s) =>
        `run: ${s.rps} rps, p50 ${f(s.p50)} p99 ${f(s.p99)} p99.9 ${f(s.p999)} max ${f(s.max)} ms, CPU ${f(s.cpuUsPerCall, 1)} µs/Check (${f(s.cpuPct, 0)} %), RSS ${f(s.rssMiB, 0)} MiB, Redis ${f(s.redisCpuUsPerCall, 1)} µs/Check, others' CPU ${f(s.otherCpuPct, 0)} %, ghz ${f(s.ghzCpuPct, 0)} %, errors ${s.errors}; ${Number.isFinite(s.jsThreadUsPerCall) ? `JavaScript thread per Check: ran ${s.jsThreadUsPerCall.toFixed(0)} µs, waited for a CPU ${s.jsThreadWaitUsPerCall.toFixed(0)} µs` : 'JavaScript thread: no schedstat'}`,
    ),
    summariseGc(parseGcTrace(gcText), seconds * samples.length),
  ];
  if (values['cpu-prof']) {
    const file = readdirSync(profDir).find((n) => n.endsWith('.cpuprofile'));
    out.push(file ? summariseCpuProfile(join(profDir, file)) : 'no CPU profile written');
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

if (import.meta.main) await main();
