import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { compileOpenApi, parseDescriptionText } from '../../../lib/policy/openapi.ts';
import { toRequestContext } from '../pipeline/request.ts';
import { Router } from './router.ts';
import { ApiValidator } from './validator.ts';

const shop = parseDescriptionText(readFileSync(new URL('./testdata/shop.yaml', import.meta.url), 'utf8'));
const validator = new ApiValidator(compileOpenApi(shop, { source: 'test', mode: 'Enforce', validateBody: true }));

function req(method: string, path: string, headers: Record<string, string> = {}, body?: string) {
  const h: Record<string, string> = { ':authority': 'shop.example.com', ':method': method, ':path': path, ...headers };
  if (body !== undefined && h['content-length'] === undefined) h['content-length'] = String(Buffer.byteLength(body));
  return toRequestContext({ attributes: { request: { http: { headers: h, ...(body !== undefined ? { body } : {}) } } } });
}

function check(method: string, path: string, headers: Record<string, string> = {}, body?: string) {
  return validator.validate(req(method, path, headers, body));
}

describe('Router', () => {
  const router = new Router(
    [
      { method: 'GET', path: '/users/{id}' },
      { method: 'GET', path: '/users/me' },
      { method: 'DELETE', path: '/users/{userId}' },
      { method: 'GET', path: '/files/{name}.{ext}' },
      { method: 'GET', path: '/files/{path}' },
      { method: 'GET', path: '/' },
    ],
    '',
  );

  it('prefers literal segments, then templates; extracts parameters', () => {
    expect(router.route('GET', '/users/me')).toMatchObject({ kind: 'found', operation: 1, template: '/users/me' });
    expect(router.route('GET', '/users/42')).toEqual({ kind: 'found', operation: 0, template: '/users/{id}', params: { id: '42' } });
    expect(router.route('DELETE', '/users/42')).toEqual({ kind: 'found', operation: 2, template: '/users/{userId}', params: { userId: '42' } });
    expect(router.route('GET', '/files/logo.png')).toEqual({ kind: 'found', operation: 3, template: '/files/{name}.{ext}', params: { name: 'logo', ext: 'png' } });
    expect(router.route('GET', '/files/README')).toMatchObject({ kind: 'found', operation: 4, params: { path: 'README' } });
    expect(router.route('GET', '/')).toMatchObject({ kind: 'found', operation: 5 });
  });

  it('tolerates a trailing slash; a template never spans segments', () => {
    expect(router.route('GET', '/users/42/')).toMatchObject({ kind: 'found', operation: 0 });
    expect(router.route('GET', '/users/42/extra')).toEqual({ kind: 'none' });
    expect(router.route('GET', '/files/a/b.png')).toEqual({ kind: 'none' });
  });

  it('tells a wrong method from an unknown path', () => {
    expect(router.route('POST', '/users/me')).toEqual({ kind: 'method', template: '/users/me', allowed: ['GET'] });
    expect(router.route('GET', '/nope')).toEqual({ kind: 'none' });
  });

  it('ignores letter case when the policy matches paths case-insensitively', () => {
    const caseless = new Router([{ method: 'GET', path: '/Users/{id}.json' }], '/API', false);
    expect(caseless.route('GET', '/api/users/Ab.JSON')).toEqual({ kind: 'found', operation: 0, template: '/Users/{id}.json', params: { id: 'Ab' } });
    expect(new Router([{ method: 'GET', path: '/Users' }], '').route('GET', '/users')).toEqual({ kind: 'none' });
  });

  it('applies the base path', () => {
    const based = new Router([{ method: 'GET', path: '/a' }], '/api/v2');
    expect(based.route('GET', '/api/v2/a')).toMatchObject({ kind: 'found' });
    expect(based.route('GET', '/a')).toEqual({ kind: 'none' });
    expect(based.route('GET', '/api/v2a')).toEqual({ kind: 'none' });
  });
});

