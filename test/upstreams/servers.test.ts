import { spawn } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { answering, startUpstream } from './servers.ts';

describe('an upstream is the server the harness started', () => {
  const cleanup: (() => void)[] = [];
  afterEach(() => {
    for (const c of cleanup.splice(0)) c();
  });

  it('refuses a port where another server answers, while its own child still runs', async () => {
    const foreign = createServer((s) => s.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok'));
    await new Promise<void>((r) => foreign.listen(0, '127.0.0.1', r));
    cleanup.push(() => foreign.close());
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    cleanup.push(() => child.kill());
    await expect(answering((foreign.address() as AddressInfo).port, 'a-token', child, 'nginx')).rejects.toThrow(/another server answers/);
  });

  it('fails at once when its child exits before answering', async () => {
    const child = spawn('true', [], { stdio: 'ignore' });
    await new Promise((r) => child.once('exit', r));
    await expect(answering(1, 'a-token', child, 'nginx')).rejects.toThrow(/exited/);
  });

  it('starts nginx, which answers with the token it was started with', async () => {
    const nginx = await startUpstream('nginx');
    cleanup.push(() => void nginx.stop());
    const head = await fetch(`http://127.0.0.1:${nginx.port}/public/x`);
    expect(head.status).toBe(200);
    expect(head.headers.get('x-upstream-start')).toMatch(/^[0-9a-f]{24}$/);
  });
});
