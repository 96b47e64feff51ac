/**
 * The real upstream servers Palisade's path semantics are checked against: nginx (Debian), embedded Tomcat
 * (Maven Central), Go net/http and Express (npm), provisioned by test/upstreams/provision.sh outside the
 * repository and started on free loopback ports. All serve the same routes (ROUTES); a raw HTTP/1.1 request
 * (no client-side normalisation) tells which route a path reaches.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../support/ports.ts';
import { killOnExit } from '../support/reap-children.ts';

/** The upstreams, by the name tests use. */
export const UPSTREAMS = ['nginx', 'tomcat', 'go', 'express'] as const;
export type UpstreamKind = (typeof UPSTREAMS)[number];

/**
 * The routes every upstream serves, as each one's own routing configuration says it (prefix locations, servlet
 * mappings, ServeMux patterns, Express paths): `/admin` and below, `/public/` and `/docs/` and below, exactly
 * `/login`; anything else is `none` (404).
 */
export const ROUTES = ['admin', 'public', 'docs', 'login', 'none'] as const;

/** A running upstream. */
export interface Upstream {
  kind: UpstreamKind;
  port: number;
  stop(): Promise<void>;
}

const here = import.meta.dirname;

function provision(what: string): string {
  return execFileSync('bash', [join(here, 'provision.sh'), what], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
}

function nginxConf(dir: string, port: number, token: string): string {
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `${t}_temp_path ${join(dir, t)};`).join(' ');
  const route = (name: string, status = 200) => `return ${status} "route ${name}";`;
  return `daemon off;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')};
events {}
http {
  access_log off;
  ${temp}
  default_type text/plain;
  server {
    listen 127.0.0.1:${port};
    add_header X-Upstream-Start ${token} always;
    location = /admin { ${route('admin')} }
    location /admin/ { ${route('admin')} }
    location /public/ { ${route('public')} }
    location /docs/ { ${route('docs')} }
    location = /login { ${route('login')} }
    location / { ${route('none', 404)} }
  }
}
`;
}

/** Resolves with the first line a child prints (its port), or rejects with what it printed when it exits first. */
function firstLine(child: ChildProcess, what: string, timeoutMs = 60_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`${what} did not start within ${timeoutMs} ms: ${err}`)), timeoutMs);
    child.stdout?.on('data', (d) => {
      out += String(d);
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolve(out.slice(0, nl).trim());
      }
    });
    child.stderr?.on('data', (d) => (err += String(d)));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code} before it was ready: ${err}`));
    });
  });
}

/**
 * Resolves once the server answering on the port is the one started with `token` (its X-Upstream-Start header);
 * rejects when the child exits first, or when another process answers there (a port taken between freePort and
 * the child's bind: its answers would be some other server's).
 */
export async function answering(port: number, token: string, child: ChildProcess, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${what} exited (${child.exitCode ?? child.signalCode}) before it answered on ${port}`);
    const head = await new Promise<string | null>((resolve) => {
      let got = '';
      const s = connect(port, '127.0.0.1', () => s.write('GET / HTTP/1.1\r\nHost: upstream.test\r\nConnection: close\r\n\r\n'));
      s.setTimeout(2000, () => s.destroy());
      s.on('data', (d) => (got += String(d)));
      s.once('close', () => resolve(got === '' ? null : got));
      s.once('error', () => resolve(null));
    });
    if (head !== null) {
      const started = /^x-upstream-start:\s*(\S+)/im.exec(head)?.[1];
      if (started === token) return;
      throw new Error(`another server answers on ${port} instead of ${what}`);
    }
    if (Date.now() > deadline) throw new Error(`${what} is not listening on ${port} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function stopper(child: ChildProcess, dir: string | null): () => Promise<void> {
  return async () => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  };
}

/** Provisions (cached) and starts one upstream. */
export async function startUpstream(kind: UpstreamKind): Promise<Upstream> {
  switch (kind) {
    case 'nginx': {
      const bin = provision('nginx');
      // A free port can be taken by another process before nginx binds it: then nginx exits, or another server
      // answers there; either way nginx is started again on another port.
      for (let attempt = 1; ; attempt++) {
        const dir = await mkdtemp(join(tmpdir(), 'palisade-nginx-'));
        const port = await freePort();
        const token = randomBytes(12).toString('hex');
        await writeFile(join(dir, 'nginx.conf'), nginxConf(dir, port, token));
        const child = killOnExit(spawn(bin, ['-c', join(dir, 'nginx.conf'), '-p', dir], { stdio: ['ignore', 'ignore', 'pipe'] }));
        const stop = stopper(child, dir);
        try {
          await answering(port, token, child, 'nginx');
          return { kind, port, stop };
        } catch (err) {
          await stop();
          if (attempt === 3) throw err;
        }
      }
    }
    case 'tomcat': {
      const home = provision('tomcat');
      const dir = await mkdtemp(join(tmpdir(), 'palisade-tomcat-'));
      const child = killOnExit(spawn('java', ['-cp', `${join(home, 'classes')}:${join(home, 'lib', '*')}`, 'Upstream', dir], { stdio: ['ignore', 'pipe', 'pipe'] }));
      const port = Number(await firstLine(child, 'Tomcat'));
      return { kind, port, stop: stopper(child, dir) };
    }
    case 'go': {
      const child = killOnExit(spawn(provision('go'), [], { stdio: ['ignore', 'pipe', 'pipe'] }));
      return { kind, port: Number(await firstLine(child, 'the Go upstream')), stop: stopper(child, null) };
    }
    case 'express': {
      const child = killOnExit(spawn(process.execPath, [join(here, 'express', 'server.cjs'), provision('express')], { stdio: ['ignore', 'pipe', 'pipe'] }));
      return { kind, port: Number(await firstLine(child, 'the Express upstream')), stop: stopper(child, null) };
    }
  }
}

/** What a raw request reached: a route, a redirect (the client asks again, and is checked again), or a refusal. */
export type Reached = { route: (typeof ROUTES)[number] } | { redirect: string } | { refused: number };

/** Sends `METHOD path HTTP/1.1` exactly as given and reads which route answered. */
export function reach(port: number, method: string, path: string): Promise<Reached> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(`${method} ${path} HTTP/1.1\r\nHost: upstream.test\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`));
    let data = '';
    socket.setTimeout(10_000, () => socket.destroy(new Error(`no answer to ${method} ${path}`)));
    socket.on('data', (d) => (data += String(d)));
    socket.on('error', reject);
    socket.on('close', () => {
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(data)?.[1] ?? 0);
      const body = data.slice(data.indexOf('\r\n\r\n') + 4);
      const route = /route (\w+)/.exec(body)?.[1];
      if (status >= 300 && status < 400) resolve({ redirect: /\r\nlocation: ([^\r]*)/i.exec(data)?.[1] ?? '' });
      else if (route && (ROUTES as readonly string[]).includes(route)) resolve({ route: route as (typeof ROUTES)[number] });
      else resolve({ refused: status });
    });
  });
}
