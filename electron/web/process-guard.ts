import type { Logger } from '../../shared/node/log.js';

/**
 * Last line of defence for the web host: an exception no handler caught is logged (redacted, through the app
 * log) and the process keeps serving. Memory-only secrets, open sessions, tunnels and exports live in this
 * process, so ending it for one bad connection or one failed service would cost the operator all of them.
 */
export function guardProcess(log: Logger): void {
  process.on('uncaughtException', (error) => log.error('web', 'Uncaught exception; the web host keeps serving', error));
  process.on('unhandledRejection', (reason) => log.error('web', 'Unhandled promise rejection; the web host keeps serving', reason));
}
