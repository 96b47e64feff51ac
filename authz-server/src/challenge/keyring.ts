/**
 * Signing keys for challenges and passes. A keyring holds one or two secrets: the first signs, both verify, so a
 * key can be rotated without invalidating the passes already issued (add the new key first, keep the old one for
 * at least a pass lifetime, then drop it). Each secret is expanded into one HMAC-SHA256 key per purpose, so a
 * challenge token can never be presented as a pass. Key ids are derived from the secret, never chosen.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { CHALLENGE_KEY_MIN_BYTES } from '../../../lib/policy/schema.ts';

/** What a signature is for; part of the key derivation. */
export type Purpose = 'challenge' | 'pass';

/** Shortest accepted secret, in bytes. */
const MIN_SECRET_BYTES = CHALLENGE_KEY_MIN_BYTES;

interface Key {
  id: string;
  byPurpose: Record<Purpose, Buffer>;
}

/** One or two signing keys; the first signs. */
export interface Keyring {
  /** Id of the signing key (8 hex characters). */
  readonly signingKeyId: string;
  /** Ids of every key that verifies. */
  readonly keyIds: readonly string[];
  /** HMAC-SHA256 of `data` with the signing key for `purpose`, base64url. */
  sign(purpose: Purpose, data: string): { keyId: string; signature: string };
  /** True when `signature` is `data` signed for `purpose` by the key `keyId`. Constant-time. */
  verify(purpose: Purpose, keyId: string, data: string, signature: string): boolean;
  /** True when the secrets were generated at start because none were configured. */
  readonly ephemeral: boolean;
}

/** Raised for secrets that cannot be used. */
export class KeyringError extends Error {}

function derive(secret: Uint8Array): Key {
  const sub = (label: string) => createHmac('sha256', secret).update(`palisade ${label} v1`).digest();
  return {
    id: createHash('sha256').update('palisade key id v1').update(secret).digest('hex').slice(0, 8),
    byPurpose: { challenge: sub('challenge'), pass: sub('pass') },
  };
}

/**
 * Builds a keyring from one or two secrets (the first signs). Refuses an empty list, more than two, secrets shorter
 * than MIN_SECRET_BYTES, and two equal secrets.
 */
export function keyringFrom(secrets: readonly Uint8Array[], opts: { ephemeral?: boolean } = {}): Keyring {
  if (secrets.length === 0) throw new KeyringError('no challenge key');
  if (secrets.length > 2) throw new KeyringError(`at most two challenge keys (current and previous), got ${secrets.length}`);
  secrets.forEach((s, i) => {
    if (s.length < MIN_SECRET_BYTES) throw new KeyringError(`challenge key ${i + 1} has ${s.length} bytes, at least ${MIN_SECRET_BYTES} are needed`);
  });
  const keys = secrets.map(derive);
  if (keys.length === 2 && keys[0]!.id === keys[1]!.id) throw new KeyringError('the two challenge keys are the same');
  const signing = keys[0]!;
  return {
    signingKeyId: signing.id,
    keyIds: keys.map((k) => k.id),
    ephemeral: opts.ephemeral === true,
    sign(purpose, data) {
      return { keyId: signing.id, signature: createHmac('sha256', signing.byPurpose[purpose]).update(data).digest('base64url') };
    },
    verify(purpose, keyId, data, signature) {
      const key = keys.find((k) => k.id === keyId);
      if (!key) return false;
      const expected = createHmac('sha256', key.byPurpose[purpose]).update(data).digest();
      const given = Buffer.from(signature, 'base64url');
      return given.length === expected.length && timingSafeEqual(given, expected);
    },
  };
}

/** A keyring with one random secret, for a server that was given none (passes then hold for this process only). */
export function ephemeralKeyring(): Keyring {
  return keyringFrom([randomBytes(MIN_SECRET_BYTES)], { ephemeral: true });
}

/**
 * A keyring from a key file: one key per line (the first signs, a second one still verifies), surrounding
 * whitespace and empty lines ignored, each key used as its UTF-8 bytes. Throws KeyringError naming the file.
 */
export function keyringFromFile(text: string, path: string): Keyring {
  const lines = text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '');
  try {
    return keyringFrom(lines.map((l) => Buffer.from(l, 'utf8')));
  } catch (err) {
    throw new KeyringError(`${path}: ${(err as Error).message}`);
  }
}
