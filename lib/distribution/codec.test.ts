import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../policy/canonical-json.ts';
import { compile } from '../policy/compile.ts';
import { parsePolicyText } from '../policy/load.ts';
import { secretsFrom } from '../policy/secrets.ts';
import type { Snapshot } from '../policy/snapshot.ts';
import { decodeSnapshot, encodeSnapshot, parseSnapshotBytes, snapshotBytes, verifySnapshot } from './codec.ts';
import { snapshotDistribution, type StreamResponseMsg } from './protos.ts';

function fullSnapshot(): Snapshot {
  const file = join(import.meta.dirname, '../policy/testdata/compile/full-example.in.yaml');
  const loaded = parsePolicyText(readFileSync(file, 'utf8'), file);
  return compile(loaded.documents, secretsFrom(loaded.others), new Date('2026-11-01T12:00:00Z')).snapshot;
}

/** Sends a message through the real protobuf serializers, as gRPC would. */
function overTheWire(msg: StreamResponseMsg): StreamResponseMsg {
  const method = snapshotDistribution().service['Stream'];
  if (!method) throw new Error('Stream method missing');
  return method.responseDeserialize(method.responseSerialize(msg)) as StreamResponseMsg;
}

describe('snapshot codec', () => {
  const snapshot = fullSnapshot();

  it('round-trips a snapshot through the protobuf message', () => {
    const msg = overTheWire({ nonce: 'n1', snapshot: encodeSnapshot(snapshot) });
    expect(msg.snapshot?.encoding).toBe('JSON');
    expect(msg.snapshot?.policies.map((p) => [p.id, p.generation])).toEqual(snapshot.policies.map((p) => [p.id, String(p.generation)]));
    const decoded = decodeSnapshot(msg.snapshot);
    expect(decoded).toEqual({ ok: true, snapshot });
  });

  it('gzips large bodies and decodes them', () => {
    const msg = overTheWire({ nonce: 'n2', snapshot: encodeSnapshot(snapshot, 10) });
    expect(msg.snapshot?.encoding).toBe('JSON_GZIP');
    expect(msg.snapshot?.body[0]).toBe(0x1f);
    expect(decodeSnapshot(msg.snapshot)).toEqual({ ok: true, snapshot });
  });

  it('refuses a body that does not match its hash', () => {
    const msg = encodeSnapshot(snapshot);
    const body = Buffer.from(msg.body);
    body[10] = body[10]! ^ 1;
    const r = decodeSnapshot({ ...msg, body });
    expect(r).toEqual({ ok: false, error: expect.stringContaining('body_sha256') });
  });

  it('refuses content that does not hash to its version', () => {
    const tampered = { ...snapshot, policies: snapshot.policies.map((p) => ({ ...p, mode: p.mode === 'Enforce' ? 'Monitor' : 'Enforce' })) };
    const r = parseSnapshotBytes(Buffer.from(canonicalJson(tampered)));
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatch(/does not match its content/);
  });

  it('refuses an envelope whose version or generations differ from the body', () => {
    const msg = encodeSnapshot(snapshot);
    expect(decodeSnapshot({ ...msg, version: 'sha256:00000000000000000000000000000000' })).toMatchObject({ ok: false, error: expect.stringMatching(/envelope version/) });
    const policies = msg.policies.map((p) => ({ ...p, generation: String(Number(p.generation) + 1) }));
    expect(decodeSnapshot({ ...msg, policies })).toMatchObject({ ok: false, error: expect.stringMatching(/generations differ/) });
  });

  it('refuses structurally invalid snapshots with a path', () => {
    const broken = JSON.parse(canonicalJson(snapshot)) as Record<string, unknown>;
    (broken['policies'] as Array<Record<string, unknown>>)[0]!['rateLimits'] = 'nope';
    const r = verifySnapshot(broken);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatch(/\/policies\/0\/rateLimits/);
    expect(parseSnapshotBytes(Buffer.from('{not json'))).toMatchObject({ ok: false, error: expect.stringMatching(/not JSON/) });
    expect(parseSnapshotBytes(Buffer.from([0x1f, 0x8b, 1, 2, 3]))).toMatchObject({ ok: false, error: expect.stringMatching(/decompressed/) });
  });

  it('refuses a host index pointing at a missing policy', () => {
    const s: Snapshot = { ...snapshot, policies: [], hosts: { exact: { 'a.example.com': 'shop/gone' }, wildcard: {} } };
    const withVersion = JSON.parse(canonicalJson(s)) as Snapshot;
    // recompute the version so that only the dangling reference is wrong
    const ok = verifySnapshot(withVersion);
    expect(ok.ok).toBe(false);
  });

  it('reads the snapshot file plain or gzip-compressed', () => {
    const plain = snapshotBytes(snapshot);
    expect(plain.gzip).toBe(false);
    expect(parseSnapshotBytes(plain.bytes)).toEqual({ ok: true, snapshot });
    expect(parseSnapshotBytes(gzipSync(plain.bytes))).toEqual({ ok: true, snapshot });
    const big = snapshotBytes(snapshot, 0);
    expect(big.gzip).toBe(true);
    expect(big.bytes.length).toBeLessThan(plain.bytes.length);
  });
});
