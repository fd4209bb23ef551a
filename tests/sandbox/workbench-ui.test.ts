import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { chartPaint, openApp } from '../helpers/chromium.js';
import { projectRoot } from '../helpers/web-host-process.js';

const ROWS = 200_000;
// Each text ends in a semicolon: after a word, typing opens the completion list over the screenshots.
const SQL = `SELECT g, md5(g::text) AS h, (g % 24) AS hour,
  now() - (g || ' minutes')::interval AS ts
FROM generate_series(1, ${ROWS}) g;`;
/** ResultGrid's row height: the scroller moves this many pixels per row. */
const ROW_HEIGHT = 28;
/** Inside the first data column (g, at least 64 px wide) whether the row-number column before it is 48 or 72 px wide. */
const FIRST_COLUMN_X = 100;
/** Half of ResultGrid's 32 px header. */
const HEADER_Y = 16;

const shots = join(projectRoot, 'test-results', 'screenshots');
const md5 = (text: string) => createHash('md5').update(text).digest('hex');
/** What the grid shows for row g of the unsorted result, in the columns g, h, hour. */
const expected = (g: number) => [String(g), md5(String(g)), String(g % 24)];

// The page's window as the export test watches it; this file compiles without the DOM library.
interface Watched {
  MutationObserver: new (callback: () => void) => { observe(target: unknown, options: Record<string, boolean>): void };
  tributaryExportSeen?: string[];
}

let app: { page: Page; close(): Promise<void> } | undefined;
let page: Page;
let home: string;
const problems: string[] = [];

const workbench = () => page.getByRole('region', { name: 'SQL workbench' });
const results = () => page.getByRole('region', { name: 'Results' });
const gridStatus = () => page.getByRole('status', { name: 'Result status' });
const runLog = () => page.getByRole('log', { name: 'Run messages' });
const runButton = () => workbench().getByRole('button', { name: 'Run', exact: true });

/** The cells of one grid row as Glide's accessibility table (inside the canvas) has them: the first three columns. */
async function rowCells(row: number): Promise<string[]> {
  const cells = await results()
    .locator(`[role="row"][aria-rowindex="${row + 2}"]`)
    .getByRole('gridcell', { includeHidden: true })
    .allTextContents();
  return cells.slice(0, 3);
}

/** Replaces the editor's text as typing would. */
async function type(sql: string): Promise<void> {
  await page.locator('.monaco-editor .view-lines').click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.insertText(sql);
}

/** Runs the statement under the cursor as the operator does, with Ctrl+Enter. */
async function typeAndRun(sql: string): Promise<void> {
  await type(sql);
  await page.keyboard.press('ControlOrMeta+Enter');
}

/** Clicks the grid's header where the first data column is drawn on the canvas. */
async function clickFirstHeader(): Promise<void> {
  const box = (await results().getByTestId('data-grid-canvas').boundingBox())!;
  await page.mouse.click(box.x + FIRST_COLUMN_X, box.y + HEADER_Y);
}

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(shots, `workbench-${name}.png`) });
}

function scrollGridTo(top: number): Promise<void> {
  return results()
    .locator('.dvn-scroller')
    .evaluate((scroller, y) => {
      scroller.scrollTop = y;
    }, top);
}

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  // Exports go to the workspace, ~/Tributary by default: a HOME of its own keeps the operator's home clean and tells us where to look.
  home = mkdtempSync(join(tmpdir(), 'tributary-ui-home-'));
  // The core finds the running sandbox through <dataDir>/sandbox/run.json.
  app = await openApp(inject('sandbox').dataDir, { HOME: home }, problems);
  page = app.page;
});

afterAll(async () => {
  await app?.close();
  if (home) rmSync(home, { recursive: true, force: true });
});

