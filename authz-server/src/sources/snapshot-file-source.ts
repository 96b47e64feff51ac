/**
 * The snapshot file (`--snapshot-file`: the operator's ConfigMap mounted into the pod, plain or gzip JSON): read
 * at start so that a restarted authz-server enforces the last known policy while the operator is away, and read
 * again whenever it changes (the kubelet swaps the mounted file in place). Every read is validated like a pushed
 * snapshot; a bad or missing file never displaces the snapshot in force. While the operator's stream is up it is
 * the authority: a file update (which lags the stream) is then not applied, so it cannot roll a newer snapshot back.
 */
import { readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { parseSnapshotBytes } from '../../../lib/distribution/codec.ts';
import { PathWatch, oneAtATime, type PathWatchOptions } from './path-watch.ts';
import type { SnapshotHolder } from './snapshot-holder.ts';

/** What one read of the file did. */
export type SnapshotFileLoad = { ok: true; version: string } | { ok: false; error: string };

/** Options of a SnapshotFileSource. */
export interface SnapshotFileSourceOptions extends PathWatchOptions {
  /** True while another source (the operator stream) is authoritative: file changes are then only noted. */
  superseded?: () => boolean;
  /** Called after a snapshot read from the file is in force. */
  onApplied?: () => void;
}

export class SnapshotFileSource {
  readonly #path: string;
  readonly #holder: SnapshotHolder;
  readonly #logger: Logger;
  readonly #opts: SnapshotFileSourceOptions;
  #watch: PathWatch | null = null;
  readonly #serial = oneAtATime((onlyIfChanged: boolean) => this.#load(onlyIfChanged));
  #lastFingerprint: string | null = null;

  constructor(path: string, holder: SnapshotHolder, logger: Logger, opts: SnapshotFileSourceOptions = {}) {
    this.#path = path;
    this.#holder = holder;
    this.#logger = logger.child({ component: 'snapshot-file', path });
    this.#opts = opts;
  }

  /** Reads the file and applies it; `onlyIfChanged` skips contents already read. Never rejects. */
  load(onlyIfChanged = false): Promise<SnapshotFileLoad> {
    return this.#serial(onlyIfChanged);
  }

  async #load(onlyIfChanged: boolean): Promise<SnapshotFileLoad> {
    let bytes: Buffer;
    try {
      bytes = await readFile(this.#path);
    } catch (err) {
      const error = `cannot read snapshot file ${this.#path}: ${(err as Error).message}`;
      if (!(onlyIfChanged && this.#lastFingerprint === `error:${error}`)) this.#logger.warn({ err: (err as Error).message }, 'no snapshot file to read');
      this.#lastFingerprint = `error:${error}`;
      return { ok: false, error };
    }
    const fingerprint = createHash('sha256').update(bytes).digest('hex');
    const unchanged = fingerprint === this.#lastFingerprint;
    this.#lastFingerprint = fingerprint;
    if (onlyIfChanged && unchanged) return { ok: true, version: this.#holder.current()?.version ?? '' };
    const parsed = parseSnapshotBytes(bytes);
    if (!parsed.ok) {
      this.#holder.reportLoadError();
      this.#logger.error({ err: parsed.error, keeping: this.#holder.current()?.version ?? null }, 'snapshot file is invalid; keeping the snapshot in force');
      return { ok: false, error: parsed.error };
    }
    if (onlyIfChanged && this.#opts.superseded?.()) {
      this.#logger.info({ version: parsed.snapshot.version, enforcing: this.#holder.current()?.version ?? null }, 'snapshot file changed; the operator stream is authoritative, not applying it');
      return { ok: true, version: parsed.snapshot.version };
    }
    const applied = this.#holder.apply(parsed.snapshot, `file:${this.#path}`);
    if (applied.ok) this.#opts.onApplied?.();
    return applied.ok ? { ok: true, version: parsed.snapshot.version } : { ok: false, error: applied.error };
  }

  /** Starts watching the file (its directory: the kubelet's symlink swaps included). */
  watch(): void {
    this.#watch ??= new PathWatch([this.#path], () => void this.load(true), this.#logger, this.#opts);
  }

  /** Stops watching. */
  close(): void {
    this.#watch?.close();
    this.#watch = null;
  }
}
