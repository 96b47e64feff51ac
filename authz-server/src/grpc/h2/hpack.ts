/**
 * HPACK (RFC 7541) for the Check port's HTTP/2 server: a decoder with its dynamic table, and an encoder for the
 * few constant and near-constant fields a gRPC answer carries. The encoder never indexes, so the peer's table size
 * never matters to it, and what it writes is decodable by any conforming peer.
 *
 * The decoder is where a client could hope to hide or forge a header from the stages, so it is strict: every
 * malformed representation is a compression error that ends the connection (RFC 7541 section 2.2), and every
 * field name or value that RFC 9113 section 8.2.1 forbids is reported, for the stream to be refused as malformed.
 */
import { HUFFMAN_CODES, HUFFMAN_LENGTHS, STATIC_TABLE } from './hpack-tables.ts';

/** A violation of HPACK: the connection must end with COMPRESSION_ERROR. */
export class HpackError extends Error {}

const EOS = 256;

/**
 * The Huffman code as a binary tree in one array: node n's children are at 2n (bit 0) and 2n + 1 (bit 1); a child
 * >= 0 is another node, a child < 0 is the leaf of symbol -(child + 1).
 */
const TREE: Int32Array = (() => {
  const tree = new Int32Array(2 * 520).fill(0);
  let nodes = 1;
  const add = (symbol: number, code: number, bits: number) => {
    let node = 0;
    for (let i = bits - 1; i >= 0; i--) {
      const slot = 2 * node + ((code >>> i) & 1);
      if (i === 0) {
        tree[slot] = -(symbol + 1);
        return;
      }
      if (tree[slot] === 0) tree[slot] = nodes++;
      node = tree[slot] as number;
    }
  };
  for (let s = 0; s < 256; s++) add(s, HUFFMAN_CODES[s] as number, HUFFMAN_LENGTHS[s] as number);
  add(EOS, 0x3fffffff, 30);
  return tree;
})();

let scratch = Buffer.allocUnsafe(4096);

/** Decodes `len` Huffman-coded bytes of `src` at `at` to a latin1 string. */
export function huffmanDecode(src: Uint8Array, at: number, len: number): string {
  // The shortest code is 5 bits: at most 8/5 symbols per byte.
  const need = Math.ceil((len * 8) / 5);
  if (scratch.length < need) scratch = Buffer.allocUnsafe(need);
  let out = 0;
  let node = 0;
  // Bits read since the last complete symbol, and whether they were all 1s: what is left at the end must be a
  // prefix of EOS (all 1s) of at most 7 bits.
  let pending = 0;
  let ones = true;
  for (let i = at, end = at + len; i < end; i++) {
    const byte = src[i] as number;
    for (let b = 7; b >= 0; b--) {
      const bit = (byte >>> b) & 1;
      const next = TREE[2 * node + bit] as number;
      pending++;
      ones &&= bit === 1;
      if (next < 0) {
        const symbol = -next - 1;
        if (symbol === EOS) throw new HpackError('Huffman string contains EOS');
        scratch[out++] = symbol;
        node = 0;
        pending = 0;
        ones = true;
      } else node = next;
    }
  }
  if (pending > 7 || !ones) throw new HpackError('Huffman string has invalid padding');
  return scratch.toString('latin1', 0, out);
}

/** Appends the Huffman code of latin1 `s` to a byte array (for tests and tools; answers are not Huffman-coded). */
export function huffmanEncode(s: string): Buffer {
  const bytes: number[] = [];
  let acc = 0n;
  let bits = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i) & 0xff;
    acc = (acc << BigInt(HUFFMAN_LENGTHS[c] as number)) | BigInt(HUFFMAN_CODES[c] as number);
    bits += HUFFMAN_LENGTHS[c] as number;
    while (bits >= 8) {
      bits -= 8;
      bytes.push(Number((acc >> BigInt(bits)) & 0xffn));
    }
  }
  if (bits > 0) bytes.push(Number(((acc << BigInt(8 - bits)) | ((1n << BigInt(8 - bits)) - 1n)) & 0xffn));
  return Buffer.from(bytes);
}

