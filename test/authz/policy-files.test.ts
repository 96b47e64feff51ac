/**
 * Standalone files as they are really updated: an editor's or `mv`'s atomic rename, a Kubernetes ConfigMap's
 * `..data` symlink swap, the operator's snapshot file rewritten by the kubelet; and files that must be refused
 * (empty, a misspelt kind, a wrong API group) while the last good snapshot stays in force. Verdicts are read over
 * real gRPC with Envoy-shaped requests.
 */
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { snapshotBytes } from '../../lib/distribution/codec.ts';
import { loadSnapshotFromFiles } from '../../authz-server/src/sources/file-source.ts';
import type { AuthzServer } from '../../authz-server/src/app/server.ts';
import { authzClient, type AuthzClient } from '../support/envoy.ts';
import { captureLogger, policyDoc, sha256, startTestServer } from '../support/policies.ts';
import { freePort } from '../support/ports.ts';
import { killOnExit } from '../support/reap-children.ts';
import { verdictOf, waitFor } from '../support/verdict.ts';

const root = join(import.meta.dirname, '..', '..');
const HOST = 'files.example.com';

/** A policy on HOST that allows exactly one path. */
function onlyPath(path: string) {
  return policyDoc('files', { hosts: [HOST], rules: [{ paths: [path] }] });
}

const yaml = (...docs: unknown[]) => docs.map((d) => stringify(d)).join('---\n');

let cleanup: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'palisade-files-'));
  cleanup.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function serve(args: string[]): Promise<{ server: AuthzServer; client: AuthzClient; log: ReturnType<typeof captureLogger> }> {
  const log = captureLogger();
  const server = await startTestServer(args, log.logger);
  const client = authzClient(server.grpcPort);
  cleanup.push(() => server.stop(), () => client.close());
  return { server, client, log };
}

/** Replaces `file` the way editors, `mv` and configuration tools do: write a sibling, rename it over. */
async function atomicReplace(file: string, text: string | Buffer): Promise<void> {
  const tmp = `${file}.tmp-${Math.random().toString(36).slice(2)}`;
  await writeFile(tmp, text);
  await rename(tmp, file);
}

const allowedPath = (client: AuthzClient, path: string) => verdictOf(client, { host: HOST, path });

describe('a single policy file', () => {
  it('follows every atomic replace, not only the first', async () => {
    const dir = await tempDir();
    const file = join(dir, 'policy.yaml');
    await writeFile(file, yaml(onlyPath('/v0')));
    const { client } = await serve(['--policies', file]);
    expect(await allowedPath(client, '/v0')).toBe('allow');
    for (const v of ['/v1', '/v2', '/v3']) {
      await atomicReplace(file, yaml(onlyPath(v)));
      await waitFor(`${v} allowed after the replace`, () => allowedPath(client, v), (x) => x === 'allow', 5000);
    }
  });

  it('follows a Kubernetes ConfigMap update (the ..data symlink swap), again and again', async () => {
    // The kubelet's layout: policy.yaml -> ..data/policy.yaml, ..data -> ..<timestamp>; an update writes a new
    // timestamped directory and renames a new ..data symlink over the old one.
    const dir = await tempDir();
    const generation = async (n: number, path: string) => {
      const ts = join(dir, `..2026_11_0${n}`);
      await mkdir(ts);
      await writeFile(join(ts, 'policy.yaml'), yaml(onlyPath(path)));
      await symlink(`..2026_11_0${n}`, join(dir, '..data_tmp'));
      await rename(join(dir, '..data_tmp'), join(dir, '..data'));
    };
    let n = 1;
    await generation(n, '/v1');
    await symlink('..data/policy.yaml', join(dir, 'policy.yaml'));
    for (const target of [join(dir, 'policy.yaml'), dir]) {
      const { client, server } = await serve(['--policies', target]);
      expect(await allowedPath(client, `/v${n}`)).toBe('allow');
      for (let swap = 0; swap < 2; swap++) {
        n++;
        await generation(n, `/v${n}`);
        await waitFor(`/v${n} allowed after a ..data swap (--policies ${target})`, () => allowedPath(client, `/v${n}`), (x) => x === 'allow', 5000);
      }
      await server.stop();
    }
  });
});

