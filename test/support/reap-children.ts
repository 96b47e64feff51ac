/**
 * Servers the tests spawn (kube-apiserver, etcd, redis-server, operators) must not outlive a test process that
 * exits early (a failed assertion, a timeout, Ctrl-C): every spawned child is registered here and SIGKILLed on exit.
 */
import type { ChildProcess } from 'node:child_process';

const live = new Set<ChildProcess>();
let hookInstalled = false;

/**
 * SIGKILLs `child` when this process exits, unless it has exited (or failed to spawn: 'close' follows both) by
 * then. Returns it. Adds no 'error' listener, so a failed spawn still surfaces to the caller.
 */
export function killOnExit<C extends ChildProcess>(child: C): C {
  if (!hookInstalled) {
    hookInstalled = true;
    process.on('exit', () => {
      for (const p of live) p.kill('SIGKILL');
    });
  }
  live.add(child);
  child.once('exit', () => live.delete(child));
  child.once('close', () => live.delete(child));
  return child;
}
