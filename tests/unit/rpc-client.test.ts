import { describe, expect, it } from 'vitest';
import { AppError } from '../../shared/errors.js';
import { INITIAL_STREAM_CREDIT } from '../../shared/protocol.js';
import { RpcClient } from '../../shared/rpc-client.js';
import { testCore } from '../helpers/core.js';
import { LoopbackTransport } from '../helpers/loopback.js';
import { until } from '../helpers/until.js';

describe('RpcClient over a session', () => {
  it('resolves calls with typed results and rejects with AppError', async () => {
    const transport = new LoopbackTransport(await testCore());
    const client = new RpcClient(transport);
    expect((await client.call('environments.list', {})).activeId).toBe('sandbox');
    const failure = await client.call('environments.select', { id: 'nowhere' }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(AppError);
    expect(failure).toMatchObject({ code: 'NOT_FOUND', message: 'No environment named nowhere' });
  });

  it('acknowledges a chunk only after an async consumer finishes with it', async () => {
    const core = await testCore();
    for (let i = 0; i < 100; i++) core.log.info('test', `line ${i}`);
    const transport = new LoopbackTransport(core);
    const client = new RpcClient(transport);
    const seen: number[] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const handle = client.stream(
      'logs.follow',
      { backlog: 100 },
      {
        onChunk: async (line) => {
          seen.push(line.seq);
          if (seen.length === 1) await gate;
        },
      },
    );
    await until('a full credit of chunks', () => transport.received.length === INITIAL_STREAM_CREDIT, 5_000);
    await new Promise((r) => setTimeout(r, 50));
    expect(seen.length).toBe(1);
    expect(transport.sent.filter((m) => m.t === 'ack')).toHaveLength(0);
    release();
    await until('100 chunks', () => seen.length === 100, 5_000);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    handle.cancel();
    await expect(handle.done).rejects.toMatchObject({ code: 'CANCELLED' });
  });

  it('fails pending work with UNAVAILABLE when the transport drops, instead of hanging', async () => {
    const transport = new LoopbackTransport(await testCore());
    const client = new RpcClient(transport);
    const stream = client.stream('logs.follow', { backlog: 0 }, { onChunk: () => undefined });
    transport.drop('The connection to the Tributary host was lost.');
    await expect(stream.done).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    await expect(client.call('app.info', {})).rejects.toMatchObject({ code: 'UNAVAILABLE' });
  });

  it('cancels a call through an AbortSignal', async () => {
    const transport = new LoopbackTransport(await testCore());
    const client = new RpcClient(transport);
    const controller = new AbortController();
    controller.abort();
    await expect(client.call('app.info', {}, controller.signal)).rejects.toMatchObject({ code: 'CANCELLED' });
    expect(transport.sent).toHaveLength(0);
  });
});
