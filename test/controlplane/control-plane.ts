/**
 * "envtest for Node": a real etcd + kube-apiserver on 127.0.0.1 for integration tests.
 *
 * The binaries are built from the Go module proxy by `test/controlplane/build.sh` into a cache outside the
 * git tree (`${PALISADE_CACHE:-~/.cache/palisade}/controlplane/...`); startControlPlane() runs that script
 * when they are missing. Certificates are made with the `openssl` CLI (node:crypto cannot issue X.509
 * certificates): a CA, a serving certificate for 127.0.0.1/localhost, a service-account key pair and an admin
 * client certificate in the `system:masters` group. Authorization is RBAC, so tests can act as a non-admin
 * user through {@link ControlPlane.createUserKubeconfig} / {@link issueUserKubeconfig}.
 *
 * Every process started here is SIGKILLed when the Node process exits, so a crashed run leaves none behind.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { closeSync, existsSync, openSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { killOnExit } from '../support/reap-children.ts';

const execFileAsync = promisify(execFile);

/** Path of the script that builds kube-apiserver and etcd into the cache. */
export const BUILD_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'build.sh');

/** Options of {@link startControlPlane}. */
export interface StartControlPlaneOptions {
  /**
   * Run `build.sh` when a binary is missing (default true; a cold build takes many minutes).
   * With false, or with env PALISADE_CONTROLPLANE_NO_BUILD=1, a missing binary is an error that says how to build.
   */
  build?: boolean;
  /** Extra kube-apiserver flags (`--name=value`), appended after the defaults so they win. */
  apiserverArgs?: string[];
  /** Extra etcd flags, appended after the defaults. */
  etcdArgs?: string[];
  /** How long to wait for etcd `/health` and then kube-apiserver `/readyz` (default 120 s). */
  readyTimeoutMs?: number;
  /** Parent directory of the temporary directory (default os.tmpdir()). */
  tmpRoot?: string;
  /** Where progress lines go (default: stderr). Pass `() => {}` to silence. */
  log?: (line: string) => void;
}

/**
 * Everything a test process needs to use a running control plane. Plain data (JSON-serialisable), so it can be
 * handed from a vitest globalSetup to test workers with `provide`/`inject`.
 */
export interface ControlPlaneInfo {
  /** Admin kubeconfig (user in group `system:masters`). */
  kubeconfigPath: string;
  /** `https://127.0.0.1:<port>`. */
  server: string;
  /** PEM of the CA that signed the serving certificate and every client certificate. */
  caPem: string;
  /** CA certificate and key files, used by {@link issueUserKubeconfig}. */
  caCertPath: string;
  caKeyPath: string;
  /** Temporary directory holding certificates, kubeconfigs, etcd data and the logs (`etcd.log`, `kube-apiserver.log`). */
  dir: string;
  /** The kube-apiserver version that was built, e.g. `v1.33.13` (what `/version` reports as gitVersion). */
  k8sVersion: string;
  /** The etcd version that was built, e.g. `v3.6.16`. */
  etcdVersion: string;
  /** Milliseconds from spawning etcd to kube-apiserver answering `/readyz` with 200. */
  startupMs: number;
}

/** A running etcd + kube-apiserver, from {@link startControlPlane}. */
export interface ControlPlane extends ControlPlaneInfo {
  /** Kills kube-apiserver and etcd (SIGTERM, then SIGKILL after 10 s) and removes the temporary directory. Idempotent. */
  stop(): Promise<void>;
  /**
   * Writes a kubeconfig for `user` in `groups`, with a client certificate signed by the cluster CA
   * (CN=user, O=group for each group). The user has no permissions until RBAC grants them. Returns its path.
   */
  createUserKubeconfig(user: string, groups: string[]): Promise<string>;
}

/** Versions and binary paths as build.sh resolves them (env PALISADE_K8S_VERSION / PALISADE_ETCD_VERSION / PALISADE_CACHE). */
export interface ControlPlaneBinaries {
  k8sVersion: string;
  etcdVersion: string;
  apiserverPath: string;
  etcdPath: string;
}

function requireTool(cmd: string, args: string[], why: string): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new Error(`'${cmd}' was not found or does not work (${r.error?.message ?? r.stderr.trim()}); ${why}`);
  }
}

