import { describe, expect, it } from 'vitest';
import { RpcCode } from '../envoy/protos.ts';
import type { DenyReason, Outcome } from './outcome.ts';
import { VERDICT_TABLE, toCheckResponse } from './response.ts';

const base = { policy: null, consumer: null, principal: '', trace: [], bot: null, rateLimit: null };

describe('verdict table', () => {
  it('matches SPEC.md row by row', () => {
    const expected: Record<DenyReason, [number, number]> = {
      'no-policy': [RpcCode.PERMISSION_DENIED, 403],
      identity: [RpcCode.PERMISSION_DENIED, 403],
      authentication: [RpcCode.UNAUTHENTICATED, 401],
      access: [RpcCode.PERMISSION_DENIED, 403],
      inspection: [RpcCode.PERMISSION_DENIED, 403],
      'rate-limit': [RpcCode.RESOURCE_EXHAUSTED, 429],
      bot: [RpcCode.PERMISSION_DENIED, 403],
      unavailable: [RpcCode.UNAVAILABLE, 503],
    };
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
