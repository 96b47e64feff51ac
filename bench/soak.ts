/**
 * `npm run soak`: N minutes (default 10) of steady Check traffic against a real authz-server process with
 * `--redis`, while Redis is killed and restarted twice and the policy file is rewritten every 10 s (hot reload).
 * Reports gRPC errors (must be 0), verdicts per request class (each class may only get the verdicts its policy
 * defines), RSS at start/end and growth, and latency percentiles per minute (p99 drift). Exits 1 on any gRPC
 * error or unexpected verdict.
 *
 *   npm run soak                                   # 10 minutes at 500 rps
 *   npm run soak -- --minutes 2 --rate 300
 */
import * as grpc from '@grpc/grpc-js';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { envoyServices, type CheckRequest, type CheckResponse } from '../authz-server/src/envoy/protos.ts';
import { freePort, startRedis } from '../test/support/redis-server.ts';
import { AUTHZ_ENV, AUTHZ_NODE_FLAGS } from '../authz-server/src/app/node-flags.ts';
import { compiledPath } from '../build.ts';
import { ensureBuilt } from './harness.ts';

const root = join(import.meta.dirname, '..');
const KEY = 'soak-key-1';

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

/** The soak's policies; `generation` changes values that do not change verdicts, so every rewrite is a reload. */
function policyYaml(generation: number, keySha: string): string {
  return `# soak generation ${generation}
apiVersion: palisade.dev/v1alpha1
kind: ApiProtectionPolicy
metadata: { name: open, namespace: soak }
spec:
  hosts: [open.soak.local]
  failurePolicy: FailOpen
  authentication:
    required: true
    apiKeys: { keys: [{ consumer: soak-client, sha256: "${keySha}" }] }
  rules:
    - { methods: [GET], paths: ["/orders", "/orders/*"], consumers: [soak-client] }
    - { methods: [POST], paths: ["/gen-${generation}"], consumers: [soak-client] }
  rateLimits:
    - { name: per-consumer, key: [consumer], requests: ${1_000_000 + generation}, period: 1s }
    - { name: per-ip, key: [clientIP], requests: 1000000, period: 1s }
---
apiVersion: palisade.dev/v1alpha1
kind: ApiProtectionPolicy
metadata: { name: closed, namespace: soak }
spec:
  hosts: [closed.soak.local]
  failurePolicy: FailClosed
  identity:
    requireMTLS: true
    allowedPrincipals: ["spiffe://cluster.local/ns/shop/sa/frontend"]
  rules:
    - { methods: [GET], paths: ["/orders/**"] }
  rateLimits:
    - { name: per-principal, key: [principal], requests: ${1_000_000 + generation}, period: 1s }
---
apiVersion: palisade.dev/v1alpha1
kind: ApiProtectionPolicy
metadata: { name: flood, namespace: soak }
spec:
  hosts: [flood.soak.local]
  failurePolicy: FailOpen
  rateLimits:
    - { name: tiny, key: ["header:x-tenant"], requests: 1, period: 1h }
`;
}

/** A class of request and the verdicts its policy allows for it. */
interface RequestClass {
  name: string;
  expected: string[];
  make(i: number): CheckRequest;
}

function req(host: string, method: string, path: string, i: number, headers: Record<string, string> = {}, principal?: string): CheckRequest {
  const ip = `10.0.${i % 250}.${(i * 7) % 250}`;
  return {
    attributes: {
      source: { address: { socket_address: { address: ip, port_value: 40000 + (i % 20000) } }, ...(principal ? { principal } : {}) },
      destination: { address: { socket_address: { address: '10.9.9.9', port_value: 8080 } } },
      request: {
        http: {
          id: String(i),
          method,
          path,
          host,
          scheme: 'http',
          protocol: 'HTTP/1.1',
          headers: {
            ':authority': host,
            ':method': method,
            ':path': path,
            ':scheme': 'http',
            'x-request-id': `soak-${i}`,
            'x-forwarded-for': ip,
            'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36',
            accept: 'application/json',
            'accept-language': 'en-GB,en;q=0.9',
            ...headers,
          },
        },
      },
    },
  };
}

