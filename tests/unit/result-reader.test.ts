import { describe, expect, it } from 'vitest';
import { resultReader } from '../../renderer/src/sections/workbench/result-source.js';
import type { RpcClient } from '../../shared/rpc-client.js';

/**
 * The host's answers to overlapping sort clicks can arrive in either order; a real host answers too fast to
 * order them on purpose, so this stand-in client holds each answer until the test releases it.
 */
function heldClient() {
  const held: { operation: string; input: Record<string, unknown>; answer: (value: unknown) => void; fail: (error: Error) => void }[] = [];
  const client = {
    call: (operation: string, input: Record<string, unknown>) =>
      new Promise((answer, fail) => held.push({ operation, input, answer, fail })),
  } as unknown as RpcClient;
  return { client, held };
}

describe('a result reader under overlapping sort and filter requests', () => {
  it('keeps the last request’s view when the earlier answer arrives last', async () => {
    const { client, held } = heldClient();
    const reader = resultReader(client, 'r1');
    const ascending = reader.setView([{ column: 0, descending: false }]);
    const descending = reader.setView([{ column: 0, descending: true }]);
    held[1]!.answer({ view: 'v-desc', total: 10 });
    held[0]!.answer({ view: 'v-asc', total: 10 });
    expect(await descending).toBe(10);
    expect(await ascending).toBeUndefined();

    const rows = reader.fetch(0, 5);
    expect(held[2]).toMatchObject({ operation: 'results.rows', input: { view: 'v-desc', offset: 0, limit: 5 } });
    held[2]!.answer({ rows: [], total: 10 });
    await rows;
  });

  it('drops a superseded request’s failure, and reports the current one’s', async () => {
    const { client, held } = heldClient();
    const reader = resultReader(client, 'r1');
    const first = reader.setView([{ column: 0, descending: false }]);
    const cleared = reader.setView([]);
    held[0]!.fail(new Error('the view expired'));
    expect(await first).toBeUndefined();
    held[1]!.fail(new Error('result gone'));
    await expect(cleared).rejects.toThrow('result gone');
  });
});
