/**
 * The peers `npm run bench` runs next to Palisade, on the same scenarios and the same ghz load:
 *   - OPA's Envoy plugin (opa-envoy-plugin), with a Rego policy equivalent to bench/policies/bench.yaml;
 *   - Kuadrant Authorino, with equivalent AuthConfigs. Authorino has no file mode: it reads AuthConfigs (and
 *     API-key Secrets) from a Kubernetes API, so it runs against the project's test kube-apiserver
 *     (test/controlplane), which is what a cluster gives it too.
 *   - envoyproxy/ratelimit, Envoy's reference rate-limit service (Go, Redis), with the same two limits as the
 *     Redis-limit scenario (per consumer, per client IP), answering the RateLimitService calls Envoy's
 *     rate-limit filter would make for those requests.
 * All are built from their Go modules at pinned versions into ${PALISADE_CACHE:-~/.cache/palisade}/bin on first use
 * (`go mod download` + `go build` of the module), outside any git checkout; none of their code is in this repo.
 * OPA and Authorino have no built-in rate limiting (Authorino delegates it to Limitador, OPA to Envoy's
 * rate-limit filter) nor bot scoring, so they run the api-key and mTLS scenarios; ratelimit runs the Redis-limit
 * scenario only (it does no authentication or access rules).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseAllDocuments } from 'yaml';

export const cacheBin = join(process.env['PALISADE_CACHE'] ?? join(homedir(), '.cache', 'palisade'), 'bin');

/** Pinned releases (the proxy's `@v/list` is not reachable here; these versions are). */
export const PEER_MODULES = {
  opa: { module: 'github.com/open-policy-agent/opa-envoy-plugin', version: 'v1.12.0-envoy', pkg: './cmd/opa-envoy-plugin', bin: 'opa-envoy-plugin' },
  authorino: { module: 'github.com/kuadrant/authorino', version: 'v0.25.0', pkg: '.', bin: 'authorino' },
  // No release since v1.4.0 (2019); the project ships commits. This is the proxy's latest, 2026-01-22.
  ratelimit: { module: 'github.com/envoyproxy/ratelimit', version: 'v1.4.1-0.20260122083618-3fb702589d36', pkg: './src/service_cmd', bin: 'ratelimit' },
} as const;

export type PeerName = keyof typeof PEER_MODULES;

/** A running peer: its gRPC port and pid (for CPU/RSS), and how to stop it. */
export interface RunningPeer {
  name: string;
  version: string;
  pid: number;
  grpcPort: number;
  stop(): Promise<void>;
}

/** Build facts for the report. */
export interface PeerBuild {
  bin: string;
  version: string;
  buildSeconds: number | null;
}

function moduleDir(module: string, version: string): string {
  // GONOSUMDB for the OPA plugin only: sum.golang.org answers 404 for its "-envoy" tags here; its dependencies
  // are still verified against the module's own go.sum.
  const env = { ...process.env, GONOSUMDB: PEER_MODULES.opa.module, GOFLAGS: '-mod=mod' };
  const r = spawnSync('go', ['mod', 'download', '-json', `${module}@${version}`], { encoding: 'utf8', env });
  if (r.error || r.status !== 0) throw new Error(`go mod download ${module}@${version} failed: ${r.error?.message ?? r.stdout + r.stderr}`);
  const dir = (JSON.parse(r.stdout) as { Dir?: string }).Dir;
  if (!dir) throw new Error(`go mod download ${module}@${version}: no Dir`);
  return dir;
}

/**
 * Builds a peer into the cache unless it is there. `go install module@version` is not used: it asks the proxy
 * for the module's version list (deprecation check), which this network refuses with 403.
 */
export function ensurePeer(name: PeerName): PeerBuild {
  const m = PEER_MODULES[name];
  const bin = join(cacheBin, m.bin);
  const stamp = `${bin}.version`;
  if (existsSync(bin) && existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === m.version) return { bin, version: m.version, buildSeconds: null };
  mkdirSync(cacheBin, { recursive: true });
  process.stderr.write(`building ${m.module}@${m.version} (go build, nice 19) ...\n`);
  const t0 = Date.now();
  const dir = moduleDir(m.module, m.version);
  const r = spawnSync('nice', ['-n', '19', 'go', 'build', '-o', bin, m.pkg], { cwd: dir, stdio: 'inherit', env: { ...process.env, GOFLAGS: '-mod=mod', GONOSUMDB: PEER_MODULES.opa.module } });
  if (r.error || r.status !== 0) throw new Error(`go build ${m.module}@${m.version} failed (${r.error?.message ?? `exit ${r.status}`})`);
  writeFileSync(stamp, `${m.version}\n`);
  return { bin, version: m.version, buildSeconds: (Date.now() - t0) / 1000 };
}

