import type { Page } from 'playwright-core';
import { Logger } from '../shared/node/log.js';
import { SandboxManager } from '../sandbox/client/manager.js';
import { checkoutDaemonCommand } from '../sandbox/client/daemon-command.js';
import { numberArg, round, stringArg } from './args.js';
import { launchChromium } from '../tests/helpers/chromium.js';
import { startWebHostProcess, type WebHostProcess } from '../tests/helpers/web-host-process.js';

/** The marks ResultGrid sets (renderer/src/sections/workbench/ResultGrid.tsx); a string here because bench/ does not import the renderer. */
const FIRST_BATCH_MARK = 'tributary:results-first-batch';
const FIRST_ROWS_MARK = 'tributary:results-first-rows';

const ROWS = 1_000_000;
/** Ten columns of the kinds a real result has: integers, exact decimals, text, timestamps with zone, booleans, dates. */
const SQL = `SELECT g AS id, g * 2 AS twice, g::numeric / 7 AS ratio, md5(g::text) AS hash,
  timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second' AS ts, (g % 2 = 0) AS even,
  'row ' || g AS label, g % 97 AS bucket, sqrt(g) AS root, date '2024-01-01' + (g % 365) AS day
FROM generate_series(1, ${ROWS}) AS g`;

/**
 * A 1,000,000 × 10 result in the workbench grid, in headless Chromium through
 * the web host: the time from the result's first batch reaching the grid to
 * its first rows on the canvas, and frame times while scrolling through it.
 * The query runs on the sandbox's Redshift stand-in through the UI, as an
 * operator would run it (the sandbox is started from Environments if needed,
 * and stopped again at the end).
 * Options: `--data-dir DIR` the web host's data directory, e.g. one whose
 * sandbox already runs (`npm run sandbox -- up` or a dev web host), so no
 * second sandbox starts; the query replaces the text of its active editor tab.
 * `--url URL` measure a page already showing a result (a running web host),
 * `--frames N` scroll frames (default 300), `--step PX` scroll per frame
 * (default 2400, about 85 rows, so most frames need rows not yet loaded).
 */
export async function runGridBench(args: string[]) {
  const frames = numberArg(args, '--frames', 300);
  const step = numberArg(args, '--step', 2400);
  const url = stringArg(args, '--url');
  const dataDir = stringArg(args, '--data-dir');
  let host: WebHostProcess | undefined;
  let startedSandbox = false;
  const browser = await launchChromium();
  try {
    const page = await browser.context.newPage();
    if (url) await page.goto(url);
    else {
      host = await startWebHostProcess(dataDir);
      await page.goto(host.url);
      startedSandbox = await startSandbox(page);
      await runQuery(page);
    }
    const results = page.getByRole('region', { name: 'Results' });
    await results.waitFor({ timeout: 600_000 });
    const firstRowsMs = await page.waitForFunction(
      ([batch, rows]) => {
        const [b] = performance.getEntriesByName(batch!);
        const [r] = performance.getEntriesByName(rows!);
        return b && r ? r.startTime - b.startTime : false;
      },
      [FIRST_BATCH_MARK, FIRST_ROWS_MARK],
      { timeout: 600_000 },
    );
    const first_rows_ms = (await firstRowsMs.jsonValue()) as number;
    console.log(`first rows on the canvas ${first_rows_ms.toFixed(1)} ms after the first batch`);

    // Scroll once the whole result is there, so frame times are the grid's, not the query's.
    const status = page.getByRole('status', { name: 'Result status' });
    await page.waitForFunction((el) => el !== null && !/loading/.test(el.textContent ?? ''), await status.elementHandle(), {
      timeout: 900_000,
    });
    console.log(`result: ${await status.textContent()}`);
    const deltas = await scrollFrames(page, frames, step);
    const sorted = [...deltas].sort((a, b) => a - b);
    const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
    console.log(
      `scroll ${deltas.length} frames of ${step} px: p50 ${pct(50).toFixed(1)} ms, p95 ${pct(95).toFixed(1)} ms, max ${sorted.at(-1)?.toFixed(1)} ms`,
    );
    return {
      bench: 'grid',
      rows: ROWS,
      columns: 10,
      frames: deltas.length,
      step_px: step,
      first_rows_ms: round(first_rows_ms),
      scroll_p50_ms: round(pct(50)),
      scroll_p95_ms: round(pct(95)),
      scroll_max_ms: round(sorted.at(-1) ?? 0),
    };
  } finally {
    await browser.close();
    await host?.stop();
    // The sandbox daemon outlives the web host: one the bench started stops here, and in a data directory of
    // the bench's own its data goes too (PostgreSQL's, as root, lives outside that directory).
    if (host && startedSandbox) {
      const sandbox = new SandboxManager(host.dataDir, checkoutDaemonCommand(), new Logger(undefined));
      await (dataDir ? sandbox.stop() : sandbox.reset());
    }
  }
}

/** Whether the sandbox had to be started. */
async function startSandbox(page: Page): Promise<boolean> {
  await page.getByRole('button', { name: 'Environments', exact: true }).click();
  const panel = page.getByRole('region', { name: 'Local sandbox' });
  const state = panel.getByLabel('Sandbox state');
  await state.waitFor();
  if ((await state.textContent()) === 'running') return false;
  await panel.getByRole('button', { name: 'Start sandbox' }).click();
  console.log('starting the sandbox…');
  await page.waitForFunction((el) => el?.textContent === 'running', await state.elementHandle(), { timeout: 600_000 });
  return true;
}

async function runQuery(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Workbench', exact: true }).click();
  const workbench = page.getByRole('region', { name: 'SQL workbench' });
  const connection = workbench.getByRole('combobox', { name: 'Connection' });
  await connection.locator('option').first().waitFor({ state: 'attached', timeout: 120_000 });
  const options = await connection.locator('option').allTextContents();
  const redshift = options.find((o) => /redshift/i.test(o));
  if (redshift) await connection.selectOption({ label: redshift });
  await page.locator('.monaco-editor .view-lines').click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.insertText(SQL);
  await workbench.getByRole('button', { name: 'Run', exact: true }).click();
}

/** Moves the grid's scroller by `step` every frame and records the time between frames. */
function scrollFrames(page: Page, frames: number, step: number): Promise<number[]> {
  // bench/ compiles without the DOM library: the page's frame clock, typed by hand.
  type Frames = { requestAnimationFrame(callback: (now: number) => void): number };
  return page
    .getByRole('region', { name: 'Results' })
    .locator('.dvn-scroller')
    .evaluate(
      // No named functions inside: tsx would wrap them in a helper the page does not have.
      async (scroller, [count, px]) => {
        const clock = globalThis as unknown as Frames;
        const deltas: number[] = [];
        let last = performance.now();
        for (let i = 0; i <= count!; i++) {
          const now = await new Promise<number>((resolve) => clock.requestAnimationFrame(resolve));
          if (i > 0) deltas.push(now - last);
          last = now;
          scroller.scrollTop += px!;
        }
        return deltas;
      },
      [frames, step],
    );
}
