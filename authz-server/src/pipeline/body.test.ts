import { gzipSync, brotliCompressSync, deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { planBody } from './body.ts';

const h = (o: Record<string, string>) => new Map(Object.entries(o));
const JSON_BODY = '{"q":"x"}';

describe('planBody', () => {
  it('reads the body as what its content is, the label second when it would parse differently', () => {
    expect(planBody(JSON_BODY, h({ 'content-type': 'application/octet-stream' }), 1024).views.map((v) => v.contentType)).toEqual(['application/json']);
    expect(planBody('a=1&b=2', h({ 'content-type': 'image/png' }), 1024).views.map((v) => v.contentType)).toEqual(['application/x-www-form-urlencoded']);
    expect(planBody(JSON_BODY, h({ 'content-type': 'application/x-www-form-urlencoded' }), 1024).views.map((v) => v.contentType)).toEqual(['application/json', 'application/x-www-form-urlencoded']);
    expect(planBody('hello world', h({}), 1024).views.map((v) => v.contentType)).toEqual(['text/plain']);
    const multipart = 'multipart/form-data; boundary=XyZ';
    expect(planBody('--XyZ\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--XyZ--', h({ 'content-type': multipart }), 1024).views.map((v) => v.contentType)).toEqual([multipart]);
  });

  it('skips only bodies that are binary by signature and label', () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x27, 0x20, 0x4f, 0x52]);
    expect(planBody(png, h({ 'content-type': 'image/png' }), 1024)).toMatchObject({ views: [], skipped: 'binary content (image/png)' });
    expect(planBody(png, h({ 'content-type': 'application/json' }), 1024).views).toHaveLength(2);
    expect(planBody(Buffer.from([0xff, 0xfe, 0x7b]), h({ 'content-type': 'application/octet-stream' }), 1024).views).toHaveLength(1);
  });

  it('decodes gzip, deflate and br; an unknown encoding or an oversized result is reported', () => {
    for (const [enc, bytes] of [['gzip', gzipSync(JSON_BODY)], ['deflate', deflateSync(JSON_BODY)], ['br', brotliCompressSync(JSON_BODY)]] as const) {
      const plan = planBody(bytes, h({ 'content-encoding': enc }), 1024);
      expect(Buffer.from(plan.views[0]?.body as Uint8Array).toString()).toBe(JSON_BODY);
      expect(plan.uninspected).toBeNull();
    }
    expect(planBody(gzipSync(JSON_BODY).subarray(0, 15), h({ 'content-encoding': 'gzip' }), 1024).uninspected).toBeNull();
    expect(planBody(Buffer.from('x'), h({ 'content-encoding': 'zstd' }), 1024).uninspected).toMatch(/zstd is not decoded/);
    expect(planBody(gzipSync('a'.repeat(100_000)), h({ 'content-encoding': 'gzip' }), 1024).uninspected).toMatch(/decoded body larger than 1024 bytes/);
  });

  it('reports what is not inspected: past the limit, cut by Envoy, declared but not sent', () => {
    const big = planBody('a'.repeat(2000), h({}), 1024);
    expect(big.uninspected).toBe('body of 2000 bytes, 1024 inspected');
    expect((big.views[0]?.body as Uint8Array).length).toBe(1024);
    expect(planBody(JSON_BODY, h({ 'x-envoy-auth-partial-body': 'true' }), 1024).uninspected).toMatch(/only part of the body/);
    expect(planBody(JSON_BODY, h({ 'content-length': '5000' }), 1024).uninspected).toBe(`body cut at ${JSON_BODY.length} of 5000 bytes`);
    expect(planBody(undefined, h({ 'content-length': '5000' }), 1024)).toMatchObject({ views: [], uninspected: null, notSent: 'the request declares a body Envoy did not send' });
    expect(planBody(JSON_BODY, h({ 'content-length': String(JSON_BODY.length), 'x-envoy-auth-partial-body': 'false' }), 1024).uninspected).toBeNull();
  });
});
