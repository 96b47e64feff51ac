import { describe, expect, it } from 'vitest';
import { DistinctWindow } from './distinct-window.ts';

describe('DistinctWindow', () => {
  it('counts distinct keys per group within the window and forgets older ones', () => {
    let now = 0;
    const w = new DistinctWindow({ windowMs: 60_000, maxPerGroup: 100, clock: () => now });
    w.add('a', '1.2.3.4');
    w.add('a', '1.2.3.4');
    w.add('a', '5.6.7.8');
    w.add('b', 'x');
    expect(w.counts()).toEqual(new Map([['a', 2], ['b', 1]]));
    now = 30_000;
    w.add('a', '1.2.3.4'); // seen again: stays
    now = 61_000;
    expect(w.counts()).toEqual(new Map([['a', 1], ['b', 0]]));
    now = 200_000;
    expect(w.counts()).toEqual(new Map([['a', 0]]));
    expect(w.counts()).toEqual(new Map());
  });

  it('is bounded per group (oldest key dropped)', () => {
    const w = new DistinctWindow({ windowMs: 60_000, maxPerGroup: 3, clock: () => 1 });
    for (const k of ['a', 'b', 'c', 'd', 'e']) w.add('g', k);
    expect(w.counts().get('g')).toBe(3);
  });
});
