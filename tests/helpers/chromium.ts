import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { defaultCacheDir } from '../../sandbox/client/paths.js';
import { startWebHostProcess, type WebHostProcess } from './web-host-process.js';

/** Debian's Chromium; Playwright's own browser downloads are not possible here. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const flags = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** A fresh profile per launch, so no cookie or storage leaks between tests. */
export async function launchChromium(options: { colorScheme?: 'light' | 'dark' } = {}): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'tributary-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: flags,
    viewport: { width: 1280, height: 800 },
    colorScheme: options.colorScheme ?? 'light',
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * The app on a web host of its own over `dataDir` (a sandbox's, to use that sandbox), in a fresh Chromium page
 * large enough for the workbench and the pipeline view. Console and page errors go to `problems`. The download
 * cache is named, so a HOME moved in `env` does not hide it.
 */
export async function openApp(
  dataDir: string,
  env: NodeJS.ProcessEnv,
  problems: string[],
): Promise<{ page: Page; host: WebHostProcess; browser: Browser; close(): Promise<void> }> {
  const host = await startWebHostProcess(dataDir, { TRIBUTARY_CACHE_DIR: defaultCacheDir(), ...env });
  const browser = await launchChromium();
  const page = await browser.context.newPage();
  await page.setViewportSize({ width: 1440, height: 960 });
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  await page.goto(host.url);
  return {
    page,
    host,
    browser,
    close: async () => {
      await browser.close();
      await host.stop();
    },
  };
}

// The page's canvas, typed by hand: the tests compile without the DOM library.
interface Canvas2d {
  width: number;
  height: number;
  getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } | null;
}

/** How much of a chart's canvas is painted, and how much in ECharts' first series colour (#5470c6), as shares of its area. */
export function chartPaint(canvas: Locator): Promise<{ drawn: number; series: number }> {
  return canvas.evaluate((element) => {
    const canvas = element as unknown as Canvas2d;
    const pixels = canvas.getContext('2d')?.getImageData(0, 0, canvas.width, canvas.height).data ?? new Uint8ClampedArray();
    let drawn = 0;
    let series = 0;
    for (let i = 0; i < pixels.length; i += 4) {
      if (pixels[i + 3]! > 0) drawn++;
      if (
        pixels[i + 3]! > 200 &&
        Math.abs(pixels[i]! - 0x54) < 24 &&
        Math.abs(pixels[i + 1]! - 0x70) < 24 &&
        Math.abs(pixels[i + 2]! - 0xc6) < 24
      )
        series++;
    }
    const area = canvas.width * canvas.height;
    return { drawn: drawn / area, series: series / area };
  });
}
