import { describe, expect, it, vi } from 'vitest';
import pino from 'pino';
import { collectStartupGarbage } from './startup-gc.ts';

describe('collectStartupGarbage', () => {
  it('does nothing without --expose-gc, then runs one memory-reducing major GC once gc exists, and never again', () => {
    const logger = pino({ level: 'debug' }, { write: () => {} });
    const debug = vi.spyOn(logger, 'debug');
    const saved = globalThis.gc;
    try {
      globalThis.gc = undefined;
      collectStartupGarbage(logger);
      expect(debug).not.toHaveBeenCalled();

      const gc = vi.fn();
      globalThis.gc = gc as unknown as NodeJS.GCFunction;
      collectStartupGarbage(logger);
      expect(gc).toHaveBeenCalledTimes(1);
      expect(gc).toHaveBeenCalledWith({ type: 'major', execution: 'sync', flavor: 'last-resort' });
      expect(debug).toHaveBeenCalledTimes(1);
      collectStartupGarbage(logger);
      expect(gc).toHaveBeenCalledTimes(1);
    } finally {
      globalThis.gc = saved;
    }
  });
});