/** Reads versions and cache paths from `build.sh --print-config` (no build). */
export function resolveBinaries(): ControlPlaneBinaries {
  requireTool('bash', ['--version'], 'it runs test/controlplane/build.sh.');
  const r = spawnSync('bash', [BUILD_SCRIPT, '--print-config'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new Error(`${BUILD_SCRIPT} --print-config failed: ${r.error?.message ?? r.stderr}`);
  }
  const kv = new Map<string, string>();
  for (const line of r.stdout.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) kv.set(line.slice(0, i), line.slice(i + 1));
  }
  const get = (k: string): string => {
    const v = kv.get(k);
    if (!v) throw new Error(`${BUILD_SCRIPT} --print-config printed no '${k}=' line:\n${r.stdout}`);
    return v;
  };
  return {
    k8sVersion: get('k8s-version'),
    etcdVersion: get('etcd-version'),
    apiserverPath: get('kube-apiserver'),
    etcdPath: get('etcd'),
  };
}

/**
 * Makes sure kube-apiserver and etcd are in the cache, running build.sh (output to stderr) when one is missing
 * and `build` is true; otherwise throws an error that says how to build them.
 */
export function ensureBinaries(build = true, log: (line: string) => void = defaultLog): ControlPlaneBinaries {
  const bins = resolveBinaries();
  if (existsSync(bins.apiserverPath) && existsSync(bins.etcdPath)) return bins;
  const noBuild = !build || process.env.PALISADE_CONTROLPLANE_NO_BUILD === '1';
  const missing = [bins.apiserverPath, bins.etcdPath].filter((p) => !existsSync(p)).join(', ');
  if (noBuild) {
    throw new Error(
      `kube-apiserver ${bins.k8sVersion} / etcd ${bins.etcdVersion} are not built (missing: ${missing}). ` +
        `Build them once with: bash test/controlplane/build.sh (needs Go and the Go module proxy; a cold build takes many minutes).`,
    );
  }
  log(`binaries missing (${missing}); running ${BUILD_SCRIPT} — a cold build takes many minutes`);
  const r = spawnSync('bash', [BUILD_SCRIPT], { stdio: ['ignore', 2, 2] });
  if (r.error || r.status !== 0) {
    throw new Error(
      `${BUILD_SCRIPT} failed (${r.error?.message ?? `exit ${r.status ?? r.signal}`}); see its output above. ` +
        `The k8s integration tests need a real kube-apiserver and etcd.`,
    );
  }
  if (!existsSync(bins.apiserverPath) || !existsSync(bins.etcdPath)) {
    throw new Error(`${BUILD_SCRIPT} succeeded but ${bins.apiserverPath} / ${bins.etcdPath} are missing`);
  }
  return bins;
}

function defaultLog(line: string): void {
  process.stderr.write(`[controlplane] ${line}\n`);
}

/** N distinct free TCP ports on 127.0.0.1 (all held open together, so they differ). */
async function freePorts(n: number): Promise<number[]> {
  const servers: net.Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < n; i++) {
      const srv = net.createServer();
      servers.push(srv);
      ports.push(
        await new Promise<number>((resolve, reject) => {
          srv.once('error', reject);
          srv.listen(0, '127.0.0.1', () => resolve((srv.address() as net.AddressInfo).port));
        }),
      );
    }
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

async function openssl(args: string[]): Promise<void> {
  try {
    await execFileAsync('openssl', args, { encoding: 'utf8' });
  } catch (err) {
    const e = err as { stderr?: string; message: string };
    throw new Error(`openssl ${args.join(' ')} failed: ${e.stderr || e.message}`);
  }
}

/** A PKCS#8 P-256 private key and its SPKI public key, as PEM. */
function ecKeyPair(): { privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', {
    namedCurve: 'prime256v1',
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return { privateKeyPem: privateKey, publicKeyPem: publicKey };
}

const REQ_CONFIG = '[req]\ndistinguished_name = dn\n[dn]\n';

/** Escapes a value for openssl's `-subj /K=V/...` syntax. */
function subjValue(v: string): string {
  if (/[\n\r\0]/.test(v) || v === '') throw new Error(`invalid certificate subject value ${JSON.stringify(v)}`);
  return v.replace(/[\\/+=]/g, (c) => `\\${c}`);
}

