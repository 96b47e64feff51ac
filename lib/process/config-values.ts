/**
 * Typed parsing of flag / environment values shared by the authz-server's and the operator's `config.ts`.
 * These helpers only convert strings they are given; neither reads `process.env`.
 */

/** A configuration problem the user can fix; `message` says which flag and why. `'help'` asks for the usage text. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** An integer flag in `[min, max]`; `fallback` when absent or empty. */
export function int(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${name} must be an integer in [${min}, ${max}], got ${JSON.stringify(raw)}`);
  return n;
}

/** A boolean flag: true/1 or false/0; `fallback` when absent or empty. */
export function bool(name: string, raw: string | undefined, fallback: boolean): boolean {
  if (raw === undefined || raw === '') return fallback;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new ConfigError(`${name} must be true or false, got ${JSON.stringify(raw)}`);
}
