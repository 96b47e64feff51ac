/**
 * operator entry point: `node operator/src/main.ts [--kubeconfig path] [--namespace ns] ...`.
 * SIGTERM/SIGINT release the Lease, close the snapshot streams and exit.
 */
import { createLogger } from '../../authz-server/src/logging.ts';
import { runProcess } from '../../authz-server/src/process-lifecycle.ts';
import { USAGE, parseConfig } from './config.ts';
import { startOperator } from './operator.ts';

await runProcess({
  name: 'operator',
  usage: USAGE,
  parse: (argv) => parseConfig(argv),
  createLogger: (config) => createLogger(config.logLevel, 'palisade-operator'),
  start: startOperator,
});
