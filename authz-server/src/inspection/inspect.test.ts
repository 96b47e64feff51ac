import { describe, expect, it } from 'vitest';
import { decodeLayers, decodeUtf8Lenient, foldUnicode, htmlEntityDecode, jsUnescape, percentDecode } from './decode.ts';
import { inspectRequest, safeForLog } from './inspect.ts';
import type { InspectionInput, InspectionOptions } from './inspect.ts';

const ALL: InspectionOptions = { sqlInjection: true, xss: true, pathTraversal: true };
const NONE: InspectionOptions = { sqlInjection: false, xss: false, pathTraversal: false };
const ON: InspectionOptions = { ...ALL, commandInjection: true };

function req(path: string, hdrs: Record<string, string> = {}, body?: string | Uint8Array, contentType?: string): InspectionInput {
  const input: InspectionInput = { path, headers: new Map(Object.entries(hdrs)) };
  if (body !== undefined) input.body = body;
  if (contentType !== undefined) input.contentType = contentType;
  return input;
}

describe('decoders', () => {
  it('percent-decodes UTF-8, %u escapes and plus, leaving malformed escapes alone', () => {
    expect(percentDecode('a%20b+c', true)).toBe('a b c');
    expect(percentDecode('a%20b+c', false)).toBe('a b+c');
    expect(percentDecode('caf%C3%A9', false)).toBe('café');
    expect(percentDecode('%u002e%u002E', false)).toBe('..');
    expect(percentDecode('100% %zz %4 %', false)).toBe('100% %zz %4 %');
    expect(percentDecode('%ff%fe', false)).toBe('\ufffd\ufffd');
  });

  it('maps overlong UTF-8 to the character it spells', () => {
    expect(percentDecode('%c0%ae%c0%af', false)).toBe('./');
    expect(percentDecode('%c1%9c', false)).toBe('\\');
    expect(percentDecode('%e0%80%ae', false)).toBe('.');
    expect(decodeUtf8Lenient([0xe2, 0x82])).toBe('\ufffd\ufffd'); // truncated sequence
    expect(decodeUtf8Lenient([0xed, 0xa0, 0x80])).toBe('\ufffd'); // encoded surrogate
  });

  it('peels nested percent-encoding into layers', () => {
    expect(decodeLayers('%25252e%25252e%25252f', false)).toEqual(['%25252e%25252e%25252f', '%252e%252e%252f', '%2e%2e%2f', '../']);
    expect(decodeLayers('plain', true)).toEqual(['plain']);
  });

  it('decodes HTML entities like a browser, and JS escapes', () => {
    expect(htmlEntityDecode('&lt;a&gt; &#60;&#x3C;&#0000060 &colon;&lpar;&rpar; &unknown; &#xFFFFFFF;')).toBe('<a> <<< :() &unknown; \ufffd');
    expect(jsUnescape('\\u003cscript\\x3e\\u{2F}')).toBe('<script>/');
  });

  it('folds fullwidth and look-alike characters', () => {
    expect(foldUnicode('\uff0e\uff0e\uff0f')).toBe('../');
    expect(foldUnicode('\u2025\u2215')).toBe('../');
    expect(foldUnicode('\uff1cscript\uff1e')).toBe('<script>');
    expect(foldUnicode('plain ascii')).toBe('plain ascii');
  });
});

describe('examples from the spec', () => {
  it('finds SQLi in an encoded query string', () => {
    expect(inspectRequest(req('/search?q=1%27%20OR%201%3D1--'), ALL)).toEqual({
      kind: 'sqlInjection',
      location: 'query:q',
      rule: 'sqli.tautology',
      sample: "1' OR 1=1--",
    });
  });

  it.each([
    ['/files/..%2f..%2fetc%2fpasswd'],
    ['/files/%2e%2e%2f%2e%2e%2fetc'],
    ['/files/%252e%252e%252fetc'],
    ['/static/..;/admin'],
    ['/%2e%2e/secret'],
    ['/download?file=..\\..\\windows\\win.ini'],
    ['/download?file=report.pdf%00.png'],
    ['/download?file=%C0%AE%C0%AE%C0%AFetc'],
  ])('finds traversal in %s', (path) => {
    expect(inspectRequest(req(path), ALL)?.kind).toBe('pathTraversal');
  });

  it('decodes plus as space in query strings only', () => {
    expect(inspectRequest(req('/s?q=1+union+select+1,2'), ALL)?.rule).toBe('sqli.union-select');
    // in a path '+' is literal, but '+'-separated keywords are still read as an attack
    expect(inspectRequest(req('/items/1+union+select+1,2'), ALL)?.kind).toBe('sqlInjection');
    expect(inspectRequest(req('/s?q=1+%2B+1'), ALL)).toBeNull();
  });

  it('lets normal traffic through', () => {
    const input = req('/api/v1/orders/550e8400-e29b-41d4-a716-446655440000?next=https://x.y/a/b&since=2024-01-15T10:30:00Z&q=O%27Brien', {
      ':authority': 'api.example.com',
      ':method': 'GET',
      ':scheme': 'https',
      ':path': '/ignored',
      accept: 'application/json, text/plain, */*',
      'user-agent': 'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0',
      cookie: 'sid=s%3AabC.dEf%2Bg; cart=%7B%22items%22%3A%5B1%2C2%5D%7D',
    });
    expect(inspectRequest(input, ALL)).toBeNull();
  });
});