describe('ApiValidator', () => {
  it('accepts declared operations with valid parameters', () => {
    expect(check('GET', '/api/products')).toEqual({ ok: true, template: '/products', operationId: 'listProducts' });
    expect(check('GET', '/api/products?limit=20&tag=new&tag=eco&ids=1,2,3&filter[colour]=red&unknown=1')).toMatchObject({ ok: true });
    expect(check('GET', '/api/products/7')).toMatchObject({ ok: true, template: '/products/{productId}' });
    expect(check('GET', '/api/products/featured')).toMatchObject({ ok: true, operationId: 'featuredProducts' });
    expect(check('GET', '/api/files/ab.png')).toMatchObject({ ok: true });
    expect(check('GET', '/api/cart', { 'x-cart-id': '3f2504e0-4f89-11d3-9a0c-0305e82c3301' })).toMatchObject({ ok: true });
  });

  it('refuses unknown paths and methods, naming what exists', () => {
    expect(check('GET', '/api/admin')).toEqual({ ok: false, template: null, detail: 'no operation for GET /api/admin' });
    expect(check('GET', '/products')).toMatchObject({ ok: false, template: null });
    expect(check('DELETE', '/api/products/7')).toEqual({ ok: false, template: '/products/{productId}', detail: 'DELETE is not an operation of /products/{productId} (GET)' });
  });

  it('refuses ill-typed and out-of-range parameters, and missing required ones', () => {
    expect(check('GET', '/api/products/abc')).toMatchObject({ ok: false, detail: 'GET /products/{productId}: path parameter "productId": must be integer' });
    expect(check('GET', '/api/products/0')).toMatchObject({ ok: false, detail: expect.stringContaining('must be >= 1') });
    expect(check('GET', '/api/products/99999999999')).toMatchObject({ ok: false, detail: expect.stringContaining('must match format "int32"') });
    expect(check('GET', '/api/products?limit=500')).toMatchObject({ ok: false, detail: expect.stringContaining('query parameter "limit": must be <= 100') });
    expect(check('GET', '/api/products?limit=ten')).toMatchObject({ ok: false });
    expect(check('GET', '/api/products?limit=1&limit=2')).toMatchObject({ ok: false });
    expect(check('GET', '/api/products?tag=old')).toMatchObject({ ok: false, detail: expect.stringContaining('query parameter "tag"/0') });
    expect(check('GET', '/api/products?ids=1,x')).toMatchObject({ ok: false });
    expect(check('GET', '/api/products?filter[size]=9')).toMatchObject({ ok: false, detail: expect.stringContaining('size') });
    expect(check('GET', '/api/files/a.png')).toMatchObject({ ok: false });
    expect(check('GET', '/api/files/ab.gif')).toMatchObject({ ok: false });
    expect(check('GET', '/api/cart')).toMatchObject({ ok: false, detail: 'GET /cart: header parameter "x-cart-id" is required' });
    expect(check('GET', '/api/cart', { 'x-cart-id': 'not-a-uuid' })).toMatchObject({ ok: false, detail: expect.stringContaining('format "uuid"') });
    expect(check('PUT', '/api/orders/ORD-1/notes', { 'content-type': 'text/plain' }, 'hi')).toMatchObject({ ok: false, detail: expect.stringContaining('must match pattern') });
    expect(check('GET', '/api/products/%ZZ')).toMatchObject({ ok: false });
  });

  it('validates JSON bodies against the schema; readOnly properties are not required', () => {
    const json = { 'content-type': 'application/json' };
    expect(check('POST', '/api/orders', json, JSON.stringify({ items: [{ sku: 'ABC-1', quantity: 2 }], coupon: null }))).toMatchObject({ ok: true });
    expect(check('POST', '/api/orders', { 'content-type': 'application/json; charset=utf-8' }, '{"items":[{"sku":"ABC-1","quantity":1}]}')).toMatchObject({ ok: true });
    expect(check('POST', '/api/orders', json, JSON.stringify({ items: [] }))).toMatchObject({ ok: false, detail: 'POST /orders: body/items: must NOT have fewer than 1 items' });
    expect(check('POST', '/api/orders', json, JSON.stringify({ items: [{ sku: 'abc', quantity: 2 }] }))).toMatchObject({ ok: false, detail: expect.stringContaining('body/items/0/sku: must match pattern') });
    expect(check('POST', '/api/orders', json, JSON.stringify({ items: [{ sku: 'ABC-1', quantity: '2' }] }))).toMatchObject({ ok: false, detail: expect.stringContaining('must be integer') });
    expect(check('POST', '/api/orders', json, JSON.stringify({ items: [{ sku: 'ABC-1', quantity: 1 }], admin: true }))).toMatchObject({ ok: false, detail: expect.stringContaining('("admin")') });
    expect(check('POST', '/api/orders', json, '{"items": [')).toMatchObject({ ok: false, detail: 'POST /orders: body is not valid JSON' });
    expect(check('POST', '/api/orders', { ...json, 'idempotency-key': 'short' }, '{"items":[{"sku":"ABC-1","quantity":1}]}')).toMatchObject({ ok: false });
  });

  it('validates form bodies (decoded, types coerced); media types and required bodies', () => {
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    expect(check('POST', '/api/orders', form, 'sku=ABC-1&quantity=3')).toMatchObject({ ok: true });
    expect(check('POST', '/api/orders', form, 'sku=ABC-1&quantity=none')).toMatchObject({ ok: false });
    expect(check('POST', '/api/orders', form, 'sku=ABC-1')).toMatchObject({ ok: false, detail: 'POST /orders: body: property "quantity" is required' });
    expect(check('POST', '/api/orders', { 'content-type': 'text/xml' }, '<order/>')).toMatchObject({
      ok: false,
      detail: 'POST /orders: content-type text/xml is not accepted (application/json, application/x-www-form-urlencoded)',
    });
    expect(check('POST', '/api/orders', { 'content-length': '0' })).toMatchObject({ ok: false, detail: 'POST /orders: a request body is required' });
    expect(check('POST', '/api/orders', {}, 'x')).toMatchObject({ ok: false, detail: 'POST /orders: request body without content-type' });
  });

  it('does not judge a body Envoy did not send whole', () => {
    const json = { 'content-type': 'application/json' };
    // Envoy was not configured to send bodies: the size is known, the bytes are not.
    expect(check('POST', '/api/orders', { ...json, 'content-length': '120' })).toMatchObject({ ok: true });
    // A body cut at max_request_bytes (allow_partial_message).
    expect(check('POST', '/api/orders', { ...json, 'content-length': '5000' }, '{"items": [')).toMatchObject({ ok: true });
    expect(check('POST', '/api/orders', { ...json, 'x-envoy-auth-partial-body': 'true' }, '{"items": [')).toMatchObject({ ok: true });
    // An encoding this side does not decode.
    expect(check('POST', '/api/orders', { ...json, 'content-encoding': 'zstd' }, 'xx')).toMatchObject({ ok: true });
  });

  it('judges a compressed body by what it decodes to, as the application will', () => {
    const gz = (o: unknown) => gzipSync(JSON.stringify(o));
    const headers = (b: Buffer) => ({ ':authority': 'shop.example.com', ':method': 'POST', ':path': '/api/orders', 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': String(b.length) });
    const send = (b: Buffer) => validator.validate(toRequestContext({ attributes: { request: { http: { headers: headers(b), raw_body: b } } } }));
    expect(send(gz({ items: [{ sku: 'ABC-1', quantity: 1 }] }))).toMatchObject({ ok: true });
    expect(send(gz({ items: [] }))).toMatchObject({ ok: false, detail: expect.stringContaining('body/items') });
  });

  it('an operation whose schema cannot be compiled fails closed, saying why (the compiler refuses such schemas first)', () => {
    const api = compileOpenApi(
      { openapi: '3.1.0', info: { title: 't', version: '1' }, paths: { '/a': { post: { requestBody: { content: { 'application/json': { schema: { type: 'object' } } } }, responses: {} } } } },
      { source: 'broken', mode: 'Enforce', validateBody: true },
    );
    // A schema only a hand-edited snapshot could carry: the compiler's meta-schema check would refuse it.
    api.operations[0]!.body!.content[0]!.schema = { $ref: 'urn:palisade:api#/$defs/Missing' };
    const v = new ApiValidator(api);
    const r = v.validate(req('POST', '/a', { 'content-type': 'application/json' }, '{}'));
    expect(r).toMatchObject({ ok: false, detail: expect.stringContaining("body: the description's schema cannot be compiled") });
  });
});
