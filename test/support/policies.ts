/**
 * Test fixtures: a policy directory written at test time (the JWT key pair is generated per run, so no private
 * key is ever committed), a signer for tokens, and an authz-server started on free loopback ports.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createHash } from 'node:crypto';
import { SignJWT, exportJWK, generateKeyPair, type JWTPayload } from 'jose';
import type { Logger } from 'pino';
import { stringify } from 'yaml';
import { parseConfig } from '../../authz-server/src/app/config.ts';
import { createLogger } from '../../lib/process/logging.ts';
import { startAuthzServer, type AuthzServer, type AuthzServerOverrides } from '../../authz-server/src/app/server.ts';

/** sha256 hex, as policies store API keys. */
export function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

/** A JWT issuer for tests. */
export interface TestIssuer {
  issuer: string;
  jwks: { keys: Array<Record<string, unknown>> };
  sign(claims: JWTPayload, opts?: { expiresIn?: string | number; audience?: string; issuer?: string }): Promise<string>;
}

/** Generates an ES256 key pair and returns an issuer that signs with it. */
export async function testIssuer(issuer = 'https://issuer.test'): Promise<TestIssuer> {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'test-1', alg: 'ES256', use: 'sig' };
  return {
    issuer,
    jwks: { keys: [jwk] },
    async sign(claims, opts = {}) {
      return new SignJWT(claims)
        .setProtectedHeader({ alg: 'ES256', kid: 'test-1' })
        .setIssuer(opts.issuer ?? issuer)
        .setAudience(opts.audience ?? 'orders')
        .setIssuedAt()
        .setExpirationTime(opts.expiresIn ?? '5m')
        .sign(privateKey);
    },
  };
}

/** A temp directory of policy YAML documents. */
export async function writePolicyDir(docs: unknown[], name = 'policies.yaml'): Promise<{ dir: string; file: string; rewrite(docs: unknown[] | string): Promise<void>; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'palisade-policies-'));
  const file = join(dir, name);
  const render = (d: unknown[] | string) => (typeof d === 'string' ? d : d.map((x) => stringify(x, { version: '1.1' })).join('---\n'));
  await writeFile(file, render(docs));
  return {
    dir,
    file,
    rewrite: (d) => writeFile(file, render(d)),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}

/** A policy document with sane metadata. */
export function policyDoc(name: string, spec: Record<string, unknown>, namespace = 'shop'): Record<string, unknown> {
  return { apiVersion: 'palisade.dev/v1alpha1', kind: 'ApiProtectionPolicy', metadata: { name, namespace }, spec };
}

/** Log lines captured from a logger (parsed JSON). */
export interface CapturedLog {
  logger: Logger;
  lines: Array<Record<string, unknown>>;
  /** What reached the destination, one entry per write (a batch of lines is one write). */
  writes: readonly string[];
  text(): string;
}

/** A pino logger writing into memory, for asserting on log lines. */
export function captureLogger(level = 'info'): CapturedLog {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      chunks.push(String(chunk));
      cb();
    },
  });
  const logger = createLogger(level, 'palisade-test', stream);
  return {
    logger,
    get lines() {
      return chunks.join('').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    },
    writes: chunks,
    text: () => chunks.join(''),
  };
}

/** Starts an in-process authz-server on free loopback ports. */
export async function startTestServer(args: string[], logger: Logger, overrides: AuthzServerOverrides = {}): Promise<AuthzServer> {
  const config = parseConfig(['--host', '127.0.0.1', '--grpc-port', '0', '--check-port', '0', '--http-port', '0', '--shutdown-grace-ms', '3000', ...args], {});
  return startAuthzServer({ ...config, reloadDebounceMs: 50 }, logger, overrides);
}
