import { launchChromium } from './tests/helpers/chromium.js';
const url = process.argv[2]!;
const out = '/work/main/test-results/walk';
const browser = await launchChromium();
const page = await browser.context.newPage();
await page.setViewportSize({ width: 1440, height: 900 });
const errors: string[] = [];
page.on('pageerror', (e) => errors.push(e.message));
// First: the page without a token.
await page.goto(url.replace(/#.*/, ''));
await page.waitForTimeout(1500);
await page.screenshot({ path: `${out}/01-no-token.png` });
await page.goto(url);
await page.waitForTimeout(2000);
await page.screenshot({ path: `${out}/02-home.png` });
const nav = (name: string) => page.getByRole('navigation', { name: 'Sections' }).getByRole('button', { name, exact: true }).click();
await nav('Environments');
const start = page.getByRole('button', { name: /Start sandbox/ });
if (await start.count()) await start.first().click();
for (let i = 0; i < 90; i++) {
  await page.waitForTimeout(2000);
  if (await page.getByText(/running/i).count()) break;
}
await page.screenshot({ path: `${out}/03-environments.png` });
await nav('Settings');
await page.waitForTimeout(1500);
await page.screenshot({ path: `${out}/04-settings.png`, fullPage: true });
await nav('Workbench');
await page.waitForTimeout(3000);
await page.getByRole('button', { name: 'History' }).click().catch(() => undefined);
await page.waitForTimeout(1000);
await page.screenshot({ path: `${out}/05-workbench-history.png` });
await nav('Pipeline');
await page.waitForTimeout(3000);
await page.screenshot({ path: `${out}/06-pipeline.png`, fullPage: true });
const s3 = page.getByRole('tab', { name: 'S3 browser' });
if (await s3.count()) {
  await s3.click();
  await page.waitForTimeout(2000);
  await page.screenshot({ path: `${out}/07-s3.png`, fullPage: true });
}
const ingest = page.getByRole('tab', { name: /Ingest/ });
if (await ingest.count()) {
  await ingest.click();
  await page.waitForTimeout(1000);
  const replay = page.getByLabel(/Replay/i);
  if (await replay.count()) await replay.first().click().catch(() => undefined);
  await page.waitForTimeout(1000);
  await page.screenshot({ path: `${out}/08-ingest.png`, fullPage: true });
}
console.log(JSON.stringify({ errors }));
await browser.close();
