/**
 * `npm run bench`: Palisade's authz-server as users run it, side by side with its peers, driven by ghz over real
 * gRPC. For each scenario:
 *   1. each peer that can express it (bench/peers.ts) runs at saturation first, `--repeats` times; the best
 *      peer's median maximum sets the scenario's fixed rates, 25 / 50 / 75 % of it (scenarios no peer runs use
 *      the first peer scenario's rates);
 *   2. Palisade runs with its shipped defaults (compiled JavaScript, the image's Node flags and environment, the
 *      decision log at its default, stdout appended to a file), then again with `--decision-log off`: saturation
 *      and the fixed rates, each `--repeats` times, interleaved (repeat 1 of every load, then repeat 2, ...);
 *   3. each peer runs the fixed rates the same way;
 *   4. the decision log's cost: the default against `--decision-log off` side by side (both servers at once, as
 *      `npm run bench:ab` does) in the over-limit flood at its 50 % rate, where the default writes a line per Check,
 *      `--log-ab-repeats` x 15 s (default 5): consecutive rows differ by more than that cost.
 * Every system must first answer every benchmark request with an allow (a system that denies would look fast for
 * the wrong reason). A row reports the median of its repeats with min-max for the tail and CPU columns. The
 * headline is CPU per call (server CPU seconds per answered call); Redis CPU per call comes from Redis' own
 * INFO (used_cpu_user + used_cpu_sys), for Palisade and envoyproxy/ratelimit alike. The machine's load average
 * and the CPU other processes used during each run are recorded, since ghz, the servers and Redis share it.
 *
 *   npm run bench                              # everything: ~45 min with 3 repeats of 10 s
 *   npm run bench -- --scenario Redis --repeats 1 --duration 5
 *   npm run bench -- --peers none --rates 1000,2000,3000
 *   npm run bench -- --server-args="--workers 2"
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { loadEnvoyProtos, type CheckRequest } from '../authz-server/src/envoy/protos.ts';
import { authzClient } from '../test/support/envoy.ts';
import { startRedis, type RedisServerHandle } from '../test/support/redis-server.ts';
import { CHECK_CALL, OUT_DIR, RLS_CALL, ROOT, fixedRate, freePort, loadLine, procStats, runGhz, saturation, spread, startBenchServer, type Call, type Load, type Sample } from './harness.ts';
import { PEER_MODULES, ensurePeer, startAuthorino, startOpa, startRatelimit, type PeerBuild, type PeerName, type RunningPeer } from './peers.ts';
import { abDifference, renderAb, runAb, type AbResult } from './ab.ts';
import { scenarios, type Scenario } from './scenarios.ts';
import { setTimeout as sleep } from 'node:timers/promises';

/** One measured run, as stored in bench/out/results.json. */
export interface Run extends Sample {
  system: string;
  scenario: string;
  load: string;
  /** Offered rate as a share of the best peer's maximum (null at saturation). */
  share: number | null;
  repeat: number;
}

const SHARES = [0.25, 0.5, 0.75] as const;
const PALISADE = 'Palisade (defaults)';
const PALISADE_ALL = 'Palisade --decision-log all';
const PALISADE_OFF = 'Palisade --decision-log off';

/** Sends each request once; throws unless every one is allowed (status OK + ok_response). */
async function verifyChecksAllowed(system: string, port: number, scenario: Scenario): Promise<void> {
  const client = authzClient(port);
  try {
    for (const r of scenario.requests) {
      const res = await client.check(r as CheckRequest);
      if ((res.status?.code ?? 0) !== 0 || !res.ok_response) throw new Error(`${system} does not allow the ${scenario.name} benchmark requests: ${JSON.stringify(res).slice(0, 300)}`);
    }
  } finally {
    client.close();
  }
}

