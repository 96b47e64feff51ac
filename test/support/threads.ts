/**
 * The threads of a Linux process as /proc shows them: id, name (`comm`) and nice value (field 19 of
 * `/proc/<pid>/task/<tid>/stat`; the fields after the parenthesised name, which may itself hold spaces).
 */
import { readFileSync, readdirSync } from 'node:fs';

/** One thread of a process. */
export interface ThreadInfo {
  tid: number;
  name: string;
  nice: number;
}

/** Every thread of process `pid` (or of this one). */
export function threadsOf(pid: number | 'self' = 'self'): ThreadInfo[] {
  return readdirSync(`/proc/${pid}/task`).map((tid) => {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    return { tid: Number(tid), name: readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim(), nice: Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]) };
  });
}
