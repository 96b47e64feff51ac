/**
 * Bounded `host` label values for `no-policy` denials. A host keeps its name when some snapshot since the start
 * covered it (so a dashboard shows which protected service lost its policy); a host under a known wildcard is
 * labelled with the wildcard; any other value a client can put in :authority becomes "other". The label set is
 * thus bounded by the hosts the operators configured, never by what clients send.
 */
import type { Runtime } from '../pipeline/runtime.ts';

/** At most this many distinct host labels are kept; later ones read "other". */
export const MAX_HOST_LABELS = 2000;

export class HostLabels {
  readonly #exact = new Set<string>();
  /** ".suffix" of "*.suffix" wildcards. */
  readonly #wildcards = new Set<string>();
  #learnedFrom: Runtime | null = null;

  /** Remembers the hosts of a runtime (cheap when it is the one already learned). */
  learn(runtime: Runtime | null): void {
    if (!runtime || runtime === this.#learnedFrom) return;
    this.#learnedFrom = runtime;
    for (const h of runtime.hosts) {
      if (this.#exact.size + this.#wildcards.size >= MAX_HOST_LABELS) return;
      if (h.startsWith('*.')) this.#wildcards.add(h.slice(1));
      else this.#exact.add(h);
    }
  }

  /** The label for a request host. */
  label(host: string): string {
    if (host === '') return 'none';
    if (this.#exact.has(host)) return host;
    for (let i = host.indexOf('.'); i >= 0; i = host.indexOf('.', i + 1)) {
      const suffix = host.slice(i);
      if (this.#wildcards.has(suffix)) return `*${suffix}`;
    }
    return 'other';
  }
}