async function writeCa(dir: string): Promise<{ certPath: string; keyPath: string }> {
  const keyPath = join(dir, 'ca.key');
  const certPath = join(dir, 'ca.crt');
  const cnf = join(dir, 'ca.cnf');
  await writeFile(keyPath, ecKeyPair().privateKeyPem, { mode: 0o600 });
  await writeFile(
    cnf,
    REQ_CONFIG +
      '[v3_ca]\nbasicConstraints = critical, CA:TRUE\nkeyUsage = critical, keyCertSign, cRLSign, digitalSignature\nsubjectKeyIdentifier = hash\n',
  );
  await openssl(['req', '-x509', '-new', '-config', cnf, '-extensions', 'v3_ca', '-key', keyPath, '-subj', '/CN=palisade-test-ca', '-days', '365', '-sha256', '-out', certPath]);
  return { certPath, keyPath };
}

/**
 * Issues a certificate signed by the CA. `subject` is in openssl `-subj` syntax (values already escaped).
 * Returns the certificate and key paths.
 */
async function issueCert(
  ca: { certPath: string; keyPath: string },
  outDir: string,
  name: string,
  subject: string,
  ext: { serverSans?: string[]; client?: boolean },
): Promise<{ certPath: string; keyPath: string }> {
  const keyPath = join(outDir, `${name}.key`);
  const csrPath = join(outDir, `${name}.csr`);
  const certPath = join(outDir, `${name}.crt`);
  const cnf = join(outDir, `${name}.cnf`);
  await writeFile(keyPath, ecKeyPair().privateKeyPem, { mode: 0o600 });
  const eku = [ext.serverSans ? 'serverAuth' : '', ext.client ? 'clientAuth' : ''].filter(Boolean).join(', ');
  let extSection =
    '[leaf]\nbasicConstraints = critical, CA:FALSE\nkeyUsage = critical, digitalSignature, keyEncipherment\n' +
    `extendedKeyUsage = ${eku}\nsubjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid\n`;
  if (ext.serverSans) extSection += `subjectAltName = ${ext.serverSans.join(', ')}\n`;
  await writeFile(cnf, REQ_CONFIG + extSection);
  await openssl(['req', '-new', '-config', cnf, '-key', keyPath, '-subj', subject, '-out', csrPath]);
  await openssl([
    'x509', '-req', '-in', csrPath, '-CA', ca.certPath, '-CAkey', ca.keyPath,
    '-set_serial', `0x${randomBytes(16).toString('hex').replace(/^./, '1')}`,
    '-days', '365', '-sha256', '-extfile', cnf, '-extensions', 'leaf', '-out', certPath,
  ]);
  await rm(csrPath, { force: true });
  await rm(cnf, { force: true });
  return { certPath, keyPath };
}

async function writeKubeconfig(
  path: string,
  server: string,
  caPem: string,
  user: string,
  client: { certPath: string; keyPath: string },
): Promise<void> {
  const b64 = async (p: string): Promise<string> => (await readFile(p)).toString('base64');
  // JSON is valid YAML; kubectl and @kubernetes/client-node both read it.
  const kubeconfig = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'palisade-test', cluster: { server, 'certificate-authority-data': Buffer.from(caPem).toString('base64') } }],
    users: [{ name: user, user: { 'client-certificate-data': await b64(client.certPath), 'client-key-data': await b64(client.keyPath) } }],
    contexts: [{ name: `${user}@palisade-test`, context: { cluster: 'palisade-test', user, namespace: 'default' } }],
    'current-context': `${user}@palisade-test`,
    preferences: {},
  };
  await writeFile(path, JSON.stringify(kubeconfig, null, 2) + '\n', { mode: 0o600 });
}

/**
 * Writes a kubeconfig for `user` in `groups` for the control plane described by `info` (e.g. obtained with
 * vitest `inject`), with a fresh client certificate signed by its CA. Returns the kubeconfig path (inside
 * `info.dir`, removed by stop()).
 */
export async function issueUserKubeconfig(info: ControlPlaneInfo, user: string, groups: string[]): Promise<string> {
  const subject = `/CN=${subjValue(user)}` + groups.map((g) => `/O=${subjValue(g)}`).join('');
  const name = `user-${user.replace(/[^A-Za-z0-9_.-]/g, '_')}-${randomUUID().slice(0, 8)}`;
  const client = await issueCert({ certPath: info.caCertPath, keyPath: info.caKeyPath }, info.dir, name, subject, { client: true });
  const path = join(info.dir, `${name}.kubeconfig`);
  await writeKubeconfig(path, info.server, info.caPem, user, client);
  return path;
}

