import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Cell, ColumnMeta, SchemaTree } from '../../shared/contract/index.js';
import { createCore, type Core } from '../../electron/core/core.js';
import { defineEngine, NO_CAPABILITIES } from '../../electron/core/engines/descriptor.js';
import type { Engine, StatementOutcome, StatementSink } from '../../electron/core/engines/engine.js';
import { MemorySecretStore } from '../../electron/core/secrets/secret-store.js';
import { inProcessCore } from '../../electron/supervisor/in-process.js';
import { startWebHost, type WebHost } from '../../electron/web/server.js';
import { checkoutDaemonCommand } from '../../sandbox/client/daemon-command.js';
import { launchChromium, type Browser } from '../helpers/chromium.js';
import { tempDir } from '../helpers/core.js';
import { projectRoot } from '../helpers/web-host-process.js';

/**
 * A fourth engine, whole, in this file: it answers every SELECT with the same two rows. It stands in for a
 * real server (the point is that an engine is one descriptor plus one registration, not what it talks to),
 * so the Workbench can be seen to offer an engine it has never heard of with exactly that engine's
 * capabilities. It has Cancel and nothing else, so Explain and UNLOAD must be absent.
 */
const COLUMNS: ColumnMeta[] = [
  { name: 'greeting', type: 'text', kind: 'text' },
  { name: 'n', type: 'int4', kind: 'int' },
];

class FixedRowsEngine implements Engine {
  readonly dialect = 'redshift' as const;
  constructor(private readonly greeting: string) {}

  serverVersion(): Promise<string> {
    return Promise.resolve('fixed rows 1.0');
  }

  async execute(sql: string, sink: StatementSink): Promise<StatementOutcome> {
    if (!/^\s*SELECT\b/i.test(sql)) throw new Error('This engine only answers SELECT');
    sink.columns(COLUMNS);
    const rows: Cell[][] = [
      [this.greeting, '1'],
      [this.greeting, '2'],
    ];
    await sink.rows(rows);
    return { command: 'SELECT' };
  }

  schema(): Promise<SchemaTree> {
    return Promise.resolve({ schemas: [] });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

const fixedRows = defineEngine<{ greeting: string }>({
  kind: 'fixed-rows',
  label: 'Fixed rows (test engine)',
  dialect: 'redshift',
  options: z.object({ greeting: z.string().min(1, 'Say something') }).strict(),
  form: [[{ name: 'greeting', label: 'Greeting', type: 'text', required: true }]],
  capabilities: { ...NO_CAPABILITIES, cancel: true },
  describe: (o) => `always “${o.greeting}”`,
  open: (o) => new FixedRowsEngine(o.greeting),
});

let core: Core;
let host: WebHost;
let browser: Browser;
let page: Page;
const problems: string[] = [];

beforeAll(async () => {
  // The registration: the one option only tests use.
  core = await createCore({
    host: 'web',
    version: '0.0.0-test',
    dataDir: tempDir(),
    workspaceDir: tempDir('tributary-workspace-'),
    sandboxDaemon: checkoutDaemonCommand(),
    openSecretStore: () => Promise.resolve(new MemorySecretStore()),
    engines: [fixedRows],
  });
  host = await startWebHost({ core: inProcessCore(core), rendererDir: join(projectRoot, 'out', 'renderer'), port: 0 });
  browser = await launchChromium();
  page = await browser.context.newPage();
  await page.setViewportSize({ width: 1440, height: 960 });
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  await page.goto(host.url);
});
afterAll(async () => {
  await browser?.close();
  await host?.close();
  await core?.dispose();
});
afterEach(() => expect(problems).toEqual([]));

const workbench = () => page.getByRole('region', { name: 'SQL workbench' });
const toolbar = () => workbench().getByRole('toolbar', { name: 'Editor' });

describe('an engine registered from outside the app', () => {
  it('is offered in the connection form, saves, runs and shows its rows, with exactly its capabilities', async () => {
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: 'Workbench', exact: true }).click();
    await page.locator('.monaco-editor .view-lines').waitFor();
    // With no connection yet, the toolbar is as it always was.
    for (const name of ['Run', 'Cancel', 'Explain'])
      await expect.poll(() => toolbar().getByRole('button', { name, exact: true }).count()).toBe(1);

    await toolbar().getByRole('button', { name: 'New connection' }).click();
    const form = page.getByRole('form', { name: 'New connection' });
    const engine = form.getByRole('combobox', { name: 'Engine' });
    await expect
      .poll(() => engine.locator('option').allTextContents())
      .toEqual(['Redshift (wire protocol)', 'Redshift Data API', 'Spark SQL on EMR', 'Fixed rows (test engine)']);
    await engine.selectOption({ label: 'Fixed rows (test engine)' });
    // Its form is its own field, not another engine's.
    await form.getByRole('textbox', { name: 'Greeting' }).waitFor();
    expect(await form.getByRole('textbox', { name: 'Cluster identifier' }).count()).toBe(0);
    await form.getByRole('textbox', { name: 'Name' }).fill('Fixed');
    // An empty option is refused by the engine's own schema, with its message.
    await form.getByRole('button', { name: 'Save connection' }).click();
    await expect.poll(() => form.getByRole('alert').textContent()).toMatch(/spec\.greeting: Say something/);
    await form.getByRole('textbox', { name: 'Greeting' }).fill('hello from engine four');
    await form.getByRole('button', { name: 'Save connection' }).click();
    await form.waitFor({ state: 'detached' });

    const connection = workbench().getByRole('combobox', { name: 'Connection' });
    await expect.poll(() => connection.locator('option:checked').textContent()).toBe('Fixed');
    expect(await connection.locator('option:checked').getAttribute('title')).toBe('always “hello from engine four”');

    await page.locator('.monaco-editor .view-lines').click();
    await page.keyboard.press('ControlOrMeta+A');
    await page.keyboard.insertText('SELECT greeting, n FROM anywhere');
    await toolbar().getByRole('button', { name: 'Run', exact: true }).click();
    await expect.poll(() => page.getByRole('log', { name: 'Run messages' }).textContent()).toMatch(/SELECT · 2 rows · \d+ ms/);
    const cell = (row: number) =>
      page
        .getByRole('region', { name: 'Results' })
        .locator(`[role="row"][aria-rowindex="${row + 2}"]`)
        .getByRole('gridcell', { includeHidden: true })
        .allTextContents();
    await expect.poll(() => cell(0), { timeout: 30_000 }).toEqual(['hello from engine four', '1']);
    expect(await cell(1)).toEqual(['hello from engine four', '2']);

    // Exactly its capabilities: Cancel, which it has, stays; Explain and UNLOAD, which it lacks, are gone.
    expect(await toolbar().getByRole('button', { name: 'Cancel', exact: true }).count()).toBe(1);
    expect(await toolbar().getByRole('button', { name: 'Explain', exact: true }).count()).toBe(0);
    expect(
      await workbench()
        .getByRole('button', { name: /Unload this result to S3/ })
        .count(),
    ).toBe(0);
  });
});
