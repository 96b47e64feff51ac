import { describe, expect, it } from 'vitest';
import { AccessLogPresence } from './access-log-presence.ts';

describe('access log presence', () => {
  it('is off until a message is heard, on until the grace after the last one, and says when it turns on', () => {
    let now = 1_000_000;
    const p = new AccessLogPresence({ clock: () => now, graceMs: 60_000 });
    expect(p.active()).toBe(false);
    expect(p.heard()).toBe(true);
    expect(p.active()).toBe(true);
    now += 59_000;
    expect(p.heard()).toBe(false);
    now += 59_000;
    expect(p.active()).toBe(true);
    now += 2000;
    expect(p.active()).toBe(false);
    expect(p.heard()).toBe(true);
  });
});
