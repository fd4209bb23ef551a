import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type Browser } from '../helpers/chromium.js';
import { projectRoot, startWebHostProcess, type WebHostProcess } from '../helpers/web-host-process.js';

const shots = join(projectRoot, 'test-results', 'screenshots');
const sectionNames = ['Environments', 'Provision', 'Workbench', 'Operations', 'Pipeline', 'Sessions', 'Settings'];

let host: WebHostProcess;
let browser: Browser;
let problems: string[];

async function openApp(target = host): Promise<Page> {
  const page = await browser.context.newPage();
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`${response.status()} ${response.url()}`);
  });
  await page.goto(target.url);
  await page.getByRole('navigation', { name: 'Sections' }).waitFor();
  return page;
}

/** Opens a section from the navigation and waits until its content (not the loading placeholder) is shown. */
async function show(page: Page, name: string): Promise<void> {
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name, exact: true }).click();
  await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe(name);
  await page.getByText('Loading…').waitFor({ state: 'detached' });
  if (name === 'Workbench') await page.locator('.monaco-editor .view-lines').waitFor();
}

/** A controlled radio changes once the host has saved the setting, so click and wait. */
async function choose(page: Page, theme: string): Promise<void> {
  const radio = page.getByRole('radio', { name: theme });
  await radio.click();
  await expect.poll(() => radio.isChecked()).toBe(true);
}

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  host = await startWebHostProcess();
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await host?.stop();
});
afterEach(() => {
  // Console errors and CSP violations are failures wherever they happen.
  expect(problems).toEqual([]);
});

