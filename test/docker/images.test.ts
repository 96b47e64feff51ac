/**
 * The two Dockerfiles, checked without a Docker engine (there is none here): their shape (multi-stage, node:24-slim,
 * `npm ci --omit=dev`, a build stage, non-root user, ports), and a simulated build: the build stage's files compiled
 * by its own RUN line (`node build.ts ...`), then the production dependencies installed as the deps stage does plus
 * exactly what the final stage copies (minus .dockerignore) are enough for the compiled entry point to load its
 * whole import graph and start, with no TypeScript in the image. A runtime import of a devDependency, of a file the
 * image does not contain or of a `.ts` module fails here.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUTHZ_ENV, AUTHZ_NODE_FLAGS } from '../../authz-server/src/app/node-flags.ts';
import { compiledPath } from '../../build.ts';

const ROOT = join(import.meta.dirname, '../..');

interface Instruction {
  op: string;
  args: string;
}

/** Dockerfile instructions (continuation lines joined, comments dropped), grouped by stage. */
function parseDockerfile(path: string): Instruction[][] {
  const text = readFileSync(path, 'utf8').replace(/\\\n/g, ' ');
  const stages: Instruction[][] = [];
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (!t || t.startsWith('#')) continue;
    const [op = '', ...rest] = t.split(/\s+/);
    const ins = { op: op.toUpperCase(), args: rest.join(' ') };
    if (ins.op === 'FROM') stages.push([]);
    stages.at(-1)?.push(ins); // (ARGs before the first FROM belong to no stage)
  }
  return stages;
}

const images = [
  { name: 'authz-server', dockerfile: 'authz-server/Dockerfile', entry: compiledPath('authz-server/src/app/main.ts'), ports: '9001 9003 9090', nodeFlags: [...AUTHZ_NODE_FLAGS], env: { ...AUTHZ_ENV } },
  { name: 'operator', dockerfile: 'operator/Dockerfile', entry: compiledPath('operator/src/main.ts'), ports: '9002 8080', nodeFlags: [] as string[], env: {} as Record<string, string> },
];

/** What the build context holds for `src` (.dockerignore: tests, testdata and the inspection corpus stay out). */
function copyFromContext(src: string, dest: string): void {
  cpSync(join(ROOT, src), dest, { recursive: true, filter: (p) => !/\.test\.ts$|\/testdata(\/|$)|\/inspection\/corpus(\/|$)/.test(p) });
}

function filesUnder(dir: string, skip: RegExp): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => !skip.test(f));
}

let deps: string;

