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

/** Runs `promtool test rules` on one test group over the chart's rules; expects SUCCESS. */
function promtoolTest(name: string, group: { input_series: unknown[]; alert_rule_test: unknown[] }): void {
  const testFile = join(dir, `${name}.test.yaml`);
  writeFileSync(testFile, stringify({ rule_files: [rulesFile], evaluation_interval: '1m', tests: [{ interval: '1m', ...group }] }));
  const r = run(promtool, ['test', 'rules', testFile]);
  expect(r.stdout + r.stderr).toContain('SUCCESS');
  expect(r.code).toBe(0);
}

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
      'PalisadeHostLostPolicy',
      'PalisadeOperatorDown',
      'PalisadeOperatorNoLeader',
      'PalisadeOperatorQueueBacklog',
      'PalisadeOperatorReconcileErrors',
      'PalisadeOperatorStreamDown',
      'PalisadePolicyConflict',
      'PalisadePolicyNotAccepted',
      'PalisadePolicyNotEnforced',
      'PalisadePolicyNotInForce',
      'PalisadeSnapshotNacked',
      'PalisadeSnapshotVersionSkew',
      'PalisadeStoreDown',
      'PalisadeUnavailableVerdicts',
    ]);
  });

  it('passes promtool test rules: a bad edit, a canary conflict and a replica without a snapshot fire their alerts', () => {
    const job = 'pal-palisade-authz';
    const opJob = 'pal-palisade-operator';
    const pol = (name: string) => `{job="${opJob}",pod="op-1",namespace="shop",policy="${name}"}`;
    // The scenario of the bad-edit tests, as the two operator replicas and the authz-servers export it: "orders"
    // gets a refused edit at minute 2 (generation 2 refused, 1 in force) and a canary claims its host; "fresh" is
    // created refused (nothing in force: its host answers no-policy); authz-server "b" starts without a snapshot.
    promtoolTest('policy-rules', {
      input_series: [
        { series: `palisade_operator_policy_accepted${pol('orders')}`, values: '1 1 0x20' },
        { series: `palisade_operator_policy_generation${pol('orders')}`, values: '1 1 2x20' },
        { series: `palisade_operator_policy_enforced_generation${pol('orders')}`, values: '1x22' },
        { series: `palisade_operator_policy_enforced${pol('orders')}`, values: '1x22' },
        { series: `palisade_operator_policy_conflict${pol('orders')}`, values: '0 0 0 1x20' },
        { series: `palisade_operator_policy_conflict${pol('canary')}`, values: '0 0 0 1x20' },
        { series: `palisade_operator_policy_accepted${pol('canary')}`, values: '0 0 0 0x20' },
        { series: `palisade_operator_policy_enforced_generation${pol('canary')}`, values: '0x22' },
        { series: `palisade_operator_policy_enforced_generation${pol('fresh')}`, values: '0x22' },
        { series: `palisade_operator_policy_enforced${pol('fresh')}`, values: '0x22' },
        { series: `palisade_no_policy_denials_total{job="${job}",pod="a",host="fresh.example.com"}`, values: '0+30x22' },
        { series: `palisade_no_policy_denials_total{job="${job}",pod="a",host="other"}`, values: '0+30x22' },
        { series: `palisade_snapshot_age_seconds{job="${job}",pod="a"}`, values: '10+60x22' },
        { series: `palisade_snapshot_age_seconds{job="${job}",pod="b"}`, values: '-1x22' },
      ],
      alert_rule_test: [
        { eval_time: '1m', alertname: 'PalisadePolicyNotAccepted', exp_alerts: [] },
        {
          eval_time: '10m',
          alertname: 'PalisadePolicyNotAccepted',
          exp_alerts: ['canary', 'orders'].map((policy) => ({
            exp_labels: { severity: 'warning', namespace: 'shop', policy },
            exp_annotations: {
              summary: `Policy shop/${policy} is not accepted.`,
              description: 'Its current generation is refused (or a Secret is left out); the last accepted generation stays in force. kubectl describe apipol shows why.',
            },
          })),
        },
        {
          eval_time: '10m',
          alertname: 'PalisadePolicyNotInForce',
          exp_alerts: ['canary', 'fresh'].map((policy) => ({
            exp_labels: { severity: 'critical', namespace: 'shop', policy },
            exp_annotations: { summary: `No generation of policy shop/${policy} is in force.`, description: 'It was never accepted (or lost a host conflict) and its hosts answer 403 no-policy.' },
          })),
        },
        {
          eval_time: '15m',
          alertname: 'PalisadePolicyNotEnforced',
          exp_alerts: [
            {
              exp_labels: { severity: 'warning', namespace: 'shop', policy: 'fresh' },
              exp_annotations: { summary: 'Policy shop/fresh is not enforced by every authz-server.', description: 'A replica lags, rejected the snapshot (NACK) or none is connected; see the Enforced condition.' },
            },
          ],
        },
        {
          eval_time: '10m',
          alertname: 'PalisadePolicyConflict',
          exp_alerts: ['canary', 'orders'].map((policy) => ({
            exp_labels: { severity: 'warning', namespace: 'shop', policy },
            exp_annotations: {
              summary: `Policy shop/${policy} claims a host another policy claims too.`,
              description: 'The Enforce policy, then the older one, keeps the host; the Accepted condition of the other names both.',
            },
          })),
        },
        {
          eval_time: '10m',
          alertname: 'PalisadeHostLostPolicy',
          exp_alerts: [
            {
              exp_labels: { severity: 'critical', host: 'fresh.example.com' },
              exp_annotations: {
                summary: 'Requests to fresh.example.com are denied with no-policy.',
                description: 'A host that a snapshot covered has no policy in force any more (policy deleted, or refused with nothing to fall back on).',
              },
            },
          ],
        },
        {
          eval_time: '10m',
          alertname: 'PalisadeAuthzNoSnapshot',
          exp_alerts: [
            {
              exp_labels: { severity: 'critical', pod: 'b' },
              exp_annotations: { summary: 'authz-server b has no snapshot in force.', description: 'The replica is not ready; it neither reached the operator nor found the snapshot ConfigMap.' },
            },
          ],
        },
      ],
    });
  });

  it('passes promtool test rules: the alerts fire on the exported series, and stay quiet when healthy', () => {
    const job = 'pal-palisade-authz';
    const opJob = 'pal-palisade-operator';
    promtoolTest('rules', {
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
    });
  });
});
