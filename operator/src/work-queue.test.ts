import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WorkQueue } from './work-queue.ts';

function deferred(): { promise: Promise<void>; resolve: () => void; reject: (e: unknown) => void } {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const flush = () => new Promise<void>((r) => setImmediate(r));


describe('WorkQueue', () => {
  it('dedups a key added many times while waiting', async () => {
    const q = new WorkQueue();
    q.add('a');
    q.add('a');
    q.add('b');
    q.add('a');
    expect(q.length).toBe(2);
    const seen: string[] = [];
    q.start(async (k) => {
      seen.push(k);
    });
    await q.idle();
    expect(seen).toEqual(['a', 'b']);
  });

  it('never runs one key twice at once; an add during a run means one more run after it', async () => {
    const q = new WorkQueue({ concurrency: 4 });
    const gates: Array<ReturnType<typeof deferred>> = [];
    let running = 0;
    let maxRunning = 0;
    let runs = 0;
    q.start(async () => {
      running++;
      runs++;
      maxRunning = Math.max(maxRunning, running);
      const g = deferred();
      gates.push(g);
      await g.promise;
      running--;
    });
    q.add('k');
    await flush();
    expect(q.processingCount).toBe(1);
    q.add('k');
    q.add('k');
    q.add('k');
    await flush();
    expect(runs).toBe(1);
    gates[0]!.resolve();
    await flush();
    expect(runs).toBe(2);
    gates[1]!.resolve();
    await q.idle();
    expect(runs).toBe(2);
    expect(maxRunning).toBe(1);
  });

  it('runs different keys in parallel up to the concurrency', async () => {
    const q = new WorkQueue({ concurrency: 2 });
    const gates = new Map<string, ReturnType<typeof deferred>>();
    q.start(async (k) => {
      const g = deferred();
      gates.set(k, g);
      await g.promise;
    });
    q.add('a');
    q.add('b');
    q.add('c');
    await flush();
    expect(q.processingCount).toBe(2);
    expect(q.length).toBe(1);
    gates.get('a')!.resolve();
    await flush();
    expect([...gates.keys()]).toEqual(['a', 'b', 'c']);
    gates.get('b')!.resolve();
    gates.get('c')!.resolve();
    await q.idle();
  });

  describe('with fake timers', () => {
    beforeEach(() => vi.useFakeTimers());
    afterEach(() => vi.useRealTimers());

    it('retries a failing key with exponential backoff and resets after success', async () => {
      const errors: Array<[number, number]> = [];
      const q = new WorkQueue<string>({ baseDelayMs: 100, maxDelayMs: 1_000, random: () => 1, onError: (_k, _e, n, d) => errors.push([n, d]) });
      let calls = 0;
      const times: number[] = [];
      const start = Date.now();
      q.start(async () => {
        calls++;
        times.push(Date.now() - start);
        if (calls <= 5) throw new Error('boom');
      });
      q.add('x');
      await vi.advanceTimersByTimeAsync(0);
      for (let i = 0; i < 10; i++) await vi.advanceTimersByTimeAsync(1_000);
      expect(calls).toBe(6);
      expect(errors).toEqual([
        [1, 100],
        [2, 200],
        [3, 400],
        [4, 800],
        [5, 1_000],
      ]);
      expect(times).toEqual([0, 100, 300, 700, 1_500, 2_500]);
      expect(q.failures('x')).toBe(0);
    });

    it('keeps failure counts per key', async () => {
      const q = new WorkQueue<string>({ baseDelayMs: 100, random: () => 1 });
      q.start(async (k) => {
        if (k === 'bad') throw new Error('no');
      });
      q.add('bad');
      q.add('good');
      await vi.advanceTimersByTimeAsync(0);
      await vi.advanceTimersByTimeAsync(100);
      expect(q.failures('bad')).toBe(2);
      expect(q.failures('good')).toBe(0);
      expect(q.delayedCount).toBe(1);
      await q.shutdown();
      expect(q.delayedCount).toBe(0);
    });

    it('honours requeueAfterMs and an earlier addAfter wins over a later one', async () => {
      const q = new WorkQueue<string>();
      const runs: number[] = [];
      const start = Date.now();
      let first = true;
      q.start(async () => {
        runs.push(Date.now() - start);
        if (first) {
          first = false;
          return { requeueAfterMs: 500 };
        }
        return undefined;
      });
      q.add('p');
      await vi.advanceTimersByTimeAsync(0);
      q.addAfter('p', 2_000);
      await vi.advanceTimersByTimeAsync(3_000);
      expect(runs).toEqual([0, 500]);
    });

    it('addRateLimited counts and delays; forget resets', () => {
      const q = new WorkQueue<string>({ baseDelayMs: 10, random: () => 1 });
      expect(q.addRateLimited('k')).toBe(10);
      expect(q.addRateLimited('k')).toBe(20);
      expect(q.failures('k')).toBe(2);
      q.forget('k');
      expect(q.failures('k')).toBe(0);
    });
  });

  it('shutdown waits for running handlers and ignores later adds', async () => {
    const q = new WorkQueue();
    const g = deferred();
    let done = false;
    q.start(async () => {
      await g.promise;
      done = true;
    });
    q.add('a');
    await flush();
    const stopping = q.shutdown();
    q.add('b');
    setTimeout(() => g.resolve(), 10);
    await stopping;
    expect(done).toBe(true);
    expect(q.length).toBe(0);
  });
});
