/**
 * Standalone mode: policies (and API-key Secrets) from YAML files, compiled and hot-reloaded. Any error in the
 * files (an empty file, an unknown kind, a wrong apiVersion included) refuses the whole reload, so a typo never
 * silently drops a policy; the last good snapshot stays and the log says why.
 */
import type { Logger } from 'pino';
import { compileLoaded, formatLoadError, loadPolicyFiles } from '../../../lib/policy/load.ts';
import type { Snapshot, Violation } from '../../../lib/policy/snapshot.ts';
import { PathWatch, oneAtATime } from './path-watch.ts';
import type { SnapshotHolder } from './snapshot-holder.ts';

/** Outcome of loading the files once; `fingerprint` identifies the file contents read. */
export type FileLoad = ({ ok: true; snapshot: Snapshot; warnings: Violation[] } | { ok: false; problems: string[] }) & { fingerprint: string };

/** Reads, validates and compiles the files. Pure apart from reading them. */
export async function loadSnapshotFromFiles(paths: string[], now = new Date()): Promise<FileLoad> {
  const loaded = await loadPolicyFiles(paths);
  const { fingerprint } = loaded;
  const problems = loaded.errors.flatMap(formatLoadError);
  if (problems.length === 0 && loaded.documents.length === 0) problems.push(`no ApiProtectionPolicy documents in ${paths.join(', ')}`);
  if (problems.length > 0) return { ok: false, problems, fingerprint };
  const { snapshot, violations } = compileLoaded(loaded, now);
  const fatal = violations.filter((v) => !v.included);
  if (fatal.length > 0) return { ok: false, problems: fatal.map((v) => `${v.policy}: ${v.reason}: ${v.field ?? ''}: ${v.message}`), fingerprint };
  return { ok: true, snapshot, warnings: violations, fingerprint };
}

/** Options of a FileSource. */
export interface FileSourceOptions {
  /** Coalesces a burst of file events into one reload. Default 200 ms. */
  debounceMs?: number;
  /** Backstop re-check period (a reload only when the contents changed). Default 30 s; 0 disables it. */
  resyncMs?: number;
}

/** Loads once and then watches the paths (their directories: renames and symlink swaps included). */
export class FileSource {
  readonly #paths: string[];
  readonly #holder: SnapshotHolder;
  readonly #logger: Logger;
  readonly #opts: FileSourceOptions;
  #watch: PathWatch | null = null;
  readonly #serial = oneAtATime((onlyIfChanged: boolean) => this.#load(onlyIfChanged));
  /** Fingerprint of the contents last loaded, good or bad: unchanged files are not compiled (or logged) again. */
  #lastFingerprint: string | null = null;

  constructor(paths: string[], holder: SnapshotHolder, logger: Logger, opts: FileSourceOptions = {}) {
    this.#paths = paths;
    this.#holder = holder;
    this.#logger = logger.child({ component: 'file-source' });
    this.#opts = opts;
  }

  /**
   * Loads the files; resolves false (after logging every problem) when they are not valid, keeping the last good
   * snapshot. `onlyIfChanged` skips files whose contents were already loaded (watch events, the re-check).
   */
  reload(onlyIfChanged = false): Promise<boolean> {
    return this.#serial(onlyIfChanged);
  }

  async #load(onlyIfChanged: boolean): Promise<boolean> {
    const result = await loadSnapshotFromFiles(this.#paths);
    if (onlyIfChanged && result.fingerprint === this.#lastFingerprint) return result.ok;
    this.#lastFingerprint = result.fingerprint;
    if (!result.ok) {
      this.#holder.reportLoadError();
      this.#logger.error(
        { paths: this.#paths, problems: result.problems, keeping: this.#holder.current()?.version ?? null },
        `policy files rejected (${result.problems.length} problem(s)); keeping the last good snapshot`,
      );
      return false;
    }
    for (const w of result.warnings) this.#logger.warn({ policy: w.policy, reason: w.reason, field: w.field }, w.message);
    return this.#holder.apply(result.snapshot, `files:${this.#paths.join(',')}`).ok;
  }

  /** Starts watching for changes. */
  watch(): void {
    this.#watch ??= new PathWatch(this.#paths, () => void this.reload(true), this.#logger, this.#opts);
  }

  /** Stops watching. */
  close(): void {
    this.#watch?.close();
    this.#watch = null;
  }
}
