import { describe, expect, it } from 'vitest';
import { MIN_COOKIE_CHECKS, SessionCookieWatch, type MissingSessionCookie } from './session-cookie-watch.ts';

function watch() {
  let now = 0;
  const reports: MissingSessionCookie[] = [];
  const w = new SessionCookieWatch({ clock: () => now, report: (m) => reports.push(m) });
  return { w, reports, at: (ms: number) => (now = ms) };
}

const OTHER = 'enc_sid=abc123; _ga=GA1.1.5; enc_consent=v2.all';

describe('SessionCookieWatch', () => {
  it('reports a window in which many requests carried cookies but never the session cookie, naming what came', () => {
    const { w, reports, at } = watch();
    for (let i = 0; i < 250; i++) {
      at(i * 1000);
      w.observe('shop/web', 'session', OTHER, false);
    }
    expect(reports).toEqual([]);
    at(5 * 60_000 + 1);
    w.observe('shop/web', 'session', OTHER, false);
    expect(reports).toEqual([{ policy: 'shop/web', cookie: 'session', checks: 250, seen: ['_ga', 'enc_consent', 'enc_sid'] }]);
  });

  it('says nothing when the session cookie came even once, when too few requests carried cookies, or without cookies', () => {
    const { w, reports, at } = watch();
    for (let i = 0; i < 300; i++) w.observe('a', 'session', OTHER, i === 150);
    for (let i = 0; i < MIN_COOKIE_CHECKS - 1; i++) w.observe('b', 'session', OTHER, false);
    for (let i = 0; i < 1000; i++) w.observe('c', 'session', '', false);
    at(6 * 60_000);
    for (const p of ['a', 'b', 'c']) w.observe(p, 'session', OTHER, false);
    expect(reports).toEqual([]);
  });

  it('reports again at most hourly, and keeps at most eight cookie names', () => {
    const { w, reports, at } = watch();
    const many = Array.from({ length: 20 }, (_, i) => `c${String(i).padStart(2, '0')}=1`).join('; ');
    for (let window = 0; window < 14; window++) {
      at(window * 5 * 60_000);
      for (let i = 0; i < MIN_COOKIE_CHECKS; i++) w.observe('p', 'session', many, false);
    }
    expect(reports.map((r) => r.checks)).toEqual([MIN_COOKIE_CHECKS, MIN_COOKIE_CHECKS]);
    expect(reports[0]!.seen).toHaveLength(8);
  });

  it('reads cookie names as the session cookie is read: pairs joined with commas, no pair without a value, no long name', () => {
    const { w, reports, at } = watch();
    for (let i = 0; i < MIN_COOKIE_CHECKS; i++) w.observe('p', 'session', `enc_sid=a, _ga=b; flag; ${'x'.repeat(65)}=1`, false);
    at(5 * 60_000);
    w.observe('p', 'session', OTHER, false);
    expect(reports[0]!.seen).toEqual(['_ga', 'enc_sid']);
  });
});
