import { describe, expect, it } from 'vitest';
import { FormWatch } from './form-watch.ts';

describe('FormWatch', () => {
  const watch = () => new FormWatch({ windowMs: 60_000, minTries: 3, minShare: 0.5, maxPages: 2 });

  it('takes a page for a form once its flagged tries are enough, and at least half its newcomers’ loads', () => {
    const w = watch();
    expect(w.tried('login', 0)).toBe(false);
    expect(w.tried('login', 1)).toBe(false);
    expect(w.tried('login', 2)).toBe(true);
    const page = watch();
    for (let i = 0; i < 10; i++) page.landed('event', i);
    for (let i = 0; i < 4; i++) expect(page.tried('event', 20 + i)).toBe(false);
    expect(page.tried('event', 30)).toBe(true);
  });

  it('counts this window and the previous one, and forgets older ones and the oldest page beyond its bound', () => {
    const w = watch();
    w.tried('login', 0);
    w.tried('login', 59_000);
    // The previous window's two and this one's: a form.
    expect(w.tried('login', 61_000)).toBe(true);
    // Two windows later the old tries are gone.
    expect(w.tried('login', 185_000)).toBe(false);
    w.landed('a', 0);
    w.landed('b', 0);
    w.landed('c', 0);
    expect(w.size).toBe(2);
  });

  it('keeps a page tries were posted from when newcomers flood pages of their own making', () => {
    const w = watch();
    w.tried('login', 0);
    for (let i = 0; i < 50; i++) w.landed(`/made-up/${i}`, 1);
    expect(w.size).toBe(2);
    w.tried('login', 2);
    expect(w.tried('login', 3)).toBe(true);
  });
});
