import { describe, expect, it } from 'vitest';
import { benignTraffic, toInspectionInput } from './corpus/benign-traffic.ts';
import { crsRequests, listPayloads, queryRequest, sampleLines, type AttackClass, type ListPayload, type ListSource } from './corpus/load.ts';
import { inspectRequest, RULE_FAMILIES } from './inspect.ts';
import type { InspectionFinding, InspectionInput, InspectionKind, InspectionOptions } from './inspect.ts';

// Hand-written sample files: one sample per line, blank lines ignored, no comment syntax
// (a leading '#' or '--' is part of a sample).
const SQLI = sampleLines('sqli.txt');
const XSS = sampleLines('xss.txt');
const TRAVERSAL = sampleLines('traversal.txt');
const BENIGN = sampleLines('benign.txt');

const ALL: InspectionOptions = { sqlInjection: true, xss: true, pathTraversal: true, commandInjection: true };

const utf8 = new TextEncoder();
function pctEncodeChar(c: string): string {
  return Array.from(utf8.encode(c), (b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
}
/** What a non-browser client sends: only characters that cannot appear raw are escaped; existing %XX stay. */
function looseEncode(s: string, extra = ''): string {
  let out = '';
  for (const c of s) {
    const cp = c.codePointAt(0) ?? 0;
    out += cp <= 0x20 || cp >= 0x7f || `#&"<>\`{}|\\^${extra}`.includes(c) ? pctEncodeChar(c) : c;
  }
  return out;
}

function headers(entries: Record<string, string> = {}): Map<string, string> {
  return new Map([[':authority', 'api.example.com'], [':method', 'GET'], [':scheme', 'https'], ...Object.entries(entries)]);
}

type Placement = (sample: string) => InspectionInput;

const PLACEMENTS: Record<string, Placement> = {
  path: (s) => ({ path: `/api/v1/items/${looseEncode(s, '?')}`, headers: headers() }),
  'query (as sent by curl)': (s) => ({ path: `/api/search?lang=en&q=${looseEncode(s)}&page=1`, headers: headers() }),
  'query (encodeURIComponent)': (s) => ({ path: `/api/search?q=${encodeURIComponent(s)}`, headers: headers() }),
  'header:user-agent': (s) => ({ path: '/', headers: headers({ 'user-agent': s }) }),
  'header:x-custom': (s) => ({ path: '/', headers: headers({ 'x-search-term': s }) }),
  cookie: (s) => ({ path: '/', headers: headers({ cookie: `sid=abc123; pref=${looseEncode(s, ';,')}; theme=dark` }) }),
  'header:referer': (s) => ({ path: '/', headers: headers({ referer: `https://shop.example.com/search?q=${looseEncode(s)}` }) }),
  'body json': (s) => ({
    path: '/api/comments',
    headers: headers(),
    body: JSON.stringify({ postId: 7, author: { name: 'Ann' }, comment: s }),
    contentType: 'application/json',
  }),
  'body json bytes, no content-type': (s) => ({ path: '/api/comments', headers: headers(), body: utf8.encode(JSON.stringify([{ text: s }])) }),
  'body form': (s) => ({
    path: '/login',
    headers: headers({ 'content-type': 'application/x-www-form-urlencoded' }),
    body: `user=ann&comment=${encodeURIComponent(s).replaceAll('%20', '+')}&remember=1`,
  }),
  'body text/plain bytes': (s) => ({ path: '/', headers: headers(), body: utf8.encode(s), contentType: 'text/plain; charset=utf-8' }),
  'body multipart field': (s) => ({
    path: '/upload',
    headers: headers(),
    body: `--XyZ\r\nContent-Disposition: form-data; name="title"\r\n\r\nholiday\r\n--XyZ\r\nContent-Disposition: form-data; name="comment"\r\n\r\n${s}\r\n--XyZ--\r\n`,
    contentType: 'multipart/form-data; boundary=XyZ',
  }),
};

function describeFinding(f: InspectionFinding | null): string {
  return f === null ? 'null' : `${f.kind} ${f.rule} @${f.location}: ${f.sample}`;
}

const ATTACKS: Array<[InspectionKind, string, string[]]> = [
  ['sqlInjection', 'sqli.txt', SQLI],
  ['xss', 'xss.txt', XSS],
  ['pathTraversal', 'traversal.txt', TRAVERSAL],
];

describe('corpus sizes', () => {
  it('has a real corpus', () => {
    expect(SQLI.length).toBeGreaterThanOrEqual(100);
    expect(XSS.length).toBeGreaterThanOrEqual(80);
    expect(TRAVERSAL.length).toBeGreaterThanOrEqual(50);
    expect(BENIGN.length).toBeGreaterThanOrEqual(150);
  });
});

describe.each(ATTACKS)('%s attacks (%s)', (kind, _file, samples) => {
  it.each(Object.keys(PLACEMENTS))('are all detected with the right kind in placement: %s', (placement) => {
    const place = PLACEMENTS[placement] as Placement;
    const misses: string[] = [];
    for (const s of samples) {
      const f = inspectRequest(place(s), ALL);
      if (f?.kind !== kind) misses.push(`${JSON.stringify(s)} -> ${describeFinding(f)}`);
    }
    expect(misses).toEqual([]);
  });

  it('are detected with only their own kind enabled, and not reported when it is disabled', () => {
    const only: InspectionOptions = { sqlInjection: false, xss: false, pathTraversal: false, commandInjection: false, [kind]: true };
    const without: InspectionOptions = { ...ALL, [kind]: false };
    const problems: string[] = [];
    for (const s of samples) {
      for (const place of Object.values(PLACEMENTS)) {
        const input = place(s);
        const a = inspectRequest(input, only);
        if (a?.kind !== kind) problems.push(`only ${kind}: ${JSON.stringify(s)} -> ${describeFinding(a)}`);
        const b = inspectRequest(input, without);
        if (b?.kind === kind) problems.push(`without ${kind}: ${JSON.stringify(s)} -> ${describeFinding(b)}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('report a well-formed finding', () => {
    const prefix = `${RULE_FAMILIES[kind]}.`;
    for (const s of samples) {
      const f = inspectRequest(PLACEMENTS['query (as sent by curl)']!(s), ALL);
      expect(f).not.toBeNull();
      expect(f!.rule.startsWith(prefix)).toBe(true);
      expect(f!.rule).toMatch(/^[a-z]+\.[a-z-]+$/);
      expect(f!.location).toBe('query:q');
      expect(f!.sample.length).toBeGreaterThan(0);
      expect(f!.sample.length).toBeLessThanOrEqual(80);
      expect(f!.sample).not.toMatch(/[\u0000-\u001f\u007f]/);
    }
  });
});

describe('benign corpus', () => {
  it.each(Object.keys(PLACEMENTS))('passes in placement: %s', (placement) => {
    const place = PLACEMENTS[placement] as Placement;
    const falsePositives: string[] = [];
    for (const s of BENIGN) {
      const f = inspectRequest(place(s), ALL);
      if (f !== null) falsePositives.push(`${JSON.stringify(s)} -> ${describeFinding(f)}`);
    }
    expect(falsePositives).toEqual([]);
  });

  it('passes as a whole realistic request', () => {
    const falsePositives: string[] = [];
    for (const s of BENIGN) {
      const input: InspectionInput = {
        path: `/api/v1/products/123e4567-e89b-12d3-a456-426614174000/reviews?next=https://x.y/a/b&q=${encodeURIComponent(s)}&sort=-date`,
        headers: headers({
          'user-agent': 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
          accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8',
          'accept-language': 'en-GB,en;q=0.9',
          'sec-ch-ua': '"Chromium";v="124", "Google Chrome";v="124", "Not-A.Brand";v="99"',
          cookie: `_ga=GA1.2.1234567890.1700000000; session=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.abc-DEF_123; last_search=${encodeURIComponent(s)}`,
          referer: `https://shop.example.com/search?q=${encodeURIComponent(s)}`,
          'x-forwarded-for': '203.0.113.7, 10.0.0.12',
          'if-none-match': 'W/"5e15153d-120f"',
          'content-type': 'application/json',
        }),
        body: JSON.stringify({ rating: 4, title: s, body: `${s}\n\n${s}`, tags: [s, 'misc'], meta: { [s]: s } }),
      };
      const f = inspectRequest(input, ALL);
      if (f !== null) falsePositives.push(`${JSON.stringify(s)} -> ${describeFinding(f)}`);
    }
    expect(falsePositives).toEqual([]);
  });
});

// The OWASP CRS regression tests (families 930, 932, 941, 942) replayed as the requests they send. Tests of
// token/probe rules and documented false positives are marked in the corpus and do not count (see corpus/README.md).
const FLOORS: Array<[AttackClass, string, number]> = [
  ['sqli', 'SQL injection (942)', 0.85],
  ['xss', 'XSS (941)', 0.95],
  ['lfi', 'path traversal / LFI (930)', 0.92],
  ['rce', 'command injection (932)', 0.6],
];

describe('CRS regression corpus', () => {
  it.each(FLOORS)('%s: detects at least the floor of %s attacks', (cls, _name, floor) => {
    const reqs = crsRequests(cls);
    expect(reqs.length).toBeGreaterThan(50);
    const missed = reqs.filter((r) => inspectRequest(toInspectionInput(r), ALL) === null).map((r) => r.id);
    const rate = 1 - missed.length / reqs.length;
    expect(rate, `missed ${missed.length}/${reqs.length}: ${missed.join(' ')}`).toBeGreaterThanOrEqual(floor);
  });

  it('marks fragments with a reason and keeps them out of the scored set', () => {
    const all = crsRequests('sqli', false);
    const scored = crsRequests('sqli');
    expect(all.length).toBeGreaterThan(scored.length);
    expect(all.filter((r) => r.fragment !== undefined).every((r) => r.fragment!.length > 5)).toBe(true);
  });
});

// The public payload lists (SecLists, libinjection's test data), each line sent as a query parameter the way a
// fuzzer sends it. Lines that are no attack on their own are marked unscored by shape (see corpus/README.md).
const LIST_FLOORS: Array<[ListSource, AttackClass, number]> = [
  ['seclists', 'sqli', 0.85],
  ['seclists', 'xss', 0.95],
  ['seclists', 'lfi', 0.92],
  ['libinjection', 'sqli', 0.85],
  ['libinjection', 'xss', 0.95],
];

function listRate(rows: ListPayload[]): { rate: number; missed: string[] } {
  const missed = rows.filter((r) => inspectRequest(toInspectionInput(queryRequest(r.payload, r.urlEncoded)), ALL) === null).map((r) => r.id);
  return { rate: 1 - missed.length / rows.length, missed };
}

describe('public payload lists', () => {
  const lists: Record<ListSource, ListPayload[]> = { seclists: listPayloads('seclists'), libinjection: listPayloads('libinjection') };

  it.each(LIST_FLOORS)('%s %s: detects at least the floor (%s) of the scored lines', (source, cls, floor) => {
    const rows = lists[source].filter((r) => r.cls === cls && r.unscored === undefined);
    expect(rows.length).toBeGreaterThan(150);
    const { rate, missed } = listRate(rows);
    expect(rate, `missed ${missed.length}/${rows.length}: ${missed.slice(0, 40).join(' ')}`).toBeGreaterThanOrEqual(floor);
  });

  it("flags at most 0.5% of libinjection's false positives", () => {
    const rows = lists.libinjection.filter((r) => r.cls === 'benign');
    expect(rows.length).toBeGreaterThan(400);
    const flagged = rows.filter((r) => inspectRequest(toInspectionInput(queryRequest(r.payload, r.urlEncoded)), ALL) !== null).map((r) => r.id);
    expect(flagged.length / rows.length, flagged.join(' ')).toBeLessThanOrEqual(0.005);
  });

  it('marks only lone tokens, probes and list comments as unscored, never a traversal line', () => {
    const all = [...lists.seclists, ...lists.libinjection];
    const unscored = all.filter((r) => r.unscored !== undefined);
    expect(unscored.length).toBeGreaterThan(0);
    expect(unscored.length / all.length).toBeLessThan(0.03);
    expect(unscored.some((r) => r.cls === 'lfi' || r.cls === 'benign')).toBe(false);
    const byPayload = new Map(all.map((r) => [r.payload, r]));
    expect(byPayload.get('update')?.unscored).toBe('a lone word or number');
    expect(byPayload.get(' or 1=1')?.unscored).toBeUndefined();
    expect(byPayload.get('*(|(objectclass=*))')?.unscored).toMatch(/LDAP/);
  });

  it('fills in sqlmap placeholders and keeps URL-encoded lines as query input', () => {
    const sqlmap = lists.seclists.filter((r) => r.id.startsWith('sqlmap-'));
    expect(sqlmap.length).toBeGreaterThan(40);
    expect(sqlmap.every((r) => !/\[RANDNUM|\[ORIGVALUE|\[RANDSTR/.test(r.payload))).toBe(true);
    expect(queryRequest('1 or 1=1+x').uri).toBe('/api/v1/search?q=1%20or%201=1%2Bx&page=1');
    expect(queryRequest('1+or+1=1&x', true).uri).toBe('/api/v1/search?q=1+or+1=1%26x&page=1');
    expect(queryRequest('\u00a0', true).uri).toBe('/api/v1/search?q=%A0&page=1');
  });
});

describe('benign API traffic generator', () => {
  const traffic = benignTraffic();

  it('is deterministic and varied', () => {
    expect(benignTraffic(50)).toEqual(benignTraffic(50));
    expect(traffic.length).toBe(1500);
    expect(new Set(traffic.map((r) => r.template)).size).toBeGreaterThanOrEqual(20);
    expect(traffic.filter((r) => r.body !== undefined).length).toBeGreaterThan(300);
  });

  it.each([
    ['api', { ...ALL }, 0.005],
    ['strict', { ...ALL, paranoia: 'strict' }, 0.1],
  ] as Array<[string, InspectionOptions, number]>)('is flagged at most at the ceiling in paranoia %s', (_level, opts, ceiling) => {
    const flagged: string[] = [];
    for (const r of traffic) {
      const f = inspectRequest(toInspectionInput(r), opts);
      if (f !== null) flagged.push(`${r.template}: ${describeFinding(f)}`);
    }
    expect(flagged.length / traffic.length, flagged.slice(0, 20).join('\n')).toBeLessThanOrEqual(ceiling);
  });
});
