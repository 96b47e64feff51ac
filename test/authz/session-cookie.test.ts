/**
 * A policy whose session cookie never arrives: the server warns, naming the cookies that do (names only), and says
 * nothing where the policy names the site's cookie.
 */
import { describe, expect, it } from 'vitest';
import { authzClient, envoyRequest } from '../support/envoy.ts';
import { captureLogger, policyDoc, startTestServer, writePolicyDir } from '../support/policies.ts';

async function run(bot: Record<string, unknown>): Promise<Record<string, unknown>[]> {
  const log = captureLogger('warn');
  let now = Date.parse('2026-12-04T04:00:00Z');
  const dir = await writePolicyDir([policyDoc('tickets', { hosts: ['tickets.example'], bot: { mode: 'Monitor', ...bot } })]);
  const server = await startTestServer(['--policies', dir.dir], log.logger, { clock: () => now, deferredFlushMs: 0 });
  const client = authzClient(server.checkPort ?? server.grpcPort);
  try {
    const check = (i: number) =>
      client.check(envoyRequest({ host: 'tickets.example', path: `/e/${i}`, sourceIp: `198.51.100.${i % 200}`, headers: { 'user-agent': 'Mozilla/5.0', accept: 'text/html', 'accept-language': 'en', cookie: `enc_sid=s${i}secretvalue; _ga=GA1.1.${i}` } }));
    for (let i = 0; i < 210; i++) {
      now += 1000;
      await check(i);
    }
    now += 5 * 60_000;
    await check(999);
    return log.lines.filter((l) => String(l['msg']).includes('session cookie'));
  } finally {
    client.close();
    await server.stop();
    await dir.cleanup();
  }
}

describe('the session cookie a policy names', () => {
  it('never arriving while others do: one warning with the cookies seen, never their values', { timeout: 60_000 }, async () => {
    const warnings = await run({});
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ policy: expect.stringContaining('tickets'), sessionCookie: 'session', checks: 210, cookiesSeen: ['_ga', 'enc_sid'] });
    expect(JSON.stringify(warnings[0])).not.toContain('secretvalue');
  });

  it('named as the site sets it: no warning', { timeout: 60_000 }, async () => {
    expect(await run({ sessionCookie: 'enc_sid' })).toEqual([]);
  });
});
