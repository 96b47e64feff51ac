/**
 * `npm run playground` end to end, as a newcomer runs it: a real control plane, Redis, the operator and an
 * authz-server come up, the example policies are enforced, one live verdict is printed, and `--once` tears it
 * all down again with exit 0.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

describe('npm run playground', () => {
  it('brings up a working Palisade on loopback and prints what to do next', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'palisade-playground-'));
    try {
      const { code, out, err } = await new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
        const child = spawn(process.execPath, ['playground/playground.ts', '--once', '--dir', dir], { cwd: root });
        let out = '';
        let err = '';
        child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
        child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
        child.on('close', (c) => resolve({ code: c, out, err }));
      });
      expect(code, `${out}\n${err}`).toBe(0);
      expect(out).toMatch(/shop\s+orders\s+\["orders\.shop\.svc\.cluster\.local","api\.example\.com"\]\s+Enforce\s+True\s+True\s+1\/1/);
      expect(out).toMatch(/palisade check --server 127\.0\.0\.1:\d+ .*\n\s+verdict: ALLOW\n/);
      expect(out).toContain(`export KUBECONFIG=${join(dir, 'kubeconfig')}`);
      expect(out).toMatch(/npm run palisade -- check --server 127\.0\.0\.1:\d+ --request/);
      expect(readFileSync(join(dir, 'operator.log'), 'utf8')).toContain('"msg":"became leader"');
      expect(readFileSync(join(dir, 'authz-server.log'), 'utf8')).toContain('snapshot stream established');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