describe('the shell in Chromium through the web host', () => {
  it('opens from the printed URL, keeps the token out of the address bar, and shows every section', async () => {
    problems = [];
    const page = await openApp();
    expect(page.url()).not.toContain('token');
    for (const name of sectionNames) {
      await show(page, name);
      expect(await page.getByRole('button', { name, exact: true }).getAttribute('aria-current')).toBe('page');
      await page.screenshot({ path: join(shots, `${name.toLowerCase()}-light.png`) });
    }
    await page.close();
  });

  it('shows the active environment and tunnels in the status bar, and switches environments', async () => {
    problems = [];
    const page = await openApp();
    const status = page.getByRole('contentinfo', { name: 'Status bar' });
    await expect.poll(() => status.getByLabel('Active environment').textContent()).toContain('Local sandbox');
    expect(await status.getByLabel('Open tunnels').textContent()).toContain('0 open');
    expect(await status.getByLabel('Host').textContent()).toContain('Web host');
    await show(page, 'Environments');
    const row = page.getByRole('row', { name: /Local sandbox/ });
    expect(await row.getByText('Active').isVisible()).toBe(true);
    await page.close();
  });

  it('adds an AWS environment from a profile and says what to do when its credentials are missing', async () => {
    problems = [];
    const page = await openApp();
    await show(page, 'Environments');
    const form = page.getByRole('form', { name: 'Add an AWS environment' });
    await form.getByRole('textbox', { name: 'Name' }).fill('Staging');
    await form.getByRole('textbox', { name: 'Region' }).fill('eu-west-9x');
    await form.getByRole('combobox', { name: 'Profile' }).fill('tributary-e2e-missing');
    await form.getByRole('button', { name: 'Add environment' }).click();
    await form
      .getByRole('alert')
      .getByText(/region: Not an AWS region name/)
      .waitFor();
    await form.getByRole('textbox', { name: 'Region' }).fill('eu-west-1');
    await form.getByRole('button', { name: 'Add environment' }).click();
    const row = page.getByRole('row', { name: /Staging/ });
    await row.waitFor();
    expect(await row.textContent()).toContain('profile tributary-e2e-missing');
    await row.getByRole('button', { name: 'Check identity of Staging' }).click();
    await page
      .getByRole('alert')
      .getByText(/No credentials for Staging.*Fix: check profile tributary-e2e-missing/)
      .waitFor();
    await page.screenshot({ path: join(shots, 'environment-missing-credentials.png'), fullPage: true });
    await row.getByRole('button', { name: 'Remove Staging' }).click();
    await row.waitFor({ state: 'detached' });
    await page.close();
  });

  it('drives sections, help and theme from the keyboard', async () => {
    problems = [];
    const page = await openApp();
    await page.keyboard.press('Control+3');
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Workbench');
    await page.getByRole('navigation', { name: 'Sections' }).click({ position: { x: 5, y: 300 } });
    await page.keyboard.press('F1');
    const dialog = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
    await dialog.waitFor();
    for (const does of ['Go to Environments', 'Go to Settings', 'Show keyboard shortcuts', 'Switch between light and dark theme']) {
      expect(await dialog.getByRole('cell', { name: does }).count()).toBe(1);
    }
    await page.screenshot({ path: join(shots, 'help-overlay.png') });
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    await page.keyboard.press('Control+7');
    await expect.poll(() => page.getByRole('heading', { level: 1 }).textContent()).toBe('Settings');
    await page.keyboard.press('Control+Shift+L');
    await expect.poll(() => page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    await page.close();
  });

  it('remembers the dark theme across a reload, and renders every section in it', async () => {
    problems = [];
    const page = await openApp();
    await show(page, 'Settings');
    await choose(page, 'Dark');
    await expect.poll(() => page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    await page.reload();
    await page.getByRole('navigation', { name: 'Sections' }).waitFor();
    await expect.poll(() => page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(background).toBe('rgb(22, 25, 31)');
    for (const name of sectionNames) {
      await show(page, name);
      await page.screenshot({ path: join(shots, `${name.toLowerCase()}-dark.png`) });
    }
    await show(page, 'Settings');
    await choose(page, 'Light');
    await page.close();
  });

  it('loads Monaco from the bundle under the CSP, with its worker', async () => {
    problems = [];
    const page = await openApp();
    const requests: string[] = [];
    const workers: string[] = [];
    page.on('request', (request) => requests.push(request.url()));
    page.on('worker', (worker) => workers.push(worker.url()));
    await show(page, 'Workbench');
    const editor = page.getByRole('region', { name: 'SQL text' });
    await editor.locator('.monaco-editor').waitFor();
    await editor.click();
    await page.keyboard.press('Control+End');
    await page.keyboard.type('\nSELECT 42;');
    // Monaco draws spaces as no-break spaces.
    await expect.poll(async () => (await editor.locator('.view-lines').textContent())?.replace(/\u00a0/g, ' ')).toContain('SELECT 42;');
    expect(await page.getByRole('combobox', { name: 'Connection' }).count()).toBe(1);
    expect(requests.every((url) => url.startsWith(host.origin) || url.startsWith('data:') || url.startsWith('blob:'))).toBe(true);
    await expect.poll(() => workers.some((url) => url.startsWith(`${host.origin}/assets/editor.worker`))).toBe(true);
    await page.close();
  });

  it('shows a typed validation error for a bad setting and keeps the saved value', async () => {
    problems = [];
    const page = await openApp();
    await show(page, 'Settings');
    const size = page.getByRole('spinbutton', { name: 'Editor font size' });
    await size.fill('99');
    await size.blur();
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toMatch(/Invalid input.*VALIDATION.*patch\.editorFontSize/s);
    await page.screenshot({ path: join(shots, 'validation-error.png') });
    const saved = JSON.parse(readFileSync(join(host.dataDir, 'settings.json'), 'utf8')) as { editorFontSize: number };
    expect(saved.editorFontSize).toBe(13);
    await page.close();
  });

  it('stores a secret without ever showing its value, in the page, the log view or the log file', async () => {
    problems = [];
    const page = await openApp();
    const value = 'Sup3r-S3cret-Redshift-Passw0rd';
    await show(page, 'Settings');
    await page.getByText(/in memory only: no OS keyring is available/).waitFor();
    await page.getByRole('textbox', { name: 'Name' }).fill('redshift/admin');
    await page.getByLabel('Value').fill(value);
    await page.getByRole('button', { name: 'Store secret' }).click();
    await page.getByRole('list', { name: 'Stored secrets' }).getByText('user/redshift/admin').waitFor();
    await page
      .getByRole('log', { name: 'App log lines' })
      .getByText(/Stored secret user\/redshift\/admin/)
      .waitFor();
    expect(await page.getByLabel('Value').inputValue()).toBe('');
    expect(await page.content()).not.toContain(value);
    const logs = readdirSync(join(host.dataDir, 'logs'))
      .map((f) => readFileSync(join(host.dataDir, 'logs', f), 'utf8'))
      .join('');
    expect(logs).toContain('Stored secret user/redshift/admin');
    expect(logs).not.toContain(value);
    expect(host.output()).not.toContain(value);
    await page.getByRole('button', { name: 'Forget user/redshift/admin' }).click();
    await page.getByText('No secrets stored.').waitFor();
    await page.close();
  });

  it('asks for the token when the URL has none, and refuses a stale one', async () => {
    problems = [];
    const fresh = await launchChromium();
    try {
      const page = await fresh.context.newPage();
      await page.goto(`${host.origin}/`);
      await page.getByRole('heading', { name: 'Tributary needs its launch token' }).waitFor();
      // As when the operator pastes an address into this tab: only the fragment changes, and the page reloads by itself.
      await page.goto(`${host.origin}/#token=not-the-token`);
      await page
        .getByRole('alert')
        .filter({ hasText: /Disconnected from the Tributary host\. .*not valid for this launch/ })
        .waitFor();
    } finally {
      await fresh.close();
    }
  });
});

describe('data the app cannot read', () => {
  it('sets a corrupt settings file aside, says so, and keeps working', async () => {
    problems = [];
    await host.stop();
    writeFileSync(join(host.dataDir, 'settings.json'), '{"theme": "dark", editorFontSize: 14');
    host = await startWebHostProcess(host.dataDir);
    const page = await openApp();
    const status = page.getByRole('contentinfo', { name: 'Status bar' });
    await status.getByRole('button', { name: /2 notices/ }).click();
    await page.getByText(/Could not read .*settings\.json/).waitFor();
    expect(await page.getByText(/not valid JSON/).isVisible()).toBe(true);
    await page.screenshot({ path: join(shots, 'corrupt-settings-notice.png') });
    const backups = readdirSync(host.dataDir).filter((name) => name.startsWith('settings.json.corrupt-'));
    expect(backups).toHaveLength(1);
    expect(readFileSync(join(host.dataDir, backups[0]!), 'utf8')).toBe('{"theme": "dark", editorFontSize: 14');
    await choose(page, 'Dark');
    await expect.poll(() => JSON.parse(readFileSync(join(host.dataDir, 'settings.json'), 'utf8')).theme).toBe('dark');
    await page.close();
  });

  it('says so when the host goes away, instead of hanging', async () => {
    problems = [];
    const page = await openApp();
    await host.stop();
    await page
      .getByRole('alert')
      .getByText(/Disconnected from the Tributary host/)
      .waitFor();
    await page.screenshot({ path: join(shots, 'disconnected.png') });
    problems = problems.filter((p) => !/WebSocket|ERR_CONNECTION_REFUSED/.test(p));
    await page.close();
  });
});
