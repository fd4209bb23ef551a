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

  it("accepts the token as Bearer, as WebSocket subprotocol, or as this port's cookie", () => {
    expect(gate.checkToken({ authorization: `Bearer ${token}` })).toBeUndefined();
    expect(gate.checkToken({ 'sec-websocket-protocol': `tributary.v1, tributary.token.${token}` })).toBeUndefined();
    expect(gate.checkToken({ cookie: `other=1; tributary_4321=${token}` })).toBeUndefined();
  });

  it('refuses missing, wrong and other-port tokens with 401 and says which', () => {
    expect(gate.checkToken({})).toMatchObject({ status: 401, message: expect.stringMatching(/needs the token/) });
    expect(gate.checkToken({ authorization: `Bearer ${token}x` })).toMatchObject({
      status: 401,
      message: expect.stringMatching(/wrong token/),
    });
    expect(gate.checkToken({ cookie: `tributary_9999=${token}` })).toMatchObject({ status: 401 });
    expect(gate.checkToken({ authorization: token })).toMatchObject({ status: 401 });
  });

  it('issues an HttpOnly, same-site cookie', () => {
    expect(gate.sessionCookie(token)).toBe(`tributary_4321=${token}; HttpOnly; SameSite=Strict; Path=/`);
  });
});
