import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtInEngines, EngineRegistry } from '../../electron/core/engines/registry.js';
import { contract, operationNames, type ConnectionSpec, type OpName } from '../../shared/contract/index.js';
import type { HostMessage } from '../../shared/protocol.js';
import { inputsFor } from '../helpers/schema-arbitrary.js';
import { startWebHostProcess, type WebHostProcess } from '../helpers/web-host-process.js';
import { SocketPeer, openSocket } from '../helpers/ws-client.js';

const RUNS_PER_OPERATION = 400;
/**
 * Valid calls to these start or delete the local sandbox, or dial whatever host
 * the input names (any SSH host alias is also a hostname); their refusals are
 * fuzzed, their valid calls have their own tests.
 */
const engines = new EngineRegistry(builtInEngines);

/** The edge checks a connection spec's engine kind; main then checks its options with that engine's schema. Both make it valid. */
function engineOptionsValid(input: unknown): boolean {
  const spec = (input as { spec?: unknown } | null)?.spec;
  if (!spec || typeof spec !== 'object' || !('engine' in spec)) return true;
  try {
    engines.check(spec as ConnectionSpec);
    return true;
  } catch {
    return false;
  }
}

const TOO_REAL_TO_REPEAT = new Set<OpName>(['sandbox.start', 'sandbox.stop', 'sandbox.reset', 'sessions.openBastion']);

let host: WebHostProcess;
let peer: SocketPeer;
let nextId = 1;

beforeAll(async () => {
  host = await startWebHostProcess();
  peer = new SocketPeer(await openSocket(host.port, { token: host.token }));
});
afterAll(async () => {
  peer?.socket.close();
  await host?.stop();
});

/**
 * Sends one call and returns its final answer. A stream is cancelled right away:
 * the host checks the call before it reads the cancel, so an accepted stream
 * ends CANCELLED and a refused one with the refusal.
 */
async function send(op: OpName, input: unknown): Promise<HostMessage> {
  const id = nextId++;
  peer.send({ t: 'call', id, op, input });
  if (contract[op].kind === 'stream') peer.send({ t: 'cancel', id });
  const answer = await peer.reply(id);
  peer.messages.length = 0;
  return answer;
}

describe('every declared operation, fed inputs generated from its schema', () => {
  it.each(operationNames)('%s: valid input is served, invalid input is a VALIDATION error, never a crash', async (name: OpName) => {
    const operation = contract[name];
    let accepted = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(inputsFor(operation.input), async (input) => {
        const valid =
          operation.input.safeParse(input).success && JSON.stringify(input).length <= operation.maxInputBytes && engineOptionsValid(input);
        if (valid && TOO_REAL_TO_REPEAT.has(name)) {
          accepted++;
          return;
        }
        const answer = await send(name, input);
        if (valid) {
          accepted++;
          // A valid request may still fail for a reason of the world (no such environment, the sandbox
          // not running, the sandbox not removable), never of shape or of a bug.
          if (answer.t === 'error') expect(['NOT_FOUND', 'CANCELLED', 'UNAVAILABLE', 'CONFLICT']).toContain(answer.error.code);
        } else {
          refused++;
          expect(answer).toMatchObject({ t: 'error', error: { code: expect.stringMatching(/^(VALIDATION|PAYLOAD_TOO_LARGE)$/) } });
        }
      }),
      { numRuns: RUNS_PER_OPERATION },
    );
    expect(refused).toBeGreaterThan(RUNS_PER_OPERATION / 10);
    expect(accepted + refused).toBe(RUNS_PER_OPERATION);
  });

  it('refuses oversized input to every operation with PAYLOAD_TOO_LARGE', async () => {
    for (const name of operationNames) {
      const answer = await send(name, { filler: 'x'.repeat(contract[name].maxInputBytes + 1) });
      expect(answer).toMatchObject({ t: 'error', error: { code: 'PAYLOAD_TOO_LARGE' } });
    }
  });

  it('is still up and unchanged in its answers after all of that', async () => {
    expect(await send('app.info', {})).toMatchObject({ t: 'result', value: { name: 'Tributary' } });
    expect(host.child.exitCode).toBeNull();
    expect(host.output()).not.toMatch(/Unhandled|TypeError|ReferenceError/);
  });
});
