/**
 * `npm run playground`: Palisade on a laptop without Docker or a cluster. Starts a real etcd + kube-apiserver
 * (the test harness's control plane, built once from the Go module proxy), a Redis, the operator and one
 * authz-server on loopback; installs the CRD from crds/, applies the example policies and Secret from
 * examples/policies/ to namespace `shop`, waits until the operator reports them enforced and asks the
 * authz-server for one verdict. Then it prints the kubeconfig and what to try next, and runs until Ctrl-C.
 *
 *   node playground/playground.ts [--dir <path>] [--once]
 *     --dir   where the kubeconfig and the logs go (default .playground/ in the repository)
 *     --once  stop everything and exit once it is up (exit 0) or failed (exit 1): a smoke test
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startControlPlane, type ControlPlane } from '../test/controlplane/control-plane.ts';
import { freePort } from '../test/support/ports.ts';
import { killOnExit } from '../test/support/reap-children.ts';
import { assertRedisInstalled, startRedis, type RedisServerHandle } from '../test/support/redis-server.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const NODE = process.execPath;
const OPERATOR_NAMESPACE = 'palisade-system';
const DEMO_REQUEST = {
  host: 'api.example.com',
  path: '/orders/42',
  principal: 'spiffe://cluster.local/ns/shop/sa/frontend',
  headers: { 'x-api-key': 'demo-mobile-key', accept: 'application/json', 'user-agent': 'Mozilla/5.0', 'accept-language': 'en' },
};

const say = (line: string) => process.stdout.write(`${line}\n`);

function requireCommand(cmd: string, args: string[], hint: string): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new Error(`'${cmd}' is needed and was not found: ${hint}`);
}

function kubectl(kubeconfig: string, args: string[]): string {
  const r = spawnSync('kubectl', ['--kubeconfig', kubeconfig, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`kubectl ${args.join(' ')} failed: ${(r.stderr || r.error?.message || '').trim()}`);
  return r.stdout;
}

/** A Palisade process with its output in a log file. */
function startProcess(name: string, script: string, args: string[], logDir: string): { child: ChildProcess; log: string } {
  const log = join(logDir, `${name}.log`);
  const out = createWriteStream(log);
  const child = killOnExit(spawn(NODE, [join(ROOT, script), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] }));
  child.stdout?.pipe(out);
  child.stderr?.pipe(out);
  return { child, log };
}

async function waitReady(name: string, url: string, child: ChildProcess, log: string, timeoutMs = 60_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`${name} exited (code ${child.exitCode}); see ${log}`);
    try {
      if ((await fetch(url)).status === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  throw new Error(`${name} not ready after ${timeoutMs / 1000}s (${url}); see ${log}`);
}

async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(10_000).then(() => child.kill('SIGKILL'))]);
}

