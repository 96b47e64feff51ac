/**
 * One namespace for Palisade itself in every document a user copies from: `palisade-system` (the operator's
 * default `--namespace`, the chart's install namespace in the README, the Envoy and Istio examples).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FLAGS } from '../../operator/src/config.ts';

const root = join(import.meta.dirname, '..', '..');
const files = ['README.md', 'docs/contract.md', 'charts/palisade/templates/NOTES.txt', 'test/e2e/kind-istio.sh', ...readdirSync(join(root, 'examples/envoy')).map((f) => `examples/envoy/${f}`)];

describe('the namespace of Palisade in the docs', () => {
  it('is palisade-system everywhere, as the operator defaults to', () => {
    expect(FLAGS.find((f) => f.name === 'namespace')?.default).toBe('palisade-system');
    for (const file of files) {
      const text = readFileSync(join(root, file), 'utf8');
      const services = [...text.matchAll(/palisade-(?:authz|operator)\.([a-z0-9-]+)\.svc/g)].map((m) => m[1]);
      const flags = [...text.matchAll(/(?:-n|--namespace)[ =](palisade[a-z0-9-]*)/g)].map((m) => m[1]);
      for (const ns of [...services, ...flags]) expect(ns, `${file} uses namespace ${ns}`).toBe('palisade-system');
    }
  });
});
