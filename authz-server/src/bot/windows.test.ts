import { describe, expect, it } from 'vitest';
import { bucketKeys, counterPrefix, hashTagOf } from '../store/keys.ts';
import { BOT_KEYS, LANDING_UNIT, PAGE_LANDING_UNIT, PrefixCache, cookieSession, isCookieSession, isWrite, bucketTtlMs, CALL_UNIT, PAGE_UNIT, SESSION_PAGE_UNIT, decodeAddressMethods, decodeLanding, decodeSessionCounts, learnedPerMinute, num, pathParts, routeFamilyParts, routeParts, refererRoute, sameSiteRefererPath, sliding, tokenRouteParts } from './windows.ts';

describe('bot window math', () => {
  it('PrefixCache builds exactly the keys of keys.ts, under the policy hash tag', () => {
    const cache = new PrefixCache('shop/orders');
    for (const parts of [[], ['10.0.0.1'], ['a,b'], ['a', 'b'], ['api.test', 'GET', '/x/{id}', '10.0.0.1'], ['{weird}:key']]) {
      expect(cache.counter(BOT_KEYS.ipTick, parts)).toBe(counterPrefix('shop/orders', BOT_KEYS.ipTick, parts));
      expect(hashTagOf(cache.counter(BOT_KEYS.ipTick, parts))).toBe('shop/orders');
    }
    expect(new PrefixCache('ns/{x}').counter('n', ['1'])).toBe(counterPrefix('ns/{x}', 'n', ['1']));
    // Its ops name the same keys as bucketKeys of that prefix, and carry its counter and parts apart.
    const now = 1_700_000_123_456;
    for (const parts of [[], ['10.0.0.1'], ['{weird}:key']]) {
      const op = cache.bucketOp(BOT_KEYS.ipLong, cache.hash(parts), now, 60_000, 3, 1);
      expect(op.keys).toEqual(bucketKeys(counterPrefix('shop/orders', BOT_KEYS.ipLong, parts), now, 60_000, 3));
      expect(`${op.counter}:${op.parts}`).toBe(counterPrefix('shop/orders', BOT_KEYS.ipLong, parts));
      expect(op.parts).not.toContain(':');
    }
  });

  it('PrefixCache keeps part lists apart whose parts join alike (a decoded path or a claim can hold NUL)', () => {
    const first = new PrefixCache('p').counter(BOT_KEYS.ipTick, ['x\u0000', 'y']);
    const second = new PrefixCache('p').counter(BOT_KEYS.ipTick, ['x', '\u0000y']);
    expect(first).toBe(counterPrefix('p', BOT_KEYS.ipTick, ['x\u0000', 'y']));
    expect(second).toBe(counterPrefix('p', BOT_KEYS.ipTick, ['x', '\u0000y']));
    expect(second).not.toBe(first);
  });

  it('a cookie session id is told from a token pair, whatever the cookie holds', () => {
    for (const cookie of ['abc', '', 't\u0000tok', 's\u0000x']) expect(isCookieSession(cookieSession(cookie))).toBe(true);
    expect(isCookieSession('t\u0000token\u000010.0.0.1/32')).toBe(false);
    expect(isCookieSession('')).toBe(false);
  });

  it('a write is any method but a read: an upstream may take a method of its own as one', () => {
    for (const m of ['POST', 'PUT', 'PATCH', 'DELETE', 'PROPFIND', 'CONNECT']) expect(isWrite(m)).toBe(true);
    for (const m of ['GET', 'HEAD', 'OPTIONS']) expect(isWrite(m)).toBe(false);
  });

  it('bucketed counters: current bucket first, expiry covering the window', () => {
    const now = 1_700_000_123_456;
    const cache = new PrefixCache('p');
    const op = cache.bucketOp(BOT_KEYS.ipLong, cache.hash(['1.2.3.4']), now, 60_000, 3, 1);
    expect(op.keys).toHaveLength(3);
    expect(op.keys[0]!.endsWith(`:${Math.floor(now / 60_000)}`)).toBe(true);
    expect(op.keys[2]!.endsWith(`:${Math.floor(now / 60_000) - 2}`)).toBe(true);
    expect(op.ttlMs).toBe(bucketTtlMs(60_000, 3));
  });

  it('route codes are 30-bit, stable and fit the landing memory', () => {
    const cache = new PrefixCache('p');
    const a = cache.code(routeParts('h', 'GET', '/x'));
    expect(a).toBe(new PrefixCache('other').code(['h', 'GET', '/x']));
    expect(a).not.toBe(cache.code(['h', 'POST', '/x']));
    expect(Number.isInteger(a) && a >= 0 && a < LANDING_UNIT).toBe(true);
    expect(decodeLanding(0)).toEqual({ landings: 0, pages: 0, code: null });
    expect(decodeLanding(LANDING_UNIT + a)).toEqual({ landings: 1, pages: 0, code: a });
    expect(decodeLanding(2 * LANDING_UNIT + a + 17)).toEqual({ landings: 2, pages: 0, code: null });
    // A page load's landing adds PAGE_LANDING_UNIT: counted apart, the code still read when it is the only one.
    expect(decodeLanding(PAGE_LANDING_UNIT + LANDING_UNIT + a)).toEqual({ landings: 1, pages: 1, code: a });
    const max = LANDING_UNIT - 1;
    expect(decodeLanding(2 * PAGE_LANDING_UNIT + 3 * LANDING_UNIT + 3 * max)).toEqual({ landings: 5, pages: 2, code: null });
    expect(pathParts(['h', 'POST', '/login'])).toEqual(pathParts(['h', 'GET', '/login']));
  });

  it('a route family: the last literal segment a variable follows made a wildcard; none where a route ends in literals', () => {
    expect(routeFamilyParts(routeParts('h', 'GET', '/r/london/{slug}'))).toEqual(['h', 'GET', '/r/*/{slug}']);
    expect(routeFamilyParts(routeParts('h', 'GET', '/r/leeds/{slug}'))).toEqual(routeFamilyParts(routeParts('h', 'GET', '/r/london/{slug}')));
    expect(routeFamilyParts(routeParts('h', 'GET', '/products/shoes/{id}'))).toEqual(['h', 'GET', '/products/*/{id}']);
    expect(routeFamilyParts(routeParts('h', 'GET', '/api/web/restaurants/{id}/menu'))).toEqual(['h', 'GET', '/api/web/*/{id}/menu']);
    expect(routeFamilyParts(routeParts('h', 'POST', '/r/london/{slug}'))).toEqual(['h', 'POST', '/r/*/{slug}']);
    expect(routeFamilyParts(routeParts('h', 'GET', '/en/blog/{slug}?page=2'))).toEqual(['h', 'GET', '/en/*/{slug}']);
    // None: one segment, a variable right after the first, or endpoints side by side.
    expect(routeFamilyParts(routeParts('h', 'GET', '/'))).toBeNull();
    expect(routeFamilyParts(routeParts('h', 'GET', '/pricing'))).toBeNull();
    expect(routeFamilyParts(routeParts('h', 'GET', '/orders/{id}'))).toBeNull();
    expect(routeFamilyParts(routeParts('h', 'GET', '/api/v2/me'))).toBeNull();
    expect(routeFamilyParts(routeParts('h', 'GET', '/api/v2/suggest'))).toBeNull();
  });

  it('sliding window: the previous bucket weighs what is left of it inside the window', () => {
    expect(sliding([10, 100], 120_000, 60_000)).toBe(110);
    expect(sliding([10, 100], 150_000, 60_000)).toBe(60);
    expect(sliding([], 0, 60_000)).toBe(0);
  });

  it('learned rates are spread over the time the policy has been observed, at least a minimum', () => {
    const hour = 3_600_000;
    // 600 in the last hour, a policy watched for hours: 10 per minute.
    expect(learnedPerMinute([600, 0], 5 * hour, hour, 10 * hour, 600_000)).toBeCloseTo(10, 6);
    // The same 600 seen by a policy watched for 30 minutes: 20 per minute.
    expect(learnedPerMinute([600, 0], 5 * hour, hour, hour / 2, 600_000)).toBeCloseTo(20, 6);
    // Never faster than over the minimum.
    expect(learnedPerMinute([600, 0], 5 * hour, hour, 1000, 600_000)).toBeCloseTo(60, 6);
  });

  it('num: integers as such, others with two significant digits', () => {
    expect(num(12)).toBe('12');
    expect(num(3.14159)).toBe('3.1');
    expect(num(0.01234)).toBe('0.012');
    expect(num(1234.5)).toBe('1235');
  });
});

