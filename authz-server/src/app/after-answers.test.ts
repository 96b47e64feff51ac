import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { Outcome } from '../pipeline/outcome.ts';
import { toRequestContext, type RequestContext } from '../pipeline/request.ts';
import { afterAnswers } from './after-answers.ts';

const request = (id: string): RequestContext => toRequestContext({ attributes: { request: { http: { id, headers: { ':authority': 'shop.example.com', ':path': '/', ':method': 'GET', 'x-request-id': id } } } } });
const outcome = { kind: 'allow' } as Outcome;

describe('afterAnswers', () => {
  it('runs the calls of a turn together in a later turn, in order, after what the turn wrote on its next tick', async () => {
    const seen: string[] = [];
    const hook = afterAnswers((req) => seen.push(req.requestId), () => {});
    hook(request('a'), outcome);
    // A connection writes the turn's answers on process.nextTick (h2/connection.ts).
    process.nextTick(() => seen.push('written'));
    hook(request('b'), outcome);
    expect(seen).toEqual([]);
    expect(hook.pending).toBe(2);
    await nextTurn();
    expect(seen).toEqual(['written', 'a', 'b']);
    expect(hook.pending).toBe(0);
  });

  it('reports a call that throws and runs the others', async () => {
    const seen: string[] = [];
    const errors: string[] = [];
    const hook = afterAnswers(
      (req) => {
        if (req.requestId === 'bad') throw new Error('boom');
        seen.push(req.requestId);
      },
      (err, req) => errors.push(`${req.requestId}: ${(err as Error).message}`),
    );
    for (const id of ['a', 'bad', 'c']) hook(request(id), outcome);
    await nextTurn();
    expect(seen).toEqual(['a', 'c']);
    expect(errors).toEqual(['bad: boom']);
  });

  it('works off the held calls at once when a turn holds maxHeld of them (a saturated process)', async () => {
    const seen: string[] = [];
    const hook = afterAnswers((req) => seen.push(req.requestId), () => {}, 2);
    hook(request('a'), outcome);
    expect(seen).toEqual([]);
    hook(request('b'), outcome);
    expect(seen).toEqual(['a', 'b']);
    hook(request('c'), outcome);
    expect(hook.pending).toBe(1);
    await nextTurn();
    expect(seen).toEqual(['a', 'b', 'c']);
  });

  it('flush runs what is queued at once, and nothing twice', async () => {
    const seen: string[] = [];
    const hook = afterAnswers((req) => seen.push(req.requestId), () => {});
    hook(request('a'), outcome);
    hook.flush();
    expect(seen).toEqual(['a']);
    hook(request('b'), outcome);
    await nextTurn();
    await nextTurn();
    expect(seen).toEqual(['a', 'b']);
  });
});