const CLASSES: RequestClass[] = [
  // FailOpen: the per-process fallback limiter keeps answering while Redis is away.
  { name: 'api-key ok (FailOpen)', expected: ['allow'], make: (i) => req('open.soak.local', 'GET', `/orders/${i % 100}`, i, { 'x-api-key': KEY }) },
  { name: 'api-key ok (FailOpen)', expected: ['allow'], make: (i) => req('open.soak.local', 'GET', '/orders', i, { 'x-api-key': KEY }) },
  { name: 'wrong key', expected: ['authentication'], make: (i) => req('open.soak.local', 'GET', '/orders', i, { 'x-api-key': 'nope' }) },
  { name: 'no rule', expected: ['access'], make: (i) => req('open.soak.local', 'DELETE', '/admin', i, { 'x-api-key': KEY }) },
  // FailClosed: 503 while Redis is down.
  { name: 'mTLS ok (FailClosed)', expected: ['allow', 'unavailable'], make: (i) => req('closed.soak.local', 'GET', `/orders/${i % 50}/items`, i, {}, 'spiffe://cluster.local/ns/shop/sa/frontend') },
  { name: 'mTLS wrong principal', expected: ['identity'], make: (i) => req('closed.soak.local', 'GET', '/orders/1', i, {}, 'spiffe://cluster.local/ns/shop/sa/intruder') },
  // One request per tenant passes, the rest are limited (after a Redis restart the counters start again).
  { name: 'flood', expected: ['allow', 'rate-limit'], make: (i) => req('flood.soak.local', 'GET', '/x', i, { 'x-tenant': `t${i % 8}` }) },
];

function verdictOf(res: CheckResponse): string {
  if (res.ok_response && (res.status?.code ?? 0) === 0) return 'allow';
  return res.denied_response?.headers?.find((h) => h.header.key === 'x-palisade-reason')?.header.value ?? `invalid(${JSON.stringify(res).slice(0, 80)})`;
}

function rssMiB(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[21]) * 4096) / (1024 * 1024);
}

function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

interface Minute {
  latencies: number[];
  errors: number;
  over200: number;
  rssStart: number;
  rssEnd: number;
  cpuStart: number;
  cpuEnd: number;
  events: string[];
}

async function waitReady(httpPort: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`authz-server exited with ${child.exitCode}`);
    if (await fetch(`http://127.0.0.1:${httpPort}/readyz`).then((r) => r.ok, () => false)) return;
    await sleep(100);
  }
  throw new Error('authz-server not ready in 30 s');
}