/** Sends each RateLimitService request once; throws unless every one is answered OK (not over the limit). */
async function verifyRateLimitAllowed(system: string, port: number, requests: unknown[]): Promise<void> {
  const Service = loadEnvoyProtos([RLS_CALL.proto]).get('envoy.service.ratelimit.v3.RateLimitService');
  if (!Service) throw new Error(`envoy.service.ratelimit.v3.RateLimitService not found in ${RLS_CALL.proto}`);
  const client = new Service(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as grpc.Client & {
    ShouldRateLimit(req: unknown, opts: grpc.CallOptions, cb: (err: Error | null, res: { overall_code?: number }) => void): void;
  };
  try {
    for (const r of requests) {
      const res = await new Promise<{ overall_code?: number }>((resolve, reject) => client.ShouldRateLimit(r, { deadline: Date.now() + 5000 }, (e, v) => (e ? reject(e) : resolve(v))));
      if (res.overall_code !== 1) throw new Error(`${system} does not answer OK to the benchmark requests: ${JSON.stringify(res).slice(0, 300)}`);
    }
  } finally {
    client.close();
  }
}

async function allowsFirst(port: number, scenario: Scenario): Promise<boolean> {
  const client = authzClient(port);
  try {
    const res = await client.check(scenario.requests[0] as CheckRequest, 1000);
    return (res.status?.code ?? 0) === 0 && res.ok_response !== undefined;
  } catch {
    return false;
  } finally {
    client.close();
  }
}

/** The peers that run `scenario`, among those built. */
function peersFor(scenario: Scenario, builds: Map<PeerName, PeerBuild>): PeerName[] {
  return [...builds.keys()].filter((n) => (n === 'ratelimit' ? scenario.ratelimit !== undefined : scenario.peers === true));
}

async function startPeer(name: PeerName, build: PeerBuild, scenario: Scenario, redis: RedisServerHandle | null): Promise<RunningPeer> {
  if (name === 'opa') return startOpa(build.bin, build.version, { grpc: await freePort(), http: await freePort(), diag: await freePort() });
  if (name === 'ratelimit') {
    if (!redis) throw new Error('ratelimit needs the scenario Redis');
    return startRatelimit(build.bin, build.version, { grpc: await freePort(), http: await freePort(), debug: await freePort() }, `${redis.host}:${redis.port}`);
  }
  const ports = { grpc: await freePort(), http: await freePort(), metrics: await freePort(), health: await freePort(), oidc: await freePort(), webhook: await freePort() };
  return startAuthorino(build.bin, build.version, ports, (port) => allowsFirst(port, scenario));
}

const f2 = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : '-');
const f0 = (n: number) => (Number.isFinite(n) ? n.toFixed(0) : '-');
const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : '-');

function cell(values: number[], fmt: (n: number) => string, range = true): string {
  const s = spread(values);
  if (!Number.isFinite(s.median)) return '-';
  return range && values.length > 1 ? `${fmt(s.median)} (${fmt(s.min)}-${fmt(s.max)})` : fmt(s.median);
}

/** Groups runs by system, scenario and load, in first-seen order. */
function groups(runs: Run[]): Run[][] {
  const by = new Map<string, Run[]>();
  for (const r of runs) {
    const k = `${r.scenario}\u0000${r.system}\u0000${r.load}`;
    by.set(k, [...(by.get(k) ?? []), r]);
  }
  return [...by.values()];
}

/** The results table: one row per system, scenario and load, median of the repeats (min-max). */
export function renderTable(runs: Run[]): string {
  const lines = [
    '| scenario | system | load | n | rps | p50 ms | p99 ms | p99.9 ms | CPU µs/call | server CPU % | RSS MiB | Redis CPU µs/call | Redis commands/call | errors | others\' CPU % |',
    '|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const g of groups(runs)) {
    const r0 = g[0] as Run;
    const v = (k: keyof Sample) => g.map((r) => r[k] as number);
    const redis = r0.redisCpuUsPerCall === null ? '-' : cell(v('redisCpuUsPerCall'), f1);
    const scripts = spread(v('redisScriptsPerCall')).median;
    const cmds = r0.redisCallsPerCall === null ? '-' : `${cell(v('redisCallsPerCall'), (n) => n.toFixed(2), false)}${scripts > 0 ? ` (${scripts.toFixed(3)} scripts)` : ''}`;
    lines.push(
      `| ${r0.scenario} | ${r0.system} | ${r0.load} | ${g.length} | ${cell(v('rps'), f0, false)} | ${cell(v('p50'), f2, false)} | ${cell(v('p99'), f2)} | ${cell(v('p999'), f2)} | ${cell(v('cpuUsPerCall'), f1)} | ${cell(v('cpuPct'), f0, false)} | ${cell(v('rssMiB'), f0, false)} | ${redis} | ${cmds} | ${g.reduce((s, r) => s + r.errors, 0)} | ${cell(v('otherCpuPct'), f0)} |`,
    );
  }
  return lines.join('\n');
}

