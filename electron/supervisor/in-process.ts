import type { Core } from '../core/core.js';
import { RpcSession } from '../core/dispatch/session.js';
import type { CoreEndpoint } from './supervisor.js';

/** A core in the host's own process, for tests that start a web host around a core they built (a fourth engine). */
export function inProcessCore(core: Core): CoreEndpoint {
  return {
    log: core.log,
    connect: (send) => {
      const session = new RpcSession(core.handlers, send, core.log);
      return { receive: (raw) => session.receive(raw), close: () => session.close() };
    },
    dispose: () => core.dispose(),
  };
}