async function waitFor(what: string, child: ChildProcess, timeoutMs: number, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}`);
    if (await probe().catch(() => false)) return;
    await sleep(200);
  }
  throw new Error(`${what} not ready within ${timeoutMs / 1000} s`);
}

function stopper(child: ChildProcess, extra: () => Promise<void> = async () => undefined): () => Promise<void> {
  return async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await Promise.race([new Promise((r) => child.once('exit', r)), sleep(5000).then(() => child.kill('SIGKILL'))]);
    }
    await extra();
  };
}

// ---------------------------------------------------------------------------------------------------------------
// OPA-Envoy
// ---------------------------------------------------------------------------------------------------------------

/** Rego equivalent of bench/policies/bench.yaml's apikey and mtls policies (status codes and headers included). */
export const OPA_POLICY = `package envoy.authz

http := input.attributes.request.http
principal := object.get(input.attributes, ["source", "principal"], "")
path_only := split(http.path, "?")[0]
host := lower(split(http.host, ":")[0])

# sha256 of the API key -> consumer (keys are never stored in plaintext)
api_keys := {"7717cad459fb710bd99adf26d5d638743337933ec301092cc951377a94603c07": "bench-client"}
consumer := api_keys[crypto.sha256(http.headers["x-api-key"])]

# --- apikey.bench.local: authentication required, then rules
apikey_rule if { http.method == "GET"; consumer == "bench-client"; path_only == "/orders" }
apikey_rule if { http.method == "GET"; consumer == "bench-client"; glob.match("/orders/*", ["/"], path_only) }
apikey_rule if { http.method == "POST"; consumer == "bench-client"; path_only == "/orders" }

# --- mtls.bench.local: principal allowed ("*" = one segment), then rules
allowed_principals := ["spiffe://cluster.local/ns/shop/sa/frontend", "spiffe://cluster.local/ns/*/sa/checkout"]
principal_allowed if { some p in allowed_principals; glob.match(p, ["/"], principal) }
mtls_rule if {
  http.method == "GET"
  principal == "spiffe://cluster.local/ns/shop/sa/frontend"
  some p in ["/orders", "/orders/*"]
  glob.match(p, ["/"], path_only)
}

verdict := {"ok": true, "consumer": consumer} if { host == "apikey.bench.local"; apikey_rule }
else := {"ok": false, "status": 401, "reason": "authentication"} if { host == "apikey.bench.local"; not consumer }
else := {"ok": false, "status": 403, "reason": "access"} if { host == "apikey.bench.local" }
else := {"ok": true, "consumer": ""} if { host == "mtls.bench.local"; principal_allowed; mtls_rule }
else := {"ok": false, "status": 403, "reason": "identity"} if { host == "mtls.bench.local"; not principal_allowed }
else := {"ok": false, "status": 403, "reason": "access"} if { host == "mtls.bench.local" }
else := {"ok": false, "status": 403, "reason": "no-policy"}

request_id := object.get(http.headers, "x-request-id", "")

result := {
  "allowed": true,
  "headers": {"x-palisade-consumer": verdict.consumer, "x-palisade-principal": principal},
  "request_headers_to_remove": ["x-api-key"],
} if verdict.ok

result := {
  "allowed": false,
  "http_status": verdict.status,
  "headers": {"x-palisade-reason": verdict.reason, "content-type": "application/json"},
  "body": json.marshal({"error": verdict.reason, "requestId": request_id}),
} if not verdict.ok
`;

export async function startOpa(bin: string, version: string, ports: { grpc: number; http: number; diag: number }): Promise<RunningPeer> {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-bench-opa-'));
  writeFileSync(join(dir, 'policy.rego'), OPA_POLICY);
  const child = spawn(
    bin,
    [
      'run', '--server', '--addr', `127.0.0.1:${ports.http}`, '--diagnostic-addr', `127.0.0.1:${ports.diag}`, '--log-level', 'error',
      '--set', `plugins.envoy_ext_authz_grpc.addr=127.0.0.1:${ports.grpc}`,
      '--set', 'plugins.envoy_ext_authz_grpc.path=envoy/authz/result',
      '--set', 'decision_logs.console=false',
      join(dir, 'policy.rego'),
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const stop = stopper(child, async () => rmSync(dir, { recursive: true, force: true }));
  try {
    await waitFor('opa-envoy-plugin', child, 30_000, async () => (await fetch(`http://127.0.0.1:${ports.http}/health?plugins`)).ok);
  } catch (e) {
    await stop();
    throw e;
  }
  return { name: `OPA-Envoy ${version}`, version, pid: child.pid as number, grpcPort: ports.grpc, stop };
}

// ---------------------------------------------------------------------------------------------------------------
// Authorino
// ---------------------------------------------------------------------------------------------------------------

