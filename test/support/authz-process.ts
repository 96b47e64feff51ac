/**
 * An authz-server in a child process on ports it picked itself (port 0): the ports are read from its
 * "authz-server listening" line, so no other process can take them between choosing and binding.
 */
import { spawn, type ChildProcessWithoutNullStreams, type SpawnOptions } from 'node:child_process';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');

/** A spawned authz-server and what it printed so far. */
export interface AuthzProcess {
  child: ChildProcessWithoutNullStreams;
  grpcPort: number;
  httpPort: number;
  /** Everything written to stdout so far. */
  stdout(): string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
}

/**
 * Spawns `node [nodeFlags] authz-server/src/app/main.ts --host 127.0.0.1 --grpc-port 0 --check-port 0
 * --http-port 0 ...args` and resolves once it logged the ports it listens on; rejects when it exits first or is
 * silent for `timeoutMs`.
 */
export async function spawnAuthzServer(args: string[], o: { nodeFlags?: readonly string[]; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<AuthzProcess> {
  const opts: SpawnOptions = { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: o.env ?? process.env };
  const child = spawn(process.execPath, [...(o.nodeFlags ?? []), 'authz-server/src/app/main.ts', '--host', '127.0.0.1', '--grpc-port', '0', '--check-port', '0', '--http-port', '0', ...args], opts) as ChildProcessWithoutNullStreams;
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += String(d)));
  child.stderr.on('data', (d) => (err += String(d)));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const deadline = Date.now() + (o.timeoutMs ?? 15_000);
  for (;;) {
    const line = out
      .split('\n')
      .filter((l) => l.includes('"authz-server listening"'))
      .map((l) => JSON.parse(l) as { grpcPort: number; httpPort: number })[0];
    if (line) return { child, grpcPort: line.grpcPort, httpPort: line.httpPort, stdout: () => out, exited };
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`authz-server exited (${child.exitCode ?? child.signalCode}) before it listened: ${out}${err}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`authz-server did not listen within ${o.timeoutMs ?? 15_000} ms: ${out}${err}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
