import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { getPriority } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GC_THREAD_NAME, lowerGcThreadPriority } from './gc-threads.ts';

/** Thread name and nice value (field 19 of /proc/<pid>/task/<tid>/stat) of every thread of a process. */
function threads(pid: number | 'self'): Array<{ tid: number; name: string; nice: number }> {
  return readdirSync(`/proc/${pid}/task`).map((tid) => {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { tid: Number(tid), name: readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim(), nice: Number(fields[16]) };
  });
}

describe('lowerGcThreadPriority', () => {
  it('renices the V8 worker threads of a Node process and no other thread', () => {
    // A process of its own, so the threads measured are exactly those the call saw.
    const script = `
      const { lowerGcThreadPriority } = await import(${JSON.stringify(join(import.meta.dirname, 'gc-threads.ts'))});
      const r = lowerGcThreadPriority(19);
      const { readFileSync, readdirSync } = await import('node:fs');
      const t = readdirSync('/proc/self/task').map((tid) => {
        const stat = readFileSync('/proc/self/task/' + tid + '/stat', 'utf8');
        return { tid: Number(tid), name: readFileSync('/proc/self/task/' + tid + '/comm', 'utf8').trim(), nice: Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]) };
      });
      console.log(JSON.stringify({ r, t, pid: process.pid }));`;
    const out = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(out.stderr).toBe('');
    const { r, t, pid } = JSON.parse(out.stdout) as { r: { reniced: number[] }; t: Array<{ tid: number; name: string; nice: number }>; pid: number };
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
    const script = `
      const { setPriority } = await import('node:os');
      const { readFileSync, readdirSync } = await import('node:fs');
      const { GC_THREAD_NAME, lowerGcThreadPriority } = await import(${JSON.stringify(join(import.meta.dirname, 'gc-threads.ts'))});
      const workers = readdirSync('/proc/self/task').filter((tid) => readFileSync('/proc/self/task/' + tid + '/comm', 'utf8').trim() === GC_THREAD_NAME);
      for (const tid of workers) setPriority(Number(tid), 19);
      const r = lowerGcThreadPriority(10);
      const nice = workers.map((tid) => { const s = readFileSync('/proc/self/task/' + tid + '/stat', 'utf8'); return Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[16]); });
      console.log(JSON.stringify({ r, nice }));`;
    const out = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(out.stderr).toBe('');
    const { r, nice } = JSON.parse(out.stdout) as { r: { reniced: number[] }; nice: number[] };
    expect(nice.length).toBeGreaterThan(0);
    expect(nice.every((n) => n === 19)).toBe(true);
    expect(r.reniced).toEqual([]);
  });

  it('does nothing when disabled, and reports a missing /proc instead of throwing', () => {
    const before = threads('self').map((t) => t.nice);
    expect(lowerGcThreadPriority(0)).toEqual({ reniced: [], skipped: 'disabled' });
    expect(threads('self').map((t) => t.nice)).toEqual(before);
    const missing = lowerGcThreadPriority(19, '/nonexistent/task');
    expect(missing.reniced).toEqual([]);
    expect(missing.skipped).toMatch(/ENOENT/);
  });
});
