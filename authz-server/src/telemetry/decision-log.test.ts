import { execFileSync } from 'node:child_process';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it, vi } from 'vitest';
import { captureLogger } from '../../../test/support/policies.ts';
import type { Outcome } from '../pipeline/outcome.ts';
import type { RequestContext } from '../pipeline/request.ts';
import type { RuntimePolicy } from '../pipeline/runtime.ts';
import { DECISION_FLUSH_MS, DENY_FLUSH_MS, DecisionLog, MAX_HELD, MAX_HELD_CHARS, MAX_PENDING_CHARS, decisionFields, isoTime } from './decision-log.ts';

function capture(level = 'info') {
  const c = captureLogger(level);
  return { logger: c.logger, writes: c.writes, lines: () => c.lines };
}

const req = (id: string, path = '/orders/1'): RequestContext =>
  ({ requestId: id, host: 'orders.test', method: 'GET', path, clientIp: '10.0.0.1', principal: '' }) as unknown as RequestContext;
const policy = { id: 'shop/orders' } as unknown as RuntimePolicy;
const allow: Outcome = { kind: 'allow', policy, consumer: 'app', principal: '', trace: [], bot: null, rateLimit: null, wouldDeny: null, stripHeaders: [] };
const deny: Outcome = { kind: 'deny', policy, consumer: null, principal: '', trace: [], bot: null, rateLimit: null, denial: { reason: 'access', detail: 'no rule matches GET /admin' } };

describe('isoTime', () => {
  it('is Date#toISOString for every millisecond, across seconds and days, and when the clock steps back', () => {
    const base = Date.parse('2026-12-31T23:59:58.000Z');
    const times = [];
    for (let t = base; t < base + 3000; t++) times.push(t);
    times.push(base + 1500, base - 86_400_000 + 7, 0, 1, 999, 1000, Date.parse('2100-02-28T23:59:59.999Z'), Date.parse('2100-03-01T00:00:00.000Z'));
    for (const t of times) expect(isoTime(t)).toBe(new Date(t).toISOString());
  });
});

