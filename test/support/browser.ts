/**
 * A real headless browser for tests and benchmarks: Debian's chromium driven by playwright-core (no browser
 * download). A missing chromium is a loud failure that says how to install it.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';

/** Where Debian's chromium lives; PALISADE_CHROMIUM overrides it. */
export const CHROMIUM_PATH = process.env['PALISADE_CHROMIUM'] ?? '/usr/bin/chromium';

// --no-sandbox: chromium refuses to start its sandbox as root, which CI containers are.
const OPTIONS = { executablePath: CHROMIUM_PATH, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] };

function requireChromium(): void {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`chromium not found at ${CHROMIUM_PATH}: install Debian's package (apt-get install chromium, as .ci/run does) or set PALISADE_CHROMIUM`);
  }
}

/** Launches headless chromium (with extra command-line switches). Throws a clear error when it is not installed. */
export async function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  requireChromium();
  return chromium.launch({ ...OPTIONS, args: [...OPTIONS.args, ...extraArgs] });
}

/** Launches headless chromium on a profile directory (its `Default/Preferences` set browser settings). */
export async function launchChromiumProfile(dir: string): Promise<BrowserContext> {
  requireChromium();
  return chromium.launchPersistentContext(dir, OPTIONS);
}
