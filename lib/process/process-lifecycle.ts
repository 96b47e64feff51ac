/**
 * The process shell shared by the authz-server and the operator entry points: parse the config (usage on
 * `--help`, exit 2 on a config error), create the logger, log and exit on an uncaught exception, start the
 * service, and on SIGTERM/SIGINT stop it once (exit 0 when it has drained, 1 if stopping failed).
 */
import type { Logger } from 'pino';
import { ConfigError } from './config-values.ts';

/** A started service: `stop` drains and closes it. */
export interface StoppableService {
  stop(): Promise<void>;
}

/** What an entry point plugs into {@link runProcess}. */
export interface ProcessSpec<C, S extends StoppableService> {
  /** Program name for error messages. */
  name: string;
  usage: string;
  parse(argv: string[]): C;
  createLogger(config: C): Logger;
  /** Called before `start`; returning true means this process took another role (e.g. a cluster primary). */
  delegate?(config: C, logger: Logger): boolean;
  start(config: C, logger: Logger): Promise<S>;
  /** Extra signal wiring once the service runs (e.g. SIGHUP reload). */
  onStarted?(service: S, logger: Logger): void;
}

/** Runs an entry point with the shared lifecycle. Never returns normally on failure: it exits the process. */
export async function runProcess<C, S extends StoppableService>(spec: ProcessSpec<C, S>): Promise<void> {
  let config: C;
  try {
    config = spec.parse(process.argv.slice(2));
  } catch (err) {
    if (err instanceof ConfigError) {
      if (err.message === 'help') {
        process.stdout.write(spec.usage);
        process.exit(0);
      }
      process.stderr.write(`${spec.name}: ${err.message}\n\n${spec.usage}`);
      process.exit(2);
    }
    throw err;
  }
  const logger = spec.createLogger(config);
  if (spec.delegate?.(config, logger)) return;
  process.on('uncaughtException', (err) => {
    logger.fatal({ err }, 'uncaught exception');
    process.exit(1);
  });
  process.on('unhandledRejection', (err) => {
    logger.error({ err }, 'unhandled rejection');
  });
  let service: S;
  try {
    service = await spec.start(config, logger);
  } catch (err) {
    logger.fatal({ err: (err as Error).message }, `${spec.name} failed to start`);
    process.exit(1);
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: draining in-flight work');
    service.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  spec.onStarted?.(service, logger);
}
