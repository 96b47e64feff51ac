import { execFileSync } from 'node:child_process';
import { describe, expect, it, vi } from 'vitest';
import pino from 'pino';
import { collectStartupGarbage, operatorSetFlushFlags, STARTUP_FLUSH_FLAGS } from './startup-gc.ts';

describe('collectStartupGarbage', () => {
  it('does nothing without --expose-gc, then runs one memory-reducing major GC with code flushing once gc exists, and never again', () => {
    const logger = pino({ level: 'debug' }, { write: () => {} });
    const debug = vi.spyOn(logger, 'debug');
    const saved = globalThis.gc;
    const calls: string[] = [];
    const setFlags = (flags: string) => calls.push(`flags ${flags}`);
    try {
      globalThis.gc = undefined;
      collectStartupGarbage(logger, setFlags, []);
      expect(debug).not.toHaveBeenCalled();
      expect(calls).toEqual([]);

      const gc = vi.fn(() => calls.push('gc'));
      globalThis.gc = gc as unknown as NodeJS.GCFunction;
      collectStartupGarbage(logger, setFlags, []);
      expect(gc).toHaveBeenCalledWith({ type: 'major', execution: 'sync', flavor: 'last-resort' });
      // The flush flags hold for exactly the one collection, then V8's defaults are back.
      expect(calls).toEqual([`flags ${STARTUP_FLUSH_FLAGS.during.join(' ')}`, 'gc', `flags ${STARTUP_FLUSH_FLAGS.after.join(' ')}`]);
      expect(debug).toHaveBeenCalledTimes(1);
      collectStartupGarbage(logger, setFlags, []);
      expect(gc).toHaveBeenCalledTimes(1);
    } finally {
      globalThis.gc = saved;
    }
  });

  it('recognises an operator flag that the flush would overwrite, in either spelling', () => {
    expect(operatorSetFlushFlags(['--expose-gc', '--max-semi-space-size=2'])).toBe(false);
    expect(operatorSetFlushFlags(['--bytecode-old-age=3'])).toBe(true);
    expect(operatorSetFlushFlags(['--bytecode_old_age=3'])).toBe(true);
    expect(operatorSetFlushFlags(['--flush-baseline-code'])).toBe(true);
    expect(operatorSetFlushFlags(['--no-flush-baseline-code'])).toBe(true);
    expect(operatorSetFlushFlags(['--flush-bytecode'])).toBe(false);
  });

  it('returns to exactly the defaults of the V8 this Node carries (an upgrade that changes them fails here)', () => {
    const options = execFileSync(process.execPath, ['--v8-options'], { encoding: 'utf8' });
    const defaultOf = (flag: string) => new RegExp(`^\\s+--${flag}\\b[^\\n]*\\n\\s+type: \\S+\\s+default: (\\S+)`, 'm').exec(options)?.[1];
    expect([defaultOf('bytecode-old-age'), defaultOf('flush-baseline-code')]).toEqual([...STARTUP_FLUSH_FLAGS.after]);
  });
});
