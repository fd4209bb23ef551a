import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type Browser } from '../helpers/chromium.js';
import { projectRoot, startWebHostProcess, type WebHostProcess } from '../helpers/web-host-process.js';

const shots = join(projectRoot, 'test-results', 'screenshots');
let host: WebHostProcess;
let browser: Browser;

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  host = await startWebHostProcess();
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await host?.stop();
});

describe('Environments → Local sandbox', () => {
  it('starts the sandbox with step progress, shows each service healthy with its log, and stops it', async () => {
    const page = await browser.context.newPage();
    await page.goto(host.url);
    await page.getByRole('button', { name: 'Environments', exact: true }).click();
    const panel = page.getByRole('region', { name: 'Local sandbox' });
    await expect.poll(() => panel.getByLabel('Sandbox state').textContent()).toBe('stopped');
    await panel.getByRole('button', { name: 'Start sandbox' }).click();
    await panel.getByRole('list', { name: 'Start progress' }).getByText(/Java 17\+, Python 3\.9\+, free disk space: done/).waitFor();
    await expect.poll(() => panel.getByLabel('Sandbox state').textContent(), { timeout: 240_000 }).toBe('running');
    const services = panel.getByRole('table', { name: 'Sandbox services' });
    await expect.poll(() => services.getByRole('row').count()).toBe(8);
    expect(await services.getByRole('cell', { name: 'ok', exact: true }).count()).toBe(7);
    await panel.getByRole('button', { name: /Show log of Spark Thrift Server/ }).click();
    await panel.getByRole('log', { name: 'Log of spark-thrift' }).getByText(/HiveThriftServer2/).first().waitFor();
    expect(await page.getByRole('contentinfo', { name: 'Status bar' }).getByLabel('Active environment').textContent()).toContain('Local sandbox');
    await page.screenshot({ path: join(shots, 'sandbox-running.png'), fullPage: true });

    await panel.getByRole('button', { name: 'Reset sandbox' }).isDisabled().then((disabled) => expect(disabled).toBe(true));
    await panel.getByRole('button', { name: 'Stop sandbox' }).click();
    await expect.poll(() => panel.getByLabel('Sandbox state').textContent(), { timeout: 60_000 }).toBe('stopped');
    await page.close();
  });
});
