/**
 * The layering rule: code shared by both processes lives in lib/, and neither process imports the other, nor
 * does lib/ import either process. Checked over every static import, dynamic import and `new URL(…,
 * import.meta.url)` reference of the TypeScript sources, so a new cross-import fails here before it ships in the
 * wrong image.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const LAYERS = ['lib', 'authz-server', 'operator'] as const;
type Layer = (typeof LAYERS)[number];

/** What each layer may reach besides itself (and node_modules). */
const MAY_IMPORT: Record<Layer, Layer[]> = { lib: [], 'authz-server': ['lib'], operator: ['lib'] };

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)));
}

const REFERENCE = /(?:\bfrom\s*|\bimport\s*\(\s*|\bnew URL\(\s*)(['"])(\.{1,2}\/[^'"]*)\1/g;

/** Repository-relative targets of the relative references in one file. */
function references(file: string, text: string): string[] {
  return [...text.matchAll(REFERENCE)].map((m) => relative(ROOT, resolve(ROOT, dirname(file), m[2] ?? '')));
}

function layerOf(path: string): Layer | 'other' {
  return LAYERS.find((l) => path === l || path.startsWith(`${l}/`)) ?? 'other';
}

describe('import graph', () => {
  const files = LAYERS.flatMap(sources);

  it('finds the sources and their references (the scan itself works)', () => {
    expect(files.length).toBeGreaterThan(60);
    const server = references('authz-server/src/app/server.ts', readFileSync(join(ROOT, 'authz-server/src/app/server.ts'), 'utf8'));
    expect(server.some((t) => t.startsWith('lib/'))).toBe(true);
    expect(references('operator/src/x.ts', "import { a } from '../../authz-server/src/y.ts';")).toEqual(['authz-server/src/y.ts']);
  });

  it.each(LAYERS)('%s reaches only itself and the layers below it', (layer) => {
    const violations: string[] = [];
    for (const file of files.filter((f) => layerOf(f) === layer)) {
      for (const target of references(file, readFileSync(join(ROOT, file), 'utf8'))) {
        const to = layerOf(target);
        if (to !== layer && to !== 'other' && !MAY_IMPORT[layer].includes(to)) violations.push(`${file} -> ${target}`);
      }
    }
    expect(violations).toEqual([]);
  });
});
