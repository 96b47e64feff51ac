/**
 * The decision log: one JSON line per logged Check, in the process log's format (pino's level, time and base
 * fields, `msg: "decision"`), written to the logger's own destination. The line is assembled directly instead of
 * going through pino's object serialisation and redaction: a decision line only carries fields Palisade chose
 * (never headers, query strings or credentials, so there is nothing to redact) and that serialisation was most of
 * the log's cost per Check (bench/RESULTS.md).
 */
import { pino, type Logger } from 'pino';
import type { DecisionLogMode } from '../app/config.ts';
import type { BotAssessment, Denial, Outcome } from '../pipeline/outcome.ts';
import type { RequestContext } from '../pipeline/request.ts';

/** `allow`, `deny`, or `monitor` (allowed, but a Monitor-mode policy would have denied it). */
export function verdictLabel(o: Outcome): string {
  if (o.kind === 'deny') return 'deny';
  return o.wouldDeny ? 'monitor' : 'allow';
}

const str = (s: string | null | undefined): string => (s === null || s === undefined ? 'null' : JSON.stringify(s));

/** What a decision line says about the request. */
export type DecisionRequest = Pick<RequestContext, 'requestId' | 'host' | 'method' | 'path' | 'clientIp' | 'principal'>;

/** What a decision line says about the outcome: plain values, so that a held decision keeps nothing else of it alive. */
interface DecisionFacts {
  consumer: string | null;
  verdict: string;
  reason: string | undefined;
  detail: string | undefined;
  policy: string | undefined;
  inspection: Denial['inspection'];
  bot: BotAssessment | undefined;
  bodyUninspected: string | undefined;
}

function factsOf(outcome: Outcome): DecisionFacts {
  const denial = outcome.kind === 'deny' ? outcome.denial : outcome.wouldDeny;
  return {
    consumer: outcome.consumer,
    verdict: verdictLabel(outcome),
    reason: denial?.reason,
    detail: denial?.detail,
    policy: outcome.policy?.id,
    inspection: denial?.inspection,
    bot: outcome.bot ?? undefined,
    bodyUninspected: (outcome.kind === 'allow' && outcome.bodyUninspected) || undefined,
  };
}

/** A latency in seconds as the milliseconds `${Math.round(seconds * 1e6) / 1e3}` prints, without formatting a double. */
const FRACTIONS = Array.from({ length: 1000 }, (_, f) => (f === 0 ? '' : `.${String(f).padStart(3, '0').replace(/0+$/, '')}`));
function milliseconds(seconds: number): string {
  const us = Math.round(seconds * 1e6);
  if (!(us >= 0 && us < 2 ** 31)) return `${us / 1e3}`;
  const whole = Math.floor(us / 1000);
  return `${whole}${FRACTIONS[us - whole * 1000]}`;
}

/**
 * A one-entry memo of a line's fields that repeat from line to line (in a flood of denials, all but the request id,
 * path, address and latency): the last inputs and their JSON.
 */
class Repeated {
  #host = '';
  #method = '';
  #hostMethod = '"host":"","method":""';
  #principal: string | null = null;
  #consumer: string | null = null;
  #verdict = '';
  #reason: string | undefined;
  #detail: string | undefined;
  #policy: string | undefined;
  #outcomeFields = '"principal":null,"consumer":null,"verdict":"","reason":null,"detail":null,"policy":null';

  hostMethod(host: string, method: string): string {
    if (host !== this.#host || method !== this.#method) {
      this.#host = host;
      this.#method = method;
      this.#hostMethod = `"host":${str(host)},"method":${str(method)}`;
    }
    return this.#hostMethod;
  }

