import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { inspectRequest } from './inspect.ts';
import type { InspectionFinding, InspectionInput, InspectionOptions } from './inspect.ts';

// Fragments that exercise the decoders' and tokenizers' edge cases.
const FRAGMENTS = [
  '%', '%2', '%25', '%2e', '%2f', '%c0', '%c0%af', '%e0%80', '%f4%90%80%80', '%ff', '%u', '%u12', '%uD800', '%00', '+',
  '&#', '&#x', '&#1114112;', '&#x110000;', '&lt', '&colon;', '\\', '\\u', '\\u{', '\\x', "'", '"', '`', '<', '>', '</',
  '<script', 'on', 'onerror=', '=', '..', '../', '..;', '/', '\u0000', '\ud800', '\udc00', '\uff0e', '\u2025', ' ', '\t',
  '\n', '/*', '*/', '/*!', '--', '#', ';', '(', ')', ',', '@@', '0x', '1', 'or', 'union', 'select', 'sleep(', 'javascript:',
  '{', '}', '[', ']', ':', 'é', '😀', 'a',
];
const tricky = fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 40 }).map((a) => a.join(''));
const anyString = fc.oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.string({ maxLength: 200 }), tricky);

const exclusion = fc.record(
  {
    rules: fc.array(fc.constantFrom('sqli', 'xss.*', 'traversal.dotdot', 'cmdi.command', 'sqli.tautology', 'xss.script-tag'), { minLength: 1, maxLength: 3 }),
    paths: fc.array(fc.constantFrom(/^/, /^\/api(?:\/.*)?$/, /^$/), { minLength: 1, maxLength: 2 }),
    locations: fc.array(fc.constantFrom('path', 'query:*', 'header:user-agent', 'cookie:*', 'body*', 'query:q'), { minLength: 1, maxLength: 3 }),
  },
  { requiredKeys: [] },
);

const options = fc.record({
  sqlInjection: fc.boolean(),
  xss: fc.boolean(),
  pathTraversal: fc.boolean(),
  commandInjection: fc.boolean(),
  paranoia: fc.constantFrom('api', 'strict'),
  exclusions: fc.array(exclusion, { maxLength: 2 }),
  maxBodyBytes: fc.option(fc.integer({ min: -5, max: 1 << 16 }), { nil: undefined }),
}) as fc.Arbitrary<InspectionOptions>;

const input: fc.Arbitrary<InspectionInput> = fc.record(
  {
    path: fc.oneof(anyString, tricky.map((s) => `/${s}?${s}=${s}&${s}`)),
    headers: fc
      .array(fc.tuple(fc.oneof(fc.constantFrom('cookie', 'referer', 'user-agent', 'x-forwarded-for', ':path', 'authorization'), anyString), anyString), {
        maxLength: 6,
      })
      .map((entries) => new Map(entries)),
    body: fc.oneof(anyString, fc.uint8Array({ maxLength: 300 }), tricky.map((s) => `{"a":"${s}`), tricky.map((s) => `--b\r\n${s}`)),
    contentType: fc.oneof(
      fc.constantFrom('application/json', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=b', 'text/plain', 'application/grpc'),
      anyString,
    ),
  },
  { requiredKeys: ['path', 'headers'] },
);

/** An exclusion that applies on every path and covers the finding's location and rule. */
function excluded(f: InspectionFinding, opts: InspectionOptions): boolean {
  return (opts.exclusions ?? []).some(
    (e) =>
      (e.paths === undefined || e.paths.some((re) => re.source === '^')) &&
      (e.locations === undefined || e.locations.some((l) => (l.endsWith('*') ? f.location.startsWith(l.slice(0, -1)) : f.location === l))) &&
      (e.rules === undefined || e.rules.some((r) => r === f.rule || f.rule.startsWith(`${r.replace(/\.\*$/, '')}.`))),
  );
}

function wellFormed(f: InspectionFinding | null, opts: InspectionOptions): boolean {
  if (f === null) return true;
  const enabled = opts[f.kind];
  return (
    enabled === true &&
    /^(sqli|xss|traversal|cmdi)\.[a-z-]+$/.test(f.rule) &&
    !excluded(f, opts) &&
    typeof f.location === 'string' &&
    f.location.length <= 100 &&
    f.sample.length <= 80 &&
    !/[\u0000-\u001f\u007f]/.test(f.sample + f.location) &&
    f.sample.isWellFormed()
  );
}

describe('inspectRequest on arbitrary input', () => {
  it('never throws, returns a well-formed finding and is deterministic', () => {
    fc.assert(
      fc.property(input, options, (i, o) => {
        const a = inspectRequest(i, o);
        expect(wellFormed(a, o)).toBe(true);
        expect(inspectRequest(i, o)).toEqual(a);
      }),
      { numRuns: 1500 },
    );
  });

  it('finds nothing when every kind is disabled', () => {
    fc.assert(
      fc.property(input, (i) => inspectRequest(i, { sqlInjection: false, xss: false, pathTraversal: false, commandInjection: false }) === null),
      { numRuns: 200 },
    );
  });

  it('still detects a payload appended to arbitrary (possibly garbage) text in a JSON field', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 100 }), (junk) => {
        const body = JSON.stringify({ junk, attack: '<script>alert(1)</script>' });
        return inspectRequest({ path: '/', headers: new Map(), body, contentType: 'application/json' }, { sqlInjection: false, xss: true, pathTraversal: false })?.kind === 'xss';
      }),
      { numRuns: 300 },
    );
  });
});
