/** Timers that never keep the process alive: a stopped operator exits even with a write or sync still scheduled. */

/** Runs `fn` once after `ms`; the timer does not hold the event loop open. */
export function backgroundTimeout(fn: () => void, ms: number): NodeJS.Timeout {
  return setTimeout(fn, ms).unref();
}

/** Runs `fn` every `ms`; the timer does not hold the event loop open. */
export function backgroundInterval(fn: () => void, ms: number): NodeJS.Timeout {
  return setInterval(fn, ms).unref();
}

/** Cancels every given timer (one-shot or repeating); undefined entries are skipped. */
export function clearTimers(...timers: Array<NodeJS.Timeout | undefined>): void {
  for (const t of timers) clearTimeout(t);
}
