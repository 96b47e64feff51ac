import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { RpcCode } from '../envoy/protos.ts';
import type { DenyReason, Outcome } from './outcome.ts';
import { VERDICT_TABLE, toCheckResponse } from './response.ts';

const base = { policy: null, consumer: null, principal: '', trace: [], bot: null, rateLimit: null };

describe('verdict table', () => {
  it('matches the verdict table of docs/contract.md row by row', () => {
    const contract = readFileSync(new URL('../../../docs/contract.md', import.meta.url), 'utf8');
    const rows = [...contract.matchAll(/^\| [^|]+ \| ([A-Z_]+) \| (\d{3})[^|]* \| `([a-z-]+)` \|$/gm)];
    const expected = Object.fromEntries(rows.map(([, grpc = '', http = '', reason = '']) => [reason, [RpcCode[grpc as keyof typeof RpcCode], Number(http)]])) as Record<DenyReason, [number, number]>;
    expect(Object.keys(expected).sort()).toEqual(Object.keys(VERDICT_TABLE).sort());
    for (const [reason, [grpc, http]] of Object.entries(expected) as Array<[DenyReason, [number, number]]>) {
      expect(VERDICT_TABLE[reason]).toMatchObject({ grpc, http });
      const res = toCheckResponse({ ...base, kind: 'deny', denial: { reason, detail: 'd' } }, 'rid');
      expect(res.status.code).toBe(grpc);
      expect(res.denied_response?.status.code).toBe(http);
      expect(JSON.parse(res.denied_response?.body ?? '')).toEqual({ error: reason, requestId: 'rid' });
      expect(res.denied_response?.headers.every((h) => h.append.value === false)).toBe(true);
    }
  });

  it('allow carries an explicit OK status, never an empty message', () => {
    const outcome = { ...base, kind: 'allow', policy: {} as never, wouldDeny: null, stripHeaders: ['x-api-key'] } as Outcome;
    const res = toCheckResponse(outcome, 'rid');
    expect(res.status).toEqual({ code: 0 });
    expect(res.ok_response?.headers_to_remove).toEqual(expect.arrayContaining(['x-api-key', 'x-palisade-consumer', 'x-palisade-would-deny']));
  });
});

describe('bot verdict header', () => {
  const policy = (monitor: boolean, botMode: 'Enforce' | 'Monitor') => ({ monitor, bot: { mode: botMode } }) as never;
  const verdictFor = (p: never, verdict: 'allow' | 'challenge' | 'deny') => {
    const outcome = { ...base, kind: 'allow', policy: p, bot: { score: 60, verdict, signals: [] }, wouldDeny: null, stripHeaders: [] } as unknown as Outcome;
    return toCheckResponse(outcome, 'rid').ok_response?.headers.find((h) => h.header.key === 'x-palisade-bot-verdict')?.header.value;
  };

  it('asks the upstream to challenge only when the bot section is enforced', () => {
    expect(verdictFor(policy(false, 'Enforce'), 'challenge')).toBe('challenge');
    expect(verdictFor(policy(false, 'Enforce'), 'allow')).toBe('allow');
    // Monitor (the policy's or the bot section's): scored and logged, never acted on upstream
    expect(verdictFor(policy(true, 'Enforce'), 'challenge')).toBe('allow');
    expect(verdictFor(policy(false, 'Monitor'), 'challenge')).toBe('allow');
    expect(verdictFor(policy(false, 'Monitor'), 'deny')).toBe('allow');
  });
});