describe('a session minute counter', () => {
  it('holds requests, calls from a page and page loads in one exact integer', () => {
    // Three page loads, a call from a page and a file, then a bucket with one page load; then a session far beyond any pace.
    expect(decodeSessionCounts([3 * (SESSION_PAGE_UNIT + 1) + (CALL_UNIT + 1) + 1, SESSION_PAGE_UNIT + 1, 0])).toEqual({ requests: [5, 1, 0], pages: [3, 1, 0], calls: [1, 0, 0] });
    const huge = 16_000 * (SESSION_PAGE_UNIT + 1) + 8_000 * (CALL_UNIT + 1) + 5_000_000;
    expect(Number.isSafeInteger(huge)).toBe(true);
    expect(decodeSessionCounts([huge])).toEqual({ requests: [5_024_000], pages: [16_000], calls: [8_000] });
  });

  it('keeps the page loads of a session beyond any pace, whatever its calls do', () => {
    // Calls beyond 2^13 in a bucket wrap into the page loads; page loads beyond 2^14 round the request count only.
    const pages = decodeSessionCounts([1_000_000 * (SESSION_PAGE_UNIT + 1) + 3]);
    expect(pages.pages).toEqual([1_000_000]);
    expect(Math.abs(pages.requests[0]! - 1_000_003)).toBeLessThan(1024);
  });
});

