import { describe, expect, it } from 'vitest';
import { Gate, newToken } from '../../electron/web/auth.js';

const token = newToken();
const gate = new Gate(4321, token);

describe('Gate: Host, Origin and token', () => {
  it('makes a fresh 256-bit token per launch', () => {
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(newToken()).not.toBe(token);
  });

  it.each(['127.0.0.1:4321', 'localhost:4321', 'LOCALHOST:4321'])('accepts Host %s', (host) => {
    expect(gate.checkSite({ host })).toBeUndefined();
  });

  it.each(['evil.example:4321', '127.0.0.1:80', '127.0.0.1', '', '0.0.0.0:4321', '[::1]:4321'])(
    'refuses Host "%s" (DNS rebinding)',
    (host) => {
      expect(gate.checkSite({ host })).toMatchObject({ status: 403, message: expect.stringMatching(/DNS rebinding/) });
    },
  );

  it.each(['http://evil.example', 'http://127.0.0.1:9999', 'null', 'https://127.0.0.1:4321'])('refuses Origin %s', (origin) => {
    expect(gate.checkSite({ host: '127.0.0.1:4321', origin })).toMatchObject({ status: 403 });
  });

  it('refuses a cross-site fetch even without an Origin', () => {
    expect(gate.checkSite({ host: '127.0.0.1:4321', 'sec-fetch-site': 'cross-site' })).toMatchObject({ status: 403 });
  });

  it('accepts the token only as a WebSocket subprotocol beside ours', () => {
    expect(gate.checkSocket({ 'sec-websocket-protocol': `tributary.v1, tributary.token.${token}` })).toBeUndefined();
    expect(gate.checkSocket({ 'sec-websocket-protocol': `tributary.token.${token},tributary.v1` })).toBeUndefined();
  });

  it('refuses missing, wrong and cookie or Bearer tokens with 401 and says which', () => {
    expect(gate.checkSocket({ 'sec-websocket-protocol': 'tributary.v1' })).toMatchObject({
      status: 401,
      message: expect.stringMatching(/needs the token/),
    });
    expect(gate.checkSocket({ 'sec-websocket-protocol': `tributary.v1, tributary.token.${token}x` })).toMatchObject({
      status: 401,
      message: expect.stringMatching(/wrong token/),
    });
    for (const headers of [{ cookie: `tributary_4321=${token}` }, { authorization: `Bearer ${token}` }]) {
      expect(gate.checkSocket({ 'sec-websocket-protocol': 'tributary.v1', ...headers })).toMatchObject({ status: 401 });
    }
  });

  it('refuses a socket that does not speak our subprotocol, token or not (400)', () => {
    expect(gate.checkSocket({})).toMatchObject({ status: 400 });
    expect(gate.checkSocket({ 'sec-websocket-protocol': `chat, tributary.token.${token}` })).toMatchObject({ status: 400 });
  });
});
