import type { Logger } from '../../shared/node/log.js';

/**
 * Last line of defence for the web host: an exception no handler caught is logged (redacted, through the app
 * log) and the process keeps serving. The host holds the secret store and every open tab's socket (the core
 * runs in a process of its own, restarted when it dies), so ending it for one bad connection would cost the
 * operator memory-only secrets and every tab.
 */
export function guardProcess(log: Logger): void {
  process.on('uncaughtException', (error) => log.error('web', 'Uncaught exception; the web host keeps serving', error));
  process.on('unhandledRejection', (reason) => log.error('web', 'Unhandled promise rejection; the web host keeps serving', reason));
}
