import type { SandboxManager } from '../../../sandbox/client/manager.js';
import type { HandlerGroup } from '../dispatch/handlers.js';

/** The sandbox panel's operations, answered by the sandbox's client (the app's side of the handler table stays in the app). */
export function sandboxHandlers(sandbox: SandboxManager): HandlerGroup {
  return {
    'sandbox.status': () => sandbox.status(),
    'sandbox.start': (_input, { signal }) => sandbox.start(signal),
    'sandbox.stop': () => sandbox.stop(),
    'sandbox.reset': () => sandbox.reset(),
    'sandbox.log': ({ service, lines }) => sandbox.logTail(service, lines),
  };
}