describe('the workbench in Chromium on the sandbox warehouse, as an operator uses it', () => {
  it('opens with a readable tab title, runs a 200,000-row query with Ctrl+Enter and streams it into the grid', async () => {
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name: 'Workbench', exact: true }).click();
    await page.locator('.monaco-editor .view-lines').waitFor();
    const tab = page.getByRole('tablist', { name: 'Editor tabs' }).getByRole('tab', { name: 'Query 1' });
    // The title was once drawn in the accent's text colour on no fill: there, but invisible.
    const [color, background] = await tab.evaluate((el) => {
      const view = el.ownerDocument.defaultView!;
      return [view.getComputedStyle(el).color, view.getComputedStyle(el.ownerDocument.body).backgroundColor];
    });
    expect(color).not.toBe(background);

    const connection = workbench().getByRole('combobox', { name: 'Connection' });
    await connection.locator('option', { hasText: 'Sandbox warehouse (Redshift)' }).waitFor({ state: 'attached' });
    await connection.selectOption({ label: 'Sandbox warehouse (Redshift)' });
    await type(SQL);
    await shot('editor');
    await page.keyboard.press('ControlOrMeta+Enter');

    await expect.poll(() => rowCells(0), { timeout: 30_000 }).toEqual(expected(1));
    expect(await rowCells(1)).toEqual(expected(2));
    const firstTs = await results()
      .locator('[role="row"][aria-rowindex="2"]')
      .getByRole('gridcell', { includeHidden: true })
      .nth(3)
      .textContent();
    expect(firstTs).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)?[+-]\d\d/);
    await shot('first-rows');

    await expect.poll(() => gridStatus().textContent(), { timeout: 60_000 }).toBe('200,000 rows');
    await expect.poll(() => runLog().textContent()).toMatch(/SELECT · 200,000 rows · \d+ ms/);
    // The run ends when its stream does, a moment after its last statement's line.
    await expect.poll(() => runButton().isEnabled()).toBe(true);
    // A Redshift statement's cost follows its line once the warehouse's price is known.
    await expect.poll(() => runLog().textContent()).toMatch(/· cost \$/);
  });

  it('switching the connection runs nothing: the log and the result stay those of the last run', async () => {
    // Switching once re-ran the statement under the cursor on the connection being left (and then swallowed the next Ctrl+Enter).
    const log = await runLog().textContent();
    const connection = workbench().getByRole('combobox', { name: 'Connection' });
    for (const label of ['Sandbox warehouse (Data API)', 'Sandbox warehouse (Redshift)']) {
      await connection.selectOption({ label });
      // A run would start in the same render as the switch; give the host time to answer one.
      await page.waitForTimeout(1_000);
      expect(await runButton().isEnabled()).toBe(true);
      expect(await runLog().textContent()).toBe(log);
    }
    expect(await gridStatus().textContent()).toBe('200,000 rows');
  });

  it('scrolls to row 150,000 and shows that row’s values', async () => {
    await scrollGridTo(150_000 * ROW_HEIGHT);
    await expect.poll(() => rowCells(150_000), { timeout: 15_000 }).toEqual(expected(150_001));
    expect(await rowCells(150_005)).toEqual(expected(150_006));
    await shot('scrolled');
    await scrollGridTo(0);
    await expect.poll(() => rowCells(0)).toEqual(expected(1));
  });

  it('sorts by a column from its header: ascending, then descending puts the maximum first', async () => {
    const header = results().getByRole('columnheader', { includeHidden: true }).first();
    await clickFirstHeader();
    await expect.poll(() => header.textContent()).toBe('g ▲');
    await expect.poll(() => rowCells(0)).toEqual(expected(1));
    await clickFirstHeader();
    await expect.poll(() => header.textContent()).toBe('g ▼');
    await expect.poll(() => rowCells(0), { timeout: 15_000 }).toEqual(expected(ROWS));
    expect(await rowCells(1)).toEqual(expected(ROWS - 1));
    expect(await gridStatus().textContent()).toBe('200,000 rowssorted/filtered view');
    await shot('sorted');
  });

  it('filters one column, keeping the sort', async () => {
    await page.getByRole('combobox', { name: 'Filter column' }).selectOption({ label: 'g' });
    await page.getByRole('searchbox', { name: 'Filter text' }).fill('19999');
    // 19999, 119999 and 199990…199999, largest first.
    await expect.poll(() => gridStatus().textContent(), { timeout: 15_000 }).toBe('12 rowssorted/filtered view');
    await expect.poll(() => rowCells(0)).toEqual(expected(199_999));
    expect(await rowCells(11)).toEqual(expected(19_999));
    await shot('filtered');

    await page.getByRole('searchbox', { name: 'Filter text' }).fill('');
    await page.getByRole('button', { name: 'Clear sort' }).click();
    await expect.poll(() => gridStatus().textContent(), { timeout: 15_000 }).toBe('200,000 rows');
    await expect.poll(() => rowCells(0)).toEqual(expected(1));
  });

  it('draws a line chart of the whole result', async () => {
    await page.getByRole('tablist', { name: 'Result views' }).getByRole('tab', { name: 'Chart' }).click();
    const controls = page.getByRole('toolbar', { name: 'Chart' });
    await controls.getByRole('combobox', { name: 'Type' }).selectOption('line');
    await controls.getByRole('combobox', { name: 'X' }).selectOption('ts');
    await controls.getByRole('checkbox', { name: 'g' }).check();
    const chart = page.getByRole('img', { name: 'line chart of ts, g' });
    await chart.waitFor();
    await expect
      .poll(() => page.getByRole('status', { name: 'Chart status' }).textContent(), { timeout: 30_000 })
      .toBe('Charted 200,000 rows.');
    const painted = () => chartPaint(chart.locator('canvas'));
    // The line in ECharts' first series colour (#5470c6) covers far more than its legend mark alone would.
    await expect.poll(async () => (await painted()).series, { timeout: 10_000 }).toBeGreaterThan(0.002);
    expect((await painted()).drawn).toBeGreaterThan(0.02);
    await shot('chart');

    // Back in the grid, the view is still the plain result: the cleared filter's late timer did not bring the sort back.
    await page.getByRole('tablist', { name: 'Result views' }).getByRole('tab', { name: 'Grid' }).click();
    expect(await gridStatus().textContent()).toBe('200,000 rows');
    await expect.poll(() => rowCells(0)).toEqual(expected(1));
  });

  it('exports the whole result to CSV through the Export menu, with progress', async () => {
    // The progress line may show for well under a second: the page itself notes every text it had.
    await page.locator('body').evaluate((body) => {
      const watched = body.ownerDocument.defaultView as unknown as Watched;
      const seen: string[] = [];
      watched.tributaryExportSeen = seen;
      new watched.MutationObserver(() => {
        const progress = body.querySelector('[aria-label="Export progress"]');
        if (progress?.textContent) seen.push(progress.textContent);
      }).observe(body, { subtree: true, childList: true, characterData: true, attributes: true });
    });
    await page.getByRole('button', { name: 'Export ▾' }).click();
    await page.getByRole('menu', { name: 'Export the whole result' }).getByRole('menuitem', { name: 'CSV' }).click();
    const note = page.getByText(/^Exported 200,000 rows to /);
    await note.waitFor({ timeout: 60_000 });
    const seen = await page.evaluate(() => (globalThis as unknown as Watched).tributaryExportSeen ?? []);
    expect(seen.some((text) => / of 200,000 rows to /.test(text))).toBe(true);
    const path = (await note.textContent())!.replace('Exported 200,000 rows to ', '');
    expect(path).toMatch(new RegExp(`^${join(home, 'Tributary', 'tributary-r')}[0-9a-f]+\\.csv$`));
    const lines = readFileSync(path, 'utf8').split('\n');
    expect(lines.at(-1)).toBe('');
    expect(lines).toHaveLength(ROWS + 2);
    expect(lines[0]).toBe('g,h,hour,ts');
    expect(lines[1]!.startsWith(`1,${md5('1')},1,`)).toBe(true);
    expect(lines[ROWS]!.startsWith(`${ROWS},${md5(String(ROWS))},${ROWS % 24},`)).toBe(true);
    expect(await page.getByRole('button', { name: 'Export ▾' }).isEnabled()).toBe(true);
    await shot('export');
  });

  it('cancels pg_sleep(60) from the toolbar within 2 seconds, and Run is enabled again', async () => {
    await typeAndRun('SELECT pg_sleep(60);');
    const cancel = workbench().getByRole('button', { name: 'Cancel', exact: true });
    await expect.poll(() => cancel.isEnabled()).toBe(true);
    await runLog().locator('li[data-status="running"]').waitFor();
    expect(await runButton().isDisabled()).toBe(true);
    const started = Date.now();
    await cancel.click();
    await runLog().locator('li[data-status="cancelled"]').getByText('cancelled').waitFor({ timeout: 10_000 });
    await expect.poll(() => runButton().isEnabled(), { timeout: 10_000 }).toBe(true);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(await cancel.isDisabled()).toBe(true);
    await shot('cancelled');
  });

  it('marks a syntax error in the editor at its line, and says where in the run log', async () => {
    await typeAndRun('SELECT g,\nmd5(g::text)\nFORM generate_series(1, 10) g;');
    const error = runLog().getByRole('alert');
    await error.waitFor({ timeout: 30_000 });
    expect(await error.textContent()).toMatch(/^Line 3, column 6: syntax error at or near "generate_series" \(42601\)$/);
    const squiggle = page.locator('.monaco-editor .squiggly-error');
    const errorLine = page.locator('.monaco-editor .view-line', { hasText: 'generate_series' });
    // Monaco redraws its lines as it reveals the error, so measure until both boxes are there: the squiggle sits on line 3.
    const offBy = async () => {
      const [marked, line] = await Promise.all([squiggle.boundingBox(), errorLine.boundingBox()]);
      return marked && line && marked.width > 0
        ? Math.abs(marked.y + marked.height / 2 - (line.y + line.height / 2)) / line.height
        : undefined;
    };
    await expect.poll(offBy).toBeLessThan(0.5);
    expect(await squiggle.count()).toBe(1);
    await shot('syntax-error');
  });

  it('logged no page errors on the way', () => {
    expect(problems).toEqual([]);
  });
});