  outcome(principal: string | null, f: DecisionFacts): string {
    if (principal !== this.#principal || f.consumer !== this.#consumer || f.verdict !== this.#verdict || f.reason !== this.#reason || f.detail !== this.#detail || f.policy !== this.#policy) {
      this.#principal = principal;
      this.#consumer = f.consumer;
      this.#verdict = f.verdict;
      this.#reason = f.reason;
      this.#detail = f.detail;
      this.#policy = f.policy;
      this.#outcomeFields = `"principal":${str(principal)},"consumer":${str(f.consumer)},"verdict":"${f.verdict}","reason":${str(f.reason)},"detail":${str(f.detail)},"policy":${str(f.policy)}`;
    }
    return this.#outcomeFields;
  }
}

const repeated = new Repeated();

function fieldsOf(req: DecisionRequest, f: DecisionFacts, seconds: number): string {
  let out = `"requestId":${str(req.requestId)},${repeated.hostMethod(req.host, req.method)},"path":${str(req.path)},"clientIp":${str(req.clientIp)},${repeated.outcome(req.principal || null, f)}`;
  if (f.inspection) out += `,"inspection":${JSON.stringify(f.inspection)}`;
  if (f.bot) {
    const signals = f.bot.signals.filter((s) => s.score > 0).map((s) => ({ name: s.name, score: s.score, value: s.value, threshold: s.threshold, detail: s.detail }));
    out += `,"bot":${JSON.stringify({ score: f.bot.score, verdict: f.bot.verdict, signals })}`;
  }
  if (f.bodyUninspected) out += `,"bodyUninspected":${str(f.bodyUninspected)}`;
  return `${out},"latencyMs":${milliseconds(seconds)}`;
}

/** The fields after pino's level/time/base fields, as JSON text without braces (exported for tests). */
export function decisionFields(req: DecisionRequest, outcome: Outcome, seconds: number): string {
  return fieldsOf(req, factsOf(outcome), seconds);
}

interface Destination {
  write(line: string): unknown;
}

let isoSecond = Number.NaN;
let isoPrefix = '';

/**
 * pino's isoTime for `now` (ms since the epoch): Date#toISOString once per second, the milliseconds appended. Under
 * a flood of denials each line falls in a millisecond of its own, and toISOString was 40 % of building a line.
 * Exported for tests.
 */
export function isoTime(now: number): string {
  const second = Math.floor(now / 1000);
  if (second !== isoSecond) {
    isoSecond = second;
    isoPrefix = new Date(second * 1000).toISOString().slice(0, -4); // without "000Z"
  }
  const ms = now - second * 1000;
  return `${isoPrefix}${ms < 10 ? '00' : ms < 100 ? '0' : ''}${ms}Z`;
}

/**
 * Most decisions held as objects before their lines are built. Few enough that a held decision rarely lives
 * through two young-generation collections (a Check allocates about 10 KB, a semi-space holds 2 MiB): held 128 at
 * a time, a flood of denials promoted 0.7 MiB/s of them to the old generation (bench/RESULTS.md).
 */
export const MAX_HELD = 32;

/**
 * Most characters of built lines held before they are handed to the destination in one write: each write is a
 * system call (and, to a destination other than the process's own stdout writer, a thread-pool hop), so lines go out
 * in batches.
 */
export const MAX_PENDING_CHARS = 32 * 1024;

/**
 * Most characters of request data (request id, host, method, path, address, principal) held back: a client chooses their
 * length (a path or an x-request-id of tens of KiB), and held decisions must not become a line batch of megabytes.
 */
export const MAX_HELD_CHARS = 64 * 1024;

/** What a line adds besides the request data it quotes, about (level, time, verdict, reason, policy...). */
const LINE_OVERHEAD_CHARS = 300;

/** Longest an allow line is held back. */
export const DECISION_FLUSH_MS = 50;

/** Longest a deny (or Monitor would-deny) line is held back. */
export const DENY_FLUSH_MS = 20;

/** A decision waiting for its line: what the line needs, nothing more of the request or the outcome. */
interface Held extends DecisionRequest {
  facts: DecisionFacts;
  seconds: number;
  time: number;
}