describe('a packed counter with a unit taken back in a later bucket', () => {
  it("keeps each bucket's low count and nets the high count over the window", () => {
    // Three page loads and a HEAD in the previous bucket; one page load taken back (the feed) in the current one, with a HEAD.
    const { heads, pages } = decodeAddressMethods([1 - PAGE_UNIT, 3 * PAGE_UNIT + 1]);
    expect(heads).toEqual([1, 1]);
    expect(pages).toEqual([-1, 3]);
    expect(sliding(pages, 0, 60_000)).toBe(2);
  });
});

describe('tokenRouteParts', () => {
  const key = (template: string) => tokenRouteParts('app', 'kind', routeParts('api.test', 'GET', template)).join('|');
  it('counts the spellings some upstreams route alike as one route: any case, a trailing slash or none', () => {
    expect(key('/api/events/{id}/AvAiLaBiLiTy/')).toBe(key('/api/events/{id}/availability'));
  });
  it('counts a segment of words joined by hyphens, underscores or dots as one slug: a fare between any two stations', () => {
    expect(key('/api/partner/v1/fares/leeds-york')).toBe(key('/api/partner/v1/fares/derby_crewe'));
    expect(key('/api/partner/v1/fares/leeds-york')).toBe('app|kind|api.test|GET|/api/partner/v1/fares/{slug}');
  });
  it('keeps routes apart that differ otherwise', () => {
    expect(key('/api/orders/{id}/status')).not.toBe(key('/api/orders/{id}'));
    expect(key('/api/orders/{id}/status')).not.toBe(key('/api/events/{id}/status'));
    expect(tokenRouteParts('app', 'kind', routeParts('api.test', 'POST', '/api/orders'))).not.toEqual(tokenRouteParts('app', 'kind', routeParts('api.test', 'GET', '/api/orders')));
  });
});

describe('a Referer read as a page of the site', () => {
  it('names the page of the same host, the same each time it comes back, and nothing for another host or no URL', () => {
    const referer = 'https://shop.example.com/r/london/jade-bowl?utm_source=mail';
    for (let i = 0; i < 3; i++) expect(sameSiteRefererPath('shop.example.com', referer)).toBe('/r/london/jade-bowl');
    // The host is compared as URLs spell it (lower case); the same remembered Referer read for another host is none.
    expect(sameSiteRefererPath('shop.example.com', 'https://SHOP.example.com/a')).toBe('/a');
    expect(sameSiteRefererPath('other.example.com', referer)).toBeNull();
    expect(sameSiteRefererPath('shop.example.com', 'not a url')).toBeNull();
    expect(sameSiteRefererPath('shop.example.com', 'about:blank')).toBeNull();
    expect(sameSiteRefererPath('shop.example.com', '')).toBeNull();
    expect(sameSiteRefererPath('shop.example.com', undefined)).toBeNull();
    expect(refererRoute('shop.example.com', referer, (path) => path.replace(/[^/]+$/, '{slug}'))).toEqual(routeParts('shop.example.com', 'GET', '/r/london/{slug}'));
  });

  it('reads a long Referer, and many distinct ones, as it reads any', () => {
    const long = `https://shop.example.com/search/${'x'.repeat(2000)}`;
    expect(sameSiteRefererPath('shop.example.com', long)).toBe(`/search/${'x'.repeat(2000)}`);
    for (let i = 0; i < 10_000; i++) expect(sameSiteRefererPath('shop.example.com', `https://shop.example.com/p/${i}`)).toBe(`/p/${i}`);
    // The first of them, long forgotten by the memory, is parsed again.
    expect(sameSiteRefererPath('shop.example.com', 'https://shop.example.com/p/0')).toBe('/p/0');
  });
});
