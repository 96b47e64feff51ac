import { describe, expect, it } from 'vitest';
import type { Runtime } from '../pipeline/runtime.ts';
import { HostLabels, MAX_HOST_LABELS } from './host-labels.ts';

const runtime = (hosts: string[]) => ({ hosts }) as unknown as Runtime;

describe('HostLabels', () => {
  it('names hosts some snapshot covered, wildcards by their pattern, anything else "other"', () => {
    const labels = new HostLabels();
    expect(labels.label('orders.example.com')).toBe('other');
    labels.learn(runtime(['orders.example.com', '*.shop.example.com']));
    // a later snapshot without the host: it keeps its label (the point is to see a host that lost its policy)
    labels.learn(runtime([]));
    expect(labels.label('orders.example.com')).toBe('orders.example.com');
    expect(labels.label('a.b.shop.example.com')).toBe('*.shop.example.com');
    expect(labels.label('shop.example.com')).toBe('other');
    expect(labels.label('random-1234.attacker.test')).toBe('other');
    expect(labels.label('')).toBe('none');
  });

  it('never holds more than MAX_HOST_LABELS labels', () => {
    const labels = new HostLabels();
    labels.learn(runtime(Array.from({ length: MAX_HOST_LABELS + 10 }, (_, i) => `h${i}.example.com`)));
    expect(labels.label(`h${MAX_HOST_LABELS - 1}.example.com`)).toBe(`h${MAX_HOST_LABELS - 1}.example.com`);
    expect(labels.label(`h${MAX_HOST_LABELS + 5}.example.com`)).toBe('other');
  });
});
