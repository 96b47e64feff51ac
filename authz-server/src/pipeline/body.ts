/**
 * What of a request body inspection reads, decided by the body's content rather than its label: applications
 * parse what they receive (Go handlers decode JSON whatever the Content-Type says, Express inflates gzip bodies),
 * so a JSON body labelled `image/png` or `application/octet-stream`, or sent gzip-encoded, is inspected as what it
 * is. A body is left unscanned only when it is binary by BOTH its first bytes (a known file signature) and its
 * label. And whatever part of a body is not inspected (longer than the policy's maxBodyBytes, cut by Envoy's
 * max_request_bytes, or in an encoding not decoded here) is reported, for the policy's oversizedBody setting to
 * deny or flag: never a silent skip.
 */
import { brotliDecompressSync, constants, gunzipSync, inflateSync } from 'node:zlib';

/** One reading of the body for the detectors: the bytes and the content type to parse them as. */
export interface BodyView {
  body: string | Uint8Array;
  contentType: string;
}

/** How the body is inspected. */
export interface BodyPlan {
  /** Readings to scan (the sniffed type first, then the label's when it would parse differently). */
  views: BodyView[];
  /** Why part of the body is not inspected, or null when all of it is. */
  uninspected: string | null;
  /** Why nothing is scanned although a body is present (binary by content and label), or null. */
  skipped: string | null;
  /** The request declares a body that Envoy did not send (with_request_body is not configured), or null. */
  notSent: string | null;
}

const JSON_TYPE = /^\s*application\/(?:[\w.+-]*\+)?json\b|^\s*text\/json\b/i;
const FORM_TYPE = /^\s*application\/x-www-form-urlencoded\b/i;
const MULTIPART_TYPE = /^\s*multipart\/form-data\b/i;
const TEXT_TYPE = /^\s*(?:text\/|application\/(?:[\w.+-]*\+)?xml\b|application\/(?:javascript|graphql|x-ndjson|ld\+json))/i;
/** application/x-www-form-urlencoded by its shape: name=value pairs without whitespace. */
const FORM_SHAPE = /^[\w.\-[\]%+~*!$'()]+=[^\s]*$/;

/** File signatures of binary formats an application would not parse as text. */
const SIGNATURES: ReadonlyArray<readonly number[]> = [
  [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], // PNG
  [0xff, 0xd8, 0xff], // JPEG
  [0x47, 0x49, 0x46, 0x38], // GIF8
  [0x50, 0x4b, 0x03, 0x04], // ZIP (and docx, jar, ...)
  [0x1f, 0x8b], // gzip, not declared as a content-encoding
  [0x25, 0x50, 0x44, 0x46, 0x2d], // %PDF-
  [0x00, 0x61, 0x73, 0x6d], // WebAssembly
  [0x52, 0x49, 0x46, 0x46], // RIFF (WebP, WAV, AVI)
  [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c], // 7z
  [0x4f, 0x67, 0x67, 0x53], // Ogg
];

type Kind = 'json' | 'form' | 'multipart' | 'text';

function kindOf(contentType: string): Kind | null {
  if (JSON_TYPE.test(contentType)) return 'json';
  if (FORM_TYPE.test(contentType)) return 'form';
  if (MULTIPART_TYPE.test(contentType)) return 'multipart';
  if (TEXT_TYPE.test(contentType)) return 'text';
  return null;
}

function bytesOf(body: string | Uint8Array): Uint8Array {
  return typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
}

function hasSignature(b: Uint8Array): boolean {
  return SIGNATURES.some((sig) => sig.length <= b.length && sig.every((x, i) => b[i] === x)) || (b.length >= 12 && b[4] === 0x66 && b[5] === 0x74 && b[6] === 0x79 && b[7] === 0x70); // ISO media "ftyp"
}

function firstText(b: Uint8Array, n = 512): string {
  return Buffer.from(b.buffer, b.byteOffset, Math.min(b.length, n)).toString('utf8');
}

/** The content type the body's bytes look like. */
function sniff(b: Uint8Array, label: string): string {
  const head = firstText(b).trimStart();
  if (kindOf(label) === 'multipart') {
    const boundary = /boundary=(?:"([^"]{1,200})"|([^;\s]{1,200}))/i.exec(label);
    const mark = boundary?.[1] ?? boundary?.[2];
    if (mark !== undefined && head.startsWith(`--${mark}`)) return label;
  }
  if (head.startsWith('{') || head.startsWith('[')) return 'application/json';
  const all = firstText(b, b.length);
  if (FORM_SHAPE.test(all)) return 'application/x-www-form-urlencoded';
  return 'text/plain';
}

