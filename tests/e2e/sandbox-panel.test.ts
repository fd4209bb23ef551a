import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRunFile } from '../../sandbox/client/run-file.js';
import { launchChromium, type Browser } from '../helpers/chromium.js';
import { startSandboxCluster } from '../helpers/sandbox-cluster.js';
import { projectRoot, startWebHostProcess, type WebHostProcess } from '../helpers/web-host-process.js';

const shots = join(projectRoot, 'test-results', 'screenshots');
let host: WebHostProcess;
let browser: Browser;

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  // Lifecycles at a third of their real length keep the test short.
  host = await startWebHostProcess(undefined, { TRIBUTARY_SANDBOX_PACE: '0.3' });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await host?.stop();
});

describe('Environments → Local sandbox, then Sessions', () => {
  it('starts the sandbox with step progress and healthy services, opens a master session with a tunnel and a terminal, and stops it', async () => {
    const page = await browser.context.newPage();
    await page.goto(host.url);
    await page.getByRole('button', { name: 'Environments', exact: true }).click();
    const panel = page.getByRole('region', { name: 'Local sandbox' });
    await expect.poll(() => panel.getByLabel('Sandbox state').textContent()).toBe('stopped');
    await panel.getByRole('button', { name: 'Start sandbox' }).click();
    await panel
      .getByRole('list', { name: 'Start progress' })
      .getByText(/Java 17\+, Python 3\.9\+, free disk space: done/)
      .waitFor();
    await expect.poll(() => panel.getByLabel('Sandbox state').textContent(), { timeout: 240_000 }).toBe('running');
    const services = panel.getByRole('table', { name: 'Sandbox services' });
    await expect.poll(() => services.getByRole('row').count()).toBe(8);
    expect(await services.getByRole('cell', { name: 'ok', exact: true }).count()).toBe(7);
    await panel.getByRole('button', { name: /Show log of Spark Thrift Server/ }).click();
    await panel
      .getByRole('log', { name: 'Log of spark-thrift' })
      .getByText(/HiveThriftServer2/)
      .first()
      .waitFor();
    expect(await page.getByRole('contentinfo', { name: 'Status bar' }).getByLabel('Active environment').textContent()).toContain(
      'Local sandbox',
    );
    await page.screenshot({ path: join(shots, 'sandbox-running.png'), fullPage: true });

    await panel
      .getByRole('button', { name: 'Reset sandbox' })
      .isDisabled()
      .then((disabled) => expect(disabled).toBe(true));

    // An EMR cluster made the way the provisioning wizard will make it, then the operator's path: Sessions.
    const run = readRunFile(join(host.dataDir, 'sandbox', 'run.json'))!;
    await startSandboxCluster(run, 'e2e-cluster');

    await page.getByRole('button', { name: 'Sessions', exact: true }).click();
    await page.getByRole('button', { name: 'Refresh clusters' }).click();
    await page.getByRole('button', { name: 'Open SSH session to e2e-cluster' }).click();
    const hostKey = page.getByRole('dialog', { name: 'Unknown host key' });
    await hostKey.waitFor();
    expect(await hostKey.textContent()).toMatch(/SHA256:[A-Za-z0-9+/]{43}/);
    await page.screenshot({ path: join(shots, 'sessions-host-key.png'), fullPage: true });
    await hostKey.getByRole('button', { name: 'Trust and connect' }).click();
    const row = page.getByRole('row', { name: /hadoop@127\.0\.0\.1.*e2e-cluster.*up/ });
    await row.waitFor();

    await row.getByRole('button', { name: 'Tunnel Spark Thrift Server' }).click();
    await expect
      .poll(() => row.getByRole('list', { name: 'Tunnels of e2e-cluster' }).textContent(), { timeout: 30_000 })
      .toMatch(/Spark Thrift Server: 127\.0\.0\.1:\d+ → \d+ · up/);
    await expect
      .poll(() => page.getByRole('contentinfo', { name: 'Status bar' }).getByLabel('Open tunnels').textContent())
      .toContain('1 open');

    await row.getByRole('button', { name: 'New terminal' }).click();
    await row.getByRole('button', { name: 'New terminal' }).click();
    expect(await page.getByRole('tablist', { name: 'Terminals' }).getByRole('tab').count()).toBe(2);
    await page.getByRole('tab', { name: 'Terminal 1 on e2e-cluster' }).click();
    const terminal = page.getByRole('region', { name: 'Terminal 1 on e2e-cluster' });
    await terminal.locator('.xterm-rows').waitFor();
    await expect.poll(() => terminal.locator('.xterm-rows').textContent(), { timeout: 30_000 }).toContain('hadoop@sandbox-master');
    await terminal.click();
    await page.keyboard.type('spark-sql --version\n');
    await expect
      .poll(async () => (await terminal.locator('.xterm-rows').textContent())?.replace(/\u00a0/g, ' '), { timeout: 90_000 })
      .toMatch(/version 3\.5\.9/);
    await page.screenshot({ path: join(shots, 'sessions-terminal.png'), fullPage: true });
    await row.getByRole('button', { name: 'Close session' }).click();
    await row.waitFor({ state: 'detached' });

    await page.getByRole('button', { name: 'Environments', exact: true }).click();
    await panel.getByRole('button', { name: 'Stop sandbox' }).click();
    await expect.poll(() => panel.getByLabel('Sandbox state').textContent(), { timeout: 60_000 }).toBe('stopped');
    await page.close();
  });
});
