/**
 * `npm run bench`: drives envoy.service.auth.v3.Authorization/Check on a real authz-server process with ghz
 * (installed with `go install` into ~/.cache/palisade/bin on first use), at saturation and at fixed rates, and
 * prints a table: rps, p50/p90/p99/p99.9 latency, server CPU and RSS.
 *
 *   npm run bench                       # all scenarios, 10 s per step, with the peers (bench/peers.ts)
 *   npm run bench -- --duration 5 --scenario api-key
 *   npm run bench -- --peers none       # Palisade only; --peers opa | authorino | opa,authorino
 *   npm run bench -- --workers 2        # Palisade with node:cluster workers (authz-server --workers 2)
 *   npm run bench -- --server-args=--store-timeout-ms=20   # any extra authz-server flags (note the "=")
 *
 * Peers (OPA-Envoy, Authorino) run the scenarios they can express (api-key + rules, mTLS + rules), in the same
 * invocation, with the same requests and ghz load; every system must allow every benchmark request before it is
 * measured (a system that denies would look fast for the wrong reason).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ENVOY_PROTO_INCLUDE_DIRS } from '../authz-server/src/envoy/protos.ts';
import { commandCalls, startRedis, type RedisServerHandle } from '../test/support/redis-server.ts';
import { scenarios, type Scenario } from './scenarios.ts';
import { ensurePeer, startAuthorino, startOpa, type PeerBuild, type PeerName, type RunningPeer } from './peers.ts';
import { authzClient } from '../test/support/envoy.ts';
import type { CheckRequest } from '../authz-server/src/envoy/protos.ts';
import { loadavg } from 'node:os';
import { AUTHZ_NODE_FLAGS } from '../authz-server/src/app/node-flags.ts';

const GHZ_MODULE = 'github.com/bojand/ghz/cmd/ghz@v0.121.0';
const root = join(import.meta.dirname, '..');
const cacheBin = join(process.env['PALISADE_CACHE'] ?? join(homedir(), '.cache', 'palisade'), 'bin');
const outDir = join(root, 'bench', 'out');

/** Installs a Go tool into the cache unless it is there; fails loudly without Go. */
export function ensureGoTool(name: string, module: string): string {
  const bin = join(cacheBin, name);
  if (existsSync(bin)) return bin;
  mkdirSync(cacheBin, { recursive: true });
  process.stderr.write(`installing ${module} (go install) ...\n`);
  const r = spawnSync('go', ['install', module], { env: { ...process.env, GOBIN: cacheBin }, stdio: 'inherit' });
  if (r.error || r.status !== 0) throw new Error(`cannot install ${name}: ${r.error?.message ?? `go install exited ${r.status}`}. Go is required for benchmarks.`);
  return bin;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function waitReady(httpPort: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`authz-server exited with ${child.exitCode}`);
    try {
      const res = await fetch(`http://127.0.0.1:${httpPort}/readyz`);
      if (res.ok) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('authz-server did not become ready in 20 s');
}

/** Runs a command to completion, collecting stdout and stderr, without blocking the event loop. */
function runCollect(cmd: string, args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
  });
}

function statFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/**
 * CPU seconds (user+system) and RSS of a process and its direct children (the node:cluster workers of
 * `--workers N`, which the main thread forks) from /proc. RSS is summed, so pages the workers share are counted
 * once per worker.
 */
function procStats(pid: number): { cpuSeconds: number; rssMiB: number } {
  let children: number[] = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean).map(Number);
  } catch {
    /* kernel without CONFIG_PROC_CHILDREN, or the process is gone: the process alone */
  }
  const pids = [pid, ...children];
  let ticks = 0;
  let rssPages = 0;
  for (const p of pids) {
    try {
      const fields = statFields(p);
      ticks += Number(fields[11]) + Number(fields[12]);
      rssPages += Number(fields[21]);
    } catch {
      /* exited while reading */
    }
  }
  return { cpuSeconds: ticks / 100, rssMiB: (rssPages * 4096) / (1024 * 1024) };
}

interface GhzReport {
  count: number;
  rps: number;
  latencyDistribution: Array<{ percentage: number; latency: number }> | null;
  statusCodeDistribution: Record<string, number>;
  errorDistribution?: Record<string, number> | null;
  details?: Array<{ latency: number; status: string }>;
}

/**
 * ghz cancels the calls still in flight when a `--duration` run ends, by closing its own connections; Go reports
 * them as one of these. They are the client's doing, not server errors.
 */
const END_OF_RUN = ['transport is closing', 'use of closed network connection'];

/** One row of the results table. */
export interface Row {
  system: string;
  scenario: string;
  load: string;
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  errors: number;
  cpuPct: number;
  rssMiB: number;
  /** Redis script calls per Check (null without Redis). */
  storeCalls: number | null;
}