beforeAll(() => {
  // The deps stage: npm ci --omit=dev --ignore-scripts on package.json + package-lock.json only.
  deps = mkdtempSync(join(tmpdir(), 'palisade-image-deps-'));
  cpSync(join(ROOT, 'package.json'), join(deps, 'package.json'));
  cpSync(join(ROOT, 'package-lock.json'), join(deps, 'package-lock.json'));
  execFileSync('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: deps, stdio: ['ignore', 'ignore', 'pipe'], timeout: 5 * 60_000 });
}, 6 * 60_000);

afterAll(() => rmSync(deps, { recursive: true, force: true }));

describe.each(images)('$dockerfile', ({ dockerfile, entry, ports, nodeFlags, env }) => {
  const stages = parseDockerfile(join(ROOT, dockerfile));
  const final = stages.at(-1) ?? [];
  const build = stages.find((s) => /^\$\{NODE_IMAGE\} AS build$/.test(s[0]?.args ?? '')) ?? [];
  const text = readFileSync(join(ROOT, dockerfile), 'utf8');

  it('is multi-stage on node:24-slim, installs with npm ci --omit=dev, compiles in a build stage, runs as a non-root user on the right ports', () => {
    expect(stages.length).toBeGreaterThanOrEqual(3);
    expect(text).toMatch(/^ARG NODE_IMAGE=node:24-slim$/m);
    for (const s of stages) expect(s[0]?.args).toMatch(/^\$\{NODE_IMAGE\}( AS \w+)?$/);
    expect(stages[0]?.find((i) => i.op === 'RUN')?.args).toContain('npm ci --omit=dev');
    expect(build.find((i) => i.op === 'RUN')?.args).toContain('npm ci');
    expect(build.filter((i) => i.op === 'RUN').at(-1)?.args).toMatch(/^node build\.ts [a-z-]+$/);
    const user = final.filter((i) => i.op === 'USER').at(-1)?.args ?? '';
    expect(user).toMatch(/^[1-9][0-9]*(:[1-9][0-9]*)?$/); // numeric, so runAsNonRoot can verify it
    expect(final.find((i) => i.op === 'EXPOSE')?.args).toBe(ports);
    expect(JSON.parse(final.find((i) => i.op === 'ENTRYPOINT')?.args ?? 'null')).toEqual(['node', ...nodeFlags, entry]);
    expect(entry).toMatch(/^dist\/.*\.js$/);
    for (const [k, v] of Object.entries(env)) expect(final.filter((i) => i.op === 'ENV').map((i) => i.args)).toContain(`${k}=${v}`);
    expect(final.some((i) => i.op === 'RUN')).toBe(false); // nothing runs as root in the final stage
  });

  it('its build stage compiles, and the output plus production dependencies start the entry point with no TypeScript (simulated build, Node 24)', () => {
    const work = mkdtempSync(join(tmpdir(), 'palisade-image-build-'));
    const app = mkdtempSync(join(tmpdir(), 'palisade-image-'));
    try {
      // Build stage: its COPYs from the context, the dev dependencies (the repository's own stand in for its
      // `npm ci`), then its last RUN line as written.
      for (const ins of build.filter((i) => i.op === 'COPY')) {
        const parts = ins.args.split(/\s+/).filter((p) => !p.startsWith('--'));
        const dest = parts.at(-1) ?? '';
        for (const src of parts.slice(0, -1)) copyFromContext(src, join(work, dest === './' ? src : dest.replace(/^\.\//, '')));
      }
      symlinkSync(join(ROOT, 'node_modules'), join(work, 'node_modules'));
      const [cmd, ...args] = (build.filter((i) => i.op === 'RUN').at(-1)?.args ?? '').split(/\s+/);
      expect(cmd).toBe('node');
      execFileSync(process.execPath, args, { cwd: work, stdio: ['ignore', 'ignore', 'pipe'], timeout: 120_000 });

      for (const ins of final.filter((i) => i.op === 'COPY')) {
        const parts = ins.args.split(/\s+/).filter((p) => !p.startsWith('--'));
        const [src, dest] = [parts[0] ?? '', parts[1] ?? ''];
        if (ins.args.startsWith('--from=deps')) {
          cpSync(join(deps, 'node_modules'), join(app, 'node_modules'), { recursive: true });
          continue;
        }
        if (ins.args.startsWith('--from=build')) {
          cpSync(join(work, relative('/app', src)), join(app, dest.replace(/^\.\//, '')), { recursive: true });
          continue;
        }
        expect(existsSync(join(ROOT, src)), `${dockerfile} copies ${src}`).toBe(true);
        copyFromContext(src, join(app, dest === './' ? src : dest.replace(/^\.\//, '')));
      }
      // The deps stage removed the `node` package; the image's node is the base image's Node 24.
      rmSync(join(app, 'node_modules/node'), { recursive: true, force: true });
      expect(filesUnder(app, /^node_modules(\/|$)/).filter((f) => f.endsWith('.ts'))).toEqual([]);
      expect(existsSync(join(app, entry)), `${entry} in the image`).toBe(true);
      const r = spawnSync(process.execPath, [...nodeFlags, entry, '--help'], { cwd: app, encoding: 'utf8', timeout: 60_000, env: { PATH: '/usr/bin:/bin', NODE_ENV: 'production', ...env } });
      expect(r.stderr).toBe('');
      expect(r.stdout).toMatch(/^Usage: (authz-server|operator) \[options\]/);
      expect(r.status).toBe(0);
      expect(existsSync(join(app, 'node_modules/vitest'))).toBe(false);
    } finally {
      rmSync(work, { recursive: true, force: true });
      rmSync(app, { recursive: true, force: true });
    }
  }, 180_000);
});

describe('authz-server Node flags', () => {
  it('npm start builds first, then runs the compiled authz-server with the same V8 flags and environment as the image', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts['prestart']).toBe('npm run build');
    expect(pkg.scripts['build']).toBe('node build.ts');
    const envPrefix = Object.entries(AUTHZ_ENV).map(([k, v]) => `${k}=${v} `).join('');
    // The example policies come from PALISADE_DEFAULT_POLICIES, so that `npm start -- --policies X` enforces X alone.
    expect(pkg.scripts['start']).toBe(`${envPrefix}PALISADE_DEFAULT_POLICIES=examples/policies node ${AUTHZ_NODE_FLAGS.join(' ')} ${compiledPath('authz-server/src/app/main.ts')}`);
  });
});

describe('.dockerignore', () => {
  it('keeps node_modules, tests and the git directory out of the build context', () => {
    const lines = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n');
    for (const want of ['**/node_modules', '.git', 'test', '**/*.test.ts']) expect(lines).toContain(want);
  });
});