/** Decision lines a server wrote to its stdout file. */
function decisionLines(stdoutFile: string): number {
  return readFileSync(stdoutFile, 'utf8').split('\n').filter((l) => l.includes('"msg":"decision"')).length;
}

/** For each scenario: Palisade's defaults against its peers at 50 % of the best peer's maximum, and the targets. */
export function renderHeadline(runs: Run[], idleRss: Map<string, number>, logAb: AbResult | null = null): string {
  const out: string[] = ['| scenario | system | CPU µs/call at max | p99 ms at 50 % | p99.9 ms at 50 % | RSS MiB under load | Redis CPU µs/call at 50 % |', '|---|---|---:|---:|---:|---:|---:|'];
  const verdicts: string[] = [];
  const med = (rs: Run[], k: keyof Sample) => spread(rs.map((r) => r[k] as number)).median;
  for (const scenario of [...new Set(runs.map((r) => r.scenario))]) {
    const rs = runs.filter((r) => r.scenario === scenario);
    const systems = [...new Set(rs.map((r) => r.system))];
    const at = (system: string, share: number | null) => rs.filter((r) => r.system === system && r.share === share);
    for (const system of systems) {
      const half = at(system, 0.5);
      const redis = half[0]?.redisCpuUsPerCall === null || half.length === 0 ? '-' : f1(med(half, 'redisCpuUsPerCall'));
      out.push(`| ${scenario} | ${system} | ${f1(med(at(system, null), 'cpuUsPerCall'))} | ${f2(med(half, 'p99'))} | ${f2(med(half, 'p999'))} | ${f0(Math.max(...rs.filter((r) => r.system === system).map((r) => r.rssMiB)))} | ${redis} |`);
    }
    const peers = systems.filter((s) => !s.startsWith('Palisade'));
    if (peers.length === 0 || at(PALISADE, 0.5).length === 0) continue;
    const p = at(PALISADE, 0.5);
    const bestP999 = Math.min(...peers.map((s) => med(at(s, 0.5), 'p999')));
    const lowestPeerP99 = Math.min(...peers.map((s) => med(at(s, 0.5), 'p99')));
    const bestCpu = Math.min(...peers.map((s) => med(at(s, null), 'cpuUsPerCall')));
    const cpu = med(at(PALISADE, null), 'cpuUsPerCall');
    const mark = (ok: boolean) => (ok ? 'met' : 'NOT met');
    verdicts.push(
      `- ${scenario}: p99.9 at 50 % ${f2(med(p, 'p999'))} ms vs best peer ${f2(bestP999)} ms (${mark(med(p, 'p999') <= bestP999)}); p99 ${f2(med(p, 'p99'))} ms vs lowest peer ${f2(lowestPeerP99)} ms (${mark(med(p, 'p99') < lowestPeerP99)}); CPU per call at max ${f1(cpu)} µs = ${f0((cpu / bestCpu) * 100)} % of the best peer's ${f1(bestCpu)} µs (${mark(cpu <= 0.45 * bestCpu)} for <= 45 %)`,
    );
    const pr = p[0]?.redisCpuUsPerCall;
    if (pr !== null && pr !== undefined) {
      const peerRedis = Math.min(...peers.map((s) => med(at(s, 0.5), 'redisCpuUsPerCall')));
      verdicts.push(`- ${scenario}: Redis CPU per call at 50 % ${f1(med(p, 'redisCpuUsPerCall'))} µs vs ${f1(peerRedis)} µs (${mark(med(p, 'redisCpuUsPerCall') <= peerRedis)})`);
    }
  }
  const off = runs.filter((r) => r.system === PALISADE_OFF && r.share === 0.5);
  for (const scenario of [...new Set(off.map((r) => r.scenario))]) {
    const without = spread(off.filter((r) => r.scenario === scenario).map((r) => r.cpuUsPerCall)).median;
    for (const [system, what] of [[PALISADE, 'the default decision log (denials)'], [PALISADE_ALL, 'logging every decision']] as const) {
      const rs = runs.filter((r) => r.system === system && r.share === 0.5 && r.scenario === scenario);
      if (rs.length === 0) continue;
      const on = spread(rs.map((r) => r.cpuUsPerCall)).median;
      verdicts.push(`- ${scenario}: ${what} costs ${f1(on - without)} µs per call at 50 % = ${f1(((on - without) / without) * 100)} % of CPU per call (consecutive rows, so within the spread between runs: indicative only)`);
    }
  }
  if (logAb) {
    const d = abDifference(logAb, (x) => x.cpuUsPerCall);
    const mark = d.shareOfA <= 0.05 ? 'met' : 'NOT met';
    verdicts.push(
      `- ${logAb.scenario.name}: the default decision log (every denial written) costs ${f1(d.median)} µs per call (${f1(d.min)} .. ${f1(d.max)}) = ${f1(d.shareOfA * 100)} % of CPU per call against \`--decision-log off\`, side by side at ${logAb.rate} rps, per-repeat median of ${logAb.repeats} x ${logAb.duration} s (${mark} for <= 5 %)`,
    );
  }
  for (const [scenario, mib] of idleRss) verdicts.push(`- ${scenario}: Palisade (defaults) idle RSS after start ${f0(mib)} MiB (target <= 80 MiB)`);
  return `${out.join('\n')}\n\n${verdicts.join('\n')}`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '10' },
      repeats: { type: 'string', default: '3' },
      scenario: { type: 'string' },
      rates: { type: 'string' },
      peers: { type: 'string', default: 'opa,authorino,ratelimit' },
      'server-args': { type: 'string', default: '' },
      // The decision log's cost, side by side (bench:ab): repeats of 15 s; 0 = not measured.
      'log-ab-repeats': { type: 'string', default: '5' },
      'no-off': { type: 'boolean', default: false },
    },
  });
  const seconds = Number(values.duration);
  const repeats = Number(values.repeats);
  if (!(seconds > 0) || !Number.isInteger(repeats) || repeats < 1) throw new Error('--duration must be > 0 and --repeats an integer >= 1');
  const selected = scenarios().filter((s) => !values.scenario || s.name.includes(values.scenario));
  if (selected.length === 0) throw new Error(`no scenario matches ${values.scenario}`);
  const extraArgs = values['server-args'].split(' ').filter(Boolean);
  const fixedRates = values.rates ? values.rates.split(',').map(Number) : null;

  const notes: string[] = [];
  const builds = new Map<PeerName, PeerBuild>();
  for (const name of values.peers === 'none' ? [] : (values.peers.split(',').filter(Boolean) as PeerName[])) {
    if (!(name in PEER_MODULES)) throw new Error(`unknown peer ${name} (known: ${Object.keys(PEER_MODULES).join(', ')})`);
    if (!selected.some((s) => (name === 'ratelimit' ? s.ratelimit : s.peers))) continue;
    try {
      const b = ensurePeer(name);
      builds.set(name, b);
      notes.push(`${name} ${b.version} (${PEER_MODULES[name].module}): ${b.buildSeconds === null ? 'cached build' : `built in ${b.buildSeconds.toFixed(0)} s`}`);
    } catch (e) {
      notes.push(`${name}: NOT RUN, build failed: ${(e as Error).message}`);
    }
  }

  rmSync(join(OUT_DIR, 'stdout'), { recursive: true, force: true });
  mkdirSync(join(OUT_DIR, 'stdout'), { recursive: true });
  const runs: Run[] = [];
  const idleRss = new Map<string, number>();
  const started = new Date();
  const loadStart = loadLine();
  const loads1: number[] = [];
  let referenceRates: number[] | null = null;
  // Where the decision log's cost is measured side by side: the flood at its 50 % rate.
  let logAbAt: { scenario: Scenario; rate: number } | null = null;

  const measure = async (system: string, scenario: Scenario, target: { port: number; pid: number }, call: Call, loads: Array<{ load: Load; share: number | null }>, redis: RedisServerHandle | null) => {
    await runGhz({ port: target.port, pid: target.pid, call, load: { name: 'warm-up', args: ['--concurrency', '16', '--total', '3000'] }, redis, label: `${system} ${scenario.name}` });
    for (let repeat = 1; repeat <= repeats; repeat++) {
      for (const { load, share } of loads) {
        const s = await runGhz({ port: target.port, pid: target.pid, call, load, redis, label: `${system} ${scenario.name}` });
        loads1.push(s.load1);
        runs.push({ ...s, system, scenario: scenario.name, load: load.name, share, repeat });
        process.stderr.write(`${system} / ${scenario.name} / ${load.name} #${repeat}: ${s.rps} rps, p99 ${f2(s.p99)} p99.9 ${f2(s.p999)} ms, CPU ${f1(s.cpuUsPerCall)} µs/call, RSS ${f0(s.rssMiB)} MiB${s.redisCpuUsPerCall === null ? '' : `, Redis ${f1(s.redisCpuUsPerCall)} µs/call`}, others ${f0(s.otherCpuPct)} %, load ${s.load1.toFixed(2)}\n`);
      }
    }
  };

  for (const scenario of selected) {
    const redis = scenario.redis ? await startRedis() : null;
    try {
      const peers = peersFor(scenario, builds);
      const checkCall: Call = { ...CHECK_CALL, requests: scenario.requests };
      const peerCall = (name: PeerName): Call => (name === 'ratelimit' ? { ...RLS_CALL, requests: scenario.ratelimit ?? [] } : checkCall);
      const withPeer = async (name: PeerName, fn: (peer: RunningPeer) => Promise<void>) => {
        let peer: RunningPeer | undefined;
        try {
          peer = await startPeer(name, builds.get(name) as PeerBuild, scenario, redis);
          if (name === 'ratelimit') await verifyRateLimitAllowed(peer.name, peer.grpcPort, scenario.ratelimit ?? []);
          else await verifyChecksAllowed(peer.name, peer.grpcPort, scenario);
          await fn(peer);
        } catch (e) {
          const msg = `${name} / ${scenario.name}: NOT MEASURED: ${(e as Error).message.split('\n')[0]}`;
          notes.push(msg);
          process.stderr.write(`${msg}\n`);
        } finally {
          await peer?.stop();
        }
      };

      // 1. The peers' maximum.
      const peerMax: number[] = [];
      for (const name of peers) {
        await withPeer(name, async (peer) => {
          await measure(peer.name, scenario, { port: peer.grpcPort, pid: peer.pid }, peerCall(name), [{ load: saturation(seconds), share: null }], null);
          peerMax.push(spread(runs.filter((r) => r.system === peer.name && r.scenario === scenario.name).map((r) => r.rps)).median);
        });
      }
      let rates: number[];
      if (fixedRates) rates = fixedRates;
      else if (peerMax.length > 0) {
        const best = Math.max(...peerMax);
        rates = SHARES.map((s) => Math.round((best * s) / 10) * 10);
        if (scenario.peers) referenceRates ??= rates;
        notes.push(`${scenario.name}: fixed rates ${rates.join(' / ')} rps = 25 / 50 / 75 % of the best peer's median maximum, ${f0(best)} rps`);
      } else if (referenceRates) {
        rates = referenceRates;
        notes.push(`${scenario.name}: no peer runs it; fixed rates ${rates.join(' / ')} rps from the first peer scenario`);
      } else throw new Error(`${scenario.name}: no peer measured to derive fixed rates from; pass --rates`);
      const half = rates[1] ?? rates[0];
      if (scenario.name.includes('flood') && half !== undefined) logAbAt = { scenario, rate: half };
      const fixedLoads = rates.map((r, i) => ({ load: fixedRate(r, seconds, `${fixedRates ? '' : `${SHARES[i]! * 100} % = `}${r} rps`), share: fixedRates ? null : (SHARES[i] ?? null) }));

      // 2. Palisade, shipped defaults and decision log off.
      // The default logs denials only; the scenarios the peers run also get a row with every decision logged.
      const variants = [
        { system: PALISADE, args: [] as string[] },
        ...(scenario.peers && !values['no-off'] ? [{ system: PALISADE_ALL, args: ['--decision-log', 'all'] }] : []),
        ...(values['no-off'] ? [] : [{ system: PALISADE_OFF, args: ['--decision-log', 'off'] }]),
      ];
      for (const v of variants) {
        const label = extraArgs.length ? `${v.system} ${extraArgs.join(' ')}` : v.system;
        const stdoutFile = join(OUT_DIR, 'stdout', `${(scenario.name + ' ' + v.system).replace(/[^A-Za-z0-9]+/g, '-')}.log`);
        const server = await startBenchServer({ args: ['--policies', scenario.policies, ...(redis ? ['--redis', redis.url] : []), ...v.args, ...extraArgs], stdoutFile });
        try {
          if (v.system === PALISADE) {
            await sleep(5000);
            idleRss.set(scenario.name, procStats(server.pid).rssMiB);
          }
          if (!scenario.name.includes('flood')) await verifyChecksAllowed(label, server.checkPort, scenario);
          await measure(label, scenario, { port: server.checkPort, pid: server.pid }, checkCall, [{ load: saturation(seconds), share: null }, ...fixedLoads], redis);
        } finally {
          await server.stop();
        }
        if (v.system !== PALISADE_OFF) {
          const lines = decisionLines(stdoutFile);
          notes.push(`${scenario.name}: ${v.system} wrote ${lines} decision lines to its stdout file`);
        }
      }

      // 3. The peers at the same fixed rates.
      for (const name of peers) {
        await withPeer(name, (peer) => measure(peer.name, scenario, { port: peer.grpcPort, pid: peer.pid }, peerCall(name), fixedLoads, redis));
      }
    } finally {
      await redis?.stop();
    }
  }

  // 4. The default decision log against none, both servers at once at the flood's 50 % rate (a denial per Check, so
  // the default writes a line per Check): consecutive rows differ by more than the cost measured.
  const logAbRepeats = Number(values['log-ab-repeats']);
  if (!Number.isInteger(logAbRepeats) || logAbRepeats < 0) throw new Error('--log-ab-repeats must be an integer >= 0');
  let logAb: AbResult | null = null;
  if (logAbAt && logAbRepeats > 0 && !values['no-off']) {
    process.stderr.write(`decision log side by side: ${logAbAt.scenario.name} at ${logAbAt.rate} rps, ${logAbRepeats} x 15 s\n`);
    logAb = await runAb({ scenario: logAbAt.scenario, a: { args: ['--decision-log', 'off', ...extraArgs] }, b: { args: extraArgs, label: extraArgs.join(' ') || '(defaults)' }, rate: logAbAt.rate, duration: 15, repeats: logAbRepeats });
    notes.push(`decision log side by side: \`--decision-log off\` wrote ${decisionLines(logAb.stdoutFiles[0]!)} decision lines, the default ${decisionLines(logAb.stdoutFiles[1]!)}`);
  }

  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const commit = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim();
  const dirty = spawnSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: ROOT, encoding: 'utf8' }).stdout.trim() ? ' (uncommitted changes)' : '';
  const goVersion = spawnSync('go', ['version'], { encoding: 'utf8' }).stdout.trim();
  const others = spread(runs.map((r) => r.otherCpuPct));
  const l1 = spread(loads1);
  writeFileSync(join(OUT_DIR, 'results.json'), JSON.stringify({ commit: commit + dirty, started: started.toISOString(), runs }, null, 1));
  process.stdout.write(
    [
      '',
      `Palisade authz-server: one process, compiled JavaScript, Node ${process.version}; ${goVersion}; ${cpus().length} cores (${cpu}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB; commit ${commit}${dirty}.`,
      `${started.toISOString()} .. ${new Date().toISOString()}; ghz, the servers and Redis share the machine. Load average (1/5/15 min) at start ${loadStart}, at end ${loadLine()}; 1-min load after each run ${f2(l1.min)}..${f2(l1.max)} (median ${f2(l1.median)}); CPU used by other processes during the runs: median ${f0(others.median)} % of one core (${f0(others.min)}-${f0(others.max)} %).`,
      `${repeats} repeat(s) of ${seconds} s per row, after a 3000-call warm-up; ghz --concurrency 32 --connections 4.`,
      ...notes.map((n) => `- ${n}`),
      '',
      renderTable(runs),
      '',
      renderHeadline(runs, idleRss, logAb),
      '',
      ...(logAb ? ['The decision log side by side (A: `--decision-log off`, B: the default):', '', renderAb(logAb)] : []),
    ].join('\n'),
  );
}

if (import.meta.main) await main();
