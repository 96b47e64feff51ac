/**
 * Usage journeys: what a session does across calls, not one call at a time.
 *
 * Per session (the bot section's session: cookie `session` or `bot.sessionHeader`), the Check's one store round
 * trip pushes the request's step (method + endpoint template) onto the session's last steps (a capped list) and
 * counts the step as visited, reading in the same trip whether the session visited the step's usual
 * prerequisites. A transition model learned from traffic that was not flagged lives in the counter store (one
 * capped hash per policy, written off the Check path), so every replica learns from all of them: how often step
 * P comes right before step B, and, for B's most common predecessors, the share of sessions that had visited P
 * before they first reached B. A session that reaches B without P, where nearly every session takes P first (an
 * order placed without viewing a cart, a password reset confirmed without being requested), gets the
 * `journey-skip` bot signal, with the explanation in the decision log. The most common journeys (windows of 4
 * steps, `(start)` counting as one) are in the inventory.
 *
 * Replicas refresh their copy of the model every `refreshMs` on a timer (never on the Check path); planning uses
 * the copy.
 */
import { createHash } from 'node:crypto';
import type { BotSignal, Outcome } from '../pipeline/outcome.ts';
import type { Runtime } from '../pipeline/runtime.ts';
import type { CounterOp, CounterStore, RecordOp, SequenceOp, SequenceResult } from '../store/counter-store.ts';
import { parseRecords } from '../store/counter-store.ts';
import { counterPrefix, hashKeyParts, policyPrefix } from '../store/keys.ts';
import type { DeferredCounters } from '../bot/deferred.ts';
import { ramp } from '../bot/evidence.ts';
import { pct } from '../bot/windows.ts';

/** Thresholds of the journey model and signal. */
export const JOURNEY_KNOBS = {
  /** A session's steps expire this long after its last request. */
  idleMs: 30 * 60_000,
  /** Steps kept per session, the current one included: journeys are windows of this many steps. */
  sequenceLength: 4,
  /** Predecessors of a step checked as its prerequisites. */
  candidates: 3,
  /** A predecessor becomes a candidate once the transition was seen this often. */
  minTransitions: 20,
  /** A prerequisite is judged once this many sessions first reached the step while it was a candidate. */
  minSessions: 30,
  /** Share of those sessions that had visited the prerequisite: the signal starts here ... */
  share: 0.9,
  /** ... and is at full strength here. */
  fullShare: 0.99,
  score: 25,
  maxScore: 40,
  /** Records of the model hash per policy (transitions, prerequisites, journeys); beyond that they are not learned. */
  maxRecords: 5000,
  /** The model hash expires this long after its last update. */
  ttlMs: 30 * 24 * 3600_000,
  /** How often a replica refreshes its copy of a policy's model. */
  refreshMs: 10_000,
  /** Journeys listed per policy in the inventory. */
  topJourneys: 10,
} as const;

/** The shape of JOURNEY_KNOBS, for tests that tune them. */
export type JourneyKnobs = { readonly [K in keyof typeof JOURNEY_KNOBS]: number };

/** The marker for the start of a session in a journey. */
const START = '(start)';
const OVERFLOW = '~other';

/** A step's id in a session's list (48 bits of its hash: an exact integer everywhere). */
export function stepId(step: string): number {
  return parseInt(createHash('sha256').update(step).digest('hex').slice(0, 12), 16);
}

/** A prerequisite of a step with what the model knows of it. */
export interface Prerequisite {
  step: string;
  /** Sessions that first reached the step while this was a candidate, and of those, how many had visited it. */
  sessions: number;
  visited: number;
}

/** One of the most common journeys of a policy. */
export interface Journey {
  steps: string[];
  count: number;
}

/** A policy's model as a replica last read it. */
export interface PolicyModel {
  readAt: number;
  /** step -> its prerequisite candidates (most common predecessors first). */
  prerequisites: Map<string, Prerequisite[]>;
  journeys: Journey[];
}

/** The store work one Check adds for journeys, and what to judge with. */
export interface JourneyPlan {
  policyId: string;
  step: string;
  sequences: SequenceOp[];
  counters: CounterOp[];
  prerequisites: Prerequisite[];
}

/** What a Check learned about its session's journey (fed back to the model when the request was not flagged). */
export interface JourneyObservation {
  policyId: string;
  step: string;
  /** The session's previous steps, newest first, up to the first this replica cannot name. */
  previous: string[];
  /** A previous step could not be named (learned on another replica, not yet in this one's model). */
  truncated: boolean;
  /** The step was pushed (false: the session repeated its last step). */
  pushed: boolean;
  /** First time this session reaches the step. */
  firstArrival: boolean;
  prerequisites: Array<{ step: string; visited: boolean }>;
}

function modelKey(policyId: string): string {
  return `${policyPrefix(policyId)}:jm`;
}

function sessionKey(policyId: string, session: string): string {
  return `${policyPrefix(policyId)}:jq:${hashKeyParts([session])}`;
}