function tail(text: string, lines: number): string {
  return text.split('\n').slice(-lines).join('\n');
}

async function readTail(path: string, lines = 40): Promise<string> {
  try {
    return tail(await readFile(path, 'utf8'), lines);
  } catch {
    return '(no log)';
  }
}

function spawnLogged(bin: string, args: string[], logPath: string): ChildProcess {
  const fd = openSync(logPath, 'a');
  try {
    return killOnExit(spawn(bin, args, { stdio: ['ignore', fd, fd] }));
  } finally {
    closeSync(fd);
  }
}

async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const killed = await Promise.race([exited.then(() => true), sleep(10_000).then(() => false)]);
  if (!killed) {
    child.kill('SIGKILL');
    await exited;
  }
}

/** GETs `url` once; resolves with the status code (0 on a connection error). */
function probe(url: string, tls?: https.RequestOptions): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    const mod = url.startsWith('https:') ? https : http;
    const req = mod.get(url, { ...tls, timeout: 5_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', () => resolve({ status: 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e) => resolve({ status: 0, body: e.message }));
  });
}

async function waitFor(
  what: string,
  url: string,
  tls: https.RequestOptions | undefined,
  deadline: number,
  exited: () => string | undefined,
): Promise<void> {
  let last = '';
  while (Date.now() < deadline) {
    const died = exited();
    if (died) throw new Error(`${what} exited before it was ready (${died})`);
    const r = await probe(url, tls);
    if (r.status === 200) return;
    last = r.status ? `HTTP ${r.status}: ${tail(r.body, 15)}` : r.body;
    await sleep(200);
  }
  throw new Error(`${what} was not ready at ${url} in time; last answer: ${last}`);
}

function exitDescription(child: ChildProcess): string | undefined {
  if (child.exitCode !== null) return `exit code ${child.exitCode}`;
  if (child.signalCode !== null) return `signal ${child.signalCode}`;
  return undefined;
}

/**
 * Starts etcd and kube-apiserver on free 127.0.0.1 ports and waits until `/readyz` answers 200.
 *
 * Builds the binaries first when missing (see {@link StartControlPlaneOptions.build}); needs `openssl` on PATH.
 * kube-apiserver runs with `--authorization-mode=RBAC`, client-certificate authentication against a fresh CA,
 * service accounts signed by a fresh key, `--service-cluster-ip-range=10.0.0.0/24`, the secure port on
 * 127.0.0.1 only and the `ServiceAccount` admission plugin disabled (no controller-manager creates the
 * `default` ServiceAccount). Child output goes to `etcd.log` / `kube-apiserver.log` in the temporary directory;
 * on failure the processes are killed, the directory is removed and the error carries the tail of both logs.
 */