async function snapshotVersion(httpPort: number): Promise<string> {
  const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  return /palisade_snapshot_info\{version="([^"]+)"\} 1/.exec(text)?.[1] ?? '?';
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { minutes: { type: 'string', default: '10' }, rate: { type: 'string', default: '500' }, 'reload-s': { type: 'string', default: '10' } } });
  const minutes = Number(values.minutes);
  const rate = Number(values.rate);
  const reloadMs = Number(values['reload-s']) * 1000;
  const durationMs = minutes * 60_000;
  const keySha = sha256(KEY);

  const dir = mkdtempSync(join(tmpdir(), 'palisade-soak-'));
  const file = join(dir, 'policies.yaml');
  let generation = 0;
  writeFileSync(file, policyYaml(generation, keySha));
  const redis = await startRedis();
  const grpcPort = await freePort();
  const httpPort = await freePort();
  // The compiled server, as the image runs it.
  ensureBuilt();
  const child = spawn(
    process.execPath,
    [...AUTHZ_NODE_FLAGS, compiledPath('authz-server/src/app/main.ts'), '--policies', dir, '--redis', redis.url, '--host', '127.0.0.1', '--grpc-port', String(grpcPort), '--check-port', '-1', '--http-port', String(httpPort), '--decision-log', 'deny'],
    { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...AUTHZ_ENV } },
  );
  let serverErrors = 0;
  let serverWarns = 0;
  let partial = '';
  child.stdout?.on('data', (d: Buffer) => {
    partial += d.toString('utf8');
    let nl;
    while ((nl = partial.indexOf('\n')) >= 0) {
      const line = partial.slice(0, nl);
      partial = partial.slice(nl + 1);
      // The logger prints level labels ("level":"warn"), see lib/process/logging.ts.
      const level = /"level":"(\w+)"/.exec(line)?.[1];
      if (level === 'warn') serverWarns += 1;
      else if (level === 'error' || level === 'fatal') serverErrors += 1;
    }
  });
  const events: string[] = [];
  const stopAll = async () => {
    child.kill('SIGTERM');
    if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
    await redis.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    await waitReady(httpPort, child);
    const pid = child.pid as number;
    const { authorization } = envoyServices();
    // Four channels, like a few Envoy workers.
    const clients = Array.from({ length: 4 }, (_, i) => new authorization(`127.0.0.1:${grpcPort}`, grpc.credentials.createInsecure(), { 'grpc.channel_id': i } as grpc.ChannelOptions) as unknown as {
      Check(r: CheckRequest, o: grpc.CallOptions, cb: (e: grpc.ServiceError | null, r: CheckResponse) => void): void;
      close(): void;
    });
    const requests = Array.from({ length: 4096 }, (_, i) => {
      const cls = CLASSES[i % CLASSES.length] as RequestClass;
      return { cls, req: cls.make(i) };
    });
    const verdicts = new Map<string, Map<string, number>>();
    const unexpected = new Map<string, number>();
    const errorKinds = new Map<string, number>();
    const mins: Minute[] = [];
    const startedAt = Date.now();
    const rss0 = rssMiB(pid);
    const cpu0 = cpuSeconds(pid);
    let sent = 0;
    let done = 0;
    const minuteOf = (t: number) => {
      const m = Math.min(minutes - 1, Math.floor((t - startedAt) / 60_000));
      while (mins.length <= m) {
        const r = rssMiB(pid);
        const c = cpuSeconds(pid);
        const prev = mins[mins.length - 1];
        if (prev) {
          prev.rssEnd = r;
          prev.cpuEnd = c;
        }
        mins.push({ latencies: [], errors: 0, over200: 0, rssStart: r, rssEnd: r, cpuStart: c, cpuEnd: c, events: [] });
      }
      return mins[m] as Minute;
    };
    minuteOf(startedAt);
    const note = (e: string) => {
      const at = `${((Date.now() - startedAt) / 1000).toFixed(0)}s`;
      events.push(`${at} ${e}`);
      minuteOf(Date.now()).events.push(e);
      process.stderr.write(`soak: ${at} ${e}\n`);
    };

    const sendOne = () => {
      const { cls, req: r } = requests[sent % requests.length] as { cls: RequestClass; req: CheckRequest };
      const client = clients[sent % clients.length] as (typeof clients)[number];
      sent += 1;
      const t0 = performance.now();
      client.Check(r, { deadline: Date.now() + 2000 }, (err, res) => {
        done += 1;
        const ms = performance.now() - t0;
        const m = minuteOf(Date.now());
        if (err) {
          m.errors += 1;
          // Group by status and the message without its timings ("Deadline exceeded after 2.013s,LB pick: ...").
          const k = `${grpc.status[err.code] ?? err.code}: ${err.details.split(/ after |,/)[0]}`;
          errorKinds.set(k, (errorKinds.get(k) ?? 0) + 1);
          return;
        }
        m.latencies.push(ms);
        if (ms > 200) m.over200 += 1;
        const v = verdictOf(res);
        const per = verdicts.get(cls.name) ?? new Map<string, number>();
        per.set(v, (per.get(v) ?? 0) + 1);
        verdicts.set(cls.name, per);
        if (!cls.expected.includes(v)) unexpected.set(`${cls.name} -> ${v}`, (unexpected.get(`${cls.name} -> ${v}`) ?? 0) + 1);
      });
    };

    // Steady open-loop rate: every 10 ms send what the schedule says is due (no coordinated omission).
    const ticker = setInterval(() => {
      const due = Math.floor(((Date.now() - startedAt) / 1000) * rate);
      while (sent < due) sendOne();
    }, 10);

    // Hot reload every reloadMs.
    const versions = new Set<string>([await snapshotVersion(httpPort)]);
    let reloads = 0;
    const reloader = setInterval(() => {
      generation += 1;
      writeFileSync(file, policyYaml(generation, keySha));
      reloads += 1;
    }, reloadMs);
    const versionPoll = setInterval(() => {
      void snapshotVersion(httpPort).then((v) => versions.add(v), () => undefined);
    }, 2000);

    // Redis killed (SIGKILL, a crash) and restarted twice: at 1/3 and 2/3 of the run, down for 5 s each.
    const outage = async (at: number) => {
      await sleep(Math.max(0, startedAt + at - Date.now()));
      note('redis SIGKILL');
      await redis.kill();
      await sleep(5000);
      await redis.restart();
      note('redis restarted (empty dataset)');
    };
    const outages = Promise.all([outage(durationMs / 3), outage((2 * durationMs) / 3)]);

    let lastReport = Date.now();
    while (Date.now() - startedAt < durationMs) {
      await sleep(1000);
      if (Date.now() - lastReport >= 60_000) {
        lastReport = Date.now();
        const m = mins[mins.length - 2] ?? mins[mins.length - 1];
        if (m) process.stderr.write(`soak: minute ${mins.length - 1}: ${m.latencies.length} ok, ${m.errors} errors, RSS ${rssMiB(pid).toFixed(0)} MiB\n`);
      }
    }
    clearInterval(ticker);
    clearInterval(reloader);
    clearInterval(versionPoll);
    await outages;
    // Drain the calls in flight.
    const drainDeadline = Date.now() + 5000;
    while (done < sent && Date.now() < drainDeadline) await sleep(50);
    const last = mins[mins.length - 1] as Minute;
    last.rssEnd = rssMiB(pid);
    last.cpuEnd = cpuSeconds(pid);
    const rss1 = last.rssEnd;
    const cpu1 = cpuSeconds(pid);
    for (const c of clients) c.close();

    const totalErrors = [...mins].reduce((s, m) => s + m.errors, 0) + (sent - done);
    const f = (n: number) => (Number.isNaN(n) ? '-' : n.toFixed(2));
    const lines: string[] = [];
    const commit = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).stdout.trim();
    lines.push(`Soak: ${minutes} min at ${rate} rps (open loop, 4 channels), authz-server --redis, policy rewritten every ${reloadMs / 1000} s, Redis SIGKILLed + restarted twice.`);
    lines.push(`Commit ${commit}, Node ${process.version}, ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), load average at end ${loadavg().map((l) => l.toFixed(2)).join(' ')}.`);
    lines.push('');
    lines.push('| minute | answered | gRPC errors | p50 ms | p99 ms | p99.9 ms | max ms | > 200 ms | server CPU % | RSS MiB (end) | events |');
    lines.push('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|');
    mins.forEach((m, i) => {
      const s = [...m.latencies].sort((a, b) => a - b);
      const cpuPct = ((m.cpuEnd - m.cpuStart) / 60) * 100;
      lines.push(`| ${i + 1} | ${s.length} | ${m.errors} | ${f(pct(s, 50))} | ${f(pct(s, 99))} | ${f(pct(s, 99.9))} | ${f(s[s.length - 1] ?? Number.NaN)} | ${m.over200} | ${cpuPct.toFixed(0)} | ${m.rssEnd.toFixed(0)} | ${m.events.join('; ')} |`);
    });
    lines.push('');
    lines.push('| request class | expected verdicts | verdicts received |');
    lines.push('|---|---|---|');
    for (const [name, per] of verdicts) {
      const cls = CLASSES.find((c) => c.name === name) as RequestClass;
      lines.push(`| ${name} | ${cls.expected.join(', ')} | ${[...per].map(([v, n]) => `${v} ${n}`).join(', ')} |`);
    }
    lines.push('');
    const p99s = mins.map((m) => pct([...m.latencies].sort((a, b) => a - b), 99)).filter((x) => !Number.isNaN(x));
    lines.push(`sent ${sent}, answered ${done}, gRPC errors ${totalErrors}${errorKinds.size ? ` (${[...errorKinds].map(([k, n]) => `${k} x${n}`).join('; ')})` : ''}, unexpected verdicts ${[...unexpected.values()].reduce((a, b) => a + b, 0)}${unexpected.size ? ` (${[...unexpected].map(([k, n]) => `${k} x${n}`).join('; ')})` : ''}`);
    lines.push(`RSS start ${rss0.toFixed(1)} MiB, end ${rss1.toFixed(1)} MiB, growth ${(rss1 - rss0).toFixed(1)} MiB; server CPU ${(cpu1 - cpu0).toFixed(0)} s`);
    lines.push(`p99 per minute: min ${f(Math.min(...p99s))} ms, max ${f(Math.max(...p99s))} ms, first ${f(p99s[0] ?? Number.NaN)} -> last ${f(p99s[p99s.length - 1] ?? Number.NaN)} ms`);
    lines.push(`policy rewrites ${reloads}, distinct snapshot versions seen ${versions.size}; server log lines: ${serverWarns} warn, ${serverErrors} error`);
    lines.push(`events: ${events.join('; ')}`);
    process.stdout.write(`${lines.join('\n')}\n`);
    return totalErrors === 0 && unexpected.size === 0 ? 0 : 1;
  } finally {
    await stopAll();
  }
}

if (import.meta.main) process.exitCode = await main();
