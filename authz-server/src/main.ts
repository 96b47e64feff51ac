/**
 * authz-server entry point: `node authz-server/src/main.ts --policies examples/policies [--redis url]`.
 * SIGTERM/SIGINT drain in-flight Checks and exit; SIGHUP reloads policy files.
 */
import { ConfigError, USAGE, parseConfig } from './config.ts';
import { createLogger } from './logging.ts';
import { startAuthzServer } from './server.ts';

async function main(): Promise<void> {
  let config;
  try {
    config = parseConfig(process.argv.slice(2));
  } catch (err) {
    if (err instanceof ConfigError) {
      if (err.message === 'help') {
        process.stdout.write(USAGE);
        process.exit(0);
      }
      process.stderr.write(`authz-server: ${err.message}\n\n${USAGE}`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger(config.logLevel, 'palisade-authz');
  process.on('uncaughtException', (err) => {
    logger.fatal({ err }, 'uncaught exception');
    process.exit(1);
  });
  process.on('unhandledRejection', (err) => {
    logger.error({ err }, 'unhandled rejection');
  });
  let server;
  try {
    server = await startAuthzServer(config, logger);
  } catch (err) {
    logger.fatal({ err: (err as Error).message }, 'authz-server failed to start');
    process.exit(1);
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: draining in-flight checks');
    server.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', () => void server.reload());
}

await main();