export async function startControlPlane(opts: StartControlPlaneOptions = {}): Promise<ControlPlane> {
  const log = opts.log ?? defaultLog;
  requireTool('openssl', ['version'], 'the control plane needs it to make its certificates. Install it: apt-get install openssl');
  const bins = ensureBinaries(opts.build ?? true, log);

  const dir = await mkdtemp(join(opts.tmpRoot ?? tmpdir(), 'palisade-controlplane-'));
  const etcdLog = join(dir, 'etcd.log');
  const apiLog = join(dir, 'kube-apiserver.log');
  let etcd: ChildProcess | undefined;
  let apiserver: ChildProcess | undefined;
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      await stopChild(apiserver);
      await stopChild(etcd);
      await rm(dir, { recursive: true, force: true });
    })());

  try {
    const [etcdClientPort, etcdPeerPort, apiPort] = (await freePorts(3)) as [number, number, number];
    const server = `https://127.0.0.1:${apiPort}`;

    // Certificates and keys.
    const ca = await writeCa(dir);
    const caPem = await readFile(ca.certPath, 'utf8');
    const serving = await issueCert(ca, dir, 'apiserver', '/CN=kube-apiserver', {
      serverSans: [
        'DNS:localhost', 'IP:127.0.0.1', 'IP:10.0.0.1', 'DNS:kubernetes', 'DNS:kubernetes.default',
        'DNS:kubernetes.default.svc', 'DNS:kubernetes.default.svc.cluster.local',
      ],
    });
    const admin = await issueCert(ca, dir, 'admin', '/CN=palisade-admin/O=system:masters', { client: true });
    const sa = ecKeyPair();
    const saKey = join(dir, 'sa.key');
    const saPub = join(dir, 'sa.pub');
    await writeFile(saKey, sa.privateKeyPem, { mode: 0o600 });
    await writeFile(saPub, sa.publicKeyPem);
    const kubeconfigPath = join(dir, 'admin.kubeconfig');
    await writeKubeconfig(kubeconfigPath, server, caPem, 'palisade-admin', admin);

    const t0 = Date.now();
    const deadline = t0 + (opts.readyTimeoutMs ?? 120_000);
    const etcdClientUrl = `http://127.0.0.1:${etcdClientPort}`;
    const etcdPeerUrl = `http://127.0.0.1:${etcdPeerPort}`;
    log(`starting etcd ${bins.etcdVersion} on ${etcdClientUrl}`);
    etcd = spawnLogged(
      bins.etcdPath,
      [
        '--name=palisade',
        `--data-dir=${join(dir, 'etcd-data')}`,
        `--listen-client-urls=${etcdClientUrl}`,
        `--advertise-client-urls=${etcdClientUrl}`,
        `--listen-peer-urls=${etcdPeerUrl}`,
        `--initial-advertise-peer-urls=${etcdPeerUrl}`,
        `--initial-cluster=palisade=${etcdPeerUrl}`,
        '--initial-cluster-state=new',
        '--unsafe-no-fsync=true',
        '--log-level=warn',
        ...(opts.etcdArgs ?? []),
      ],
      etcdLog,
    );
    const etcdProc = etcd;
    await waitFor('etcd', `${etcdClientUrl}/health`, undefined, deadline, () => exitDescription(etcdProc));

    log(`starting kube-apiserver ${bins.k8sVersion} on ${server}`);
    apiserver = spawnLogged(
      bins.apiserverPath,
      [
        `--etcd-servers=${etcdClientUrl}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        `--secure-port=${apiPort}`,
        `--cert-dir=${join(dir, 'apiserver-certs')}`,
        `--tls-cert-file=${serving.certPath}`,
        `--tls-private-key-file=${serving.keyPath}`,
        `--client-ca-file=${ca.certPath}`,
        '--authorization-mode=RBAC',
        '--anonymous-auth=true',
        '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
        `--service-account-key-file=${saPub}`,
        `--service-account-signing-key-file=${saKey}`,
        '--service-cluster-ip-range=10.0.0.0/24',
        '--endpoint-reconciler-type=none',
        '--disable-admission-plugins=ServiceAccount',
        '--allow-privileged=true',
        '--profiling=false',
        '--v=1',
        ...(opts.apiserverArgs ?? []),
      ],
      apiLog,
    );
    const apiProc = apiserver;
    const tls: https.RequestOptions = {
      ca: caPem,
      cert: await readFile(admin.certPath),
      key: await readFile(admin.keyPath),
    };
    await waitFor('kube-apiserver', `${server}/readyz`, tls, deadline, () => exitDescription(apiProc));
    const startupMs = Date.now() - t0;
    log(`ready in ${startupMs} ms (kubeconfig: ${kubeconfigPath})`);

    const info: ControlPlaneInfo = {
      kubeconfigPath,
      server,
      caPem,
      caCertPath: ca.certPath,
      caKeyPath: ca.keyPath,
      dir,
      k8sVersion: bins.k8sVersion,
      etcdVersion: bins.etcdVersion,
      startupMs,
    };
    return {
      ...info,
      stop,
      createUserKubeconfig: (user: string, groups: string[]) => issueUserKubeconfig(info, user, groups),
    };
  } catch (err) {
    const logs = `--- etcd.log (tail) ---\n${await readTail(etcdLog)}\n--- kube-apiserver.log (tail) ---\n${await readTail(apiLog)}`;
    await stop().catch(() => {});
    throw new Error(`control plane failed to start: ${(err as Error).message}\n${logs}`, { cause: err });
  }
}
