/**
 * What `npm run bench` and `npm run bench:profile` share: ghz (installed into the cache on first use), one ghz run
 * measured from the outside (latency percentiles from ghz's per-call details; server CPU and peak RSS from /proc;
 * Redis CPU from INFO; the CPU the rest of the machine used meanwhile), and the authz-server started the way the
 * image starts it (compiled JavaScript, the image's Node flags and environment, stdout to a file).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir, loadavg } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { build, compiledPath } from '../build.ts';
import { ENVOY_PROTO_INCLUDE_DIRS } from '../authz-server/src/envoy/protos.ts';
import { AUTHZ_ENV, AUTHZ_NODE_FLAGS } from '../authz-server/src/app/node-flags.ts';
import { commandCalls, type RedisServerHandle } from '../test/support/redis-server.ts';
import { freePort } from '../test/support/ports.ts';

export { freePort };

const GHZ_MODULE = 'github.com/bojand/ghz/cmd/ghz@v0.121.0';
export const ROOT = join(import.meta.dirname, '..');
export const OUT_DIR = join(ROOT, 'bench', 'out');
const cacheBin = join(process.env['PALISADE_CACHE'] ?? join(homedir(), '.cache', 'palisade'), 'bin');

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

/** The ghz binary (installed on first use). */
export function ghzBinary(): string {
  return ensureGoTool('ghz', GHZ_MODULE);
}

/** Polls an HTTP URL until it answers 2xx; fails early if `child` exits. */
export async function waitHttpOk(url: string, child: ChildProcess, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      /* not listening yet */
    }
    await sleep(100);
  }
  throw new Error(`${what} did not become ready in ${timeoutMs / 1000} s`);
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

function statFields(pid: number | 'self'): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/**
 * CPU seconds (user+system) and RSS of a process and its direct children (the node:cluster workers of
 * `--workers N`) from /proc. RSS is summed, so pages the workers share are counted once per worker.
 */
