/**
 * authz-server entry point: `node authz-server/src/app/main.ts --policies examples/policies [--redis url]`.
 * SIGTERM/SIGINT drain in-flight Checks and exit; SIGHUP reloads policy files.
 */
import cluster from 'node:cluster';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { SHARED_CHALLENGE_KEY_ENV, USAGE, parseConfig, type AuthzConfig } from './config.ts';
import { createLogger } from '../../../lib/process/logging.ts';
import { runProcess } from '../../../lib/process/process-lifecycle.ts';
import { lowerGcThreadPriority } from './gc-threads.ts';
import { startAuthzServer } from './server.ts';

/**
 * `--workers N`: the primary only forks N workers (each a full authz-server on the same gRPC and HTTP ports,
 * connections spread round-robin by node:cluster), restarts a worker that dies, and forwards SIGHUP (reload) and
 * SIGTERM/SIGINT (drain, then exit 0 when every worker has exited). Each worker keeps its own snapshot holder,
 * bot state and metrics (/metrics shows the worker that answered); rate-limit counters are shared only through
 * --redis / --redis-cluster.
 */
function runPrimary(config: AuthzConfig, logger: Logger): void {
  if (!config.redisUrl && !config.redisClusterNodes) {
    logger.warn({ workers: config.workers }, 'in-memory counters are per worker: rate limits are enforced per process (use --redis to share them)');
  }
  let stopping = false;
  // Without a key file, one random challenge key for all workers, so each accepts the passes the others issue.
  const env = config.challengeKeyFile ? {} : { [SHARED_CHALLENGE_KEY_ENV]: randomBytes(32).toString('hex') };
  const fork = () => cluster.fork(env);
  for (let i = 0; i < config.workers; i++) fork();
  cluster.on('exit', (worker, code, signal) => {
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) {
        logger.info('authz-server stopped');
        process.exit(0);
      }
      return;
    }
    logger.error({ pid: worker.process.pid, code, signal }, 'worker exited; starting a new one');
    setTimeout(fork, 500);
  });
  logger.info({ workers: config.workers, pid: process.pid }, 'authz-server primary started');
  const each = (signal: NodeJS.Signals) => {
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill(signal);
  };
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down workers');
    each('SIGTERM');
    setTimeout(() => {
      logger.error('workers did not exit in time');
      process.exit(1);
    }, config.shutdownGraceMs + 5000).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', () => each('SIGHUP'));
}

await runProcess({
  name: 'authz-server',
  usage: USAGE,
  parse: (argv) => parseConfig(argv),
  createLogger: (config) => createLogger(config.logLevel, 'palisade-authz'),
  delegate: (config, logger) => {
    if (config.workers <= 1 || !cluster.isPrimary) return false;
    runPrimary(config, logger);
    return true;
  },
  start: (config, logger) => {
    const gcThreads = lowerGcThreadPriority(config.gcThreadNice);
    logger.debug({ nice: config.gcThreadNice, threads: gcThreads.reniced.length, skipped: gcThreads.skipped }, 'garbage-collection helper threads');
    return startAuthzServer(config, logger);
  },
  onStarted: (server) => process.on('SIGHUP', () => void server.reload()),
});