/** Field-name bytes RFC 9113 allows: lowercase tchar (and ':' only as the first byte of a pseudo-header). */
const NAME_OK: Uint8Array = (() => {
  const ok = new Uint8Array(256);
  for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz") ok[c.charCodeAt(0)] = 1;
  return ok;
})();

/** True when `name` is a valid HTTP/2 field name. */
export function validName(name: string): boolean {
  if (name.length === 0) return false;
  for (let i = name.charCodeAt(0) === 0x3a ? 1 : 0; i < name.length; i++) if (NAME_OK[name.charCodeAt(i)] !== 1) return false;
  return name.length > 1 || name !== ':';
}

/** True when `value` is a valid HTTP/2 field value: no NUL, CR or LF, no leading or trailing space or tab. */
export function validValue(value: string): boolean {
  const n = value.length;
  if (n === 0) return true;
  const first = value.charCodeAt(0);
  const last = value.charCodeAt(n - 1);
  if (first === 0x20 || first === 0x09 || last === 0x20 || last === 0x09) return false;
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c === 0 || c === 0x0a || c === 0x0d) return false;
  }
  return true;
}

/** Receives decoded fields in order; `valid` is false for a name or value RFC 9113 forbids. */
export type FieldSink = (name: string, value: string, valid: boolean) => void;

/** An HPACK decoder: one per connection, fed every header block in the order received. */
export class HpackDecoder {
  // The dynamic table, newest last, from `#first`: names, values, validity. Size per RFC 7541 section 4.1.
  #names: string[] = [];
  #values: string[] = [];
  #valid: boolean[] = [];
  #first = 0;
  #size = 0;
  #capacity: number;
  /** The most a table size update may ask for (our SETTINGS_HEADER_TABLE_SIZE). */
  readonly #limit: number;

  constructor(maxTableSize = 4096) {
    this.#capacity = maxTableSize;
    this.#limit = maxTableSize;
  }

  /** Entries now in the dynamic table (for tests). */
  get tableLength(): number {
    return this.#names.length - this.#first;
  }

  /** Bytes now accounted to the dynamic table (for tests). */
  get tableSize(): number {
    return this.#size;
  }

  /** Read position in the block being decoded. */
  #pos = 0;