export function procStats(pid: number): { cpuSeconds: number; rssMiB: number } {
  let children: number[] = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean).map(Number);
  } catch {
    /* kernel without CONFIG_PROC_CHILDREN, or the process is gone: the process alone */
  }
  let ticks = 0;
  let rssPages = 0;
  for (const p of [pid, ...children]) {
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

/** CPU seconds of this process's children that have exited and been waited for (ghz, once its run is over). */
function reapedChildrenCpu(): number {
  const f = statFields('self');
  return (Number(f[13]) + Number(f[14])) / 100;
}

/** Busy CPU seconds of the whole machine (all cores) since boot, from /proc/stat. */
function machineBusySeconds(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = v;
  return (user + nice + system + irq + softirq + steal) / 100;
}

/** Redis process CPU seconds (user + sys, all its threads) and script/command calls, from INFO. */
export async function redisUsage(redis: RedisServerHandle): Promise<{ cpuSeconds: number; calls: number; scriptCalls: number }> {
  const info = await redis.info('all');
  const num = (k: string) => Number(new RegExp(`^${k}:([0-9.]+)`, 'm').exec(info)?.[1] ?? Number.NaN);
  const calls = commandCalls(info);
  const scriptCalls = (calls['eval'] ?? 0) + (calls['evalsha'] ?? 0) + (calls['fcall'] ?? 0);
  const all = Object.entries(calls).filter(([k]) => k !== 'info').reduce((s, [, v]) => s + v, 0);
  return { cpuSeconds: num('used_cpu_user') + num('used_cpu_sys'), calls: all, scriptCalls };
}

interface GhzReport {
  count: number;
  rps: number;
  errorDistribution?: Record<string, number> | null;
  details?: Array<{ latency: number; status: string }>;
}

/**
 * ghz cancels the calls still in flight when a `--duration` run ends, by closing its own connections; Go reports
 * them as one of these. They are the client's doing, not server errors.
 */
const END_OF_RUN = ['transport is closing', 'use of closed network connection'];

/** One ghz run, measured. Latencies in ms; CPU per request in µs. */
export interface Sample {
  rps: number;
  count: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
  errors: number;
  /** Server CPU (all its threads and workers) per wall second, in % of one core. */
  cpuPct: number;
  /** Server CPU per answered request. */
  cpuUsPerCall: number;
  /**
   * CPU of the server's JavaScript (main) thread per answered request, the thread every Check waits for: steadier
   * than the process's CPU, which GC helpers and other threads add to (Linux schedstat; NaN elsewhere).
   */
  jsThreadUsPerCall: number;
  /** Time that thread waited runnable for a CPU, per answered request (NaN where schedstat is missing). */
  jsThreadWaitUsPerCall: number;
  /** Peak server RSS while ghz ran (sampled every 250 ms) or at the end. */
  rssMiB: number;
  /** Redis CPU (user + sys) per answered request; null without Redis. */
  redisCpuUsPerCall: number | null;
  /** Redis commands per answered request, commands run inside scripts included; null without Redis. */
  redisCallsPerCall: number | null;
  /** Redis script calls (EVAL, EVALSHA, FCALL) per answered request; null without Redis. */
  redisScriptsPerCall: number | null;
  /** CPU the rest of the machine used during the run (not the server, ghz or Redis), in % of one core. */
  otherCpuPct: number;
  /** ghz's own CPU, in % of one core. */
  ghzCpuPct: number;
  /** 1-min load average at the end of the run. */
  load1: number;
}

/** How ghz drives a run. */
export interface Load {
  name: string;
  args: string[];
}

/** The gRPC method and request data of a run. */
export interface Call {
  /** Proto file (relative to the Envoy include dirs) and fully qualified method. */
  proto: string;
  method: string;
  requests: unknown[];
}

export const CHECK_CALL = { proto: 'envoy/service/auth/v3/external_auth.proto', method: 'envoy.service.auth.v3.Authorization.Check' } as const;

/** envoyproxy/ratelimit's method, called the way Envoy's rate-limit filter calls it. */
export const RLS_CALL = { proto: 'envoy/service/ratelimit/v3/rls.proto', method: 'envoy.service.ratelimit.v3.RateLimitService.ShouldRateLimit' } as const;

/** Saturation: 32 calls in flight over 4 connections for `seconds`. */
export function saturation(seconds: number): Load {
  return { name: 'saturation c=32', args: ['--concurrency', '32', '--connections', '4', '--duration', `${seconds}s`] };
}

/** A fixed request rate (open loop as far as 32 in flight allow) for `seconds`. */
export function fixedRate(rps: number, seconds: number, label?: string): Load {
  return { name: label ?? `fixed ${rps} rps`, args: ['--rps', String(rps), '--concurrency', '32', '--connections', '4', '--total', String(Math.round(rps * seconds))] };
}

/** Percentile (ms) of the successful calls' latencies, nearest-rank. */
function percentileOf(sorted: number[], p: number): number {
  return sorted.length === 0 ? Number.NaN : (sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number) / 1e6;
}

/** Runs ghz once against `port` and measures the server `pid` (and `redis`, when given) meanwhile. */
export async function runGhz(opts: { port: number; pid: number; call: Call; load: Load; redis?: RedisServerHandle | null; label: string }): Promise<Sample> {
  mkdirSync(OUT_DIR, { recursive: true });
  const dataFile = join(OUT_DIR, `${opts.label.replace(/[^A-Za-z0-9]+/g, '-')}.data.json`);
  writeFileSync(dataFile, JSON.stringify(opts.call.requests));
  const args = ['--insecure', '--import-paths', ENVOY_PROTO_INCLUDE_DIRS.join(','), '--proto', opts.call.proto, '--call', opts.call.method, '--data-file', dataFile, '--format', 'json', ...opts.load.args, `127.0.0.1:${opts.port}`];
  const redisBefore = opts.redis ? await redisUsage(opts.redis) : null;
  const before = procStats(opts.pid);
  const threadBefore = mainThreadSchedstat(opts.pid);
  const machineBefore = machineBusySeconds();
  const ghzBefore = reapedChildrenCpu();
  let peakRss = before.rssMiB;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, procStats(opts.pid).rssMiB);
  }, 250);
  const started = performance.now();
  // Asynchronous, so the RSS sampler above runs while ghz does.
  const r = await runCollect(ghzBinary(), args);
  const wall = (performance.now() - started) / 1000;
  clearInterval(sampler);
  const after = procStats(opts.pid);
  const threadAfter = mainThreadSchedstat(opts.pid);
  const machineAfter = machineBusySeconds();
  const ghzCpu = reapedChildrenCpu() - ghzBefore;
  const redisAfter = opts.redis ? await redisUsage(opts.redis) : null;
  if (r.status !== 0 && !r.stdout) throw new Error(`ghz failed: ${r.stderr}`);
  const report = JSON.parse(r.stdout) as GhzReport;
  const errorKinds = Object.entries(report.errorDistribution ?? {}).filter(([k]) => !END_OF_RUN.some((m) => k.includes(m)));
  const errors = errorKinds.reduce((s, [, v]) => s + v, 0);
  if (errors > 0) process.stderr.write(`${opts.label} / ${opts.load.name}: errors ${JSON.stringify(Object.fromEntries(errorKinds))}\n`);
  const ok = (report.details ?? []).filter((d) => d.status === 'OK').map((d) => d.latency).sort((a, b) => a - b);
  const answered = Math.max(1, ok.length);
  const serverCpu = after.cpuSeconds - before.cpuSeconds;
  const redisCpu = redisBefore && redisAfter ? redisAfter.cpuSeconds - redisBefore.cpuSeconds : 0;
  return {
    rps: Math.round(report.rps),
    count: ok.length,
    p50: percentileOf(ok, 50),
    p90: percentileOf(ok, 90),
    p99: percentileOf(ok, 99),
    p999: percentileOf(ok, 99.9),
    max: ok.length ? (ok.at(-1) as number) / 1e6 : Number.NaN,
    errors,
    cpuPct: (serverCpu / wall) * 100,
    cpuUsPerCall: (serverCpu / answered) * 1e6,
    jsThreadUsPerCall: threadBefore && threadAfter ? (threadAfter.runNs - threadBefore.runNs) / answered / 1000 : Number.NaN,
    jsThreadWaitUsPerCall: threadBefore && threadAfter ? (threadAfter.waitNs - threadBefore.waitNs) / answered / 1000 : Number.NaN,
    rssMiB: Math.max(peakRss, after.rssMiB),
    redisCpuUsPerCall: redisBefore && redisAfter ? (redisCpu / answered) * 1e6 : null,
    redisCallsPerCall: redisBefore && redisAfter ? (redisAfter.calls - redisBefore.calls) / answered : null,
    redisScriptsPerCall: redisBefore && redisAfter ? (redisAfter.scriptCalls - redisBefore.scriptCalls) / answered : null,
    otherCpuPct: Math.max(0, ((machineAfter - machineBefore - serverCpu - ghzCpu - redisCpu) / wall) * 100),
    ghzCpuPct: (ghzCpu / wall) * 100,
    load1: loadavg()[0] ?? 0,
  };
}

