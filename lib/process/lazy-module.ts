/**
 * Packages a configuration may not use, loaded synchronously on first use instead of at start: each costs 1-2 MiB
 * of RSS in every process that never calls it (bench/RESULTS.md). `require` of an ES module is synchronous in
 * Node 24, so a snapshot that needs one still builds in one step.
 */
import { createRequire } from 'node:module';
import type * as Jose from 'jose';
import type * as Ajv2020Module from 'ajv/dist/2020.js';

const require = createRequire(import.meta.url);

/** jose (JWT verification, JWKS): loaded by the first policy with `authentication.jwt`. */
export function jose(): typeof Jose {
  return require('jose') as typeof Jose;
}

/** Ajv's JSON Schema 2020-12 validator class: loaded by the first policy with an API description. */
export function ajv2020(): typeof Ajv2020Module.Ajv2020 {
  return (require('ajv/dist/2020.js') as typeof Ajv2020Module).Ajv2020;
}

/** ajv-formats' plugin, with the API description validator. */
export function ajvFormats(): (ajv: Ajv2020Module.Ajv2020) => Ajv2020Module.Ajv2020 {
  return require('ajv-formats') as (ajv: Ajv2020Module.Ajv2020) => Ajv2020Module.Ajv2020;
}