  /** Decodes one complete header block, calling `sink` per field; throws HpackError on a compression error. */
  decode(block: Buffer, sink: FieldSink): void {
    this.#pos = 0;
    const end = block.length;
    let fieldsSeen = false;
    while (this.#pos < end) {
      const b = block[this.#pos] as number;
      if (b & 0x80) {
        this.#emitIndexed(this.#integer(block, 7), sink);
        fieldsSeen = true;
      } else if (b & 0x40) {
        this.#literal(block, 6, true, sink);
        fieldsSeen = true;
      } else if (b & 0x20) {
        // A size update is allowed only before the block's first field (RFC 7541 section 4.2).
        if (fieldsSeen) throw new HpackError('dynamic table size update after a field');
        const size = this.#integer(block, 5);
        if (size > this.#limit) throw new HpackError(`dynamic table size update to ${size} exceeds ${this.#limit}`);
        this.#capacity = size;
        this.#evict(0);
      } else {
        this.#literal(block, 4, false, sink);
        fieldsSeen = true;
      }
    }
  }

  /** Reads an integer with a `prefixBits` prefix at the read position, and moves past it. */
  #integer(block: Buffer, prefixBits: number): number {
    const max = (1 << prefixBits) - 1;
    let value = (block[this.#pos++] as number) & max;
    if (value < max) return value;
    let shift = 0;
    for (;;) {
      if (this.#pos >= block.length) throw new HpackError('truncated integer');
      const b = block[this.#pos++] as number;
      value += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if ((b & 0x80) === 0) break;
      // Nothing in a header block needs more than 2^28; bigger is an attack on the decoder.
      if (shift > 28) throw new HpackError('integer too large');
    }
    if (value > 0x0fffffff) throw new HpackError('integer too large');
    return value;
  }

  #string(block: Buffer): string {
    if (this.#pos >= block.length) throw new HpackError('truncated string');
    const huffman = ((block[this.#pos] as number) & 0x80) !== 0;
    const len = this.#integer(block, 7);
    const p = this.#pos;
    if (p + len > block.length) throw new HpackError('string longer than its block');
    this.#pos = p + len;
    return huffman ? huffmanDecode(block, p, len) : block.toString('latin1', p, p + len);
  }

  #emitIndexed(index: number, sink: FieldSink): void {
    if (index === 0) throw new HpackError('index 0');
    if (index < STATIC_TABLE.length) {
      const [name, value] = STATIC_TABLE[index] as readonly [string, string];
      sink(name, value, true);
      return;
    }
    const i = this.#dynamic(index);
    sink(this.#names[i] as string, this.#values[i] as string, this.#valid[i] as boolean);
  }

  #nameAt(index: number): string {
    if (index < STATIC_TABLE.length) return (STATIC_TABLE[index] as readonly [string, string])[0];
    return this.#names[this.#dynamic(index)] as string;
  }

  /** The array position of dynamic-table `index` (62 = newest). */
  #dynamic(index: number): number {
    const i = this.#names.length - 1 - (index - STATIC_TABLE.length);
    if (i < this.#first) throw new HpackError(`index ${index} beyond the dynamic table`);
    return i;
  }

  #literal(block: Buffer, prefixBits: number, index: boolean, sink: FieldSink): void {
    const nameIndex = this.#integer(block, prefixBits);
    const name = nameIndex === 0 ? this.#string(block) : this.#nameAt(nameIndex);
    const value = this.#string(block);
    const valid = validName(name) && validValue(value);
    if (index) this.#insert(name, value, valid);
    sink(name, value, valid);
  }

  #insert(name: string, value: string, valid: boolean): void {
    const size = name.length + value.length + 32;
    if (size > this.#capacity) {
      // An entry larger than the table empties it and is not added (RFC 7541 section 4.4).
      this.#evict(this.#capacity);
      return;
    }
    this.#evict(size);
    this.#names.push(name);
    this.#values.push(value);
    this.#valid.push(valid);
    this.#size += size;
  }

  /** Evicts the oldest entries until `room` more bytes fit. */
  #evict(room: number): void {
    while (this.#size + room > this.#capacity && this.#first < this.#names.length) {
      this.#size -= (this.#names[this.#first] as string).length + (this.#values[this.#first] as string).length + 32;
      this.#first++;
    }
    if (this.#first > 64 && this.#first * 2 > this.#names.length) {
      this.#names = this.#names.slice(this.#first);
      this.#values = this.#values.slice(this.#first);
      this.#valid = this.#valid.slice(this.#first);
      this.#first = 0;
    }
  }
}

function encodeInteger(out: number[], value: number, prefixBits: number, flags: number): void {
  const max = (1 << prefixBits) - 1;
  if (value < max) {
    out.push(flags | value);
    return;
  }
  out.push(flags | max);
  let v = value - max;
  while (v >= 128) {
    out.push((v % 128) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
}

/**
 * Encodes fields as HPACK literals without indexing (a static-table name by index where there is one, the value
 * as plain bytes), or as a static-table index when the whole field is in the static table.
 */
export function encodeFields(fields: ReadonlyArray<readonly [string, string]>): Buffer {
  const out: number[] = [];
  for (const [name, value] of fields) {
    const full = STATIC_TABLE.findIndex(([n, v], i) => i > 0 && n === name && v === value);
    if (full > 0) {
      encodeInteger(out, full, 7, 0x80);
      continue;
    }
    const nameIndex = STATIC_TABLE.findIndex(([n], i) => i > 0 && n === name);
    if (nameIndex > 0) encodeInteger(out, nameIndex, 4, 0);
    else {
      out.push(0);
      encodeInteger(out, name.length, 7, 0);
      for (let i = 0; i < name.length; i++) out.push(name.charCodeAt(i) & 0xff);
    }
    encodeInteger(out, value.length, 7, 0);
    for (let i = 0; i < value.length; i++) out.push(value.charCodeAt(i) & 0xff);
  }
  return Buffer.from(out);
}
