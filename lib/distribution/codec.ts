/**
 * Encoding of compiled snapshots for the wire (the `Snapshot` proto message) and for the snapshot file (the
 * operator's ConfigMap, mounted into authz-server pods), and their validation on receipt. Decoding never trusts
 * its input: integrity hash, structure, and the content-hash version are all checked before a snapshot is
 * handed to the SnapshotHolder (which then builds the runtime, the last validation step).
 */
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { canonicalJson } from '../policy/canonical-json.ts';
import { snapshotVersion } from '../policy/compile.ts';
import type { Snapshot } from '../policy/snapshot.ts';
import type { SnapshotMsg } from './protos.ts';
import { checkSnapshotShape } from './snapshot-schema.ts';

/** Bodies larger than this are gzip-compressed (wire and file). */
const DEFAULT_GZIP_ABOVE_BYTES = 256 * 1024;

/** Upper bound for a decompressed snapshot (protects against gzip bombs). */
const MAX_SNAPSHOT_JSON_BYTES = 256 * 1024 * 1024;

/** The result of decoding untrusted snapshot bytes. */
export type DecodeResult = { ok: true; snapshot: Snapshot } | { ok: false; error: string };

const GZIP_MAGIC = [0x1f, 0x8b];

function sha256Hex(b: Uint8Array): string {
  return createHash('sha256').update(b).digest('hex');
}

function isGzip(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === GZIP_MAGIC[0] && b[1] === GZIP_MAGIC[1];
}

/** id -> generation of every policy in a snapshot. */
function policyGenerations(snapshot: Snapshot): Array<{ id: string; generation: number }> {
  return snapshot.policies.map((p) => ({ id: p.id, generation: p.generation }));
}

/** Canonical JSON bytes of a snapshot, gzip-compressed above the threshold. */
export function snapshotBytes(snapshot: Snapshot, gzipAboveBytes = DEFAULT_GZIP_ABOVE_BYTES): { bytes: Buffer; gzip: boolean } {
  const json = Buffer.from(canonicalJson(snapshot), 'utf8');
  if (json.length <= gzipAboveBytes) return { bytes: json, gzip: false };
  return { bytes: gzipSync(json), gzip: true };
}

/** Builds the proto message for a snapshot. */
export function encodeSnapshot(snapshot: Snapshot, gzipAboveBytes = DEFAULT_GZIP_ABOVE_BYTES): SnapshotMsg {
  const { bytes, gzip } = snapshotBytes(snapshot, gzipAboveBytes);
  return {
    version: snapshot.version,
    compiled_at: snapshot.compiledAt,
    policies: policyGenerations(snapshot).map((p) => ({ id: p.id, generation: String(p.generation) })),
    encoding: gzip ? 'JSON_GZIP' : 'JSON',
    body: bytes,
    body_sha256: sha256Hex(bytes),
  };
}

/**
 * Validates a parsed snapshot: structure, version = content hash, host index pointing at known policies. Does not
 * instantiate regexes or keys (SnapshotHolder.apply does, and refuses what fails there).
 */
export function verifySnapshot(value: unknown): DecodeResult {
  const shape = checkSnapshotShape(value);
  if (!shape.ok) return { ok: false, error: `snapshot structure is invalid: ${shape.errors.join('; ')}` };
  const snapshot = shape.snapshot;
  const computed = snapshotVersion(snapshot.policies, snapshot.hosts);
  if (computed !== snapshot.version) {
    return { ok: false, error: `snapshot version ${snapshot.version} does not match its content (content hash ${computed})` };
  }
  const ids = new Set(snapshot.policies.map((p) => p.id));
  if (ids.size !== snapshot.policies.length) return { ok: false, error: 'snapshot lists a policy id twice' };
  for (const [host, id] of [...Object.entries(snapshot.hosts.exact), ...Object.entries(snapshot.hosts.wildcard)]) {
    if (!ids.has(id)) return { ok: false, error: `snapshot host ${host} points to unknown policy ${id}` };
  }
  return { ok: true, snapshot };
}

/** Parses snapshot bytes (plain or gzip JSON) and verifies them. */
export function parseSnapshotBytes(bytes: Uint8Array): DecodeResult {
  let json: Buffer;
  try {
    json = isGzip(bytes) ? gunzipSync(bytes, { maxOutputLength: MAX_SNAPSHOT_JSON_BYTES }) : Buffer.from(bytes);
  } catch (err) {
    return { ok: false, error: `snapshot body cannot be decompressed: ${(err as Error).message}` };
  }
  let value: unknown;
  try {
    value = JSON.parse(json.toString('utf8'));
  } catch (err) {
    return { ok: false, error: `snapshot body is not JSON: ${(err as Error).message}` };
  }
  return verifySnapshot(value);
}

/** Decodes and validates a Snapshot message received from the operator. */
export function decodeSnapshot(msg: SnapshotMsg | null | undefined): DecodeResult {
  if (!msg) return { ok: false, error: 'response carries no snapshot' };
  const body = Buffer.isBuffer(msg.body) ? msg.body : Buffer.from(msg.body ?? []);
  if (sha256Hex(body) !== msg.body_sha256) return { ok: false, error: 'snapshot body does not match body_sha256 (truncated or corrupted)' };
  if (msg.encoding !== 'JSON' && msg.encoding !== 'JSON_GZIP') return { ok: false, error: `unknown snapshot body encoding ${String(msg.encoding)}` };
  if ((msg.encoding === 'JSON_GZIP') !== isGzip(body)) return { ok: false, error: `snapshot body does not match its encoding ${msg.encoding}` };
  const parsed = parseSnapshotBytes(body);
  if (!parsed.ok) return parsed;
  const snapshot = parsed.snapshot;
  if (snapshot.version !== msg.version) return { ok: false, error: `envelope version ${msg.version} differs from body version ${snapshot.version}` };
  const listed = new Map((msg.policies ?? []).map((p) => [p.id, Number(p.generation)]));
  const actual = policyGenerations(snapshot);
  if (listed.size !== actual.length || actual.some((p) => listed.get(p.id) !== p.generation)) {
    return { ok: false, error: 'envelope policy generations differ from the body' };
  }
  return { ok: true, snapshot };
}
