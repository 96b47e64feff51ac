import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { powSolver } from '../../../clients/palisade-challenge.js';
import { bindingOf, networkOf, userAgentHash, type Binding } from './binding.ts';
import { KeyringError, ephemeralKeyring, keyringFrom } from './keyring.ts';
import { CHALLENGE_TTL_SECONDS, checkPass, issueChallenge, issuePass, redeemSolution } from './tokens.ts';

const UA = 'Mozilla/5.0 (X11; Linux x86_64) Chrome/130.0';
const prefixes = { ipv4: 24, ipv6: 64 };
const key = () => randomBytes(32);
const NOW = 1_800_000_000;

function solved(seed: string, difficulty: number): string {
  return powSolver().solve(seed, difficulty, 0, 1, 1 << 24).nonce!;
}

describe('network binding', () => {
  it('truncates IPv4 and IPv6 to the configured prefix; IPv4-mapped counts as IPv4', () => {
    expect(networkOf('203.0.113.77', prefixes)).toBe('203.0.113.0/24');
    expect(networkOf('203.0.113.77', { ipv4: 16, ipv6: 64 })).toBe('203.0.0.0/16');
    expect(networkOf('203.0.113.77', { ipv4: 32, ipv6: 64 })).toBe('203.0.113.77/32');
    expect(networkOf('203.0.113.77', { ipv4: 20, ipv6: 64 })).toBe('203.0.112.0/20');
    expect(networkOf('2001:db8:1:2:3:4:5:6', prefixes)).toBe('2001:db8:1:2::/64');
    expect(networkOf('2001:db8:1:2::9', { ipv4: 24, ipv6: 48 })).toBe('2001:db8:1::/48');
    expect(networkOf('2001:db8:1:2ff::1', { ipv4: 24, ipv6: 56 })).toBe('2001:db8:1:200::/56');
    expect(networkOf('::ffff:198.51.100.9', prefixes)).toBe('198.51.100.0/24');
    expect(networkOf('fe80::1%eth0', prefixes)).toBe('fe80::/64');
    expect(networkOf('::1', { ipv4: 24, ipv6: 128 })).toBe('::1/128');
    expect(networkOf('not-an-ip', prefixes)).toBe('');
    expect(networkOf('', prefixes)).toBe('');
  });

  it('hashes the user-agent to 16 bytes', () => {
    expect(userAgentHash(UA)).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(userAgentHash(UA)).not.toBe(userAgentHash(`${UA} `));
  });
});

describe('keyring', () => {
  it('refuses no key, three keys, short keys and a duplicated key', () => {
    expect(() => keyringFrom([])).toThrow(KeyringError);
    expect(() => keyringFrom([key(), key(), key()])).toThrow(/at most two/);
    expect(() => keyringFrom([randomBytes(16)])).toThrow(/at least 32/);
    const k = key();
    expect(() => keyringFrom([k, Buffer.from(k)])).toThrow(/same/);
  });

  it('key ids come from the secret; a challenge signature is not a pass signature', () => {
    const k = key();
    const a = keyringFrom([k]);
    expect(keyringFrom([k]).signingKeyId).toBe(a.signingKeyId);
    const sig = a.sign('challenge', 'data');
    expect(a.verify('challenge', sig.keyId, 'data', sig.signature)).toBe(true);
    expect(a.verify('pass', sig.keyId, 'data', sig.signature)).toBe(false);
    expect(a.verify('challenge', sig.keyId, 'datA', sig.signature)).toBe(false);
    expect(a.verify('challenge', 'ffffffff', 'data', sig.signature)).toBe(false);
    expect(ephemeralKeyring().ephemeral).toBe(true);
  });
});

