/**
 * Reads the committed inspection corpus: the OWASP CRS regression-test requests (crs/*.jsonl, written by
 * `node bench/inspection-crs.ts --write-corpus`) and the hand-written sample lists (*.txt).
 */
import { readFileSync } from 'node:fs';

/** The attack classes of the corpus, named after the CRS families they come from. */
export type AttackClass = 'sqli' | 'xss' | 'lfi' | 'rce';

/** One request from a CRS regression test that expects its rule to fire. */
export interface CrsRequest {
  id: string;
  rule: number;
  pl: number;
  method: string;
  uri: string;
  headers: Array<[string, string]>;
  body?: string;
  fragment?: string;
}

/** All CRS requests of a class; `scoredOnly` drops the ones marked as fragments (see crs/README in the corpus). */
export function crsRequests(cls: AttackClass, scoredOnly = true): CrsRequest[] {
  const text = readFileSync(new URL(`./crs/${cls}.jsonl`, import.meta.url), 'utf8');
  const all = text
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as CrsRequest);
  return scoredOnly ? all.filter((r) => r.fragment === undefined) : all;
}

/** A hand-written sample list: one sample per line, blank lines ignored, no comment syntax. */
export function sampleLines(name: string): string[] {
  const text = readFileSync(new URL(`./${name}`, import.meta.url), 'utf8');
  return text
    .split('\n')
    .map((l) => l.replace(/\r$/, ''))
    .filter((l) => l.length > 0);
}