/** AuthConfigs (v1beta3) and the API-key Secret equivalent to the apikey and mtls bench policies. */
export function authorinoObjects(namespace: string): Array<Record<string, unknown>> {
  const orders = '^/orders(/[^/?]+)?(\\?.*)?$';
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'bench-client', namespace, labels: { 'authorino.kuadrant.io/managed-by': 'authorino', group: 'bench' } },
      stringData: { api_key: 'bench-key-1' },
    },
    {
      apiVersion: 'authorino.kuadrant.io/v1beta3',
      kind: 'AuthConfig',
      metadata: { name: 'apikey', namespace },
      spec: {
        hosts: ['apikey.bench.local'],
        authentication: { 'api-key': { apiKey: { selector: { matchLabels: { group: 'bench' } } }, credentials: { customHeader: { name: 'x-api-key' } } } },
        authorization: {
          rules: {
            patternMatching: {
              patterns: [
                { any: [
                  { all: [{ selector: 'request.method', operator: 'eq', value: 'GET' }, { selector: 'request.path', operator: 'matches', value: orders }] },
                  { all: [{ selector: 'request.method', operator: 'eq', value: 'POST' }, { selector: 'request.path', operator: 'matches', value: '^/orders(\\?.*)?$' }] },
                ] },
                { selector: 'auth.identity.metadata.name', operator: 'eq', value: 'bench-client' },
              ],
            },
          },
        },
        response: { success: { headers: { 'x-palisade-consumer': { plain: { selector: 'auth.identity.metadata.name' } } } } },
      },
    },
    {
      apiVersion: 'authorino.kuadrant.io/v1beta3',
      kind: 'AuthConfig',
      metadata: { name: 'mtls', namespace },
      spec: {
        hosts: ['mtls.bench.local'],
        authentication: { principal: { plain: { selector: 'context.source.principal' } } },
        authorization: {
          identity: {
            patternMatching: { patterns: [{ selector: 'context.source.principal', operator: 'matches', value: '^spiffe://cluster\\.local/ns/(shop/sa/frontend|[^/]+/sa/checkout)$' }] },
          },
          rules: {
            patternMatching: {
              patterns: [
                { selector: 'request.method', operator: 'eq', value: 'GET' },
                { selector: 'request.path', operator: 'matches', value: orders },
                { selector: 'context.source.principal', operator: 'eq', value: 'spiffe://cluster.local/ns/shop/sa/frontend' },
              ],
            },
          },
        },
      },
    },
  ];
}

type Schema = { type?: string; properties?: Record<string, Schema>; additionalProperties?: Schema | boolean; items?: Schema; 'x-kubernetes-preserve-unknown-fields'?: boolean };

/**
 * Authorino's CRD has untyped "static value" fields (`x-kubernetes-preserve-unknown-fields` without `type`) inside
 * typed objects, which kube-apiserver 1.33 rejects ("type: Required value"). Such a field is dropped from the
 * schema and its parent preserves unknown fields instead: the same objects are accepted, none of them are used here.
 */
function structural(node: Schema): void {
  for (const [k, child] of Object.entries(node.properties ?? {})) {
    if (child.type === undefined && child['x-kubernetes-preserve-unknown-fields'] && !child.properties) {
      delete node.properties?.[k];
      node['x-kubernetes-preserve-unknown-fields'] = true;
    } else structural(child);
  }
  if (node.additionalProperties && typeof node.additionalProperties === 'object') structural(node.additionalProperties);
  if (node.items) structural(node.items);
}

async function applyAll(kubeconfigPath: string, objects: Array<Record<string, unknown>>): Promise<void> {
  const k8s = await import('@kubernetes/client-node');
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const api = k8s.KubernetesObjectApi.makeApiClient(kc);
  for (const obj of objects) {
    const deadline = Date.now() + 8_000;
    for (;;) {
      try {
        await api.create(obj as Parameters<typeof api.create>[0]);
        break;
      } catch (e) {
        // CRD not established yet: retry for a while.
        if (Date.now() > deadline) throw new Error(`creating ${String(obj['kind'])}: ${(e as Error).message} ${JSON.stringify((e as { body?: unknown }).body ?? "").slice(0, 600)}`);
        await sleep(500);
      }
    }
  }
}

/**
 * Starts the test kube-apiserver (already-built binaries only), installs Authorino's CRD from the module
 * source, the AuthConfigs and the Secret, and runs `authorino server` against it.
 */
