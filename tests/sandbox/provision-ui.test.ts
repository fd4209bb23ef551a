import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openApp } from '../helpers/chromium.js';
import { projectRoot } from '../helpers/web-host-process.js';

const shots = join(projectRoot, 'test-results', 'screenshots');
const suffix = randomBytes(3).toString('hex');
const STREAM = `ui-events-${suffix}`;
const BUCKET = `ui-bucket-${suffix}`;
const WAREHOUSE = `ui-wh-${suffix}`;
const CLUSTER = `ui-emr-${suffix}`;

let app: { page: Page; close(): Promise<void> } | undefined;
let page: Page;
const problems: string[] = [];

const wizard = (title: string) => page.getByRole('form', { name: `${title} wizard` });
const inventory = () => page.getByRole('table', { name: 'Resources in this environment' });
const rowOf = (name: string) =>
  inventory()
    .getByRole('row')
    .filter({ has: page.getByRole('rowheader', { name }) });

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(shots, `provision-${name}.png`) });
}

async function openWizard(title: string): Promise<Locator> {
  await page.getByRole('tablist', { name: 'What to create' }).getByRole('tab', { name: title, exact: true }).click();
  const form = wizard(title);
  await form.waitFor();
  return form;
}

/** Creates with the wizard's button and waits for the outcome line to say the resource is usable. */
async function createAndWait(form: Locator, title: string, button: string, ready: RegExp): Promise<void> {
  await form.getByRole('button', { name: button, exact: true }).click();
  const progress = form.getByRole('region', { name: `${title} progress` });
  await progress.waitFor();
  await expect.poll(() => progress.getByRole('timer', { name: 'Elapsed time' }).textContent()).toMatch(/^\d+ s$/);
  await expect
    .poll(() => progress.getByRole('status', { name: 'Outcome' }).textContent(), { timeout: 180_000, interval: 500 })
    .toMatch(ready);
  await progress.scrollIntoViewIfNeeded();
}

/** Deletes from the inventory: a wrong typed name keeps the button disabled, the right one enables it. */
async function deleteFromInventory(
  typeName: string,
  name: string,
  verb: 'Delete' | 'Terminate',
  shotName: string,
  options: { noSnapshot?: boolean } = {},
): Promise<Locator> {
  await expect.poll(() => rowOf(name).count(), { timeout: 30_000 }).toBe(1);
  await rowOf(name)
    .getByRole('button', { name: `${verb} ${typeName} ${name}` })
    .click();
  const dialog = page.getByRole('dialog', { name: `${verb} ${typeName} ${name}` });
  await dialog.waitFor();
  const confirm = dialog.getByRole('textbox', { name: `Type ${name} to confirm` });
  const go = dialog.getByRole('button', { name: `${verb} ${name}`, exact: true });
  expect(await go.isDisabled()).toBe(true);
  await confirm.fill(`${name}-wrong`);
  expect(await go.isDisabled()).toBe(true);
  await expect.poll(() => dialog.textContent()).toContain('That is not the name');
  if (options.noSnapshot) await dialog.getByRole('checkbox', { name: 'Take a final snapshot' }).uncheck();
  await confirm.fill(name);
  expect(await go.isEnabled()).toBe(true);
  await shot(`${shotName}-confirm`);
  await go.click();
  await expect
    .poll(() => dialog.getByRole('status', { name: 'Delete outcome' }).textContent(), { timeout: 120_000, interval: 500 })
    .toMatch(verb === 'Delete' ? /Deleted/ : /Terminated/);
  return dialog;
}

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  app = await openApp(inject('sandbox').dataDir, {}, problems);
  page = app.page;
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: 'Provision', exact: true }).click();
});

afterAll(async () => {
  await app?.close();
});

