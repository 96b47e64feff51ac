/**
 * Locale-independent ordering. `localeCompare` follows the process's ICU collation, which depends on the
 * environment and pulls ICU's collation data into memory; compiled snapshots and status lists must sort the same
 * everywhere, so they compare UTF-16 code units.
 */

/** Orders two strings by UTF-16 code units: the same result on every machine and locale. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
