import { spawnSync } from 'node:child_process';
import { getPriority } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { threadsOf, type ThreadInfo } from '../../../test/support/threads.ts';
import { GC_THREAD_NAME, lowerGcThreadPriority } from './gc-threads.ts';

/** Runs `body` in a Node process of its own (so the threads measured are exactly those it saw); its JSON result. */
function inChild<T>(body: string): T {
  const script = `
    const { lowerGcThreadPriority } = await import(${JSON.stringify(join(import.meta.dirname, 'gc-threads.ts'))});
    const { threadsOf } = await import(${JSON.stringify(join(import.meta.dirname, '../../../test/support/threads.ts'))});
    const { setPriority } = await import('node:os');
    ${body}`;
  const out = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  expect(out.stderr).toBe('');
  return JSON.parse(out.stdout) as T;
}

describe('lowerGcThreadPriority', () => {
  it('renices the V8 worker threads of a Node process and no other thread', () => {
    const { r, t, pid } = inChild<{ r: { reniced: number[] }; t: ThreadInfo[]; pid: number }>(`
      const r = lowerGcThreadPriority(19);
      console.log(JSON.stringify({ r, t: threadsOf(), pid: process.pid }));`);
    const workers = t.filter((x) => x.name === GC_THREAD_NAME);
    expect(workers.length).toBeGreaterThan(0);
    if (getPriority() < 19) expect(r.reniced.sort()).toEqual(workers.map((x) => x.tid).sort());
    for (const w of workers) expect(w.nice).toBe(19);
    // Every other thread keeps the process's own priority (the main thread's, inherited from this one).
    const main = t.find((x) => x.tid === pid) as { nice: number };
    expect(main.nice).toBe(getPriority());
    for (const other of t.filter((x) => x.name !== GC_THREAD_NAME)) expect(other.nice).toBe(main.nice);
  });

  it('never raises a priority: threads already at a higher nice value stay there', () => {
    const { r, nice } = inChild<{ r: { reniced: number[] }; nice: number[] }>(`
      const workers = () => threadsOf().filter((t) => t.name === ${JSON.stringify(GC_THREAD_NAME)});
      for (const t of workers()) setPriority(t.tid, 19);
      const r = lowerGcThreadPriority(10);
      console.log(JSON.stringify({ r, nice: workers().map((t) => t.nice) }));`);
    expect(nice.length).toBeGreaterThan(0);
    expect(nice.every((n) => n === 19)).toBe(true);
    expect(r.reniced).toEqual([]);
  });

  it('does nothing when disabled, and reports a missing /proc instead of throwing', () => {
    const before = threadsOf().map((t) => t.nice);
    expect(lowerGcThreadPriority(0)).toEqual({ reniced: [], skipped: 'disabled' });
    expect(threadsOf().map((t) => t.nice)).toEqual(before);
    const missing = lowerGcThreadPriority(19, '/nonexistent/task');
    expect(missing.reniced).toEqual([]);
    expect(missing.skipped).toMatch(/ENOENT/);
  });
});
