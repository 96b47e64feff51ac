/**
 * A bad edit never turns protection off, on the real API server with an authz-server connected over real gRPC:
 * a refused generation keeps the previous one enforced (also across an operator restart), a hostile or
 * malformed Secret is left out while the policy stays, and a Monitor canary cannot take the hosts of an Enforce
 * policy. Prints the measured time from a refused edit to its Warning Event.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Operator } from '../../operator/src/operator.ts';
import { captureLogger } from '../support/policies.ts';
import { apply, condition, eventsFor, getJson, getPolicy, kubectlOk, policy, startOperatorWithAuthz, startTestOperator, waitForCondition, type OperatorWithAuthz } from '../support/kube.ts';
import { verdictOf, waitFor } from '../support/verdict.ts';

const cp = inject('palisadeControlPlane');
const KC = cp.kubeconfigPath;
const sha = (s: string) => createHash('sha256').update(s).digest('hex');

async function gauge(op: Operator, name: string, policyName: string): Promise<number | undefined> {
  const m = await op.registry.getSingleMetric(name)?.get();
  return m?.values.find((v) => v.labels['policy'] === policyName)?.value;
}

describe('a bad edit never turns protection off', () => {
  const log = captureLogger('info');
  let env: OperatorWithAuthz;
  const timings: string[] = [];

  beforeAll(async () => {
    env = await startOperatorWithAuthz(KC, 'pal-bad', log.logger);
  });

  afterAll(async () => {
    env?.client.close();
    await env?.authz.stop();
    await env?.operator.stop();
    console.log(`bad-edit timings:\n${timings.map((t) => `  ${t}`).join('\n')}`);
  });

  const host = 'orders.example.com';
  const ordersV1 = { hosts: [host], rules: [{ methods: ['GET'], paths: ['/orders/**'] }], inspection: { sqlInjection: true } };
  // admitted by the CRD, refused by the compiler: one inline key given to two consumers
  const refusedEdit = {
    ...ordersV1,
    rules: [{ methods: ['GET', 'POST', 'DELETE'], paths: ['/orders/**'] }],
    authentication: { apiKeys: { keys: [{ consumer: 'a', sha256: sha('k') }, { consumer: 'b', sha256: sha('k') }] } },
  };

  it('a refused edit keeps the previous generation enforced, says so, and recovers', async () => {
    await apply(KC, [policy('orders', env.appNs, ordersV1)]);
    await waitForCondition(KC, env.appNs, 'orders', 'Enforced', 'True', 'Acknowledged');
    expect(await verdictOf(env.client, { host, path: '/orders/1' })).toBe('allow');
    expect(await verdictOf(env.client, { host, method: 'POST', path: '/orders/1' })).toBe('access');

    await apply(KC, [policy('orders', env.appNs, refusedEdit)]);
    const t1 = performance.now();
    const { value: events } = await waitFor('the Warning Event', () => eventsFor(KC, env.appNs, 'orders'), (es) => es.some((e) => e.reason === 'InvalidSpec' && e.type === 'Warning'), 20_000, 20);
    timings.push(`refused edit -> Warning Event: ${Math.round(performance.now() - t1)} ms from kubectl apply returning`);
    expect(events.find((e) => e.reason === 'InvalidSpec')?.note).toMatch(/one key is claimed by consumers "a" and "b"\. Generation 1 stays in force/);

    const p = await waitForCondition(KC, env.appNs, 'orders', 'Accepted', 'False', 'InvalidSpec');
    expect(p.metadata.generation).toBe(2);
    expect(p.status).toMatchObject({ observedGeneration: 2, enforcedGeneration: 1, enforcingReplicas: '1/1' });
    expect(condition(p, 'Enforced')).toMatchObject({ status: 'True', message: expect.stringContaining('generation 1 (the last accepted one; generation 2 is refused)') });
    // verdicts unchanged: generation 1 is enforced, not nothing and not generation 2
    for (let i = 0; i < 20; i++) {
      expect(await verdictOf(env.client, { host, path: '/orders/1' })).toBe('allow');
      expect(await verdictOf(env.client, { host, method: 'POST', path: '/orders/1' })).toBe('access');
    }
    expect(await verdictOf(env.client, { host, path: "/orders/1?id=1' OR '1'='1" })).toBe('inspection');
    expect(await gauge(env.operator, 'palisade_operator_policy_accepted', 'orders')).toBe(0);
    expect(await gauge(env.operator, 'palisade_operator_policy_enforced_generation', 'orders')).toBe(1);
    expect(await gauge(env.operator, 'palisade_operator_policy_generation', 'orders')).toBe(2);
    const table = await kubectlOk(KC, ['-n', env.appNs, 'get', 'apipol', 'orders']);
    expect(table).toMatch(/orders\s+\["orders.example.com"\]\s+Enforce\s+False\s+True\s+1\/1\s+2\s+2\s+1\s/);

    // the fix: accepted again, a Normal Recovered Event, the new generation enforced
    await apply(KC, [policy('orders', env.appNs, { ...refusedEdit, authentication: undefined })]);
    await waitForCondition(KC, env.appNs, 'orders', 'Accepted', 'True', 'Compiled');
    await waitFor('POST allowed by generation 3', () => verdictOf(env.client, { host, method: 'POST', path: '/orders/1' }), (v) => v === 'allow');
    await waitFor('Recovered event', () => eventsFor(KC, env.appNs, 'orders'), (es) => es.some((e) => e.reason === 'Recovered' && e.type === 'Normal'));
    expect((await getPolicy(KC, env.appNs, 'orders')).status).toMatchObject({ enforcedGeneration: 3 });
  });

  it('a Monitor canary cannot take the hosts, not even when the Enforce policy becomes invalid or the operator restarts', async () => {
    await apply(KC, [policy('orders', env.appNs, ordersV1)]);
    await waitForCondition(KC, env.appNs, 'orders', 'Enforced', 'True', 'Acknowledged');
    const anonymousSqli = { host, method: 'GET', path: "/orders/1?id=1' OR '1'='1" };
    expect(await verdictOf(env.client, anonymousSqli)).toBe('inspection');

    await apply(KC, [policy('canary', env.appNs, { hosts: [host], mode: 'Monitor' })]);
    const canary = await waitForCondition(KC, env.appNs, 'canary', 'Accepted', 'False', 'Conflict');
    expect(condition(canary, 'Accepted')?.message).toContain(`claimed by this policy (Monitor) are owned by ${env.appNs}/orders (Enforce), which keeps them`);
    await waitFor('conflict gauges on both', async () => [await gauge(env.operator, 'palisade_operator_policy_conflict', 'orders'), await gauge(env.operator, 'palisade_operator_policy_conflict', 'canary')], (v) => v[0] === 1 && v[1] === 1);

    // the Enforce policy gets a refused edit: its previous generation keeps the host, enforcing
    await apply(KC, [policy('orders', env.appNs, refusedEdit)]);
    await waitForCondition(KC, env.appNs, 'orders', 'Accepted', 'False', 'InvalidSpec');
    for (let i = 0; i < 10; i++) expect(await verdictOf(env.client, anonymousSqli)).toBe('inspection');
    expect(condition(await getPolicy(KC, env.appNs, 'canary'), 'Accepted')?.reason).toBe('Conflict');

    // the leader restarts while the edit is refused: the stored accepted generation is in force from the first snapshot
    const accepted = await getJson<{ binaryData?: Record<string, string> }>(KC, ['-n', env.opNs, 'configmap', 'palisade-accepted']);
    expect(accepted.binaryData?.['accepted.json.gz']).toBeDefined();
    const port = env.operator.grpcPort;
    await env.operator.stop();
    env.operator = await startTestOperator({ kubeconfig: KC, namespace: env.opNs, watchNamespace: env.appNs, logger: log.logger, args: ['--grpc-port', String(port)] });
    expect(env.operator.snapshotServer.current?.hosts.exact[host]).toBe(`${env.appNs}/orders`);
    expect(env.operator.snapshotServer.current?.policies.find((p) => p.name === 'orders')?.generation).toBeLessThan((await getPolicy(KC, env.appNs, 'orders')).metadata.generation);
    await waitFor('the authz-server to reconnect and ACK', () => env.operator.replicas(), (r) => r.length === 1 && r[0]?.ackedVersion === env.operator.snapshotServer.current?.version, 20_000);
    for (let i = 0; i < 10; i++) expect(await verdictOf(env.client, anonymousSqli)).toBe('inspection');
  });

  it('a hostile or malformed Secret is left out with Warnings; the policy and its other keys stay enforced', async () => {
    const keysHost = 'keys.example.com';
    const label = { 'palisade.dev/api-key': 'keys' };
    const secret = (name: string, data: Record<string, string>) => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: env.appNs, labels: label }, stringData: data });
    await apply(KC, [
      policy('keys', env.appNs, { hosts: [keysHost], authentication: { required: true, apiKeys: { keys: [{ consumer: 'ci', sha256: sha('ci-key') }], secretSelector: { matchLabels: label } } } }),
      secret('partner', { key: 'partner-key', consumer: 'partner' }),
    ]);
    await waitForCondition(KC, env.appNs, 'keys', 'Accepted', 'True', 'Compiled');
    await waitFor('partner key', () => verdictOf(env.client, { host: keysHost, headers: { 'x-api-key': 'partner-key' } }), (v) => v === 'allow');

    // anyone who can create a labelled Secret tries to take the CI key, and another one has no key at all
    await apply(KC, [secret('steal', { key: 'ci-key', consumer: 'mallory' }), secret('empty', { consumer: 'nobody' })]);
    const t1 = performance.now();
    await waitFor('Warning on the hostile Secret', () => eventsFor(KC, env.appNs, 'steal'), (es) => es.some((e) => e.reason === 'SecretConflict' && e.type === 'Warning' && e.regarding?.kind === 'Secret'), 20_000, 20);
    timings.push(`hostile Secret -> Warning Event on the Secret: ${Math.round(performance.now() - t1)} ms`);
    await waitFor('Warning on the malformed Secret', () => eventsFor(KC, env.appNs, 'empty'), (es) => es.some((e) => e.reason === 'SecretMalformed' && e.regarding?.kind === 'Secret'));
    const p = await waitForCondition(KC, env.appNs, 'keys', 'Accepted', 'False', 'SecretRejected');
    expect(condition(p, 'Accepted')?.message).toContain(`Secret ${env.appNs}/steal claims a key that an inline key already gives to consumer "ci"`);
    await waitFor('SecretRejected Warning on the policy', () => eventsFor(KC, env.appNs, 'keys'), (es) => es.some((e) => e.reason === 'SecretRejected' && e.type === 'Warning'));
    expect(condition(p, 'Enforced')?.status).toBe('True');
    for (let i = 0; i < 10; i++) {
      expect(await verdictOf(env.client, { host: keysHost, headers: { 'x-api-key': 'ci-key' } })).toBe('allow');
      expect(await verdictOf(env.client, { host: keysHost, headers: { 'x-api-key': 'partner-key' } })).toBe('allow');
      expect(await verdictOf(env.client, { host: keysHost })).toBe('authentication');
    }
    // the key still belongs to ci: the decision log names the consumer
    expect(await verdictOf(env.client, { host: keysHost, headers: { 'x-api-key': 'ci-key' }, requestId: 'ci-key-check' })).toBe('allow');
    const decision = await waitFor('the decision line', () => log.lines.find((l) => l['requestId'] === 'ci-key-check'), (l) => l !== undefined);
    expect(decision.value?.['consumer']).toBe('ci');
  });
});
