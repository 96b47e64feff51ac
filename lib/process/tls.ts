/**
 * TLS for Palisade's gRPC ports (ext_authz :9001, snapshot stream :9002) and for the authz-server's connection to
 * the operator. Certificates are read from files (a mounted kubernetes.io/tls Secret: tls.crt, tls.key, ca.crt)
 * and re-read periodically, so a certificate renewed by cert-manager is served without a restart.
 */
import * as grpc from '@grpc/grpc-js';
import { readFile } from 'node:fs/promises';

/** Files of a serving certificate; `clientCa` set = clients must present a certificate signed by it. */
export interface ServerTlsFiles {
  cert: string;
  key: string;
  clientCa: string | null;
}

/** How a client verifies a server (`ca`) and, optionally, which certificate it presents (`cert` + `key`). */
export interface ClientTlsFiles {
  ca: string;
  cert: string | null;
  key: string | null;
}

/** How often certificate files are re-read (kubelet updates mounted Secrets within about a minute). */
export const DEFAULT_TLS_REFRESH_MS = 60_000;

const { FileWatcherCertificateProvider, createCertificateProviderServerCredentials, createCertificateProviderChannelCredentials } = grpc.experimental;

/** The contents of a serving certificate's files. */
export interface ServerTlsContents {
  cert: Buffer;
  key: Buffer;
  clientCa: Buffer | null;
}

async function readNamed(flag: string, path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new Error(`${flag} ${path}: ${(err as Error).message}`);
  }
}

/** Reads a serving certificate's files; rejects naming the flag and file that cannot be read. */
export async function readServerTlsFiles(files: ServerTlsFiles): Promise<ServerTlsContents> {
  return {
    cert: await readNamed('--tls-cert', files.cert),
    key: await readNamed('--tls-key', files.key),
    clientCa: files.clientCa === null ? null : await readNamed('--tls-client-ca', files.clientCa),
  };
}

/**
 * Resolves once `provider` has read its files, so that the server never accepts a connection before it has a
 * certificate (grpc-js would drop such connections, and clients would see a failed RPC).
 */
function loaded(provider: grpc.experimental.CertificateProvider, kind: 'identity' | 'ca'): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`TLS ${kind} certificate files were not read within 10 s`)), 10_000);
    const done = (update: unknown) => {
      if (update === null) return;
      clearTimeout(timer);
      // Removing the last listener stops the file watcher but keeps what it read; the server's credentials
      // subscribe next and get it at once.
      if (kind === 'identity') provider.removeIdentityCertificateListener(done);
      else provider.removeCaCertificateListener(done);
      resolve();
    };
    if (kind === 'identity') provider.addIdentityCertificateListener(done);
    else provider.addCaCertificateListener(done);
  });
}

/**
 * Plaintext when `files` is null, else TLS (mutual when `clientCa` is set) with certificates re-read from disk
 * every `refreshIntervalMs`. Rejects when a file cannot be read.
 */
export async function serverCredentials(files: ServerTlsFiles | null, refreshIntervalMs = DEFAULT_TLS_REFRESH_MS): Promise<grpc.ServerCredentials> {
  if (!files) return grpc.ServerCredentials.createInsecure();
  // Read once so that a missing or unreadable file fails the start with its name.
  await readServerTlsFiles(files);
  const identity = new FileWatcherCertificateProvider({ certificateFile: files.cert, privateKeyFile: files.key, refreshIntervalMs });
  const ca = files.clientCa ? new FileWatcherCertificateProvider({ caCertificateFile: files.clientCa, refreshIntervalMs }) : null;
  await Promise.all([loaded(identity, 'identity'), ...(ca ? [loaded(ca, 'ca')] : [])]);
  // grpc-js 1.14 declares this function's parameters as (ca, identity, require) but hands them to the credentials'
  // constructor as (identity, ca, require), which is the order that works: identity first. test/authz/tls.test.ts
  // fails if a grpc-js update changes that.
  return createCertificateProviderServerCredentials(identity, ca, files.clientCa !== null);
}

/** Plaintext when `files` is null, else TLS verifying the server with `ca` (and presenting cert/key when given). */
export function channelCredentials(files: ClientTlsFiles | null, refreshIntervalMs = DEFAULT_TLS_REFRESH_MS): grpc.ChannelCredentials {
  if (!files) return grpc.credentials.createInsecure();
  const ca = new FileWatcherCertificateProvider({ caCertificateFile: files.ca, refreshIntervalMs });
  const identity = files.cert && files.key ? new FileWatcherCertificateProvider({ certificateFile: files.cert, privateKeyFile: files.key, refreshIntervalMs }) : null;
  return createCertificateProviderChannelCredentials(ca, identity);
}
