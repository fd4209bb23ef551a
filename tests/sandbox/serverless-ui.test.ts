import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openApp } from '../helpers/chromium.js';
import { projectRoot } from '../helpers/web-host-process.js';

const shots = join(projectRoot, 'test-results', 'screenshots');
let app: { page: Page; close(): Promise<void> } | undefined;
let page: Page;
const problems: string[] = [];

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  app = await openApp(inject('sandbox').dataDir, {}, problems);
  page = app.page;
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: 'Provision', exact: true }).click();
});

afterAll(async () => {
  await app?.close();
});

describe('the Redshift Serverless wizard in Chromium', () => {
  it('shows AWS’s rules under their fields, then the CLI without the password and the cost while it works', async () => {
    await page.getByRole('tablist', { name: 'What to create' }).getByRole('tab', { name: 'Redshift Serverless', exact: true }).click();
    const form = page.getByRole('form', { name: 'Redshift Serverless wizard' });
    await form.waitFor();
    const namespace = form.getByRole('textbox', { name: 'Namespace name' });
    const base = form.getByRole('spinbutton', { name: 'Base capacity (RPUs)' });
    await namespace.fill('Sales_NS');
    await base.fill('12');
    await expect.poll(() => form.textContent()).toContain('A namespace name has no uppercase letters.');
    await expect
      .poll(() => form.textContent())
      .toContain('The base capacity 12 is not valid: it must be between 8 and 512 RPUs, in increments of 8.');
    expect(await namespace.getAttribute('aria-invalid')).toBe('true');
    expect(await form.getByRole('button', { name: 'Create namespace and workgroup', exact: true }).isDisabled()).toBe(true);
    await page.screenshot({ path: join(shots, 'serverless-wizard-invalid.png') });

    await namespace.fill('sales-ns');
    await form.getByRole('textbox', { name: 'Workgroup name' }).fill('sales-wg');
    await form.getByRole('textbox', { name: 'Admin user name' }).fill('salesadmin');
    await base.fill('16');
    await form.getByRole('spinbutton', { name: 'Max capacity (RPUs)' }).fill('64');
    const cli = form.getByRole('region', { name: 'AWS CLI equivalent' });
    await expect
      .poll(() => cli.textContent(), { timeout: 15_000 })
      .toMatch(/aws redshift-serverless create-namespace[\s\\]+--namespace-name sales-ns/);
    const text = (await cli.textContent()) ?? '';
    expect(text).toMatch(
      /aws redshift-serverless create-workgroup[\s\\]+--workgroup-name sales-wg[\s\\]+--namespace-name sales-ns[\s\\]+--base-capacity 16[\s\\]+--max-capacity 64/,
    );
    expect(text).toMatch(/--admin-user-password '?\*\*\*\*'?/);
    const cost = form.getByRole('region', { name: 'Hourly cost estimate' });
    await expect.poll(() => cost.textContent()).toMatch(/\$\d+\.\d+ per hour while it works, nothing while idle/);
    expect(await cost.textContent()).toMatch(/16 RPUs × \$[\d.]+ per RPU-hour/);
    expect(await form.getByRole('button', { name: 'Create namespace and workgroup', exact: true }).isEnabled()).toBe(true);
    await page.screenshot({ path: join(shots, 'serverless-wizard-preview.png') });

    // Created to AVAILABLE, then torn down from the inventory by the namespace's typed name, its workgroup first.
    await form.getByRole('button', { name: 'Create namespace and workgroup', exact: true }).click();
    const progress = form.getByRole('region', { name: 'Redshift Serverless progress' });
    await expect
      .poll(() => progress.getByRole('status', { name: 'Outcome' }).textContent(), { timeout: 120_000, interval: 500 })
      .toMatch(/Ready \(AVAILABLE\).*sales-wg/);
    await page.screenshot({ path: join(shots, 'serverless-wizard-available.png') });
    const inventory = page.getByRole('table', { name: 'Resources in this environment' });
    const rowOf = (name: string) => inventory.getByRole('row').filter({ has: page.getByRole('rowheader', { name, exact: true }) });
    await expect.poll(() => rowOf('sales-wg').count(), { timeout: 30_000 }).toBe(1);
    expect(await rowOf('sales-wg').textContent()).toMatch(/AVAILABLE.*16 RPUs base/);
    await rowOf('sales-ns').getByRole('button', { name: 'Delete Redshift Serverless namespace sales-ns' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete Redshift Serverless namespace sales-ns' });
    expect(await dialog.textContent()).toContain('Its workgroup is deleted first');
    const go = dialog.getByRole('button', { name: 'Delete sales-ns', exact: true });
    await dialog.getByRole('textbox', { name: 'Type sales-ns to confirm' }).fill('sales-wg');
    expect(await go.isDisabled()).toBe(true);
    await dialog.getByRole('textbox', { name: 'Type sales-ns to confirm' }).fill('sales-ns');
    await go.click();
    await expect
      .poll(() => dialog.getByRole('status', { name: 'Delete outcome' }).textContent(), { timeout: 120_000, interval: 500 })
      .toMatch(/Deleted/);
    await dialog.getByRole('button', { name: 'Close' }).click();
    await expect.poll(async () => (await rowOf('sales-ns').count()) + (await rowOf('sales-wg').count()), { timeout: 30_000 }).toBe(0);
    expect(problems).toEqual([]);
  });

  it('offers "Provisioned cluster | Serverless workgroup" in the connection form, each with its own name field', async () => {
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: 'Workbench', exact: true }).click();
    const workbench = page.getByRole('region', { name: 'SQL workbench' });
    await workbench.getByRole('toolbar', { name: 'Editor' }).getByRole('button', { name: 'New connection' }).click();
    const form = page.getByRole('form', { name: 'New connection' });
    await form.getByRole('combobox', { name: 'Engine' }).selectOption({ label: 'Redshift (wire protocol)' });
    const warehouse = form.getByRole('combobox', { name: 'Warehouse' });
    expect(await warehouse.locator('option').allTextContents()).toEqual(['Provisioned cluster', 'Serverless workgroup']);
    expect(await form.getByRole('textbox', { name: 'Cluster identifier' }).count()).toBe(1);
    await warehouse.selectOption({ label: 'Serverless workgroup' });
    await form.getByRole('textbox', { name: 'Workgroup name' }).waitFor();
    expect(await form.getByRole('textbox', { name: 'Cluster identifier' }).count()).toBe(0);
    await form.getByRole('textbox', { name: 'Name', exact: true }).fill('Sales workgroup');
    await form.getByRole('button', { name: 'Save connection' }).click();
    await expect.poll(() => form.getByRole('alert').textContent()).toMatch(/spec\.workgroupName: /);
    await form.getByRole('textbox', { name: 'Workgroup name' }).fill('sales-wg');
    await form.getByRole('combobox', { name: 'Sign-in' }).selectOption({ value: 'iam' });
    await page.screenshot({ path: join(shots, 'serverless-connection-form.png') });
    await form.getByRole('button', { name: 'Save connection' }).click();
    await form.waitFor({ state: 'detached' });
    const connection = workbench.getByRole('combobox', { name: 'Connection' });
    const saved = connection.locator('option', { hasText: 'Sales workgroup' });
    await expect.poll(() => saved.count()).toBe(1);
    expect(await saved.getAttribute('title')).toBe('awsuser@workgroup sales-wg/dev (IAM)');
    expect(problems).toEqual([]);
  });
});