describe('DecisionLog', () => {
  it('writes the line pino would write for the same fields, in the same order', async () => {
    const viaPino = capture();
    const bot = { score: 40, verdict: 'allow' as const, signals: [{ name: 'usage-ip', score: 40, value: 900, threshold: 120, detail: '900 req/min' }, { name: 'ua', score: 0, detail: '' }] };
    const outcome: Outcome = { ...allow, bot, wouldDeny: { reason: 'bot', detail: 'score 40' } };
    const r = req('r-"quoted"\n\uD800', '/a\\b');
    viaPino.logger.info(JSON.parse(`{${decisionFields(r, outcome, 0.0012345)}}`), 'decision');
    const direct = capture();
    new DecisionLog(direct.logger, 'all').write(r, outcome, 0.0012345);
    await sleep(DENY_FLUSH_MS + 10);
    const [a, b] = [viaPino.lines()[0] ?? {}, direct.lines()[0] ?? {}];
    expect(Object.keys(b)).toEqual(Object.keys(a));
    expect({ ...b, time: 0 }).toEqual({ ...a, time: 0 });
    expect(b).toMatchObject({ level: 'info', service: 'palisade-test', requestId: 'r-"quoted"\n\uFFFD'.replace('\uFFFD', '\uD800'), path: '/a\\b', verdict: 'monitor', reason: 'bot', latencyMs: 1.235, msg: 'decision' });
    expect(b['bot']).toEqual({ score: 40, verdict: 'allow', signals: [{ name: 'usage-ip', score: 40, value: 900, threshold: 120, detail: '900 req/min' }] });
  });

  it('gives every line its own request and outcome while fields repeat and change from line to line', async () => {
    const c = capture();
    const log = new DecisionLog(c.logger, 'all');
    const hosts = ['orders.test', 'orders.test', 'pay.test', 'orders.test', '', 'x","verdict":"allow\n.test'];
    const methods = ['GET', 'GET', 'GET', 'POST', 'GET'];
    const principals = ['', '', 'spiffe://mesh/ns/a/sa/b', 'spiffe://mesh/ns/a/sa/b', ''];
    const outcomes: Outcome[] = [deny, deny, { ...deny, consumer: 'app' }, { ...deny, denial: { reason: 'access', detail: 'no rule matches POST /x' } }, allow, { ...deny, policy: null, denial: { reason: 'no-policy', detail: 'no policy for this host' } } as unknown as Outcome, { ...allow, consumer: null, wouldDeny: deny.denial }, { ...deny, denial: { ...deny.denial, reason: 'rate-limit' } }, { ...deny, policy: { id: 'shop/other' } as unknown as RuntimePolicy }];
    const want: Record<string, unknown>[] = [];
    let seed = 7;
    // A few fields change at a time, in every combination, as consecutive Checks' do.
    const pick = <T,>(xs: T[], i: number): T => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % 3 === 0 ? xs[(seed >> 8) % xs.length]! : xs[i % 2 === 0 ? 0 : Math.min(1, xs.length - 1)]!;
    };
    for (let i = 0; i < 400; i++) {
      const o = pick(outcomes, i);
      const r = { ...req(`r${i}`, `/p/${i}`), host: pick(hosts, i), method: pick(methods, i), principal: pick(principals, i) } as RequestContext;
      const seconds = [0.0012345, 0.002, 1.5, 0, 12.0004][i % 5]!;
      log.write(r, o, seconds);
      want.push({ requestId: r.requestId, host: r.host, method: r.method, path: r.path, principal: r.principal || null, consumer: o.consumer, verdict: o.kind === 'deny' ? 'deny' : o.wouldDeny ? 'monitor' : 'allow', reason: (o.kind === 'deny' ? o.denial : o.wouldDeny)?.reason ?? null, detail: (o.kind === 'deny' ? o.denial : o.wouldDeny)?.detail ?? null, policy: o.policy?.id ?? null, latencyMs: Math.round(seconds * 1e6) / 1e3 });
    }
    log.flush();
    await sleep(10);
    const got = c.lines().map((l) => Object.fromEntries(Object.keys(want[0]!).map((k) => [k, l[k] ?? null])));
    expect(got).toEqual(want);
  });

  it('holds denies back for at most DENY_FLUSH_MS, in one hand-over with the allows before them (in order), and allows for at most DECISION_FLUSH_MS', async () => {
    const c = capture();
    const log = new DecisionLog(c.logger, 'all');
    log.write(req('a1'), allow, 0.001);
    log.write(req('a2'), allow, 0.001);
    expect(c.writes).toEqual([]);
    log.write(req('d1'), deny, 0.001);
    log.write(req('d2'), deny, 0.001);
    await nextTurn();
    expect(c.writes).toEqual([]);
    await sleep(DENY_FLUSH_MS + 10);
    expect(c.writes).toHaveLength(1);
    expect(c.lines().map((l) => l['requestId'])).toEqual(['a1', 'a2', 'd1', 'd2']);
    log.write(req('a3'), allow, 0.001);
    log.write(req('a4'), allow, 0.001);
    await nextTurn();
    expect(c.writes).toHaveLength(1);
    await sleep(DECISION_FLUSH_MS + 20);
    expect(c.writes).toHaveLength(2);
    expect(c.lines().map((l) => l['requestId'])).toEqual(['a1', 'a2', 'd1', 'd2', 'a3', 'a4']);
    log.close();
  });

  it('a held line says what was true when the Check was decided: its time and the request as it was', () => {
    const c = capture();
    const log = new DecisionLog(c.logger, 'deny');
    const r = req('d1', '/orders/1');
    const decided = Date.parse('2026-11-30T12:00:00.123Z');
    const now = vi.spyOn(Date, 'now').mockReturnValue(decided);
    try {
      log.write(r, deny, 0.001);
      now.mockReturnValue(decided + 1500);
      (r as { path: string }).path = '/changed';
      log.flush();
    } finally {
      now.mockRestore();
    }
    expect(c.lines()).toMatchObject([{ requestId: 'd1', path: '/orders/1', time: '2026-11-30T12:00:00.123Z' }]);
    log.close();
  });

  it('builds the lines of every MAX_HELD decisions, and hands the built lines over in one write once MAX_PENDING_CHARS are pending', () => {
    const c = capture();
    const log = new DecisionLog(c.logger, 'deny');
    for (let i = 0; i < MAX_HELD - 1; i++) log.write(req(`d${i}`), deny, 0.001);
    expect(log.heldDecisions).toBe(MAX_HELD - 1);
    log.write(req(`d${MAX_HELD - 1}`), deny, 0.001);
    expect(log.heldDecisions).toBe(0);
    expect(c.writes).toEqual([]);
    let n = MAX_HELD;
    while (c.writes.length === 0 && n < 100 * MAX_HELD) {
      log.write(req(`d${n++}`), deny, 0.001);
      expect(log.heldDecisions).toBeLessThan(MAX_HELD);
    }
    expect(c.writes).toHaveLength(1);
    expect(n % MAX_HELD).toBe(0);
    expect(c.writes[0]?.length).toBeGreaterThanOrEqual(MAX_PENDING_CHARS);
    expect(c.writes[0]?.length).toBeLessThan(MAX_PENDING_CHARS + MAX_HELD * 400);
    expect(c.lines().map((l) => l['requestId'])).toEqual(Array.from({ length: n }, (_, i) => `d${i}`));
    log.close();
    expect(c.writes).toHaveLength(1);
  });

  it('hands over at once when the held request data reaches MAX_HELD_CHARS: a client cannot make a batch of megabytes', () => {
    const c = capture();
    const log = new DecisionLog(c.logger, 'deny');
    const long = `/${'a'.repeat(MAX_HELD_CHARS / 3.2)}`;
    for (let i = 0; i < 3; i++) log.write(req(`d${i}`, long), deny, 0.001);
    expect(c.writes).toEqual([]);
    log.write(req('d3', long), deny, 0.001);
    expect(c.writes).toHaveLength(1);
    expect(c.lines().map((l) => [l['requestId'], l['path']])).toEqual([0, 1, 2, 3].map((i) => [`d${i}`, long]));
    log.close();
  });

  it('flushes held-back lines at process exit and on close', () => {
    const c = capture();
    const before = process.listenerCount('exit');
    const log = new DecisionLog(c.logger, 'all');
    expect(process.listenerCount('exit')).toBe(before + 1);
    log.write(req('a1'), allow, 0.001);
    log.write(req('d1'), deny, 0.001);
    expect(process.listeners('exit')[0]).toBeDefined();
    process.listeners('exit')[0]?.call(process, 0);
    expect(c.lines().map((l) => l['requestId'])).toEqual(['a1', 'd1']);
    log.write(req('a2'), allow, 0.001);
    log.close();
    expect(c.lines().map((l) => l['requestId'])).toEqual(['a1', 'd1', 'a2']);
    expect(process.listenerCount('exit')).toBe(before);
  });

  it('a process that exits with lines held back still writes them to its log destination', () => {
    // The real destination (the process's stdout writer, here a pipe), not a capture: held lines must reach it
    // before its own exit handler writes out what it holds.
    const script = `
      import { DecisionLog } from ${JSON.stringify(new URL('./decision-log.ts', import.meta.url).pathname)};
      import { createLogger } from ${JSON.stringify(new URL('../../../lib/process/logging.ts', import.meta.url).pathname)};
      const logger = createLogger('info', 'exit-test');
      const log = new DecisionLog(logger, 'all');
      logger.info('started');
      const req = { requestId: 'a1', host: 'h', method: 'GET', path: '/', clientIp: '10.0.0.1', principal: '' };
      log.write(req, { kind: 'allow', policy: { id: 'p' }, consumer: null, bot: null, wouldDeny: null }, 0.001);
      log.write({ ...req, requestId: 'd1' }, { kind: 'deny', policy: { id: 'p' }, consumer: null, bot: null, denial: { reason: 'access', detail: 'x' } }, 0.001);
      process.exit(0);`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    // Every line arrives, in the order it was logged: one writer takes both the logger's lines and the held ones.
    expect(out.trim().split('\n').map((l) => JSON.parse(l).requestId ?? JSON.parse(l).msg)).toEqual(['started', 'a1', 'd1']);
  });

  it('deny mode logs denials only; off and a level above info log nothing', async () => {
    const c = capture();
    const log = new DecisionLog(c.logger, 'deny');
    log.write(req('a1'), allow, 0.001);
    log.write(req('m1'), { ...allow, wouldDeny: { reason: 'rate-limit', detail: 'per-ip' } }, 0.001);
    log.write(req('d1'), deny, 0.001);
    await sleep(DECISION_FLUSH_MS + 20);
    expect(c.lines().map((l) => [l['requestId'], l['verdict']])).toEqual([['d1', 'deny']]);
    log.close();
    for (const [mode, level] of [['off', 'info'], ['all', 'warn']] as const) {
      const quiet = capture(level);
      const l = new DecisionLog(quiet.logger, mode);
      l.write(req('x'), deny, 0.001);
      l.write(req('y'), allow, 0.001);
      await sleep(DECISION_FLUSH_MS + 20);
      l.close();
      expect(quiet.writes).toEqual([]);
    }
  });
});
