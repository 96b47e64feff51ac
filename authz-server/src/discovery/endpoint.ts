/**
 * The endpoint a request belongs to, as the inventory and the journeys name it: the OpenAPI operation's path
 * template when the policy has a description and the request is one of its operations (`/orders/{orderId}`),
 * else the path template guessed from the path (template.ts, `/orders/{id}`; lowercase for a policy whose paths
 * match case-insensitively). Always judged on the path the pipeline matched (the policy's reading of it, see
 * pipeline/path.ts), so the inventory and the journeys name what the rules and the validation saw.
 */
import type { RuntimePolicy } from '../pipeline/runtime.ts';
import { pathTemplate } from './template.ts';

/** An endpoint of a policy's API. */
export interface Endpoint {
  method: string;
  template: string;
  /** The template is an operation of the policy's OpenAPI description. */
  declared: boolean;
}

/** The endpoint of a request (method + normalised path) under a policy. */
export function endpointOf(policy: RuntimePolicy, method: string, path: string): Endpoint {
  const api = policy.api?.validator;
  if (api) {
    const r = api.router.route(method, path);
    if (r.kind === 'found') return { method, template: `${api.api.basePath}${r.template}`, declared: true };
  }
  // A case-insensitive upstream routes /Orders and /orders alike: one endpoint.
  return { method, template: pathTemplate(policy.pathMatching.caseSensitive ? path : path.toLowerCase()), declared: false };
}

/** The operations a policy's description declares, as endpoints (method + full path template). */
export function declaredEndpoints(policy: RuntimePolicy): Endpoint[] {
  const api = policy.api?.validator.api;
  if (!api) return [];
  return api.operations.map((op) => ({ method: op.method, template: `${api.basePath}${op.path}`, declared: true }));
}

/** A concrete path for a template (every `{...}` becomes `1`, a trailing `**` becomes `x`), to test rules against. */
export function samplePath(template: string): string {
  return template.replace(/\{[^}]*\}/g, '1').replace(/\*\*$/, 'x');
}
