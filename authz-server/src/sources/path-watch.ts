/**
 * Watches policy and snapshot files so that every way a file gets replaced is seen. A watch on the file itself
 * goes deaf after the first atomic replace (an editor's or `mv`'s rename swaps the inode), and Kubernetes updates
 * a mounted ConfigMap by swapping the `..data` symlink next to the file, which never touches the file's own name.
 * So the DIRECTORY holding each file is watched (and a directory given as a path is watched itself), for the
 * file's name, its symlink target's name and the kubelet's `..`-prefixed entries; a periodic re-check backs the
 * watch up (events lost on overlay or network file systems). The callback only says "look again": the caller
 * decides whether the content changed.
 */
import { realpathSync, statSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { Logger } from 'pino';

/** Options of a PathWatch. */
export interface PathWatchOptions {
  /** Delay that coalesces a burst of events (an atomic replace is several) into one callback. Default 200 ms. */
  debounceMs?: number;
  /** Period of the backstop re-check; 0 disables it. Default 30 s. */
  resyncMs?: number;
}

/** Which entries of a watched directory matter; null = all of them. */
type Interest = Set<string> | null;

function interests(paths: string[]): Map<string, Interest> {
  const dirs = new Map<string, Interest>();
  const add = (dir: string, name: string | null) => {
    const prior = dirs.get(dir);
    if (prior === null) return;
    if (name === null) dirs.set(dir, null);
    else dirs.set(dir, new Set([...(prior ?? []), name]));
  };
  for (const p of paths) {
    const abs = resolve(p);
    let isDir = false;
    try {
      isDir = statSync(abs).isDirectory();
    } catch {
      // Not there (yet): watch where it would appear.
    }
    if (isDir) {
      add(abs, null);
      continue;
    }
    add(dirname(abs), basename(abs));
    try {
      const real = realpathSync(abs);
      if (real !== abs) add(dirname(real), basename(real));
    } catch {
      // A dangling symlink is watched by name; the next event or re-check finds its target.
    }
  }
  return dirs;
}

/** Watches paths until close(); calls `onChange` (debounced) when one of them may have changed. */
export class PathWatch {
  readonly #paths: string[];
  readonly #onChange: () => void;
  readonly #logger: Logger;
  readonly #debounceMs: number;
  #watchers: FSWatcher[] = [];
  #debounce: NodeJS.Timeout | undefined;
  #resync: NodeJS.Timeout | undefined;
  #closed = false;

  constructor(paths: string[], onChange: () => void, logger: Logger, opts: PathWatchOptions = {}) {
    this.#paths = paths;
    this.#onChange = onChange;
    this.#logger = logger;
    this.#debounceMs = opts.debounceMs ?? 200;
    this.#arm();
    const resyncMs = opts.resyncMs ?? 30_000;
    if (resyncMs > 0) {
      this.#resync = setInterval(() => this.#fire(true), resyncMs);
      this.#resync.unref();
    }
  }

  /** (Re)creates the directory watchers; symlink targets may have moved since the last time. */
  #arm(): void {
    for (const w of this.#watchers) w.close();
    this.#watchers = [];
    for (const [dir, wanted] of interests(this.#paths)) {
      try {
        const w = watch(dir, { persistent: false }, (_event, name) => {
          const entry = name === null ? null : String(name);
          if (wanted === null || entry === null || wanted.has(entry) || entry.startsWith('..')) this.#fire(false);
        });
        w.on('error', (err) => this.#logger.warn({ dir, err: err.message }, 'watch error; the periodic re-check still applies'));
        this.#watchers.push(w);
      } catch (err) {
        this.#logger.warn({ dir, err: (err as Error).message }, 'cannot watch directory; only the periodic re-check applies');
      }
    }
  }

  #fire(periodic: boolean): void {
    if (this.#closed) return;
    if (periodic) {
      this.#arm();
      this.#onChange();
      return;
    }
    clearTimeout(this.#debounce);
    this.#debounce = setTimeout(() => {
      if (this.#closed) return;
      this.#arm();
      this.#onChange();
    }, this.#debounceMs);
  }

  /** Stops watching. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#debounce);
    clearInterval(this.#resync);
    for (const w of this.#watchers) w.close();
    this.#watchers = [];
  }
}

/**
 * Wraps an async function so that calls run one after another, never overlapping (two watch events must not load
 * and apply files concurrently). A failed call does not stop the ones after it.
 */
export function oneAtATime<A, R>(fn: (arg: A) => Promise<R>): (arg: A) => Promise<R> {
  let running: Promise<unknown> = Promise.resolve();
  return (arg) => {
    const run = running.then(() => fn(arg));
    running = run.catch(() => undefined);
    return run;
  };
}
