import { describe, expect, it } from 'vitest';
import { compareText } from './ordering.ts';

describe('compareText', () => {
  it('orders by code units, not by a locale: capitals before lower case, accents after ASCII', () => {
    expect(['b', 'a', 'B', 'é', 'e', '-x', 'A'].sort(compareText)).toEqual(['-x', 'A', 'B', 'a', 'b', 'e', 'é']);
    expect(compareText('ns/a', 'ns/a')).toBe(0);
  });
});
