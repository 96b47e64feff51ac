/**
 * Standalone mode: policies (and API-key Secrets) from YAML files, compiled and hot-reloaded. Any error in the
 * files refuses the whole reload, so a typo never silently drops a policy; the last good snapshot stays and the
 * log says why.
 */
import { watch, type FSWatcher } from 'node:fs';
import type { Logger } from 'pino';
import { compile } from '../../../lib/policy/compile.ts';
import { formatLoadError, loadPolicyFiles } from '../../../lib/policy/load.ts';
import { secretsFrom } from '../../../lib/policy/secrets.ts';
import type { Snapshot, Violation } from '../../../lib/policy/snapshot.ts';
import type { SnapshotHolder } from './snapshot-holder.ts';

/** Outcome of loading the files once. */
export type FileLoad = { ok: true; snapshot: Snapshot; warnings: Violation[] } | { ok: false; problems: string[] };

/** Reads, validates and compiles the files. Pure apart from reading them. */
export async function loadSnapshotFromFiles(paths: string[], now = new Date()): Promise<FileLoad> {
  const loaded = await loadPolicyFiles(paths);
  const problems = loaded.errors.flatMap(formatLoadError);
  if (problems.length === 0 && loaded.documents.length === 0) problems.push(`no ApiProtectionPolicy documents in ${paths.join(', ')}`);
  if (problems.length > 0) return { ok: false, problems };
  const { snapshot, violations } = compile(loaded.documents, secretsFrom(loaded.others), now);
  const fatal = violations.filter((v) => !v.included);
  if (fatal.length > 0) return { ok: false, problems: fatal.map((v) => `${v.policy}: ${v.reason}: ${v.field ?? ''}: ${v.message}`) };
  return { ok: true, snapshot, warnings: violations };
}

/** Loads once and then watches the paths, debounced. */
export class FileSource {
  readonly #paths: string[];
  readonly #holder: SnapshotHolder;
  readonly #logger: Logger;
  readonly #debounceMs: number;
  #watchers: FSWatcher[] = [];
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> = Promise.resolve();

  constructor(paths: string[], holder: SnapshotHolder, logger: Logger, debounceMs = 200) {
    this.#paths = paths;
    this.#holder = holder;
    this.#logger = logger.child({ component: 'file-source' });
    this.#debounceMs = debounceMs;
  }

  /** Loads the files; resolves false (after logging every problem) when they are not valid. */
  async reload(): Promise<boolean> {
    const result = await loadSnapshotFromFiles(this.#paths);
    if (!result.ok) {
      this.#holder.reportLoadError();
      this.#logger.error({ paths: this.#paths, problems: result.problems }, `policy files rejected (${result.problems.length} problem(s)); keeping the last good snapshot`);
      return false;
    }
    for (const w of result.warnings) this.#logger.warn({ policy: w.policy, reason: w.reason, field: w.field }, w.message);
    return this.#holder.apply(result.snapshot, `files:${this.#paths.join(',')}`).ok;
  }

  /** Starts watching for changes. */
  watch(): void {
    for (const p of this.#paths) {
      try {
        const w = watch(p, { persistent: false }, () => this.#schedule());
        w.on('error', (err) => this.#logger.warn({ path: p, err: err.message }, 'watch error'));
        this.#watchers.push(w);
      } catch (err) {
        this.#logger.warn({ path: p, err: (err as Error).message }, 'cannot watch path; hot reload disabled for it');
      }
    }
  }

  #schedule(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#running = this.#running.then(() => this.reload().then(() => undefined));
    }, this.#debounceMs);
  }

  /** Stops watching. */
  close(): void {
    clearTimeout(this.#timer);
    for (const w of this.#watchers) w.close();
    this.#watchers = [];
  }
}