function visitKey(policyId: string, session: string, step: string): string {
  return counterPrefix(policyId, 'jv', [session, step]);
}

/** Reads a model hash into prerequisites and journeys, pure. */
export function parseModel(fields: ReadonlyArray<readonly [string, number]>, knobs: JourneyKnobs = JOURNEY_KNOBS): Omit<PolicyModel, 'readAt'> {
  const predecessors = new Map<string, Array<[string, number]>>();
  const stats = new Map<string, { sessions: number; visited: number }>();
  const journeys: Journey[] = [];
  for (const [record, f] of parseRecords(fields)) {
    const kind = record.slice(0, 2);
    const rest = record.slice(2);
    if (kind === 't ') {
      const [from = '', to = ''] = rest.split(' > ');
      if ((f['n'] ?? 0) < knobs.minTransitions || from === to || from === START) continue;
      let list = predecessors.get(to);
      if (!list) predecessors.set(to, (list = []));
      list.push([from, f['n'] ?? 0]);
    } else if (kind === 'p ') {
      stats.set(rest, { sessions: f['n'] ?? 0, visited: f['v'] ?? 0 });
    } else if (kind === 'g ') {
      journeys.push({ steps: rest.split(' > '), count: f['n'] ?? 0 });
    }
  }
  const prerequisites = new Map<string, Prerequisite[]>();
  for (const [step, list] of predecessors) {
    list.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    prerequisites.set(
      step,
      list.slice(0, knobs.candidates).map(([p]) => ({ step: p, ...(stats.get(`${step} < ${p}`) ?? { sessions: 0, visited: 0 }) })),
    );
  }
  journeys.sort((a, b) => b.count - a.count || (a.steps.join() < b.steps.join() ? -1 : 1));
  return { prerequisites, journeys: journeys.slice(0, knobs.topJourneys) };
}

/** The signal of one Check, pure: the strongest prerequisite this session skipped, if any. */
export function judgeJourney(step: string, firstArrival: boolean, prerequisites: ReadonlyArray<Prerequisite & { visitedNow: boolean }>, knobs: JourneyKnobs = JOURNEY_KNOBS): BotSignal | null {
  if (!firstArrival) return null;
  let best: BotSignal | null = null;
  for (const p of prerequisites) {
    if (p.visitedNow || p.sessions < knobs.minSessions) continue;
    const share = p.visited / p.sessions;
    const score = ramp(share, knobs.share, knobs.fullShare, knobs.score, knobs.maxScore);
    if (score > (best?.score ?? 0)) {
      best = { name: 'journey-skip', score, detail: `${step} without ${p.step} before it in this session (${pct(share)} of ${p.sessions} sessions took it first)` };
    }
  }
  return best;
}

/** What a model learning from Checks reads and writes: the counter store, the deferred writes, time, the live policies. */
export interface LearningDeps {
  store: CounterStore;
  deferred: DeferredCounters;
  clock: () => number;
  runtime: () => Runtime | null;
}

/** What the journey model needs. */
interface JourneyModelOptions extends LearningDeps {
  knobs?: JourneyKnobs;
  /** Step names remembered for the ids in sessions' lists. Default 50000. */
  maxNames?: number;
  /** Period of the model refresh timer; 0: only refreshAll() refreshes (tests). Default knobs.refreshMs. */
  refreshIntervalMs?: number;
}

/** The shared transition model: planning and judging on the Check path, learning and refreshing off it. */
export class JourneyModel {
  readonly #store: CounterStore;
  readonly #deferred: DeferredCounters;
  readonly #clock: () => number;
  readonly #knobs: JourneyKnobs;
  readonly #maxNames: number;
  readonly #models = new Map<string, PolicyModel>();
  readonly #refreshing = new Map<string, Promise<PolicyModel>>();
  readonly #names = new Map<number, string>();
  readonly #runtime: () => Runtime | null;
  #timer: NodeJS.Timeout | undefined;

  constructor(opts: JourneyModelOptions) {
    this.#store = opts.store;
    this.#deferred = opts.deferred;
    this.#clock = opts.clock;
    this.#runtime = opts.runtime;
    this.#knobs = opts.knobs ?? JOURNEY_KNOBS;
    this.#maxNames = opts.maxNames ?? 50_000;
    const every = opts.refreshIntervalMs ?? this.#knobs.refreshMs;
    if (every > 0) {
      this.#timer = setInterval(() => void this.refreshAll(), every);
      this.#timer.unref();
    }
  }

  /** Refreshes the model of every policy in force that scores bots (journeys are tracked only there). */
  async refreshAll(): Promise<void> {
    const runtime = this.#runtime();
    if (!runtime) return;
    await Promise.all([...runtime.policies.values()].filter((p) => p.bot.mode !== 'Off').map((p) => this.refresh(p.id)));
  }

  /** Stops the refresh timer. */
  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #remember(step: string): number {
    const id = stepId(step);
    if (!this.#names.has(id)) {
      this.#names.set(id, step);
      if (this.#names.size > this.#maxNames) this.#names.delete(this.#names.keys().next().value as number);
    }
    return id;
  }