/** A running authz-server started by the bench. */
export interface BenchServer {
  pid: number;
  grpcPort: number;
  /**
   * Where the bench sends Check: the Check port (what the chart points Envoy at), or the gRPC port for a build
   * that has none or with BENCH_CHECK_VIA=grpc-port.
   */
  checkPort: number;
  httpPort: number;
  /** Where its stdout (the decision log) goes. */
  stdoutFile: string;
  stop(): Promise<void>;
}

const built = new Set<string>();

/**
 * Compiles the authz-server of the checkout at `root` (default: this one) once per bench invocation (the image
 * runs the compiled JavaScript). Another checkout is built by its own build.ts, so that an A/B of a change to the
 * build compares the two builds.
 */
export function ensureBuilt(root = ROOT): void {
  if (built.has(root)) return;
  process.stderr.write(`building the authz-server (npm run build)${root === ROOT ? '' : ` in ${root}`} ...\n`);
  if (root === ROOT) build(['authz-server'], root);
  else {
    const r = spawnSync(process.execPath, ['build.ts', 'authz-server'], { cwd: root, stdio: 'inherit' });
    if (r.status !== 0) throw new Error(`npm run build failed in ${root} (exit ${r.status})`);
  }
  built.add(root);
}

/** SIGTERM, then SIGKILL when the process is still there 15 s later; nothing when it has already exited. */
async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  await Promise.race([new Promise((r) => child.once('exit', r)), sleep(15_000).then(() => child.kill('SIGKILL'))]);
}

/**
 * Starts the compiled authz-server as the image runs it (same Node flags and environment) with `args` after the
 * port flags, its stdout appended to `stdoutFile` (a file, or with BENCH_STDOUT_PIPE=1 a pipe read by a process
 * that appends to it, as a container runtime collects it), and waits until /readyz answers. `root`: another
 * checkout to run (e.g. the commit a change is measured against).
 */
