/**
 * Test harness: real `redis-server` processes (Debian's package) on free 127.0.0.1 ports, no persistence.
 * startRedis() gives one server that tests can kill (SIGKILL), pause (SIGSTOP) and restart on the same port;
 * startRedisCluster() gives a cluster of N masters built with `redis-cli --cluster create`.
 *
 * Every process started here is SIGKILLed when the test process exits, so a crashed test run leaves none behind.
 */
import { spawn, spawnSync, execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { killOnExit } from './reap-children.ts';

export interface StartRedisOptions {
  /** Fixed port (default: a free one). */
  port?: number;
  /** Extra redis-server arguments, e.g. ['--maxmemory', '10mb']. */
  args?: string[];
  /** How long to wait for PING to answer (default 10 s). */
  readyTimeoutMs?: number;
}

export interface RedisServerHandle {
  host: string;
  port: number;
  url: string;
  /** Graceful stop (SIGTERM), resolves when the process has exited. */
  stop(): Promise<void>;
  /** SIGKILL, resolves when the process has exited: a crash as seen by clients (connections reset). */
  kill(): Promise<void>;
  /** Starts the server again on the same port (after stop/kill; stops it first if running). Empty dataset. */
  restart(): Promise<void>;
  /** SIGSTOP: the server keeps its connections but answers nothing (a hung server). */
  pause(): void;
  /** SIGCONT after pause(). */
  resume(): void;
  /** `INFO <section>` as text, over a fresh raw connection (so it adds only one `info` to commandstats). */
  info(section?: string): Promise<string>;
  /** Any command over a fresh raw connection, e.g. command('PTTL', key). */
  command(...args: Array<string | number>): Promise<RespValue>;
  /** Last lines of the server's own output (for error messages). */
  output(): string;
  readonly running: boolean;
}

export type RespValue = string | number | null | Error | RespValue[];

/** Throws a clear error when redis-server is missing. */
export function assertRedisInstalled(): void {
  const r = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new Error('redis-server is not installed (or not on PATH); the Redis tests need a real server. Install it: apt-get install redis-server');
  }
}

import { freePort } from './ports.ts';

export { freePort };

/** Sends one command over a fresh TCP connection and parses one RESP2 reply. */
export function rawCommand(port: number, args: Array<string | number>, timeoutMs = 5000, host = '127.0.0.1'): Promise<RespValue> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host, port });
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`redis ${host}:${port}: no reply to ${String(args[0])} within ${timeoutMs} ms`));
    }, timeoutMs);
    const done = (err: Error | null, v?: RespValue) => {
      clearTimeout(timer);
      sock.destroy();
      if (err) reject(err);
      else resolve(v ?? null);
    };
    sock.on('connect', () => {
      let out = `*${args.length}\r\n`;
      for (const a of args) {
        const s = String(a);
        out += `$${Buffer.byteLength(s)}\r\n${s}\r\n`;
      }
      sock.write(out);
    });
    sock.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      const parsed = parseResp(buf, 0);
      if (parsed) done(null, parsed.value);
    });
    sock.on('error', (e) => done(e));
    sock.on('close', () => done(new Error(`redis ${host}:${port}: connection closed before a reply`)));
  });
}

function parseResp(buf: Buffer, at: number): { value: RespValue; next: number } | null {
  const eol = buf.indexOf('\r\n', at);
  if (eol < 0) return null;
  const type = String.fromCharCode(buf[at]!);
  const line = buf.toString('utf8', at + 1, eol);
  switch (type) {
    case '+':
      return { value: line, next: eol + 2 };
    case '-':
      return { value: new Error(line), next: eol + 2 };
    case ':':
      return { value: Number(line), next: eol + 2 };
    case '$': {
      const len = Number(line);
      if (len < 0) return { value: null, next: eol + 2 };
      if (buf.length < eol + 2 + len + 2) return null;
      return { value: buf.toString('utf8', eol + 2, eol + 2 + len), next: eol + 2 + len + 2 };
    }
    case '*': {
      const n = Number(line);
      if (n < 0) return { value: null, next: eol + 2 };
      const items: RespValue[] = [];
      let next = eol + 2;
      for (let i = 0; i < n; i++) {
        const item = parseResp(buf, next);
        if (!item) return null;
        items.push(item.value);
        next = item.next;
      }
      return { value: items, next };
    }
    default:
      throw new Error(`unexpected RESP type ${JSON.stringify(type)}`);
  }
}

function waitExit(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => p.once('exit', () => resolve()));
}

/** The process id of the redis-server answering on `port` (INFO server). */
async function serverPid(port: number): Promise<number | undefined> {
  const info = await rawCommand(port, ['INFO', 'server'], 500);
  const m = typeof info === 'string' ? /^process_id:(\d+)/m.exec(info) : null;
  return m ? Number(m[1]) : undefined;
}

