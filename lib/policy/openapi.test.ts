import { describe, expect, it } from 'vitest';
import { OpenApiError, compileOpenApi, parseDescriptionText } from './openapi.ts';

const settings = { source: 'test', mode: 'Enforce', validateBody: true } as const;

function api(openapi: string, paths: Record<string, unknown>, components: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  return compileOpenApi({ openapi, info: { title: 't', version: '1' }, paths, components, ...extra }, settings);
}

const jsonBody = (schema: unknown) => ({ requestBody: { content: { 'application/json': { schema } } }, responses: {} });

describe('compileOpenApi', () => {
  it('3.0: nullable, boolean exclusive bounds, examples and descriptions dropped', () => {
    const a = api('3.0.3', { '/a': { post: jsonBody({ type: 'object', description: 'd', example: {}, properties: { n: { type: 'integer', nullable: true, minimum: 0, exclusiveMinimum: true, maximum: 9, exclusiveMaximum: false } } }) } });
    expect(a.operations[0]!.body!.content[0]!.schema).toEqual({ type: 'object', properties: { n: { type: ['integer', 'null'], exclusiveMinimum: 0, maximum: 9 } } });
  });

  it('3.1: $ref siblings apply too; 3.0: they are ignored', () => {
    const schema = { $ref: '#/components/schemas/S', maxLength: 3 };
    const components = { schemas: { S: { type: 'string' } } };
    expect(api('3.1.0', { '/a': { post: jsonBody(schema) } }, components).operations[0]!.body!.content[0]!.schema).toEqual({ allOf: [{ $ref: 'urn:palisade:api#/$defs/S' }, { maxLength: 3 }] });
    expect(api('3.0.0', { '/a': { post: jsonBody(schema) } }, components).operations[0]!.body!.content[0]!.schema).toEqual({ $ref: 'urn:palisade:api#/$defs/S' });
  });

  it('keeps only the schemas requests reach; deep references are hoisted into $defs', () => {
    const a = api(
      '3.1.0',
      { '/a': { post: jsonBody({ $ref: '#/components/schemas/Order/properties/item' }), get: { responses: { 200: { content: { 'application/json': { schema: { $ref: '#/components/schemas/Big' } } } } } } } },
      { schemas: { Order: { type: 'object', properties: { item: { $ref: '#/components/schemas/Item' } } }, Item: { type: 'string' }, Big: { type: 'object' } } },
    );
    expect(a.operations.map((o) => o.method)).toEqual(['GET', 'POST']);
    expect(a.operations[1]!.body!.content[0]!.schema).toEqual({ $ref: 'urn:palisade:api#/$defs/ref.0' });
    expect(a.defs).toEqual({ 'ref.0': { $ref: 'urn:palisade:api#/$defs/Item' }, Item: { type: 'string' } });
  });

  it('merges path-level and operation-level parameters (the operation wins) and declares undeclared path parameters', () => {
    const a = api('3.1.0', {
      '/u/{id}/{slug}': {
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }, { name: 'q', in: 'query', schema: { type: 'string' } }],
        get: { parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'integer' } }, { name: 'X-A', in: 'header', schema: { type: 'string' } }, { name: 'Accept', in: 'header', schema: { type: 'string' } }], responses: {} },
      },
    });
    const params = a.operations[0]!.params.map((p) => [p.in, p.name, p.schema]);
    expect(params).toEqual([
      ['path', 'id', { type: 'integer' }],
      ['query', 'q', { type: 'string' }],
      ['header', 'x-a', { type: 'string' }],
      ['path', 'slug', null],
    ]);
  });

  it('takes the base path from the first server URL (variables at their defaults) unless set', () => {
    const servers = [{ url: 'https://{host}/{v}/', variables: { host: { default: 'a.example' }, v: { default: 'v2' } } }];
    expect(api('3.1.0', {}, {}, { servers }).basePath).toBe('/v2');
    expect(compileOpenApi({ openapi: '3.1.0', info: {}, paths: {}, servers }, { ...settings, basePath: '/' }).basePath).toBe('');
    expect(api('3.1.0', {}, {}, { servers: [{ url: '/relative/' }] }).basePath).toBe('/relative');
  });

  it('reports what it does not judge: cookie parameters, empty enums', () => {
    const a = api('3.1.0', { '/a': { get: { parameters: [{ name: 'c', in: 'cookie' }, { name: 'e', in: 'query', schema: { enum: [] } }], responses: {} } } });
    expect(a.unchecked).toEqual(['cookie parameters', 'empty enum (at /paths/~1a/get/parameters/1/schema)']);
    expect(a.operations[0]!.params).toEqual([expect.objectContaining({ name: 'e', schema: {} })]);
  });

  it('refuses what it cannot compile, with a pointer into the description', () => {
    const fail = (doc: unknown) => {
      try {
        compileOpenApi(doc, settings);
      } catch (err) {
        return err instanceof OpenApiError ? `${err.pointer}: ${err.message}` : String(err);
      }
      return 'compiled';
    };
    expect(fail({ swagger: '2.0' })).toMatch(/^\/openapi: only OpenAPI 3\.0\.x and 3\.1\.x/);
    expect(fail({ openapi: '3.1.0', paths: { '/a': { post: jsonBody({ $ref: '#/components/schemas/Nope' }) } } })).toBe('/paths/~1a/post/requestBody/content/application~1json/schema: $ref "#/components/schemas/Nope" does not resolve');
    expect(fail({ openapi: '3.1.0', paths: { '/a': { post: jsonBody({ type: 'string', pattern: '(' }) } } })).toMatch(/^\/paths\/~1a\/post\/requestBody\/content\/application~1json\/schema\/pattern: invalid pattern/);
    expect(fail({ openapi: '3.1.0', paths: { a: {} } })).toBe('/paths/a: a path must start with "/"');
    expect(fail({ openapi: '3.1.0', paths: { '/a': { post: jsonBody({ type: 'object', minProperties: -1 }) } } })).toMatch(/^\/paths\/~1a\/post\/requestBody\/content\/application~1json: invalid schema: data\/minProperties must be >= 0/);
    expect(fail({ openapi: '3.0.0', paths: { '/a': { get: { parameters: [{ name: 'x', in: 'body' }], responses: {} } } } })).toBe('/paths/~1a/get/parameters/0: parameter x: unknown "in" "body"');
  });

  it('parses JSON and YAML text', () => {
    expect(parseDescriptionText('{"openapi":"3.1.0"}')).toEqual({ openapi: '3.1.0' });
    expect(parseDescriptionText('openapi: 3.1.0\ninfo: { title: x }\n')).toEqual({ openapi: '3.1.0', info: { title: 'x' } });
  });
});