export async function startBenchServer(opts: { args: string[]; stdoutFile: string; nodeFlags?: string[]; env?: Record<string, string>; root?: string }): Promise<BenchServer> {
  const root = opts.root ?? ROOT;
  ensureBuilt(root);
  const grpcPort = await freePort();
  const httpPort = await freePort();
  // A build from before the Check port (an A/B against an older commit) is measured on its gRPC port.
  const hasCheckPort = readFileSync(join(root, 'authz-server/src/app/config.ts'), 'utf8').includes("name: 'check-port'");
  const checkPort = hasCheckPort && process.env.BENCH_CHECK_VIA !== 'grpc-port' ? await freePort() : null;
  mkdirSync(OUT_DIR, { recursive: true });
  // BENCH_STDOUT_PIPE=1: stdout is a pipe that a process of its own (cat) reads and appends to the file, as a
  // container runtime's shim reads a container's stdout; otherwise the file itself.
  const cat = process.env.BENCH_STDOUT_PIPE === '1' ? spawn('sh', ['-c', 'exec cat >> "$0"', opts.stdoutFile], { stdio: ['pipe', 'ignore', 'inherit'] }) : null;
  const out = cat ? null : openSync(opts.stdoutFile, 'a');
  const portArgs = ['--host', '127.0.0.1', '--grpc-port', String(grpcPort), '--http-port', String(httpPort), ...(hasCheckPort ? ['--check-port', String(checkPort ?? -1)] : [])];
  const child = spawn(process.execPath, [...AUTHZ_NODE_FLAGS, ...(opts.nodeFlags ?? []), join(root, compiledPath('authz-server/src/app/main.ts')), ...portArgs, ...opts.args], {
    cwd: root,
    stdio: ['ignore', cat ? cat.stdin! : out!, 'inherit'],
    env: { ...process.env, ...AUTHZ_ENV, ...opts.env },
  });
  if (out !== null) closeSync(out);
  cat?.stdin?.destroy();
  const stop = async () => {
    await terminate(child);
    await new Promise((r) => (cat && cat.exitCode === null ? cat.once('exit', r) : r(null)));
  };
  try {
    await waitHttpOk(`http://127.0.0.1:${httpPort}/readyz`, child, 'authz-server');
  } catch (e) {
    await stop();
    throw e;
  }
  return { pid: child.pid as number, grpcPort, checkPort: checkPort ?? grpcPort, httpPort, stdoutFile: opts.stdoutFile, stop };
}

/**
 * Starts bench/bare-server.ts (a constant gRPC OK after `spinUs` of CPU per call) with the authz-server's Node flags
 * and environment, and waits until it listens: the transport's floor, measured like the server.
 */
export async function startBareServer(opts: { spinUs: number; stdoutFile: string; nodeFlags?: string[] }): Promise<BenchServer> {
  const grpcPort = await freePort();
  const child = spawn(process.execPath, [...AUTHZ_NODE_FLAGS, ...(opts.nodeFlags ?? []), join(ROOT, 'bench/bare-server.ts'), String(grpcPort), String(opts.spinUs)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...AUTHZ_ENV },
  });
  const stop = () => terminate(child);
  const listening = new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      appendFileSync(opts.stdoutFile, d);
      if (d.toString().includes('listening')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`bare-server exited (${code}) before listening`)));
  });
  await Promise.race([listening, sleep(15_000).then(() => Promise.reject(new Error('bare-server did not listen within 15 s')))]).catch(async (e: unknown) => {
    await stop();
    throw e;
  });
  return { pid: child.pid as number, grpcPort, checkPort: grpcPort, httpPort: 0, stdoutFile: opts.stdoutFile, stop };
}

/**
 * CPU time the process's main (JavaScript) thread ran, and waited runnable for a CPU, in ns (Linux
 * /proc/<pid>/task/<pid>/schedstat); null elsewhere.
 */
export function mainThreadSchedstat(pid: number): { runNs: number; waitNs: number } | null {
  try {
    const [run, wait] = readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').trim().split(' ').map(Number);
    return { runNs: run as number, waitNs: wait as number };
  } catch {
    return null;
  }
}

/** Median, min and max of a list of numbers (NaN-free). */
export function spread(values: number[]): { min: number; median: number; max: number } {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return { min: Number.NaN, median: Number.NaN, max: Number.NaN };
  const mid = Math.floor(v.length / 2);
  const median = v.length % 2 ? (v[mid] as number) : ((v[mid - 1] as number) + (v[mid] as number)) / 2;
  return { min: v[0] as number, median, max: v.at(-1) as number };
}

/** The machine's 1/5/15-min load averages as /proc/loadavg prints them. */
export function loadLine(): string {
  return readFileSync('/proc/loadavg', 'utf8').trim().split(' ').slice(0, 3).join(' ');
}
