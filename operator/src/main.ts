/**
 * operator entry point: `node operator/src/main.ts [--kubeconfig path] [--namespace ns] ...`.
 * SIGTERM/SIGINT release the Lease, close the snapshot streams and exit.
 */
import { createLogger } from '../../authz-server/src/logging.ts';
import { ConfigError, USAGE, parseConfig } from './config.ts';
import { startOperator } from './operator.ts';

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
      process.stderr.write(`operator: ${err.message}\n\n${USAGE}`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger(config.logLevel, 'palisade-operator');
  process.on('uncaughtException', (err) => {
    logger.fatal({ err }, 'uncaught exception');
    process.exit(1);
  });
  process.on('unhandledRejection', (err) => {
    logger.error({ err }, 'unhandled rejection');
  });
  let operator;
  try {
    operator = await startOperator(config, logger);
  } catch (err) {
    logger.fatal({ err: (err as Error).message }, 'operator failed to start');
    process.exit(1);
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    operator.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

await main();
