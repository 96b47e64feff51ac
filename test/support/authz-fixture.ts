/**
 * One authz-server for a test: the policy directory written, the server started on it with a captured logger,
 * an Envoy-shaped gRPC client open, and all three undone by close().
 */
import { afterAll, beforeAll } from 'vitest';
import type { AuthzServer } from '../../authz-server/src/app/server.ts';
import { authzClient, type AuthzClient } from './envoy.ts';
import { captureLogger, startTestServer, writePolicyDir, type CapturedLog } from './policies.ts';

/** A running authz-server with its policy directory, client and log. */
export interface AuthzFixture {
  server: AuthzServer;
  client: AuthzClient;
  policies: Awaited<ReturnType<typeof writePolicyDir>>;
  log: CapturedLog;
  /** Closes the client, stops the server and deletes the policy directory (whatever of them was started). */
  close(): Promise<void>;
}

/** Writes `docs` to a policy directory and starts a server on it (extra flags in `args`), with a client. */
export async function openAuthz(docs: unknown[], args: string[] = [], log: CapturedLog = captureLogger()): Promise<AuthzFixture> {
  const policies = await writePolicyDir(docs);
  let server: AuthzServer;
  try {
    server = await startTestServer(['--policies', policies.dir, ...args], log.logger);
  } catch (e) {
    await policies.cleanup();
    throw e;
  }
  const client = authzClient(server.grpcPort);
  return {
    server,
    client,
    policies,
    log,
    async close() {
      client.close();
      await server.stop();
      await policies.cleanup();
    },
  };
}

/**
 * openAuthz for a whole describe block: opened in beforeAll (`docs` is called there), closed in afterAll. The
 * log is there at once; the other fields once beforeAll has run.
 */
export function useAuthz(docs: () => unknown[] | Promise<unknown[]>, args: string[] = []): AuthzFixture {
  const log = captureLogger();
  let opened: AuthzFixture | undefined;
  const fixture = { log } as AuthzFixture;
  beforeAll(async () => {
    opened = await openAuthz(await docs(), args, log);
    Object.assign(fixture, opened);
  });
  afterAll(async () => {
    await opened?.close();
  });
  return fixture;
}
