import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore, type Core } from '../../electron/core/core.js';
import { MemorySecretStore } from '../../electron/core/secrets/secret-store.js';
import { inProcessCore } from '../../electron/supervisor/in-process.js';
import { startWebHost, type WebHost } from '../../electron/web/server.js';
import { checkoutDaemonCommand } from '../../sandbox/client/daemon-command.js';
import { launchChromium, type Browser } from '../helpers/chromium.js';
import { tempDir } from '../helpers/core.js';
import { projectRoot } from '../helpers/web-host-process.js';

/**
 * The desktop app's file fields, in the real renderer: no path is typed or sent, the main process's dialog
 * picks. Electron cannot run here, so the renderer is served by the web host around a core made as the
 * Electron host makes it (host 'electron', a file dialog), and the dialog is a stand-in answering as the
 * operator would.
 */
let core: Core;
let host: WebHost;
let browser: Browser;
let page: Page;
let home: string;
const asked: string[] = [];

beforeAll(async () => {
  home = tempDir('tributary-desktop-');
  writeFileSync(join(home, 'access.log'), '203.0.113.9 - - [02/Jan/2024:03:04:05 +0000] "GET / HTTP/1.1" 200 1 "-" "curl"\n');
  core = await createCore({
    host: 'electron',
    version: '0.0.0-test',
    dataDir: tempDir(),
    workspaceDir: join(home, 'Tributary'),
    sandboxDaemon: checkoutDaemonCommand(),
    openSecretStore: () => Promise.resolve(new MemorySecretStore()),
    fileDialog: ({ title }) => {
      asked.push(title);
      return Promise.resolve(join(home, 'access.log'));
    },
  });
  host = await startWebHost({ core: inProcessCore(core), rendererDir: join(projectRoot, 'out', 'renderer'), port: 0 });
  browser = await launchChromium();
  page = await browser.context.newPage();
  await page.goto(host.url);
});

afterAll(async () => {
  await browser?.close();
  await host?.close();
  await core?.dispose();
});

describe('files on the desktop app', () => {
  it('are picked in the dialog: the form shows the name chosen and has no path to type', async () => {
    const nav = page.getByRole('navigation', { name: 'Sections' });
    await nav.getByRole('button', { name: 'Settings', exact: true }).click();
    await expect.poll(() => page.getByText(/the ones you pick in the file dialog/).count()).toBe(1);
    await nav.getByRole('button', { name: 'Pipeline', exact: true }).click();
    await page.getByText('Replay a local file').click();
    const field = page.getByRole('group', { name: 'Log file or folder' });
    expect(await field.getByRole('textbox').count()).toBe(0);
    await expect.poll(() => field.textContent()).toMatch(/none chosen/);
    await field.getByRole('button', { name: 'Choose file…' }).click();
    await expect.poll(() => field.locator('code').textContent()).toBe('access.log');
    expect(asked).toEqual(['Replay a log file or a folder of logs']);
    // The window holds the handle, never the path the operator picked.
    expect(await page.content()).not.toContain(home);
  });
});