/** Starts a redis-server on 127.0.0.1 and waits until this process answers PING. */
export async function startRedis(opts: StartRedisOptions = {}): Promise<RedisServerHandle> {
  assertRedisInstalled();
  const host = '127.0.0.1';
  let port = opts.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'palisade-redis-'));
  const readyTimeoutMs = opts.readyTimeoutMs ?? 10_000;
  let proc: ChildProcess | undefined;
  let lines: string[] = [];

  const args = () => [
    '--port', String(port),
    '--bind', host,
    '--save', '',
    '--appendonly', 'no',
    '--protected-mode', 'no',
    '--daemonize', 'no',
    '--dir', dir,
    '--logfile', '',
    ...(opts.args ?? []),
  ];

  /**
   * Starts the server and waits until it answers. `mayMove`: on the first start of a server without a fixed port,
   * a port that another process's server holds is given up for another free one.
   */
  const launch = async (mayMove: boolean): Promise<void> => {
    const deadline = Date.now() + readyTimeoutMs;
    for (;;) {
      lines = [];
      const p = killOnExit(spawn('redis-server', args(), { stdio: ['ignore', 'pipe', 'pipe'] }));
      proc = p;
      const collect = (d: Buffer) => {
        lines.push(...d.toString().split('\n').filter(Boolean));
        if (lines.length > 50) lines = lines.slice(-50);
      };
      p.stdout?.on('data', collect);
      p.stderr?.on('data', collect);
      let foreign = false;
      for (;;) {
        if (p.exitCode !== null || p.signalCode !== null) break;
        try {
          if ((await rawCommand(port, ['PING'], 500)) === 'PONG') {
            // The answer must come from this process: a free port can be handed to two harnesses at once, and a
            // server that cannot bind exits only after another one on the port has answered for it.
            if ((await serverPid(port)) === p.pid) return;
            foreign = true;
            p.kill('SIGKILL');
            await waitExit(p);
            break;
          }
        } catch {
          // not up yet
        }
        if (Date.now() > deadline) {
          p.kill('SIGKILL');
          throw new Error(`redis-server on port ${port} did not answer PING within ${readyTimeoutMs} ms:\n${lines.join('\n')}`);
        }
        await sleep(20);
      }
      const held = foreign || lines.some((l) => /Address already in use/i.test(l));
      if (held && mayMove && Date.now() <= deadline) {
        port = await freePort();
        continue;
      }
      // Exited during startup: retry while the port is still held (e.g. right after a kill), else give up.
      if (Date.now() > deadline || !held) {
        throw new Error(`redis-server on port ${port} ${foreign ? 'is held by another redis-server' : 'exited during startup'}:\n${lines.join('\n')}`);
      }
      await sleep(100);
    }
  };

  const stopWith = async (signal: NodeJS.Signals) => {
    const p = proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    if (signal === 'SIGTERM') p.kill('SIGCONT'); // a paused server cannot handle SIGTERM
    p.kill(signal);
    await waitExit(p);
  };

  await launch(opts.port === undefined);

  return {
    host,
    port,
    url: `redis://${host}:${port}`,
    stop: async () => {
      await stopWith('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
    kill: () => stopWith('SIGKILL'),
    restart: async () => {
      await stopWith('SIGTERM');
      await launch(false);
    },
    pause: () => void proc?.kill('SIGSTOP'),
    resume: () => void proc?.kill('SIGCONT'),
    info: async (section = 'default') => {
      const v = await rawCommand(port, ['INFO', section]);
      if (typeof v !== 'string') throw new Error(`INFO: unexpected reply ${String(v)}`);
      return v;
    },
    command: (...cmd) => rawCommand(port, cmd),
    output: () => lines.join('\n'),
    get running() {
      return !!proc && proc.exitCode === null && proc.signalCode === null;
    },
  };
}

/** Parses `INFO commandstats` into { command: calls }. */
export function commandCalls(info: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) out[m[1]!] = Number(m[2]);
  return out;
}

export interface RedisClusterHandle {
  nodes: Array<{ host: string; port: number }>;
  servers: RedisServerHandle[];
  stop(): Promise<void>;
}

/**
 * Starts `masters` cluster-enabled redis-servers (no replicas) and joins them with
 * `redis-cli --cluster create ... --cluster-yes`; resolves once every node reports cluster_state:ok.
 */
export async function startRedisCluster(masters = 3): Promise<RedisClusterHandle> {
  assertRedisInstalled();
  const dir = mkdtempSync(join(tmpdir(), 'palisade-cluster-'));
  const servers: RedisServerHandle[] = [];
  try {
    for (let i = 0; i < masters; i++) {
      const port = await freePort(10_000); // the cluster bus listens on port + 10000
      servers.push(
        await startRedis({
          port,
          args: ['--cluster-enabled', 'yes', '--cluster-config-file', join(dir, `nodes-${port}.conf`), '--cluster-node-timeout', '2000'],
        }),
      );
    }
    const addrs = servers.map((s) => `${s.host}:${s.port}`);
    await new Promise<void>((resolve, reject) => {
      execFile('redis-cli', ['--cluster', 'create', ...addrs, '--cluster-replicas', '0', '--cluster-yes'], { timeout: 30_000 }, (err, stdout, stderr) =>
        err ? reject(new Error(`redis-cli --cluster create failed: ${err.message}\n${stdout}\n${stderr}`)) : resolve(),
      );
    });
    const deadline = Date.now() + 30_000;
    for (const s of servers) {
      for (;;) {
        const info = String(await s.command('CLUSTER', 'INFO'));
        if (/cluster_state:ok/.test(info) && /cluster_slots_ok:16384/.test(info)) break;
        if (Date.now() > deadline) throw new Error(`cluster did not converge:\n${info}`);
        await sleep(50);
      }
    }
  } catch (err) {
    await Promise.all(servers.map((s) => s.stop()));
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    nodes: servers.map((s) => ({ host: s.host, port: s.port })),
    servers,
    stop: async () => {
      await Promise.all(servers.map((s) => s.stop()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
