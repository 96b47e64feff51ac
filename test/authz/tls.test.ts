/**
 * TLS on the gRPC ports, as the chart configures it (tls.enabled): the authz-server serves ext_authz over TLS
 * (on the gRPC port through grpc-js and on the Check port through its own HTTP/2 server, from the same files),
 * optionally requiring client certificates, picks up a renewed certificate without a restart, and reaches the
 * operator's snapshot stream over mutual TLS. Certificates are made with the openssl CLI.
 */
import * as grpc from '@grpc/grpc-js';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../authz-server/src/app/config.ts';
import { envoyServices, type CheckRequest, type CheckResponse } from '../../authz-server/src/envoy/protos.ts';
import { compile } from '../../lib/policy/compile.ts';
import { startAuthzServer, type AuthzServer } from '../../authz-server/src/app/server.ts';
import { serverCredentials } from '../../lib/process/tls.ts';
import { parseConfig as parseOperatorConfig } from '../../operator/src/config.ts';
import { SnapshotServer } from '../../operator/src/snapshot-server.ts';
import { makeCa as makeCaIn, makeCert as makeCertIn } from '../support/certs.ts';
import { envoyRequest } from '../support/envoy.ts';
import { captureLogger, policyDoc, writePolicyDir } from '../support/policies.ts';

let dir: string;
const f = (name: string) => join(dir, name);

const makeCa = (name: string) => makeCaIn(dir, name);
const makeCert = (ca: string, name: string, ext: string) => makeCertIn(dir, ca, name, ext);

const SERVER_EXT = 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n';
const CLIENT_EXT = 'extendedKeyUsage=clientAuth\n';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'palisade-tls-'));
  makeCa('ca');
  makeCa('rogue-ca');
  makeCert('ca', 'server-a', SERVER_EXT);
  makeCert('ca', 'server-b', SERVER_EXT);
  makeCert('ca', 'envoy', CLIENT_EXT);
  makeCert('rogue-ca', 'intruder', CLIENT_EXT);
  copyFileSync(f('server-a.crt'), f('tls.crt'));
  copyFileSync(f('server-a.key'), f('tls.key'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const log = captureLogger('warn');
let server: AuthzServer | undefined;
let policies: Awaited<ReturnType<typeof writePolicyDir>> | undefined;
const clients: grpc.Client[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await server?.stop();
  await policies?.cleanup();
  server = undefined;
  policies = undefined;
});

async function start(args: string[], refreshMs = 60_000): Promise<AuthzServer> {
  policies = await writePolicyDir([policyDoc('open', { hosts: ['open.example.com'] })]);
  const config = parseConfig(['--host', '127.0.0.1', '--grpc-port', '0', '--check-port', '0', '--http-port', '0', '--shutdown-grace-ms', '1000', '--policies', policies.dir, ...args], {});
  server = await startAuthzServer({ ...config, tlsRefreshMs: refreshMs }, log.logger);
  return server;
}

function check(port: number, creds: grpc.ChannelCredentials): Promise<CheckResponse> {
  const { authorization } = envoyServices();
  const client = new authorization(`localhost:${port}`, creds);
  clients.push(client);
  return new Promise((resolve, reject) => {
    (client as unknown as { Check: (r: CheckRequest, o: grpc.CallOptions, cb: (e: grpc.ServiceError | null, r: CheckResponse) => void) => void }).Check(
      envoyRequest({ host: 'open.example.com' }),
      { deadline: Date.now() + 3000 },
      (err, res) => (err ? reject(err) : resolve(res)),
    );
  });
}

const ca = () => readFileSync(f('ca.crt'));
/** The gRPC port and the Check port, which take the same TLS flags. */
const ports = (s: AuthzServer): number[] => [s.grpcPort, s.checkPort as number];
const pem = (name: string) => readFileSync(f(name));

/** CN of the certificate the port serves on a fresh TLS connection. */
function servedCn(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ca: ca(), ALPNProtocols: ['h2'] }, () => {
      const cn = sock.getPeerCertificate().subject.CN;
      sock.destroy();
      resolve(Array.isArray(cn) ? cn.join(',') : String(cn));
    });
    sock.once('error', reject);
  });
}