const DECODERS: Readonly<Record<string, (b: Uint8Array, max: number) => Buffer>> = {
  gzip: (b, max) => gunzipSync(b, { finishFlush: constants.Z_SYNC_FLUSH, maxOutputLength: max }),
  'x-gzip': (b, max) => gunzipSync(b, { finishFlush: constants.Z_SYNC_FLUSH, maxOutputLength: max }),
  deflate: (b, max) => inflateSync(b, { finishFlush: constants.Z_SYNC_FLUSH, maxOutputLength: max }),
  br: (b, max) => brotliDecompressSync(b, { finishFlush: constants.BROTLI_OPERATION_FLUSH, maxOutputLength: max }),
};

/**
 * Undoes Content-Encoding (last applied first). Returns the decoded bytes, or why they cannot be inspected: an
 * unknown encoding, or a decoded size over `max` (a decompression bomb costs no more than `max` bytes here).
 */
export function decode(raw: Uint8Array, encoding: string, max: number): { bytes: Uint8Array; problem: string | null } {
  const codings = encoding
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '' && c !== 'identity')
    .reverse();
  let bytes = raw;
  for (const coding of codings) {
    const decoder = DECODERS[coding];
    if (!decoder) return { bytes, problem: `content-encoding ${coding} is not decoded for inspection` };
    try {
      bytes = decoder(bytes, max + 1);
    } catch (err) {
      if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') return { bytes: new Uint8Array(0), problem: `decoded body larger than ${max} bytes` };
      // Not valid in that encoding: the application cannot decode it either; inspect the bytes as they are.
      return { bytes, problem: null };
    }
  }
  return { bytes, problem: null };
}

/**
 * Plans the inspection of a body. `headers` are the request's (lowercase names), `maxBytes` the policy's
 * inspection.maxBodyBytes. Pure; never throws.
 */
export function planBody(body: string | Uint8Array | undefined, headers: ReadonlyMap<string, string>, maxBytes: number): BodyPlan {
  const declared = Number(headers.get('content-length') ?? '');
  const partial = (headers.get('x-envoy-auth-partial-body') ?? '').split(',').some((v) => v.trim() === 'true');
  if (body === undefined || body.length === 0) {
    const notSent = partial || (Number.isFinite(declared) && declared > 0) ? `the request declares a body Envoy did not send${partial ? ' (partial)' : ''}` : null;
    return { views: [], uninspected: partial ? 'Envoy sent none of the body (with_request_body.max_request_bytes)' : null, skipped: null, notSent };
  }
  const raw = bytesOf(body);
  const problems: string[] = [];
  if (partial) problems.push('Envoy sent only part of the body (with_request_body.max_request_bytes)');
  else if (Number.isFinite(declared) && declared > raw.length) problems.push(`body cut at ${raw.length} of ${declared} bytes`);
  const encoding = headers.get('content-encoding') ?? '';
  const decoded = encoding === '' ? { bytes: raw, problem: null } : decode(raw, encoding, maxBytes);
  if (decoded.problem) problems.push(decoded.problem);
  if (decoded.bytes.length > maxBytes) problems.push(`body of ${decoded.bytes.length} bytes, ${maxBytes} inspected`);
  const uninspected = problems.length > 0 ? problems.join('; ') : null;
  const bytes = decoded.bytes.length > maxBytes ? decoded.bytes.subarray(0, maxBytes) : decoded.bytes;
  if (bytes.length === 0) return { views: [], uninspected, skipped: null, notSent: null };

  const label = headers.get('content-type') ?? '';
  const labelKind = kindOf(label);
  if (labelKind === null && hasSignature(bytes)) {
    return { views: [], uninspected, skipped: `binary content (${label || 'no content-type'})`, notSent: null };
  }
  const view = typeof body === 'string' && bytes === raw ? body : bytes;
  const sniffed = sniff(bytes, label);
  const views: BodyView[] = [{ body: view, contentType: sniffed }];
  if (labelKind !== null && labelKind !== kindOf(sniffed)) views.push({ body: view, contentType: label });
  return { views, uninspected, skipped: null, notSent: null };
}