  /** The store work of one Check of a session (on the Check path: no I/O here). */
  plan(policyId: string, session: string, step: string): JourneyPlan {
    const prerequisites = this.#models.get(policyId)?.prerequisites.get(step) ?? [];
    const id = this.#remember(step);
    const k = this.#knobs;
    return {
      policyId,
      step,
      sequences: [{ key: sessionKey(policyId, session), value: id, length: k.sequenceLength, ttlMs: k.idleMs, collapseRepeats: true }],
      counters: [{ keys: [visitKey(policyId, session, step), ...prerequisites.map((p) => visitKey(policyId, session, p.step))], incr: 1, ttlMs: k.idleMs }],
      prerequisites,
    };
  }

  /** Judges a Check from its store results (the plan's sequence result and counter values). */
  judge(plan: JourneyPlan, sequence: SequenceResult | undefined, counts: readonly number[] | undefined): { signal: BotSignal | null; observation: JourneyObservation } | null {
    if (!sequence || !counts) return null;
    const firstArrival = counts[0] === 1;
    const prerequisites = plan.prerequisites.map((p, i) => ({ ...p, visitedNow: (counts[i + 1] ?? 0) > 0 }));
    const previous: string[] = [];
    let truncated = false;
    for (const id of sequence.previous) {
      const name = this.#names.get(id);
      if (name === undefined) {
        truncated = true;
        break;
      }
      previous.push(name);
    }
    return {
      signal: judgeJourney(plan.step, firstArrival, prerequisites, this.#knobs),
      observation: {
        policyId: plan.policyId,
        step: plan.step,
        previous,
        truncated,
        pushed: sequence.pushed,
        firstArrival,
        prerequisites: prerequisites.map((p) => ({ step: p.step, visited: p.visitedNow })),
      },
    };
  }

  /**
   * Called with every decision (off the Check path): allowed requests that were not flagged (no would-be denial,
   * bot verdict allow) teach the model; flagged traffic never does.
   */
  onDecision(outcome: Outcome): void {
    if (!outcome.journey || outcome.kind !== 'allow' || outcome.wouldDeny || (outcome.bot && outcome.bot.verdict !== 'allow')) return;
    this.learn(outcome.journey);
  }

  /** Learns from one observation (deferred record updates). */
  learn(o: JourneyObservation): void {
    const key = modelKey(o.policyId);
    const k = this.#knobs;
    const bump = (record: string, fields: RecordOp['fields'] = [{ name: 'n', update: 'incr', value: 1 }]) =>
      this.#deferred.record({ key, record, overflow: OVERFLOW, maxRecords: k.maxRecords, fields, ttlMs: k.ttlMs });
    if (o.pushed && !(o.truncated && o.previous.length === 0)) {
      bump(`t ${o.previous[0] ?? START} > ${o.step}`);
      // Journeys are windows of sequenceLength entries, `(start)` counting as one: a session's first steps, and
      // every later window of its steps (shorter sessions are not listed).
      if (!o.truncated && o.previous.length >= k.sequenceLength - 2) {
        const window = o.previous.slice(0, k.sequenceLength - 1).reverse();
        const start = o.previous.length < k.sequenceLength - 1 ? [START] : [];
        bump(`g ${[...start, ...window, o.step].join(' > ')}`);
      }
    }
    if (o.firstArrival) {
      for (const p of o.prerequisites) {
        bump(`p ${o.step} < ${p.step}`, [
          { name: 'n', update: 'incr', value: 1 },
          { name: 'v', update: 'incr', value: p.visited ? 1 : 0 },
        ]);
      }
    }
  }

  /** Reads a policy's model from the store now (one refresh at a time per policy); keeps the old copy on failure. */
  refresh(policyId: string): Promise<PolicyModel> {
    const running = this.#refreshing.get(policyId);
    if (running) return running;
    const readAt = this.#clock();
    const p = this.#store
      .evaluate({ rateLimits: [], counters: [], distinct: [], reads: [{ key: modelKey(policyId) }] })
      .then(
        (r) => {
          const parsed = parseModel(r.reads[0] ?? [], this.#knobs);
          // Name every step other replicas have seen, so that their ids in sessions' lists can be read here.
          for (const [field] of r.reads[0] ?? []) if (field.startsWith('t ') && !field.includes('\t')) for (const step of field.slice(2).split(' > ')) if (step !== START) this.#remember(step);
          const model = { readAt, ...parsed };
          this.#models.set(policyId, model);
          return model;
        },
        () => {
          const old = this.#models.get(policyId) ?? { prerequisites: new Map(), journeys: [] };
          const model = { ...old, readAt };
          this.#models.set(policyId, model);
          return model;
        },
      )
      .finally(() => this.#refreshing.delete(policyId));
    this.#refreshing.set(policyId, p);
    return p;
  }

  /** The most common journeys of a policy (read from the store now). */
  async journeys(policyId: string): Promise<Journey[]> {
    return (await this.refresh(policyId)).journeys;
  }
}