export async function startAuthorino(bin: string, version: string, ports: { grpc: number; http: number; metrics: number; health: number; oidc: number; webhook: number }, probe: (port: number) => Promise<boolean>): Promise<RunningPeer> {
  const { startControlPlane } = await import('../test/controlplane/control-plane.ts');
  const cp = await startControlPlane({ build: false, log: () => undefined });
  let child: ChildProcess | undefined;
  const cleanup = async () => {
    if (child) await stopper(child)();
    await cp.stop();
  };
  try {
    // install/manifests.yaml is the kustomized install (the CRD with its oneOf patches applied); only the CRDs.
    const manifests = join(moduleDir(PEER_MODULES.authorino.module, PEER_MODULES.authorino.version), 'install', 'manifests.yaml');
    const crds = parseAllDocuments(readFileSync(manifests, 'utf8'))
      .map((d) => d.toJS() as Record<string, unknown> | null)
      .filter((d): d is Record<string, unknown> => d !== null && d['kind'] === 'CustomResourceDefinition');
    for (const crd of crds) for (const v of ((crd['spec'] as { versions?: Array<{ schema?: { openAPIV3Schema?: Schema } }> }).versions ?? [])) if (v.schema?.openAPIV3Schema) structural(v.schema.openAPIV3Schema);
    await applyAll(cp.kubeconfigPath, crds);
    await applyAll(cp.kubeconfigPath, authorinoObjects('bench'));
    child = spawn(
      bin,
      [
        'server',
        '--ext-auth-grpc-port', String(ports.grpc), '--ext-auth-http-port', String(ports.http),
        '--metrics-addr', `127.0.0.1:${ports.metrics}`, '--health-probe-addr', `127.0.0.1:${ports.health}`,
        '--oidc-http-port', String(ports.oidc), '--webhook-service-port', String(ports.webhook),
        '--log-level', 'error', '--watch-namespace', 'bench',
      ],
      { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, KUBECONFIG: cp.kubeconfigPath } },
    );
    await waitFor('authorino', child, 60_000, () => probe(ports.grpc));
  } catch (e) {
    await cleanup();
    throw e;
  }
  return { name: `Authorino ${version}`, version, pid: child.pid as number, grpcPort: ports.grpc, stop: cleanup };
}

// ---------------------------------------------------------------------------------------------------------------
// envoyproxy/ratelimit
// ---------------------------------------------------------------------------------------------------------------

/** The domain and limits of bench/policies' `limits` policy, in ratelimit's configuration format. */
export const RATELIMIT_CONFIG = `domain: bench
descriptors:
  # No value: every consumer / every client IP has its own counter, like Palisade's per-consumer and per-ip keys.
  - key: consumer
    rate_limit: { unit: second, requests_per_unit: 1000000 }
  - key: remote_address
    rate_limit: { unit: second, requests_per_unit: 1000000 }
`;

/** Starts ratelimit on Redis (`redisHostPort`, TCP) with RATELIMIT_CONFIG; ready when /healthcheck answers. */
export async function startRatelimit(bin: string, version: string, ports: { grpc: number; http: number; debug: number }, redisHostPort: string): Promise<RunningPeer> {
  const dir = mkdtempSync(join(tmpdir(), 'palisade-bench-ratelimit-'));
  mkdirSync(join(dir, 'ratelimit', 'config'), { recursive: true });
  writeFileSync(join(dir, 'ratelimit', 'config', 'bench.yaml'), RATELIMIT_CONFIG);
  // Its stats sink logs every flush at debug level whatever LOG_LEVEL says: stderr goes to a file.
  const stderr = openSync(join(dir, 'stderr.log'), 'a');
  const child = spawn(bin, [], {
    stdio: ['ignore', 'ignore', stderr],
    env: {
      PATH: process.env['PATH'] ?? '/usr/bin:/bin',
      HOST: '127.0.0.1', PORT: String(ports.http),
      GRPC_HOST: '127.0.0.1', GRPC_PORT: String(ports.grpc),
      DEBUG_HOST: '127.0.0.1', DEBUG_PORT: String(ports.debug),
      RUNTIME_ROOT: dir, RUNTIME_SUBDIRECTORY: 'ratelimit', RUNTIME_APPDIRECTORY: 'config', RUNTIME_WATCH_ROOT: 'false',
      USE_STATSD: 'false', LOG_LEVEL: 'warn',
      BACKEND_TYPE: 'redis', REDIS_SOCKET_TYPE: 'tcp', REDIS_URL: redisHostPort,
    },
  });
  closeSync(stderr);
  const stop = stopper(child, async () => rmSync(dir, { recursive: true, force: true }));
  try {
    await waitFor('ratelimit', child, 30_000, async () => (await fetch(`http://127.0.0.1:${ports.http}/healthcheck`)).ok);
  } catch (e) {
    const log = readFileSync(join(dir, 'stderr.log'), 'utf8').split('\n').filter((l) => !l.includes('"level":"debug"')).slice(-20).join('\n');
    await stop();
    throw new Error(`${(e as Error).message}\n${log}`);
  }
  return { name: `envoyproxy/ratelimit ${version.replace(/^v[0-9.]+-0\.(\d{8})\d+-([0-9a-f]{7}).*$/, '$1-$2')}`, version, pid: child.pid as number, grpcPort: ports.grpc, stop };
}
