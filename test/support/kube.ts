/**
 * Test helpers for the operator against the real kube-apiserver of test/controlplane: kubectl, namespaces, the
 * CRD, an in-process operator, and operator child processes (for leader election and restarts).
 */
import { execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { stringify } from 'yaml';
import { parseConfig } from '../../operator/src/config.ts';
import { startOperator, type Operator } from '../../operator/src/operator.ts';
import type { AuthzServer } from '../../authz-server/src/app/server.ts';
import { authzClient, type AuthzClient } from './envoy.ts';
import { startTestServer } from './policies.ts';
import { waitFor } from './verdict.ts';
import { killOnExit } from './reap-children.ts';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The project's Node 24 (type stripping), for child processes. */
export const NODE_BIN = join(REPO_ROOT, 'node_modules', '.bin', 'node');

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs kubectl; never throws. */
export function kubectl(kubeconfig: string, args: string[], input?: string): Promise<KubectlResult> {
  return new Promise((resolve) => {
    const child = execFile('kubectl', ['--kubeconfig', kubeconfig, ...args], { encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
    child.stdin?.end(input ?? '');
  });
}

/** kubectl that must succeed; returns stdout. */
export async function kubectlOk(kubeconfig: string, args: string[], input?: string): Promise<string> {
  const r = await kubectl(kubeconfig, args, input);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (exit ${r.code}): ${r.stderr.trim()}`);
  return r.stdout;
}

/** `kubectl apply -f -` of the given documents (objects or YAML text). */
export function apply(kubeconfig: string, docs: unknown[] | string): Promise<string> {
  // YAML 1.1 as kubectl reads it (an unquoted Off would be a boolean there)
  const text = typeof docs === 'string' ? docs : docs.map((d) => stringify(d, { version: '1.1' })).join('---\n');
  return kubectlOk(kubeconfig, ['apply', '-f', '-'], text);
}

export async function getJson<T = Record<string, unknown>>(kubeconfig: string, args: string[]): Promise<T> {
  return JSON.parse(await kubectlOk(kubeconfig, ['get', ...args, '-o', 'json'])) as T;
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 6)}`;
}

export async function createNamespace(kubeconfig: string, prefix: string): Promise<string> {
  const ns = uniqueName(prefix);
  await kubectlOk(kubeconfig, ['create', 'namespace', ns]);
  return ns;
}

/** Installs the CRD from crds/ and waits until it is Established. */
export async function installCrd(kubeconfig: string): Promise<void> {
  await kubectlOk(kubeconfig, ['apply', '-f', join(REPO_ROOT, 'crds')]);
  await kubectlOk(kubeconfig, ['wait', '--for=condition=Established', '--timeout=60s', 'crd/apiprotectionpolicies.palisade.dev']);
}

/** An ApiProtectionPolicy manifest. */
export function policy(name: string, namespace: string, spec: Record<string, unknown>): Record<string, unknown> {
  return { apiVersion: 'palisade.dev/v1alpha1', kind: 'ApiProtectionPolicy', metadata: { name, namespace }, spec };
}

export interface ConditionView {
  type: string;
  status: string;
  reason: string;
  message?: string;
  observedGeneration?: number;
  lastTransitionTime: string;
}

export interface PolicyView {
  metadata: { name: string; namespace: string; generation: number; resourceVersion: string; uid: string };
  status?: { observedGeneration?: number; conditions?: ConditionView[] };
}

export async function getPolicy(kubeconfig: string, namespace: string, name: string): Promise<PolicyView> {
  return getJson<PolicyView>(kubeconfig, ['-n', namespace, 'apiprotectionpolicy', name]);
}

export function condition(p: PolicyView, type: string): ConditionView | undefined {
  return p.status?.conditions?.find((c) => c.type === type);
}

/** Waits until a policy's condition has the given status/reason for its current generation. */
export async function waitForCondition(
  kubeconfig: string,
  namespace: string,
  name: string,
  type: string,
  status: string,
  reason?: string,
  timeoutMs = 20_000,
): Promise<PolicyView> {
  const { value } = await waitFor(
    `${namespace}/${name} ${type}=${status}${reason ? ` (${reason})` : ''}`,
    () => getPolicy(kubeconfig, namespace, name),
    (p) => {
      const c = condition(p, type);
      return c?.status === status && (reason === undefined || c.reason === reason) && c.observedGeneration === p.metadata.generation;
    },
    timeoutMs,
    100,
  );
  return value;
}

export interface EventView {
  reason: string;
  type: string;
  note?: string;
  action?: string;
  reportingController?: string;
  regarding?: { name?: string; kind?: string };
}

/** events.k8s.io Events about one object. */
export async function eventsFor(kubeconfig: string, namespace: string, name: string): Promise<EventView[]> {
  const list = await getJson<{ items: EventView[] }>(kubeconfig, ['-n', namespace, 'events.v1.events.k8s.io']);
  return list.items.filter((e) => e.regarding?.name === name);
}

/** Short timings so that tests see leader changes and reports quickly. */
export const FAST_TIMINGS = ['--lease-duration', '3s', '--renew-deadline', '2s', '--retry-period', '250ms', '--report-interval', '1s', '--enforced-grace', '2s'];

export interface TestOperatorOptions {
  kubeconfig: string;
  namespace: string;
  /** null: watch all namespaces. */
  watchNamespace: string | null;
  identity?: string;
  args?: string[];
  logger: Logger;
}

/** Starts an operator in this process on free loopback ports and waits until its caches synced. */
export async function startTestOperator(o: TestOperatorOptions): Promise<Operator> {
  const config = parseConfig(
    [
      '--kubeconfig', o.kubeconfig,
      '--namespace', o.namespace,
      ...(o.watchNamespace ? ['--watch-namespace', o.watchNamespace] : []),
      '--identity', o.identity ?? uniqueName('op'),
      '--host', '127.0.0.1',
      '--grpc-port', '0',
      '--http-port', '0',
      ...FAST_TIMINGS,
      ...(o.args ?? []),
    ],
    {},
  );
  const op = await startOperator(config, o.logger, { registry: new Registry() });
  await op.ready();
  return op;
}

/** An in-process operator watching a fresh namespace, and an in-process authz-server connected to it over gRPC. */
export interface OperatorWithAuthz {
  opNs: string;
  appNs: string;
  operator: Operator;
  authz: AuthzServer;
  client: AuthzClient;
}

/** Installs the CRD, creates the operator's and the app's namespaces, starts both and waits for the stream. */
export async function startOperatorWithAuthz(kubeconfig: string, prefix: string, logger: Logger): Promise<OperatorWithAuthz> {
  await installCrd(kubeconfig);
  const opNs = await createNamespace(kubeconfig, `${prefix}-op`);
  const appNs = await createNamespace(kubeconfig, prefix);
  const operator = await startTestOperator({ kubeconfig, namespace: opNs, watchNamespace: appNs, logger });
  const authz = await startTestServer(['--operator', `127.0.0.1:${operator.grpcPort}`, '--decision-log', 'all'], logger);
  const client = authzClient(authz.grpcPort);
  await waitFor('authz-server connected', () => operator.replicas().length, (n) => n === 1);
  return { opNs, appNs, operator, authz, client };
}

/** An operator in a child process (node operator/src/main.ts), with its JSON log lines. */
export interface OperatorProcess {
  identity: string;
  grpcPort: number;
  httpPort: number;
  lines: Array<Record<string, unknown>>;
  /** SIGKILL: a crash (no Lease release). */
  kill(): Promise<void>;
  /** SIGTERM: graceful stop (releases the Lease). */
  stop(): Promise<void>;
  readonly exited: boolean;
}

export async function spawnOperator(o: Omit<TestOperatorOptions, 'logger'>): Promise<OperatorProcess> {
  const identity = o.identity ?? uniqueName('op');
  const args = [
    join(REPO_ROOT, 'operator/src/main.ts'),
    '--kubeconfig', o.kubeconfig,
    '--namespace', o.namespace,
    ...(o.watchNamespace ? ['--watch-namespace', o.watchNamespace] : []),
    '--identity', identity,
    '--host', '127.0.0.1',
    '--grpc-port', '0',
    '--http-port', '0',
    ...FAST_TIMINGS,
    ...(o.args ?? []),
  ];
  const child = killOnExit(spawn(NODE_BIN, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env['PATH'] ?? '' } }));
  const lines: Array<Record<string, unknown>> = [];
  let stderr = '';
  let buf = '';
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.on('exit', () => {
      exited = true;
      resolve();
    }),
  );
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    buf += chunk;
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        lines.push({ msg: line });
      }
    }
  });
  child.stderr.setEncoding('utf8').on('data', (c: string) => {
    stderr += c;
  });
  const { value: listening } = await waitFor(
    `operator ${identity} to listen (stderr: ${stderr.slice(-500)})`,
    () => {
      if (exited) throw new Error(`operator exited early: ${stderr.slice(-2000)} ${JSON.stringify(lines.slice(-5))}`);
      return lines.find((l) => l['msg'] === 'operator listening');
    },
    (l) => l !== undefined,
    30_000,
    50,
  );
  return {
    identity,
    grpcPort: listening!['grpcPort'] as number,
    httpPort: listening!['httpPort'] as number,
    lines,
    get exited() {
      return exited;
    },
    async kill() {
      if (!exited) child.kill('SIGKILL');
      await exit;
    },
    async stop() {
      if (!exited) child.kill('SIGTERM');
      await exit;
    },
  };
}
