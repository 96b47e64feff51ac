/**
 * The Redis harness itself: a handle always controls the server it started, never another process's that happens
 * to answer on the same port.
 */
import { describe, expect, it } from 'vitest';
import { startRedis } from './redis-server.ts';

describe('startRedis', () => {
  it("refuses a port another redis-server holds instead of handing out that server", async () => {
    const other = await startRedis();
    try {
      await other.command('SET', 'owner', 'other');
      await expect(startRedis({ port: other.port, readyTimeoutMs: 1500 })).rejects.toThrow(/held by another redis-server|exited during startup/);
      // The other server is untouched and still the one on its port.
      expect(await other.command('GET', 'owner')).toBe('other');
    } finally {
      await other.stop();
    }
  });
});
