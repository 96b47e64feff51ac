/**
 * One memory-reducing full collection (V8's "last resort" GC: several mark-compacts, new space shrunk, free pages
 * returned) when the server first reports SERVING, before it is ready for traffic: what start-up allocated and no
 * longer uses (parsing the protos and policy files, compiling the snapshot) is otherwise held until load makes V8
 * collect. Measured 4-6 MiB of idle RSS (bench/RESULTS.md). `gc` exists only with `--expose-gc`, which
 * AUTHZ_NODE_FLAGS passes; without it (tests running the sources) nothing happens.
 */
import type { Logger } from 'pino';

let done = false;

/** Collects start-up garbage once per process; later calls do nothing. */
export function collectStartupGarbage(logger: Logger): void {
  if (done || typeof globalThis.gc !== 'function') return;
  done = true;
  const start = performance.now();
  globalThis.gc({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  logger.debug({ ms: Math.round(performance.now() - start) }, 'start-up garbage collected');
}
