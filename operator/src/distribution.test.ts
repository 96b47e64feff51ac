import { describe, expect, it } from 'vitest';
import { compile } from '../../lib/policy/compile.ts';
import { REPORT_KEY, VersionHistory, mergeReplicas, parseReport, reportName, type DistributionReport } from './distribution.ts';
import type { ReplicaState } from './status.ts';

const r = (nodeId: string, ackedVersion: string | null): ReplicaState => ({ nodeId, pod: nodeId, ackedVersion, nack: null });

describe('VersionHistory', () => {
  it('maps versions to policy generations and forgets the oldest beyond capacity', () => {
    const h = new VersionHistory(2);
    const snap = (gen: number) =>
      compile([{ metadata: { name: 'a', namespace: 'ns', generation: gen }, spec: { hosts: ['a.example.com'] } }], [], new Date(0)).snapshot;
    const [s1, s2, s3] = [snap(1), snap(2), snap(3)];
    h.record(s1);
    h.record(s2);
    expect(h.lookup(s1.version)?.get('ns/a')).toBe(1);
    h.record(s3);
    expect(h.lookup(s1.version)).toBeUndefined();
    expect(h.lookup(s3.version)?.get('ns/a')).toBe(3);
  });
});

describe('distribution reports', () => {
  it('names reports with valid, distinct ConfigMap names', () => {
    const a = reportName('Operator_7d9f/abc');
    expect(a).toMatch(/^palisade-distribution-operator-7d9f-abc-[0-9a-f]{8}$/);
    expect(reportName('operator-7d9f-abc')).not.toBe(a);
    expect(reportName('x'.repeat(300)).length).toBeLessThanOrEqual(253);
  });

  it('parses well-formed reports and refuses others', () => {
    const report: DistributionReport = { identity: 'op-1', updatedAt: 5, replicas: [r('n1', 'v1'), { ...r('n2', null), nack: { version: 'v2', error: 'x' } }] };
    expect(parseReport({ data: { [REPORT_KEY]: JSON.stringify(report) } })).toEqual(report);
    expect(parseReport({ data: { [REPORT_KEY]: '{' } })).toBeNull();
    expect(parseReport({ data: { [REPORT_KEY]: JSON.stringify({ ...report, replicas: [{ nodeId: 1 }] }) } })).toBeNull();
    expect(parseReport({})).toBeNull();
  });

  it('merges fresh reports of other replicas with the local streams; local wins, stale and own reports are ignored', () => {
    const now = 100_000;
    const reports: DistributionReport[] = [
      { identity: 'op-b', updatedAt: now - 1_000, replicas: [r('n1', 'old'), r('n2', 'v2')] },
      { identity: 'op-c', updatedAt: now - 60_000, replicas: [r('n3', 'v3')] },
      { identity: 'op-a', updatedAt: now, replicas: [r('n9', 'mine-old')] },
    ];
    const merged = mergeReplicas([r('n1', 'v1')], reports, 'op-a', now, 30_000);
    expect(merged.sort((x, y) => x.nodeId.localeCompare(y.nodeId))).toEqual([r('n1', 'v1'), r('n2', 'v2')]);
  });
});
