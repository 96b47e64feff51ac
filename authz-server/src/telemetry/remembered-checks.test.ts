import { describe, expect, it } from 'vitest';
import { Canonical, RememberedChecks, partsKey } from './remembered-checks.ts';

describe('remembered Checks', () => {
  it('are taken once, the oldest go first beyond the bound, and a repeated id counts as the newest', () => {
    const r = new RememberedChecks<number>({ max: 2 });
    for (const [id, v] of [['a', 1], ['b', 2], ['a', 3], ['c', 4]] as const) if (r.accepts(id)) r.remember(id, v);
    expect(r.take('b')).toBeUndefined();
    expect(r.take('a')).toBe(3);
    expect(r.take('a')).toBeUndefined();
    expect(r.take('c')).toBe(4);
    expect(r.accepts('')).toBe(false);
    expect(r.take('')).toBeUndefined();
  });

  it('keep nothing while the access log is quiet, and drop what they kept when it goes quiet', () => {
    let on = true;
    const r = new RememberedChecks<string>({ remembering: () => on });
    if (r.accepts('x')) r.remember('x', 'kept');
    on = false;
    expect(r.accepts('y')).toBe(false);
    on = true;
    expect(r.take('x')).toBeUndefined();
  });
});

describe('canonical copies', () => {
  it('return the first value of a key until the bound clears them', () => {
    const c = new Canonical<string[]>(2);
    const first = ['a'];
    expect(c.of('k', first)).toBe(first);
    expect(c.of('k', ['a'])).toBe(first);
    c.of('l', ['b']);
    const after = ['a'];
    expect(c.of('k', after)).toBe(first);
    c.of('m', ['c']);
    expect(c.of('k', after)).toBe(after);
  });
});

describe('parts keys', () => {
  it('no two lists share one, whatever their parts hold', () => {
    const lists = [['a\u0000b', 'c'], ['a', 'b\u0000c'], ['a', 'b', 'c'], ['ab', 'c'], ['a', 'bc'], ['1:a', ''], ['', '1:a'], ['a:b'], []];
    expect(new Set(lists.map(partsKey)).size).toBe(lists.length);
  });
});
