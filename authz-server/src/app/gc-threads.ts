/**
 * V8's garbage-collection helper threads (Node names them `V8Worker`) at a lower CPU priority than the thread that
 * answers Checks. Measured with `npm run bench:ab` (bench/RESULTS.md): on a node whose cores are shared with other
 * processes, the helpers' concurrent marking competed with the JavaScript thread for CPU, and the Checks that
 * arrived while a mark-compact was under way waited for both; with the helpers niced they use spare CPU and the
 * JavaScript thread keeps its share. The default nice value is 10, not 19: at saturation, helpers at 19 fell behind
 * (peak RSS 116 against 110 MiB, same tail). Linux only (a thread id is a process id to `setpriority`); elsewhere, or
 * when `/proc` cannot be read, nothing changes and the reason is returned.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';

/** The name Node gives the V8 platform's worker threads. */
export const GC_THREAD_NAME = 'V8Worker';

/** What `lowerGcThreadPriority` did: the thread ids it reniced, or why it did nothing. */
export interface GcThreadPriorityResult {
  reniced: number[];
  skipped?: string;
}

/**
 * Sets the nice value of this process's V8 worker threads to `nice` (1-19; 0 does nothing), unless a thread's is
 * already that high. Raising a thread's nice value needs no privilege. Never throws.
 */
export function lowerGcThreadPriority(nice: number, taskDir = '/proc/self/task'): GcThreadPriorityResult {
  if (nice <= 0) return { reniced: [], skipped: 'disabled' };
  if (process.platform !== 'linux') return { reniced: [], skipped: `not on Linux (${process.platform})` };
  const reniced: number[] = [];
  try {
    for (const tid of readdirSync(taskDir)) {
      let name: string;
      try {
        name = readFileSync(`${taskDir}/${tid}/comm`, 'utf8').trim();
      } catch {
        continue; // the thread ended meanwhile
      }
      if (name !== GC_THREAD_NAME) continue;
      // Never raise a priority: a process started at a higher nice value keeps its helpers there.
      if (getPriority(Number(tid)) >= nice) continue;
      setPriority(Number(tid), nice);
      reniced.push(Number(tid));
    }
  } catch (err) {
    return { reniced, skipped: (err as Error).message };
  }
  return reniced.length > 0 ? { reniced } : { reniced, skipped: `no ${GC_THREAD_NAME} thread` };
}
