/**
 * API keys (by SHA-256) and JWT (jose). A credential that is present but wrong is always a 401, even when
 * authentication is not required; Basic credentials are refused unless rejectBasicAuth is false.
 */
import { hash } from 'node:crypto';
import type { Denial } from '../outcome.ts';
import type { RuntimePolicy } from '../runtime.ts';
import { pass, deny, type Stage } from '../stage.ts';
import { jose } from '../../../../lib/process/lazy-module.ts';

/** Clock skew tolerated on exp/nbf/iat, seconds. */
const JWT_CLOCK_TOLERANCE_S = 30;

function challenges(policy: RuntimePolicy, jwtError?: string): string {
  const out: string[] = [];
  if (policy.jwt) out.push(`Bearer realm="${policy.jwt.realm}"${jwtError ? `, error="invalid_token"` : ''}`);
  if (policy.apiKeys) out.push(`ApiKey header="${policy.apiKeys.header}"`);
  if (out.length === 0) out.push(`Bearer realm="${policy.source.hosts[0] ?? policy.id}"`);
  return out.join(', ');
}

function authFailure(policy: RuntimePolicy, detail: string, jwtError?: string): Denial {
  return { reason: 'authentication', detail, wwwAuthenticate: challenges(policy, jwtError) };
}

function jwtErrorCode(err: unknown): string {
  const joseErrors = jose().errors;
  if (err instanceof joseErrors.JWTExpired) return 'expired';
  if (err instanceof joseErrors.JWTClaimValidationFailed) return `claim ${err.claim} ${err.reason}`;
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'bad signature';
  if (err instanceof joseErrors.JWKSNoMatchingKey) return 'no matching key';
  if (err instanceof joseErrors.JWKSTimeout) return 'jwks timeout';
  if (err instanceof joseErrors.JOSEError) return err.code;
  return 'malformed';
}

export const authenticationStage: Stage = {
  name: 'authentication',
  async run(ev) {
    const p = ev.policy;
    const authorization = ev.req.headers.get('authorization') ?? '';
    const space = authorization.indexOf(' ');
    const scheme = (space > 0 ? authorization.slice(0, space) : authorization).toLowerCase();
    if (scheme === 'basic' && p.rejectBasicAuth) return deny(authFailure(p, 'basic auth rejected'));

    if (p.apiKeys) {
      const key = ev.req.headers.get(p.apiKeys.header);
      if (key !== undefined) {
        ev.stripHeaders.push(p.apiKeys.header);
        const consumer = p.apiKeys.byHash.get(hash('sha256', key, 'hex'));
        if (consumer === undefined) return deny(authFailure(p, 'invalid api key'));
        ev.consumer = consumer;
        return pass(`consumer ${consumer}`);
      }
    }
    if (p.jwt && scheme === 'bearer') {
      const token = authorization.slice(space + 1).trim();
      try {
        const { payload } = await jose().jwtVerify(token, p.jwt.keys, {
          issuer: p.jwt.issuer,
          ...(p.jwt.audiences.length > 0 ? { audience: p.jwt.audiences } : {}),
          clockTolerance: JWT_CLOCK_TOLERANCE_S,
        });
        ev.claims = payload;
        ev.consumer = typeof payload.sub === 'string' && payload.sub !== '' ? payload.sub : null;
        return pass(ev.consumer ? `consumer ${ev.consumer}` : 'jwt without sub');
      } catch (err) {
        return deny(authFailure(p, `invalid jwt: ${jwtErrorCode(err)}`, 'invalid_token'));
      }
    }
    if (p.required) return deny(authFailure(p, 'credential missing'));
    return pass('anonymous');
  },
};
