import { setTimeout as sleep } from 'node:timers/promises';
import { MemoryCounterStore } from '../../authz-server/src/store/memory-store.ts';
import type { CounterBatch, CounterStore } from '../../authz-server/src/store/counter-store.ts';

/** A counter store that answers after `delayMs` (a slow Redis), for deadlines and work still in flight. */
export class SlowStore implements CounterStore {
  readonly kind = 'memory';
  readonly #inner = new MemoryCounterStore();
  readonly delayMs: number;
  constructor(delayMs: number) {
    this.delayMs = delayMs;
  }
  isHealthy(): boolean {
    return true;
  }
  async evaluate(batch: CounterBatch) {
    await sleep(this.delayMs);
    return this.#inner.evaluate(batch);
  }
  async close(): Promise<void> {}
}
