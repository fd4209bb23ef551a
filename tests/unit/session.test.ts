import { describe, expect, it } from 'vitest';
import { INITIAL_STREAM_CREDIT, MAX_MESSAGE_BYTES, type HostMessage } from '../../shared/protocol.js';
import { RpcSession } from '../../electron/core/dispatch/session.js';
import { testCore } from '../helpers/core.js';
import { until } from '../helpers/until.js';

async function session() {
  const core = await testCore();
  const replies: HostMessage[] = [];
  const rpc = new RpcSession(core.handlers, (m) => replies.push(m), core.log);
  return { core, replies, rpc };
}

describe('RpcSession: every message is checked before a service sees it', () => {
  it('answers a valid call', async () => {
    const { replies, rpc } = await session();
    rpc.receive({ t: 'call', id: 1, op: 'app.info', input: {} });
    await until('1 reply', () => replies.length === 1, 5_000);
    expect(replies[0]).toMatchObject({ t: 'result', id: 1, value: { name: 'Tributary', host: 'web' } });
  });

  it('refuses unreadable envelopes with BAD_MESSAGE, keeping the id when it can', async () => {
    const { replies, rpc } = await session();
    for (const raw of [
      null,
      42,
      'x',
      [],
      { t: 'nope' },
      { t: 'call', id: -1, op: 'app.info' },
      { t: 'call', id: 7 },
      { t: 'ack', id: 3, n: 0 },
    ])
      rpc.receive(raw);
    await until('8 replies', () => replies.length === 8, 5_000);
    expect(replies.every((r) => r.t === 'error' && r.error.code === 'BAD_MESSAGE')).toBe(true);
    expect(replies[6]).toMatchObject({ id: 7 });
    expect(replies[0]).toMatchObject({ id: null });
  });

  it('refuses unknown operations without reaching any handler', async () => {
    const { replies, rpc } = await session();
    rpc.receive({ t: 'call', id: 1, op: 'constructor', input: {} });
    rpc.receive({ t: 'call', id: 2, op: '__proto__', input: {} });
    rpc.receive({ t: 'call', id: 3, op: 'app.info.extra', input: {} });
    await until('3 replies', () => replies.length === 3, 5_000);
    expect(replies.map((r) => r.t === 'error' && r.error.code)).toEqual(['UNKNOWN_OPERATION', 'UNKNOWN_OPERATION', 'UNKNOWN_OPERATION']);
  });

  it('names the invalid field in a validation error', async () => {
    const { replies, rpc } = await session();
    rpc.receive({ t: 'call', id: 1, op: 'settings.update', input: { patch: { editorFontSize: 200 } } });
    rpc.receive({ t: 'call', id: 2, op: 'settings.update', input: { patch: { theme: 'neon' }, extra: 1 } });
    await until('2 replies', () => replies.length === 2, 5_000);
    expect(replies[0]).toMatchObject({ t: 'error', error: { code: 'VALIDATION', issues: [{ path: 'patch.editorFontSize' }] } });
    expect(replies[0]!.t === 'error' && replies[0]!.error.message).toMatch(/settings\.update: patch\.editorFontSize/);
    expect(replies[1]!.t === 'error' && replies[1]!.error.issues?.map((i) => i.path).sort()).toEqual(['', 'patch.theme']);
  });

  it('refuses oversized and non-JSON input', async () => {
    const { replies, rpc } = await session();
    rpc.receive({ t: 'call', id: 1, op: 'secrets.set', input: { name: 'x', value: 'v'.repeat(MAX_MESSAGE_BYTES) } });
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    rpc.receive({ t: 'call', id: 2, op: 'app.info', input: cyclic });
    rpc.receive({ t: 'call', id: 3, op: 'app.info', input: { n: 10n } });
    await until('3 replies', () => replies.length === 3, 5_000);
    expect(replies.map((r) => r.t === 'error' && r.error.code)).toEqual(['PAYLOAD_TOO_LARGE', 'VALIDATION', 'VALIDATION']);
  });

  it('refuses a request id that is still in flight', async () => {
    const { replies, rpc } = await session();
    rpc.receive({ t: 'call', id: 5, op: 'logs.follow', input: { backlog: 0 } });
    rpc.receive({ t: 'call', id: 5, op: 'app.info', input: {} });
    await until('1 reply', () => replies.length === 1, 5_000);
    expect(replies[0]).toMatchObject({ t: 'error', id: 5, error: { code: 'BAD_MESSAGE' } });
    rpc.close();
  });

  it('holds a stream at its credit until the client acknowledges, then resumes', async () => {
    const { core, replies, rpc } = await session();
    for (let i = 0; i < 200; i++) core.log.info('test', `line ${i}`);
    rpc.receive({ t: 'call', id: 1, op: 'logs.follow', input: { backlog: 200 } });
    await until('INITIAL_STREAM_CREDIT replies', () => replies.length === INITIAL_STREAM_CREDIT, 5_000);
    await new Promise((r) => setTimeout(r, 100));
    expect(replies.length).toBe(INITIAL_STREAM_CREDIT);
    rpc.receive({ t: 'ack', id: 1, n: 10 });
    await until('INITIAL_STREAM_CREDIT + 10 replies', () => replies.length === INITIAL_STREAM_CREDIT + 10, 5_000);
    await new Promise((r) => setTimeout(r, 50));
    expect(replies.length).toBe(INITIAL_STREAM_CREDIT + 10);
    expect(replies.every((r) => r.t === 'chunk')).toBe(true);
    rpc.close();
  });

  it('cancels a stream: an error CANCELLED, then nothing more', async () => {
    const { core, replies, rpc } = await session();
    rpc.receive({ t: 'call', id: 1, op: 'logs.follow', input: { backlog: 0 } });
    core.log.info('test', 'before cancel');
    await until('1 reply', () => replies.length === 1, 5_000);
    rpc.receive({ t: 'cancel', id: 1 });
    await until('2 replies', () => replies.length === 2, 5_000);
    expect(replies[1]).toMatchObject({ t: 'error', id: 1, error: { code: 'CANCELLED' } });
    core.log.info('test', 'after cancel');
    await new Promise((r) => setTimeout(r, 50));
    expect(replies.length).toBe(2);
  });
});
