import { describe, expect, it } from 'vitest';
import { DEFAULT_BOT_KNOBS } from './knobs.ts';
import { RouteShapes } from './route-shapes.ts';

const K = DEFAULT_BOT_KNOBS.routes;
/** A word of letters only (no digits: nothing path templates take for an identifier). */
const word = (i: number): string => `w-${String.fromCharCode(97 + (i % 26))}${String.fromCharCode(97 + (Math.floor(i / 26) % 26))}${String.fromCharCode(97 + Math.floor(i / 676))}`;
const STATIONS = Array.from({ length: 40 }, (_, i) => `station-${word(i)}`);

describe('route shapes', () => {
  it('keeps word segments apart until a parent has had minDistinct of them, then collapses them to {slug}', () => {
    const r = new RouteShapes(K);
    for (let i = 0; i < K.minDistinct - 1; i++) r.learn('p', 'shop', `/journeys/${STATIONS[i]}`);
    expect(r.template('p', 'shop', '/journeys/leeds-york')).toBe('/journeys/leeds-york');
    r.learn('p', 'shop', `/journeys/${STATIONS[K.minDistinct - 1]}`);
    expect(r.template('p', 'shop', '/journeys/leeds-york')).toBe('/journeys/{slug}');
    expect(r.template('p', 'shop', '/journeys/leeds-york/seats')).toBe('/journeys/{slug}/seats');
    expect(r.template('p', 'shop', '/journeys/42')).toBe('/journeys/{id}');
    // Other parents, hosts and policies keep their words.
    expect(r.template('p', 'shop', '/deals/winter')).toBe('/deals/winter');
    expect(r.template('p', 'other', '/journeys/leeds-york')).toBe('/journeys/leeds-york');
    expect(r.template('q', 'shop', '/journeys/leeds-york')).toBe('/journeys/leeds-york');
    expect(r.wideParents('p')).toEqual(['shop\u0000/journeys']);
  });

  it('keeps a word that carries heavyShare of its parent\'s requests a route of its own', () => {
    const r = new RouteShapes(K);
    for (let i = 0; i < 200; i++) r.learn('p', 'h', '/api/fares');
    for (let i = 0; i < 2 * K.minDistinct; i++) r.learn('p', 'h', `/api/${STATIONS[i % STATIONS.length]}-x${i % 7 === 0 ? '' : 'y'.repeat(i % 5)}`);
    expect(r.template('p', 'h', '/api/fares')).toBe('/api/fares');
    expect(r.template('p', 'h', '/api/rarely-called')).toBe('/api/{slug}');
  });

  it('never collapses the first segment, nor identifiers into anything but {id}', () => {
    const r = new RouteShapes(K);
    for (let i = 0; i < 100; i++) r.learn('p', 'h', `/${STATIONS[i % STATIONS.length]}-${i}x/a`);
    expect(r.template('p', 'h', '/login')).toBe('/login');
    for (let i = 0; i < 100; i++) r.learn('p', 'h', `/orders/${1000 + i}/items`);
    expect(r.template('p', 'h', '/orders/77/items')).toBe('/orders/{id}/items');
  });

  it('learns deeper positions under the collapsed parent', () => {
    const r = new RouteShapes(K);
    // Shows and their sub-pages, each show visited about once: all of them rare.
    for (let i = 0; i < 200; i++) r.learn('p', 'h', `/e/show-${word(i)}`);
    for (let i = 0; i < 200; i++) r.learn('p', 'h', `/e/show-${word(1000 + i)}/part-${word(i)}`);
    expect(r.template('p', 'h', '/e/some-show/another-thing')).toBe('/e/{slug}/{slug}');
  });

  it("collapses a tree's pages counted across its sections, keeping the sections and a heavy page", () => {
    const r = new RouteShapes(K);
    // Docs: 11 sections of 9 pages each, every page read a few times; no section alone has minDistinct pages.
    const sections = Array.from({ length: 11 }, (_, i) => `section-${word(i)}`);
    for (let round = 0; round < 3; round++) for (const [i, sec] of sections.entries()) for (let j = 0; j < 9; j++) r.learn('p', 'h', `/docs/${sec}/page-${word(i * 9 + j)}`);
    for (let i = 0; i < 400; i++) r.learn('p', 'h', `/docs/${sections[0]}/quick-start`);
    expect(r.template('p', 'h', `/docs/${sections[3]}/another-page`)).toBe(`/docs/${sections[3]}/{slug}`);
    expect(r.template('p', 'h', `/docs/${sections[0]}/quick-start`)).toBe(`/docs/${sections[0]}/quick-start`);
    // The sections themselves are few: they stay routes.
    expect(r.template('p', 'h', `/docs/${sections[3]}`)).toBe(`/docs/${sections[3]}`);
    // First-level parents are not counted together: an API's versions and a site's top pages stay.
    const r2 = new RouteShapes(K);
    for (let i = 0; i < 100; i++) r2.learn('p', 'h', `/top-${word(i)}/v1`);
    expect(r2.template('p', 'h', '/api/v1')).toBe('/api/v1');
    // Nor under only a few sections' words: an API's handful of actions per resource stays apart.
    const r3 = new RouteShapes(K);
    for (const res of ['users', 'orders', 'invoices', 'teams']) for (const act of ['list', 'search', 'export', 'count', 'summary']) r3.learn('p', 'h', `/api/${res}/${act}`);
    expect(r3.template('p', 'h', '/api/orders/export')).toBe('/api/orders/export');
  });

  it('bounds what it keeps: words per parent and parents per policy', () => {
    const r = new RouteShapes({ ...K, maxParents: 3, maxChildren: K.minDistinct });
    for (let i = 0; i < 10; i++) for (let j = 0; j < 50; j++) r.learn('p', 'h', `/s${String.fromCharCode(97 + i)}/w${String.fromCharCode(97 + (j % 26))}${String.fromCharCode(97 + Math.floor(j / 26))}`);
    expect(r.wideParents('p')).toHaveLength(3);
    expect(r.template('p', 'h', '/sz/anything')).toBe('/sz/anything');
    expect(r.template('p', 'h', '/sa/anything')).toBe('/sa/{slug}');
  });

  it('forgets policies no longer served', () => {
    const r = new RouteShapes(K);
    for (let i = 0; i < K.minDistinct; i++) r.learn('p', 'h', `/journeys/${STATIONS[i]}`);
    r.retain(new Set(['q']));
    expect(r.template('p', 'h', '/journeys/leeds-york')).toBe('/journeys/leeds-york');
  });
});
