/** Small helpers for tests that watch an authz-server converge: its verdict for a request, and bounded polling. */
import { setTimeout as sleep } from 'node:timers/promises';
import { envoyRequest, headerOf, type AuthzClient, type RequestShape } from './envoy.ts';

/** "allow" or the x-palisade-reason of the denial (e.g. "no-policy", "authentication", "access"). */
export async function verdictOf(client: AuthzClient, shape: RequestShape): Promise<string> {
  const res = await client.check(envoyRequest(shape));
  if (res.status.code === 0) return 'allow';
  return headerOf(res.denied_response?.headers, 'x-palisade-reason') ?? `code-${res.status.code}`;
}

/**
 * Polls `probe` until `accept` holds; returns the time it took. Fails with `what`, the last value seen and the
 * time waited. Polls every `intervalMs` (default 25 ms) so that measured latencies are precise.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T> | T,
  accept: (v: T) => boolean,
  timeoutMs = 15_000,
  intervalMs = 25,
): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  let last: T | undefined;
  let lastErr: unknown;
  while (performance.now() - start < timeoutMs) {
    try {
      last = await probe();
      lastErr = undefined;
      if (accept(last)) return { value: last, ms: performance.now() - start };
    } catch (err) {
      lastErr = err;
    }
    await sleep(intervalMs);
  }
  const seen = lastErr ? `error ${(lastErr as Error).message}` : JSON.stringify(last);
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last seen: ${seen}`);
}
