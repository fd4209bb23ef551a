import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_MESSAGE_BYTES } from '../../shared/protocol.js';
import { startWebHostProcess, type WebHostProcess } from '../helpers/web-host-process.js';
import { SocketPeer, httpGet, openSocket } from '../helpers/ws-client.js';

let host: WebHostProcess;

beforeAll(async () => {
  host = await startWebHostProcess();
});
afterAll(async () => {
  await host?.stop();
});

/** Local addresses of listening TCP sockets on a port, from the kernel's own table. */
function listeningAddresses(port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  const rows = ['/proc/net/tcp', '/proc/net/tcp6'].flatMap((file) => readFileSync(file, 'utf8').split('\n').slice(1));
  return rows
    .map((row) => row.trim().split(/\s+/))
    .filter((cols) => cols[1]?.endsWith(`:${hexPort}`) && cols[3] === '0A')
    .map((cols) => cols[1]!.split(':')[0]!);
}

describe('web host: who may connect', () => {
  it('listens on 127.0.0.1 only', () => {
    expect(listeningAddresses(host.port)).toEqual(['0100007F']);
  });

  it('serves the bundle without any token (it holds no secret), with CSP and no path escape', async () => {
    const index = await httpGet(host.port, '/', { accept: 'text/html' });
    expect(index.status).toBe(200);
    expect(index.body).toContain('<div id="root">');
    expect(index.body).not.toContain(host.token);
    expect(index.headers['content-security-policy']).toMatch(/script-src 'self'/);
    expect(index.headers['x-content-type-options']).toBe('nosniff');
    for (const path of ['/../package.json', '/%2e%2e/package.json', '/..%2fpackage.json', '/%00']) {
      expect((await httpGet(host.port, path)).status).toBe(404);
    }
  });

  it('refuses a foreign Host (DNS rebinding) and a foreign Origin with 403, even for the bundle', async () => {
    const rebound = await httpGet(host.port, '/', { host: `attacker.example:${host.port}` });
    expect(rebound.status).toBe(403);
    expect(JSON.parse(rebound.body).message).toMatch(/DNS rebinding/);
    const crossSite = await httpGet(host.port, '/', { origin: 'https://attacker.example' });
    expect(crossSite.status).toBe(403);
    expect(JSON.parse(crossSite.body).message).toMatch(/cross-site/);
  });

  it('sets no cookie, even when offered the token, and takes no other method', async () => {
    const answers = [
      await httpGet(host.port, '/session', { authorization: `Bearer ${host.token}` }, 'POST'),
      await httpGet(host.port, '/', { authorization: `Bearer ${host.token}` }),
      await httpGet(host.port, '/', { cookie: `tributary_${host.port}=${host.token}` }),
    ];
    expect(answers.map((answer) => answer.status)).toEqual([405, 200, 200]);
    expect(answers.filter((answer) => answer.headers['set-cookie'] !== undefined)).toEqual([]);
  });

  it('refuses sockets without the token, with a wrong one, from a foreign Origin or Host', async () => {
    await expect(openSocket(host.port)).rejects.toMatchObject({ status: 401 });
    await expect(openSocket(host.port, { token: 'x'.repeat(43) })).rejects.toMatchObject({ status: 401 });
    await expect(openSocket(host.port, { token: host.token, origin: 'http://attacker.example' })).rejects.toMatchObject({ status: 403 });
    await expect(openSocket(host.port, { token: host.token, host: `rebind.example:${host.port}` })).rejects.toMatchObject({ status: 403 });
    await expect(openSocket(host.port, { token: host.token, path: '/other' })).rejects.toMatchObject({ status: 403 });
    await expect(openSocket(host.port, { protocols: ['chat', `tributary.token.${host.token}`] })).rejects.toMatchObject({ status: 400 });
    // The token anywhere but the subprotocol opens nothing: no cookie or header of another port's page can.
    const elsewhere = { cookie: `tributary_${host.port}=${host.token}`, authorization: `Bearer ${host.token}` };
    await expect(openSocket(host.port, { headers: elsewhere })).rejects.toMatchObject({ status: 401 });
    const ok = await openSocket(host.port, { token: host.token, origin: host.origin });
    ok.close();
  });

  it('answers garbage frames with BAD_MESSAGE and closes an over-large frame, staying up', async () => {
    const peer = new SocketPeer(await openSocket(host.port, { token: host.token }));
    peer.send('not json');
    peer.socket.send(Buffer.from([1, 2, 3]), { binary: true });
    await peer.waitFor((m) => m.t === 'error' && m.error.code === 'BAD_MESSAGE' && peer.messages.length >= 2);
    expect(peer.messages.filter((m) => m.t === 'error' && m.error.code === 'BAD_MESSAGE')).toHaveLength(2);
    const closed = new Promise<number>((resolve) => peer.socket.once('close', (code) => resolve(code)));
    peer.send({ t: 'call', id: 1, op: 'app.info', input: { pad: 'x'.repeat(MAX_MESSAGE_BYTES + 10) } });
    expect(await closed).toBe(1009);
    const again = new SocketPeer(await openSocket(host.port, { token: host.token }));
    again.send({ t: 'call', id: 1, op: 'app.info', input: {} });
    expect(await again.reply(1)).toMatchObject({ t: 'result', value: { name: 'Tributary' } });
    again.socket.close();
  });
});