describe('authz-server gRPC over TLS', () => {
  it('serves Check over TLS; a plaintext client gets no answer', async () => {
    const s = await start(['--tls-cert', f('tls.crt'), '--tls-key', f('tls.key')]);
    for (const port of ports(s)) {
      const res = await check(port, grpc.credentials.createSsl(ca()));
      expect(res.status?.code ?? 0).toBe(0);
      await expect(check(port, grpc.credentials.createInsecure())).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    }
  });

  it('refuses to start when a certificate file cannot be read, naming it', async () => {
    await expect(start(['--tls-cert', f('missing.crt'), '--tls-key', f('tls.key')])).rejects.toThrow(`--tls-cert ${f('missing.crt')}: ENOENT`);
  });

  it('with --tls-client-ca, requires a client certificate signed by that CA', async () => {
    const s = await start(['--tls-cert', f('tls.crt'), '--tls-key', f('tls.key'), '--tls-client-ca', f('ca.crt')]);
    for (const port of ports(s)) {
      const ok = await check(port, grpc.credentials.createSsl(ca(), pem('envoy.key'), pem('envoy.crt')));
      expect(ok.status?.code ?? 0).toBe(0);
      await expect(check(port, grpc.credentials.createSsl(ca()))).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
      await expect(check(port, grpc.credentials.createSsl(ca(), pem('intruder.key'), pem('intruder.crt')))).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    }
  });

  it('serves a renewed certificate (files replaced, as kubelet does with a mounted Secret) without a restart', async () => {
    const s = await start(['--tls-cert', f('tls.crt'), '--tls-key', f('tls.key')], 200);
    for (const port of ports(s)) expect(await servedCn(port)).toBe('server-a');
    copyFileSync(f('server-b.key'), f('tls.key'));
    copyFileSync(f('server-b.crt'), f('tls.crt'));
    for (const port of ports(s)) {
      const deadline = Date.now() + 10_000;
      let cn = '';
      while (Date.now() < deadline && (cn = await servedCn(port)) !== 'server-b') await sleep(100);
      expect(cn, `port ${port}`).toBe('server-b');
      expect((await check(port, grpc.credentials.createSsl(ca()))).status?.code ?? 0).toBe(0);
    }
    copyFileSync(f('server-a.crt'), f('tls.crt'));
    copyFileSync(f('server-a.key'), f('tls.key'));
  });

  it('receives snapshots from an operator over mutual TLS (--operator-ca, its own certificate as client certificate)', async () => {
    const op = new SnapshotServer({ logger: log.logger });
    const opPort = await op.listen('127.0.0.1:0', await serverCredentials({ cert: f('server-a.crt'), key: f('server-a.key'), clientCa: f('ca.crt') }));
    try {
      const doc = policyDoc('orders', { hosts: ['orders.example.com'] }) as { metadata: Record<string, unknown> };
      doc.metadata['generation'] = 1;
      op.publish(compile([doc as never], [], new Date()).snapshot);
      const config = parseConfig(
        ['--host', '127.0.0.1', '--grpc-port', '0', '--check-port', '0', '--http-port', '0', '--shutdown-grace-ms', '1000', '--operator', `localhost:${opPort}`, '--operator-ca', f('ca.crt'), '--tls-cert', f('envoy.crt'), '--tls-key', f('envoy.key')],
        {},
      );
      server = await startAuthzServer(config, log.logger);
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline && op.replicas()[0]?.ackedVersion !== op.current?.version) await sleep(50);
      expect(op.replicas()[0]?.ackedVersion).toBe(op.current?.version);
      expect((await fetch(`http://127.0.0.1:${server.httpPort}/readyz`)).status).toBe(200);
    } finally {
      await server?.stop();
      server = undefined;
      await op.close();
    }
  });
});

describe('TLS flags', () => {
  const base = ['--policies', 'examples/policies'];
  it.each([
    [['--tls-cert', 'c.pem'], '--tls-cert and --tls-key go together'],
    [['--tls-key', 'k.pem'], '--tls-cert and --tls-key go together'],
    [['--tls-client-ca', 'ca.pem'], '--tls-client-ca needs --tls-cert and --tls-key'],
    [['--operator-ca', 'ca.pem'], '--operator-ca needs --operator'],
  ])('%j is refused: %s', (args, message) => {
    expect(() => parseConfig([...base, ...args], {})).toThrow(ConfigError);
    expect(() => parseConfig([...base, ...args], {})).toThrow(message);
  });

  it('reads the environment too (PALISADE_TLS_*)', () => {
    const c = parseConfig(base, { PALISADE_TLS_CERT: '/t/tls.crt', PALISADE_TLS_KEY: '/t/tls.key', PALISADE_TLS_CLIENT_CA: '/t/ca.crt' });
    expect(c.tls).toEqual({ cert: '/t/tls.crt', key: '/t/tls.key', clientCa: '/t/ca.crt' });
    expect(c.operatorTls).toBeNull();
  });

  it('the operator takes the same TLS flags for its snapshot port (what the chart passes)', () => {
    const c = parseOperatorConfig(['--tls-cert', '/t/tls.crt', '--tls-key', '/t/tls.key', '--tls-client-ca', '/t/ca.crt'], {});
    expect(c.tls).toEqual({ cert: '/t/tls.crt', key: '/t/tls.key', clientCa: '/t/ca.crt' });
    expect(parseOperatorConfig([], {}).tls).toBeNull();
    expect(() => parseOperatorConfig(['--tls-key', '/t/tls.key'], {})).toThrow('--tls-cert and --tls-key go together');
    expect(() => parseOperatorConfig(['--tls-client-ca', '/t/ca.crt'], {})).toThrow('--tls-client-ca needs --tls-cert and --tls-key');
  });
});