describe('challenge and pass', () => {
  const keyring = keyringFrom([key()]);
  const here: Binding = bindingOf('shop/orders', '203.0.113.77', UA, prefixes);

  it('a solved challenge redeems once its puzzle is solved, at the difficulty it was issued with', () => {
    const ch = issueChallenge(keyring, here, 10, NOW);
    expect(ch.expires).toBe(NOW + CHALLENGE_TTL_SECONDS);
    const nonce = solved(ch.seed, 10);
    const r = redeemSolution(keyring, ch.token, nonce, here, NOW + 5);
    expect(r).toEqual({ ok: true, claims: { difficulty: 10, issuedAt: NOW, expiresAt: NOW + CHALLENGE_TTL_SECONDS } });
    // A nonce that does not solve it.
    const wrong = [...Array(50).keys()].map(String).find((n) => n !== nonce && redeemSolution(keyring, ch.token, n, here, NOW).ok === false)!;
    expect(redeemSolution(keyring, ch.token, wrong, here, NOW)).toEqual({ ok: false, reason: 'solution' });
  });

  it('a challenge cannot be made easier: a changed difficulty breaks the signature', () => {
    const ch = issueChallenge(keyring, here, 20, NOW);
    const [v, kid, payload, sig] = ch.token.split('.') as [string, string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const easier = `${v}.${kid}.${Buffer.from(JSON.stringify({ ...claims, d: 1 })).toString('base64url')}.${sig}`;
    expect(redeemSolution(keyring, easier, solved(ch.seed, 1), here, NOW)).toEqual({ ok: false, reason: 'signature' });
  });

  it('a challenge from another network, browser, policy, or after its lifetime is refused', () => {
    const ch = issueChallenge(keyring, here, 4, NOW);
    const nonce = solved(ch.seed, 4);
    expect(redeemSolution(keyring, ch.token, nonce, bindingOf('shop/orders', '198.51.100.1', UA, prefixes), NOW).ok).toBe(false);
    expect(redeemSolution(keyring, ch.token, nonce, bindingOf('shop/orders', '203.0.113.5', 'curl/8', prefixes), NOW)).toEqual({ ok: false, reason: 'user-agent' });
    expect(redeemSolution(keyring, ch.token, nonce, bindingOf('shop/other', '203.0.113.77', UA, prefixes), NOW)).toEqual({ ok: false, reason: 'policy' });
    expect(redeemSolution(keyring, ch.token, nonce, here, NOW + CHALLENGE_TTL_SECONDS)).toEqual({ ok: false, reason: 'expired' });
    // Same /24, another address: still the same network.
    expect(redeemSolution(keyring, ch.token, nonce, bindingOf('shop/orders', '203.0.113.200', UA, prefixes), NOW).ok).toBe(true);
  });

  it('a pass holds for its binding until it expires, and is refused elsewhere with the reason', () => {
    const pass = issuePass(keyring, here, 16, NOW, 3600);
    expect(checkPass(keyring, pass, here, NOW + 3599)).toEqual({ ok: true, claims: { difficulty: 16, issuedAt: NOW, expiresAt: NOW + 3600 } });
    expect(checkPass(keyring, pass, here, NOW + 3600)).toEqual({ ok: false, reason: 'expired' });
    expect(checkPass(keyring, pass, bindingOf('shop/orders', '198.51.100.77', UA, prefixes), NOW)).toEqual({ ok: false, reason: 'network' });
    expect(checkPass(keyring, pass, bindingOf('shop/orders', '2001:db8::1', UA, prefixes), NOW)).toEqual({ ok: false, reason: 'network' });
    expect(checkPass(keyring, pass, bindingOf('shop/orders', '203.0.113.77', 'python-requests/2.32', prefixes), NOW)).toEqual({ ok: false, reason: 'user-agent' });
    expect(checkPass(keyring, pass, bindingOf('other/policy', '203.0.113.77', UA, prefixes), NOW)).toEqual({ ok: false, reason: 'policy' });
  });

  it('a pass signed by another key, a challenge token used as a pass, and garbage are refused', () => {
    const other = keyringFrom([key()]);
    expect(checkPass(keyring, issuePass(other, here, 16, NOW, 3600), here, NOW)).toEqual({ ok: false, reason: 'signature' });
    const ch = issueChallenge(keyring, here, 4, NOW);
    expect(checkPass(keyring, ch.token, here, NOW)).toEqual({ ok: false, reason: 'signature' });
    for (const bad of ['', 'x', 'v1.zz.aa.bb', `${issuePass(keyring, here, 16, NOW, 3600)}x`, 'v1.00000000.e30.' + 'A'.repeat(43), 'a'.repeat(5000)]) {
      expect(checkPass(keyring, bad, here, NOW).ok).toBe(false);
    }
  });

  it('rotation: passes signed with the previous key still hold; the new key signs', () => {
    const oldKey = key();
    const newKey = key();
    const before = keyringFrom([oldKey]);
    const pass = issuePass(before, here, 16, NOW, 3600);
    const rotated = keyringFrom([newKey, oldKey]);
    expect(checkPass(rotated, pass, here, NOW).ok).toBe(true);
    const fresh = issuePass(rotated, here, 16, NOW, 3600);
    expect(fresh.split('.')[1]).toBe(keyringFrom([newKey]).signingKeyId);
    // Once the old key is dropped, its passes stop holding.
    expect(checkPass(keyringFrom([newKey]), pass, here, NOW)).toEqual({ ok: false, reason: 'signature' });
    expect(checkPass(keyringFrom([newKey]), fresh, here, NOW).ok).toBe(true);
  });
});
