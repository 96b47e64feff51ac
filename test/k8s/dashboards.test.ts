/**
 * The Grafana dashboards against real data: the operator (on the real test API server) and two authz-server
 * processes sharing a real Redis, policies applied with kubectl, Envoy-shaped traffic covering every verdict (and a
 * Redis outage, and an RBAC outage that makes the operator's ConfigMap reconciles fail), scraped by a real
 * Prometheus (Debian's). The operator runs with the chart's own RBAC (rendered, applied, and bound to the identity
 * it authenticates as), not as an admin. Every panel query of dashboards/overview.json and
 * dashboards/operator.json must return data through Prometheus' HTTP API, and the chart's alert rules must
 * evaluate without errors on it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { stringify } from 'yaml';
import { issueUserKubeconfig } from '../controlplane/control-plane.ts';
import { CHART_DIR, ROOT, render, run, tool, type K8sObject } from '../chart/chart.ts';
import { challengeOf, powSolver } from '../../clients/palisade-challenge.js';
import { authzClient, envoyRequest, spiffe, type AuthzClient, type RequestShape } from '../support/envoy.ts';
import { freePort } from '../support/ports.ts';
import { startRedis, type RedisServerHandle } from '../support/redis-server.ts';

const cp = inject('palisadeControlPlane');
const KC = cp.kubeconfigPath;
/** Job names as the chart's ServiceMonitors produce them (Service names of release "pal"), so the alert rules match. */
const AUTHZ_JOB = 'pal-palisade-authz';
const OPERATOR_JOB = 'pal-palisade-operator';
const SCRAPE_S = 1;
/** What Grafana's $__rate_interval becomes here (max(4 x scrape interval, step + scrape)), with margin. */
const RATE_INTERVAL = '15s';

interface Proc {
  name: string;
  child: ChildProcess;
  output: string[];
}
const procs: Proc[] = [];

