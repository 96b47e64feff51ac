/**
 * bench/bot-latency.ts measures what it claims to: started as the README says, under the server's V8 flags, it
 * prints a row per bot mode with bot scoring's counters only in the Monitor row, and `--times` writes one line per
 * measured Check of each row, which the slow Checks are matched with the GC trace by.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

describe('bench/bot-latency.ts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-bot-latency-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints Off and Monitor rows on the memory store and writes each measured Check to --times', { timeout: 120_000 }, () => {
    const times = join(dir, 'times.txt');
    const r = spawnSync(process.execPath, ['bench/bot-latency.ts', '--checks', '500', '--stores', 'memory', '--times', times], { encoding: 'utf8', timeout: 110_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    // Run under the server's V8 flags, as the server runs.
    expect(r.stdout).toContain("the server's V8 flags (--max-semi-space-size=2");
    const row = (bot: string) => r.stdout.split('\n').find((l) => l.startsWith(`| memory | ${bot} |`))?.split('|').map((c) => c.trim());
    const off = row('Off');
    const monitor = row('Monitor');
    expect(off).toBeDefined();
    expect(monitor).toBeDefined();
    // Column 9 is the store keys per Check: the per-IP limit alone with bot scoring off, its counters with it on.
    expect(Number(off![9])).toBe(1);
    expect(Number(monitor![9])).toBeGreaterThan(10);
    expect(r.stdout).toMatch(/added by bot scoring: memory p50 [+-]\d+ µs, p99 [+-]\d+ µs/);
    // 500 Checks, the first fifth warming up: 400 measured per row, each `store bot index µs start`.
    const lines = readFileSync(times, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(800);
    for (const bot of ['Off', 'Monitor']) {
      const mine = lines.filter((l) => l.startsWith(`memory ${bot} `)).map((l) => l.split(' '));
      expect(mine.map((f) => Number(f[2]))).toEqual(Array.from({ length: 400 }, (_, k) => 100 + k));
      for (const f of mine) {
        expect(Number(f[3])).toBeGreaterThan(0);
        expect(Number(f[4])).toBeGreaterThan(0);
      }
    }
  });
});