describe('the Provision section in Chromium on the sandbox', () => {
  it('Kinesis: a bad name shows AWS’s rule, the fixed one a CLI preview and a cost; creates to ACTIVE; deletes with the typed name', async () => {
    const form = await openWizard('Kinesis stream');
    const name = form.getByRole('textbox', { name: 'Stream name' });
    await name.fill('bad name!');
    await expect
      .poll(() => form.textContent())
      .toContain('A stream name holds only letters, digits, underscores (_), dots (.) and hyphens (-).');
    expect(await name.getAttribute('aria-invalid')).toBe('true');
    expect(await form.getByRole('button', { name: 'Create stream', exact: true }).isDisabled()).toBe(true);
    await shot('kinesis-bad-name');

    await name.fill(STREAM);
    expect(await name.getAttribute('aria-invalid')).toBeNull();
    const cli = form.getByRole('region', { name: 'AWS CLI equivalent' });
    await expect
      .poll(() => cli.textContent(), { timeout: 15_000 })
      .toMatch(new RegExp(`aws kinesis create-stream[\\s\\\\]+--stream-name ${STREAM}`));
    const cost = form.getByRole('region', { name: 'Hourly cost estimate' });
    await expect.poll(() => cost.textContent()).toMatch(/\$\d+\.\d+ per hour/);
    expect(await cost.textContent()).toMatch(/price table of \d{4}-\d\d-\d\d/);
    await shot('kinesis-preview');

    await createAndWait(form, 'Kinesis stream', 'Create stream', /Ready.*ACTIVE/);
    await shot('kinesis-active');

    const row = rowOf(STREAM);
    await expect.poll(() => row.count(), { timeout: 30_000 }).toBe(1);
    expect(await row.textContent()).toMatch(/ACTIVE/);
    expect(await row.textContent()).toMatch(/Tributary/);
    const dialog = await deleteFromInventory('Kinesis stream', STREAM, 'Delete', 'kinesis-delete');
    await dialog.getByRole('button', { name: 'Close' }).click();
    await expect.poll(() => rowOf(STREAM).count(), { timeout: 30_000 }).toBe(0);
  });

  it('S3: a bad bucket name shows AWS’s rule; creates; deletes by emptying first with a progress bar', async () => {
    const form = await openWizard('S3 bucket');
    const name = form.getByRole('textbox', { name: 'Bucket name' });
    await name.fill('Bad_Bucket');
    await expect.poll(() => form.textContent()).toContain('A bucket name has no uppercase letters.');
    await name.fill('ab');
    await expect.poll(() => form.textContent()).toContain('A bucket name is 3 to 63 characters long.');
    await name.fill(BUCKET);
    await expect
      .poll(() => form.getByRole('region', { name: 'AWS CLI equivalent' }).textContent(), { timeout: 15_000 })
      .toMatch(new RegExp(`aws s3api create-bucket[\\s\\\\]+--bucket ${BUCKET}`));
    await expect.poll(() => form.getByRole('region', { name: 'Hourly cost estimate' }).textContent()).toMatch(/\$\d+\.\d+ per hour/);
    await shot('s3-preview');

    await createAndWait(form, 'S3 bucket', 'Create bucket', /Ready/);
    await shot('s3-created');

    const dialog = await deleteFromInventory('S3 bucket', BUCKET, 'Delete', 's3-delete');
    // The layout's folder markers are objects: emptying them shows the bar, full at the end.
    const bar = dialog.getByRole('progressbar', { name: 'Emptying the bucket' });
    expect(await bar.count()).toBe(1);
    expect(await bar.getAttribute('value')).toBe(await bar.getAttribute('max'));
    await shot('s3-deleted');
    await dialog.getByRole('button', { name: 'Close' }).click();
    await expect.poll(() => rowOf(BUCKET).count(), { timeout: 30_000 }).toBe(0);
  });

  it('Redshift: previews the CLI command with the password masked and a cost, creates to available, then deletes without a snapshot', async () => {
    const form = await openWizard('Redshift cluster');
    const id = form.getByRole('textbox', { name: 'Cluster identifier' });
    await id.fill('9-warehouse');
    await expect.poll(() => form.textContent()).toContain('A cluster identifier starts with a letter.');
    await id.fill(WAREHOUSE);
    const cli = form.getByRole('region', { name: 'AWS CLI equivalent' });
    await expect
      .poll(() => cli.textContent(), { timeout: 15_000 })
      .toMatch(new RegExp(`aws redshift create-cluster[\\s\\\\]+--cluster-identifier ${WAREHOUSE}`));
    expect(await cli.textContent()).toMatch(/--master-user-password '?\*{4}'?/);
    await expect.poll(() => form.getByRole('region', { name: 'Hourly cost estimate' }).textContent()).toMatch(/\$\d+\.\d+ per hour/);
    await shot('redshift-preview');

    await createAndWait(form, 'Redshift cluster', 'Create Redshift cluster', /Ready.*available/);
    await shot('redshift-available');

    const dialog = await deleteFromInventory('Redshift cluster', WAREHOUSE, 'Delete', 'redshift-delete', { noSnapshot: true });
    await dialog.getByRole('button', { name: 'Close' }).click();
    await expect.poll(() => rowOf(WAREHOUSE).count(), { timeout: 30_000 }).toBe(0);
  });

  it('EMR: previews create-cluster and its cost, creates to WAITING with a new key pair, then terminates it', async () => {
    const form = await openWizard('EMR cluster');
    await form.getByRole('textbox', { name: 'Cluster name' }).fill(CLUSTER);
    const key = form.getByRole('textbox', { name: 'New key pair name' });
    await key.fill(' bad key');
    await expect.poll(() => form.textContent()).toContain('A key pair name cannot start or end with a space.');
    await key.fill(`ui-key-${suffix}`);
    await form.getByRole('checkbox', { name: 'Hive' }).uncheck();
    await form.getByRole('checkbox', { name: 'Spark', exact: true }).uncheck();
    await expect.poll(() => form.textContent()).toContain('Pick at least one application');
    await form.getByRole('checkbox', { name: 'Spark', exact: true }).check();
    const cli = form.getByRole('region', { name: 'AWS CLI equivalent' });
    await expect
      .poll(() => cli.textContent(), { timeout: 15_000 })
      .toMatch(new RegExp(`aws emr create-cluster[\\s\\\\]+--name ${CLUSTER}`));
    await expect.poll(() => form.getByRole('region', { name: 'Hourly cost estimate' }).textContent()).toMatch(/\$\d+\.\d+ per hour/);
    await shot('emr-preview');

    await createAndWait(form, 'EMR cluster', 'Create EMR cluster', /Ready.*(WAITING|RUNNING)/);
    const saved = form.getByRole('list', { name: 'What was saved' });
    expect(await saved.textContent()).toMatch(/Spark SQL/);
    // The private key is saved to a file; its contents are never on the page.
    expect(await page.content()).not.toMatch(/BEGIN (RSA |OPENSSH )?PRIVATE KEY/);
    await shot('emr-waiting');

    const dialog = await deleteFromInventory('EMR cluster', CLUSTER, 'Terminate', 'emr-terminate');
    await dialog.getByRole('button', { name: 'Close' }).click();
    await page.getByRole('heading', { name: 'Inventory' }).scrollIntoViewIfNeeded();
    await shot('inventory');
  });

  it('the Firehose wizard previews the role it needs and the delivery stream, and asks for an error prefix beside an expression prefix', async () => {
    const form = await openWizard('Firehose stream');
    await form.getByRole('textbox', { name: 'Firehose stream name' }).fill(`ui${suffix}-hose`);
    const cli = form.getByRole('region', { name: 'AWS CLI equivalent' });
    await expect.poll(() => cli.textContent(), { timeout: 15_000 }).toContain(`aws firehose create-delivery-stream`);
    expect(await cli.textContent()).toContain('firehose.amazonaws.com');
    // Billed by what goes through, not by the hour: the headline says so.
    expect(await form.getByRole('region', { name: 'Hourly cost estimate' }).textContent()).toMatch(/\$0\.029 per GB ingested/);
    await form.getByRole('textbox', { name: 'Prefix', exact: true }).fill('raw/!{timestamp:yyyy}/');
    await expect.poll(() => form.textContent()).toContain('A prefix with !{…} expressions needs an error output prefix.');
    await shot('firehose-preview');
  });

  it('the whole pipeline: a prefix shows the four derived names and the total cost, runs in order, saves the connections, and is torn down from the inventory', async () => {
    const form = await openWizard('Whole pipeline');
    const prefix = form.getByRole('textbox', { name: 'Prefix' });
    await prefix.fill('Bad-');
    await expect
      .poll(() => form.textContent())
      .toContain('A prefix starts with a lowercase letter and holds lowercase letters, digits and hyphens.');
    await prefix.fill(`ui${suffix}`);
    const names = form.getByRole('region', { name: 'Names' });
    await expect.poll(() => names.textContent(), { timeout: 15_000 }).toContain(`ui${suffix}-events`);
    const text = (await names.textContent()) ?? '';
    // The bucket's name holds the account and the region: read it as derived.
    const bucket = /S3 bucket(\S+?)EMR cluster/.exec(text)?.[1] ?? '';
    expect(bucket).toMatch(new RegExp(`^ui${suffix}-`));
    for (const what of ['Kinesis stream', 'S3 bucket', 'EMR cluster', 'Redshift cluster']) expect(text).toContain(what);
    await expect.poll(() => form.getByRole('region', { name: 'Hourly cost estimate' }).textContent()).toMatch(/\$\d+\.\d+ per hour/);
    // The release picker and the command agree on the newest release the environment offers.
    const release = await form.getByRole('combobox', { name: 'EMR release' }).inputValue();
    expect(await form.getByRole('region', { name: 'AWS CLI equivalent' }).textContent()).toContain(`--release-label ${release}`);
    await shot('pipeline-preview');

    await createAndWait(form, 'Whole pipeline', 'Create the whole pipeline', /Ready/);
    const saved = form.getByRole('list', { name: 'What was saved' });
    expect(await saved.textContent()).toMatch(/Spark SQL/);
    expect(await saved.textContent()).toMatch(/redshift/i);
    expect(await page.content()).not.toMatch(/BEGIN (RSA |OPENSSH )?PRIVATE KEY/);
    await shot('pipeline-done');

    const created = { stream: `ui${suffix}-events`, emr: `ui${suffix}-emr`, warehouse: `ui${suffix}-warehouse` };
    for (const name of [...Object.values(created), bucket]) await expect.poll(() => rowOf(name).count(), { timeout: 30_000 }).toBe(1);
    expect(await rowOf(created.stream).textContent()).toContain(`Tributary (ui${suffix})`);
    for (const [type, name, verb] of [
      ['Kinesis stream', created.stream, 'Delete'],
      ['EMR cluster', created.emr, 'Terminate'],
      ['Redshift cluster', created.warehouse, 'Delete'],
      ['S3 bucket', bucket, 'Delete'],
    ] as const) {
      const dialog = await deleteFromInventory(type, name, verb, 'pipeline-teardown', { noSnapshot: type === 'Redshift cluster' });
      await dialog.getByRole('button', { name: 'Close' }).click();
    }
  });

  it('stops polling the inventory while the window is hidden and resumes when it is shown', async () => {
    const head = page.getByRole('region', { name: 'Inventory' });
    const setVisibility = (state: 'hidden' | 'visible') =>
      page.evaluate(
        `Object.defineProperty(document, 'visibilityState', { value: '${state}', configurable: true }); document.dispatchEvent(new Event('visibilitychange'))`,
      );
    await setVisibility('hidden');
    await expect.poll(() => head.textContent()).toContain('paused while the window is hidden');
    await setVisibility('visible');
    await expect.poll(() => head.textContent()).toContain('refreshed every 10 s while this window is shown');
    expect(problems).toEqual([]);
  });
});
