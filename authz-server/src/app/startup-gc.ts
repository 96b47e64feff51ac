/**
 * One memory-reducing full collection (V8's "last resort" GC: several mark-compacts, new space shrunk, free pages
 * returned) when the server first reports SERVING, before it is ready for traffic: what start-up allocated and no
 * longer uses (parsing the protos and policy files, compiling the snapshot) is otherwise held until load makes V8
 * collect. Measured 4-6 MiB of idle RSS (bench/RESULTS.md). `gc` exists only with `--expose-gc`, which
 * AUTHZ_NODE_FLAGS passes; without it (tests running the sources) nothing happens.
 *
 * During that one collection V8 also drops the bytecode and baseline code of every function that has not run since
 * the collection before it (`--bytecode-old-age=1 --flush-baseline-code`, set for the call and reset to V8's
 * defaults after it): code that only start-up ran (loading protos, parsing YAML, compiling schemas), 1.3 MiB of
 * bytecode and 0.7 MiB of code, about 1 MiB of idle RSS. A flushed function that runs again is compiled again on
 * its first call. An operator who set either flag keeps it: then the flags are left alone.
 */
import { getHeapCodeStatistics, setFlagsFromString } from 'node:v8';
import type { Logger } from 'pino';

/** The flags the start-up collection flushes with, and the defaults of Node 24's V8 they return to (the test checks them). */
export const STARTUP_FLUSH_FLAGS = { during: ['--bytecode-old-age=1', '--flush-baseline-code'], after: ['--bytecode-old-age=6', '--no-flush-baseline-code'] } as const;

let done = false;

/** Whether the process was started with a flag the start-up flush would change (then it leaves them alone). */
export function operatorSetFlushFlags(argv: readonly string[]): boolean {
  return argv.some((a) => /^--(no-)?(bytecode[-_]old[-_]age|flush[-_]baseline[-_]code)\b/.test(a));
}

/**
 * Collects start-up garbage once per process; later calls do nothing. `setFlags` and `argv` (execArgv plus
 * NODE_OPTIONS) are parameters for the tests.
 */
export function collectStartupGarbage(logger: Logger, setFlags: (flags: string) => void = setFlagsFromString, argv: readonly string[] = [...process.execArgv, ...(process.env['NODE_OPTIONS'] ?? '').split(/\s+/)]): void {
  if (done || typeof globalThis.gc !== 'function') return;
  done = true;
  const start = performance.now();
  const bytecodeBefore = getHeapCodeStatistics().bytecode_and_metadata_size;
  const flush = !operatorSetFlushFlags(argv);
  if (flush) setFlags(STARTUP_FLUSH_FLAGS.during.join(' '));
  try {
    globalThis.gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  } finally {
    if (flush) setFlags(STARTUP_FLUSH_FLAGS.after.join(' '));
  }
  const bytecode = [bytecodeBefore, getHeapCodeStatistics().bytecode_and_metadata_size];
  logger.debug({ ms: Math.round(performance.now() - start), flushedStartupCode: flush, bytecode }, 'start-up garbage collected');
}