async function scriptCalls(redis: RedisServerHandle | null): Promise<number> {
  if (!redis) return 0;
  const calls = commandCalls(await redis.info('commandstats'));
  return (calls['eval'] ?? 0) + (calls['evalsha'] ?? 0);
}

/** Percentile in ms from ghz's per-request details (successful calls only). */
function percentiles(r: GhzReport): (p: number) => number {
  const ok = (r.details ?? []).filter((d) => d.status === 'OK').map((d) => d.latency).sort((a, b) => a - b);
  return (p) => (ok.length === 0 ? Number.NaN : (ok[Math.min(ok.length - 1, Math.ceil((p / 100) * ok.length) - 1)] as number) / 1e6);
}

async function runGhz(ghz: string, port: number, scenario: Scenario, load: { name: string; args: string[] }, pid: number, redis: RedisServerHandle | null, system = 'Palisade'): Promise<Row> {
  mkdirSync(outDir, { recursive: true });
  const dataFile = join(outDir, `${scenario.name}.data.json`);
  writeFileSync(dataFile, JSON.stringify(scenario.requests));
  const args = [
    '--insecure',
    '--import-paths', ENVOY_PROTO_INCLUDE_DIRS.join(','),
    '--proto', 'envoy/service/auth/v3/external_auth.proto',
    '--call', 'envoy.service.auth.v3.Authorization.Check',
    '--data-file', dataFile,
    '--format', 'json',
    ...load.args,
    `127.0.0.1:${port}`,
  ];
  const callsBefore = await scriptCalls(redis);
  const before = procStats(pid);
  let peakRss = before.rssMiB;
  const sampler = setInterval(() => {
    try {
      peakRss = Math.max(peakRss, procStats(pid).rssMiB);
    } catch {
      /* process gone */
    }
  }, 250);
  const started = Date.now();
  // Asynchronous, so the RSS sampler above runs while ghz does (spawnSync would block the event loop).
  const r = await runCollect(ghz, args);
  const wall = (Date.now() - started) / 1000;
  clearInterval(sampler);
  const after = procStats(pid);
  const callsAfter = await scriptCalls(redis);
  if (r.status !== 0 && !r.stdout) throw new Error(`ghz failed: ${r.stderr}`);
  const report = JSON.parse(r.stdout) as GhzReport;
  const errorKinds = Object.entries(report.errorDistribution ?? {}).filter(([k]) => !END_OF_RUN.some((m) => k.includes(m)));
  const errors = errorKinds.reduce((s, [, v]) => s + v, 0);
  if (errors > 0) process.stderr.write(`${system} / ${scenario.name} / ${load.name}: errors ${JSON.stringify(Object.fromEntries(errorKinds))}\n`);
  const pct = percentiles(report);
  return {
    system,
    scenario: scenario.name,
    load: load.name,
    rps: Math.round(report.rps),
    p50: pct(50),
    p90: pct(90),
    p99: pct(99),
    p999: pct(99.9),
    errors,
    cpuPct: Math.round(((after.cpuSeconds - before.cpuSeconds) / wall) * 100),
    rssMiB: Math.round(Math.max(peakRss, after.rssMiB)),
    storeCalls: redis ? (callsAfter - callsBefore) / Math.max(1, report.count) : null,
  };
}

/** Renders rows as a Markdown table. */
export function renderTable(rows: Row[]): string {
  const f = (n: number) => (Number.isNaN(n) ? '-' : n.toFixed(2));
  const lines = [
    '| system | scenario | load | rps | p50 ms | p90 ms | p99 ms | p99.9 ms | errors | server CPU % | rps per CPU core | server RSS MiB | Redis calls/Check |',
    '|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      (r) =>
        `| ${r.system} | ${r.scenario} | ${r.load} | ${r.rps} | ${f(r.p50)} | ${f(r.p90)} | ${f(r.p99)} | ${f(r.p999)} | ${r.errors} | ${r.cpuPct} | ${r.cpuPct > 0 ? Math.round(r.rps / (r.cpuPct / 100)) : '-'} | ${r.rssMiB} | ${r.storeCalls === null ? '-' : r.storeCalls.toFixed(3)} |`,
    ),
  ];
  return lines.join('\n');
}

