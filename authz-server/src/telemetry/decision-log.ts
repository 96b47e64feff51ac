/**
 * The decision log: one JSON line per logged Check, in the process log's format (pino's level, time and base
 * fields, `msg: "decision"`), written to the logger's own destination. The line is assembled directly instead of
 * going through pino's object serialisation and redaction: a decision line only carries fields Palisade chose
 * (never headers, query strings or credentials, so there is nothing to redact) and that serialisation was most of
 * the log's cost per Check (bench/RESULTS.md).
 */
import { pino, type Logger } from 'pino';
import type { DecisionLogMode } from '../app/config.ts';
import type { Outcome } from '../pipeline/outcome.ts';
import type { RequestContext } from '../pipeline/request.ts';

/** `allow`, `deny`, or `monitor` (allowed, but a Monitor-mode policy would have denied it). */
export function verdictLabel(o: Outcome): string {
  if (o.kind === 'deny') return 'deny';
  return o.wouldDeny ? 'monitor' : 'allow';
}

const str = (s: string | null | undefined): string => (s === null || s === undefined ? 'null' : JSON.stringify(s));

/** The fields after pino's level/time/base fields, as JSON text without braces (exported for tests). */
export function decisionFields(req: RequestContext, outcome: Outcome, seconds: number): string {
  const denial = outcome.kind === 'deny' ? outcome.denial : outcome.wouldDeny;
  let out = `"requestId":${str(req.requestId)},"host":${str(req.host)},"method":${str(req.method)},"path":${str(req.path)},"clientIp":${str(req.clientIp)},"principal":${str(req.principal || null)},"consumer":${str(outcome.consumer)},"verdict":"${verdictLabel(outcome)}","reason":${str(denial?.reason)},"detail":${str(denial?.detail)},"policy":${str(outcome.policy?.id)}`;
  if (outcome.bot) {
    const signals = outcome.bot.signals.filter((s) => s.score > 0).map((s) => ({ name: s.name, score: s.score, detail: s.detail }));
    out += `,"bot":${JSON.stringify({ score: outcome.bot.score, verdict: outcome.bot.verdict, signals })}`;
  }
  return `${out},"latencyMs":${Math.round(seconds * 1e6) / 1e3}`;
}

interface Destination {
  write(line: string): unknown;
}

/** Largest batch of allow lines held back before it is written. */
const BATCH_BYTES = 16 * 1024;

/**
 * Writes decision lines for the Checks `mode` selects. Allow lines are batched: the Checks answered in one turn
 * of the event loop (several per socket read under load) share one write, at the end of that turn, because a
 * write per line was most of the remaining cost. A deny (or Monitor-mode would-deny) line is written at once,
 * with the batch before it, before the Check is answered, so no such line can be lost to a crash.
 */
export class DecisionLog {
  readonly mode: DecisionLogMode;
  readonly #logger: Logger;
  readonly #prefix: string;
  readonly #dest: Destination;
  #pending = '';
  #scheduled: NodeJS.Immediate | undefined;
  readonly #onExit = () => this.flush();

  constructor(logger: Logger, mode: DecisionLogMode) {
    this.mode = mode;
    this.#logger = logger;
    const bindings = JSON.stringify(logger.bindings()).slice(1, -1);
    this.#prefix = bindings ? `,${bindings},` : ',';
    this.#dest = (logger as unknown as Record<symbol, Destination>)[pino.symbols.streamSym] as Destination;
    if (mode !== 'off') process.on('exit', this.#onExit);
  }

  /** Logs one decision (or not, per mode and log level). Never throws for the request's content. */
  write(req: RequestContext, outcome: Outcome, seconds: number): void {
    if (this.mode === 'off' || (this.mode === 'deny' && outcome.kind === 'allow') || !this.#logger.isLevelEnabled('info')) return;
    this.#pending += `{"level":"info","time":"${new Date().toISOString()}"${this.#prefix}${decisionFields(req, outcome, seconds)},"msg":"decision"}\n`;
    if (outcome.kind === 'deny' || outcome.wouldDeny || this.#pending.length >= BATCH_BYTES) this.flush();
    else this.#scheduled ??= setImmediate(() => this.flush());
  }

  /** Writes the held-back lines now. */
  flush(): void {
    clearImmediate(this.#scheduled);
    this.#scheduled = undefined;
    if (this.#pending === '') return;
    const chunk = this.#pending;
    this.#pending = '';
    this.#dest.write(chunk);
  }

  /** Flushes and stops listening for process exit. */
  close(): void {
    this.flush();
    process.off('exit', this.#onExit);
  }
}