async function main(): Promise<number> {
  const { values } = parseArgs({ options: { dir: { type: 'string' }, once: { type: 'boolean' } } });
  const dir = values.dir ?? join(ROOT, '.playground');
  const rel = relative(process.cwd(), dir);
  const shown = rel === '' ? '.' : rel.startsWith('..') ? dir : rel;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });

  requireCommand('kubectl', ['version', '--client'], 'install kubectl (e.g. apt-get install kubernetes-client, or the release binary)');
  requireCommand('openssl', ['version'], 'apt-get install openssl');
  assertRedisInstalled();

  let cp: ControlPlane | undefined;
  let redis: RedisServerHandle | undefined;
  let operator: ChildProcess | undefined;
  let authz: ChildProcess | undefined;
  const stopAll = async () => {
    await stopChild(authz);
    await stopChild(operator);
    await redis?.stop();
    await cp?.stop();
  };
  try {
    say('starting etcd + kube-apiserver (the first run builds them from the Go module proxy: many minutes) ...');
    cp = await startControlPlane({ log: (l) => say(`  ${l}`) });
    const kubeconfig = join(dir, 'kubeconfig');
    await copyFile(cp.kubeconfigPath, kubeconfig);
    say(`  API server ${cp.server}`);

    say('installing the CRD (kubectl apply -f crds/) and namespaces ...');
    kubectl(kubeconfig, ['apply', '-f', 'crds/']);
    kubectl(kubeconfig, ['wait', '--for=condition=Established', '--timeout=60s', 'crd/apiprotectionpolicies.palisade.dev']);
    kubectl(kubeconfig, ['create', 'namespace', OPERATOR_NAMESPACE]);
    kubectl(kubeconfig, ['create', 'namespace', 'shop']);

    say('starting Redis ...');
    redis = await startRedis();

    const [opGrpc, opHttp, grpc, http, checkPort] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
    say('starting the operator ...');
    const op = startProcess(
      'operator',
      'operator/src/main.ts',
      ['--kubeconfig', kubeconfig, '--namespace', OPERATOR_NAMESPACE, '--identity', 'playground-operator', '--host', '127.0.0.1', '--grpc-port', String(opGrpc), '--http-port', String(opHttp)],
      dir,
    );
    operator = op.child;
    await waitReady('the operator', `http://127.0.0.1:${opHttp}/readyz`, op.child, op.log);

    say('starting an authz-server ...');
    const az = startProcess(
      'authz-server',
      'authz-server/src/app/main.ts',
      ['--operator', `127.0.0.1:${opGrpc}`, '--redis', redis.url, '--host', '127.0.0.1', '--grpc-port', String(grpc), '--http-port', String(http), '--check-port', String(checkPort)],
      dir,
    );
    authz = az.child;
    await waitReady('the authz-server', `http://127.0.0.1:${http}/readyz`, az.child, az.log);

    say('applying examples/policies/ (policies shop/orders and shop/catalog, one API-key Secret) ...');
    kubectl(kubeconfig, ['apply', '-f', 'examples/policies/']);
    kubectl(kubeconfig, ['-n', 'shop', 'wait', '--for=condition=Enforced', '--timeout=60s', 'apiprotectionpolicy/orders', 'apiprotectionpolicy/catalog']);
    say(kubectl(kubeconfig, ['get', 'apiprotectionpolicies', '-A']).trimEnd().replace(/^/gm, '  '));

    const request = JSON.stringify(DEMO_REQUEST);
    const check = spawnSync(NODE, ['authz-server/src/cli/palisade.ts', 'check', '--server', `127.0.0.1:${grpc}`, '--request', request], { cwd: ROOT, encoding: 'utf8' });
    say(`palisade check --server 127.0.0.1:${grpc} (the frontend reads an order with the mobile app's key):`);
    say(check.stdout.trimEnd().replace(/^/gm, '  '));
    if (check.status !== 0) throw new Error(`the demo request was not allowed: ${check.stderr}`);

    const quoted = `'${request}'`;
    const next = [
      '',
      'Palisade playground is up. Everything runs on 127.0.0.1; Ctrl-C stops it all.',
      '',
      `  export KUBECONFIG=${kubeconfig}`,
      '  kubectl get apipol -A                       # Accepted, Enforced, replicas, generations',
      '  kubectl describe apipol -n shop orders      # conditions and Events',
      '  kubectl -n shop edit apipol orders          # change it; a refused edit keeps the previous generation',
      '',
      `  npm run palisade -- check --server 127.0.0.1:${grpc} --request ${quoted}`,
      `  npm run palisade -- check --server 127.0.0.1:${grpc} --request '{"host":"api.example.com","path":"/orders/42"}'   # no mTLS identity: 403 identity`,
      `  curl -s 127.0.0.1:${http}/metrics | grep palisade_decisions_total`,
      `  curl -s 127.0.0.1:${opHttp}/metrics | grep palisade_operator_policy_`,
      '',
      `  logs: ${join(shown, 'operator.log')}, ${join(shown, 'authz-server.log')}; Redis ${redis.url}`,
      '',
    ];
    writeFileSync(join(dir, 'env'), `export KUBECONFIG=${kubeconfig}\nPALISADE_AUTHZ=127.0.0.1:${grpc}\nPALISADE_OPERATOR=127.0.0.1:${opGrpc}\n`);
    say(next.join('\n'));
    if (values.once) {
      await stopAll();
      return 0;
    }
    await new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    });
    say('stopping ...');
    await stopAll();
    return 0;
  } catch (err) {
    process.stderr.write(`playground: ${(err as Error).message}\n`);
    await stopAll().catch(() => {});
    return 1;
  }
}

process.exitCode = await main();
