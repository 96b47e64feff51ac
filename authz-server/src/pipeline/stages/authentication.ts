/**
 * API keys (by SHA-256) and JWT (jose). A credential that is present but wrong is always a 401, even when
 * authentication is not required; Basic credentials are refused unless rejectBasicAuth is false. An API key comes
 * as a header's whole value, or after a scheme (`authorization: Bearer <key>`); with a JWT on the same bearer
 * header, a token that is no known key and has a JWT's shape is verified as the JWT.
 */
import { hash } from 'node:crypto';
import type { Denial } from '../outcome.ts';
import type { RuntimePolicy } from '../runtime.ts';
import { pass, deny, type Stage } from '../stage.ts';
import { jose } from '../../../../lib/process/lazy-module.ts';

/** Clock skew tolerated on exp/nbf/iat, seconds. */
const JWT_CLOCK_TOLERANCE_S = 30;

/** A compact JWS: three base64url segments (a bearer credential that is no API key may be the policy's JWT). */
export const COMPACT_JWS = /^[\w-]+\.[\w-]+\.[\w-]*$/;

/**
 * The credential of an `<scheme> <credential>` header value (RFC 9110 section 11.4: the scheme is
 * case-insensitive, one or more spaces or tabs follow it), '' when it is empty, undefined for another scheme.
 * `scheme` is lower case.
 */
export function credentialOf(value: string, scheme: string): string | undefined {
  const v = value.trim();
  if (v.slice(0, scheme.length).toLowerCase() !== scheme) return undefined;
  if (v.length === scheme.length) return '';
  const sep = v.charCodeAt(scheme.length);
  return sep === 32 || sep === 9 ? v.slice(scheme.length + 1).trim() : undefined;
}

function challenges(policy: RuntimePolicy, jwtError?: string): string {
  const out: string[] = [];
  const realm = policy.source.hosts[0] ?? policy.id;
  if (policy.jwt) out.push(`Bearer realm="${policy.jwt.realm}"${jwtError ? `, error="invalid_token"` : ''}`);
  const keys = policy.apiKeys;
  if (keys?.scheme != null) {
    if (!(policy.jwt && keys.scheme === 'bearer')) out.push(`${schemeName(keys.scheme)} realm="${realm}"`);
  } else if (keys) out.push(`ApiKey header="${keys.header}"`);
  if (out.length === 0) out.push(`Bearer realm="${realm}"`);
  return out.join(', ');
}

function schemeName(lower: string): string {
  return lower.charAt(0).toUpperCase() + lower.slice(1);
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
    const authorization = (ev.req.headers.get('authorization') ?? '').trim();
    const space = authorization.search(/[ \t]/);
    const scheme = (space > 0 ? authorization.slice(0, space) : authorization).toLowerCase();
    if (scheme === 'basic' && p.rejectBasicAuth) return deny(authFailure(p, 'basic auth rejected'));

    if (p.apiKeys) {
      const raw = ev.req.headers.get(p.apiKeys.header);
      const key = raw === undefined || p.apiKeys.scheme === null ? raw : credentialOf(raw, p.apiKeys.scheme);
      if (key !== undefined) {
        const consumer = p.apiKeys.byHash.get(hash('sha256', key, 'hex'));
        const maybeJwt = consumer === undefined && p.jwt !== null && p.apiKeys.header === 'authorization' && scheme === 'bearer' && COMPACT_JWS.test(key);
        if (!maybeJwt) {
          ev.stripHeaders.push(p.apiKeys.header);
          if (consumer === undefined) return deny(authFailure(p, 'invalid api key'));
          ev.consumer = consumer;
          return pass(`consumer ${consumer}`);
        }
      }
    }
    if (p.jwt && scheme === 'bearer') {
      const token = credentialOf(authorization, 'bearer') ?? '';
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
