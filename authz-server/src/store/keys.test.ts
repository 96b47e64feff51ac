import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { KEY_PARTS_MEMO, KEY_PARTS_MEMO_ENTRY_CHARS, KEY_PARTS_MEMO_TOTAL_CHARS, bucketKeys, keyPartsMemoSize, counterPrefix, distinctPrefix, hashKeyParts, hashTagOf, keySegment, policyPrefix, rateLimitKey } from './keys.ts';

describe('keys', () => {
  it('rate-limit keys have the documented layout', () => {
    const k = rateLimitKey('shop/orders', 'per-ip', ['192.0.2.1']);
    expect(k).toMatch(/^pal:\{shop\/orders\}:rl:per-ip:[A-Za-z0-9_-]{22}$/);
    expect(k).toBe(rateLimitKey('shop/orders', 'per-ip', ['192.0.2.1']));
  });

  it('all keys of one policy share one hash tag, whatever the names and parts', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.array(fc.string({ unit: 'binary' })), fc.integer({ min: 0, max: 2 ** 42 }), (policy, name, parts, now) => {
        const tag = hashTagOf(rateLimitKey(policy, 'x', []));
        expect(hashTagOf(rateLimitKey(policy, name, parts))).toBe(tag);
        for (const key of bucketKeys(counterPrefix(policy, name, parts), now, 10_000, 3)) expect(hashTagOf(key)).toBe(tag);
        for (const key of bucketKeys(distinctPrefix(policy, name, parts), now, 60_000, 2)) expect(hashTagOf(key)).toBe(tag);
      }),
    );
  });

  it('keys stay short and printable whatever the key parts contain', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.array(fc.string({ unit: 'binary', maxLength: 5000 })), (policy, name, parts) => {
        const k = rateLimitKey(policy, name, parts);
        expect(k).toMatch(/^pal:\{[A-Za-z0-9._/@~-]+\}:rl:[A-Za-z0-9._/@~-]+:[A-Za-z0-9_-]{22}$/);
        expect(k.length).toBeLessThan(260);
      }),
    );
  });

  it('unsafe names are hashed, never spliced in (no hash-tag or separator injection)', () => {
    expect(keySegment('a}b{c')).toMatch(/^~[A-Za-z0-9_-]{22}$/);
    expect(keySegment('with:colon')).toMatch(/^~/);
    expect(keySegment('')).toMatch(/^~/);
    expect(keySegment('ok-name_1.2')).toBe('ok-name_1.2');
    const evil = rateLimitKey('p', 'x', ['}{other']);
    expect(hashTagOf(evil)).toBe('p');
    expect(hashTagOf(rateLimitKey('a}{b', 'x', []))).not.toBe('a');
  });

  it('parts are hashed unambiguously', () => {
    expect(hashKeyParts(['a,b'])).not.toBe(hashKeyParts(['a', 'b']));
    expect(hashKeyParts(['ab', ''])).not.toBe(hashKeyParts(['a', 'b']));
    expect(hashKeyParts([])).not.toBe(hashKeyParts(['']));
    expect(rateLimitKey('p', 'l', ['1'])).not.toBe(rateLimitKey('p', 'l', ['2']));
    expect(rateLimitKey('p', 'l', ['1'])).not.toBe(rateLimitKey('p', 'm', ['1']));
    expect(rateLimitKey('p', 'l', ['1'])).not.toBe(rateLimitKey('q', 'l', ['1']));
    expect(counterPrefix('p', 'l', ['1'])).not.toBe(distinctPrefix('p', 'l', ['1']));
  });

  it('remembered hashes of key parts are the computed ones, for look-alike inputs and past the memo size', () => {
    const computed = (p: string, l: string, parts: string[]) => {
      let enc = `${parts.length}`;
      for (const x of parts) enc += `|${x.length}:${x}`;
      return `${policyPrefix(p)}:rl:${keySegment(l)}:${createHash('sha256').update(enc).digest('base64url').slice(0, 22)}`;
    };
    const input = fc.tuple(fc.string({ maxLength: 6 }), fc.string({ maxLength: 6 }), fc.array(fc.string({ maxLength: 6 }), { maxLength: 3 }));
    fc.assert(
      fc.property(fc.array(input, { minLength: 1, maxLength: 40 }), (inputs) => {
        for (const [p, l, parts] of [...inputs, ...inputs]) expect(rateLimitKey(p, l, parts)).toBe(computed(p, l, parts));
      }),
    );
    // Inputs whose plain or separator-joined concatenations agree get keys of their own.
    const alike: Array<[string, string, string[]]> = [['a', 'b1', []], ['a', 'b', ['1']], ['ab', '', ['1']], ['a', 'b', ['', '1']], ['a1', 'b', []], ['a', '1b', []], ['a', 'b', ['x\u0000', 'y']], ['a', 'b', ['x', '\u0000y']], ['a', 'b', ['z'.repeat(10_000)]], ['a', 'b', ['z'.repeat(10_001)]], ['a', 'b', ['p', 'q', 'r']], ['a', 'b', ['p', 'q']], ['a', 'b', ['p']], ['a', 'b', ['p', '']], ['a', 'b', ['p', 'q', '']]];
    // Twice: the second time from the memo (lists that begin others, a node's one follower grown into many).
    for (const [p, l, parts] of [...alike, ...alike]) expect(rateLimitKey(p, l, parts)).toBe(computed(p, l, parts));
    expect(new Set(alike.map(([p, l, parts]) => rateLimitKey(p, l, parts))).size).toBe(alike.length);
    // Past the bound the oldest are forgotten and computed again, still right.
    for (let i = 0; i < KEY_PARTS_MEMO + 10; i++) rateLimitKey('pol', 'per-ip', [`10.0.${i >> 8}.${i & 255}`]);
    for (const i of [0, 5, KEY_PARTS_MEMO + 9]) expect(rateLimitKey('pol', 'per-ip', [`10.0.${i >> 8}.${i & 255}`])).toBe(computed('pol', 'per-ip', [`10.0.${i >> 8}.${i & 255}`]));
  });

  it('the memo of key-part hashes stays bounded in characters against a flood of long distinct parts', () => {
    for (let i = 0; i < 6000; i++) hashKeyParts([`${i}`.padEnd(KEY_PARTS_MEMO_ENTRY_CHARS - 12, 'x')]);
    const after = keyPartsMemoSize();
    expect(after.chars).toBeLessThanOrEqual(KEY_PARTS_MEMO_TOTAL_CHARS);
    // The older generation is forgotten whole when the younger fills: at least a full generation is kept.
    expect(after.chars).toBeGreaterThan(KEY_PARTS_MEMO_TOTAL_CHARS / 2 - KEY_PARTS_MEMO_ENTRY_CHARS);
    expect(after.entries).toBeLessThanOrEqual(KEY_PARTS_MEMO);
    // The latest are remembered: hashed again, nothing is added.
    for (let i = 5990; i < 6000; i++) hashKeyParts([`${i}`.padEnd(KEY_PARTS_MEMO_ENTRY_CHARS - 12, 'x')]);
    expect(keyPartsMemoSize()).toEqual(after);
    // Longer than an entry may be: hashed, never remembered.
    hashKeyParts(['y'.repeat(KEY_PARTS_MEMO_ENTRY_CHARS)]);
    expect(keyPartsMemoSize()).toEqual(after);
  });

  it('bucketKeys: current bucket first, then older ones', () => {
    const keys = bucketKeys('pal:{p}:ct:n:h', 125_000, 10_000, 3);
    expect(keys).toEqual(['pal:{p}:ct:n:h:12', 'pal:{p}:ct:n:h:11', 'pal:{p}:ct:n:h:10']);
    expect(bucketKeys('x', 129_999, 10_000, 1)).toEqual(['x:12']);
    expect(bucketKeys('x', 130_000, 10_000, 1)).toEqual(['x:13']);
    expect(() => bucketKeys('x', 0, 0, 1)).toThrow(RangeError);
    expect(() => bucketKeys('x', 0, 1000, 0)).toThrow(RangeError);
  });

  it('hashTagOf follows the Redis rule', () => {
    expect(hashTagOf('a{b}c')).toBe('b');
    expect(hashTagOf('a{}c{d}')).toBe('a{}c{d}');
    expect(hashTagOf('abc')).toBe('abc');
    expect(hashTagOf('a{bc')).toBe('a{bc');
    expect(hashTagOf('{a}{b}')).toBe('a');
  });
});