describe('locations', () => {
  it('names where the finding was made', () => {
    const loc = (i: InspectionInput) => inspectRequest(i, ALL)?.location;
    expect(loc(req("/users/1'%20OR%20'1'='1"))).toBe('path');
    expect(loc(req('/s?a=1&search%20term=<script>alert(1)</script>'))).toBe('query:search term');
    expect(loc(req('/s?<script>alert(1)</script>=1'))).toBe('query-name');
    expect(loc(req('/', { referer: 'https://x.example/?q=1 or 1=1--' }))).toBe('header:referer');
    expect(loc(req('/', { 'x-forwarded-for': "1.2.3.4' or '1'='1" }))).toBe('header:x-forwarded-for');
    expect(loc(req('/', { cookie: 'a=1; theme=%3Cscript%3E' }))).toBe('cookie:theme');
    expect(loc(req('/', {}, '{"user":{"tags":["ok","<svg onload=alert(1)>"]}}', 'application/json'))).toBe('body:json.user.tags[1]');
    expect(loc(req('/', {}, '{"a b":"../../etc/passwd"}', 'application/json'))).toBe('body:json["a b"]');
    expect(loc(req('/', {}, '{"<script>alert(1)</script>":1}', 'application/json'))).toMatch(/^body:json\[/);
    expect(loc(req('/', {}, 'a=1&comment=%27%3B+DROP+TABLE+users--', 'application/x-www-form-urlencoded'))).toBe('body:form.comment');
    expect(loc(req('/', {}, "x' UNION SELECT 1,2--", 'text/plain'))).toBe('body');
    expect(loc(req('/', { 'content-type': 'application/json' }, '{"q":"1 AND SLEEP(5)"}'))).toBe('body:json.q');
  });

  it('keeps locations and samples safe to log', () => {
    const f = inspectRequest(req(`/s?${'%0a'.repeat(50)}x=<script>${'\u202e'.repeat(100)}`), ALL);
    expect(f?.kind).toBe('xss');
    expect(f!.location.length).toBeLessThanOrEqual(100);
    expect(f!.sample.length).toBeLessThanOrEqual(80);
    expect(f!.location + f!.sample).not.toMatch(/[\u0000-\u001f\u202e]/);
    expect(safeForLog('a\u0000b\nc\u2028\ud800', 80)).toBe('a\\x00b\\x0ac\\u2028\\ud800');
    expect(safeForLog('x'.repeat(200)).length).toBe(80);
    expect(safeForLog('\u0001'.repeat(100), 10)).toBe('\\x01\\x01');
  });
});

describe('headers', () => {
  const attack = "' OR '1'='1' -- <script>alert(1)</script> ../../etc/passwd";
  it.each([
    'authorization', 'proxy-authorization', 'x-api-key', 'x-forwarded-client-cert', 'x-request-id', 'x-b3-traceid',
    'x-b3-spanid', 'traceparent', 'tracestate', 'x-envoy-original-path', 'x-envoy-expected-rq-timeout-ms',
    ':authority', ':method', ':scheme', ':path',
  ])('does not scan %s', (name) => {
    expect(inspectRequest(req('/', { [name]: attack }), ALL)).toBeNull();
  });

  it.each(['cookie', 'referer', 'user-agent', 'x-forwarded-for', 'x-custom', 'accept-language'])('scans %s', (name) => {
    expect(inspectRequest(req('/', { [name]: name === 'cookie' ? `c=${encodeURIComponent(attack)}` : attack }), ALL)).not.toBeNull();
  });
});

describe('clean-value cache', () => {
  it('remembers clean values per configuration and decoding, never findings', () => {
    const attack = req(`/s?q=${encodeURIComponent("' or 1=1--")}`);
    expect(inspectRequest(attack, { ...ALL, sqlInjection: false })).toBeNull();
    expect(inspectRequest(attack, ALL)?.kind).toBe('sqlInjection');
    expect(inspectRequest(attack, ALL)?.kind).toBe('sqlInjection');
    // the same text is a query value ('+' is a space) and a header value ('+' stays)
    expect(inspectRequest(req('/s?q=1+union+select+1,2'), ALL)?.kind).toBe('sqlInjection');
    expect(inspectRequest(req('/s?q=ok', { 'x-q': '1+union+select+1,2' }), ALL)?.kind).toBe('sqlInjection');
  });

  it('stays correct past its bound', () => {
    for (let i = 0; i < 5000; i++) expect(inspectRequest(req(`/s?q=hello+world+${i}`), ALL)).toBeNull();
    expect(inspectRequest(req(`/s?q=${encodeURIComponent('<script>alert(1)</script>')}`), ALL)?.kind).toBe('xss');
  });
});

describe('body', () => {
  const sqli = "1' OR '1'='1";

  it('scans JSON string values and keys individually', () => {
    expect(inspectRequest(req('/', {}, JSON.stringify({ a: [1, true, null, { b: sqli }] }), 'application/json'), ALL)?.location).toBe(
      'body:json.a[3].b',
    );
    expect(inspectRequest(req('/', {}, JSON.stringify({ [sqli]: 1 }), 'application/vnd.api+json'), ALL)?.kind).toBe('sqlInjection');
    // values that would look suspicious if the JSON punctuation were scanned with them
    const benign = { name: "O'Brien", note: 'or', q: '"quoted" or not', n: '1', s: "'" };
    expect(inspectRequest(req('/', {}, JSON.stringify(benign), 'application/json'), ALL)).toBeNull();
  });

  it('handles deeply nested JSON without recursion', () => {
    const deep = '['.repeat(20000) + JSON.stringify(sqli) + ']'.repeat(20000);
    expect(inspectRequest(req('/', {}, deep, 'application/json'), { ...ALL, maxBodyBytes: 1 << 20 })?.kind).toBe('sqlInjection');
  });

  it('scans string literals of truncated or invalid JSON, and the text between them', () => {
    const truncated = JSON.stringify({ a: 'x', b: sqli, c: 'y' }).slice(0, 25);
    expect(inspectRequest(req('/', {}, truncated, 'application/json'), ALL)?.location).toBe('body:json.b');
    expect(inspectRequest(req('/', {}, '{"a": 1 union select 1,2}', 'application/json'), ALL)?.location).toBe('body');
    expect(inspectRequest(req('/', {}, "{\"name\": \"O'Brien\", \"tags\": [\"a\"", 'application/json'), ALL)).toBeNull();
    expect(inspectRequest(req('/', {}, 'not json at all <script>x</script>', 'application/json'), ALL)?.kind).toBe('xss');
  });

  it('scans multipart text fields and file names but not file contents', () => {
    const mp = (field: string, file: string, content: string) =>
      `--b1\r\nContent-Disposition: form-data; name="title"\r\n\r\n${field}\r\n` +
      `--b1\r\nContent-Disposition: form-data; name="upload"; filename="${file}"\r\nContent-Type: text/plain\r\n\r\n${content}\r\n--b1--\r\n`;
    const ct = 'multipart/form-data; boundary="b1"';
    expect(inspectRequest(req('/', {}, mp('hello', 'a.txt', "SELECT * FROM t WHERE a='' OR '1'='1' <script>"), ct), ALL)).toBeNull();
    expect(inspectRequest(req('/', {}, mp('<script>alert(1)</script>', 'a.txt', ''), ct), ALL)?.location).toBe('body:multipart.title');
    expect(inspectRequest(req('/', {}, mp('ok', '../../etc/cron.d/x', ''), ct), ALL)?.location).toBe('body:multipart.upload.filename');
  });

  it('sniffs JSON and form bodies without a content type', () => {
    expect(inspectRequest(req('/', {}, `{"q":${JSON.stringify(sqli)}}`), ALL)?.location).toBe('body:json.q');
    expect(inspectRequest(req('/', {}, `q=${encodeURIComponent(sqli)}&x=1`), ALL)?.location).toBe('body:form.q');
  });

  it('skips binary content types', () => {
    for (const ct of ['application/grpc', 'application/octet-stream', 'image/png', 'application/x-protobuf']) {
      expect(inspectRequest(req('/', {}, sqli, ct), ALL)).toBeNull();
    }
  });

  it('scans at most maxBodyBytes (default 64 KiB)', () => {
    const pad = 'a'.repeat(70 * 1024) + ' ';
    expect(inspectRequest(req('/', {}, pad + sqli, 'text/plain'), ALL)).toBeNull();
    expect(inspectRequest(req('/', {}, new TextEncoder().encode(pad + sqli), 'text/plain'), ALL)).toBeNull();
    expect(inspectRequest(req('/', {}, pad + sqli, 'text/plain'), { ...ALL, maxBodyBytes: 128 * 1024 })?.kind).toBe('sqlInjection');
    expect(inspectRequest(req('/', {}, sqli, 'text/plain'), { ...ALL, maxBodyBytes: 0 })).toBeNull();
    // the cap counts UTF-8 bytes, not UTF-16 units
    const wide = 'é'.repeat(40 * 1024) + ' ' + sqli;
    expect(inspectRequest(req('/', {}, wide, 'text/plain'), ALL)).toBeNull();
  });

  it('decodes bytes leniently', () => {
    const bytes = new Uint8Array([0xff, 0xfe, 0x3c, 0x73, 0x63, 0x72, 0x69, 0x70, 0x74, 0x3e, 0xc0]);
    expect(inspectRequest(req('/', {}, bytes, 'text/plain'), ALL)?.kind).toBe('xss');
  });
});

describe('options', () => {
  const input = req("/a/..%2f..%2fetc/passwd?q=<script>alert(1)</script>", { 'user-agent': "x' OR 1=1--" });
  it('scans only the enabled kinds', () => {
    expect(inspectRequest(input, ALL)?.kind).toBe('pathTraversal');
    expect(inspectRequest(input, { ...ALL, pathTraversal: false })?.kind).toBe('xss');
    expect(inspectRequest(input, { ...NONE, sqlInjection: true })?.kind).toBe('sqlInjection');
    expect(inspectRequest(input, NONE)).toBeNull();
  });
});

describe('false-positive guards', () => {
  it.each([
    'select a product',
    'rock or roll',
    "Jones' and Smith's",
    'sleep (8h) vs nap',
    '3 or 4 = enough',
    'JavaScript: The Good Parts',
    'Promise<object> and Map<string, object>',
    "console.log('---');",
    'eval (#233)',
    'online=yes',
    'git diff main..feature',
    'Loading...',
    'etc/hosts explained',
    'data:image/png;base64,iVBORw0KGgo=',
    '=VLOOKUP(A2,Sheet2!A:B,2,FALSE)',
  ])('passes %j', (s) => {
    expect(inspectRequest(req(`/s?q=${encodeURIComponent(s)}`, {}, JSON.stringify({ s }), 'application/json'), ALL)).toBeNull();
  });
});

describe('decoders attackers use', () => {
  it.each([
    ['UTF-7', '/s?q=%2BADw-script%2BAD4-alert(1)%2BADw-/script%2BAD4-', 'xss'],
    ['overlong UTF-8 dot-dot', '/files/%c0%ae%c0%ae%c0%af%c0%ae%c0%ae%c0%afetc%c0%afpasswd', 'pathTraversal'],
    ['IIS %u escapes', '/files/%u002e%u002e%u2215etc%u2215passwd', 'pathTraversal'],
    ['double encoding', '/s?q=%2527%2520OR%25201%253D1--', 'sqlInjection'],
    ['HTML entities in a scheme', '/s?u=%3Ca%20href%3D%22ja%26Tab%3Bvascript%26colon%3Balert(1)%22%3Ex', 'xss'],
    ['SQL comments as spaces', '/s?q=1%2F**%2FUNION%2F**%2FSELECT%2F**%2Fpassword%2F**%2FFROM%2F**%2Fusers', 'sqlInjection'],
    ['MySQL versioned comment', '/s?q=1%20%2F*!50000UNION*%2F%20%2F*!50000SELECT*%2F%201%2C2', 'sqlInjection'],
    ['case and whitespace', '/s?q=%27%09oR%0A%271%27%3D%271', 'sqlInjection'],
    ['PostgreSQL cast', "/s?id=1%27%20AND%201%3DCAST((SELECT%20version())%3A%3Aint%2C1)--", 'sqlInjection'],
    ['JSON operator', "/s?q=%27%7B%22a%22%3A1%7D%27%3A%3Ajsonb%20%40%3E%20%27%7B%7D%27", 'sqlInjection'],
    ['quote-evaded command', '/s?host=x%3Bc%27a%27t%20%2Fe%27t%27c%2Fpa%27s%27swd', 'commandInjection'],
    ['restricted file in the path', '/.git/config', 'pathTraversal'],
    ['absolute path to a system file', '/s?file=%2Fproc%2Fself%2Fenviron', 'pathTraversal'],
    ['PHP stream wrapper', '/s?page=php%3A%2F%2Ffilter%2Fconvert.base64-encode%2Fresource%3Dindex.php', 'pathTraversal'],
    ['a command alone on a new line', '/s?host=example.com%0Aid', 'commandInjection'],
    // from here on the rule itself
    ["an encoded separator whose '%' was stripped", '/s?file=..2f..2fetc2fpasswd', 'traversal.dotdot'],
    ['a base64 traversal', '/s?file=Li4vLi4vZXRjL3Bhc3N3ZA%3D%3D', 'traversal.encoded-path'],
    ['a server log file', '/s?file=%2Fusr%2Flocal%2Fapache%2Flogs%2Faccess_log', 'traversal.sensitive-file'],
    ['a Windows server folder', '/s?file=c%3A%5CProgram%20Files%5CApache%20Group%5CApache%5Cconf%5Chttpd.conf', 'traversal.sensitive-file'],
    ['dot segments read through', '/s?file=%2F.%2F.%2F.%2Fetc%2Fpasswd', 'traversal.sensitive-file'],
    ['a shell start-up file', '/s?file=%2F.bashrc', 'traversal.restricted-file'],
    ['blind extraction', '/s?q=x%20and%20ascii(substring(password%2C1%2C1))%3E64', 'sqli.blind-extraction'],
    ['a subquery as the whole value', '/s?id=(select%20id%20from%20users%20limit%201%2C1)', 'sqli.subquery'],
    ["sqlmap's function tautology", '/s?id=ELT(4829%3D4829%2C7301)', 'sqli.conditional'],
    ['a parenthesised expression then a comment', "/s?id=%20(%20'a'%20OR%201%20)%20%20--", 'sqli.comment-terminator'],
    ["an expression closed by the application's quote", "/s?q=aa'%20DIV%401%20%3D%200%20or%20'1", 'sqli.operator-injection'],
    ['a stacked statement after a condition', "/s?q=x'%3Bif%201%3D1%20drop%20table%20users--", 'sqli.stacked-query'],
    ['MongoDB server-side JavaScript', "/s?q=%24where%3A%20'1%20%3D%3D%201'", 'sqli.nosql-operator'],
    ['a delay in a command substitution', '/s?q=%24(sleep%2050)', 'cmdi.command'],
    ['IE data binding', '/s?q=%3Cspan%20datasrc%3D%23I%20datafld%3DC%20dataformatas%3DHTML%3E', 'xss.dangerous-tag'],
  ])('%s', (_name, path, expected) => {
    const f = inspectRequest(req(path), ON);
    expect(expected.includes('.') ? f?.rule : f?.kind).toBe(expected);
  });
});

describe('API-tolerant precision', () => {
  it.each([
    ["names with apostrophes", "/customers?lastName=O%27Brien&first=D%27Angelo"],
    ['contractions that spell commands without the apostrophe', "/s?q=I%27d%20like%20it%20%26%20we%27d%20go%3B%20I%27d%20say%20yes"],
    ['search text with SQL words', '/search?q=select%20a%20union%20representative%20or%20drop%20shipping'],
    ['a Mongo-style JSON filter', '/products?filter=%7B%22price%22%3A%7B%22%24gte%22%3A10%7D%2C%22%24or%22%3A%5B%7B%22a%22%3A1%7D%5D%7D'],
    ['an OData filter', "/odata/Products?%24filter=startswith(Name%2C%20%27O%27%27Brien%27)%20or%20Rating%20ge%204"],
    ['a shell snippet at the start of a value', '/snippets?code=ls%20-la%20%2Fhome%2Fuser'],
    ['the well-known directory', '/.well-known/openid-configuration'],
    ['a relative link in rich text', '/c?html=%3Ca%20href%3D%22..%2Fdocs%22%3Edocs%3C%2Fa%3E'],
    ['a home directory path', '/s?dir=%2Fhome%2Fann%2Fprojects'],
    ['a Windows user folder', '/s?dir=C%3A%5CUsers%5CPublic'],
    ['a PATH line', '/s?code=export%20PATH%3D%24PATH%3A%2Fusr%2Flocal%2Fbin'],
    ['search text that starts like a system file', '/s?q=etc%2Fhosts%20explained'],
    ['a random base64 token', '/s?token=iHO2hRQRcUKwwYWJQDFasdkD9%2Fzqx974kC74pBn%3D%3D'],
    ['quoted search terms', '/s?q=%22wood%22%20and%20%22sign%22%20and%20%22polka%20dots%22'],
    ['a measurement', "/s?q=4'%20x%204'%20wood"],
  ])('%s passes', (_name, path) => {
    expect(inspectRequest(req(path), ON)).toBeNull();
  });
});

describe('options: paranoia, exclusions, redaction', () => {

  it('strict paranoia adds token rules on top of the API-tolerant ones', () => {
    const path = '/s?q=concat(a%2Cb)';
    expect(inspectRequest(req(path), ON)).toBeNull();
    expect(inspectRequest(req(path), { ...ON, paranoia: 'strict' })?.rule).toBe('sqli.function-call');
    expect(inspectRequest(req('/s?user[%24ne]=x'), { ...ON, paranoia: 'strict' })?.rule).toBe('sqli.nosql-operator');
  });

  it('an exclusion skips its rules where its path and location match, and nothing else', () => {
    const path = '/a/b?q=%27%20or%201%3D1--&r=%27%20or%201%3D1--';
    const exclusion = { rules: ['sqli.tautology'], paths: [/^\/a\//], locations: ['query:q'] };
    const f = inspectRequest(req(path), { ...ON, exclusions: [exclusion] });
    expect(f?.location).toBe('query:r');
    expect(inspectRequest(req('/a/b?q=%27%20or%201%3D1--'), { ...ON, exclusions: [exclusion] })).toBeNull();
    expect(inspectRequest(req('/z?q=%27%20or%201%3D1--'), { ...ON, exclusions: [exclusion] })?.rule).toBe('sqli.tautology');
    // a family, and a prefix location
    expect(inspectRequest(req('/a/b?q=%27%20or%201%3D1--'), { ...ON, exclusions: [{ rules: ['sqli'], locations: ['query:*'] }] })).toBeNull();
    // another rule of the same value still fires when only one rule is excluded
    const other = inspectRequest(req('/a/b?q=1%20union%20select%20password%20from%20users'), { ...ON, exclusions: [{ rules: ['sqli.tautology'] }] });
    expect(other?.rule).toBe('sqli.union-select');
    // no rules listed: every rule is off there
    expect(inspectRequest(req('/a/b?q=%3Cscript%3E'), { ...ON, exclusions: [{ locations: ['query:q'] }] })).toBeNull();
  });

  it('matches exclusion paths against the normalised path when the caller gives it', () => {
    const input = { ...req('/a/./b?q=%27%20or%201%3D1--'), normalizedPath: '/a/b' };
    expect(inspectRequest(input, { ...ON, exclusions: [{ rules: ['sqli'], paths: [/^\/a\/b$/] }] })).toBeNull();
  });

  it('redacts credentials in samples', () => {
    expect(inspectRequest(req('/login?password=%27%20or%201%3D1--'), ON)?.sample).toBe('[redacted 10 chars]');
    const f = inspectRequest(req('/s', {}, '{"note":"<script>alert(1)</script> Bearer abcdefghijklmnop"}', 'application/json'), ON);
    expect(f?.sample).toContain('[redacted]');
    expect(f?.sample).not.toContain('abcdefghijklmnop');
  });

  it('remembers clean header values without changing verdicts', () => {
    const ua = { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0' };
    expect(inspectRequest(req('/', ua), ON)).toBeNull();
    expect(inspectRequest(req('/', ua), ON)).toBeNull();
    // the same value is still scanned under other settings and at excluded locations
    const evil = { 'user-agent': "x' or 1=1--" };
    expect(inspectRequest(req('/', evil), { ...ON, exclusions: [{ locations: ['header:user-agent'] }] })).toBeNull();
    expect(inspectRequest(req('/', evil), ON)?.kind).toBe('sqlInjection');
  });
});
