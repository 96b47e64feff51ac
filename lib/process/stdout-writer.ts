/**
 * The process's log destination: every log line (pino's and the decision log's batches) written to stdout from the
 * JavaScript thread, in order, by one writer. A pipe (a container's stdout) is made non-blocking, so a write never
 * waits for the reader: what the pipe does not take is kept, in order, and written when it has room again, and all
 * of it synchronously when the process exits. pino's own asynchronous destination writes each batch in the thread
 * pool, a hop there and back per write that cost a flood of denials about half of its decision log (bench/RESULTS.md).
 */
import { fstatSync, writeSync } from 'node:fs';

/** How often what a full pipe did not take is tried again. */
export const RETRY_MS = 5;

/** Longest the exit waits for a full pipe to take what is left. */
export const EXIT_FLUSH_MS = 2000;

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** A pino destination writing to a file descriptor from the JavaScript thread; see the module comment. */
export class StdoutWriter {
  readonly #fd: number;
  /** What the descriptor has not taken yet, oldest first. */
  #queue: Buffer[] = [];
  #queuedBytes = 0;
  #timer: NodeJS.Timeout | undefined;
  #broken = false;
  readonly #onExit = () => this.flushSync();

  /** `fd` 1 is stdout; when it is a pipe or a socket, touching process.stdout makes it non-blocking (libuv opens it so). */
  constructor(fd = 1) {
    this.#fd = fd;
    let pipe = false;
    try {
      const st = fstatSync(fd);
      pipe = st.isFIFO() || st.isSocket();
    } catch {
      // A closed stdout: writes fail and end the writing (see #tryWrite), the process goes on.
    }
    if (fd === 1 && pipe) void process.stdout;
    process.on('exit', this.#onExit);
  }

  /** Bytes kept because the descriptor was full. */
  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  /** Writes `data` now, or keeps it (after whatever is kept already) until the descriptor has room. */
  write(data: string | Buffer): boolean {
    if (this.#broken) return true;
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    if (this.#queue.length === 0) {
      const rest = this.#tryWrite(buf);
      if (rest === null) return true;
      this.#keep(rest);
    } else this.#keep(buf);
    return false;
  }

  /** pino's flush: writes out what is kept, waiting for the descriptor if it must. */
  flush(cb?: (err?: Error) => void): void {
    this.flushSync();
    cb?.();
  }

  /**
   * Writes out everything kept, waiting up to EXIT_FLUSH_MS for a full pipe; used at exit. What a pipe still did not
   * take then stays kept and is tried again as before.
   */
  flushSync(): void {
    const deadline = Date.now() + EXIT_FLUSH_MS;
    while (this.#queue.length > 0 && !this.#broken) {
      this.#drain();
      if (this.#queue.length === 0 || Date.now() > deadline) break;
      Atomics.wait(sleeper, 0, 0, 1);
    }
  }

  #keep(buf: Buffer): void {
    this.#queue.push(buf);
    this.#queuedBytes += buf.length;
    this.#timer ??= setTimeout(() => this.#retry(), RETRY_MS).unref();
  }

  #retry(): void {
    this.#timer = undefined;
    this.#drain();
    if (this.#queue.length > 0) this.#timer = setTimeout(() => this.#retry(), RETRY_MS).unref();
  }

  /** Writes what is kept until the descriptor is full again. */
  #drain(): void {
    while (this.#queue.length > 0) {
      const head = this.#queue[0]!;
      const rest = this.#tryWrite(head);
      // A broken descriptor has dropped the whole queue already.
      if (this.#broken) return;
      if (rest === null) {
        this.#queue.shift();
        this.#queuedBytes -= head.length;
        continue;
      }
      this.#queuedBytes -= head.length - rest.length;
      this.#queue[0] = rest;
      return;
    }
  }

  /** Writes as much of `buf` as the descriptor takes now: null when all of it, else the rest. */
  #tryWrite(buf: Buffer): Buffer | null {
    let off = 0;
    while (off < buf.length) {
      try {
        off += writeSync(this.#fd, buf, off, buf.length - off);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN' || code === 'EWOULDBLOCK') return buf.subarray(off);
        // The reader is gone (EPIPE) or the descriptor is unusable: nothing more can be written, and logging
        // must not take the process down.
        this.#broken = true;
        this.#queue = [];
        this.#queuedBytes = 0;
        return null;
      }
    }
    return null;
  }
}

let shared: StdoutWriter | undefined;

/** The process's one writer of stdout (made on first use). */
export function stdoutWriter(): StdoutWriter {
  return (shared ??= new StdoutWriter(1));
}