function startProc(name: string, bin: string, args: string[]): Proc {
  const child = spawn(bin, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const p: Proc = { name, child, output: [] };
  const keep = (d: Buffer) => {
    p.output.push(String(d));
    if (p.output.length > 200) p.output.shift();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  procs.push(p);
  return p;
}

async function stopProc(p: Proc): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  const exited = new Promise<void>((r) => p.child.once('exit', () => r()));
  p.child.kill('SIGTERM');
  const timer = setTimeout(() => p.child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

async function until<T>(what: string, fn: () => Promise<T | undefined | null | false>, timeoutMs: number, explain: () => string = () => ''): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${explain()}`);
    await sleep(250);
  }
}

const httpOk = (url: string) => fetch(url).then((r) => r.ok, () => false);

function kubectl(args: string[], input?: string): string {
  const r = run('kubectl', ['--kubeconfig', KC, ...args], input);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

const applyObjects = (objects: unknown[]) =>
  kubectl(['apply', '--server-side', '--force-conflicts', '--field-manager=palisade-dashboards-test', '-f', '-'], objects.map((o) => stringify(o)).join('---\n'));

/** A counter's total from a /metrics text (all label sets whose text contains `labels`). */
async function metricTotal(url: string, name: string, labels = ''): Promise<number> {
  const text = await (await fetch(url)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .filter((l) => l.includes(labels))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** Policies that make every verdict reachable. */
function policies(ns: string): unknown[] {
  const meta = (name: string) => ({ apiVersion: 'palisade.dev/v1alpha1', kind: 'ApiProtectionPolicy', metadata: { name, namespace: ns } });
  return [
    {
      ...meta('storefront'),
      spec: {
        hosts: ['shop.example.com'],
        mode: 'Enforce',
        failurePolicy: 'FailClosed',
        rules: [{ methods: ['GET', 'HEAD'], paths: ['/products', '/products/*'] }],
        rateLimits: [{ name: 'per-ip', key: ['clientIP'], requests: 5, period: '1m' }],
        inspection: { sqlInjection: true, xss: true, pathTraversal: true },
        bot: { mode: 'Enforce', denyScore: 60, challengeScore: 30, challenge: { difficulty: { min: 4, max: 6 } } },
      },
    },
    {
      ...meta('payments'),
      spec: {
        hosts: ['payments.example.com'],
        mode: 'Enforce',
        failurePolicy: 'FailOpen',
        identity: { requireMTLS: true, allowedPrincipals: [spiffe('shop', 'checkout')] },
        authentication: { required: true, apiKeys: { header: 'x-api-key', keys: [{ consumer: 'checkout', sha256: sha256('demo-key') }] } },
        rateLimits: [{ name: 'per-consumer', key: ['consumer'], requests: 1000, period: '1m' }],
      },
    },
    {
      ...meta('beta'),
      spec: { hosts: ['beta.example.com'], mode: 'Monitor', rules: [{ methods: ['GET'], paths: ['/public/**'] }], bot: { mode: 'Monitor', denyScore: 80, challengeScore: 50 } },
    },
  ];
}

/** One round of Envoy-shaped traffic: every verdict, many clients. */
function round(i: number): RequestShape[] {
  const ip = (n: number) => `10.20.${Math.floor(n / 250) % 250}.${(n % 250) + 1}`;
  return [
    { host: 'shop.example.com', path: `/products/${i}`, sourceIp: ip(i) }, // allow (fresh client)
    { host: 'shop.example.com', path: '/products', sourceIp: ip(i % 7) }, // 7 clients over the limit soon: rate-limit
    { host: 'shop.example.com', method: 'POST', path: '/products', sourceIp: ip(5000 + i) }, // access
    { host: 'shop.example.com', path: "/products/1?id=1'%20OR%20'1'='1", sourceIp: ip(6000 + i) }, // inspection
    { host: 'shop.example.com', path: '/products/2', sourceIp: ip(7000 + i), headers: { 'user-agent': 'sqlmap/1.7', accept: '', 'accept-language': '' } }, // bot
    { host: 'payments.example.com', path: '/pay', sourceIp: ip(8000 + i) }, // identity (no mTLS)
    { host: 'payments.example.com', path: '/pay', principal: spiffe('shop', 'checkout'), sourceIp: ip(8000 + i) }, // authentication
    { host: 'payments.example.com', path: '/pay', principal: spiffe('shop', 'checkout'), headers: { 'x-api-key': 'demo-key' }, sourceIp: ip(8000 + i) }, // allow
    { host: 'beta.example.com', method: 'DELETE', path: '/private', sourceIp: ip(9000 + i) }, // monitor (would deny)
    { host: 'unknown.example.com', path: '/', sourceIp: ip(9500 + i) }, // no-policy
  ];
}

/**
 * One round of the challenge flow on the storefront (curl scores a challenge there): challenged, solved with the
 * client helper's solver, the pass presented; every other round the same solution through the browser's
 * verification path (which reports a solve time), a replay of the pass from another network, a wrong solution.
 * Each step from its own address in one /24, so the per-IP rate limit stays out of the way.
 */
async function challengeRound(client: AuthzClient, i: number): Promise<number> {
  const at = (n: number) => `10.60.${i % 250}.${n}`;
  const curl = (ip: string, headers: Record<string, string> = {}, path = '/products/3') =>
    client.check(envoyRequest({ host: 'shop.example.com', path, sourceIp: ip, headers: { 'user-agent': 'curl/8.5.0', ...headers } }));
  const first = await curl(at(1));
  const auth = first.denied_response?.headers.find((h) => h.header.key === 'www-authenticate')?.header.value ?? null;
  const ch = challengeOf({ status: first.denied_response?.status.code ?? 0, headers: { get: () => auth } });
  if (!ch) return 1; // e.g. unavailable while Redis is paused
  const { solve } = powSolver();
  const nonce = solve(ch.seed, ch.difficulty, 0, 1, 1 << 20).nonce ?? '0';
  const solved = await curl(at(2), { 'x-palisade-solution': `${nonce}:${ch.token}` });
  const pass = solved.ok_response?.response_headers_to_add.find((h) => h.header.key === 'x-palisade-pass')?.header.value ?? '';
  await curl(at(3), { 'x-palisade-pass': pass });
  if (i % 2 === 1) return 3;
  const query = new URLSearchParams({ t: ch.token, n: nonce, ms: String(50 + (i % 40) * 10), to: '/products/3' });
  await curl(at(4), { cookie: 'palisade-cookie-check=1', accept: 'text/html' }, `/.palisade/challenge/verify?${query}`);
  await curl(`10.61.${i % 250}.1`, { 'x-palisade-pass': pass });
  let wrong = 0;
  while (solve(ch.seed, ch.difficulty, wrong, 1, 1).nonce !== null) wrong++;
  await curl(at(5), { 'x-palisade-solution': `${wrong}:${ch.token}` });
  return 6;
}

interface PanelTarget {
  expr: string;
  refId: string;
  instant?: boolean;
}
interface Panel {
  id: number;
  type: string;
  title: string;
  targets?: PanelTarget[];
}
interface Dashboard {
  uid: string;
  panels: Panel[];
  templating: { list: Array<{ name: string; type: string; definition?: string }> };
}

function dashboard(name: string): Dashboard {
  return JSON.parse(readFileSync(join(CHART_DIR, 'dashboards', `${name}.json`), 'utf8')) as Dashboard;
}

/** Grafana's variable interpolation for the variables the dashboards use. */
function interpolate(expr: string, rangeSeconds: number): string {
  return expr
    .replaceAll('$__rate_interval', RATE_INTERVAL)
    .replaceAll('$__range', `${Math.max(60, Math.ceil(rangeSeconds))}s`)
    .replaceAll('$policy', '.*');
}

interface PromResult {
  status: string;
  error?: string;
  data: { resultType: string; result: Array<{ metric: Record<string, string>; value?: [number, string]; values?: Array<[number, string]> }> };
}

describe('dashboards on a real Prometheus', () => {
  let dir: string;
  let redis: RedisServerHandle;
  let prom: string;
  const clients: AuthzClient[] = [];
  let trafficStart = 0;
  let leaseRole: K8sObject;
  let operatorNs = '';
  let policyNs = '';
  let sent = 0;
  const timings: Record<string, number> = {};
  const t0 = Date.now();

  beforeAll(async () => {
    const [prometheusBin] = tool('prometheus');
    if (!prometheusBin) throw new Error('tools.sh printed no prometheus path');
    dir = mkdtempSync(join(tmpdir(), 'palisade-dash-'));
    redis = await startRedis();

    // The API server side: CRD, namespaces, policies.
    const suffix = randomUUID().slice(0, 6);
    const opNs = `dash-op-${suffix}`;
    const appNs = `dash-app-${suffix}`;
    kubectl(['apply', '--server-side', '--force-conflicts', '--field-manager=palisade-dashboards-test', '-f', join(CHART_DIR, 'crds/palisade.dev_apiprotectionpolicies.yaml')]);
    kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd/apiprotectionpolicies.palisade.dev']);
    kubectl(['create', 'namespace', opNs]);
    kubectl(['create', 'namespace', appNs]);

    // The operator's identity and RBAC: exactly what the chart renders (release "pal" in opNs, watching appNs),
    // applied for real; the operator authenticates as its ServiceAccount's user name with a client certificate.
    const chartRbac = render({ operator: { watchNamespace: appNs } }, { namespace: opNs, release: 'pal' }).objects.filter(
      (o) => ['ServiceAccount', 'Role', 'RoleBinding', 'ClusterRole', 'ClusterRoleBinding'].includes(o.kind) && o.metadata.name.startsWith(OPERATOR_JOB),
    );
    expect(chartRbac.map((o) => o.kind).sort()).toEqual(['Role', 'Role', 'RoleBinding', 'RoleBinding', 'ServiceAccount']);
    applyObjects(chartRbac);
    const operatorKubeconfig = await issueUserKubeconfig(cp, `system:serviceaccount:${opNs}:${OPERATOR_JOB}`, ['system:serviceaccounts', `system:serviceaccounts:${opNs}`]);
    leaseRole = chartRbac.find((o) => o.kind === 'Role' && o.metadata.namespace === opNs) as K8sObject;
    operatorNs = opNs;
    policyNs = appNs;

    // One operator, two authz-servers sharing Redis, as the chart runs them.
    const [opGrpc, opHttp, a1Grpc, a1Http, a2Grpc, a2Http, promPort] = await Promise.all(Array.from({ length: 7 }, () => freePort()));
    const node = process.execPath;
    const operator = startProc('operator', node, [
      'operator/src/main.ts', '--kubeconfig', operatorKubeconfig, '--namespace', opNs, '--watch-namespace', appNs, '--identity', 'op-1', '--host', '127.0.0.1',
      '--grpc-port', String(opGrpc), '--http-port', String(opHttp), '--lease-name', OPERATOR_JOB, '--snapshot-configmap', 'pal-palisade-snapshot',
      '--report-interval', '2s', '--log-level', 'warn',
    ]);
    applyObjects(policies(appNs));
    // One challenge key for both replicas, as the chart mounts it: a pass earned through one holds on the other.
    writeFileSync(join(dir, 'challenge-key'), `${randomUUID()}${randomUUID()}\n`);
    const authz = [
      [a1Grpc, a1Http],
      [a2Grpc, a2Http],
    ].map(([g, h], i) =>
      startProc(`authz-${i + 1}`, node, [
        'authz-server/src/app/main.ts', '--operator', `127.0.0.1:${opGrpc}`, '--redis', redis.url, '--host', '127.0.0.1',
        '--grpc-port', String(g), '--check-port', '0', '--http-port', String(h), '--decision-log', 'off', '--log-level', 'warn', '--store-timeout-ms', '50',
        '--challenge-key-file', join(dir, 'challenge-key'),
      ]),
    );
    const explain = () => procs.map((p) => `--- ${p.name} (exit ${p.child.exitCode ?? p.child.signalCode ?? 'running'})\n${p.output.join('').slice(-3000)}`).join('\n');
    await until('the operator to be ready', () => httpOk(`http://127.0.0.1:${opHttp}/readyz`), 60_000, explain);
    for (const [, h] of [[a1Grpc, a1Http], [a2Grpc, a2Http]]) {
      await until(`authz-server :${h} to be ready (snapshot from the operator)`, () => httpOk(`http://127.0.0.1:${h}/readyz`), 60_000, explain);
    }
    expect(authz.every((p) => p.child.exitCode === null)).toBe(true);
    expect(operator.child.exitCode).toBeNull();
    timings['stack ready'] = Date.now() - t0;

    // Prometheus, scraping them every second, with the chart's alert rules loaded.
    const rule = render({ metrics: { prometheusRule: { enabled: true } } }).get('PrometheusRule');
    writeFileSync(join(dir, 'rules.yaml'), stringify(rule['spec']));
    writeFileSync(
      join(dir, 'prometheus.yaml'),
      stringify({
        global: { scrape_interval: `${SCRAPE_S}s`, scrape_timeout: `${SCRAPE_S}s`, evaluation_interval: '1s' },
        rule_files: [join(dir, 'rules.yaml')],
        scrape_configs: [
          { job_name: AUTHZ_JOB, static_configs: [{ targets: [`127.0.0.1:${a1Http}`, `127.0.0.1:${a2Http}`] }] },
          { job_name: OPERATOR_JOB, static_configs: [{ targets: [`127.0.0.1:${opHttp}`] }] },
        ],
      }),
    );
    const promProc = startProc('prometheus', prometheusBin, [
      `--config.file=${join(dir, 'prometheus.yaml')}`, `--storage.tsdb.path=${join(dir, 'tsdb')}`, `--web.listen-address=127.0.0.1:${promPort}`,
      '--storage.tsdb.retention.time=1h', '--log.level=warn',
    ]);
    prom = `http://127.0.0.1:${promPort}`;
    await until('Prometheus to be ready', () => httpOk(`${prom}/-/ready`), 60_000, () => promProc.output.join(''));
    await until('every target to be up', async () => {
      const t = (await (await fetch(`${prom}/api/v1/targets`)).json()) as { data: { activeTargets: Array<{ health: string }> } };
      return t.data.activeTargets.length === 3 && t.data.activeTargets.every((x) => x.health === 'up');
    }, 30_000, () => promProc.output.join(''));

    // Traffic: every verdict from many clients, through both replicas, with a Redis outage in the middle.
    for (const [g] of [[a1Grpc], [a2Grpc]]) clients.push(authzClient(g as number));
    trafficStart = Date.now();
    const phase = async (rounds: number, from: number) => {
      for (let i = from; i < from + rounds; i++) {
        await Promise.all([
          ...round(i).map((shape, j) => clients[(i + j) % clients.length]!.check(envoyRequest(shape)).then(() => sent++)),
          challengeRound(clients[i % clients.length]!, i).then((n) => (sent += n)),
        ]);
        await sleep(20);
      }
    };
    await phase(150, 0);
    redis.pause(); // hung Redis: store timeouts, FailClosed -> unavailable, FailOpen -> allowed
    await phase(20, 150);
    redis.resume();
    await phase(100, 170);
    // RBAC drift: the operator may no longer write ConfigMaps while a policy changes -> its ConfigMap reconciles
    // fail (and are retried with backoff) until the Role is restored.
    const opMetrics = `http://127.0.0.1:${opHttp}/metrics`;
    const rules = leaseRole['rules'] as Array<{ resources: string[] }>;
    applyObjects([{ ...leaseRole, rules: rules.filter((r) => !r.resources.includes('configmaps')) }]);
    const changed = policies(policyNs)[0] as { spec: { rateLimits: Array<{ requests: number }> } };
    changed.spec.rateLimits[0]!.requests = 6;
    applyObjects([changed]);
    await until('a failed ConfigMap reconcile', async () => (await metricTotal(opMetrics, 'palisade_operator_reconcile_errors_total', 'kind="configmap"')) > 0, 60_000, explain);
    applyObjects([leaseRole]);
    await phase(50, 270);
    const served = /palisade_operator_snapshot_info\{version="([^"]+)"\} 1/.exec(await (await fetch(opMetrics)).text())?.[1];
    expect(served).toMatch(/^sha256:/);
    await until(
      'the ConfigMap to carry the changed snapshot once the Role is back',
      async () => kubectl(['-n', operatorNs, 'get', 'configmap', 'pal-palisade-snapshot', '-o', 'jsonpath={.metadata.annotations.palisade\\.dev/snapshot-version}']) === served,
      60_000,
      explain,
    );
    // Let Prometheus scrape the end of it.
    await sleep(4 * SCRAPE_S * 1000);
    timings['traffic'] = Date.now() - trafficStart;
  }, 10 * 60_000);

  afterAll(async () => {
    for (const c of clients) c.close();
    for (const p of [...procs].reverse()) await stopProc(p);
    redis?.resume();
    await redis?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
    timings['total'] = Date.now() - t0;
    console.log(`dashboards test: ${sent} Checks; timings (ms): ${JSON.stringify(timings)}`);
  });

  async function query(expr: string): Promise<PromResult> {
    const end = Date.now() / 1000;
    const start = trafficStart / 1000;
    const params = new URLSearchParams({ query: expr, start: String(start), end: String(end), step: '2' });
    return (await (await fetch(`${prom}/api/v1/query_range?${params}`)).json()) as PromResult;
  }

  async function instant(expr: string): Promise<PromResult> {
    return (await (await fetch(`${prom}/api/v1/query?${new URLSearchParams({ query: expr })}`)).json()) as PromResult;
  }

  /** Series with at least one finite value. */
  function withData(r: PromResult): number {
    return r.data.result.filter((s) => [...(s.values ?? []), ...(s.value ? [s.value] : [])].some(([, v]) => Number.isFinite(Number(v)))).length;
  }

  const cases = ['overview', 'operator'].flatMap((name) =>
    dashboard(name)
      .panels.filter((p) => p.type !== 'row')
      .flatMap((p) => (p.targets ?? []).map((t) => [`${name}: ${p.title} [${t.refId}]`, t] as const)),
  );

  it('the dashboards have panels with queries', () => {
    expect(cases.length).toBeGreaterThan(25);
  });

  it.each(cases)('%s returns data', async (_title, target) => {
    const expr = interpolate(target.expr, (Date.now() - trafficStart) / 1000);
    const r = target.instant ? await instant(expr) : await query(expr);
    expect(r.status, `${expr}: ${r.error ?? ''}`).toBe('success');
    expect(withData(r), `no data for ${expr}`).toBeGreaterThan(0);
  });

  it('the policy variable lists the policies', async () => {
    const r = (await (await fetch(`${prom}/api/v1/label/policy/values?${new URLSearchParams({ 'match[]': 'palisade_decisions_total' })}`)).json()) as { data: string[] };
    expect(r.data).toEqual(expect.arrayContaining([expect.stringMatching(/\/storefront$/), expect.stringMatching(/\/payments$/), expect.stringMatching(/\/beta$/)]));
  });

  it('the traffic produced every verdict, and both replicas enforce the operator\'s snapshot', async () => {
    const reasons = await instant('sum by (reason) (palisade_decisions_total)');
    expect(reasons.data.result.map((s) => s.metric['reason']).sort()).toEqual(
      expect.arrayContaining(['access', 'authentication', 'bot', 'challenge', 'challenge-passed', 'identity', 'inspection', 'no-policy', 'none', 'rate-limit', 'unavailable']),
    );
    const enforcing = await instant('count(palisade_snapshot_info * on (version) group_left () max by (version) (palisade_operator_snapshot_info))');
    expect(enforcing.data.result[0]?.value?.[1]).toBe('2');
  });

  it('the chart\'s alert rules evaluate on this data without errors', async () => {
    const r = (await (await fetch(`${prom}/api/v1/rules`)).json()) as { data: { groups: Array<{ rules: Array<{ name: string; health: string; lastError?: string }> }> } };
    const rules = r.data.groups.flatMap((g) => g.rules);
    expect(rules.length).toBeGreaterThan(10);
    expect(rules.filter((x) => x.health !== 'ok').map((x) => `${x.name}: ${x.health} ${x.lastError ?? ''}`)).toEqual([]);
  });

  /**
   * Four overview panels of this run, from Prometheus' query_range, plotted with gnuplot into a PNG (written to
   * PALISADE_DASHBOARD_PNG when set: the README's picture comes from here; Grafana itself is not available here).
   */
  it('renders four overview panels of this run as a PNG with gnuplot', async () => {
    const out = process.env['PALISADE_DASHBOARD_PNG'] ?? join(dir, 'overview.png');
    const panels = dashboard('overview').panels;
    const pick = (title: string) => {
      const p = panels.find((x) => x.title === title);
      if (!p?.targets) throw new Error(`no panel ${title}`);
      return { title, targets: p.targets };
    };
    const chosen = [pick('Decisions by verdict'), pick('Denials by reason'), pick('Check latency p50 / p99'), pick('Rate-limited clients')];
    const units: Record<string, string> = { 'Decisions by verdict': 'req/s', 'Denials by reason': 'req/s', 'Check latency p50 / p99': 'ms', 'Rate-limited clients': 'clients' };
    const plots: string[] = [];
    let n = 0;
    for (const panel of chosen) {
      const lines: string[] = [];
      for (const t of panel.targets) {
        const legend = (t as PanelTarget & { legendFormat?: string }).legendFormat ?? '';
        const r = await query(interpolate(t.expr, (Date.now() - trafficStart) / 1000));
        for (const series of r.data.result) {
          const file = join(dir, `series-${n++}.dat`);
          const scale = panel.title.startsWith('Check latency') ? 1000 : 1;
          const rows = (series.values ?? []).filter(([, v]) => Number.isFinite(Number(v))).map(([ts, v]) => `${(ts - trafficStart / 1000).toFixed(1)} ${Number(v) * scale}`);
          writeFileSync(file, `${rows.join('\n')}\n`);
          const title = legend.replace(/\{\{(\w+)\}\}/g, (_m, k: string) => series.metric[k] ?? '');
          lines.push(`'${file}' using 1:2 with lines lw 2 title '${title.replace(/'/g, '')}'`);
        }
      }
      plots.push(`set title '${panel.title}'; set ylabel '${units[panel.title]}'; plot ${lines.join(', ')}`);
    }
    const script = [
      `set terminal pngcairo size 1400,900 font 'sans,10' noenhanced`,
      `set output '${out}'`,
      `set multiplot layout 2,2 title 'Palisade / Overview: ${sent} Checks from this test run (real Prometheus, query_range)'`,
      `set xlabel 'seconds since traffic started'; set key top left; set grid`,
      ...plots,
      'unset multiplot',
    ].join('\n');
    writeFileSync(join(dir, 'plot.gp'), script);
    let r;
    try {
      r = run('gnuplot', [join(dir, 'plot.gp')]);
    } catch (err) {
      throw new Error(`gnuplot is needed to plot the dashboard (apt-get install gnuplot-nox): ${(err as Error).message}`);
    }
    expect(r.stderr).not.toMatch(/error/i); // (warnings such as a flat series' "empty y range" are fine)
    expect(r.code).toBe(0);
    expect(readFileSync(out).subarray(1, 4).toString()).toBe('PNG');
  });
});
