import { describe, expect, it } from 'vitest';
import { encodeFields, HpackDecoder, HpackError, huffmanDecode, huffmanEncode } from './hpack.ts';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

function decodeAll(d: HpackDecoder, block: Buffer): Array<[string, string, boolean]> {
  const out: Array<[string, string, boolean]> = [];
  d.decode(block, (n, v, ok) => out.push([n, v, ok]));
  return out;
}
const fields = (d: HpackDecoder, block: Buffer) => decodeAll(d, block).map(([n, v]) => [n, v]);

describe('HPACK decoder: the examples of RFC 7541 appendix C', () => {
  it('C.4: requests with Huffman coding, one table across three blocks', () => {
    const d = new HpackDecoder(4096);
    expect(fields(d, hex('8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff'))).toEqual([
      [':method', 'GET'],
      [':scheme', 'http'],
      [':path', '/'],
      [':authority', 'www.example.com'],
    ]);
    expect(d.tableSize).toBe(57);
    expect(fields(d, hex('8286 84be 5886 a8eb 1064 9cbf'))).toEqual([
      [':method', 'GET'],
      [':scheme', 'http'],
      [':path', '/'],
      [':authority', 'www.example.com'],
      ['cache-control', 'no-cache'],
    ]);
    expect(d.tableSize).toBe(110);
    expect(fields(d, hex('8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf'))).toEqual([
      [':method', 'GET'],
      [':scheme', 'https'],
      [':path', '/index.html'],
      [':authority', 'www.example.com'],
      ['custom-key', 'custom-value'],
    ]);
    expect([d.tableLength, d.tableSize]).toEqual([3, 164]);
  });

  it('C.6: responses with Huffman coding in a 256-byte table, with evictions', () => {
    const d = new HpackDecoder(256);
    expect(fields(d, hex('4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3'))).toEqual([
      [':status', '302'],
      ['cache-control', 'private'],
      ['date', 'Mon, 21 Oct 2013 20:13:21 GMT'],
      ['location', 'https://www.example.com'],
    ]);
    expect(d.tableSize).toBe(222);
    expect(fields(d, hex('4883 640e ffc1 c0bf'))).toEqual([
      [':status', '307'],
      ['cache-control', 'private'],
      ['date', 'Mon, 21 Oct 2013 20:13:21 GMT'],
      ['location', 'https://www.example.com'],
    ]);
    expect(d.tableSize).toBe(222);
    const third = hex(
      '88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab 77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07',
    );
    expect(fields(d, third)).toEqual([
      [':status', '200'],
      ['cache-control', 'private'],
      ['date', 'Mon, 21 Oct 2013 20:13:22 GMT'],
      ['location', 'https://www.example.com'],
      ['content-encoding', 'gzip'],
      ['set-cookie', 'foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1'],
    ]);
    expect([d.tableLength, d.tableSize]).toEqual([3, 215]);
  });

  it('C.2: literal without indexing and never indexed leave the table alone', () => {
    const d = new HpackDecoder();
    expect(fields(d, hex('040c 2f73 616d 706c 652f 7061 7468'))).toEqual([[':path', '/sample/path']]);
    expect(fields(d, hex('1008 7061 7373 776f 7264 0673 6563 7265 74'))).toEqual([['password', 'secret']]);
    expect(d.tableLength).toBe(0);
  });
});

describe('HPACK decoder: what a hostile peer sends is refused', () => {
  const bad: Array<[string, string]> = [
    ['index 0', '80'],
    ['an index past the dynamic table', 'be'],
    ['a size update above the limit', '3fe21f'],
    ['a size update after a field', '82 20'],
    ['a truncated integer', 'ff'],
    ['an integer past 2^28', 'ff ff ff ff ff 0f'],
    ['a string longer than its block', '00 05 61'],
    ['Huffman padding longer than 7 bits', '00 82 ff ff 01 61'],
    ['Huffman padding that is not all ones', '40 81 00 00'],
    ['EOS inside a Huffman string', '00 84 ff ff ff ff 01 61'],
  ];
  for (const [what, bytes] of bad) {
    it(`${what}: a compression error`, () => {
      expect(() => decodeAll(new HpackDecoder(), hex(bytes))).toThrow(HpackError);
    });
  }

  it('forbidden names and values are reported, and stay reported when indexed later', () => {
    const d = new HpackDecoder();
    const block = encodeFields([
      ['x-ok', 'fine'],
      ['x-cr', 'a\rb'],
      ['x-space', ' lead'],
      ['x-nul', 'a\0'],
    ]);
    expect(decodeAll(d, block).map(([, , ok]) => ok)).toEqual([true, false, false, false]);
    // Uppercase, an empty name, a colon inside: each added to the table (literal with indexing).
    const literal = (name: string, value: string) => Buffer.concat([Buffer.from([0x40, name.length]), Buffer.from(name, 'latin1'), Buffer.from([value.length]), Buffer.from(value, 'latin1')]);
    for (const name of ['X-Upper', '', 'a:b', 'sp ace']) {
      const got = decodeAll(d, literal(name, 'v'));
      expect(got[0]?.[2], JSON.stringify(name)).toBe(false);
      expect(decodeAll(d, Buffer.from([0xbe]))[0]?.[2], `${JSON.stringify(name)} indexed`).toBe(false);
    }
  });

  it('an entry larger than the table empties it instead of being added', () => {
    const d = new HpackDecoder(64);
    decodeAll(d, Buffer.concat([Buffer.from([0x40, 1]), Buffer.from('a'), Buffer.from([1]), Buffer.from('b')]));
    expect(d.tableLength).toBe(1);
    decodeAll(d, Buffer.concat([Buffer.from([0x40, 1]), Buffer.from('c'), Buffer.from([40]), Buffer.alloc(40, 0x61)]));
    expect([d.tableLength, d.tableSize]).toEqual([0, 0]);
  });
});

describe('Huffman code and the encoder', () => {
  it('every byte value round-trips, in strings of every length up to 300', () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
    for (let len = 0; len <= 300; len++) {
      const s = Buffer.from(Array.from({ length: len }, (_, i) => (i < 256 && len === 256 ? i : rand()))).toString('latin1');
      const coded = huffmanEncode(s);
      expect(huffmanDecode(coded, 0, coded.length)).toBe(s);
    }
  });

  it('encodeFields output decodes to the same fields in any decoder state', () => {
    const list: Array<[string, string]> = [
      [':status', '200'],
      ['content-type', 'application/grpc+proto'],
      ['grpc-status', '13'],
      ['grpc-message', 'a'.repeat(300)],
    ];
    const d = new HpackDecoder();
    for (let i = 0; i < 3; i++) expect(fields(d, encodeFields(list))).toEqual(list);
    expect(d.tableLength).toBe(0);
  });
});