/**
 * Writes decision lines for the Checks `mode` selects. Decisions are held back, allows for up to
 * DECISION_FLUSH_MS, denies (and Monitor-mode would-denies) for up to DENY_FLUSH_MS. Every MAX_HELD decisions (or
 * MAX_HELD_CHARS of their request data) their lines are built together, and the built lines are handed to the
 * destination in one write when the time is up or MAX_PENDING_CHARS are pending. Why: each hand-over costs a write
 * (lib/process/stdout-writer.ts); a line built while a Check
 * is answered runs with the caches that Check left cold, while lines built back to back run warm (in a flood of
 * denials each cost about twice as much CPU as the line itself); and decisions held as objects for long are
 * promoted to the old generation (bench/RESULTS.md). No line is sampled or dropped: what is held goes out at process
 * exit (before the destination's own exit handler writes out what a full pipe has not taken) and on close. Only a
 * SIGKILL loses what is held, as it loses what the destination holds.
 */
export class DecisionLog {
  readonly mode: DecisionLogMode;
  readonly #logger: Logger;
  readonly #prefix: string;
  readonly #dest: Destination;
  #held: Held[] = [];
  #heldChars = 0;
  #pending = '';
  #timer: NodeJS.Timeout | undefined;
  #soon: NodeJS.Timeout | undefined;
  readonly #flushNow = () => this.flush();

  constructor(logger: Logger, mode: DecisionLogMode) {
    this.mode = mode;
    this.#logger = logger;
    const bindings = JSON.stringify(logger.bindings()).slice(1, -1);
    this.#prefix = bindings ? `,${bindings},` : ',';
    this.#dest = (logger as unknown as Record<symbol, Destination>)[pino.symbols.streamSym] as Destination;
    // Before the destination's own exit handler, which writes out what it holds.
    if (mode !== 'off') process.prependListener('exit', this.#flushNow);
  }

  /** Decisions held as objects, their lines not built yet (at most MAX_HELD). */
  get heldDecisions(): number {
    return this.#held.length;
  }

  /** Logs one decision (or not, per mode and log level). Never throws for the request's content. */
  write(req: DecisionRequest, outcome: Outcome, seconds: number): void {
    if (this.mode === 'off' || (this.mode === 'deny' && outcome.kind === 'allow') || !this.#logger.isLevelEnabled('info')) return;
    const { requestId, host, method, path, clientIp, principal } = req;
    const n = this.#held.push({ requestId, host, method, path, clientIp, principal, facts: factsOf(outcome), seconds, time: Date.now() });
    this.#heldChars += LINE_OVERHEAD_CHARS + requestId.length + host.length + method.length + path.length + clientIp.length + principal.length;
    if (n >= MAX_HELD || this.#heldChars >= MAX_HELD_CHARS) {
      this.#build();
      if (this.#pending.length >= MAX_PENDING_CHARS) return this.flush();
    }
    if (outcome.kind === 'deny' || outcome.wouldDeny) this.#soon ??= setTimeout(this.#flushNow, DENY_FLUSH_MS).unref();
    else this.#timer ??= setTimeout(this.#flushNow, DECISION_FLUSH_MS).unref();
  }

  /** Builds the held decisions' lines onto the pending text. */
  #build(): void {
    const held = this.#held;
    this.#held = [];
    this.#heldChars = 0;
    let chunk = this.#pending;
    for (const h of held) chunk += `{"level":"info","time":"${isoTime(h.time)}"${this.#prefix}${fieldsOf(h, h.facts, h.seconds)},"msg":"decision"}\n`;
    this.#pending = chunk;
  }

  /** Builds the held-back lines and hands them, with those built before, to the destination now. */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    clearTimeout(this.#soon);
    this.#soon = undefined;
    if (this.#held.length > 0) this.#build();
    const chunk = this.#pending;
    if (chunk === '') return;
    this.#pending = '';
    this.#dest.write(chunk);
  }

  /** Flushes and stops listening for process exit. */
  close(): void {
    this.flush();
    process.off('exit', this.#flushNow);
  }
}