/** Sends each benchmark request once; throws unless every one is allowed (status OK + ok_response). */
async function verifyAllowed(system: string, port: number, scenario: Scenario): Promise<void> {
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

async function startPeer(name: PeerName, build: PeerBuild, scenario: Scenario): Promise<RunningPeer> {
  if (name === 'opa') return startOpa(build.bin, build.version, { grpc: await freePort(), http: await freePort(), diag: await freePort() });
  const ports = { grpc: await freePort(), http: await freePort(), metrics: await freePort(), health: await freePort(), oidc: await freePort(), webhook: await freePort() };
  return startAuthorino(build.bin, build.version, ports, (port) => allowsFirst(port, scenario));
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '10' },
      scenario: { type: 'string' },
      rates: { type: 'string', default: '1000,2500' },
      peers: { type: 'string', default: 'opa,authorino' },
      'server-args': { type: 'string', default: '' },
      workers: { type: 'string', default: '1' },
    },
  });
  const duration = `${Number(values.duration)}s`;
  const ghz = ensureGoTool('ghz', GHZ_MODULE);
  const selected = scenarios().filter((s) => !values.scenario || s.name.includes(values.scenario));
  if (selected.length === 0) throw new Error(`no scenario matches ${values.scenario}`);
  const extraServerArgs = [...values['server-args'].split(' ').filter(Boolean), ...(values.workers !== '1' ? ['--workers', values.workers] : [])];
  const loads = [
    { name: 'saturation c=32', args: ['--concurrency', '32', '--connections', '4', '--duration', duration] },
    ...values.rates.split(',').map((r) => ({
      name: `fixed ${r} rps`,
      args: ['--rps', r, '--concurrency', '32', '--connections', '4', '--total', String(Number(r) * Number(values.duration))],
    })),
  ];
  const loadSamples: number[] = [];
  const sampleLoad = () => loadSamples.push(loadavg()[0] ?? 0);
  const notes: string[] = [];
  const peerNames = values.peers === 'none' ? [] : (values.peers.split(',').filter(Boolean) as PeerName[]);
  const builds = new Map<PeerName, PeerBuild>();
  for (const name of peerNames) {
    try {
      const b = ensurePeer(name);
      builds.set(name, b);
      notes.push(`${name} ${b.version}: ${b.buildSeconds === null ? 'cached build' : `built in ${b.buildSeconds.toFixed(0)} s`}`);
    } catch (e) {
      notes.push(`${name}: NOT RUN, build failed: ${(e as Error).message}`);
    }
  }
  const rows: Row[] = [];
  const measure = async (system: string, port: number, pid: number, scenario: Scenario, redis: RedisServerHandle | null) => {
    // Warm-up (JIT, connections, JWKS/regex caches): measured but not reported.
    await runGhz(ghz, port, scenario, { name: 'warm-up', args: ['--concurrency', '16', '--total', '3000'] }, pid, redis, system);
    for (const load of loads) {
      sampleLoad();
      const row = await runGhz(ghz, port, scenario, load, pid, redis, system);
      sampleLoad();
      rows.push(row);
      process.stderr.write(`${system} / ${row.scenario} / ${row.load}: ${row.rps} rps, p99 ${row.p99.toFixed(2)} ms, CPU ${row.cpuPct}%\n`);
    }
  };
  for (const scenario of selected) {
    const grpcPort = await freePort();
    const httpPort = await freePort();
    const redis = scenario.redis ? await startRedis() : null;
    const storeArgs = redis ? ['--redis', redis.url] : [];
    const child = spawn(
      process.execPath,
      [...AUTHZ_NODE_FLAGS, 'authz-server/src/app/main.ts', '--policies', scenario.policies, '--host', '127.0.0.1', '--grpc-port', String(grpcPort), '--http-port', String(httpPort), '--decision-log', scenario.decisionLog ?? 'off', ...storeArgs, ...(scenario.serverArgs ?? []), ...extraServerArgs],
      { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] },
    );
    try {
      await waitReady(httpPort, child);
      if (scenario.peers) await verifyAllowed('Palisade', grpcPort, scenario);
      await measure(extraServerArgs.length ? `Palisade ${extraServerArgs.join(' ')}` : 'Palisade', grpcPort, child.pid as number, scenario, redis);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      await redis?.stop();
    }
    if (!scenario.peers) continue;
    for (const [name, build] of builds) {
      let peer: RunningPeer | undefined;
      try {
        peer = await startPeer(name, build, scenario);
        await verifyAllowed(peer.name, peer.grpcPort, scenario);
        await measure(peer.name, peer.grpcPort, peer.pid, scenario, null);
      } catch (e) {
        const msg = `${name} / ${scenario.name}: NOT MEASURED: ${(e as Error).message.split('\n')[0]}`;
        notes.push(msg);
        process.stderr.write(`${msg}\n`);
      } finally {
        await peer?.stop();
      }
    }
  }
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const commit = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).stdout.trim();
  const goVersion = spawnSync('go', ['version'], { encoding: 'utf8' }).stdout.trim();
  const la = loadSamples.length ? `${Math.min(...loadSamples).toFixed(2)}..${Math.max(...loadSamples).toFixed(2)}` : '-';
  process.stdout.write(
    `\nPalisade authz-server (one process unless --server-args says otherwise), Node ${process.version}, ${goVersion}, ${cpus().length} cores (${cpu}), commit ${commit}; ghz and the servers share the machine; 1-min load average during the runs ${la}.\n` +
      (notes.length ? `${notes.map((n) => `- ${n}`).join('\n')}\n` : '') +
      `\n${renderTable(rows)}\n`,
  );
}

if (import.meta.main) await main();
