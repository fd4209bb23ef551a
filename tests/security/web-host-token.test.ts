import { mkdtempSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApp } from '../helpers/chromium.js';
import { dial, firstAnswer, settle, upgradeRequest } from '../helpers/hostile.js';
import { httpGet } from '../helpers/ws-client.js';

/**
 * Issue 13, item 3: browsers send 127.0.0.1's cookies to every port, including the EMR web UIs Tributary opens
 * through SSH tunnels on other loopback ports. So no response of the web host may set a cookie, the page must
 * work (and survive a reload) with the token kept in this origin's sessionStorage and offered only on /rpc,
 * and a page on another loopback port, opened the way tunnel links open, must receive nothing of it.
 */
let app: Awaited<ReturnType<typeof openApp>>;
const problems: string[] = [];
/** A stand-in for a tunnelled EMR web UI: another loopback port that records what the browser sends it. */
let tunnelled: Server;
let tunnelledPort: number;
const received: { url: string; headers: IncomingHttpHeaders }[] = [];

beforeAll(async () => {
  tunnelled = createServer((request, response) => {
    received.push({ url: request.url ?? '', headers: request.headers });
    response.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html><title>Spark History</title><p>EMR UI</p>');
  });
  await new Promise<void>((resolve) => tunnelled.listen(0, '127.0.0.1', resolve));
  tunnelledPort = (tunnelled.address() as AddressInfo).port;
  app = await openApp(mkdtempSync(join(tmpdir(), 'tributary-data-')), {}, problems);
});
afterAll(async () => {
  await app?.close();
  await new Promise((resolve) => tunnelled?.close(resolve));
});

/** The app is up and talking to its host: the status bar names the host, which comes from an RPC answer. */
async function appWorks(page: Page): Promise<void> {
  await page.getByRole('navigation', { name: 'Sections' }).waitFor();
  const status = page.getByRole('contentinfo', { name: 'Status bar' });
  await expect.poll(() => status.getByLabel('Host').textContent()).toContain('Web host');
}

describe('the web host token never sits in a cookie', () => {
  it('sets no cookie on any response, the token offered or not, and does not echo the token back', async () => {
    const { port, token } = app.host;
    const index = await httpGet(port, '/', { accept: 'text/html' });
    const assets = [...index.body.matchAll(/(?:src|href)="\.?(\/[^"]+)"/g)].map((match) => match[1]!);
    expect(assets.length).toBeGreaterThan(0);
    const answers = [
      index,
      ...(await Promise.all(assets.map((path) => httpGet(port, path)))),
      await httpGet(port, '/session', { authorization: `Bearer ${token}` }, 'POST'),
      await httpGet(port, '/', { authorization: `Bearer ${token}` }),
      await httpGet(port, '/nowhere', { cookie: `tributary_${port}=${token}` }),
    ];
    expect(answers.filter((answer) => answer.status === 200)).toHaveLength(assets.length + 2);
    expect(answers.flatMap((answer) => answer.headers['set-cookie'] ?? [])).toEqual([]);

    // The handshake's own answer, raw: no cookie, and only our subprotocol echoed (the token is not).
    const socket = await dial(port);
    socket.write(upgradeRequest(port, { token }));
    const handshake = await firstAnswer(socket);
    await settle(socket, 0);
    expect(handshake).toMatch(/^HTTP\/1\.1 101 /);
    expect(handshake).toMatch(/^Sec-WebSocket-Protocol: tributary\.v1\r$/im);
    expect(handshake).not.toMatch(/set-cookie/i);
    expect(handshake).not.toContain(token);
  });

  it('runs in Chromium with no cookie, and after a reload, with the token out of the address bar', async () => {
    const { page, browser } = app;
    await appWorks(page);
    expect(page.url()).not.toContain('token');
    await page.reload();
    await appWorks(page);
    expect(page.url()).not.toContain('token');
    expect(await browser.context.cookies()).toEqual([]);
    expect(await page.evaluate('document.cookie')).toBe('');
    expect(problems).toEqual([]);
  });

  it('sends a page on another loopback port, opened as tunnel links open, nothing of the token', async () => {
    const { page, browser, host } = app;
    const opened = browser.context.waitForEvent('page');
    // Exactly how Sessions renders a tunnel's web UI link (the tests compile without the DOM library).
    const href = `http://127.0.0.1:${tunnelledPort}/history/`;
    await page.evaluate(
      `(() => { const link = Object.assign(document.createElement('a'), { href: '${href}', target: '_blank', rel: 'noreferrer', textContent: 'Spark History' }); document.body.append(link); link.click(); })()`,
    );
    const emrUi = await opened;
    await emrUi.getByText('EMR UI').waitFor();
    expect(received.map((request) => request.url)).toContain('/history/');
    for (const request of received) {
      expect(request.headers.cookie).toBeUndefined();
      // The app's address never leaves as a Referer (its own pages' requests may name it).
      expect(request.headers.referer ?? '').not.toContain(host.origin);
      expect(JSON.stringify(request)).not.toContain(host.token);
    }
    // Its origin (another port) cannot read what the app's origin keeps.
    expect(await emrUi.evaluate('[sessionStorage.length, localStorage.length, document.cookie]')).toEqual([0, 0, '']);
    await emrUi.close();
  });
});