describe('files that must be refused keep the last good snapshot', () => {
  const keyed = () =>
    policyDoc('api', {
      hosts: ['api.example.com'],
      authentication: { required: true, apiKeys: { keys: [{ consumer: 'app', sha256: sha256('the-key') }] } },
    });
  // A catch-all policy without keys: a refused policy for api.example.com must not make that host fall through here.
  const wildcard = policyDoc('wildcard', { hosts: ['*.example.com'] });

  it.each([
    ['an empty file', ''],
    ['a misspelt kind', yaml({ ...keyed(), kind: 'ApiProtectionPolicys' })],
    ['a wrong API group', yaml({ ...keyed(), apiVersion: 'palisade.io/v1alpha1' })],
    ['a document of another kind', yaml({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x' } })],
  ])('%s', async (_what, bad) => {
    const dir = await tempDir();
    await writeFile(join(dir, 'a-wildcard.yaml'), yaml(wildcard));
    await writeFile(join(dir, 'b-api.yaml'), yaml(keyed()));
    const { client, server, log } = await serve(['--policies', dir]);
    expect(await verdictOf(client, { host: 'api.example.com' })).toBe('authentication');
    const good = server.holder.current()?.version;

    await atomicReplace(join(dir, 'b-api.yaml'), bad);
    const rejected = await waitFor(
      'the reload to be refused',
      () => log.lines.find((l) => String(l['msg']).startsWith('policy files rejected')),
      (l) => l !== undefined,
      5000,
    );
    expect(JSON.stringify(rejected.value?.['problems'])).toMatch(/b-api\.yaml#0.*(no documents|unknown kind|is not palisade\.dev\/v1alpha1)/);
    expect(server.holder.current()?.version).toBe(good);
    expect(await verdictOf(client, { host: 'api.example.com' })).toBe('authentication');
  });

  it('and such a file stops the server from starting, with the reason', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'empty.yaml'), '');
    const log = captureLogger();
    await expect(startTestServer(['--policies', dir], log.logger)).rejects.toThrow(/policy files are invalid/);
    expect(log.text()).toContain('empty.yaml#0: (file): no documents');
  });
});

describe('--snapshot-file', () => {
  async function snapshotOf(path: string): Promise<Buffer> {
    const dir = await tempDir();
    await writeFile(join(dir, 'p.yaml'), yaml(onlyPath(path)));
    const load = await loadSnapshotFromFiles([dir]);
    if (!load.ok) throw new Error(load.problems.join('; '));
    return snapshotBytes(load.snapshot).bytes;
  }

  it('is read again when it changes (rename or ConfigMap swap), and a bad one is refused', async () => {
    const dir = await tempDir();
    const file = join(dir, 'snapshot.json');
    await writeFile(file, await snapshotOf('/s1'));
    const { client, server, log } = await serve(['--snapshot-file', file]);
    expect(await allowedPath(client, '/s1')).toBe('allow');

    await atomicReplace(file, await snapshotOf('/s2'));
    await waitFor('/s2 allowed', () => allowedPath(client, '/s2'), (x) => x === 'allow', 5000);
    await atomicReplace(file, await snapshotOf('/s3'));
    await waitFor('/s3 allowed', () => allowedPath(client, '/s3'), (x) => x === 'allow', 5000);
    const good = server.holder.current()?.version;

    await atomicReplace(file, '{"version":"sha256:00000000000000000000000000000000","policies":[]}');
    await waitFor('the bad file to be refused', () => log.lines.some((l) => l['msg'] === 'snapshot file is invalid; keeping the snapshot in force'), Boolean, 5000);
    expect(server.holder.current()?.version).toBe(good);
    expect(await allowedPath(client, '/s3')).toBe('allow');
  });
});

describe('npm start', () => {
  it('enforces the examples alone, and only the policies given with -- --policies X', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'only.yaml'), yaml(onlyPath('/mine')));
    const run = async (extra: string[]) => {
      const grpcPort = await freePort();
      const httpPort = await freePort();
      const child = killOnExit(
        spawn('npm', ['start', '--silent', '--', ...extra, '--host', '127.0.0.1', '--grpc-port', String(grpcPort), '--check-port', '0', '--http-port', String(httpPort)], {
          cwd: root,
          stdio: ['ignore', 'pipe', 'pipe'],
          env: { ...process.env, PALISADE_POLICIES: '' },
          detached: true,
        }),
      );
      cleanup.push(() => {
        if (child.exitCode === null && child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      });
      let out = '';
      child.stdout.on('data', (d) => (out += String(d)));
      child.stderr.on('data', (d) => (out += String(d)));
      await waitFor('the server to be ready', () => fetch(`http://127.0.0.1:${httpPort}/readyz`).then((r) => r.ok, () => false), Boolean, 30_000, 100).catch((err: Error) => {
        throw new Error(`${err.message}\n${out}`);
      });
      const client = authzClient(grpcPort);
      cleanup.push(() => client.close());
      return client;
    };
    const examples = await run([]);
    expect(await verdictOf(examples, { host: 'catalog.example.com', path: '/products/1' })).toBe('allow');
    const mine = await run(['--policies', dir]);
    expect(await verdictOf(mine, { host: HOST, path: '/mine' })).toBe('allow');
    expect(await verdictOf(mine, { host: 'catalog.example.com', path: '/products/1' })).toBe('no-policy');
  });
});
