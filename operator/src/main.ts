/**
 * operator entry point: `node operator/src/main.ts [--kubeconfig path] [--namespace ns] ...`.
 * SIGTERM/SIGINT release the Lease, close the snapshot streams and exit.
 */
import { createLogger } from '../../lib/process/logging.ts';
import { runProcess } from '../../lib/process/process-lifecycle.ts';
import { USAGE, parseConfig } from './config.ts';
import { startOperator } from './operator.ts';

await runProcess({
  name: 'operator',
  usage: USAGE,
  parse: (argv) => parseConfig(argv),
  createLogger: (config) => createLogger(config.logLevel, 'palisade-operator'),
  start: startOperator,
});
