/**
 * The chart's PrometheusRule: `promtool check rules` on its groups, and `promtool test rules` on a few alerts
 * (the expressions fire on the series the authz-server and operator really export).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { render, run, tool } from './chart.ts';

let dir: string;
let promtool: string;
let rulesFile: string;

beforeAll(() => {
  const [bin] = tool('promtool');
  if (!bin) throw new Error('tools.sh printed no promtool path');
  promtool = bin;
  dir = mkdtempSync(join(tmpdir(), 'palisade-rules-'));
  const rule = render({ metrics: { prometheusRule: { enabled: true } } }).get('PrometheusRule');
  rulesFile = join(dir, 'rules.yaml');
  writeFileSync(rulesFile, stringify(rule['spec']));
}, 10 * 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('PrometheusRule', () => {
  it('passes promtool check rules', () => {
    const r = run(promtool, ['check', 'rules', rulesFile]);
    expect(r.stdout + r.stderr).toMatch(/SUCCESS: \d+ rules found/);
    expect(r.code).toBe(0);
  });

  it('has an alert per failure an operator of Palisade must act on', () => {
    const spec = render({ metrics: { prometheusRule: { enabled: true } } }).get('PrometheusRule')['spec'] as { groups: Array<{ rules: Array<{ alert: string }> }> };
    expect(spec.groups.flatMap((g) => g.rules.map((r) => r.alert)).sort()).toEqual([
      'PalisadeAuthzDown',
      'PalisadeAuthzNoSnapshot',
      'PalisadeCheckLatencyHigh',
      'PalisadeOperatorDown',
      'PalisadeOperatorNoLeader',
      'PalisadeOperatorQueueBacklog',
      'PalisadeOperatorReconcileErrors',
      'PalisadeOperatorStreamDown',
      'PalisadeSnapshotNacked',
      'PalisadeSnapshotVersionSkew',
      'PalisadeStoreDown',
      'PalisadeUnavailableVerdicts',
    ]);
  });

  it('passes promtool test rules: the alerts fire on the exported series, and stay quiet when healthy', () => {
    const job = 'pal-palisade-authz';
    const opJob = 'pal-palisade-operator';
    const tests = {
      rule_files: [rulesFile],
      evaluation_interval: '1m',
      tests: [
        {
          interval: '1m',
          input_series: [
            { series: `palisade_store_up{job="${job}",pod="a",store="redis"}`, values: '1 1 0 0 0 0 0' },
            { series: `palisade_snapshot_info{job="${job}",pod="a",version="sha256:1"}`, values: '1x20' },
            { series: `palisade_snapshot_info{job="${job}",pod="b",version="sha256:2"}`, values: '1x20' },
            { series: `palisade_decisions_total{job="${job}",policy="shop/orders",verdict="allow",reason="none"}`, values: '0+100x20' },
            { series: `palisade_decisions_total{job="${job}",policy="shop/orders",verdict="deny",reason="unavailable"}`, values: '0+50x20' },
            { series: `palisade_operator_leader{job="${opJob}",pod="op-1"}`, values: '0x20' },
            { series: `palisade_operator_leader{job="${opJob}",pod="op-2"}`, values: '0x20' },
            { series: `up{job="${job}",pod="a"}`, values: '1x20' },
          ],
          alert_rule_test: [
            { eval_time: '5m', alertname: 'PalisadeStoreDown', exp_alerts: [{ exp_labels: { severity: 'critical', pod: 'a' }, exp_annotations: { summary: 'authz-server a cannot reach Redis.', description: 'Rate limits and bot counters fall back to failurePolicy (FailClosed 503, FailOpen per-process limits).' } }] },
            { eval_time: '1m', alertname: 'PalisadeStoreDown', exp_alerts: [] },
            { eval_time: '15m', alertname: 'PalisadeSnapshotVersionSkew', exp_alerts: [{ exp_labels: { severity: 'warning' }, exp_annotations: { summary: 'authz-server replicas enforce different snapshot versions.', description: '2 versions in force for 10 minutes: a replica is not receiving snapshots (check palisade_operator_stream_connected and NACKs).' } }] },
            { eval_time: '10m', alertname: 'PalisadeUnavailableVerdicts', exp_alerts: [{ exp_labels: { severity: 'critical' }, exp_annotations: { summary: '33.33% of Checks answer 503 unavailable.', description: 'FailClosed policies deny while the shared counter store (Redis) is unreachable.' } }] },
            { eval_time: '10m', alertname: 'PalisadeOperatorNoLeader', exp_alerts: [{ exp_labels: { severity: 'warning' }, exp_annotations: { summary: 'No operator replica holds the leader Lease.', description: 'Snapshots are still served but policy status (Accepted, Enforced) is not written.' } }] },
            { eval_time: '10m', alertname: 'PalisadeAuthzDown', exp_alerts: [] },
            { eval_time: '10m', alertname: 'PalisadeOperatorDown', exp_alerts: [{ exp_labels: { severity: 'critical' }, exp_annotations: { summary: 'No operator replica is scraped as up.', description: 'Policy changes are not compiled or distributed; authz-servers keep enforcing the last snapshot.' } }] },
          ],
        },
      ],
    };
    const testFile = join(dir, 'rules.test.yaml');
    writeFileSync(testFile, stringify(tests));
    const r = run(promtool, ['test', 'rules', testFile]);
    expect(r.stdout + r.stderr).toContain('SUCCESS');
    expect(r.code).toBe(0);
  });
});
