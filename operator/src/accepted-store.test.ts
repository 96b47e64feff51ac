import { describe, expect, it } from 'vitest';
import { ACCEPTED_KEY_NAME, acceptedConfigMap, parseAcceptedConfigMap } from './accepted-store.ts';

describe('accepted generations ConfigMap', () => {
  const doc = (name: string, generation: number) => ({ metadata: { name, namespace: 'shop', uid: `uid-${name}`, generation, creationTimestamp: '2026-01-01T00:00:00Z' }, spec: { hosts: [`${name}.example.com`] } });

  it('round-trips the last accepted generation of each policy (gzip JSON in binaryData)', () => {
    const cm = acceptedConfigMap('palisade-accepted', 'palisade-system', new Map([['shop/a', doc('a', 3)], ['shop/b', doc('b', 1)]]));
    expect(cm.data).toBeUndefined();
    expect(cm.binaryData?.[ACCEPTED_KEY_NAME]).toBeDefined();
    const back = parseAcceptedConfigMap(cm);
    expect([...back.keys()]).toEqual(['shop/a', 'shop/b']);
    expect(back.get('shop/a')).toEqual(doc('a', 3));
  });

  it('drops entries that no longer pass the schema, and reads an empty ConfigMap as nothing', () => {
    const cm = acceptedConfigMap('x', 'y', new Map([['shop/a', doc('a', 1)], ['shop/bad', { ...doc('bad', 1), spec: { hosts: [] } } as never]]));
    expect([...parseAcceptedConfigMap(cm).keys()]).toEqual(['shop/a']);
    expect(parseAcceptedConfigMap({ metadata: { name: 'x' } }).size).toBe(0);
  });
});
